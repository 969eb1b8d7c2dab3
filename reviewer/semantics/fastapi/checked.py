"""What a function does with data it read by hand, when that is enough of a check.

A message that is only ever asked for a field by a constant key, and that field only compared
with constants (`ack = await ws.receive_json()`, `if ack.get("type") != "ack": close`), is checked
against every value it may take: nothing else of it reaches the application.
"""

from __future__ import annotations

from reviewer import lazy_cst as cst
from reviewer.semantics.conditions import literal_value
from reviewer.traversal import child_fields, descendants


def only_compared(body: cst.CSTNode, names: set[str]) -> bool:
    """Whether every use of `names` (the variables holding some read data) reads a field by a
    constant key (`msg.get("type")`, `msg["type"]`) or is a field's value, and each field read is
    compared with constants or assigned to one of `names`."""
    parents: dict[int, cst.CSTNode] = {}
    uses: dict[str, list[cst.Name]] = {}
    for node in descendants(body):
        for field in child_fields(node):
            value = getattr(node, field)
            for child in value if isinstance(value, (list, tuple)) else (value,):
                if isinstance(child, cst.CSTNode):
                    parents[id(child)] = node
        if type(node) is cst.Name and node.value in names:
            uses.setdefault(node.value, []).append(node)

    def compared(expression: cst.CSTNode) -> bool:
        parent = parents.get(id(expression))
        if not isinstance(parent, cst.Comparison):
            return False
        others = [parent.left, *(target.comparator for target in parent.comparisons)]
        return all(other is expression or literal_value(other)[0] for other in others)

    def kept(expression: cst.CSTNode) -> bool:
        """Compared with constants, or assigned whole to one of `names` (checked in turn)."""
        if compared(expression):
            return True
        assign = parents.get(id(expression))
        return (
            isinstance(assign, cst.Assign)
            and assign.value is expression
            and all(isinstance(t.target, cst.Name) and t.target.value in names for t in assign.targets)
        )

    def field_read(use: cst.Name) -> cst.CSTNode | None:
        """`use.get("key")` or `use["key"]` around this use of the name."""
        parent = parents.get(id(use))
        if isinstance(parent, cst.Attribute) and parent.attr.value == "get":
            call = parents.get(id(parent))
            if isinstance(call, cst.Call) and call.func is parent and call.args:
                return call if literal_value(call.args[0].value)[0] else None
        if isinstance(parent, cst.Subscript) and len(parent.slice) == 1:
            index = parent.slice[0].slice
            if isinstance(index, cst.Index) and literal_value(index.value)[0]:
                return parent
        return None

    found = False
    for name in names:
        for use in uses.get(name, []):
            if isinstance(parents.get(id(use)), cst.AssignTarget):
                continue  # where the name is bound
            read = field_read(use)
            if not (compared(use) or (read is not None and kept(read))):
                return False
            found = True
    return found
