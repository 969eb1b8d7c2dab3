"""The plain records of the response model: `Shape` (a value a function returns), `ModuleResponses`
(what `ResponseFacts` records per file, stored in the module summary and pickled with it),
`Credential` (a mapped column that holds a credential) and `Leak` (a credential an endpoint's
response carries), with the names the other modules share.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reviewer.pickling import pickled_by_fields
from reviewer.semantics.fastapi.records import TypeRef

FACTS_KEY = "responses"
RESPONSE_CLASSES = frozenset({
    "starlette.responses.Response", "fastapi.Response", "fastapi.responses.Response",
})
MAX_DEPTH = 4


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Shape:
    """A value a function returns, as far as the module tells.

    kind: `instance` (of class `name`), `call` (the result of calling `name`: a class or a
    function, resolved over the repository), `param` (parameter `name`), `dump` (a serialisation of
    `inner`, `excluded` fields left out), `dict` (a dict literal of `inner` values), `other`."""

    kind: str
    name: str | None = None
    many: bool = False
    fresh: bool = False  # made in the function itself (`User(...)`, `create_user(...)`)
    inner: tuple[Shape, ...] = ()
    excluded: tuple[str, ...] = ()


OTHER = Shape("other")


@dataclass
class ModuleResponses:
    returns: dict[str, tuple[Shape, ...]] = field(default_factory=dict)  # function -> returned shapes
    annotations: dict[str, TypeRef] = field(default_factory=dict)  # function -> return annotation
    return_calls: dict[str, tuple[str, ...]] = field(default_factory=dict)  # function -> callees it returns
    writes: list[tuple[str | None, str, tuple[str, ...]]] = field(default_factory=list)  # (class, field, callees)
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)  # class -> annotated fields
    functions: set[str] = field(default_factory=set)  # every function read
    # function -> what each return gives: `response` (a Response object), `value`, or the repository
    # function whose result it returns (`call:app.auth.success_response`)
    return_kinds: dict[str, tuple[str, ...]] = field(default_factory=dict)



@dataclass(frozen=True)
class Credential:
    cls: str  # the mapped class, qualified
    column: str
    reason: str  # `written from pwd_context.hash(...)`, `named like a credential`
    hashed: bool  # a hash (never exempt on creation) rather than a secret returned once


@dataclass(frozen=True)
class Leak:
    credential: Credential
    through: str  # how the response carries it: `returns User`, `response model UserOut includes it`
    fresh: bool  # the returned object was made by the endpoint
