"""Response classes and the declared response schema: whether a class is a Starlette/FastAPI
`Response` (`is_response_class`) or one FastAPI encodes as JSON (`is_json_response`), the
response model FastAPI documents for an endpoint (`response_schema`), and the helpers that list the
classes a response type names (`model_classes`) and write one for a message (`describe`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reviewer.semantics.fastapi.records import TypeRef
from reviewer.semantics.fastapi.responses.records import RESPONSE_CLASSES

if TYPE_CHECKING:
    from reviewer.semantics.fastapi.index import Endpoint, EndpointIndex


def model_classes(ref: TypeRef | None) -> list[str]:
    """The classes a response type names: `User`, `list[User]`, `User | None`, `Page[User]`."""
    if ref is None:
        return []
    if ref.kind == "name" and ref.name and not ref.name.startswith(("builtins.", "typing.")):
        return [ref.name]
    if ref.kind in ("generic", "union", "annotated"):
        return [cls for arg in ref.args for cls in model_classes(arg)]
    return []


def short(name: str) -> str:
    return name.rpartition(".")[2]


def describe(ref: TypeRef) -> str:
    if ref.kind == "name" and ref.name:
        return short(ref.name)
    if ref.kind == "generic" and ref.name:
        return f"{short(ref.name)}[{', '.join(describe(a) for a in ref.args)}]"
    if ref.kind == "union":
        return " | ".join(describe(a) for a in ref.args)
    if ref.kind == "annotated" and ref.args:
        return describe(ref.args[0])
    if ref.kind == "none":
        return "None"
    return "..."


# Response classes FastAPI encodes as JSON (a model's fields go through them).
JSON_RESPONSES = frozenset({
    "fastapi.responses.JSONResponse", "starlette.responses.JSONResponse", "fastapi.responses.ORJSONResponse",
    "fastapi.responses.UJSONResponse", "fastapi.JSONResponse",
})


def is_json_response(name: str) -> bool:
    return name in JSON_RESPONSES or short(name) in ("JSONResponse", "ORJSONResponse", "UJSONResponse")


def is_response_class(index: EndpointIndex, name: str, depth: int = 0) -> bool:
    """A Starlette/FastAPI `Response` class or a repository subclass of one."""
    resolved = index.resolve(name) or name
    if resolved.startswith(("starlette.responses.", "fastapi.responses.")) or resolved in RESPONSE_CLASSES:
        return True
    if depth > 8:
        return False
    return any(is_response_class(index, base, depth + 1) for base in index.bases(resolved))


def response_schema(index: EndpointIndex, endpoint: Endpoint) -> str | None:
    """The name of the response model FastAPI documents for the endpoint (`UserPublic`,
    `list[UserPublic]`): `response_model=`, else a return annotation that is not a Response
    class; None when it declares none."""
    declared = endpoint.response.model
    if declared is not None:
        return None if declared.kind == "none" else describe(index.type_of(declared) or declared)
    returns = index.type_of(endpoint.function.returns)
    if returns is None or returns.kind == "none":
        return None
    members = [a for a in returns.args if a.kind != "none"] if returns.kind == "union" else [returns]
    if any(m.kind == "name" and m.name and is_response_class(index, m.name) for m in members):
        return None
    return describe(returns)
