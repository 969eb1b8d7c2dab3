"""How a module's endpoints and exception handlers answer errors: `ErrorPaths`.

For every function of a FastAPI module it follows, in statement order, the names bound to caught
exceptions and to their detail (`reviewer.semantics.exceptions`), and records:

- `leaks`: internal exception detail entering a response: `HTTPException(detail=...)`, a
  `JSONResponse`/`Response` body, a websocket send, a route's return value, a handler's response,
  what a generator yields to the streaming response the module gives it;
- `handler_leaks` and `registered_elsewhere`: leaks of functions shaped as exception handlers
  that the module does not register, and the handlers it registers that other modules define,
  for the repository to pair;
- `returns`: each `return` of a route or an exception handler, with whether it runs in an `except`
  block and whether the function set `response.status_code` before it on that path;
- `http_exceptions`: each `HTTPException(...)` built, with its status and whether it is returned
  rather than raised.

Exceptions are bound where they are caught (`except ... as e`), in an exception handler's
exception parameter (from its registration, `reviewer.semantics.fastapi.handlers`), in a
parameter annotated with an exception class, and in a parameter of a function of this module that
an `except` block passes its exception to (`handle_error(e)`). A function of this module that
returns the detail of an argument (`def describe(e): return f"{type(e).__name__}: {e}"`) passes it
on to its caller. Nested functions are followed on their own.

What a leak does not count, the semantic layer decides once for every rule: an exception narrowed
to a class without internal detail (`isinstance`, `assert isinstance`, an early `raise` when it is
not one), a leak in a route only administrators reach (`Leak` is not recorded), and a client error
(4xx, websocket protocol/data close codes) built from `except Exception` around a block that only
parses what the client sent (`Detail.parsing`, see `_Walk.compound`). Statements where no caught
exception or its detail is bound are read only for statuses and returns (`_Walk.plain`), which
keeps the analysis cheap.

Computed once per file (`error_paths(context)`), for every rule that asks.
"""

from __future__ import annotations

import functools
import http
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.semantics.exceptions import BROAD, INPUT, INTERNAL, OWN, Detail, DetailOf, caught_origin, exception_origin
from reviewer.semantics.fastapi.handlers import exception_handlers, registrations
from reviewer.semantics.flow.syntax import is_route
from reviewer.semantics.names import dotted_name
from reviewer.syntax import argument, keyword, string_value

if TYPE_CHECKING:
    from reviewer.rule import FileContext

SHARED_KEY = "error-paths"

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
WEBSOCKET_SENDS = frozenset({"send_text", "send_json", "send_bytes"})
WEBSOCKET_TYPES = frozenset({"fastapi.WebSocket", "fastapi.websockets.WebSocket", "starlette.websockets.WebSocket"})
_STATUS_NAME = re.compile(r"(?:^|\.)(?:HTTP|WS)_(\d{3,4})_")
# HTTP 4xx, and the websocket close codes for a client's protocol, data or policy error.
CLIENT_ERRORS = frozenset({*range(400, 500), 1002, 1003, 1007, 1008, 1009})


@dataclass(frozen=True)
class Leak:
    """Exception detail entering a response."""

    node: cst.BaseExpression  # the expression that carries it into the response
    statement: cst.CSTNode
    detail: Detail
    sink: str  # `HTTPException(detail=...)`, `the response body`, `the return value of route `f``
    function: str


@dataclass(frozen=True)
class ReturnSite:
    node: cst.Return
    statement: cst.CSTNode
    function: str
    role: str  # "route" or "handler"
    in_except: bool
    status_set: bool  # `response.status_code = ...` ran before it on its path
    in_guard: bool = False  # in the branch of `if x is None:`/`if not x:` (what was looked for is missing)


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
    # Handlers this module registers but does not define, qualified -> what for (qualified classes;
    # None for a status code or a class the imports do not name).
    registered_elsewhere: dict[str, list[str | None]] = field(default_factory=dict)


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


ERROR = "error"  # the body says it reports an error: `{"error": ...}`, `{"success": False}`
DETAIL = "detail"  # the body carries a `detail` message, an error only where an error is handled
_ERROR_KEYS = frozenset({"error", "error_message", "errorMessage", "err", "error_msg"})
# Keys of an answer about the request itself (an error envelope), beside which other keys are data.
_ENVELOPE_KEYS = _ERROR_KEYS | frozenset({
    "status", "message", "msg", "detail", "details", "code", "success", "ok", "reason", "errors", "error_code",
    "error_type", "type", "title", "description", "hint", "status_code", "statusCode", "data", "result",
})
_FAILED_STATUSES = frozenset({"error", "fail"})


def _body_marker(node: cst.BaseExpression) -> str | None:
    if not isinstance(node, cst.Dict):
        return None
    keys = [string_value(e.key) for e in node.elements if isinstance(e, cst.DictElement)]
    if sum(key not in _ENVELOPE_KEYS for key in keys) >= 2:
        # `{"job_id": ..., "running": False, "status": "error"}`: the state of something the client
        # asked about (a background job that failed), not an answer that the request failed.
        return None
    marker = None
    for element in node.elements:
        if not isinstance(element, cst.DictElement):
            continue
        key = string_value(element.key)
        value = element.value
        if key in _ERROR_KEYS and not _is_empty(value):
            if not _is_text(value):
                marker = DETAIL  # a value that may be None on success: an error only where one is handled
                continue
            return ERROR
        if key in ("success", "ok") and isinstance(value, cst.Name) and value.value == "False":
            return ERROR
        if key == "status" and (string_value(value) or "").lower() in _FAILED_STATUSES and not _lnurl_error(node):
            return ERROR
        if key == "detail" and not _is_empty(value):
            marker = DETAIL
    return marker


def _is_text(node: cst.BaseExpression) -> bool:
    """A value built as text or a literal (`"failed"`, `f"... {e}"`, `str(e)`, `"%s" % e`, a list
    of errors), not one read from elsewhere that may be None (`job.get("error")`, `result.error`)."""
    if string_value(node) is not None or isinstance(node, (cst.FormattedString, cst.ConcatenatedString,
                                                            cst.BinaryOperation, cst.List, cst.Tuple, cst.Dict)):
        return True
    if isinstance(node, cst.Call):
        func = node.func
        return (isinstance(func, cst.Name) and func.value in ("str", "repr")) or (
            isinstance(func, cst.Attribute) and func.attr.value in ("format", "join")
            and string_value(func.value) is not None)
    return False


def _lnurl_error(node: cst.Dict) -> bool:
    """`{"status": "ERROR", "reason": ...}`: the LNURL protocol's error body (LUD-01), which
    wallets read from a 200 response."""
    keys = {string_value(e.key) for e in node.elements if isinstance(e, cst.DictElement)}
    return "reason" in keys and any(isinstance(e, cst.DictElement) and string_value(e.key) == "status"
                                    and string_value(e.value) == "ERROR" for e in node.elements)


def _is_empty(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Name):
        return node.value in ("None", "False")
    if isinstance(node, (cst.List, cst.Tuple, cst.Dict, cst.Set)):
        return not node.elements
    return string_value(node) == ""


def response_status(call: cst.Call, qualify) -> tuple[bool, int | None]:  # noqa: ANN001
    """(whether a status is given, its value when known) of a response class's call."""
    status = argument(call, 1, "status_code")
    if status is None:
        return False, None
    return True, status_value(status.value, qualify)


def error_body(value: cst.BaseExpression, qualify, helpers: set[str]) -> str | None:  # noqa: ANN001
    """`ERROR` or `DETAIL` when a returned value is an error body sent with a success status (a dict,
    or a response built without an error status), else None. `helpers` are functions of the
    module that return such a body on every way out."""
    if isinstance(value, cst.Await):
        value = value.expression
    if isinstance(value, cst.Dict):
        return _body_marker(value)
    if not isinstance(value, cst.Call):
        return None
    if isinstance(value.func, cst.Name) and value.func.value in helpers:
        return ERROR
    if qualify(value.func) not in RESPONSE_CLASSES:
        return None
    given, status = response_status(value, qualify)
    if given and (status is None or status >= 400):
        return None
    content = argument(value, 0, "content")
    return _body_marker(content.value) if content is not None else None


def _functions(module: cst.Module) -> Iterator[cst.FunctionDef]:
    """Every function of a module, nested ones too, found through statement bodies only."""
    stack: list[cst.CSTNode] = list(reversed(module.body))
    while stack:
        node = stack.pop()
        if isinstance(node, cst.SimpleStatementLine):
            continue
        if isinstance(node, cst.FunctionDef):
            yield node
        blocks = [getattr(node, "body", None), getattr(node, "orelse", None), getattr(node, "finalbody", None)]
        blocks += list(getattr(node, "handlers", ()))
        blocks += list(getattr(node, "cases", ()))
        for block in blocks:
            if block is None:
                continue
            if isinstance(block, (cst.If, cst.ExceptHandler, cst.ExceptStarHandler, cst.MatchCase)):
                stack.append(block)
                continue
            inner = getattr(block, "body", None)
            if isinstance(inner, cst.BaseSuite):
                inner = getattr(inner, "body", ())
            if isinstance(inner, (list, tuple)):
                stack.extend(reversed([n for n in inner if isinstance(n, cst.BaseCompoundStatement)]))


def _calls_in(node: cst.CSTNode) -> Iterator[cst.Call]:
    """Calls in an expression or simple statement, outermost first, not inside lambdas."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Lambda):
            continue
        if isinstance(current, cst.Call):
            yield current
        stack.extend(reversed(current.children))


def _params(function: cst.FunctionDef) -> list[cst.Param]:
    params = function.params
    return [*params.posonly_params, *params.params, *params.kwonly_params]


class _Walk:
    """Follows one function."""

    def __init__(self, paths: _Builder, function: cst.FunctionDef, role: str | None,
                 exceptions: dict[str, str]) -> None:
        self.b = paths
        self.function = function
        self.name = function.name.value
        self.role = role
        self.exceptions = dict(exceptions)
        self.parsing: set[str] = set()
        self.details: dict[str, Detail] = {}
        self.websockets = {
            p.name.value for p in _params(function)
            if p.annotation is not None and paths.qualify(p.annotation.annotation) in WEBSOCKET_TYPES
        }
        self.streams_to = paths.streamed.get(self.name)  # what streams what it yields to the client
        self.error_returns = 0
        self.other_returns = 0
        self.value_returns = 0
        self.guards = 0  # how many `if x is None:`/`if not x:` branches the walk is in
        # A coroutine, or a helper of a module of coroutines, waits on its I/O: a block of it
        # without `await` only computes (a plain route may still use a blocking session).
        self.no_io_unless_awaited = function.asynchronous is not None or paths.asynchronous and role is None

    def _is_http_exception(self, value: cst.BaseExpression) -> bool:
        return isinstance(value, cst.Call) and self.b.qualify(value.func) in HTTP_EXCEPTIONS

    def finish(self, first_site: int) -> None:
        """Mark the exceptions this function returns as results, not as a factory's product."""
        if self.role is None and not self.value_returns:
            return
        sites = self.b.paths.http_exceptions
        for index in range(first_site, len(sites)):
            if sites[index].returned and sites[index].function == self.name:
                sites[index] = replace(sites[index], returned_as_result=True)

    @functools.cached_property
    def admin_only(self) -> bool:
        return self.role == "route" and _admin_only(self.function, self.b.admin_routers)

    @functools.cached_property
    def injected(self) -> set[str]:
        """Parameters FastAPI injects (`db: Session = Depends(get_db)`): sessions, clients, services."""
        return {
            p.name.value for p in _params(self.function)
            if p.default is not None and _is_dependency(p.default)
            or p.annotation is not None and _is_dependency(p.annotation.annotation)
        }

    def detail(self) -> DetailOf:
        return DetailOf(self.b.qualify, self.b.module, self.exceptions, self.details, self.b.helpers, self.b.source,
                        frozenset(self.parsing))

    def run(self) -> None:
        body = self.function.body
        if isinstance(body, cst.IndentedBlock):
            self.block(body.body, in_except=False, status_set=False)
        else:
            self.simple(body, body.body, in_except=False, status_set=[False])

    def block(self, statements: Sequence[cst.BaseStatement], *, in_except: bool, status_set: bool) -> None:
        state = [status_set]
        for statement in statements:
            if isinstance(statement, cst.SimpleStatementLine):
                self.simple(statement, statement.body, in_except=in_except, status_set=state)
            else:
                self.compound(statement, in_except=in_except, status_set=state[0])

    def suite(self, suite: cst.BaseSuite | None, *, in_except: bool, status_set: bool) -> None:
        if suite is None:
            return
        if isinstance(suite, cst.IndentedBlock):
            self.block(suite.body, in_except=in_except, status_set=status_set)
        elif isinstance(suite, cst.SimpleStatementSuite):
            self.simple(suite, suite.body, in_except=in_except, status_set=[status_set])

    def compound(self, statement: cst.BaseStatement, *, in_except: bool, status_set: bool) -> None:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            return
        if isinstance(statement, (cst.Try, cst.TryStar)):
            self.suite(statement.body, in_except=in_except, status_set=status_set)
            for handler in statement.handlers:
                bound = handler.name.name.value if handler.name is not None and isinstance(
                    handler.name.name, cst.Name) else None
                origin, written = caught_origin(handler.type, self.b.qualify, self.b.module)
                if origin == INTERNAL and written in ("Exception", "BaseException") and _raises_only_own(
                        statement.body, self.b):
                    origin = OWN
                previous = self.exceptions.get(bound) if bound else None
                if bound:
                    if origin == INTERNAL:
                        self.exceptions[bound] = written
                    else:
                        self.exceptions.pop(bound, None)
                    self.details.pop(bound, None)
                    if (origin == INTERNAL and written in ("Exception", "BaseException") and self.no_io_unless_awaited
                            and not _awaits(statement.body) and not _uses(statement.body, self.injected)):
                        self.parsing.add(bound)
                self.suite(handler.body, in_except=True, status_set=status_set)
                if bound:
                    self.exceptions.pop(bound, None)
                    self.parsing.discard(bound)
                    if previous is not None:
                        self.exceptions[bound] = previous
            if statement.orelse is not None:
                self.suite(statement.orelse.body, in_except=in_except, status_set=status_set)
            if statement.finalbody is not None:
                self.suite(statement.finalbody.body, in_except=in_except, status_set=status_set)
            return
        if isinstance(statement, cst.If):
            test = statement.test
            if (isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)
                    and statement.orelse is None and _exits(statement.body)):
                for name in self.detail().narrowed(test.expression):  # `if not isinstance(e, X): raise`
                    self.exceptions.pop(name, None)
            narrowed = {name: self.exceptions.pop(name) for name in self.detail().narrowed(test)}
            guard = _is_missing_check(test)
            self.guards += guard
            self.suite(statement.body, in_except=in_except, status_set=status_set)
            self.guards -= guard
            self.exceptions.update(narrowed)
            orelse = statement.orelse
            if isinstance(orelse, cst.If):
                self.compound(orelse, in_except=in_except, status_set=status_set)
            elif orelse is not None:
                self.suite(orelse.body, in_except=in_except, status_set=status_set)
            return
        if isinstance(statement, cst.With):
            self.suite(statement.body, in_except=in_except, status_set=status_set)
            return
        if isinstance(statement, (cst.For, cst.While)):
            self.suite(statement.body, in_except=in_except, status_set=status_set)
            if statement.orelse is not None:
                self.suite(statement.orelse.body, in_except=in_except, status_set=status_set)
            return
        if isinstance(statement, cst.Match):
            for case in statement.cases:
                self.suite(case.body, in_except=in_except, status_set=status_set)

    def simple(self, statement: cst.CSTNode, smalls: Sequence[cst.BaseSmallStatement], *, in_except: bool,
               status_set: list[bool]) -> None:
        for small in smalls:
            if not (self.exceptions or self.details or in_except and self.b.traceback):
                self.plain(small, statement, in_except=in_except, status_set=status_set)
                continue
            detail = self.detail()
            if isinstance(small, cst.Assert):
                for name in detail.narrowed(small.test):
                    self.exceptions.pop(name, None)
            self.sinks(small, statement, detail)
            if isinstance(small, cst.Assign):
                value = detail.of(small.value)
                for target in small.targets:
                    self.bind(target.target, value, small.value)
                    if isinstance(target.target, cst.Attribute) and target.target.attr.value == "status_code":
                        status_set[0] = True
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                self.bind(small.target, detail.of(small.value), small.value)
            elif isinstance(small, cst.AugAssign):
                value = detail.of(small.value)
                if value is not None and isinstance(small.target, cst.Name):
                    self.details[small.target.value] = value
            elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                call = small.value
                if (isinstance(call.func, cst.Attribute) and call.func.attr.value in ("append", "extend", "update",
                                                                                       "add", "insert")):
                    for arg in call.args:
                        value = detail.of(arg.value)
                        if value is not None and isinstance(call.func.value, cst.Name):
                            self.details[call.func.value.value] = value
                self.pass_exception(call)
            elif isinstance(small, cst.Return):
                self.on_return(small, statement, detail, in_except=in_except, status_set=status_set[0])
            if isinstance(small, (cst.Assign, cst.Return, cst.Raise, cst.AnnAssign)):
                value = getattr(small, "value", None) or getattr(small, "exc", None)
                for call in _calls_in(value) if value is not None else ():
                    self.pass_exception(call)

    def plain(self, small: cst.BaseSmallStatement, statement: cst.CSTNode, *, in_except: bool,
              status_set: list[bool]) -> None:
        """A statement where no exception detail can be (no caught exception or its detail is
        bound): only the statuses and exceptions it builds and what it returns matter."""
        value = None
        if isinstance(small, cst.Assign):
            value = small.value
            for target in small.targets:
                if isinstance(target.target, cst.Attribute) and target.target.attr.value == "status_code":
                    status_set[0] = True
                elif isinstance(target.target, cst.Name) and self._is_http_exception(value):
                    self.b.built_exceptions[(self.name, target.target.value)] = value
        elif isinstance(small, cst.Raise):
            value = small.exc
        elif isinstance(small, (cst.Return, cst.Expr)):
            value = small.value
        if value is not None and self._is_http_exception(value):
            status = argument(value, 0, "status_code")
            returned = isinstance(small, cst.Return)
            self.b.paths.http_exceptions.append(
                HttpExceptionSite(value, statement, status_value(status.value if status else None, self.b.qualify),
                                  returned, self.name, value if returned else None))
        if isinstance(small, cst.Return):
            self.on_return(small, statement, None, in_except=in_except, status_set=status_set[0])

    def bind(self, target: cst.BaseExpression, value: Detail | None, source: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            if value is None:
                self.details.pop(target.value, None)
            else:
                self.details[target.value] = value
            if isinstance(source, cst.Call) and self.b.qualify(source.func) in HTTP_EXCEPTIONS:
                self.b.built_exceptions[(self.name, target.value)] = source
        elif isinstance(target, cst.Subscript) and value is not None:
            root = target.value
            if isinstance(root, cst.Name):
                self.details[root.value] = value
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.bind(element.value, None, source)

    def pass_exception(self, call: cst.Call) -> None:
        """Note a call handing a caught exception to a function of this module."""
        if not isinstance(call.func, cst.Name) or call.func.value not in self.b.local_functions:
            return
        for position, arg in enumerate(call.args):
            if isinstance(arg.value, cst.Name) and arg.value.value in self.exceptions and not arg.star:
                slot: int | str = arg.keyword.value if arg.keyword is not None else position
                self.b.passed.setdefault(call.func.value, {})[slot] = self.exceptions[arg.value.value]

    def sinks(self, small: cst.CSTNode, statement: cst.CSTNode, detail: DetailOf) -> None:
        if self.streams_to and isinstance(small, cst.Expr) and isinstance(small.value, cst.Yield):
            value = small.value.value
            if isinstance(value, cst.BaseExpression):  # not `yield from`
                self.leak(value, statement, detail, f"the stream of `{self.streams_to}`")
        for call in _calls_in(small):
            name = self.b.qualify(call.func)
            if name in HTTP_EXCEPTIONS:
                status = argument(call, 0, "status_code")
                returned = isinstance(small, cst.Return) and small.value is call
                self.b.paths.http_exceptions.append(
                    HttpExceptionSite(call, statement, status_value(status.value if status else None, self.b.qualify),
                                      returned, self.name, call if returned else None))
                self.leak(argument(call, 1, "detail"), statement, detail, "`HTTPException(detail=...)`",
                          status.value if status else None)
            elif name in WEBSOCKET_EXCEPTIONS:
                code = argument(call, 0, "code")
                self.leak(argument(call, 1, "reason"), statement, detail, "the websocket close reason",
                          code.value if code else None)
            elif name in RESPONSE_CLASSES:
                code = argument(call, 1, "status_code")
                self.leak(argument(call, 0, "content"), statement, detail, f"the body of `{name.rsplit('.', 1)[1]}`",
                          code.value if code else None)
            elif (isinstance(call.func, cst.Attribute) and isinstance(call.func.value, cst.Name)
                  and call.func.value.value in self.websockets):
                method = call.func.attr.value
                if method in WEBSOCKET_SENDS:
                    self.leak(argument(call, 0, "data"), statement, detail, f"`{call.func.value.value}.{method}()`")
                elif method == "close":
                    code = argument(call, 0, "code")
                    self.leak(keyword(call, "reason"), statement, detail, "the websocket close reason",
                              code.value if code else None)

    def leak(self, arg: cst.Arg | cst.BaseExpression | None, statement: cst.CSTNode, detail: DetailOf, sink: str,
             status: cst.BaseExpression | None = None) -> None:
        value = arg.value if isinstance(arg, cst.Arg) else arg
        if value is None or self.admin_only:
            return
        found = detail.of(value)
        if found is not None and found.parsing and status_value(status, self.b.qualify) in CLIENT_ERRORS:
            return  # a client error about data the block only parsed describes that data
        if found is not None:
            self.b.paths.leaks.append(Leak(value, statement, found, sink, self.name))

    def on_return(self, node: cst.Return, statement: cst.CSTNode, detail: DetailOf | None, *, in_except: bool,
                  status_set: bool) -> None:
        value = node.value
        if value is not None and isinstance(value, cst.Name) and (self.name, value.value) in self.b.built_exceptions:
            call = self.b.built_exceptions[(self.name, value.value)]
            self.b.paths.http_exceptions.append(HttpExceptionSite(call, statement, None, True, self.name, value))
        elif value is not None and not self._is_http_exception(value):
            self.value_returns += 1
        if self.role is None:
            if value is not None and self.b.is_error_body(value):
                self.error_returns += 1
            else:
                self.other_returns += 1
            return
        if self.role == "route" and detail is not None and value is not None and not isinstance(value, cst.Call):
            found = detail.of(value)
            if found is not None:
                self.b.paths.leaks.append(Leak(value, statement, found, f"the return value of route `{self.name}`",
                                               self.name))
        self.b.paths.returns.append(ReturnSite(node, statement, self.name, self.role, in_except, status_set,
                                               self.guards > 0))


def _is_missing_check(test: cst.BaseExpression) -> bool:
    """`not x`, `x is None`, `x == None`: the test of a branch taken when something is missing."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return isinstance(test.expression, (cst.Name, cst.Attribute))
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        return (isinstance(target.operator, (cst.Is, cst.Equal)) and isinstance(target.comparator, cst.Name)
                and target.comparator.value == "None")
    return False


def _exits(suite: cst.BaseSuite) -> bool:
    """Whether a block ends by leaving the function (`raise`, `return`)."""
    body = suite.body if isinstance(suite, (cst.IndentedBlock, cst.SimpleStatementSuite)) else ()
    last = body[-1] if body else None
    if isinstance(last, cst.SimpleStatementLine):
        last = last.body[-1] if last.body else None
    return isinstance(last, (cst.Raise, cst.Return))


# Awaited reads of what the client sent: waiting on them is not I/O with the application's systems.
_CLIENT_READS = frozenset({"json", "body", "form", "receive_json", "receive_text", "receive_bytes", "receive"})


def _is_dependency(node: cst.BaseExpression) -> bool:
    for call in _calls_in(node):
        name = dotted_name(call.func)
        if name and name.rsplit(".", 1)[-1] in ("Depends", "Security"):
            return True
    return False


def _uses(body: cst.BaseSuite, names: set[str]) -> bool:
    """Whether a block reads any of `names`."""
    if not names:
        return False
    stack: list[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name) and node.value in names:
            return True
        stack.extend(node.children)
    return False


def _awaits(body: cst.BaseSuite) -> bool:
    """Whether a block waits on I/O other than reading the client's request: an `await`,
    `async with` or `async for`."""
    stack: list[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Await):
            inner = node.expression
            if not (isinstance(inner, cst.Call) and isinstance(inner.func, cst.Attribute)
                    and inner.func.attr.value in _CLIENT_READS and isinstance(inner.func.value, cst.Name)):
                return True
        elif isinstance(node, (cst.With, cst.For)) and node.asynchronous is not None:
            return True
        stack.extend(node.children)
    return False


_ADMIN = re.compile(r"admin|superuser|super_user", re.IGNORECASE)


def names_admin_check(dependency: str) -> bool:
    """Whether a dependency, by its (qualified) name, checks for an administrator (`get_admin`,
    `require_superuser`)."""
    return bool(_ADMIN.search(dependency.rsplit(".", 1)[-1]))


def _admin_dependencies(node: cst.CSTNode) -> bool:
    """Whether `Depends(...)`/`Security(...)` calls in a node name an administrator check."""
    for call in _calls_in(node):
        name = dotted_name(call.func)
        if name and name.rsplit(".", 1)[-1] in ("Depends", "Security") and call.args:
            target = call.args[0].value
            # `Depends(require_admin)`, or a checker built for an administrator's permission:
            # `Depends(require_permission(Permission.FULL_ADMIN_PANEL_ACCESS))`.
            names = [dotted_name(target.func)] + [dotted_name(a.value) for a in target.args] if isinstance(
                target, cst.Call) else [dotted_name(target)]
            if any(name and _ADMIN.search(name.rsplit(".", 1)[-1]) for name in names):
                return True
    return False


def _admin_only(function: cst.FunctionDef, admin_routers: set[str]) -> bool:
    """A route only administrators reach: a dependency of the route, its parameters or its
    router (created in this module) checks for an administrator."""
    for decorator in function.decorators:
        expr = decorator.decorator
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
            if dotted_name(expr.func.value) in admin_routers:
                return True
            dependencies = keyword(expr, "dependencies")
            if dependencies is not None and _admin_dependencies(dependencies.value):
                return True
    return any(p.default is not None and _admin_dependencies(p.default) or p.annotation is not None
               and _admin_dependencies(p.annotation) for p in _params(function))


def _raises_only_own(body: cst.BaseSuite, builder: _Builder) -> bool:
    """Whether a try block can fail only by raising the application's own exceptions: it raises
    them, and calls nothing else but plain builtins."""
    raised = set()
    stack: list[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Raise) and isinstance(node.exc, cst.Call):
            if exception_origin(builder.qualify(node.exc.func), builder.module) != OWN:
                return False
            raised.add(id(node.exc))
        stack.extend(node.children)
    if not raised:
        return False
    return all(id(call) in raised or builder.qualify(call.func) in _PLAIN_BUILTINS for call in _calls_in(body))


_PLAIN_BUILTINS = frozenset(
    f"builtins.{name}" for name in ("len", "isinstance", "str", "bool", "min", "max", "any", "all", "sorted",
                                    "getattr", "hasattr", "set", "list", "dict", "tuple")
)


# Responses that send what a generator yields, as it yields it.
_STREAMING_NAMES = ("StreamingResponse", "EventSourceResponse")
STREAMING_RESPONSES = frozenset({
    "fastapi.responses.StreamingResponse", "starlette.responses.StreamingResponse",
    "sse_starlette.EventSourceResponse", "sse_starlette.sse.EventSourceResponse",
})


def _streamed_generators(context: FileContext) -> dict[str, str]:
    """Functions of the module whose generator a streaming response is given:
    `StreamingResponse(event_stream(...))`, `EventSourceResponse(content=stream)`."""
    found: dict[str, str] = {}
    for call in _calls_in(context.tree):
        name = context.qualify(call.func)
        if name not in STREAMING_RESPONSES:
            continue
        given = argument(call, 0, "content")
        value = given.value if given is not None else None
        if isinstance(value, cst.Call):
            value = value.func
        if isinstance(value, cst.Name):
            found[value.value] = name.rsplit(".", 1)[1]
    return found


class _Builder:
    def __init__(self, context: FileContext) -> None:
        self.context = context
        self.module = context.module
        self.qualify = context.qualify
        self.paths = ErrorPaths()
        self.helpers = _Helpers(self)
        self.passed: dict[str, dict[int | str, str]] = {}
        self.built_exceptions: dict[tuple[str, str], cst.Call] = {}
        self.local_functions: set[str] = set()
        self.admin_routers: set[str] = set()
        self.traceback = "traceback" in context.source
        # In a module of coroutines, a plain function or a block without `await` does no I/O.
        self.asynchronous = "async def" in context.source
        # Generators a streaming response sends to the client -> that response's class.
        self.streamed: dict[str, str] = _streamed_generators(context) if any(
            name in context.source for name in _STREAMING_NAMES) else {}

    def source(self, node: cst.CSTNode) -> str:
        text = " ".join(self.context.tree.code_for_node(node).split())
        return text if len(text) <= 40 else text[:37] + "..."

    def _handed_exceptions(self, name: str) -> bool:
        """Whether the module hands function `name` on as a value (`partial(name, ...)`, a
        registration: what it is then called with is not known here) or calls it (its callers'
        `except` blocks tell what it is given, `raise to_http_error(e)`), so that a parameter
        annotated `Exception` says nothing of what the function receives."""
        return re.search(rf"\b{re.escape(name)}\b(?<!def {re.escape(name)})", self.context.source) is not None

    def is_error_body(self, value: cst.BaseExpression) -> bool:
        return error_body(value, self.qualify, self.paths.error_body_helpers) == ERROR

    def build(self) -> ErrorPaths:
        tree = self.context.tree
        handlers = exception_handlers(tree, self.context.source)
        functions = list(_functions(tree))
        top_level = {f.name.value: f for f in tree.body if isinstance(f, cst.FunctionDef)}
        self.admin_routers = _admin_routers(tree)
        self.local_functions = set(top_level)
        self.helpers.functions = top_level
        roles: dict[int, str | None] = {}
        walks: list[_Walk] = []
        for function in functions:
            name = function.name.value
            exceptions: dict[str, str] = {}
            role: str | None = None
            params = _params(function)
            if is_route(function):
                role = "route"
            elif name in handlers:
                role = "handler"
                classes = handlers[name]
                origins = [(exception_origin(self.qualify(c), self.module), dotted_name(c) or "exception")
                           if c is not None else (INPUT, "HTTPException") for c in classes]
                internal = [written for origin, written in origins if origin == INTERNAL]
                if internal and len(params) >= 2:
                    exceptions[params[1].name.value] = internal[0]
            for param in params if role != "handler" else ():  # a registration says what a handler gets
                if param.annotation is not None and isinstance(param.annotation.annotation, (cst.Name, cst.Attribute)):
                    qualified = self.qualify(param.annotation.annotation)
                    if (qualified and qualified.endswith(("Exception", "Error"))
                            and exception_origin(qualified, self.module) == INTERNAL
                            and not (qualified in BROAD and role is None and self._handed_exceptions(name))):
                        exceptions[param.name.value] = dotted_name(param.annotation.annotation) or "Exception"
            roles[id(function)] = role
            walk = _Walk(self, function, role, exceptions)
            first_site = len(self.paths.http_exceptions)
            walk.run()
            walk.finish(first_site)
            walks.append(walk)
            if role is None and walk.error_returns and not walk.other_returns and function is top_level.get(name):
                self.paths.error_body_helpers.add(name)
        self._handlers_elsewhere(tree, top_level, handlers, roles)
        # Functions an `except` block hands its exception to, followed again with it bound.
        for name, slots in self.passed.items():
            function = top_level.get(name)
            if function is None or roles.get(id(function)) is not None:
                continue
            params = _params(function)
            exceptions = {}
            for slot, written in slots.items():
                param = next((p for p in params if p.name.value == slot), None) if isinstance(slot, str) else (
                    params[slot] if slot < len(params) else None)
                if param is not None:
                    exceptions[param.name.value] = written
            already = {(leak.function, id(leak.node)) for leak in self.paths.leaks}
            before = len(self.paths.leaks)
            _Walk(self, function, None, exceptions).run()
            kept = [leak for leak in self.paths.leaks[before:] if (leak.function, id(leak.node)) not in already]
            del self.paths.leaks[before:]
            self.paths.leaks.extend(kept)
        return self.paths


    def _handlers_elsewhere(self, tree: cst.Module, top_level: dict[str, cst.FunctionDef],
                            handlers: Mapping[str, object], roles: dict[int, str | None]) -> None:
        """Registrations of handlers other modules define, and the leaks of this module's functions
        shaped as handlers (a request, then an exception nothing annotates) that it does not register
        itself, each followed again with its exception bound."""
        for handler, cls in registrations(tree, self.context.source):
            if isinstance(handler, cst.Name) and handler.value in top_level:
                continue
            name = self.qualify(handler)
            if name:
                qualified = self.qualify(cls) if isinstance(cls, (cst.Name, cst.Attribute)) else None
                self.paths.registered_elsewhere.setdefault(name, []).append(qualified)
        for name, function in top_level.items():
            params = _params(function)
            if (roles.get(id(function)) is not None or name in handlers or len(params) != 2
                    or params[1].annotation is not None or not _takes_request(params[0], self.qualify)):
                continue
            before = len(self.paths.leaks)
            _Walk(self, function, None, {params[1].name.value: "exception"}).run()
            self.paths.handler_leaks.extend(self.paths.leaks[before:])
            del self.paths.leaks[before:]


def _takes_request(param: cst.Param, qualify: Callable[[cst.BaseExpression], str | None]) -> bool:
    """`request`, `_request`, `request: Request`: the first parameter of an exception handler."""
    annotation = param.annotation.annotation if param.annotation is not None else None
    if isinstance(annotation, (cst.Name, cst.Attribute)):
        return (qualify(annotation) or "").endswith((".Request", ".HTTPConnection"))
    return param.name.value.lstrip("_") in ("request", "req")


class _Helpers(Mapping[str, frozenset]):
    """Functions of the module that return the detail of an argument, by name -> the argument
    slots; each function is looked at when a call of it is first met."""

    def __init__(self, builder: _Builder) -> None:
        self.builder = builder
        self.functions: dict[str, cst.FunctionDef] = {}
        self._slots: dict[str, frozenset] = {}

    def _of(self, name: str) -> frozenset:
        if name not in self._slots:
            function = self.functions.get(name)
            self._slots[name] = _returns_detail_of(function, self.builder) if function is not None else frozenset()
        return self._slots[name]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and bool(self._of(name))

    def __getitem__(self, name: str) -> frozenset:
        slots = self._of(name)
        if not slots:
            raise KeyError(name)
        return slots

    def __iter__(self) -> Iterator[str]:
        return iter(name for name in self.functions if self._of(name))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _admin_routers(tree: cst.Module) -> set[str]:
    """Routers created in this module with a dependency that checks for an administrator."""
    found: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if (isinstance(small, cst.Assign) and isinstance(small.value, cst.Call)
                        and (dotted_name(small.value.func) or "").endswith("APIRouter")):
                    dependencies = keyword(small.value, "dependencies")
                    if dependencies is not None and _admin_dependencies(dependencies.value):
                        found.update(name for t in small.targets if (name := dotted_name(t.target)))
    return found


def _returns_detail_of(function: cst.FunctionDef, builder: _Builder) -> frozenset[int | str]:
    """Argument slots of a module function whose detail its return value carries."""
    params = _params(function)
    if not params or is_route(function):
        return frozenset()
    names = [p.name.value for p in params]
    carried: set[str] = set()
    stack: list[cst.CSTNode] = [function.body]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if isinstance(node, cst.Return) and node.value is not None:
            for name in names:
                single = DetailOf(builder.qualify, builder.module, {name: name}, {name: Detail(name)}, None,
                                  builder.source)
                if single.of(node.value) is not None:
                    carried.add(name)
            continue
        stack.extend(node.children)
    slots: set[int | str] = set()
    for position, param in enumerate(params):
        if param.name.value in carried:
            slots.update((position, param.name.value))
    return frozenset(slots)


def error_paths(context: FileContext) -> ErrorPaths:
    """The `ErrorPaths` of the file being walked, computed once for every rule that asks."""
    found = context.shared.get(SHARED_KEY)
    if found is None:
        found = context.shared[SHARED_KEY] = _Builder(context).build()
    return found
