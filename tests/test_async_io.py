"""The async-io rules beyond their fixtures: chain messages, the sleep fix, options, limits, caching."""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

import pytest

from reviewer import engine
from reviewer.analysis import analyze
from reviewer.config import Config
from reviewer.model import Finding
from reviewer.registry import load_rules
from rules.async_io._call_graph import MAX_CHAIN
from rules.async_io._records import FACTS_KEY, ModuleFacts
from rules.async_io._scan import BlockingScan

RULES = load_rules()
ASYNC_IO = [rule for rule in RULES if rule.checklist == "async-io"]
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "async-io"


def check(root: Path, select: str = "async-io", rules: dict | None = None, use_cache: bool = False) -> list[Finding]:
    config = Config(select=[select], rules=rules or {})
    return engine.run([root], config, RULES, jobs=1, use_cache=use_cache, cwd=root).findings


def write(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


def test_chain_message_names_every_hop_from_the_coroutine_to_the_blocking_call() -> None:
    findings = check(FIXTURES / "chain_app", select="RVW403")
    by_line = {(f.path, f.span.line): f.message for f in findings}
    message = by_line[("app/api/reports.py", 18)]
    assert message.startswith(
        "`get_report -> app.services.reports.build -> app.clients.http.fetch_json -> requests.get` blocks the "
        "event loop in async route `get_report`"
    )


def test_chain_finding_relates_each_helpers_call_down_to_the_blocking_call(tmp_path: Path) -> None:
    write(tmp_path, {
        "app/__init__.py": "",
        "app/api/__init__.py": "",
        "app/services/__init__.py": "",
        "app/api/invoices.py": """\
            from fastapi import APIRouter

            from app.services.invoices import render_invoice

            router = APIRouter()


            @router.get("/invoices/{invoice_id}")
            async def get_invoice(invoice_id: int):
                return render_invoice(invoice_id)
            """,
        "app/services/invoices.py": """\
            from app.services.templates import load_template


            def render_invoice(invoice_id):
                template = load_template("invoice.html")
                return template.format(id=invoice_id)
            """,
        "app/services/templates.py": """\
            from pathlib import Path

            TEMPLATES = Path(__file__).parent / "templates"


            def load_template(name):
                return (TEMPLATES / name).read_text()
            """,
    })
    (finding,) = check(tmp_path, select="RVW403")
    assert (finding.path, finding.span.line, finding.span.column) == ("app/api/invoices.py", 10, 12)
    assert [(place.path, place.span.line, place.span.column, place.message) for place in finding.related] == [
        ("app/services/invoices.py", 5, 16, "`render_invoice` calls `load_template` here"),
        ("app/services/templates.py", 7, 12, "`load_template` calls `pathlib.Path.read_text`, which blocks"),
    ]


def test_chain_through_an_offload_argument_says_it_runs_before_the_offload() -> None:
    findings = check(FIXTURES / "chain_app", select="RVW403")
    message = next(f.message for f in findings if f.span.line == 44)
    assert "evaluated before `to_thread` offloads anything" in message


def test_time_sleep_statement_gets_an_await_asyncio_sleep_fix(tmp_path: Path) -> None:
    write(tmp_path, {"jobs.py": """\
        import asyncio
        import time


        async def poll():
            time.sleep(0.5)
            delay = time.sleep(1)
            return delay
        """})
    findings = sorted(check(tmp_path, select="RVW401"), key=lambda f: f.span.line)
    assert [f.span.line for f in findings] == [6, 7]
    fixed, unfixable = findings
    assert fixed.fix is not None
    edits = [(edit.span.line, edit.span.column, edit.replacement) for edit in fixed.fix.edits]
    assert edits == [(6, 5, "await asyncio.sleep(0.5)")]
    assert unfixable.fix is None  # its value is used: not a mechanical rewrite


def test_the_sleep_fix_imports_asyncio_when_the_module_does_not(tmp_path: Path) -> None:
    write(tmp_path, {"jobs.py": "from time import sleep\n\n\nasync def poll():\n    sleep(1)\n"})
    (finding,) = check(tmp_path, select="RVW401")
    assert finding.fix is not None
    edits = [(edit.span.line, edit.span.column, edit.replacement) for edit in finding.fix.edits]
    assert edits == [(1, 1, "import asyncio\n"), (5, 5, "await asyncio.sleep(1)")]


def test_no_sleep_fix_where_asyncio_is_another_name(tmp_path: Path) -> None:
    write(tmp_path, {"jobs.py": "from time import sleep\n\nfrom app import loop as asyncio\n\n\n"
                                "async def poll():\n    sleep(1)\n"})
    (finding,) = check(tmp_path, select="RVW401")
    assert finding.fix is None


def test_blocking_calls_and_clients_are_extendable_by_options(tmp_path: Path) -> None:
    write(tmp_path, {"sync.py": """\
        import legacy_sdk
        from legacy_sdk import Client


        async def sync_orders():
            legacy_sdk.fetch_orders(since="2024-01-01")
            client = Client("https://erp.example.com")
            client.push(order_id=1)
            client.push(order_id=2)
        """})
    assert check(tmp_path, select="RVW401") == []
    options = {"RVW401": {"blocking-calls": ["legacy_sdk.fetch_orders"], "blocking-clients": ["legacy_sdk.Client"]}}
    findings = check(tmp_path, select="RVW401", rules=options)
    assert sorted(f.span.line for f in findings) == [6, 8]


def test_session_dependencies_option_marks_an_opaque_dependency_as_a_sync_session(tmp_path: Path) -> None:
    write(tmp_path, {"routes.py": """\
        from fastapi import Depends
        from platform_db import provide_session


        async def read(db=Depends(provide_session)):
            return db.execute("select 1")
        """})
    assert check(tmp_path, select="RVW402") == []
    findings = check(tmp_path, select="RVW402", rules={"RVW402": {"session-dependencies": ["provide_session"]}})
    assert [f.span.line for f in findings] == [6]


def _chain_module(length: int) -> str:
    hops = [f"def hop{i}():\n    return hop{i + 1}()\n" for i in range(length - 1)]
    hops.append(f"def hop{length - 1}():\n    return requests.get('https://example.com', timeout=5)\n")
    return "import requests\n\n" + "\n".join(hops)


def test_deep_chains_end_at_the_chain_limit(tmp_path: Path) -> None:
    length = MAX_CHAIN + 4
    write(tmp_path, {
        "app/hops.py": _chain_module(length),
        "app/routes.py": (
            "from app import hops\n\n\nasync def near():\n    hops.hop4()\n\n\nasync def far():\n    hops.hop0()\n"
        ),
    })
    findings = check(tmp_path, select="RVW403")
    assert [(f.path, f.span.line) for f in findings] == [("app/routes.py", 5)]
    assert findings[0].message.count(" -> ") == length - 4 + 1


def test_recursive_helpers_terminate_with_one_finding_per_helper_naming_every_call(tmp_path: Path) -> None:
    write(tmp_path, {"loop.py": """\
        import time


        def a(n):
            return b(n) if n else a(n)


        def b(n):
            time.sleep(n)
            return a(n - 1)


        async def run():
            a(3)
            a(4)
        """})
    findings = check(tmp_path, select="RVW403")
    assert [(f.span.line, f.message) for f in findings] == [(
        14,
        "`run -> loop.a -> loop.b -> time.sleep` blocks the event loop in coroutine `run`; it is called again "
        "on line 15: call the helper with `await run_in_threadpool(...)` or make the chain async",
    )]


def test_summaries_stay_picklable_and_small() -> None:
    source = (FIXTURES / "chain_app" / "app" / "api" / "reports.py").read_bytes()
    result = analyze("app/api/reports.py", source, ASYNC_IO, {rule.code: dict(rule.options) for rule in ASYNC_IO})
    data = pickle.dumps(result.summary)
    assert pickle.loads(data).extras.keys() >= {FACTS_KEY}
    assert len(data) < 40 * len(source)


@pytest.mark.parametrize("fixture", ["chain_app", "serving_paths_app"])
def test_cached_run_reports_the_same_repository_findings(tmp_path: Path, fixture: str) -> None:
    app = tmp_path / fixture
    for file in (FIXTURES / fixture).rglob("*.py"):
        target = app / file.relative_to(FIXTURES / fixture)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(file.read_bytes())
    cold = check(app, use_cache=True)
    warm = check(app, use_cache=True)
    assert cold and [(f.path, f.span, f.message) for f in cold] == [(f.path, f.span, f.message) for f in warm]


@pytest.mark.parametrize("rule", ASYNC_IO, ids=lambda rule: rule.code)
def test_every_rule_documents_the_required_sections(rule: type) -> None:
    documentation = rule.documentation()
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Known problems"):
        assert section in documentation, f"{rule.code} lacks {section}"


def _facts_keys(result) -> list[str]:  # noqa: ANN001
    return [key for key, value in result.summary.extras.items() if isinstance(value, ModuleFacts)]


def test_one_scan_records_the_facts_of_all_four_rules_once() -> None:
    source = (FIXTURES / "chain_app" / "app" / "api" / "reports.py").read_bytes()
    options = {rule.code: dict(rule.options) for rule in ASYNC_IO}
    result = analyze("app/api/reports.py", source, ASYNC_IO, options)
    assert len(ASYNC_IO) == 4
    assert _facts_keys(result) == [FACTS_KEY]
    alone = analyze("app/api/reports.py", source, [rule for rule in ASYNC_IO if rule.code == "RVW403"], options)
    assert _facts_keys(alone) == [FACTS_KEY]


def check_case(case: str, select: str = "async-io") -> list[Finding]:
    config = Config(select=[select])
    return engine.run([FIXTURES / case], config, RULES, jobs=1, use_cache=False, cwd=FIXTURES).findings


@pytest.mark.parametrize("case", ["chain_app", "session_app", "direct_calls.py", "offloading.py", "sessions.py"])
@pytest.mark.parametrize("code", ["RVW401", "RVW402", "RVW403", "RVW404"])
def test_a_rule_selected_alone_reports_what_it_reports_with_its_siblings(case: str, code: str) -> None:
    together = [f for f in check_case(case) if f.code == code]
    alone = check_case(case, select=code)
    assert [(f.path, f.span, f.message, f.fix) for f in alone] == [(f.path, f.span, f.message, f.fix) for f in together]


def test_rvw403_alone_and_rvw401_alone_still_find_their_problems() -> None:
    chains = check_case("chain_app", select="RVW403")
    assert len(chains) >= 3 and {f.code for f in chains} == {"RVW403"}
    direct = check_case("direct_calls.py", select="RVW401")
    assert len(direct) >= 20 and {f.code for f in direct} == {"RVW401"}


def test_each_rule_keeps_its_own_options_when_they_differ(tmp_path: Path) -> None:
    write(tmp_path, {"app/jobs.py": """\
        from app import vendor


        def refresh():
            return vendor.fetch("rates")


        async def direct():
            return vendor.fetch("rates")


        async def through_helper():
            return refresh()
        """, "app/vendor.py": "def fetch(name):\n    return name\n", "app/__init__.py": ""})
    only_direct = {"RVW401": {"blocking-calls": ["app.vendor.fetch"]}}
    findings = check(tmp_path, rules=only_direct)
    assert [(f.code, f.span.line) for f in findings] == [("RVW401", 9)]
    both = {**only_direct, "RVW403": {"blocking-calls": ["app.vendor.fetch"]}}
    findings = check(tmp_path, rules=both)
    assert sorted((f.code, f.span.line) for f in findings) == [("RVW401", 9), ("RVW403", 13)]


def test_a_crash_in_the_shared_scan_is_reported_for_every_async_rule_only(monkeypatch) -> None:  # noqa: ANN001
    def broken(self, node) -> None:  # noqa: ANN001
        raise ValueError("scan bug")

    monkeypatch.setattr(BlockingScan, "visit_Call", broken)
    source = textwrap.dedent("""\
        import time
        from fastapi import FastAPI

        app = FastAPI(debug=True)


        async def handler():
            time.sleep(1)
        """).encode()
    options = {rule.code: dict(rule.options) for rule in RULES}
    result = analyze("app/handler.py", source, RULES, options)
    crashed = sorted(e.message.split()[2] for e in result.errors if "scan bug" in e.message)
    assert crashed == ["RVW401", "RVW402", "RVW403", "RVW404"]
    assert [f.code for f in result.findings] == ["RVW501"]


MIXED = textwrap.dedent("""\
    import asyncio
    import time

    from sqlalchemy.orm import Session


    async def handler(db: Session):
        time.sleep(1)
        db.execute("SELECT 1")
        await asyncio.to_thread(print, time.sleep(2))
    """).encode()


@pytest.mark.parametrize("broken_rule", ASYNC_IO, ids=lambda rule: rule.code)
def test_a_crash_in_one_rule_leaves_its_siblings_reporting(monkeypatch, broken_rule: type) -> None:  # noqa: ANN001
    def broken(self, frame) -> None:  # noqa: ANN001
        raise ValueError("rule bug")

    monkeypatch.setattr(broken_rule, "finish_function", broken)
    options = {rule.code: dict(rule.options) for rule in ASYNC_IO}
    result = analyze("app/handler.py", MIXED, ASYNC_IO, options)
    assert [e.message.split()[2] for e in result.errors] == [broken_rule.code]
    assert sorted(f.code for f in result.findings) == sorted({"RVW401", "RVW402", "RVW404"} - {broken_rule.code})


def test_a_distribution_of_the_repository_that_is_a_program_run_by_hand_serves_nothing(tmp_path: Path) -> None:
    """`packages/bench/` has a `pyproject.toml` of its own that declares a command-line program
    (`[project.scripts]`), and serves nothing: its coroutines run in that program, even those it
    reaches only through a registry the analysis cannot follow (`SUITES`), or through a handler
    the command line picks (`packages/evals/`). A library distribution (one running a demo under
    `__main__` too), a program that is a server (an MCP server's tools), and a module of a
    program's distribution that the application imports, still count."""
    write(tmp_path, {
        "app/__init__.py": "",
        "app/main.py": """\
            from fastapi import FastAPI

            from shared.reports import render

            app = FastAPI()


            @app.get("/report")
            async def report():
                return {"text": await render()}
        """,
        "packages/bench/pyproject.toml": "[project]\nname = 'bench'\n[project.scripts]\nbench = 'bench.cli:main'\n",
        "packages/bench/bench/__init__.py": "",
        "packages/bench/bench/suites.py": """\
            class Ingest:
                async def run(self, path):
                    with open(path) as handle:
                        return handle.read()


            class Export:
                async def run(self, path):
                    return path


            SUITES = {"ingest": Ingest, "export": Export}
        """,
        "packages/bench/bench/cli.py": """\
            import asyncio

            from bench.suites import SUITES


            async def run_all(path):
                for suite in SUITES.values():
                    await suite().run(path)


            def main():
                asyncio.run(run_all("data.txt"))


            if __name__ == "__main__":
                main()
        """,
        "packages/evals/pyproject.toml": "[project]\nname = 'evals'\n[project.scripts]\nevals = 'evals.cli:main'\n",
        "packages/evals/evals/__init__.py": "",
        "packages/evals/evals/cli.py": """\
            import argparse
            import asyncio


            async def fetch_corpus(args):
                with open(args.corpus) as handle:
                    return handle.read()


            def main():
                parser = argparse.ArgumentParser()
                parser.add_argument("corpus")
                parser.set_defaults(handler=fetch_corpus)
                args = parser.parse_args()
                return asyncio.run(args.handler(args))
        """,
        "packages/mcp/pyproject.toml": "[project.scripts]\nnotes-mcp = 'notes_mcp.server:main'\n",
        "packages/mcp/notes_mcp/__init__.py": "",
        "packages/mcp/notes_mcp/server.py": """\
            from mcp.server.fastmcp import FastMCP

            mcp = FastMCP("notes")


            @mcp.tool()
            async def read_note(path: str) -> str:
                with open(path) as handle:
                    return handle.read()


            def main():
                mcp.run()
        """,
        "packages/client/pyproject.toml": "[project]\nname = 'client'\n",
        "packages/client/client/__init__.py": "",
        "packages/client/client/api.py": """\
            import asyncio

            import requests


            class Client:
                async def status(self):
                    return requests.get("https://api.example.com/status", timeout=5).json()

                async def version(self):
                    return "1.0"


            if __name__ == "__main__":
                print(asyncio.run(Client().version()))
        """,
        "packages/shared/pyproject.toml": "[project]\nname = 'shared'\n",
        "packages/shared/shared/__init__.py": "",
        "packages/shared/shared/reports.py": """\
            import asyncio


            async def render():
                with open("template.txt") as handle:
                    return handle.read()


            if __name__ == "__main__":
                asyncio.run(render())
        """,
    })
    found = {(f.path, f.span.line) for f in check(tmp_path, select="RVW401")}
    assert found == {
        ("packages/client/client/api.py", 8),
        ("packages/mcp/notes_mcp/server.py", 8),
        ("packages/shared/shared/reports.py", 5),
    }


def test_what_a_modal_application_runs_as_a_program_is_not_serving(tmp_path: Path) -> None:
    """A Modal application's functions (`@app.function()`, `@app.local_entrypoint()`) run in
    Modal's containers one input at a time, or on the developer's machine, with what they call:
    not on a loop serving requests. One that serves the web (`@modal.asgi_app()`) or takes inputs
    concurrently (`@modal.concurrent`, `allow_concurrent_inputs=`) still counts, as does a
    function of another object's `function` method."""
    write(tmp_path, {
        "evaluation/__init__.py": "",
        "evaluation/report.py": """\
            async def write_report(path, text):
                with open(path, "w") as handle:
                    handle.write(text)
        """,
        "evaluation/modal_run.py": """\
            import modal

            from evaluation.report import write_report

            app = modal.App("run-eval")
            registry = Registry()


            @app.function(timeout=3600)
            async def run_eval(path):
                await write_report(path, "done")


            @app.local_entrypoint()
            async def main():
                with open("config.json") as handle:
                    await run_eval.remote.aio(handle.read())


            @app.function()
            @modal.concurrent(max_inputs=10)
            async def answer(path):
                with open(path) as handle:
                    return handle.read()


            @app.function(allow_concurrent_inputs=8)
            async def answer_many(path):
                with open(path) as handle:
                    return handle.read()


            @registry.function()
            async def registered(path):
                with open(path) as handle:
                    return handle.read()
        """,
    })
    found = {(f.path, f.span.line) for f in check(tmp_path, select="RVW401")}
    assert found == {
        ("evaluation/modal_run.py", 23),
        ("evaluation/modal_run.py", 29),
        ("evaluation/modal_run.py", 35),
    }


def test_the_application_a_demo_program_declares_is_not_the_repositorys(tmp_path: Path) -> None:
    """A demo app under `examples/` is run by hand to try the package, and judged as tests are:
    its routes are not the repository's endpoints, so neither they nor what they call serve
    requests. The same route in the package counts."""
    route = """\
        from fastapi import FastAPI

        app = FastAPI()


        @app.get("/notes")
        async def notes():
            with open("notes.txt") as handle:
                return {"notes": handle.read()}
    """
    write(tmp_path, {
        "notes/__init__.py": "",
        "notes/main.py": route,
        "examples/demo/backend/app.py": route,
        "samples/app.py": route,
    })
    assert {(f.path, f.span.line) for f in check(tmp_path, select="RVW401")} == {("notes/main.py", 8)}
    config = Config(select=["response-schemas", "tests-present"])
    findings = engine.run([tmp_path], config, RULES, jobs=1, use_cache=False, cwd=tmp_path).findings
    assert {(f.code, f.path) for f in findings} == {("RVW962", "notes/main.py")}
