"""Where an endpoint serves: the routers above it, the applications they reach, and whether a
router on the way is included only under a condition."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from reviewer.semantics.fastapi.records import APPLICATION_CLASSES

if TYPE_CHECKING:
    from reviewer.semantics.fastapi.index import Endpoint, EndpointIndex
    from reviewer.semantics.fastapi.records import Inclusion

UNKNOWN_APPLICATION = "<application>"


class RouterChains:
    """The router chains of the repository's endpoints, from the routes and `include_router`
    calls the FastAPI model recorded."""

    def __init__(
        self,
        index: EndpointIndex,
        routes: Iterable[tuple[str | None, str | None]],  # (owner, function)
        inclusions: list[Inclusion],
        conditional: set[str],
        app_dependencies: bool,
        lineage: Callable[[str], list[str]],
    ) -> None:
        self.index = index
        self._inclusions = inclusions
        self._conditional = conditional
        # Whether an application of the repository declares dependencies of its own
        # (`FastAPI(dependencies=[...])`): a router included into an application the analysis
        # cannot name (`def register(app: FastAPI): app.include_router(router)`) may get them.
        self._app_dependencies = app_dependencies
        self._lineage = lineage
        self._routers_of: dict[str, set[str]] = {}
        for owner, function in routes:
            router = index.router(owner)
            target = index.resolve(function)
            if router is not None and target:
                self._routers_of.setdefault(target, set()).add(router.key)
        self._parents: dict[tuple[str, bool], set[str]] | None = None
        self._rooted: dict[str, bool] = {}

    def is_application(self, factory: str | None) -> bool:
        """Whether a router made by `factory` is an application (FastAPI, Starlette, a subclass)."""
        return bool(factory) and (factory in APPLICATION_CLASSES
                                  or any(base in APPLICATION_CLASSES for base in self._lineage(factory or "")))

    def chain(self, endpoint: Endpoint) -> set[str]:
        """Every router above the endpoint, its own included."""
        pending = list(self._routers_of.get(endpoint.function.qualname, ()))
        found: set[str] = set()
        while pending:
            key = pending.pop()
            if key in found or key == UNKNOWN_APPLICATION:
                continue
            found.add(key)
            pending.extend(self._parents_of(key))
        return found

    def conditionally_served(self, endpoint: Endpoint) -> bool:
        """Whether a router above the endpoint is included only under a condition (a local
        environment, a feature flag): whether it serves in production the code does not say."""
        names = {self.index.resolve(name) or name for name in self._conditional}
        return bool(self.chain(endpoint) & names)

    def applications(self, endpoint: Endpoint) -> set[str]:
        """The applications that serve the endpoint (`<application>`: one the analysis cannot name)."""
        apps = set()
        for key in self.chain(endpoint):
            router = self.index.router(key)
            factory = self.index.resolve(router.factory) if router is not None else None
            if factory and self.is_application(factory):
                apps.add(key)
            if UNKNOWN_APPLICATION in self._parents_of(key):
                apps.add(UNKNOWN_APPLICATION)
        return apps

    def served(self, endpoint: Endpoint) -> bool:
        """Whether a router chain from the endpoint reaches a FastAPI application of the
        repository (an endpoint of a router never seen included may be guarded where it is)."""
        return any(self._is_rooted(key, frozenset()) for key in self._routers_of.get(endpoint.function.qualname, ()))

    def _is_rooted(self, key: str, seen: frozenset[str]) -> bool:
        if key == UNKNOWN_APPLICATION:
            return True
        if key in self._rooted:
            return self._rooted[key]
        router = self.index.router(key)
        factory = self.index.resolve(router.factory) if router is not None else None
        found = self.is_application(factory)
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
                included = self.index.router(inclusion.child) if not inclusion.child_is_call else None
                # A router an object keeps (`app.include_router(tracing.router)`) by its class's key.
                child = included.key if included is not None else self.index.resolve(inclusion.child)
                if child and (parent is not None or not self._app_dependencies):
                    # An unknown parent is taken for an application without dependencies of its own.
                    above = parent.key if parent is not None else UNKNOWN_APPLICATION
                    self._parents.setdefault((child, inclusion.child_is_call), set()).add(above)
        parents = set(self._parents.get((key, False), ()))
        marker = ".<locals>."
        start = key.find(marker)
        while start != -1:
            parents |= self._parents.get((key[:start], True), set())
            start = key.find(marker, start + 1)
        return parents
