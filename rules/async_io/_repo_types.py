"""Resolving, over every module summary, what a file could not: a factory imported from another
module, a helper's return type, a method of a class defined elsewhere (`RepoTypes`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from reviewer.rule import RepoContext
from reviewer.semantics.blocking import (
    Blocking,
    BlockingTable,
)
from reviewer.semantics.calls import ModuleIndex
from reviewer.semantics.conditions import Condition, holds
from reviewer.semantics.fields import FieldFacts
from reviewer.semantics.settings import SettingsDefaults
from reviewer.summary import ModuleSummary
from rules.async_io._records import MAX_RESOLUTION_DEPTH, FunctionFacts, ModuleFacts, Ref, Use, facts_key


class RepoTypes:
    """Resolves deferred references over every module's recorded facts."""

    def __init__(self, repo: RepoContext) -> None:
        self.index: ModuleIndex = repo.index
        self.key = facts_key(repo.options)
        self.table = BlockingTable(repo.options)
        # Uses are read by several rules of the run; they stay alive as long as the summaries do.
        self._receiver_blocking: dict[int, Blocking | None] = {}
        self._state: dict[str, Ref] | None = None
        # Attributes no code gives a value: a branch on one is not taken.
        self.unset: Callable[[str], bool] = repo.facts(FieldFacts).unset

    @classmethod
    def of(cls, repo: RepoContext) -> RepoTypes:
        """The resolution of this run's facts, made once for all the async-io rules of the run
        (kept in the run's repository-pass memo, per facts key)."""
        key = f"async-io-types:{facts_key(repo.options)}"
        types = repo.shared.get(key)
        if types is None:
            types = repo.shared[key] = cls(repo)
        return types

    def facts_of(self, summary: ModuleSummary | None) -> ModuleFacts | None:
        if summary is None:
            return None
        found = summary.extras.get(self.key)
        return found if isinstance(found, ModuleFacts) else None

    def _split(self, qualified: str, depth: int = 0) -> Iterator[tuple[ModuleSummary, ModuleFacts, str]]:
        """(module, its facts, the rest of the name) for the longest module prefix of a qualified
        name, then along a re-export (`from .service import S3Service` in a package's `__init__`)."""
        parts = qualified.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            summary = self.index.module(".".join(parts[:cut]))
            if summary is None:
                continue
            facts = self.facts_of(summary)
            if facts is not None:
                yield summary, facts, ".".join(parts[cut:])
            exported = summary.imports.exported(parts[cut])
            if exported and depth < MAX_RESOLUTION_DEPTH and exported != ".".join(parts[: cut + 1]):
                yield from self._split(".".join([exported, *parts[cut + 1:]]), depth + 1)
            return

    def function(self, qualified: str) -> FunctionFacts | None:
        for summary, facts, rest in self._split(qualified):
            local = f"{summary.module}.{rest}" if summary.module else rest
            found = facts.functions.get(local)
            if found is not None:
                return found
        return None

    def callee(self, use: Use) -> FunctionFacts | None:
        """The function of the repository a use calls: a function, a class's `__init__`, a method
        of a class named or of an object of known type."""
        found = None
        if use.callee:
            found = self.function(use.callee)
            if found is None:
                cls = self.is_class(use.callee)
                if cls is not None:
                    found = self.function(f"{cls}.__init__")
            if found is None:
                head, _, method = use.callee.rpartition(".")
                if head:
                    resolved = self.resolve(("value", head))
                    if resolved is not None and resolved[0] == "class":
                        found = self.method(resolved[1], method)
        elif use.receiver is not None and use.method:
            resolved = self.resolve(use.receiver)
            if resolved is not None and resolved[0] == "class":
                found = self.method(resolved[1], use.method)
        return found

    def by_default(self, conditions: Iterable[Condition], settings: SettingsDefaults) -> bool:
        """Whether code under `conditions` may run in a default deployment (`conditions.holds`),
        with what the repository knows of its functions' results and of attributes no code
        gives a value."""
        return holds(conditions, settings, results=self.result_conditions, unset=self.unset)

    def result_conditions(self, qualified: str, test: str) -> tuple[Condition, ...] | None:
        """What a repository function's result depends on (`conditions.Results`)."""
        function = self.function(qualified)
        if function is None:
            return None
        return function.truth_conditions if test == "truth" else function.result_conditions

    def is_class(self, qualified: str) -> str | None:
        for summary, facts, rest in self._split(qualified):
            local = f"{summary.module}.{rest}" if summary.module else rest
            if local in facts.classes:
                return local
        return None

    def _class_facts(self, cls: str) -> ModuleFacts | None:
        return next((facts for _, facts, _ in self._split(cls)), None)

    def _lineage(self, cls: str) -> Iterator[tuple[str, ModuleFacts]]:
        """A class and its repository base classes, nearest first, each once."""
        seen: set[str] = set()
        pending = [cls]
        while pending and len(seen) < MAX_RESOLUTION_DEPTH:
            current = pending.pop(0)
            canonical = self.is_class(current)
            if canonical is None or canonical in seen:
                continue
            seen.add(canonical)
            facts = self._class_facts(current)
            if facts is None:
                continue
            yield canonical, facts
            pending.extend(facts.bases.get(canonical, ()))

    def method(self, cls: str, name: str) -> FunctionFacts | None:
        """A method of a repository class, also when a base class defines it."""
        for canonical, facts in self._lineage(cls):
            found = facts.functions.get(f"{canonical}.{name}")
            if found is not None:
                return found
        return None

    def attribute(self, cls: str, name: str) -> Ref | None:
        for canonical, facts in self._lineage(cls):
            found = facts.attributes.get(canonical, {}).get(name)
            if found is not None:
                return found
        return None

    def state(self, name: str) -> Ref | None:
        """What the application keeps in Starlette's `state` under `name` (`request.state.db =
        SessionLocal()` in a middleware), when every module that sets it agrees."""
        if self._state is None:
            found: dict[str, set[Ref]] = {}
            for summary in self.index:
                facts = self.facts_of(summary)
                if facts is not None and not summary.is_test_file:
                    for key, ref in facts.state.items():
                        found.setdefault(key, set()).add(ref)
            self._state = {key: next(iter(refs)) for key, refs in found.items() if len(refs) == 1}
        return self._state.get(name)

    def binding(self, qualified: str) -> Ref | None:
        for _, facts, rest in self._split(qualified):
            if rest in facts.bindings:
                return facts.bindings[rest]
        return None

    def resolve(self, ref: Ref | None, depth: int = 0) -> Ref | None:
        """A known type (`("type", name)`) or a repo class instance (`("class", q)`), else None."""
        if ref is None or depth > MAX_RESOLUTION_DEPTH:
            return None
        kind = ref[0]
        if kind in ("type", "class", "mapping"):
            return ref
        if kind == "item":
            container = self.resolve(ref[1], depth + 1)
            return self.resolve(container[1], depth + 1) if container and container[0] == "mapping" else None
        if kind == "value":
            cls = self.is_class(ref[1])
            if cls is not None:
                return ("class", cls)
            return self.resolve(self.binding(ref[1]), depth + 1)
        if kind == "call":
            return self.resolve_call(ref[1], depth)
        if kind == "member":
            base = self.resolve(ref[1], depth + 1)
            return self._member(base, ref[2], depth)
        if kind == "state":
            return self.resolve(self.state(ref[1]), depth + 1)
        if kind == "called":
            base = self.resolve(ref[1], depth + 1)
            if base is not None and base[0] == "type":
                made = self.table.call_returns(base[1])
                return ("type", made) if made else None
        return None

    def _member(self, base: Ref | None, name: str, depth: int) -> Ref | None:
        if base is None:
            return None
        if base[0] == "type":
            returned = self.table.returned(base[1], name)
            return ("type", returned) if returned else None
        if base[0] != "class":
            return None
        method = self.method(base[1], name)
        if method is not None:
            return self.resolve(method.returns, depth + 1)
        return self.resolve(self.attribute(base[1], name), depth + 1)

    def resolve_call(self, qualified: str, depth: int = 0) -> Ref | None:
        made = self.table.constructed(qualified)
        if made is not None:
            return ("type", made)
        function = self.function(qualified)
        if function is not None:
            return self.resolve(function.returns, depth + 1)
        cls = self.is_class(qualified)
        if cls is not None:
            return ("class", cls)
        bound = self.binding(qualified)
        if bound is not None and bound[0] == "value" and depth < MAX_RESOLUTION_DEPTH:
            return self.resolve_call(bound[1], depth + 1)  # `get_db = get_session`: the same function
        if bound is not None:
            return self.resolve(("called", bound), depth + 1)
        head, _, method = qualified.rpartition(".")
        if head:
            base = self.resolve(("value", head), depth + 1)
            return self._member(base, method, depth + 1)
        return None

    def receiver_blocking(self, use: Use) -> Blocking | None:
        """What a use blocks on once deferred references are resolved (not chains)."""
        key = id(use)
        if key not in self._receiver_blocking:
            self._receiver_blocking[key] = self._resolve_receiver_blocking(use)
        return self._receiver_blocking[key]

    def _resolve_receiver_blocking(self, use: Use) -> Blocking | None:
        if use.receiver is not None and use.method:
            resolved = self.resolve(use.receiver)
            if resolved is not None and resolved[0] == "type":
                return self.table.method(resolved[1], use.method)
            return None
        if use.callee:
            head, _, method = use.callee.rpartition(".")
            if head and self.function(use.callee) is None and not self.is_class(head):
                bound = self.binding(head)
                resolved = self.resolve(bound)
                if resolved is not None and resolved[0] == "type":
                    return self.table.method(resolved[1], method)
        return None
