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

import dataclasses
import functools
import inspect
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from reviewer import lazy_cst as cst

Handler = Callable[["cst.CSTNode"], object]


@functools.cache
def atoms() -> frozenset[type]:
    """Node types whose only children are brackets (names, numbers, plain strings)."""
    return frozenset({cst.Name, cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.Ellipsis})


@functools.cache
def trivia() -> frozenset[type]:
    """Node types that hold only layout: whitespace, comments, newlines, operators, brackets."""
    from libcst._nodes import op, whitespace

    found = {
        cst.LeftParen,
        cst.RightParen,
        cst.LeftSquareBracket,
        cst.RightSquareBracket,
        cst.LeftCurlyBrace,
        cst.RightCurlyBrace,
        cst.Asynchronous,
    }
    for module in (whitespace, op):
        found |= {
            value
            for value in vars(module).values()
            if isinstance(value, type) and issubclass(value, cst.CSTNode) and value.__module__ == module.__name__
        }
    return frozenset(found)


_VISITOR_NAMES: dict[type, tuple[str, ...]] = {}


def _is_visitor_method(member: object) -> bool:
    """libcst's own test for a batched visitor method (`BatchableCSTVisitor.get_visitors`)."""
    return (
        inspect.ismethod(member)
        and (member.__name__.startswith("visit_") or member.__name__.startswith("leave_"))
        and not getattr(member, "_is_no_op", False)
    )


def visitor_methods(visitor: object) -> Mapping[str, Callable[[cst.CSTNode], None]]:
    """What `BatchableCSTVisitor.get_visitors` returns, with the method names found once per class.
    libcst runs `inspect.getmembers` over every attribute of every visitor for every file, which
    cost more than parsing: the set of methods is a property of the class, not of the file."""
    names = _VISITOR_NAMES.get(type(visitor))
    if names is None:
        names = tuple(name for name, _ in inspect.getmembers(visitor, _is_visitor_method))
        _VISITOR_NAMES[type(visitor)] = names
    return {name: getattr(visitor, name) for name in names}


class BatchedVisitor:
    """A visitor for the engine's single walk (`reviewer.traversal.visit_batched`), which calls its
    `visit_<Type>`, `leave_<Type>` and `visit_<Type>_<field>` methods as libcst's batched visitors
    are called; the methods are found once per class (`visitor_methods`). Every visitor in the
    engine's walk derives from it. It is not a libcst class, so that loading rules does not
    import libcst (see `reviewer.lazy_cst`); libcst's own `visit_batched` accepts it all the same.
    """

    def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], None]]:
        return visitor_methods(self)


class Visitor:
    """Base of a read-only visitor for `visit`: `visit_<Type>` methods (one that returns False
    skips the node's children), `leave_<Type>`, and `visit_<Type>_<field>`/`leave_<Type>_<field>`,
    called as on a libcst `CSTVisitor` (which `visit` accepts too)."""

    def on_visit(self, node: cst.CSTNode) -> bool:
        method = getattr(self, f"visit_{type(node).__name__}", None)
        return method is None or method(node) is not False

    def on_leave(self, original_node: cst.CSTNode) -> None:
        method = getattr(self, f"leave_{type(original_node).__name__}", None)
        if method is not None:
            method(original_node)

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        method = getattr(self, f"visit_{type(node).__name__}_{attribute}", None)
        if method is not None:
            method(node)

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        method = getattr(self, f"leave_{type(original_node).__name__}_{attribute}", None)
        if method is not None:
            method(original_node)


class _FieldRecorder:
    """Records the fields `_visit_and_replace_children` visits, without descending into them
    (libcst calls it as it calls a transformer)."""

    def __init__(self) -> None:
        self.fields: list[str] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        return False

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> cst.CSTNode:
        return updated_node

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        if attribute not in self.fields:
            self.fields.append(attribute)

    def on_leave_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        pass


# `visit_required(self, "target", ...)`, `visit_sequence(self, "body", ...)` and the like.
_VISITED_FIELD = re.compile(r'\bvisit_\w+\(\s*self,\s*"(\w+)"')
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def child_fields(node: cst.CSTNode) -> tuple[str, ...]:
    """The fields of `node` that hold child nodes, in the order libcst visits them: the order
    in which its `_visit_and_replace_children` names them. Read from that method's source, since a
    few fields are visited only when present (a format spec), so one node cannot tell them all;
    if the source is missing or names fewer fields than this node holds children in, from what
    the method visits for this node."""
    kind = type(node)
    fields = _CHILD_FIELDS.get(kind)
    if fields is None:
        try:
            source = inspect.getsource(kind._visit_and_replace_children)
            fields = tuple(dict.fromkeys(_VISITED_FIELD.findall(source)))
        except (OSError, TypeError):
            fields = ()
        if any(field not in fields for field in _fields_holding_nodes(node)):
            # The source reads differently (another libcst version): ask the method itself.
            recorder = _FieldRecorder()
            node._visit_and_replace_children(recorder)
            fields = tuple(recorder.fields)
        _CHILD_FIELDS[kind] = fields
    return fields


def _fields_holding_nodes(node: cst.CSTNode) -> list[str]:
    found = []
    for field in dataclasses.fields(node):
        value = getattr(node, field.name)
        if isinstance(value, (list, tuple)):
            value = value[0] if value else None
        if isinstance(value, cst.CSTNode):
            found.append(field.name)
    return found


def _handler_table(visitors: Iterable[BatchedVisitor]) -> tuple[dict[str, list[Handler]], dict[int, BatchedVisitor]]:
    """Every visitor's handlers by method name, in the visitors' order, and the visitor each
    handler came from (by the handler's id: the table keeps the handlers alive)."""
    table: dict[str, list[Handler]] = {}
    owners: dict[int, BatchedVisitor] = {}
    for visitor in visitors:
        for name, method in visitor.get_visitors().items():
            table.setdefault(name, []).append(method)
            owners[id(method)] = visitor
    return table, owners


def visit_batched(
    tree: cst.CSTNode,
    visitors: Sequence[BatchedVisitor],
    *,
    before_visit: Handler | None = None,
    after_leave: Handler | None = None,
    hooked: Callable[[type], bool] | None = None,
) -> None:
    """Walk `tree` once, calling every visitor's methods in order, as `tree.visit_batched` would.
    `before_visit` runs before a node's visit methods and `after_leave` after its leave methods;
    with `hooked`, only for the node types it accepts (the engine follows statements only).

    A visitor that defines `walk_failed(error)` is stopped, not the walk, when one of its methods
    raises: it is told, and none of its methods is called again (the others walk on). An error of
    any other visitor, and RecursionError or MemoryError (the file's limits), end the walk."""
    table, owners = _handler_table(visitors)
    _Walk(table, owners, before_visit, after_leave, hooked).walk(tree)


def _ignore(node: cst.CSTNode) -> None:
    """What a stopped visitor's handlers become."""


class _Walk:
    def __init__(
        self,
        handlers: Mapping[str, list[Handler]],
        owners: Mapping[int, BatchedVisitor],
        before_visit: Handler | None,
        after_leave: Handler | None,
        hooked: Callable[[type], bool] | None,
    ) -> None:
        self.handlers = handlers
        self.owners = owners
        self.before_visit = before_visit
        self.after_leave = after_leave
        self.hooked = hooked
        handled = {name.split("_", 2)[1] for name in handlers}
        if any(kind.__name__ in handled for kind in trivia()):
            self.skip: frozenset[type] = frozenset()
        else:
            # Atoms hold nothing but brackets: one nobody handles is not worth a call (names are a
            # third of all nodes).
            unhooked = before_visit is None and after_leave is None
            self.skip = trivia() | {
                kind for kind in atoms()
                if kind.__name__ not in handled and (unhooked or (hooked is not None and not hooked(kind)))
            }
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
        # Handlers are called without a wrapper (a try block costs nothing until it catches).
        plan = self.plans.get(type(node)) or self.plan(node)
        visits, leaves, fields, hooks = plan
        before_visit = self.before_visit
        if hooks and before_visit is not None:
            before_visit(node)
        for handler in visits:
            try:
                handler(node)
            except Exception as error:  # noqa: BLE001 - `failed` decides
                self.failed(handler, error)
        skip = self.skip
        for field, around in fields:
            if around is not None:
                for handler in around[0]:
                    try:
                        handler(node)
                    except Exception as error:  # noqa: BLE001 - `failed` decides
                        self.failed(handler, error)
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
                    try:
                        handler(node)
                    except Exception as error:  # noqa: BLE001 - `failed` decides
                        self.failed(handler, error)
        for handler in leaves:
            try:
                handler(node)
            except Exception as error:  # noqa: BLE001 - `failed` decides
                self.failed(handler, error)
        after_leave = self.after_leave
        if hooks and after_leave is not None:
            after_leave(node)

    def failed(self, handler: Handler, error: Exception) -> None:
        """A handler raised: stop its visitor if it can be stopped, else end the walk. Its handlers
        are replaced in place, so the lists the walk is going through skip them too."""
        owner = self.owners.get(id(handler))
        walk_failed = getattr(owner, "walk_failed", None)
        if walk_failed is None or isinstance(error, (RecursionError, MemoryError)):
            raise error
        walk_failed(error)
        for handlers in self.handlers.values():
            for position, other in enumerate(handlers):
                if self.owners.get(id(other)) is owner:
                    handlers[position] = _ignore


def descendants(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """`node` and every node below it, parents first, without layout nodes (whitespace,
    operators, brackets): a cheap `children` walk for analyses that search a subtree."""
    return _preorder(node, trivia())


def nodes_of_type(node: cst.CSTNode, kind: type) -> list[cst.CSTNode]:
    """The nodes of exactly type `kind` at or below `node`, in the order `descendants` yields
    them; for a kind that is not itself one, without visiting names, numbers and plain strings
    (they hold only brackets)."""
    return [found for found in _preorder(node, _skipped_looking_for(kind)) if type(found) is kind]


@functools.cache
def _skipped_looking_for(kind: type) -> frozenset[type]:
    return trivia() if kind in atoms() else trivia() | atoms()


def _preorder(node: cst.CSTNode, skip: frozenset[type]) -> Iterator[cst.CSTNode]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        # The loop of `push_children`, written out: this walk is a hot path of many analyses.
        pending: list[cst.CSTNode] = []
        for field in _CHILD_FIELDS.get(type(current)) or child_fields(current):
            value = getattr(current, field)
            kind = type(value)
            if kind is tuple or kind is list:
                pending.extend(child for child in value if type(child) not in skip)
            elif value is not None and kind is not cst.MaybeSentinel and kind not in skip:
                pending.append(value)
        stack.extend(reversed(pending))


def own_descendants(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """`node` and every node below it that runs with it: not inside the functions, classes and
    lambdas defined there, which run when called."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if not isinstance(current, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            pending: list[cst.CSTNode] = []
            push_children(current, pending)
            stack.extend(reversed(pending))


def push_children(node: cst.CSTNode, pending: list[cst.CSTNode]) -> None:
    """Append `node`'s children but layout to `pending`, in libcst's order: the step of a walk
    that decides, node by node, what to look below (`descendants` looks below everything)."""
    skip = trivia()
    for field in _CHILD_FIELDS.get(type(node)) or child_fields(node):
        value = getattr(node, field)
        kind = type(value)
        if kind is tuple or kind is list:
            for child in value:
                if type(child) not in skip:
                    pending.append(child)
        elif value is not None and kind is not cst.MaybeSentinel and kind not in skip:
            pending.append(value)


def children_of(node: cst.CSTNode) -> list[cst.CSTNode]:
    """`node.children` without layout (whitespace, comments, operators, brackets), in libcst's
    order, at a fraction of its cost: libcst builds `children` by a visit of the node."""
    found: list[cst.CSTNode] = []
    push_children(node, found)
    return found


_ATTRIBUTE_METHOD = re.compile(r"^(visit|leave)_[A-Za-z]+_\w+$")
_VISITOR_SHAPES: dict[type, tuple[frozenset[type], bool]] = {}


def visit(node: cst.CSTNode, visitor: Visitor) -> None:
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
        trivia_names = {f"{prefix}_{kind.__name__}" for kind in trivia() for prefix in ("visit", "leave")}
        skip = frozenset() if names & trivia_names else trivia()
        shape = _VISITOR_SHAPES[type(visitor)] = (skip, any(_ATTRIBUTE_METHOD.match(name) for name in names))
    _visit(node, visitor, *shape)


def _visit(node: cst.CSTNode, visitor: Visitor, skip: frozenset[type], attributes: bool) -> None:
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
