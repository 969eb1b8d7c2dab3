"""What the input-validation rules share: they read the FastAPI model, and their item applies
only to a repository that has endpoints."""

from __future__ import annotations

from typing import ClassVar

from reviewer.facts import Facts
from reviewer.rule import RepoContext, Rule
from reviewer.semantics.fastapi import EndpointIndex, FastAPIFacts


class EndpointRule(Rule):
    """Base of the input-validation rules: they judge endpoints in `check_repo`."""

    always_applicable = False
    requires: ClassVar[tuple[type[Facts], ...]] = (FastAPIFacts,)


def endpoint_index(repo: RepoContext) -> EndpointIndex:
    """The repository's endpoints; the rule's item applies when there are any."""
    index = repo.facts(FastAPIFacts)
    if index.endpoints:
        repo.mark_applicable()
    return index
