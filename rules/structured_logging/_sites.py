"""What the structured-logging rules share: where in a module a node is (the function it runs in,
as the module summaries name it, and whether it runs only at import or in a `__main__` block),
which modules are not application code at all, and the repository pass that takes back findings
in functions only one-shot code runs (`reviewer.semantics.serving`).

A rule records, for each finding, the qualified name of the function it is in, under its code in
`summary.extras`; `withdraw_one_shot` then withdraws the findings whose function serving code
never reaches but a command-line program, a script or start-up does, and those in a module that
is a program of its own (a `__main__` block, or `argparse`/`click`/`typer` imported) that
serving code is not known to reach, and any in a `scripts/`-like module the application does
not import (whatever a guess by method name says).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import PurePosixPath
from typing import ClassVar

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.model import Finding
from reviewer.rule import RepoContext, Rule
from reviewer.semantics.migrations import is_migration
from reviewer.semantics.serving import EntryPointFacts, ServingPaths, is_one_shot_module
from reviewer.summary import ModuleSummary
from reviewer.syntax import is_main_guard

# Directories whose modules are examples, seeds or fixtures, judged as tests.
NOT_APPLICATION_DIRECTORIES = frozenset({
    "examples", "example", "fixtures", "seeds", "seed", "samples", "sample", "demo", "demos", "notebooks",
    "benchmarks", "benchmark", "evals", "docs", "dev", "scripts", "bin",
})
MAIN_GUARD = "structured-logging-main"  # summary extras: the module has a `__main__` block
PROGRAM_PACKAGES = ("argparse", "click", "typer", "asyncclick", "fire")


def is_application_module(context) -> bool:  # noqa: ANN001
    """Not a test, a migration, a script, an example or a seed."""
    if context.is_test_file or is_migration(context.path, context.summary.imports):
        return False
    parts = PurePosixPath(context.path).parts
    name = parts[-1]
    if name in ("__main__.py", "conftest.py", "setup.py", "noxfile.py", "manage.py") or name.startswith("test_"):
        return False
    return not any(part in NOT_APPLICATION_DIRECTORIES for part in parts[:-1])


class SiteRule(Rule):
    """A rule of the family: keeps the scope stack its findings are recorded with."""

    # Which functions serve requests and which only run once, for `withdraw_one_shot`.
    requires: ClassVar[tuple[type[Facts], ...]] = (EntryPointFacts,)

    def __init__(self, context, options) -> None:  # noqa: ANN001
        super().__init__(context, options)
        self._scope: list[str] = []
        self._functions: list[cst.FunctionDef] = []
        self._main_guards = 0
        self.applies = is_application_module(context)
        self.sites: dict[tuple[int, int], str] = {}

    def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], None]]:
        return super().get_visitors() if self.applies else {}

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._scope.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._scope.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scope.append(node.name.value)
        self._functions.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._scope.pop()
        self._functions.pop()

    def visit_If(self, node: cst.If) -> None:
        if is_main_guard(node):
            self._main_guards += 1
            if not self._functions:
                self.context.summary.extras[MAIN_GUARD] = True

    def leave_If(self, original_node: cst.If) -> None:
        if is_main_guard(original_node):
            self._main_guards -= 1

    @property
    def function(self) -> cst.FunctionDef | None:
        return self._functions[-1] if self._functions else None

    def in_function_body(self) -> bool:
        """In a function, outside any `__main__` block: not code that runs at import."""
        return bool(self._functions) and not self._main_guards

    def function_qualname(self) -> str:
        return ".".join(p for p in (self.context.module, *self._scope) if p)

    def report_site(self, node: cst.CSTNode, message: str, statement: cst.CSTNode | None = None) -> None:
        self.report(node, message, statement=statement)
        span = self.findings[-1].span
        self.sites[(span.line, span.column)] = self.function_qualname()
        self.context.summary.extras[self.code] = self.sites


def _is_program(summary) -> bool:  # noqa: ANN001
    """A module that is a program of its own: it parses a command line."""
    return any(full.split(".")[0] in PROGRAM_PACKAGES for full in summary.imports.aliases.values())


def withdraw_one_shot(repo: RepoContext,
                      needs_serving: Callable[[ModuleSummary, Finding], bool] | None = None) -> None:
    """Take back findings in functions that only one-shot code runs (see the module docstring),
    and, where `needs_serving` says so of a finding, those that serving code is not known to
    reach."""
    if not repo.file_findings:
        return
    serving: ServingPaths = repo.facts(EntryPointFacts)
    imported = serving.imported
    by_path = {summary.path: summary for summary in repo.summaries}
    for finding in repo.file_findings:
        summary = by_path.get(finding.path)
        sites = summary.extras.get(repo.rule.code) if summary is not None else None
        function = sites.get((finding.span.line, finding.span.column)) if isinstance(sites, dict) else None
        if function is None:
            continue
        verdict = serving.is_serving(function)
        # A script's functions run as the script, whatever a guess by method name says.
        script = is_one_shot_module(summary) and summary.module not in imported
        if script or verdict is False or (verdict is None and (
                _is_program(summary) or summary.extras.get(MAIN_GUARD)
                or (needs_serving is not None and needs_serving(summary, finding)))):
            repo.withdraw(finding)


__all__ = ["SiteRule", "is_application_module", "withdraw_one_shot"]
