"""What the pagination rules share: they judge GET endpoints over the listing model, and their
item applies only to a repository that has endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from reviewer.facts import Facts
from reviewer.rule import RepoContext, Rule
from reviewer.semantics.error_paths import names_admin_check
from reviewer.semantics.fastapi import Endpoint
from reviewer.semantics.fastapi.listing import ListingFacts, ListingIndex


class ListingRule(Rule):
    """Base of the pagination rules: they judge endpoints in `check_repo`."""

    checklist = "pagination"
    always_applicable = False
    prefilter_packages: ClassVar[tuple[str, ...]] = ("fastapi",)
    requires: ClassVar[tuple[type[Facts], ...]] = (ListingFacts,)


def list_endpoints(repo: RepoContext) -> Iterator[tuple[ListingIndex, Endpoint]]:
    """The repository's GET endpoints (each function once), with the listing model."""
    index: ListingIndex = repo.facts(ListingFacts)
    seen: set[str] = set()
    for endpoint in index.endpoints.endpoints:
        repo.mark_applicable()
        if "GET" not in endpoint.methods or endpoint.function.qualname in seen:
            continue
        seen.add(endpoint.function.qualname)
        yield index, endpoint


def admin_only(index: ListingIndex, endpoint: Endpoint) -> bool:
    """Only administrators reach the endpoint: a dependency at any level checks for one."""
    names = [*endpoint.dependencies, *(d.function.qualname for d in index.endpoints.dependencies(endpoint))]
    for param in endpoint.function.params:
        _, marker = index.endpoints.markers_of(param)
        if marker is not None and marker.dependency:
            names.append(marker.dependency)
    return any(names_admin_check(name) for name in names)
