"""Pull-request mode: which lines a change touched, and which findings its evidence puts in it.

The change is everything between the merge base of `--diff-base` and HEAD and the working tree:
`git diff --unified=0 $(git merge-base BASE HEAD)` (committed, staged and unstaged changes, in the
line numbers of the files as they are reviewed), plus every line of the files git does not track
and does not ignore (`git ls-files --others --exclude-standard`).

A finding is in the change when its evidence touches a changed line: the flagged statement, a hop
of its call chain (`Finding.related`), or the function around either of them whose body changed
(a route reported on its unchanged `def` line, whose body a change made blocking). The review
itself still covers the whole tree, since rules follow calls across modules; only what is
reported is narrowed.

git runs here only, with list arguments and no shell, as an executable found beside this
interpreter or on an absolute `PATH` entry outside the reviewed tree; with external diff
drivers, text conversion and the file-system monitor off, so that a repository's own
configuration cannot run a program through it.
"""

from __future__ import annotations

import bisect
import os
import re
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reviewer.companions import installed_executable
from reviewer.engine import Run
from reviewer.model import Finding
from reviewer.outline import Outline

GIT_TIMEOUT = 300
_HUNK = re.compile(rb"^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
_ESCAPES = {b"a": 7, b"b": 8, b"t": 9, b"n": 10, b"v": 11, b"f": 12, b"r": 13, b'"': 34, b"\\": 92}


class ChangesError(Exception):
    """The change cannot be computed: no git, not a repository, an unknown base. A usage error."""


@dataclass
class FileChange:
    """The lines of one file a change added or rewrote, and where it removed lines."""

    added: list[int] = field(default_factory=list)  # sorted
    removed_after: list[int] = field(default_factory=list)  # sorted: lines were removed after these
    whole: bool = False  # a file git does not track: every line is new

    def touches(self, first: int, last: int) -> bool:
        """Whether the change added a line in `first`..`last`, or removed one between two of them."""
        if self.whole:
            return True
        at = bisect.bisect_left(self.added, first)
        if at < len(self.added) and self.added[at] <= last:
            return True
        at = bisect.bisect_left(self.removed_after, first)
        return at < len(self.removed_after) and self.removed_after[at] < last


@dataclass
class Changes:
    base: str  # as given: `origin/main`
    merge_base: str  # the commit the change is measured from
    top: Path  # the repository's top directory
    files: dict[str, FileChange]  # by path from the top, `/`-separated

    @classmethod
    def since(cls, base: str, where: Path) -> Changes:
        """The change from the merge base of `base` and HEAD to the working tree of the
        repository holding `where`."""
        if not base or base.startswith("-"):
            raise ChangesError(f"--diff-base {base!r}: not a git revision")
        git = installed_executable("git", where)
        if git is None:
            raise ChangesError("--diff-base needs git, and no git executable was found on PATH")
        try:
            top_text = _git(git, where, "rev-parse", "--show-toplevel").decode("utf-8", "surrogateescape").strip()
        except ChangesError as error:
            if "not a git repository" in str(error):
                raise ChangesError(f"--diff-base {base}: {where} is not inside a git repository") from None
            raise ChangesError(f"--diff-base {base}: git cannot read the repository at {where}: {error}") from None
        top = Path(top_text).resolve()
        try:
            _git(git, top, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{base}^{{commit}}")
        except ChangesError:
            raise ChangesError(
                f"--diff-base {base}: no such commit in {top} (fetch it first; in GitHub Actions, check out "
                "with `fetch-depth: 0`)"
            ) from None
        try:
            merge_base = _git(git, top, "merge-base", "--end-of-options", base, "HEAD").decode().strip()
        except ChangesError as error:
            raise ChangesError(
                f"--diff-base {base}: no common ancestor with HEAD ({error}); a shallow clone lacks it: fetch the "
                "whole history (in GitHub Actions, `fetch-depth: 0`)"
            ) from None
        diff = _git(
            git, top, "diff", "--unified=0", "--no-color", "--no-ext-diff",
            "--no-textconv", "--find-renames", "--src-prefix=a/", "--dst-prefix=b/", merge_base, "--",
        )
        files = dict(parse_diff(diff))
        untracked = _git(git, top, "ls-files", "-z", "--others", "--exclude-standard")
        for name in filter(None, untracked.split(b"\0")):
            files[name.decode("utf-8", "surrogateescape")] = FileChange(whole=True)
        return cls(base=base, merge_base=merge_base, top=top, files=files)

    def split(self, run: Run, findings: Sequence[Finding]) -> tuple[list[Finding], list[Finding]]:
        """`findings` of `run` in the change, and those outside it."""
        from reviewer.reporters.sources import Sources  # reads the files as the review did

        try:
            below = run.root.resolve().relative_to(self.top).as_posix()
        except ValueError:  # reviewed outside the repository: nothing there changed
            return [], list(findings)
        prefix = "" if below == "." else below + "/"
        sources = Sources(run)
        outlines: dict[str, Outline | None] = {}

        def outline(path: str) -> Outline | None:
            if path not in outlines:
                lines = sources.lines(path)
                outlines[path] = Outline(lines) if isinstance(lines, list) else None
            return outlines[path]

        def touched(path: str, first: int, last: int) -> bool:
            change = self.files.get(prefix + path)
            if change is None:
                return False
            if change.touches(first, last):
                return True
            shape = outline(path)
            function = shape.function(first, last) if shape is not None else None
            return function is not None and change.touches(*function)

        inside, outside = [], []
        for finding in findings:
            places = [(finding.path, *_lines(finding))]
            places += [(place.path, place.span.line, place.span.end_line) for place in finding.related]
            if any(touched(*place) for place in places):
                inside.append(finding)
            else:
                outside.append(finding)
        return inside, outside

    def to_json(self, outside: int) -> dict[str, object]:
        return {
            "base": self.base,
            "merge_base": self.merge_base,
            "changed_files": len(self.files),
            "findings_outside": outside,
        }


def _lines(finding: Finding) -> tuple[int, int]:
    """The lines of a finding's statement and of what it flags."""
    first, last = finding.statement_lines or (finding.span.line, finding.span.end_line)
    return min(first, finding.span.line), max(last, finding.span.end_line)


def parse_diff(diff: bytes) -> Iterator[tuple[str, FileChange]]:
    """The changed lines of each file in a `git diff --unified=0` patch, by new path. Hunk
    bodies are skipped by their line counts, so a changed line that reads `+++ x` is not taken
    for a file header."""
    lines = diff.split(b"\n")
    position = 0
    path: str | None = None
    change = FileChange()
    while position < len(lines):
        line = lines[position]
        position += 1
        if line.startswith(b"diff --git "):
            if path is not None:
                yield path, change
            path, change = None, FileChange()
        elif line.startswith(b"+++ "):
            name = line[4:]
            path = None if name == b"/dev/null" else _unquoted(name).removeprefix("b/")
        elif line.startswith(b"@@ "):
            match = _HUNK.match(line)
            if match is None:
                continue
            removed = int(match[1]) if match[1] is not None else 1
            start = int(match[2])
            added = int(match[3]) if match[3] is not None else 1
            if added:
                change.added.extend(range(start, start + added))
            else:
                change.removed_after.append(start)
            body = removed + added
            while body and position < len(lines):
                if not lines[position].startswith(b"\\"):  # "\ No newline at end of file"
                    body -= 1
                position += 1
    if path is not None:
        yield path, change


def _unquoted(name: bytes) -> str:
    """A path as git prints it: C-quoted (with octal escapes for bytes) when it holds unusual
    characters."""
    if not (name.startswith(b'"') and name.endswith(b'"') and len(name) >= 2):
        return name.decode("utf-8", "surrogateescape")
    body, out, index = name[1:-1], bytearray(), 0
    while index < len(body):
        byte = body[index : index + 1]
        if byte != b"\\":
            out += byte
            index += 1
            continue
        escape = body[index + 1 : index + 2]
        if escape.isdigit():
            out.append(int(body[index + 1 : index + 4], 8) & 0xFF)
            index += 4
        else:
            out.append(_ESCAPES.get(escape, escape[0] if escape else 92))
            index += 2
    return bytes(out).decode("utf-8", "surrogateescape")


def _git(git: str, where: Path, *args: str) -> bytes:
    command = [git, "--no-pager", "-c", "core.fsmonitor=false", "-c", "core.quotePath=true", "-C", str(where), *args]
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
    env.pop("GIT_EXTERNAL_DIFF", None)
    try:
        result = subprocess.run(command, capture_output=True, env=env, timeout=GIT_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise ChangesError(f"git {args[0]} took longer than {GIT_TIMEOUT} s") from None
    except OSError as error:
        raise ChangesError(f"cannot run git: {error.strerror or error}") from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ChangesError(message[0] if message else f"git {args[0]} exited with {result.returncode}")
    return result.stdout
