"""The application level of the FastAPI model: which applications a repository creates, which of
them are served rather than only mounted in another, the middleware stack of each, what that
stack sets on responses (security headers) and whether something limits the rate of requests.

Per file, `AppFacts` records (in the module summary, as plain `AppModuleFacts`):

- applications created (`app = FastAPI(...)`, `Starlette(...)`, a subclass) with where the call
  is, and the classes of its `middleware=[Middleware(...)]`;
- middleware registered on an owner (`app.add_middleware(Cls)`, `@app.middleware("http")`,
  `app.middleware("http")(fn)`, `app = Cls(app)`), `Middleware(Cls)` made elsewhere (owner
  unknown), and applications handed to functions (`setup_middleware(app)`), so that a
  registration on a parameter reaches the applications passed to it;
- per function and class: the security headers named in its string literals (also through
  module constants it reads, and `secure`-style header packages it uses), and evidence that it
  throttles (status 429, `HTTP_429_TOO_MANY_REQUESTS`, a rate-limit exception or limiter);
- slowapi `Limiter(...)` instances (with or without `default_limits`), fastapi-users routers
  included (`include_router(fastapi_users.get_auth_router(...))`), and the credential-like fields
  of classes (`password`, `otp`, `email`), for telling authentication endpoints by evidence.

Over the repository, `AppModel` answers: `apps` (each `App` with its key, where it is created,
whether it is mounted in another and which applications mount it), `middleware_of(app)`,
`security_headers(app)` (the headers its own or an enclosing application's stack sets),
`serves_html(app)`, `served_routers()`, and for endpoints `rate_limit(endpoint)`: the limiter
guarding it (`"slowapi @limiter.limit"`, `"RateLimiter dependency"`, a middleware's or
dependency's name), or None. It is rule-agnostic: the security-headers and rate-limiting rules
read it, and so may the auth rules (the middleware stack).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.model import Span
from reviewer.semantics.fastapi.collector import FastAPIFacts
from reviewer.semantics.fastapi.records import FACTS_KEY as ENDPOINTS_KEY
from reviewer.semantics.fastapi.records import ModuleFacts
from reviewer.semantics.names import dotted_name
from reviewer.syntax import argument, keyword, string_value

if TYPE_CHECKING:
    from reviewer.facts import RepositoryView
    from reviewer.rule import FileContext
    from reviewer.semantics.fastapi.index import Endpoint, EndpointIndex

FACTS_KEY = "apps"
APP_CLASSES = frozenset({"fastapi.FastAPI", "fastapi.applications.FastAPI", "starlette.applications.Starlette"})
MIDDLEWARE_WRAPPERS = frozenset({"starlette.middleware.Middleware", "fastapi.middleware.Middleware"})
HSTS = "Strict-Transport-Security"
CSP = "Content-Security-Policy"
XCTO = "X-Content-Type-Options"
XFO = "X-Frame-Options"
SECURITY_HEADERS = (HSTS, CSP, XCTO, XFO)
_HEADER_BY_LOWER = {name.lower(): name for name in SECURITY_HEADERS}
_HEADER_BY_LOWER["content-security-policy-report-only"] = CSP
ALL_HEADERS = frozenset(SECURITY_HEADERS)
# Packages that set security headers for an application (`secure.Secure().framework.fastapi(...)`).
HEADER_PACKAGES = ("secure.", "fastapi_security_headers.", "starlette_securityheaders.", "fastapi_security_middleware.")
# A third-party middleware class whose name says it sets security headers.
_HEADER_MIDDLEWARE_NAME = re.compile(r"secur(e|ity).*header|header.*secur|helmet|secureheaders", re.IGNORECASE)
# A name that says it limits request rates (a limiter, a throttle, a rate-limit exception).
_THROTTLE_NAME = re.compile(r"rate_?limit|throttl|too_?many_?requests|limiter\b|limiter$|slowapi", re.IGNORECASE)
SLOWAPI_LIMITERS = frozenset({"slowapi.Limiter", "slowapi.extension.Limiter"})
SLOWAPI_MIDDLEWARE = frozenset(
    {
        "slowapi.middleware.SlowAPIMiddleware",
        "slowapi.middleware.SlowAPIASGIMiddleware",
        "slowapi.SlowAPIMiddleware",
    }
)
# fastapi-users routers whose routes take credentials or send a reset link (not in the repository).
FASTAPI_USERS_ROUTERS = {
    "get_auth_router": "login",
    "get_register_router": "sign-up",
    "get_reset_password_router": "password reset",
}
HTML_NAMES = ("Jinja2Templates", "HTMLResponse", "StaticFiles", "TemplateResponse")
# Fields of a request model that carry a credential, or the address a link is sent to.
_CREDENTIAL_FIELD = re.compile(r"^(?:password|passwd|passphrase|otp|totp|mfa_code|otp_code|totp_code|one_time_code)$")
_EMAIL_FIELD = re.compile(r"^(?:email|email_address)$")
_RECORDED_FIELD = re.compile(r"password|passwd|passphrase|otp|totp|mfa|email|code$")
_RELEVANT_WORDS = (
    "fastapi", "starlette", "middleware", "slowapi", "limit", "throttl", "429", "too_many", "password", "email",
    "otp", "strict-transport", "content-security", "x-content-type", "x-frame-options",
)
# Evidence the walk reads off atoms (names, strings, numbers), which are a third of all nodes: it
# visits them only in a file whose text can hold that evidence.
_NAMES_WORDS = ("headers", "ratelimit", "rate_limit", "throttl", "toomany", "too_many", "limiter", "slowapi")
_HEADERS_WORDS = ("strict-transport", "content-security", "x-content-type", "x-frame-options")
UNKNOWN_APP = "?"  # an application the model cannot name, in `served_routers`
_UNSET = object()  # a memo not filled yet
MAX_HOPS = 2  # calls followed from a middleware or endpoint for headers set, throttling or effects


@dataclass(frozen=True)
class AppDecl:
    key: str  # the variable holding it (`pkg.main.app`, `pkg.main.create_app.<locals>.app`)
    factory: str
    path: str
    span: Span
    statement_lines: tuple[int, int] | None
    middleware: tuple[str, ...] = ()  # classes of `middleware=[Middleware(Cls), ...]`


@dataclass(frozen=True)
class MiddlewareUse:
    owner: str | None  # the application (or a parameter `param:<function>:<position>`), None: unknown
    kind: str  # class, function
    target: str  # qualified class or function
    path: str


@dataclass
class AppModuleFacts:
    module: str
    path: str
    apps: list[AppDecl] = field(default_factory=list)
    middleware: list[MiddlewareUse] = field(default_factory=list)
    # (callee, position, owner): an application handed to a function (`setup(app)`).
    handoffs: list[tuple[str, int, str]] = field(default_factory=list)
    returns: dict[str, str] = field(default_factory=dict)  # function -> the application it returns
    made_by: dict[str, str] = field(default_factory=dict)  # `app = create_app()`: key -> callee
    headers: dict[str, frozenset[str]] = field(default_factory=dict)  # function or class -> headers named
    constants: dict[str, frozenset[str]] = field(default_factory=dict)  # module constant -> headers in it
    constant_reads: dict[str, tuple[str, ...]] = field(default_factory=dict)  # function -> constants it reads
    throttles: set[str] = field(default_factory=set)  # functions or classes with evidence of throttling
    limiters: dict[str, bool] = field(default_factory=dict)  # slowapi Limiter -> has default limits
    fastapi_users: list[tuple[str | None, str, Span, tuple[int, int] | None]] = field(default_factory=list)
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)  # class -> credential-like fields
    html: bool = False  # renders templates or HTML responses, or serves static files


class AppFacts(Facts):
    """Per file: applications, middleware and what they set (`AppModuleFacts`); over the
    repository, the `AppModel`."""

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
    def repository(cls, repo: RepositoryView) -> AppModel:
        model = AppModel(repo)
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
        if callee in APP_CLASSES or callee.rpartition(".")[2] in ("FastAPI", "Starlette"):
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
        else:
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
                callee = self.context.qualify(value.func) or dotted_name(value.func) or ""
                if callee in APP_CLASSES or callee.rpartition(".")[2] in ("FastAPI", "Starlette"):
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
            if arg.keyword is not None or arg.star or not isinstance(arg.value, cst.Name):
                continue
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
        if _THROTTLE_NAME.search(value):
            self._throttles()

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if _THROTTLE_NAME.search(node.attr.value):
            self._throttles()

    def _throttles(self) -> None:
        if self._kinds:
            self.found.throttles.add(".".join(p for p in (self.context.module, *self._scope) if p))


def _first_string(call: cst.Call) -> str | None:
    first = argument(call, 0, "middleware_type")
    return string_value(first.value) if first is not None else None


@dataclass(frozen=True)
class App:
    decl: AppDecl
    mounted_in: tuple[str, ...]  # applications it is mounted in (`parent.mount(path, app)`)
    mounted_unknown: bool  # mounted under something the model does not resolve


class AppModel:
    """The applications of the repository, their middleware, and what guards their endpoints."""

    def __init__(self, repo: RepositoryView) -> None:
        self.index: EndpointIndex = repo.facts(FastAPIFacts)
        self._modules = repo.index
        self._facts: list[AppModuleFacts] = [
            s.extras[FACTS_KEY] for s in repo.summaries if FACTS_KEY in s.extras and not s.is_test_file
        ]
        self._endpoint_facts: list[ModuleFacts] = [
            s.extras[ENDPOINTS_KEY] for s in repo.summaries if ENDPOINTS_KEY in s.extras and not s.is_test_file
        ]
        self._functions = {q: f for s in repo.summaries if not s.is_test_file for q, f in s.functions.items()}
        self._classes = {q: b for s in repo.summaries if not s.is_test_file for q, b in s.classes.items()}
        self.headers: dict[str, frozenset[str]] = {}
        self.throttles: set[str] = set()
        self._throttles_memo: dict[str, bool] = {}
        self._routes: list[tuple[str | None, str | None]] | None = None
        self._owners: dict[str | None, list[str | None]] | None = None
        self._members_of: dict[str, list[str]] | None = None
        self._throttling_middleware: object = _UNSET
        self._returns: dict[str, str] = {}
        self._made_by: dict[str, str] = {}
        self._constants: dict[str, frozenset[str]] = {}
        self.limiters: dict[str, bool] = {}
        self.fields: dict[str, tuple[str, ...]] = {}
        self.html_modules: set[str] = set()
        handoffs: list[tuple[str, int, str]] = []
        decls: list[AppDecl] = []
        self.middleware: list[MiddlewareUse] = []
        for facts in self._facts:
            decls.extend(facts.apps)
            self.middleware.extend(facts.middleware)
            handoffs.extend(facts.handoffs)
            self._returns.update(facts.returns)
            self._made_by.update(facts.made_by)
            self._constants.update(facts.constants)
            self.headers.update(facts.headers)
            self.throttles |= facts.throttles
            self.limiters.update(facts.limiters)
            self.fields.update(facts.fields)
            if facts.html:
                self.html_modules.add(facts.path)
        for facts in self._facts:
            for function, reads in facts.constant_reads.items():
                found = frozenset().union(*(self._constants.get(self._canonical(name), frozenset()) for name in reads))
                if found:
                    self.headers[function] = self.headers.get(function, frozenset()) | found
        self._handoffs: dict[str, list[tuple[int, str]]] = {}
        for callee, position, owner in handoffs:
            self._handoffs.setdefault(self._canonical(callee), []).append((position, owner))
        self._decls = {decl.key: decl for decl in decls if self._is_app_class(decl.factory)}
        self._owners_memo: dict[str, frozenset[str]] = {}
        self._served: dict[str, set[str]] | None = None
        self.apps = self._find_apps()

    # names ------------------------------------------------------------------------------------

    def _canonical(self, name: str) -> str:
        resolved = self.index.resolve(name) or name
        return self._modules.canonical(resolved) if resolved == name else resolved

    def _is_app_class(self, name: str, depth: int = 0) -> bool:
        if name in APP_CLASSES:
            return True
        resolved = self._canonical(name)
        if resolved in APP_CLASSES:
            return True
        if depth > 8 or resolved not in self._classes:
            return False
        return any(self._is_app_class(base, depth + 1) for base in self._classes[resolved])

    def apps_of(self, owner: str | None, depth: int = 0) -> frozenset[str]:
        """The applications a name may hold: an application itself, one a factory returns
        (`app = create_app()`), or the applications handed to a function's parameter."""
        if owner is None or depth > 8:
            return frozenset()
        if depth == 0 and owner in self._owners_memo:
            return self._owners_memo[owner]
        found: set[str] = set()
        if owner.startswith("param:"):
            function, _, position = owner[len("param:"):].rpartition(":")
            for at, passed in self._handoffs.get(function, ()):
                if str(at) == position or self._is_method_shift(function, at, position):
                    found |= self.apps_of(passed, depth + 1)
        else:
            resolved = self._canonical(owner)
            for key in (owner, resolved):
                if key in self._decls:
                    found.add(key)
                made = self._made_by.get(key)
                if made is not None:
                    returned = self._returns.get(self._canonical(made))
                    if returned is not None:
                        found |= self.apps_of(returned, depth + 1)
        result = frozenset(found)
        if depth == 0:
            self._owners_memo[owner] = result
        return result

    def _is_method_shift(self, function: str, at: int, position: str) -> bool:
        """`self.setup(app)`: the argument at 0 fills the parameter after `self`."""
        summary = self._functions.get(function)
        if summary is None or not position.isdigit():
            return False
        is_method = function.rpartition(".")[0] in self._classes
        return is_method and int(position) == at + 1

    # applications -----------------------------------------------------------------------------

    def _find_apps(self) -> dict[str, App]:
        mounted: dict[str, set[str]] = {}
        unknown: set[str] = set()
        for facts in self._endpoint_facts:
            for inclusion in facts.inclusions:
                if not inclusion.mounts_app or inclusion.child is None:
                    continue
                children = self._app_keys(inclusion.child, inclusion.child_is_call)
                parents = self._app_keys(inclusion.parent, False)
                for child in children:
                    if parents:
                        mounted.setdefault(child, set()).update(parents)
                    else:
                        unknown.add(child)
        return {
            key: App(decl, tuple(sorted(mounted.get(key, ()))), key in unknown)
            for key, decl in sorted(self._decls.items())
        }

    def _app_keys(self, name: str | None, is_call: bool) -> frozenset[str]:
        if name is None:
            return frozenset()
        if is_call:
            returned = self._returns.get(self._canonical(name))
            return self.apps_of(returned) if returned else frozenset()
        return self.apps_of(name)

    def roots(self) -> list[App]:
        """Applications that are not mounted in another: those a server runs."""
        return [app for app in self.apps.values() if not app.mounted_in and not app.mounted_unknown]

    def descendants(self, key: str) -> list[str]:
        """The applications mounted in `key`, directly or below."""
        found: list[str] = []
        pending = [key]
        while pending:
            current = pending.pop()
            for app in self.apps.values():
                if current in app.mounted_in and app.decl.key not in found and app.decl.key != key:
                    found.append(app.decl.key)
                    pending.append(app.decl.key)
        return found

    def middleware_of(self, key: str) -> list[MiddlewareUse]:
        """The middleware registered on the application `key` (in the order registered, those of
        its `middleware=` list first), and those whose application the model cannot tell."""
        decl = self._decls[key]
        uses = [MiddlewareUse(key, "class", cls, decl.path) for cls in decl.middleware]
        for use in self.middleware:
            if use.owner is None or key in self.apps_of(use.owner):
                uses.append(use)
        return uses

    def attributed_middleware(self, key: str) -> list[MiddlewareUse]:
        """The middleware registered on the application `key` that the model attributes to it."""
        return [use for use in self.middleware_of(key) if use.owner is not None]

    def unattributed_middleware(self) -> list[MiddlewareUse]:
        """Middleware registered on something the model resolves to no application."""
        return [use for use in self.middleware if use.owner is None or not self.apps_of(use.owner)]

    # what middleware does -----------------------------------------------------------------------

    def headers_set_by(self, use: MiddlewareUse) -> frozenset[str]:
        """The security headers a middleware sets: named in its body (or the helpers it calls, or
        module constants it reads), or all of them for a header package's middleware."""
        target = self._canonical(use.target)
        if target.startswith(HEADER_PACKAGES):
            return ALL_HEADERS
        if target not in self.headers and target not in self._functions and target not in self._classes:
            name = target.rpartition(".")[2]
            return ALL_HEADERS if _HEADER_MIDDLEWARE_NAME.search(name) else frozenset()
        return self._reached(target, lambda name: self.headers.get(name, frozenset()))

    def throttles_by(self, use: MiddlewareUse) -> bool:
        target = self._canonical(use.target)
        if target not in self._throttles_memo:
            self._throttles_memo[target] = self._middleware_throttles(target)
        return self._throttles_memo[target]

    def _middleware_throttles(self, target: str) -> bool:
        if target in SLOWAPI_MIDDLEWARE:
            return any(self.limiters.values())
        if target not in self._functions and target not in self._classes:
            return bool(_THROTTLE_NAME.search(target.rpartition(".")[2]))
        return bool(self._reached(target, lambda name: frozenset({"429"}) if name in self.throttles else frozenset()))

    def _reached(self, target: str, evidence: Callable[[str], frozenset[str]]) -> frozenset[str]:
        """Evidence in a function or class (its methods), and in the repository functions it
        calls, up to `MAX_HOPS` calls away."""
        found: set[str] = set(evidence(target))
        frontier = [target, *self._members(target)]
        seen = set(frontier)
        for _ in range(MAX_HOPS):
            following = []
            for name in frontier:
                found |= evidence(name)
                summary = self._functions.get(name)
                for call in summary.calls if summary is not None else ():
                    if call.target is None:
                        continue
                    callee = self._canonical(call.target)
                    if callee not in seen:
                        seen.add(callee)
                        following.append(callee)
            frontier = following
        for name in frontier:
            found |= evidence(name)
        return frozenset(found)

    def _members(self, owner: str) -> list[str]:
        """The functions defined in `owner` (a class's methods, and what they define), from an
        index of every qualified name's prefixes made once."""
        if self._members_of is None:
            self._members_of = {}
            for name in self._functions:
                parts = name.split(".")
                for end in range(1, len(parts)):
                    self._members_of.setdefault(".".join(parts[:end]), []).append(name)
        return self._members_of.get(owner, [])

    def security_headers(self, key: str, depth: int = 0) -> frozenset[str]:
        """The security headers set on the responses of application `key`: by its own
        middleware, or by an application it is mounted in."""
        found: set[str] = set()
        for use in self.middleware_of(key):
            found |= self.headers_set_by(use)
        if depth < 8:
            for parent in self.apps[key].mounted_in if key in self.apps else ():
                found |= self.security_headers(parent, depth + 1)
        return frozenset(found)

    def throttling_middleware(self) -> str | None:
        """A middleware, registered anywhere, that limits request rates (a conservative answer
        for every endpoint: which application it wraps is not always known); found once."""
        if self._throttling_middleware is _UNSET:
            self._throttling_middleware = next(
                (use.target.rpartition(".")[2] for use in self.middleware if self.throttles_by(use)), None
            )
        return self._throttling_middleware  # type: ignore[return-value]

    # what an application serves -----------------------------------------------------------------

    def served_routers(self) -> dict[str, set[str]]:
        """Router key -> the applications (keys) that serve its routes, through `include_router`
        and `mount` chains (routers a factory builds are found by the factory's call)."""
        if self._served is None:
            self._served = self._serve()
        return self._served

    def serves_anything(self, key: str) -> bool:
        """Whether the application has a route, or mounts something, through its router tree."""
        served = self.served_routers()
        if any(
            key in self.apps_of(owner)
            for callee, owners in self._handoffs.items()
            if callee in self._functions
            for _, owner in owners
        ):
            return True  # handed to a function of the repository that sets it up
        return any(
            key in served.get(self.index.resolve(route.owner) or route.owner, ())
            for facts in self._endpoint_facts
            for route in facts.routes
            if route.owner is not None
        ) or any(
            inclusion.mounts_app and key in served.get(self.index.resolve(inclusion.parent) or "", ())
            for facts in self._endpoint_facts
            for inclusion in facts.inclusions
        )

    def own_routes(self, key: str) -> int:
        """How many routes the application serves itself, outside the applications it mounts."""
        served = self.served_routers()
        mounted = set(self.descendants(key))
        return sum(
            1
            for facts in self._endpoint_facts
            for route in facts.routes
            if route.owner is not None
            and key in (apps := served.get(self.index.resolve(route.owner) or route.owner, set()))
            and not (apps & mounted)
        )

    def _serve(self) -> dict[str, set[str]]:
        children: dict[str, list[tuple[str, bool]]] = {}
        for facts in self._endpoint_facts:
            for inclusion in facts.inclusions:
                parent = self.index.resolve(inclusion.parent)
                if inclusion.child is not None:
                    known = parent is not None and (self.index.router(parent) is not None or parent in self.apps)
                    # Included on something the model does not resolve (a function's parameter
                    # that an application is handed to): served by an application it cannot name.
                    into = parent if known and parent is not None else UNKNOWN_APP
                    children.setdefault(into, []).append((inclusion.child, inclusion.child_is_call))
        routers = {router.key for facts in self._endpoint_facts for router in facts.routers}
        served: dict[str, set[str]] = {}
        for app in [*self.apps, UNKNOWN_APP]:
            pending = [app]
            seen: set[str] = set()
            while pending:
                current = pending.pop()
                if current in seen:
                    continue
                seen.add(current)
                served.setdefault(current, set()).add(app)
                for child, is_call in children.get(current, ()):
                    if is_call:
                        factory = self.index.resolve(child) or child
                        pending.extend(key for key in routers if key.startswith(f"{factory}.<locals>."))
                    else:
                        pending.append(self.index.resolve(child) or child)
        return served

    def serves_html(self, key: str) -> bool:
        """Whether the application renders templates or HTML responses, or serves static files,
        in the modules of its own routes or where it is created."""
        if self._decls[key].path in self.html_modules:
            return True
        served = self.served_routers()
        # Mounted applications that set headers of their own answer for their own routes.
        covered = {child for child in self.descendants(key) if self.security_headers(child)}
        files = {
            facts.path
            for facts in self._endpoint_facts
            for route in facts.routes
            if key in (apps := served.get(self.index.resolve(route.owner) or "", set())) and not apps & covered
        }
        return bool(files & self.html_modules)

    # endpoints ---------------------------------------------------------------------------------

    def rate_limit(self, endpoint: Endpoint) -> str | None:
        """What limits the rate of requests to `endpoint`, named for a report (`slowapi
        @limiter.limit`, `RateLimiter dependency`, `throttle_login`, `RateLimitMiddleware`), or
        None when the code shows nothing (a proxy or gateway may still limit it)."""
        function = endpoint.function
        for decorator in function.decorators:
            head, _, last = decorator.rpartition(".")
            limiter = self._canonical(head) in self.limiters or "limit" in head.lower()
            if last in ("limit", "shared_limit") and limiter:
                return f"{decorator.rsplit('.', 2)[-2] if head else ''}.{last}".lstrip(".")
            if _THROTTLE_NAME.search(last):
                return last
        names = [*endpoint.dependencies]
        for param in function.params:
            _, marker = self.index.markers_of(param)
            if marker is not None and marker.dependency:
                names.append(marker.dependency)
        for name in names:
            short = name.rstrip("()").rpartition(".")[2]
            if _THROTTLE_NAME.search(name.rstrip("()")):
                return f"{short} dependency"
        for dependency in self.index.dependencies(endpoint):
            if self._throttles(dependency.function.qualname):
                return f"{dependency.function.name} dependency"
        if self._throttles(function.qualname):
            return f"{function.name} (throttles itself)"
        if any(self.limiters.values()) and any(
            self._canonical(use.target) in SLOWAPI_MIDDLEWARE for use in self.middleware
        ):
            return "slowapi default_limits"
        return self.throttling_middleware()

    def _throttles(self, qualname: str) -> bool:
        """Whether a function (or what it calls) answers 429; once per function."""
        key = f"function:{qualname}"
        if key not in self._throttles_memo:
            self._throttles_memo[key] = bool(
                self._reached(qualname, lambda name: frozenset({"429"}) if name in self.throttles else frozenset())
            )
        return self._throttles_memo[key]

    def effects(self, qualname: str) -> set[str]:
        """What a function does that an authentication endpoint does, through the calls it
        makes up to `MAX_HOPS` away: `token` (issues a token or session), `cookie` (sets one),
        `email` (sends a message), `verify` (checks a password or one-time code)."""
        found: set[str] = set()
        frontier, seen = [qualname], {qualname}
        for _ in range(MAX_HOPS + 1):
            following = []
            for name in frontier:
                summary = self._functions.get(name)
                for call in summary.calls if summary is not None else ():
                    found |= _call_effects(call.text or "", call.target or "")
                    if call.target is None:
                        continue
                    callee = self._canonical(call.target)
                    if callee not in seen and callee in self._functions:
                        seen.add(callee)
                        following.append(callee)
            frontier = following
        return found

    def on_router_class(self, endpoint: Endpoint) -> bool:
        """Whether the endpoint is registered on an instance of a router class the repository
        defines (whose `__init__` may add dependencies the model does not see)."""
        if self._owners is None:
            self._owners = {}
            for function, owner in self.routes():
                self._owners.setdefault(function, []).append(owner)
        for owner in self._owners.get(endpoint.function.qualname, ()):
            router = self.index.router(owner)
            if router is not None and router.factory and self._canonical(router.factory) in self._classes:
                return True
        return False

    def class_bases(self, name: str) -> tuple[str, ...]:
        return tuple(self._classes.get(self._canonical(name), ()))

    def routes(self) -> list[tuple[str | None, str | None]]:
        """Every route's (endpoint function, owner), resolved."""
        if self._routes is None:
            self._routes = [
                (self.index.resolve(route.function) or route.function, self.index.resolve(route.owner) or route.owner)
                for facts in self._endpoint_facts
                for route in facts.routes
            ]
        return self._routes

    def model_fields(self, name: str | None, depth: int = 0) -> tuple[str, ...]:
        """The credential-like fields of a class and the classes it derives from."""
        if name is None or depth > 8:
            return ()
        resolved = self._canonical(name)
        own = self.fields.get(resolved, ())
        inherited = tuple(f for base in self._classes.get(resolved, ()) for f in self.model_fields(base, depth + 1))
        return own + inherited

    def fastapi_users_routers(self) -> Iterable[tuple[str, str, Span, tuple[int, int] | None, frozenset[str]]]:
        """fastapi-users routers included: (path, kind, span, statement lines, applications)."""
        served = self.served_routers()
        for facts in self._facts:
            for owner, kind, span, lines in facts.fastapi_users:
                resolved = self.index.resolve(owner) or owner or ""
                yield facts.path, kind, span, lines, frozenset(served.get(resolved, ()))


_TOKEN_CALL = re.compile(
    r"(?:create|generate|issue|encode|make|mint|sign|new)_?\w*(?:token|jwt|session)|jwt\.encode$|\bencode_jwt"
    r"|(?:^|\.)login(?:_user)?$|write_token$",
    re.IGNORECASE,
)
# Checks a credential the client sent: a password against its hash, a one-time code.
_VERIFY_CALL = re.compile(
    r"(?:verify|check)_?(?:password|passwd|otp|totp|mfa|one_time_code)$|authenticate(?:_user)?$", re.IGNORECASE
)
_EMAIL_CALL = re.compile(r"send\w*(?:mail|email|magic|link|reset|verification|otp)", re.IGNORECASE)


def _call_effects(text: str, target: str) -> set[str]:
    found = set()
    last = text.rpartition(".")[2]
    if last == "set_cookie":
        found.add("cookie")
    if _TOKEN_CALL.search(text) or target in ("jwt.encode", "jose.jwt.encode"):
        found.add("token")
    if _EMAIL_CALL.search(last):
        found.add("email")
    if _VERIFY_CALL.match(last):
        found.add("verify")
    return found


def rate_limit(model: AppModel, endpoint: Endpoint) -> str | None:
    """What limits the rate of requests to `endpoint` (the `rate_limit` of its report record),
    or None: `AppModel.rate_limit`."""
    return model.rate_limit(endpoint)


def header_names(headers: Iterable[str]) -> list[str]:
    """Headers in the order the checklist names them."""
    wanted = set(headers)
    return [name for name in SECURITY_HEADERS if name in wanted]


def app_label(decl: AppDecl) -> str:
    return decl.key.replace(".<locals>.", ":").rpartition(".")[2] or decl.key


__all__ = [
    "ALL_HEADERS",
    "CSP",
    "HSTS",
    "SECURITY_HEADERS",
    "XCTO",
    "XFO",
    "App",
    "AppDecl",
    "AppFacts",
    "AppModel",
    "AppModuleFacts",
    "MiddlewareUse",
    "header_names",
    "rate_limit",
]
