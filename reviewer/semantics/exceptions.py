"""What a caught exception is, and which values carry its internal detail.

An exception's text is written by whoever raised it. The application's own exception classes
(defined in its own package) carry messages the application wrote, usually for its users; the
client's own input errors (`ValueError`, `pydantic.ValidationError`, `RequestValidationError`)
describe what the client sent. Everything else caught — `Exception` itself, driver and SDK errors
(`sqlalchemy.exc.IntegrityError`, `httpx.HTTPError`, `botocore.exceptions.ClientError`), `OSError`
and its paths — carries internal detail: SQL, parameters, hostnames, file paths, an upstream
provider's raw message. `exception_origin` tells them apart by the qualified name of the class an
`except` clause (or an exception handler's registration, or a parameter's annotation) names.

`DetailOf` answers, for an expression inside one function, whether it is (or contains) such
detail: `str(e)`, `repr(e)`, `e.args`, f-strings and `format` of `e`, `e.orig`, `e.statement`,
`e.params`, `e.response["Error"]["Message"]`, `traceback.format_exc()`, and names, containers and
strings built from them. Reading an exception's class name, its status code, a message an SDK
built for end users (`e.user_message`) or its validation errors (`e.errors()`) is not detail.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from reviewer import lazy_cst as cst
from reviewer.semantics.names import dotted_name
from reviewer.syntax import string_value
from reviewer.traversal import descendants

# The origin of a caught exception, from its class.
INTERNAL = "internal"  # may carry any internal detail: `Exception`, drivers, SDKs, OS errors
OWN = "own"  # the application's own class: its message was written by the application
INPUT = "input"  # describes the client's own input, says a fixed sentence, or re-raises an HTTP error

BROAD = frozenset({"builtins.Exception", "builtins.BaseException"})
# Builtin errors whose text, as raised by application code or the standard library's parsers,
# describes the value it was given (usually the client's): not internal detail.
INPUT_BUILTINS = frozenset(
    {
        "builtins.ValueError",
        "builtins.TypeError",
        "builtins.KeyError",
        "builtins.IndexError",
        "builtins.LookupError",
        "builtins.AssertionError",
        "builtins.NotImplementedError",
        "builtins.UnicodeError",
        "builtins.UnicodeDecodeError",
        "builtins.UnicodeEncodeError",
        "builtins.StopIteration",
        # Applications raise it for their own permission checks.
        "builtins.PermissionError",
        "builtins.StopAsyncIteration",
        "json.JSONDecodeError",
        "json.decoder.JSONDecodeError",
    }
)
# Builtin errors of a lookup, whose text is the key or index looked up: the client's, unless the code
# answers them with a server error, which says the key was the server's own (`Detail.lookup`).
LOOKUP_BUILTINS = frozenset({"builtins.KeyError", "builtins.IndexError", "builtins.LookupError"})
# A `RuntimeError` caught by name and answered with a client error (409, 400): the code treats it as
# a refusal the application raised for the state it is in ("a reload is already in progress"),
# the client's to read (`Detail.refusal`); answered with a server error, it may be a library's.
REFUSAL_BUILTINS = frozenset({"builtins.RuntimeError"})
# Libraries whose exceptions describe the client's input (validators, parsers and decoders of the
# data they are given) or are HTTP errors the application raised.
INPUT_PACKAGES = (
    "pydantic",
    "pydantic_core",
    "fastapi.exceptions.RequestValidationError",
    "fastapi.exceptions.WebSocketRequestValidationError",
    "fastapi.exceptions.HTTPException",
    "fastapi.HTTPException",
    "fastapi.exceptions.ResponseValidationError",
    "starlette.exceptions.HTTPException",
    "fastapi.WebSocketException",
    "fastapi.exceptions.WebSocketException",
    "starlette.exceptions.WebSocketException",
    "jsonschema",
    "email_validator",
    "marshmallow",
    "jwt",
    "jose",
    "werkzeug.exceptions",
    "validators",
    "yaml",
    "binascii",
    "base64",
    "tarfile",
    "zipfile",
    "csv",
    "tomllib",
    "toml",
    "phonenumbers",
    # The standard library's parsers and decoders of the data they are given.
    "xml.etree.ElementTree.ParseError",
    "xml.parsers.expat.ExpatError",
    "defusedxml",
    "lxml.etree.XMLSyntaxError",
    "email.errors",
    "decimal.InvalidOperation",
    "ipaddress.AddressValueError",
    "ipaddress.NetmaskValueError",
    "re.error",
    "gzip.BadGzipFile",
    "struct.error",
    "google.protobuf.message.DecodeError",
    # A webhook's signature that does not verify: the text is about the signature header it sent.
    "stripe.SignatureVerificationError",
    "stripe.error.SignatureVerificationError",
    "svix.webhooks.WebhookVerificationError",
    "svix.WebhookVerificationError",
    "cryptography.exceptions.InvalidSignature",
)
# Exceptions whose text says a fixed sentence (no row was found, a peer closed the connection) or names only
# what the client chose: a table, column or schema name it picked that exists already. A unique
# index's violation names the index and echoes the row: it is not among them. A task's
# cancellation says nothing but what its canceller passed (`task.cancel("user cancelled")`): the
# application's words.
_FIXED_TEXT = frozenset(
    {
        "sqlalchemy.exc.NoResultFound",
        "sqlalchemy.exc.MultipleResultsFound",
        "sqlalchemy.orm.exc.NoResultFound",
        "sqlalchemy.orm.exc.MultipleResultsFound",
        "asyncio.CancelledError",
        "asyncio.exceptions.CancelledError",
        # A connection the peer closed: the operating system's sentence ("[Errno 32] Broken pipe"),
        # naming no address (unlike a refused connection, which names the one it tried).
        "builtins.BrokenPipeError",
        "builtins.ConnectionResetError",
        "builtins.ConnectionAbortedError",
    }
)
_DRIVERS = frozenset({"asyncpg", "psycopg", "psycopg2"})
_DUPLICATE_NAMES = frozenset(
    f"Duplicate{kind}{suffix}" for kind in ("Table", "Column", "Schema", "Database", "Object", "Function", "Alias")
    for suffix in ("", "Error")
)
# Attributes of a library's exception that the library words itself, whatever failed: aiohttp's
# `ClientResponseError.message` is the reason phrase of the upstream's status ("Not Found"), where
# its text also names the URL asked.
_WORDED_ATTRIBUTES = {
    "aiohttp.ClientResponseError": frozenset({"message"}),
    "aiohttp.client_exceptions.ClientResponseError": frozenset({"message"}),
}
# Attributes of an exception that hold its internal detail (a driver's message, the SQL and its
# parameters, an upstream response, a command line, a path).
DETAIL_ATTRIBUTES = frozenset(
    {
        "args",
        "orig",
        "statement",
        "params",
        "message",
        "msg",
        "strerror",
        "filename",
        "filename2",
        "response",
        "body",
        "text",
        "stderr",
        "stdout",
        "output",
        "cmd",
        "pgerror",
        "diag",
        "__cause__",
        "__dict__",
        "__context__",
        "__traceback__",
        "original_exception",
        "error",
    }
)
# What reads the body of an HTTP response a test found failed (`resp.text`, `resp.json()`, `await
# resp.text()` of aiohttp's): the error an upstream service wrote, to its callers, not to ours.
RESPONSE_BODY_ATTRIBUTES = frozenset({"text", "content"})
RESPONSE_BODY_METHODS = frozenset({"json", "text", "read"})
TRACEBACK_CALLS = frozenset(
    {
        "traceback.format_exc",
        "traceback.format_exception",
        "traceback.format_exception_only",
        "traceback.format_tb",
        "traceback.format_stack",
        "traceback.extract_tb",
        "traceback.extract_stack",
        "traceback.TracebackException.from_exception",
    }
)
# Calls that return their argument's text (or a container of it) unchanged in substance.
STRINGIFYING_CALLS = frozenset(
    {"builtins.str", "builtins.repr", "builtins.format", "builtins.dict", "builtins.list", "builtins.tuple",
     "json.dumps", "fastapi.encoders.jsonable_encoder"}
)
# Functions that encode a text and keep what it says (`quote(str(e))` in a redirect's URL,
# `html.escape(traceback.format_exc())` in a page).
TEXT_KEEPING_CALLS = frozenset({
    "urllib.parse.quote", "urllib.parse.quote_plus", "urllib.parse.urlencode", "html.escape", "markupsafe.escape",
    "markupsafe.Markup.escape", "textwrap.shorten", "textwrap.indent", "textwrap.dedent", "base64.b64encode",
    "base64.urlsafe_b64encode",
})
# Builtins whose result holds the elements of the iterable in this argument (`" ".join(map(str,
# e.orig.args))`).
ELEMENT_KEEPING_CALLS = {"builtins.map": 1, "builtins.filter": 1, "builtins.sorted": 0, "builtins.reversed": 0,
                         "builtins.set": 0, "builtins.frozenset": 0}
TEXT_METHODS = frozenset(
    {"strip", "lstrip", "rstrip", "lower", "upper", "replace", "split", "splitlines", "capitalize", "title",
     "encode", "decode", "removeprefix", "removesuffix", "get", "json", "items", "values", "copy", "to_dict",
     "model_dump", "dict"}
)


# Libraries whose exceptions carry internal detail in their text: database drivers and ORMs, HTTP
# clients, cloud and AI SDKs, message brokers, subprocesses (with the standard library's modules).
INTERNAL_PACKAGES = frozenset(
    {
        "sqlalchemy", "sqlmodel", "psycopg", "psycopg2", "asyncpg", "aiosqlite", "pymysql", "MySQLdb", "aiomysql",
        "pymongo", "motor", "redis", "aioredis", "tortoise", "peewee", "databases", "neo4j", "cassandra",
        "elasticsearch", "opensearchpy", "httpx", "requests", "aiohttp", "urllib3", "botocore", "boto3",
        "aiobotocore", "openai", "anthropic", "google", "grpc", "docker", "kubernetes", "celery", "kombu",
        "aio_pika", "pika", "minio", "paramiko", "azure", "stripe", "litellm", "cohere", "mistralai", "groq",
        "httpcore", "websockets", "playwright", "selenium", "git", "smtplib", "aiosmtplib",
        # vector stores, model runtimes and hubs: hosts, collection names, file paths, device state
        "qdrant_client", "pinecone", "chromadb", "weaviate", "pymilvus", "lancedb", "ollama", "torch",
        "tensorflow", "transformers", "onnxruntime", "huggingface_hub", "sentence_transformers",
        # more drivers and clients
        "oracledb", "pyodbc", "duckdb", "clickhouse_connect", "snowflake", "ldap3", "aioboto3", "google_auth_oauthlib",
    }
)


# AI providers' and payment processors' SDKs: their errors carry what the vendor wrote for the
# developer or the user (a key refused, a quota reached, a card declined), which an application that
# catches one by name relays on purpose; the text of a driver's, an HTTP client's or an OS error is
# the stack's own.
VENDOR_WORDED = ("openai", "anthropic", "google.genai", "google.generativeai", "litellm", "cohere", "mistralai",
                 "groq", "stripe", "braintree", "Adyen")


def vendor_worded(qualified: str | None) -> bool:
    """Whether an exception class is one of an AI provider's or a payment processor's SDK
    (`VENDOR_WORDED`)."""
    return qualified is not None and any(qualified == p or qualified.startswith(p + ".") for p in VENDOR_WORDED)


def exception_origin(qualified: str | None, module: str) -> str:
    """`INTERNAL`, `OWN` or `INPUT` for the exception class `qualified` names, caught or handled in
    `module`. A class of a package neither known to carry internal detail nor part of the
    standard library counts as the application's own, as does one the imports cannot resolve
    (a star import)."""
    if qualified is None:
        return OWN
    if qualified in BROAD:
        return INTERNAL
    if qualified in _FIXED_TEXT:
        return INPUT
    if qualified.startswith("builtins."):
        return INPUT if qualified in INPUT_BUILTINS else INTERNAL
    if qualified in INPUT_BUILTINS or any(qualified == p or qualified.startswith(p + ".") for p in INPUT_PACKAGES):
        return INPUT
    top = qualified.split(".", 1)[0]
    if top in _DRIVERS and qualified.rsplit(".", 1)[-1] in _DUPLICATE_NAMES:
        return INPUT
    own_top = module.split(".", 1)[0] if module else ""
    if top == own_top or "." not in qualified:
        return OWN
    if top in INTERNAL_PACKAGES or top in sys.stdlib_module_names:
        return INTERNAL
    return OWN


def named_classes(types: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The classes an `except` clause or an `isinstance` test names: the members of a tuple, or the
    one class."""
    return [element.value for element in types.elements] if isinstance(types, cst.Tuple) else [types]


def caught_origin(
    types: cst.BaseExpression | None, qualify: Callable[[cst.BaseExpression], str | None], module: str
) -> tuple[str, str]:
    """(origin, class as written) of what an `except` clause catches; a tuple takes its most
    internal member; a bare `except:` catches everything."""
    if types is None:
        return INTERNAL, "BaseException"
    members = named_classes(types)
    best = (INPUT, "")
    rank = {INPUT: 0, OWN: 1, INTERNAL: 2}
    for member in members:
        origin = exception_origin(qualify(member), module)
        written = dotted_name(member) or "exception"
        if rank[origin] > rank[best[0]] or not best[1]:
            best = (origin, written) if rank[origin] >= rank[best[0]] else best
    return best


@dataclass(frozen=True)
class Detail:
    """Internal detail a value carries: what it is, for messages (`str(exc)`, `the traceback`),
    and whether it is a traceback."""

    what: str
    traceback: bool = False
    # It comes from an exception caught around code that only parses what the client sent (see
    # `DetailOf.parsing`): a client error response may describe it.
    parsing: bool = False
    # It comes from one caught around code that hands the client's files only to these functions
    # (`await csv_rows(file)`), qualified: parsing, if the repository shows that each only reads
    # and converts what it is given.
    parsed_by: tuple[str, ...] = ()
    # It comes from one caught around a block that hands its values only to these functions and
    # classes of the repository, qualified, and otherwise computes (`parsing.computed_by`): no
    # detail of the deployment, if the repository shows that each only computes too.
    computed_by: tuple[str, ...] = ()
    # Phrases the code found in its text before this point (`DetailOf.recognised`): a client error
    # may describe it if the application's own messages hold them (`RaisedMessages`).
    phrases: tuple[str, ...] = ()
    # (function, argument slot): it is what a function of another module returns when given the
    # detail in that slot; the repository tells whether that function's result carries it.
    through: tuple[str, int | str] | None = None
    # The conditions (`reviewer.semantics.conditions`) under which a branch put it in the value
    # (`if settings.DEBUG: body["trace"] = str(e)`), for the repository to weigh.
    conditions: tuple = ()
    # It is the body of an upstream service's failed response (`resp.text` under `if
    # resp.status_code != 200:`), not an exception's text.
    upstream: bool = False
    # It is the text of a builtin lookup error (`except (KeyError, IndexError) as e:`): internal
    # detail only where it is sent with a server error status.
    lookup: bool = False
    # It is the text of a `RuntimeError` caught by name (`REFUSAL_BUILTINS`): no internal detail
    # where it is sent with a client error.
    refusal: bool = False


def entered(value: cst.BaseExpression, detail: DetailOf) -> cst.BaseExpression:
    """The innermost element of the displays a value is built of (dicts, lists, tuples, sets, and
    strings written in parts) that carries the detail: where it enters the value (`str(exc.orig)`
    of `{"detail": "Conflict", "db_error": str(exc.orig)}`)."""
    while isinstance(value, (cst.Dict, cst.List, cst.Tuple, cst.Set, cst.ConcatenatedString)):
        parts = (value.left, value.right) if isinstance(value, cst.ConcatenatedString) else (
            element.value for element in value.elements)
        found = [(part, carried) for part in parts if (carried := detail.of(part))]
        if not found:
            return value
        # The element whose detail the value's is (`exceptions._first`): a traceback before any other.
        value = min(found, key=lambda pair: (not pair[1].traceback, pair[1].through is not None))[0]
    return value


def _first(found: Iterable[Detail | None]) -> Detail | None:
    """The detail of a container: a traceback in it before any other detail, and detail it holds
    itself before what a function of another module may return."""
    details = [detail for detail in found if detail is not None]
    return min(details, key=lambda d: (not d.traceback, d.through is not None), default=None)


class DetailOf:
    """Which expressions of one function carry internal exception detail, given the names bound
    to exceptions (`exceptions`: name -> class as written) and to detail (`names`)."""

    def __init__(
        self,
        qualify: Callable[[cst.BaseExpression], str | None],
        module: str,
        exceptions: Mapping[str, str],
        names: Mapping[str, Detail],
        helpers: Mapping[str, frozenset[int | str]] | None = None,
        source: Callable[[cst.CSTNode], str] | None = None,
        parsing: Mapping[str, tuple[str, ...]] | None = None,
        phrases: Mapping[str, tuple[str, ...]] | None = None,
        task_results: frozenset[str] = frozenset(),
        failed_results: frozenset[str] = frozenset(),
        computing: Mapping[str, tuple[str, ...]] | None = None,
        failed_responses: frozenset[str] = frozenset(),
        lookups: frozenset[str] = frozenset(),
        refusals: frozenset[str] = frozenset(),
    ) -> None:
        self.qualify = qualify
        self.module = module
        self.exceptions = exceptions
        self.names = names
        # Functions of this module that return detail of the arguments in these slots.
        self.helpers = helpers if helpers is not None else {}
        self.source = source or (lambda node: "the exception")
        # Exceptions caught around a block that does no I/O (no `await`): parsing the client's data;
        # each with the functions the block hands the client's files to, if any (`Detail.parsed_by`).
        self.parsing = parsing or {}
        # Exceptions caught around a block that otherwise computes -> the repository's functions it
        # hands its values to (`Detail.computed_by`).
        self.computing = computing or {}
        # Exceptions whose text the code found these phrases in.
        self.phrases = phrases or {}
        # Names of a task queue's results (`res = AsyncResult(task_id)`), whose `traceback` is the
        # worker's.
        self.task_results = task_results
        # Those of them a branch found failed (`if res.failed():`), whose `result` (or `info`) is
        # then the exception the worker raised.
        self.failed_results = failed_results
        # Names of HTTP responses a branch found failed (`failed_responses`), whose body is then
        # the error an upstream service wrote.
        self.failed_responses = failed_responses
        # Names of the lookup errors caught (`LOOKUP_BUILTINS`).
        self.lookups = lookups
        # Names of the refusals caught (`REFUSAL_BUILTINS`).
        self.refusals = refusals

    def _exception(self, node: cst.BaseExpression) -> str | None:
        if (isinstance(node, cst.Attribute) and node.attr.value in ("result", "info")
                and isinstance(node.value, cst.Name) and node.value.value in self.failed_results):
            return f"{node.value.value}.{node.attr.value}"  # a failed task's exception
        return node.value if isinstance(node, cst.Name) and node.value in self.exceptions else None

    def _worded(self, caught: str, attribute: str) -> bool:
        """Whether the attribute of a caught exception holds text its library words itself
        (`_WORDED_ATTRIBUTES`), by the class the `except` clause names."""
        if caught not in self.exceptions:
            return False
        written = self.exceptions[caught].split(".")
        node: cst.BaseExpression = cst.Name(written[0])
        for part in written[1:]:
            node = cst.Attribute(node, cst.Name(part))
        return attribute in _WORDED_ATTRIBUTES.get(self.qualify(node) or "", ())

    def of(self, node: cst.BaseExpression | None) -> Detail | None:
        if node is None:
            return None
        if isinstance(node, cst.Await):
            return self.of(node.expression)
        if isinstance(node, cst.Name):
            return self.names.get(node.value)
        if isinstance(node, cst.Attribute):
            if (node.attr.value == "traceback" and isinstance(node.value, cst.Name)
                    and node.value.value in self.task_results):
                return Detail(self.source(node), traceback=True)
            if node.attr.value in RESPONSE_BODY_ATTRIBUTES and self._failed_response(node.value):
                return Detail(self.source(node), upstream=True)
            caught = self._exception(node.value)
            if caught and node.attr.value in DETAIL_ATTRIBUTES:
                return None if self._worded(caught, node.attr.value) else self._caught(node, caught)
            inner = self.of(node.value)
            return inner if inner is not None and node.attr.value not in ("status_code", "status", "code") else None
        if isinstance(node, cst.Subscript):
            return self.of(node.value)
        if isinstance(node, cst.FormattedString):
            for part in node.parts:
                if isinstance(part, cst.FormattedStringExpression):
                    found = self._stringified(part.expression)
                    if found is not None:
                        return found
            return None
        if isinstance(node, cst.BinaryOperation):
            if isinstance(node.operator, cst.Modulo):
                return self.of(node.left) or self._stringified_container(node.right)
            if isinstance(node.operator, cst.Add):
                return self.of(node.left) or self.of(node.right)
            return None
        if isinstance(node, (cst.BooleanOperation, cst.ConcatenatedString)):
            # `"<h1>Failed</h1>" f"<pre>{traceback.format_exc()}</pre>"`: either part
            return self.of(node.left) or self.of(node.right)
        if isinstance(node, cst.IfExp):
            narrowed = self.narrowed(node.test)
            if narrowed:
                return self.without(narrowed).of(node.body) or self.of(node.orelse)
            names, phrases = self.recognised(node.test)
            if names:
                return self.recognising(names, phrases).of(node.body) or self.of(node.orelse)
            return self.of(node.body) or self.of(node.orelse)
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            return _first(self.of(element.value) for element in node.elements)
        if isinstance(node, cst.Dict):
            return _first(self.of(element.value) for element in node.elements if isinstance(element, cst.DictElement))
        if isinstance(node, cst.Call):
            return self._call(node)
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            return self._comprehension(node.elt, node.for_in)
        if isinstance(node, cst.DictComp):
            return self._comprehension(node.value, node.for_in)
        return None

    def _comprehension(self, element: cst.BaseExpression, loop: cst.CompFor) -> Detail | None:
        """`[str(arg) for arg in e.args]`: what each element holds, with the loop's names bound to
        what the loop reads."""
        iterated = self.of(loop.iter)
        if iterated is None:
            return self.of(element)
        bound = {n.value: iterated for n in descendants(loop.target) if type(n) is cst.Name}
        return self._view(names={**self.names, **bound}).of(element)

    def narrowed(self, test: cst.BaseExpression) -> set[str]:
        """Exception names a test shows to be of a class that carries no internal detail:
        `isinstance(e, (ValueError, OwnError))`, `type(e) is ValueError`, also within `and`/`or`."""
        return _combined(test, self.narrowed) if isinstance(test, cst.BooleanOperation) else self._narrowed_class(test)

    def recognised(self, test: cst.BaseExpression) -> tuple[set[str], tuple[str, ...]]:
        """Names of exceptions and detail whose text a test finds phrases in (`"not found" in
        str(e).lower()`, `message.startswith("Quota exceeded")`), also within `and`/`or`, and the
        phrases: the branch it opens runs only for texts that hold them."""
        if isinstance(test, cst.BooleanOperation):
            (left, said), (right, more) = self.recognised(test.left), self.recognised(test.right)
            names = left | right if isinstance(test.operator, cst.And) else left & right
            return names, (said + more if names else ())
        return self._recognised(test)

    def _narrowed_class(self, test: cst.BaseExpression) -> set[str]:
        tested = self._class_test(test)
        if tested is not None and all(exception_origin(self.qualify(m), self.module) != INTERNAL for m in tested[1]):
            return {tested[0]}
        return set()

    def picks_internal(self, test: cst.BaseExpression) -> set[str]:
        """Exception names a test of their class picks out as of one that carries internal detail
        (`isinstance(exc, SQLAlchemyError)`): the branch it opens runs for such errors."""
        tested = self._class_test(test)
        if tested is not None and any(exception_origin(self.qualify(m), self.module) == INTERNAL for m in tested[1]):
            return {tested[0]}
        return set()

    def _class_test(self, test: cst.BaseExpression) -> tuple[str, list[cst.BaseExpression]] | None:
        """(the exception's name, the classes) of `isinstance(e, ValueError)`, and of an exact test of
        its class: `type(e) is ValueError`, `type(e) == ValueError`, `type(e) in (ValueError, OwnError)`."""
        if (isinstance(test, cst.Comparison) and len(test.comparisons) == 1
                and isinstance(test.comparisons[0].operator, (cst.Is, cst.Equal, cst.In))
                and isinstance(test.left, cst.Call) and self.qualify(test.left.func) == "builtins.type"
                and len(test.left.args) == 1):
            target, classes = test.left.args[0].value, test.comparisons[0].comparator
            if isinstance(classes, (cst.List, cst.Set)):
                classes = cst.Tuple(elements=classes.elements)
            elif isinstance(test.comparisons[0].operator, cst.In) and not isinstance(classes, cst.Tuple):
                return None  # `type(e) in SAFE`: a collection the test does not name
        elif isinstance(test, cst.Call) and len(test.args) == 2 and self.qualify(test.func) == "builtins.isinstance":
            target, classes = test.args[0].value, test.args[1].value
        else:
            return None
        if not isinstance(target, cst.Name) or target.value not in self.exceptions:
            return None
        return target.value, named_classes(classes)

    def _recognised(self, test: cst.BaseExpression) -> tuple[set[str], tuple[str, ...]]:
        """The names whose text a test finds a phrase in, and the phrases: `"phrase" in text`,
        `text.startswith("phrase")` or `endswith`, with `text` the text of an exception or detail."""
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            target = test.comparisons[0]
            phrases = _phrases(test.left)
            if not isinstance(target.operator, cst.In) or not phrases:
                return set(), ()
            text = target.comparator
        elif (isinstance(test, cst.Call) and isinstance(test.func, cst.Attribute)
              and test.func.attr.value in ("startswith", "endswith") and len(test.args) == 1
              and (phrases := _phrases(test.args[0].value))):
            text = test.func.value
        else:
            return set(), ()
        if self._stringified(text) is None:
            return set(), ()
        names = {node.value for node in descendants(text)
                 if type(node) is cst.Name and (node.value in self.exceptions or node.value in self.names)}
        return names, phrases if names else ()

    def _view(self, *, exceptions: Mapping[str, str] | None = None, names: Mapping[str, Detail] | None = None,
              phrases: Mapping[str, tuple[str, ...]] | None = None) -> DetailOf:
        """This view with other exceptions, detail names or phrases."""
        return DetailOf(self.qualify, self.module, self.exceptions if exceptions is None else exceptions,
                        self.names if names is None else names, self.helpers, self.source, self.parsing,
                        self.phrases if phrases is None else phrases, self.task_results, self.failed_results,
                        self.computing, self.failed_responses, self.lookups, self.refusals)

    def without(self, names: set[str]) -> DetailOf:
        """This view with `names` no longer bound to internal exceptions, nor to their detail."""
        return self._view(exceptions={name: written for name, written in self.exceptions.items() if name not in names},
                          names={name: detail for name, detail in self.names.items() if name not in names})

    def recognising(self, names: set[str], phrases: tuple[str, ...]) -> DetailOf:
        """This view with the text of the exceptions and detail `names` found to hold `phrases`."""
        details = {name: replace(detail, phrases=phrases) if name in names else detail
                   for name, detail in self.names.items()}
        found = {**self.phrases, **{name: phrases for name in names if name in self.exceptions}}
        return self._view(names=details, phrases=found)

    def _caught(self, node: cst.CSTNode, caught: str) -> Detail:
        """The detail of a caught exception's text."""
        parsed_by = self.parsing.get(caught)
        return Detail(self.source(node), parsing=parsed_by == (), parsed_by=parsed_by or (),
                      computed_by=self.computing.get(caught, ()),
                      phrases=self.phrases.get(caught, ()), lookup=caught in self.lookups,
                      refusal=caught in self.refusals)

    def _through(self, call: cst.Call, name: str) -> Detail | None:
        """The detail a call of a function of another module (`errors.describe(e)`) is given,
        marked as what that function may return."""
        for position, arg in enumerate(call.args):
            if arg.star:
                continue
            caught = self._exception(arg.value)
            found = self._caught(arg.value, caught) if caught else self.of(arg.value)
            if found is not None:
                # Named by the call it is handed to, unless it is text already (`Result(error=str(e))`).
                what = self.source(call) if caught or found.traceback else found.what
                return replace(found, what=what, traceback=False, through=(name, _slot(arg, position)))
        return None

    def _stringified(self, node: cst.BaseExpression) -> Detail | None:
        """Detail of `node` where it is turned into text (`str(node)`, `f"{node}"`)."""
        caught = self._exception(node)
        if caught:
            return self._caught(node, caught)
        return self.of(node)

    def _stringified_container(self, node: cst.BaseExpression) -> Detail | None:
        if isinstance(node, cst.Tuple):
            for element in node.elements:
                found = self._stringified(element.value)
                if found is not None:
                    return found
            return None
        return self._stringified(node)

    def _failed_response(self, node: cst.BaseExpression) -> bool:
        return isinstance(node, cst.Name) and node.value in self.failed_responses

    def _call(self, node: cst.Call) -> Detail | None:
        if (isinstance(node.func, cst.Attribute) and node.func.attr.value in RESPONSE_BODY_METHODS
                and self._failed_response(node.func.value)):
            return Detail(self.source(node), upstream=True)  # `resp.json()`, `await resp.text()`
        name = self.qualify(node.func)
        if name in TRACEBACK_CALLS:
            return Detail(f"{name}()", traceback=True)
        args = [arg.value for arg in node.args]
        if name == "builtins.getattr" and len(args) >= 2:
            # `getattr(e, "message", str(e))`: the attribute, as `e.message` reads it, or the default.
            caught = self._exception(args[0])
            attribute = string_value(args[1])
            if caught and attribute in DETAIL_ATTRIBUTES:
                return None if self._worded(caught, attribute) else self._caught(node, caught)
            return self.of(args[2]) if len(args) > 2 else None
        if name == "builtins.vars" and args and (caught := self._exception(args[0])):
            return self._caught(node, caught)  # `vars(e)["orig"]`: every attribute it keeps
        if name in TEXT_KEEPING_CALLS or name in ELEMENT_KEEPING_CALLS:
            return _first(self.of(value) for value in args[ELEMENT_KEEPING_CALLS.get(name, 0):][:1])
        if name in STRINGIFYING_CALLS:
            for value in args[:1]:
                textual = name in ("builtins.str", "builtins.repr", "builtins.format")
                found = self._stringified(value) if textual else self.of(value)
                if found is not None:
                    return replace(found, what=self.source(node))
            return None
        func = node.func
        if name is not None and "." in name and not name.startswith(("builtins.", f"{self.module}.")) and (
                name.split(".", 1)[0] not in sys.stdlib_module_names):
            return self._through(node, name)
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            receiver = func.value
            if method == "format":
                for value in args:
                    found = self._stringified(value)
                    if found is not None:
                        return replace(found, what=self.source(node))
                return self.of(receiver)
            if method == "join" and args:
                return self.of(args[0]) or self.of(receiver)
            if method in ("__str__", "__repr__", "__format__"):
                return replace(found, what=self.source(node)) if (found := self._stringified(receiver)) else None
            if method in TEXT_METHODS:
                return self.of(receiver)
            return None
        if isinstance(func, cst.Name) and func.value in self.helpers:
            slots = self.helpers[func.value]
            for position, arg in enumerate(node.args):
                slot = _slot(arg, position)
                caught = self._exception(arg.value)
                found = None if caught else self.of(arg.value)
                if slot in slots and caught:
                    return self._caught(node, caught)
                if slot in slots and found:
                    return replace(found, what=self.source(node), traceback=False)
            return None
        if isinstance(func, cst.Name) and name is not None and name.startswith(f"{self.module}."):
            # Another function or a class of the module (`Result(error=str(e))`): the repository tells.
            return self._through(node, name)
        return None


def _slot(arg: cst.Arg, position: int) -> int | str:
    return arg.keyword.value if arg.keyword is not None else position


def _combined(test: cst.BooleanOperation, of: Callable[[cst.BaseExpression], set[str]]) -> set[str]:
    """What both sides of `and` show, or what each side of `or` does."""
    left, right = of(test.left), of(test.right)
    return left | right if isinstance(test.operator, cst.And) else left & right


def _phrases(node: cst.BaseExpression) -> tuple[str, ...]:
    """The phrases of a string literal (or a tuple of them) with a word in each: phrases of a
    message, not a separator (`":"`); () for anything else."""
    if isinstance(node, cst.Tuple):
        found = [_phrases(element.value) for element in node.elements]
        return tuple(phrase for phrases in found for phrase in phrases) if found and all(found) else ()
    if not isinstance(node, cst.SimpleString):
        return ()
    value = node.evaluated_value
    return (value,) if isinstance(value, str) and any(character.isalpha() for character in value) else ()

