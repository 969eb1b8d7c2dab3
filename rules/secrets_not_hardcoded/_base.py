"""The secrets rules' common base: their checklist item, severity in test code, options, and
knowing when the walk is inside an OpenAPI example; `LiteralScanningRule` reads every string
literal once."""

from __future__ import annotations

from typing import Any, ClassVar

from reviewer import lazy_cst as cst
from reviewer.model import Severity
from reviewer.rule import Rule
from rules.secrets_not_hardcoded._literals import (
    expression_statement_strings,
    is_plain_literal,
    literal_text,
    target_name,
)
from rules.secrets_not_hardcoded._policy import is_test_like_path

CHECKLIST_ITEM = "secrets-not-hardcoded"


# Names whose values are documentation (OpenAPI examples), not configuration.
EXAMPLE_NAMES = frozenset(
    {"example", "examples", "json_schema_extra", "schema_extra", "openapi_examples", "openapi_extra"}
)


class SecretRule(Rule):
    """Common behaviour of the secrets rules: checklist, severity in test code, masking, and
    knowing when the walk is inside an OpenAPI example (`Field(examples=[...])`,
    `json_schema_extra={...}`), whose values are documentation. Subclasses that define
    `visit_Assign`, `visit_AnnAssign`, `visit_Arg` or `visit_DictElement` call `super()`."""

    checklist = CHECKLIST_ITEM
    severity = Severity.ERROR
    reveals_secret = True
    options: ClassVar[dict[str, Any]] = {
        "test-severity": Severity.INFO,
        "extra-placeholders": [],
    }

    def __init__(self, context, options) -> None:  # noqa: ANN001
        super().__init__(context, options)
        self._example_regions: list[cst.CSTNode] = []

    @property
    def in_test_code(self) -> bool:
        """Test code (`tests/`, `conftest.py`, `test_*.py`) and seed/fixture data modules
        (`scripts/seeds.py`, `app/user_factories.py`), whose credentials are made up on purpose."""
        return is_test_like_path(self.context.path, self.context.is_test_file)

    def default_severity(self) -> Severity:
        """Findings in test code are reported at the `test-severity` option (info unless
        configured)."""
        if self.in_test_code:
            return self.config.get("test-severity", Severity.INFO)
        return super().default_severity()

    @property
    def extra_placeholders(self) -> list[str]:
        return list(self.config.get("extra-placeholders", []))

    def in_example(self) -> bool:
        return bool(self._example_regions)

    def _enter_example(self, node: cst.CSTNode, name: str | None) -> None:
        if name in EXAMPLE_NAMES:
            self._example_regions.append(node)

    def _leave_example(self, node: cst.CSTNode) -> None:
        if self._example_regions and self._example_regions[-1] is node:
            self._example_regions.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._enter_example(node, target_name(target.target))

    def leave_Assign(self, original_node: cst.Assign) -> None:
        self._leave_example(original_node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._enter_example(node, target_name(node.target))

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        self._leave_example(original_node)

    def visit_Arg(self, node: cst.Arg) -> None:
        self._enter_example(node, node.keyword.value if node.keyword is not None else None)

    def leave_Arg(self, original_node: cst.Arg) -> None:
        self._leave_example(original_node)

    def visit_DictElement(self, node: cst.DictElement) -> None:
        self._enter_example(node, literal_text(node.key) if is_plain_literal(node.key) else None)

    def leave_DictElement(self, original_node: cst.DictElement) -> None:
        self._leave_example(original_node)


class LiteralScanningRule(SecretRule):
    """A secrets rule that reads every string literal once: an implicitly concatenated string or
    an f-string whole (not its parts again), and not docstrings or other string statements."""

    def __init__(self, context, options) -> None:  # noqa: ANN001
        super().__init__(context, options)
        self._documentation: set[cst.CSTNode] = set()
        self._string_depth = 0

    def check_literal(self, node: cst.BaseExpression, text: str) -> None:
        raise NotImplementedError

    def visit_Module(self, node: cst.Module) -> None:
        self._documentation.update(expression_statement_strings(node.body))

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._documentation.update(expression_statement_strings(node.body))

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        self._scan(node)

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
        self._scan(node)
        self._string_depth += 1

    def leave_ConcatenatedString(self, original_node: cst.ConcatenatedString) -> None:
        self._string_depth -= 1

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        self._scan(node)
        self._string_depth += 1

    def leave_FormattedString(self, original_node: cst.FormattedString) -> None:
        self._string_depth -= 1

    def _scan(self, node: cst.BaseExpression) -> None:
        if self._string_depth or node in self._documentation or self.in_example():
            return
        text = literal_text(node)
        if text:
            self.check_literal(node, text)
