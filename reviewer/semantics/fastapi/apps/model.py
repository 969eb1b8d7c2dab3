"""`AppModel`, the repository side of the application model: the applications a repository creates
(`apps`, `roots`, which application mounts which), the names that hold them (`apps_of`: factories,
functions an application is handed to), the middleware stack of each (`middleware_of`), the
security headers that stack sets (`security_headers`, through the helpers and module constants
middleware reads) and what each application serves (`served_routers`, `serves_anything`,
`own_routes`, `serves_html`, `routes`). `RateLimitModel` (rate_limits.py) builds on it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from reviewer.semantics.fastapi.apps.records import (
    ALL_HEADERS,
    FACTS_KEY,
    HEADER_PACKAGES,
    MAX_HOPS,
    App,
    AppDecl,
    AppModuleFacts,
    MiddlewareUse,
)
from reviewer.semantics.fastapi.collector import FastAPIFacts
from reviewer.semantics.fastapi.records import APPLICATION_CLASSES, ModuleFacts
from reviewer.semantics.fastapi.records import FACTS_KEY as ENDPOINTS_KEY

if TYPE_CHECKING:
    from reviewer.facts import RepositoryView
    from reviewer.semantics.fastapi.index import EndpointIndex

# A third-party middleware class whose name says it sets security headers.
_HEADER_MIDDLEWARE_NAME = re.compile(r"secur(e|ity).*header|header.*secur|helmet|secureheaders", re.IGNORECASE)
UNKNOWN_APP = "?"  # an application the model cannot name, in `served_routers`


class AppModel:
    """The applications of the repository, their mounts and middleware, the security headers that
    middleware sets and what each application serves."""

    def __init__(self, repo: RepositoryView) -> None:
        self._canonical_memo: dict[str, str] = {}
        self._serving: set[str] | None = None
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
        self._routes: list[tuple[str | None, str | None]] | None = None
        self._members_of: dict[str, list[str]] | None = None
        self._returns: dict[str, str] = {}
        self._made_by: dict[str, str] = {}
        self._constants: dict[str, frozenset[str]] = {}
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
        known = self._canonical_memo.get(name)
        if known is None:
            resolved = self.index.resolve(name) or name
            known = self._canonical_memo[name] = self._modules.canonical(resolved) if resolved == name else resolved
        return known

    def _is_app_class(self, name: str, depth: int = 0) -> bool:
        if name in APPLICATION_CLASSES:
            return True
        resolved = self._canonical(name)
        if resolved in APPLICATION_CLASSES:
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

    # what an application serves -----------------------------------------------------------------

    def served_routers(self) -> dict[str, set[str]]:
        """Router key -> the applications (keys) that serve its routes, through `include_router`
        and `mount` chains (routers a factory builds are found by the factory's call)."""
        if self._served is None:
            self._served = self._serve()
        return self._served

    def serves_anything(self, key: str) -> bool:
        """Whether the application has a route, or mounts something, through its router tree."""
        if self._serving is None:
            self._serving = self._find_serving()
        return key in self._serving

    def _find_serving(self) -> set[str]:
        """The applications that have a route or mount something, or that are handed to a function
        of the repository that sets them up."""
        served = self.served_routers()
        found: set[str] = set()
        for callee, owners in self._handoffs.items():
            if callee in self._functions:
                for _, owner in owners:
                    found |= self.apps_of(owner)
        for facts in self._endpoint_facts:
            for route in facts.routes:
                if route.owner is not None:
                    found |= served.get(self.index.resolve(route.owner) or route.owner, set())
            for inclusion in facts.inclusions:
                if inclusion.mounts_app:
                    found |= served.get(self.index.resolve(inclusion.parent) or "", set())
        return found

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
