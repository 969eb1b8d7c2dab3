"""What one module declares to FastAPI, as plain picklable records, and the framework's names.

`ModuleFacts` is what the per-file collector (`collector.py`) stores in a module summary: routers
created there, functions decorated as routes, `add_api_route` registrations, `include_router`
calls, every function's parameters (annotation, FastAPI marker such as `Body(...)` or
`Depends(dep)`) and reads of the raw request. The tables name FastAPI's and Starlette's classes,
markers and request methods by qualified name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reviewer.model import Span
from reviewer.pickling import pickled_by_fields

FACTS_KEY = "endpoints"

APPLICATION_CLASSES = frozenset({"fastapi.FastAPI", "fastapi.applications.FastAPI", "starlette.applications.Starlette"})
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
DEPENDENCY_MARKERS = frozenset({"Depends", "Security"})
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
UPLOAD_FILE_TYPES = frozenset(
    {"fastapi.UploadFile", "fastapi.datastructures.UploadFile", "starlette.datastructures.UploadFile"}
)
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
        }
    )
    | UPLOAD_FILE_TYPES
)
ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated"})
UNION = frozenset({"typing.Union", "typing_extensions.Union"})
OPTIONAL = frozenset({"typing.Optional", "typing_extensions.Optional"})
LITERAL = frozenset({"typing.Literal", "typing_extensions.Literal"})
# Request methods that return the client's input without any schema.
REQUEST_READS = frozenset({"json", "form", "body", "stream"})
# Of those, the ones that give the body's fields, read by key (`body = await request.json()`).
REQUEST_BODY_READS = frozenset({"json", "form"})
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
MODEL_FACTORIES = frozenset({"pydantic.create_model", "pydantic.main.create_model"})
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


# The kind of a marker for a call in `Annotated[...]` to a function (its `dependency`) that may
# return one: the index reads it as the marker returned (`return Depends(checker)`), if any.
MADE = "Made"


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Marker:
    """A FastAPI parameter function in a default or in `Annotated[...]`: `Body(embed=True)`."""

    kind: str  # Body, Query, Path, Header, Cookie, Form, File, Depends, Security; or MADE
    embed: bool = False
    dependency: str | None = None  # qualified callee given to Depends/Security

    @property
    def injects(self) -> bool:
        """`Depends(...)` or `Security(...)`: FastAPI runs a dependency for the parameter."""
        return self.kind in DEPENDENCY_MARKERS


@pickled_by_fields
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


Slot = int | str  # an argument's position, or its keyword
ParamCall = tuple[str, Slot, tuple[tuple[Slot, str], ...]]


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
    returned: bool = False  # the function returns the data: a dependency's consumers get it
    forwarded: bool = False  # sent on whole in an outbound HTTP request (a proxy)
    calls: tuple[ParamCall, ...] = ()  # calls the data is handed to (`FunctionFacts.param_calls`)


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
    # Parameters it validates itself (`Model.model_validate(data)`, `jsonschema.validate(values,
    # schema)`), also through variables derived from them.
    validated_params: tuple[str, ...] = ()
    # Callees each parameter's data is handed to (`Item(**data)`): it is validated if one is a model.
    param_constructors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The same calls with where the data goes, for helpers of the repository that validate it:
    # (callee, the argument it fills: a position or a keyword, the classes the call passes as
    # ((position or keyword, qualified name), ...)).
    param_calls: dict[str, tuple[ParamCall, ...]] = field(default_factory=dict)
    # Parameters validated by a class another parameter holds (`model(**data)`,
    # `model.model_validate(data)`): parameter -> those parameters.
    validated_by: dict[str, tuple[str, ...]] = field(default_factory=dict)
    unused_params: tuple[str, ...] = ()  # never read in the body (an endpoint that always answers 410)
    returned_params: tuple[str, ...] = ()  # parameters it returns as given (`return router`)
    returned_names: tuple[str, ...] = ()  # module-level names it returns (`return router`), qualified
    # The dependencies a factory hands back as markers (`return Depends(checker)`), qualified: what
    # `Annotated[Role, RoleACL(...)]` makes FastAPI run.
    returned_dependencies: tuple[str, ...] = ()


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ResponseDecl:
    """What a route declares of its response (the decorator's or `add_api_route`'s keywords)."""

    model: TypeRef | None = None  # `response_model=`; TypeRef("none") for `response_model=None`
    response_class: str | None = None  # `response_class=`, qualified
    status_code: str | None = None  # `status_code=`: a literal (`"204"`) or the name given, qualified
    exclude: tuple[str, ...] | None = None  # `response_model_exclude={...}` (None: not given or not literal)
    include: tuple[str, ...] | None = None  # `response_model_include={...}`
    in_schema: bool = True  # False: `include_in_schema=False`, left out of OpenAPI
    documented: bool = False  # `responses={200: {...}}` describes a success response by hand


@dataclass(slots=True)
class RouteDecl:
    owner: str | None  # qualified name of the object the route is registered on
    methods: tuple[str, ...]
    path: str | None
    function: str | None  # qualified name of the endpoint function
    dependencies: tuple[str, ...] = ()  # `dependencies=[Depends(dep)]`
    response: ResponseDecl = ResponseDecl()
    # Registered on a parameter of function `scope` (`def add_health(app): @app.get("/health")`):
    # the index reads the owner from the function's calls.
    scope: str | None = None
    owner_param: str | None = None


@dataclass(slots=True)
class RouterDecl:
    key: str  # qualified name of the variable holding the router
    factory: str | None  # qualified callee: `fastapi.APIRouter`, `app.routers.UserAPIRouter`
    prefix: str  # literal parts only
    prefix_known: bool
    dependencies: tuple[str, ...] = ()
    prefix_parts: tuple[tuple[bool, str], ...] = ()  # a prefix that is not a literal (`path_parts`)
    in_schema: bool = True  # False: `include_in_schema=False` or `FastAPI(openapi_url=None)`


@dataclass(slots=True)
class Inclusion:
    parent: str | None
    child: str | None
    prefix: str
    prefix_known: bool
    child_is_call: bool = False  # `include_router(build_router())`: `child` names the factory
    dependencies: tuple[str, ...] = ()  # `include_router(r, dependencies=[Depends(auth)])`
    prefix_parts: tuple[tuple[bool, str], ...] = ()  # a prefix that is not a literal (`path_parts`)
    mounts_app: bool = False  # `app.mount(path, sub_app)`: the child is an application of its own
    in_schema: bool = True  # False: `include_router(r, include_in_schema=False)`
    # What the repository pass fills in (`inclusions.py`): the parameters of function `scope` that
    # give the parent, child or prefix (`def register(app, router): app.include_router(router)`),
    # and the element of a sequence a loop runs over that gives the child or prefix
    # (`for router, prefix in ROUTERS:`): (sequence's qualified name, position in the element,
    # -1 for the element itself).
    scope: str | None = None
    parent_param: str | None = None
    child_param: str | None = None
    prefix_param: str | None = None
    child_item: tuple[str, int] | None = None
    prefix_item: tuple[str, int] | None = None

    @property
    def is_template(self) -> bool:
        """Part of it is filled in by the calls of its function, or by a sequence's elements."""
        return bool(self.parent_param or self.child_param or self.prefix_param or self.child_item or self.prefix_item)


# A value as written in a call's argument or a sequence's element: ("name", qualified name),
# ("param", a parameter of the calling function), ("str", a literal string), ("call", the
# qualified callee of a call) or ("other", "").
Value = tuple[str, str]


@dataclass(slots=True)
class HelperCall:
    """A call, as a statement, of a function with names among its arguments
    (`register_routes(app)`, `include_with_prefix(application, users.router, prefix="/users")`):
    how a function that includes routers on its parameters is told what they hold."""

    callee: str  # qualified
    caller: str | None  # the function the call is made in (a `param` argument is one of its parameters)
    args: tuple[tuple[Slot, Value], ...]  # (position or keyword, value)
    assigned: str | None = None  # `x = helper(...)`: the key of `x` (a router a helper returns)


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
    # Module-level `X = f(g, ...)` -> g, the name the call is handed first (`copy_func(verify)`).
    handed_first: dict[str, str] = field(default_factory=dict)
    # String constants of the module and its classes (`API_PREFIX = "/api"`, `Settings.API_V1_STR`).
    strings: dict[str, str] = field(default_factory=dict)
    # Module-level list/tuple literals of names (`ROUTERS = [users.router, (items.router, "/items")]`):
    # qualified name -> its elements, each as the values it holds (one, or a tuple's).
    sequences: dict[str, tuple[tuple[Value, ...], ...]] = field(default_factory=dict)
    helper_calls: list[HelperCall] = field(default_factory=list)
