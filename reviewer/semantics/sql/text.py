"""SQL text as sqlglot parses it: what a statement's result projects, stars included; holes are
replaced by identifiers and placeholders of every style (`:name`, `%s`, `%(name)s`, `?`, `$1`) left
to the dialect."""

from __future__ import annotations

import re
from dataclasses import dataclass

from reviewer import lazy_cst as cst
from reviewer.semantics.flow.strings import RENDERED_HOLE, BuiltString, Hole, Piece, render
from reviewer.semantics.flow.trust import CALLER
from reviewer.semantics.sql.sinks import SQL_PARAMETER_NAMES

_DIALECTS = ("postgres", "mysql", "sqlite", "tsql")
# The opening of a derived table: `FROM (`, `JOIN (`, `LATERAL (`.
_DERIVED_OPENING = r"\b(?:FROM|JOIN|LATERAL)\s*\("
# ... at the end of the text before a hole.
_DERIVED_TABLE_OPENING = re.compile(_DERIVED_OPENING + "$", re.IGNORECASE)


@dataclass
class StarProjection:
    piece: Piece
    projection: str


def is_statement_head(sql: BuiltString, hole: Hole) -> bool:
    """A caller's SQL statement that the text continues or wraps, where the function's contract is
    to take SQL: a parameter named for SQL (`query`, `sql`, `base_query`) where a statement starts,
    at the opening of the text or of a parenthesis (`f"{query} LIMIT 10"`), or any parameter that
    fills a derived table whole (`f"SELECT MIN(ts) FROM ({entity_df}) AS t"`): only a `SELECT` can
    stand there, never a value or a name. Its callers are judged, not it."""
    if hole.trust.origin != CALLER or not isinstance(hole.expr, cst.Name):
        return False
    parts = list(sql)
    at = next((index for index, part in enumerate(parts) if part is hole), None)
    if at is None:
        return False
    head = "".join(part.text if isinstance(part, Piece) else "hole" for part in parts[:at]).rstrip()
    if (not head or head.endswith("(")) and SQL_PARAMETER_NAMES.match(hole.expr.value):
        return True
    after = parts[at + 1] if at + 1 < len(parts) else None
    closed = isinstance(after, Piece) and after.text.lstrip().startswith(")")
    return closed and bool(_DERIVED_TABLE_OPENING.search(head))


def star_projections(sql: BuiltString) -> list[StarProjection]:
    """`SELECT *` / `alias.*` in the projection of the statement's result (not in EXISTS or
    subqueries, not COUNT(*)). Parsed with sqlglot; on text it cannot parse, a token scan that
    only looks at top-level SELECT lists."""
    text = render(sql)
    if "*" not in text:
        return []
    found = _parsed_stars(_DERIVED_HOLES.sub(_holes_as_queries, text))
    if found is None:
        found = _scanned_stars(text)
    if not found:
        return []
    results = []
    for projection in found:
        piece = _piece_with_star(sql, projection)
        if piece is not None:
            results.append(StarProjection(piece, projection))
    return results[:1]


def _parsed_stars(text: str) -> list[str] | None:
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    for dialect in _DIALECTS:
        try:
            trees = sqlglot.parse(text, read=dialect)
        except (SqlglotError, RecursionError, ValueError, KeyError, TypeError, AttributeError):
            continue
        stars: list[str] = []
        for tree in trees:
            if tree is None:
                continue
            if isinstance(tree, exp.Command):
                return None
            for select in _result_selects(tree):
                if _returns_no_rows(select):
                    continue  # a probe of the result's columns (`SELECT * FROM (...) LIMIT 0`)
                if _from_named_columns(select):
                    continue  # `SELECT * FROM (SELECT id, name FROM users) AS u`: the inner query names them
                stars.extend(star for projection in select.expressions if (star := _star(projection)))
        return stars
    return None


def _returns_no_rows(select) -> bool:  # noqa: ANN001 - a sqlglot expression
    """`LIMIT 0` (`TOP 0`), `WHERE 1 = 0`, `WHERE FALSE`: the statement reads the names and types
    of its result's columns, no row."""
    from sqlglot import exp

    limit = select.args.get("limit")
    count = limit.expression if isinstance(limit, exp.Limit) else None
    if isinstance(count, exp.Literal) and not count.is_string and count.this == "0":
        return True
    where = select.args.get("where")
    test = where.this if isinstance(where, exp.Where) else None
    return isinstance(test, exp.Boolean) and test.this is False or (
        isinstance(test, exp.EQ) and all(isinstance(side, exp.Literal) and not side.is_string for side in
                                         (test.left, test.right)) and test.left.this != test.right.this)


def _from_named_columns(select) -> bool:  # noqa: ANN001 - a sqlglot expression
    """Whether every table a query reads is a derived table whose query names its columns
    (`FROM (SELECT id, name FROM users) AS u`, each branch of a `UNION` in it too): its star
    selects those columns, whatever the tables beneath hold."""
    from sqlglot import exp

    source = select.args.get("from_", select.args.get("from"))
    tables = [source.this] if isinstance(source, exp.From) else []
    tables += [join.this for join in select.args.get("joins") or ()]
    return bool(tables) and all(map(_names_its_columns, tables))


def _names_its_columns(table) -> bool:  # noqa: ANN001 - a sqlglot expression
    """A derived table whose query, each branch of it, selects no star."""
    from sqlglot import exp

    if not isinstance(table, exp.Subquery) or isinstance(table.this, exp.Table):
        return False
    selects = list(_result_selects(table.this))
    return bool(selects) and not any(_star(projection) for inner in selects for projection in inner.expressions)


def _star(projection) -> str | None:  # noqa: ANN001 - a sqlglot expression
    """`*` or `alias.*`, for a star in a select list; None for anything else."""
    from sqlglot import exp

    if isinstance(projection, exp.Star):
        return "*"
    if isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
        return f"{projection.table}.*"
    return None


# A derived table that values of the code fill whole (`FROM ({inner}) AS g`, `FROM ({images}
# UNION ALL {videos})`), holes as `render` names them: queries built, and checked, where they are
# written. Each becomes a query naming one column (`SELECT hole_1 AS hole_1`) for the parser.
_HOLE = re.compile(RENDERED_HOLE)
_DERIVED_HOLES = re.compile(
    rf"({_DERIVED_OPENING}\s*)({RENDERED_HOLE}(?:\s+(?:UNION|INTERSECT|EXCEPT)(?:\s+(?:ALL|DISTINCT))?\s+"
    rf"{RENDERED_HOLE})*)(?=\s*\))",
    re.IGNORECASE)


def _holes_as_queries(match: re.Match[str]) -> str:
    return match.group(1) + _HOLE.sub(lambda hole: f"SELECT {hole.group()} AS {hole.group()}", match.group(2))


def _result_selects(tree):  # noqa: ANN001, ANN202 - sqlglot expressions
    from sqlglot import exp

    if isinstance(tree, exp.Subquery):
        yield from _result_selects(tree.this)
    elif isinstance(tree, exp.Select):
        yield tree
    elif isinstance(tree, exp.SetOperation):
        yield from _result_selects(tree.left)
        yield from _result_selects(tree.right)
    elif isinstance(tree, (exp.Insert, exp.Create)):
        if tree.expression is not None:
            yield from _result_selects(tree.expression)
    elif isinstance(tree, exp.Explain if hasattr(exp, "Explain") else ()):
        yield from _result_selects(tree.this)


def _scanned_stars(text: str) -> list[str]:
    from sqlglot.errors import SqlglotError
    from sqlglot.tokens import Tokenizer, TokenType

    try:
        tokens = Tokenizer().tokenize(text)
    except (SqlglotError, ValueError, KeyError):
        return []
    stars = []
    depth = 0
    for index, token in enumerate(tokens):
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth = max(0, depth - 1)
        elif token.token_type == TokenType.SELECT and depth == 0:
            following = tokens[index + 1 : index + 4]
            while following and following[0].token_type in (TokenType.DISTINCT, TokenType.ALL):
                following = following[1:]
            if following and following[0].token_type == TokenType.STAR:
                stars.append("*")
            elif (
                len(following) >= 3
                and following[1].token_type == TokenType.DOT
                and following[2].token_type == TokenType.STAR
            ):
                stars.append(f"{following[0].text}.*")
    return stars


_STAR_IN_SELECT = re.compile(
    r"\bselect\s+(?:distinct\s+)?(?:\w+\s*\.\s*)?\*|,\s*\w+\s*\.\s*\*|\w+\s*\.\s*\*\s*,", re.IGNORECASE
)


def _piece_with_star(sql: BuiltString, projection: str) -> Piece | None:
    pieces = [p for p in sql if isinstance(p, Piece)]
    for piece in pieces:
        if _STAR_IN_SELECT.search(piece.text):
            return piece
    for piece in pieces:
        if "*" in piece.text:
            return piece
    return None
