"""The baseline: `reviewer baseline` records today's findings, `reviewer check --baseline` reports
only new ones, whatever moved, was inserted above or was reformatted since."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from reviewer.baseline import Baseline
from reviewer.outline import Outline

SECRET = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"

ORDERS = f"""\
import time

import requests
from fastapi import FastAPI

app = FastAPI()
PAYMENT_API_KEY = '{SECRET}'


@app.get('/orders/{{order_id}}')
async def get_order(order_id: int):
    response = requests.get('https://billing.example/orders', params={{'id': order_id, 'expand': 'lines'}}, timeout=5)
    time.sleep(1)
    return response.json()
"""

# The same module after a refactoring that changes no finding: lines inserted above, a new route
# above the old one (which moved down), and the formatting `ruff format` gives (double quotes, the
# long call wrapped one argument a line with a trailing comma).
ORDERS_MOVED_AND_REFORMATTED = f"""\
\"\"\"Orders: reading them, and their invoices.\"\"\"

import logging
import time

import requests
from fastapi import FastAPI

log = logging.getLogger(__name__)
app = FastAPI()
PAYMENT_API_KEY = "{SECRET}"


@app.get("/health")
async def health():
    return {{"ok": True}}


@app.get("/orders/{{order_id}}")
async def get_order(order_id: int):
    # the billing service owns orders
    response = requests.get(
        "https://billing.example/orders",
        params={{"id": order_id, "expand": "lines"}},
        timeout=5,
    )
    time.sleep(1)
    return response.json()
"""


def record(cli, *args: str) -> bytes:
    code, _, err = cli("baseline", "--no-cache", "-j", "1", *args)
    assert code == 0, err
    return Path("reviewer-baseline.json").read_bytes()


def check(cli, *args: str) -> tuple[int, dict]:
    code, out, err = cli("check", "--no-cache", "-j", "1", "--format", "json", "--baseline", "reviewer-baseline.json",
                         *args)
    assert code in (0, 1), err
    return code, json.loads(out)


def test_a_baselined_review_passes_and_the_checklist_says_how_many_were_baselined(write, cli) -> None:
    write({"app/orders.py": ORDERS})
    assert cli("check", "--no-cache", "-j", "1")[0] == 1
    record(cli)
    code, report = check(cli)
    assert code == 0 and report["findings"] == []
    assert report["outcome"]["state"] == "pass"
    items = {item["id"]: item for item in report["checklist"]}
    assert items["async-io"]["verdict"] == "pass" and items["async-io"]["note"] == "2 baselined"
    assert items["secrets-not-hardcoded"]["note"] == "1 baselined"
    assert report["baseline"] == {"file": "reviewer-baseline.json", "entries": 4, "baselined": 4, "stale": []}
    code, out, _ = cli("check", "--no-cache", "-j", "1", "--baseline", "reviewer-baseline.json")
    assert code == 0
    assert "async-io" in out and "2 baselined" in out
    assert out.splitlines()[-1].startswith("PASS: no failing checklist item;") and "; 4 baselined" in out


def test_inserting_lines_moving_and_reformatting_leave_the_baseline_as_it_was(write, cli, tmp_path: Path) -> None:
    write({"app/orders.py": ORDERS})
    recorded = record(cli)
    write({"app/orders.py": ORDERS_MOVED_AND_REFORMATTED})
    code, report = check(cli)
    assert (code, report["findings"], report["baseline"]["stale"]) == (0, [], [])
    assert record(cli) == recorded, "re-recording the refactored code gives the same bytes"


def test_an_editor_buffer_on_standard_input_is_matched_by_its_own_text(write, cli) -> None:
    """The file on disk is not what was reviewed: the baseline keys the text read from `-`."""
    from click.testing import CliRunner

    from reviewer.cli import main

    write({"app/orders.py": ORDERS})
    record(cli)
    args = ["check", "-", "--stdin-filename", "app/orders.py", "--baseline", "reviewer-baseline.json", "-j", "1",
            "--format", "json"]
    result = CliRunner().invoke(main, args, input=ORDERS_MOVED_AND_REFORMATTED.encode(), catch_exceptions=False)
    report = json.loads(result.stdout)
    assert (result.exit_code, report["findings"], report["baseline"]["baselined"]) == (0, [], 4)
    edited = ORDERS_MOVED_AND_REFORMATTED.replace("time.sleep(1)", "time.sleep(1)\n    time.sleep(2)")
    result = CliRunner().invoke(main, args, input=edited.encode(), catch_exceptions=False)
    assert [(f["code"], f["line"]) for f in json.loads(result.stdout)["findings"]] == [("RVW401", 28)]


def test_ruff_format_leaves_the_baseline_as_it_was(write, cli, tmp_path: Path) -> None:
    write({"app/orders.py": ORDERS.replace("time.sleep(1)", "time.sleep(1,)")})
    recorded = record(cli)
    formatted = subprocess.run([sys.executable, "-m", "ruff", "format", "--no-cache", "app/orders.py"],
                               capture_output=True, text=True, cwd=tmp_path)
    if formatted.returncode != 0 and "No module named ruff" in formatted.stderr:
        pytest.skip("ruff is not installed")
    assert formatted.returncode == 0, formatted.stderr
    text = (tmp_path / "app/orders.py").read_text(encoding="utf-8")
    assert "'" not in text and "timeout=5,\n" in text, "ruff changed the quotes and wrapped the call"
    assert check(cli)[1]["findings"] == []
    assert record(cli) == recorded


def test_a_second_copy_of_a_baselined_defect_is_new(write, cli) -> None:
    write({"app/orders.py": ORDERS})
    record(cli)
    write({"app/orders.py": ORDERS.replace("    time.sleep(1)\n", "    time.sleep(1)\n    time.sleep(1)\n")})
    code, report = check(cli)
    assert code == 1
    assert [(f["code"], f["line"]) for f in report["findings"]] == [("RVW401", 14)]
    assert {item["id"]: item["note"] for item in report["checklist"]}["async-io"] == "1 finding; 2 baselined"
    # The same defect in another function is new too: the function is part of what was recorded.
    write({"app/orders.py": ORDERS + "\n\nasync def refresh():\n    time.sleep(1)\n"})
    code, report = check(cli)
    assert [(f["code"], f["line"]) for f in report["findings"]] == [("RVW401", 18)]


def test_fixed_findings_are_reported_stale_and_dropped_by_update(write, cli) -> None:
    write({"app/orders.py": ORDERS})
    record(cli)
    write({"app/orders.py": ORDERS.replace("    time.sleep(1)\n", "")})
    code, report = check(cli)
    assert code == 0 and report["findings"] == []
    (stale,) = report["baseline"]["stale"]
    assert (stale["path"], stale["scope"], stale["code"], stale["count"]) == ("app/orders.py", "get_order", "RVW401", 1)
    _, out, _ = cli("check", "--no-cache", "-j", "1", "--baseline", "reviewer-baseline.json")
    assert (
        "Baseline reviewer-baseline.json: 3 findings baselined; 1 recorded finding no longer found (fixed): "
        "`reviewer baseline --update reviewer-baseline.json` drops it"
    ) in out
    assert "; 3 baselined (1 stale)" in out.splitlines()[-1]

    code, _, err = cli("baseline", "--no-cache", "-j", "1", "--update", "reviewer-baseline.json")
    assert code == 0 and "dropped 1 fixed finding; 3 remain in reviewer-baseline.json" in err
    entries = json.loads(Path("reviewer-baseline.json").read_text())["findings"]
    assert sorted(e["code"] for e in entries) == ["RVW101", "RVW401", "RVW951"]
    assert check(cli)[1]["baseline"]["stale"] == []


def test_update_adds_no_new_finding_and_keeps_entries_it_did_not_review(write, cli) -> None:
    write({"app/orders.py": ORDERS, "worker/jobs.py": "import time\n\n\nasync def poll():\n    time.sleep(5)\n"})
    record(cli)
    before = json.loads(Path("reviewer-baseline.json").read_text())["findings"]
    write({"app/orders.py": ORDERS.replace("    time.sleep(1)\n", "    time.sleep(1)\n    time.sleep(2)\n")})
    code, _, err = cli("baseline", "app", "--no-cache", "-j", "1", "--update", "reviewer-baseline.json")
    assert code == 0 and "dropped 0 fixed findings; 5 remain" in err
    assert json.loads(Path("reviewer-baseline.json").read_text())["findings"] == before
    assert check(cli)[0] == 1, "the new sleep was not absorbed by the update"


def test_the_file_is_sorted_stable_and_holds_no_secret(write, cli) -> None:
    write({"app/orders.py": ORDERS, "app/settings.py": f'DATABASE_URL = "postgresql://app:{SECRET}@db/app"\n'})
    first = record(cli)
    assert record(cli) == first
    code, _, err = cli("baseline", "--no-cache", "-j", "2", "-o", "again.json")
    assert code == 0, err
    assert Path("again.json").read_bytes() == first
    text = first.decode("ascii")
    for piece in (SECRET, SECRET[8:], SECRET[-10:]):
        assert piece not in text
    document = json.loads(text)
    assert document["version"] == 1
    rows = [(e["path"], e["scope"], e["code"], e["statement"]) for e in document["findings"]]
    assert rows == sorted(rows) and len(rows) == len(set(rows))
    assert {"RVW101", "RVW104"} <= {e["code"] for e in document["findings"]}
    assert len(text.splitlines()) == len(rows) + 5, "one entry a line"


def test_the_configured_baseline_is_relative_to_the_configuration_file(write, cli) -> None:
    write({
        "backend/pyproject.toml": '[tool.reviewer]\nbaseline = "ci/reviewer-baseline.json"\n',
        "backend/app/orders.py": ORDERS,
        "backend/ci/.keep": "",
    })
    code, _, err = cli("baseline", "backend", "--no-cache", "-j", "1")
    assert code == 0, err
    assert Path("backend/ci/reviewer-baseline.json").is_file()
    code, out, err = cli("check", "backend", "--no-cache", "-j", "1")
    assert code == 0, out + err
    assert "4 baselined" in out
    assert cli("check", "backend", "--no-cache", "-j", "1", "--no-baseline")[0] == 1


def test_paths_in_the_baseline_are_from_the_repository_top(write, cli, monkeypatch: pytest.MonkeyPatch,
                                                           tmp_path: Path) -> None:
    write({"backend/app/orders.py": ORDERS, ".git/HEAD": "ref: refs/heads/main\n"})
    record(cli, "backend")
    monkeypatch.chdir(tmp_path / "backend")
    code, out, err = cli("check", "--no-cache", "-j", "1", "--baseline", "../reviewer-baseline.json")
    assert code == 0, out + err


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "baseline file not found"),
        ("{not json", "not a baseline file: invalid JSON at line 1 column 2"),
        ('{"version": 2, "findings": []}', "unsupported version 2"),
        ('{"version": 1, "findings": [{"path": "a.py"}]}', "findings[0].scope: expected a string"),
        ('{"version": 1, "findings": [{"path": "a.py", "scope": "", "code": "RVW401", "statement": "ab", '
         '"count": 0}]}', "findings[0].count: expected a positive integer"),
        ("[]", "expected a JSON object"),
    ],
)
def test_a_missing_or_malformed_baseline_is_a_usage_error(write, cli, content: str | None, problem: str) -> None:
    write({"app/orders.py": ORDERS})
    if content is not None:
        write({"reviewer-baseline.json": content})
    code, _, err = cli("check", "--no-cache", "--baseline", "reviewer-baseline.json")
    assert code == 2 and "reviewer-baseline.json" in err and problem in err, err
    code, _, err = cli("baseline", "--no-cache", "--update", "reviewer-baseline.json")
    assert code == 2 and problem in err, err


def test_a_configured_baseline_that_is_not_a_path_is_a_configuration_error(write, cli) -> None:
    write({"pyproject.toml": "[tool.reviewer]\nbaseline = 3\n", "app.py": "x = 1\n"})
    code, _, err = cli("check", "--no-cache")
    assert code == 2 and "tool.reviewer.baseline: expected the path of a baseline file" in err


def test_statements_are_keyed_by_form_not_by_formatting() -> None:
    one = Outline(["class Api:", "    def get(self):", "        return call('a', b=[1, 2,],)"])
    two = Outline(["class Api:", "", "    def get(self):", "        # comment", "        return call(",
                   '            "a",', "            b=[1, 2],", "        )"])
    assert one.key(3, 3) == two.key(5, 8) and one.key(3, 3)[0] == "Api.get"
    assert one.key(2, 2) == two.key(3, 3) and one.key(2, 2)[0] == "Api"
    assert one.key(3, 3) != Outline(["class Api:", "    def get(self):", "        return call('b')"]).key(3, 3)
    # Syntax this Python cannot parse is read by indentation and keyed by its squeezed text.
    newer = Outline(["class Api[T]:", "    def get(self):", "        return call('a', b=[1, 2,],)"])
    assert not newer.parsed and newer.key(3, 3)[0] == "Api.get" and newer.function(3, 3) == (2, 3)


def test_baseline_render_round_trips(tmp_path: Path) -> None:
    empty = Baseline(Counter())
    assert empty.render() == '{\n  "version": 1,\n  "findings": []\n}\n'
    (tmp_path / "b.json").write_text(empty.render())
    assert Baseline.load(tmp_path / "b.json").entries == empty.entries
