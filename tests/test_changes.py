"""Pull-request mode (`--diff-base`): only findings whose evidence a change touches, on synthetic
git histories."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from reviewer.changes import parse_diff

ROUTE = """\
from fastapi import APIRouter

from app.services import render_invoice

router = APIRouter()


@router.get("/invoices/{invoice_id}")
async def get_invoice(invoice_id: int):
    return render_invoice(invoice_id)
"""
SERVICES = """\
def render_invoice(invoice_id):
    return f"invoice {invoice_id}"
"""
SERVICES_BLOCKING = """\
from pathlib import Path

TEMPLATES = Path("templates")


def render_invoice(invoice_id):
    template = (TEMPLATES / "invoice.html").read_text()
    return template.format(id=invoice_id)
"""
LEGACY = """\
import time


async def poll():
    time.sleep(5)
"""
BODIES = """\
from fastapi import FastAPI

app = FastAPI()


@app.post("/orders")
async def create_order(body: dict):
    return {"created": body}


@app.post("/refunds")
async def create_refund(body: dict):
    return {"refunded": body}
"""


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
        "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
    }
    result = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)
    return result.stdout


@pytest.fixture
def repo(tmp_path: Path, write):
    """A repository whose `main` holds the files given, checked out on a `feature` branch."""

    def _repo(files: dict[str, str]) -> Path:
        git(tmp_path, "init", "-q", "-b", "main")
        write(files)
        git(tmp_path, "add", "-A")
        git(tmp_path, "commit", "-q", "-m", "base")
        git(tmp_path, "checkout", "-q", "-b", "feature")
        return tmp_path

    return _repo


def commit(repo_dir: Path, write, files: dict[str, str]) -> None:
    write(files)
    git(repo_dir, "add", "-A")
    git(repo_dir, "commit", "-q", "-m", "change")


def review(cli, *args: str) -> tuple[int, dict]:
    # Narrowing to a change is about the chains and lines it touches, not every item's rules.
    code, out, err = cli("check", "--no-cache", "-j", "1", "--format", "json", "--select", "async-io", *args)
    assert code in (0, 1), err
    return code, json.loads(out)


def test_a_chain_whose_blocking_hop_changed_is_reported_and_untouched_files_are_not(repo, write, cli) -> None:
    base = {"app/__init__.py": "", "app/api.py": ROUTE, "app/services.py": SERVICES, "app/legacy.py": LEGACY}
    repo_dir = repo(base)
    commit(repo_dir, write, {"app/services.py": SERVICES_BLOCKING})
    full_code, full = review(cli)
    assert full_code == 1
    assert sorted((f["code"], f["path"]) for f in full["findings"]) == [
        ("RVW401", "app/legacy.py"), ("RVW403", "app/api.py")
    ]
    code, report = review(cli, "--diff-base", "main")
    assert code == 1
    (finding,) = report["findings"]
    assert (finding["code"], finding["path"], finding["line"]) == ("RVW403", "app/api.py", 10)
    assert [place["path"] for place in finding["related"]] == ["app/services.py"]
    assert report["outcome"]["headline"] == "1 checklist item failing in this change"
    items = {item["id"]: item for item in report["checklist"]}
    assert items["async-io"]["verdict"] == "fail"
    assert items["async-io"]["note"] == "1 finding in this change; 1 more in unchanged code"
    merge_base = git(repo_dir, "rev-parse", "main").strip()
    assert report["change"] == {
        "base": "main", "merge_base": merge_base, "changed_files": 1, "findings_outside": 1
    }
    code, out, _ = cli("check", "--no-cache", "-j", "1", "--diff-base", "main")
    assert code == 1
    assert out.splitlines()[-1].startswith("FAIL: 1 checklist item failing in this change;")
    assert "1 finding in this change; 1 more in unchanged code" in out
    assert "app/legacy.py" not in out


def test_findings_outside_the_change_leave_the_run_passing(repo, write, cli) -> None:
    repo_dir = repo({"app/__init__.py": "", "app/legacy.py": LEGACY, "app/other.py": "x = 1\n"})
    commit(repo_dir, write, {"app/other.py": "x = 2\n"})
    code, report = review(cli, "--diff-base", "main")
    assert (code, report["findings"], report["outcome"]["state"]) == (0, [], "pass")
    assert report["outcome"]["headline"] == "no failing checklist item in this change"
    items = {item["id"]: item for item in report["checklist"]}
    assert items["async-io"]["verdict"] == "pass"
    assert items["async-io"]["note"] == "nothing in this change; 1 in unchanged code"
    code, out, _ = cli("check", "--no-cache", "-j", "1", "--diff-base", "main", "--format", "markdown")
    assert code == 0 and out.startswith("## Backend review: ✅ no failing checklist item in this change")


def test_a_finding_on_an_unchanged_def_line_is_reported_when_its_body_changed(repo, write, cli) -> None:
    repo_dir = repo({"app.py": BODIES})
    commit(repo_dir, write, {"app.py": BODIES.replace(
        '    return {"created": body}\n', '    order = {"created": body}\n    return order\n'
    )})
    _, full = review(cli, "--select", "RVW301")
    assert [f["line"] for f in full["findings"]] == [7, 13]
    _, report = review(cli, "--select", "RVW301", "--diff-base", "main")
    assert [(f["code"], f["line"]) for f in report["findings"]] == [("RVW301", 7)]


def test_a_removed_line_changes_the_body_around_it(repo, write, cli) -> None:
    repo_dir = repo({"app.py": BODIES.replace('    return {"refunded": body}\n',
                                              '    audit = None\n    return {"refunded": body}\n')})
    commit(repo_dir, write, {"app.py": BODIES})
    assert git(repo_dir, "diff", "--unified=0", "main").count("\n+") == 1, "a pure removal: no line added"
    _, report = review(cli, "--select", "RVW301", "--diff-base", "main")
    assert [f["line"] for f in report["findings"]] == [12]


def test_uncommitted_and_untracked_changes_are_part_of_the_change(repo, write, cli) -> None:
    repo({"app/__init__.py": "", "app/legacy.py": LEGACY, "app/api.py": "x = 1\n"})
    write({"app/api.py": "import time\n\n\nasync def ping():\n    time.sleep(1)\n", "app/new.py": LEGACY})
    _, report = review(cli, "--diff-base", "main")
    assert sorted(f["path"] for f in report["findings"]) == ["app/api.py", "app/new.py"]


def test_a_review_started_in_a_subdirectory_maps_paths_to_the_repository(repo, write, cli, monkeypatch,
                                                                          tmp_path: Path) -> None:
    repo_dir = repo({"backend/app.py": "x = 1\n", "backend/legacy.py": LEGACY})
    commit(repo_dir, write, {"backend/app.py": LEGACY})
    monkeypatch.chdir(tmp_path / "backend")
    _, report = review(cli, "--diff-base", "main")
    assert [f["path"] for f in report["findings"]] == ["app.py"]


def test_bad_revisions_and_missing_repositories_are_usage_errors(repo, write, cli, tmp_path: Path) -> None:
    write({"outside/app.py": LEGACY})
    code, _, err = cli("check", "outside", "--no-cache", "--diff-base", "main")
    if code == 2 and "not inside a git repository" not in err:
        pytest.skip("the temporary directory lies inside a git repository")
    assert code == 2 and "is not inside a git repository" in err
    repo({"app.py": LEGACY})
    code, _, err = cli("check", "app.py", "--no-cache", "--diff-base", "origin/nope")
    assert code == 2 and "--diff-base origin/nope: no such commit" in err and "fetch-depth: 0" in err
    code, _, err = cli("check", "app.py", "--no-cache", "--diff-base", "--upload-pack=evil")
    assert code == 2 and "not a git revision" in err


def test_parse_diff_reads_hunks_by_their_counts() -> None:
    diff = b"\n".join([
        b"diff --git a/app.py b/app.py",
        b"--- a/app.py",
        b"+++ b/app.py",
        b"@@ -3,0 +4,2 @@ def f():",
        b"+++ not a header",
        b"+x = 1",
        b"@@ -10 +11,0 @@",
        b"-gone = True",
        b'diff --git "a/caf\\303\\251.py" "b/caf\\303\\251.py"',
        b'+++ "b/caf\\303\\251.py"',
        b"@@ -1 +1 @@",
        b"-a",
        b"+b",
        b"\\ No newline at end of file",
        b"diff --git a/old.py b/old.py",
        b"deleted file mode 100644",
        b"+++ /dev/null",
        b"@@ -1 +0,0 @@",
        b"-x",
        b"",
    ])
    changes = dict(parse_diff(diff))
    assert set(changes) == {"app.py", "café.py"}
    assert changes["app.py"].added == [4, 5] and changes["app.py"].removed_after == [11]
    assert changes["app.py"].touches(5, 5) and changes["app.py"].touches(11, 12)
    assert not changes["app.py"].touches(6, 11) and not changes["app.py"].touches(12, 20)
    assert changes["café.py"].added == [1]




def test_fixes_in_pull_request_mode_narrow_by_the_change_as_the_fixed_files_are(repo, write, cli) -> None:
    legacy = "async def legacy(url):\n    return requests.get(url)\n"
    before = f"import requests\n\n\n{legacy}async def poll():\n    pass\n"
    repo_dir = repo({"app/__init__.py": "", "app/jobs.py": before})
    commit(repo_dir, write, {"app/jobs.py": (
        f"import time\n\nimport requests\n\n\n{legacy}async def poll(delay):\n    time.sleep(delay)\n"
    )})
    code, out, err = cli("check", "--no-cache", "-j", "1", "--select", "RVW401", "--diff-base", "main", "--fix",
                         "--format", "json")
    assert "await asyncio.sleep(delay)" in (repo_dir / "app" / "jobs.py").read_text()
    # `import asyncio` moved `legacy`, which the change did not touch, onto a line that the change
    # rewrote before the fix: the change is read again from the files as they are fixed.
    assert (code, json.loads(out)["findings"]) == (0, []), err
