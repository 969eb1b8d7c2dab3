"""Modules whose exception handlers answer in a status envelope by design: one of them moves the
status of the exception it handles into the body (`{"status_code": exc.status_code, "status_message":
exc.detail}` in a `JSONResponse` without a status), so the application's clients read every
failure's status from the body. The responses its handlers send with a status field of their own
(`{"status_code": 422, "status_message": exc.errors()}`, also through a name bound only to such
bodies) then follow the application's contract; they are no error sent as a success by mistake."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from reviewer import lazy_cst as cst
from reviewer.semantics.error_paths.bodies import STATUS_KEYS, response_status
from reviewer.semantics.error_paths.records import RESPONSE_CLASSES
from reviewer.syntax import argument, params_of, string_value
from reviewer.traversal import descendants

_STATUS_ATTRIBUTES = frozenset({"status_code", "code", "status"})


def enveloped_returns(handlers: Iterable[cst.FunctionDef],
                      qualify: Callable[[cst.BaseExpression], str | None]) -> set[int]:
    """The `return` statements (by id) of the module's exception handlers that answer in the
    envelope, where one of the handlers moves the handled exception's status into the body of a
    response it sends without a status."""
    handlers = list(handlers)
    if not any(_moves_status_into_body(handler) and _answers_without_status(handler, qualify)
               for handler in handlers):
        return set()
    return {id(node) for handler in handlers for node in _returns(handler)
            if node.value is not None and _states_status(node.value, handler, qualify)}


def _answers_without_status(handler: cst.FunctionDef, qualify: Callable[[cst.BaseExpression], str | None]) -> bool:
    """Whether a handler returns a response built without a status: it goes out as 200."""
    return any((call := _response(node.value, qualify)) is not None and not response_status(call, qualify)[0]
               for node in _returns(handler))


def _response(value: cst.BaseExpression | None,
              qualify: Callable[[cst.BaseExpression], str | None]) -> cst.Call | None:
    """The response class's call a handler returns, also awaited."""
    if isinstance(value, cst.Await):
        value = value.expression
    return value if isinstance(value, cst.Call) and qualify(value.func) in RESPONSE_CLASSES else None


def _moves_status_into_body(handler: cst.FunctionDef) -> bool:
    """`{"status_code": exc.status_code, ...}`, `exc` the handler's second parameter."""
    params = params_of(handler)
    if len(params) < 2:
        return False
    exception = params[1].name.value
    return any(isinstance(node, cst.Dict) and any(
        isinstance(element, cst.DictElement) and string_value(element.key) in STATUS_KEYS
        and isinstance(element.value, cst.Attribute) and element.value.attr.value in _STATUS_ATTRIBUTES
        and isinstance(element.value.value, cst.Name) and element.value.value.value == exception
        for element in node.elements) for node in descendants(handler.body))


def _states_status(value: cst.BaseExpression, handler: cst.FunctionDef,
                   qualify: Callable[[cst.BaseExpression], str | None]) -> bool:
    """A response whose content has a status field: a dict with one, or a name the handler binds
    only to such dicts."""
    call = _response(value, qualify)
    content = argument(call, 0, "content") if call is not None else None
    if content is None:
        return False
    bodies = _bound(handler, content.value.value) if isinstance(content.value, cst.Name) else [content.value]
    return bool(bodies) and all(isinstance(body, cst.Dict) and any(
        isinstance(element, cst.DictElement) and string_value(element.key) in STATUS_KEYS
        for element in body.elements) for body in bodies)


def _bound(handler: cst.FunctionDef, name: str) -> list[cst.BaseExpression]:
    return [node.value for node in descendants(handler.body) if isinstance(node, cst.Assign) and any(
        isinstance(target.target, cst.Name) and target.target.value == name for target in node.targets)]


def _returns(handler: cst.FunctionDef) -> Iterator[cst.Return]:
    return (node for node in descendants(handler.body) if isinstance(node, cst.Return))
