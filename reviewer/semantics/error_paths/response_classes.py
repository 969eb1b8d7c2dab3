"""The repository's classes that are responses: a subclass, however far down, of Starlette's or
FastAPI's (`class JSONResponse(StarletteJSONResponse)` rendering with the application's encoder).
A module building one from another module cannot tell it from any class; over the repository, the
module summaries' class hierarchy (`ModuleSummary.classes`) can."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reviewer.semantics.error_paths.records import RESPONSE_CLASSES
from reviewer.semantics.hierarchy import ClassBases

if TYPE_CHECKING:
    from collections.abc import Iterable

    from reviewer.semantics.calls import ModuleIndex
    from reviewer.summary import ModuleSummary


class ResponseClasses:
    """Over the repository, which of its classes are responses."""

    def __init__(self, summaries: Iterable[ModuleSummary], index: ModuleIndex) -> None:
        self.canonical = index.canonical
        self.classes = ClassBases(summaries, index.canonical)

    def name_of(self, callee: str) -> str | None:
        """The class's own name (`JSONResponse`), when a callee, as a module qualifies it, is a
        response class of the repository."""
        name = self.canonical(callee)
        if name not in self.classes:
            return None
        return name.rsplit(".", 1)[-1] if any(cls in RESPONSE_CLASSES for cls in self.classes.lineage(name)) else None
