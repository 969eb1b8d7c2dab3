"""The HTML report: one self-contained, escaped page, checked as text and in a real headless Chromium.

The first fixture is hostile on purpose: a string in the code and the file's own name carry
`</script><script>alert(1)</script>`. It must show up as text and never run. The second has
coroutines that reach one blocking call through helpers: one root cause for three findings.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import os
import re
import shutil
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest

from reviewer import engine
from reviewer.config import Config
from reviewer.model import Related, Span
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


CLIENTS = """\
import requests


def fetch(url):
    return requests.get(url, timeout=5)


def fetch_json(url):
    return fetch(url).json()
"""
API = """\
import time

from fastapi import FastAPI

from app.clients import fetch, fetch_json

app = FastAPI()


@app.get("/orders")
async def orders():
    return fetch("https://orders.internal/all")


@app.get("/invoices")
async def invoices():
    return fetch_json("https://billing.internal/invoices")


@app.get("/refunds")
async def refunds():
    return fetch("https://billing.internal/refunds")


@app.get("/health")
async def health():
    time.sleep(1)
    return {"ok": True}
"""
# Where the chains of RVW403's findings go: `fetch_json` calls `fetch`, which calls `requests.get`.
FETCH_JSON = Related("app/clients.py", Span(9, 12, 9, 22), "`fetch_json` calls `fetch` here")
REQUESTS_GET = Related("app/clients.py", Span(5, 12, 5, 40), "`fetch` calls `requests.get`, which blocks")
CHAINS = {12: (REQUESTS_GET,), 17: (FETCH_JSON, REQUESTS_GET), 22: (REQUESTS_GET,)}


def report(root: Path) -> tuple[engine.Run, str]:
    run = engine.run([root], Config(select=["production-config"]), RULES, jobs=1, use_cache=False, cwd=root)
    return run, html.render(run, RenderOptions(seconds=0.5))


def chain_run(root: Path) -> engine.Run:
    """The async-io review of the chain fixture, its RVW403 findings with their chains as `CHAINS`
    has them."""
    for name, content in {"app/clients.py": CLIENTS, "app/api.py": API}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content, encoding="utf-8")
    run = engine.run([root], Config(select=["async-io"]), RULES, jobs=1, use_cache=False, cwd=root)
    found = [(f.code, f.span.line) for f in run.findings]
    assert found == [("RVW403", 12), ("RVW403", 17), ("RVW403", 22), ("RVW401", 27)]
    findings = [dataclasses.replace(f, related=CHAINS.get(f.span.line, ())) for f in run.findings]
    return dataclasses.replace(run, findings=findings)


def test_everything_from_the_scanned_code_is_escaped(tmp_path: Path) -> None:
    run, page = report(write_project(tmp_path / "project"))
    assert {f.path for f in run.findings} == {HOSTILE_NAME, "app/db.py"}
    assert PAYLOAD not in page
    assert "alert(1)" in page  # it is there, as escaped text
    assert page.count("<script") == 1
    escaped = "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    assert f'data-path="x{escaped}.py"' in page
    assert f"&#34;{escaped}&#34;" in page  # the string literal in the code excerpt


def test_root_causes_from_the_scanned_code_are_escaped_too(tmp_path: Path) -> None:
    run, _ = report(write_project(tmp_path / "project"))
    place = Related(HOSTILE_NAME, Span(5, 1, 5, 70), f"`{PAYLOAD}` starts here")
    run = dataclasses.replace(run, findings=[dataclasses.replace(f, related=(place,)) for f in run.findings])
    page = html.render(run, RenderOptions())
    escaped = "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    assert (
        f'Fix <code>app = FastAPI(title=&#34;{escaped}&#34;, debug=True)</code> '
        f'(<span class="path">x{escaped}.py</span>:5): <strong>2 findings go away</strong>'
    ) in page
    assert f'<span class="summary-line"><code>{escaped}</code> starts here</span>' in page
    assert PAYLOAD not in page and page.count("<script") == 1


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
    assert "<h5>What it does</h5>" in rendered
    assert "<code>&lt;b&gt;</code>" in rendered and "&lt;i&gt;x&lt;/i&gt;" in rendered
    assert "<ul><li>one</li><li>two</li></ul>" in rendered
    assert "<pre><code>if a &lt; b: pass</code></pre>" in rendered


def test_code_quoted_in_messages_is_shown_as_code_and_still_escaped() -> None:
    rendered = str(html._environment().from_string("{{ m|inline_code }}").render(m="`<a>` calls `f()` & <b>"))
    assert rendered == "<code>&lt;a&gt;</code> calls <code>f()</code> &amp; &lt;b&gt;"


def test_excerpt_marks_the_flagged_span_and_colours_tokens(tmp_path: Path) -> None:
    run, _ = report(write_project(tmp_path / "project"))
    finding = next(f for f in run.findings if f.path == "app/db.py")
    excerpt = html.excerpt(html._Sources(run), finding.path, finding.span)
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


@contextlib.contextmanager
def chromium(tmp_path: Path, page_html: str, viewport: dict[str, int]) -> Iterator[Any]:
    """The page, opened from a file in headless Chromium; on leaving, nothing may have failed,
    opened a dialog or been fetched."""
    if not _browser_available():
        if os.environ.get("CI"):
            pytest.fail(f"the browser test needs Playwright and Chromium at {CHROMIUM} (.ci/run installs them)")
        pytest.skip(f"Playwright or Chromium ({CHROMIUM}) is not installed")
    from playwright.sync_api import sync_playwright

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
            viewport=viewport,
        )
        try:
            page = context.new_page()
            page.on("console", lambda message: message.type == "error" and problems.append(message.text))
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.on("request", lambda request: requests.append(request.url))
            page.goto(report_file.as_uri())
            page.wait_for_load_state("load")
            yield page
            # Nothing from the scanned code ran.
            assert page.evaluate("document.scripts.length") == 1
        finally:
            context.close()
    assert dialogs == []
    assert problems == []
    assert requests == [report_file.as_uri()]


def box(page: Any, selector: str) -> dict[str, float]:
    found = page.locator(selector).bounding_box()
    assert found is not None, f"{selector} is not rendered"
    return found


def assert_clear_of_the_filter_bar(page: Any, heading: str) -> None:
    """`heading` was jumped to: it is on screen, below the filter bar, which sticks to the top."""
    bar, target = box(page, "#filters"), box(page, heading)
    assert bar["y"] == 0, "the page scrolled far enough for the bar to stick"
    assert bar["y"] + bar["height"] <= target["y"] < page.viewport_size["height"] / 2


def test_report_in_headless_chromium(tmp_path: Path) -> None:
    run, page_html = report(write_project(tmp_path / "project"))
    with chromium(tmp_path, page_html, {"width": 1280, "height": 900}) as page:
        # The checklist: every item, worst first, with its verdict and finding count.
        rows = page.locator("table.checklist tbody tr")
        assert rows.count() == len(run.checklist) == 25
        assert rows.first.get_attribute("data-item") == "production-config"
        assert rows.first.get_attribute("data-verdict") == "fail"
        assert rows.first.locator("a.show-item").inner_text() == "2 →"
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
        # The cards moved into the file groups: each finding is on the page once.
        assert page.locator(".finding").count() == 2
        assert page.locator("#view-file .finding").evaluate_all("cards => cards.map(c => c.dataset.path)") == [
            "app/db.py", HOSTILE_NAME,
        ]
        page.locator("input[name=view][value=item]").check()
        assert page.locator("#view-item .finding").count() == 2
        page.locator("#filter-item").select_option("production-config")
        assert page.locator("#shown").inner_text() == "2"
        page.screenshot(path=str(tmp_path / "report-filtered.png"))

        # At phone width every column of the checklist is on screen, the page no wider than it.
        page.set_viewport_size({"width": 390, "height": 844})
        assert page.evaluate("document.documentElement.scrollWidth") == 390
        headers = page.locator("table.checklist th")
        assert headers.all_inner_texts() == ["VERDICT", "ITEM", "RULES", "FINDINGS"]
        cells = page.locator("table.checklist th, table.checklist td:not(:empty)")
        with_rules = sum(1 for item in run.checklist if item.rules)
        assert cells.count() == 4 + 2 * 25 + with_rules + 1, "verdict and item of each row, its rules, one count"
        for position in range(cells.count()):
            cell = cells.nth(position).bounding_box()
            assert cell is not None and cell["width"] > 0
            assert 0 <= cell["x"] and cell["x"] + cell["width"] <= 390, cells.nth(position).inner_text()
        page.screenshot(path=str(tmp_path / "report-phone.png"), full_page=True)

    assert (tmp_path / "report.png").stat().st_size > 10_000
    assert (tmp_path / "report-phone.png").stat().st_size > 10_000


def test_root_causes_and_jumps_in_headless_chromium(tmp_path: Path) -> None:
    run = chain_run(tmp_path / "project")
    by_line = {f.span.line: f for f in run.findings}
    with chromium(tmp_path, html.render(run, RenderOptions()), {"width": 1280, "height": 700}) as page:
        # Root causes come first among the findings, closed: the three chains end at one call.
        assert page.locator("#findings > details, #findings > div").evaluate_all("parts => parts.map(p => p.id)") == [
            "root-causes", "view-item", "view-file",
        ]
        causes = page.locator("#root-causes .cause")
        assert causes.count() == 1
        cause = causes.first
        assert cause.locator(".cause-title").inner_text() == (
            "Fix requests.get(url, timeout=5) (app/clients.py:5): 3 findings go away"
        )
        assert cause.locator(".summary-line").inner_text() == "fetch calls requests.get, which blocks"
        assert not cause.evaluate("details => details.open")
        assert cause.locator("li").first.is_hidden()
        cause.locator("summary").click()
        assert cause.locator(".excerpt tr.flagged").inner_text() == "5\t    return requests.get(url, timeout=5)"
        links = cause.locator("li a")
        assert links.evaluate_all("links => links.map(a => a.getAttribute('href'))") == [
            f"#finding-{by_line[line].fingerprint}" for line in (12, 17, 22)
        ]
        # Each card once, its chain listed, linked back to the root cause.
        for finding in run.findings:
            assert page.locator(f'.finding[data-fingerprint="{finding.fingerprint}"]').count() == 1
        invoices = page.locator(f"#finding-{by_line[17].fingerprint}")
        assert invoices.locator(".chain li").all_inner_texts() == [
            "app/clients.py:9 fetch_json calls fetch here",
            "app/clients.py:5 fetch calls requests.get, which blocks",
        ]
        assert invoices.locator(".cause-link a").get_attribute("href") == "#cause-1"
        assert page.locator(f"#finding-{by_line[27].fingerprint} .cause-link").count() == 0
        page.screenshot(path=str(tmp_path / "root-causes.png"), full_page=True)

        # A link from a root cause to a finding whose group was closed opens it, clear of the bar.
        page.locator("#item-async-io > summary").click()
        assert not page.locator("#item-async-io").evaluate("details => details.open")
        links.nth(1).click()
        assert page.locator("#item-async-io").evaluate("details => details.open")
        assert_clear_of_the_filter_bar(page, f"#finding-{by_line[17].fingerprint}")

        # The filter by rule: counts, and the root causes of the rule's findings only.
        assert page.locator("#filter-rule option").all_inner_texts() == [
            "all rules", "RVW401 blocking-call-in-async (1)", "RVW403 blocking-call-chain (3)",
        ]
        page.locator("#filter-rule").select_option("RVW401")
        assert page.locator("#shown").inner_text() == "1"
        assert page.locator("#item-async-io .count").inner_text() == "1 of 4"
        assert page.locator("#root-causes").is_hidden()
        page.locator("#filter-rule").select_option("RVW403")
        assert page.locator("#shown").inner_text() == "3"
        shown_codes = page.locator(".finding:visible").evaluate_all("cards => cards.map(c => c.dataset.code)")
        assert shown_codes == ["RVW403"] * 3
        assert page.locator("#root-causes").is_visible()

        # A finding's rule link opens the rule's group, below the bar.
        page.locator("#filter-rule").select_option("")
        page.locator(f"#finding-{by_line[27].fingerprint} a.rule").click()
        assert page.evaluate("location.hash") == "#rule-RVW401"
        assert page.locator("#rule-RVW401").evaluate("details => details.open")
        assert_clear_of_the_filter_bar(page, "#rule-RVW401 h4")
        page.screenshot(path=str(tmp_path / "rule-jump.png"))
        # So does a checklist row's rule link.
        page.locator("table.checklist a.rule-link[href='#rule-RVW403']").click()
        assert page.locator("#rule-RVW403").evaluate("details => details.open")
        assert_clear_of_the_filter_bar(page, "#rule-RVW403 h4")
        # From a rule's group, its findings alone are one click away.
        page.locator("#rule-RVW403 button.show-rule").click()
        assert page.locator("#filter-rule").input_value() == "RVW403"
        assert page.locator("#shown").inner_text() == "3"
        # A checklist row's finding count opens the item's group, resetting filters that hid it.
        page.locator("#item-async-io > summary").click()
        page.locator("#filter-rule").select_option("RVW401")
        page.locator("input[name=severity][value=error]").uncheck()
        assert page.locator("#item-async-io").is_hidden()
        page.locator("table.checklist a.show-item").click()
        assert page.locator("#item-async-io").evaluate("details => details.open")
        assert page.locator("#shown").inner_text() == "4"
        assert_clear_of_the_filter_bar(page, "#item-async-io h3")


def test_root_causes_group_findings_by_the_last_place_of_their_chain(tmp_path: Path) -> None:
    run = chain_run(tmp_path / "project")
    health = run.findings[-1]
    # A finding without a chain is its own root: another one on its line shares it.
    twin = dataclasses.replace(health, code="RVW402", message="`time.sleep` again", fingerprint="f" * 32)
    run = dataclasses.replace(run, findings=[*run.findings, twin])
    sources = html._Sources(run)
    entries = html.entries_of(run, sources)
    causes = html.root_causes(entries, sources)
    assert [(c.anchor, c.path, c.span.line, c.code, c.note, c.findings) for c in causes] == [
        ("cause-1", "app/clients.py", 5, "requests.get(url, timeout=5)", REQUESTS_GET.message, 3),
        ("cause-2", "app/api.py", 27, "time.sleep(1)", "", 2),
    ]
    assert [entry.finding.span.line for entry in causes[0].entries] == [12, 17, 22]
    assert [entry.finding.code for entry in causes[1].entries] == ["RVW401", "RVW402"]
    assert all(entry.cause is cause for cause in causes for entry in cause.entries)
    page = html.render(run, RenderOptions())
    assert (
        'Fix <code>requests.get(url, timeout=5)</code> (<span class="path">app/clients.py</span>:5): '
        "<strong>3 findings go away</strong>"
    ) in page
    assert page.index('id="root-causes"') < page.index('id="view-item"')


def test_a_lone_chain_is_no_root_cause(tmp_path: Path) -> None:
    run = chain_run(tmp_path / "project")
    run = dataclasses.replace(run, findings=[f for f in run.findings if f.span.line in (17, 27)])
    page = html.render(run, RenderOptions())
    assert 'id="root-causes"' not in page and 'class="cause-link"' not in page
    assert "app/clients.py</span>:9</span> <code>fetch_json</code> calls <code>fetch</code> here" in page


def test_secrets_never_appear_in_code_excerpts(tmp_path: Path) -> None:
    token = "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"
    dsn_password = "Rp7-xK2m-Q9vL"
    source = (
        "from pydantic_settings import BaseSettings\n\n\n"
        "class Settings(BaseSettings):\n"
        f'    stripe_api_key: str = "{token}"\n'
        f'    reporting_url: str = "postgresql://reporting:{dsn_password}@db.internal:5432/dw"\n'
        '    project_name: str = "orders"\n'
        f'    legacy_key = "{token}"  # rotated in March\n'
    )
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "config.py").write_text(source)
    run = engine.run([tmp_path], Config(), RULES, jobs=1, use_cache=False, cwd=tmp_path)
    assert {f.code for f in run.findings} >= {"RVW101", "RVW104"}
    page = html.render(run, RenderOptions())
    assert "stripe_api_key" in page and "project_name" in page, "the excerpt is shown, only the secrets are masked"
    assert token not in page and token[8:] not in page
    assert dsn_password not in page
    # Only the secret's characters are starred, beyond the head a mask shows: the quotes, the
    # rest of the URL and a comment after the value stay readable.
    shown = html._Sources(run).shown_line
    assert shown("app/config.py", 5) == f'    stripe_api_key: str = "sk_l{"*" * (len(token) - 4)}"'
    assert shown("app/config.py", 6) == '    reporting_url: str = "postgresql://reporting:Rp7**********@db.internal:5432/dw"'
    assert shown("app/config.py", 8) == f'    legacy_key = "sk_l{"*" * (len(token) - 4)}"  # rotated in March'


def test_a_secret_too_short_to_find_by_value_is_starred_inside_its_quotes(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "db.py").write_text('DATABASE_URL = "postgresql://admin:x9Q@db.internal/orders"  # primary\n')
    run = engine.run([tmp_path], Config(), RULES, jobs=1, use_cache=False, cwd=tmp_path)
    assert [f.code for f in run.findings] == ["RVW104"]
    body = "postgresql://admin:x9Q@db.internal/orders"
    assert html._Sources(run).shown_line("app/db.py", 1) == f'DATABASE_URL = "post{"*" * (len(body) - 4)}"  # primary'
