"""Websockets a class keeps, and the names its methods bind to them.

FastAPI's documented connection manager keeps the sockets it accepted in an attribute
(`self.active_connections.append(websocket)`) and sends to each in a loop (`for connection in
self.active_connections: await connection.send_text(message)`). The loop's name is a websocket
because of where its values come from: `held_sockets` finds the attributes of a class that hold
websockets (annotated with a websocket type anywhere in the annotation, `list[WebSocket]`,
`dict[str, set[WebSocket]]`, or filled in a method with a parameter annotated as one: `.append(ws)`,
`.add(ws)`, `[key] = ws`, `.setdefault(key, []).append(ws)`, or kept as it is: `self._websocket =
websocket`, also with a parameter annotated `"WebSocket"`); `socket_names` the names a method
binds, by `for` loops, comprehensions and assignments, to what those attributes hold, through the
containers they hold too (`for members in self.rooms.values(): for ws in members:`).
"""

from __future__ import annotations

from collections.abc import Callable

from reviewer import lazy_cst as cst
from reviewer.semantics.error_paths.syntax import annotated_as, self_attribute
from reviewer.semantics.fastapi.records import WEBSOCKET_TYPES
from reviewer.syntax import params_of
from reviewer.traversal import descendants

_ADDS = frozenset({"append", "add", "insert", "appendleft", "setdefault"})


def held_sockets(cls: cst.ClassDef, qualify: Callable[[cst.BaseExpression], str | None]) -> frozenset[str]:
    """The attributes of a class that hold websockets."""
    found: set[str] = set()
    for node in descendants(cls.body):
        if isinstance(node, cst.AnnAssign) and (attribute := self_attribute(node.target)) and any(
                qualify(part) in WEBSOCKET_TYPES for part in descendants(node.annotation.annotation)
                if isinstance(part, (cst.Name, cst.Attribute))):
            found.add(attribute)
        elif isinstance(node, cst.FunctionDef):
            sockets = {param.name.value for param in params_of(node) if annotated_as(param, qualify) in WEBSOCKET_TYPES}
            if sockets:
                found |= _filled_with(node, sockets)
    return frozenset(found)


def socket_names(function: cst.FunctionDef, held: frozenset[str]) -> set[str]:
    """The names the function binds to what the attributes `held` hold, or to what that holds."""
    bindings: list[tuple[cst.BaseExpression, cst.BaseExpression]] = []
    for node in descendants(function.body):
        if isinstance(node, (cst.For, cst.CompFor)):
            bindings.append((node.target, node.iter))
        elif isinstance(node, cst.Assign) and len(node.targets) == 1:
            bindings.append((node.targets[0].target, node.value))
    names: set[str] = set()
    while True:
        grown = {name for target, value in bindings if _derives(value, held, names) for name in _bound(target)}
        if grown <= names:
            return names
        names |= grown


def _filled_with(method: cst.FunctionDef, sockets: set[str]) -> set[str]:
    """The attributes of `self` a method puts one of these names in."""
    found = set()
    for node in descendants(method.body):
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value in _ADDS \
                and any(isinstance(arg.value, cst.Name) and arg.value.value in sockets for arg in node.args):
            attribute = _root_attribute(node.func.value)
        elif isinstance(node, cst.Assign) and isinstance(node.value, cst.Name) and node.value.value in sockets:
            # `self.clients[key] = websocket`, or the attribute itself: `self._websocket = websocket`.
            attribute = next((a for t in node.targets if (a := _root_attribute(t.target.value) if isinstance(
                t.target, cst.Subscript) else self_attribute(t.target))), None)
        else:
            continue
        if attribute:
            found.add(attribute)
    return found


def _derives(value: cst.BaseExpression, held: frozenset[str], names: set[str]) -> bool:
    """Whether a value is taken from a held attribute or a bound name: `self.clients`,
    `self.rooms.get(room, [])`, `list(self.clients.values())`, `members`."""
    for node in descendants(value):
        if isinstance(node, cst.Name) and node.value in names:
            return True
        if self_attribute(node) in held:
            return True
    return False


def _bound(target: cst.BaseExpression) -> list[str]:
    """The names a target binds; of a pair (`for key, ws in ...items()`), the last."""
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, (cst.Tuple, cst.List)) and target.elements:
        return _bound(target.elements[-1].value)
    return []


def _root_attribute(node: cst.BaseExpression) -> str | None:
    """`x` of `self.x`, `self.x[key]`, `self.x.setdefault(key, [])`."""
    while True:
        attribute = self_attribute(node)
        if attribute is not None:
            return attribute
        if isinstance(node, cst.Subscript):
            node = node.value
        elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            node = node.func.value
        else:
            return None
