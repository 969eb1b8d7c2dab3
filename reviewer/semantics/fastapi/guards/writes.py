"""What an endpoint changes: the call that shows it writes (`session.commit`, `crud.create_item`),
in its handler, a dependency FastAPI runs for it, or a helper of the repository they call.

A call counts by what it does where the repository shows that, by its name where it does not:
- a function of the repository is followed, whatever its name;
- a method named for a change of the standard library's (`asyncio.create_task`, `ContextVar.set`
  where a module-level name holds a `ContextVar`) changes the process, not the application's data,
  unless its module changes files, processes or stores (`shutil.move`, `os.rename`);
- any other call named for a change (`session.add`, `repository.update_item`) counts, as does
  one of a store's own write methods.

Not data: a cache refreshed, a message pushed to a websocket, a cookie set on the caller's own
response, a `session.execute` of a `select`, what a `with` item opens (`with db.create_session()
as session:`: the block's own calls show whether it writes), a dict, list or set the function holds
under a local name (`params.update(...)`), a registry filled once where a getter's lookup missed
(`try: return context.get("db") except KeyError: context.register(...)`). `effects.py` holds the
stricter reading a `GET` gets.
"""

from __future__ import annotations

import sys
from collections import Counter
from typing import TYPE_CHECKING

from reviewer.semantics.fastapi.guards.vocabulary import _WRITE_METHOD, _WRITE_NAME, MAX_WRITE_DEPTH

if TYPE_CHECKING:
    from reviewer.semantics.fastapi.guards.callgraph import CallGraph
    from reviewer.semantics.fastapi.index import Endpoint
    from reviewer.summary import CallSite

# Modules of the standard library whose functions change files, processes or stores: a call of
# theirs named for a change (`shutil.move`, `os.rename`) is one.
_CHANGING_MODULES = frozenset({"os", "shutil", "pathlib", "subprocess", "tempfile", "sqlite3", "dbm", "shelve",
                               "smtplib", "ftplib", "socket", "http", "urllib"})
# Methods of the response being built: they change what the caller gets, not the application's data.
_OWN_RESPONSE_METHODS = frozenset({"set_cookie", "delete_cookie"})


class Writes:
    """Answers `AuthModel.changes_data`, over the repository's calls."""

    def __init__(self, calls: CallGraph) -> None:
        self.calls = calls

    def of(self, endpoint: Endpoint) -> str | None:
        """The call that shows the endpoint writes, as written; None for an endpoint that only
        computes an answer (`POST /decode`)."""
        index = self.calls.index
        functions = [endpoint.function.qualname] + [d.function.qualname for d in index.dependencies(endpoint)]
        seen: set[str] = set()
        return next(filter(None, (self.calls.through_calls(name, self._own_write, seen=seen, max_depth=MAX_WRITE_DEPTH)
                                  for name in functions)), None)

    def _own_write(self, qualname: str, depth: int) -> str | None:
        """The call of the function itself that shows it writes."""
        summary = self.calls.summary(qualname)
        if summary is None:
            return None
        record = self.calls.functions.get(qualname)
        reads = Counter(record.read_runs) if record is not None and record.read_runs else None
        spelled = Counter(call.text for call in summary.calls) if reads else None
        for call in summary.calls:
            text = call.text or call.target or ""
            last = text.rsplit(".", 1)[-1]
            if reads and spelled and reads[text] >= spelled[call.text]:
                continue  # every `session.execute(...)` of this spelling runs a `select`
            if call.opens or call.fills_miss:
                continue  # what a `with` opens, a registry filled once on a miss: the change is elsewhere
            if "cache" in text.lower() or "websocket" in text.lower() or last in _OWN_RESPONSE_METHODS:
                continue
            target = (self.calls.index.resolve(call.target) or call.target) if call.target else None
            if self.calls.summary(target) is not None:
                continue  # a function of the repository: what it does, not its name, tells
            if "." not in text or _of_local_container(call):
                continue
            if _WRITE_METHOD.match(last):
                return text  # `session.commit()`, `db.delete(row)`
            if _WRITE_NAME.match(last) and not (call.target and self._of_standard_library(call.target)):
                return text  # `self.repository.create_item(...)`
        return None

    def _of_standard_library(self, target: str) -> bool:
        """`asyncio.create_task`, or a method of what a module-level name holds when that is an
        object of the standard library's classes (`ContextVar.set`; not a `set` or a `dict`, the
        store of an application that keeps its data in memory)."""
        module = target.split(".", 1)[0]
        if module in sys.stdlib_module_names:
            return module not in _CHANGING_MODULES
        filled = self.calls.index.modules.fills(target.rpartition(".")[0])
        return bool(filled) and all(
            made is not None and made.split(".", 1)[0] in sys.stdlib_module_names and not made.startswith("builtins.")
            for made in filled)


def _of_local_container(call: CallSite) -> bool:
    """A method of a dict, list or set the function holds under a local name (`params = {}`,
    `params.update(...)`): it builds a value and stores nothing. Not one an object or a module holds
    (`self.workers.update(...)`, a module-level registry): those outlive the call."""
    return bool(call.target and call.target.startswith("builtins.") and call.text and call.text.count(".") == 1
                and not call.text.startswith(("self.", "cls.")))
