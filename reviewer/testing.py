"""Fixture expectations: the example files are the tests.

A fixture is a Python file (or a directory of them: a small app) with inline expectations, one
comment on the line directly above the line a finding is expected on:

    # expect: RVW501
    app = FastAPI(debug=True)

    # expect: RVW101, RVW102        (two rules on the next line)

A known miss or a known false positive is tracked rather than hidden:

    # known-miss: RVW401            (the rule should flag the next line and does not yet)
    # known-false-positive: RVW401  (the rule flags the next line and should not)

The harness asserts the *exact* set of (file, line, code): a new false positive fails as surely as
a miss. Third-party rule packages can use `expectations` and `check_fixture` the same way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from reviewer import engine
from reviewer.config import Config
from reviewer.rule import Rule

_MARKER = re.compile(r"^\s*#\s*(expect|known-miss|known-false-positive):\s*(.+?)\s*$")

Expectation = tuple[str, int, str]  # (path relative to the fixture's parent, line, code)


@dataclass
class FixtureOutcome:
    expected: set[Expectation] = field(default_factory=set)
    actual: set[Expectation] = field(default_factory=set)
    known_misses: set[Expectation] = field(default_factory=set)
    known_false_positives: set[Expectation] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)

    @property
    def unexpected(self) -> set[Expectation]:
        return self.actual - self.expected - self.known_false_positives

    @property
    def missed(self) -> set[Expectation]:
        return self.expected - self.actual

    def problems(self) -> list[str]:
        lines = [f"false positive: {p}:{n}: {c}" for p, n, c in sorted(self.unexpected)]
        lines += [f"missed: {p}:{n}: {c}" for p, n, c in sorted(self.missed)]
        lines += [
            f"known miss now caught (turn it into `# expect:`): {p}:{n}: {c}"
            for p, n, c in sorted(self.known_misses & self.actual)
        ]
        lines += [
            f"known false positive gone (remove the marker): {p}:{n}: {c}"
            for p, n, c in sorted(self.known_false_positives - self.actual)
        ]
        lines += [f"file error: {e}" for e in self.errors]
        return lines


def expectations(text: str, path: str) -> tuple[set[Expectation], set[Expectation], set[Expectation]]:
    """(expected, known misses, known false positives) declared in one file's text."""
    sets: dict[str, set[Expectation]] = {"expect": set(), "known-miss": set(), "known-false-positive": set()}
    for number, line in enumerate(text.splitlines(), start=1):
        match = _MARKER.match(line)
        if match:
            target = number + 1
            for code in re.split(r"[\s,]+", match.group(2)):
                if code:
                    sets[match.group(1)].add((path, target, code))
    return sets["expect"], sets["known-miss"], sets["known-false-positive"]


def check_fixture(fixture: Path, rules: Sequence[type[Rule]], *, select: Sequence[str] = ("ALL",)) -> FixtureOutcome:
    """Run the engine on one fixture (file or directory) and compare with its expectations.

    Paths are taken relative to the fixture's parent directory, so a fixture app's module names
    start at the fixture's own name."""
    base = fixture.parent.resolve()
    outcome = FixtureOutcome()
    files = [fixture] if fixture.is_file() else sorted(fixture.rglob("*.py"))
    for file in files:
        relpath = file.resolve().relative_to(base).as_posix()
        expected, misses, false_positives = expectations(file.read_text(encoding="utf-8"), relpath)
        outcome.expected |= expected
        outcome.known_misses |= misses
        outcome.known_false_positives |= false_positives
    config = Config(select=list(select))
    run = engine.run([fixture.resolve()], config, rules, jobs=1, use_cache=False, cwd=base)
    outcome.actual = {(f.path, f.span.line, f.code) for f in run.findings}
    outcome.errors = [f"{e.path}: {e.kind.value}: {e.message}" for e in run.errors]
    return outcome
