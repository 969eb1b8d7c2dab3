"""Companion engines decide lint-clean (ruff) and security-scan (bandit) when enabled."""

from __future__ import annotations

import pytest

from reviewer import companions

LINT_AND_SECURITY_PROBLEMS = "import os\nimport subprocess\n\n\ndef run(cmd):\n    subprocess.call(cmd, shell=True)\n"


def verdicts(report: dict) -> dict[str, tuple[str, str]]:
    return {item["id"]: (item["verdict"], item["note"]) for item in report["checklist"]}


def test_enabled_companions_decide_their_items(write, check_json) -> None:
    write({"app/jobs.py": LINT_AND_SECURITY_PROBLEMS, "app/clean.py": "VALUE = 1\n"})
    code, report = check_json(".", "--companion", "ruff", "--companion", "bandit")
    found = verdicts(report)
    assert found["lint-clean"] == ("warn", "ruff: 1 problem in 1 file"), "F401: os imported but unused"
    assert found["security-scan"][0] == "warn" and found["security-scan"][1].startswith("bandit: ")
    assert code == 0, "companions never change the exit code"
    assert report["findings"] == []


def test_clean_code_passes_and_disabled_companions_are_skipped(write, check_json) -> None:
    write({"app/clean.py": "VALUE = 1\n"})
    _, report = check_json(".", "--companion", "ruff")
    found = verdicts(report)
    assert found["lint-clean"] == ("pass", "ruff: no problems")
    assert found["security-scan"] == ("skipped", "not enabled (add --companion bandit)")


def test_a_missing_engine_is_skipped_with_the_reason(write, check_json, monkeypatch: pytest.MonkeyPatch) -> None:
    write({"app/clean.py": "VALUE = 1\n"})
    monkeypatch.setattr(companions.Companion, "command", lambda self, files: None)
    _, report = check_json(".", "--companion", "bandit")
    assert verdicts(report)["security-scan"] == ("skipped", "bandit is not installed")


def test_companions_from_configuration_are_checked(write, cli) -> None:
    write({"pyproject.toml": "[tool.reviewer]\ncompanions = ['pylint']\n", "app/clean.py": "VALUE = 1\n"})
    code, _, err = cli("check", ".")
    assert code == 2 and "tool.reviewer.companions" in err and "'pylint'" in err


def test_a_review_that_fails_midway_leaves_no_companion_running(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    from pathlib import Path

    from reviewer import engine
    from reviewer.config import Config

    (tmp_path / "app.py").write_text("VALUE = 1\n")

    def slow(self, files):
        return [sys.executable, "-c", "import time; time.sleep(60)"]

    def failing_pool(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(companions.Companion, "command", slow)
    monkeypatch.setattr(engine, "_run_pool", failing_pool)
    processes = []
    real_init = companions.Running.__init__

    def keep(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        processes.extend(self._processes.values())

    monkeypatch.setattr(companions.Running, "__init__", keep)
    with pytest.raises(KeyboardInterrupt):
        engine.run([Path(tmp_path)], Config(companions=["ruff"]), [], use_cache=False, cwd=tmp_path)
    assert processes and all(process.poll() is not None for process in processes)
