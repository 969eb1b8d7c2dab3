"""`AuthModel`: over the repository, what authenticates the caller of each endpoint (see the
package docstring)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from reviewer.semantics.fastapi.guards.callgraph import CallGraph
from reviewer.semantics.fastapi.guards.chains import RouterChains
from reviewer.semantics.fastapi.guards.principals import Principals
from reviewer.semantics.fastapi.guards.records import GuardFunction, ModuleGuards, Scheme
from reviewer.semantics.fastapi.guards.vocabulary import (
    _SIGN_UP,
    FACTS_KEY,
    MAX_CALL_DEPTH,
    STARLETTE_REQUIRES,
    flow_of_call,
    scheme_class,
)
from reviewer.semantics.fastapi.guards.writes import Writes
from reviewer.semantics.fastapi.records import APPLICATION_CLASSES, Inclusion, ModuleFacts
from reviewer.semantics.fastapi.records import FACTS_KEY as ENDPOINTS_KEY

if TYPE_CHECKING:
    from reviewer.semantics.fastapi.index import Endpoint, EndpointIndex
    from reviewer.semantics.settings import SettingsDefaults
    from reviewer.summary import ModuleSummary

# A rejection that is about who calls (a 401, an exception named for authentication), as `rejects`
# describes it; a 403 or a "forbidden" alone may be a rule of the application.
_AUTHENTICATION_REJECTION = re.compile(r"401|unauthori|authenticat|credential|token|session|login|api_?key",
                                       re.IGNORECASE)


class AuthModel:
    """Which guard authenticates the caller of each endpoint (see the package docstring)."""

    def __init__(self, summaries: Iterable[ModuleSummary], index: EndpointIndex,
                 settings: SettingsDefaults | None = None) -> None:
        self.index = index
        self.settings = settings
        self.configured_as: dict[str, str] = {}  # see holders.py
        self.functions: dict[str, GuardFunction] = {}
        self.schemes: dict[str, Scheme] = {}
        self._made_by: dict[str, str] = {}
        self._local_choices: dict[str, tuple[str, ...]] = {}
        self._class_dependencies: dict[str, tuple[str, ...]] = {}
        self._opaque: dict[str, str] = {}
        self._conditional: set[str] = set()
        self._classes: dict[str, list[str]] = {}
        self._summaries: dict[str, Any] = {}
        candidates: dict[str, str] = {}
        registered: dict[str, set[str]] = {}
        routes: list[tuple[str | None, str | None]] = []  # (owner, function)
        app_dependencies = False  # an application declares `dependencies=` of its own
        inclusions: list[Inclusion] = []
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
                self._local_choices.update(guards.local_choices)
                self._class_dependencies.update(guards.class_dependencies)
                self._opaque.update(guards.opaque_dependencies)
                self._conditional |= guards.conditional_inclusions
                self.configured_as.update(guards.configured_as)
                candidates.update(guards.middleware_candidates)
                for name, receivers in guards.registered_middleware.items():
                    registered.setdefault(name, set()).update(receivers)
            endpoints: ModuleFacts | None = summary.extras.get(ENDPOINTS_KEY)
            if endpoints is not None:
                routes.extend((route.owner, route.function) for route in endpoints.routes)
                inclusions.extend(endpoints.inclusions)
                app_dependencies |= any(
                    router.dependencies and (index.resolve(router.factory) or "") in APPLICATION_CLASSES
                    for router in endpoints.routers)
        # A function registered by hand (`app.middleware("http")(auth_middleware)`), or a router
        # included with dependencies, is named as the registering module imports it; the call graph
        # and the router chains know it by the name that defines it.
        self._candidates = {name: index.resolve(handler) or handler for name, handler in candidates.items()}
        self._opaque = {index.resolve(router) or router: given for router, given in self._opaque.items()}
        self._registered = registered
        self._registered_apps: dict[str, set[str]] = {}  # middleware -> `_registered_with` it
        self._middleware: dict[str, set[str]] | None = None
        # The inclusions as the index resolved them through the helpers' calls (`app =
        # extend_main(app)` including routers into its parameter), and as written those of a
        # helper no call of the repository places (the router goes into an application the
        # analysis cannot name).
        placed = {(inclusion.child, inclusion.prefix) for inclusion in index.inclusions}
        resolved = index.inclusions + [inclusion for inclusion in inclusions
                                       if inclusion.is_template and (inclusion.child, inclusion.prefix) not in placed]
        self.calls = CallGraph(index, self.functions, self._summaries, self._classes)
        self._writes = Writes(self.calls)
        self.principals = Principals(self)
        self.chains = RouterChains(index, routes, resolved, self._conditional, app_dependencies, self.calls.lineage)
        self._rejects_memo: dict[str, str | None] = {}
        self._nested: dict[str, list[str]] | None = None  # function -> the functions defined in it
        # What guards each endpoint, asked by the rules and the report's `auth` field: keyed on
        # what the answer depends on (the endpoint's function and the dependencies declared above
        # it), not on the endpoint object, which may be a temporary copy.
        self._guard_memo: dict[tuple[str, tuple[str, ...]], str | None] = {}

    # where an endpoint serves (chains.py) ------------------------------------------------------

    def applications(self, endpoint: Endpoint) -> set[str]:
        """The applications that serve the endpoint (`<application>`: one the analysis cannot name)."""
        return self.chains.applications(endpoint)

    def served(self, endpoint: Endpoint) -> bool:
        """Whether a router chain from the endpoint reaches a FastAPI application of the repository."""
        return self.chains.served(endpoint)

    def conditionally_served(self, endpoint: Endpoint) -> bool:
        """Whether a router above the endpoint is included only under a condition."""
        return self.chains.conditionally_served(endpoint)

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
                        if qualname == handler or qualname.startswith(owner + ".")) or bool(
                self.calls.through_calls(handler, self._credential_check))  # `await check_token(request)`
            if not reads or not self.rejects(handler):
                continue  # it turns nobody away, or not for a missing credential (an address, a size, CSRF)
            apps = self._registered_with(name)
            if apps:
                found[f"middleware `{name.rsplit('.', 1)[-1]}`"] = apps
        return found

    def _registered_with(self, name: str) -> set[str]:
        """The applications a middleware is registered with (router keys; "" for every one: a
        registration that names none the analysis can resolve)."""
        known = self._registered_apps.get(name)
        if known is not None:
            return known
        apps: set[str] = set()
        for registration, receivers in self._registered.items():
            if self._same(name, registration):
                for receiver in receivers:
                    router = self.index.router(receiver) if receiver else None
                    apps.add(router.key if router is not None else "")
        self._registered_apps[name] = apps
        return apps

    def _same(self, defined: str, named: str) -> bool:
        resolved = self.index.resolve(named) or named
        return resolved == defined or defined.endswith("." + resolved) or resolved.endswith("." + defined)

    # guards -----------------------------------------------------------------------------------

    def guard(self, endpoint: Endpoint) -> str | None:
        """A short description of what authenticates the endpoint's caller, None when nothing does
        that the analysis can see."""
        key = (endpoint.function.qualname, endpoint.dependencies)
        if key not in self._guard_memo:
            self._guard_memo[key] = self._guard(endpoint)
        return self._guard_memo[key]

    def _guard(self, endpoint: Endpoint) -> str | None:
        found = self._dependency_guard(endpoint)
        if found:
            return found
        for key in self.chains.chain(endpoint):
            given = self._opaque.get(self.index.resolve(key) or key)
            if given:
                return f"`dependencies={given}(...)` (not resolved)"
        own = self.rejects(endpoint.function.qualname)
        if own and (_AUTHENTICATION_REJECTION.search(own) or self.reads_credentials(endpoint)
                    or self.calls.through_calls(endpoint.function.qualname, self._own_credential_read)):
            # A 403 alone (`if pool.name.startswith("prefect"): raise HTTPException(403)`) is a rule
            # of the application, not a check of who calls: it counts with a credential read.
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

    def middleware_handlers(self, endpoint: Endpoint) -> list[str]:
        """The functions that handle each request in the middleware of the applications serving
        the endpoint, whether or not they reject."""
        if not self._candidates:
            return []
        apps = self.applications(endpoint)
        return [handler for name, handler in sorted(self._candidates.items())
                if "" in (registered := self._registered_with(name)) or registered & apps]

    def _dependency_guard(self, endpoint: Endpoint) -> str | None:
        owner = endpoint.function.qualname.rpartition(".")[0]
        if owner in self._classes:
            inherited = [
                name
                for cls in (owner, *self.calls.lineage(owner))
                for name in self._class_dependencies.get(cls, ())
            ]
            endpoint = replace(endpoint, dependencies=(*endpoint.dependencies, *inherited))
        names = list(endpoint.dependencies)
        consumers = [endpoint.function] + [d.function for d in self.index.dependencies(endpoint)]
        refused: set[str] = set()
        for function in consumers:
            record = self.functions.get(function.qualname)
            refuses = set(record.refuses_without) if record else set()
            for param, _, dependency in self.index.injected(function):
                names.append(dependency)
                if param.name in refuses:
                    refused.add(dependency)
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
                    where = "" if function is endpoint.function else f" in `{self._label(function.qualname)}`"
                    return f"`{param.name}` required{where} (`Depends({marker.dependency.rsplit('.', 1)[-1]})`)"
        for function in consumers[1:]:
            record = self.functions.get(function.qualname)
            if record is None:
                continue
            rejects = self.rejects(function.qualname)
            consumed = {n for n in names if (self.index.resolve(n) or n) == function.qualname}
            if rejects and (not record.lets_missing_through or consumed & refused):
                return f"`Depends({self._label(function.qualname)})`"
        for name in names:
            # `Depends(require_role("admin"))`, `current_active_user = current_user(active=True)`:
            # the checker a factory of the repository makes.
            made = self._made_by.get(self.index.resolve(name) or name)
            if name.endswith("()") or made:
                factory = self.index.resolve(made or name[:-2]) or made or name[:-2]
                if self._factory_guards(factory, 0):
                    return f"`Depends({factory.rsplit('.', 1)[-1]}(...))`"
        return None

    def _label(self, qualname: str) -> str:
        """How a message names a dependency: `get_user`, `Checker` for its `__call__`, and
        `RoleACL(...)` for a checker the factory `RoleACL` defines and returns."""
        owner = qualname.rpartition(".")[0]
        if owner in self.index.functions:
            return f"{_dependency_label(owner)}(...)"
        return _dependency_label(qualname)

    def _factory_guards(self, factory: str, depth: int) -> bool:
        """Whether the checker a factory makes turns callers away: its nested function rejects,
        it returns an instance of a rejecting class, or its nested function depends on a scheme, a
        rejecting function or a checker that does (`def Authorizer(scopes): async def
        dependency(subject: Annotated[..., Depends(Authenticator(...))])`)."""
        record = self.functions.get(factory)
        if record is None:
            return False
        if record.nested_rejects or self._makes_rejecting_checker(factory):
            return True
        if depth >= MAX_CALL_DEPTH:
            return False
        if self._nested is None:
            self._nested = {}
            for qualname in self.index.functions:
                self._nested.setdefault(qualname.rpartition(".")[0], []).append(qualname)
        for nested in self._nested.get(factory, ()):
            for _, _, dependency in self.index.injected(self.index.functions[nested][0]):
                # `Depends(base)`, a local of the factory naming one dependency or another: each must.
                choices = self._local_choices.get(f"{factory}.<locals>.{dependency}", (dependency,))
                if all(self._checker_guards(name, factory, depth) for name in choices):
                    return True
        return False

    def _checker_guards(self, name: str, factory: str, depth: int) -> bool:
        """Whether a dependency that a factory's checker depends on turns callers away: a scheme,
        a rejecting function, or a checker another factory makes that does."""
        scheme = self._scheme(name)
        if scheme is not None and scheme.guards:
            return True
        target = self.index.resolve(name) or name
        checker = self.functions.get(target)
        if checker is not None and not checker.lets_missing_through and self.rejects(target):
            return True
        made = self._made_by.get(self.index.resolve(name) or name)
        if name.endswith("()") or made:
            inner = self.index.resolve(made or name[:-2]) or made or name[:-2]
            return inner != factory and self._factory_guards(inner, depth + 1)
        return False

    def _makes_rejecting_checker(self, factory: str) -> bool:
        """A factory annotated to return an instance of a class whose `__call__` turns callers
        away (`def Authenticator(...) -> _Authenticator`)."""
        entry = self.index.functions.get(factory)
        returns = entry[0].returns if entry else None
        if returns is None or returns.kind != "name" or not returns.name:
            return False
        return bool(self.rejects(self.calls.method(self.calls.class_named(returns.name), "__call__")))

    def reads_credentials(self, endpoint: Endpoint) -> bool:
        """Whether the endpoint, or a dependency FastAPI runs for it, reads a credential of the
        request (a cookie, the session, an `Authorization` or API-key header, a security scheme),
        even if nothing turns a caller without one away (a logout that ends the caller's session)."""
        if any(self._reads_credentials(name, 0) for name in endpoint.dependencies):
            return True
        record = self.functions.get(endpoint.function.qualname)
        if record is not None and record.reads_credentials:
            return True
        return any(self._reads_credentials(d.function.qualname, 0) for d in self.index.dependencies(endpoint))

    def _own_credential_read(self, qualname: str, depth: int) -> bool | None:
        """Whether the function itself reads a credential."""
        record = self.functions.get(qualname)
        return True if record is not None and record.reads_credentials else None

    def _credential_check(self, qualname: str, depth: int) -> bool | None:
        """Whether the function reads a credential and turns a caller away itself: a check that
        raises without one (`if not request.headers.get("authorization"): raise ...`), not a
        helper that only extracts a token whose caller goes on without it."""
        record = self.functions.get(qualname)
        return True if record is not None and record.reads_credentials and record.rejects else None

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
            if any(scheme_class(base) for base in self.calls.lineage(made)):
                return Scheme(made.rsplit(".", 1)[-1], True)
            return None
        resolved = self.index.resolve(name) or name
        return self.schemes.get(resolved)

    def rejects(self, qualname: str) -> str | None:
        """How the function, or a helper of the repository it calls, turns a caller away."""
        if qualname not in self._rejects_memo:
            # A token verified on every call, in a helper every caller on the way runs every time and
            # lets the error through (a middleware that decodes a session cookie only when there is
            # one, or swallows what decoding raises, lets others in).
            calls = self.calls
            self._rejects_memo[qualname] = calls.through_calls(qualname, self._own_rejection) or calls.through_calls(
                qualname, self._own_token_check, follow=calls.unconditional_callees)
        return self._rejects_memo[qualname]

    def _own_rejection(self, qualname: str, depth: int) -> str | None:
        record = self.functions.get(qualname)
        return record.rejects if record is not None and record.rejects else None

    def _own_token_check(self, qualname: str, depth: int) -> str | None:
        record = self.functions.get(qualname)
        return record.verifies_token if record is not None else None

    def public_flow(self, endpoint: Endpoint) -> str | None:
        """Evidence that an endpoint nothing guards is public by design: it checks a password or
        a signature, issues a token, hashes a new password, or takes an OAuth callback; or it acts
        as a principal the code chooses for every caller (`principals.py`)."""
        functions = [endpoint.function.qualname] + [d.function.qualname for d in self.index.dependencies(endpoint)]
        return next(filter(None, (self.calls.through_calls(name, self._own_flow) for name in functions)),
                    None) or self.principals.chosen_for(endpoint)

    def _own_flow(self, qualname: str, depth: int) -> str | None:
        """What in the function itself shows a public flow: its record, or a call it makes."""
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
        return None

    def changes_data(self, endpoint: Endpoint) -> str | None:
        """The call that shows the endpoint writes (`writes.py`), None for an endpoint that only
        computes an answer (`POST /decode`)."""
        return self._writes.of(endpoint)

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
