"""Fixes: `reviewer check --fix`, `--diff` and `--unsafe-fixes` (`reviewer.fixes`).

Every fix the fixtures carry is applied to a copy and the copy reviewed again: each fix must apply,
the fixed files must parse, the fixed finding must be gone and every other finding unchanged. The
command line writes safe fixes only unless told otherwise, `--diff` writes nothing and prints the
exact (masked) diff, and a fix that would break the file or not remove its finding is refused."""

from __future__ import annotations

import difflib
import json
import os
import shutil
from collections import Counter
from pathlib import Path

import libcst as cst
import pytest

from reviewer import engine
from reviewer.checklist import ITEM_IDS
from reviewer.config import Config
from reviewer.edits import apply_edits, line_starts, offsets, unified_diff
from reviewer.fixes import comparable, fix_run
from reviewer.model import Edit, Fix, Severity, Span
from reviewer.registry import load_rules
from reviewer.reporters import RenderOptions, html, sarif
from reviewer.rule import Rule

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
RULES = load_rules()


def _cases() -> list[str]:
    cases = []
    for item_dir in sorted(p for p in FIXTURES.iterdir() if p.is_dir() and p.name in {*ITEM_IDS, "sample_app"}):
        if item_dir.name == "sample_app":
            cases.append("sample_app")
            continue
        for case in sorted(item_dir.iterdir()):
            if case.suffix == ".py" or (case.is_dir() and not case.name.startswith((".", "__"))):
                cases.append(f"{item_dir.name}/{case.name}")
    return cases


def _in_case(path: str, case: str) -> bool:
    return path == case or path.startswith(case + "/")


def _keys(findings) -> Counter:  # noqa: ANN001
    """Findings as a fix must leave them: a message's line numbers may move with the lines."""
    return Counter((f.code, f.path, comparable(f.message)) for f in findings)


@pytest.fixture(scope="module")
def fixed_fixtures(tmp_path_factory: pytest.TempPathFactory):
    """Every fixture reviewed with every rule, then every fix applied (safe and unsafe) to a copy,
    and the copy reviewed again."""
    copy = tmp_path_factory.mktemp("fixed") / "fixtures"
    shutil.copytree(FIXTURES, copy, ignore=shutil.ignore_patterns("__pycache__", ".reviewer_cache"))
    config = Config(select=["ALL"])

    def review() -> engine.Run:  # cached: the second review parses only the files fixed
        return engine.run([copy], config, RULES, jobs=2, use_cache=True, cwd=copy)

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
        before = review()
        after, outcome = fix_run(before, RULES, unsafe=True, write=True, jobs=2, rerun=review)
    return before, after, outcome


@pytest.mark.parametrize("case", _cases())
def test_every_fix_in_the_fixtures_applies_and_removes_only_its_finding(fixed_fixtures, case: str) -> None:
    before, after, outcome = fixed_fixtures
    refused = [item.line() for item in outcome.not_applied if _in_case(item.finding.path, case)]
    assert refused == [], "fixes not applied:\n" + "\n".join(refused)
    findings = [f for f in before.findings if _in_case(f.path, case)]
    fixable = [f for f in findings if f.fix is not None]
    left = [f for f in after.findings if _in_case(f.path, case)]
    assert _keys(left) == _keys(findings) - _keys(fixable)
    assert [e for e in after.errors if _in_case(e.path, case)] == [e for e in before.errors if _in_case(e.path, case)]


def test_the_fixtures_exercise_the_fixes_and_each_fixing_rule_documents_its_safety(fixed_fixtures) -> None:
    before, _, outcome = fixed_fixtures
    fixing = {f.code for f in before.findings if f.fix is not None}
    assert {"RVW401", "RVW101", "RVW102", "RVW104"} <= fixing
    assert {f.fix.safe for f in before.findings if f.fix is not None} == {True, False}
    by_code = {rule.code: rule for rule in RULES}
    undocumented = sorted(code for code in fixing if "## Fix safety" not in by_code[code].documentation())
    assert undocumented == []
    assert outcome.fixed == sum(1 for f in before.findings if f.fix is not None)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### 3. Fix what is mechanical", 1)[1].split("\n## ", 1)[0]
    assert sorted(code for code in fixing if f"`{code}`" not in section) == []
    assert all(f"  {option} " in readme for option in ("--fix", "--unsafe-fixes", "--diff"))


# --- the command line -------------------------------------------------------------------------------------

APP = '''"""Orders service."""
from __future__ import annotations

import os
import time

from fastapi import FastAPI
from pydantic_settings import BaseSettings

app = FastAPI()
PAYMENTS_API_KEY = "Zq8vN3kLw9Xp2Rt7"
OPENAI_API_KEY = os.getenv("OPENAI_API_KEY", "qW7eR9tY2uI4oP6a")


class Settings(BaseSettings):
    secret_key: str = "s3cr3t-signing-key-Q9"
    debug: bool = False


@app.get("/orders")
async def orders():
    time.sleep(1)
    return []


@app.get("/stock")
async def stock():
    time.sleep(0.5)
    return []
'''

SAFE_FIXED = APP.replace("import os\n", "import asyncio\nimport os\n").replace(
    "    time.sleep(1)", "    await asyncio.sleep(1)").replace("    time.sleep(0.5)", "    await asyncio.sleep(0.5)")
ALL_FIXED = SAFE_FIXED.replace('"Zq8vN3kLw9Xp2Rt7"', 'os.environ["PAYMENTS_API_KEY"]').replace(
    'os.getenv("OPENAI_API_KEY", "qW7eR9tY2uI4oP6a")', 'os.environ["OPENAI_API_KEY"]').replace(
    ' = "s3cr3t-signing-key-Q9"', "")


# The app is a fixture of fixes: the headers an application sets are another item's question.
PROXIED = {"pyproject.toml": "[tool.reviewer.rules.RVW951]\nset-by-proxy = true\n"}


def test_fix_writes_the_safe_fixes_only_and_reports_what_is_left(write, cli) -> None:
    root = write({"app/main.py": APP, **PROXIED})
    code, out, err = cli("check", "--no-cache", "--fix", "app")
    assert (root / "app/main.py").read_text(encoding="utf-8") == SAFE_FIXED
    assert code == 1, err
    assert "RVW401" not in out and out.count("RVW102") == 3
    assert "Fixed 2 findings (3 remaining: --unsafe-fixes would fix 3 more)." in out.splitlines()
    # The findings reported are those of the fixed file, at its new lines.
    assert "app/main.py:12:" in out


def test_unsafe_fixes_with_fix_applies_the_unsafe_fixes_too(write, cli) -> None:
    root = write({"app/main.py": APP, **PROXIED})
    code, out, err = cli("check", "--no-cache", "--fix", "--unsafe-fixes", "--format", "json", "app")
    assert (root / "app/main.py").read_text(encoding="utf-8") == ALL_FIXED
    assert code == 0, err
    report = json.loads(out)
    assert report["findings"] == []
    assert report["fixes"]["fixed"] == 5 and report["fixes"]["headline"] == "Fixed 5 findings (0 remaining)."
    assert "Fixed 5 findings (0 remaining)." in err


def test_diff_writes_nothing_and_prints_the_exact_diff_with_secrets_masked(write, cli) -> None:
    root = write({"app/main.py": APP, **PROXIED})
    before = (root / "app/main.py").read_bytes()
    code, out, err = cli("check", "--no-cache", "--diff", "--unsafe-fixes", "app")
    assert (root / "app/main.py").read_bytes() == before
    assert code == 0, err  # as --fix --unsafe-fixes would leave it: nothing failing
    masked = APP.replace("Zq8vN3kLw9Xp2Rt7", "Zq8v" + "*" * 12).replace("qW7eR9tY2uI4oP6a", "qW7e" + "*" * 12)
    masked = masked.replace("s3cr3t-signing-key-Q9", "s3cr" + "*" * 17)
    assert out == "".join(
        difflib.unified_diff(masked.splitlines(True), ALL_FIXED.splitlines(True), "a/app/main.py", "b/app/main.py")
    )
    assert "Would fix 5 findings (0 remaining)." in err
    assert "Zq8vN3kLw9Xp2Rt7" not in out + err and "s3cr3t-signing" not in out + err


def test_diff_without_unsafe_fixes_exits_as_fix_would(write, cli) -> None:
    write({"app/main.py": APP, **PROXIED})
    code, out, err = cli("check", "--no-cache", "--diff", "app")
    assert code == 1  # the secrets are left: still failing
    assert "+import asyncio" in out and "os.environ" not in out
    assert "Would fix 2 findings (3 remaining: --unsafe-fixes would fix 3 more)." in err


def test_the_text_report_says_how_many_findings_fix_can_fix(write, cli) -> None:
    write({"app/main.py": APP, **PROXIED})
    _, out, _ = cli("check", "--no-cache", "app")
    assert "2 findings fixable with --fix (3 more with --unsafe-fixes)." in out.splitlines()


def test_fix_is_refused_for_standard_input(write, cli) -> None:
    write({"app/main.py": APP, **PROXIED})
    code, _, err = cli("check", "-", "--stdin-filename", "app/main.py", "--fix")
    assert code == 2 and "standard input" in err


def test_fixing_keeps_the_files_encoding_line_breaks_and_permissions(write, cli) -> None:
    latin = ("# -*- coding: latin-1 -*-\n" + APP.replace('"""Orders service."""', '"""Commandes: réglées."""'))
    root = write({"app/crlf.py": APP.replace("\n", "\r\n").encode("utf-8"), "app/latin.py": latin.encode("latin-1"),
                  "app/bom.py": b"\xef\xbb\xbf" + APP.encode("utf-8")})
    os.chmod(root / "app/crlf.py", 0o640)
    code, _, err = cli("check", "--no-cache", "--fix", "app")
    assert code == 1, err
    assert (root / "app/crlf.py").read_bytes() == SAFE_FIXED.replace("\n", "\r\n").encode("utf-8")
    assert (root / "app/crlf.py").stat().st_mode & 0o777 == 0o640
    latin_fixed = "# -*- coding: latin-1 -*-\n" + SAFE_FIXED.replace("Orders service.", "Commandes: réglées.")
    assert (root / "app/latin.py").read_bytes() == latin_fixed.encode("latin-1")
    assert (root / "app/bom.py").read_bytes() == b"\xef\xbb\xbf" + SAFE_FIXED.encode("utf-8")


def test_an_import_goes_after_the_docstring_and_future_imports_and_is_added_once(write, cli) -> None:
    source = '"""Jobs."""\n\nfrom __future__ import annotations\n\n# clock\nimport time\n\n\n' + (
        "async def tick():\n    time.sleep(1)\n    time.sleep(2)\n"
    )
    root = write({"jobs.py": source})
    code, _, err = cli("check", "--no-cache", "--fix", "jobs.py")
    assert code == 0, err
    assert (root / "jobs.py").read_text(encoding="utf-8") == (
        '"""Jobs."""\n\nfrom __future__ import annotations\n\n# clock\nimport asyncio\nimport time\n\n\n'
        "async def tick():\n    await asyncio.sleep(1)\n    await asyncio.sleep(2)\n"
    )


def test_no_fix_where_asyncio_names_something_else(write, cli) -> None:
    source = "import time\n\nfrom app import loop as asyncio\n\n\nasync def tick():\n    time.sleep(1)\n"
    root = write({"jobs.py": source})
    code, out, _ = cli("check", "--no-cache", "--fix", "jobs.py")
    assert code == 1 and "RVW401" in out
    assert (root / "jobs.py").read_text(encoding="utf-8") == source


# --- refusing fixes that do not hold ------------------------------------------------------------------------


class BrokenFix(Rule):
    """Flags `legacy_call()`; its fix would leave the file unparsable.

    ## Fix safety
    Safe (it is not: a test rule)."""

    code = "TST901"
    name = "broken-fix"
    checklist = "structured-logging"
    severity = Severity.ERROR

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "legacy_call":
            self.report(node, "legacy_call is deprecated", fix=Fix("break it", (Edit(self.context.span(node), "("),)))


class IdleFix(Rule):
    """Flags `old_call()`; its fix touches something else, so the finding stays.

    ## Fix safety
    Safe (it is not: a test rule)."""

    code = "TST902"
    name = "idle-fix"
    checklist = "structured-logging"
    severity = Severity.ERROR

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "old_call":
            span = self.context.span(node.args[0].value) if node.args else None
            if span is not None:
                self.report(node, "old_call is deprecated", fix=Fix("change the argument", (Edit(span, "2"),)))


class NewFinding(Rule):
    """Flags `first_call()` and `second_call()`; the first's fix turns it into the second.

    ## Fix safety
    Safe (it is not: a test rule)."""

    code = "TST903"
    name = "new-finding"
    checklist = "structured-logging"
    severity = Severity.ERROR

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value in ("first_call", "second_call"):
            fix = None
            if node.func.value == "first_call":
                fix = Fix("rename", (Edit(self.context.span(node.func), "second_call"),))
            self.report(node, f"{node.func.value} is deprecated", fix=fix)


TEST_RULES = [BrokenFix, IdleFix, NewFinding, *RULES]


def _fix(root: Path, **options) -> tuple[engine.Run, object]:  # noqa: ANN003
    config = Config(select=["TST9"])

    def review() -> engine.Run:
        return engine.run([root], config, TEST_RULES, jobs=1, use_cache=False, cwd=root)

    return fix_run(review(), TEST_RULES, jobs=1, rerun=review, **options)


def test_a_fix_whose_result_would_not_parse_is_refused_with_a_note(write) -> None:
    source = "def main():\n    legacy_call()\n"
    root = write({"app.py": source})
    run, outcome = _fix(root)
    (refused,) = outcome.not_applied
    assert refused.finding.code == "TST901"
    assert refused.reason.startswith("the fixed code would not parse (line ")
    assert refused.line().startswith("app.py:2:5: TST901: the fixed code would not parse")
    assert (root / "app.py").read_text(encoding="utf-8") == source
    assert outcome.fixed == 0 and [f.code for f in run.findings] == ["TST901"]
    assert outcome.headline() == "Fixed 0 findings (1 remaining; 1 fix not applied)."


def test_the_command_line_says_which_fix_it_refused_and_why(write, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("reviewer.cli.load_rules", lambda: TEST_RULES)
    root = write({"app.py": "def main():\n    legacy_call()\n"})
    code, out, err = cli("check", "--no-cache", "--select", "TST901", "--fix", "app.py")
    assert code == 1
    assert "reviewer: not fixed: app.py:2:5: TST901: the fixed code would not parse (line " in err
    assert "Fixed 0 findings (1 remaining; 1 fix not applied)." in out
    assert (root / "app.py").read_text(encoding="utf-8") == "def main():\n    legacy_call()\n"


def test_a_fix_that_would_not_remove_its_finding_is_refused(write) -> None:
    source = "old_call(1)\n"
    root = write({"app.py": source})
    _, outcome = _fix(root)
    (refused,) = outcome.not_applied
    assert refused.reason == "TST902 is still reported after the fix"
    assert (root / "app.py").read_text(encoding="utf-8") == source


def test_a_fix_that_would_bring_another_finding_is_refused(write) -> None:
    source = "first_call()\n"
    root = write({"app.py": source})
    _, outcome = _fix(root)
    (refused,) = outcome.not_applied
    assert refused.reason == "the fix would introduce TST903: second_call is deprecated"
    assert (root / "app.py").read_text(encoding="utf-8") == source


def test_a_bad_fix_does_not_stop_the_good_ones_in_the_same_file(write) -> None:
    root = write({"app.py": "import time\n\n\nasync def main():\n    legacy_call()\n    time.sleep(1)\n"})
    config = Config(select=["TST901", "RVW401"])

    def review() -> engine.Run:
        return engine.run([root], config, TEST_RULES, jobs=1, use_cache=False, cwd=root)

    run, outcome = fix_run(review(), TEST_RULES, jobs=1, rerun=review)
    assert [item.finding.code for item in outcome.not_applied] == ["TST901"]
    assert (root / "app.py").read_text(encoding="utf-8") == (
        "import asyncio\nimport time\n\n\nasync def main():\n    legacy_call()\n    await asyncio.sleep(1)\n"
    )
    assert [f.code for f in run.findings] == ["TST901"] and outcome.fixed == 1


def test_a_file_changed_since_the_review_is_not_touched(write) -> None:
    root = write({"app.py": "import time\n\n\nasync def main():\n    time.sleep(1)\n"})
    config = Config(select=["RVW401"])
    run = engine.run([root], config, RULES, jobs=1, use_cache=False, cwd=root)
    (root / "app.py").write_text("import time\n\n\nasync def main():\n    time.sleep(2)\n", encoding="utf-8")
    _, outcome = fix_run(run, RULES, jobs=1)
    assert [item.reason for item in outcome.not_applied] == ["the file has changed since it was reviewed"]
    assert "sleep(2)" in (root / "app.py").read_text(encoding="utf-8")


def test_a_file_turned_into_a_symbolic_link_is_not_written_through(write) -> None:
    source = "import time\n\n\nasync def main():\n    time.sleep(1)\n"
    root = write({"app.py": source, "elsewhere/app.py": source})
    config = Config(select=["RVW401"])
    run = engine.run([root / "app.py"], config, RULES, jobs=1, use_cache=False, cwd=root)
    (root / "app.py").unlink()
    (root / "app.py").symlink_to(root / "elsewhere/app.py")
    _, outcome = fix_run(run, RULES, jobs=1)
    (refused,) = outcome.not_applied
    assert "symbolic link" in refused.reason
    assert (root / "elsewhere/app.py").read_text(encoding="utf-8") == source


# --- the text edits -----------------------------------------------------------------------------------------


class Overlapping(Rule):
    """Flags `both()` twice, with overlapping fixes.

    ## Fix safety
    Safe (it is not: a test rule)."""

    code = "TST904"
    name = "overlapping"
    checklist = "structured-logging"
    severity = Severity.ERROR

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name) and node.func.value == "both":
            span = self.context.span(node)
            head = Span(span.line, span.column, span.line, span.column + 4)
            self.report(node, "first", fix=Fix("one", (Edit(head, "one_"),)))
            self.report(node.func, "second", fix=Fix("two", (Edit(span, "two()"),)))


def test_overlapping_fixes_are_left_for_a_second_run(write) -> None:
    rules = [Overlapping, *RULES]
    root = write({"app.py": "both()\n"})
    config = Config(select=["TST904"])
    run = engine.run([root], config, rules, jobs=1, use_cache=False, cwd=root)
    _, outcome = fix_run(run, rules, jobs=1, write=False)
    (left,) = outcome.not_applied
    assert left.reason == "overlaps the fix of TST904 at line 1; run --fix again to apply it"


def test_edits_are_applied_bottom_up_by_line_and_column() -> None:
    text = "a = 1\r\nb = 'é'\nc = 3"
    starts = line_starts(text)
    edits = [Edit(Span(2, 5, 2, 8), "'e'"), Edit(Span(1, 1, 1, 1), "import x\n"), Edit(Span(3, 6, 3, 6), "  # end")]
    assert apply_edits(text, [(*offsets(text, starts, e), e.replacement) for e in edits]) == (
        "import x\na = 1\r\nb = 'e'\nc = 3  # end"
    )
    with pytest.raises(ValueError):
        offsets(text, starts, Edit(Span(2, 9, 2, 9), ""))


def test_the_diff_read_from_the_edits_is_the_one_diff_would_print() -> None:
    for seed in range(100):
        _compare_with_difflib(seed)


def _compare_with_difflib(seed: int) -> None:
    import random

    chance = random.Random(seed)
    lines = [f"line_{number} = {number}" for number in range(1, chance.randint(1, 40))]
    edits, line = [], 1
    while line <= len(lines):
        line += chance.randint(0, 6)
        if line > len(lines):
            break
        kind = chance.choice(["insert", "replace", "delete", "join"])
        if kind == "insert":
            edits.append(Edit(Span(line, 1, line, 1), "import x\n" * chance.randint(1, 2)))
        elif kind == "replace":
            edits.append(Edit(Span(line, 1, line, 5), "LINE"))
        elif kind == "delete":
            edits.append(Edit(Span(line, 1, line + 1, 1), ""))
        elif line < len(lines):
            edits.append(Edit(Span(line, len(lines[line - 1]) + 1, line + 1, 1), " + "))
            line += 1
        line += 1
    text = "".join(line + "\n" for line in lines)
    after = apply_edits(text, [(*offsets(text, line_starts(text), edit), edit.replacement) for edit in edits])
    context = chance.randint(0, 3)
    expected = list(difflib.unified_diff(lines, after.splitlines(), "a/m.py", "b/m.py", lineterm="", n=context))
    assert unified_diff(lambda number: lines[number - 1], len(lines), edits, "m.py", context) == expected, seed


# --- reports --------------------------------------------------------------------------------------------------


def test_the_html_report_shows_each_fix_as_a_masked_escaped_diff(write) -> None:
    root = write({"app/main.py": APP.replace("return []", "return ['</pre><script>']", 1)})
    run = engine.run([root], Config(), RULES, jobs=1, use_cache=False, cwd=root)
    page = html.render(run, RenderOptions())
    assert '<span class="del">-    time.sleep(1)</span><span class="add">+    await asyncio.sleep(1)</span>' in page
    assert '<span class="add">+PAYMENTS_API_KEY = os.environ[&#34;PAYMENTS_API_KEY&#34;]</span>' in page
    assert '<span class="del">-PAYMENTS_API_KEY = &#34;Zq8v************&#34;</span>' in page
    assert "Zq8vN3kLw9Xp2Rt7" not in page and "<script>']" not in page
    assert "Fix (unsafe: --unsafe-fixes):" in page


def test_sarif_carries_the_rules_fixes_and_stays_valid(write) -> None:
    import jsonschema

    root = write({"app/main.py": APP, **PROXIED})
    run = engine.run([root], Config(), RULES, jobs=1, use_cache=False, cwd=root)
    log = json.loads(sarif.render(run, RenderOptions()))
    schema = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.validate(log, schema, cls=jsonschema.Draft4Validator)
    fixes = [(r["ruleId"], r["fixes"][0]) for r in log["runs"][0]["results"] if "fixes" in r]
    assert sorted(code for code, _ in fixes) == ["RVW102", "RVW102", "RVW102", "RVW401", "RVW401"]
    assert {code: fix["properties"]["safe"] for code, fix in fixes} == {"RVW102": False, "RVW401": True}
    inserted = {c["insertedContent"]["text"] for _, f in fixes for c in f["artifactChanges"][0]["replacements"]}
    assert {"import asyncio\n", "await asyncio.sleep(1)", 'os.environ["PAYMENTS_API_KEY"]', ""} <= inserted
    assert "Zq8vN3kLw9Xp2Rt7" not in json.dumps(log)
