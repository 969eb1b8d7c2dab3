"""Queries as code writes them: which statement a call runs, what it selects, its loader options.

`query_of(expr, ...)` reads an expression that yields rows (`session.scalars(stmt).all()`,
`(await session.execute(select(Order).options(...))).scalars()`, `session.query(Order).filter(...)`,
SQLModel's `session.exec(select(Hero))`) back to the statement it runs, through the function's
own assignments (`stmt = select(Order)`, `stmt = stmt.where(...)`, `result = await
session.execute(stmt)`), and answers with a `Query`: the entity selected (when one is), whether
rows are instances of it, which attributes its loader options name, and a literal `.limit(n)`.

A query whose options cannot be read (`.options(*opts)`, options from a helper) says so
(`options_unknown`): a rule must then assume they load what it asks about.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.syntax import string_value

if TYPE_CHECKING:  # not at run time: loading the rules must not import libcst (`reviewer.lazy_cst`)
    from collections.abc import Sequence

    Lookup = Callable[[str], Sequence[tuple[cst.BaseExpression, cst.CSTNode | None]]]

SELECT_FUNCTIONS = frozenset({
    "sqlalchemy.select", "sqlalchemy.future.select", "sqlalchemy.sql.select", "sqlalchemy.sql.expression.select",
    "sqlmodel.select", "sqlmodel.sql.expression.select",
})
LOADER_OPTIONS = frozenset({
    f"sqlalchemy.orm.{name}" for name in (
        "selectinload", "joinedload", "subqueryload", "immediateload", "contains_eager", "raiseload", "noload",
        "lazyload", "defaultload", "Load", "load_only", "defer", "undefer", "undefer_group", "selectin_polymorphic",
        "with_loader_criteria", "with_polymorphic", "joinedload_all", "selectinload_all",
    )
}) | frozenset({"sqlalchemy.orm.strategy_options.Load"})
# Session methods that run a statement given as their first argument.
RUNNERS = frozenset({"execute", "scalars", "scalar", "exec"})
# Methods that refine a statement or a result without changing what its rows are.
PASS_THROUGH = frozenset({
    "where", "filter", "filter_by", "order_by", "join", "outerjoin", "join_from", "outerjoin_from", "select_from",
    "distinct", "offset", "group_by", "having", "execution_options", "all", "unique", "fetchall", "correlate",
    "params", "with_for_update", "populate_existing", "yield_per", "enable_eagerloads",
})
_MAX_DEPTH = 6


@dataclass
class Query:
    """A query found behind an expression."""

    base: cst.Call | None = None  # `select(Order)` / `session.query(Order)`: where options attach
    entity: cst.BaseExpression | None = None  # `Order`, when exactly one thing is selected
    entity_name: str | None = None  # qualified through the imports
    scalars: bool = False  # rows are instances of the entity, not `Row` tuples
    loaded: set[str] = field(default_factory=set)  # attribute names (or `*`) loader options name
    options_unknown: bool = False
    bound: int | None = None  # a literal `.limit(n)`
    awaited: bool = False  # run by an awaited call: an async session
    statement: cst.CSTNode | None = None  # the statement holding `base`, when it is an assignment's

    def loads(self, attribute: str) -> bool:
        """Whether loader options (or options the reader cannot see) may load `attribute`."""
        return self.options_unknown or "*" in self.loaded or attribute in self.loaded


def root_name(expr: cst.BaseExpression) -> str | None:
    """The name a chain of calls and attributes starts from: `stmt` of `stmt.where(...).limit(1)`."""
    while True:
        if isinstance(expr, cst.Await):
            expr = expr.expression
        elif isinstance(expr, cst.Call):
            expr = expr.func
        elif isinstance(expr, (cst.Attribute, cst.Subscript)):
            expr = expr.value
        elif isinstance(expr, cst.Name):
            return expr.value
        else:
            return None


def mentioned(node: cst.CSTNode, found: set[str]) -> None:
    """Attribute names, names and string paths in a small expression (loader options)."""
    if isinstance(node, cst.Attribute):
        found.add(node.attr.value)
        mentioned(node.value, found)
    elif isinstance(node, cst.Name):
        found.add(node.value)
    elif isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        text = string_value(node)
        if text:
            found.update(text.split("."))
    elif isinstance(node, cst.Call):
        mentioned(node.func, found)
        for arg in node.args:
            mentioned(arg.value, found)
    elif isinstance(node, (cst.Tuple, cst.List)):
        for element in node.elements:
            mentioned(element.value, found)


class _Reader:
    def __init__(self, lookup: Lookup, qualify: Callable[[cst.BaseExpression], str | None]) -> None:
        self.lookup = lookup
        self.qualify = qualify

    def walk(self, expr: cst.BaseExpression, query: Query, depth: int, stop: str | None = None) -> bool:
        while True:
            if isinstance(expr, cst.Await):
                query.awaited = True
                expr = expr.expression
                continue
            if isinstance(expr, cst.Name):
                return expr.value == stop or self.through_name(expr.value, query, depth)
            if not isinstance(expr, cst.Call):
                return False
            func = expr.func
            if isinstance(func, cst.Attribute) and func.attr.value == "select" and (
                    self.qualify(func) in SELECT_FUNCTIONS):
                return self.select(expr, query)
            if isinstance(func, cst.Attribute):
                method = func.attr.value
                if method == "options":
                    self.options(expr, query)
                elif method == "limit":
                    arg = expr.args[0].value if len(expr.args) == 1 else None
                    if isinstance(arg, cst.Integer):
                        query.bound = int(arg.evaluated_value)
                elif method in RUNNERS and expr.args:
                    query.scalars = query.scalars or method in ("scalars", "exec")
                    return self.walk(expr.args[0].value, query, depth, stop)
                elif method == "query" and expr.args:
                    query.base = expr
                    if len(expr.args) == 1 and not expr.args[0].star and expr.args[0].keyword is None:
                        query.entity = expr.args[0].value
                        query.scalars = True
                    return True
                elif method == "scalars" and not expr.args:
                    query.scalars = True
                elif method not in PASS_THROUGH:
                    return False
                expr = func.value
                continue
            return self.qualify(func) in SELECT_FUNCTIONS and self.select(expr, query)

    @staticmethod
    def select(call: cst.Call, query: Query) -> bool:
        query.base = call
        if len(call.args) == 1 and not call.args[0].star and call.args[0].keyword is None:
            query.entity = call.args[0].value
        return True

    def through_name(self, name: str, query: Query, depth: int) -> bool:
        if depth >= _MAX_DEPTH:
            return False
        values = self.lookup(name)
        roots = [(value, statement) for value, statement in values if root_name(value) != name]
        if len(roots) != 1:
            return False
        for value, _ in values:
            if root_name(value) == name and not self.walk(value, query, depth + 1, stop=name):
                return False
        value, statement = roots[0]
        before = query.base
        found = self.walk(value, query, depth + 1)
        if found and query.base is not before and statement is not None and query.statement is None:
            query.statement = statement
        return found

    def options(self, call: cst.Call, query: Query) -> None:
        for arg in call.args:
            value = arg.value
            root = value
            while isinstance(root, cst.Call) and isinstance(root.func, cst.Attribute) and isinstance(
                    root.func.value, cst.Call):
                root = root.func.value  # `selectinload(A.b).joinedload(B.c)`
            if arg.star or not isinstance(root, cst.Call) or self.qualify(root.func) not in LOADER_OPTIONS:
                query.options_unknown = True
                continue
            mentioned(value, query.loaded)


def query_of(expr: cst.BaseExpression, lookup: Lookup, qualify: Callable[[cst.BaseExpression], str | None],
             ) -> Query | None:
    """The query whose rows `expr` is, or None when `expr` is not read back to one."""
    query = Query()
    if not _Reader(lookup, qualify).walk(expr, query, 0) or query.base is None:
        return None
    if query.entity is not None and isinstance(query.entity, (cst.Name, cst.Attribute)):
        query.entity_name = qualify(query.entity)
    return query


def runs_query(call: cst.Call, lookup: Lookup, qualify: Callable[[cst.BaseExpression], str | None]) -> Query | None:
    """The query a session call runs by itself: `session.execute(select(...))`, `session.scalars(stmt)`,
    `session.get(Order, key)` (its entity is `Order`), else None."""
    func = call.func
    if not isinstance(func, cst.Attribute):
        return None
    method = func.attr.value
    if method in RUNNERS and call.args:
        return query_of(call, lookup, qualify)
    if method == "get" and len(call.args) >= 2 and all(arg.keyword is None and not arg.star for arg in call.args[:2]):
        entity = call.args[0].value
        if isinstance(entity, (cst.Name, cst.Attribute)):
            name = qualify(entity)
            if name and not name.startswith("builtins."):
                return Query(base=call, entity=entity, entity_name=name, scalars=True)
    return None
