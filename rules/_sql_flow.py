"""Where SQL text comes from and where it goes: the shared analysis of the SQL rules.

A *sink* is a call that sends text to the database or turns it into SQL: SQLAlchemy `text()`,
`literal_column()`, `DDL()`, `Session/Connection.execute()`, `exec_driver_sql()`, DB-API
`cursor.execute/executemany/executescript`, asyncpg `fetch/fetchrow/fetchval/execute`,
`databases` `fetch_all/fetch_one/execute`, `pandas.read_sql*`, Alembic `op.execute`, psycopg
`sql.SQL()`. Functions are resolved through imports (`text` is SQLAlchemy's only if imported from
there); methods are recognised by name, and only count when the text they receive is SQL or the
receiver is a database object.

Inside one function the analysis follows strings in statement order: literals, f-strings, `%`,
`.format()`, `+`/`+=`, `"".join(...)`, `string.Template`, lists of conditions that are appended
to and joined, and module-level and class-level constants. A string is a sequence of literal
pieces and *holes* (interpolated expressions); each hole has a trust level:

- trusted: constants, configuration, values looked up in or checked against a constant
  collection, `Literal`/`Enum`/`int`/`UUID`/`datetime` values, escaped identifiers, placeholders;
- untrusted: route parameters and request data (user-controlled), `str` or unannotated function
  parameters (caller-supplied), HTTP responses, `input()` and argv (externally sourced);
- unknown: anything else (an attribute of `self`, the result of an application function, rows
  the application reads back from its own database). Unknown is never reported: the rules
  report what they can show.

The SQL text that reaches a sink is parsed with sqlglot, holes replaced by identifiers and
placeholders of every style (`:name`, `%s`, `%(name)s`, `?`, `$1`) left to the dialect.
"""

from __future__ import annotations

import enum
import re
import string
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

from reviewer import lazy_cst as cst
from reviewer.rule import FileContext, Rule
from reviewer.semantics.names import ImportTable, NameResolver, dotted_name
from reviewer.syntax import argument, keyword, string_value
from reviewer.traversal import Visitor, visit

# ---------------------------------------------------------------------------------------------
# The sink table

SQL_TEXT_FUNCTIONS: dict[str, tuple[str, int, str]] = {
    # qualified name -> (display name, position, keyword) of the SQL text argument
    "sqlalchemy.text": ("text()", 0, "text"),
    "sqlalchemy.sql.text": ("text()", 0, "text"),
    "sqlalchemy.sql.expression.text": ("text()", 0, "text"),
    "sqlmodel.text": ("text()", 0, "text"),
    "sqlalchemy.literal_column": ("literal_column()", 0, "text"),
    "sqlalchemy.sql.literal_column": ("literal_column()", 0, "text"),
    "sqlalchemy.sql.expression.literal_column": ("literal_column()", 0, "text"),
    "sqlmodel.literal_column": ("literal_column()", 0, "text"),
    "sqlalchemy.DDL": ("DDL()", 0, "statement"),
    "sqlalchemy.schema.DDL": ("DDL()", 0, "statement"),
    "alembic.op.execute": ("op.execute", 0, "sqltext"),
    "pandas.read_sql": ("pandas.read_sql", 0, "sql"),
    "pandas.read_sql_query": ("pandas.read_sql_query", 0, "sql"),
    "psycopg.sql.SQL": ("psycopg.sql.SQL", 0, "obj"),
    "psycopg2.sql.SQL": ("psycopg2.sql.SQL", 0, "sql"),
}
# SQLAlchemy constructs whose text is a fragment (a column, a clause), not a statement.
SQL_FRAGMENT_FUNCTIONS = frozenset(
    name for name, (display, _, _) in SQL_TEXT_FUNCTIONS.items() if display in ("text()", "literal_column()")
)
# Methods that send their first argument to the database when it is SQL text.
SQL_METHODS = frozenset(
    {
        "execute",
        "executemany",
        "executescript",
        "exec_driver_sql",
        "execute_many",
        "fetch",
        "fetchrow",
        "fetchval",
        "fetch_all",
        "fetch_one",
        "fetch_val",
        "iterate",
        "scalar",
        "scalars",
        "read_sql",
        "read_sql_query",
        "exec",
    }
)
# Receivers known by their annotation or constructor, by qualified class name -> display name.
DB_CLASSES = {
    "sqlalchemy.orm.Session": "Session",
    "sqlalchemy.orm.session.Session": "Session",
    "sqlmodel.Session": "Session",
    "sqlalchemy.ext.asyncio.AsyncSession": "AsyncSession",
    "sqlmodel.ext.asyncio.session.AsyncSession": "AsyncSession",
    "sqlalchemy.engine.Connection": "Connection",
    "sqlalchemy.Connection": "Connection",
    "sqlalchemy.engine.base.Connection": "Connection",
    "sqlalchemy.ext.asyncio.AsyncConnection": "AsyncConnection",
    "sqlalchemy.engine.Engine": "Engine",
    "sqlalchemy.Engine": "Engine",
    "asyncpg.Connection": "asyncpg.Connection",
    "asyncpg.connection.Connection": "asyncpg.Connection",
    "asyncpg.Pool": "asyncpg.Pool",
    "asyncpg.pool.Pool": "asyncpg.Pool",
    "databases.Database": "Database",
    "sqlite3.Connection": "sqlite3.Connection",
    "sqlite3.Cursor": "sqlite3.Cursor",
    "psycopg.Connection": "psycopg.Connection",
    "psycopg.Cursor": "psycopg.Cursor",
    "psycopg.AsyncConnection": "psycopg.AsyncConnection",
    "psycopg.AsyncCursor": "psycopg.AsyncCursor",
    "psycopg2.extensions.connection": "psycopg2 connection",
    "psycopg2.extensions.cursor": "psycopg2 cursor",
}
CONNECT_FUNCTIONS = {
    "asyncpg.connect": "asyncpg.Connection",
    "asyncpg.create_pool": "asyncpg.Pool",
    "sqlite3.connect": "sqlite3.Connection",
    "psycopg.connect": "psycopg.Connection",
    "psycopg.AsyncConnection.connect": "psycopg.AsyncConnection",
    "psycopg2.connect": "psycopg2 connection",
}
_DB_RECEIVER_NAME = re.compile(
    r"(?:^|_)(?:cur|cursor|conn|connection|session|db|database|pool|engine|tx|transaction)s?$", re.IGNORECASE
)
# Statements start with one of these; a string that does not is not SQL sent by a generic method.
_SQL_START = re.compile(
    r"^\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*\(?\s*(?:select|insert|update|delete|with|create|alter|drop|grant|revoke|"
    r"set|truncate|copy|vacuum|analyze|explain|begin|commit|rollback|lock|refresh|call|do|comment|reindex|"
    r"show|pragma|merge|replace|upsert|values|declare|savepoint|release|listen|notify|cluster)\b",
    re.IGNORECASE | re.DOTALL,
)
# Parameters whose name says the caller passes SQL: the function's contract, not a value.
_SQL_FRAGMENT_PARAMETER = re.compile(
    r"^(?:sql|stmt|statement|clause|ddl|where|where_clause|conditions?|predicates?|\w+_sql|sql_\w+|\w+_clause|\w+_stmt)$"
)
# Passed whole as SQL, `query` and `expression` are SQL too; spliced into SQL they may be a search term.
_SQL_PARAMETER_NAMES = re.compile(
    r"^(?:query|expression|raw|raw_sql|query_text|\w+_query|sql|stmt|statement|clause|ddl|where|where_clause|"
    r"conditions?|predicates?|\w+_sql|sql_\w+|\w+_clause|\w+_stmt)$"
)

# ---------------------------------------------------------------------------------------------
# Trust


class Level(enum.IntEnum):
    TRUSTED = 0
    UNKNOWN = 1
    UNTRUSTED = 2


USER = "user-controlled"
CALLER = "caller-supplied"
EXTERNAL = "externally sourced"


@dataclass(frozen=True)
class Trust:
    level: Level
    origin: str = ""

    def __or__(self, other: Trust) -> Trust:
        return self if self.level >= other.level else other

    @property
    def untrusted(self) -> bool:
        return self.level is Level.UNTRUSTED


TRUSTED = Trust(Level.TRUSTED)
UNKNOWN = Trust(Level.UNKNOWN)


def worst(trusts: Iterable[Trust]) -> Trust:
    result = TRUSTED
    for trust in trusts:
        result = result | trust
    return result


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
    }
)
ESCAPING_CALLS = frozenset(
    {
        "psycopg.sql.Identifier",
        "psycopg.sql.Literal",
        "psycopg.sql.Placeholder",
        "psycopg2.sql.Identifier",
        "psycopg2.sql.Literal",
        "psycopg2.sql.Placeholder",
        "psycopg2.extensions.quote_ident",
        "psycopg2.extensions.adapt",
        "psycopg.pq.Escaping",
        "sqlalchemy.sql.quoted_name",
        "sqlalchemy.bindparam",
        "sqlalchemy.sql.bindparam",
    }
)
ESCAPING_METHODS = frozenset(
    {
        "quote",
        "quote_identifier",
        "quote_ident",
        "quote_schema",
        "format_table",
        "format_column",
        "escape_identifier",
        "escape_literal",
        "escape_string",
        "literal",
        "mogrify",
        "bindparam",
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


# ---------------------------------------------------------------------------------------------
# Values


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
SqlString = tuple[Part, ...]
MAX_ALTERNATIVES = 16


@dataclass(frozen=True)
class Value:
    """What the analysis knows of a local name."""

    trust: Trust = UNKNOWN
    strings: tuple[SqlString, ...] | None = None  # the string's possible values, when built here
    elements: Trust | None = None  # for collections: the trust of what iterating yields
    attributes: Trust | None = None  # the trust of its attributes (`payload.sort`)
    constant_collection: bool = False  # an allow-list: membership or lookup makes a value trusted
    text_call: cst.Call | None = None  # a `text()` clause holding these strings
    receiver: str | None = None  # display name of a database object (`Session`)
    items: tuple[SqlString, ...] | None = None  # a list of SQL pieces being accumulated
    model: cst.ClassDef | None = None  # a class of this module the value is an instance of


def merge_values(a: Value, b: Value) -> Value:
    if a is b:
        return a
    strings = None
    if a.strings is not None and b.strings is not None:
        strings = _dedupe(a.strings + b.strings)
    items = None
    if a.items is not None and b.items is not None:
        items = _dedupe(a.items + b.items)
    elements = None if a.elements is None or b.elements is None else a.elements | b.elements
    attributes = None if a.attributes is None or b.attributes is None else a.attributes | b.attributes
    return Value(
        trust=a.trust | b.trust,
        strings=strings,
        elements=elements,
        attributes=attributes,
        constant_collection=a.constant_collection and b.constant_collection,
        text_call=a.text_call if a.text_call is b.text_call else None,
        receiver=a.receiver if a.receiver == b.receiver else None,
        items=items,
    )


def _dedupe(strings: Sequence[SqlString]) -> tuple[SqlString, ...]:
    seen: list[SqlString] = []
    for s in strings:
        if s not in seen:
            seen.append(s)
        if len(seen) >= MAX_ALTERNATIVES:
            break
    return tuple(seen)


def concat(left: Sequence[SqlString], right: Sequence[SqlString]) -> tuple[SqlString, ...]:
    return _dedupe([a + b for a in left for b in right])


Env = dict[str, Value]


def merge_envs(a: Env, b: Env) -> Env:
    merged: Env = {}
    for name in a.keys() | b.keys():
        if name in a and name in b:
            merged[name] = merge_values(a[name], b[name])
        else:
            merged[name] = a[name] if name in a else b[name]
    return merged


@dataclass
class SinkUse:
    """SQL text that reaches a sink: where, which sink, and the text's possible values."""

    call: cst.Call
    sink: str
    strings: tuple[SqlString, ...] | None
    raw: cst.BaseExpression | None  # the argument, when it is not a string built here
    raw_trust: Trust
    statement: cst.CSTNode | None
    executor: str | None = None  # the executing call that a `text()` clause reached, if any
    raw_is_sql_parameter: bool = False  # the caller's SQL by the function's contract


# ---------------------------------------------------------------------------------------------
# Per-file analysis


class FileAnalysis:
    """The SQL flow of one file, computed lazily per function and shared by every SQL rule."""

    def __init__(self, context: FileContext) -> None:
        self.context = context
        self._functions: dict[int, list[SinkUse]] = {}
        self._module_env: Env | None = None
        self._module_uses: list[SinkUse] | None = None
        self._classes: dict[str, cst.ClassDef] | None = None
        self._call_sites: dict[str, list[CallSiteInModule]] | None = None
        self._argument_trusts: dict[int, Trust] = {}  # argument node -> trust, in calls of local functions
        self._in_progress: set[int] = set()

    def code(self, node: cst.CSTNode) -> str:
        return self.context.tree.code_for_node(node)

    # Module-level facts ------------------------------------------------------------------

    @property
    def classes(self) -> dict[str, cst.ClassDef]:
        if self._classes is None:
            self._classes = {s.name.value: s for s in self.context.tree.body if isinstance(s, cst.ClassDef)}
        return self._classes

    def module_env(self) -> Env:
        """Module-level names bound to strings or constant collections."""
        if self._module_env is None:
            self._module_env = {}
            flow = FunctionFlow(self, None, [], {}, collect=False)
            self._module_env = flow.run(self.context.tree.body)
        return self._module_env

    def module_uses(self) -> list[SinkUse]:
        if self._module_uses is None:
            flow = FunctionFlow(self, None, [], {}, collect=True)
            flow.run(self.context.tree.body)
            self._module_uses = flow.uses
        return self._module_uses

    def function_uses(self, stack: Sequence[cst.FunctionDef], class_stack: Sequence[cst.ClassDef]) -> list[SinkUse]:
        function = stack[-1]
        key = id(function)
        if key not in self._functions:
            self._in_progress.add(key)
            try:
                flow = FunctionFlow(self, function, stack, self._class_env(class_stack), collect=True)
                flow.run(_body_of(function))
            finally:
                self._in_progress.discard(key)
            self._functions[key] = flow.uses
        return self._functions[key]

    def _class_env(self, class_stack: Sequence[cst.ClassDef]) -> Env:
        """Class-level constants, reachable as `self.NAME` / `cls.NAME` / `Class.NAME`."""
        if not class_stack:
            return {}
        cls = class_stack[-1]
        flow = FunctionFlow(self, None, [], {}, collect=False)
        body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
        inner = flow.run([s for s in body if isinstance(s, cst.SimpleStatementLine)])
        env: Env = {}
        for name, value in inner.items():
            for prefix in ("self", "cls", cls.name.value):
                env[f"{prefix}.{name}"] = value
        if self.is_enum_class(cls):
            env["self.value"] = env["self.name"] = Value(trust=TRUSTED)
        return env

    def is_enum_class(self, cls: cst.ClassDef) -> bool:
        resolver = NameResolver(self.context.summary.imports)
        return any(resolver.qualify(base.value) in ENUM_BASES for base in cls.bases)

    def call_sites(self, name: str) -> list[CallSiteInModule]:
        """Calls of a module-level function by its plain name anywhere in this module, with the
        functions and classes they sit in."""
        if self._call_sites is None:
            sites: dict[str, list[CallSiteInModule]] = {}
            functions: list[cst.FunctionDef] = []
            classes: list[cst.ClassDef] = []

            class Collector(Visitor):
                def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
                    functions.append(node)

                def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
                    functions.pop()

                def visit_ClassDef(self, node: cst.ClassDef) -> None:
                    classes.append(node)

                def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
                    classes.pop()

                def visit_Call(self, node: cst.Call) -> None:
                    if isinstance(node.func, cst.Name):
                        is_method = functions and classes and _directly_in_class(functions[-1], classes[-1])
                        owner = classes[-1:] if is_method else []
                        site = CallSiteInModule(node, tuple(functions), tuple(owner))
                        sites.setdefault(node.func.value, []).append(site)

            visit(self.context.tree, Collector())
            self._call_sites = sites
        return self._call_sites.get(name, [])

    def argument_trust(self, site: CallSiteInModule, function: cst.FunctionDef, param: cst.Param) -> Trust:
        """The trust of what one call passes for `param`, judged in the calling function's flow."""
        arg = _argument_for(site.call, function, param)
        if arg is None:
            return TRUSTED if param.default is not None else UNKNOWN
        if not site.functions:
            return TRUSTED if _is_constant_expression(arg.value, self.context.summary.imports) else UNKNOWN
        caller = site.functions[-1]
        if id(caller) in self._in_progress:
            return UNKNOWN  # recursion: judged by the calls into the cycle
        self.function_uses(site.functions, site.classes)
        return self._argument_trusts.get(id(arg.value), UNKNOWN)

    def module_private(self, function: cst.FunctionDef) -> bool:
        """Only callable from this module: a `_private` function, or any function of a
        migration or script, which nothing imports."""
        path = self.context.path
        defined = self.context.summary.imports.defined
        is_migration = {"revision", "upgrade"} <= defined
        is_script = any(part in path.split("/") for part in ("migrations", "versions", "alembic", "scripts"))
        return function.name.value.startswith("_") or is_script or is_migration


_SHARED_KEY = "sql-flow"


def analysis_for(context: FileContext) -> FileAnalysis:
    """The file's SQL analysis, shared by the SQL rules through the file's per-walk memo (it
    refers back to the context, so it must live no longer than the walk does)."""
    analysis = context.shared.get(_SHARED_KEY)
    if analysis is None:
        analysis = context.shared[_SHARED_KEY] = FileAnalysis(context)
    return analysis


def _body_of(node: cst.FunctionDef | cst.ClassDef) -> Sequence[cst.BaseStatement]:
    body = node.body
    if isinstance(body, cst.IndentedBlock):
        return body.body
    return (cst.SimpleStatementLine(body=body.body),) if isinstance(body, cst.SimpleStatementSuite) else ()


def _always_exits(body: cst.BaseSuite) -> bool:
    statements = body.body if isinstance(body, (cst.IndentedBlock, cst.SimpleStatementSuite)) else ()
    if not statements:
        return False
    last = statements[-1]
    if isinstance(last, cst.SimpleStatementLine):
        return any(type(small).__name__ in EXIT_STATEMENTS for small in last.body)
    return type(last).__name__ in EXIT_STATEMENTS


class _CallCollector(Visitor):
    """Calls in one statement, outermost first, not entering nested scopes."""

    def __init__(self) -> None:
        self.calls: list[cst.Call] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> bool:
        return False


def calls_in(node: cst.CSTNode) -> list[cst.Call]:
    collector = _CallCollector()
    visit(node, collector)
    return collector.calls


# ---------------------------------------------------------------------------------------------
# The flow of one function


class FunctionFlow:
    """Follows values through one function body (or module body) in statement order."""

    def __init__(
        self,
        analysis: FileAnalysis,
        function: cst.FunctionDef | None,
        stack: Sequence[cst.FunctionDef],
        class_env: Env,
        *,
        collect: bool,
    ) -> None:
        self.analysis = analysis
        self.function = function
        self.collect = collect
        self.uses: list[SinkUse] = []
        self.resolver = NameResolver(analysis.context.summary.imports)
        for enclosing in stack:
            self.resolver.visit_FunctionDef(enclosing)
            for statement in _walk_statements(_body_of(enclosing)):
                for small in getattr(statement, "body", ()):
                    if isinstance(small, cst.Import):
                        self.resolver.visit_Import(small)
                    elif isinstance(small, cst.ImportFrom):
                        self.resolver.visit_ImportFrom(small)
        # A function sees module-level constants; the module body builds them as it runs.
        self.globals: Env = dict(analysis.module_env()) if function is not None else {}
        self.globals.update(class_env)
        self.local_names: set[str] = set()
        # Passed whole as SQL, an unannotated parameter of a helper is SQL by the helper's contract.
        self.untyped_parameters: set[str] = set()
        self.statement: cst.CSTNode | None = None
        self._text_uses: dict[int, SinkUse] = {}
        self._enclosing_methods: dict[int, str] = {}
        self.is_route = function is not None and _is_route(function)

    def qualify(self, node: cst.BaseExpression) -> str | None:
        return self.resolver.qualify(node)

    # Entry ---------------------------------------------------------------------------------

    def run(self, body: Sequence[cst.BaseStatement]) -> Env:
        env: Env = dict(self.globals)
        if self.function is not None:
            env.update(self._parameters(self.function))
        return self._block(body, env)

    def _parameters(self, function: cst.FunctionDef) -> Env:
        env: Env = {}
        params = function.params
        all_params = [*params.posonly_params, *params.params, *params.kwonly_params]
        is_method = bool(all_params) and all_params[0].name.value in ("self", "cls")
        for index, param in enumerate(all_params):
            name = param.name.value
            self.local_names.add(name)
            if index == 0 and is_method:
                continue
            if param.annotation is None:
                self.untyped_parameters.add(name)
            env[name] = self._parameter_value(function, param)
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                self.local_names.add(star.name.value)
                origin = USER if self.is_route else CALLER
                env[star.name.value] = Value(
                    trust=Trust(Level.UNTRUSTED, origin),
                    elements=Trust(Level.UNTRUSTED, origin),
                    attributes=Trust(Level.UNTRUSTED, origin),
                )
        return env

    def _parameter_value(self, function: cst.FunctionDef, param: cst.Param) -> Value:
        annotation = param.annotation.annotation if param.annotation is not None else None
        receiver = self._receiver_class(annotation)
        if receiver is not None:
            return Value(trust=UNKNOWN, receiver=receiver)
        if param.default is not None and isinstance(param.default, cst.Call):
            if self.qualify(param.default.func) in DEPENDENCY_MARKERS:
                return Value(trust=UNKNOWN)
        kind = self._classify_annotation(annotation)
        if kind in ("dependency", "session"):
            return Value(trust=UNKNOWN)
        if self.is_route:
            origin = Trust(Level.UNTRUSTED, USER)
        elif _SQL_FRAGMENT_PARAMETER.match(param.name.value):
            return Value(trust=UNKNOWN)
        else:
            origin = self._call_site_trust(function, param) or Trust(Level.UNTRUSTED, CALLER)
        if kind == "request":
            return Value(trust=origin, elements=origin, attributes=origin)
        if kind == "string":
            return Value(trust=origin, elements=origin, attributes=origin)
        if kind == "constrained":
            return Value(trust=TRUSTED, elements=TRUSTED, attributes=TRUSTED)
        # A class: an Enum (trusted as a value) or a model whose fields a route fills from input.
        filled_from_input = origin.untrusted and origin.origin != CALLER
        return Value(
            trust=TRUSTED,
            elements=UNKNOWN,
            attributes=origin if filled_from_input else UNKNOWN,
            model=self._local_class(annotation),
        )

    def _local_class(self, annotation: cst.BaseExpression | None) -> cst.ClassDef | None:
        name = self.qualify(annotation) if isinstance(annotation, (cst.Name, cst.Attribute)) else None
        module = self.analysis.context.module
        if name is None or not name.startswith(f"{module}."):
            return None
        return self.analysis.classes.get(name[len(module) + 1 :])

    def _call_site_trust(self, function: cst.FunctionDef, param: cst.Param) -> Trust | None:
        """For a function only this module calls: the worst of what its calls pass for `param`,
        each judged in its caller's flow. None when the function may be called from elsewhere."""
        if not self.analysis.module_private(function):
            return None
        sites = self.analysis.call_sites(function.name.value)
        if not sites:
            return None
        return worst(self.analysis.argument_trust(site, function, param) for site in sites)

    def _classify_annotation(self, node: cst.BaseExpression | None) -> str:
        if node is None:
            return "string"
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            return "other"
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
            return _widest(self._classify_annotation(node.left), self._classify_annotation(node.right))
        if isinstance(node, cst.Subscript):
            base = self.qualify(node.value)
            inner = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
            if base in LITERAL_TYPES:
                return "constrained"
            if base in ANNOTATED_TYPES and inner:
                for extra in inner[1:]:
                    if isinstance(extra, cst.Call) and self.qualify(extra.func) in DEPENDENCY_MARKERS:
                        return "dependency"
                return self._classify_annotation(inner[0])
            if base in UNION_TYPES:
                return _widest(*(self._classify_annotation(i) for i in inner)) if inner else "other"
            if base in CONTAINER_TYPES:
                if base.endswith(("dict", "Dict", "Mapping")):
                    return "string"
                return _widest(*(self._classify_annotation(i) for i in inner)) if inner else "string"
            if base in ("builtins.type", "typing.Type"):
                return "constrained"
            return "other"
        name = self.qualify(node)
        if name is None:
            return "other"
        if name in ("builtins.None",) or (isinstance(node, cst.Name) and node.value == "None"):
            return "none"
        if name in STRING_TYPES:
            return "string"
        if name in CONTAINER_TYPES:
            return "string"
        if name in REQUEST_TYPES:
            return "request"
        if name in DB_CLASSES:
            return "session"
        if name.startswith(("builtins.", "uuid.", "datetime.", "decimal.", "ipaddress.", "pydantic.")):
            return "constrained"
        local = (
            self.analysis.classes.get(name.rsplit(".", 1)[-1])
            if name.startswith(self.analysis.context.module + ".")
            else None
        )
        if local is not None and self.analysis.is_enum_class(local):
            return "constrained"
        return "other"

    def _receiver_class(self, annotation: cst.BaseExpression | None) -> str | None:
        if annotation is None:
            return None
        if isinstance(annotation, cst.Subscript):
            for element in annotation.slice:
                if isinstance(element.slice, cst.Index):
                    found = self._receiver_class(element.slice.value)
                    if found:
                        return found
            return None
        return DB_CLASSES.get(self.qualify(annotation) or "")

    # Statements ----------------------------------------------------------------------------

    def _block(self, statements: Sequence[cst.BaseStatement], env: Env) -> Env:
        for statement in statements:
            env = self._statement(statement, env)
        return env

    def _suite(self, suite: cst.BaseSuite | None, env: Env) -> Env:
        if suite is None:
            return env
        if isinstance(suite, cst.IndentedBlock):
            return self._block(suite.body, env)
        if isinstance(suite, cst.SimpleStatementSuite):
            return self._small_statements(suite.body, env, suite)
        return env

    def _statement(self, statement: cst.BaseStatement, env: Env) -> Env:
        self.statement = statement
        if isinstance(statement, cst.SimpleStatementLine):
            return self._small_statements(statement.body, env, statement)
        if isinstance(statement, cst.If):
            return self._if(statement, env)
        if isinstance(statement, (cst.For,)):
            self._sinks_in(statement.iter, env)
            loop_env = dict(env)
            self._bind_target(
                statement.target,
                Value(trust=self._element_trust(statement.iter, env)),
                loop_env,
                iterable=statement.iter,
            )
            after = self._suite(statement.body, loop_env)
            merged = merge_envs(env, after)
            return self._suite(statement.orelse.body, merged) if statement.orelse else merged
        if isinstance(statement, cst.While):
            self._sinks_in(statement.test, env)
            after = self._suite(statement.body, dict(env))
            merged = merge_envs(env, after)
            return self._suite(statement.orelse.body, merged) if statement.orelse else merged
        if isinstance(statement, cst.With):
            inner = dict(env)
            for item in statement.items:
                self._sinks_in(item.item, env)
                if item.asname is not None:
                    value = self.value(item.item, env)
                    receiver = self._constructed_receiver(item.item)
                    if receiver:
                        value = replace(value, receiver=receiver)
                    self._bind_target(item.asname.name, value, inner)
            return self._suite(statement.body, inner)
        if isinstance(statement, (cst.Try, cst.TryStar)):
            after_body = self._suite(statement.body, dict(env))
            merged = merge_envs(env, after_body)
            results = [after_body]
            for handler in statement.handlers:
                results.append(self._suite(handler.body, dict(merged)))
            if statement.orelse is not None:
                results[0] = self._suite(statement.orelse.body, after_body)
            out = results[0]
            for other in results[1:]:
                out = merge_envs(out, other)
            if statement.finalbody is not None:
                out = self._suite(statement.finalbody.body, out)
            return out
        if isinstance(statement, cst.Match):
            self._sinks_in(statement.subject, env)
            out: Env | None = None
            for case in statement.cases:
                case_env = self._suite(case.body, dict(env))
                out = case_env if out is None else merge_envs(out, case_env)
            return merge_envs(env, out) if out is not None else env
        return env

    def _if(self, statement: cst.If, env: Env) -> Env:
        self._sinks_in(statement.test, env)
        when_true, when_false = self._sanitized_by(statement.test, env)
        body_env = self._trust_names(dict(env), when_true)
        else_env = self._trust_names(dict(env), when_false)
        after_body = self._suite(statement.body, body_env)
        if isinstance(statement.orelse, cst.If):
            after_else = self._if(statement.orelse, else_env)
        elif isinstance(statement.orelse, cst.Else):
            after_else = self._suite(statement.orelse.body, else_env)
        else:
            after_else = else_env
        body_exits = _always_exits(statement.body)
        else_exits = isinstance(statement.orelse, cst.Else) and _always_exits(statement.orelse.body)
        if body_exits and not else_exits:
            return after_else
        if else_exits and not body_exits:
            return after_body
        return merge_envs(after_body, after_else)

    def _trust_names(self, env: Env, names: Iterable[str]) -> Env:
        for name in names:
            previous = env.get(name, Value())
            env[name] = replace(previous, trust=TRUSTED, elements=TRUSTED, attributes=TRUSTED)
        return env

    def _small_statements(self, body: Sequence[cst.BaseSmallStatement], env: Env, statement: cst.CSTNode) -> Env:
        self.statement = statement
        for small in body:
            self._sinks_in(small, env)
            if isinstance(small, cst.Assign):
                value = self.value(small.value, env)
                for target in small.targets:
                    self._bind_target(target.target, value, env)
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                self._bind_target(small.target, self.value(small.value, env), env)
            elif isinstance(small, cst.AugAssign):
                self._augment(small, env)
            elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                self._list_mutation(small.value, env)
            elif isinstance(small, cst.Assert):
                self._trust_names(env, self._sanitized_by(small.test, env)[0])
            elif isinstance(small, cst.Import):
                self.resolver.visit_Import(small)
            elif isinstance(small, cst.ImportFrom):
                self.resolver.visit_ImportFrom(small)
        return env

    def _bind_target(
        self, target: cst.BaseExpression, value: Value, env: Env, iterable: cst.BaseExpression | None = None
    ) -> None:
        key = dotted_name(target)
        if isinstance(target, cst.Name) or (key and key.startswith(("self.", "cls."))):
            if key:
                env[key] = value
                self.local_names.add(key)
            return
        if isinstance(target, (cst.Tuple, cst.List)):
            elements = [e.value for e in target.elements]
            if iterable is not None and isinstance(iterable, cst.Call):
                func = self.qualify(iterable.func)
                if func == "builtins.enumerate" and len(elements) == 2:
                    self._bind_target(elements[0], Value(trust=TRUSTED), env)
                    self._bind_target(elements[1], value, env)
                    return
            for element in elements:
                if isinstance(element, cst.StarredElement):
                    element = element.value
                self._bind_target(element, Value(trust=value.trust, attributes=value.trust, elements=value.trust), env)

    def _augment(self, node: cst.AugAssign, env: Env) -> None:
        key = dotted_name(node.target)
        if key is None:
            return
        current = env.get(key) or self._global(key) or Value()
        if isinstance(node.operator, cst.AddAssign):
            if current.items is not None and isinstance(node.value, (cst.List, cst.Tuple)):
                added = self._strings_of_elements(node.value, env)
                env[key] = replace(current, items=_dedupe(current.items + added))
                return
            right = self._strings_or_hole(node.value, env, builder=node, how="+= concatenation")
            if current.strings is not None:
                strings = concat(current.strings, right)
                env[key] = Value(trust=current.trust | _strings_trust(right), strings=strings)
                return
        env[key] = Value(trust=current.trust | self.trust(node.value, env))

    def _list_mutation(self, call: cst.Call, env: Env) -> None:
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in ("append", "extend", "insert"):
            return
        key = dotted_name(func.value)
        if key is None or key not in env or env[key].items is None:
            return
        current = env[key]
        args = [a.value for a in call.args]
        if func.attr.value == "append" and args:
            added = self._strings_or_hole(args[0], env, builder=None, how="append()")
        elif func.attr.value == "insert" and len(args) == 2:
            added = self._strings_or_hole(args[1], env, builder=None, how="insert()")
        elif func.attr.value == "extend" and args and isinstance(args[0], (cst.List, cst.Tuple)):
            added = self._strings_of_elements(args[0], env)
        else:
            env[key] = replace(
                current,
                items=_dedupe(current.items + (((self._hole(args[0], env, call, "extend()")),),))
                if args
                else current.items,
            )
            return
        env[key] = replace(current, items=_dedupe(current.items + added), trust=current.trust | _strings_trust(added))

    def _strings_of_elements(self, node: cst.List | cst.Tuple | cst.Set, env: Env) -> tuple[SqlString, ...]:
        found: list[SqlString] = []
        for element in node.elements:
            found.extend(self._strings_or_hole(element.value, env, builder=None, how="a list element"))
        return tuple(found)

    def _constructed_receiver(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.Await):
            node = node.expression
        if isinstance(node, cst.Call):
            name = self.qualify(node.func)
            if name in DB_CLASSES:
                return DB_CLASSES[name]
            if name in CONNECT_FUNCTIONS:
                return CONNECT_FUNCTIONS[name]
            if isinstance(node.func, cst.Attribute) and node.func.attr.value in ("connect", "begin"):
                return "Connection"
            if isinstance(node.func, cst.Attribute) and node.func.attr.value == "cursor":
                return "cursor"
        return None

    # Sanitizers ----------------------------------------------------------------------------

    def _sanitized_by(self, test: cst.BaseExpression, env: Env) -> tuple[set[str], set[str]]:
        """Names a test proves trusted when it is true, and when it is false."""
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            when_true, when_false = self._sanitized_by(test.expression, env)
            return when_false, when_true
        if isinstance(test, cst.BooleanOperation):
            left_true, left_false = self._sanitized_by(test.left, env)
            right_true, right_false = self._sanitized_by(test.right, env)
            if isinstance(test.operator, cst.And):
                return left_true | right_true, left_false & right_false
            return left_true & right_true, left_false | right_false
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            target = dotted_name(test.left)
            comparison = test.comparisons[0]
            if target is None:
                return set(), set()
            operator, other = comparison.operator, comparison.comparator
            if isinstance(operator, (cst.In, cst.NotIn)) and self._is_allow_list(other, env):
                return ({target}, set()) if isinstance(operator, cst.In) else (set(), {target})
            if isinstance(operator, (cst.Equal, cst.NotEqual)) and self.trust(other, env).level is Level.TRUSTED:
                return ({target}, set()) if isinstance(operator, cst.Equal) else (set(), {target})
            return set(), set()
        if isinstance(test, cst.Call):
            func = test.func
            if isinstance(func, cst.Attribute) and func.attr.value in (
                "isdigit",
                "isdecimal",
                "isnumeric",
                "isalnum",
                "isidentifier",
                "isalpha",
            ):
                target = dotted_name(func.value)
                return ({target}, set()) if target else (set(), set())
            name = self.qualify(func)
            if name in ("re.fullmatch", "re.match") and len(test.args) >= 2:
                pattern = string_value(test.args[0].value)
                target = dotted_name(test.args[1].value)
                if (
                    target
                    and pattern
                    and (name == "re.fullmatch" or pattern.endswith(("$", r"\Z")))
                    and "'" not in pattern
                ):
                    return {target}, set()
            if name == "builtins.isinstance" and len(test.args) == 2:
                target = dotted_name(test.args[0].value)
                kinds = (
                    [self.qualify(e.value) for e in test.args[1].value.elements]
                    if isinstance(test.args[1].value, cst.Tuple)
                    else [self.qualify(test.args[1].value)]
                )
                if target and all(k in ("builtins.int", "builtins.float", "builtins.bool", "uuid.UUID") for k in kinds):
                    return {target}, set()
        return set(), set()

    def _is_allow_list(self, node: cst.BaseExpression, env: Env) -> bool:
        """A constant collection, not a string: `sort in "name,email"` is a substring test."""
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            return False
        if isinstance(node, (cst.List, cst.Tuple, cst.Set, cst.Dict)):
            return self.trust(node, env).level is Level.TRUSTED
        if (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value in ("keys", "values")
        ):
            return self._is_allow_list(node.func.value, env)
        value = self._lookup(node, env)
        if value is not None:
            return value.constant_collection
        return self.trust(node, env).level is Level.TRUSTED and not self._is_local_string(node, env)

    def _is_local_string(self, node: cst.BaseExpression, env: Env) -> bool:
        value = self._lookup(node, env)
        return value is not None and value.strings is not None

    # Sinks ---------------------------------------------------------------------------------

    def _sinks_in(self, node: cst.CSTNode, env: Env) -> None:
        if not self.collect:
            return
        consumed: set[int] = set()
        self._enclosing_methods: dict[int, str] = {}
        defined = self.analysis.context.summary.imports.defined
        for call in calls_in(node):
            if isinstance(call.func, cst.Name) and call.func.value in defined:
                for arg in call.args:
                    self.analysis._argument_trusts[id(arg.value)] = self.trust(arg.value, env)
            if isinstance(call.func, cst.Attribute):
                for arg in call.args:
                    self._enclosing_methods[id(arg.value)] = call.func.attr.value
            if id(call) in consumed:
                continue
            use = self._sink_use(call, env, consumed)
            if use is not None:
                self.uses.append(use)

    def _sink_use(self, call: cst.Call, env: Env, consumed: set[int]) -> SinkUse | None:
        func_name = self.qualify(call.func)
        if func_name in SQL_TEXT_FUNCTIONS:
            display, index, name = SQL_TEXT_FUNCTIONS[func_name]
            arg = argument(call, index, name)
            if arg is None:
                return None
            fragment = func_name in SQL_FRAGMENT_FUNCTIONS
            if fragment and isinstance(call.func, (cst.Name, cst.Attribute)):
                display = self._fragment_display(call, display)
            use = self._use_of(call, display, arg.value, env)
            if func_name in SQL_FRAGMENT_FUNCTIONS:
                self._text_uses[id(call)] = use
            return use
        if not isinstance(call.func, cst.Attribute) or call.func.attr.value not in SQL_METHODS:
            return None
        if func_name in ("pandas.read_sql", "pandas.read_sql_query"):
            return None
        arg = argument(call, 0, "statement") or argument(call, 0, "query") or argument(call, 0, "sql")
        if arg is None:
            return None
        receiver = call.func.value
        receiver_value = self._lookup(receiver, env)
        receiver_display = receiver_value.receiver if receiver_value is not None and receiver_value.receiver else None
        sink = f"{receiver_display or self.analysis.code(receiver)}.{call.func.attr.value}"
        is_db_receiver = receiver_display is not None or _looks_like_db_receiver(receiver)
        inner = _text_clause_of(arg.value)
        if isinstance(inner, cst.Call) and self.qualify(inner.func) in SQL_FRAGMENT_FUNCTIONS:
            text_arg = argument(inner, 0, "text")
            consumed.add(id(inner))
            if text_arg is None:
                return None
            return self._use_of(inner, sink, text_arg.value, env)
        value = self._lookup(inner, env)
        if value is not None and value.text_call is not None:
            earlier = self._text_uses.get(id(value.text_call))
            if earlier is not None and earlier.executor is None:
                earlier.executor = sink
            return None
        use = self._use_of(call, sink, inner, env)
        if use.strings is not None:
            looks_like_sql = any(_SQL_START.match(_render(s, with_holes="")) for s in use.strings)
            if not looks_like_sql:
                return None
            return use
        if not is_db_receiver or call.func.attr.value in ("scalar", "scalars"):
            return None
        return use

    def _fragment_display(self, call: cst.Call, display: str) -> str:
        """`text() in order_by()`: where a fragment goes, when it goes straight into a method."""
        method = self._enclosing_methods.get(id(call))
        return f"{display} in {method}()" if method else display

    def _use_of(self, call: cst.Call, sink: str, arg: cst.BaseExpression, env: Env) -> SinkUse:
        strings = self.strings(arg, env)
        raw_trust = TRUSTED if strings is not None else self.trust(arg, env)
        is_sql_parameter = False
        if strings is None and not self.is_route:
            root = arg
            while isinstance(root, (cst.Subscript, cst.Attribute)):
                root = root.value
            if isinstance(root, cst.Name):
                named_for_sql = root.value in self.local_names and bool(_SQL_PARAMETER_NAMES.match(root.value))
                is_sql_parameter = named_for_sql or root.value in self.untyped_parameters
        return SinkUse(
            call=call,
            sink=sink,
            strings=strings,
            raw=arg if strings is None else None,
            raw_trust=raw_trust,
            statement=self.statement,
            raw_is_sql_parameter=is_sql_parameter,
        )

    # Values --------------------------------------------------------------------------------

    def value(self, node: cst.BaseExpression, env: Env) -> Value:
        if isinstance(node, cst.Await):
            node = node.expression
        if isinstance(node, (cst.List, cst.Tuple)) and not node.elements and isinstance(node, cst.List):
            return Value(trust=TRUSTED, items=(), elements=TRUSTED)
        if isinstance(node, cst.Call) and self.qualify(node.func) == "builtins.list" and not node.args:
            return Value(trust=TRUSTED, items=(), elements=TRUSTED)
        if isinstance(node, cst.List) and all(isinstance(e, cst.Element) for e in node.elements):
            items = self._strings_of_elements(node, env)
            trust = self.trust(node, env)
            return Value(trust=trust, items=items, elements=trust, constant_collection=trust.level is Level.TRUSTED)
        clause = _text_clause_of(node)
        if isinstance(clause, cst.Call) and self.qualify(clause.func) in SQL_FRAGMENT_FUNCTIONS:
            node = clause
            arg = argument(node, 0, "text")
            strings = self.strings(arg.value, env) if arg is not None else None
            return Value(
                trust=UNKNOWN, strings=None, text_call=node if strings is not None or arg is not None else None
            )
        strings = self.strings(node, env)
        if strings is not None:
            return Value(trust=_strings_trust(strings), strings=strings)
        looked_up = self._lookup(node, env)
        if looked_up is not None:
            return looked_up
        trust = self.trust(node, env)
        constant = isinstance(node, (cst.Set, cst.Tuple, cst.Dict)) and trust.level is Level.TRUSTED
        if isinstance(node, cst.Call) and self.qualify(node.func) in COLLECTION_CONSTRUCTORS:
            trust = worst(self.trust(a.value, env) for a in node.args)
            constant = trust.level is Level.TRUSTED
        receiver = self._constructed_receiver(node)
        return Value(
            trust=trust,
            elements=self._element_trust(node, env),
            attributes=trust if trust.untrusted else None,
            constant_collection=constant,
            receiver=receiver,
        )

    def _lookup(self, node: cst.BaseExpression, env: Env) -> Value | None:
        key = dotted_name(node)
        if key is None:
            return None
        if key in env:
            return env[key]
        return self._global(key)

    def _global(self, key: str) -> Value | None:
        return self.globals.get(key)

    # Strings -------------------------------------------------------------------------------

    def strings(self, node: cst.BaseExpression, env: Env) -> tuple[SqlString, ...] | None:
        """The possible values of a string expression built from parts we can see, else None."""
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)) and not _has_fstring(node):
            value = string_value(node)
            return None if value is None else ((Piece(value, node, self.statement),),)
        if isinstance(node, (cst.FormattedString, cst.ConcatenatedString)):
            return self._fstring(node, env)
        if isinstance(node, cst.Name) or isinstance(node, cst.Attribute):
            value = self._lookup(node, env)
            return value.strings if value is not None else None
        if isinstance(node, cst.BinaryOperation):
            if isinstance(node.operator, cst.Add):
                left, right = self.strings(node.left, env), self.strings(node.right, env)
                if left is None and right is None:
                    return None
                left = left if left is not None else self._hole_strings(node.left, env, node, "+ concatenation")
                right = right if right is not None else self._hole_strings(node.right, env, node, "+ concatenation")
                return concat(left, right)
            if isinstance(node.operator, cst.Modulo):
                template = self.strings(node.left, env)
                if template is not None and len(template) == 1 and all(isinstance(p, Piece) for p in template[0]):
                    return self._percent_format(node, "".join(p.text for p in template[0]), template[0][0], env)
            return None
        if isinstance(node, cst.Call):
            return self._call_strings(node, env)
        if isinstance(node, cst.IfExp):
            when_true, when_false = self._sanitized_by(node.test, env)
            body = self.strings(node.body, self._trust_names(dict(env), when_true))
            orelse = self.strings(node.orelse, self._trust_names(dict(env), when_false))
            if body is None and orelse is None:
                return None
            body = body if body is not None else self._hole_strings(node.body, env, node, "a conditional expression")
            orelse = (
                orelse if orelse is not None else self._hole_strings(node.orelse, env, node, "a conditional expression")
            )
            return _dedupe(body + orelse)
        return None

    def _hole(self, node: cst.BaseExpression, env: Env, builder: cst.CSTNode | None, how: str) -> Hole:
        return Hole(node, self.trust(node, env), builder, how, self.statement)

    def _hole_strings(
        self, node: cst.BaseExpression, env: Env, builder: cst.CSTNode | None, how: str
    ) -> tuple[SqlString, ...]:
        return ((self._hole(node, env, builder, how),),)

    def _strings_or_hole(
        self, node: cst.BaseExpression, env: Env, builder: cst.CSTNode | None, how: str
    ) -> tuple[SqlString, ...]:
        found = self.strings(node, env)
        return found if found is not None else self._hole_strings(node, env, builder or node, how)

    def _fstring(self, node: cst.BaseExpression, env: Env) -> tuple[SqlString, ...] | None:
        if isinstance(node, cst.ConcatenatedString):
            left, right = self.strings(node.left, env), self.strings(node.right, env)
            if left is None or right is None:
                return None
            return concat(left, right)
        if isinstance(node, cst.SimpleString):
            return self.strings(node, env)
        assert isinstance(node, cst.FormattedString)
        result: tuple[SqlString, ...] = ((),)
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                piece = (Piece(_unescape_braces(part.value), node, self.statement),)
                result = tuple(s + piece for s in result)
                continue
            spec = (
                "".join(p.value for p in part.format_spec if isinstance(p, cst.FormattedStringText))
                if part.format_spec
                else ""
            )
            if spec and spec[-1:] in "dfeEgGxXob%n":
                result = tuple(s + (Piece("0", node, self.statement),) for s in result)
                continue
            inner = self.strings(part.expression, env) if part.conversion is None else None
            if inner is None:
                inner = self._hole_strings(part.expression, env, node, "an f-string")
            result = concat(result, inner)
        return result

    def _percent_format(
        self, node: cst.BinaryOperation, template: str, first: Piece, env: Env
    ) -> tuple[SqlString, ...]:
        args = node.right
        positional: list[cst.BaseExpression] = []
        named: dict[str, cst.BaseExpression] = {}
        if isinstance(args, cst.Tuple):
            positional = [e.value for e in args.elements]
        elif isinstance(args, cst.Dict):
            for element in args.elements:
                if isinstance(element, cst.DictElement):
                    key = string_value(element.key)
                    if key is not None:
                        named[key] = element.value
        else:
            positional = [args]
        parts: list[Part] = []
        position = 0
        cursor = 0
        for match in _PERCENT_SPEC.finditer(template):
            parts.append(Piece(template[cursor : match.start()], first.node, self.statement))
            cursor = match.end()
            conversion = match.group("conversion")
            if conversion == "%":
                parts.append(Piece("%", first.node, self.statement))
                continue
            name = match.group("name")
            if name is not None:
                target = named.get(name, args)
            elif position < len(positional):
                target = positional[position]
                position += 1
            else:
                target = args
            if conversion in "diouxXeEfFgGc":
                parts.append(Piece("0", first.node, self.statement))
            else:
                parts.append(self._hole(target, env, node, "% formatting"))
        parts.append(Piece(template[cursor:], first.node, self.statement))
        return (tuple(p for p in parts if not (isinstance(p, Piece) and not p.text)),)

    def _call_strings(self, node: cst.Call, env: Env) -> tuple[SqlString, ...] | None:
        func = node.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method == "format":
                template = self.strings(func.value, env)
                if template is not None and len(template) == 1 and all(isinstance(p, Piece) for p in template[0]):
                    return self._format_method(node, "".join(p.text for p in template[0]), template[0][0], env)
                return None
            if method == "join" and len(node.args) == 1:
                separator = self.strings(func.value, env)
                if separator is None or len(separator) != 1:
                    return None
                return self._join(node, separator[0], node.args[0].value, env)
            if (
                method in ("substitute", "safe_substitute")
                and isinstance(func.value, cst.Call)
                and self.qualify(func.value.func) == "string.Template"
            ):
                template_arg = argument(func.value, 0, "template")
                template = self.strings(template_arg.value, env) if template_arg is not None else None
                if template is not None and len(template) == 1 and all(isinstance(p, Piece) for p in template[0]):
                    return self._template(node, "".join(p.text for p in template[0]), template[0][0], env)
                return None
            if method in ("strip", "lstrip", "rstrip") and not node.args:
                return self.strings(func.value, env)
        name = self.qualify(func)
        if name in ("builtins.str", "textwrap.dedent", "inspect.cleandoc") and len(node.args) == 1:
            return self.strings(node.args[0].value, env)
        return None

    def _format_method(self, node: cst.Call, template: str, first: Piece, env: Env) -> tuple[SqlString, ...]:
        positional = [a.value for a in node.args if a.keyword is None and not a.star]
        named = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        parts: list[Part] = []
        auto = 0
        try:
            parsed = list(string.Formatter().parse(template))
        except ValueError:
            return ((self._hole(node, env, node, ".format()"),),)
        for literal, field_name, spec, _conversion in parsed:
            if literal:
                parts.append(Piece(literal, first.node, self.statement))
            if field_name is None:
                continue
            head = re.split(r"[.\[]", field_name, maxsplit=1)[0]
            if head == "":
                target = positional[auto] if auto < len(positional) else node
                auto += 1
            elif head.isdigit():
                target = positional[int(head)] if int(head) < len(positional) else node
            else:
                target = named.get(head, node)
            if spec and spec[-1:] in "dfeEgGxXob%n":
                parts.append(Piece("0", first.node, self.statement))
                continue
            inner = self.strings(target, env) if target is not node and head == field_name else None
            if inner is not None and len(inner) == 1:
                parts.extend(inner[0])
            else:
                parts.append(self._hole(target, env, node, ".format()"))
        return (tuple(parts),)

    def _template(self, node: cst.Call, template: str, first: Piece, env: Env) -> tuple[SqlString, ...]:
        named = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        mapping = next((a.value for a in node.args if a.keyword is None), None)
        parts: list[Part] = []
        cursor = 0
        for match in string.Template.pattern.finditer(template):
            parts.append(Piece(template[cursor : match.start()], first.node, self.statement))
            cursor = match.end()
            if match.group("escaped") is not None:
                parts.append(Piece("$", first.node, self.statement))
                continue
            key = match.group("named") or match.group("braced")
            target: cst.BaseExpression = named.get(key) if key in named else (mapping or node)
            if isinstance(mapping, cst.Dict):
                for element in mapping.elements:
                    if isinstance(element, cst.DictElement) and string_value(element.key) == key:
                        target = element.value
            parts.append(self._hole(target, env, node, "string.Template"))
        parts.append(Piece(template[cursor:], first.node, self.statement))
        return (tuple(parts),)

    def _join(
        self, node: cst.Call, separator: SqlString, iterable: cst.BaseExpression, env: Env
    ) -> tuple[SqlString, ...]:
        if isinstance(iterable, (cst.List, cst.Tuple, cst.Set)):
            result: tuple[SqlString, ...] = ((),)
            for index, element in enumerate(iterable.elements):
                piece = self._strings_or_hole(element.value, env, builder=node, how="join()")
                result = concat(result, piece if index == 0 else concat((separator,), piece))
            return result
        if isinstance(iterable, (cst.GeneratorExp, cst.ListComp, cst.SetComp)):
            inner = dict(env)
            for comp in _comprehensions(iterable.for_in):
                self._bind_target(
                    comp.target, Value(trust=self._element_trust(comp.iter, inner)), inner, iterable=comp.iter
                )
            element = self.strings(iterable.elt, inner)
            if element is None:
                return self._hole_strings(iterable.elt, inner, node, "join()")
            return _dedupe([e + separator + e for e in element])
        value = self._lookup(iterable, env)
        if value is not None and value.items is not None:
            if not value.items:
                return ((),)
            joined: list[Part] = []
            for index, item in enumerate(value.items):
                joined.extend((separator if index else ()) + item)
            return (tuple(joined),)
        elements = self._element_trust(iterable, env)
        if elements.level is Level.TRUSTED:
            return ((Piece("x", node, self.statement),),)
        return ((Hole(iterable, elements, node, "join()", self.statement),),)

    # Trust ---------------------------------------------------------------------------------

    def trust(self, node: cst.BaseExpression, env: Env) -> Trust:
        if isinstance(node, (cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary)):
            return TRUSTED
        if isinstance(node, (cst.ConcatenatedString, cst.FormattedString)):
            strings = self.strings(node, env)
            return _strings_trust(strings) if strings is not None else UNKNOWN
        if isinstance(node, cst.Await):
            return self.trust(node.expression, env)
        if isinstance(node, cst.Name):
            return self._name_trust(node, env)
        if isinstance(node, cst.Attribute):
            return self._attribute_trust(node, env)
        if isinstance(node, cst.Subscript):
            base = self._lookup(node.value, env)
            if base is not None and base.constant_collection:
                return TRUSTED
            base_trust = self.trust(node.value, env)
            if base is not None and base.elements is not None and base_trust.level is not Level.UNTRUSTED:
                return base.elements
            return base_trust
        if isinstance(node, cst.Call):
            return self._call_trust(node, env)
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            return worst(self.trust(e.value, env) for e in node.elements)
        if isinstance(node, cst.Dict):
            return worst(
                self.trust(e.value, env) | self.trust(e.key, env)
                for e in node.elements
                if isinstance(e, cst.DictElement)
            )
        if isinstance(node, cst.BinaryOperation):
            if isinstance(node.operator, (cst.Add, cst.Modulo)):
                strings = self.strings(node, env)
                if strings is not None:
                    return _strings_trust(strings)
                return self.trust(node.left, env) | self.trust(node.right, env)
            return TRUSTED  # arithmetic yields a number
        if isinstance(node, cst.UnaryOperation):
            return TRUSTED
        if isinstance(node, (cst.Comparison,)):
            return TRUSTED
        if isinstance(node, cst.BooleanOperation):
            return self.trust(node.left, env) | self.trust(node.right, env)
        if isinstance(node, cst.IfExp):
            when_true, when_false = self._sanitized_by(node.test, env)
            return self.trust(node.body, self._trust_names(dict(env), when_true)) | self.trust(
                node.orelse, self._trust_names(dict(env), when_false)
            )
        if isinstance(node, (cst.GeneratorExp, cst.ListComp, cst.SetComp)):
            inner = dict(env)
            for comp in _comprehensions(node.for_in):
                self._bind_target(
                    comp.target, Value(trust=self._element_trust(comp.iter, inner)), inner, iterable=comp.iter
                )
            return self.trust(node.elt, inner)
        return UNKNOWN

    def _is_module_constant(self, node: cst.BaseExpression, env: Env) -> bool:
        key = dotted_name(node)
        return key is not None and key not in env

    def _name_trust(self, node: cst.Name, env: Env) -> Trust:
        if node.value in env:
            return env[node.value].trust
        if node.value in ("None", "True", "False"):
            return TRUSTED
        table = self.analysis.context.summary.imports
        if node.value in table.aliases or node.value in table.defined:
            return Trust(Level.UNTRUSTED, USER) if self.qualify(node) in REQUEST_GLOBALS else TRUSTED
        qualified = self.qualify(node)
        if qualified is not None:
            return TRUSTED
        return UNKNOWN

    def _attribute_trust(self, node: cst.Attribute, env: Env) -> Trust:
        key = dotted_name(node)
        if key is not None and key in env:
            return env[key].trust
        if key is not None and key in self.globals:
            return self.globals[key].trust
        qualified = self.qualify(node)
        if qualified in EXTERNAL_ATTRIBUTES:
            return Trust(Level.UNTRUSTED, EXTERNAL)
        if node.attr.value in SAFE_ATTRIBUTES or node.attr.value == "name" and self._is_enumish(node.value, env):
            return TRUSTED
        base = self._lookup(node.value, env)
        if base is not None:
            if base.model is not None and self._field_kind(base.model, node.attr.value) == "constrained":
                return TRUSTED
            if base.attributes is not None:
                return base.attributes
            return base.trust if base.trust.untrusted else UNKNOWN
        root = node.value
        while isinstance(root, (cst.Attribute, cst.Subscript, cst.Call)):
            root = root.value if not isinstance(root, cst.Call) else root.func
        if isinstance(root, cst.Name) and root.value in ("self", "cls"):
            return UNKNOWN
        base_trust = self.trust(node.value, env)
        return base_trust if base_trust.level is not Level.TRUSTED else TRUSTED

    def _field_kind(self, model: cst.ClassDef, field_name: str) -> str | None:
        """How a field of a model class in this module is annotated (`sort: Literal[...]`)."""
        for statement in _body_of(model):
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if (
                        isinstance(small, cst.AnnAssign)
                        and isinstance(small.target, cst.Name)
                        and small.target.value == field_name
                    ):
                        return self._classify_annotation(small.annotation.annotation)
        return None

    def _is_enumish(self, node: cst.BaseExpression, env: Env) -> bool:
        value = self._lookup(node, env)
        return value is not None and value.trust.level is Level.TRUSTED

    def _call_trust(self, node: cst.Call, env: Env) -> Trust:
        func = node.func
        name = self.qualify(func)
        args = [a.value for a in node.args]
        if name in TYPE_CONSTRAINING_CALLS or name in ESCAPING_CALLS:
            return TRUSTED
        if name in USER_INPUT_CALLS:
            return Trust(Level.UNTRUSTED, USER)
        if name in ("builtins.str", "builtins.repr", "builtins.format", "json.dumps", "builtins.bytes") and args:
            return self.trust(args[0], env)
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            receiver = func.value
            if method in ESCAPING_METHODS:
                return TRUSTED
            if method in SAFE_RESULT_METHODS:
                return TRUSTED
            if method == "get":
                holder = self._lookup(receiver, env)
                if holder is not None and holder.constant_collection:
                    default = args[1] if len(args) > 1 else None
                    return TRUSTED if default is None else self.trust(default, env)
                if holder is None and self._is_module_constant(receiver, env) and self.trust(receiver, env) == TRUSTED:
                    default = args[1] if len(args) > 1 else None
                    return TRUSTED if default is None else self.trust(default, env)
                return self._derived(receiver, env)
            if method in STRING_METHODS:
                return self.trust(receiver, env)
            if method == "join" and args:
                return self.trust(receiver, env) | self._element_trust(args[0], env)
            if method in ("split", "splitlines", "partition", "keys", "values", "items", "copy", "getlist", "pop"):
                return self._derived(receiver, env)
            receiver_trust = self.trust(receiver, env)
            if method in REQUEST_READ_METHODS and receiver_trust.untrusted:
                return receiver_trust
            if method == "json":
                return Trust(Level.UNTRUSTED, EXTERNAL)
        return UNKNOWN

    def _derived(self, receiver: cst.BaseExpression, env: Env) -> Trust:
        trust = self.trust(receiver, env)
        return trust if trust.untrusted else UNKNOWN if trust.level is Level.UNKNOWN else TRUSTED

    def _element_trust(self, node: cst.BaseExpression, env: Env) -> Trust:
        """What iterating over `node` yields."""
        if isinstance(node, cst.Await):
            node = node.expression
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            return worst(self.trust(e.value, env) for e in node.elements)
        if isinstance(node, cst.Dict):
            return worst(self.trust(e.key, env) for e in node.elements if isinstance(e, cst.DictElement))
        if isinstance(node, cst.Call):
            name = self.qualify(node.func)
            if name in ("builtins.range", "builtins.len"):
                return TRUSTED
            if (
                name
                in (
                    "builtins.enumerate",
                    "builtins.sorted",
                    "builtins.reversed",
                    "builtins.list",
                    "builtins.set",
                    "builtins.tuple",
                )
                and node.args
            ):
                return self._element_trust(node.args[0].value, env)
            if name == "builtins.zip":
                return worst(self._element_trust(a.value, env) for a in node.args)
            if isinstance(node.func, cst.Attribute):
                method = node.func.attr.value
                if method in ("keys", "values", "items"):
                    holder = self._lookup(node.func.value, env)
                    if holder is not None and holder.constant_collection:
                        return TRUSTED
                    if method == "keys":
                        return self._element_trust(node.func.value, env)
                    return self._derived(node.func.value, env)
        value = self._lookup(node, env)
        if value is not None:
            if value.constant_collection:
                return TRUSTED
            if value.items is not None:
                return _strings_trust(value.items)
            if value.elements is not None:
                return value.elements
            return value.trust if value.trust.untrusted else UNKNOWN
        trust = self.trust(node, env)
        return trust if trust.level is not Level.TRUSTED else TRUSTED


_PERCENT_SPEC = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<conversion>[diouxXeEfFgGcrsa%])"
)


@dataclass(frozen=True)
class CallSiteInModule:
    call: cst.Call
    functions: tuple[cst.FunctionDef, ...]  # enclosing functions, outermost first
    classes: tuple[cst.ClassDef, ...]  # the class the innermost function is a method of


def _argument_for(call: cst.Call, function: cst.FunctionDef, param: cst.Param) -> cst.Arg | None:
    """The argument a call passes for `param` (by keyword or position), if it passes one."""
    name = param.name.value
    found = keyword(call, name)
    if found is not None:
        return found
    positional_names = [p.name.value for p in (*function.params.posonly_params, *function.params.params)]
    if name not in positional_names:
        return None
    index = positional_names.index(name)
    plain = [a for a in call.args if a.keyword is None]
    if any(a.star for a in plain[: index + 1]):
        return next(a for a in plain if a.star)
    return plain[index] if index < len(plain) else None


def _is_constant_expression(node: cst.BaseExpression, imports: ImportTable) -> bool:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float)):
        return True
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return all(_is_constant_expression(e.value, imports) for e in node.elements)
    root = node
    while isinstance(root, cst.Attribute):
        root = root.value
    if isinstance(root, cst.Name):
        return root.value in imports.aliases or root.value in imports.defined or root.value in ("None", "True", "False")
    return False


# Methods of a `text()` clause that return the clause with bound parameters or result columns.
TEXT_CLAUSE_METHODS = frozenset({"bindparams", "columns", "execution_options", "params"})


def _text_clause_of(node: cst.BaseExpression) -> cst.BaseExpression:
    """`text("...")` out of `text("...").bindparams(x=1).columns(...)`."""
    while (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in TEXT_CLAUSE_METHODS
        and isinstance(node.func.value, cst.Call)
    ):
        node = node.func.value
    return node


def _widest(*kinds: str) -> str:
    order = ["string", "request", "other", "session", "dependency", "constrained", "none"]
    present = [k for k in kinds if k != "none"] or ["none"]
    return min(present, key=order.index)


def _comprehensions(node: cst.CompFor) -> Iterator[cst.CompFor]:
    current: cst.CompFor | None = node
    while current is not None:
        yield current
        current = current.inner_for_in


def _has_fstring(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.ConcatenatedString):
        return _has_fstring(node.left) or _has_fstring(node.right)
    return isinstance(node, cst.FormattedString)


def _unescape_braces(text: str) -> str:
    return text.replace("{{", "{").replace("}}", "}")


def _walk_statements(body: Sequence[cst.BaseStatement]) -> Iterator[cst.CSTNode]:
    """Simple statements of a body, through if/try/with/for blocks, not into nested scopes."""
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine):
            yield statement
        elif isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            continue
        else:
            for child in statement.children:
                if isinstance(child, cst.IndentedBlock):
                    yield from _walk_statements(child.body)
                elif isinstance(child, (cst.Else, cst.Finally, cst.ExceptHandler, cst.If)):
                    yield from _walk_statements(
                        (child,)
                        if isinstance(child, cst.If)
                        else child.body.body
                        if isinstance(child.body, cst.IndentedBlock)
                        else ()
                    )


def _strings_trust(strings: Sequence[SqlString]) -> Trust:
    return worst(p.trust for s in strings for p in s if isinstance(p, Hole))


def _looks_like_db_receiver(node: cst.BaseExpression) -> bool:
    name = node.attr.value if isinstance(node, cst.Attribute) else node.value if isinstance(node, cst.Name) else None
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        name = node.func.attr.value
    return bool(name) and bool(_DB_RECEIVER_NAME.search(name))


def _is_route(function: cst.FunctionDef) -> bool:
    for decorator in function.decorators:
        expr = decorator.decorator
        if (
            isinstance(expr, cst.Call)
            and isinstance(expr.func, cst.Attribute)
            and expr.func.attr.value in ROUTE_METHODS
        ):
            return True
    return False


def _render(sql: SqlString, *, with_holes: str | None = None) -> str:
    """The SQL text, holes replaced by identifiers (or by `with_holes`)."""
    out = []
    for index, part in enumerate(sql):
        if isinstance(part, Piece):
            out.append(part.text)
        else:
            out.append(f"hole_{index}" if with_holes is None else with_holes)
    return "".join(out)


# ---------------------------------------------------------------------------------------------
# The SQL itself

_DIALECTS = ("postgres", "mysql", "sqlite", "tsql")


@dataclass
class StarProjection:
    piece: Piece
    projection: str


def star_projections(sql: SqlString) -> list[StarProjection]:
    """`SELECT *` / `alias.*` in the projection of the statement's result (not in EXISTS or
    subqueries, not COUNT(*)). Parsed with sqlglot; on text it cannot parse, a token scan that
    only looks at top-level SELECT lists."""
    text = _render(sql)
    if "*" not in text:
        return []
    found = _parsed_stars(text)
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
                for projection in select.expressions:
                    if isinstance(projection, exp.Star):
                        stars.append("*")
                    elif isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
                        stars.append(f"{projection.table}.*")
        return stars
    return None


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


def _piece_with_star(sql: SqlString, projection: str) -> Piece | None:
    pieces = [p for p in sql if isinstance(p, Piece)]
    for piece in pieces:
        if _STAR_IN_SELECT.search(piece.text):
            return piece
    for piece in pieces:
        if "*" in piece.text:
            return piece
    return None


def untrusted_holes(sql: SqlString) -> list[Hole]:
    return [p for p in sql if isinstance(p, Hole) and p.trust.untrusted]


# ---------------------------------------------------------------------------------------------
# The base class of the SQL rules


class SqlFlowRule(Rule):
    """Walks with the engine, notes which functions call a SQL sink, and hands each such
    function's sink uses to `check_uses` once the function has been walked."""

    always_applicable = False

    def __init__(self, context, options) -> None:  # noqa: ANN001
        super().__init__(context, options)
        self._functions: list[cst.FunctionDef] = []
        self._classes: list[cst.ClassDef] = []
        self._has_sink: list[bool] = []
        self._module_has_sink = False
        self._reported: set[tuple[int, int]] = set()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node)
        self._has_sink.append(False)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        has_sink = self._has_sink.pop()
        if has_sink:
            self.mark_applicable()
            classes = self._classes if self._classes and _directly_in_class(original_node, self._classes[-1]) else []
            uses = analysis_for(self.context).function_uses(list(self._functions), classes)
            self.check_uses(uses)
        self._functions.pop()

    def leave_Module(self, original_node: cst.Module) -> None:
        if self._module_has_sink:
            self.mark_applicable()
            self.check_uses(analysis_for(self.context).module_uses())

    def visit_Call(self, node: cst.Call) -> None:
        if self.context.is_test_file:
            return  # SQL in tests reaches a throwaway database, not users
        func = node.func
        is_sink = (isinstance(func, cst.Attribute) and func.attr.value in SQL_METHODS) or self.qualify(
            func
        ) in SQL_TEXT_FUNCTIONS
        if not is_sink:
            return
        if self._has_sink:
            self._has_sink[-1] = True
        else:
            self._module_has_sink = True

    def check_uses(self, uses: Sequence[SinkUse]) -> None:
        raise NotImplementedError

    def report_at(self, node: cst.CSTNode, statement: cst.CSTNode | None, message: str) -> None:
        """Report at `node`, suppressible on the lines of `statement` (which may lie outside
        the function being checked, as a module-level constant does)."""
        span = self.context.span(node, statement)
        key = (span.line, span.column)
        if key in self._reported:
            return
        self._reported.add(key)
        self.report_in(statement, node, message)

    def source(self, node: cst.CSTNode, limit: int = 60) -> str:
        text = " ".join(self.context.tree.code_for_node(node).split())
        return text if len(text) <= limit else text[: limit - 3] + "..."


def _directly_in_class(function: cst.FunctionDef, cls: cst.ClassDef) -> bool:
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    return any(statement is function for statement in body)
