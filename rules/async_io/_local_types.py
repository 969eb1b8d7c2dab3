"""The types of values one function can tell locally: annotations (`db: Session = Depends(get_db)`),
constructors (`client = httpx.Client()`), context managers, `self` attributes; what it cannot tell
is kept as a deferred reference for the repository pass."""

from __future__ import annotations

from reviewer import lazy_cst as cst
from reviewer.semantics.blocking import (
    ANNOTATED,
    ASYNC_SESSION_CLASSES,
    CONTAINERS,
    DEPENDS,
    MAPPINGS,
    SESSION_FACTORY,
    SYNC_SESSION,
)
from reviewer.semantics.names import dotted_name
from reviewer.syntax import keyword
from rules.async_io._records import Ref, is_external


class LocalTypes:
    """A part of `BlockingScan`: the types of locals and attributes as the scan walks."""

    def _parameter_type(self, param: cst.Param) -> Ref | None:
        found = None
        if param.annotation is not None:
            found = self.annotation_type(param.annotation.annotation)
            if found is not None and found[0] == "type":
                return found
        default = param.default
        if isinstance(default, cst.Call) and self.qualify(default.func) in DEPENDS and default.args:
            dependency = self.qualify(default.args[0].value)
            if dependency and self.table.is_session_dependency(dependency):
                return ("type", SYNC_SESSION)
            if found is None and dependency:
                return ("call", dependency)
        return found

    # Types --------------------------------------------------------------------------------

    def annotation_type(self, node: cst.BaseExpression) -> Ref | None:
        """The type an annotation names, known or deferred; None for anything else."""
        if isinstance(node, cst.SimpleString):
            return self._string_annotation(node)
        if isinstance(node, cst.Subscript):
            base = self.qualify(node.value)
            first = node.slice[0].slice if node.slice else None
            if base in MAPPINGS and len(node.slice) == 2 and isinstance(node.slice[1].slice, cst.Index):
                value = self.annotation_type(node.slice[1].slice.value)
                return ("mapping", value) if value is not None else None
            if base and not is_external(base) and base not in ANNOTATED and base not in CONTAINERS:
                return self.annotation_type(node.value)  # a generic class of the repository
            if (base in ANNOTATED or base in CONTAINERS) and isinstance(first, cst.Index):
                found = self.annotation_type(first.value)
                if found is None and base in ANNOTATED:
                    for element in node.slice[1:]:
                        value = element.slice.value if isinstance(element.slice, cst.Index) else None
                        if isinstance(value, cst.Call) and self.qualify(value.func) in DEPENDS and value.args:
                            dependency = self.qualify(value.args[0].value)
                            if dependency and self.table.is_session_dependency(dependency):
                                return ("type", SYNC_SESSION)
                            return ("call", dependency) if dependency else None
                return found
            return None
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
            left, right = self.annotation_type(node.left), self.annotation_type(node.right)
            return left or right
        if isinstance(node, (cst.Name, cst.Attribute)):
            qualified = self._qualify(node)
            if qualified is None:
                return None
            known = self.table.annotated(qualified)
            if known is not None:
                return ("type", known)
            return None if is_external(qualified) else ("value", qualified)
        return None

    def _string_annotation(self, node: cst.SimpleString) -> Ref | None:
        """A forward reference (`client: "S3Client"`), resolved like the name it spells."""
        value = node.evaluated_value
        if not isinstance(value, str) or not value.replace(".", "").replace("_", "").isalnum():
            return None
        try:
            return self.annotation_type(cst.parse_expression(value))
        except cst.ParserSyntaxError:
            return None

    def _qualify(self, node: cst.BaseExpression) -> str | None:
        """Qualified name through imports, unless the name is a local of an enclosing function."""
        head = node
        while isinstance(head, cst.Attribute):
            head = head.value
        if isinstance(head, cst.Name):
            for frame in self._frames():
                if head.value in frame.locals or head.value == frame.self_name:
                    return None
                if head.value in frame.functions:
                    rest = dotted_name(node)
                    return frame.functions[head.value] + (rest[len(head.value):] if rest else "")
        return self.qualify(node)

    def _local(self, name: str) -> tuple[bool, Ref | None]:
        for frame in self._frames():
            if name in frame.locals:
                return True, frame.locals[name]
        return False, None

    def _self_attribute(self, node: cst.Attribute) -> tuple[bool, Ref | None]:
        """`self.x` in a method: its type if this file tells, else deferred to the class (a
        property, an attribute set in a base class)."""
        frame = self.frame
        if (frame is not None and frame.self_name and frame.class_name and isinstance(node.value, cst.Name)
                and node.value.value == frame.self_name):
            known = self._class_attributes.get(frame.class_name, {}).get(node.attr.value)
            return True, known or ("member", ("class", frame.class_name), node.attr.value)
        return False, None

    def type_of(self, node: cst.BaseExpression) -> Ref | None:
        """The type of an expression's value, as far as this file tells."""
        if isinstance(node, cst.Name):
            is_local, found = self._local(node.value)
            if is_local:
                return found
            qualified = self._qualify(node)
            return ("value", qualified) if qualified and not is_external(qualified) else None
        if isinstance(node, cst.Attribute):
            known, found = self._attribute_type(node)
            if known:
                return found
            qualified = self._qualify(node)
            return ("value", qualified) if qualified and not is_external(qualified) else None
        if isinstance(node, cst.Call):
            return self._call_type(node)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide):
            left = self.type_of(node.left)
            return self._member(left, "__truediv__") if left is not None else None
        if isinstance(node, cst.Subscript):
            container = self.type_of(node.value)
            if container is None or container[0] == "type":
                return None
            return container[1] if container[0] == "mapping" else ("item", container)
        return None

    def _receiver_type(self, node: cst.BaseExpression) -> Ref | None:
        """The type of a method's receiver, when the receiver is a local, `self.x` or an expression
        (not a module or an imported name: those stay in the callee's qualified name)."""
        if isinstance(node, cst.Name):
            frame = self.frame
            if frame is not None and frame.self_name and frame.class_name and node.value == frame.self_name:
                return ("class", frame.class_name)  # `self._path(name)` is what the method returns
            return self._local(node.value)[1]
        if isinstance(node, cst.Attribute):
            return self._attribute_type(node)[1]
        if isinstance(node, (cst.Call, cst.BinaryOperation, cst.Subscript)):
            return self.type_of(node)
        return None

    def _attribute_type(self, node: cst.Attribute) -> tuple[bool, Ref | None]:
        """(whether it is one, its type) for an attribute of `self`, of `request.state`, or of a
        receiver of known type; not for a module's or an imported name's attribute."""
        is_self, found = self._self_attribute(node)
        if is_self:
            return True, found
        if _state_of(node) is not None:
            return True, ("state", node.attr.value)
        base = self._receiver_type(node.value)
        if base is not None:
            return True, self._member(base, node.attr.value)
        return False, None

    def _member(self, base: Ref, name: str) -> Ref | None:
        if base[0] == "type":
            returned = self.table.returned(base[1], name)
            return ("type", returned) if returned else None
        return ("member", base, name)

    def _call_type(self, node: cst.Call) -> Ref | None:
        func = node.func
        if isinstance(func, cst.Subscript):
            func = func.value  # `Repository[User](session)` makes a `Repository`
        if isinstance(func, cst.Attribute):
            receiver = self._receiver_type(func.value)
            if receiver is not None:
                return self._member(receiver, func.attr.value)
        elif isinstance(func, cst.Name):
            is_local, found = self._local(func.value)
            if is_local:
                if found is None:
                    return None
                if found[0] == "type":
                    made = self.table.call_returns(found[1])
                    return ("type", made) if made else None
                return ("called", found)
        qualified = self._qualify(func)
        if qualified is None:
            return None
        made = self.table.constructed(qualified)
        if made == SESSION_FACTORY:
            session_class = keyword(node, "class_")
            if session_class is not None and self.qualify(session_class.value) in ASYNC_SESSION_CLASSES:
                return None
        if made is not None:
            return ("type", made)
        return None if is_external(qualified) else ("call", qualified)

    # Bindings -----------------------------------------------------------------------------

    def _bind(self, target: cst.BaseExpression, ref: Ref | None, value: cst.BaseExpression | None) -> None:
        frame = self.frame
        if isinstance(target, cst.Name):
            if frame is not None:
                frame.locals[target.value] = ref
                if isinstance(value, cst.Call):
                    self._bound_to[id(value)] = target.value
            elif not self._scopes:
                if ref is not None:
                    self.facts.bindings[target.value] = ref
                else:
                    self.facts.bindings.pop(target.value, None)
            elif isinstance(self._scopes[-1], str) and ref is not None:
                self._class_attributes[self._scopes[-1]][target.value] = ref
        elif isinstance(target, cst.Attribute) and _state_of(target) is not None:
            if ref is not None:
                self.facts.state[target.attr.value] = ref
        elif isinstance(target, cst.Attribute) and frame is not None and ref is not None:
            is_self, _ = self._self_attribute(target)
            if is_self and frame.class_name:
                self._class_attributes[frame.class_name][target.attr.value] = ref
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind(element.value, None, None)

    def _value_type(self, value: cst.BaseExpression) -> Ref | None:
        found = self.type_of(value)
        if found is None and not self._scopes and isinstance(value, cst.Subscript):
            return self.annotation_type(value)  # `SessionDep = Annotated[Session, Depends(get_db)]`
        return found


def _state_of(node: cst.Attribute) -> str | None:
    """`request.state.db`, `request.app.state.redis`: the object whose Starlette `state` holds the
    attribute (what the application keeps there for its requests)."""
    holder = node.value
    if isinstance(holder, cst.Attribute) and holder.attr.value == "state":
        return dotted_name(holder.value)
    return None
