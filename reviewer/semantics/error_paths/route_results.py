"""`RouteResults`: what a route does with what the functions it calls return. It follows the names
a route binds to a call's result (`verdict = await check_message(text)`, `url, error =
storage.presign(key)`), and notes each function whose result, whole or a field or an element of
it, the route returns or sends (`return verdict`, `raise HTTPException(502, detail=verdict.note)`)
in `ErrorPaths.returned_calls`: the repository pairs them with what those functions return."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.semantics.error_paths.records import (
    HTTP_EXCEPTIONS,
    RESPONSE_CLASSES,
    RESPONSE_SINKS,
    WEBSOCKET_SENDS,
)
from reviewer.semantics.error_paths.syntax import calls_in, carried_names, put_into
from reviewer.semantics.names import dotted_name
from reviewer.syntax import argument
from reviewer.traversal import push_children

if TYPE_CHECKING:
    from reviewer.semantics.error_paths.records import ReturnedCall


class RouteResults:
    """The results of calls one route holds, as its walk goes."""

    def __init__(self, owner: str, qualify: Callable[[cst.BaseExpression], str | None],
                 callee_of: Callable[[], Callable[[cst.Name | cst.Attribute], str | None] | None],
                 websockets: set[str], returned_calls: dict[str, list[ReturnedCall]]) -> None:
        self.owner = owner
        self.qualify = qualify
        # What tells the function a callee names, qualified: a weak reference to the walk's own
        # method (the walk owns these results).
        self.callee_of = callee_of
        self.websockets = websockets  # names of the websockets the route sends on
        self.returned_calls = returned_calls  # qualified function -> where routes return or send its result
        # Names bound to what a call returned, with the element a name was unpacked from (None: all).
        self.bound: dict[str, tuple[cst.Call, int | None]] = {}
        # Names of containers the route put such a result, or a field of it, into (`body["warning"]
        # = problem`, `notes.append(verdict.note)`) -> each name put, what read it, and where.
        self.put: dict[str, list[tuple[cst.Name, cst.BaseExpression, cst.CSTNode]]] = {}

    def bind(self, small: cst.Assign | cst.AnnAssign) -> None:
        """Note a name bound to what a call returns (`result = await service.finalize(id)`); any
        other value unbinds it."""
        targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
        value = small.value.expression if isinstance(small.value, cst.Await) else small.value
        for target in targets:
            unpacked = target.elements if isinstance(target, (cst.Tuple, cst.List)) else ()
            for index, name in [(None, target)] if not unpacked else [
                    (index, element.value) for index, element in enumerate(unpacked)]:
                if not isinstance(name, cst.Name):
                    continue
                if isinstance(value, cst.Call):
                    self.bound[name.value] = value, index
                else:
                    self.bound.pop(name.value, None)

    def note_put(self, small: cst.BaseSmallStatement) -> None:
        """Note a result, or a field of it, put into a container the route may send later
        (`result["notification_error"] = problem`, `notes.append(verdict.note)`)."""
        containers, values = put_into(small)
        for value in values:
            for held in carried_names(value):
                if held.value in self.bound:
                    for container in containers:
                        self.put.setdefault(container, []).append((held, _reading(value, held), small))

    def note_sent(self, small: cst.BaseSmallStatement) -> None:
        """Note the functions whose result, or a field of it, the route sends other than by returning
        it: in an `HTTPException`'s detail, a response's body, a websocket send (`raise
        HTTPException(502, detail=result.error)`, `await websocket.send_json({"note": verdict.note})`
        with `verdict = await check_message(text)`)."""
        for call in calls_in(small):
            name = self.qualify(call.func)
            if name in HTTP_EXCEPTIONS:
                sent = argument(call, 1, "detail")
            elif name in RESPONSE_CLASSES:
                sent = argument(call, 0, "content")
            elif (isinstance(call.func, cst.Attribute) and call.func.attr.value in WEBSOCKET_SENDS
                  and dotted_name(call.func.value) in self.websockets):
                sent = argument(call, 0, "data")
            else:
                continue
            for held in carried_names(sent.value) if sent is not None else ():
                if held.value in self.bound:
                    self.note_returned(held, _reading(sent.value, held), small)

    def note_returned(self, value: cst.BaseExpression, reading: cst.BaseExpression | None = None,
                      statement: cst.CSTNode | None = None) -> None:
        """Note the function whose result the route returns (`return service.finalize(id)`, or a name
        bound to it or to an element of it), qualified, with the element; and, where the route puts
        a field or an element of it into what it sends, the expression reading it there
        (`verdict.note` of `{"text": verdict.note}`) and its statement: the detail enters the
        response there."""
        if isinstance(value, cst.Await):
            value = value.expression
        if reading is None and self.put:
            for container in carried_names(value):
                for held, put_reading, put_statement in self.put.get(container.value, ()):
                    self.note_returned(held, put_reading, put_statement)
        element = None
        if isinstance(value, cst.Name) and value.value in self.bound:
            value, element = self.bound[value.value]
        if reading is not None and element is None and isinstance(reading, cst.Name):
            reading = None  # the whole result, as the function built it
        if not isinstance(value, cst.Call) or not isinstance(value.func, (cst.Name, cst.Attribute)):
            return
        callee = self.callee_of()(value.func)
        if callee is not None and callee not in RESPONSE_SINKS and not callee.startswith("builtins."):
            self.returned_calls.setdefault(callee, []).append(
                (self.owner, element, reading, statement if reading is not None else None))


def _reading(value: cst.BaseExpression, held: cst.Name) -> cst.BaseExpression:
    """The outermost attribute or subscript of a name within a value sent (`verdict.note` of
    `{"text": verdict.note}`), else the name."""
    stack: list[cst.CSTNode] = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.Attribute, cst.Subscript)):
            root = node
            while isinstance(root, (cst.Attribute, cst.Subscript)):
                root = root.value
            if root is held:
                return node
        push_children(node, stack)
    return held
