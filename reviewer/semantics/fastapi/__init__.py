"""The FastAPI model: what an application exposes, its endpoints, their parameters, dependencies
and raw reads of the request.

It works in two steps, like the engine:

- per file, `FastAPIFacts` (collector.py) joins the engine's walk of every module that can hold
  routing code and records plain, picklable `ModuleFacts` (records.py) in the module summary:
  routers created there, functions decorated as routes, `add_api_route` registrations,
  `include_router` calls, and every function's parameters (annotation, FastAPI marker such as
  `Body(...)` or `Depends(dep)`, read by annotations.py) and reads of the raw request;
- over the repository, `EndpointIndex` (index.py) resolves decorator owners through assignments
  and imports to `FastAPI()`/`APIRouter()` instances (or instances of repo classes derived from
  them), combines `include_router` prefixes where they are literals, and follows
  `Depends(...)`/`Security(...)` into the repository's dependency functions.

A rule reads it by requiring it: `requires = (FastAPIFacts,)`, then `repo.facts(FastAPIFacts)` in
`check_repo` is the `EndpointIndex`.

Analyses built on the model, each a package with its own per-file facts and repository answer,
tell what guards an endpoint: `guards/` (what authenticates its caller, at every level a
dependency applies, and middleware that rejects), `apps/` (which applications are served, their
middleware stacks, the security headers they set, what limits request rates), `listing/` (what a
list endpoint returns and what bounds its page), `responses/` (what a response can carry:
credential columns, the schema it declares). Each annotates the endpoints' report records
(`EndpointIndex.annotate`).
"""

from reviewer.semantics.fastapi.collector import FastAPIFacts
from reviewer.semantics.fastapi.index import Dependency, Endpoint, EndpointIndex, Handler
from reviewer.semantics.fastapi.records import (
    DICT_TYPES,
    FACTS_KEY,
    SEQUENCE_TYPES,
    FunctionFacts,
    Marker,
    ModuleFacts,
    Parameter,
    RawRead,
    ResponseDecl,
    TypeRef,
)

__all__ = [
    "DICT_TYPES",
    "FACTS_KEY",
    "SEQUENCE_TYPES",
    "Dependency",
    "Endpoint",
    "EndpointIndex",
    "FastAPIFacts",
    "FunctionFacts",
    "Handler",
    "Marker",
    "ModuleFacts",
    "Parameter",
    "RawRead",
    "ResponseDecl",
    "TypeRef",
]
