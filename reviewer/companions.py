"""Companion engines: ruff decides `lint-clean`, bandit decides `security-scan`, mypy or pyright
decides `type-checked` (`reviewer.type_checkers`).

They are opt-in (`--companion ruff`, or `companions = ["ruff", "bandit", "mypy"]` in the configuration)
and run as separate processes, concurrently with the review. Their problems are counted into the
item's verdict (`warn` with a count, or `pass`), not copied into the findings: the team's own ruff
and bandit runs show them in detail, with their own suppressions. They never change the exit code.

The reviewed repository chooses whether they run (its own `[tool.reviewer]` may enable them), so
it must not choose what runs: each engine is started by its installed executable, found beside
this interpreter or on an absolute `PATH` entry outside the reviewed tree, never as
`python -m NAME` (which imports a `ruff.py` committed at the repository's root first).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from reviewer.type_checkers import ENGINE as TYPES_ENGINE
from reviewer.type_checkers import TYPE_CHECKERS, Counted, Launch, plan

TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class Companion:
    name: str
    item: str

    def command(self, files: Sequence[str], root: Path) -> list[str] | None:
        """The command line that runs the engine on `files`, or None if it is not installed."""
        executable = installed_executable(self.name, root)
        if executable is None:
            return None
        if self.name == "ruff":
            options = ["--output-format", "json", "--exit-zero", "--no-fix", "--force-exclude"]
            return [executable, "check", *options, *files]
        return [executable, "-f", "json", "-q", "--exit-zero", *files]


COMPANIONS = {c.name: c for c in (Companion("ruff", "lint-clean"), Companion("bandit", "security-scan"))}
# Every name `--companion` and `companions` accept; at most one of TYPE_CHECKERS.
COMPANION_NAMES = (*COMPANIONS, *TYPE_CHECKERS)


def installed_executable(name: str, root: Path) -> str | None:
    """The engine's executable: beside this interpreter (a virtualenv's `bin/`) or in its install
    schemes' scripts directories, else on `PATH`, but never from a relative `PATH` entry or one
    inside the reviewed tree, where the repository could have committed a program of that name."""
    trusted = [Path(sys.executable).parent]
    for scheme in (sysconfig.get_default_scheme(), f"{os.name}_user"):
        try:
            trusted.append(Path(sysconfig.get_path("scripts", scheme)))
        except KeyError:
            continue
    for directory in trusted:
        found = shutil.which(name, path=str(directory))
        if found is not None:
            return found
    tree = root.resolve()
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        directory = Path(entry)
        if not entry or not directory.is_absolute():
            continue
        resolved = directory.resolve()
        if resolved == tree or tree in resolved.parents:
            continue
        found = shutil.which(name, path=str(directory))
        if found is not None:
            return found
    return None


@dataclass(frozen=True)
class EngineResult:
    status: str  # "ran", or why it did not
    problems: int = 0
    files: int = 0
    tool: str = ""  # the engine that ran, where the item's engine names a choice (types: mypy or pyright)
    unit: str = "problem"  # what a problem is called in the note (mypy and pyright count errors)
    remarks: tuple[str, ...] = ()  # what the note says beside the count (plugins not loaded, what CI does)
    doubt: bool = False  # something the verdict cannot pass over (CI does not fail on type errors)

    @property
    def note(self) -> str:
        if self.status != "ran":
            said = self.status
        elif not self.problems:
            said = f"no {self.unit}s"
        else:
            unit = f"{self.unit}{'s' * (self.problems != 1)}"
            said = f"{self.problems} {unit} in {self.files} file{'s' * (self.files != 1)}"
        return "; ".join((said, *self.remarks))


class Running:
    """Companion processes started for one review; `results()` waits for them."""

    def __init__(self, enabled: Sequence[str], root: Path, files: Sequence[str]) -> None:
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self._parsers: dict[str, Callable[[bytes, bytes], EngineResult]] = {}
        self._results: dict[str, EngineResult] = {}
        for name, companion in COMPANIONS.items():
            if name not in enabled:
                self._results[name] = EngineResult(f"not enabled (add --companion {name})")
                continue
            command = companion.command(files, root)
            if command is None:
                self._results[name] = EngineResult(f"{name} is not installed")
                continue
            if not files:
                self._results[name] = EngineResult("ran")
                continue
            self._processes[name] = subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            self._parsers[name] = functools.partial(_parse, name)
        self._start_type_checker(enabled, root, files)

    def _start_type_checker(self, enabled: Sequence[str], root: Path, files: Sequence[str]) -> None:
        try:
            decided = plan(enabled, root, files, installed_executable)
        except (OSError, ValueError) as error:  # the review goes on without its type checker
            self._type_tool = "type checker"
            self._results[TYPES_ENGINE] = EngineResult(f"type checking not started: {error}")
            return
        remarks, self._type_tool = tuple(decided.remarks), decided.tool

        def result(counted: Counted) -> EngineResult:
            return EngineResult(
                counted.status, counted.errors, counted.files, tool=decided.tool, unit="error",
                remarks=counted.remarks + remarks, doubt=decided.doubt,
            )

        self._type_result = result
        if decided.launch is None:
            self._results[TYPES_ENGINE] = result(Counted(decided.status))
            return
        if not files:
            self._results[TYPES_ENGINE] = result(Counted("ran"))
            return
        launch: Launch = decided.launch
        try:
            self._processes[TYPES_ENGINE] = subprocess.Popen(
                launch.command, cwd=launch.cwd, env=launch.env,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )
        except OSError as error:
            self._results[TYPES_ENGINE] = result(Counted(f"{decided.tool} failed: {error.strerror or error}"))
            return
        self._parsers[TYPES_ENGINE] = lambda out, err: result(launch.parse(out, err))

    def stop(self) -> None:
        """End the processes still running: the review failed before it asked for results."""
        for process in self._processes.values():
            if process.poll() is None:
                process.kill()
            process.communicate()

    def results(self) -> dict[str, EngineResult]:
        for name, process in self._processes.items():
            try:
                out, err = process.communicate(timeout=TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
                late = f"{self._type_tool if name == TYPES_ENGINE else name} did not finish within {TIMEOUT_SECONDS}s"
                self._results[name] = self._type_result(Counted(late)) if name == TYPES_ENGINE else EngineResult(late)
                continue
            self._results[name] = self._parsers[name](out, err)
        return self._results


def _parse(name: str, out: bytes, err: bytes) -> EngineResult:
    try:
        data = json.loads(out or b"null")
    except json.JSONDecodeError:
        reason = (err or out).decode("utf-8", "replace").strip().splitlines()
        return EngineResult(f"{name} failed: {reason[-1] if reason else 'no output'}")
    if name == "ruff" and isinstance(data, list):
        files = {entry.get("filename") for entry in data}
        return EngineResult("ran", len(data), len(files))
    if name == "bandit" and isinstance(data, dict):
        issues = data.get("results", [])
        return EngineResult("ran", len(issues), len({issue.get("filename") for issue in issues}))
    return EngineResult(f"{name} printed a report in an unexpected shape")
