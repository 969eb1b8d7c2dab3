"""The base of the rules that read the SQL an application sends (`parameterized-queries` and
`no-select-star`): they judge each function's sink uses (`reviewer.semantics.sql`) once the
file has been walked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.rule import Rule
from reviewer.semantics.sql import SinkUse, SqlFacts
from reviewer.syntax import is_main_guard
from reviewer.traversal import descendants


class SqlRule(Rule):
    """Hands each group of sink uses (a function's, then the module body's) to `check_uses`.
    A rule whose repository pass asks what runs each finding's function sets `keeps_sites`: the
    function is then kept in the module summary's `extras` under the rule's code
    (`(line, column) -> qualified name`)."""

    always_applicable = False
    requires: ClassVar[tuple[type[Facts], ...]] = (SqlFacts,)
    keeps_sites: ClassVar[bool] = False

    def __init__(self, context, options) -> None:  # noqa: ANN001
        super().__init__(context, options)
        self._reported: set[tuple[int, int]] = set()
        self._function: str | None = None
        self._sites: dict[tuple[int, int], object] = {}
        self._main_block: frozenset[int] | None = None

    def leave_Module(self, original_node: cst.Module) -> None:
        if self.context.is_test_file:
            return  # SQL in tests reaches a throwaway database, not users
        sql = self.context.facts(SqlFacts)
        if sql.has_sinks:
            self.mark_applicable()
        for function, uses in sql.groups():
            self._function = function
            self.check_uses(uses)
        if self._sites:
            self.context.summary.extras[self.code] = self._sites

    def check_uses(self, uses: Sequence[SinkUse]) -> None:
        raise NotImplementedError

    def in_main_block(self, node: cst.CSTNode) -> bool:
        """Whether `node` is in the module's `if __name__ == "__main__":` block: a program run by
        hand, when the module is run as one."""
        if self._main_block is None:
            self._main_block = frozenset(
                id(inner) for statement in self.context.tree.body
                if isinstance(statement, cst.If) and is_main_guard(statement) for inner in descendants(statement)
            )
        return id(node) in self._main_block

    def report_at(self, node: cst.CSTNode, statement: cst.CSTNode | None, message: str) -> tuple[int, int] | None:
        """Report at `node`, suppressible on the lines of `statement` (which may lie outside
        the function being checked, as a module-level constant does). The finding's position, or
        None when one was reported there already."""
        span = self.context.span(node, statement)
        key = (span.line, span.column)
        if key in self._reported:
            return None
        self._reported.add(key)
        self.report_in(statement, node, message)
        if self.keeps_sites and self._function is not None:
            self._sites[key] = self._function
        return key

    def source(self, node: cst.CSTNode, limit: int = 60) -> str:
        text = " ".join(self.context.tree.code_for_node(node).split())
        return text if len(text) <= limit else text[: limit - 3] + "..."
