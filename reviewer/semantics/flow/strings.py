"""Strings built in code, followed as the code builds them: each possible value is a sequence of
literal pieces and holes (interpolated expressions, each with its trust), from literals, f-strings,
`%`, `.format()`, `+`, `"".join(...)`, `string.Template`, and lists of parts joined later."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from reviewer import lazy_cst as cst
from reviewer.semantics.flow.trust import Level, Trust, worst


@dataclass(frozen=True)
class Hole:
    """An expression spliced into SQL text by `builder` (None: the whole text is the expression)."""

    expr: cst.BaseExpression
    trust: Trust
    builder: cst.CSTNode | None
    how: str
    statement: cst.CSTNode | None


@dataclass(frozen=True)
class Piece:
    """Literal SQL text and the string node it comes from."""

    text: str
    node: cst.CSTNode
    statement: cst.CSTNode | None


Part = Piece | Hole


BuiltString = tuple[Part, ...]


MAX_ALTERNATIVES = 16


def dedupe(strings: Sequence[BuiltString]) -> tuple[BuiltString, ...]:
    seen: list[BuiltString] = []
    for s in strings:
        if s not in seen:
            seen.append(s)
        if len(seen) >= MAX_ALTERNATIVES:
            break
    return tuple(seen)


def concat(left: Sequence[BuiltString], right: Sequence[BuiltString]) -> tuple[BuiltString, ...]:
    return dedupe([a + b for a in left for b in right])


def strings_trust(strings: Sequence[BuiltString]) -> Trust:
    return worst(p.trust for s in strings for p in s if isinstance(p, Hole))


def render(sql: BuiltString, *, with_holes: str | None = None) -> str:
    """The SQL text, holes replaced by identifiers (`RENDERED_HOLE`), or by `with_holes`."""
    out = []
    for index, part in enumerate(sql):
        if isinstance(part, Piece):
            out.append(part.text)
        else:
            out.append(f"hole_{index}" if with_holes is None else with_holes)
    return "".join(out)


# What `render` writes for a hole.
RENDERED_HOLE = r"hole_\d+"


def untrusted_holes(sql: BuiltString) -> list[Hole]:
    return [p for p in sql if isinstance(p, Hole) and p.trust.untrusted]


def quoted_unknown_holes(sql: BuiltString) -> list[Hole]:
    """Values of unknown origin (read back from the database, returned by the application)
    spliced inside a quoted SQL string (`WHERE id = '{doc_id}'`): a quote in the value ends the
    string. A value its type constrains (`int`, `UUID`) or one escaped is trusted, not unknown."""
    quotes = 0
    found = []
    for part in sql:
        if isinstance(part, Piece):
            quotes += part.text.count("'")
        elif part.trust.level is Level.UNKNOWN and quotes % 2 == 1:
            found.append(part)
    return found


def has_fstring(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.ConcatenatedString):
        return has_fstring(node.left) or has_fstring(node.right)
    return isinstance(node, cst.FormattedString)


def unescape_braces(text: str) -> str:
    return text.replace("{{", "{").replace("}}", "}")


PERCENT_SPEC = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<conversion>[diouxXeEfFgGcrsa%])"
)
