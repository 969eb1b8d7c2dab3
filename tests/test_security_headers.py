"""security-headers: which served applications set the standard security headers."""

from __future__ import annotations

import shutil
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "security-headers"


def findings(report: dict) -> set[tuple[str, int]]:
    return {(f["path"], f["line"]) for f in report["findings"] if f["code"] == "RVW951"}


def verdict(report: dict) -> tuple[str, str]:
    found = next(entry for entry in report["checklist"] if entry["id"] == "security-headers")
    return found["verdict"], found["note"]


def test_an_application_a_factory_returns_is_judged_with_middleware_a_helper_adds(
    tmp_path, check_json, monkeypatch
) -> None:
    shutil.copytree(FIXTURES / "factory_app", tmp_path / "app")
    monkeypatch.chdir(tmp_path / "app")
    _, report = check_json(".", "--select", "RVW951")
    assert findings(report) == {("shop/main.py", 13)}
    message = report["findings"][0]["message"]
    assert "sets none of the security headers" in message and "renders HTML" in message


def test_headers_in_a_constant_of_another_module_count(tmp_path, check_json, monkeypatch) -> None:
    shutil.copytree(FIXTURES / "helper_middleware_ok", tmp_path / "app")
    monkeypatch.chdir(tmp_path / "app")
    _, report = check_json(".", "--select", "RVW951")
    assert findings(report) == set()
    assert verdict(report)[0] == "pass"


def test_partial_headers_name_the_missing_ones(tmp_path, check_json, monkeypatch) -> None:
    shutil.copytree(FIXTURES / "partial_html", tmp_path / "app")
    monkeypatch.chdir(tmp_path / "app")
    _, report = check_json(".", "--select", "RVW951")
    assert findings(report) == {("site/main.py", 6)}
    assert "but not Content-Security-Policy, X-Frame-Options" in report["findings"][0]["message"]


def test_a_mounted_application_is_covered_by_its_parent(tmp_path, check_json, monkeypatch) -> None:
    shutil.copytree(FIXTURES / "mounted_ok", tmp_path / "app")
    monkeypatch.chdir(tmp_path / "app")
    _, report = check_json(".", "--select", "RVW951")
    assert findings(report) == set()


def test_set_by_proxy_records_that_a_proxy_sets_the_headers(tmp_path, check_json, monkeypatch) -> None:
    shutil.copytree(FIXTURES / "factory_app", tmp_path / "app")
    (tmp_path / "app" / "pyproject.toml").write_text('[tool.reviewer.rules.RVW951]\nset-by-proxy = true\n')
    monkeypatch.chdir(tmp_path / "app")
    _, report = check_json(".", "--select", "RVW951")
    assert findings(report) == set()
    assert verdict(report) == ("pass", "security headers are set by a reverse proxy (`set-by-proxy = true`)")
