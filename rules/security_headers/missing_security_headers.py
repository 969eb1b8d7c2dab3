"""A served application whose middleware sets no (or not all the needed) security headers."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Any, ClassVar

from reviewer.facts import Facts
from reviewer.model import Severity
from reviewer.rule import RepoContext, Rule
from reviewer.semantics.fastapi.apps import (
    CSP,
    HSTS,
    SECURITY_HEADERS,
    XCTO,
    XFO,
    App,
    AppFacts,
    AppModel,
    header_names,
)
from reviewer.semantics.serving import is_one_shot_path

_BROWSER_FACING = re.compile(r"cors|session|csrf|auth|cookie|trustedhost|httpsredirect|proxyheaders|forwarded", re.I)
# Applications that stand in for a real service in development (`mock/listen.py`, `examples/`).
STAND_IN_DIRECTORIES = frozenset({"mock", "mocks", "example", "examples", "demo", "demos"})


class MissingSecurityHeaders(Rule):
    """A served application sets none, or not all, of the standard security headers.

    ## What it does
    For every application the repository serves (a `FastAPI(...)` or `Starlette(...)` that is not
    mounted in another application, outside tests and `scripts/`/`tools/` directories, with at
    least one route or mount), reads its middleware stack: `app.add_middleware(Cls)`,
    `FastAPI(middleware=[Middleware(Cls)])`, `@app.middleware("http")` functions,
    `app.middleware("http")(fn)`, `app = Cls(app)`, also registered by a function the application
    is handed to (`setup_middleware(app)`), on an application a factory returns, or in another
    module. A middleware sets a header when its code (its methods, the repository functions they
    call, the module constants they read) names it (`response.headers["X-Frame-Options"] = ...`,
    `headers.append(b"x-content-type-options", ...)`), or when it comes from a header package
    (`secure`, `fastapi-security-headers`, a third-party `SecurityHeadersMiddleware`). An
    application mounted in one that sets them (`parent.mount("/sub", app)`) is covered by it.

    One finding per application, at its `FastAPI(...)` call:
    - when it sets none of `Strict-Transport-Security`, `Content-Security-Policy`,
      `X-Content-Type-Options`, `X-Frame-Options` (warning). The message says which matter for what
      it serves: HSTS and `X-Content-Type-Options` for every application, CSP and
      `X-Frame-Options` too when it renders HTML (templates, `HTMLResponse`, `StaticFiles`);
    - when it sets some of them but misses one that matters for what it serves, naming the missing
      ones. A missing HSTS alone is not reported then: an application that handles its headers but
      leaves HSTS out usually leaves it to where TLS terminates. A CSP with `frame-ancestors`
      stands for `X-Frame-Options` (any CSP is taken to).

    ## Why is this bad?
    Without HSTS a browser's first request may go over plain HTTP and be downgraded; without
    `X-Content-Type-Options: nosniff` a browser may run an uploaded or echoed file as script;
    without CSP and `X-Frame-Options` (or CSP `frame-ancestors`) an HTML page can be framed for
    clickjacking and injected script runs unchecked.

    ## Example
    ```python
    app = FastAPI()
    app.include_router(items.router)
    ```

    ## Use instead
    ```python
    app = FastAPI()

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Content-Security-Policy"] = "default-src 'self'; frame-ancestors 'none'"
        return response
    ```
    or a package: `secure.Secure.with_default_headers().set_headers(response)` in such a middleware.

    ## Headers set by a reverse proxy
    A reverse proxy, load balancer or CDN in front of the application (nginx `add_header`, Traefik
    headers middleware, CloudFront response headers policy) may set these headers instead; this
    rule reads only the Python code, so "not found in the code" means not found, not absent. When
    your proxy sets them, record it in the configuration:

    ```toml
    [tool.reviewer.rules.RVW951]
    set-by-proxy = true
    ```

    The rule then reports nothing and the item's note says the headers are left to the proxy. To
    accept one application only, put `# reviewer: ignore[RVW951]` on its `FastAPI(...)` line.

    ## Known problems
    Where the repository serves several applications, one that shows no sign of facing browsers
    (no HTML, no CORS, session, cookie, CSRF, authentication, trusted-host or proxy-headers
    middleware) while another does is taken for an internal service behind it (a model server, a
    sidecar) and is not reported; an internal service with such middleware is reported like a
    public one, and a repository's only application is always judged.
    Applications under `mock/`, `examples/` or `demo/` directories are taken for stand-ins and not
    reported. An internal service that no browser reaches (a model server, a sidecar) is reported like a
    public one; ignore it there. A middleware from a package the rule does not know that sets the
    headers under a name that does not say so is not seen. Headers set by individual routes only
    do not count (they cover those routes alone).
    """

    code = "RVW951"
    name = "missing-security-headers"
    checklist = "security-headers"
    severity = Severity.WARNING
    always_applicable = False
    options: ClassVar[dict[str, Any]] = {"set-by-proxy": False}
    requires: ClassVar[tuple[type[Facts], ...]] = (AppFacts,)

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        model: AppModel = repo.facts(AppFacts)
        served = [app for app in model.roots() if _served(model, app)]
        if not served:
            return
        if len(served) > 1:
            # Beside an application browsers reach, one with no such evidence is an internal
            # service behind it (a model server, a sidecar).
            public = [app for app in served if _public(model, app)]
            served = public or served
        repo.mark_applicable()
        if repo.options.get("set-by-proxy"):
            repo.describe("security headers are set by a reverse proxy (`set-by-proxy = true`)")
            return
        for app in served:
            message = _judge(model, app)
            if message is not None:
                repo.report(app.decl.path, app.decl.span, message, statement_lines=app.decl.statement_lines)


def _public(model: AppModel, app: App) -> bool:
    """Evidence that browsers reach the application: it renders HTML, or its middleware answers
    browsers (CORS, sessions, cookies, CSRF, authentication, trusted hosts, proxy headers)."""
    return model.serves_html(app.decl.key) or any(
        _BROWSER_FACING.search(use.target.rpartition(".")[2]) for use in model.attributed_middleware(app.decl.key)
    )


def _served(model: AppModel, app: App) -> bool:
    parts = PurePosixPath(app.decl.path).parts[:-1]
    if is_one_shot_path(app.decl.path) or any(part in STAND_IN_DIRECTORIES for part in parts):
        return False
    return model.serves_anything(app.decl.key)


def _judge(model: AppModel, app: App) -> str | None:
    key = app.decl.key
    headers = set(model.security_headers(key))
    mounted = model.descendants(key)
    if not headers and mounted and model.own_routes(key) <= 1:
        # An application that only dispatches to mounted ones (and a redirect, say): what its
        # clients get is what the mounted applications set, all of them.
        headers = set.intersection(*(set(model.security_headers(child)) for child in mounted))
    html = model.serves_html(key)
    needed = {HSTS, XCTO, CSP, XFO} if html else {HSTS, XCTO}
    label = f"`{app.decl.key.replace('.<locals>.', ':').rpartition('.')[2]}`"
    serves = "renders HTML (templates, HTML responses or static files)" if html else "serves an API"
    if not headers:
        matter = "all four matter" if html else "HSTS and `X-Content-Type-Options` matter most"
        return (
            f"application {label} sets none of the security headers ({', '.join(SECURITY_HEADERS)}): "
            f"it {serves}, so {matter}; add a middleware that sets them (or the `secure` package), or record "
            f"`set-by-proxy = true` for RVW951 if a reverse proxy sets them"
        )
    if CSP in headers:
        headers.add(XFO)  # frame-ancestors
    missing = needed - headers - {HSTS}
    if not missing:
        return None
    return (
        f"application {label} sets {', '.join(header_names(headers & set(SECURITY_HEADERS)))} but not "
        f"{', '.join(header_names(missing))}, which matter{'s' if len(missing) == 1 else ''} as it {serves}; "
        f"add {'it' if len(missing) == 1 else 'them'} to the middleware that sets the others"
    )
