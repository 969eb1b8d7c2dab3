"""rate-limiting: authentication endpoints told by evidence, and what limits them."""

from __future__ import annotations

import shutil
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "rate-limiting"


def findings(report: dict) -> set[tuple[str, int, str]]:
    return {(f["path"], f["line"], f["code"]) for f in report["findings"]}


def test_login_session_and_reset_endpoints_are_found_by_evidence(tmp_path, check_json, monkeypatch) -> None:
    shutil.copytree(FIXTURES / "auth_app", tmp_path / "app")
    monkeypatch.chdir(tmp_path / "app")
    _, report = check_json(".", "--select", "RVW941")
    assert findings(report) == {
        ("api/routes.py", 14, "RVW941"),
        ("api/routes.py", 20, "RVW941"),
        ("api/routes.py", 26, "RVW941"),
    }


def test_slowapi_decorators_throttling_dependencies_and_unserved_routers(tmp_path, check_json, monkeypatch) -> None:
    shutil.copytree(FIXTURES / "limited_app_ok", tmp_path / "app")
    monkeypatch.chdir(tmp_path / "app")
    _, report = check_json(".", "--select", "RVW941")
    assert findings(report) == set()
    verdict = next(entry for entry in report["checklist"] if entry["id"] == "rate-limiting")["verdict"]
    assert verdict == "pass"

