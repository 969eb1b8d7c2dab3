"""The repository side of the password analysis: `PasswordModel` joins what each module recorded
(`records.py`) into chains of evidence, from where a password comes to where it goes.

A value is a password when the chain shows it, never by its name alone:

- a request field: a parameter of an endpoint or dependency (FastAPI model: `EndpointIndex`)
  read from the body, query or form and named for a password (`password: str = Form()`), a field
  named so (or typed `SecretStr`) of its body model (`payload.password`), or the `password` of an
  `OAuth2PasswordRequestForm`; also such a field of a class that some endpoint takes as its body,
  wherever it is read;
- a request form or JSON field read in the function (`(await request.form())["password"]`);
- a parameter named for a password of a function that looks accounts up or creates them (named
  for signing in, calling something named for users, reading a users table), or that keeps the
  value in a password field (`self.password_hash = ...`, `User(hashed_password=...)`, `== row.pw`);
- the value a validator or property setter of a password field is handed;
- a parameter any of those reaches through calls, across modules (`Edge`s, and the summaries'
  forwards for modules without password code).

The model answers for each sink whether such a chain reaches it, and what the chain is; tables,
columns and principals (the classes endpoints authenticate as) come from the class records.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reviewer.semantics.fastapi import FastAPIFacts
from reviewer.semantics.fastapi.records import DICT_TYPES, TypeRef
from reviewer.semantics.passwords import knowledge as k
from reviewer.semantics.passwords.records import (
    FACTS_KEY,
    ClassRecord,
    Edge,
    FunctionRecord,
    ModulePasswords,
    Sink,
    Source,
)

if TYPE_CHECKING:
    from reviewer.facts import RepositoryView
    from reviewer.semantics.fastapi import EndpointIndex
    from reviewer.summary import FunctionSummary

MAX_HOPS = 8
Chain = tuple[str, ...]
_REQUEST_SOURCES = frozenset({"body", "query", "form"})


@dataclass(frozen=True)
class Located:
    """A sink with the module it is in, and the function."""

    path: str
    function: FunctionRecord
    sink: Sink


class PasswordModel:
    def __init__(self, repo: RepositoryView) -> None:
        self.index = repo.index
        self.endpoints: EndpointIndex = repo.facts(FastAPIFacts)
        self.modules: list[ModulePasswords] = [
            s.extras[FACTS_KEY] for s in repo.summaries
            if not s.is_test_file and isinstance(s.extras.get(FACTS_KEY), ModulePasswords)
        ]
        self.records: dict[str, tuple[FunctionRecord, str]] = {}
        self.classes: dict[str, ClassRecord] = {}
        self.instances: dict[str, str] = {}
        self.declarative: set[str] = set()
        for module in self.modules:
            for qualname, record in module.functions.items():
                self.records[qualname] = (record, module.path)
            self.classes.update(module.classes)
            self.instances.update(module.instances)
            self.declarative |= module.declarative
        self.summaries: dict[str, FunctionSummary] = {}
        self.class_bases: dict[str, tuple[str, ...]] = {}
        for summary in repo.summaries:
            if summary.is_test_file:
                continue
            self.summaries.update(summary.functions)
            for name, bases in summary.classes.items():
                self.class_bases[name] = tuple(bases)
        self.uses_password_library = any(module.uses_password_library for module in self.modules)
        self._inputs = self._handler_inputs()
        self._incoming: dict[str, list[tuple[str, Edge]]] | None = None
        self._memo: dict[tuple[str, str, tuple[str, ...], bool], Chain | None] = {}
        self._visiting: set[tuple[str, str, tuple[str, ...], bool]] = set()
        self._called: set[str] | None = None
        self._consumers: dict[str, set[str]] | None = None
        self._principals: set[str] | None = None

    # names -------------------------------------------------------------------------------------

    def canonical(self, name: str) -> str:
        return self.index.canonical(name)

    def bases(self, cls: str) -> tuple[str, ...]:
        record = self.classes.get(cls)
        bases = record.bases if record is not None else self.class_bases.get(cls, ())
        return tuple(self.canonical(base) for base in bases)

    def _lineage(self, cls: str) -> Iterator[str]:
        """The class and its bases in the repository, nearest first."""
        seen: set[str] = set()
        pending = [self.canonical(cls)]
        while pending and len(seen) < 32:
            current = pending.pop(0)
            if current in seen:
                continue
            seen.add(current)
            yield current
            pending.extend(self.bases(current))

    def function_named(self, target: str) -> str | None:
        """The function a call's target runs: a function, a method (through the bases), the
        `__init__` of a class, or a method of a module-level instance (`crud.user.create`)."""
        name = self.canonical(target)
        if name in self.records or name in self.summaries:
            return name
        owner, _, method = name.rpartition(".")
        cls = self.instances.get(owner)
        if cls is None and (owner in self.classes or owner in self.class_bases):
            cls = owner
        if cls is not None:
            return self._method(self.canonical(cls), method)
        if name in self.classes or name in self.class_bases:
            return self._method(name, "__init__")
        return None

    def _method(self, cls: str, method: str) -> str | None:
        for current in self._lineage(cls):
            candidate = f"{current}.{method}"
            if candidate in self.records or candidate in self.summaries:
                return candidate
        return None

    def params_of(self, function: str) -> tuple[str, ...]:
        entry = self.records.get(function)
        if entry is not None:
            return entry[0].params
        summary = self.summaries.get(function)
        return summary.params if summary is not None else ()

    # classes -----------------------------------------------------------------------------------

    def is_table(self, cls: str | None) -> bool:
        """A class whose instances are rows of a table or documents of a collection."""
        if not cls:
            return False
        for current in self._lineage(cls):
            if current in k.ORM_BASES or current in self.declarative:
                return True
            record = self.classes.get(current)
            if record is not None and record.table:
                return True
        return False

    def field_annotation(self, cls: str, name: str) -> str | None:
        """The annotation of a field of `cls` (through its bases); None when no class of the
        repository declares it."""
        for current in self._lineage(cls):
            record = self.classes.get(current)
            if record is not None and name in record.fields:
                return record.fields[name]
        return None

    def declares(self, cls: str, name: str) -> bool:
        return self.field_annotation(cls, name) is not None

    def known_class(self, cls: str) -> bool:
        return self.canonical(cls) in self.classes

    def transforms(self, cls: str, name: str) -> bool:
        """A setter or validator of the class (or a base) rewrites the field when it is set
        (`@field_validator("password")` returning a hash): the field does not hold what it was given."""
        for current in self._lineage(cls):
            record = self.classes.get(current)
            if record is not None and name in record.setters:
                return True
        return False

    def rewrites(self, cls: str, name: str) -> bool:
        """The class (or a base) rewrites the field, or has its own `__init__`: what a constructor
        is handed is not what the column holds."""
        if self.transforms(cls, name):
            return True
        return any(record.custom_init for current in self._lineage(cls) if (record := self.classes.get(current)))

    def password_fields(self, cls: str) -> list[str]:
        """Fields of a class that hold a password (named so, or typed `SecretStr`)."""
        found: dict[str, None] = {}
        for current in self._lineage(cls):
            record = self.classes.get(current)
            if record is None:
                continue
            for name, annotation in record.fields.items():
                if self._holds_password(name, annotation):
                    found[name] = None
        return list(found)

    def _holds_password(self, name: str, annotation: str | None) -> bool:
        if k.is_password_name(name):
            return True
        return annotation in k.SECRET_TYPES and not k.is_token_name(name) and not k.is_password_hash_name(name)

    def _is_oauth_form(self, cls: str | None) -> bool:
        return bool(cls) and any(current in k.OAUTH2_FORMS for current in self._lineage(cls))

    def is_auth_library_table(self, cls: str) -> bool:
        """A user table an authentication library defines the columns of (fastapi-users)."""
        return any(current.startswith("fastapi_users") for current in self._lineage(cls))

    def principals(self) -> set[str]:
        """Classes the application authenticates as: what endpoints take through a dependency
        (`current_user: User = Depends(get_current_user)`) and what dependencies return."""
        if self._principals is None:
            found: set[str] = set()
            for handler in self.endpoints.handlers():
                for param in handler.function.params:
                    ref, marker = self.endpoints.markers_of(param)
                    if marker is not None and marker.injects:
                        name = _class_of(ref)
                        if name:
                            found.add(self.canonical(name))
                if handler.is_dependency:
                    name = _class_of(self.endpoints.type_of(handler.function.returns))
                    if name:
                        found.add(self.canonical(name))
            self._principals = found
        return self._principals

    # evidence ----------------------------------------------------------------------------------

    def _handler_inputs(self) -> dict[tuple[str, str], tuple[str, TypeRef | None, str]]:
        """(function, parameter) -> (where FastAPI takes it from, its type, the endpoint it serves)."""
        inputs: dict[tuple[str, str], tuple[str, TypeRef | None, str]] = {}
        self.request_models: set[str] = set()
        for handler in self.endpoints.handlers():
            path = handler.endpoints[0].path if handler.endpoints else None
            for param in handler.function.params:
                source = self.endpoints.parameter_source(param, path)
                ref = self.endpoints.parameter_type(param)
                inputs[(handler.function.qualname, param.name)] = (source, ref, handler.describe())
                name = _class_of(ref)
                if source in ("body", "form") and name:
                    self.request_models.add(self.canonical(name))
        return inputs

    def evidence(
        self, function: str, param: str, attrs: tuple[str, ...] = (), hops: int = 0, *, as_sent: bool = False
    ) -> Chain | None:
        """Why the value of `param` (or of its field `attrs`) in `function` is a password: the
        chain from its source, or None when nothing shows it.

        `as_sent`: the value must be the password as its owner typed it. A function's own code (a
        `password` parameter it stores) then speaks for it only when nothing in the repository
        calls it: callers that exist say what they pass (`create_user(db, email, hash(pw))`)."""
        key = (function, param, attrs, as_sent)
        if key in self._memo:
            return self._memo[key]
        if key in self._visiting or hops > MAX_HOPS:
            return None
        self._visiting.add(key)
        try:
            found = (
                self._request_input(function, param, attrs)
                or self._from_callers(function, param, attrs, hops, as_sent)
                or (None if as_sent and self.has_callers(function) else self._local_evidence(function, param, attrs))
            )
        finally:
            self._visiting.discard(key)
        self._memo[key] = found
        return found

    def has_callers(self, function: str) -> bool:
        """Some function of the repository (tests aside) calls it."""
        if self._called is None:
            targets = {call.target for summary in self.summaries.values() for call in summary.calls if call.target}
            self._called = {name for target in targets if (name := self.function_named(target))}
        return function in self._called

    def source_evidence(self, record: FunctionRecord, source: Source, *, as_sent: bool = False) -> Chain | None:
        if source.local is not None:
            return (f"{source.local} in `{record.name}`",)
        return self.evidence(record.qualname, source.param or "", source.attrs, as_sent=as_sent)

    def sink_evidence(
        self, record: FunctionRecord, sink: Sink, *, as_sent: bool = False
    ) -> tuple[Source, Chain] | None:
        for source in sink.sources:
            chain = self.source_evidence(record, source, as_sent=as_sent)
            if chain:
                return source, chain
        return None

    def _request_input(self, function: str, param: str, attrs: tuple[str, ...]) -> Chain | None:
        """A password an endpoint or dependency is handed by FastAPI, or a validator by Pydantic."""
        shown = ".".join((param, *attrs))
        entry = self._inputs.get((function, param))
        if entry is not None:
            where, ref, endpoint = entry
            name = _class_of(ref)
            if not attrs and where in _REQUEST_SOURCES and k.is_password_name(param) and not self._model(name):
                return (f"{where} parameter `{param}` of {endpoint}",)
            if len(attrs) == 1:
                if attrs == ("password",) and self._is_oauth_form(name):
                    return (f"`{shown}` of the `OAuth2PasswordRequestForm` of {endpoint}",)
                if where in _REQUEST_SOURCES and self._request_field(name, attrs[0]):
                    return (f"request field `{shown}` of {endpoint}",)
        record = self.records.get(function, (None, None))[0]
        if record is not None and record.validates is not None and not attrs and record.validates[0] == param:
            return (f"the `{record.validates[1]}` value `{record.name}` validates",)
        return None

    def _local_evidence(self, function: str, param: str, attrs: tuple[str, ...]) -> Chain | None:
        """A password this function's own code shows: a field of a request body class or login
        form it is annotated with, or a password-named value it keeps in a password field or
        signs an account in or up with."""
        shown = ".".join((param, *attrs))
        record = self.records.get(function, (None, None))[0]
        annotated = record.annotations.get(param) if record is not None else None
        if annotated is not None and len(attrs) == 1:
            cls = self.canonical(annotated)
            if attrs == ("password",) and self._is_oauth_form(cls):
                return (f"`{shown}` of an `OAuth2PasswordRequestForm`",)
            if cls in self.request_models and self._request_field(cls, attrs[0]):
                return (f"request field `{shown}` (endpoints take `{cls.rsplit('.', 1)[-1]}` as their body)",)
        if record is None:
            return None
        last = attrs[-1] if attrs else param
        if not k.is_password_name(last):
            return None
        if attrs and not self._raw_field(record, param, attrs[0]):
            return None
        if Source(param, attrs) in record.keeps:
            return (f"`{shown}` of `{record.name}`, which keeps it in a password field",)
        if record.looks_up_users:
            return (f"`{shown}` of `{record.name}`, which signs accounts in or up",)
        return None

    def _raw_field(self, record: FunctionRecord, param: str, field: str) -> bool:
        """The field of a parameter holds what the client sent: the parameter's classes are known,
        and none rewrites the field (a validator that hashes it)."""
        annotated = record.annotations.get(param)
        classes = (annotated,) if annotated else record.unions.get(param, ())
        canonical = [self.canonical(cls) for cls in classes]
        return bool(canonical) and all(self.known_class(c) and not self.transforms(c, field) for c in canonical)

    def _model(self, name: str | None) -> bool:
        return bool(name) and (self.endpoints.is_model(name) or self.known_class(name or ""))

    def _request_field(self, cls: str | None, field: str) -> bool:
        """A field of a request body that holds a password."""
        if not cls or cls in DICT_TYPES:
            return k.is_password_name(field)
        if self.known_class(cls):
            annotation = self.field_annotation(cls, field)
            holds = annotation is not None and self._holds_password(field, annotation)
            return holds and not self.transforms(cls, field)
        return k.is_password_name(field)

    def _incoming_edges(self) -> dict[str, list[tuple[str, Edge]]]:
        """Callee -> (caller, edge) for every call that passes a value on: this analysis's edges,
        and the summaries' forwards of whole parameters in modules it did not follow."""
        if self._incoming is None:
            incoming: dict[str, list[tuple[str, Edge]]] = {}
            for qualname, (record, _) in self.records.items():
                for edge in record.edges:
                    callee = self.function_named(edge.target)
                    if callee is not None and callee != qualname:
                        incoming.setdefault(callee, []).append((qualname, edge))
            for qualname, summary in self.summaries.items():
                if qualname in self.records:
                    continue
                for param, calls in summary.forwards.items():
                    for target, slot, _ in calls:
                        callee = self.function_named(target)
                        if callee is not None and callee != qualname:
                            incoming.setdefault(callee, []).append((qualname, Edge(target, slot, (Source(param),))))
            self._incoming = incoming
        return self._incoming

    def _from_callers(
        self, function: str, param: str, attrs: tuple[str, ...], hops: int, as_sent: bool
    ) -> Chain | None:
        params = self.params_of(function)
        short = function.rsplit(".", 1)[-1]
        for caller, edge in self._incoming_edges().get(function, ()):
            slot = edge.slot
            name = params[slot] if isinstance(slot, int) and slot < len(params) else slot
            if name != param or (attrs and attrs[0] in edge.replaced):
                continue
            for source in edge.sources:
                if source.local is not None:
                    chain = (f"{source.local} in `{caller.rsplit('.', 1)[-1]}`",) if not attrs else None
                elif len(source.attrs) + len(attrs) <= 2:
                    chain = self.evidence(caller, source.param or "", (*source.attrs, *attrs), hops + 1,
                                          as_sent=as_sent)
                else:
                    chain = None
                if chain:
                    return (*chain, f"`{short}({param})`")
        return None

    # sinks -------------------------------------------------------------------------------------

    def consumed(self, function: str) -> set[str]:
        """How callers use what `function` returns, when it is a digest: handed to a slow hash
        (`prehashed`), sliced (`truncated`) or sent over HTTP (`sent`)."""
        if self._consumers is None:
            consumers: dict[str, set[str]] = {}
            for record, _ in self.records.values():
                for target, hows in record.consumes.items():
                    callee = self.function_named(target)
                    if callee is not None:
                        consumers.setdefault(callee, set()).update(hows)
            self._consumers = consumers
        return self._consumers.get(function, set())

    def handed_on(self, located: Located) -> bool:
        """The digest is not what is stored: a slow hash takes it, only a slice of it is used, or it
        is sent to a remote service, here or by the callers it is returned to."""
        sink = located.sink
        if sink.prehashed or sink.truncated or sink.sent:
            return True
        return sink.returned and bool(self.consumed(located.function.qualname))

    def sinks(self, *kinds: str) -> Iterator[Located]:
        for qualname, (record, path) in sorted(self.records.items()):
            del qualname
            for sink in record.sinks:
                if sink.kind in kinds:
                    yield Located(path, record, sink)

    def record_class(self, located: Located) -> str | None:
        """The class of the record a store writes or a comparison reads, when known."""
        sink = located.sink
        if sink.model:
            return self.canonical(sink.model)
        if sink.model_call:
            callee = self.function_named(sink.model_call)
            entry = self.records.get(callee or "")
            returned = entry[0].returns if entry is not None else None
            facts = self.endpoints.functions.get(callee or "")
            if returned is None and facts is not None:
                returned = _class_of(self.endpoints.type_of(facts[0].returns))
            if returned and not returned.startswith(("builtins.", "typing.")):
                return self.canonical(returned)
        return None


def _class_of(ref: TypeRef | None) -> str | None:
    """The class a type names: `User`, `User | None`, `Optional[User]`, `Annotated[User, ...]`."""
    if ref is None:
        return None
    if ref.kind == "name":
        return ref.name
    if ref.kind in ("union", "annotated"):
        named = [a for a in ref.args if a.kind != "none"]
        return _class_of(named[0]) if len(named) == 1 or ref.kind == "annotated" else None
    if ref.kind == "generic" and ref.name in DICT_TYPES:
        return ref.name
    return None
