"""What a module's calls register around its endpoints: middleware added to an application
(`app.add_middleware(AuthMiddleware)`, `Middleware(AuthMiddleware)` in a list, the
`app.middleware("http")` decorator applied by hand), and routers included with dependencies the
analysis cannot read (`include_router(router, dependencies=make_dependencies())`) or only under a
condition (`if settings.ENVIRONMENT == "local":`). The guards' collector records them per module."""

from __future__ import annotations

from collections.abc import Callable

from reviewer import lazy_cst as cst
from reviewer.semantics.fastapi.guards.records import ModuleGuards
from reviewer.semantics.fastapi.guards.request_credentials import is_none
from reviewer.semantics.names import dotted_name
from reviewer.syntax import argument, keyword


def opaque_dependencies(call: cst.Call) -> str | None:
    """`dependencies=get_dependencies()` as written, when it is not a literal list."""
    given = keyword(call, "dependencies")
    if given is None or isinstance(given.value, (cst.List, cst.Tuple)) or is_none(given.value):
        return None
    return dotted_name(given.value.func if isinstance(given.value, cst.Call) else given.value) or "an expression"


def record_registration(node: cst.Call, guards: ModuleGuards, qualify: Callable[[cst.BaseExpression], str | None],
                        receiver: Callable[[cst.BaseExpression], str], conditional: bool) -> None:
    """Records what a call registers into `guards`. `receiver` names the application a middleware is
    registered with; `conditional` says the call runs under an `if`."""
    func = node.func
    if isinstance(func, cst.Attribute) and func.attr.value == "include_router":
        given = opaque_dependencies(node)
        child = argument(node, 0, "router")
        if conditional and child is not None:
            value = child.value.func if isinstance(child.value, cst.Call) else child.value
            name = qualify(value) or dotted_name(value)
            if name:
                guards.conditional_inclusions.add(name)
        if given and child is not None:
            value = child.value.func if isinstance(child.value, cst.Call) else child.value
            name = qualify(value) or dotted_name(value)
            if name:
                guards.opaque_dependencies[name] = given
    is_add = isinstance(func, cst.Attribute) and func.attr.value == "add_middleware"
    is_wrapper = (qualify(func) or "").endswith("middleware.Middleware") or (
        isinstance(func, cst.Name) and func.value == "Middleware")
    # `app.middleware("http")(AuthMiddleware())`: the decorator applied by hand.
    is_decorator = (isinstance(func, cst.Call) and isinstance(func.func, cst.Attribute)
                    and func.func.attr.value == "middleware")
    if (is_add or is_wrapper or is_decorator) and node.args:
        target = (argument(node, 0, "middleware_class") if is_add else None) or node.args[0]
        value = target.value.func if is_decorator and isinstance(target.value, cst.Call) else target.value
        name = qualify(value) or dotted_name(value)
        owner = func.value if is_add and isinstance(func, cst.Attribute) else (
            func.func.value if is_decorator and isinstance(func, cst.Call) and isinstance(
                func.func, cst.Attribute) else None)
        if name:
            guards.registered_middleware.setdefault(name, set()).add(receiver(owner) if owner is not None else "")
            if is_decorator and not isinstance(target.value, cst.Call):
                # `app.middleware("http")(auth_middleware)`: the function handles each request.
                guards.middleware_candidates[name] = name
