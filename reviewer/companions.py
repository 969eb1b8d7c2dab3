"""Companion engines: ruff decides `lint-clean`, bandit decides `security-scan`.

They are opt-in (`--companion ruff`, or `companions = ["ruff", "bandit"]` in the configuration)
and run as separate processes, concurrently with the review. Their problems are counted into the
item's verdict (`warn` with a count, or `pass`), not copied into the findings: the team's own ruff
and bandit runs show them in detail, with their own suppressions. They never change the exit code.

The reviewed repository chooses whether they run (its own `[tool.reviewer]` may enable them), so
it must not choose what runs: each engine is started by its installed executable, found beside
this interpreter or on an absolute `PATH` entry outside the reviewed tree, never as
`python -m NAME` (which imports a `ruff.py` committed at the repository's root first).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

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

    @property
    def note(self) -> str:
        if self.status != "ran":
            return self.status
        if not self.problems:
            return "no problems"
        return f"{self.problems} problem{'s' * (self.problems != 1)} in {self.files} file{'s' * (self.files != 1)}"


class Running:
    """Companion processes started for one review; `results()` waits for them."""

    def __init__(self, enabled: Sequence[str], root: Path, files: Sequence[str]) -> None:
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
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
                self._results[name] = EngineResult(f"{name} did not finish within {TIMEOUT_SECONDS}s")
                continue
            self._results[name] = _parse(name, out, err)
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
