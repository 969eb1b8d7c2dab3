"""What authenticates the caller of each endpoint: the authentication model of an application.

Per file, `GuardFacts` (collector.py) joins the engine's walk of modules that can hold
authentication code (a cheap text test first) and records (records.py), per function, how it can
turn a caller away: it raises or returns a 401/403 (`HTTPException(status_code=401)`,
`JSONResponse(..., status_code=403)`, an ASGI `http.response.start` with status 401, an exception
class named for it such as `Unauthorized`), whether it lets an absent credential through (`if not
token: return None`), which parameters it refuses to do without (`if not user: raise ...`) (a
refusal only when a credential came, `if token: ... raise`, turns nobody without one away), and the
calls that show an authentication flow or a signed webhook (`hmac.compare_digest`,
`stripe.Webhook.construct_event`, `bcrypt.checkpw`, `jwt.encode`; the words are in vocabulary.py).
It also records FastAPI security schemes made at module level (`OAuth2PasswordBearer(...)`,
`HTTPBearer(auto_error=False)`, fastapi-users' `current_user(...)`), middleware classes and
`@app.middleware("http")` functions that reject requests, and the middleware an application
registers (`add_middleware(X)`, `Middleware(X)`: registrations.py). How its code reads what the
request brings to authenticate with (a header or cookie parameter, `if token:`, `if not user:`) is
request_credentials.py.

Over the repository, `AuthModel` (model.py) answers, for an endpoint of the FastAPI model, which
guard authenticates its caller (`guard`): a security scheme or a rejecting dependency at any level
(route, router, `include_router`, application, or a dependency of a dependency), a check in the
endpoint's body or in a helper it calls, a rejecting decorator, or a registered middleware that
rejects; and, for an endpoint nothing guards, evidence that it is public by design (`public_flow`).
A dependency that may answer without a credential (a scheme with `auto_error=False`, a
`get_current_user` that returns None when the token is missing) is no guard unless its consumer
refuses to go on without it. Where an endpoint serves (the routers above it, the applications they
reach) is chains.py; the calls from a function to the repository's functions, and the search for
evidence along them (`through_calls`), callgraph.py; what an endpoint writes (`changes_data`),
writes.py; the classes of what the guards hand their endpoints, and the endpoints that act as one
the code chooses for every caller (a configured default operator), principals.py.

For the endpoints nothing guards, what makes a `GET` worth guarding: effects.py (`side_effect`: its
handler writes through a database session or sends mail) and scoped.py (`ScopedReadFacts`, whose
model answers `private_read`: a path or query parameter selects the rows of a mapped class by an
owner column, `Order.user_id == user_id`).

Which guards admit only the deployment's own callers (a shared key or signing key it configures,
a loopback check: an internal service, a self-hosted tool's one password): holders.py
(`admits_only_holders`).
"""

from reviewer.semantics.fastapi.guards.collector import GuardFacts
from reviewer.semantics.fastapi.guards.model import AuthModel, auth_guard
from reviewer.semantics.fastapi.guards.records import GuardFunction, ModuleGuards, Scheme
from reviewer.semantics.fastapi.guards.vocabulary import (
    FACTS_KEY,
    HTTP_EXCEPTIONS,
    PASSWORD_FORMS,
    SCHEME_CLASSES,
    SCHEME_MODULES,
    STARLETTE_REQUIRES,
    flow_of_call,
    scheme_class,
)

__all__ = [
    "FACTS_KEY",
    "HTTP_EXCEPTIONS",
    "PASSWORD_FORMS",
    "SCHEME_CLASSES",
    "SCHEME_MODULES",
    "STARLETTE_REQUIRES",
    "AuthModel",
    "GuardFacts",
    "GuardFunction",
    "ModuleGuards",
    "Scheme",
    "auth_guard",
    "flow_of_call",
    "scheme_class",
]
