"""Companion engines: ruff decides `lint-clean`, bandit decides `security-scan`.

They are opt-in (`--companion ruff`, or `companions = ["ruff", "bandit"]` in the configuration)
and run as separate processes, concurrently with the review. Their problems are counted into the
item's verdict (`warn` with a count, or `pass`), not copied into the findings: the team's own ruff
and bandit runs show them in detail, with their own suppressions. They never change the exit code.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class Companion:
    name: str
    item: str
    module: str  # importable package that provides `python -m <module>`

    def command(self, files: Sequence[str]) -> list[str] | None:
        if importlib.util.find_spec(self.module) is not None:
            base = [sys.executable, "-m", self.module]
        elif executable := shutil.which(self.name):
            base = [executable]
        else:
            return None
        if self.name == "ruff":
            return [*base, "check", "--output-format", "json", "--exit-zero", "--no-fix", "--force-exclude", *files]
        return [*base, "-f", "json", "-q", "--exit-zero", *files]


COMPANIONS = {
    c.name: c for c in (Companion("ruff", "lint-clean", "ruff"), Companion("bandit", "security-scan", "bandit"))
}


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
            command = companion.command(files)
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
