"""`ResponseModel` (`repo.facts(ResponseFacts)`), built on `CredentialColumns`: what a repository
function answers (`answers`: a value FastAPI encodes, a constant, a Response object, through the
helpers it returns the result of), the response model FastAPI uses for an endpoint
(`declared_model`), and `leaks(endpoint)`: the credential columns its response can carry after
that model filters them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reviewer.semantics.fastapi.records import TypeRef
from reviewer.semantics.fastapi.responses.credentials import CredentialColumns
from reviewer.semantics.fastapi.responses.records import MAX_DEPTH, Credential, Leak, ModuleResponses, Shape
from reviewer.semantics.fastapi.responses.schemas import (
    describe,
    is_json_response,
    is_response_class,
    model_classes,
    short,
)

if TYPE_CHECKING:
    from reviewer.facts import RepositoryView
    from reviewer.semantics.fastapi.index import Endpoint


class ResponseModel(CredentialColumns):
    """The repository side: what functions answer, and what endpoints' responses carry of the
    credential columns."""

    def __init__(self, modules: list[ModuleResponses], repo: RepositoryView) -> None:
        super().__init__(modules, repo)
        self.returns: dict[str, tuple[Shape, ...]] = {}
        self.annotations: dict[str, TypeRef] = {}
        self.return_kinds: dict[str, tuple[str, ...]] = {}
        self.functions: set[str] = set()
        for module in modules:
            self.returns.update(module.returns)
            self.annotations.update(module.annotations)
            self.return_kinds.update(module.return_kinds)
            self.functions |= module.functions

    def answers(self, function: str) -> str | None:
        """What the function returns: `value` (some return gives a value FastAPI encodes),
        `constant` (only fixed literals: `{"status": "ok"}`),
        `response` (only Response objects, also through repository helpers that build them:
        `return success_response(...)`), `unknown` (what library calls return), None (nothing)."""
        if function not in self.return_kinds:
            return None
        return self._answers(function, 0) or "unknown"

    def _answers(self, function: str, depth: int) -> str | None:
        """`value` (some return gives a value FastAPI encodes), `response` (only Response
        objects), or None (returns nothing, or only what the model cannot tell)."""
        kinds = self.return_kinds.get(function)
        if kinds is None:
            return None
        found = {self._call_answer(kind[5:], depth) if kind.startswith("call:") else kind for kind in kinds}
        for answer in ("value", "constant", "response"):
            if answer in found:
                return answer
        return None

    def annotation(self, function: str) -> TypeRef | None:
        """A repository function's return annotation, aliases resolved."""
        entry = self.index.functions.get(function)
        return self.index.type_of(entry[0].returns if entry is not None else self.annotations.get(function))

    def _call_answer(self, callee: str, depth: int) -> str | None:
        """What returning `callee(...)` gives: a repository function's answer, a class's instance
        (a Response or a value), or None for a call into a library the model cannot tell."""
        target = self.canonical(callee) or callee
        annotation = self.annotation(target)
        if annotation is not None and annotation.kind == "name" and annotation.name and is_response_class(
                self.index, annotation.name):
            return "response"
        if annotation is not None and annotation.kind == "none":
            return None  # `-> None`
        if target in self.return_kinds:
            return self._answers(target, depth + 1) if depth < 3 else None
        if target in self.functions:
            return None  # read, and it returns nothing
        if target.rpartition(".")[2].endswith("Response") and not self.index.bases(target):
            return "response"  # a library's response class (`EventSourceResponse`)
        if is_response_class(self.index, target):
            return "response"
        if annotation is not None or self.index.bases(target) or self.index.is_model(target):
            return "value"
        return "value" if self.repo.index.function(target) is not None else None

    # responses --------------------------------------------------------------------------------

    def declared_model(self, endpoint: Endpoint) -> TypeRef | None:
        """The response model FastAPI uses for the endpoint: `response_model=`, else the return
        annotation unless it is a Response class; None when neither (or `response_model=None`)."""
        declared = endpoint.response.model
        if declared is not None:
            return None if declared.kind == "none" else self.index.type_of(declared)
        returns = self.index.type_of(endpoint.function.returns)
        if returns is None or returns.kind == "none" or self._is_response_type(returns):
            return None
        return returns

    def _is_response_type(self, ref: TypeRef) -> bool:
        if ref.kind == "union":
            return any(self._is_response_type(arg) for arg in ref.args if arg.kind != "none")
        if ref.kind != "name" or not ref.name:
            return False
        return is_response_class(self.index, ref.name)

    def leaks(self, endpoint: Endpoint) -> list[Leak]:
        """The credential columns the endpoint's response can carry."""
        model = self.declared_model(endpoint)
        response_class = endpoint.response.response_class
        if response_class and not is_json_response(response_class):
            return []
        found: dict[tuple[str, str], Leak] = {}
        if model is not None:
            for cls in model_classes(model):
                if self.is_mapped(cls):
                    for credential in self.credential_columns(cls):
                        if _kept(credential.column, endpoint):
                            found.setdefault((credential.cls, credential.column), Leak(
                                credential, f"its response model `{short(cls)}` is the ORM class", False))
        for shape in self.returns.get(endpoint.function.qualname, ()):
            for credential, fresh, carrier in self._carried(shape, endpoint, 0):
                if not _kept(credential.column, endpoint):
                    continue
                if model is not None and not self._model_keeps(model, credential.column, credential.hashed):
                    continue
                through = f"it returns {carrier}"
                if model is not None and not model_classes(model):
                    through += f" and its declared type `{describe(model)}` filters nothing"
                elif model is not None:
                    through += f" and its response model `{describe(model)}` includes `{credential.column}`"
                found.setdefault((credential.cls, credential.column), Leak(credential, through, fresh))
        return list(found.values())

    def _model_keeps(self, model: TypeRef, column: str, hashed: bool) -> bool:
        """Whether the response model lets field `column` through (unknown models are trusted). A
        schema that lists a secret or token field by name shows it on purpose (to its owner, to an
        admin); a hash has no reader, so a schema listing it is a mistake."""
        classes = model_classes(model)
        if not classes:
            return True  # `dict[str, Any]`, `Any`: nothing filters the value
        for cls in classes:
            if self.is_mapped(cls):
                return True
            fields = self.model_fields(cls)
            if fields is not None and column in fields and hashed:
                return True
        return False

    def _carried(self, shape: Shape, endpoint: Endpoint, depth: int) -> list[tuple[Credential, bool, str]]:
        if depth > MAX_DEPTH:
            return []
        if shape.kind == "instance" and shape.name:
            if not self.is_mapped(shape.name):
                return []
            what = f"`{short(shape.name)}` ORM object{'s' if shape.many else ''}"
            return [(c, shape.fresh, what) for c in self.credential_columns(shape.name)]
        if shape.kind == "dump":
            found = []
            for inner in shape.inner:
                for credential, fresh, what in self._carried(inner, endpoint, depth + 1):
                    if credential.column not in shape.excluded:
                        found.append((credential, fresh, f"a serialisation of {what}"))
            return found
        if shape.kind == "dict":
            return [(c, f, f"a dict holding {w}") for inner in shape.inner for c, f, w in
                    self._carried(inner, endpoint, depth + 1)]
        if shape.kind == "call" and shape.name:
            target = self.canonical(shape.name) or shape.name
            if self.is_mapped(target):
                return self._carried(Shape("instance", target, shape.many, True), endpoint, depth + 1)
            inner_shapes = self.returns.get(target)
            found = []
            if inner_shapes:
                for inner in inner_shapes:
                    if inner.kind == "param":
                        continue
                    fresh = inner.fresh
                    for credential, _, what in self._carried(inner, endpoint, depth + 1):
                        found.append((credential, fresh, what))
                return found
            annotation = self.annotation(target)
            for cls in model_classes(annotation) if annotation is not None else ():
                found += self._carried(Shape("instance", cls, shape.many), endpoint, depth + 1)
            return found
        if shape.kind == "param" and shape.name:
            for param in endpoint.function.params:
                if param.name != shape.name:
                    continue
                annotation, marker = self.index.markers_of(param)
                classes = model_classes(annotation) if annotation is not None else []
                found = []
                for cls in classes:
                    found += self._carried(Shape("instance", cls), endpoint, depth + 1)
                if not classes and marker is not None and marker.dependency:
                    found += self._carried(Shape("call", marker.dependency), endpoint, depth + 1)
                return [(c, False, w) for c, _, w in found]
        return []


def _kept(column: str, endpoint: Endpoint) -> bool:
    """`response_model_exclude`/`response_model_include` let the field through."""
    response = endpoint.response
    if response.exclude is not None and column in response.exclude:
        return False
    return response.include is None or column in response.include
