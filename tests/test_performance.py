"""The engine's shortcuts give the same answers as the libcst calls they replace, and the benchmark's
repository generator is deterministic and produces code every tool can parse."""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import ClassVar

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from reviewer import engine, pool
from reviewer.registry import load_rules
from reviewer.rule import FileContext
from reviewer.semantics.names import ImportTable, NameResolver
from reviewer.summary import ModuleSummary, SummaryBuilder
from reviewer.traversal import visitor_methods

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))

from generate import generate  # noqa: E402 - bench/ is not a package

SOURCE = """\
import time
from fastapi import APIRouter

router = APIRouter()


@router.get("/items")
async def items(limit: int = 10):
    time.sleep(1)
    if limit > 5:
        return [await fetch(i) for i in range(limit)]
    return []
"""


def _context(tree: cst.Module) -> FileContext:
    table = ImportTable.of(tree, "app.items", False)
    summary = ModuleSummary(path="app/items.py", module="app.items", is_test_file=False, imports=table)
    return FileContext(
        path="app/items.py",
        source=SOURCE,
        tree=tree,
        resolver=NameResolver(table),
        summary=summary,
        is_test_file=False,
        statements=[],
    )


def test_visitor_methods_match_libcst_for_every_rule_and_engine_visitor():
    tree = cst.parse_module(SOURCE)
    context = _context(tree)
    visitors = [rule(context, {}) for rule in load_rules()]
    visitors += [context.resolver, SummaryBuilder(context.summary, context.resolver, context)]
    for visitor in visitors:
        expected = cst.BatchableCSTVisitor.get_visitors(visitor)
        assert visitor_methods(visitor) == expected, type(visitor).__name__
        # Twice: the second call is served from the per-class cache.
        assert visitor_methods(visitor) == expected, type(visitor).__name__


def test_spans_equal_positions_resolved_through_the_wrapper():
    tree = cst.parse_module(SOURCE)
    context = _context(tree)
    resolved = MetadataWrapper(tree, unsafe_skip_copy=True).resolve(PositionProvider)
    calls: list[cst.Call] = []

    class Calls(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            calls.append(node)

    tree.visit(Calls())
    assert len(calls) == 5
    for node in calls:
        code_range = resolved[node]
        span = context.span(node)
        assert (span.line, span.column, span.end_line, span.end_column) == (
            code_range.start.line,
            code_range.start.column + 1,
            code_range.end.line,
            code_range.end.column + 1,
        )


def test_batches_are_capped_in_size_and_keep_every_file_once():
    items = [(f"app/m{i}.py", b"x = 1\n" * 20_000) for i in range(100)]  # 120 KB each, 12 MB in all
    batches = pool.chunks(items, jobs=2)
    assert sorted(item for batch in batches for item in batch) == sorted(items)
    for batch in batches:
        assert len(batch) == 1 or sum(len(data) for _, data in batch[:-1]) < pool.MAX_BATCH_BYTES
    # The cap decides (five files go past 512 KB) until a quarter of what is left is less.
    assert [len(batch) for batch in batches] == [5] * 17 + [4, 3, 2, 2, 2, 2]


def test_batches_start_with_the_largest_files_and_shrink_as_the_work_runs_out():
    items = [(f"app/m{size}.py", b"#" * 1000 * size) for size in (3, 8, 1, 6, 4, 7, 2, 5)]
    batches = pool.chunks(items, jobs=2)
    # 36 KB and eight files (44 KB with what a file costs besides its size) for two workers: the
    # first batch takes a quarter of it (it goes past 11 KB with its second file), each later one
    # a quarter of what is left, down to the smallest batch.
    assert [[relpath for relpath, _ in batch] for batch in batches] == [
        ["app/m8.py", "app/m7.py"], ["app/m6.py"], ["app/m5.py"], ["app/m4.py"], ["app/m3.py"], ["app/m2.py"],
        ["app/m1.py"],
    ]


def test_generator_is_deterministic_and_sized(tmp_path):
    first = generate(tmp_path / "a", 3000, seed=7)
    second = generate(tmp_path / "b", 3000, seed=7)
    other = generate(tmp_path / "c", 3000, seed=8)
    files_a = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.py"))
    files_b = sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*.py"))
    assert first == second and files_a == files_b
    assert all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes() for f in files_a)
    assert any(
        not (tmp_path / "c" / f).exists() or (tmp_path / "c" / f).read_bytes() != (tmp_path / "a" / f).read_bytes()
        for f in files_a
    )
    assert 3000 <= first["lines"] < 4000 and first["files"] == len(files_a)
    assert other["lines"] >= 3000
    kinds = {f.name for f in files_a}
    assert {"router.py", "service.py", "models.py", "schemas.py", "settings.py"} <= kinds
    assert any(f.parts[0] == "migrations" for f in files_a)
    for relpath in files_a:
        ast.parse((tmp_path / "a" / relpath).read_text(encoding="utf-8"))


def test_prefilter_skips_a_rule_only_in_files_that_never_name_its_packages(tmp_path):
    from reviewer.analysis import analyze
    from reviewer.rule import Rule

    class SleepRule(Rule):
        """Flags time.sleep."""

        code = "RVW990"
        name = "test-sleep"
        checklist = "async-io"
        prefilter_packages = ("time",)
        walked: ClassVar[list[str]] = []

        def visit_Module(self, node: cst.Module) -> None:
            self.walked.append(self.context.path)

        def visit_Call(self, node: cst.Call) -> None:
            if self.qualify(node.func) == "time.sleep":
                self.report(node, "sleep")

    flagged = analyze("app/a.py", b"import time\ntime.sleep(1)\n", [SleepRule], {})
    assert [f.span.line for f in flagged.findings] == [2]
    local_import = analyze("app/b.py", b"def f():\n    from time import sleep\n    sleep(1)\n", [SleepRule], {})
    assert [f.span.line for f in local_import.findings] == [3]
    skipped = analyze("app/c.py", b"import asyncio\nasyncio.run(main())\n", [SleepRule], {})
    assert skipped.findings == [] and skipped.errors == []
    assert skipped.applicable == {"async-io"}  # an always-applicable rule still counts the file
    assert SleepRule.walked == ["app/a.py", "app/b.py"]


def test_repository_pass_indexes_are_built_once_per_run(monkeypatch):
    from pathlib import Path

    from reviewer.config import Config
    from reviewer.registry import load_rules
    from reviewer.semantics.fastapi import index as endpoints
    from rules.async_io import _repo_types

    built = {"endpoints": 0, "types": 0}
    real_index, real_types = endpoints.EndpointIndex.__init__, _repo_types.RepoTypes.__init__

    def count_index(self, *args, **kwargs):
        built["endpoints"] += 1
        real_index(self, *args, **kwargs)

    def count_types(self, *args, **kwargs):
        built["types"] += 1
        real_types(self, *args, **kwargs)

    monkeypatch.setattr(endpoints.EndpointIndex, "__init__", count_index)
    monkeypatch.setattr(_repo_types.RepoTypes, "__init__", count_types)
    sample = Path(__file__).resolve().parent.parent / "fixtures" / "sample_app"
    run = engine.run([sample], Config(), load_rules(), jobs=1, use_cache=False, cwd=sample.parent)
    assert {"RVW301", "RVW302", "RVW403"} <= {f.code for f in run.findings}
    assert built == {"endpoints": 1, "types": 1}


def test_local_imports_still_resolve_when_rules_leave_the_function(tmp_path):

    from reviewer.config import Config
    from reviewer.model import Severity
    from reviewer.rule import Rule

    class ReportsOnLeave(Rule):
        """Resolves the callee of every call as it leaves the function."""

        code, name, checklist, severity = "RVW996", "reports-on-leave", "async-io", Severity.INFO

        def __init__(self, context, options):
            super().__init__(context, options)
            self.calls = []

        def visit_Call(self, node: cst.Call) -> None:
            self.calls.append(node)

        def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
            for call in self.calls:
                self.report(call, f"calls {self.qualify(call.func)}")
            self.calls.clear()

    (tmp_path / "jobs.py").write_text("def fetch(url):\n    import requests as r\n    return r.get(url)\n")
    run = engine.run([tmp_path], Config(select=["RVW996"]), [ReportsOnLeave], jobs=1, use_cache=False, cwd=tmp_path)
    assert [f.message for f in run.findings] == ["calls requests.get"]


def test_a_run_from_the_cache_never_imports_libcst(tmp_path):
    """Reviews run in worker processes; the process that reads the cache, runs the repository
    pass and reports loads the rules but not libcst (see reviewer.lazy_cst)."""
    import json
    import os
    import subprocess

    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "main.py").write_text(
        "import time\nfrom fastapi import FastAPI\n\napp = FastAPI()\n\n\n"
        "@app.get('/items')\nasync def items():\n    time.sleep(1)\n    return []\n"
    )
    script = (
        "import json, sys\n"
        "sys.argv = ['reviewer', 'check', '.', '--format', 'json', '-o', 'report.json']\n"
        "from reviewer.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] == 'libcst')))\n"
    )
    environment = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    loaded = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", script], cwd=tmp_path, env=environment, capture_output=True, text=True, check=True
        )
        loaded.append(json.loads(done.stdout.splitlines()[-1]))
        report = json.loads((tmp_path / "report.json").read_text())
        assert sorted(f["code"] for f in report["findings"]) == ["RVW401", "RVW951"]
    assert loaded == [[], []], "neither the cold run's parent process nor the warm run imports libcst"


def test_the_program_never_turns_the_cycle_collector_back_on_and_main_leaves_it_as_it_was(tmp_path):
    """The `reviewer` program exits after its one report, so it does not pay for the collector
    to trace everything the run kept; a caller of `main` gets its collector back as it was."""
    import gc
    import json
    import subprocess

    from click.testing import CliRunner

    from reviewer.cli import main

    (tmp_path / "main.py").write_text("import time\n\n\nasync def handler():\n    time.sleep(1)\n")
    script = (
        "import gc, json, sys\n"
        "sys.argv = ['reviewer', 'check', '.', '--no-cache', '--format', 'json', '-o', 'report.json']\n"
        "from reviewer.cli import command\n"
        "try:\n    command()\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(gc.isenabled()))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.splitlines()[-1]) is False
    report = json.loads((tmp_path / "report.json").read_text())
    assert [(f["code"], f["line"]) for f in report["findings"]] == [("RVW401", 5)]

    assert gc.isenabled()
    result = CliRunner().invoke(main, ["check", str(tmp_path), "--no-cache", "-q", "--exit-zero"])
    assert result.exit_code == 0
    assert gc.isenabled()


def test_rules_that_declare_libcst_metadata_get_it_and_others_pay_nothing(monkeypatch):
    from libcst.metadata import FullyQualifiedNameProvider, ParentNodeProvider, PositionProvider

    from reviewer import analysis
    from reviewer.model import Severity
    from reviewer.rule import Rule

    class BareCallStatement(Rule):
        """Flags a call made as a statement of its own, from libcst's parent and position metadata."""

        code, name, checklist, severity = "RVW995", "bare-call", "async-io", Severity.INFO
        METADATA_DEPENDENCIES = (ParentNodeProvider, PositionProvider)

        def visit_Call(self, node: cst.Call) -> None:
            if isinstance(self.get_metadata(ParentNodeProvider, node), cst.Expr):
                line = self.get_metadata(PositionProvider, node).start.line
                self.report(node, f"bare call on line {line}")

    class NeedsARepository(Rule):
        """Declares a provider that cannot be resolved for a single file."""

        code, name, checklist, severity = "RVW994", "needs-repo", "async-io", Severity.INFO
        METADATA_DEPENDENCIES = (FullyQualifiedNameProvider,)

        def visit_Call(self, node: cst.Call) -> None:
            self.report(node, "never")

    source = b"import time\n\nvalue = compute()\ntime.sleep(1)\n"
    result = analysis.analyze("app/jobs.py", source, [BareCallStatement, NeedsARepository], {})
    assert [(f.code, f.span.line, f.message) for f in result.findings] == [("RVW995", 4, "bare call on line 4")]
    assert [e.message.split(":")[0] for e in result.errors] == ["RVW994 (needs-repo) was not run"]
    undeclared = NeedsARepository.__new__(NeedsARepository)
    with pytest.raises(KeyError):
        undeclared.get_metadata(ParentNodeProvider, cst.Name("x"))

    def no_wrapper(*args, **kwargs):
        raise AssertionError("no rule declared metadata, so no MetadataWrapper is built")

    monkeypatch.setattr(cst, "MetadataWrapper", no_wrapper)
    plain = analysis.analyze("app/jobs.py", source, load_rules(), {})
    assert plain.errors == []


def test_reviewing_files_again_leaves_no_new_classes_behind():
    """A class made on every call (a visitor defined inside a function) is kept for good by the
    walk's per-class caches: a worker reviewing thousands of files grows and slows down."""
    import gc

    from reviewer.analysis import analyze

    rules = load_rules()
    fixtures = Path(__file__).resolve().parent.parent / "fixtures"
    files = sorted(fixtures.rglob("*.py"))
    data = [(str(path.relative_to(fixtures)), path.read_bytes()) for path in files]

    def review_and_count() -> int:
        for path, content in data:
            analyze(path, content, rules, {})
        gc.collect()
        return sum(1 for thing in gc.get_objects() if isinstance(thing, type))

    review_and_count()  # the first review fills the caches every run needs
    assert review_and_count() == review_and_count()


def _frozen_after_worker_setup(setup):
    import gc

    pool._init_worker(setup)
    return gc.get_freeze_count()


def test_a_worker_leaves_the_objects_it_inherits_to_the_review_process(tmp_path):
    """A worker forked after a cache read starts with every cached summary the review process
    holds; the collections it runs after each file must not traverse them again and again (they
    were most of a warm run's time with one file changed)."""
    import multiprocessing

    held = [{"summary": n} for n in range(50_000)]
    setup = pool._WorkerSetup([], {}, str(tmp_path), 1 << 30)
    with multiprocessing.get_context("fork").Pool(1) as workers:
        frozen = workers.apply(_frozen_after_worker_setup, (setup,))
    assert frozen >= len(held)


def test_a_files_walk_lets_go_of_its_tree():
    """The rules, the analyses and the file's context refer to one another, and so do an
    analysis's parts (a flow and its domain, an error-path walk and what it records); unless
    those references are let go or weak, the tree waits in their cycles for the collector run
    after every file, which then traverses every node of it."""
    import gc

    from reviewer.analysis import walk
    from reviewer.model import FileResult

    tree = cst.parse_module(SOURCE)
    result = FileResult(path="app/items.py")
    enabled = gc.isenabled()
    gc.disable()
    try:
        gc.collect()
        walk(result, SOURCE, tree, load_rules(), {})
        holders = [holder for holder in gc.get_referrers(tree) if holder is not sys._getframe()]
        del tree
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        left = sorted({type(thing).__name__ for thing in gc.garbage if type(thing).__module__.startswith("libcst.")})
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if enabled:
            gc.enable()
    assert holders == []
    assert left == []  # nothing of the tree was left to the collector
    assert [(finding.code, finding.span.line) for finding in result.findings] == [("RVW401", 9)]  # `time.sleep(1)`
