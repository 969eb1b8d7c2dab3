"""A read-only walk of a libcst tree that drives batched visitors as `visit_batched` does, without
rebuilding the tree.

libcst's `CSTNode.visit` is built for transformers: it makes a new, validated copy of every node it
walks even when no visitor changes anything, and that was 40% of the per-file pass. This walk reads
the tree in place. It visits a node's children in libcst's own order, which it reads once per node
type from the node's `_visit_and_replace_children`, and it calls `visit_<Type>`,
`visit_<Type>_<field>`, `leave_<Type>_<field>` and `leave_<Type>` in libcst's order, with the
`before_visit`/`after_leave` hooks around them. Visit methods cannot stop the descent, as in a
libcst batched walk. Whitespace, comments and punctuation are not walked unless some visitor has a
method for one of their types.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable, Mapping, Sequence

import libcst as cst
from libcst._nodes import op as _op_nodes
from libcst._nodes import whitespace as _whitespace_nodes

Handler = Callable[[cst.CSTNode], object]

_BRACKETS = (
    cst.LeftParen,
    cst.RightParen,
    cst.LeftSquareBracket,
    cst.RightSquareBracket,
    cst.LeftCurlyBrace,
    cst.RightCurlyBrace,
    cst.Asynchronous,
)


def _node_classes_in(module: object) -> set[type]:
    return {
        value
        for value in vars(module).values()
        if isinstance(value, type) and issubclass(value, cst.CSTNode) and value.__module__ == module.__name__
    }


# Nodes that hold only layout: whitespace, comments, newlines, operators and brackets.
TRIVIA: frozenset[type] = frozenset(
    _node_classes_in(_whitespace_nodes) | _node_classes_in(_op_nodes) | set(_BRACKETS)
)


class _FieldRecorder(cst.CSTVisitor):
    """Records the fields `_visit_and_replace_children` visits, without descending into them."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[str] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        return False

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        if attribute not in self.fields:
            self.fields.append(attribute)


# `visit_required(self, "target", ...)`, `visit_sequence(self, "body", ...)` and the like.
_VISITED_FIELD = re.compile(r'\bvisit_\w+\(\s*self,\s*"(\w+)"')
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def child_fields(node: cst.CSTNode) -> tuple[str, ...]:
    """The fields of `node` that hold child nodes, in the order libcst visits them: the order
    in which its `_visit_and_replace_children` names them. Read from that method's source, since a
    few fields are visited only when present (a format spec), so one node cannot tell them all;
    without the source, from what the method visits for this node."""
    kind = type(node)
    fields = _CHILD_FIELDS.get(kind)
    if fields is None:
        try:
            source = inspect.getsource(kind._visit_and_replace_children)
            fields = tuple(dict.fromkeys(_VISITED_FIELD.findall(source)))
        except (OSError, TypeError):
            recorder = _FieldRecorder()
            node._visit_and_replace_children(recorder)
            fields = tuple(recorder.fields)
        _CHILD_FIELDS[kind] = fields
    return fields


def _handler_table(visitors: Iterable[cst.BatchableCSTVisitor]) -> dict[str, list[Handler]]:
    table: dict[str, list[Handler]] = {}
    for visitor in visitors:
        for name, method in visitor.get_visitors().items():
            table.setdefault(name, []).append(method)
    return table


def visit_batched(
    tree: cst.CSTNode,
    visitors: Sequence[cst.BatchableCSTVisitor],
    *,
    before_visit: Handler | None = None,
    after_leave: Handler | None = None,
    hooked: Callable[[type], bool] | None = None,
) -> None:
    """Walk `tree` once, calling every visitor's methods in order, as `tree.visit_batched` would.
    `before_visit` runs before a node's visit methods and `after_leave` after its leave methods;
    with `hooked`, only for the node types it accepts (the engine follows statements only)."""
    _Walk(_handler_table(visitors), before_visit, after_leave, hooked).walk(tree)


class _Walk:
    def __init__(
        self,
        handlers: Mapping[str, list[Handler]],
        before_visit: Handler | None,
        after_leave: Handler | None,
        hooked: Callable[[type], bool] | None,
    ) -> None:
        self.handlers = handlers
        self.before_visit = before_visit
        self.after_leave = after_leave
        self.hooked = hooked
        handled = {name.split("_", 2)[1] for name in handlers}
        self.skip = frozenset() if any(kind.__name__ in handled for kind in TRIVIA) else TRIVIA
        self.plans: dict[type, tuple[list[Handler], list[Handler], tuple, bool]] = {}

    def plan(self, node: cst.CSTNode) -> tuple[list[Handler], list[Handler], tuple, bool]:
        """Per node type: its visit and leave handlers, its child fields, each with the field's
        own handlers (or None when it has none, the common case), and whether the hooks run."""
        kind = type(node)
        name = kind.__name__
        handlers = self.handlers
        fields = []
        for field in child_fields(node):
            around = (handlers.get(f"visit_{name}_{field}", []), handlers.get(f"leave_{name}_{field}", []))
            fields.append((field, around if around[0] or around[1] else None))
        hooks = self.hooked is None or self.hooked(kind)
        plan = (handlers.get(f"visit_{name}", []), handlers.get(f"leave_{name}", []), tuple(fields), hooks)
        self.plans[kind] = plan
        return plan

    def walk(self, node: cst.CSTNode) -> None:
        plan = self.plans.get(type(node)) or self.plan(node)
        visits, leaves, fields, hooks = plan
        before_visit = self.before_visit
        if hooks and before_visit is not None:
            before_visit(node)
        for handler in visits:
            handler(node)
        skip = self.skip
        for field, around in fields:
            if around is not None:
                for handler in around[0]:
                    handler(node)
            value = getattr(node, field)
            kind = type(value)
            if kind is tuple or kind is list:
                for child in value:
                    if type(child) not in skip:
                        self.walk(child)
            elif value is not None and kind is not cst.MaybeSentinel and kind not in skip:
                self.walk(value)
            if around is not None:
                for handler in around[1]:
                    handler(node)
        for handler in leaves:
            handler(node)
        after_leave = self.after_leave
        if hooks and after_leave is not None:
            after_leave(node)


_ATTRIBUTE_METHOD = re.compile(r"^(visit|leave)_[A-Za-z]+_\w+$")
_VISITOR_SHAPES: dict[type, tuple[frozenset[type], bool]] = {}


def visit(node: cst.CSTNode, visitor: cst.CSTVisitor) -> None:
    """`node.visit(visitor)` for a visitor that only reads: the same calls in the same order
    (a `visit_*` method that returns False still prunes the node's children), without rebuilding
    the tree, and without walking whitespace the visitor has no `visit_`/`leave_` method for (its
    `on_visit`, if it overrides that, does not see them either)."""
    shape = _VISITOR_SHAPES.get(type(visitor))
    if shape is None:
        names = {
            name
            for name in dir(type(visitor))
            if name.startswith(("visit_", "leave_")) and not getattr(getattr(visitor, name), "_is_no_op", False)
        }
        trivia_names = {f"{prefix}_{kind.__name__}" for kind in TRIVIA for prefix in ("visit", "leave")}
        skip = frozenset() if names & trivia_names else TRIVIA
        shape = _VISITOR_SHAPES[type(visitor)] = (skip, any(_ATTRIBUTE_METHOD.match(name) for name in names))
    _visit(node, visitor, *shape)


def _visit(node: cst.CSTNode, visitor: cst.CSTVisitor, skip: frozenset[type], attributes: bool) -> None:
    if visitor.on_visit(node):
        for field in child_fields(node):
            if attributes:
                visitor.on_visit_attribute(node, field)
            value = getattr(node, field)
            kind = type(value)
            if kind is tuple or kind is list:
                for child in value:
                    if type(child) not in skip:
                        _visit(child, visitor, skip, attributes)
            elif value is not None and kind is not cst.MaybeSentinel and kind not in skip:
                _visit(value, visitor, skip, attributes)
            if attributes:
                visitor.on_leave_attribute(node, field)
    visitor.on_leave(node)
