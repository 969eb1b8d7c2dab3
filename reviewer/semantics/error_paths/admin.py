"""Routes only administrators reach: a dependency of the route, its parameters or its router names
an administrator check, or the application serves the route on its administrative surface."""

from __future__ import annotations

import re

from reviewer import lazy_cst as cst
from reviewer.semantics.error_paths.syntax import calls_in, params_of
from reviewer.semantics.names import dotted_name
from reviewer.syntax import keyword

_ADMIN = re.compile(r"admin|superuser|super_user", re.IGNORECASE)


def names_admin_check(dependency: str) -> bool:
    """Whether a dependency, by its (qualified) name, checks for an administrator (`get_admin`,
    `require_superuser`)."""
    return bool(_ADMIN.search(dependency.rsplit(".", 1)[-1]))


def on_admin_surface(path: str) -> bool:
    """Whether the application serves a path on its administrative surface (`/admin/users`,
    `/api/v1/admin/jobs/{id}`): a segment of its own naming says so."""
    return "admin" in path.lower().split("/")


def _admin_dependencies(node: cst.CSTNode) -> bool:
    """Whether `Depends(...)`/`Security(...)` calls in a node name an administrator check."""
    for call in calls_in(node):
        name = dotted_name(call.func)
        if name and name.rsplit(".", 1)[-1] in ("Depends", "Security") and call.args:
            target = call.args[0].value
            # `Depends(require_admin)`, or a checker built for an administrator's permission:
            # `Depends(require_permission(Permission.FULL_ADMIN_PANEL_ACCESS))`.
            names = [dotted_name(target.func)] + [dotted_name(a.value) for a in target.args] if isinstance(
                target, cst.Call) else [dotted_name(target)]
            if any(name and _ADMIN.search(name.rsplit(".", 1)[-1]) for name in names):
                return True
    return False


def admin_only(function: cst.FunctionDef, admin_routers: set[str]) -> bool:
    """A route only administrators reach: a dependency of the route, its parameters or its
    router (created in this module) checks for an administrator."""
    for decorator in function.decorators:
        expr = decorator.decorator
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
            if dotted_name(expr.func.value) in admin_routers:
                return True
            dependencies = keyword(expr, "dependencies")
            if dependencies is not None and _admin_dependencies(dependencies.value):
                return True
    return any(p.default is not None and _admin_dependencies(p.default) or p.annotation is not None
               and _admin_dependencies(p.annotation) for p in params_of(function))


def admin_routers(tree: cst.Module) -> set[str]:
    """Routers created in this module with a dependency that checks for an administrator."""
    found: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if (isinstance(small, cst.Assign) and isinstance(small.value, cst.Call)
                        and (dotted_name(small.value.func) or "").endswith("APIRouter")):
                    dependencies = keyword(small.value, "dependencies")
                    if dependencies is not None and _admin_dependencies(dependencies.value):
                        found.update(name for t in small.targets if (name := dotted_name(t.target)))
    return found
