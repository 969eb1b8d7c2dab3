"""One function's listing: what reaches its return value, whole reads, limits and clamps.

`FunctionState` is what the per-file walk notes of a function (`ListingFacts`); `FunctionReader`
reads it, once the walk leaves the function, into the `FunctionListing` the summary keeps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.semantics.fastapi.listing.records import FunctionListing, ReturnedCall, WholeRead
from reviewer.semantics.names import dotted_name
from reviewer.semantics.orm.queries import query_of
from reviewer.syntax import argument_slots, string_value
from reviewer.traversal import atoms, descendants, push_children

if TYPE_CHECKING:
    from collections.abc import Callable

    from reviewer.rule import FileContext

# Methods of a statement that bound how many rows it yields.
_BOUNDING_METHODS = frozenset({"limit", "slice", "fetch", "first", "one", "one_or_none", "scalar_one"})
# Calls that fetch every row a literal SQL text selects.
SQL_FETCHES = frozenset({"fetch", "fetchall", "fetch_all"})
_SQL_RUNNERS = frozenset({"execute", "exec_driver_sql", "fetch", "fetchall", "fetch_all"})
# What a result passes through without changing which rows it holds.
_RESULT_METHODS = frozenset({"scalars", "mappings", "unique", "tuples"})
# Builtins whose result says something about rows without being them.
_NOT_ROWS = frozenset({"builtins.len", "builtins.any", "builtins.all", "builtins.sum", "builtins.bool",
                       "builtins.next", "builtins.max", "builtins.min", "builtins.isinstance"})
_AGGREGATE = re.compile(r"^\s*SELECT\s+(?:DISTINCT\s+)?(?:COUNT|SUM|MAX|MIN|AVG|EXISTS)\s*\(", re.IGNORECASE)
_SQL_BOUND = re.compile(r"\bLIMIT\b|\bFETCH\s+(?:FIRST|NEXT)\b|\bTOP\s*\(?\d", re.IGNORECASE)
_SELECT = re.compile(r"^\s*(?:SELECT|WITH)\b", re.IGNORECASE)
_BY_KEY_SQL = re.compile(r"\bWHERE\b.*(?:=|\bIN)\s*\(?\s*(?::\w|\$\d|%s|\?)", re.IGNORECASE | re.DOTALL)


@dataclass
class FunctionState:
    qualname: str
    params: tuple[str, ...]
    bounded: tuple[str, ...]
    receiver: str | None = None  # `self` of a method
    assigned: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    returns: list[cst.BaseExpression] = field(default_factory=list)
    calls: list[cst.Call] = field(default_factory=list)
    reads: list[cst.Call] = field(default_factory=list)
    statements: dict[int, cst.CSTNode | None] = field(default_factory=dict)  # read -> its statement
    limits: list[cst.Call] = field(default_factory=list)
    pages: list[cst.Call] = field(default_factory=list)  # `.limit(x)`/`.offset(x)` of a value
    clamps: list[cst.BaseExpression] = field(default_factory=list)
    paginates: bool = False


class FunctionReader:
    """Reads one function's collected calls and assignments into its `FunctionListing`."""

    def __init__(self, state: FunctionState, context: FileContext) -> None:
        self.state = state
        self.context = context
        self.qualify: Callable[[cst.BaseExpression], str | None] = context.qualify
        self.code = context.tree.code_for_node
        self._memo: dict[tuple[str, frozenset[str]], set[str]] = {}

    def lookup(self, name: str) -> list[tuple[cst.BaseExpression, None]]:
        return [(value, None) for value in self.state.assigned.get(name, ())]

    def listing(self) -> FunctionListing | None:
        state = self.state
        if not (state.returns or state.limits or state.pages or state.clamps or state.bounded or state.paginates):
            return None  # returns nothing, bounds nothing: nothing to record (most functions)
        returned_calls = self._returned() if state.returns and (state.reads or state.calls) else set()
        listing = FunctionListing(state.qualname, state.params, bounded_params=state.bounded,
                                  paginates=state.paginates)
        params = set(state.params)
        for read in state.reads:
            if id(read) not in returned_calls:
                continue
            found = self._whole_read(read)
            if found is not None:
                listing.whole_reads.append(found)
        reads = {id(read) for read in state.reads}
        for call in state.calls:
            if id(call) not in returned_calls or id(call) in reads:
                continue
            qualified = self.qualify(call.func)
            if qualified and qualified.startswith("builtins."):
                continue
            # Only what is passed as it is (`limit=limit`, `size=page_size`): a page size travels so.
            arguments = tuple((slot, name) for slot, value in argument_slots(call) if isinstance(value, cst.Name)
                              for name in self._params_in(value, params))
            listing.returned_calls.append(ReturnedCall(qualified, dotted_name(call.func), arguments))
        limit_params: dict[str, str] = {}
        for call in state.limits:
            for arg in call.args:
                for name in self._params_in(arg.value, params):
                    limit_params.setdefault(name, f".limit({_short(self.code(arg.value), 40)})")
        listing.limit_params = tuple(limit_params)
        paged = set()
        for call in state.pages:
            query = query_of(call, self.lookup, self.qualify)
            if query is not None and query.entity_name:
                paged.add(query.entity_name)
        listing.paged_entities = tuple(sorted(paged))
        listing.limit_texts = limit_params
        listing.clamped = tuple(sorted({name for clamp in state.clamps for name in self._params_in(clamp, params)}))
        if not (listing.whole_reads or listing.returned_calls or listing.limit_params or listing.paginates
                or listing.bounded_params or listing.paged_entities):
            return None
        return listing

    # what reaches the return value ----------------------------------------------------------------

    def _returned(self) -> set[int]:
        """Ids of the calls whose values reach a `return` (also through the function's variables),
        but not through what says something of rows without being them (`len(rows)`, `rows[0]`,
        a lambda), nor through names that are no variable (`rows.count`, `f(count=...)`)."""
        calls: set[int] = set()
        names: set[str] = set()
        assigned = self.state.assigned
        pending: list[cst.CSTNode] = list(self.state.returns)
        leaves = atoms()
        while pending:
            node = pending.pop()
            kind = type(node)
            if kind is cst.Name:
                if node.value in assigned and node.value not in names:
                    names.add(node.value)
                    pending.extend(assigned[node.value])
                continue
            if kind is cst.Call:
                if self.qualify(node.func) in _NOT_ROWS:
                    continue
                calls.add(id(node))
            elif kind is cst.Attribute:
                pending.append(node.value)
                continue
            elif kind is cst.Arg:
                pending.append(node.value)
                continue
            elif kind in leaves or kind is cst.Lambda or kind is cst.Subscript and _constant_index(node):
                continue
            push_children(node, pending)
        return calls

    def _params_in(self, expression: cst.BaseExpression, params: set[str]) -> set[str]:
        """The function's parameters an expression is computed from, also through its variables
        (the value of `a if test else b`, not its test)."""
        found: set[str] = set()
        assigned = self.state.assigned
        pending: list[cst.CSTNode] = [expression]
        leaves = atoms()
        while pending:
            node = pending.pop()
            kind = type(node)
            if kind is cst.Name:
                if node.value in params:
                    found.add(node.value)
                elif node.value in assigned:
                    found |= self._variable_params(node.value, params)
            elif kind is cst.Attribute or kind is cst.Arg:
                pending.append(node.value)
            elif kind is cst.IfExp:
                pending.extend((node.body, node.orelse))
            elif kind not in leaves:
                push_children(node, pending)
        return found

    def _variable_params(self, name: str, params: set[str]) -> set[str]:
        """The parameters a variable is computed from (once per variable: a large function assigns
        many variables from many others)."""
        key = (name, frozenset(params))
        memo = self._memo
        if key in memo:
            return memo[key]
        memo[key] = set()  # a variable computed from itself adds nothing
        found: set[str] = set()
        for value in self.state.assigned[name]:
            found |= self._params_in(value, params)
        memo[key] = found
        return found

    # whole reads --------------------------------------------------------------------------------

    def _whole_read(self, call: cst.Call) -> WholeRead | None:
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in SQL_FETCHES and call.args:
            sql = self._sql_text(call.args[0].value)
            return self._sql_read(call, sql)
        receiver = func.value if isinstance(func, cst.Attribute) else call.args[0].value
        query = query_of(receiver, self.lookup, self.qualify)
        if query is not None and query.base is not None:
            if self._bounded(receiver, 0, set()) or _aggregates(query.base) or self._grouped(receiver):
                return None
            text, line = self._placed(call)
            return WholeRead(text, _short(self.code(query.base)), line, self._by_key(receiver, 0, set()),
                             query.entity_name)
        sql = self._executed_sql(receiver, 0)
        if sql is not None:
            return self._sql_read(call, sql)
        return None

    def _sql_read(self, call: cst.Call, sql: str | None) -> WholeRead | None:
        if sql is None or not _SELECT.match(sql) or _SQL_BOUND.search(sql) or _AGGREGATE.match(sql):
            return None
        text, line = self._placed(call)
        return WholeRead(text, _short(" ".join(sql.split())), line, bool(_BY_KEY_SQL.search(sql)))

    def _placed(self, call: cst.Call) -> tuple[str, int]:
        """The read as written (shortened), and the line it starts on: found by its text where the
        file spells it once, since placing a node parses the whole file again when nothing else
        in it has asked for a position."""
        code = self.code(call)
        at = _once(self.context.source, code)
        if at is None:
            return _short(code), self.context.span(call, self.state.statements.get(id(call))).line
        return _short(code), self.context.source.count("\n", 0, at) + _bracket_lines(code, len(call.lpar)) + 1

    def _sql_text(self, expression: cst.BaseExpression, depth: int = 0) -> str | None:
        """A literal SQL text: `"SELECT ..."`, `text("SELECT ...")`, or a variable holding one."""
        if isinstance(expression, cst.Call) and expression.args:
            if (self.qualify(expression.func) or "").rpartition(".")[2] == "text":
                return self._sql_text(expression.args[0].value, depth)
            return None
        if isinstance(expression, cst.Name) and depth < 3:
            values = self.state.assigned.get(expression.value, ())
            return self._sql_text(values[0], depth + 1) if len(values) == 1 else None
        return string_value(expression)

    def _executed_sql(self, expression: cst.BaseExpression, depth: int) -> str | None:
        """The literal SQL a result comes from: `(await conn.execute(text("SELECT ..."))).mappings()`."""
        while True:
            if isinstance(expression, cst.Await):
                expression = expression.expression
            elif isinstance(expression, cst.Name) and depth < 4:
                values = self.state.assigned.get(expression.value, ())
                if len(values) != 1:
                    return None
                expression, depth = values[0], depth + 1
            elif isinstance(expression, cst.Call) and isinstance(expression.func, cst.Attribute):
                method = expression.func.attr.value
                if method in _SQL_RUNNERS and expression.args:
                    return self._sql_text(expression.args[0].value)
                if method not in _RESULT_METHODS:
                    return None
                expression = expression.func.value
            else:
                return None

    def _chain(self, expression: cst.BaseExpression, depth: int, seen: set[int]):  # noqa: ANN202
        """Every call along a statement's chain, through the variables it is built in."""
        while True:
            if id(expression) in seen:
                return
            seen.add(id(expression))
            if isinstance(expression, cst.Await):
                expression = expression.expression
            elif isinstance(expression, cst.Call):
                yield expression
                if isinstance(expression.func, cst.Attribute):
                    for arg in expression.args[:1]:
                        if isinstance(arg.value, (cst.Name, cst.Call)):
                            yield from self._chain(arg.value, depth, seen)
                    expression = expression.func.value
                else:
                    for arg in expression.args[:1]:
                        yield from self._chain(arg.value, depth, seen)
                    return
            elif isinstance(expression, (cst.Attribute, cst.Subscript)):
                expression = expression.value
            elif isinstance(expression, cst.Name) and depth < 6:
                for value in self.state.assigned.get(expression.value, ()):
                    yield from self._chain(value, depth + 1, seen)
                return
            else:
                return

    def _bounded(self, expression: cst.BaseExpression, depth: int, seen: set[int]) -> bool:
        for call in self._chain(expression, depth, seen):
            if isinstance(call.func, cst.Attribute) and call.func.attr.value in _BOUNDING_METHODS:
                return True
        return False

    def _by_key(self, expression: cst.BaseExpression, depth: int, seen: set[int]) -> bool:
        """Scoped to what the caller names: a `where`/`filter` that compares a column with a value
        computed from the function's parameters (`Item.owner_id == owner_id`, `X.id.in_(ids)`,
        `deployment.tags` of the deployment a parameter names), or from the state of the object
        whose method it is (a repository bound to one group: `X.group_id == self.group_id`)."""
        params = {*self.state.params, *([self.state.receiver] if self.state.receiver else [])}
        for call in self._chain(expression, depth, seen):
            if not isinstance(call.func, cst.Attribute) or call.func.attr.value not in ("where", "filter", "filter_by"):
                continue
            for arg in call.args:
                if self._params_in(arg.value, params):
                    return True
        return False

    def _grouped(self, expression: cst.BaseExpression) -> bool:
        """`.group_by(...)`: one row per group, not per row of the table."""
        return any(isinstance(call.func, cst.Attribute) and call.func.attr.value == "group_by"
                   for call in self._chain(expression, 0, set()))


def _aggregates(base: cst.Call) -> bool:
    """`select(func.count(...))`, `query(X.kind, func.sum(...))`: rows of aggregates."""
    for arg in base.args:
        for node in descendants(arg.value):
            callee = dotted_name(node.func) if isinstance(node, cst.Call) else None
            if (callee or "").startswith(("func.", "sqlalchemy.func.", "sa.func.")):
                return True
    return False


def _constant_index(node: cst.Subscript) -> bool:
    """`rows[0]`: one row, not the rows."""
    return all(isinstance(element.slice, cst.Index) and isinstance(element.slice.value, cst.Integer)
               for element in node.slice)


def _once(source: str, text: str) -> int | None:
    """Where `source` spells `text`, if it does exactly once. Code generated for a node alone has
    its continuation lines without the block's indentation, so those may start with any."""
    if "\n" not in text:
        at = source.find(text)
        return at if at >= 0 and source.find(text, at + 1) < 0 else None
    pattern = re.compile("\\r?\n[ \t]*".join(re.escape(line) for line in text.splitlines()))
    found = pattern.search(source)
    return found.start() if found is not None and pattern.search(source, found.start() + 1) is None else None


def _bracket_lines(code: str, brackets: int) -> int:
    """The lines the brackets around a node take before it starts (a position leaves them out)."""
    at = 0
    for _ in range(brackets):
        at = code.index("(", at) + 1
    while at < len(code) and code[at] in " \t\r\n":
        at += 1
    return code.count("\n", 0, at)


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
