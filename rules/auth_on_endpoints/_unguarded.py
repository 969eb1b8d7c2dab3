"""The endpoints that change data and that nothing authenticates, shared by the item's rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from reviewer.facts import Facts
from reviewer.model import Severity
from reviewer.rule import RepoContext, Rule
from reviewer.semantics.fastapi import Endpoint, FastAPIFacts
from reviewer.semantics.fastapi.guards import AuthModel, GuardFacts

CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_KEY = "auth-on-endpoints:unguarded"


class UnguardedRule(Rule):
    """Base of the item's rules: they judge the endpoints `unguarded` finds, in `check_repo`."""

    checklist = "auth-on-endpoints"
    severity = Severity.WARNING
    always_applicable = False
    requires: ClassVar[tuple[type[Facts], ...]] = (FastAPIFacts, GuardFacts)


@dataclass
class Unguarded:
    endpoints: list[tuple[Endpoint, str]]  # changing data (with the write), served, guarded by nothing
    # Endpoint function -> the applications serving it (sorted), and whether some endpoint of one of
    # them (or a middleware) authenticates callers.
    applications: dict[str, tuple[tuple[str, ...], bool]]


def unguarded(repo: RepoContext) -> Unguarded | None:
    """None when the repository has no endpoint that changes data."""
    if _KEY in repo.shared:
        return repo.shared[_KEY]
    index = repo.facts(FastAPIFacts)
    model: AuthModel = repo.facts(GuardFacts)
    changing = [e for e in index.endpoints if CHANGING_METHODS & set(e.methods)]
    found = None
    if changing:
        guarded_apps: set[str] = set()
        for endpoint in index.endpoints:
            if model.guard(endpoint):
                guarded_apps |= model.applications(endpoint)
        seen: set[str] = set()
        endpoints = []
        for endpoint in changing:
            name = endpoint.function.qualname
            if name in seen or not model.served(endpoint) or model.conditionally_served(endpoint):
                continue
            if model.guard(endpoint) or model.public_flow(endpoint):
                continue
            write = model.changes_data(endpoint)
            if write is None:
                continue
            seen.add(name)
            endpoints.append((endpoint, write))
        applications = {}
        for endpoint, _ in endpoints:
            apps = model.applications(endpoint)
            applications[endpoint.function.qualname] = (tuple(sorted(apps)), bool(apps & guarded_apps))
        found = Unguarded(endpoints, applications)
    repo.shared[_KEY] = found
    return found


def changed_methods(endpoint: Endpoint) -> str:
    return "/".join(m for m in endpoint.methods if m in CHANGING_METHODS)
