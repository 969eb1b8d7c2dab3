"""The HTML report: one self-contained, escaped page, checked as text and in a real headless Chromium.

The fixture is hostile on purpose: a string in the code and the file's own name carry
`</script><script>alert(1)</script>`. It must show up as text and never run.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
from html import unescape
from pathlib import Path

import pytest

from reviewer import engine
from reviewer.config import Config
from reviewer.registry import load_rules
from reviewer.reporters import RenderOptions, html

RULES = load_rules()
CHROMIUM = os.environ.get("REVIEWER_TEST_CHROMIUM", "/usr/bin/chromium")
PAYLOAD = "</script><script>alert(1)</script>"
HOSTILE_NAME = f"x{PAYLOAD}.py"  # directories `x<`, `script><script>alert(1)<`, file `script>.py`
HOSTILE_APP = f"""\
from fastapi import FastAPI

BANNER = "{PAYLOAD}"

app = FastAPI(title="{PAYLOAD}", debug=True)
"""
DB = """\
from sqlalchemy import create_engine

engine = create_engine("postgresql://db/orders", echo=True)
"""


def write_project(root: Path) -> Path:
    files = {HOSTILE_NAME: HOSTILE_APP, "app/db.py": DB, "app/broken.py": "def broken(:\n"}
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content, encoding="utf-8")
    return root


def report(root: Path) -> tuple[engine.Run, str]:
    run = engine.run([root], Config(select=["production-config"]), RULES, jobs=1, use_cache=False, cwd=root)
    return run, html.render(run, RenderOptions(seconds=0.5))


def test_everything_from_the_scanned_code_is_escaped(tmp_path: Path) -> None:
    run, page = report(write_project(tmp_path / "project"))
    assert {f.path for f in run.findings} == {HOSTILE_NAME, "app/db.py"}
    assert PAYLOAD not in page
    assert "alert(1)" in page  # it is there, as escaped text
    assert page.count("<script") == 1
    escaped = "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    assert f'data-path="x{escaped}.py"' in page
    assert f"&#34;{escaped}&#34;" in page  # the string literal in the code excerpt


def test_the_page_is_self_contained_and_pins_its_script(tmp_path: Path) -> None:
    _, page = report(write_project(tmp_path / "project"))
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
    assert "@import" not in page and "url(" not in page
    match = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert match
    policy = unescape(match[1])
    assert "default-src 'none'" in policy and "unsafe-inline" not in policy
    script = re.search(r"<script>(.*)</script>", page, re.DOTALL)[1]
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in policy


def test_rule_documentation_is_rendered_as_escaped_html() -> None:
    doc = "Summary.\n\n## What it does\nFlags `<b>` and <i>x</i>.\n\n- one\n- two\n\n```python\nif a < b: pass\n```"
    rendered = str(html.documentation_html(doc))
    assert "<h4>What it does</h4>" in rendered
    assert "<code>&lt;b&gt;</code>" in rendered and "&lt;i&gt;x&lt;/i&gt;" in rendered
    assert "<ul><li>one</li><li>two</li></ul>" in rendered
    assert "<pre><code>if a &lt; b: pass</code></pre>" in rendered


def test_code_quoted_in_messages_is_shown_as_code_and_still_escaped() -> None:
    rendered = str(html._environment().from_string("{{ m|inline_code }}").render(m="`<a>` calls `f()` & <b>"))
    assert rendered == "<code>&lt;a&gt;</code> calls <code>f()</code> &amp; &lt;b&gt;"


def test_excerpt_marks_the_flagged_span_and_colours_tokens(tmp_path: Path) -> None:
    run, _ = report(write_project(tmp_path / "project"))
    finding = next(f for f in run.findings if f.path == "app/db.py")
    excerpt = html.excerpt(html._Sources(run), finding)
    assert [line.number for line in excerpt.lines] == [1, 2, 3]
    flagged = [line for line in excerpt.lines if line.flagged]
    assert [line.number for line in flagged] == [3]
    hit = "".join(seg.text for seg in flagged[0].segments if "hit" in seg.css.split())
    assert hit == DB.splitlines()[2][finding.span.column - 1 : finding.span.end_column - 1]
    assert any(seg.css == "tok-string" and seg.text == '"postgresql://db/orders"' for seg in flagged[0].segments)
    assert any(seg.css == "tok-keyword" and seg.text == "from" for seg in excerpt.lines[0].segments)


def test_excerpt_of_a_vanished_file_says_so(tmp_path: Path) -> None:
    run, _ = report(write_project(tmp_path / "project"))
    (tmp_path / "project" / "app" / "db.py").unlink()
    _, page = run, html.render(run, RenderOptions())
    assert "Code excerpt not shown: the file cannot be read now" in page


def _browser_available() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return shutil.which(CHROMIUM) is not None or Path(CHROMIUM).is_file()


def test_report_in_headless_chromium(tmp_path: Path) -> None:
    if not _browser_available():
        if os.environ.get("CI"):
            pytest.fail(f"the browser test needs Playwright and Chromium at {CHROMIUM} (.ci/run installs them)")
        pytest.skip(f"Playwright or Chromium ({CHROMIUM}) is not installed")
    from playwright.sync_api import sync_playwright

    run, page_html = report(write_project(tmp_path / "project"))
    report_file = tmp_path / "review.html"
    report_file.write_text(page_html, encoding="utf-8")
    problems: list[str] = []
    dialogs: list[str] = []
    requests: list[str] = []

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
            viewport={"width": 1280, "height": 900},
        )
        try:
            page = context.new_page()
            page.on("console", lambda message: message.type == "error" and problems.append(message.text))
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.on("request", lambda request: requests.append(request.url))
            page.goto(report_file.as_uri())
            page.wait_for_load_state("load")

            # The checklist: every item, worst first, with its verdict and finding count.
            rows = page.locator("table.checklist tbody tr")
            assert rows.count() == len(run.checklist) == 21
            assert rows.first.get_attribute("data-item") == "production-config"
            assert rows.first.get_attribute("data-verdict") == "fail"
            assert rows.first.locator("button.show-item").inner_text() == "2 →"
            # The counts.
            assert page.locator("#count-files").inner_text() == "3"
            assert page.locator("#count-findings").inner_text() == "2"
            assert page.locator("#count-errors").inner_text() == "1"
            assert page.locator("#shown").inner_text() == "2"
            # The hostile name and string are shown as text.
            cards = page.locator("#view-item .finding")
            assert cards.count() == 2
            assert PAYLOAD in page.locator("#view-item .finding[data-severity=error] .path").inner_text()
            assert f'"{PAYLOAD}"' in page.locator("#view-item .finding[data-severity=error] .excerpt").inner_text()
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)

            # Filters: severity, path, item, and grouping by file.
            page.locator("input[name=severity][value=error]").uncheck()
            assert page.locator("#shown").inner_text() == "1"
            assert page.locator("#view-item .finding:visible").count() == 1
            assert page.locator("#view-item .finding:visible").get_attribute("data-path") == "app/db.py"
            page.locator("input[name=severity][value=error]").check()
            page.locator("#filter-path").fill("script")
            assert page.locator("#shown").inner_text() == "1"
            assert page.locator("#view-item .finding:visible").get_attribute("data-severity") == "error"
            page.locator("#filter-path").fill("no-such-file")
            assert page.locator("#shown").inner_text() == "0"
            assert page.locator("#no-match").is_visible()
            page.locator("#filter-path").fill("")
            page.locator("input[name=view][value=file]").check()
            assert page.locator("#view-item").is_hidden()
            groups = page.locator("#view-file .group:visible .file-heading .path")
            assert groups.all_inner_texts() == ["app/db.py", HOSTILE_NAME]
            page.locator("input[name=view][value=item]").check()
            page.locator("#filter-item").select_option("production-config")
            assert page.locator("#shown").inner_text() == "2"
            page.screenshot(path=str(tmp_path / "report-filtered.png"))

            # Nothing from the scanned code ran, nothing failed, nothing was fetched.
            assert page.evaluate("document.scripts.length") == 1
        finally:
            context.close()

    assert dialogs == []
    assert problems == []
    assert requests == [report_file.as_uri()]
    assert (tmp_path / "report.png").stat().st_size > 10_000


def test_secrets_never_appear_in_code_excerpts(tmp_path: Path) -> None:
    token = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
    dsn_password = "Rp7-xK2m-Q9vL"
    source = (
        "from pydantic_settings import BaseSettings\n\n\n"
        "class Settings(BaseSettings):\n"
        f'    stripe_api_key: str = "{token}"\n'
        f'    reporting_url: str = "postgresql://reporting:{dsn_password}@db.internal:5432/dw"\n'
        '    project_name: str = "orders"\n'
    )
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "config.py").write_text(source)
    run = engine.run([tmp_path], Config(), RULES, jobs=1, use_cache=False, cwd=tmp_path)
    assert {f.code for f in run.findings} >= {"RVW101", "RVW104"}
    page = html.render(run, RenderOptions())
    assert "stripe_api_key" in page and "project_name" in page, "the excerpt is shown, only the secrets are masked"
    assert token not in page and token[8:] not in page
    assert dsn_password not in page
