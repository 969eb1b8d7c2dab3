"""Walking the class hierarchy the repository records (`ModuleSummary.classes`: each class, with
the names of its bases)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reviewer.summary import ModuleSummary

MAX_BASES = 20  # classes followed up a hierarchy


class ClassBases:
    """The repository's classes, each with the bases it names, walked through the names the
    module index gives them (`canonical`: `base.StarletteJSONResponse` is Starlette's class)."""

    def __init__(self, summaries: Iterable[ModuleSummary], canonical: Callable[[str], str], *,
                 tests: bool = True) -> None:
        self.canonical = canonical
        self.bases: dict[str, list[str]] = {}
        for summary in summaries:
            if tests or not summary.is_test_file:
                self.bases.update(summary.classes)
        self._children: dict[str, list[str]] | None = None

    def __contains__(self, cls: str) -> bool:
        return cls in self.bases

    def descendants(self, cls: str) -> list[str]:
        """The classes of the repository that derive from the class, at any depth."""
        if self._children is None:
            self._children = {}
            for child, bases in self.bases.items():
                for base in bases:
                    self._children.setdefault(self.canonical(base), []).append(child)
        found: list[str] = []
        pending, seen = [cls], {cls}
        while pending:
            for child in self._children.get(pending.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    found.append(child)
                    pending.append(child)
        return found

    def lineage(self, cls: str, limit: int = MAX_BASES) -> Iterator[str]:
        """The class, then its bases and theirs, canonical (see `lineage`)."""
        return lineage(cls, lambda current: map(self.canonical, self.bases.get(current, ())), limit)


def lineage(cls: str, bases_of: Callable[[str], Iterable[str]], limit: int) -> Iterator[str]:
    """The class, then its bases and theirs, depth first, each once, at most `limit` classes."""
    pending, seen = [cls], set()
    while pending and len(seen) < limit:
        current = pending.pop()
        if current not in seen:
            seen.add(current)
            yield current
            pending.extend(bases_of(current))
