"""Walking the class hierarchy the repository records (`ModuleSummary.classes`: each class, with
the names of its bases)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator


def lineage(cls: str, bases_of: Callable[[str], Iterable[str]], limit: int) -> Iterator[str]:
    """The class, then its bases and theirs, depth first, each once, at most `limit` classes."""
    pending, seen = [cls], set()
    while pending and len(seen) < limit:
        current = pending.pop()
        if current not in seen:
            seen.add(current)
            yield current
            pending.extend(bases_of(current))
