"""GitHub workflow-command annotations and the job summary: one command per finding, and no file
name or message can end a command early or start another one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reviewer import engine
from reviewer.config import Config
from reviewer.model import ErrorKind, FileError, Finding, Severity, Span
from reviewer.registry import load_rules
from reviewer.reporters import RenderOptions, github

RULES = load_rules()
APP = """\
from fastapi import FastAPI
from sqlalchemy import create_engine

engine = create_engine(
    "sqlite://",
    echo=True,
)
app = FastAPI(debug=True)
"""
# What the runner does with a command line: `::name props::message`, props split on `,`, each on
# the first `=`; then values are unescaped. A faithful parser is the test of the escaping.
_COMMAND = re.compile(r"^::(?P<name>[a-z-]+)(?: (?P<props>[^:]*))?::(?P<message>.*)$")


def unescape(value: str, *, is_property: bool) -> str:
    if is_property:
        value = value.replace("%3A", ":").replace("%2C", ",")
    return value.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def parse(line: str) -> tuple[str, dict[str, str], str]:
    match = _COMMAND.match(line)
    assert match, f"not a workflow command: {line!r}"
    props = {}
    for pair in (match["props"] or "").split(","):
        if pair:
            key, value = pair.split("=", 1)
            props[key] = unescape(value, is_property=True)
    return match["name"], props, unescape(match["message"], is_property=False)


def scan(root: Path) -> engine.Run:
    return engine.run([root], Config(select=["production-config"]), RULES, jobs=1, use_cache=False, cwd=root)


@pytest.fixture(autouse=True)
def _no_step_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)


def test_one_command_per_finding_with_position_and_title(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text(APP, encoding="utf-8")
    run = scan(tmp_path)
    lines = github.render(run, RenderOptions()).splitlines()
    commands = [parse(line) for line in lines if line.startswith("::")]
    assert len(commands) == len(run.findings) == 2
    by_title = {props["title"]: (name, props, message) for name, props, message in commands}
    name, props, message = by_title["RVW501 debug-mode-enabled [production-config]"]
    debug = next(f for f in run.findings if f.code == "RVW501")
    assert name == "error" and message == debug.message
    assert props == {
        "file": "app/main.py", "line": "8", "col": str(debug.span.column),
        "endColumn": str(debug.span.end_column - 1), "title": "RVW501 debug-mode-enabled [production-config]",
    }
    name, props, _ = by_title["RVW502 sql-echo-enabled [production-config]"]
    assert name == "warning"
    echo = next(f for f in run.findings if f.code == "RVW502")
    if echo.span.end_line != echo.span.line:
        assert "col" not in props and props["endLine"] == str(echo.span.end_line)
    assert lines[-1].startswith("backend-reviewer: 2 findings, 0 file errors in 1 file")


def test_info_findings_are_notices_and_file_errors_are_annotated() -> None:
    finding = Finding("RVW999", "some-rule", "pagination", Severity.INFO, "a.py", Span(3, 1, 5, 2), "note this")
    run = _fake_run([finding], [FileError("b.py", ErrorKind.SYNTAX, "invalid syntax", line=4),
                                FileError(".", ErrorKind.INTERNAL, "rule crashed")])
    commands = [parse(line) for line in github.render(run, RenderOptions()).splitlines() if line.startswith("::")]
    assert commands[0][0] == "notice"
    assert commands[0][1] == {"file": "a.py", "line": "3", "endLine": "5", "title": "RVW999 some-rule [pagination]"}
    syntax = {"file": "b.py", "line": "4", "title": "not reviewed: syntax-error"}
    assert commands[1] == ("warning", syntax, "invalid syntax")
    assert commands[2] == ("error", {"title": "not reviewed: internal-error"}, "rule crashed")


@pytest.mark.parametrize(
    "path",
    [
        "app/a,b:c.py",
        "app/evil.py,line=1::injected\n::error file=x.py::second",
        "app/100%0A.py",
        "app/cr\rlf\n.py",
        "app/</script><script>alert(1)</script>.py",
    ],
)
def test_hostile_paths_and_messages_cannot_end_or_inject_a_command(path: str) -> None:
    message = "boom\r\n::error file=pwned.py::injected %0A 100% done, a: b"
    finding = Finding("RVW501", "debug-mode-enabled", "production-config", Severity.ERROR, path, Span(1, 1, 1, 5),
                      message)
    output = github.render(_fake_run([finding], []), RenderOptions())
    lines = output.splitlines()
    assert len(lines) == 2 and lines[1].startswith("backend-reviewer:")
    name, props, parsed_message = parse(lines[0])
    assert name == "error"
    assert props["file"] == path
    assert parsed_message == message
    assert set(props) == {"file", "line", "col", "endColumn", "title"}


def test_escaping_follows_githubs_rules() -> None:
    assert github.escape_data("50%\r\nnext: a, b") == "50%25%0D%0Anext: a, b"
    assert github.escape_property("50%\r\nnext: a, b") == "50%25%0D%0Anext%3A a%2C b"


def test_step_summary_gets_the_checklist_and_counts_appended(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text(APP, encoding="utf-8")
    summary = tmp_path / "summary.md"
    summary.write_text("## Earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    run = scan(tmp_path)
    github.render(run, RenderOptions())
    text = summary.read_text(encoding="utf-8")
    assert text.startswith("## Earlier step\n## Backend review: ❌ 1 checklist item failing")
    assert "**1 file** (8 lines) · 1 error · 1 warning · 0 infos · 0 file errors" in text
    title = "No debug mode, no reload=True, no wildcard hosts in production entry points"
    assert f"| ❌ | `production-config` {title} | fail | 2 |" in text
    assert text.count("| ") > 21 and "`app/main.py:8:" in text


def test_step_summary_stays_under_githubs_per_step_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    findings = [
        Finding("RVW501", "debug-mode-enabled", "production-config", Severity.ERROR, f"app/m{n}.py", Span(1, 1, 1, 9),
                "x" * 200)
        for n in range(400)
    ]
    summary = tmp_path / "summary.md"
    summary.write_text("y" * 2000, encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setattr(github, "STEP_SUMMARY_LIMIT", 30_000)
    github.render(_fake_run(findings, []), RenderOptions())
    size = summary.stat().st_size
    assert 20_000 < size <= 30_000
    assert "not shown here, to stay within GitHub's size limit: the HTML and SARIF reports list them all" in (
        summary.read_text(encoding="utf-8")
    )


def _fake_run(findings: list[Finding], errors: list[FileError]) -> engine.Run:
    from reviewer import checklist

    items = checklist.build(findings, all_rules={f.code: f.checklist for f in findings},
                            enabled_rules=[f.code for f in findings], applicable={f.checklist for f in findings},
                            fail_on=Severity.ERROR)
    return engine.Run(root=Path("."), files_scanned=3, lines=30, findings=findings, errors=errors, checklist=items,
                      rules=[], config=Config())


def test_the_annotations_github_shows_are_the_most_severe_and_certain_of_each_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a real app the ten shown were two SQL findings and eight async chains, and none of the
    secrets errors: now each rule gets its turn, security items and the most precise first."""
    def found(code: str, name: str, item: str, severity: Severity, count: int) -> list[Finding]:
        return [Finding(code, name, item, severity, f"app/{code}_{n}.py", Span(1, 1, 1, 9), "m") for n in range(count)]

    findings = sorted(
        found("RVW403", "blocking-call-chain", "async-io", Severity.ERROR, 20)
        + found("RVW201", "sql-built-from-strings", "parameterized-queries", Severity.ERROR, 2)
        + found("RVW101", "secret-literal", "secrets-not-hardcoded", Severity.ERROR, 13)
        + found("RVW210", "select-star", "no-select-star", Severity.WARNING, 12),
        key=lambda f: f.sort_key,
    )
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    log = github.render(_fake_run(findings, []), RenderOptions())
    errors = [re.search(r"title=(RVW\d+) ", line)[1] for line in log.splitlines() if line.startswith("::error ")]
    assert errors[:10] == ["RVW101", "RVW201", "RVW403", "RVW101", "RVW201", "RVW403", "RVW101", "RVW403",
                           "RVW101", "RVW403"]
    assert sorted(errors) == sorted(f.code for f in findings if f.severity is Severity.ERROR)
    assert (
        "*Not shown as annotations: 25 of 35 errors, 2 of 12 warnings (GitHub shows 10 of each kind per step, "
        "the most severe and most certain first); the tables here, the SARIF alerts and the HTML report list "
        "them all.*"
    ) in summary.read_text(encoding="utf-8")
