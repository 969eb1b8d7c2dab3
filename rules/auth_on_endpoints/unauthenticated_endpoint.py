"""An endpoint that changes data, in an application that authenticates callers elsewhere, with no guard."""

from __future__ import annotations

from reviewer.rule import RepoContext
from rules.auth_on_endpoints._unguarded import UnguardedRule, changed_methods, unguarded


class UnauthenticatedEndpoint(UnguardedRule):
    """An endpoint that changes data and that nothing authenticates, in an application that
    authenticates its other callers.

    ## What it does
    For every `POST`, `PUT`, `PATCH` and `DELETE` endpoint served by a FastAPI application of the
    repository (its router chain reaches the application through `include_router`/`mount`) whose
    code shows a write (`session.commit()`, `repository.create(...)`, a file written, itself or in
    a helper of the repository it calls: a `POST` that only computes an answer is not a change,
    nor is a `session.execute(select(...))` that reads rows),
    looks for what authenticates the caller, at every level FastAPI applies it: the route's
    parameters and `dependencies=[...]`, the router's, the `include_router` call's and the
    application's `dependencies=`, the dependencies of those dependencies, and the class
    attributes of a class-based view (`user: User = Depends(get_current_user)`). A guard is:

    - a FastAPI security scheme (`OAuth2PasswordBearer`, `OAuth2AuthorizationCodeBearer`,
      `HTTPBearer`, `HTTPBasic`, `APIKeyHeader`/`Query`/`Cookie`, `OpenIdConnect`, or a class
      derived from one), or fastapi-users' `current_user(...)`;
    - a dependency (a function, or a class's `__call__`) that turns the caller away with a
      401/403 (`HTTPException(status_code=401)`, a 401/403 response, an exception class named
      for it such as `Unauthorized`), itself or in a helper it calls;
    - a check in the endpoint's body or a helper it calls (`if not user: raise HTTPException(401)`),
      a decorator whose wrapper rejects, starlette's `@requires(...)`; a body that answers only
      403 counts when the endpoint, a dependency or a helper reads a credential (a signature or
      API-key header, a cookie): a 403 for a reserved name is a rule of the application;
    - a middleware of the endpoint's application (`add_middleware`, `Middleware(...)`,
      `@app.middleware("http")`) that reads a credential (the `Authorization` or an API-key header,
      a cookie, the session) and answers 401/403; one that turns away addresses or a missing CSRF
      token is no authentication.

    A scheme made with `auto_error=False`, fastapi-users' `current_user(optional=True)`, or a
    dependency that returns None when the credential is missing (`if not token: return None`) is
    no guard: it lets an anonymous request through, unless the endpoint or dependency that
    receives it refuses to go on without it (`if not user: raise ...`). Nor is a refusal made only
    when the request brought a credential (`if token is not None: ... raise InvalidTokenError()`,
    `if api_key and api_key != KEY: raise ...`): it turns away a wrong credential, not a missing
    one, as a middleware that sets an anonymous subject for requests without a token does. A test
    of a key the deployment configures (`if SETTINGS_KEY and key != SETTINGS_KEY`) is the
    deployment's check and counts.

    Endpoints that are public by design are not reported when the code shows it: the endpoint,
    or a dependency or helper it calls, checks a password or a signature (`OAuth2PasswordRequestForm`,
    `bcrypt.checkpw`, `verify_password`, `hmac.compare_digest`, `stripe.Webhook.construct_event`,
    a webhook's `verify`), issues a token (`jwt.encode`), hashes a new password (sign-up), sets
    the caller's session cookie (`set_cookie`), answers an OAuth token, revocation or
    introspection request through authlib's authorization server (which authenticates the
    client), takes an OAuth callback's `code` and `state`, or is an OAuth authorization endpoint
    (it takes `response_type`, `client_id` and `redirect_uri`); or the request carries the
    credential that chooses what changes: a path parameter (`PATCH /checkouts/{client_secret}`,
    `POST /invites/{token}/accept`) or a field of the body the endpoint reads
    (`claim.invitation_token`, `body.token`, `body.get("refresh_token")` of `await
    request.json()`) named for a token, secret, signature, one-time password, nonce or
    invitation; or the endpoint acts as an identity the code chooses for every caller: it gets
    an object of the class the application's guards hand signed-in endpoints (`login_user:
    UserPayload = Depends(get_login_user)`) from a function that takes nothing the caller sends
    and turns nobody away (`operator = get_default_operator()`, a dependency
    `Depends(get_default_operator)`), as an integration surface run under a configured operator
    does. A function that lets the caller name who acts (`acting_as(user_id)`) or may hand no one
    (`-> User | None`) is no such choice.

    This rule reports only in applications that authenticate some endpoint: when nothing in the
    repository authenticates any caller, `app-without-authentication` (RVW922) says so once.

    A `GET` with a side effect is reported too, when nothing guards it while other endpoints of its
    module are guarded: its handler, or a helper of the repository it calls, writes an object
    through a database session (`session.add`, `db.delete`, `session.merge`, `bulk_save_objects`)
    or sends mail (`smtplib`, `fastapi-mail`, an SMTP client's `sendmail`/`send_message`). A
    commit alone (a `GET` that ends its transaction before streaming) and what the endpoint's
    dependencies do (a `get_db` that commits every request) are not side effects of the endpoint.
    Not reported: a `GET` whose path or query names a credential (`/invite/{token}`,
    `/verify?code=`: the link is the credential), one that shows a public flow (an OAuth callback,
    an email verification step), and a module none of whose endpoints is guarded (public pages).

    ## Why is this bad?
    An endpoint without authentication lets anyone on the network change the data it writes:
    a forgotten `Depends(get_current_user)` on one route of an otherwise protected router is a
    classic broken-access-control defect (OWASP API1/API2).

    ## Example
    ```python
    router = APIRouter(prefix="/items")

    @router.delete("/{item_id}")
    async def delete_item(item_id: int, session: SessionDep): ...
    ```

    ## Use instead
    ```python
    @router.delete("/{item_id}")
    async def delete_item(item_id: int, session: SessionDep, user: CurrentUser): ...
    ```
    or guard the whole router: `APIRouter(prefix="/items", dependencies=[Depends(get_current_user)])`.

    ## Known problems
    A `GET` that returns one user's data is `unauthenticated-private-read` (RVW923). A `GET` that
    writes only through calls the analysis cannot see into (`repository.create(...)` on an object
    it cannot type) is not reported. Authentication done outside the code (a reverse proxy, an API
    gateway, a service mesh) is not seen: "not found" means the code does not show one, so suppress
    the finding with a comment naming the proxy. An endpoint whose router is never seen included
    in an application (an application outside the reviewed paths) is not reported, nor, yet, one
    whose router is included through a helper that takes the application or a loop over routers
    (the endpoint records and the other items follow those; this rule does not, since dependency
    factories whose checker is chosen by an argument are not followed yet), nor one whose router
    is included only under a condition (`if settings.ENVIRONMENT == "local":`), nor one below
    `dependencies=` the analysis cannot read (`APIRouter(dependencies=get_dependencies())`). A
    middleware that rejects counts for every endpoint of its application, whatever paths it
    exempts; one registered where the application is not named counts for all.
    An exception class named for authentication is taken to be answered with 401/403. Evidence
    of a public flow is read from calls (a password or signature check, a token issued, a cookie
    set), so an unauthenticated endpoint that also issues a token or sets a cookie is not
    reported; a credential in the request is read from names (`{client_secret}`, `body.token`),
    so one whose body merely carries a field so named is not either. An endpoint that writes
    only through calls the analysis cannot see into is not checked.
    """

    code = "RVW921"
    name = "unauthenticated-endpoint"

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        found = unguarded(repo)
        if found is None or not (found.changing or found.get_writes):
            return
        repo.mark_applicable()
        for endpoint, write in found.endpoints:
            if not found.applications[endpoint.function.qualname][1]:
                continue
            methods = changed_methods(endpoint)
            repo.report(
                endpoint.file,
                endpoint.function.span,
                f"`{methods} {endpoint.path or '/'}` (`{endpoint.function.name}`) changes data (`{write}`) and nothing "
                "authenticates its caller: no security scheme or rejecting dependency at the route, router, "
                "include_router or application level, no check in its body, no rejecting middleware; add the "
                "application's authentication dependency (`Depends(get_current_user)`) or, if it is public by "
                "design, say so in a suppression comment",
                statement_lines=endpoint.function.statement_lines,
            )
        for endpoint, write in found.get_writes:
            repo.report(
                endpoint.file,
                endpoint.function.span,
                f"`GET {endpoint.path or '/'}` (`{endpoint.function.name}`) {write} although it is a read, and nothing "
                "authenticates its caller while other endpoints of its module are guarded: anyone (or a link "
                "followed by a logged-in user's browser) can trigger the change; add the "
                "application's authentication dependency (`Depends(get_current_user)`), make the change a `POST`, "
                "or, if it is public by design, say so in a suppression comment",
                statement_lines=endpoint.function.statement_lines,
            )
