"""The per-file walk of the listing analysis: what each function's body does with rows.

`ListingFacts` notes, per function, its assignments, returns, calls, reads of every row, limits
and clamps as the engine's walk passes them (`FunctionState`), and when it leaves the function
has `FunctionReader` turn them into the `FunctionListing` the summary keeps.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, ClassVar

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.semantics.fastapi.collector import FastAPIFacts
from reviewer.semantics.fastapi.listing.reader import SQL_FETCHES, FunctionReader, FunctionState
from reviewer.semantics.fastapi.listing.records import FACTS_KEY, FunctionListing
from reviewer.syntax import keyword
from reviewer.traversal import descendants

if TYPE_CHECKING:
    from reviewer.facts import RepositoryView
    from reviewer.rule import FileContext
    from reviewer.semantics.fastapi.listing.index import ListingIndex

_RELEVANT = re.compile(r"fastapi|sqlalchemy|sqlmodel|fetchall|fetch_all|\.all\(\)")
_BOUND_KEYWORDS = ("le", "lt", "max_value")
_LITERAL = frozenset({"typing.Literal", "typing_extensions.Literal"})
PAGINATED_RESPONSES = ("fastapi_pagination.",)
_COLLECTING_METHODS = frozenset({"append", "extend", "add", "update", "insert"})


class ListingFacts(Facts):
    """Per file: how each function builds what it returns from rows (`FunctionListing`)."""

    requires: ClassVar[tuple[type[Facts], ...]] = (FastAPIFacts,)

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self.functions: dict[str, FunctionListing] = {}
        self.active = bool(_RELEVANT.search(context.source)) and not context.is_test_file
        if self.active:
            context.summary.extras[FACTS_KEY] = self.functions
        # A call is named through the imports only where the name can matter: `min`, `list`, and
        # fastapi-pagination's functions (the file must import the package to call them).
        self._paginator_imported = "fastapi_pagination" in context.source
        self._scope: list[str] = []
        self._classes: list[bool] = []
        self._states: list[FunctionState] = []

    @classmethod
    def repository(cls, repo: RepositoryView) -> ListingIndex:
        from reviewer.semantics.fastapi.listing.index import ListingIndex

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
        self._states.append(FunctionState(qualname, tuple(p.name.value for p in all_params), bounded, receiver))
        self._scope.append(node.name.value)
        self._classes.append(False)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        state = self._states.pop()
        self._scope.pop()
        self._classes.pop()
        listing = FunctionReader(state, self.context).listing()
        if listing is not None:
            self.functions[state.qualname] = listing

    def _declares_bound(self, param: cst.Param) -> bool:
        """`Query(le=...)`, `Annotated[int, Field(lt=...)]`, `conint(le=...)`, `Literal[10, 50]`."""
        parts = [param.default, param.annotation.annotation if param.annotation is not None else None]
        for part in parts:
            if part is None or type(part) in (cst.Name, cst.Attribute, cst.SimpleString):
                continue  # a plain type or value bounds nothing
            for node in descendants(part):
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
        kind = type(func)
        if kind is cst.Attribute:
            method = func.attr.value
            if method in _COLLECTING_METHODS and type(func.value) is cst.Name:
                for arg in node.args:
                    state.assigned.setdefault(func.value.value, []).append(arg.value)
            elif method == "limit":
                state.limits.append(node)
            if method in ("limit", "offset") and node.args and type(node.args[0].value) is not cst.Integer:
                state.pages.append(node)
            if method in ("all", "fetchall") and not node.args or method in SQL_FETCHES and node.args:
                self._read(state, node)
            if method == "paginate" or self._paginator_imported and self._paginator(func):
                state.paginates = True
        elif kind is cst.Name:
            name = func.value
            if name == "paginate" or self._paginator_imported and self._paginator(func):
                state.paginates = True
            elif name == "min" and self.qualify(func) == "builtins.min":
                state.clamps.extend(arg.value for arg in node.args)
            elif name == "list" and len(node.args) == 1 and self.qualify(func) == "builtins.list":
                self._read(state, node)

    def _read(self, state: FunctionState, node: cst.Call) -> None:
        state.reads.append(node)
        state.statements[id(node)] = self.context.current_statement()

    def _paginator(self, func: cst.BaseExpression) -> bool:
        qualified = self.qualify(func) or ""
        return qualified.startswith(PAGINATED_RESPONSES) or qualified.rpartition(".")[2] == "paginate"
