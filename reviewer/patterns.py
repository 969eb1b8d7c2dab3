"""Gitignore-style path patterns, matched in time linear in the path.

The patterns come from the reviewed repository (its `.gitignore` files, its `exclude` and
`per-file-ignores`), so they are hostile input: Python's backtracking regular expressions take
exponential time on a pattern such as `**/a/**/a/**/a/**/a/b` against a deep path. pathspec's
RE2 backend matches the same gitignore semantics with an automaton instead.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import pathspec
import re2

BACKEND = "re2"
# What compiling a bad pattern raises: pathspec's own error (a ValueError), and the regular
# expression errors of the expression it builds, from Python's `re` and from RE2.
_INVALID = (ValueError, re.error, re2.error)


class PatternError(ValueError):
    """A pattern that cannot be compiled; the message names it."""


class PathPatterns:
    """Compiled patterns, asked about `/`-separated relative paths (a directory's with a
    trailing `/`). RE2 takes only valid Unicode, so the bytes of a file name that is not UTF-8
    (lone surrogates, as Python reads them) are matched as U+FFFD: a wildcard still matches
    them, a literal cannot."""

    def __init__(self, spec: pathspec.GitIgnoreSpec) -> None:
        self._spec = spec

    def matches(self, path: str) -> bool:
        return self._spec.match_file(_valid(path))

    def decision(self, path: str) -> bool | None:
        """True if the last pattern matching `path` ignores it, False if it re-includes it
        (`!pattern`), None if none matches."""
        return self._spec.check_file(_valid(path)).include


class AnchoredPatterns:
    """Patterns read relative to the directory that declares them: a configuration file's own
    directory (as ruff reads its `exclude`), or the working directory for the command line's. A
    path outside that directory matches none of them, as a `.gitignore` says nothing about what
    lies outside its directory."""

    def __init__(self, base: Path, lines: Sequence[str]) -> None:
        self.base = base
        self._patterns = compile_patterns(lines) if lines else None

    def matches(self, path: Path, is_dir: bool = False) -> bool:
        """Whether the absolute `path` (a directory's, with `is_dir`) matches a pattern."""
        if self._patterns is None:
            return False
        try:
            relative = path.relative_to(self.base).as_posix()
        except ValueError:
            return False
        if relative == ".":
            return False
        return self._patterns.matches(relative + "/" if is_dir else relative)


def any_matches(groups: Iterable[AnchoredPatterns], path: Path, is_dir: bool = False) -> bool:
    return any(group.matches(path, is_dir) for group in groups)


def _valid(path: str) -> str:
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def compile_patterns(lines: Iterable[str]) -> PathPatterns:
    """One spec of gitignore patterns (comments and blank lines allowed). Repeated lines are
    kept once, at their last place: with gitignore's last-match-wins the result is the same."""
    unique = list(dict.fromkeys(reversed(list(lines))))[::-1]
    try:
        return PathPatterns(_spec(unique))
    except _INVALID as error:
        bad = next((line for line in unique if not _compiles(line)), None)
        where = f"invalid pattern {bad!r}" if bad is not None else "invalid patterns"
        raise PatternError(f"{where}: {error}") from None


def compile_lenient(lines: Iterable[str]) -> tuple[PathPatterns, list[tuple[int, str]]]:
    """As git reads a `.gitignore`: a line that is not a valid pattern is left out. Returns the
    spec and the (1-based line number, line) of each line left out."""
    lines = list(lines)
    try:
        return compile_patterns(lines), []
    except PatternError:
        bad = [(number, line) for number, line in enumerate(lines, start=1) if not _compiles(line)]
        rejected = {number for number, _ in bad}
        kept = [line for number, line in enumerate(lines, start=1) if number not in rejected]
        return compile_patterns(kept), bad


def _compiles(line: str) -> bool:
    try:
        _spec([line])
    except _INVALID:
        return False
    return True


def _spec(lines: list[str]) -> pathspec.GitIgnoreSpec:
    # pathspec also builds each pattern's expression with Python's `re`, which warns about a
    # bracket inside a bracket expression (`[[...path]].tsx`, a Next.js route file's name): a
    # note about the expression pathspec writes, of no use to the reader of the report.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return pathspec.GitIgnoreSpec.from_lines(lines, backend=BACKEND)
