"""Column types as migrations write them (`sa.String(length=50)`, `VARCHAR(50)`, `sa.Text()`):
which type changes only widen a string, so that PostgreSQL rewrites nothing and the code of the
previous revision reads and writes the column as before."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reviewer.semantics.alembic.model import Operation

_TYPE_NAME = re.compile(r"([A-Za-z_][A-Za-z_0-9]*)\s*(?:\(([^)]*)\))?\s*$")
_STRINGS = frozenset({"string", "varchar", "character varying", "unicode", "text", "unicodetext", "citext"})
_UNBOUNDED = frozenset({"text", "unicodetext", "citext"})


def parse_type(text: str | None) -> tuple[str, int | None] | None:
    """(lower-case type name, its length) of `sa.String(length=50)`, `VARCHAR(50)`, `sa.Text()`."""
    if not text:
        return None
    if "(" in text:
        head, arguments = text.split("(", 1)
        tail = head.rsplit(".", 1)[-1] + "(" + arguments
    else:
        tail = text.strip().rsplit(".", 1)[-1]
    match = _TYPE_NAME.match(tail.strip())
    if match is None:
        return None
    number = re.search(r"\d+", match.group(2) or "")
    return match.group(1).lower(), int(number.group(0)) if number else None


def same_or_wider_string(new_text: str | None, old_text: str | None) -> bool:
    """Whether changing a column from `old_text` to `new_text` keeps its type or only widens a
    string (a longer `VARCHAR`, `TEXT`). With the old type unknown, a change to an unbounded
    string type counts as widening."""
    new = parse_type(new_text)
    old = parse_type(old_text)
    if new is None:
        return False
    if old is not None and old == new:
        return True
    if new[0] not in _STRINGS:
        return False
    if old is None:
        return new[0] in _UNBOUNDED or new[1] is None
    if old[0] not in _STRINGS:
        return False
    if new[0] in _UNBOUNDED or new[1] is None:
        return True
    return old[0] not in _UNBOUNDED and old[1] is not None and new[1] >= old[1]


def only_widens_a_string(op: Operation) -> bool:
    """An `alter_column` whose only change is widening a string type: no rename, no nullability."""
    return (
        op.kind == "alter_column"
        and op.type_text is not None
        and op.new_name is None
        and op.nullable is None
        and same_or_wider_string(op.type_text, op.existing_type)
    )
