"""A witness for third-party rules: a plugin written only against the README's API (`Rule`,
`self.qualify`, `self.report`, options, `check_repo` with summary extras, the flow analysis's
taint API, the serving-path model and withdrawing a finding, `reviewer.testing.check_fixture`),
installed through the `backend_reviewer.rules`
entry-point group as a package would be, and run by the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from reviewer.registry import load_rules
from reviewer.testing import check_fixture

PLUGIN = '''
"""Rules of a plugin package, written as the README says."""

from __future__ import annotations

import libcst as cst

from reviewer.model import Severity
from reviewer.rule import Rule
from reviewer.semantics.flow import USER, Sink, TaintSpec, flows_in
from reviewer.semantics.serving import EntryPointFacts

SHELL = TaintSpec(sinks=(Sink("subprocess.run", 0, "args"), Sink("os.system", 0, "command")))


class DebugToolbar(Rule):
    """The debug toolbar middleware is installed."""

    code = "ACME101"
    name = "debug-toolbar-installed"
    checklist = "production-config"
    severity = Severity.WARNING
    options = {"allowed_modules": ["app.dev"]}

    def visit_Call(self, node: cst.Call) -> None:
        if self.context.module in self.config["allowed_modules"]:
            return
        if self.qualify(node.func) == "debug_toolbar.middleware.DebugToolbarMiddleware":
            self.report(node, "DebugToolbarMiddleware exposes settings and SQL to every visitor")


class HeaderToShell(Rule):
    """A value read from a request reaches a shell command."""

    code = "ACME201"
    name = "request-data-in-shell"
    checklist = "input-validation"
    severity = Severity.ERROR

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        for flow in flows_in(self.context, original_node, SHELL):
            if flow.trust.origin != USER:
                continue
            path = " -> ".join(step.what for step in flow.steps)
            self.report(flow.value, f"request data reaches `{flow.sink.callee}`: {path}", statement=flow.statement)


class DuplicateRouteNames(Rule):
    """Two modules define a helper (an undecorated function) of the same name that calls `os.system`."""

    code = "ACME301"
    name = "shell-helpers-twice"
    checklist = "production-config"

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        calls = [n for n in node.body.body if "os.system" in self.context.tree.code_for_node(n)]
        if calls and not node.decorators:
            self.context.summary.extras.setdefault(self.code, []).append(node.name.value)

    @classmethod
    def check_repo(cls, repo) -> None:
        seen = {}
        for summary in repo.summaries:
            for name in summary.extras.get(cls.code, ()):
                if name in seen:
                    line = 1
                    repo.report(summary.path, repo_span(line), f"`{name}` is also defined in {seen[name]}")
                seen.setdefault(name, summary.path)


class SleepWhileServing(Rule):
    """`time.sleep` in a coroutine: reported where the file shows it, withdrawn where the
    repository shows that only start-up or command-line code runs the coroutine."""

    code = "ACME401"
    name = "sleep-while-serving"
    checklist = "async-io"
    requires = (EntryPointFacts,)

    def __init__(self, context, options) -> None:
        super().__init__(context, options)
        self.functions = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append(node.name.value)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.functions.pop()

    def visit_Call(self, node: cst.Call) -> None:
        if self.functions and self.qualify(node.func) == "time.sleep":
            self.report(node, "`time.sleep` blocks the event loop")
            where = self.context.summary.extras.setdefault(self.code, {})
            where[self.context.span(node).line] = f"{self.context.module}.{self.functions[-1]}"

    @classmethod
    def check_repo(cls, repo) -> None:
        serving = repo.facts(EntryPointFacts)
        functions = {summary.path: summary.extras.get(cls.code, {}) for summary in repo.summaries}
        for finding in repo.file_findings:
            function = functions[finding.path].get(finding.span.line)
            if serving.is_serving(function) is False:
                repo.withdraw(finding)


def repo_span(line: int):
    from reviewer.model import Span

    return Span(line, 1, line, 2)
'''

APP = '''\
import os
import subprocess

from debug_toolbar.middleware import DebugToolbarMiddleware
from fastapi import FastAPI, Request

app = FastAPI()
# expect: ACME101
application = DebugToolbarMiddleware(app)


@app.post("/run")
async def run(request: Request, name: str):
    command = request.headers.get("X-Command")
    cleaned = int(name)
    # expect: ACME201
    subprocess.run(command, shell=True)
    subprocess.run(["ls", str(cleaned)])
    # expect: ACME201
    os.system(f"echo {name}")


def helper(path: str) -> None:
    os.system(f"cat {path}")


import time


@app.on_event("startup")
async def warm_up():
    time.sleep(1)


@app.get("/slow")
async def slow():
    # expect: ACME401
    time.sleep(1)


async def refresh():
    # expect: ACME401
    time.sleep(2)


@app.on_event("shutdown")
async def flush():
    await refresh()


@app.get("/refresh")
async def refresh_now():
    # routes are serving roots though the rule requires the serving paths only
    await refresh()
'''


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The plugin installed as a distribution with an entry point, on the import path."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "acme_review_rules.py").write_text(PLUGIN, encoding="utf-8")
    info = site / "acme_review_rules-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-review-rules\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text('[backend_reviewer.rules]\nacme = acme_review_rules\n')
    monkeypatch.syspath_prepend(str(site))
    yield site
    for name in [m for m in sys.modules if m.startswith("acme_review_rules")]:
        del sys.modules[name]


def test_a_plugin_registered_by_entry_point_is_loaded_with_the_built_in_rules(plugin: Path) -> None:
    codes = [rule.code for rule in load_rules()]
    assert {"ACME101", "ACME201", "ACME301", "ACME401"} <= set(codes) and "RVW501" in codes
    assert codes == sorted(codes)


def test_check_fixture_runs_a_plugin_against_its_expectations(plugin: Path, tmp_path: Path) -> None:
    fixture = tmp_path / "fixtures" / "acme_app.py"
    fixture.parent.mkdir()
    fixture.write_text(APP, encoding="utf-8")
    outcome = check_fixture(fixture, load_rules(), select=["ACME1", "ACME2", "ACME4"])
    assert outcome.errors == []
    assert outcome.actual == outcome.expected == {
        ("acme_app.py", 9, "ACME101"),
        ("acme_app.py", 17, "ACME201"),
        ("acme_app.py", 20, "ACME201"),
        ("acme_app.py", 38, "ACME401"),
        ("acme_app.py", 43, "ACME401"),
    }


def test_the_command_line_runs_a_plugin_with_options_flow_steps_and_a_repository_pass(plugin, write, cli) -> None:
    write({
        "app/main.py": APP,
        "app/dev.py": APP,
        "pyproject.toml": '[tool.reviewer.rules.ACME101]\nallowed_modules = ["app.dev"]\n',
    })
    code, out, err = cli("check", "--no-cache", "--format", "json", "--select", "ACME", "app")
    assert code == 1, err
    findings = {(f["path"], f["line"], f["code"]): f["message"] for f in json.loads(out)["findings"]}
    assert set(findings) == {
        ("app/main.py", 9, "ACME101"),
        ("app/main.py", 17, "ACME201"),
        ("app/main.py", 20, "ACME201"),
        ("app/dev.py", 17, "ACME201"),
        ("app/dev.py", 20, "ACME201"),
        ("app/main.py", 1, "ACME301"),
        ("app/main.py", 38, "ACME401"),
        ("app/dev.py", 38, "ACME401"),
        ("app/main.py", 43, "ACME401"),
        ("app/dev.py", 43, "ACME401"),
    }
    assert findings[("app/main.py", 17, "ACME201")] == (
        "request data reaches `subprocess.run`: route parameter `request` -> assigned to `command` "
        "-> reaches `subprocess.run`"
    )
    assert findings[("app/main.py", 20, "ACME201")] == (
        "request data reaches `os.system`: route parameter `name` -> reaches `os.system`"
    )
    assert findings[("app/main.py", 1, "ACME301")] == "`helper` is also defined in app/dev.py"
