"""The repository's calls as the auth model follows them: from a function to the functions of the
repository it calls (also methods of objects it made, what it hands to a thread, and a method a
base class defines), and a search for evidence along them (`through_calls`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from reviewer.semantics.fastapi.guards.vocabulary import MAX_CALL_DEPTH

if TYPE_CHECKING:
    from reviewer.semantics.fastapi.guards.records import GuardFunction
    from reviewer.semantics.fastapi.index import EndpointIndex

T = TypeVar("T")
MAX_BASE_DEPTH = 6  # base classes followed up from a class


class CallGraph:
    """Over the guard records (`functions`), the function summaries and the classes' bases of the
    repository (each by qualified name)."""

    def __init__(self, index: EndpointIndex, functions: Mapping[str, GuardFunction], summaries: Mapping[str, Any],
                 classes: Mapping[str, list[str]]) -> None:
        self.index = index
        self.functions = functions
        self._summaries = summaries
        self.classes = classes
        self._by_name: dict[str, list[str]] | None = None
        # Searches for evidence ask for the same functions' callees again and again (each endpoint
        # nothing guards searches anew); the records do not change, so the answers are kept.
        self._callees_memo: dict[tuple[str, frozenset[str]], tuple[str, ...]] = {}
        self._unconditional_memo: dict[str, tuple[str, ...]] = {}

    def summary(self, qualname: str | None) -> Any:
        """The `FunctionSummary` of a function of the repository, None for one it does not define."""
        return self._summaries.get(qualname) if qualname else None

    def through_calls(self, qualname: str, evidence: Callable[[str, int], T | None], depth: int = 0,
                      seen: set[str] | None = None, follow: Callable[[str], Sequence[str]] | None = None,
                      max_depth: int = MAX_CALL_DEPTH) -> T | None:
        """The first `evidence(function, depth)` of a function or of the repository helpers it
        calls (those `follow` names, by default all), depth first, up to `max_depth` calls away,
        each function looked at once (`seen` shared between searches looks at it once over all)."""
        seen = set() if seen is None else seen
        if qualname in seen:
            return None
        seen.add(qualname)
        found = evidence(qualname, depth)
        if found or depth >= max_depth:
            return found
        callees = (follow or self.callees)(qualname)
        return next(filter(None, (self.through_calls(c, evidence, depth + 1, seen, follow, max_depth)
                                  for c in callees)), None)

    def unconditional_callees(self, qualname: str) -> tuple[str, ...]:
        """What it calls every time, letting what they raise through (`conditional_calls`)."""
        found = self._unconditional_memo.get(qualname)
        if found is None:
            record = self.functions.get(qualname)
            found = self.callees(qualname, frozenset(record.conditional_calls) if record else frozenset())
            self._unconditional_memo[qualname] = found
        return found

    def callees(self, qualname: str, skipped: frozenset[str] = frozenset()) -> tuple[str, ...]:
        """The functions it calls, resolved where the repository defines them; those whose call
        is spelled as one of `skipped` left out."""
        key = (qualname, skipped)
        found = self._callees_memo.get(key)
        if found is None:
            found = self._callees_memo[key] = tuple(self._resolve_callees(qualname, skipped))
        return found

    def _resolve_callees(self, qualname: str, skipped: frozenset[str]) -> list[str]:
        summary = self._summaries.get(qualname)
        record = self.functions.get(qualname)
        found = []
        for made in record.object_calls if record else ():
            if made in skipped:
                continue
            cls, _, method = made.rpartition(".")
            found.append(self.method(self.index.resolve(cls) or cls, method))
        if summary is None:
            return found
        owner = qualname.rsplit(".", 1)[0]
        # What it hands to a thread to run for it (`await run_in_threadpool(discover, email)`) runs
        # for the caller as much as what it calls.
        for call in (*summary.calls, *summary.offloaded):
            if call.text in skipped:
                continue
            if call.target:
                found.append(self.index.resolve(call.target) or call.target)
            elif call.text and call.text.startswith(("self.", "cls.")) and call.text.count(".") == 1:
                found.append(self.method(owner, call.text.split(".", 1)[1]))
        return found

    def method(self, cls: str, name: str) -> str:
        """`cls.name`, or where a base class of the repository defines it."""
        for owner in (cls, *self.lineage(cls)):
            owner = self.index.resolve(owner) or owner
            if f"{owner}.{name}" in self.functions or f"{owner}.{name}" in self._summaries:
                return f"{owner}.{name}"
        return f"{cls}.{name}"

    def lineage(self, cls: str, depth: int = 0) -> list[str]:
        """The base classes of `cls`, resolved where the repository defines them, nearest first."""
        bases = [self.class_named(base) for base in self.classes.get(cls, [])]
        found = list(bases)
        if depth < MAX_BASE_DEPTH:
            for base in bases:
                found += self.lineage(base, depth + 1)
        return found

    def class_named(self, name: str) -> str:
        """A class as the repository defines it: through imports, or through a package's star
        import (`from .base_controllers import *`), found by its name under the package."""
        resolved = self.index.resolve(name) or name
        if resolved in self.classes:
            return resolved
        package, _, short = resolved.rpartition(".")
        if self._by_name is None:
            self._by_name = {}
            for qualname in self.classes:
                self._by_name.setdefault(qualname.rpartition(".")[2], []).append(qualname)
        found = [q for q in self._by_name.get(short, ()) if q.startswith(package + ".")]
        return found[0] if len(found) == 1 else resolved
