"""The repository's functions and the calls they make, over module summaries.

Every module summary lists its functions with their decorators and call sites, qualified through
imports (`reviewer.summary`); this index finds a module or a function by dotted name across the
repository, which is how a rule follows a call from a route in one module into a helper in another
without parsing either again.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath

from reviewer.summary import FunctionSummary, ModuleSummary

MAX_REEXPORTS = 8  # packages a name is followed through


def _nearest_imported(summaries: list[ModuleSummary],
                      ambiguous: dict[str, list[ModuleSummary]]) -> dict[str, ModuleSummary]:
    """Names several modules end with, each resolved where every module importing it agrees: the
    outermost module of that name in the importer's directory or a directory above it. A service
    run from its own directory imports its modules by their bare names (`from auth import
    verify_auth` in `server/routers/keys.py` is `server/auth.py`, not `server/routers/auth.py`),
    beside other `auth.py` files of the repository."""
    if not ambiguous:
        return {}
    directories = {id(s): PurePosixPath(s.path).parent for s in summaries}
    by_path = {s.path: s for s in summaries}
    chosen: dict[str, ModuleSummary | None] = {}
    for summary in summaries:
        here = directories[id(summary)]
        for target in summary.imports.aliases.values():
            parts = target.split(".")
            name = next((".".join(parts[:cut]) for cut in range(len(parts), 0, -1)
                         if ".".join(parts[:cut]) in ambiguous), None)
            if name is None or (name in chosen and chosen[name] is None):
                continue  # not a module of the repository, or importers that disagree
            near = sorted((len(directories[id(c)].parts), c.path) for c in ambiguous[name]
                          if directories[id(c)] == here or directories[id(c)] in here.parents)
            if not near:
                continue  # a test suite beside the service, run with its directory on `sys.path`
            # Python finds a bare name on `sys.path`, whose entry here is the outermost such directory.
            found = by_path[near[0][1]] if len(near) == 1 or near[0][0] < near[1][0] else None
            chosen[name] = found if chosen.get(name, found) is found else None
    return {name: found for name, found in chosen.items() if found is not None}


class ModuleIndex:
    """Finds modules and functions by dotted name across the scanned repository.

    A file in a regular package is named as Python names it (`reviewer.packages`); one outside any
    package by its path from the project root, which may sit above the import root
    (`services/api/app/main.py` is imported as `app.main`), so a name is also found by any dotted
    suffix of a module's name, when that suffix is unambiguous and does not start with the name of
    a module of the standard library (`types.MappingProxyType` is the standard library's, not that
    of the repository's `app.server.types`).
    """

    def __init__(self, summaries: Iterable[ModuleSummary]) -> None:
        self._all = list(summaries)
        candidates: dict[str, list[ModuleSummary]] = defaultdict(list)
        for summary in self._all:
            parts = summary.module.split(".") if summary.module else []
            for start in range(len(parts)):
                if start == 0 or parts[start] not in sys.stdlib_module_names:
                    candidates[".".join(parts[start:])].append(summary)
        self._modules = {name: found[0] for name, found in candidates.items() if len(found) == 1}
        self._modules.update(_nearest_imported(self._all, {n: f for n, f in candidates.items() if len(f) > 1}))
        for summary in self._all:
            self._modules[summary.module] = summary
        self._canonical: dict[str, str] = {}  # what `canonical` answered: the modules do not change

    def module(self, name: str) -> ModuleSummary | None:
        return self._modules.get(name)

    def canonical(self, qualified: str) -> str:
        """A name as imported (`app.config.settings`, `pkg.services.prepare`) as the repository
        defines it: the module found by its name or a suffix (`backend.app.config.settings`), and
        through a package's re-export (`from .users import prepare` in `pkg/services/__init__.py`)."""
        found = self._canonical.get(qualified)
        if found is None:
            found = self._canonical[qualified] = self._canonical_uncached(qualified, 0)
        return found

    def _canonical_uncached(self, qualified: str, depth: int) -> str:
        parts = qualified.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            summary = self.module(".".join(parts[:cut]))
            if summary is None:
                continue
            exported = summary.imports.exported(parts[cut])
            if exported and depth < MAX_REEXPORTS and exported != ".".join(parts[: cut + 1]):
                return self._canonical_uncached(".".join([exported, *parts[cut + 1:]]), depth + 1)
            return ".".join(p for p in (summary.module, *parts[cut:]) if p)
        return qualified

    def function(self, qualified: str) -> FunctionSummary | None:
        """The function a qualified name such as `app.services.reports.build` refers to."""
        parts = qualified.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            summary = self._modules.get(".".join(parts[:cut]))
            if summary is not None:
                local = ".".join(parts[cut:])
                return summary.functions.get(f"{summary.module}.{local}" if summary.module else local)
        return None

    def fills(self, qualified: str) -> set[str | None]:
        """What a module's top-level name, as imported (`app.worker.celery_app`), is filled with in
        its module (`ModuleSummary.attributes`: `{"celery.Celery"}`); empty when not known."""
        module, _, name = self.canonical(qualified).rpartition(".")
        summary = self.module(module)
        return summary.attributes.get(name, set()) if summary is not None else set()

    def __iter__(self) -> Iterator[ModuleSummary]:
        return iter(self._all)
