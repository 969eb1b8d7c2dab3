"""What a FastAPI application exposes: its endpoints, their parameters, dependencies and raw reads.

Rules about endpoints (input validation, authentication, pagination, blocking I/O in routes) share
this module. It works in two steps, like the engine:

- per file, a collector that joins the engine's walk (through the first endpoint rule, and only
  in modules that can hold routing code) records plain, picklable `ModuleFacts` in the module
  summary: routers created there, functions decorated as routes, `add_api_route` registrations,
  `include_router` calls, and every function's parameters (annotation, FastAPI marker such as
  `Body(...)` or `Depends(dep)`) and reads of the raw request;
- in the repository pass, `EndpointIndex(repo.summaries)` resolves decorator owners through
  assignments and imports to `FastAPI()`/`APIRouter()` instances (or instances of repo classes
  derived from them), combines `include_router` prefixes where they are literals, and follows
  `Depends(...)`/`Security(...)` into the repo's dependency functions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reviewer import lazy_cst as cst
from reviewer.model import Span
from reviewer.rule import FileContext, RepoContext, Rule
from reviewer.semantics.calls import ModuleIndex
from reviewer.semantics.names import NameResolver, dotted_name
from reviewer.summary import ModuleSummary
from reviewer.syntax import argument, is_true, keyword, string_value
from reviewer.traversal import BatchedVisitor

FACTS_KEY = "endpoints"

ROUTER_CLASSES = frozenset(
    {
        "fastapi.FastAPI",
        "fastapi.applications.FastAPI",
        "fastapi.APIRouter",
        "fastapi.routing.APIRouter",
    }
)
HTTP_DECORATORS = {
    "get": ("GET",),
    "post": ("POST",),
    "put": ("PUT",),
    "patch": ("PATCH",),
    "delete": ("DELETE",),
    "options": ("OPTIONS",),
    "head": ("HEAD",),
    "trace": ("TRACE",),
}
WEBSOCKET = "WEBSOCKET"
_PARAM_FUNCTIONS = ("Body", "Query", "Path", "Header", "Cookie", "Form", "File", "Depends", "Security")
PARAM_MARKERS = {
    f"{module}.{name}": name
    for module in ("fastapi", "fastapi.params", "fastapi.param_functions")
    for name in _PARAM_FUNCTIONS
}
REQUEST_TYPES = frozenset(
    {"fastapi.Request", "fastapi.requests.Request", "starlette.requests.Request", "starlette.requests.HTTPConnection"}
)
WEBSOCKET_TYPES = frozenset({"fastapi.WebSocket", "fastapi.websockets.WebSocket", "starlette.websockets.WebSocket"})
# Parameters FastAPI fills in itself rather than from client input.
FRAMEWORK_TYPES = (
    REQUEST_TYPES
    | WEBSOCKET_TYPES
    | frozenset(
        {
            "fastapi.Response",
            "fastapi.responses.Response",
            "starlette.responses.Response",
            "fastapi.BackgroundTasks",
            "fastapi.background.BackgroundTasks",
            "starlette.background.BackgroundTasks",
            "fastapi.security.SecurityScopes",
            "fastapi.UploadFile",
            "fastapi.datastructures.UploadFile",
            "starlette.datastructures.UploadFile",
        }
    )
)
ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated"})
UNION = frozenset({"typing.Union", "typing_extensions.Union"})
OPTIONAL = frozenset({"typing.Optional", "typing_extensions.Optional"})
LITERAL = frozenset({"typing.Literal", "typing_extensions.Literal"})
# Request methods that return the client's input without any schema.
REQUEST_READS = frozenset({"json", "form", "body", "stream"})
WEBSOCKET_READS = {
    "receive_json": "receive_json",
    "receive_text": "receive_text",
    "receive_bytes": "receive_bytes",
    "iter_json": "receive_json",
    "iter_text": "receive_text",
    "iter_bytes": "receive_bytes",
}
JSON_PARSERS = frozenset({"json.loads", "orjson.loads", "ujson.loads", "simplejson.loads", "rapidjson.loads"})
# Calls that validate what they are given against a schema (or verify and parse a signed event).
VALIDATING_METHODS = frozenset(
    {
        "model_validate",
        "model_validate_json",
        "model_validate_strings",
        "parse_obj",
        "parse_raw",
        "validate_python",
        "validate_json",
        "validate_strings",
        "construct_event",
        "construct_from",
        "from_orm",
        "validate",  # pydantic v1 `Model.validate(data)`
        "load",  # marshmallow `Schema().load(data)`
    }
)
VALIDATING_FUNCTIONS = frozenset({"pydantic.parse_obj_as", "pydantic.tools.parse_obj_as", "pydantic.parse_raw_as"})
MODEL_BASES = frozenset(
    {
        "pydantic.BaseModel",
        "pydantic.main.BaseModel",
        "pydantic.v1.BaseModel",
        "pydantic.RootModel",
        "sqlmodel.SQLModel",
        "pydantic_settings.BaseSettings",
    }
)
DATACLASS_DECORATORS = frozenset({"dataclasses.dataclass", "pydantic.dataclasses.dataclass"})

# Files that can hold routing code: cheap text test before the extra walk.
_ROUTING_TEXT = re.compile(
    r"fastapi|starlette|include_router|add_api_route|add_api_websocket_route|"
    r"@[\w.]+\.(?:get|post|put|patch|delete|options|head|trace|api_route|websocket|route)\("
)


# --- what a file records ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Marker:
    """A FastAPI parameter function in a default or in `Annotated[...]`: `Body(embed=True)`."""

    kind: str  # Body, Query, Path, Header, Cookie, Form, File, Depends, Security
    embed: bool = False
    dependency: str | None = None  # qualified callee given to Depends/Security


@dataclass(frozen=True, slots=True)
class TypeRef:
    """An annotation, reduced to what the rules ask of it.

    kind: `name` (name = qualified), `generic` (name[args]), `union` (args), `annotated`
    (args[0] with markers), `literal`, `none`, `other`."""

    kind: str
    name: str | None = None
    args: tuple[TypeRef, ...] = ()
    markers: tuple[Marker, ...] = ()


@dataclass(slots=True)
class Parameter:
    name: str
    annotation: TypeRef | None
    annotation_text: str | None
    marker: Marker | None  # from the default value
    has_default: bool
    is_receiver: bool  # `self`/`cls` of a method


@dataclass(slots=True)
class RawRead:
    """A read of client input that bypasses FastAPI's validation, made on a parameter."""

    kind: str  # json, form, body, stream, receive_json, receive_text, receive_bytes, json-param
    receiver: str  # the parameter read from: `request`, `websocket`, `filters`
    text: str  # as written: `await request.json()`
    span: Span
    statement_lines: tuple[int, int] | None
    parsed: bool  # bytes/text that were handed to a JSON parser
    validated: bool  # handed to a validating call (model_validate_json, TypeAdapter.validate_python ...)
    constructors: tuple[str, ...] = ()  # classes built from the data: validate if they are models


@dataclass(slots=True)
class FunctionFacts:
    qualname: str
    name: str
    is_async: bool
    span: Span
    statement_lines: tuple[int, int]
    params: list[Parameter] = field(default_factory=list)
    reads: list[RawRead] = field(default_factory=list)
    returns: TypeRef | None = None
    decorators: tuple[str, ...] = ()


@dataclass(slots=True)
class RouteDecl:
    owner: str | None  # qualified name of the object the route is registered on
    methods: tuple[str, ...]
    path: str | None
    function: str | None  # qualified name of the endpoint function
    dependencies: tuple[str, ...] = ()  # `dependencies=[Depends(dep)]`


@dataclass(slots=True)
class RouterDecl:
    key: str  # qualified name of the variable holding the router
    factory: str | None  # qualified callee: `fastapi.APIRouter`, `app.routers.UserAPIRouter`
    prefix: str  # literal parts only
    prefix_known: bool
    dependencies: tuple[str, ...] = ()


@dataclass(slots=True)
class Inclusion:
    parent: str | None
    child: str | None
    prefix: str
    prefix_known: bool
    child_is_call: bool = False  # `include_router(build_router())`: `child` names the factory
    dependencies: tuple[str, ...] = ()  # `include_router(r, dependencies=[Depends(auth)])`


@dataclass(slots=True)
class ModuleFacts:
    module: str
    path: str
    functions: dict[str, FunctionFacts] = field(default_factory=dict)
    routes: list[RouteDecl] = field(default_factory=list)
    routers: list[RouterDecl] = field(default_factory=list)
    inclusions: list[Inclusion] = field(default_factory=list)
    classes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # qualname -> bases
    dataclasses: set[str] = field(default_factory=set)
    type_aliases: dict[str, TypeRef] = field(default_factory=dict)  # module-level `JSON = dict[str, Any]`
    assignments: dict[str, str] = field(default_factory=dict)  # module-level `X = y` or `X = f(...)` -> y / f
    called: set[str] = field(default_factory=set)  # names in `assignments` whose value is a call


class _FactsWalk:
    """One file's endpoint facts and the collector that fills them during the engine's walk, shared
    by every endpoint rule of the walk; the first rule walks for all of them."""

    def __init__(self, context: FileContext) -> None:
        summary = context.summary
        self.facts = ModuleFacts(module=summary.module, path=summary.path)
        summary.extras[FACTS_KEY] = self.facts
        self.members: list[EndpointRule] = []
        self.collector: _Collector | None = None
        if _ROUTING_TEXT.search(context.source):
            self.collector = _Collector(self.facts, context.resolver, context)
        else:
            _record_module_level(context.tree.body, self.facts, context.resolver, summary.module)


def _record_module_level(body: Sequence[cst.CSTNode], facts: ModuleFacts, resolver: NameResolver, prefix: str) -> None:
    """Classes and module-level bindings without a full walk: enough for a module that holds no
    routing code to tell what its names are (models, router classes, type aliases, re-exports)."""
    for statement in body:
        if isinstance(statement, cst.ClassDef):
            qualname = f"{prefix}.{statement.name.value}" if prefix else statement.name.value
            _record_class(facts, resolver.qualify, qualname, statement)
            inner = statement.body.body if isinstance(statement.body, cst.IndentedBlock) else ()
            _record_module_level([s for s in inner if isinstance(s, cst.ClassDef)], facts, resolver, qualname)
        elif isinstance(statement, cst.SimpleStatementLine) and prefix == facts.module:
            for small in statement.body:
                _record_module_statement(small, facts, resolver.qualify)
        elif isinstance(statement, (cst.If, cst.Try)):
            blocks = [statement.body, *(h.body for h in getattr(statement, "handlers", ()))]
            orelse = statement.orelse
            if orelse is not None:
                blocks.append(orelse.body if not isinstance(orelse, cst.If) else cst.IndentedBlock(body=[orelse]))
            for block in blocks:
                if isinstance(block, cst.IndentedBlock):
                    _record_module_level(block.body, facts, resolver, prefix)


Qualify = Callable[["cst.BaseExpression"], "str | None"]


def _record_module_statement(small: cst.BaseSmallStatement, facts: ModuleFacts, qualify: Qualify) -> None:
    def qualname(name: str) -> str:
        return f"{facts.module}.{name}" if facts.module else name

    if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
        _record_module_binding(facts, qualify, qualname(small.targets[0].target.value), small.value)
    elif isinstance(small, cst.AnnAssign) and small.value is not None and isinstance(small.target, cst.Name):
        if _is_type_alias(small, qualify):
            facts.type_aliases[qualname(small.target.value)] = type_ref(small.value, qualify)
        else:
            _record_module_binding(facts, qualify, qualname(small.target.value), small.value)
    elif isinstance(small, cst.TypeAlias):
        facts.type_aliases[qualname(small.name.value)] = type_ref(small.value, qualify)


def _record_class(facts: ModuleFacts, qualify: Qualify, qualname: str, node: cst.ClassDef) -> None:
    facts.classes[qualname] = tuple(q for q in (qualify(b.value) or dotted_name(b.value) for b in node.bases) if q)
    for decorator in node.decorators:
        expr = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
        if qualify(expr) in DATACLASS_DECORATORS:
            facts.dataclasses.add(qualname)


def _is_type_alias(node: cst.AnnAssign, qualify: Qualify) -> bool:
    return qualify(node.annotation.annotation) in ("typing.TypeAlias", "typing_extensions.TypeAlias")


def _record_module_binding(facts: ModuleFacts, qualify: Qualify, qualname: str, value: cst.BaseExpression) -> None:
    """`JSON = dict[str, Any]` (a type alias), `router = users.router` (an alias),
    `router = APIRouter()` / `APIRouter = make_router_class()` (a call, maybe a router)."""
    is_union = isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.BitOr)
    if isinstance(value, cst.Subscript) or is_union:
        facts.type_aliases[qualname] = type_ref(value, qualify)
    elif isinstance(value, (cst.Name, cst.Attribute)):
        target = qualify(value)
        if target:
            facts.assignments[qualname] = target
    elif isinstance(value, cst.Call):
        _record_router(facts, qualify, qualname, value)
        callee = qualify(value.func)
        if callee:
            facts.assignments[qualname] = callee
            facts.called.add(qualname)


def _record_router(facts: ModuleFacts, qualify: Qualify, key: str, call: cst.Call) -> bool:
    """Record every `x = SomeCall(...)` as a possible router; the repository pass decides."""
    factory = qualify(call.func)
    if factory is None:
        return False
    prefix, known = _literal_path(_value(keyword(call, "prefix")))
    facts.routers.append(
        RouterDecl(
            key=key,
            factory=factory,
            prefix=prefix,
            prefix_known=known,
            dependencies=dependencies_in(_value(keyword(call, "dependencies")), qualify),
        )
    )
    return True


def source_of(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def type_ref(node: cst.BaseExpression, qualify: Callable[[cst.BaseExpression], str | None]) -> TypeRef:
    """Reduce an annotation expression; string annotations are parsed."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        text = string_value(node)
        try:
            return type_ref(cst.parse_expression(text), qualify) if text else TypeRef("other")
        except cst.ParserSyntaxError:
            return TypeRef("other")
    if isinstance(node, cst.Name) and node.value == "None":
        return TypeRef("none")
    if isinstance(node, (cst.Name, cst.Attribute)):
        return TypeRef("name", qualify(node) or dotted_name(node))
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        return _union([type_ref(node.left, qualify), type_ref(node.right, qualify)])
    if isinstance(node, cst.Subscript):
        base = qualify(node.value) or dotted_name(node.value)
        elements = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
        if base in LITERAL:
            return TypeRef("literal")
        args = [type_ref(e, qualify) for e in elements]
        if base in ANNOTATED and args:
            markers = tuple(m for m in (marker_of(e, qualify) for e in elements[1:]) if m)
            return TypeRef("annotated", args=(args[0],), markers=markers)
        if base in UNION:
            return _union(args)
        if base in OPTIONAL and args:
            return _union([args[0], TypeRef("none")])
        return TypeRef("generic", base, tuple(args))
    return TypeRef("other")


def _union(members: list[TypeRef]) -> TypeRef:
    flat: list[TypeRef] = []
    for member in members:
        flat.extend(member.args if member.kind == "union" else (member,))
    return TypeRef("union", args=tuple(flat))


def marker_of(node: cst.BaseExpression, qualify: Callable[[cst.BaseExpression], str | None]) -> Marker | None:
    """`Body(...)`, `Query(...)`, `Depends(dep)` ... as a Marker; anything else is None."""
    if not isinstance(node, cst.Call):
        return None
    kind = PARAM_MARKERS.get(qualify(node.func) or "")
    if kind is None:
        return None
    embed = keyword(node, "embed")
    dependency = None
    if kind in ("Depends", "Security"):
        target = argument(node, 0, "dependency")
        if target is not None:
            dependency = qualify(target.value) or dotted_name(target.value)
    return Marker(kind, embed=embed is not None and is_true(embed.value), dependency=dependency)


def dependencies_in(
    node: cst.BaseExpression | None, qualify: Callable[[cst.BaseExpression], str | None]
) -> tuple[str, ...]:
    """Dependencies listed as `dependencies=[Depends(a), Security(b)]`."""
    if not isinstance(node, (cst.List, cst.Tuple)):
        return ()
    found = []
    for element in node.elements:
        marker = marker_of(element.value, qualify)
        if marker is not None and marker.dependency:
            found.append(marker.dependency)
    return tuple(found)


def _literal_path(node: cst.BaseExpression | None) -> tuple[str, bool]:
    """A path or prefix: its literal text and whether it was fully literal."""
    if node is None:
        return "", True
    value = string_value(node)
    return (value, True) if value is not None else ("", False)


def _names_in(node: cst.CSTNode) -> Iterator[str]:
    if isinstance(node, cst.Name):
        yield node.value
    for child in node.children:
        yield from _names_in(child)


def _calls_in(node: cst.CSTNode) -> Iterator[cst.Call]:
    if isinstance(node, cst.Call):
        yield node
    for child in node.children:
        yield from _calls_in(child)


class _FunctionState:
    """Per-function bookkeeping while walking its body: which names hold raw input."""

    def __init__(self, facts: FunctionFacts) -> None:
        self.facts = facts
        self.params = {p.name for p in facts.params}
        self.routers: dict[str, str] = {}  # local name -> router key
        self.reads: dict[int, RawRead] = {}  # id(call node) -> read
        self.tainted: dict[str, set[int]] = {}  # variable -> reads it holds


class _Collector(BatchedVisitor):
    """Walks one module (after the NameResolver in the same batch) and fills ModuleFacts."""

    def __init__(self, facts: ModuleFacts, resolver: NameResolver, context: FileContext) -> None:
        super().__init__()
        self.facts = facts
        self.resolver = resolver
        self.context = context
        self._scope: list[str] = []
        self._classes: list[bool] = []  # per scope entry: is it a class
        self._functions: list[_FunctionState] = []
        self._statements: list[cst.CSTNode] = []
        self._awaited: dict[int, cst.Await] = {}  # id(awaited expression) -> the await

    # names ------------------------------------------------------------------------------------

    def qualify(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.Name):
            for state in reversed(self._functions):
                if node.value in state.routers:
                    return state.routers[node.value]
        return self.resolver.qualify(node)

    def _qualname(self, name: str) -> str:
        return ".".join(p for p in (self.facts.module, *self._scope, name) if p)

    # statements -------------------------------------------------------------------------------

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._statements.append(node)

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine) -> None:
        self._statements.pop()

    def visit_For(self, node: cst.For) -> None:
        self._statements.append(node)

    def visit_For_body(self, node: cst.For) -> None:
        self._bind(node.target, node.iter)

    def leave_For(self, original_node: cst.For) -> None:
        self._statements.pop()

    def visit_While(self, node: cst.While) -> None:
        self._statements.append(node)

    def leave_While(self, original_node: cst.While) -> None:
        self._statements.pop()

    def visit_If(self, node: cst.If) -> None:
        self._statements.append(node)

    def leave_If(self, original_node: cst.If) -> None:
        self._statements.pop()

    def visit_With(self, node: cst.With) -> None:
        self._statements.append(node)

    def leave_With(self, original_node: cst.With) -> None:
        self._statements.pop()

    def _statement_lines(self) -> tuple[int, int] | None:
        return self.context.statement_lines(self._statements[-1]) if self._statements else None

    # classes and functions --------------------------------------------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        _record_class(self.facts, self.qualify, self._qualname(node.name.value), node)
        self._scope.append(node.name.value)
        self._classes.append(True)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._scope.pop()
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        in_class = bool(self._classes) and self._classes[-1]
        is_static = any(
            isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod" for d in node.decorators
        )
        params = []
        all_params = [*node.params.posonly_params, *node.params.params, *node.params.kwonly_params]
        for position, param in enumerate(all_params):
            annotation = param.annotation.annotation if param.annotation is not None else None
            params.append(
                Parameter(
                    name=param.name.value,
                    annotation=type_ref(annotation, self.qualify) if annotation is not None else None,
                    annotation_text=source_of(annotation) if annotation is not None else None,
                    marker=marker_of(param.default, self.qualify) if param.default is not None else None,
                    has_default=param.default is not None,
                    is_receiver=in_class and position == 0 and not is_static,
                )
            )
        qualname = self._qualname(node.name.value)
        decorators = []
        for decorator in node.decorators:
            expr = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
            decorators.append(self.qualify(expr) or dotted_name(expr) or "")
        function = FunctionFacts(
            qualname=qualname,
            name=node.name.value,
            is_async=node.asynchronous is not None,
            span=self.context.span(node.name),
            statement_lines=self.context.statement_lines(node),
            params=params,
            returns=type_ref(node.returns.annotation, self.qualify) if node.returns is not None else None,
            decorators=tuple(decorators),
        )
        self.facts.functions[qualname] = function
        for decorator in node.decorators:
            self._route_decorator(decorator.decorator, qualname)
        self._functions.append(_FunctionState(function))
        self._scope.append(node.name.value)
        self._classes.append(False)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        state = self._functions.pop()
        state.facts.reads = sorted(state.reads.values(), key=lambda r: (r.span.line, r.span.column))
        self._scope.pop()
        self._classes.pop()

    def _route_decorator(self, decorator: cst.BaseExpression, function: str) -> None:
        if not isinstance(decorator, cst.Call) or not isinstance(decorator.func, cst.Attribute):
            return
        method = decorator.func.attr.value
        if method in HTTP_DECORATORS:
            methods = HTTP_DECORATORS[method]
        elif method in ("api_route", "route"):
            methods = _methods_of(keyword(decorator, "methods"))
        elif method in ("websocket", "websocket_route"):
            methods = (WEBSOCKET,)
        else:
            return
        path = argument(decorator, 0, "path")
        if path is None:
            return
        self.facts.routes.append(
            RouteDecl(
                owner=self.qualify(decorator.func.value),
                methods=methods,
                path=string_value(path.value),
                function=function,
                dependencies=dependencies_in(_value(keyword(decorator, "dependencies")), self.qualify),
            )
        )

    # module-level bindings --------------------------------------------------------------------

    # Bindings are handled on leaving, after the calls on their right-hand side were seen.
    def leave_Assign(self, original_node: cst.Assign) -> None:
        for target in original_node.targets:
            self._assign(target.target, original_node.value)

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        node = original_node
        if node.value is None:
            return
        if _is_type_alias(node, self.qualify) and isinstance(node.target, cst.Name) and not self._functions:
            self.facts.type_aliases[self._qualname(node.target.value)] = type_ref(node.value, self.qualify)
            return
        self._assign(node.target, node.value)

    def visit_TypeAlias(self, node: cst.TypeAlias) -> None:
        if not self._functions:
            self.facts.type_aliases[self._qualname(node.name.value)] = type_ref(node.value, self.qualify)

    def _assign(self, target: cst.BaseAssignTargetExpression, value: cst.BaseExpression) -> None:
        if not isinstance(target, cst.Name):
            if isinstance(target, (cst.Tuple, cst.List)):
                for element in target.elements:
                    self._bind(element.value, value)
            return
        name = target.value
        self._bind(target, value)
        if self._functions:
            if isinstance(value, cst.Call):
                key = f"{self._functions[-1].facts.qualname}.<locals>.{name}"
                if self._record_router(key, value):
                    self._functions[-1].routers[name] = key
            return
        if not self._classes:
            _record_module_binding(self.facts, self.qualify, self._qualname(name), value)

    def _record_router(self, key: str, call: cst.Call) -> bool:
        return _record_router(self.facts, self.qualify, key, call)

    # calls ------------------------------------------------------------------------------------

    def visit_Await(self, node: cst.Await) -> None:
        self._awaited[id(node.expression)] = node

    def leave_Call(self, original_node: cst.Call) -> None:
        """On leaving, so that reads nested in a call's arguments are known before the call."""
        node = original_node
        if isinstance(node.func, cst.Attribute):
            method = node.func.attr.value
            if method == "include_router":
                self._include(node, argument(node, 0, "router"), keyword(node, "prefix"))
            elif method == "mount":
                # A FastAPI sub-application mounted under a path serves its routes below it.
                self._include(node, argument(node, 1, "app"), argument(node, 0, "path"))
            elif method in ("add_api_route", "add_api_websocket_route", "add_websocket_route"):
                self._add_route(node, websocket=method != "add_api_route")
        if self._functions:
            self._track_input(node)

    def _include(self, node: cst.Call, child_arg: cst.Arg | None, prefix_arg: cst.Arg | None) -> None:
        assert isinstance(node.func, cst.Attribute)
        child = _value(child_arg)
        is_call = isinstance(child, cst.Call)
        if isinstance(child, cst.Call):
            child = child.func
        prefix, known = _literal_path(_value(prefix_arg))
        self.facts.inclusions.append(
            Inclusion(
                parent=self.qualify(node.func.value),
                child=self.qualify(child) if child is not None else None,
                prefix=prefix,
                prefix_known=known,
                child_is_call=is_call,
                dependencies=dependencies_in(_value(keyword(node, "dependencies")), self.qualify),
            )
        )

    def _add_route(self, node: cst.Call, *, websocket: bool) -> None:
        assert isinstance(node.func, cst.Attribute)
        path = argument(node, 0, "path")
        endpoint = argument(node, 1, "endpoint")
        if path is None or endpoint is None:
            return
        methods = (WEBSOCKET,) if websocket else _methods_of(keyword(node, "methods"))
        self.facts.routes.append(
            RouteDecl(
                owner=self.qualify(node.func.value),
                methods=methods,
                path=string_value(path.value),
                function=self.qualify(endpoint.value),
                dependencies=dependencies_in(_value(keyword(node, "dependencies")), self.qualify),
            )
        )

    # raw input inside functions ---------------------------------------------------------------

    def _track_input(self, node: cst.Call) -> None:
        state = self._functions[-1]
        func = node.func
        callee = self.qualify(func)
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in state.params:
            method = func.attr.value
            kind = method if method in REQUEST_READS else WEBSOCKET_READS.get(method)
            if kind is not None:
                awaited = id(node) in self._awaited
                text = ("await " if awaited else "") + source_of(node)
                self._record_read(state, node, kind, func.value.value, text)
                return
        if callee in JSON_PARSERS:
            payload = argument(node, 0, "s") or argument(node, 0, "obj")
            if payload is None:
                return
            held = self._reads_in(state, payload.value)
            for read_id in held:
                state.reads[read_id].parsed = True
            parameter = _parameter_parsed(payload.value, state.params)
            if not held and parameter is not None:
                self._record_read(state, node, "json-param", parameter, source_of(node))
            return
        if self._validates(node, callee):
            for argument_node in node.args:
                for read_id in self._reads_in(state, argument_node.value):
                    state.reads[read_id].validated = True
            return
        if callee is not None and node.args:
            for argument_node in node.args:
                for read_id in self._reads_in(state, argument_node.value):
                    read = state.reads[read_id]
                    read.constructors = (*read.constructors, callee)

    def _record_read(self, state: _FunctionState, node: cst.Call, kind: str, receiver: str, text: str) -> None:
        if id(node) in state.reads or self._discarded(node):
            return
        state.reads[id(node)] = RawRead(
            kind=kind,
            receiver=receiver,
            text=text,
            span=self.context.span(self._awaited.get(id(node), node)),
            statement_lines=self._statement_lines(),
            parsed=False,
            validated=False,
        )

    def _discarded(self, node: cst.Call) -> bool:
        """`await request.form()` as a statement of its own: it only makes Starlette cache the
        form for a library that reads it later (authlib's OAuth2 server), nothing is used here."""
        statement = self._statements[-1] if self._statements else None
        if not isinstance(statement, cst.SimpleStatementLine):
            return False
        return any(
            isinstance(small, cst.Expr)
            and (small.value is node or (isinstance(small.value, cst.Await) and small.value.expression is node))
            for small in statement.body
        )

    def _validates(self, node: cst.Call, callee: str | None) -> bool:
        if callee in VALIDATING_FUNCTIONS:
            return True
        if not isinstance(node.func, cst.Attribute):
            return False
        method = node.func.attr.value
        # `model_validate_form`, `validate_payload`: a project's own validating class methods.
        return method in VALIDATING_METHODS or method.startswith(("model_validate", "validate_"))

    def _reads_in(self, state: _FunctionState, node: cst.CSTNode) -> set[int]:
        """Reads whose data `node` holds: a read call inside it, or a variable bound to one."""
        if not state.reads:
            return set()
        found = {id(call) for call in _calls_in(node) if id(call) in state.reads}
        for name in _names_in(node):
            found |= state.tainted.get(name, set())
        return found

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        """`data = await request.json()`: `data` now holds that read (also through `dict(...)`)."""
        if not self._functions:
            return
        state = self._functions[-1]
        held = self._reads_in(state, value)
        if not held:
            return
        for name in _names_in(target):
            state.tainted.setdefault(name, set()).update(held)


def _parameter_parsed(payload: cst.BaseExpression, params: set[str]) -> str | None:
    """The parameter a JSON parser is given: `json.loads(filters)`, `json.loads(filters or "{}")`."""
    if isinstance(payload, cst.BooleanOperation):
        payload = payload.left
    return payload.value if isinstance(payload, cst.Name) and payload.value in params else None


def _value(arg: cst.Arg | None) -> cst.BaseExpression | None:
    return arg.value if arg is not None else None


def _methods_of(arg: cst.Arg | None) -> tuple[str, ...]:
    if arg is None or not isinstance(arg.value, (cst.List, cst.Tuple, cst.Set)):
        return ("GET",)
    methods = [string_value(e.value) for e in arg.value.elements]
    return tuple(m.upper() for m in methods if m) or ("GET",)


# --- the repository view ---------------------------------------------------------------------

DICT_TYPES = frozenset(
    {
        "builtins.dict",
        "typing.Dict",
        "typing.Mapping",
        "typing.MutableMapping",
        "collections.abc.Mapping",
        "collections.abc.MutableMapping",
        "typing.DefaultDict",
        "collections.defaultdict",
        "collections.OrderedDict",
        "typing.OrderedDict",
    }
)
SEQUENCE_TYPES = frozenset(
    {
        "builtins.list",
        "builtins.set",
        "builtins.frozenset",
        "builtins.tuple",
        "typing.List",
        "typing.Set",
        "typing.FrozenSet",
        "typing.Tuple",
        "typing.Sequence",
        "typing.Iterable",
        "collections.abc.Sequence",
        "collections.abc.Iterable",
    }
)
_PATH_PARAMETER = re.compile(r"{(\w+)(?::\w+)?}")


@dataclass(frozen=True, order=True)
class Mount:
    prefix: str  # literal parts only
    prefix_known: bool
    dependencies: tuple[str, ...]  # of the routers and `include_router` calls above the routes


@dataclass(frozen=True)
class Endpoint:
    methods: tuple[str, ...]
    path: str
    prefix_known: bool  # False: a prefix was not a literal and is missing from `path`
    function: FunctionFacts
    file: str
    dependencies: tuple[str, ...]  # from the decorator, the routers and the include_router calls

    @property
    def label(self) -> str:
        """`POST /items create_item`: how messages name an endpoint."""
        return f"{'/'.join(self.methods)} {self.path or '/'} {self.function.name}"

    def to_json(self) -> list[dict[str, object]]:
        return [
            {
                "method": method,
                "path": self.path or "/",
                "function": self.function.qualname,
                "file": self.file,
                "line": self.function.span.line,
                **({} if self.prefix_known else {"prefix_known": False}),
            }
            for method in self.methods
        ]


@dataclass(frozen=True)
class Dependency:
    """A function FastAPI calls for an endpoint, reached through Depends/Security."""

    function: FunctionFacts
    file: str


class EndpointIndex:
    """Every endpoint of the scanned repository, resolved across modules."""

    def __init__(self, summaries: Sequence[ModuleSummary], modules: ModuleIndex | None = None) -> None:
        self._modules = modules or ModuleIndex(summaries)
        self._facts = [s.extras[FACTS_KEY] for s in summaries if FACTS_KEY in s.extras and not s.is_test_file]
        self.functions: dict[str, tuple[FunctionFacts, str]] = {}
        self._classes: dict[str, tuple[str, ...]] = {}
        self._dataclasses: set[str] = set()
        self._aliases: dict[str, TypeRef] = {}
        self._assignments: dict[str, str] = {}
        self._called: set[str] = set()
        self._routers: dict[str, RouterDecl] = {}
        self._inclusions: list[Inclusion] = []
        for facts in self._facts:
            for qualname, function in facts.functions.items():
                self.functions[qualname] = (function, facts.path)
            self._classes.update(facts.classes)
            self._dataclasses |= facts.dataclasses
            self._aliases.update(facts.type_aliases)
            self._assignments.update(facts.assignments)
            self._called |= facts.called
            for router in facts.routers:
                self._routers[router.key] = router
            self._inclusions.extend(facts.inclusions)
        self._router_class_memo: dict[str, bool] = {}
        self._included: dict[tuple[str, bool], list[Inclusion]] | None = None
        self._mounts_memo: dict[str, set[Mount]] = {}
        self._handlers: list[Handler] | None = None
        self.endpoints = self._find_endpoints()

    # names ------------------------------------------------------------------------------------

    def resolve(self, name: str | None, depth: int = 0) -> str | None:
        """The defining name of `name`, through imports, re-exports and plain `x = y` aliases.
        A name the repository does not define (`fastapi.APIRouter`) comes back unchanged."""
        if name is None or depth > 10:
            return name
        if name in self._assignments and name not in self._called:
            return self.resolve(self._assignments[name], depth + 1)
        if self._defines(name):
            return name
        parts = name.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            summary = self._modules.module(".".join(parts[:cut]))
            if summary is None:
                continue
            head, rest = parts[cut], parts[cut + 1 :]
            target = summary.imports.aliases.get(head)
            if target is not None:
                candidate = ".".join([target, *rest])
            else:
                candidate = ".".join(p for p in (summary.module, head, *rest) if p)
            if candidate == name:
                return name
            resolved = self.resolve(candidate, depth + 1)
            if target is not None or self._defines(resolved) or resolved in self._assignments:
                return resolved
            return name
        return name

    def _defines(self, name: str | None) -> bool:
        return bool(name) and (
            name in self.functions or name in self._classes or name in self._routers or name in self._aliases
        )

    def is_router_class(self, name: str | None, depth: int = 0) -> bool:
        name = self.resolve(name)
        if name is None or depth > 10:
            return False
        if name in ROUTER_CLASSES:
            return True
        if name not in self._router_class_memo:
            self._router_class_memo[name] = False
            found = False
            if name in self._classes:
                found = any(self.is_router_class(base, depth + 1) for base in self._classes[name])
            elif name in self._called:
                found = self._returns_router(self._assignments[name], depth, as_class=True)
            self._router_class_memo[name] = found
        return self._router_class_memo[name]

    def _returns_router(self, factory: str, depth: int, *, as_class: bool) -> bool:
        """A function annotated to return a router (`-> APIRouter`) or a router class
        (`-> type[APIRouter]`)."""
        entry = self.functions.get(self.resolve(factory) or "")
        returns = entry[0].returns if entry else None
        if returns is None:
            return False
        if as_class:
            if returns.kind == "generic" and returns.name in ("builtins.type", "typing.Type") and returns.args:
                return returns.args[0].kind == "name" and self.is_router_class(returns.args[0].name, depth + 1)
            return False
        return returns.kind == "name" and self.is_router_class(returns.name, depth + 1)

    def router(self, name: str | None) -> RouterDecl | None:
        """The router held by `name`, if it is a FastAPI app or router."""
        key = self.resolve(name)
        router = self._routers.get(key or "")
        if router is None:
            return None
        if self.is_router_class(router.factory) or self._returns_router(router.factory or "", 0, as_class=False):
            return router
        return None

    def is_model(self, name: str | None, depth: int = 0) -> bool:
        """A Pydantic/SQLModel model or a dataclass: FastAPI validates it."""
        name = self.resolve(name)
        if name is None or depth > 10:
            return False
        if name in MODEL_BASES or name in self._dataclasses:
            return True
        return any(self.is_model(base, depth + 1) for base in self._classes.get(name, ()))

    def type_of(self, ref: TypeRef | None, depth: int = 0) -> TypeRef | None:
        """`ref` with module-level type aliases replaced by what they stand for."""
        if ref is None or depth > 10:
            return ref
        if ref.kind == "name":
            target = self.resolve(ref.name)
            if target in self._aliases:
                return self.type_of(self._aliases[target], depth + 1)
            return TypeRef("name", target)
        if ref.kind in ("generic", "union", "annotated"):
            name = self.resolve(ref.name) if ref.name else None
            return TypeRef(ref.kind, name, tuple(self.type_of(a, depth + 1) for a in ref.args), ref.markers)  # type: ignore[misc]
        return ref

    # endpoints --------------------------------------------------------------------------------

    def _mounts(self, key: str, seen: frozenset[str]) -> set[Mount]:
        """Where router `key` serves: every chain of `include_router`/`mount` above it, with its
        own prefix and dependencies included."""
        if not seen and key in self._mounts_memo:
            return self._mounts_memo[key]
        router = self._routers[key]
        mounts: set[Mount] = set()
        for inclusion in self._inclusions_of(key):
            parent = self.router(inclusion.parent)
            if parent is None or parent.key in seen:
                continue
            for above in self._mounts(parent.key, seen | {key}):
                mounts.add(
                    Mount(
                        _join(above.prefix, inclusion.prefix),
                        above.prefix_known and inclusion.prefix_known,
                        (*above.dependencies, *inclusion.dependencies),
                    )
                )
        if not mounts:
            mounts.add(Mount("", True, ()))
        found = {
            Mount(
                _join(mount.prefix, router.prefix),
                mount.prefix_known and router.prefix_known,
                (*mount.dependencies, *router.dependencies),
            )
            for mount in mounts
        }
        if not seen:
            self._mounts_memo[key] = found
        return found

    def _inclusions_of(self, key: str) -> list[Inclusion]:
        """The `include_router` calls that include router `key`: by name, or, for a router a
        factory function builds and returns, by a call of the factory (the router is one of its
        locals)."""
        if self._included is None:
            self._included = {}
            for inclusion in self._inclusions:
                child = self.resolve(inclusion.child)
                if child is not None:
                    self._included.setdefault((child, inclusion.child_is_call), []).append(inclusion)
        found = list(self._included.get((key, False), ()))
        marker = ".<locals>."
        start = key.find(marker)
        while start != -1:
            found += self._included.get((key[:start], True), ())
            start = key.find(marker, start + 1)
        return found

    def _find_endpoints(self) -> list[Endpoint]:
        endpoints = []
        for facts in self._facts:
            for route in facts.routes:
                router = self.router(route.owner)
                target = self.resolve(route.function)
                if router is None or target not in self.functions:
                    continue
                function, file = self.functions[target]
                for mount in sorted(self._mounts(router.key, frozenset())):
                    endpoints.append(
                        Endpoint(
                            methods=route.methods,
                            path=_join(mount.prefix, route.path or ""),
                            prefix_known=mount.prefix_known and route.path is not None,
                            function=function,
                            file=file,
                            dependencies=(*mount.dependencies, *route.dependencies),
                        )
                    )
        endpoints.sort(key=lambda e: (e.file, e.function.span.line, e.path, e.methods))
        return endpoints

    def records(self) -> list[dict[str, object]]:
        """The endpoints as report records (method, path, function, file, line), sorted."""
        records = [record for endpoint in self.endpoints for record in endpoint.to_json()]
        return sorted(records, key=lambda r: (str(r["file"]), int(r["line"]), str(r["path"]), str(r["method"])))  # type: ignore[call-overload]

    # parameters and dependencies --------------------------------------------------------------

    def markers_of(self, param: Parameter) -> tuple[TypeRef | None, Marker | None]:
        """The parameter's type (aliases resolved, `Annotated` unwrapped) and its FastAPI marker."""
        annotation = self.type_of(param.annotation)
        marker = param.marker
        while annotation is not None and annotation.kind == "annotated":
            marker = marker or next(iter(annotation.markers), None)
            annotation = annotation.args[0] if annotation.args else None
        return annotation, marker

    def dependencies(self, endpoint: Endpoint) -> list[Dependency]:
        """Every repo function FastAPI runs for the endpoint through Depends/Security, transitively."""
        found: dict[str, Dependency] = {}
        pending = [*endpoint.dependencies, *self._direct_dependencies(endpoint.function)]
        while pending:
            name = pending.pop()
            entry = self._dependency_function(name)
            if entry is None or entry.function.qualname in found:
                continue
            found[entry.function.qualname] = entry
            pending.extend(self._direct_dependencies(entry.function))
        return sorted(found.values(), key=lambda d: (d.file, d.function.span.line))

    def _direct_dependencies(self, function: FunctionFacts) -> list[str]:
        names = []
        for param in function.params:
            annotation, marker = self.markers_of(param)
            if marker is None or marker.kind not in ("Depends", "Security"):
                continue
            if marker.dependency:
                names.append(marker.dependency)
            elif annotation is not None and annotation.kind == "name" and annotation.name:
                names.append(annotation.name)
        return names

    def _dependency_function(self, name: str) -> Dependency | None:
        target = self.resolve(name)
        if target is None:
            return None
        if target in self._called and target in self._assignments:
            # `checker = RoleChecker(...)`: FastAPI calls the instance, i.e. `RoleChecker.__call__`.
            cls = self.resolve(self._assignments[target])
            target = f"{cls}.__call__" if cls in self._classes else None
        elif target in self._classes:
            if self.is_model(target):
                return None
            target = f"{target}.__init__"
        entry = self.functions.get(target or "")
        return Dependency(entry[0], entry[1]) if entry else None

    def parameter_source(self, param: Parameter, endpoint_path: str | None) -> str:
        """Where FastAPI takes the parameter from: `body`, `query`, `path`, `header`, `cookie`,
        `form`, `file`, `dependency`, `framework` (Request, Response, ...) or `receiver` (self)."""
        if param.is_receiver:
            return "receiver"
        annotation, marker = self.markers_of(param)
        if marker is not None:
            return "dependency" if marker.kind in ("Depends", "Security") else marker.kind.lower()
        if annotation is not None and annotation.kind == "name" and annotation.name in FRAMEWORK_TYPES:
            return "framework"
        if endpoint_path is not None and param.name in set(_PATH_PARAMETER.findall(endpoint_path)):
            return "path"
        return "body" if annotation is not None and self._is_complex(annotation) else "query"

    def _is_complex(self, ref: TypeRef) -> bool:
        """FastAPI reads a parameter of this type from the body when no marker says otherwise."""
        if ref.kind == "union":
            return any(self._is_complex(arg) for arg in ref.args)
        if ref.kind == "annotated":
            return bool(ref.args) and self._is_complex(ref.args[0])
        if ref.kind in ("name", "generic"):
            return ref.name in DICT_TYPES or ref.name in SEQUENCE_TYPES or self.is_model(ref.name)
        return False

    def handlers(self) -> list[Handler]:
        """Every function that runs on a request: endpoints, then the dependencies they use, each
        once, with the endpoints it serves. Computed once per index: rules must not change it."""
        if self._handlers is not None:
            return self._handlers
        by_function: dict[str, Handler] = {}
        served: set[tuple[str, int]] = set()  # (function, id of an endpoint it serves)
        for endpoint in self.endpoints:
            qualname = endpoint.function.qualname
            handler = by_function.setdefault(
                qualname, Handler(endpoint.function, endpoint.file, [], is_dependency=False)
            )
            handler.endpoints.append(endpoint)
            served.add((qualname, id(endpoint)))
        for endpoint in self.endpoints:
            for dependency in self.dependencies(endpoint):
                qualname = dependency.function.qualname
                handler = by_function.setdefault(
                    qualname, Handler(dependency.function, dependency.file, [], is_dependency=True)
                )
                if (qualname, id(endpoint)) not in served:
                    served.add((qualname, id(endpoint)))
                    handler.endpoints.append(endpoint)
        self._handlers = sorted(by_function.values(), key=lambda h: (h.file, h.function.span.line))
        return self._handlers

    def parameter_type(self, param: Parameter) -> TypeRef | None:
        return self.markers_of(param)[0]

    def is_request(self, function: FunctionFacts, name: str) -> bool:
        return self._parameter_has_type(function, name, REQUEST_TYPES)

    def is_websocket(self, function: FunctionFacts, name: str) -> bool:
        return self._parameter_has_type(function, name, WEBSOCKET_TYPES)

    def _parameter_has_type(self, function: FunctionFacts, name: str, types: frozenset[str]) -> bool:
        for param in function.params:
            if param.name == name:
                annotation = self.parameter_type(param)
                return annotation is not None and annotation.kind == "name" and annotation.name in types
        return False

    def validated(self, read: RawRead) -> bool:
        """Handed to a validating call, or used to build a model (`Item(**data)`)."""
        return read.validated or any(self.is_model(name) for name in read.constructors)


def _join(prefix: str, path: str) -> str:
    """`/api` + `/items`; a mount at `/` adds no second slash."""
    if prefix.endswith("/") and path.startswith("/"):
        return prefix + path[1:]
    return prefix + path


@dataclass
class Handler:
    """A function that runs on requests: an endpoint, or a dependency of some endpoints."""

    function: FunctionFacts
    file: str
    endpoints: list[Endpoint]
    is_dependency: bool

    @property
    def dependency_name(self) -> str:
        """`get_payload`; for a class dependency `Filters` (its `__init__`) or `Checker.__call__`."""
        parts = self.function.qualname.split(".")
        if self.function.name == "__init__" and len(parts) > 1:
            return parts[-2]
        if self.function.name == "__call__" and len(parts) > 1:
            return f"{parts[-2]}.__call__"
        return self.function.name

    def describe(self) -> str:
        """`POST /items create_item`, or `dependency get_payload of POST /items create_item`."""
        first = self.endpoints[0]
        others = {e.function.qualname for e in self.endpoints} - {first.function.qualname}
        more = f" (and {len(others)} more endpoint{'s' if len(others) > 1 else ''})" if others else ""
        if self.is_dependency:
            return f"dependency `{self.dependency_name}` of `{first.label}`{more}"
        return f"`{first.label}`"


_INDEX_KEY = "endpoint-index"


class EndpointRule(Rule):
    """Base of rules about endpoints: records each module's endpoint facts during the walk, for
    `index_repo` in the rule's `check_repo`; the item applies only where there are endpoints."""

    always_applicable = False

    def __init__(self, context: FileContext, options: Mapping[str, Any]) -> None:
        super().__init__(context, options)
        walk = context.shared.get(FACTS_KEY)
        if walk is None:
            walk = context.shared[FACTS_KEY] = _FactsWalk(context)
        walk.members.append(self)
        self._walk = walk

    def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], None]]:
        """The first endpoint rule of a walk collects the facts; the others walk nothing."""
        walk = self._walk
        if walk.collector is None or walk.members[0] is not self:
            return {}
        return {name: self._guard(method) for name, method in walk.collector.get_visitors().items()}

    def walks_for(self) -> Sequence[Rule]:
        return self._walk.members


def index_repo(repo: RepoContext) -> EndpointIndex:
    """The endpoint index for a repository pass; also publishes the endpoint list for reports
    and marks the checklist item applicable when there are endpoints."""
    index = repo.shared.get(_INDEX_KEY)
    if index is None:
        index = repo.shared[_INDEX_KEY] = EndpointIndex(repo.summaries, repo.index)
    repo.extras["endpoints"] = index.records()
    if index.endpoints:
        repo.mark_applicable()
    return index
