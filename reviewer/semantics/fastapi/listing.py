"""How endpoints list rows: which functions return every row of a query, and which take a page size.

Per file, `ListingFacts` reads each function's body for what a list endpoint's answer is made
of, as plain records (`FunctionListing`):

- `whole_reads`: rows fetched whole (`.all()`, `scalars().all()`, SQLModel `exec(...).all()`,
  `list(session.scalars(...))`, `fetchall()`/`fetch_all()`/`fetch()` of a literal `SELECT`) from
  a query with no `.limit(...)`/`.slice(...)`/`LIMIT`, when the rows reach what the function
  returns (directly, through its variables, or through a loop that appends them);
- `returned_calls`: calls whose result reaches what the function returns, with the function's
  own parameters each call is handed (so a page size is followed into a repository helper);
- `limit_params`: parameters that reach a `.limit(...)`; `clamped`: parameters bounded in the
  body (`min(limit, MAX)`, `if limit > MAX: raise ...`); `bounded_params`: parameters declared
  with an upper bound (`Query(le=...)`, `Field(lt=...)`, `conint(le=...)`, `Literal[...]`);
- `paginates`: the function hands its query to a paginator (fastapi-pagination's `paginate`).

Over the repository, `ListingIndex` (`repo.facts(ListingFacts)`) follows an endpoint's returned
calls across modules and answers `unbounded_rows(endpoint)` (a whole read the endpoint returns)
and `unbounded_limit(endpoint)` (a page-size parameter with no upper bound that reaches a
`.limit(...)`); `page_bound(index, endpoint)` is the rule-agnostic summary of both for reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.semantics.fastapi.collector import FastAPIFacts
from reviewer.semantics.names import dotted_name
from reviewer.semantics.orm.queries import query_of
from reviewer.syntax import argument_slots, keyword, string_value
from reviewer.traversal import child_fields, trivia

if TYPE_CHECKING:
    from collections.abc import Callable

    from reviewer.facts import RepositoryView
    from reviewer.rule import FileContext
    from reviewer.semantics.fastapi.index import Endpoint, EndpointIndex
    from reviewer.semantics.fastapi.records import TypeRef

FACTS_KEY = "listing"
_RELEVANT = re.compile(r"fastapi|sqlalchemy|sqlmodel|fetchall|fetch_all|\.all\(\)")
# Methods of a statement that bound how many rows it yields.
_BOUNDING_METHODS = frozenset({"limit", "slice", "fetch", "first", "one", "one_or_none", "scalar_one"})
# Calls that fetch every row a literal SQL text selects.
_SQL_FETCHES = frozenset({"fetch", "fetchall", "fetch_all"})
_SQL_RUNNERS = frozenset({"execute", "exec_driver_sql", "fetch", "fetchall", "fetch_all"})
# What a result passes through without changing which rows it holds.
_RESULT_METHODS = frozenset({"scalars", "mappings", "unique", "tuples"})
# Builtins whose result says something about rows without being them.
_NOT_ROWS = frozenset({"builtins.len", "builtins.any", "builtins.all", "builtins.sum", "builtins.bool",
                       "builtins.next", "builtins.max", "builtins.min", "builtins.isinstance"})
_AGGREGATE = re.compile(r"^\s*SELECT\s+(?:DISTINCT\s+)?(?:COUNT|SUM|MAX|MIN|AVG|EXISTS)\s*\(", re.IGNORECASE)
_SQL_BOUND = re.compile(r"\bLIMIT\b|\bFETCH\s+(?:FIRST|NEXT)\b|\bTOP\s*\(?\d", re.IGNORECASE)
_SELECT = re.compile(r"^\s*(?:SELECT|WITH)\b", re.IGNORECASE)
_BOUND_KEYWORDS = ("le", "lt", "max_value")
_LITERAL = frozenset({"typing.Literal", "typing_extensions.Literal"})
MAX_NAMESAKES = 4  # functions of one name a page size is followed into, when the call names no class
MAX_DEPTH = 4  # calls followed from an endpoint into the helpers that build its answer
PAGINATED_RESPONSES = ("fastapi_pagination.",)


@dataclass(frozen=True, slots=True)
class WholeRead:
    """Rows fetched whole from a query with no bound, and returned."""

    text: str  # the call as written, shortened: `session.exec(statement).all()`
    query: str  # what it selects: `select(Item)`, `SELECT * FROM items`
    line: int
    by_key: bool  # filtered by a value the caller gives (`X.owner_id == owner_id`, `WHERE tag = :tag`)
    entity: str | None = None  # the mapped class selected, qualified through the imports


@dataclass(frozen=True, slots=True)
class ReturnedCall:
    callee: str | None  # qualified through the imports, when it can be
    text: str | None  # as written: `crud.get_items`, `self.repo.list`
    arguments: tuple[tuple[int | str, str], ...]  # (position or keyword, own parameter it passes)


@dataclass(slots=True)
class FunctionListing:
    qualname: str
    params: tuple[str, ...]  # receiver left out
    whole_reads: list[WholeRead] = field(default_factory=list)
    returned_calls: list[ReturnedCall] = field(default_factory=list)
    limit_params: tuple[str, ...] = ()
    clamped: tuple[str, ...] = ()
    bounded_params: tuple[str, ...] = ()
    paginates: bool = False
    # Mapped classes this function queries a page of (`.limit(size)`/`.offset(start)` from a value).
    paged_entities: tuple[str, ...] = ()
    limit_texts: dict[str, str] = field(default_factory=dict)  # parameter -> `.limit(limit)` as written


@dataclass
class _State:
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


class ListingFacts(Facts):
    """Per file: how each function builds what it returns from rows (`FunctionListing`)."""

    requires: ClassVar[tuple[type[Facts], ...]] = (FastAPIFacts,)

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self.functions: dict[str, FunctionListing] = {}
        self._active = bool(_RELEVANT.search(context.source)) and not context.is_test_file
        if self._active:
            context.summary.extras[FACTS_KEY] = self.functions
        self._scope: list[str] = []
        self._classes: list[bool] = []
        self._states: list[_State] = []

    def get_visitors(self):  # noqa: ANN201
        return super().get_visitors() if self._active else {}

    @classmethod
    def repository(cls, repo: RepositoryView) -> ListingIndex:
        return ListingIndex(repo)

    def qualify(self, node: cst.BaseExpression) -> str | None:
        return self.context.qualify(node)

    # scopes -----------------------------------------------------------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._scope.append(node.name.value)
        self._classes.append(True)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._scope.pop()
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        in_class = bool(self._classes) and self._classes[-1]
        is_static = any(isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod"
                        for d in node.decorators)
        all_params = [*node.params.posonly_params, *node.params.params, *node.params.kwonly_params]
        receiver = None
        if in_class and not is_static and all_params:
            receiver = all_params[0].name.value
            all_params = all_params[1:]
        bounded = tuple(param.name.value for param in all_params if self._declares_bound(param))
        qualname = ".".join(p for p in (self.context.module, *self._scope, node.name.value) if p)
        self._states.append(_State(qualname, tuple(p.name.value for p in all_params), bounded, receiver))
        self._scope.append(node.name.value)
        self._classes.append(False)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        state = self._states.pop()
        self._scope.pop()
        self._classes.pop()
        listing = _Finisher(state, self).finish()
        if listing is not None:
            self.functions[state.qualname] = listing

    def _declares_bound(self, param: cst.Param) -> bool:
        """`Query(le=...)`, `Annotated[int, Field(lt=...)]`, `conint(le=...)`, `Literal[10, 50]`."""
        parts = [param.default, param.annotation.annotation if param.annotation is not None else None]
        for part in parts:
            if part is None:
                continue
            for node in _walk(part):
                if isinstance(node, cst.Call) and any(keyword(node, name) for name in _BOUND_KEYWORDS):
                    return True
                if isinstance(node, cst.Subscript) and self.qualify(node.value) in _LITERAL:
                    return True
        return False

    # statements -------------------------------------------------------------------------------

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._states:
            for target in node.targets:
                self._bind(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if self._states and node.value is not None:
            self._bind(node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if self._states:
            self._bind(node.target, node.value)

    def visit_For(self, node: cst.For) -> None:
        if self._states:
            self._bind(node.target, node.iter)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        if self._states:
            self._bind(node.target, node.iter)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if self._states and node.asname is not None:
            self._bind(node.asname.name, node.item)

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        state = self._states[-1]
        if isinstance(target, cst.Name):
            state.assigned.setdefault(target.value, []).append(value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind(element.value, value)
        elif isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name):
            state.assigned.setdefault(target.value.value, []).append(value)  # `result[key] = rows`

    def visit_Return(self, node: cst.Return) -> None:
        if self._states and node.value is not None:
            self._states[-1].returns.append(node.value)

    def visit_Comparison(self, node: cst.Comparison) -> None:
        """`limit > MAX` (or `MAX < limit`): the value is checked against an upper bound."""
        if not self._states:
            return
        left = node.left
        for target in node.comparisons:
            if isinstance(target.operator, (cst.GreaterThan, cst.GreaterThanEqual)):
                self._states[-1].clamps.append(left)
            elif isinstance(target.operator, (cst.LessThan, cst.LessThanEqual)):
                self._states[-1].clamps.append(target.comparator)
            left = target.comparator

    def visit_Call(self, node: cst.Call) -> None:
        if not self._states:
            return
        state = self._states[-1]
        func = node.func
        state.calls.append(node)
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method in ("append", "extend", "add", "update", "insert") and isinstance(func.value, cst.Name):
                for arg in node.args:
                    state.assigned.setdefault(func.value.value, []).append(arg.value)
            elif method == "limit":
                state.limits.append(node)
            if method in ("limit", "offset") and node.args and not isinstance(node.args[0].value, cst.Integer):
                state.pages.append(node)
            if method in ("all", "fetchall") and not node.args or method in _SQL_FETCHES and node.args:
                state.reads.append(node)
                state.statements[id(node)] = self.context.current_statement()
        qualified = self.qualify(func) or ""
        if qualified == "builtins.min":
            state.clamps.extend(arg.value for arg in node.args)
        elif qualified == "builtins.list" and len(node.args) == 1:
            state.reads.append(node)
            state.statements[id(node)] = self.context.current_statement()
        name = qualified or dotted_name(func) or ""
        if qualified.startswith(PAGINATED_RESPONSES) or name.rpartition(".")[2] == "paginate":
            state.paginates = True


class _Finisher:
    """Reads one function's collected calls and assignments into its `FunctionListing`."""

    def __init__(self, state: _State, facts: ListingFacts) -> None:
        self.state = state
        self.facts = facts
        self.qualify: Callable[[cst.BaseExpression], str | None] = facts.qualify
        self.code = facts.context.tree.code_for_node
        self._memo: dict[tuple[str, frozenset[str]], set[str]] = {}

    def lookup(self, name: str) -> list[tuple[cst.BaseExpression, None]]:
        return [(value, None) for value in self.state.assigned.get(name, ())]

    def finish(self) -> FunctionListing | None:
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
        """Ids of the calls whose values reach a `return` (also through the function's variables)."""
        calls: set[int] = set()
        names: set[str] = set()
        pending = list(self.state.returns)
        while pending:
            expression = pending.pop()
            for node in _walk(expression, skip=self._not_rows):
                if isinstance(node, cst.Call):
                    calls.add(id(node))
                elif isinstance(node, cst.Name) and node.value not in names and node.value in self.state.assigned:
                    names.add(node.value)
                    pending.extend(self.state.assigned[node.value])
        return calls

    def _not_rows(self, node: cst.CSTNode) -> bool:
        """`len(rows)`, `rows[0]`: what says something of rows without being them."""
        if isinstance(node, cst.Call):
            return self.qualify(node.func) in _NOT_ROWS
        if isinstance(node, cst.Subscript):
            return all(isinstance(element.slice, cst.Index) and isinstance(element.slice.value, cst.Integer)
                       for element in node.slice)
        return isinstance(node, cst.Lambda)

    def _params_in(self, expression: cst.BaseExpression, params: set[str]) -> set[str]:
        """The function's parameters an expression is computed from, also through its variables."""
        found: set[str] = set()
        for node in _walk(expression, values_only=True):
            if isinstance(node, cst.Name):
                if node.value in params:
                    found.add(node.value)
                elif node.value in self.state.assigned:
                    found |= self._variable_params(node.value, params)
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
        line = self.facts.context.span(call, self.state.statements.get(id(call))).line
        if isinstance(func, cst.Attribute) and func.attr.value in _SQL_FETCHES and call.args:
            sql = self._sql_text(call.args[0].value)
            return self._sql_read(call, sql, line)
        receiver = func.value if isinstance(func, cst.Attribute) else call.args[0].value
        query = query_of(receiver, self.lookup, self.qualify)
        if query is not None and query.base is not None:
            if self._bounded(receiver, 0, set()) or _aggregates(query.base) or self._grouped(receiver):
                return None
            return WholeRead(_short(self.code(call)), _short(self.code(query.base)), line,
                             self._by_key(receiver, 0, set()), query.entity_name)
        sql = self._executed_sql(receiver, 0)
        if sql is not None:
            return self._sql_read(call, sql, line)
        return None

    def _sql_read(self, call: cst.Call, sql: str | None, line: int) -> WholeRead | None:
        if sql is None or not _SELECT.match(sql) or _SQL_BOUND.search(sql) or _AGGREGATE.match(sql):
            return None
        by_key = bool(re.search(r"\bWHERE\b.*(?:=|\bIN)\s*\(?\s*(?::\w|\$\d|%s|\?)", sql, re.IGNORECASE | re.DOTALL))
        return WholeRead(_short(self.code(call)), _short(" ".join(sql.split())), line, by_key)

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
        for node in _walk(arg.value):
            callee = dotted_name(node.func) if isinstance(node, cst.Call) else None
            if (callee or "").startswith(("func.", "sqlalchemy.func.", "sa.func.")):
                return True
    return False


def _is_int(ref: TypeRef | None) -> bool:
    """`int`, `int | None`, `Optional[int]`."""
    if ref is None:
        return False
    if ref.kind == "union" or (ref.kind == "generic" and ref.name in ("typing.Optional", "typing_extensions.Optional")):
        return any(_is_int(arg) for arg in ref.args)
    return ref.kind == "name" and ref.name == "builtins.int"


def _walk(node: cst.CSTNode, skip: Callable[[cst.CSTNode], bool] | None = None,
          values_only: bool = False):  # noqa: ANN202
    """Every node under `node` but layout (`traversal.descendants`, with pruning): not what `skip`
    says, nor, with `values_only`, the test of `a if test else b` (not its value)."""
    layout = trivia()
    pending = [node]
    while pending:
        current = pending.pop()
        if skip is not None and skip(current):
            continue
        yield current
        if values_only and type(current) is cst.IfExp:
            pending.extend((current.body, current.orelse))
            continue
        for name in child_fields(current):
            value = getattr(current, name)
            kind = type(value)
            if kind is tuple or kind is list:
                pending.extend(child for child in value if type(child) not in layout)
            elif value is not None and kind is not cst.MaybeSentinel and kind not in layout:
                pending.append(value)


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# the repository ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unbounded:
    """Why an endpoint's answer has no upper bound."""

    function: str  # where the rows are read, or the limit applied
    read: WholeRead | None = None
    parameter: str | None = None  # the endpoint's page-size parameter with no upper bound
    applied: str = ""  # `.limit(limit)` as written
    namesakes: int = 1  # functions of `function`'s name the value may have gone to (a call naming no class)


class ListingIndex:
    """Follows endpoints into the helpers that build their answer, across modules."""

    def __init__(self, repo: RepositoryView) -> None:
        self.endpoints: EndpointIndex = repo.facts(FastAPIFacts)
        self.functions: dict[str, FunctionListing] = {}
        for summary in repo.summaries:
            self.functions.update(summary.extras.get(FACTS_KEY, {}))
        self._named: dict[str, list[str]] = {}
        for qualname in self.functions:
            self._named.setdefault(qualname.rpartition(".")[2], []).append(qualname)
        self._by_name = {name: found[0] for name, found in self._named.items() if len(found) == 1}
        self._modules = repo.index
        self._paged: set[str | None] | None = None
        self.pages_anything = any(listing.paginates or listing.limit_params or listing.paged_entities
                                  for listing in self.functions.values())

    def callee(self, call: ReturnedCall) -> FunctionListing | None:
        """The repository function a call reaches: by qualified name, else a method found by a name
        no other function of the repository has (`self.repo.list_items(...)`)."""
        for name in (call.callee, self.endpoints.resolve(call.callee), self._modules.canonical(call.callee or "")):
            if name and name in self.functions:
                return self.functions[name]
        text = call.text or ""
        if "." in text:
            name = self._by_name.get(text.rpartition(".")[2])
            return self.functions.get(name) if name else None
        return None

    def namesakes(self, call: ReturnedCall) -> list[FunctionListing]:
        """The functions a call may reach: the one `callee` finds, else, for a method called on an
        attribute (`app.SERVICE.list_runs(...)`), every function of that name (a few at most)."""
        found = self.callee(call)
        if found is not None:
            return [found]
        text = call.text or ""
        names = self._named.get(text.rpartition(".")[2], []) if "." in text else []
        return [self.functions[name] for name in names] if len(names) <= MAX_NAMESAKES else []

    def reached(self, endpoint: Endpoint) -> list[tuple[FunctionListing, int]]:
        """The endpoint's function and the helpers whose results it returns, with their depth."""
        start = self.functions.get(endpoint.function.qualname)
        if start is None:
            return []
        found = [(start, 0)]
        seen = {start.qualname}
        position = 0
        while position < len(found):
            listing, depth = found[position]
            position += 1
            if depth >= MAX_DEPTH:
                continue
            for call in listing.returned_calls:
                target = self.callee(call)
                if target is not None and target.qualname not in seen:
                    seen.add(target.qualname)
                    found.append((target, depth + 1))
        return found

    def unbounded_rows(self, endpoint: Endpoint) -> Unbounded | None:
        """A query whose rows the endpoint returns whole, when nothing on the way paginates and
        the query is not scoped to what the caller names (the rows of one parent)."""
        reached = self.reached(endpoint)
        if any(listing.paginates or listing.limit_params for listing, _ in reached):
            return None
        for listing, _ in reached:
            for read in listing.whole_reads:
                if not read.by_key and self.large(read):
                    return Unbounded(listing.qualname, read=read)
        return None

    @property
    def paged(self) -> set[str | None]:
        """The mapped classes some endpoint answers a page of: the collections the application's
        authors know are large (a batch job's `.limit(n)` is not a page a client asks for)."""
        if self._paged is None:
            self._paged = set()
            done: set[str] = set()
            for endpoint in self.endpoints.endpoints:
                if endpoint.function.qualname in done:
                    continue
                done.add(endpoint.function.qualname)
                for listing, _ in self.reached(endpoint):
                    self._paged.update(self.endpoints.resolve(name) for name in listing.paged_entities)
        return self._paged

    def large(self, read: WholeRead) -> bool:
        """Whether the rows may be many: an endpoint of the application answers pages of the same
        mapped class, or the application pages through nothing at all (no evidence that any
        collection is small)."""
        if read.entity is not None and self.endpoints.resolve(read.entity) in self.paged:
            return True
        return not self.pages_anything

    def unbounded_limit(self, endpoint: Endpoint) -> Unbounded | None:
        """An endpoint parameter with no upper bound that reaches a `.limit(...)`, unclamped."""
        start = self.functions.get(endpoint.function.qualname)
        if start is None:
            return None
        declared = [param.name for param in endpoint.function.params
                    if self.endpoints.parameter_source(param, endpoint.path) == "query"
                    and _is_int(self.endpoints.parameter_type(param))]
        for parameter in declared:
            if parameter in start.bounded_params:
                continue
            found = self._applied(start, parameter, 0, set())
            if found is not None:
                return Unbounded(found[0], parameter=parameter, applied=found[1], namesakes=found[2])
        return None

    def _applied(self, listing: FunctionListing, parameter: str, depth: int,
                 seen: set[str], namesakes: int = 1) -> tuple[str, str, int] | None:
        """Where `parameter` of `listing` reaches a `.limit(...)` with nothing clamping it."""
        if parameter in listing.clamped or parameter in listing.bounded_params or listing.qualname in seen:
            return None
        seen.add(listing.qualname)
        if parameter in listing.limit_params:
            return listing.qualname, listing.limit_texts.get(parameter, ""), namesakes
        if depth >= MAX_DEPTH:
            return None
        for call in listing.returned_calls:
            for slot, passed in call.arguments:
                if passed != parameter:
                    continue
                targets = self.namesakes(call)
                for target in targets:
                    # A function found by its name alone takes the value by the keyword passed.
                    if isinstance(slot, str) or len(targets) == 1 and self.callee(call) is target:
                        received = slot if isinstance(slot, str) else (
                            target.params[slot] if slot < len(target.params) else None)
                    else:
                        received = None
                    if received is None or received not in target.params:
                        continue
                    found = self._applied(target, received, depth + 1, seen, max(namesakes, len(targets)))
                    if found is not None:
                        return found
        return None


def page_bound(index: ListingIndex, endpoint: Endpoint) -> str | None:
    """What leaves an endpoint's answer unbounded, for the endpoint records (`unbounded_rows`):
    `rows of select(Item) in app.crud.list_items`, `limit without upper bound`, or None."""
    rows = index.unbounded_rows(endpoint)
    if rows is not None and rows.read is not None:
        return f"every row of `{rows.read.query}` ({rows.function})"
    limit = index.unbounded_limit(endpoint)
    if limit is not None:
        return f"`{limit.parameter}` has no upper bound ({limit.function})"
    return None
