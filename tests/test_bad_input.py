"""Bad input never crashes the run: each case becomes an error entry and the run goes on."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import libcst as cst
import pytest

from reviewer import engine
from reviewer.config import Config
from reviewer.model import Severity
from reviewer.registry import load_rules
from reviewer.rule import Rule

DEBUG_APP = "from fastapi import FastAPI\napp = FastAPI(debug=True)\n"


def errors_by_path(report: dict) -> dict[str, dict]:
    return {e["path"]: e for e in report["errors"]}


def test_each_bad_file_is_an_error_and_the_good_file_is_still_reviewed(write, check_json) -> None:
    write(
        {
            "app/main.py": DEBUG_APP,
            "app/broken.py": "import os\n\norders = = []\n",
            "app/latin1.py": b'name = "caf\xe9"\n',
            "app/blob.py": b"\x00\x01\x02binary",
            "app/empty.py": "",
            "app/bad_cookie.py": b"# -*- coding: no-such-codec -*-\nx = 1\n",
        }
    )
    code, report = check_json(".")
    assert code == 1, "the run still exits by its findings"
    assert [f["path"] for f in report["findings"]] == ["app/main.py"]
    errors = errors_by_path(report)
    assert errors["app/broken.py"]["kind"] == "syntax-error"
    assert errors["app/broken.py"]["line"] == 3
    assert errors["app/latin1.py"]["kind"] == "decode-error"
    assert errors["app/latin1.py"]["line"] == 1
    assert errors["app/blob.py"]["kind"] == "binary-file"
    assert errors["app/bad_cookie.py"]["kind"] == "decode-error"
    assert "app/empty.py" not in errors, "an empty module is valid Python, reviewed like any other"
    assert report["files_scanned"] == 6


def test_pep263_declared_encoding_is_honoured(write, check_json) -> None:
    write(
        {
            "app/legacy.py": (
                '# -*- coding: latin-1 -*-\nfrom fastapi import FastAPI\nname = "caf\xe9"\napp = FastAPI(debug=True)\n'
            ).encode("latin-1")
        }
    )
    _, report = check_json(".")
    assert report["errors"] == []
    assert [(f["path"], f["line"]) for f in report["findings"]] == [("app/legacy.py", 4)]


def test_file_over_the_size_limit_is_reported_as_skipped(write, check_json) -> None:
    write({"app/main.py": DEBUG_APP, "app/generated.py": "x = 1\n" * 2000})
    _, report = check_json(".", "--max-file-size", "4KB")
    error = errors_by_path(report)["app/generated.py"]
    assert error["kind"] == "too-large"
    assert "skipped" in error["message"]
    assert len(report["findings"]) == 1


def test_unreadable_file_is_a_read_error(write, check_json, monkeypatch: pytest.MonkeyPatch) -> None:
    write({"app/main.py": DEBUG_APP, "app/secret.py": "x = 1\n"})
    real = os.open

    def deny(path, flags, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003 - as os.open
        if Path(path).name == "secret.py":
            raise PermissionError(13, "Permission denied")
        return real(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)
    _, report = check_json(".")
    error = errors_by_path(report)["app/secret.py"]
    assert error["kind"] == "read-error"
    assert "Permission denied" in error["message"]
    assert len(report["findings"]) == 1


def test_symlink_loops_are_reported_not_followed(write, check_json, tmp_path: Path) -> None:
    write({"app/main.py": DEBUG_APP})
    os.symlink("loop.py", tmp_path / "app" / "loop.py")
    os.symlink(tmp_path / "app", tmp_path / "app" / "again")
    _, report = check_json(".")
    assert errors_by_path(report)["app/loop.py"]["kind"] == "symlink-loop"
    assert [f["path"] for f in report["findings"]] == ["app/main.py"]


@pytest.mark.parametrize(
    "source",
    [
        pytest.param("x = " + "(" * 1000 + "1" + ")" * 1000 + "\n", id="brackets"),
        pytest.param("x = " + "-" * 5000 + "1\n", id="unary-chain"),
        pytest.param("x = " + "+".join(["1"] * 60000) + "\n", id="parser-killing-chain"),
    ],
)
def test_pathological_nesting_is_an_error_and_the_run_goes_on(write, check_json, source: str) -> None:
    write({"app/main.py": DEBUG_APP, "app/deep.py": source})
    code, report = check_json(".", "--jobs", "2")
    assert code == 1
    assert errors_by_path(report)["app/deep.py"]["kind"] in {"too-deeply-nested", "parser-crash"}
    assert [f["path"] for f in report["findings"]] == ["app/main.py"]


@pytest.mark.parametrize(
    ("source", "shape"),
    [
        ("x = f(a)(b)[0].c\n", (1, 4)),
        ("x = (  # a comment (\n    a.b + c\n)\n", (1, 2)),
        ("s = 'a(b(c' + \"\"\"(\n(\"\"\"\nt = g  (h)\n", (1, 1)),
        ("q = (\n  session.query(A)\n  .filter(b)\n  .all()\n)\n", (2, 6)),
        ("x = [-1, -2, -3]\n", (1, 1)),
        ("x = {'a': 1}['a']\n", (1, 0)),
    ],
)
def test_the_shape_scan_counts_nesting_and_chains_outside_strings_and_comments(source, shape) -> None:
    from reviewer.analysis import code_shape

    assert code_shape(source) == shape


class ExplodingRule(Rule):
    """Raises on every call, to prove one rule's bug costs only that rule's findings."""

    code = "RVW999"
    name = "exploding"
    checklist = "production-config"
    severity = Severity.ERROR

    def visit_Call(self, node: cst.Call) -> None:
        raise ValueError("boom")


class ExplodingRepoRule(Rule):
    """Raises in the repository pass."""

    code = "RVW998"
    name = "exploding-repo"
    checklist = "production-config"

    @classmethod
    def check_repo(cls, repo) -> None:  # noqa: ANN001
        raise KeyError("missing")


class StutteringRule(Rule):
    """Reports every call twice, as a rule matching one literal by two patterns might."""

    code = "RVW996"
    name = "stuttering"
    checklist = "production-config"
    severity = Severity.WARNING

    def visit_Call(self, node: cst.Call) -> None:
        self.report(node, "a call")
        self.report(node, "a call")


def test_a_finding_reported_twice_is_one_finding(write, tmp_path: Path) -> None:
    write({"app/main.py": "print(1)\nprint(2)\n"})
    run = engine.run([tmp_path], Config(), [StutteringRule], jobs=1, use_cache=False, cwd=tmp_path)
    found = [(f.path, f.span.line, f.message) for f in run.findings]
    assert found == [("app/main.py", 1, "a call"), ("app/main.py", 2, "a call")]
    assert len({f.fingerprint for f in run.findings}) == 2


def test_a_crashing_rule_is_an_internal_error_and_other_rules_still_report(write, tmp_path: Path) -> None:
    write({"app/main.py": DEBUG_APP})
    rules = [*load_rules(), ExplodingRule, ExplodingRepoRule]
    run = engine.run([tmp_path], Config(), rules, jobs=1, use_cache=False, cwd=tmp_path)
    assert [f.code for f in run.findings] == ["RVW501"]
    messages = [(e.kind.value, e.message) for e in run.errors]
    assert any(kind == "internal-error" and "RVW999" in m and "boom" in m and "app/main.py" for kind, m in messages)
    assert any(kind == "internal-error" and "RVW998" in m and "repository pass" in m for kind, m in messages)


def test_strict_makes_file_errors_fail_the_run(write, cli) -> None:
    write({"app/ok.py": "x = 1\n", "app/broken.py": "def (:\n"})
    assert cli("check", ".", "--no-cache")[0] == 0
    assert cli("check", ".", "--no-cache", "--strict")[0] == 1


@pytest.mark.parametrize("how", [["--strict"], []])
def test_every_report_states_the_outcome_the_exit_status_gives(write, cli, tmp_path: Path, how) -> None:
    files = {"app/ok.py": "x = 1\n", "app/broken.py": "def (:\n"}
    if not how:
        files["pyproject.toml"] = "[tool.reviewer]\nstrict = true\n"
    write(files)
    reports = [f"{fmt}:{fmt}.out" for fmt in ("json", "markdown", "html", "sarif")]
    status, out, _ = cli("check", "app", "--no-cache", *how, *(f"--report={r}" for r in reports))
    assert status == 1
    assert out.splitlines()[-1].startswith("FAIL: 1 file not fully reviewed (strict); ")
    outcome = {"state": "fail", "headline": "1 file not fully reviewed (strict)", "exit_code": 1}
    assert json.loads((tmp_path / "json.out").read_text())["outcome"] == outcome
    headline = "## Backend review: ❌ 1 file not fully reviewed (strict)\n"
    assert (tmp_path / "markdown.out").read_text().startswith(headline)
    page = (tmp_path / "html.out").read_text()
    assert '<span class="badge verdict-fail">fail</span> Backend review: 1 file not fully reviewed (strict)' in page
    assert "exit status 1" in page
    invocation = json.loads((tmp_path / "sarif.out").read_text())["runs"][0]["invocations"][0]
    assert invocation["exitCode"] == 1


class ProcessKillingRule(Rule):
    """Kills its worker process on one file, as a native parser crash would (SIGKILL: no
    fault handler output in the test log)."""

    code = "RVW997"
    name = "process-killing"
    checklist = "production-config"

    def visit_Module(self, node: cst.Module) -> None:
        if self.context.path.endswith("crash.py"):
            os.kill(os.getpid(), signal.SIGKILL)


class UnkeepableRule(Rule):
    """Leaves something in one file's summary that cannot be pickled, as a rule bug could."""

    code = "RVW996"
    name = "unkeepable"
    checklist = "production-config"

    def visit_Module(self, node: cst.Module) -> None:
        if self.context.path.endswith("odd.py"):
            self.context.summary.extras["odd"] = lambda: None


def test_a_result_that_cannot_travel_back_costs_only_its_file(write, tmp_path: Path) -> None:
    # Files alike in size go in discovery order, several to a batch: `a_odd.py` shares the first.
    write({f"app/module_{i}.py": DEBUG_APP for i in range(12)} | {"app/a_odd.py": DEBUG_APP})
    rules = [*load_rules(), UnkeepableRule]
    run = engine.run([tmp_path], Config(), rules, jobs=1, use_cache=False, cwd=tmp_path)
    assert [(e.path, e.kind.value) for e in run.errors] == [("app/a_odd.py", "internal-error")]
    assert "cannot be kept" in run.errors[0].message
    assert sorted(f.path for f in run.findings) == sorted(f"app/module_{i}.py" for i in range(12))


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_worker_that_dies_costs_only_the_file_that_killed_it(write, tmp_path: Path, jobs: int) -> None:
    write({f"app/module_{i}.py": DEBUG_APP for i in range(6)} | {"app/crash.py": "x = 1\n"})
    rules = [*load_rules(), ProcessKillingRule]
    run = engine.run([tmp_path], Config(), rules, jobs=jobs, use_cache=False, cwd=tmp_path)
    assert [(e.path, e.kind.value) for e in run.errors] == [("app/crash.py", "parser-crash")]
    assert sorted(f.path for f in run.findings) == [f"app/module_{i}.py" for i in range(6)]


def test_a_long_file_of_shallow_expressions_is_reviewed(write, check_json) -> None:
    lines = [f"total_{i} = f(a[{i}], {{'k': (b + c - d * e)}}) + -x_{i}\n" for i in range(400)]
    write({"app/long.py": "".join(lines) + 'API_KEY = "sk_live_51HqLyjWDarjtT1zdp7dcXYZ"\n'})
    code, report = check_json(".")
    assert report["errors"] == []
    assert [f["code"] for f in report["findings"]] == ["RVW101"]
    assert code == 1
