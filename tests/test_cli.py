"""The command line: commands, formats, exit codes, determinism, colour."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click
import pytest

from reviewer import __version__
from reviewer.checklist import ITEMS

DEBUG_APP = "from fastapi import FastAPI\napp = FastAPI(debug=True)\n"
ECHO = "from sqlalchemy import create_engine\nengine = create_engine('sqlite://', echo=True)\n"
SAMPLE_APP = Path(__file__).resolve().parent.parent / "fixtures" / "sample_app"


def test_exit_codes(write, cli) -> None:
    write({"clean/app.py": "x = 1\n", "warn/db.py": ECHO, "fail/main.py": DEBUG_APP})
    assert cli("check", "clean", "--no-cache")[0] == 0
    assert cli("check", "warn", "--no-cache")[0] == 0
    assert cli("check", "warn", "--no-cache", "--fail-on", "warning")[0] == 1
    assert cli("check", "fail", "--no-cache")[0] == 1
    assert cli("check", "fail", "--no-cache", "--format", "yaml")[0] == 2
    assert cli("check", "fail", "--jobs", "0")[0] == 2


def test_text_report_lines_checklist_and_summary(write, cli) -> None:
    write({"app/main.py": DEBUG_APP + ECHO, "app/broken.py": "def (:\n"})
    code, out, _ = cli("check", ".", "--no-cache")
    lines = out.splitlines()
    assert lines[0] == (
        "app/main.py:2:15: error RVW501 [production-config] "
        "FastAPI app created with debug=True: unhandled errors are served to clients as tracebacks"
    )
    assert lines[1].startswith("app/main.py:4:") and " warning RVW502 [production-config] " in lines[1]
    assert "Checklist" in lines
    for item in ITEMS:
        assert any(item.id in line for line in lines), item.id
    assert any(line.strip().startswith("FAIL") and "production-config" in line for line in lines)
    assert any("app/broken.py:1: syntax-error" in line for line in lines)
    assert lines[-1].startswith("FAIL: 1 checklist item failing; 2 files (")
    assert "1 error, 1 warning, 0 infos; 1 file error;" in lines[-1]
    assert "\x1b[" not in out, "no colour when not on a terminal"


def test_json_report_contract(write, check_json) -> None:
    write({"app/main.py": DEBUG_APP, "app/broken.py": "def (:\n"})
    _, report = check_json(".")
    assert {"version", "files_scanned", "checklist", "findings", "errors"} <= set(report)
    assert [item["id"] for item in report["checklist"]] == [item.id for item in ITEMS]
    assert {item["verdict"] for item in report["checklist"]} <= {
        "pass",
        "fail",
        "warn",
        "not-applicable",
        "manual",
        "skipped",
    }
    finding = report["findings"][0]
    assert set(finding) == {
        "code",
        "name",
        "checklist",
        "severity",
        "path",
        "line",
        "column",
        "end_line",
        "end_column",
        "message",
        "fingerprint",
        "fix",
        "related",
    }
    assert (finding["path"], finding["line"], finding["column"], finding["end_line"], finding["end_column"]) == (
        "app/main.py",
        2,
        15,
        2,
        25,
    )
    assert len(finding["fingerprint"]) == 32
    assert report["errors"][0]["kind"] == "syntax-error"


def test_fingerprints_survive_line_shifts(write, check_json, tmp_path: Path) -> None:
    write({"app/main.py": DEBUG_APP})
    _, before = check_json(".")
    (tmp_path / "app" / "main.py").write_text("# a new header comment\n\n" + DEBUG_APP)
    _, after = check_json(".")
    assert before["findings"][0]["line"] + 2 == after["findings"][0]["line"]
    assert before["findings"][0]["fingerprint"] == after["findings"][0]["fingerprint"]


def test_fingerprints_do_not_depend_on_where_the_review_starts(write, check_json, tmp_path, monkeypatch) -> None:
    write({".git/HEAD": "ref: refs/heads/main\n", "backend/app/main.py": DEBUG_APP})
    _, from_top = check_json("backend")
    monkeypatch.chdir(tmp_path / "backend")
    _, from_inside = check_json(".")
    assert [f["path"] for f in from_top["findings"]] == ["backend/app/main.py"]
    assert [f["path"] for f in from_inside["findings"]] == ["app/main.py"]
    assert from_top["findings"][0]["fingerprint"] == from_inside["findings"][0]["fingerprint"]


def test_jobs_1_and_jobs_2_give_byte_identical_output(cli, tmp_path: Path) -> None:
    shutil.copytree(SAMPLE_APP, tmp_path / "sample_app")
    shutil.copytree(SAMPLE_APP.parent / "production-config", tmp_path / "production-config")
    one = cli("check", ".", "--format", "json", "--no-cache", "--jobs", "1")
    two = cli("check", ".", "--format", "json", "--no-cache", "--jobs", "2")
    assert one[1] == two[1]
    report = json.loads(one[1])
    assert report["files_scanned"] > 15 and len(report["findings"]) > 10


def test_checklist_verdicts(write, check_json) -> None:
    write({"app/main.py": DEBUG_APP})
    _, report = check_json(".")
    verdicts = {item["id"]: item["verdict"] for item in report["checklist"]}
    assert verdicts["production-config"] == "fail"
    assert "manual" not in verdicts.values(), "a rule or an engine decides every item"
    assert verdicts["tests-present"] == "not-applicable", "no test file among the reviewed ones"
    _, report = check_json(".", "--ignore", "production-config")
    assert {item["id"]: item["verdict"] for item in report["checklist"]}["production-config"] == "skipped"
    write({"app/main.py": "x = 1\n"})
    _, report = check_json(".")
    assert {item["id"]: item["verdict"] for item in report["checklist"]}["production-config"] == "pass"


def test_rules_and_explain_and_version(cli) -> None:
    code, out, _ = cli("rules", "--format", "json")
    rules = json.loads(out)
    assert code == 0
    debug = next(r for r in rules if r["code"] == "RVW501")
    assert debug == {
        "code": "RVW501",
        "name": "debug-mode-enabled",
        "checklist": "production-config",
        "severity": "error",
        "summary": "Debug mode is switched on in application code or defaults to on in settings.",
    }
    code, out, _ = cli("rules")
    assert code == 0 and any(line.startswith("RVW501  debug-mode-enabled") for line in out.splitlines())
    for key in ("RVW501", "rvw501", "debug-mode-enabled"):
        code, out, _ = cli("explain", key)
        assert code == 0
        assert "## Why is this bad?" in out and "## Use instead" in out and "FastAPI(debug=True)" in out
    assert cli("explain", "RVW000")[0] == 2
    code, out, _ = cli("--version")
    assert code == 0 and __version__ in out


def test_output_file_and_quiet(write, cli, tmp_path: Path) -> None:
    write({"app/main.py": DEBUG_APP})
    code, out, err = cli("check", ".", "--no-cache", "--format", "json", "-o", "review.json")
    assert code == 1 and out == ""
    assert json.loads((tmp_path / "review.json").read_text())["findings"][0]["code"] == "RVW501"
    code, out, _ = cli("check", ".", "--no-cache", "-q")
    assert len(out.splitlines()) == 2 and "Checklist" not in out


def test_colour_only_on_a_terminal_and_never_under_no_color(monkeypatch) -> None:
    import io

    from reviewer.cli import _use_color

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert _use_color(Terminal())
    assert not _use_color(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not _use_color(Terminal())


def test_progress_is_drawn_only_when_enabled_and_for_long_scans(capsys) -> None:
    from reviewer.cli import _Progress

    quiet = _Progress(enabled=False)
    quiet(10, 100)
    small = _Progress(enabled=True)
    small(3, 10)
    assert capsys.readouterr().err == ""
    bar = _Progress(enabled=True)
    bar(50, 100)
    bar.close()
    err = capsys.readouterr().err
    assert "50/100 files" in err and err.endswith("\r")


def test_one_run_writes_several_reports(write, cli, tmp_path: Path) -> None:
    write({"app/main.py": DEBUG_APP, "out/.keep": ""})
    code, out, _ = cli(
        "check",
        ".",
        "--no-cache",
        "--format",
        "json",
        "--report",
        "sarif:out/review.sarif",
        "--report",
        "markdown:review.md",
    )
    assert code == 1
    assert json.loads(out)["findings"][0]["code"] == "RVW501"
    assert json.loads((tmp_path / "out" / "review.sarif").read_text())["runs"][0]["results"][0]["ruleId"] == "RVW501"
    assert "RVW501" in (tmp_path / "review.md").read_text()
    code, _, err = cli("check", ".", "--report", "pdf:review.pdf")
    assert code == 2 and "--report" in err


def test_an_unwritable_report_is_a_usage_error_before_the_review(write, cli, tmp_path: Path, monkeypatch) -> None:
    from reviewer import engine

    write({"app/main.py": DEBUG_APP, "taken/.keep": ""})
    monkeypatch.setattr(engine, "run", lambda *args, **kwargs: pytest.fail("reviewed before checking the outputs"))
    code, _, err = cli("check", ".", "--report", "sarif:missing/review.sarif")
    assert code == 2 and "missing/review.sarif" in err and "does not exist" in err
    code, _, err = cli("check", ".", "-o", "taken")
    assert code == 2 and "is a directory" in err
    assert not (tmp_path / "missing").exists()
    code, _, err = cli("check", ".", "-o", "app/main.py/review.json")
    problem = f"cannot write the report: {tmp_path}/app/main.py is not a directory"
    assert (code, err) == (2, f"reviewer: app/main.py/review.json: {problem}\n")
    # Permission bits cannot say it (root passes them): a file is tried. /proc takes no new files.
    code, _, err = cli("check", ".", "--report", "json:/proc/review.json")
    assert code == 2 and err.startswith("reviewer: /proc/review.json: cannot write the report in /proc: ")


def test_a_report_to_a_device_or_a_pipe_is_written_into_it(write, cli, tmp_path: Path) -> None:
    # Renamed over as files are, `/dev/null` would become a file holding the report (as root), or
    # be refused (a temporary file cannot be made in /dev otherwise).
    import os
    import stat
    import threading

    from reviewer import output

    assert output.check_target(Path(os.devnull), tmp_path) == output.ReportTarget(Path(os.devnull), stream=True)
    write({"app/main.py": DEBUG_APP})
    pipe = tmp_path / "review.pipe"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()), daemon=True)
    reader.start()
    code, _, err = cli("check", ".", "--no-cache", "--format", "json", "-o", "review.pipe")
    reader.join(timeout=60)
    assert (code, err) == (1, f"reviewer: wrote json report to {pipe}\n")
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)
    assert json.loads(received[0])["findings"][0]["code"] == "RVW501"


def test_explain_lists_options_as_they_are_written_in_toml(cli) -> None:
    code, out, _ = cli("explain", "RVW102")
    assert code == 0
    assert 'test-severity = "info"' in out and "extra-secret-names = []" in out
    assert "Severity." not in out


def test_readme_lists_every_built_in_rule_with_its_item_and_severity() -> None:
    from reviewer.registry import load_rules

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    for rule in load_rules():
        row = f"| `{rule.code}` | `{rule.name}` | `{rule.checklist}` | {rule.severity.label} |"
        assert row in readme, f"README's rule table is missing or out of date for {rule.code}"


def test_standard_input_is_reviewed_as_the_file_it_is_named(write, tmp_path: Path, monkeypatch) -> None:
    """`-` with --stdin-filename, as editors call linters: the name places it in reports and
    under the configuration, whose patterns apply to it as to the file."""
    from click.testing import CliRunner

    from reviewer.cli import main

    write({"pyproject.toml": "[tool.reviewer.per-file-ignores]\n'scripts/**' = ['RVW501']\n", "app/main.py": "x = 1\n"})
    monkeypatch.chdir(tmp_path)

    def review(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(main, ["check", *args], input=DEBUG_APP.encode(), catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    code, out, _ = review("-", "--stdin-filename", "app/edited.py", "--format", "json", "--no-cache")
    report = json.loads(out)
    assert code == 1
    assert [(f["path"], f["code"]) for f in report["findings"]] == [("app/edited.py", "RVW501")]
    assert report["files_scanned"] == 1 and not (tmp_path / "app" / "edited.py").exists()
    assert review("-", "--stdin-filename", "scripts/dev.py", "-q")[0] == 0
    code, out, _ = review("-", "-q")
    assert code == 1 and out.startswith("stdin.py:2:")
    alone = "reviewer: `-` (standard input) cannot be reviewed together with other paths\n"
    assert review("-", "app") == (2, "", alone)
    assert review("-", "--stdin-filename", "notes.txt")[0] == 2
    assert review("app", "--stdin-filename", "app/x.py")[0] == 2


def test_options_ruff_and_bandit_users_reach_for(write, cli) -> None:
    write({"app/main.py": DEBUG_APP + ECHO, "app/other.py": DEBUG_APP})
    code, out, _ = cli("check", ".", "--no-cache", "--statistics", "-q")
    assert code == 1
    assert out.splitlines()[:5] == [
        "2  RVW501  debug-mode-enabled  error  [production-config]",
        "1  RVW502  sql-echo-enabled  warning  [production-config]",
        "",
        "3  production-config",
        out.splitlines()[4],
    ]
    assert out.splitlines()[4].startswith("FAIL: 1 checklist item failing; 2 files")
    assert cli("check", ".", "--no-cache", "--exit-zero", "-q")[0] == 0
    assert cli("check", "missing", "--exit-zero")[0] == 2
    code, out, _ = cli("check", ".", "--no-cache", "--output-format", "json")
    assert code == 1 and json.loads(out)["findings"][0]["code"] == "RVW501"
    code, out, _ = cli("check", ".", "--no-cache", "-q", "--color", "always")
    assert code == 1 and "\x1b[" in out and "app/main.py:2:15:" in click.unstyle(out)
    assert "\x1b[" not in cli("check", ".", "--no-cache", "-q", "--color", "never")[1]


def test_show_source_marks_the_flagged_code_and_masks_secrets(write, cli, tmp_path: Path) -> None:
    write({"app/main.py": DEBUG_APP, "app/keys.py": 'if True:\n\tSTRIPE_KEY = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"\n'})
    code, out, _ = cli("check", ".", "--no-cache", "-q", "--show-source")
    assert code == 1
    lines = out.splitlines()
    tab = " " * 8
    masked = f' 2 | {tab}STRIPE_KEY = "sk_l****************************"'
    assert lines[1:4] == [masked, f"   | {tab}{' ' * 13}{'^' * 34}", ""]
    assert lines[5:7] == [" 2 | app = FastAPI(debug=True)", "   |               ^^^^^^^^^^"]
    assert "4eC39" not in out
    (tmp_path / "app" / "main.py").write_text("# changed since\n" + DEBUG_APP)
    code, out, _ = cli("check", ".", "-q", "--show-source", "--no-cache", "--select", "RVW501")
    assert out.splitlines()[1] == " 3 | app = FastAPI(debug=True)"
