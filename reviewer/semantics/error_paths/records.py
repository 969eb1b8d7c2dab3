"""What the error paths of a module are made of: the sinks and classes they name, and the records
of leaks, returns and `HTTPException`s built (plain values, read by the rules)."""

from __future__ import annotations

import http
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.semantics.exceptions import Detail
from reviewer.syntax import keyword, params_of, string_value

if TYPE_CHECKING:
    from reviewer.model import Span
    # Where a route returns or sends what a function returns (`ErrorPaths.returned_calls`): the
    # route's dotted name, the element of the result it takes (None: all of it), and the expression
    # reading a field or an element of it into what the route sends, with its statement (None,
    # None: the route sends it whole).
    ReturnedCall = tuple[str, int | None, cst.BaseExpression | None, cst.CSTNode | None]


HTTP_EXCEPTIONS = frozenset(
    {"fastapi.HTTPException", "fastapi.exceptions.HTTPException", "starlette.exceptions.HTTPException"}
)
WEBSOCKET_EXCEPTIONS = frozenset(
    {"fastapi.WebSocketException", "fastapi.exceptions.WebSocketException", "starlette.exceptions.WebSocketException"}
)
_RESPONSE_NAMES = ("JSONResponse", "Response", "PlainTextResponse", "HTMLResponse", "ORJSONResponse", "UJSONResponse")
RESPONSE_CLASSES = frozenset(
    f"{module}.{name}"
    for module in ("fastapi.responses", "starlette.responses", "fastapi")
    for name in _RESPONSE_NAMES
    if module != "fastapi" or name in ("Response",)
)
# Responses that send the client to a URL (in the `Location` header; the page there shows it).
REDIRECT_RESPONSES = frozenset({"fastapi.responses.RedirectResponse", "starlette.responses.RedirectResponse"})
# Responses that send what a generator yields, as it yields it.
STREAMING_RESPONSES = frozenset({
    "fastapi.responses.StreamingResponse", "starlette.responses.StreamingResponse",
    "sse_starlette.EventSourceResponse", "sse_starlette.sse.EventSourceResponse",
})
WEBSOCKET_SENDS = frozenset({"send_text", "send_json", "send_bytes"})
# What a module that may serve requests names.
SERVING_PACKAGES = ("fastapi", "starlette")
# What a statement builds to answer a client with: an exception FastAPI answers, or a response.
RESPONSE_SINKS = HTTP_EXCEPTIONS | WEBSOCKET_EXCEPTIONS | RESPONSE_CLASSES | STREAMING_RESPONSES | REDIRECT_RESPONSES
_STATUS_NAME = re.compile(r"(?:^|\.)(?:HTTP|WS)_(\d{3,4})_")
# HTTP 4xx, and the websocket close codes for a client's protocol, data or policy error.
HTTP_EXCEPTION_SINK = "`HTTPException(detail=...)`"
CLIENT_ERRORS = frozenset({*range(400, 500), 1002, 1003, 1007, 1008, 1009})


@dataclass(frozen=True)
class Leak:
    """Exception detail entering a response."""

    node: cst.BaseExpression  # the expression that carries it into the response
    statement: cst.CSTNode
    detail: Detail
    sink: str  # `HTTPException(detail=...)`, `the response body`, `the return value of route `f``
    function: str
    http_status: int | None = None  # the status of the `HTTPException` it is the detail of, when known
    conditions: tuple = ()  # what it runs under (`reviewer.semantics.conditions`), for the repository to weigh
    phrases: tuple[str, ...] = ()  # a client error's: the phrases the code found in the text before sending it
    owner: str = ""  # the function's dotted name in its module (`Reports.build`)
    raised: str | None = None  # the class of the exception it is raised in (a caller may catch it), qualified
    # Where in `node` the detail enters it, when `node` holds more (`"db_error": str(exc.orig)` of
    # a body's dict): what a report points at.
    entry: cst.BaseExpression | None = None
    # The statement `entry` is in, when another statement put the detail into a value that `node`
    # sends (`errors.append({"error": str(exc)})` before `return {"errors": errors}`).
    entry_statement: cst.CSTNode | None = None

    # Which element of a returned tuple carries it (`return None, str(e)`), for a caller unpacking it.
    element: int | None = None

    @property
    def at(self) -> cst.BaseExpression:
        return self.entry if self.entry is not None else self.node

    @property
    def through(self) -> tuple | None:
        """`Detail.through`: a function of another module may return it."""
        return self.detail.through

    @property
    def at_statement(self) -> cst.CSTNode:
        """The statement of `at`, where a comment may suppress the report."""
        return self.entry_statement if self.entry_statement is not None else self.statement


@dataclass(frozen=True)
class HandedText:
    """The text of a caught exception handed to a function of another module
    (`error_response(502, e.response.text)`), where it is handed: a leak there if that function
    sends it (plain values: summaries travel between processes)."""

    what: str  # the text as written
    span: Span
    statement_lines: tuple[int, int] | None
    function: str  # the caller's dotted name in its module
    traceback: bool = False
    conditions: tuple = ()  # what the call runs under (`reviewer.semantics.conditions`)
    # The functions the block it was caught around hands its values to (`Detail.computed_by`).
    computed_by: tuple[str, ...] = ()
    # It was caught around code that only parses what the client sent (`Detail.parsing`), and the
    # status the call gives as `status_code=`, when it spells one: a client error may describe it.
    parsing: bool = False
    status: int | None = None


@dataclass(frozen=True)
class TextCall:
    """A call of a function of the module itself with the text of a caught exception
    (`fail(f"inventory failed: {exc}")`): a leak there if that function sends it."""

    detail: Detail
    value: cst.BaseExpression  # the argument
    statement: cst.CSTNode
    function: str  # the caller's name
    owner: str  # its dotted name in the module
    conditions: tuple = ()  # what the call runs under (`reviewer.semantics.conditions`)


@dataclass(frozen=True)
class ReturnSite:
    node: cst.Return
    statement: cst.CSTNode
    function: str
    role: str  # "route" or "handler"
    in_except: bool
    status_set: bool  # `response.status_code = ...` ran before it on its path
    in_guard: bool = False  # in the branch of `if x is None:`/`if not x:` (what was looked for is missing)
    # After the route verified the signature of what it was sent: it answers an authentic delivery
    # of a webhook, whose sender retries whatever it does not see acknowledged with a 2xx.
    after_signature_check: bool = False
    # In an `except` block for any exception (`except Exception:`): the request failed for a reason
    # the code did not expect.
    catches_all: bool = False
    # Its value carries the caught exception or its text (`{"message": f"failed: {e}"}`).
    carries_exception: bool = False
    # What it returns, where it returns a name an `except` block bound (`return body`); the facts
    # above are then that block's.
    value: cst.BaseExpression | None = None
    # In the branch of an `if` with no `else` that returns: an answer before the route's own.
    early_exit: bool = False
    # The number a name given as the status of the response it returns holds (`status_code=code`
    # after `code = 200`, the function's one binding of it).
    held_status: int | None = None
    # In an `except ImportError:` block: an optional module is not installed, a state of the
    # deployment the route answers with, as it would a feature switched off.
    without_module: bool = False

    @property
    def returned(self) -> cst.BaseExpression | None:
        return self.value if self.value is not None else self.node.value


@dataclass(frozen=True)
class HttpExceptionSite:
    call: cst.Call
    statement: cst.CSTNode
    status: int | None
    returned: bool
    function: str = ""
    # What the function returns, where it returns the exception: the call, or the name holding it.
    returned_node: cst.BaseExpression | None = None
    # The function it is returned from is a route or an exception handler, or returns other values
    # too (its callers take the exception for a result); not a factory its callers raise.
    returned_as_result: bool = False


@dataclass
class ErrorPaths:
    leaks: list[Leak] = field(default_factory=list)
    returns: list[ReturnSite] = field(default_factory=list)
    http_exceptions: list[HttpExceptionSite] = field(default_factory=list)
    # Functions of this module whose every way out returns an error body without an error status.
    error_body_helpers: set[str] = field(default_factory=set)
    # Leaks of functions shaped as exception handlers (`async def f(request, exc)`) that this module
    # does not register: they leak where another module registers them for an internal exception.
    handler_leaks: list[Leak] = field(default_factory=list)
    # The returns of those functions, followed as handlers: what they answer where another module
    # registers them.
    handler_returns: list[ReturnSite] = field(default_factory=list)
    # The returns of exception handlers that answer in the module's status envelope (envelopes.py),
    # by id of their `return`.
    enveloped: set[int] = field(default_factory=set)
    # Handlers this module registers but does not define, qualified -> what for (qualified classes;
    # None for a status code or a class the imports do not name).
    registered_elsewhere: dict[str, list[str | None]] = field(default_factory=dict)
    # The statuses whose text detail an `HTTPException` handler this module registers replaces with
    # a fixed message before it answers (`if exc.status_code == 500: detail = GENERIC_MESSAGE`).
    replaced_details: frozenset[int] = frozenset()
    # Functions this module calls that it does not define, qualified -> the argument slots
    # (position or keyword) it hands a caught exception in -> the exception's class as written.
    passed_elsewhere: dict[str, dict[int | str, str]] = field(default_factory=dict)
    # Leaks of this module's functions if another module hands them a caught exception: function
    # name -> ((position, None for a keyword-only one; parameter name), its leaks with that
    # parameter bound to the exception).
    helper_leaks: dict[str, list[tuple[tuple[int | None, str], list[Leak]]]] = field(default_factory=dict)
    # The same for the text of a caught exception (`error_response(str(e))`): what this module
    # hands functions it does not define (qualified -> slot -> where), and the leaks of its own
    # functions with a parameter bound to such text.
    passed_text_elsewhere: dict[str, dict[int | str, list[HandedText]]] = field(default_factory=dict)
    helper_text_leaks: dict[str, list[tuple[tuple[int | None, str], list[Leak]]]] = field(default_factory=dict)
    # Leaks of functions that are no route into what they return: the detail of an exception they
    # catch themselves (`except httpx.HTTPStatusError as e: return {"reason": e.response.text}`),
    # for the routes that return what they return; and the functions, qualified (methods by their
    # class: `app.service.InvoiceService.finalize`), whose result routes of this module return
    # (`return service.finalize(id)`, or a name bound to it) or send, whole or a field of it
    # (`detail=outcome.error`) -> those routes' dotted names, each with the element of the result
    # it sends (`url, error = storage.presign(key)` then `{"error": error}`; None: all of it), and
    # the expression putting a field or an element of it into what the route sends, with its
    # statement (None, None: the route sends the result whole).
    returned_leaks: list[Leak] = field(default_factory=list)
    returned_calls: dict[str, list[ReturnedCall]] = field(default_factory=dict)
    # Its HTTP middleware functions (`@app.middleware("http")`, a class's `dispatch`), by name: they
    # are followed as routes, since what they return is the answer.
    middleware: set[str] = field(default_factory=set)
    # Its routes that answer an orchestrator's or a monitor's probe (`@router.get("/readyz")`,
    # `"/health"`; not a liveness probe's `"/live"`), by name: the status is their answer.
    probes: set[str] = field(default_factory=set)
    # The routes of this module, by dotted name -> the names they may call for a caller who is not
    # an administrator: None (any) unless the route checks for one; nothing after a dependency that
    # does; the names called before it after a test in its block (`if not user.is_superuser: raise`).
    routes: dict[str, frozenset[str] | None] = field(default_factory=dict)


def status_value(node: cst.BaseExpression | None, qualify) -> int | None:  # noqa: ANN001
    """The HTTP status an expression spells: `404`, `status.HTTP_404_NOT_FOUND`, `HTTPStatus.NOT_FOUND`."""
    if node is None:
        return None
    if isinstance(node, cst.Integer):
        return int(node.evaluated_value)
    name = qualify(node) if isinstance(node, (cst.Name, cst.Attribute)) else None
    if name is None:
        return None
    match = _STATUS_NAME.search(name)
    if match and name.split(".", 1)[0] in ("fastapi", "starlette"):
        return int(match.group(1))
    if name.startswith("http.HTTPStatus."):
        member = getattr(http.HTTPStatus, name.rsplit(".", 1)[1], None)
        return int(member) if member is not None else None
    return None


ASGI_SEND_TYPES = frozenset({"starlette.types.Send"})


def asgi_sends(function: cst.FunctionDef, qualify: Callable[[cst.BaseExpression], str | None]) -> frozenset[str]:
    """The parameters through which a function answers as an ASGI application: one annotated
    `starlette.types.Send`, or the last of a method `__call__(self, scope, receive, send)`."""
    params = params_of(function)
    annotated = {param.name.value for param in params if param.annotation is not None
                 and qualify(param.annotation.annotation) in ASGI_SEND_TYPES}
    if function.name.value == "__call__" and [param.name.value for param in params] == [
            "self", "scope", "receive", "send"]:
        annotated.add("send")
    return frozenset(annotated)


def asgi_body(call: cst.Call) -> cst.BaseExpression | None:
    """The `body` of an ASGI message written as a dict (`send({"type": "http.response.body", "body":
    body})`)."""
    message = call.args[0].value if len(call.args) == 1 else None
    if not isinstance(message, cst.Dict):
        return None
    return next((element.value for element in message.elements if isinstance(element, cst.DictElement)
                 and string_value(element.key) == "body"), None)


def template_context(call: cst.Call) -> cst.Arg | None:
    """The context a `TemplateResponse` call renders its template with: the `context` keyword, or
    the argument after the template's name (first, or after the request)."""
    given = keyword(call, "context")
    if given is not None:
        return given
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    names_first = bool(positional) and isinstance(positional[0].value, (cst.SimpleString, cst.FormattedString,
                                                                        cst.ConcatenatedString))
    position = 1 if names_first else 2
    return positional[position] if len(positional) > position else None
