"""Who an endpoint acts as: the caller a guard hands it, or an identity the code chooses.

A guard hands the endpoint who is calling, as an object of the application's own class:
`login_user: UserPayload = Depends(UserPayload.get_login_user)`, where the dependency turns away a
caller without a credential. Those classes are the application's principals (`Principals.classes`).

An endpoint that nothing guards, but that gets a principal from a function of the repository that
takes nothing the caller sends and turns nobody away (`login_user = get_default_operator()`, a
dependency `operator: UserPayload = Depends(get_default_operator)`, a system or guest user), acts
as the same identity for every caller: the code chose to serve it without one, as an integration
surface that runs under a configured operator does (`Principals.chosen_for`). A function that
picks the principal from what the caller sends (`acting_as(user_id)`) is not such a choice, nor is
one that may return no principal (`-> User | None`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reviewer.semantics.fastapi.records import FunctionFacts, TypeRef

if TYPE_CHECKING:
    from reviewer.semantics.fastapi.guards.model import AuthModel
    from reviewer.semantics.fastapi.index import Endpoint

_SELF = frozenset({"Self", "typing.Self", "typing_extensions.Self"})


class Principals:
    """The classes of what the application's guards hand their endpoints, and the functions that
    hand one without a guard."""

    def __init__(self, model: AuthModel) -> None:
        self.model = model
        self._classes: frozenset[str] | None = None

    @property
    def classes(self) -> frozenset[str]:
        """Classes of the repository annotated on a parameter bound to a dependency that turns
        callers away, or that such a dependency is annotated to return."""
        if self._classes is None:
            model, index = self.model, self.model.index
            found: set[str] = set()
            for endpoint in index.endpoints:
                if not model.guard(endpoint):
                    continue
                for function in (endpoint.function, *(d.function for d in index.dependencies(endpoint))):
                    for _, annotation, named in index.injected(function):
                        dependency = index.resolve(named) or named
                        if not model.rejects(dependency):
                            continue
                        found.update(filter(None, (self._class_of(annotation, None),
                                                   self._returned_class(dependency))))
            self._classes = frozenset(found)
        return self._classes

    def chosen_for(self, endpoint: Endpoint) -> str | None:
        """The function that hands the endpoint, or a dependency FastAPI runs for it, a principal
        chosen without the request, as a message names it; None when there is none."""
        if not self.classes:
            return None
        model, index = self.model, self.model.index
        # What the endpoint calls, and the dependencies FastAPI runs for it with what they call: not
        # the endpoint itself, whose answer is what it makes, not who it acts as.
        dependencies = [d.function.qualname for d in index.dependencies(endpoint)]
        candidates = [*model.calls.callees(endpoint.function.qualname),
                      *(found for name in dependencies for found in (name, *model.calls.callees(name)))]
        for candidate in candidates:
            chosen = self._returned_class(candidate)
            if chosen is not None and self._is_principal(chosen) and self._chooses_alone(candidate):
                return f"acts as the `{chosen.rsplit('.', 1)[-1]}` that `{candidate.rsplit('.', 1)[-1]}` chooses"
        return None

    def _is_principal(self, cls: str) -> bool:
        return cls in self.classes or any(base in self.classes for base in self.model.calls.lineage(cls))

    def _chooses_alone(self, qualname: str) -> bool:
        """It takes nothing the caller sends (every parameter, if any, a dependency of its own),
        turns nobody away and reads no credential: the identity is the code's choice."""
        entry = self.model.index.functions.get(qualname)
        if entry is None or self.model.rejects(qualname):
            return False
        record = self.model.functions.get(qualname)
        if record is not None and record.reads_credentials:
            return False
        index = self.model.index
        return all(index.parameter_source(param, None) in ("dependency", "receiver") for param in entry[0].params)

    def _returned_class(self, qualname: str) -> str | None:
        entry = self.model.index.functions.get(qualname)
        if entry is None:
            return None
        function: FunctionFacts = entry[0]
        return self._class_of(self.model.index.type_of(function.returns), qualname)

    def _class_of(self, annotation: TypeRef | None, method: str | None) -> str | None:
        """The repository's class an annotation names (`Self` of a method: its class)."""
        if annotation is None or annotation.kind != "name" or not annotation.name:
            return None
        name = annotation.name
        if name in _SELF and method is not None:
            name = method.rpartition(".")[0]
        cls = self.model.calls.class_named(name)
        return cls if cls in self.model.calls.classes else None
