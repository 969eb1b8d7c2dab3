"""The tree is the architecture: data flows one way, and these tests hold the lines of it.

- no module of the engine, its surfaces or the semantic layer imports a rule (`rules/`);
- the semantic layer imports no engine surface (command line, configuration, reports, the engine
  itself) and no rule base at run time: it knows what code means, not who asks;
- reporters import no rule and no analysis: they read a finished run.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SURFACES = ("reviewer.cli", "reviewer.config", "reviewer.engine", "reviewer.reporters", "reviewer.rule")


def runtime_imports(path: Path) -> set[str]:
    """Modules `path` imports when it runs (not those imported only for type checking)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(inner) for inner in ast.walk(node)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_no_module_outside_rules_imports_a_rule() -> None:
    offending = {
        path.relative_to(ROOT).as_posix(): sorted(m for m in runtime_imports(path) if m.split(".")[0] == "rules")
        for path in modules("reviewer")
    }
    assert {path: found for path, found in offending.items() if found} == {}


def test_the_semantic_layer_knows_no_rule_and_no_surface() -> None:
    offending = {
        path.relative_to(ROOT).as_posix(): sorted(m for m in runtime_imports(path) if m.startswith(SURFACES))
        for path in modules("reviewer/semantics")
    }
    assert {path: found for path, found in offending.items() if found} == {}


def test_reporters_read_a_finished_run_only() -> None:
    offending = {
        path.relative_to(ROOT).as_posix(): sorted(
            m for m in runtime_imports(path) if m.startswith(("rules", "reviewer.semantics", "reviewer.analysis"))
        )
        for path in modules("reviewer/reporters")
    }
    assert {path: found for path, found in offending.items() if found} == {}


def test_every_rule_lives_in_the_package_of_its_checklist_item() -> None:
    from reviewer.registry import load_rules

    for rule in load_rules():
        package = rule.__module__.split(".")[1]
        assert package == rule.checklist.replace("-", "_"), f"{rule.code} lives in rules/{package}/"
