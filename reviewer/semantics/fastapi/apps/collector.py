"""`AppFacts`: the per-file walk that records, as plain `AppModuleFacts` in the module summary,
the applications a module creates, the middleware it registers, the applications it hands to
functions, the security headers and throttling evidence of each function and class, slowapi
limiters, fastapi-users routers included and the credential-like fields of classes (see the
package docstring). Its repository answer is the `RateLimitModel` (an `AppModel`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, ClassVar

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.semantics.fastapi.apps.rate_limits import RateLimitModel
from reviewer.semantics.fastapi.apps.records import (
    ALL_HEADERS,
    CSP,
    FACTS_KEY,
    HEADER_PACKAGES,
    SECURITY_HEADERS,
    THROTTLE_NAME,
    AppDecl,
    AppModuleFacts,
    MiddlewareUse,
)
from reviewer.semantics.fastapi.collector import FastAPIFacts
from reviewer.semantics.fastapi.records import APPLICATION_CLASSES
from reviewer.semantics.names import dotted_name
from reviewer.syntax import argument, keyword, string_value

if TYPE_CHECKING:
    from reviewer.facts import RepositoryView
    from reviewer.rule import FileContext

MIDDLEWARE_WRAPPERS = frozenset({"starlette.middleware.Middleware", "fastapi.middleware.Middleware"})
_HEADER_BY_LOWER = {name.lower(): name for name in SECURITY_HEADERS}
_HEADER_BY_LOWER["content-security-policy-report-only"] = CSP
SLOWAPI_LIMITERS = frozenset({"slowapi.Limiter", "slowapi.extension.Limiter"})
# fastapi-users routers whose routes take credentials or send a reset link (not in the repository).
FASTAPI_USERS_ROUTERS = {
    "get_auth_router": "login",
    "get_register_router": "sign-up",
    "get_reset_password_router": "password reset",
}
HTML_NAMES = ("Jinja2Templates", "HTMLResponse", "StaticFiles", "TemplateResponse")
_RECORDED_FIELD = re.compile(r"password|passwd|passphrase|otp|totp|mfa|email|code$")
_RELEVANT_WORDS = (
    "fastapi", "starlette", "middleware", "slowapi", "limit", "throttl", "429", "too_many", "password", "email",
    "otp", "strict-transport", "content-security", "x-content-type", "x-frame-options",
)
# Evidence the walk reads off atoms (names, strings, numbers), which are a third of all nodes: it
# visits them only in a file whose text can hold that evidence.
_NAMES_WORDS = ("headers", "ratelimit", "rate_limit", "throttl", "toomany", "too_many", "limiter", "slowapi")
_HEADERS_WORDS = ("strict-transport", "content-security", "x-content-type", "x-frame-options")


class AppFacts(Facts):
    """Per file: applications, middleware and what they set (`AppModuleFacts`); over the
    repository, the `RateLimitModel` (an `AppModel`)."""

    requires: ClassVar[tuple[type[Facts], ...]] = (FastAPIFacts,)

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self.found = AppModuleFacts(module=context.module, path=context.path)
        self._active = not context.is_test_file and context.mentions(_RELEVANT_WORDS)
        if self._active:
            context.summary.extras[FACTS_KEY] = self.found
            aliases = context.resolver.table.aliases.values()
            self.found.html = any(name.rpartition(".")[2] in HTML_NAMES for name in aliases)
            self._uses_fastapi_users = any(name.startswith("fastapi_users") for name in aliases)
            # A call is named through the imports only where the name can matter: in a file that
            # imports a header package or the `Middleware` wrapper by name.
            self._names_calls = any(f"{name}.".startswith(HEADER_PACKAGES) or name in MIDDLEWARE_WRAPPERS
                                    for name in aliases)
        self._scope: list[str] = []
        self._kinds: list[str] = []  # per scope entry: class or function
        self._locals: list[dict[str, str]] = []  # per function: local name -> owner key
        self._headers: list[set[str]] = []  # per scope entry
        self._reads: list[set[str]] = []  # per function: module constants read
        self._module_target: str | None = None  # the module-level binding being walked

    def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], None]]:
        if not self._active:
            return {}
        visitors = dict(super().get_visitors())
        if not self.context.mentions(_NAMES_WORDS):
            del visitors["visit_Name"], visitors["visit_Attribute"]
        if not self.context.mentions(_HEADERS_WORDS):
            del visitors["visit_SimpleString"]
        if "429" not in self.context.source:
            del visitors["visit_Integer"]
        return visitors

    @classmethod
    def repository(cls, repo: RepositoryView) -> RateLimitModel:
        model = RateLimitModel(repo)
        model.index.annotate("rate_limit", model.rate_limit)
        return model

    # scopes -----------------------------------------------------------------------------------

    def _qualname(self, name: str) -> str:
        return ".".join(p for p in (self.context.module, *self._scope, name) if p)

    def _function(self) -> str | None:
        for depth in range(len(self._kinds) - 1, -1, -1):
            if self._kinds[depth] == "function":
                return ".".join(p for p in (self.context.module, *self._scope[: depth + 1]) if p)
        return None

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._scope.append(node.name.value)
        self._kinds.append("class")
        self._headers.append(set())
        if isinstance(node.body, cst.IndentedBlock):
            fields = []
            for statement in node.body.body:
                if isinstance(statement, cst.SimpleStatementLine):
                    for small in statement.body:
                        if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                            name = small.target.value.lower()
                            if _RECORDED_FIELD.search(name):
                                fields.append(name)
            if fields:
                self.found.fields[".".join(p for p in (self.context.module, *self._scope) if p)] = tuple(fields)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._leave_scope()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        qualname = self._qualname(node.name.value)
        for decorator in node.decorators:
            call = decorator.decorator
            if (
                isinstance(call, cst.Call)
                and isinstance(call.func, cst.Attribute)
                and call.func.attr.value == "middleware"
                and _first_string(call) == "http"
            ):
                self._use(self._owner(call.func.value), "function", qualname)
        self._scope.append(node.name.value)
        self._kinds.append("function")
        self._headers.append(set())
        self._reads.append(set())
        params = [*node.params.posonly_params, *node.params.params, *node.params.kwonly_params]
        self._locals.append({param.name.value: f"param:{qualname}:{position}" for position, param in enumerate(params)})

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        qualname = ".".join(p for p in (self.context.module, *self._scope) if p)
        reads = self._reads.pop()
        if reads:
            self.found.constant_reads[qualname] = tuple(sorted(reads))
        self._locals.pop()
        self._leave_scope()

    def _leave_scope(self) -> None:
        qualname = ".".join(p for p in (self.context.module, *self._scope) if p)
        headers = self._headers.pop()
        if headers:
            self.found.headers[qualname] = frozenset(headers)
            if self._headers:
                self._headers[-1] |= headers  # a class's headers are its methods'
        if qualname in self.found.throttles and len(self._scope) > 1:
            self.found.throttles.add(".".join(p for p in (self.context.module, *self._scope[:-1]) if p))
        self._scope.pop()
        self._kinds.pop()

    # names ------------------------------------------------------------------------------------

    def _owner(self, node: cst.BaseExpression) -> str | None:
        """The key of what an expression holds: a local of the function, one of its parameters,
        or a module-level name."""
        if isinstance(node, cst.Name) and self._locals and node.value in self._locals[-1]:
            return self._locals[-1][node.value]
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
            return None
        return self.context.qualify(node) or dotted_name(node)

    def _use(self, owner: str | None, kind: str, target: str | None) -> None:
        if target:
            self.found.middleware.append(MiddlewareUse(owner, kind, target, self.context.path))

    # bindings ---------------------------------------------------------------------------------

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) == 1:
            self._bind(node.targets[0].target, node.value)

    def leave_Assign(self, original_node: cst.Assign) -> None:
        self._module_target = None

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind(node.target, node.value)

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        self._module_target = None

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if not isinstance(target, cst.Name):
            return
        name = target.value
        if not self._scope:
            self._module_target = self._qualname(name)
        if not isinstance(value, cst.Call):
            return
        function = self._function()
        key = f"{function}.<locals>.{name}" if function else self._qualname(name)
        if function and self._kinds[-1] == "function":
            self._locals[-1][name] = key
        elif self._scope:
            return  # a class attribute
        callee = self.context.qualify(value.func) or dotted_name(value.func) or ""
        if _makes_application(callee):
            self._app(key, callee, value)
        elif callee in SLOWAPI_LIMITERS:
            limits = keyword(value, "default_limits") or keyword(value, "application_limits")
            empty = limits is not None and isinstance(limits.value, (cst.List, cst.Tuple)) and not limits.value.elements
            self.found.limiters[key] = limits is not None and not empty
        elif callee.startswith(HEADER_PACKAGES) and not self._scope:
            self.found.constants[key] = ALL_HEADERS
        elif callee:
            self.found.made_by[key] = callee
            first = argument(value, 0, "app")
            if first is not None and callee.rpartition(".")[2].endswith("Middleware"):
                self._use(self._owner(first.value), "class", callee)  # `app = Cls(app)`

    def _app(self, key: str, callee: str, call: cst.Call) -> None:
        classes = []
        listed = keyword(call, "middleware")
        if listed is not None and isinstance(listed.value, (cst.List, cst.Tuple)):
            for element in listed.value.elements:
                value = element.value
                if isinstance(value, cst.Call) and value.args:
                    cls = self.context.qualify(value.args[0].value) or dotted_name(value.args[0].value)
                    if cls:
                        classes.append(cls)
        statement = self.context.current_statement()
        self.found.apps.append(
            AppDecl(
                key=key,
                factory=callee,
                path=self.context.path,
                span=self.context.span(call),
                statement_lines=self.context.statement_lines(statement) if statement is not None else None,
                middleware=tuple(classes),
            )
        )

    def visit_Return(self, node: cst.Return) -> None:
        function = self._function()
        if function and isinstance(node.value, cst.Name) and self._locals:
            key = self._locals[-1].get(node.value.value)
            if key and not key.startswith("param:"):
                self.found.returns[function] = key

    # calls ------------------------------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        method = func.attr.value if isinstance(func, cst.Attribute) else None
        if method == "add_middleware" and node.args:
            assert isinstance(func, cst.Attribute)
            first = node.args[0].value
            self._use(self._owner(func.value), "class", self.context.qualify(first) or dotted_name(first))
        elif method == "include_router" and node.args:
            self._include(node)
        elif isinstance(func, cst.Call) and isinstance(func.func, cst.Attribute):
            # `app.middleware("http")(add_headers)`
            if func.func.attr.value == "middleware" and node.args and _first_string(func) == "http":
                target = node.args[0].value
                self._use(self._owner(func.func.value), "function", self.context.qualify(target) or dotted_name(target))
        elif method == "Middleware" or self._names_calls:
            callee = self.context.qualify(func) or ""
            if callee in MIDDLEWARE_WRAPPERS and node.args and not self._in_app_call():
                first = node.args[0].value
                self._use(None, "class", self.context.qualify(first) or dotted_name(first))
            elif callee.startswith(HEADER_PACKAGES):
                self._headers_found(ALL_HEADERS)
        self._handoffs(node)

    def _in_app_call(self) -> bool:
        """Whether the walk is in a statement that creates an application (its `middleware=`
        list is read with it)."""
        statement = self.context.current_statement()
        if not isinstance(statement, cst.SimpleStatementLine):
            return False
        for small in statement.body:
            value = getattr(small, "value", None)
            if isinstance(value, cst.Call):
                if _makes_application(self.context.qualify(value.func) or dotted_name(value.func) or ""):
                    return True
        return False

    def _include(self, node: cst.Call) -> None:
        assert isinstance(node.func, cst.Attribute)
        child = node.args[0].value
        if not (isinstance(child, cst.Call) and isinstance(child.func, cst.Attribute)):
            return
        kind = FASTAPI_USERS_ROUTERS.get(child.func.attr.value)
        if kind is None or not self._uses_fastapi_users:
            return
        statement = self.context.current_statement()
        self.found.fastapi_users.append(
            (
                self._owner(node.func.value),
                kind,
                self.context.span(node),
                self.context.statement_lines(statement) if statement is not None else None,
            )
        )

    def _handoffs(self, node: cst.Call) -> None:
        """An application (or a parameter that may hold one) handed to a function."""
        if not self._locals and not self.found.apps:
            return
        callee = None
        for position, arg in enumerate(node.args):
            if arg.keyword is not None or arg.star or type(arg.value) is not cst.Name:
                continue
            if not self.found.apps and not (self._locals and arg.value.value in self._locals[-1]):
                continue  # a module-level name that holds no application of this file
            owner = self._owner(arg.value)
            if owner is None or not (owner.startswith("param:") or ".<locals>." in owner or self._is_app(owner)):
                continue
            callee = callee or self.context.qualify(node.func) or dotted_name(node.func)
            if callee:
                self.found.handoffs.append((callee, position, owner))

    def _is_app(self, owner: str) -> bool:
        return any(app.key == owner for app in self.found.apps)

    # evidence ---------------------------------------------------------------------------------

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if len(node.value) > 45 or "-" not in node.value:
            return
        value = string_value(node)
        header = _HEADER_BY_LOWER.get(value.strip().lower()) if value else None
        if header is not None:
            self._headers_found(frozenset({header}))

    def _headers_found(self, headers: frozenset[str]) -> None:
        if self._headers:
            self._headers[-1] |= headers
        elif self._module_target is not None:
            known = self.found.constants.get(self._module_target, frozenset())
            self.found.constants[self._module_target] = known | headers

    def visit_Integer(self, node: cst.Integer) -> None:
        if node.value == "429":
            self._throttles()

    def visit_Name(self, node: cst.Name) -> None:
        value = node.value
        constant = value.isupper() and len(value) > 2
        if self._reads and (constant or f"{self.context.module}.{value}" in self.found.constants):
            qualified = self.context.qualify(node)
            if qualified:
                self._reads[-1].add(qualified)
        if _throttle_name(value):
            self._throttles()

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if _throttle_name(node.attr.value):
            self._throttles()

    def _throttles(self) -> None:
        if self._kinds:
            self.found.throttles.add(".".join(p for p in (self.context.module, *self._scope) if p))


@functools.lru_cache(maxsize=8192)
def _makes_application(callee: str) -> bool:
    """A call of an application class, qualified or spelled `FastAPI`/`Starlette` (an import the
    resolver cannot follow)."""
    return callee in APPLICATION_CLASSES or callee.rpartition(".")[2] in ("FastAPI", "Starlette")


def _throttle_name(name: str) -> bool:
    """Whether a name says it limits request rates (asked once per name: code repeats its names)."""
    return bool(THROTTLE_NAME.search(name))


def _first_string(call: cst.Call) -> str | None:
    first = argument(call, 0, "middleware_type")
    return string_value(first.value) if first is not None else None
