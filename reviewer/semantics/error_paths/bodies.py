"""Whether a returned value is an error body sent with a success status (`{"error": ...}`, a
response built without an error status)."""

from __future__ import annotations

import re

from reviewer import lazy_cst as cst
from reviewer.semantics.error_paths.records import RESPONSE_CLASSES, status_value
from reviewer.semantics.names import dotted_name
from reviewer.syntax import argument, string_value

ERROR = "error"  # the body says it reports an error: `{"error": ...}`, `{"success": False}`
DETAIL = "detail"  # the body carries a `detail` message, an error only where an error is handled
# The body carries a `detail` message the code wrote (`{"detail": "Not allowed"}`), FastAPI's own
# error shape: also an error in a branch that answers before the route's own answer.
DETAIL_TEXT = "detail text"
# A response of text the code wrote (`PlainTextResponse("Something went wrong")`): an error only
# where an exception is handled (where something looked for is missing, it may be an empty state).
TEXT = "text"
# A response of text the code wrote that says the request failed (`HTMLResponse("<h1>Page not
# found</h1>")`, `PlainTextResponse(f"batch too large, max {limit}")`): an error also where
# something looked for is missing, or in an early branch.
FAILURE_TEXT = "failure text"
_FAILURE_WORDS = re.compile(r"\b(?:not found|errors?|failed|failure|invalid|forbidden|unauthori[sz]ed|denied|"
                            r"not allowed|too (?:large|long|many|big)|expired|(?:is|are) required|missing|must|"
                            r"cannot|can't|unable|does not exist|doesn't exist|no such|exceed(?:s|ed)?)\b",
                            re.IGNORECASE)
# A body of only a message the code wrote (`{"message": "Something went wrong"}`): an error where an
# exception of any kind is handled, or where the message carries the caught one; an `except` for a
# foreseen case may answer with a success on purpose (`"If the email exists, a link was sent"`).
MESSAGE = "message"
_MESSAGE_KEYS = frozenset({"message", "msg"})
# Keys beside a message that still leave the body only a message about the request.
_MESSAGE_ONLY_KEYS = _MESSAGE_KEYS | frozenset({"status", "code", "reason", "title", "type"})
_SUCCESS_STATUSES = frozenset({"ok", "success", "succeeded", "done", "accepted", "queued", "pending", "started"})
_ERROR_KEYS = frozenset({"error", "error_message", "errorMessage", "err", "error_msg"})
# Keys of an answer about the request itself (an error envelope), beside which other keys are data.
_ENVELOPE_KEYS = _ERROR_KEYS | frozenset({
    "status", "message", "msg", "detail", "details", "code", "success", "ok", "reason", "errors", "error_code",
    "error_type", "type", "title", "description", "hint", "status_code", "statusCode", "data", "result",
    # OAuth 2.0's error response (RFC 6749 5.2) and the like
    "error_description", "error_uri", "error_detail", "error_details", "errorDescription", "errorDetails",
})
# The last segment of a probe's path, and what its body says when the service is not ready.
_PROBE_SEGMENTS = frozenset({"ready", "readyz", "readiness", "health", "healthz", "healthcheck", "health-check"})
_READINESS_KEYS = frozenset({"ready", "healthy", "alive", "available"})
_NOT_READY_STATUSES = frozenset({"down", "unhealthy", "not_ready", "not ready", "notready", "unavailable", "fail",
                                 "failing", "failed", "error"})
# Keys of a check's verdict on what the client sent it (`{"valid": False, "reason": ...}`).
_VERDICT_KEYS = frozenset({"valid", "is_valid"})
# What turns a body into a response's content unchanged in meaning.
_ENCODERS = frozenset({"json.dumps", "orjson.dumps", "ujson.dumps", "fastapi.encoders.jsonable_encoder"})
STATUS_KEYS = frozenset({"code", "status", "status_code", "statusCode", "error_code"})  # a status in a body
_FAILED_STATUSES = frozenset({"error", "fail"})
# A status that also names the state of a thing the client asked about (a job that failed): an
# error body only where an error is handled.
_FAILED_STATES = frozenset({"failed", "failure"})


def _body_marker(node: cst.BaseExpression) -> str | None:
    if not isinstance(node, cst.Dict):
        return None
    fields = [(string_value(e.key), e.value) for e in node.elements if isinstance(e, cst.DictElement)]
    if any(key in _VERDICT_KEYS and isinstance(value, cst.Name) and value.value in ("True", "False")
           for key, value in fields):
        # `{"valid": False, "errors": [str(e)]}`: the verdict of a check the client asked for, and
        # why; the check itself succeeded.
        return None
    # A body that states an error outright (`{"error": f"Query failed: {e}", "documents": [],
    # "context": ""}`) keeps empty placeholders where its data would be: they are no data.
    stated = any(key in _ERROR_KEYS and _is_text(value) and not _is_empty(value) for key, value in fields)
    if sum(key not in _ENVELOPE_KEYS and not (stated and _is_placeholder(value)) for key, value in fields) >= 2:
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
            if not (_is_text(value) or isinstance(value, cst.Name) and value.value == "True"):  # `{"error": True}`
                marker = DETAIL  # a value that may be None on success: an error only where one is handled
                continue
            return ERROR
        if key in ("success", "ok") and isinstance(value, cst.Name) and value.value == "False":
            return ERROR
        status = (string_value(value) or "").lower() if key == "status" else ""
        if status in _FAILED_STATUSES and not _lnurl_error(node):
            return ERROR
        if status in _FAILED_STATES:
            marker = DETAIL
        if key in ("detail", "errors") and not _is_empty(value) and (key == "detail" or _is_text(value)):
            marker = DETAIL_TEXT if key == "detail" and _is_text(value) and marker is None else DETAIL
        if key in STATUS_KEYS and _error_code(value):
            marker = DETAIL  # `{"code": 500, "msg": ...}`: the body names an error status
    return marker or _message_marker(node)


def stated_error_code(node: cst.BaseExpression) -> tuple[str, ...] | None:
    """The keys of a dict literal, all written out, that states an error code (`{"code": 500,
    "msg": "..."}`)."""
    if not isinstance(node, cst.Dict):
        return None
    keys = tuple(string_value(e.key) or "" for e in node.elements if isinstance(e, cst.DictElement))
    if len(keys) != len(node.elements) or not all(keys):
        return None
    return keys if any(key in STATUS_KEYS and _error_code(element.value)
                       for key, element in zip(keys, node.elements, strict=True)) else None


def _error_code(value: cst.BaseExpression) -> bool:
    return isinstance(value, cst.Integer) and int(value.evaluated_value) >= 400


def _message_marker(node: cst.Dict) -> str | None:
    """`MESSAGE` for a body of a message and at most a few words about it, none saying it succeeded."""
    keys = {string_value(e.key): e.value for e in node.elements if isinstance(e, cst.DictElement)}
    if len(keys) != len(node.elements) or not keys.keys() <= _MESSAGE_ONLY_KEYS:
        return None
    if not any(key in _MESSAGE_KEYS and _is_text(value) and not _is_empty(value) for key, value in keys.items()):
        return None
    for key in ("status", "code"):
        value = keys.get(key)
        if value is not None and ((string_value(value) or "").lower() in _SUCCESS_STATUSES or isinstance(
                value, cst.Integer) and int(value.evaluated_value) < 400):
            return None
    return MESSAGE


def answers_probe(route: cst.FunctionDef) -> bool:
    """Whether a route answers a readiness or health probe: the last segment of a path it is
    registered for is one (`"/readyz"`, `"/health"`, `"/healthz"`). A liveness probe (`"/live"`)
    may answer 200 while a dependency is down, on purpose: restarting would not fix it."""
    for decorator in route.decorators:
        call = decorator.decorator
        given = argument(call, 0, "path") if isinstance(call, cst.Call) else None
        path = string_value(given.value) if given is not None else None
        if path is not None and path.rstrip("/").rsplit("/", 1)[-1].lower() in _PROBE_SEGMENTS:
            return True
    return False


# Keys of a body that acknowledges a delivery it was sent (a webhook's event), set to `True`.
_ACKNOWLEDGING_KEYS = frozenset({"received", "acknowledged", "ack", "accepted"})


def acknowledges(node: cst.BaseExpression) -> bool:
    """Whether a body says it received what it was sent (`{"received": True, "error": "processing
    deferred"}`): a webhook receiver's acknowledgement, whatever else it says."""
    return isinstance(node, cst.Dict) and any(
        isinstance(element, cst.DictElement) and string_value(element.key) in _ACKNOWLEDGING_KEYS
        and isinstance(element.value, cst.Name) and element.value.value == "True" for element in node.elements)


def says_not_ready(node: cst.BaseExpression, qualify) -> bool:  # noqa: ANN001
    """Whether a probe's body, or a response's content, says the service is not ready
    (`{"ready": False}`, `{"healthy": False}`, `{"status": "down"}`); `"degraded"` is no failure."""
    if isinstance(node, cst.Call) and qualify(node.func) in RESPONSE_CLASSES:
        content = argument(node, 0, "content")
        node = content.value if content is not None else node
    if not isinstance(node, cst.Dict):
        return False
    for element in node.elements:
        if not isinstance(element, cst.DictElement):
            continue
        key, value = string_value(element.key), element.value
        if key in _READINESS_KEYS and isinstance(value, cst.Name) and value.value == "False":
            return True
        if key in ("status", "state") and (string_value(value) or "").lower() in _NOT_READY_STATUSES:
            return True
    return False


def encoded_display(node: cst.BaseExpression, qualify) -> cst.Dict | cst.List | None:  # noqa: ANN001
    """The dict or list a value is, or encodes (`json.dumps({"error": str(exc)}).encode()`,
    `jsonable_encoder([...])`): a body built in one statement and sent in another."""
    while isinstance(node, cst.Call):
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "encode":
            node = node.func.value
        elif node.args and qualify(node.func) in _ENCODERS:
            node = node.args[0].value
        else:
            return None
    return node if isinstance(node, (cst.Dict, cst.List)) else None


def dumped(node: cst.BaseExpression) -> cst.BaseExpression:
    """The model a value serialises (`fail("...").model_dump()`, `.dict()`), else the value."""
    if (isinstance(node, cst.Call) and not node.args and isinstance(node.func, cst.Attribute)
            and node.func.attr.value in ("model_dump", "dict")):
        return node.func.value
    return node


def _fields(call: cst.Call, qualify) -> cst.Dict | None:  # noqa: ANN001
    """The fields a class's instance is built with, as the body it serialises to
    (`APIResponse(success=False, message="...")`): a call of a name in CapWords with keyword
    arguments only; None for anything else (a function's call, an exception)."""
    if not call.args or any(arg.keyword is None for arg in call.args):
        return None
    name = dotted_name(call.func)
    last = name.rsplit(".", 1)[-1] if name else ""
    if not last[:1].isupper() or last.isupper():
        return None
    qualified = qualify(call.func) or ""
    if qualified.startswith("builtins.") or qualified.endswith(("Exception", "Error")):
        return None
    return cst.Dict([cst.DictElement(cst.SimpleString(f'"{arg.keyword.value}"'), arg.value) for arg in call.args])


def _written(node: cst.BaseExpression) -> str:
    """The text a string literal, or the literal parts of an f-string or a concatenation, spell."""
    if isinstance(node, cst.ConcatenatedString):
        return _written(node.left) + " " + _written(node.right)
    if isinstance(node, cst.FormattedString):
        return " ".join(part.value for part in node.parts if isinstance(part, cst.FormattedStringText))
    return string_value(node) or ""


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


def _is_placeholder(node: cst.BaseExpression) -> bool:
    """`None`, `""`, `[]`, `{}`, `()`: a value standing where data would be."""
    return _is_empty(node) and not (isinstance(node, cst.Name) and node.value == "False")


def _is_empty(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Name):
        return node.value in ("None", "False")
    if isinstance(node, (cst.List, cst.Tuple, cst.Dict, cst.Set)):
        return not node.elements
    return string_value(node) == ""


def flask_error_tuple(value: cst.BaseExpression, qualify) -> bool:  # noqa: ANN001
    """`return {"error": ...}, 500`: Flask's (body, status[, headers]) with an error status, which
    FastAPI serialises as a JSON list sent with 200."""
    if not isinstance(value, cst.Tuple) or len(value.elements) not in (2, 3):
        return False
    status = status_value(value.elements[1].value, qualify)
    return status is not None and status >= 400


def response_status(call: cst.Call, qualify) -> tuple[bool, int | None]:  # noqa: ANN001
    """(whether a status is given, its value when known) of a response class's call."""
    status = argument(call, 1, "status_code")
    if status is None:
        return False, None
    return True, status_value(status.value, qualify)


def sent_with_error_status(call: cst.Call, qualify, held_status: int | None = None) -> bool:  # noqa: ANN001
    """Whether a response class's call is given a status that may be an error: 4xx/5xx, or one
    held in an expression (taken to be an error status, unless `held_status` says what a name
    holds)."""
    given, status = response_status(call, qualify)
    return given and ((status if status is not None else held_status) or 400) >= 400


def error_body(value: cst.BaseExpression, qualify, helpers: set[str], *, models: bool = False,  # noqa: ANN001
               held_status: int | None = None) -> str | None:
    """`ERROR`, `DETAIL`, `DETAIL_TEXT`, `TEXT`, `FAILURE_TEXT` or `MESSAGE` when a returned value
    is an error body sent with a success status (a dict, or a response built without an error
    status), else None.
    `helpers` are functions of the module that return such a body on every way out. With `models`,
    for a helper's returns, a model built with such fields is one too (`APIResponse(success=False,
    message=...)` in `def fail(message)`): a function that builds nothing else is an error
    envelope's builder, where a route's own answer in its model may be the verdict of a check it
    ran (`ConnectionTestResponse(success=False, ...)`). `held_status` is what a name given as the
    response's status holds, when the function tells (`ReturnSite.held_status`)."""
    if isinstance(value, cst.Await):
        value = value.expression
    value = dumped(value)
    if isinstance(value, cst.Dict):
        return _body_marker(value)
    if flask_error_tuple(value, qualify):
        return ERROR
    if not isinstance(value, cst.Call):
        return None
    if isinstance(value.func, cst.Name) and value.func.value in helpers:
        return ERROR
    if qualify(value.func) not in RESPONSE_CLASSES:
        fields = _fields(value, qualify) if models else None
        return _body_marker(fields) if fields is not None else None
    if sent_with_error_status(value, qualify, held_status):
        return None
    content = argument(value, 0, "content")
    if content is None:
        return None
    body = content.value
    if isinstance(body, cst.Call) and body.args and qualify(body.func) in _ENCODERS:
        body = body.args[0].value  # `Response(json.dumps({"error": ...}))`
    body = dumped(body)
    if isinstance(body, cst.Call) and isinstance(body.func, cst.Name) and body.func.value in helpers:
        return ERROR  # `JSONResponse(error_body("Still holds stock"))`
    if isinstance(body, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)) and not _is_empty(body):
        return FAILURE_TEXT if _FAILURE_WORDS.search(_written(body)) else TEXT
    marker = _body_marker(body)
    if marker == DETAIL_TEXT and response_status(value, qualify)[0] and not _says_failed(body):
        # `JSONResponse(status_code=200, content={"detail": "Title generation is disabled"})`: the
        # code states the success itself, and the message says nothing failed.
        return None
    return marker


def _says_failed(body: cst.BaseExpression) -> bool:
    """Whether a body's `detail` message says the request failed (`"Report not found"`)."""
    return isinstance(body, cst.Dict) and any(
        isinstance(element, cst.DictElement) and string_value(element.key) == "detail"
        and _FAILURE_WORDS.search(_written(element.value)) for element in body.elements)
