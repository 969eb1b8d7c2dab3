"""What the flow analysis knows of Python and web frameworks, by qualified name: calls and
methods whose result is constrained or carries its receiver's trust, where request data and
external input come from, which annotations constrain a value. Data only."""

from __future__ import annotations

TYPE_CONSTRAINING_CALLS = frozenset(
    {
        "builtins.int",
        "builtins.float",
        "builtins.bool",
        "builtins.len",
        "builtins.abs",
        "builtins.round",
        "builtins.min",
        "builtins.max",
        "builtins.sum",
        "builtins.hash",
        "builtins.ord",
        "builtins.id",
        "uuid.UUID",
        "uuid.uuid4",
        "uuid.uuid1",
        "decimal.Decimal",
        "datetime.datetime",
        "datetime.date",
        "datetime.timedelta",
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.date.today",
        "time.time",
        "math.ceil",
        "math.floor",
        # letters, digits and a separator only
        "slugify.slugify",
        "django.utils.text.slugify",
    }
)


# Methods of `str` whose result carries the receiver's trust.
STRING_METHODS = frozenset(
    {
        "lower",
        "upper",
        "strip",
        "lstrip",
        "rstrip",
        "title",
        "capitalize",
        "casefold",
        "replace",
        "removeprefix",
        "removesuffix",
        "format",
        "zfill",
        "ljust",
        "rjust",
        "center",
        "swapcase",
        "encode",
        "decode",
        "expandtabs",
        "translate",
    }
)


SAFE_RESULT_METHODS = frozenset(
    {
        "isoformat",
        "strftime",
        "timestamp",
        "count",
        "index",
        "find",
        "startswith",
        "endswith",
        "isdigit",
        "isnumeric",
        "isalnum",
        "isidentifier",
        "total_seconds",
        "bit_length",
    }
)


SAFE_ATTRIBUTES = frozenset({"__tablename__", "__name__", "__table__", "value", "hex", "int", "key", "fullname"})


REQUEST_READ_METHODS = frozenset({"json", "form", "body", "stream"})


USER_INPUT_CALLS = frozenset({"builtins.input"})


# Framework globals that hold the current request.
REQUEST_GLOBALS = frozenset({"flask.request", "quart.request", "bottle.request"})


COLLECTION_CONSTRUCTORS = frozenset(
    {"builtins.frozenset", "builtins.set", "builtins.tuple", "builtins.dict", "builtins.list"}
)


EXTERNAL_ATTRIBUTES = frozenset({"sys.argv", "sys.stdin"})


STRING_TYPES = frozenset(
    {
        "builtins.str",
        "typing.Any",
        "typing.AnyStr",
        "builtins.bytes",
        "builtins.object",
        "pydantic.constr",
        "pydantic.types.constr",
    }
)


CONTAINER_TYPES = frozenset(
    {
        "builtins.list",
        "builtins.set",
        "builtins.frozenset",
        "builtins.tuple",
        "builtins.dict",
        "typing.List",
        "typing.Set",
        "typing.FrozenSet",
        "typing.Tuple",
        "typing.Dict",
        "typing.Mapping",
        "typing.Sequence",
        "typing.Iterable",
        "typing.Collection",
        "collections.abc.Sequence",
        "collections.abc.Iterable",
        "collections.abc.Mapping",
        "collections.abc.Collection",
        "typing.MutableMapping",
        "collections.abc.MutableMapping",
    }
)


UNION_TYPES = frozenset({"typing.Optional", "typing.Union"})


LITERAL_TYPES = frozenset({"typing.Literal", "typing_extensions.Literal"})


ANNOTATED_TYPES = frozenset({"typing.Annotated", "typing_extensions.Annotated"})


REQUEST_TYPES = frozenset(
    {
        "fastapi.Request",
        "starlette.requests.Request",
        "fastapi.WebSocket",
        "starlette.websockets.WebSocket",
        "fastapi.requests.Request",
        "flask.Request",
    }
)


ENUM_BASES = frozenset({"enum.Enum", "enum.StrEnum", "enum.IntEnum", "enum.Flag", "enum.IntFlag"})


DEPENDENCY_MARKERS = frozenset({"fastapi.Depends", "fastapi.Security", "fastapi.params.Depends"})


ROUTE_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "api_route", "websocket", "route"}
)


EXIT_STATEMENTS = frozenset({"Raise", "Return", "Continue", "Break"})  # node type names
