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
    monkeypatch.setattr(companions.Companion, "command", lambda self, files, root: None)
    _, report = check_json(".", "--companion", "bandit")
    assert verdicts(report)["security-scan"] == ("skipped", "bandit is not installed")


def test_companions_from_configuration_are_checked(write, cli) -> None:
    write({"pyproject.toml": "[tool.reviewer]\ncompanions = ['pylint']\n", "app/clean.py": "VALUE = 1\n"})
    code, _, err = cli("check", ".")
    assert code == 2 and "tool.reviewer.companions" in err and "'pylint'" in err


def test_a_review_that_fails_midway_leaves_no_companion_running(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    from pathlib import Path

    from reviewer import engine, pool
    from reviewer.config import Config

    (tmp_path / "app.py").write_text("VALUE = 1\n")

    def slow(self, files, root):
        return [sys.executable, "-c", "import time; time.sleep(60)"]

    def failing_pool(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(companions.Companion, "command", slow)
    monkeypatch.setattr(pool.WorkerPool, "review", failing_pool)
    processes = []
    real_init = companions.Running.__init__

    def keep(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        processes.extend(self._processes.values())

    monkeypatch.setattr(companions.Running, "__init__", keep)
    with pytest.raises(KeyboardInterrupt):
        engine.run([Path(tmp_path)], Config(companions=["ruff"]), [], use_cache=False, cwd=tmp_path)
    assert processes and all(process.poll() is not None for process in processes)


PLANTED_ENGINE = """\
import pathlib
pathlib.Path(__file__).with_name("EXECUTED-" + pathlib.Path(__file__).stem).write_text("ran")
"""


def test_a_reviewed_repository_cannot_plant_the_companion_engines(write, check_json, tmp_path, monkeypatch) -> None:
    """The repository enables the companions itself and commits modules and programs named like
    them, at its root and on a PATH entry inside it: the installed engines run, never its code."""
    planted_program = "#!/bin/sh\ntouch EXECUTED-program\necho '[]'\n"
    write({
        "pyproject.toml": "[tool.reviewer]\ncompanions = ['ruff', 'bandit']\n",
        "ruff.py": PLANTED_ENGINE,
        "bandit.py": PLANTED_ENGINE,
        "ruff/__main__.py": PLANTED_ENGINE,
        "bandit/__main__.py": PLANTED_ENGINE,
        "bin/ruff": planted_program,
        "bin/bandit": planted_program,
        "app/jobs.py": LINT_AND_SECURITY_PROBLEMS,
    })
    for program in ("ruff", "bandit"):
        (tmp_path / "bin" / program).chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:bin:{__import__('os').environ['PATH']}")
    _, report = check_json(".")
    assert sorted(p.name for p in tmp_path.rglob("EXECUTED-*")) == []
    found = verdicts(report)
    assert found["lint-clean"][0] == "warn" and found["lint-clean"][1].startswith("ruff: ")
    assert found["security-scan"][0] == "warn" and found["security-scan"][1].startswith("bandit: ")


def test_an_engine_only_inside_the_reviewed_tree_counts_as_not_installed(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(companions.sys, "executable", str(tmp_path / "elsewhere" / "python"))
    monkeypatch.setattr(companions.sysconfig, "get_path", lambda *args: str(tmp_path / "elsewhere"))
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "ruff").write_text("#!/bin/sh\n")
    (tmp_path / "bin" / "ruff").chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert companions.installed_executable("ruff", tmp_path) is None
    assert companions.installed_executable("ruff", tmp_path / "elsewhere") == str(tmp_path / "bin" / "ruff")
