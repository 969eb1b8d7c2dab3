"""A module's names without a walk: its classes (and their bases), type aliases, module-level
bindings and routers. Enough for the repository pass to tell what a name of a module that holds
no routing code is (a model, a router class, a type alias, a re-export), and the part of the
collector that records the same at module level when it walks."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.semantics.fastapi.annotations import (
    dependencies_in,
    hidden_from_schema,
    literal_path,
    path_parts,
    type_ref,
)
from reviewer.semantics.fastapi.records import (
    DATACLASS_DECORATORS,
    HelperCall,
    ModuleFacts,
    RouterDecl,
    Value,
)
from reviewer.semantics.names import NameResolver, dotted_name
from reviewer.syntax import keyword, string_value

if TYPE_CHECKING:
    pass


def record_module_level(body: Sequence[cst.CSTNode], facts: ModuleFacts, resolver: NameResolver, prefix: str) -> None:
    """Classes and module-level bindings without a full walk: enough for a module that holds no
    routing code to tell what its names are (models, router classes, type aliases, re-exports)."""
    for statement in body:
        if isinstance(statement, cst.ClassDef):
            qualname = f"{prefix}.{statement.name.value}" if prefix else statement.name.value
            record_class(facts, resolver.qualify, qualname, statement)
            inner = statement.body.body if isinstance(statement.body, cst.IndentedBlock) else ()
            record_module_level([s for s in inner if isinstance(s, cst.ClassDef)], facts, resolver, qualname)
        elif isinstance(statement, cst.SimpleStatementLine) and prefix == facts.module:
            for small in statement.body:
                record_module_statement(small, facts, resolver.qualify)
        elif isinstance(statement, (cst.If, cst.Try)):
            blocks = [statement.body, *(h.body for h in getattr(statement, "handlers", ()))]
            orelse = statement.orelse
            if orelse is not None:
                blocks.append(orelse.body if not isinstance(orelse, cst.If) else cst.IndentedBlock(body=[orelse]))
            for block in blocks:
                if isinstance(block, cst.IndentedBlock):
                    record_module_level(block.body, facts, resolver, prefix)


Qualify = Callable[["cst.BaseExpression"], "str | None"]


def record_module_statement(small: cst.BaseSmallStatement, facts: ModuleFacts, qualify: Qualify) -> None:
    def qualname(name: str) -> str:
        return f"{facts.module}.{name}" if facts.module else name

    record_string(facts, facts.module, small)
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
        record_module_binding(facts, qualify, qualname(small.targets[0].target.value), small.value)
    elif isinstance(small, cst.AnnAssign) and small.value is not None and isinstance(small.target, cst.Name):
        if is_type_alias(small, qualify):
            facts.type_aliases[qualname(small.target.value)] = type_ref(small.value, qualify)
        else:
            record_module_binding(facts, qualify, qualname(small.target.value), small.value)
    elif isinstance(small, cst.TypeAlias):
        facts.type_aliases[qualname(small.name.value)] = type_ref(small.value, qualify)


def record_class(facts: ModuleFacts, qualify: Qualify, qualname: str, node: cst.ClassDef) -> None:
    facts.classes[qualname] = tuple(q for q in (qualify(b.value) or dotted_name(b.value) for b in node.bases) if q)
    if isinstance(node.body, cst.IndentedBlock):
        for statement in node.body.body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    record_string(facts, qualname, small)
    for decorator in node.decorators:
        expr = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
        if qualify(expr) in DATACLASS_DECORATORS:
            facts.dataclasses.add(qualname)


def record_string(facts: ModuleFacts, owner: str, small: cst.BaseSmallStatement) -> None:
    """`API_PREFIX = "/api"` or `API_V1_STR: str = "/api/v1"` in a module or class body."""
    if isinstance(small, cst.Assign) and len(small.targets) == 1:
        record_string_binding(facts, owner, small.targets[0].target, small.value)
    elif isinstance(small, cst.AnnAssign) and small.value is not None:
        record_string_binding(facts, owner, small.target, small.value)


def record_string_binding(
    facts: ModuleFacts, owner: str, target: cst.BaseExpression, value: cst.BaseExpression
) -> None:
    text = string_value(value)
    if text is not None and isinstance(target, cst.Name):
        facts.strings[f"{owner}.{target.value}" if owner else target.value] = text


def is_type_alias(node: cst.AnnAssign, qualify: Qualify) -> bool:
    return qualify(node.annotation.annotation) in ("typing.TypeAlias", "typing_extensions.TypeAlias")


def record_module_binding(facts: ModuleFacts, qualify: Qualify, qualname: str, value: cst.BaseExpression) -> None:
    """`JSON = dict[str, Any]` (a type alias), `router = users.router` (an alias),
    `router = APIRouter()` / `APIRouter = make_router_class()` (a call, maybe a router)."""
    is_union = isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.BitOr)
    if isinstance(value, cst.Subscript) or is_union:
        facts.type_aliases[qualname] = type_ref(value, qualify)
    elif isinstance(value, (cst.Name, cst.Attribute)):
        target = qualify(value)
        if target:
            facts.assignments[qualname] = target
    elif isinstance(value, (cst.List, cst.Tuple)):
        elements = sequence_items(value, qualify)
        if elements:
            facts.sequences[qualname] = elements
    elif isinstance(value, cst.Call):
        first = value.args[0] if value.args else None
        handed = qualify(first.value) if first is not None and first.keyword is None and not first.star and isinstance(
            first.value, (cst.Name, cst.Attribute)) else None
        if handed == qualname:
            return  # `app = extend_app(app)`: routes stay on, and routers go into, the application it had
        record_router(facts, qualify, qualname, value)
        callee = qualify(value.func)
        if callee:
            facts.assignments[qualname] = callee
            facts.called.add(qualname)
            if handed:
                facts.handed_first[qualname] = handed


MAX_SEQUENCE = 200  # elements of a literal read for the loops over it


def sequence_items(value: cst.List | cst.Tuple, qualify: Qualify) -> tuple[tuple[Value, ...], ...]:
    """`[users.router, items.router]`, `((users.router, "/users"), ...)`: each element's values;
    () when an element is something else (a starred expression, a comprehension)."""
    elements = value.elements
    if not elements or len(elements) > MAX_SEQUENCE:
        return ()
    items = []
    for element in elements:
        if isinstance(element, cst.StarredElement):
            return ()
        inner = element.value
        if isinstance(inner, (cst.Tuple, cst.List)):
            if any(isinstance(part, cst.StarredElement) for part in inner.elements):
                return ()
            items.append(tuple(value_as_written(part.value, qualify) for part in inner.elements))
        else:
            items.append((value_as_written(inner, qualify),))
    if all(kind == "other" for item in items for kind, _ in item):
        return ()
    return tuple(items)


def value_as_written(node: cst.BaseExpression, qualify: Qualify) -> Value:
    """A name (qualified), a literal string, or a call (its qualified callee)."""
    if isinstance(node, (cst.Name, cst.Attribute)):
        name = qualify(node)
        return ("name", name) if name else ("other", "")
    text = string_value(node)
    if text is not None:
        return ("str", text)
    if isinstance(node, cst.Call):
        callee = qualify(node.func)
        return ("call", callee) if callee else ("other", "")
    return ("other", "")


def record_router(facts: ModuleFacts, qualify: Qualify, key: str, call: cst.Call) -> bool:
    """Record every `x = SomeCall(...)` as a possible router; the repository pass decides."""
    factory = qualify(call.func)
    if factory is None:
        return False
    prefix, known = literal_path(value_of(keyword(call, "prefix")))
    facts.routers.append(
        RouterDecl(
            key=key,
            factory=factory,
            prefix=prefix,
            prefix_known=known,
            prefix_parts=path_parts(value_of(keyword(call, "prefix")), qualify),
            dependencies=dependencies_in(value_of(keyword(call, "dependencies")), qualify),
            in_schema=not hidden_from_schema(call),
        )
    )
    lifespan = value_of(keyword(call, "lifespan"))
    handler = qualify(lifespan) if isinstance(lifespan, (cst.Name, cst.Attribute)) else None
    if handler is not None:
        # `FastAPI(lifespan=lifespan)`: the application calls `lifespan(app)` on startup, where
        # routers may be included (`async def lifespan(app): register_routes(app)`).
        facts.helper_calls.append(HelperCall(handler, None, ((0, ("name", key)),)))
    return True


def value_of(arg: cst.Arg | None) -> cst.BaseExpression | None:
    return arg.value if arg is not None else None
