"""Which files a run reviews: Python files under the given paths, minus what is ignored.

Honours `.gitignore` files (at every level, as git does), configured excludes, and skips
virtualenvs, `node_modules`, caches and build output. A file named explicitly on the command line
is reviewed even when a pattern would exclude it. The result is sorted, so runs are deterministic.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from reviewer.model import ErrorKind, FileError

SKIPPED_DIRS = frozenset({
    ".git", ".hg", ".svn", ".venv", "venv", ".env", "env", "virtualenv", "node_modules", "__pycache__",
    ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".reviewer_cache", "site-packages",
    "build", "dist", ".eggs", "htmlcov", ".idea", ".vscode",
})
PYTHON_SUFFIXES = (".py",)


@dataclass(frozen=True)
class SourceFile:
    path: Path  # absolute
    relpath: str  # relative to the scan root, `/`-separated


@dataclass
class Discovery:
    files: list[SourceFile] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)


def _ignore_spec(lines: Iterable[str]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(lines)


def relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def scan_root(paths: Sequence[Path], cwd: Path) -> Path:
    """Findings are reported relative to the working directory when every path lies inside it
    (as CI annotations expect), else relative to the paths' common parent."""
    resolved = [p.resolve() for p in paths]
    if all(p == cwd or cwd in p.parents for p in resolved):
        return cwd
    common = Path(os.path.commonpath([str(p) for p in resolved]))
    return common.parent if common.is_file() else common


def discover(paths: Sequence[Path], root: Path, exclude: Sequence[str] = ()) -> Discovery:
    found = Discovery()
    excluded = _ignore_spec(exclude)
    seen: set[str] = set()
    for given in paths:
        absolute = Path(os.path.abspath(given))
        if not os.path.lexists(absolute):
            found.errors.append(FileError(relative(absolute, root), ErrorKind.READ, "no such file or directory"))
            continue
        if absolute.is_file() or absolute.is_symlink() and not absolute.is_dir():
            _add_file(found, seen, absolute, root, explicit=True)
            continue
        _walk(found, seen, absolute, root, excluded)
    found.files.sort(key=lambda f: f.relpath)
    found.errors.sort(key=lambda e: e.sort_key)
    return found


def _gitignores_above(directory: Path, root: Path) -> list[tuple[Path, pathspec.GitIgnoreSpec]]:
    """`.gitignore` files in the directories from the repository top down to `directory`."""
    chain: list[tuple[Path, pathspec.GitIgnoreSpec]] = []
    for parent in reversed([directory, *directory.parents]):
        spec = _read_gitignore(parent)
        if spec is not None:
            chain.append((parent, spec))
        if (parent / ".git").exists():
            chain = [(parent, spec)] if spec is not None else []
    return chain


def _read_gitignore(directory: Path) -> pathspec.GitIgnoreSpec | None:
    try:
        text = (directory / ".gitignore").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return _ignore_spec(text.splitlines())


def _ignored(path: Path, is_dir: bool, ignores: list[tuple[Path, pathspec.GitIgnoreSpec]]) -> bool:
    """As git decides: the deepest `.gitignore` with a matching pattern (or `!negation`) wins."""
    for base, spec in reversed(ignores):
        try:
            rel = path.relative_to(base).as_posix()
        except ValueError:
            continue
        decision = spec.check_file(rel + "/" if is_dir else rel).include
        if decision is not None:
            return decision
    return False


def _walk(found: Discovery, seen: set[str], top: Path, root: Path, excluded: pathspec.GitIgnoreSpec) -> None:
    ignores = _gitignores_above(top, root)
    visited: set[tuple[int, int]] = set()
    stack: list[tuple[Path, list[tuple[Path, pathspec.GitIgnoreSpec]]]] = [(top, ignores)]
    while stack:
        directory, inherited = stack.pop()
        try:
            stat = directory.stat()
        except OSError as error:
            _record_os_error(found, directory, root, error)
            continue
        if (stat.st_dev, stat.st_ino) in visited:
            continue
        visited.add((stat.st_dev, stat.st_ino))
        own = _read_gitignore(directory) if directory != top else None
        rules = inherited + [(directory, own)] if own is not None else inherited
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as error:
            _record_os_error(found, directory, root, error)
            continue
        for entry in entries:
            path = Path(entry.path)
            rel = relative(path, root)
            try:
                is_dir = entry.is_dir()
            except OSError as error:
                _record_os_error(found, path, root, error)
                continue
            if is_dir:
                if entry.name in SKIPPED_DIRS or (path / "pyvenv.cfg").exists():
                    continue
                if excluded.match_file(rel + "/") or _ignored(path, True, rules):
                    continue
                stack.append((path, rules))
                continue
            if not entry.name.endswith(PYTHON_SUFFIXES):
                continue
            if excluded.match_file(rel) or _ignored(path, False, rules):
                continue
            _add_file(found, seen, path, root, explicit=False)


def _add_file(found: Discovery, seen: set[str], path: Path, root: Path, explicit: bool) -> None:
    rel = relative(path, root)
    if rel in seen:
        return
    try:
        path.stat()
    except OSError as error:
        _record_os_error(found, path, root, error)
        return
    seen.add(rel)
    found.files.append(SourceFile(path=path, relpath=rel))


def _record_os_error(found: Discovery, path: Path, root: Path, error: OSError) -> None:
    rel = relative(path, root)
    if error.errno == errno.ELOOP:
        found.errors.append(FileError(rel, ErrorKind.SYMLINK_LOOP, "symbolic link loop; not followed"))
    elif error.errno == errno.ENOENT and path.is_symlink():
        found.errors.append(FileError(rel, ErrorKind.READ, "broken symbolic link"))
    else:
        found.errors.append(FileError(rel, ErrorKind.READ, error.strerror or str(error)))
