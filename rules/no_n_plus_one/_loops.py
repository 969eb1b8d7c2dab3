"""What both rules of the item walk for: loops over the rows of a query, or over items a request
supplied, inside one function, with the function's own assignments to read queries back through.

A loop frame is pushed for a `for` statement or a comprehension whose iterable reads back
(`reviewer.semantics.orm.query_of`) to a query run in the same function, or is a parameter of a
FastAPI route that the request fills (`ids: list[int]`, `payload.items`). Rows from a helper in
another function are not followed: the rules stay silent where they cannot see the query.
Candidates a rule can only confirm with the repository's model (a relationship declared in
another module) are recorded in the summary and confirmed or withdrawn in `check_repo`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from reviewer import lazy_cst as cst
from reviewer.rule import RepoContext, Rule
from reviewer.semantics.migrations import is_migration
from reviewer.semantics.orm import OrmFacts, Query, query_of
from reviewer.semantics.serving import EntryPointFacts
from reviewer.syntax import target_names
from reviewer.traversal import children_of

ROUTE_METHODS = frozenset({"get", "post", "put", "patch", "delete", "api_route", "websocket"})
NOT_REQUEST = frozenset({
    "fastapi.Depends", "fastapi.Security", "fastapi.params.Depends", "fastapi.params.Security",
})
REQUEST_TYPES = frozenset({
    "fastapi.Request", "starlette.requests.Request", "fastapi.WebSocket", "starlette.websockets.WebSocket",
    "fastapi.BackgroundTasks", "fastapi.Response",
})
ITERATION_WRAPPERS = frozenset({"builtins.list", "builtins.tuple", "builtins.sorted", "builtins.reversed",
                                "builtins.set", "builtins.enumerate"})
SESSION_TYPES = frozenset({
    "sqlalchemy.orm.Session", "sqlalchemy.orm.session.Session", "sqlalchemy.ext.asyncio.AsyncSession",
    "sqlalchemy.ext.asyncio.session.AsyncSession", "sqlmodel.Session", "sqlmodel.orm.session.Session",
    "sqlmodel.ext.asyncio.session.AsyncSession", "sqlalchemy.orm.scoping.scoped_session",
    "sqlalchemy.orm.scoped_session",
})
SMALL_BOUND = 10  # `.limit(n)` up to this many rows is a constant small bound


@dataclass
class Loop:
    node: cst.CSTNode  # the `for` statement or the comprehension
    statement: cst.CSTNode | None  # the statement to locate nodes of the loop header in
    names: frozenset[str]  # names the loop binds
    row: str | None  # the one name bound to each row (`order` of `for order in orders`)
    query: Query | None  # the query whose rows it iterates
    request: str | None = None  # or the request parameter whose items it iterates
    active: bool = True  # False in the loop's own header (its iterable runs once, not per row)
    lines: tuple[int, int] | None = None  # the loop's line and its query's, once a rule asked
    writes: bool = False  # the loop writes once per row (`session.execute(update(...))`)
    pending: list = field(default_factory=list)  # what a rule reports if the loop turns out to qualify
    seen: set = field(default_factory=set)  # what a rule reported in it already


@dataclass
class Function:
    node: cst.FunctionDef
    assigned: dict[str, list[tuple[cst.BaseExpression, cst.CSTNode | None]]] = field(default_factory=dict)
    request_params: frozenset[str] = frozenset()
    sessions: frozenset[str] = frozenset()  # parameters annotated as a SQLAlchemy/SQLModel session
    typed: frozenset[str] = frozenset()  # parameters with an annotation
    loops: list[Loop] = field(default_factory=list)


def mentions(node: cst.CSTNode, names: frozenset[str], lookup, depth: int = 0) -> bool:  # noqa: ANN001
    """Whether an expression uses one of `names`, also through names assigned in the function."""
    if isinstance(node, cst.Name):
        if node.value in names:
            return True
        if depth < 3:
            return any(mentions(value, names, lookup, depth + 1) for value, _ in lookup(node.value))
        return False
    if isinstance(node, cst.Attribute):
        return mentions(node.value, names, lookup, depth)
    if isinstance(node, (cst.Lambda, cst.SimpleString, cst.Integer, cst.Float)):
        return False
    return any(mentions(child, names, lookup, depth) for child in children_of(node))


class LoopRule(Rule):
    """Walks functions, their assignments and their loops over query rows or request items."""

    checklist = "no-n-plus-one"
    always_applicable = False
    prefilter_packages: ClassVar[tuple[str, ...]] = ("sqlalchemy", "sqlmodel")
    requires = (OrmFacts, EntryPointFacts)

    def __init__(self, context, options) -> None:  # noqa: ANN001
        super().__init__(context, options)
        self._functions: list[Function] = []
        self._targets: set[int] = set()  # attributes assigned to, not read
        self._fastapi = "fastapi" in context.source
        # Tests, and migrations an operator runs once, are not where a query per row costs.
        self._skip = context.is_test_file or is_migration(context.path, context.summary.imports)
        # (line, column, the function's qualified name, what the model must bear out)
        self.candidates: list[tuple] = []
        self._scope: list[str] = []  # classes and functions around, as the summary names them

    # --- functions and assignments -----------------------------------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._scope.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._scope.pop()

    def function_name(self) -> str:
        return ".".join(p for p in (self.context.module, *self._scope) if p)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scope.append(node.name.value)
        self._functions.append(Function(node, request_params=self._request_params(node),
                                        sessions=self._session_params(node), typed=frozenset(
                                            p.name.value for p in (*node.params.params, *node.params.kwonly_params)
                                            if p.annotation is not None)))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._functions.pop()
        self._scope.pop()

    def _session_params(self, node: cst.FunctionDef) -> frozenset[str]:
        found = set()
        for param in (*node.params.posonly_params, *node.params.params, *node.params.kwonly_params):
            annotation = param.annotation.annotation if param.annotation is not None else None
            if isinstance(annotation, cst.Subscript):  # Annotated[AsyncSession, Depends(...)]
                element = annotation.slice[0].slice
                annotation = element.value if isinstance(element, cst.Index) else None
            name = self.qualify(annotation) if isinstance(annotation, (cst.Name, cst.Attribute)) else None
            if name in SESSION_TYPES:
                found.add(param.name.value)
        return frozenset(found)

    def not_session(self, node: cst.BaseExpression) -> bool:
        """A parameter of the function annotated as something else than a session."""
        if not self._functions or not isinstance(node, cst.Name) or node.value in self._functions[-1].sessions:
            return False
        return node.value in self._functions[-1].typed

    def _request_params(self, node: cst.FunctionDef) -> frozenset[str]:
        if not self._fastapi or not any(
            isinstance(d.decorator, cst.Call) and isinstance(d.decorator.func, cst.Attribute)
            and d.decorator.func.attr.value in ROUTE_METHODS for d in node.decorators
        ):
            return frozenset()
        found = set()
        for param in (*node.params.posonly_params, *node.params.params, *node.params.kwonly_params):
            if param.annotation is None:
                continue
            if isinstance(param.default, cst.Call) and self.qualify(param.default.func) in NOT_REQUEST:
                continue
            annotation = param.annotation.annotation
            if isinstance(annotation, cst.Subscript) and self.qualify(annotation.value) in (
                    "typing.Annotated", "typing_extensions.Annotated"):
                if any(isinstance(e.slice, cst.Index) and isinstance(e.slice.value, cst.Call)
                       and self.qualify(e.slice.value.func) in NOT_REQUEST for e in annotation.slice[1:]):
                    continue
                annotation = annotation.slice[0].slice.value if isinstance(annotation.slice[0].slice, cst.Index) \
                    else annotation
            name = self.qualify(annotation) if isinstance(annotation, (cst.Name, cst.Attribute)) else None
            if name in REQUEST_TYPES or (name or "").startswith("sqlalchemy.") or (name or "").startswith("sqlmodel."):
                continue
            found.add(param.name.value)
        return frozenset(found)

    def lookup(self, name: str) -> list[tuple[cst.BaseExpression, cst.CSTNode | None]]:
        return self._functions[-1].assigned.get(name, []) if self._functions else []

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._assigned(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._assigned(node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._assigned(node.target, None)

    def _assigned(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        if isinstance(target, cst.Attribute):
            self._targets.add(id(target))
            return
        if not self._functions:
            return
        names = {name.value for name in target_names(target)}
        unknown = not isinstance(target, cst.Name) or value is None
        for name in names:
            self._functions[-1].assigned.setdefault(name, []).append(
                (cst.Name("_") if unknown else value, self.context.current_statement()))

    # --- loops -----------------------------------------------------------------------------------

    def visit_For(self, node: cst.For) -> None:
        if node.asynchronous is None:
            self._enter(node, node.target, node.iter, self.context.current_statement())

    def leave_For(self, original_node: cst.For) -> None:
        self._leave(original_node)

    def visit_For_body(self, node: cst.For) -> None:
        self._activate(node, True)

    def leave_For_body(self, node: cst.For) -> None:
        self._activate(node, False)

    def visit_CompFor_iter(self, node: cst.CompFor) -> None:
        self._activate(node, False)

    def leave_CompFor_iter(self, node: cst.CompFor) -> None:
        self._activate(node, True)

    def _activate(self, node: cst.CSTNode, active: bool) -> None:
        loops = self._functions[-1].loops if self._functions else ()
        if loops and (loops[-1].node is node or getattr(loops[-1].node, "for_in", None) is node):
            loops[-1].active = active

    def visit_ListComp(self, node: cst.ListComp) -> None:
        self._comprehension(node)

    def visit_SetComp(self, node: cst.SetComp) -> None:
        self._comprehension(node)

    def visit_GeneratorExp(self, node: cst.GeneratorExp) -> None:
        self._comprehension(node)

    def visit_DictComp(self, node: cst.DictComp) -> None:
        self._comprehension(node)

    def leave_ListComp(self, original_node: cst.ListComp) -> None:
        self._leave(original_node)

    def leave_SetComp(self, original_node: cst.SetComp) -> None:
        self._leave(original_node)

    def leave_GeneratorExp(self, original_node: cst.GeneratorExp) -> None:
        self._leave(original_node)

    def leave_DictComp(self, original_node: cst.DictComp) -> None:
        self._leave(original_node)

    def _comprehension(self, node: cst.BaseComp) -> None:
        if node.for_in.asynchronous is None:
            self._enter(node, node.for_in.target, node.for_in.iter, self.context.current_statement())

    def _enter(self, node: cst.CSTNode, target: cst.BaseExpression, iterable: cst.BaseExpression,
               statement: cst.CSTNode | None) -> None:
        if not self._functions or self._skip:
            return
        function = self._functions[-1]
        row = target.value if isinstance(target, cst.Name) else None
        if isinstance(iterable, cst.Call) and self.qualify(iterable.func) in ITERATION_WRAPPERS and iterable.args:
            if self.qualify(iterable.func) == "builtins.enumerate":
                elements = target.elements if isinstance(target, cst.Tuple) else ()
                row = elements[1].value.value if len(elements) == 2 and isinstance(elements[1].value, cst.Name) \
                    else None
            iterable = iterable.args[0].value
        names = {name.value for name in target_names(target)}
        query = query_of(iterable, self.lookup, self.qualify)
        request = None
        if query is None:
            root = iterable
            while isinstance(root, cst.Attribute):
                root = root.value
            if isinstance(root, cst.Name) and root.value in function.request_params and not self.lookup(root.value):
                request = root.value
        elif query.bound is not None and query.bound <= SMALL_BOUND:
            query = None
        if query is None and request is None:
            return
        if statement is node and query is not None and query.statement is None:
            query.statement = node
        function.loops.append(Loop(node, statement, frozenset(names), row, query, request,
                                   active=not isinstance(node, cst.For)))
        self.mark_applicable()

    def _leave(self, node: cst.CSTNode) -> None:
        if self._functions and self._functions[-1].loops and self._functions[-1].loops[-1].node is node:
            self.leaving(self._functions[-1].loops.pop())

    def leaving(self, loop: Loop) -> None:
        """Called as the walk leaves a loop frame."""

    def lines(self, loop: Loop) -> tuple[int, int]:
        """The line of the loop and of its query (or of the loop again, for request items)."""
        if loop.lines is None:
            if loop.node is loop.statement:  # a `for` statement: its first line, not its range
                loop_line = self.context.statement_lines(loop.statement)[0]
            else:
                loop_line = self.context.span(loop.node, loop.statement).line
            query = loop.query
            query_line = loop_line
            if query is not None and query.base is not None:
                query_line = self.context.span(query.base, query.statement).line
            loop.lines = (loop_line, query_line)
        return loop.lines

    def loops(self) -> list[Loop]:
        loops = self._functions[-1].loops if self._functions else None
        return [loop for loop in loops if loop.active] if loops else []

    # --- the repository pass ----------------------------------------------------------------------

    def leave_Module(self, original_node: cst.Module) -> None:
        if self.candidates:
            self.context.summary.extras[self.code] = self.candidates

    @classmethod
    def confirmed(cls, repo: RepoContext, model, candidate: tuple) -> bool:  # noqa: ANN001
        """Whether the repository's model bears out a candidate finding."""
        return True

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        if not repo.file_findings:
            return
        model = repo.facts(OrmFacts)
        serving = repo.facts(EntryPointFacts)
        by_path = {summary.path: summary.extras.get(cls.code, ()) for summary in repo.summaries}
        for finding in repo.file_findings:
            candidates = {(c[0], c[1]): c for c in by_path.get(finding.path, ())}
            candidate = candidates.get((finding.span.line, finding.span.column))
            # Code only a command, a script or start-up runs is not where a query per row costs.
            if (candidate is None or serving.is_serving(candidate[2]) is False
                    or not cls.confirmed(repo, model, candidate)):
                repo.withdraw(finding)
