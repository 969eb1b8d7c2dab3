"""Reading annotations and parameter defaults as FastAPI reads them: type references
(`TypeRef`), markers (`Body(...)`, `Depends(dep)`), the dependencies a decorator or marker lists."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from reviewer import lazy_cst as cst
from reviewer.semantics.fastapi.records import (
    ANNOTATED,
    DEPENDENCY_MARKERS,
    LITERAL,
    MADE,
    OPTIONAL,
    PARAM_MARKERS,
    UNION,
    Marker,
    ResponseDecl,
    TypeRef,
)
from reviewer.semantics.names import dotted_name
from reviewer.syntax import argument, is_true, keyword, string_value
from reviewer.traversal import nodes_of_type


def source_of(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


def type_ref(node: cst.BaseExpression, qualify: Callable[[cst.BaseExpression], str | None]) -> TypeRef:
    """Reduce an annotation expression; string annotations are parsed."""
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        text = string_value(node)
        try:
            return type_ref(cst.parse_expression(text), qualify) if text else TypeRef("other")
        except cst.ParserSyntaxError:
            return TypeRef("other")
    if isinstance(node, cst.Name) and node.value == "None":
        return TypeRef("none")
    if isinstance(node, (cst.Name, cst.Attribute)):
        return TypeRef("name", qualify(node) or dotted_name(node))
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        return _union([type_ref(node.left, qualify), type_ref(node.right, qualify)])
    if isinstance(node, cst.Subscript):
        base = qualify(node.value) or dotted_name(node.value)
        elements = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
        if base in LITERAL:
            return TypeRef("literal")
        args = [type_ref(e, qualify) for e in elements]
        if base in ANNOTATED and args:
            markers = tuple(m for m in (marker_of(e, qualify) or made_marker(e, qualify) for e in elements[1:]) if m)
            return TypeRef("annotated", args=(args[0],), markers=markers)
        if base in UNION:
            return _union(args)
        if base in OPTIONAL and args:
            return _union([args[0], TypeRef("none")])
        return TypeRef("generic", base, tuple(args))
    return TypeRef("other")


def _union(members: list[TypeRef]) -> TypeRef:
    flat: list[TypeRef] = []
    for member in members:
        flat.extend(member.args if member.kind == "union" else (member,))
    return TypeRef("union", args=tuple(flat))


# The dependency of `Depends(factory()(...))` and the like: a callable the model cannot name.
INSTANCE_OF_UNKNOWN = "()"


def marker_of(node: cst.BaseExpression, qualify: Callable[[cst.BaseExpression], str | None]) -> Marker | None:
    """`Body(...)`, `Query(...)`, `Depends(dep)` ... as a Marker; anything else is None."""
    if not isinstance(node, cst.Call):
        return None
    kind = PARAM_MARKERS.get(qualify(node.func) or "")
    if kind is None:
        return None
    embed = keyword(node, "embed")
    dependency = None
    if kind in DEPENDENCY_MARKERS:
        target = argument(node, 0, "dependency")
        if target is not None and isinstance(target.value, cst.Call):
            # `Depends(Getter(...))`: FastAPI calls the instance, so the dependency is the
            # instance's `__call__`, written `Getter()` here, never `Getter`'s `__init__`.
            made_by = qualify(target.value.func) or dotted_name(target.value.func)
            dependency = f"{made_by}()" if made_by else INSTANCE_OF_UNKNOWN
        elif target is not None:
            dependency = qualify(target.value) or dotted_name(target.value)
    return Marker(kind, embed=embed is not None and is_true(embed.value), dependency=dependency)


def made_marker(node: cst.BaseExpression, qualify: Callable[[cst.BaseExpression], str | None]) -> Marker | None:
    """`RoleACL(allow_user=True)` in `Annotated[Role, ...]` or as a parameter's default: a call
    whose result FastAPI reads as a marker if the function returns one (`return Depends(checker)`),
    which the index tells."""
    if not isinstance(node, cst.Call):
        return None
    made_by = qualify(node.func) or dotted_name(node.func)
    return Marker(MADE, dependency=made_by) if made_by else None


def dependencies_in(
    node: cst.BaseExpression | None, qualify: Callable[[cst.BaseExpression], str | None]
) -> tuple[str, ...]:
    """Dependencies listed as `dependencies=[Depends(a), Security(b)]`; for a list given only when
    the deployment turns a check on (`[Security(auth, scopes=[...])] if is_auth else None`), those
    of either branch: the check of a deployment that authenticates."""
    if isinstance(node, cst.IfExp):
        return dependencies_in(node.body, qualify) + dependencies_in(node.orelse, qualify)
    if not isinstance(node, (cst.List, cst.Tuple)):
        return ()
    found = []
    for element in node.elements:
        marker = marker_of(element.value, qualify)
        if marker is not None and marker.dependency:
            found.append(marker.dependency)
    return tuple(found)


def response_decl(call: cst.Call, qualify: Callable[[cst.BaseExpression], str | None]) -> ResponseDecl:
    """What a route decorator or `add_api_route` declares of the response."""
    model = keyword(call, "response_model")
    response_class = keyword(call, "response_class")
    status = keyword(call, "status_code")
    status_code = None
    if status is not None:
        if isinstance(status.value, cst.Integer):
            status_code = status.value.value
        elif isinstance(status.value, (cst.Name, cst.Attribute)):
            status_code = qualify(status.value) or dotted_name(status.value)
    return ResponseDecl(
        model=type_ref(model.value, qualify) if model is not None else None,
        response_class=(qualify(response_class.value) or dotted_name(response_class.value))
        if response_class is not None else None,
        status_code=status_code,
        exclude=_field_names(keyword(call, "response_model_exclude")),
        include=_field_names(keyword(call, "response_model_include")),
        in_schema=not hidden_from_schema(call),
        documented=_documents_success(keyword(call, "responses")),
    )


def hidden_from_schema(call: cst.Call) -> bool:
    """`include_in_schema=False`, or an application without an OpenAPI document (`openapi_url=None`)."""
    for name, off in (("include_in_schema", "False"), ("openapi_url", "None")):
        arg = keyword(call, name)
        if arg is not None and isinstance(arg.value, cst.Name) and arg.value.value == off:
            return True
    return False


def _documents_success(arg: cst.Arg | None) -> bool:
    """`responses={200: {...}}` (or another 2xx, as a number, a string or `status.HTTP_2xx_...`)."""
    if arg is None or not isinstance(arg.value, cst.Dict):
        return False
    for element in arg.value.elements:
        if not isinstance(element, cst.DictElement):
            continue
        key = element.key
        text = key.value if isinstance(key, cst.Integer) else string_value(key) if isinstance(
            key, cst.SimpleString) else key.attr.value if isinstance(key, cst.Attribute) else None
        if text and (text.startswith("2") or text.startswith("HTTP_2")):
            return True
    return False


def _field_names(arg: cst.Arg | None) -> tuple[str, ...] | None:
    """`{"hashed_password"}`, `["a", "b"]`, `{"a": True}`: the field names, when all are literals."""
    if arg is None or not isinstance(arg.value, (cst.Set, cst.List, cst.Tuple, cst.Dict)):
        return None
    elements = arg.value.elements
    keys = [e.key if isinstance(e, cst.DictElement) else getattr(e, "value", None) for e in elements]
    names = [string_value(key) if key is not None else None for key in keys]
    return tuple(name for name in names if name) if all(names) else None


def literal_path(node: cst.BaseExpression | None) -> tuple[str, bool]:
    """A path or prefix: its literal text and whether it was fully literal."""
    if node is None:
        return "", True
    value = string_value(node)
    return (value, True) if value is not None else ("", False)


def path_parts(
    node: cst.BaseExpression | None, qualify: Callable[[cst.BaseExpression], str | None]
) -> tuple[tuple[bool, str], ...]:
    """A prefix that is not a literal, as literal text and the constants it names (`API_PREFIX`,
    `f"{base_prefix}/tags"`, `settings.API_V1_STR + "/items"`): (is a name, text) pairs; () when
    a part is neither."""
    if isinstance(node, (cst.Name, cst.Attribute)):
        name = qualify(node) or dotted_name(node)
        return ((True, name),) if name else ()
    if isinstance(node, cst.FormattedString):
        parts: list[tuple[bool, str]] = []
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                parts.append((False, part.value))
                continue
            named = path_parts(part.expression, qualify) if not part.format_spec and not part.conversion else ()
            if not named:
                return ()
            parts.extend(named)
        return tuple(parts)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        left, right = path_parts(node.left, qualify), path_parts(node.right, qualify)
        return left + right if left and right else ()
    text = string_value(node) if node is not None else None
    return ((False, text),) if text is not None else ()


def names_in(node: cst.CSTNode) -> Iterator[str]:
    return (found.value for found in nodes_of_type(node, cst.Name))


def attributes_in(node: cst.CSTNode) -> list[cst.Attribute]:
    return nodes_of_type(node, cst.Attribute)


def calls_in(node: cst.CSTNode) -> list[cst.Call]:
    return nodes_of_type(node, cst.Call)
