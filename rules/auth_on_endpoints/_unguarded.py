"""The endpoints that change data and that nothing authenticates, shared by the item's rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import ClassVar

from reviewer.facts import Facts
from reviewer.model import Severity
from reviewer.rule import RepoContext, Rule
from reviewer.semantics.fastapi import Endpoint, EndpointIndex, FastAPIFacts
from reviewer.semantics.fastapi.guards import AuthModel, GuardFacts
from reviewer.semantics.fastapi.guards.effects import side_effect
from reviewer.semantics.fastapi.guards.scoped import PrivateRead, ScopedReadFacts, ScopedReads
from reviewer.semantics.fastapi.guards.vocabulary import CREDENTIAL_FIELD
from reviewer.semantics.fastapi.index import path_parameters

CHANGING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A path or query parameter that is a credential itself: a link's token (`/invite/{token}`,
# `/share/{share_id}`) makes the endpoint public by design, whoever follows the link.
_LINK_CREDENTIAL = re.compile(r"token|secret|signature|hash|otp|nonce|code|key|share|invit|magic", re.IGNORECASE)
_KEY = "auth-on-endpoints:unguarded"


class UnguardedRule(Rule):
    """Base of the item's rules: they judge the endpoints `unguarded` finds, in `check_repo`."""

    checklist = "auth-on-endpoints"
    severity = Severity.WARNING
    always_applicable = False
    requires: ClassVar[tuple[type[Facts], ...]] = (FastAPIFacts, GuardFacts, ScopedReadFacts)


@dataclass
class Unguarded:
    endpoints: list[tuple[Endpoint, str]]  # changing data (with the write), served, guarded by nothing
    # Endpoint function -> the applications serving it (sorted), and whether some endpoint of one of
    # them (or a middleware) authenticates callers.
    applications: dict[str, tuple[tuple[str, ...], bool]]
    changing: bool = True  # some endpoint of the repository is a POST/PUT/PATCH/DELETE
    # GETs nothing guards, in an application that authenticates other endpoints: those that
    # write (with the write) and those that read rows scoped by an owner the caller names.
    get_writes: list[tuple[Endpoint, str]] = field(default_factory=list)
    private_reads: list[tuple[Endpoint, PrivateRead]] = field(default_factory=list)


def unguarded(repo: RepoContext) -> Unguarded | None:
    """None when the repository has no endpoint that changes data or reads (no endpoint at all)."""
    if _KEY in repo.shared:
        return repo.shared[_KEY]
    index = repo.facts(FastAPIFacts)
    model: AuthModel = repo.facts(GuardFacts)
    changing = [e for e in index.endpoints if CHANGING_METHODS & set(e.methods)]
    found = None
    if index.endpoints:
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
            if model.guard(endpoint) or model.public_flow(endpoint) or _credential_in_request(index, model, endpoint):
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
        found = Unguarded(endpoints, applications, bool(changing))
        _unguarded_gets(repo, model, guarded_apps, found)
    repo.shared[_KEY] = found
    return found


def _unguarded_gets(repo: RepoContext, model: AuthModel, guarded_apps: set[str], found: Unguarded) -> None:
    """The GETs nothing guards that write or read one owner's rows, in applications that
    authenticate other endpoints and in modules whose other endpoints are guarded (so the
    missing guard is an oversight, not a design)."""
    if not guarded_apps:
        return
    index = model.index
    scoped: ScopedReads = repo.facts(ScopedReadFacts)
    # Modules whose endpoints are guarded: a GET left out among guarded neighbours is an oversight,
    # a module of unguarded endpoints (`public.py`, an `explore` router) is public by design.
    guarded_files = {e.file for e in index.endpoints if model.guard(e)}
    seen: set[str] = set()
    for endpoint in index.endpoints:
        name = endpoint.function.qualname
        if "GET" not in endpoint.methods or CHANGING_METHODS & set(endpoint.methods) or name in seen:
            continue
        if endpoint.file not in guarded_files:
            continue
        if not model.served(endpoint) or model.conditionally_served(endpoint):
            continue
        if model.guard(endpoint) or not model.applications(endpoint) & guarded_apps:
            continue
        if _link_credential(index, endpoint) or model.public_flow(endpoint) or model.reads_credentials(endpoint):
            continue  # the link or the caller's own credential chooses what it reads or changes
        seen.add(name)
        effect = side_effect(model, endpoint)
        if effect is not None:
            found.get_writes.append((endpoint, effect))
            continue
        read = scoped.private_read(endpoint)
        if read is not None:
            found.private_reads.append((endpoint, read))


def _link_credential(index: EndpointIndex, endpoint: Endpoint) -> bool:
    """A path or query parameter named for a credential (`/invite/{token}`, `?code=`)."""
    if any(_LINK_CREDENTIAL.search(name) for name in path_parameters(endpoint.path)):
        return True
    for param in endpoint.function.params:
        _, marker = index.markers_of(param)
        if (marker is None or marker.kind in ("Query", "Path")) and _LINK_CREDENTIAL.search(param.name):
            return True
    return False


def _credential_in_request(index: EndpointIndex, model: AuthModel, endpoint: Endpoint) -> bool:
    """A path parameter (`PATCH /checkouts/{client_secret}`) or a field of the body the endpoint
    reads (`claim.invitation_token`) that is a credential itself: whoever holds it may make the
    change, public by design."""
    if any(CREDENTIAL_FIELD.search(name) for name in path_parameters(endpoint.path)):
        return True
    record = model.functions.get(endpoint.function.qualname)
    if record is None or not record.credential_fields:
        return False
    # A body parameter's field, or one of the request's JSON or form read by its key.
    carriers = {param.name for param in endpoint.function.params
                if index.parameter_source(param, endpoint.path) in ("body", "form", "framework")}
    return any(param in carriers for param, _ in record.credential_fields)


def changed_methods(endpoint: Endpoint) -> str:
    return "/".join(m for m in endpoint.methods if m in CHANGING_METHODS)
