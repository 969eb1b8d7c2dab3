"""Which module a file is, whatever path the review was given.

Python names a module after its package: `skyvern/forge/app.py` is `skyvern.forge.app` because
`skyvern/` and `skyvern/forge/` hold an `__init__.py`, wherever one stands. So a file inside a
regular package is named by its chain of `__init__.py` directories, even above the scan root:
reviewing `skyvern/` or the directory holding it resolves `import skyvern.forge.app` alike.

A file outside any package (a script, a namespace package such as an `app/` without
`__init__.py`) is named by its path from the project root: the repository that holds the scan
root (the nearest directory with a `.git`), else the nearest directory with a project file
(`pyproject.toml`, `setup.cfg`: an unpacked archive of one), else the scan root itself; a leading
`src/` is dropped, as `src` layouts install without it. Imports that name such a module by a
shorter dotted name (`app.main` for `backend/app/main.py`) are found by suffix
(`reviewer.semantics.calls`).

Two package trees under one review with the same top-level name (two services, each with its own
`app/__init__.py`) would give two files one name; their files keep path-derived names instead, so
that neither is mistaken for the other.

A module file beside a package of the same name (`providers.py` next to `providers/__init__.py`,
left behind when a module became a package) is never imported: the package wins
(`shadowed_files`).

Only the existence of `__init__.py`, `.git` and project files is read, never the files themselves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

INIT = "__init__.py"


def path_module_name(relpath: str) -> str:
    """The dotted module name of a file from its path relative to a root (`src/` dropped)."""
    parts = list(PurePosixPath(relpath).with_suffix("").parts)
    if parts and parts[0] == "src" and len(parts) > 1:
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def shadowed_files(paths: Iterable[str]) -> set[str]:
    """The module files among `paths` that a package among them shadows: `a/b.py` when there is
    an `a/b/__init__.py` (Python imports the package, never the file)."""
    paths = set(paths)
    return {
        path for path in paths
        if path.endswith(".py") and not path.endswith(f"/{INIT}") and path != INIT
        and f"{path[:-3]}/{INIT}" in paths
    }


# Not `setup.py`: a module of that name inside a package (`onyx/setup.py`) is common.
_PROJECT_FILES = ("pyproject.toml", "setup.cfg")


def project_root(root: Path) -> Path:
    """The nearest directory at or above `root` that holds a `.git`; outside a repository (a tree
    unpacked from an archive), the nearest that holds a project file (`pyproject.toml`,
    `setup.cfg`) and is no package; `root` when none does."""
    directories = (root, *root.parents)
    for directory in directories:
        if (directory / ".git").exists():
            return directory
    for directory in directories:
        if any((directory / name).is_file() for name in _PROJECT_FILES) and not (directory / INIT).is_file():
            return directory
    return root


class ModuleNames:
    """Names the modules of one review (every file's name depends on its neighbours' only when
    two package trees would share a name)."""

    def __init__(self, root: Path) -> None:
        self.project = project_root(root)
        self._packages: dict[Path, bool] = {}

    def _is_package(self, directory: Path) -> bool:
        known = self._packages.get(directory)
        if known is None:
            known = self._packages[directory] = directory != directory.parent and (directory / INIT).is_file()
        return known

    def package_top(self, path: Path) -> Path | None:
        """The outermost package directory holding `path`, if `path` is in a package. A directory
        without `__init__.py` inside a package is a namespace portion of it (`dispatch/data/source/`
        in `dispatch/data/`): Python imports `dispatch.data.source.data_format.views` through it."""
        top = None
        directory = path.parent
        while self._is_package(directory) or self._is_package(directory.parent):
            if self._is_package(directory):
                top = directory
            directory = directory.parent
        return top

    def by_path(self, path: Path) -> str:
        try:
            relpath = path.relative_to(self.project).as_posix()
        except ValueError:
            relpath = path.name
        return path_module_name(relpath)

    def by_package(self, path: Path, top: Path) -> str:
        return path_module_name(path.relative_to(top.parent).as_posix())

    def names(self, paths: list[Path]) -> list[str]:
        """The module name of each of `paths` (absolute)."""
        tops = [self.package_top(path) for path in paths]
        by_name: dict[str, set[Path]] = defaultdict(set)
        for top in tops:
            if top is not None:
                by_name[top.name].add(top)
        clashing = {top for found in by_name.values() if len(found) > 1 for top in found}
        return [
            self.by_package(path, top) if top is not None and top not in clashing else self.by_path(path)
            for path, top in zip(paths, tops, strict=True)
        ]
