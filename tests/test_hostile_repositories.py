"""A reviewed repository is untrusted input: what a hostile pull request must not be able to make
the reviewer do. Each test is built from a reproduction of a defect found by probing the reviewer
as a CI job: print a secret, inject a workflow command or a terminal escape, misplace a
suppression or an excerpt's masking, crash, hang, write outside the tree, or lose a file."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reviewer import engine
from reviewer.config import Config
from reviewer.registry import load_rules
from reviewer.reporters import RenderOptions, reporters
from reviewer.rule import Rule

TOKEN = "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
FORMATS = ("text", "json", "sarif", "github", "markdown", "html")


def leaked_fragments(text: str, secret: str = TOKEN, shortest: int = 8) -> set[str]:
    """Pieces of `secret` of `shortest` characters or more that appear in `text`."""
    return {secret[i : i + shortest] for i in range(len(secret) - shortest + 1) if secret[i : i + shortest] in text}


def every_report(cli, *args: str) -> dict[str, str]:
    outputs = {}
    for report_format in FORMATS:
        code, out, err = cli("check", "--no-cache", "--format", report_format, *args)
        assert code in (0, 1), err
        outputs[report_format] = out + err
    return outputs


# --- secrets are printed by no rule, in no format ---------------------------------------------

QUOTING_RULES = f'''\
import asyncio
import time
from typing import Annotated

from fastapi import Body, FastAPI
from sqlalchemy import text

app = FastAPI()


@app.post("/items")
async def create(payload: Annotated[dict, Body(description="{TOKEN}")]):
    time.sleep(len("{TOKEN}"))
    return payload


def find(session, name):
    return session.execute(text(f"SELECT id FROM users WHERE name = '{{name.replace('x', '{TOKEN}')}}'"))
'''


def test_a_secret_quoted_by_other_rules_is_masked_in_every_format(write, cli, monkeypatch, tmp_path) -> None:
    write({"app/main.py": QUOTING_RULES})
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    outputs = every_report(cli, "app")
    _, out, _ = cli("check", "--no-cache", "--format", "json", "app")
    found = {(f["code"], f["line"]) for f in json.loads(out)["findings"]}
    assert {("RVW301", 12), ("RVW401", 13), ("RVW201", 18)} <= found, "the quoting rules still report"
    fix = next(f["fix"] for f in json.loads(out)["findings"] if f["code"] == "RVW401")
    assert fix is not None and "ghp_****" in fix["edits"][0]["replacement"]
    outputs["step-summary"] = (tmp_path / "summary.md").read_text(encoding="utf-8")
    for name, output in outputs.items():
        assert leaked_fragments(output) == set(), name
        assert "ghp_****" in output, name


def test_a_suppressed_secret_is_still_masked_where_other_rules_quote_it(write, cli) -> None:
    source = QUOTING_RULES.replace(
        'Body(description="', "Body(  # reviewer: ignore[RVW101]\n        description=\""
    )
    write({"app/main.py": source})
    for name, output in every_report(cli, "app").items():
        assert leaked_fragments(output) == set(), name


def test_no_secret_value_is_written_to_the_cache_free_reports_of_a_warm_run(write, cli) -> None:
    write({"app/main.py": QUOTING_RULES})
    cli("check", "app")
    code, out, _ = cli("check", "--format", "json", "app")
    assert code == 1 and leaked_fragments(out) == set() and "ghp_****" in out


# --- HTML excerpts mask by the analysis's own lines, and by value ------------------------------


def html_page(write, cli, files: dict[str, str | bytes]) -> str:
    root = write(files)
    code, _, err = cli("check", "--no-cache", "--format", "html", "-o", "review.html", ".")
    assert code == 1, err
    return (root / "review.html").read_text(encoding="utf-8")


def test_html_masks_the_secret_after_a_form_feed(write, cli) -> None:
    page = html_page(write, cli, {"app/keys.py": f'A = 1  # page\fbreak\n\f\nC = 3\nTOKEN = "{TOKEN}"\nD = 4\n'})
    assert leaked_fragments(page) == set()


def test_html_masks_the_secret_in_a_latin1_file(write, cli) -> None:
    source = f'# -*- coding: latin-1 -*-\nLABEL = "Ã©"; TOKEN = "{TOKEN}"\n'.encode("latin-1")
    page = html_page(write, cli, {"app/keys.py": source})
    assert leaked_fragments(page) == set()
    assert "Ã©" in page, "the excerpt is decoded as the review decoded it"


def test_html_masks_the_same_value_on_a_nearby_line(write, cli) -> None:
    page = html_page(write, cli, {"app/keys.py": f'# the old one was {TOKEN}\nTOKEN = "{TOKEN}"\n'})
    assert leaked_fragments(page) == set()


def test_html_does_not_excerpt_a_file_changed_since_the_review(write, tmp_path, monkeypatch) -> None:
    write({"app/keys.py": f'TOKEN = "{TOKEN}"\n'})
    monkeypatch.chdir(tmp_path)
    run = engine.run([Path("app")], Config(), load_rules(), jobs=1, use_cache=False)
    (tmp_path / "app" / "keys.py").write_text(f'NEW = "{TOKEN[::-1]}"\nTOKEN = "{TOKEN}"\n', encoding="utf-8")
    page = reporters()["html"](run, RenderOptions())
    assert "the file has changed since it was reviewed" in page
    assert leaked_fragments(page, TOKEN[::-1]) == set()


# --- one line table: suppressions -------------------------------------------------------------


def test_suppressions_count_lines_as_the_parser_does(write, check_json) -> None:
    write({
        "app/keys.py": (
            "\f\n"
            "B = 2  # reviewer: ignore\n"
            f'TOKEN = "{TOKEN}"\n'
            "C = 3  # one\fpage\n"
            f'OTHER = "{TOKEN[:-4]}WXYZ"  # reviewer: ignore[RVW101]\n'
        )
    })
    _, report = check_json(".")
    assert report["errors"] == []
    assert [(f["code"], f["line"]) for f in report["findings"]] == [("RVW101", 3)]


def test_lines_are_counted_alike_for_every_line_ending(write, check_json) -> None:
    write({"cr.py": "A = 1\rB = 2\r", "crlf.py": "A = 1\r\nB = 2\r\n", "ff.py": "A = 1  # \f\n\fB = 2\n"})
    _, report = check_json(".")
    assert report["errors"] == []
    assert report["lines_scanned"] == 6


# --- output cannot inject workflow commands or terminal escapes -------------------------------

HOSTILE_NAME = "::error title=pwned::gotcha\x1b]8;;x\x07\x1b[31m.py"


def test_text_report_escapes_control_characters_in_names_and_messages(write, cli) -> None:
    write({HOSTILE_NAME: "from fastapi import FastAPI\napp = FastAPI(debug=True)\n"})
    _, out, err = cli("check", "--no-cache", "--format", "text", ".")
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert "\\x1b]8;;x\\x07\\x1b[31m.py:2:" in out


def test_markdown_report_escapes_control_characters(write, cli) -> None:
    write({HOSTILE_NAME: "from fastapi import FastAPI\napp = FastAPI(debug=True)\n"})
    _, out, _ = cli("check", "--no-cache", "--format", "markdown", ".")
    assert "\x1b" not in out and "\x07" not in out


def test_a_configuration_key_cannot_inject_a_line_into_stderr(write, cli) -> None:
    write({"pyproject.toml": '[tool.reviewer]\n"x\\n::error::injected" = 1\n', "app.py": "A = 1\n"})
    code, out, err = cli("check", ".")
    assert code == 2
    assert "configuration error" in err
    assert all(not line.startswith("::") for line in (out + err).splitlines())
    assert "\\n::error::injected" in err


@pytest.mark.parametrize("character", ["\u202e", "\u2028", "\x85", "\r"])
def test_other_line_breaking_and_reordering_characters_are_escaped(write, cli, character: str) -> None:
    write({f"a{character}b.py": "from fastapi import FastAPI\napp = FastAPI(debug=True)\n"})
    _, out, _ = cli("check", "--no-cache", "--format", "text", ".")
    assert character not in out
    assert re.search(r"a\\(?:u202e|u2028|x85|r)b\.py:2:", out)


# --- crashes: every bad input is an error entry or a usage error, never a traceback -----------

DEBUG_APP = "from fastapi import FastAPI\napp = FastAPI(debug=True)\n"


def test_a_file_name_that_is_not_utf8_is_reported_in_every_format(write, cli, tmp_path) -> None:
    (tmp_path / os.fsdecode(b"\xff\xfe.py")).write_text(DEBUG_APP, encoding="utf-8")
    for report_format in FORMATS:
        code, out, err = cli("check", "--no-cache", "--format", report_format, ".")
        assert code == 1, (report_format, err)
        code, _, err = cli("check", "--no-cache", "--format", report_format, "-o", f"report.{report_format}", ".")
        assert code == 1, (report_format, err)
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert [(f["path"], f["code"]) for f in report["findings"]] == [("\udcff\udcfe.py", "RVW501")]
    sarif = json.loads((tmp_path / "report.sarif").read_text(encoding="utf-8"))
    assert sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "%FF%FE.py"


def test_lone_surrogates_in_string_literals_are_reported_in_every_format(write, cli) -> None:
    write({"app/settings.py": 'PASSWORD = "\\ud800\\udcffS3cr3t-passw0rd-2024"\nNAME = "\\udcff"\n' + DEBUG_APP})
    for report_format in FORMATS:
        code, _, err = cli("check", "--no-cache", "--format", report_format, "-o", f"report.{report_format}", ".")
        assert code == 1, (report_format, err)


@pytest.mark.parametrize(
    ("files", "arguments", "named"),
    [
        ({}, ["--exclude", "[z-a]"], "--exclude"),
        ({"pyproject.toml": "[tool.reviewer]\nexclude = ['[z-a]']\n"}, [], "tool.reviewer.exclude"),
        ({"pyproject.toml": "[tool.reviewer.per-file-ignores]\n'\\' = ['RVW5']\n"}, [], "per-file-ignores"),
        ({"pyproject.toml": "[tool.reviewer]\nx = " + "[" * 5000 + "]" * 5000 + "\n"}, [], "nested too deeply"),
    ],
)
def test_bad_configuration_is_a_usage_error(write, cli, files, arguments, named) -> None:
    write({"app.py": "A = 1\n", **files})
    code, _, err = cli("check", "--no-cache", *arguments, ".")
    assert code == 2 and named in err and "Traceback" not in err


def test_device_links_named_like_sources_are_refused(write, check_json, tmp_path) -> None:
    write({"app/main.py": DEBUG_APP})
    os.symlink("/dev/zero", tmp_path / "app" / "zero.py")
    os.symlink("/dev/urandom", tmp_path / "app" / "random.py")
    _, report = check_json(".")
    outside = "symbolic link to outside the reviewed tree; not followed"
    assert report["skipped"] == [
        {"path": "app/random.py", "reason": outside},
        {"path": "app/zero.py", "reason": outside},
    ]
    assert report["errors"] == []
    assert [f["path"] for f in report["findings"]] == ["app/main.py"]


def test_a_directory_that_cannot_be_searched_is_an_error(write, check_json, tmp_path, monkeypatch) -> None:
    write({"app/main.py": DEBUG_APP, "locked/inner/x.py": DEBUG_APP})
    locked = tmp_path / "locked"
    locked.chmod(0)
    if os.geteuid() == 0:  # root searches anything: make the kernel's answer the one a user gets
        real_scandir, real_stat = os.scandir, os.stat

        def scandir(path="."):  # noqa: ANN001, ANN202
            if isinstance(path, (str, os.PathLike)) and Path(path) == locked:
                raise PermissionError(13, "Permission denied", str(path))
            return real_scandir(path)

        def stat(path, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            if isinstance(path, (str, os.PathLike)) and locked in Path(path).parents:
                raise PermissionError(13, "Permission denied", str(path))
            return real_stat(path, *args, **kwargs)

        monkeypatch.setattr(os, "scandir", scandir)
        monkeypatch.setattr(os, "stat", stat)
    try:
        _, report = check_json(".")
    finally:
        locked.chmod(0o755)
    assert [(e["path"], e["kind"], e["message"]) for e in report["errors"]] == [
        ("locked", "read-error", "Permission denied")
    ]
    assert [f["path"] for f in report["findings"]] == ["app/main.py"]


def test_a_link_to_the_filesystem_root_is_not_followed(write, check_json, tmp_path) -> None:
    write({"app/main.py": DEBUG_APP})
    os.symlink("/", tmp_path / "app" / "everything")
    _, report = check_json(".")
    assert report["skipped"] == [
        {"path": "app/everything", "reason": "symbolic link to outside the reviewed tree; not followed"}
    ]
    assert report["errors"] == [] and report["files_scanned"] == 1


def test_an_internal_error_has_its_own_exit_code_and_still_writes_the_report(write, cli, tmp_path, monkeypatch) -> None:
    def broken(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("a bug in the engine")

    write({"app/main.py": DEBUG_APP})
    monkeypatch.setattr(engine, "discover", broken)
    code, _, err = cli("check", "--no-cache", "--format", "json", "-o", "review.json", ".")
    assert code == 3, err
    assert "a bug in the engine" in err
    report = json.loads((tmp_path / "review.json").read_text(encoding="utf-8"))
    assert [(e["kind"], "a bug in the engine" in e["message"]) for e in report["errors"]] == [("internal-error", True)]
    assert {item["verdict"] for item in report["checklist"]} == {"skipped"}


def test_syntax_python_accepts_but_the_parser_does_not_is_not_called_a_syntax_error(write, check_json) -> None:
    write({"app/odd.py": "x: int\n(y): int = 3\n", "app/broken.py": "def (:\n"})
    _, report = check_json(".")
    assert {(e["path"], e["kind"]) for e in report["errors"]} == {
        ("app/odd.py", "unsupported-syntax"),
        ("app/broken.py", "syntax-error"),
    }


# --- hangs and exhaustion: every file has a budget ---------------------------------------------


def run_reviewer(cwd: Path, *arguments: str, timeout: float = 120, **options) -> subprocess.CompletedProcess[str]:
    """The installed command in a process of its own, so a hang fails the test instead of it."""
    return subprocess.run(
        [sys.executable, "-c", "from reviewer.cli import command; command()", "check", "--no-cache", *arguments],
        cwd=cwd, capture_output=True, text=True, timeout=timeout, **options,
    )


def test_fifos_and_stdin_links_named_like_sources_do_not_block(write, tmp_path) -> None:
    write({"app/main.py": DEBUG_APP})
    os.mkfifo(tmp_path / "app" / "pipe.py")
    os.symlink("/dev/stdin", tmp_path / "app" / "stdin.py")
    with subprocess.Popen(["sleep", "600"], stdout=subprocess.PIPE) as never_ends:
        result = run_reviewer(tmp_path, "--format", "json", ".", timeout=60, stdin=never_ends.stdout)
        never_ends.kill()
    report = json.loads(result.stdout)
    assert [(e["path"], e["kind"], e["message"]) for e in report["errors"]] == [
        ("app/pipe.py", "read-error", "cannot read: not a regular file"),
        ("app/stdin.py", "read-error", "broken symbolic link"),  # to the pipe `pipe:[...]`, not a file
    ]


@pytest.mark.parametrize(
    "chain", ["q" + ".filter(a)" * 10_000, "q" + "[0]" * 5000, "q" + ".a" * 5000, "f" + "()" * 5000]
)
def test_long_call_subscript_and_attribute_chains_are_refused_before_parsing(write, check_json, chain) -> None:
    write({"app/chain.py": f"x = {chain}\n", "app/main.py": DEBUG_APP})
    _, report = check_json(".")
    assert [(e["path"], e["kind"]) for e in report["errors"]] == [("app/chain.py", "too-deeply-nested")]
    assert "calls or attribute accesses" in report["errors"][0]["message"]


def test_a_gitignore_that_would_backtrack_forever_is_matched_in_linear_time(write, tmp_path) -> None:
    deep = "/".join(["a"] * 40)
    write({".gitignore": "**/a/" * 12 + "b\n" + "**/a/\n!**/a/\n" * 500, f"{deep}/c/main.py": DEBUG_APP})
    result = run_reviewer(tmp_path, "--format", "json", ".", timeout=60)
    assert [f["path"] for f in json.loads(result.stdout)["findings"]] == [f"{deep}/c/main.py"]


def test_a_gitignore_of_bracketed_route_files_reads_without_a_warning(write, tmp_path) -> None:
    # `[[...path]].tsx` is a Next.js catch-all route; compiling it makes Python's `re` warn.
    write({".gitignore": "web/src/pages/auth/[[...path]].tsx\n", "app/main.py": DEBUG_APP})
    result = run_reviewer(tmp_path, "--format", "json", ".", timeout=60)
    assert [f["path"] for f in json.loads(result.stdout)["findings"]] == ["app/main.py"]
    assert "Warning" not in result.stderr


class SleepingRule(Rule):
    """Takes forever on one file, as a parser stuck on pathological input would."""

    code = "RVW996"
    name = "sleeping"
    checklist = "production-config"

    def visit_Module(self, node) -> None:  # noqa: ANN001
        if self.context.path.endswith("slow.py"):
            time.sleep(600)


class HoggingRule(Rule):
    """Asks for more memory than any file should need."""

    code = "RVW995"
    name = "hogging"
    checklist = "production-config"

    def visit_Module(self, node) -> None:  # noqa: ANN001
        if self.context.path.endswith("hog.py"):
            self.hoard = bytearray(8 * 1024**3)


def test_a_file_over_its_time_budget_is_an_error_and_the_run_goes_on(write, tmp_path) -> None:
    write({"app/slow.py": "x = 1\n", **{f"app/m{i}.py": DEBUG_APP for i in range(4)}})
    rules = [*load_rules(), SleepingRule]
    run = engine.run([tmp_path], Config(file_timeout=1), rules, jobs=2, use_cache=False, cwd=tmp_path)
    assert [(e.path, e.kind.value) for e in run.errors] == [("app/slow.py", "over-budget")]
    assert sorted(f.path for f in run.findings) == [f"app/m{i}.py" for i in range(4)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the memory budget is an address-space limit of Linux")
def test_a_file_over_its_memory_budget_is_an_error_and_the_run_goes_on(write, tmp_path) -> None:
    write({"app/hog.py": "x = 1\n", "app/main.py": DEBUG_APP})
    rules = [*load_rules(), HoggingRule]
    config = Config(file_memory=512 * 1024**2)
    run = engine.run([tmp_path], config, rules, jobs=1, use_cache=False, cwd=tmp_path)
    assert [(e.path, e.kind.value) for e in run.errors] == [("app/hog.py", "over-budget")]
    assert [f.path for f in run.findings] == ["app/main.py"]


def test_a_crashing_file_costs_only_itself_and_the_rest_stays_parallel(write, tmp_path, monkeypatch) -> None:
    from reviewer.pool import WorkerPool
    from tests.test_bad_input import ProcessKillingRule

    write({"app/crash.py": "x = 1\n", **{f"app/m{i:03}.py": DEBUG_APP for i in range(300)}})
    alone: list[str] = []
    real = WorkerPool._isolated

    def isolated(self, item):  # noqa: ANN001, ANN202
        alone.append(item[0])
        return real(self, item)

    monkeypatch.setattr(WorkerPool, "_isolated", isolated)
    rules = [*load_rules(), ProcessKillingRule]
    run = engine.run([tmp_path], Config(), rules, jobs=2, use_cache=False, cwd=tmp_path)
    assert [(e.path, e.kind.value) for e in run.errors] == [("app/crash.py", "parser-crash")]
    assert len(run.findings) == 300
    assert "app/crash.py" in alone and len(alone) <= 2, "only the files in progress when it died are re-run alone"


# --- writes stay where they were asked for -----------------------------------------------------


def test_a_committed_report_link_is_replaced_not_followed(write, cli, tmp_path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside.html"
    outside.write_text("precious", encoding="utf-8")
    write({"app/main.py": DEBUG_APP})
    os.symlink(outside, tmp_path / "backend-reviewer.html")
    code, _, err = cli("check", "--no-cache", "--format", "html", "-o", "backend-reviewer.html", ".")
    assert code == 1, err
    assert outside.read_text(encoding="utf-8") == "precious"
    report = tmp_path / "backend-reviewer.html"
    assert not report.is_symlink() and "Backend review" in report.read_text(encoding="utf-8")


def test_a_report_path_through_a_committed_directory_link_is_refused(write, cli, tmp_path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    write({"app/main.py": DEBUG_APP})
    os.symlink(outside, tmp_path / "reports")
    code, _, err = cli("check", "--no-cache", "--report", "sarif:reports/review.sarif", ".")
    assert code == 2 and "symbolic link" in err
    assert list(outside.iterdir()) == []


def test_a_committed_cache_link_is_not_used(write, cli, tmp_path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-cache"
    outside.mkdir()
    write({"app/main.py": DEBUG_APP})
    os.symlink(outside, tmp_path / ".reviewer_cache")
    code, _, _ = cli("check", ".")
    assert code == 1
    assert list(outside.iterdir()) == []


def test_an_interrupted_cache_write_leaves_no_temporary_file(tmp_path, monkeypatch) -> None:
    from reviewer import cache as cache_module
    from reviewer.model import FileResult

    def interrupted(*args):  # noqa: ANN002, ANN202
        raise KeyboardInterrupt

    store = cache_module.Cache(tmp_path / ".reviewer_cache", "salt")
    monkeypatch.setattr(cache_module.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        store.put("ab" * 32, FileResult(path="app.py"))
    assert sorted(p.name for p in (tmp_path / ".reviewer_cache").rglob("*") if p.is_file()) == []


# --- files are never lost without a word -------------------------------------------------------


def git(cwd: Path, *arguments: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *arguments],
        cwd=cwd, check=True, capture_output=True,
    )


def test_tracked_files_are_reviewed_whatever_a_committed_gitignore_says(write, check_json, tmp_path) -> None:
    write({"app/main.py": DEBUG_APP, "env/settings.py": DEBUG_APP, "untracked/x.py": DEBUG_APP})
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", "app", "env")
    git(tmp_path, "commit", "-qm", "code")
    write({".gitignore": "app/\nenv/\nuntracked/\n"})
    _, report = check_json(".")
    assert sorted(f["path"] for f in report["findings"]) == ["app/main.py", "env/settings.py"]
    assert report["skipped"] == [{"path": "untracked", "reason": "ignored by .gitignore"}]


def test_a_directory_link_inside_the_tree_reports_the_real_path_once(write, check_json, tmp_path) -> None:
    write({"app/main.py": DEBUG_APP})
    os.symlink("app", tmp_path / "zzz")
    os.symlink("app", tmp_path / "aaa")
    _, report = check_json(".")
    assert [f["path"] for f in report["findings"]] == ["app/main.py"]
    assert {s["path"] for s in report["skipped"]} == {"aaa", "zzz"}
    _, report = check_json("zzz")
    assert [f["path"] for f in report["findings"]] == ["app/main.py"]


# --- signals ----------------------------------------------------------------------------------


def test_sigterm_stops_the_review_and_its_workers(write, tmp_path) -> None:
    write({f"app/m{i}.py": "x = [" + "1, " * 200_000 + "]\n" for i in range(4)})
    process = subprocess.Popen(
        [sys.executable, "-c", "from reviewer.cli import main; main()", "check", "--no-cache", "-j", "2", "."],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while len(workers) < 2 and time.monotonic() < deadline:
        workers = _children(process.pid)
        time.sleep(0.1)
    assert workers, "the review started its workers"
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 143, err
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() and _alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists() and _alive(pid)]


def _children(parent: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == parent:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
