"""An authentication endpoint that nothing rate limits."""

from __future__ import annotations

import re
from typing import ClassVar

from reviewer.facts import Facts
from reviewer.model import Severity
from reviewer.rule import RepoContext, Rule
from reviewer.semantics.fastapi import Endpoint
from reviewer.semantics.fastapi.apps import AppFacts, RateLimitModel
from reviewer.semantics.serving import is_one_shot_path

PASSWORD_FORMS = frozenset(
    {
        "fastapi.security.OAuth2PasswordRequestForm",
        "fastapi.security.oauth2.OAuth2PasswordRequestForm",
        "fastapi.security.OAuth2PasswordRequestFormStrict",
        "fastapi.security.oauth2.OAuth2PasswordRequestFormStrict",
    }
)
CHANGING = frozenset({"POST", "PUT", "PATCH"})
_CREDENTIAL = re.compile(r"^(?:password|passwd|passphrase|otp|totp|mfa_code|otp_code|totp_code|one_time_code)$")
_EMAIL = re.compile(r"^(?:email|email_address)$")
# A dependency that says it authenticates the caller: an endpoint behind it is not a public
# authentication endpoint (changing one's password, inviting a member).
_AUTHENTICATED = re.compile(r"current|auth|admin|permission|require|principal|api_key|logged_in", re.IGNORECASE)


class AuthEndpointNotRateLimited(Rule):
    """An authentication endpoint of a served application that nothing rate limits.

    ## What it does
    Finds the authentication endpoints of the applications the repository serves, by evidence,
    not by path: an endpoint that takes an `OAuth2PasswordRequestForm` (itself or through a
    dependency); an endpoint whose request model has a password or one-time-code field and that
    issues a token, a session or a cookie (through the functions it calls); an unauthenticated
    endpoint whose request carries an email address and that sends a message (a password reset
    or magic link); and fastapi-users' login, register and reset-password routers included with
    `include_router(fastapi_users.get_auth_router(...))` (reported at the `include_router` call,
    since their routes are not in the repository). Each is reported at its `def` when nothing
    limits its rate:

    - slowapi: `@limiter.limit(...)` on it, or a `Limiter(default_limits=[...])` with
      `SlowAPIMiddleware` registered;
    - fastapi-limiter: a `RateLimiter(...)` dependency (route, router, include or app level);
    - the application's own throttling: a decorator, dependency or middleware whose code (or the
      functions it calls) answers 429 / raises a rate-limit error or uses a limiter, or the
      endpoint doing so itself.

    ## Why is this bad?
    An authentication endpoint without a limit lets anyone guess passwords or one-time codes as
    fast as the server answers, stuff leaked credentials, and flood users' mailboxes with reset
    or magic-link emails.

    ## Example
    ```python
    @router.post("/login/access-token")
    def login(form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token: ...
    ```

    ## Use instead
    ```python
    limiter = Limiter(key_func=get_remote_address)

    @router.post("/login/access-token")
    @limiter.limit("5/minute")
    def login(request: Request, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Token: ...
    ```

    ## Known problems
    A reverse proxy, API gateway or WAF may limit these routes instead; the rule reads only the
    Python code, so "not found" means not found in the code. When a proxy limits them, disable the
    rule (`ignore = ["RVW941"]`) or suppress it on the endpoint. A middleware that throttles
    counts for every application of the repository, since which one it wraps is not always known.
    """

    code = "RVW941"
    name = "auth-endpoint-not-rate-limited"
    checklist = "rate-limiting"
    severity = Severity.WARNING
    always_applicable = False
    requires: ClassVar[tuple[type[Facts], ...]] = (AppFacts,)

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        model: RateLimitModel = repo.facts(AppFacts)
        served = model.served_routers()
        served_functions = {function for function, owner in model.routes() if owner in served and served[owner]}
        reported: set[str] = set()
        for endpoint in model.index.endpoints:
            qualname = endpoint.function.qualname
            if qualname not in served_functions or qualname in reported or is_one_shot_path(endpoint.file):
                continue
            evidence = _authentication(model, endpoint)
            if evidence is None:
                continue
            repo.mark_applicable()
            if model.rate_limit(endpoint) is not None:
                continue
            reported.add(qualname)
            repo.report(
                endpoint.file,
                endpoint.function.span,
                f"authentication endpoint `{endpoint.label}` {evidence}, and nothing limits its rate: add a "
                f"limit (slowapi `@limiter.limit(\"5/minute\")`, a fastapi-limiter `RateLimiter` dependency) "
                f"or throttle by client and account",
                statement_lines=endpoint.function.statement_lines,
            )
        for path, kind, span, lines, apps in model.fastapi_users_routers():
            if not apps:
                continue
            repo.mark_applicable()
            if model.throttling_middleware() is not None:
                continue
            repo.report(
                path,
                span,
                f"fastapi-users {kind} router is included, and nothing limits the rate of its routes: add a "
                f"throttling dependency to `include_router(..., dependencies=[...])` (fastapi-limiter "
                f"`RateLimiter`) or a rate-limiting middleware",
                statement_lines=lines,
            )


def _authentication(model: RateLimitModel, endpoint: Endpoint) -> str | None:
    """What shows that the endpoint authenticates a client, or None."""
    if not set(endpoint.methods) & CHANGING:
        return None
    index = model.index
    functions = [endpoint.function, *(d.function for d in index.dependencies(endpoint))]
    for function in functions:
        for param in function.params:
            annotation, _ = index.markers_of(param)
            if annotation is not None and annotation.kind == "name" and _is_password_form(model, annotation.name):
                return "takes an `OAuth2PasswordRequestForm`"
    credentials, emails = set(), set()
    for function in functions:  # the endpoint, and dependencies that read the form (`LoginForm.__init__`)
        for param in function.params:
            source = index.parameter_source(param, endpoint.path if function is endpoint.function else None)
            if source not in ("body", "form", "query", "path"):
                continue
            annotation, _ = index.markers_of(param)
            names = [param.name.lower()]
            if annotation is not None and annotation.name and source == "body":
                names = list(model.model_fields(annotation.name))
            credentials |= {n for n in names if _CREDENTIAL.match(n)}
            emails |= {n for n in names if _EMAIL.match(n)}
    if _authenticated(endpoint, functions, model):
        return None  # changing one's password, testing stored credentials, inviting a member
    effects = set().union(*(model.effects(function.qualname) for function in functions))
    issued = "a token" if "token" in effects else "a cookie"
    if credentials and effects & {"token", "cookie"}:
        return f"takes `{sorted(credentials)[0]}` and issues {issued}"
    if credentials and "verify" in effects:
        return f"takes `{sorted(credentials)[0]}` and verifies it"
    if "verify" in effects and effects & {"token", "cookie"}:
        return f"verifies credentials it reads and issues {issued}"
    if emails and not credentials and "email" in effects:
        return "takes an email address and sends a message to it without authentication"
    return None


def _authenticated(endpoint: Endpoint, functions: list, model: RateLimitModel) -> bool:
    """Whether a dependency authenticates the caller, or may: a method of a class-based view,
    or a route of a router class of the repository, has dependencies the model does not list."""
    if any(param.is_receiver for param in endpoint.function.params) or model.on_router_class(endpoint):
        return True
    names = [*endpoint.dependencies, *(f.qualname for f in functions[1:])]
    for param in endpoint.function.params:
        _, marker = model.index.markers_of(param)
        if marker is not None and marker.kind == "Security":
            return True
        if marker is not None and marker.dependency:
            names.append(marker.dependency)
    return any(_AUTHENTICATED.search(name.rpartition(".")[2]) for name in names)


def _is_password_form(model: RateLimitModel, name: str | None, depth: int = 0) -> bool:
    if name is None or depth > 6:
        return False
    if name in PASSWORD_FORMS:
        return True
    resolved = model.index.resolve(name) or name
    return resolved in PASSWORD_FORMS or any(
        _is_password_form(model, base, depth + 1) for base in model.class_bases(resolved)
    )
