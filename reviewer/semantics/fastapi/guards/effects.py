"""What a read endpoint changes: a `GET` whose handler, or a helper of the repository it calls,
writes through a database session (`session.add`, `db.delete`, `session.merge`) or sends mail.

Stricter than `AuthModel.changes_data` (which also takes calls named for a change, such as
`repository.create_item`, as writes): a `GET` is expected to read, so only a session's own write
methods and a mail transport count, and the dependencies FastAPI runs for the endpoint are left
out (a `get_db` that commits after every request changes nothing the endpoint chose to).
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING

from reviewer.semantics.fastapi.guards.vocabulary import MAX_WRITE_DEPTH

if TYPE_CHECKING:
    from reviewer.semantics.fastapi.guards.model import AuthModel
    from reviewer.semantics.fastapi.index import Endpoint

# A session's methods that write an object. Not `commit` or `flush` alone: a `GET` commits to end its
# transaction before a long answer (a stream), which writes nothing.
_SESSION_WRITES = frozenset({"add", "add_all", "delete", "merge", "bulk_save_objects", "bulk_insert_mappings",
                             "bulk_update_mappings"})
# The object written through: a database session or connection (`session`, `db`, `self.db_session`).
_SESSION = re.compile(r"(?:^|_)(?:session|db|database|conn|connection|tx|transaction|uow)$", re.IGNORECASE)
# An HTTP client's session (`http_session.delete(url)`, `aiohttp.ClientSession`): a request, not a row.
_HTTP = re.compile(r"http|client|requests|aiohttp", re.IGNORECASE)
_MAIL_MODULES = ("smtplib.", "aiosmtplib.", "fastapi_mail.", "emails.", "sendgrid.", "resend.", "postmarker.")
_MAIL_METHODS = frozenset({"sendmail", "send_message"})
_MAIL_RECEIVER = re.compile(r"smtp|mail|^fm$", re.IGNORECASE)


def side_effect(model: AuthModel, endpoint: Endpoint) -> str | None:
    """What the endpoint's handler (or a repository helper it calls) changes, with the call as
    written: "writes through a database session (`db.add`)", "sends mail (`smtp.sendmail` in `send_receipt`)";
    None when it shows neither."""
    return model.calls.through_calls(endpoint.function.qualname, functools.partial(_own_effect, model),
                                     max_depth=MAX_WRITE_DEPTH)


def _own_effect(model: AuthModel, qualname: str, depth: int) -> str | None:
    """What the function itself changes, said from the endpoint (`depth` calls away from it)."""
    summary = model.calls.summary(qualname)
    if summary is None:
        return None
    for call in summary.calls:
        text = call.text or ""
        receiver, _, last = text.rpartition(".")
        holder = receiver.rpartition(".")[2]
        where = "" if depth == 0 else f" in `{qualname.rpartition('.')[2]}`"
        if last in _SESSION_WRITES and _SESSION.search(holder) and not _HTTP.search(receiver):
            return f"writes through a database session (`{text}`{where})"
        target = call.target or ""
        if (target.startswith(_MAIL_MODULES) and target.rpartition(".")[2].startswith("send")) or (
                last in _MAIL_METHODS and _MAIL_RECEIVER.search(holder)):
            return f"sends mail (`{text or target}`{where})"
    return None
