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
`serves_html(app)`, `served_routers()`; `RateLimitModel`, built on it (and what
`repo.facts(AppFacts)` gives), adds for endpoints `rate_limit(endpoint)`: the limiter
guarding it (`"slowapi @limiter.limit"`, `"RateLimiter dependency"`, a middleware's or
dependency's name), or None, and what tells an authentication endpoint (`effects`,
`model_fields`, `fastapi_users_routers`). It is rule-agnostic: the security-headers and
rate-limiting rules read it, and so may the auth rules (the middleware stack).

Modules:

- records.py: the vocabulary (application classes, security headers, throttling names) and the
  plain records (`AppDecl`, `MiddlewareUse`, `AppModuleFacts`, `App`);
- collector.py: `AppFacts`, the per-file walk that fills `AppModuleFacts`;
- model.py: `AppModel`, applications, mounts, middleware stacks, headers set, what is served;
- rate_limits.py: `RateLimitModel`, what limits the rate of requests to an endpoint and what
  shows an endpoint authenticates a client.
"""

from reviewer.semantics.fastapi.apps.collector import AppFacts
from reviewer.semantics.fastapi.apps.model import AppModel
from reviewer.semantics.fastapi.apps.rate_limits import RateLimitModel
from reviewer.semantics.fastapi.apps.records import (
    ALL_HEADERS,
    CSP,
    FACTS_KEY,
    HSTS,
    SECURITY_HEADERS,
    XCTO,
    XFO,
    App,
    AppDecl,
    AppModuleFacts,
    MiddlewareUse,
    header_names,
)

__all__ = [
    "ALL_HEADERS",
    "CSP",
    "FACTS_KEY",
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
    "RateLimitModel",
    "header_names",
]
