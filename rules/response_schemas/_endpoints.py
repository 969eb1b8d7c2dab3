"""What the response-schemas rules share: they read the FastAPI model and the response model."""

from __future__ import annotations

from typing import ClassVar

from reviewer.facts import Facts
from reviewer.rule import RepoContext, Rule
from reviewer.semantics.fastapi import FastAPIFacts
from reviewer.semantics.fastapi.responses import ResponseFacts, ResponseModel


class ResponseRule(Rule):
    """Base of the response-schemas rules: they judge endpoints in `check_repo`."""

    always_applicable = False
    requires: ClassVar[tuple[type[Facts], ...]] = (FastAPIFacts, ResponseFacts)


def response_model(repo: RepoContext) -> ResponseModel:
    """The repository's responses; the rule's item applies when there are endpoints."""
    model: ResponseModel = repo.facts(ResponseFacts)
    if model.index.endpoints:
        repo.mark_applicable()
    return model
