"""Every fixture under fixtures/<checklist-item>/ is a test: the exact set of findings its inline
`# expect:` markers declare, for the rules of that item. The sample app is checked with all rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer.checklist import ITEM_IDS
from reviewer.registry import load_rules
from reviewer.testing import check_fixture

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
RULES = load_rules()


def _cases() -> list[tuple[str, Path]]:
    cases = []
    for item_dir in sorted(p for p in FIXTURES.iterdir() if p.is_dir() and p.name in ITEM_IDS):
        for case in sorted(item_dir.iterdir()):
            if case.suffix == ".py" or (case.is_dir() and not case.name.startswith((".", "__"))):
                cases.append((item_dir.name, case))
    return cases


@pytest.mark.parametrize(("item", "fixture"), _cases(), ids=lambda v: v.name if isinstance(v, Path) else v)
def test_fixture_findings_are_exactly_the_expected_ones(item: str, fixture: Path) -> None:
    outcome = check_fixture(fixture, RULES, select=[item])
    assert outcome.expected or outcome.known_misses or "negative" in fixture.name or "ok" in fixture.stem.split("_"), (
        "a fixture without any expectation must say so in its name (negatives_*.py / *_ok.py)"
    )
    assert not outcome.problems(), "\n".join(outcome.problems())


def test_every_rule_has_fixtures() -> None:
    covered = set()
    for _, fixture in _cases():
        files = [fixture] if fixture.is_file() else fixture.rglob("*.py")
        for file in files:
            covered |= {code for _, _, code in check_fixture.__globals__["expectations"](file.read_text(), "")[0]}
    missing = sorted(rule.code for rule in RULES if rule.code not in covered)
    assert not missing, f"rules without a positive fixture: {missing}"


def test_sample_app_findings_are_exactly_the_planted_ones() -> None:
    outcome = check_fixture(FIXTURES / "sample_app", RULES)
    assert outcome.expected, "the sample app plants problems"
    assert not outcome.problems(), "\n".join(outcome.problems())
