"""Blocking APIs: which calls, and which objects' methods, block the thread that makes them.

It is data. Every name is a qualified name (what `import x as y` / `from x import y` resolve to),
never a spelling. A project extends it through the options of the rules that use it:

    [tool.reviewer.rules.RVW401]
    blocking-calls = ["legacy_sdk.fetch_report"]        # functions that block
    blocking-clients = ["legacy_sdk.Client"]            # classes/factories: every method call blocks
    session-dependencies = ["app.deps.get_db"]          # dependencies that provide a sync Session

An object type is named by a string (`requests.Session`); `OBJECT_TYPES` says which of its methods
block, which methods return another known type (`Engine.connect()` -> `Connection`), and what
calling the object itself returns (`SessionLocal()` -> `Session`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

NETWORK = "network"
FILE = "file"
SLEEP = "sleep"
PROCESS = "process"
DATABASE = "database"
SESSION = "session"  # a sync SQLAlchemy/SQLModel Session, Engine or Connection

SYNC_SESSION = "sqlalchemy.orm.Session"
SESSION_FACTORY = "sqlalchemy.orm.sessionmaker"
SCOPED_SESSION = "sqlalchemy.orm.scoped_session"
ENGINE = "sqlalchemy.Engine"
CONNECTION = "sqlalchemy.Connection"
PATH = "pathlib.Path"
CUSTOM_CLIENT = "configured client"
INSPECTOR = "sqlalchemy.Inspector"

_HTTP_FUNCTIONS = ("get", "post", "put", "patch", "delete", "head", "options", "request")

BLOCKING_FUNCTIONS: dict[str, str] = {
    **{f"requests.{verb}": NETWORK for verb in _HTTP_FUNCTIONS},
    **{f"requests.api.{verb}": NETWORK for verb in _HTTP_FUNCTIONS},
    **{f"httpx.{verb}": NETWORK for verb in (*_HTTP_FUNCTIONS, "stream")},
    "urllib.request.urlopen": NETWORK,
    "urllib.request.urlretrieve": NETWORK,
    "urllib3.request": NETWORK,
    "socket.create_connection": NETWORK,
    "socket.getaddrinfo": NETWORK,
    "socket.gethostbyname": NETWORK,
    "socket.gethostbyname_ex": NETWORK,
    "socket.gethostbyaddr": NETWORK,
    "socket.getfqdn": NETWORK,
    "time.sleep": SLEEP,
    "subprocess.run": PROCESS,
    "subprocess.call": PROCESS,
    "subprocess.check_call": PROCESS,
    "subprocess.check_output": PROCESS,
    "subprocess.getoutput": PROCESS,
    "subprocess.getstatusoutput": PROCESS,
    "os.system": PROCESS,
    "os.popen": PROCESS,
    "os.wait": PROCESS,
    "os.waitpid": PROCESS,
    "builtins.open": FILE,
    "io.open": FILE,
    "codecs.open": FILE,
    "builtins.input": FILE,
    "shutil.copyfile": FILE,
    "shutil.copy": FILE,
    "shutil.copy2": FILE,
    "shutil.copytree": FILE,
    "shutil.move": FILE,
    "shutil.rmtree": FILE,
    "shutil.make_archive": FILE,
    "shutil.unpack_archive": FILE,
    "os.fsync": FILE,
    "os.fdatasync": FILE,
    # Each creates and opens a file on disk, as `open` does.
    "tempfile.NamedTemporaryFile": FILE,
    "tempfile.TemporaryFile": FILE,
    "tempfile.mkstemp": FILE,
    # Path methods called through the class: `Path.read_text(path)`.
    **{f"pathlib.Path.{method}": FILE for method in ("read_text", "read_bytes", "write_text", "write_bytes")},
    "psycopg2.connect": DATABASE,
    "psycopg.connect": DATABASE,
    "pymysql.connect": DATABASE,
    "MySQLdb.connect": DATABASE,
    "mysql.connector.connect": DATABASE,
    "sqlite3.connect": DATABASE,
    "pandas.read_sql": DATABASE,
    "pandas.read_sql_query": DATABASE,
    "pandas.read_sql_table": DATABASE,
}

# The sync Stripe SDK: `stripe.Customer.create(...)`, `stripe.checkout.Session.retrieve(...)`.
# Its async twins end in `_async` and are not listed.
STRIPE_VERBS = frozenset({
    "create", "retrieve", "modify", "delete", "list", "search", "cancel", "capture", "confirm",
    "finalize_invoice", "pay", "void_invoice", "refund", "expire", "attach", "detach", "upcoming",
    "list_line_items", "create_balance_transaction", "mark_uncollectible", "send_invoice",
})


@dataclass(frozen=True)
class ObjectType:
    """What is known of objects of one type."""

    label: str  # shown in messages: `requests.Session`
    category: str
    # Methods that block; None: every method except `harmless`.
    blocking: frozenset[str] | None = frozenset()
    harmless: frozenset[str] = frozenset()
    # Method (or attribute, or `__truediv__`) -> the type it returns.
    returns: Mapping[str, str] = field(default_factory=dict)
    # What calling the object itself returns (`sessionmaker()` instances make Sessions).
    call_returns: str | None = None

    def blocks(self, method: str) -> bool:
        if self.blocking is None:
            return method not in self.harmless and not method.startswith("_")
        return method in self.blocking


_HTTP_METHODS = frozenset({*_HTTP_FUNCTIONS, "send", "stream"})
_SESSION_METHODS = frozenset({
    "execute", "scalar", "scalars", "get", "get_one", "query", "exec", "commit", "flush", "refresh",
    "merge", "rollback", "close", "connection", "bulk_save_objects", "bulk_insert_mappings",
    "bulk_update_mappings",
})
_PATH_RETURNS = {
    name: PATH
    for name in ("__truediv__", "parent", "resolve", "absolute", "with_name", "with_suffix", "with_stem",
                 "joinpath", "expanduser", "relative_to")
}
_DBAPI_METHODS = frozenset({"execute", "executemany", "executescript", "commit", "rollback", "fetchone",
                            "fetchall", "fetchmany"})

OBJECT_TYPES: dict[str, ObjectType] = {
    "requests.Session": ObjectType("requests.Session", NETWORK, _HTTP_METHODS),
    "httpx.Client": ObjectType("httpx.Client", NETWORK, _HTTP_METHODS),
    "http.client.HTTPConnection": ObjectType(
        "http.client.HTTPConnection", NETWORK, frozenset({"request", "getresponse", "connect", "send", "endheaders"})
    ),
    "smtplib.SMTP": ObjectType(
        "smtplib.SMTP", NETWORK,
        frozenset({"connect", "login", "sendmail", "send_message", "starttls", "ehlo", "helo", "quit", "noop"}),
    ),
    "socket.socket": ObjectType(
        "socket.socket", NETWORK,
        frozenset({"connect", "recv", "recv_into", "recvfrom", "send", "sendall", "sendto", "accept"}),
    ),
    "subprocess.Popen": ObjectType("subprocess.Popen", PROCESS, frozenset({"wait", "communicate"})),
    "redis.Redis": ObjectType(
        "redis.Redis", NETWORK, None, frozenset({"pipeline", "pubsub", "register_script", "lock", "from_url"})
    ),
    "boto3.Client": ObjectType(
        "boto3.client", NETWORK, None,
        frozenset({"generate_presigned_url", "generate_presigned_post", "get_paginator", "get_waiter",
                   "can_paginate", "meta", "exceptions", "Bucket", "Object", "Table"}),
    ),
    "boto3.Session": ObjectType(
        "boto3.Session", NETWORK, returns={"client": "boto3.Client", "resource": "boto3.Client"}
    ),
    "dbapi.Connection": ObjectType(
        "database connection", DATABASE, _DBAPI_METHODS, returns={"cursor": "dbapi.Cursor"}
    ),
    "dbapi.Cursor": ObjectType("database cursor", DATABASE, _DBAPI_METHODS),
    "stripe.StripeClient": ObjectType("stripe.StripeClient", NETWORK),
    PATH: ObjectType(
        "pathlib.Path", FILE, frozenset({"read_text", "read_bytes", "write_text", "write_bytes", "open"}),
        returns={**_PATH_RETURNS, "open": "file"},
    ),
    "file": ObjectType("file", FILE),
    SYNC_SESSION: ObjectType("Session", SESSION, _SESSION_METHODS, returns={"begin": SYNC_SESSION}),
    SCOPED_SESSION: ObjectType("scoped_session", SESSION, _SESSION_METHODS, call_returns=SYNC_SESSION),
    SESSION_FACTORY: ObjectType("sessionmaker", SESSION, returns={"begin": SYNC_SESSION}, call_returns=SYNC_SESSION),
    ENGINE: ObjectType(
        "Engine", SESSION, frozenset({"connect", "begin", "execute", "raw_connection"}),
        returns={"connect": CONNECTION, "begin": CONNECTION},
    ),
    CONNECTION: ObjectType(
        "Connection", SESSION,
        frozenset({"execute", "exec_driver_sql", "scalar", "scalars", "commit", "rollback"}),
        returns={"begin": CONNECTION},
    ),
    # `inspect(engine)`; `inspect(model)` gives a mapper, whose methods have other names.
    INSPECTOR: ObjectType(
        "Inspector", SESSION,
        frozenset({"get_schema_names", "get_table_names", "get_view_names", "get_columns", "get_indexes",
                   "get_foreign_keys", "get_pk_constraint", "get_unique_constraints", "get_check_constraints",
                   "get_table_comment", "get_sequence_names", "has_table", "has_schema", "has_index",
                   "has_sequence", "get_multi_columns"}),
    ),
    CUSTOM_CLIENT: ObjectType("configured client", NETWORK, None),
}

# Calling one of these makes an object of the type named; `True` when the call itself blocks
# (`psycopg2.connect(...)` connects, `requests.Session()` does not).
CONSTRUCTORS: dict[str, tuple[str, bool]] = {
    "requests.Session": ("requests.Session", False),
    "requests.session": ("requests.Session", False),
    "requests.sessions.Session": ("requests.Session", False),
    "httpx.Client": ("httpx.Client", False),
    "http.client.HTTPConnection": ("http.client.HTTPConnection", False),
    "http.client.HTTPSConnection": ("http.client.HTTPConnection", False),
    "smtplib.SMTP": ("smtplib.SMTP", True),
    "smtplib.SMTP_SSL": ("smtplib.SMTP", True),
    "smtplib.LMTP": ("smtplib.SMTP", True),
    "socket.socket": ("socket.socket", False),
    "socket.create_connection": ("socket.socket", True),
    "subprocess.Popen": ("subprocess.Popen", False),
    "redis.Redis": ("redis.Redis", False),
    "redis.StrictRedis": ("redis.Redis", False),
    "redis.client.Redis": ("redis.Redis", False),
    "redis.from_url": ("redis.Redis", False),
    "redis.Redis.from_url": ("redis.Redis", False),
    "redis.StrictRedis.from_url": ("redis.Redis", False),
    "boto3.client": ("boto3.Client", False),
    "boto3.resource": ("boto3.Client", False),
    "boto3.Session": ("boto3.Session", False),
    "boto3.session.Session": ("boto3.Session", False),
    "psycopg2.connect": ("dbapi.Connection", True),
    "psycopg.connect": ("dbapi.Connection", True),
    "pymysql.connect": ("dbapi.Connection", True),
    "MySQLdb.connect": ("dbapi.Connection", True),
    "mysql.connector.connect": ("dbapi.Connection", True),
    "sqlite3.connect": ("dbapi.Connection", True),
    "stripe.StripeClient": ("stripe.StripeClient", False),
    "pathlib.Path": (PATH, False),
    "pathlib.PosixPath": (PATH, False),
    "pathlib.WindowsPath": (PATH, False),
    "pathlib.Path.cwd": (PATH, False),
    "pathlib.Path.home": (PATH, False),
    "builtins.open": ("file", True),
    "io.open": ("file", True),
    "codecs.open": ("file", True),
    "sqlalchemy.orm.Session": (SYNC_SESSION, False),
    "sqlalchemy.orm.session.Session": (SYNC_SESSION, False),
    "sqlmodel.Session": (SYNC_SESSION, False),
    "sqlmodel.orm.session.Session": (SYNC_SESSION, False),
    "sqlalchemy.orm.sessionmaker": (SESSION_FACTORY, False),
    "sqlalchemy.orm.session.sessionmaker": (SESSION_FACTORY, False),
    "sqlalchemy.orm.scoped_session": (SCOPED_SESSION, False),
    "sqlalchemy.orm.scoping.scoped_session": (SCOPED_SESSION, False),
    "sqlalchemy.create_engine": (ENGINE, False),
    "sqlalchemy.engine.create_engine": (ENGINE, False),
    "sqlalchemy.engine_from_config": (ENGINE, False),
    "sqlmodel.create_engine": (ENGINE, False),
    "sqlalchemy.inspect": (INSPECTOR, False),
}

# Annotations naming a blocking type (`db: Session`, `engine: Engine`).
ANNOTATIONS: dict[str, str] = {
    "requests.Session": "requests.Session",
    "requests.sessions.Session": "requests.Session",
    "httpx.Client": "httpx.Client",
    "smtplib.SMTP": "smtplib.SMTP",
    "socket.socket": "socket.socket",
    "redis.Redis": "redis.Redis",
    "redis.StrictRedis": "redis.Redis",
    "redis.client.Redis": "redis.Redis",
    "botocore.client.BaseClient": "boto3.Client",
    "sqlite3.Connection": "dbapi.Connection",
    "psycopg2.extensions.connection": "dbapi.Connection",
    "psycopg.Connection": "dbapi.Connection",
    "pathlib.Path": PATH,
    "sqlalchemy.orm.Session": SYNC_SESSION,
    "sqlalchemy.orm.session.Session": SYNC_SESSION,
    "sqlmodel.Session": SYNC_SESSION,
    "sqlmodel.orm.session.Session": SYNC_SESSION,
    "sqlalchemy.orm.scoped_session": SCOPED_SESSION,
    "sqlalchemy.orm.scoping.scoped_session": SCOPED_SESSION,
    "sqlalchemy.orm.sessionmaker": SESSION_FACTORY,
    "sqlalchemy.Engine": ENGINE,
    "sqlalchemy.engine.Engine": ENGINE,
    "sqlalchemy.engine.base.Engine": ENGINE,
    "sqlalchemy.Connection": CONNECTION,
    "sqlalchemy.engine.Connection": CONNECTION,
    "sqlalchemy.engine.base.Connection": CONNECTION,
}
# Generated boto3 stubs name each client type in its own package (`mypy_boto3_s3.S3Client`).
BOTO3_STUB_PREFIX = "mypy_boto3_"

# `sessionmaker(class_=AsyncSession)` makes async sessions.
ASYNC_SESSION_CLASSES = frozenset({
    "sqlalchemy.ext.asyncio.AsyncSession",
    "sqlalchemy.ext.asyncio.session.AsyncSession",
    "sqlmodel.ext.asyncio.session.AsyncSession",
})

# Calls that run the function they are handed (their first argument) in a thread and give the
# awaiting caller its result, or raise what it raised: `await run_in_threadpool(send_email, to)`.
THREAD_RUNNERS = frozenset({
    "asyncio.to_thread",
    "starlette.concurrency.run_in_threadpool",
    "fastapi.concurrency.run_in_threadpool",
    "anyio.to_thread.run_sync",
})
# Calls whose arguments name work to run elsewhere: a function passed to them is not run on the loop.
OFFLOADERS = THREAD_RUNNERS | frozenset({
    "asyncer.asyncify",
    "asgiref.sync.sync_to_async",
    "starlette.background.BackgroundTask",
})
OFFLOADING_METHODS = frozenset({"run_in_executor", "add_task"})
# Decorators that turn a sync function into one that runs in a thread.
OFFLOADING_DECORATORS = frozenset({"asgiref.sync.sync_to_async", "asyncer.asyncify"})
# Decorators that run a function's body once (per argument): its I/O is start-up work, not per-call.
MEMOIZING_DECORATORS = frozenset({"functools.cache", "functools.lru_cache", "functools.cached_property",
                                  "cachetools.cached"})
# `dict[str, S3Service]`: subscripting gives the value type.
MAPPINGS = frozenset({"builtins.dict", "typing.Dict", "typing.Mapping", "typing.MutableMapping",
                      "collections.abc.Mapping", "collections.abc.MutableMapping"})
# A parameter default `Depends(get_db)` is whatever `get_db` returns or yields.
DEPENDS = frozenset({"fastapi.Depends", "fastapi.params.Depends", "fastapi.Security"})
ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated"})
# Wrappers whose first subscript argument is the type that matters for a value or a yield.
CONTAINERS = frozenset({
    "typing.Optional", "typing.Generator", "typing.Iterator", "typing.Iterable", "typing.AsyncIterator",
    "typing.AsyncGenerator", "typing.AsyncIterable", "typing.ContextManager",
    "collections.abc.Generator", "collections.abc.Iterator", "collections.abc.Iterable",
    "collections.abc.AsyncIterator", "collections.abc.AsyncGenerator", "collections.abc.AsyncIterable",
    "contextlib.AbstractContextManager", "typing_extensions.Generator",
})

@dataclass(frozen=True)
class Blocking:
    """One way a call blocks: the API as shown in messages, and what kind of I/O it is."""

    api: str
    category: str
    object_type: str | None = None  # for a method call: the label of the object's type


class BlockingTable:
    """The table above, extended by a project's own names: `blocking-calls` (functions that
    block), `blocking-clients` (classes or factories whose every method blocks) and
    `session-dependencies` (dependencies that provide a sync session), by those keys."""

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.functions = dict(BLOCKING_FUNCTIONS)
        self.functions.update(dict.fromkeys(options.get("blocking-calls", ()), NETWORK))
        self.constructors = dict(CONSTRUCTORS)
        self.constructors.update({name: (CUSTOM_CLIENT, False) for name in options.get("blocking-clients", ())})
        self.annotations = dict(ANNOTATIONS)
        self.annotations.update(dict.fromkeys(options.get("blocking-clients", ()), CUSTOM_CLIENT))
        self.session_dependencies = frozenset(options.get("session-dependencies", ()))

    def call(self, qualified: str, has_arguments: bool = True) -> Blocking | None:
        """Does calling `qualified` block by itself?"""
        category = self.functions.get(qualified)
        if category is not None:
            return Blocking(qualified.removeprefix("builtins."), category)
        constructed = self.constructors.get(qualified)
        if constructed is not None and constructed[1] and has_arguments:
            return Blocking(qualified, OBJECT_TYPES[constructed[0]].category)
        parts = qualified.split(".")
        if len(parts) >= 3 and parts[0] == "stripe" and parts[-1] in STRIPE_VERBS and parts[-2][:1].isupper():
            return Blocking(qualified, NETWORK)
        return None

    def constructed(self, qualified: str) -> str | None:
        """The type of object calling `qualified` makes, if it is a known one."""
        found = self.constructors.get(qualified)
        return found[0] if found else None

    def annotated(self, qualified: str) -> str | None:
        if qualified.startswith(BOTO3_STUB_PREFIX) and qualified.endswith("Client"):
            return "boto3.Client"
        return self.annotations.get(qualified)

    def is_session_dependency(self, qualified: str) -> bool:
        return qualified in self.session_dependencies or qualified.rsplit(".", 1)[-1] in self.session_dependencies

    @staticmethod
    def method(type_name: str, method: str) -> Blocking | None:
        kind = OBJECT_TYPES.get(type_name)
        if kind is None or not kind.blocks(method):
            return None
        return Blocking(f"{kind.label}.{method}", kind.category, kind.label)

    @staticmethod
    def returned(type_name: str, member: str) -> str | None:
        kind = OBJECT_TYPES.get(type_name)
        return kind.returns.get(member) if kind else None

    @staticmethod
    def call_returns(type_name: str) -> str | None:
        kind = OBJECT_TYPES.get(type_name)
        return kind.call_returns if kind else None
