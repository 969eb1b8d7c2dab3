"""What authenticates the caller of each endpoint: the authentication model of an application.

Per file, `GuardFacts` joins the engine's walk of modules that can hold authentication code (a
cheap text test first) and records, per function, how it can turn a caller away: it raises or
returns a 401/403 (`HTTPException(status_code=401)`, `JSONResponse(..., status_code=403)`, an
ASGI `http.response.start` with status 401, an exception class named for it such as
`Unauthorized`), whether it lets an absent credential through (`if not token: return None`),
which parameters it refuses to do without (`if not user: raise ...`), and the calls that show an
authentication flow or a signed webhook (`hmac.compare_digest`, `stripe.Webhook.construct_event`,
`bcrypt.checkpw`, `jwt.encode`). It also records FastAPI security schemes made at module level
(`OAuth2PasswordBearer(...)`, `HTTPBearer(auto_error=False)`, fastapi-users' `current_user(...)`),
middleware classes and `@app.middleware("http")` functions that reject requests, and the
middleware an application registers (`add_middleware(X)`, `Middleware(X)`).

Over the repository, `AuthModel` answers, for an endpoint of the FastAPI model, which guard
authenticates its caller (`guard`): a security scheme or a rejecting dependency at any level
(route, router, `include_router`, application, or a dependency of a dependency), a check in the
endpoint's body or in a helper it calls, a rejecting decorator, or a registered middleware that
rejects; and, for an endpoint nothing guards, evidence that it is public by design (`public_flow`).
A dependency that may answer without a credential (a scheme with `auto_error=False`, a
`get_current_user` that returns None when the token is missing) is no guard unless its consumer
refuses to go on without it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.semantics.error_paths import status_value
from reviewer.semantics.fastapi.annotations import marker_of
from reviewer.semantics.fastapi.collector import FastAPIFacts
from reviewer.semantics.fastapi.index import Endpoint, EndpointIndex
from reviewer.semantics.fastapi.records import FACTS_KEY as ENDPOINTS_KEY
from reviewer.semantics.fastapi.records import Inclusion, ModuleFacts
from reviewer.semantics.names import dotted_name
from reviewer.syntax import argument, keyword, string_value

if TYPE_CHECKING:
    from reviewer.facts import RepositoryView
    from reviewer.rule import FileContext
    from reviewer.summary import ModuleSummary

FACTS_KEY = "auth-guards"
MAX_CALL_DEPTH = 3  # helpers followed from a function for a rejection or a flow's evidence
MAX_WRITE_DEPTH = 4  # helpers followed from an endpoint for a write (route -> service -> crud -> session)

_AUTH_WORDS = (
    "fastapi", "starlette", "401", "403", "unauthori", "forbidden", "authenticat", "permission", "credential",
    "compare_digest", "construct_event", "checkpw", "jwt", "svix",
)
SCHEME_MODULES = ("fastapi.security",)
SCHEME_CLASSES = frozenset(
    {
        "OAuth2",
        "OAuth2PasswordBearer",
        "OAuth2AuthorizationCodeBearer",
        "HTTPBearer",
        "HTTPBasic",
        "HTTPDigest",
        "APIKeyHeader",
        "APIKeyQuery",
        "APIKeyCookie",
        "OpenIdConnect",
    }
)
HTTP_EXCEPTIONS = frozenset({"fastapi.HTTPException", "fastapi.exceptions.HTTPException",
                             "starlette.exceptions.HTTPException", "starlette.HTTPException"})
STARLETTE_REQUIRES = frozenset({"starlette.authentication.requires"})
PASSWORD_FORMS = frozenset({"OAuth2PasswordRequestForm", "OAuth2PasswordRequestFormStrict"})
# An exception class whose name says the caller is not authenticated or not allowed.
_AUTH_EXCEPTION = re.compile(
    r"unauthori[sz]|forbidden|not_?authenticated|authentication|invalid_?credential|credentials?_?(?:error|exception)|"
    r"invalid_?(?:token|api_?key|session)|permission_?denied|access_?denied|not_?authori[sz]ed|not_?permitted|"
    r"missing_?(?:credentials|token|api_?key)|(?:token|session)_?expired|login_?required",
    re.IGNORECASE,
)
_STATUS_SPELLING = re.compile(r"\.HTTP_(401|403)_|\.(UNAUTHORIZED|FORBIDDEN)$")
# Credentials a request carries, by header or cookie name (also as a parameter's name).
_CREDENTIAL_NAME = re.compile(r"authori[sz]ation|api[-_]?key|token|session|cookie|secret|password", re.IGNORECASE)
# Calls that show an authentication flow or a signed request: a secret compared in constant
# time, a signature or password verified, a token issued, a password hashed.
_FLOW_TARGETS = {
    "hmac.compare_digest": "compares a secret (`hmac.compare_digest`)",
    "secrets.compare_digest": "compares a secret (`secrets.compare_digest`)",
    "bcrypt.checkpw": "checks a password (`bcrypt.checkpw`)",
    "bcrypt.hashpw": "hashes a password (`bcrypt.hashpw`)",
    "jwt.encode": "issues a token (`jwt.encode`)",
    "jose.jwt.encode": "issues a token (`jwt.encode`)",
    "authlib.jose.jwt.encode": "issues a token (`jwt.encode`)",
    "hashlib.pbkdf2_hmac": "hashes a password (`hashlib.pbkdf2_hmac`)",
}
_FLOW_METHODS = {
    "construct_event": "verifies a webhook signature (`construct_event`)",
    "verify_signature": "verifies a signature",
    "verify_webhook": "verifies a webhook signature",
    "compare_digest": "compares a secret in constant time",
    "checkpw": "checks a password",
    "verify_password": "checks a password",
    "authenticate_user": "checks a password",
    "get_access_token": "exchanges an OAuth authorization code",
    "delete_cookie": "ends a session (`delete_cookie`)",
    "authenticate": "authenticates a user from credentials (`authenticate`)",
    "forgot_password": "requests a password reset (`forgot_password`)",
    "reset_password": "resets a password with a reset token (`reset_password`)",
}
_PASSWORD_RESET = re.compile(
    r"^(?:request_password_reset|send_(?:password_)?reset_(?:password_)?(?:email|link|token|mail)|send_magic_link|"
    r"verify_magic_link|verify_password_reset_token|send_verification_email|verify_email_token)$"
)


def flow_of_call(target: str | None, text: str | None) -> str | None:
    """What a call shows of an authentication flow or a signed request, if anything."""
    found = _FLOW_TARGETS.get(target or "")
    if found:
        return found
    last = (text or target or "").rsplit(".", 1)[-1]
    if last in _FLOW_METHODS:
        return _FLOW_METHODS[last]
    if _PASSWORD_RESET.match(last):
        return f"a password reset or email verification step (`{last}`)"
    return None
# A call that creates a user or an account: an endpoint nothing guards that makes one is a sign-up.
_SIGN_UP = re.compile(r"^(?:create|register|sign_?up|add)_?(?:new_)?(?:user|account)(?:_account)?$", re.IGNORECASE)
# Calls that write: ORM and driver methods, and functions named for a change.
_WRITE_METHOD = re.compile(
    r"^(?:add|add_all|commit|delete|merge|flush|insert|update|upsert|save|create|remove|execute|executemany|"
    r"bulk_\w+|put|hset|lpush|rpush|enqueue|apply_async|delay|write|write_text|"
    r"write_bytes|unlink|rmtree|kill|terminate)$"
)
_WRITE_NAME = re.compile(
    r"^_*(?:create|update|delete|insert|upsert|save|remove|set|add|put|patch|write|store|register|cancel|pay|send|"
    r"revoke|toggle|invite|accept|reject|enable|disable|install|uninstall|upload|move|rename|archive|"
    r"restore|start|stop|trigger|submit|approve|mark|assign|publish|schedule|purge|drop)(?:_|$)"
)


@dataclass(slots=True)
class GuardFunction:
    """How one function can turn a caller away, and what shows an authentication flow in it."""

    rejects: str | None = None  # `HTTPException(401)`: its own body turns a caller away
    nested_rejects: str | None = None  # a function defined inside it does (a decorator's wrapper)
    lets_missing_through: bool = False  # `if not token: return None`
    refuses_without: tuple[str, ...] = ()  # parameters it raises without (`if not user: raise`)
    reads_credentials: bool = False
    flow: str | None = None  # evidence of an authentication flow or a signed request
    http_middleware: str | None = None  # `@app.middleware("http")`: the application, qualified ("" unknown)
    # Methods of objects it makes and calls (`check = KeyChecker(...)`, `await check(request)`):
    # `KeyChecker.__call__`; the call graph of the summaries does not type local objects.
    object_calls: tuple[str, ...] = ()


@dataclass(slots=True)
class Scheme:
    description: str  # `OAuth2PasswordBearer`, `fastapi_users.current_user`
    guards: bool  # False: `auto_error=False`, `optional=True`: it lets a request without one in


@dataclass
class ModuleGuards:
    functions: dict[str, GuardFunction] = field(default_factory=dict)
    schemes: dict[str, Scheme] = field(default_factory=dict)
    # Middleware classes (their `dispatch`/`__call__`) and `@app.middleware("http")` functions:
    # name -> the function that handles each request.
    middleware_candidates: dict[str, str] = field(default_factory=dict)
    # Middleware registered -> the applications it is registered with, as written and qualified
    # ("" for one the call does not name: `Middleware(X)` in a list).
    registered_middleware: dict[str, set[str]] = field(default_factory=dict)
    made_by: dict[str, str] = field(default_factory=dict)  # module-level `x = factory(...)` -> factory
    # Class-based views: `user: User = Depends(get_current_user)` as a class attribute runs for
    # every endpoint method of the class (fastapi-utils' `cbv`, a `controller` decorator).
    class_dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Routers (and routers included) given `dependencies=` the analysis cannot read
    # (`APIRouter(dependencies=get_dependencies())`): what guards their endpoints is unknown.
    opaque_dependencies: dict[str, str] = field(default_factory=dict)  # router or included -> as written
    # Routers included only under a condition (`if settings.ENVIRONMENT == "local":`).
    conditional_inclusions: set[str] = field(default_factory=set)


@dataclass
class _State:
    qualname: str
    params: set[str]
    record: GuardFunction
    in_class: str | None  # the class it is a method of
    objects: dict[str, str] = field(default_factory=dict)  # local name -> the class it was made from


def scheme_class(qualified: str | None) -> str | None:
    """`HTTPBearer` for `fastapi.security.HTTPBearer` (or its submodules), else None."""
    if not qualified or not qualified.startswith(SCHEME_MODULES):
        return None
    name = qualified.rsplit(".", 1)[-1]
    return name if name in SCHEME_CLASSES else None


class GuardFacts(Facts):
    """Records how the functions of one module turn callers away (see the module docstring)."""

    requires: ClassVar[tuple[type[Facts], ...]] = (FastAPIFacts,)

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self.guards = ModuleGuards()
        self._active = context.mentions(_AUTH_WORDS)
        if self._active:
            context.summary.extras[FACTS_KEY] = self.guards
        self._scope: list[str] = []
        self._classes: list[str | None] = []  # per scope entry: the class qualname, or None
        self._functions: list[_State] = []
        self._conditions = 0  # `if` statements around the node being walked

    def fail(self, error: Exception) -> None:
        super().fail(error)
        self.context.summary.extras.pop(FACTS_KEY, None)

    def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], None]]:
        return super().get_visitors() if self._active else {}

    @classmethod
    def repository(cls, repo: RepositoryView) -> AuthModel:
        index = repo.facts(FastAPIFacts)
        model = AuthModel(repo.summaries, index)
        index.annotate("auth", model.guard)
        return model

    # scopes -----------------------------------------------------------------------------------

    def _qualname(self, name: str) -> str:
        return ".".join(p for p in (self.context.module, *self._scope, name) if p)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(self._qualname(node.name.value))
        self._scope.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._scope.pop()
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        qualname = self._qualname(node.name.value)
        params = [*node.params.posonly_params, *node.params.params, *node.params.kwonly_params]
        record = GuardFunction()
        for param in params:
            if _CREDENTIAL_NAME.search(param.name.value) and _is_header_or_cookie(param, self.context.qualify):
                record.reads_credentials = True
            annotation = dotted_name(param.annotation.annotation) if param.annotation is not None else None
            if annotation and annotation.rsplit(".", 1)[-1] in PASSWORD_FORMS:
                record.flow = "takes a password form (`OAuth2PasswordRequestForm`)"
        names = {param.name.value for param in params}
        if {"code", "state"} <= names and record.flow is None:
            record.flow = "takes an OAuth authorization `code` and `state`"
        for decorator in node.decorators:
            expr = decorator.decorator
            if (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute)
                    and expr.func.attr.value == "middleware" and expr.args
                    and string_value(expr.args[0].value) == "http"):
                record.http_middleware = self._receiver(expr.func.value)
        in_class = self._classes[-1] if self._classes else None
        self._functions.append(_State(qualname, names, record, in_class))
        self._scope.append(node.name.value)
        self._classes.append(None)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._scope.pop()
        self._classes.pop()
        state = self._functions.pop()
        record = state.record
        self.guards.functions[state.qualname] = record
        if self._functions:
            outer = self._functions[-1].record
            outer.nested_rejects = outer.nested_rejects or record.rejects or record.nested_rejects
        elif state.in_class and original_node.name.value in ("dispatch", "__call__"):
            self.guards.middleware_candidates[state.in_class] = state.qualname
        if record.http_middleware is not None:
            self.guards.middleware_candidates[state.qualname] = state.qualname
            self.guards.registered_middleware.setdefault(state.qualname, set()).add(record.http_middleware)

    # module-level schemes ---------------------------------------------------------------------

    def _class_attribute(self, value: cst.BaseExpression | None) -> None:
        if value is None or self._functions or not self._classes or self._classes[-1] is None:
            return
        marker = marker_of(value, self.context.qualify)
        if marker is not None and marker.kind in ("Depends", "Security") and marker.dependency:
            cls = self._classes[-1]
            self.guards.class_dependencies[cls] = (*self.guards.class_dependencies.get(cls, ()), marker.dependency)

    def visit_Assign(self, node: cst.Assign) -> None:
        self._class_attribute(node.value)
        if not isinstance(node.value, cst.Call):
            return
        if self._functions:
            made = self.context.qualify(node.value.func)
            for target in node.targets:
                if isinstance(target.target, cst.Name) and made:
                    self._functions[-1].objects[target.target.value] = made
            return
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self._scheme(self._qualname(target.target.value), node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._class_attribute(node.value)
        if self._functions and isinstance(node.target, cst.Name):
            made = self.context.qualify(node.annotation.annotation)
            if made:
                self._functions[-1].objects[node.target.value] = made
            return
        if not self._functions and not self._classes and isinstance(node.target, cst.Name) and isinstance(
                node.value, cst.Call):
            self._scheme(self._qualname(node.target.value), node.value)

    def _scheme(self, qualname: str, call: cst.Call) -> None:
        given = _opaque_dependencies(call)
        if given:
            self.guards.opaque_dependencies[qualname] = given
        callee = self.context.qualify(call.func)
        if callee:
            self.guards.made_by[qualname] = callee
        made = scheme_class(callee)
        if made is not None:
            auto_error = keyword(call, "auto_error")
            self.guards.schemes[qualname] = Scheme(made, not _is_false(auto_error))
            return
        func = call.func
        uses_fastapi_users = "fastapi_users" in self.context.source
        if isinstance(func, cst.Attribute) and func.attr.value == "current_user" and uses_fastapi_users:
            optional = keyword(call, "optional")
            described = dotted_name(func) or "current_user"
            self.guards.schemes[qualname] = Scheme(described, not (optional is not None and not _is_false(optional)))

    # rejections, flows and credentials --------------------------------------------------------

    def visit_Raise(self, node: cst.Raise) -> None:
        if not self._functions or node.exc is None:
            return
        exc = node.exc
        func = exc.func if isinstance(exc, cst.Call) else exc
        name = self.context.qualify(func) or dotted_name(func) or ""
        short = name.rsplit(".", 1)[-1]
        if name not in ("builtins.PermissionError",) and _AUTH_EXCEPTION.search(short):
            self._reject(f"raise {short}")

    def visit_Call(self, node: cst.Call) -> None:
        if not self._functions:
            self._registration(node)
            return
        state = self._functions[-1]
        qualified = self.context.qualify(node.func)
        self._registration(node)
        func = node.func
        if isinstance(func, cst.Name) and func.value in state.objects:
            state.record.object_calls = (*state.record.object_calls, f"{state.objects[func.value]}.__call__")
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in state.objects:
            made = state.objects[func.value.value]
            state.record.object_calls = (*state.record.object_calls, f"{made}.{func.attr.value}")
        status = keyword(node, "status_code") or keyword(node, "status")
        if status is None and qualified in HTTP_EXCEPTIONS:
            status = argument(node, 0, "status_code")
        elif status is None and isinstance(node.func, (cst.Name, cst.Attribute)):
            if (dotted_name(node.func) or "").endswith("Response"):
                status = argument(node, 1, "status_code")
        if status is not None:
            value = self._status(status.value)
            if value in (401, 403):
                callee = dotted_name(node.func) or "response"
                self._reject(f"{callee.rsplit('.', 1)[-1]}({value})")
        method = node.func.attr.value if isinstance(node.func, cst.Attribute) else (
            node.func.value if isinstance(node.func, cst.Name) else None)
        flow = flow_of_call(qualified, dotted_name(node.func) or method)
        if flow is None and method == "verify" and isinstance(node.func, cst.Attribute):
            receiver = (dotted_name(node.func.value) or "").lower()
            if any(word in receiver for word in ("webhook", "wh", "pwd", "password", "hasher", "crypt", "signature")):
                flow = f"verifies a signature or password (`{dotted_name(node.func)}`)"
        if flow and state.record.flow is None:
            state.record.flow = flow
        if method == "get" and isinstance(node.func, cst.Attribute) and node.args:
            source = dotted_name(node.func.value) or ""
            key = string_value(node.args[0].value) or ""
            if _credential_store(source) or (
                    source.endswith(".headers") and _CREDENTIAL_NAME.search(key) and "csrf" not in key.lower()):
                state.record.reads_credentials = True

    def visit_Attribute(self, node: cst.Attribute) -> None:
        """`request.cookies` read in any way (`"session" in request.cookies`)."""
        if self._functions and _credential_store(dotted_name(node) or ""):
            self._functions[-1].record.reads_credentials = True

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if not self._functions:
            return
        source = dotted_name(node.value) or ""
        if _credential_store(source) or (
            source.endswith(".headers") and node.slice
            and isinstance(node.slice[0].slice, cst.Index)
            and _CREDENTIAL_NAME.search(string_value(node.slice[0].slice.value) or "")
            and "csrf" not in (string_value(node.slice[0].slice.value) or "").lower()
        ):
            self._functions[-1].record.reads_credentials = True

    def visit_Dict(self, node: cst.Dict) -> None:
        """An ASGI middleware's `{"type": "http.response.start", "status": 401}`."""
        if not self._functions:
            return
        for element in node.elements:
            if isinstance(element, cst.DictElement) and string_value(element.key) == "status":
                value = self._status(element.value)
                if value in (401, 403):
                    self._reject(f"response status {value}")

    def leave_If(self, original_node: cst.If) -> None:
        self._conditions -= 1

    def visit_If(self, node: cst.If) -> None:
        self._conditions += 1
        if not self._functions:
            return
        state = self._functions[-1]
        tested = _missing_test(node.test)
        if tested is None or tested not in state.params:
            return
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
        for statement in body:
            smalls = statement.body if isinstance(statement, cst.SimpleStatementLine) else ()
            for small in smalls:
                if isinstance(small, cst.Raise):
                    state.record.refuses_without = (*state.record.refuses_without, tested)
                elif isinstance(small, cst.Return) and (small.value is None or _is_none(small.value)):
                    state.record.lets_missing_through = True

    def _receiver(self, node: cst.BaseExpression) -> str:
        """The application a middleware is registered with, named as the FastAPI model names it:
        a local of a factory function is `create_app.<locals>.app`; "" when unknown."""
        if isinstance(node, cst.Name) and self._functions and node.value in self._functions[-1].objects:
            return f"{self._functions[-1].qualname}.<locals>.{node.value}"
        return self.context.qualify(node) or ""

    def _status(self, node: cst.BaseExpression) -> int | None:
        """`401`, `status.HTTP_401_UNAUTHORIZED` (also re-exported by a compatibility module),
        `HTTPStatus.FORBIDDEN`."""
        value = status_value(node, self.context.qualify)
        if value is None and isinstance(node, cst.Attribute):
            match = _STATUS_SPELLING.search(dotted_name(node) or "")
            if match:
                value = 401 if match.group(1) == "401" or match.group(2) == "UNAUTHORIZED" else 403
        return value

    def _reject(self, how: str) -> None:
        record = self._functions[-1].record
        if record.rejects is None:
            record.rejects = how

    def _registration(self, node: cst.Call) -> None:
        """`app.add_middleware(AuthMiddleware, ...)`, `Middleware(AuthMiddleware, ...)`, and
        `include_router(router, dependencies=make_dependencies())`."""
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "include_router":
            given = _opaque_dependencies(node)
            child = argument(node, 0, "router")
            if self._conditions and child is not None:
                value = child.value.func if isinstance(child.value, cst.Call) else child.value
                name = self.context.qualify(value) or dotted_name(value)
                if name:
                    self.guards.conditional_inclusions.add(name)
            if given and child is not None:
                value = child.value.func if isinstance(child.value, cst.Call) else child.value
                name = self.context.qualify(value) or dotted_name(value)
                if name:
                    self.guards.opaque_dependencies[name] = given
        is_add = isinstance(func, cst.Attribute) and func.attr.value == "add_middleware"
        is_wrapper = (self.context.qualify(func) or "").endswith("middleware.Middleware") or (
            isinstance(func, cst.Name) and func.value == "Middleware")
        # `app.middleware("http")(AuthMiddleware())`: the decorator applied by hand.
        is_decorator = (isinstance(func, cst.Call) and isinstance(func.func, cst.Attribute)
                        and func.func.attr.value == "middleware")
        if (is_add or is_wrapper or is_decorator) and node.args:
            target = (argument(node, 0, "middleware_class") if is_add else None) or node.args[0]
            value = target.value.func if is_decorator and isinstance(target.value, cst.Call) else target.value
            name = self.context.qualify(value) or dotted_name(value)
            owner = func.value if is_add and isinstance(func, cst.Attribute) else (
                func.func.value if is_decorator and isinstance(func, cst.Call) and isinstance(
                    func.func, cst.Attribute) else None)
            if name:
                receiver = self._receiver(owner) if owner is not None else ""
                self.guards.registered_middleware.setdefault(name, set()).add(receiver)


_REQUEST_NAMES = frozenset({"request", "req", "websocket", "ws", "connection", "conn", "scope"})


def _credential_store(source: str) -> bool:
    """`request.cookies`, `request.session` (Starlette's signed session), not `self.session`."""
    head, _, last = source.rpartition(".")
    return last == "cookies" or (last == "session" and head.rpartition(".")[2] in _REQUEST_NAMES)


def _opaque_dependencies(call: cst.Call) -> str | None:
    """`dependencies=get_dependencies()` as written, when it is not a literal list."""
    given = keyword(call, "dependencies")
    if given is None or isinstance(given.value, (cst.List, cst.Tuple)) or _is_none(given.value):
        return None
    return dotted_name(given.value.func if isinstance(given.value, cst.Call) else given.value) or "an expression"


def _is_false(arg: cst.Arg | None) -> bool:
    return arg is not None and isinstance(arg.value, cst.Name) and arg.value.value == "False"


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _is_header_or_cookie(param: cst.Param, qualify: Callable[[cst.BaseExpression], str | None]) -> bool:
    """`x_api_key: str = Header(...)`, `Annotated[str | None, Cookie()]`, `Security(scheme)`."""
    nodes: list[cst.BaseExpression] = []
    if param.default is not None:
        nodes.append(param.default)
    if param.annotation is not None:
        annotation = param.annotation.annotation
        if isinstance(annotation, cst.Subscript):
            nodes.extend(e.slice.value for e in annotation.slice if isinstance(e.slice, cst.Index))
    for node in nodes:
        if isinstance(node, cst.Call):
            name = (qualify(node.func) or dotted_name(node.func) or "").rsplit(".", 1)[-1]
            if name in ("Header", "Cookie", "Security"):
                return True
    return False


def _missing_test(test: cst.BaseExpression) -> str | None:
    """The name an `if` tests for absence: `not user`, `user is None`."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not) and isinstance(
            test.expression, cst.Name):
        return test.expression.value
    if (isinstance(test, cst.Comparison) and isinstance(test.left, cst.Name) and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, cst.Is) and _is_none(test.comparisons[0].comparator)):
        return test.left.value
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or):
        return _missing_test(test.left) or _missing_test(test.right)
    return None


# the repository ------------------------------------------------------------------------------


class AuthModel:
    """Which guard authenticates the caller of each endpoint (see the module docstring)."""

    def __init__(self, summaries: Iterable[ModuleSummary], index: EndpointIndex) -> None:
        self.index = index
        self.functions: dict[str, GuardFunction] = {}
        self.schemes: dict[str, Scheme] = {}
        self._made_by: dict[str, str] = {}
        self._class_dependencies: dict[str, tuple[str, ...]] = {}
        self._by_name: dict[str, list[str]] | None = None
        self._opaque: dict[str, str] = {}
        self._conditional: set[str] = set()
        self._classes: dict[str, list[str]] = {}
        self._summaries: dict[str, Any] = {}
        candidates: dict[str, str] = {}
        registered: dict[str, set[str]] = {}
        routes: list[tuple[str | None, str | None]] = []  # (owner, function)
        # Whether an application of the repository declares dependencies of its own
        # (`FastAPI(dependencies=[...])`): a router included into an application the analysis
        # cannot name (`def register(app: FastAPI): app.include_router(router)`) may get them.
        self._app_dependencies = False
        self._inclusions: list[Inclusion] = []
        for summary in summaries:
            if summary.is_test_file:
                continue
            self._classes.update(summary.classes)
            self._summaries.update(summary.functions)
            guards: ModuleGuards | None = summary.extras.get(FACTS_KEY)
            if guards is not None:
                self.functions.update(guards.functions)
                self.schemes.update(guards.schemes)
                self._made_by.update(guards.made_by)
                self._class_dependencies.update(guards.class_dependencies)
                self._opaque.update(guards.opaque_dependencies)
                self._conditional |= guards.conditional_inclusions
                candidates.update(guards.middleware_candidates)
                for name, receivers in guards.registered_middleware.items():
                    registered.setdefault(name, set()).update(receivers)
            endpoints: ModuleFacts | None = summary.extras.get(ENDPOINTS_KEY)
            if endpoints is not None:
                routes.extend((route.owner, route.function) for route in endpoints.routes)
                self._inclusions.extend(endpoints.inclusions)
                self._app_dependencies |= any(router.dependencies and (index.resolve(router.factory) or "") in _APPS
                                              for router in endpoints.routers)
        self._candidates = candidates
        self._registered = registered
        self._middleware: dict[str, set[str]] | None = None
        self._routers_of: dict[str, set[str]] = {}
        for owner, function in routes:
            router = index.router(owner)
            target = index.resolve(function)
            if router is not None and target:
                self._routers_of.setdefault(target, set()).add(router.key)
        self._parents: dict[tuple[str, bool], set[str]] | None = None
        self._rooted: dict[str, bool] = {}
        self._rejects_memo: dict[str, str | None] = {}

    @property
    def middleware(self) -> dict[str, set[str]]:
        """Middleware that rejects requests without a credential, registered with an application:
        description -> the applications (router keys; "" for every one: the registration names
        none the analysis can resolve)."""
        if self._middleware is not None:
            return self._middleware
        self._middleware = found = {}
        for name in sorted(self._candidates):
            handler = self._candidates[name]
            owner = handler.rpartition(".")[0] if name != handler else handler
            reads = any(record.reads_credentials for qualname, record in self.functions.items()
                        if qualname == handler or qualname.startswith(owner + "."))
            if not reads or not self.rejects(handler):
                continue  # it turns nobody away, or not for a missing credential (an address, a size, CSRF)
            for registration, receivers in self._registered.items():
                if self._same(name, registration):
                    apps = found.setdefault(f"middleware `{name.rsplit('.', 1)[-1]}`", set())
                    for receiver in receivers:
                        router = self.index.router(receiver) if receiver else None
                        apps.add(router.key if router is not None else "")
        return found

    def _same(self, defined: str, named: str) -> bool:
        resolved = self.index.resolve(named) or named
        return resolved == defined or defined.endswith("." + resolved) or resolved.endswith("." + defined)

    # guards -----------------------------------------------------------------------------------

    def guard(self, endpoint: Endpoint) -> str | None:
        """A short description of what authenticates the endpoint's caller, None when nothing does
        that the analysis can see."""
        found = self._dependency_guard(endpoint)
        if found:
            return found
        for key in self._chain(endpoint):
            given = self._opaque.get(key) or self._opaque.get(self.index.resolve(key) or key)
            if given:
                return f"`dependencies={given}(...)` (not resolved)"
        own = self.rejects(endpoint.function.qualname)
        if own:
            return f"check in `{endpoint.function.name}` ({own})"
        for decorator in endpoint.function.decorators:
            if decorator in STARLETTE_REQUIRES:
                return "`@requires(...)`"
            target = self.index.resolve(decorator) or decorator
            record = self.functions.get(target)
            if record is not None and (record.rejects or record.nested_rejects):
                return f"`@{decorator.rsplit('.', 1)[-1]}`"
        return self.middleware_of(endpoint)

    def middleware_of(self, endpoint: Endpoint) -> str | None:
        """A rejecting middleware of an application that serves the endpoint."""
        if not self.middleware:
            return None
        apps = self.applications(endpoint)
        for description, registered in self.middleware.items():
            if "" in registered or registered & apps:
                return description
        return None

    def _dependency_guard(self, endpoint: Endpoint) -> str | None:
        owner = endpoint.function.qualname.rpartition(".")[0]
        if owner in self._classes:
            inherited = [
                name
                for cls in (owner, *self._lineage(owner))
                for name in self._class_dependencies.get(cls, ())
            ]
            endpoint = replace(endpoint, dependencies=(*endpoint.dependencies, *inherited))
        names = list(endpoint.dependencies)
        consumers = [endpoint.function] + [d.function for d in self.index.dependencies(endpoint)]
        refused: set[str] = set()
        for function in consumers:
            record = self.functions.get(function.qualname)
            refuses = set(record.refuses_without) if record else set()
            for param in function.params:
                _, marker = self.index.markers_of(param)
                if marker is not None and marker.kind in ("Depends", "Security") and marker.dependency:
                    names.append(marker.dependency)
                    if param.name in refuses:
                        refused.add(marker.dependency)
        for name in names:
            scheme = self._scheme(name)
            if scheme is not None and (scheme.guards or name in refused):
                return f"`{scheme.description}`"
        for function in consumers:
            # `if user is None: raise ...` on what a credential-reading dependency gave it
            # (`get_optional_user`, a scheme with `auto_error=False`): a redirect to the login
            # page counts as much as a 401.
            record = self.functions.get(function.qualname)
            for param in function.params:
                if record is None or param.name not in record.refuses_without:
                    continue
                _, marker = self.index.markers_of(param)
                if marker is not None and marker.dependency and self._reads_credentials(marker.dependency, 0):
                    where = "" if function is endpoint.function else f" in `{_dependency_label(function.qualname)}`"
                    return f"`{param.name}` required{where} (`Depends({marker.dependency.rsplit('.', 1)[-1]})`)"
        for function in consumers[1:]:
            record = self.functions.get(function.qualname)
            if record is None:
                continue
            rejects = self.rejects(function.qualname)
            consumed = {n for n in names if (self.index.resolve(n) or n) == function.qualname}
            if rejects and (not record.lets_missing_through or consumed & refused):
                return f"`Depends({_dependency_label(function.qualname)})`"
        for name in names:
            # `Depends(require_role("admin"))`, `current_active_user = current_user(active=True)`:
            # the checker a factory of the repository makes.
            made = self._made_by.get(self.index.resolve(name) or name)
            if name.endswith("()") or made:
                factory = self.index.resolve(made or name[:-2]) or made or name[:-2]
                record = self.functions.get(factory)
                if record is not None and (record.nested_rejects or self._makes_rejecting_checker(factory)):
                    return f"`Depends({factory.rsplit('.', 1)[-1]}(...))`"
        return None

    def _makes_rejecting_checker(self, factory: str) -> bool:
        """A factory annotated to return an instance of a class whose `__call__` turns callers
        away (`def Authenticator(...) -> _Authenticator`)."""
        entry = self.index.functions.get(factory)
        returns = entry[0].returns if entry else None
        if returns is None or returns.kind != "name" or not returns.name:
            return False
        return bool(self.rejects(self._method(self._class(returns.name), "__call__")))

    def _reads_credentials(self, name: str, depth: int) -> bool:
        """Whether a dependency is a security scheme, or a function that reads a credential
        itself or through its own dependencies."""
        if self._scheme(name) is not None:
            return True
        target = self.index.resolve(name) or name
        record = self.functions.get(target)
        if record is not None and record.reads_credentials:
            return True
        entry = self.index.functions.get(target)
        if entry is None or depth >= MAX_CALL_DEPTH:
            return False
        for param in entry[0].params:
            _, marker = self.index.markers_of(param)
            if marker is not None and marker.dependency and self._reads_credentials(marker.dependency, depth + 1):
                return True
        return False

    def _scheme(self, name: str) -> Scheme | None:
        if name.endswith("()"):
            made = self.index.resolve(name[:-2]) or name[:-2]
            found = scheme_class(made)
            if found is not None:
                return Scheme(found, True)
            if any(scheme_class(base) for base in self._lineage(made)):
                return Scheme(made.rsplit(".", 1)[-1], True)
            return None
        resolved = self.index.resolve(name) or name
        return self.schemes.get(resolved)

    def _lineage(self, cls: str, depth: int = 0) -> list[str]:
        """The base classes of `cls`, resolved where the repository defines them, nearest first."""
        bases = [self._class(base) for base in self._classes.get(cls, [])]
        found = list(bases)
        if depth < 6:
            for base in bases:
                found += self._lineage(base, depth + 1)
        return found

    def _class(self, name: str) -> str:
        """A class as the repository defines it: through imports, or through a package's star
        import (`from .base_controllers import *`), found by its name under the package."""
        resolved = self.index.resolve(name) or name
        if resolved in self._classes:
            return resolved
        package, _, short = resolved.rpartition(".")
        if self._by_name is None:
            self._by_name = {}
            for qualname in self._classes:
                self._by_name.setdefault(qualname.rpartition(".")[2], []).append(qualname)
        found = [q for q in self._by_name.get(short, ()) if q.startswith(package + ".")]
        return found[0] if len(found) == 1 else resolved

    def rejects(self, qualname: str) -> str | None:
        """How the function, or a helper of the repository it calls, turns a caller away."""
        if qualname not in self._rejects_memo:
            self._rejects_memo[qualname] = self._rejects(qualname, 0, set())
        return self._rejects_memo[qualname]

    def _rejects(self, qualname: str, depth: int, seen: set[str]) -> str | None:
        if qualname in seen:
            return None
        seen.add(qualname)
        record = self.functions.get(qualname)
        if record is not None and record.rejects:
            return record.rejects
        if depth >= MAX_CALL_DEPTH:
            return None
        return next(filter(None, (self._rejects(c, depth + 1, seen) for c in self._callees(qualname))), None)

    def public_flow(self, endpoint: Endpoint) -> str | None:
        """Evidence that an endpoint nothing guards is public by design: it checks a password or
        a signature, issues a token, hashes a new password, or takes an OAuth callback."""
        functions = [endpoint.function.qualname] + [d.function.qualname for d in self.index.dependencies(endpoint)]
        return next(filter(None, (self._flow(name, 0, set()) for name in functions)), None)

    def _flow(self, qualname: str, depth: int, seen: set[str]) -> str | None:
        if qualname in seen:
            return None
        seen.add(qualname)
        record = self.functions.get(qualname)
        if record is not None and record.flow:
            return record.flow
        summary = self._summaries.get(qualname)
        if summary is not None:
            for call in summary.calls:
                flow = flow_of_call(call.target, call.text)
                if flow:
                    return flow
                last = (call.text or call.target or "").rsplit(".", 1)[-1]
                if depth < 2 and _SIGN_UP.match(last):
                    return f"creates an account (`{call.text or call.target}`): a sign-up"
        if depth < MAX_CALL_DEPTH:
            return next(filter(None, (self._flow(c, depth + 1, seen) for c in self._callees(qualname))), None)
        return None

    def changes_data(self, endpoint: Endpoint) -> str | None:
        """The call that shows the endpoint writes (`session.commit`, `crud.create_item`), itself
        or in a helper or dependency of the repository it calls; None for an endpoint that only
        computes an answer (`POST /decode`)."""
        functions = [endpoint.function.qualname] + [d.function.qualname for d in self.index.dependencies(endpoint)]
        seen: set[str] = set()
        return next(filter(None, (self._writes(name, 0, seen) for name in functions)), None)

    def _writes(self, qualname: str, depth: int, seen: set[str]) -> str | None:
        if qualname in seen:
            return None
        seen.add(qualname)
        summary = self._summaries.get(qualname)
        if summary is None:
            return None
        for call in summary.calls:
            text = call.text or call.target or ""
            last = text.rsplit(".", 1)[-1]
            if "cache" in text.lower() or "websocket" in text.lower():
                continue  # a cache refreshed, a message pushed to listeners: no data of the application
            target = (self.index.resolve(call.target) or call.target) if call.target else None
            if target in self._summaries:
                continue  # a function of the repository: what it does, not its name, tells
            if "." in text and (_WRITE_METHOD.match(last) or _WRITE_NAME.match(last)):
                return text  # `session.commit()`, `self.repository.create_item(...)`
        if depth < MAX_WRITE_DEPTH:
            return next(filter(None, (self._writes(c, depth + 1, seen) for c in self._callees(qualname))), None)
        return None

    def _callees(self, qualname: str) -> list[str]:
        summary = self._summaries.get(qualname)
        record = self.functions.get(qualname)
        found = []
        for made in record.object_calls if record else ():
            cls, _, method = made.rpartition(".")
            found.append(self._method(self.index.resolve(cls) or cls, method))
        if summary is None:
            return found
        owner = qualname.rsplit(".", 1)[0]
        for call in summary.calls:
            if call.target:
                found.append(self.index.resolve(call.target) or call.target)
            elif call.text and call.text.startswith(("self.", "cls.")) and call.text.count(".") == 1:
                found.append(self._method(owner, call.text.split(".", 1)[1]))
        return found

    def _method(self, cls: str, name: str) -> str:
        """`cls.name`, or where a base class of the repository defines it."""
        for owner in (cls, *self._lineage(cls)):
            owner = self.index.resolve(owner) or owner
            if f"{owner}.{name}" in self.functions or f"{owner}.{name}" in self._summaries:
                return f"{owner}.{name}"
        return f"{cls}.{name}"

    # where an endpoint serves -----------------------------------------------------------------

    def _chain(self, endpoint: Endpoint) -> set[str]:
        """Every router above the endpoint, its own included."""
        pending = list(self._routers_of.get(endpoint.function.qualname, ()))
        found: set[str] = set()
        while pending:
            key = pending.pop()
            if key in found or key == _UNKNOWN_APPLICATION:
                continue
            found.add(key)
            pending.extend(self._parents_of(key))
        return found

    def conditionally_served(self, endpoint: Endpoint) -> bool:
        """Whether a router above the endpoint is included only under a condition (a local
        environment, a feature flag): whether it serves in production the code does not say."""
        names = {self.index.resolve(name) or name for name in self._conditional}
        return bool(self._chain(endpoint) & names)

    def applications(self, endpoint: Endpoint) -> set[str]:
        """The applications that serve the endpoint (`<application>`: one the analysis cannot name)."""
        apps = set()
        for key in self._chain(endpoint):
            router = self.index.router(key)
            factory = self.index.resolve(router.factory) if router is not None else None
            if factory and (factory in _APPS or any(b in _APPS for b in self._lineage(factory))):
                apps.add(key)
            if _UNKNOWN_APPLICATION in self._parents_of(key):
                apps.add(_UNKNOWN_APPLICATION)
        return apps

    def served(self, endpoint: Endpoint) -> bool:
        """Whether a router chain from the endpoint reaches a FastAPI application of the
        repository (an endpoint of a router never seen included may be guarded where it is)."""
        return any(self._is_rooted(key, frozenset()) for key in self._routers_of.get(endpoint.function.qualname, ()))

    def _is_rooted(self, key: str, seen: frozenset[str]) -> bool:
        if key == _UNKNOWN_APPLICATION:
            return True
        if key in self._rooted:
            return self._rooted[key]
        router = self.index.router(key)
        factory = self.index.resolve(router.factory) if router is not None else None
        found = bool(factory) and (factory in _APPS or any(b in _APPS for b in self._lineage(factory or "")))
        if not found and key not in seen:
            found = any(self._is_rooted(parent, seen | {key}) for parent in self._parents_of(key))
        if not seen:
            self._rooted[key] = found
        return found

    def _parents_of(self, key: str) -> set[str]:
        if self._parents is None:
            self._parents = {}
            for inclusion in self._inclusions:
                parent = self.index.router(inclusion.parent)
                child = self.index.resolve(inclusion.child)
                if child and (parent is not None or not self._app_dependencies):
                    # An unknown parent is taken for an application without dependencies of its own.
                    above = parent.key if parent is not None else _UNKNOWN_APPLICATION
                    self._parents.setdefault((child, inclusion.child_is_call), set()).add(above)
        parents = set(self._parents.get((key, False), ()))
        marker = ".<locals>."
        start = key.find(marker)
        while start != -1:
            parents |= self._parents.get((key[:start], True), set())
            start = key.find(marker, start + 1)
        return parents


_UNKNOWN_APPLICATION = "<application>"
_APPS = frozenset({"fastapi.FastAPI", "fastapi.applications.FastAPI", "starlette.applications.Starlette"})


def _dependency_label(qualname: str) -> str:
    parts = qualname.split(".")
    if parts[-1] in ("__call__", "__init__") and len(parts) > 1:
        return parts[-2]
    return parts[-1]


def auth_guard(index: EndpointIndex, endpoint: Endpoint) -> str | None:
    """What authenticates the endpoint's caller (`Depends(get_current_user)`, `middleware
    AuthMiddleware`), None when the analysis finds nothing: `AuthModel.guard`, for an index
    built from summaries alone (the model a run builds is `repo.facts(GuardFacts)`)."""
    return AuthModel(list(index.modules), index).guard(endpoint)
