"""How the real-app harness (bench/realworld/run.py) matches findings with recorded verdicts."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

HARNESS = Path(__file__).resolve().parent.parent / "bench" / "realworld" / "run.py"


def _harness():
    spec = importlib.util.spec_from_file_location("realworld_run", HARNESS)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


run = _harness()
LEAK = "the text of a caught exception (`str(e)`) reaches the client in `HTTPException(detail=...)`"


def _finding(line: int, fingerprint: str, message: str = LEAK) -> dict:
    return {"code": "RVW801", "path": "app/api.py", "line": line, "message": message, "fingerprint": fingerprint}


def _verdict(line: int, fingerprint: str, verdict: str, message: str = LEAK) -> dict:
    return {**_finding(line, fingerprint, message), "verdict": verdict, "reason": f"line {line}"}


def test_a_verdict_stays_with_its_line_when_an_earlier_finding_with_the_message_goes():
    # Fingerprints count the findings with one message in a file: once line 10's goes, line 20's
    # finding carries the fingerprint line 10's had, and line 30's the one line 20's had.
    recorded = [_verdict(10, "a", "fp"), _verdict(20, "b", "tp"), _verdict(30, "c", "fp")]
    outcome = run.Outcome("app", [_finding(20, "a"), _finding(30, "b")], recorded)
    assert [outcome.verdict_of(finding) for finding in outcome.findings] == ["tp", "fp"]
    assert outcome.lost == []


def test_a_reworded_finding_keeps_the_verdict_of_its_line_and_a_missing_one_is_lost():
    recorded = [_verdict(10, "a", "tp"), _verdict(20, "b", "tp")]
    outcome = run.Outcome("app", [_finding(10, "x", message=f"{LEAK} (reworded)")], recorded)
    assert outcome.verdict_of(outcome.findings[0]) == "tp"
    assert [entry["line"] for entry in outcome.lost] == [20]


def test_two_findings_on_one_line_are_told_apart_by_their_messages():
    other = "the traceback from `traceback.format_exc()` reaches the client"
    recorded = [_verdict(10, "a", "tp"), _verdict(10, "b", "fp", message=other)]
    outcome = run.Outcome("app", [_finding(10, "b", message=other), _finding(10, "a")], recorded)
    assert [outcome.verdict_of(finding) for finding in outcome.findings] == ["fp", "tp"]
    assert outcome.verdict_of(_finding(10, "c", message="another message")) == "unjudged"
