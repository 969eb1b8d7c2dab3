"""Routes only administrators reach: a dependency of the route, its parameters or its router names
an administrator check, or the application serves the route on its administrative surface; and
the statements of a function that run only for administrators, after a test of the caller that
raises for anyone else (`if not user.is_superuser: raise HTTPException(403)`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.semantics.error_paths.syntax import calls_in, ends_with
from reviewer.semantics.fastapi.annotations import marker_of
from reviewer.semantics.names import dotted_name
from reviewer.syntax import argument, keyword, params_of, string_value

if TYPE_CHECKING:
    Qualify = Callable[[cst.BaseExpression], str | None]

_ADMIN = re.compile(r"admin|superuser|super_user", re.IGNORECASE)


def names_admin_check(dependency: str) -> bool:
    """Whether a dependency, by its (qualified) name, checks for an administrator (`get_admin`,
    `require_superuser`)."""
    return bool(_ADMIN.search(dependency.rsplit(".", 1)[-1]))


def on_admin_surface(path: str) -> bool:
    """Whether the application serves a path on its administrative surface (`/admin/users`,
    `/api/v1/admin/jobs/{id}`): a segment of its own naming says so."""
    return "admin" in path.lower().split("/")


def _admin_dependencies(node: cst.CSTNode, qualify: Qualify) -> bool:
    """Whether `Depends(...)`/`Security(...)` calls in a node name an administrator check, or a
    call there asks for an administrator's role by name (`Depends(require_role("admin"))`, and a
    parameter's default `_get_user(role="admin")` of a factory that returns the `Depends`)."""
    for call in calls_in(node):
        marker = marker_of(call, qualify)
        if marker is not None and not marker.injects:
            continue  # `Query("admin")`: a parameter's default value, no check
        if any(_names_admin_role(arg.value) for arg in call.args):
            return True
        if marker is None or not call.args:
            continue
        target = call.args[0].value
        # `Depends(require_admin)`, or a checker built for an administrator's permission:
        # `Depends(require_permission(Permission.FULL_ADMIN_PANEL_ACCESS))`.
        names = [dotted_name(target.func)] + [dotted_name(a.value) for a in target.args] if isinstance(
            target, cst.Call) else [dotted_name(target)]
        if any(name and _ADMIN.search(name.rsplit(".", 1)[-1]) for name in names):
            return True
    return False


_ADMIN_ROLE = re.compile(r"(?:admin|administrator|superuser|super_user|sysadmin)", re.IGNORECASE)


def _names_admin_role(value: cst.BaseExpression) -> bool:
    """`"admin"`, `["admin", "superuser"]`: a role asked for by its name, every one an
    administrator's."""
    if isinstance(value, (cst.List, cst.Tuple, cst.Set)):
        return bool(value.elements) and all(_names_admin_role(element.value) for element in value.elements)
    text = string_value(value)
    return text is not None and _ADMIN_ROLE.fullmatch(text) is not None


def admin_only(function: cst.FunctionDef, admin_routers: set[str], qualify: Qualify) -> bool:
    """A route only administrators reach: a dependency of the route, its parameters or its
    router (created in this module) checks for an administrator."""
    for decorator in function.decorators:
        expr = decorator.decorator
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute):
            if dotted_name(expr.func.value) in admin_routers:
                return True
            dependencies = keyword(expr, "dependencies")
            if dependencies is not None and _admin_dependencies(dependencies.value, qualify):
                return True
    return any(p.default is not None and _admin_dependencies(p.default, qualify) or p.annotation is not None
               and _admin_dependencies(p.annotation, qualify) for p in params_of(function))


def admin_registered(tree: cst.Module, qualify: Qualify) -> set[str]:
    """Functions this module registers as routes only with a dependency that checks for an
    administrator (`router.add_api_route("/v1/workers", get_workers, dependencies=[Security(auth,
    scopes=["admin"])] if is_auth else None)`), by name: the check wherever the deployment
    authenticates at all."""
    admin: set[str] = set()
    registered: set[str] = set()
    for call in calls_in(tree):
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "add_api_route"):
            continue
        endpoint = argument(call, 1, "endpoint")
        name = dotted_name(endpoint.value) if endpoint is not None else None
        if name is None:
            continue
        name = name.rsplit(".", 1)[-1]  # `get_workers`, `self.get_workers`
        dependencies = keyword(call, "dependencies")
        (admin if dependencies is not None and _admin_dependencies(dependencies.value, qualify) else registered).add(
            name)
    return admin - registered


def admin_routers(tree: cst.Module, qualify: Qualify) -> set[str]:
    """Routers created in this module with a dependency that checks for an administrator."""
    found: set[str] = set()
    for statement in tree.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if (isinstance(small, cst.Assign) and isinstance(small.value, cst.Call)
                        and (dotted_name(small.value.func) or "").endswith("APIRouter")):
                    dependencies = keyword(small.value, "dependencies")
                    if dependencies is not None and _admin_dependencies(dependencies.value, qualify):
                        found.update(name for t in small.targets if (name := dotted_name(t.target)))
    return found


def admin_gate(statement: cst.CSTNode, is_local: Callable[[str], bool]) -> bool:
    """`if not user.is_superuser: raise ...`: an `if` without `else` that raises, or returns a
    refusal (`return PermissionDenied.response()`), when its test holds for every caller who is not
    an administrator (see `requires_admin`), so that the rest of its block runs only for
    administrators. `is_local` tells the function's own names."""
    return (isinstance(statement, cst.If) and statement.orelse is None and ends_with(statement.body, "raise", "return")
            and requires_admin(statement.test, is_local))


def requires_admin(test: cst.BaseExpression, is_local: Callable[[str], bool]) -> bool:
    """Whether a test holds for every caller who is not an administrator: `not user.is_superuser`,
    `not is_admin(user)`, `not await user.has_admin_role()`, `user.role != "admin"`,
    `Role.ADMIN not in user.roles`, `user.role not in (Role.ADMIN, Role.SUPERUSER)`; any side of an
    `or`, every side of an `and`. The caller is a local of the function (a parameter, an assigned
    user): `not settings.ADMIN_ENABLED` is a switch of the deployment, not a test of the caller."""
    if isinstance(test, cst.BooleanOperation):
        sides = (requires_admin(test.left, is_local), requires_admin(test.right, is_local))
        return any(sides) if isinstance(test.operator, cst.Or) else all(sides)
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _asserts_admin(test.expression, is_local)
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    operator, right = test.comparisons[0].operator, test.comparisons[0].comparator
    if isinstance(operator, cst.NotEqual):
        return (_admin_word(right) and _of_caller(test.left, is_local)
                or _admin_word(test.left) and _of_caller(right, is_local))
    if isinstance(operator, cst.NotIn):
        if isinstance(right, (cst.Tuple, cst.List, cst.Set)):
            return (bool(right.elements) and all(_admin_word(element.value) for element in right.elements)
                    and _of_caller(test.left, is_local))
        return _admin_word(test.left) and _of_caller(right, is_local)
    return False


def _asserts_admin(node: cst.BaseExpression, is_local: Callable[[str], bool]) -> bool:
    """`user.is_superuser`, `is_admin(user)`, `user.is_admin()`, awaited or not: true for administrators."""
    if isinstance(node, cst.Await):
        node = node.expression
    if isinstance(node, cst.Call):
        named = node.func.attr.value if isinstance(node.func, cst.Attribute) else (
            node.func.value if isinstance(node.func, cst.Name) else "")
        return bool(_ADMIN.search(named)) and (
            isinstance(node.func, cst.Attribute) and _of_caller(node.func.value, is_local)
            or any(_of_caller(arg.value, is_local) for arg in node.args))
    return isinstance(node, cst.Attribute) and bool(_ADMIN.search(node.attr.value)) and _of_caller(node, is_local)


def _admin_word(node: cst.BaseExpression) -> bool:
    """`"admin"`, `Role.ADMIN`, `UserRole.SUPERUSER`."""
    text = string_value(node) if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)) else (
        node.attr.value if isinstance(node, cst.Attribute) else None)
    return bool(text) and bool(_ADMIN.search(text))


def _of_caller(node: cst.BaseExpression, is_local: Callable[[str], bool]) -> bool:
    """A value read from a local of the function (`user.role`, `auth.user.roles`), not from `self`."""
    while isinstance(node, (cst.Attribute, cst.Subscript)):
        node = node.value
    return isinstance(node, cst.Name) and node.value not in ("self", "cls") and is_local(node.value)


def calls_before_admin_gate(body: Sequence[cst.BaseStatement],
                            is_local: Callable[[str], bool]) -> frozenset[str] | None:
    """The names called (`export` for `self.service.export(...)`) before the first administrator
    gate of a function's own block, which run for any caller; None when the block has no gate."""
    gate = next((index for index, statement in enumerate(body) if admin_gate(statement, is_local)), None)
    if gate is None:
        return None
    called: set[str] = set()
    for statement in body[:gate]:
        for call in calls_in(statement):
            func = call.func
            if isinstance(func, (cst.Name, cst.Attribute)):
                called.add(func.value if isinstance(func, cst.Name) else func.attr.value)
    return frozenset(called)
