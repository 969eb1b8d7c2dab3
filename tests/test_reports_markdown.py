"""The Markdown report: checklist table and findings by item, with scanned text neutralised."""

from __future__ import annotations

import re
from pathlib import Path

from reviewer import checklist, engine
from reviewer.config import Config
from reviewer.model import ErrorKind, FileError, Finding, Severity, Span
from reviewer.registry import load_rules
from reviewer.reporters import RenderOptions, markdown

RULES = load_rules()
SAMPLE_APP = Path(__file__).resolve().parent.parent / "fixtures" / "sample_app"


def fake_run(findings: list[Finding], errors: list[FileError] = ()) -> engine.Run:
    items = checklist.build(findings, all_rules={f.code: f.checklist for f in findings},
                            enabled_rules=[f.code for f in findings], applicable=set(), fail_on=Severity.ERROR)
    return engine.Run(root=Path("."), files_scanned=2, lines=40, findings=findings, errors=list(errors),
                      checklist=items, rules=[], config=Config())


def table_rows(report: str, header: str) -> list[list[str]]:
    """Cells of the table under `header`, split on unescaped pipes as GFM does."""
    lines = report.splitlines()
    start = lines.index(header)
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        cells, current, escaped = [], "", False
        for char in line[1:]:
            if char == "|" and not escaped:
                cells.append(current.strip())
                current = ""
            else:
                current += char
            escaped = char == "\\" and not escaped
        rows.append(cells)
    return rows


def test_sample_app_report_has_the_whole_checklist_and_findings_by_item() -> None:
    run = engine.run([SAMPLE_APP], Config(), RULES, jobs=1, use_cache=False, cwd=SAMPLE_APP)
    report = markdown.render(run, RenderOptions())
    failing = sum(item.verdict.value == "fail" for item in run.checklist)
    assert report.startswith(f"## Backend review: ❌ {failing} checklist items failing\n")
    rows = table_rows(report, "| | Checklist item | Verdict | Findings |")
    assert len(rows) == len(run.checklist) == 25
    assert [row[2] for row in rows] == [item.verdict.value for item in run.checklist]
    production = next(row for row in rows if "`production-config`" in row[1])
    production_item = next(item for item in run.checklist if item.item.id == "production-config")
    assert production[0] == "❌" and production[3] == str(len(production_item.findings))
    sections = [line for line in report.splitlines() if line.startswith("### ")]
    assert sections == [
        f"### {markdown.VERDICT_ICONS[item.verdict]} `{item.item.id}`: {markdown.text(item.item.title)}"
        for item in run.checklist
        if item.findings
    ]
    for finding in run.findings:
        assert f"`{finding.path}:{finding.span.line}:{finding.span.column}`" in report


def test_hostile_paths_and_messages_cannot_break_the_table_or_inject_markup() -> None:
    hostile = (
        "a | b\n| injected | row |\n<script>alert(1)</script> [x](https://evil.example) "
        "![i](https://evil.example/p.png) @org/team #12 `tick` **bold**"
    )
    finding = Finding("RVW501", "debug-mode-enabled", "production-config", Severity.ERROR,
                      "app/`x|y`</script>.py", Span(3, 1, 3, 9), hostile)
    report = markdown.render(fake_run([finding], [FileError("b|c.py", ErrorKind.SYNTAX, hostile)]), RenderOptions())
    rows = table_rows(report, "| Severity | Location | Rule | Message |")
    assert len(rows) == 1 and len(rows[0]) == 4
    message = rows[0][3]
    assert "\n" not in message and "<script>" not in report and "](" not in report.replace("\\](", "")
    assert "@org" not in report and "#12" not in report  # a word joiner follows each sigil
    assert "\\*\\*bold\\*\\*" in message and " `tick` " in message
    location = rows[0][1]
    assert location.startswith("``") and location.endswith("``") and "\\|" in location
    error_rows = table_rows(report, "| Location | Problem | Detail |")
    assert len(error_rows) == 1 and len(error_rows[0]) == 3


def test_text_and_code_escaping() -> None:
    assert markdown.text("a|b <i> *x* [l](u) $m$ & ~s~") == "a\\|b \\<i\\> \\*x\\* \\[l\\](u) \\$m\\$ \\& \\~s\\~"
    assert markdown.text("ping @alice, see #3 at http://x.io or www.y.io") == (
        "ping @\u2060alice, see #\u20603 at http\u2060://x.io or www\u2060.y.io"
    )
    assert markdown.message("`requests.get` blocks <b>|</b> in `f`") == (
        "`requests.get` blocks \\<b\\>\\|\\</b\\> in `f`"
    )
    assert markdown.code("app/a.py:1") == "`app/a.py:1`"
    assert markdown.code("a``b") == "```a``b```"
    assert markdown.code("`x`") == "`` `x` ``"
    assert markdown.code("a|b") == "`a\\|b`"


def test_budget_cuts_findings_and_says_so() -> None:
    findings = [Finding("RVW501", "debug-mode-enabled", "production-config", Severity.ERROR, f"m{n}.py",
                        Span(1, 1, 1, 2), "m" * 100) for n in range(100)]
    full = markdown.document(fake_run(findings))
    cut = markdown.document(fake_run(findings), budget=len(full.encode()) // 2)
    assert len(cut.encode()) <= len(full.encode()) // 2
    assert "| ❌ |" in cut and "findings not shown here" in cut
    assert cut.count("`m") < full.count("`m")


def test_a_large_review_stays_within_githubs_comment_limit_and_counts_every_rule() -> None:
    findings = [Finding(code, name, item, Severity.ERROR, f"app/module_{n}.py", Span(n, 1, n, 2), "x" * 120)
                for n in range(1500)
                for code, name, item in (("RVW401", "blocking-call-in-async", "async-io"),
                                         ("RVW210", "select-star", "no-select-star"))]
    errors = [FileError(f"app/broken_{n}.py", ErrorKind.SYNTAX, "invalid syntax " * 10, 1) for n in range(3000)]
    report = markdown.document(fake_run(findings, errors))
    assert len(report) <= 65_536 and len(report.encode()) <= markdown.COMMENT_LIMIT
    assert table_rows(report, "| Rule | Checklist item | Findings |") == [
        ["`RVW210` select-star", "`no-select-star`", "1500"],
        ["`RVW401` blocking-call-in-async", "`async-io`", "1500"],
    ]
    assert re.search(r"\*\d+ of 3000 findings not shown here, to stay within GitHub's size limit", report)
    assert re.search(r"\*\d+ more not shown here: the JSON and HTML reports list them all\.\*", report)
    assert markdown.document(fake_run(findings, errors), budget=None).count("`app/module_") == 3000
