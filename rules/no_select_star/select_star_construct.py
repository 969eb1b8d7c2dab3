"""A SQLAlchemy `select()` projects `*` through `literal_column("*")` or `text("*")`."""

from __future__ import annotations

import re

from reviewer import lazy_cst as cst
from reviewer.model import Severity
from reviewer.rule import Rule
from reviewer.semantics.sql import SQL_FRAGMENT_FUNCTIONS
from reviewer.syntax import argument, string_value

SELECT_FUNCTIONS = frozenset(
    {
        "sqlalchemy.select",
        "sqlalchemy.sql.select",
        "sqlalchemy.sql.expression.select",
        "sqlalchemy.future.select",
        "sqlmodel.select",
        "sqlmodel.sql.expression.select",
    }
)
PROJECTION_METHODS = frozenset({"with_only_columns", "add_columns", "query"})
_STAR = re.compile(r"^\s*(?:[A-Za-z_][\w$]*\s*\.\s*)?\*\s*$")


class SelectStarConstruct(Rule):
    """A SQLAlchemy `select()` projects `*` through `literal_column("*")` or `text("*")`.

    ## What it does
    Flags `select(literal_column("*"))`, `select(text("*"))`, `select(literal_column("u.*"))`, and
    the same arguments to `with_only_columns()`, `add_columns()` and `Session.query()`, with the
    functions resolved through imports (SQLAlchemy 1.4/2.0 and SQLModel).

    Not flagged: entity selects (`select(User)`, `session.query(Model)`), which name their columns
    from the mapping, and `func.count(literal_column("*"))`.

    ## Why is this bad?
    It is `SELECT *` spelled in Python: the rows change shape with the table, and columns nobody
    asked for (password hashes, tokens) travel with every row.

    ## Example
    ```python
    stmt = select(literal_column("*")).select_from(orders_table).where(orders_table.c.customer_id == customer_id)
    ```

    ## Use instead
    ```python
    stmt = select(orders_table.c.id, orders_table.c.status).where(orders_table.c.customer_id == customer_id)
    ```

    ## Known problems
    A `*` column built in a variable before it reaches `select()` is not followed. Test code is not
    checked.
    """

    code = "RVW211"
    name = "select-star-construct"
    checklist = "no-select-star"
    severity = Severity.WARNING
    always_applicable = False

    def visit_Call(self, node: cst.Call) -> None:
        if self.context.is_test_file:
            return
        func = node.func
        name = self.qualify(func)
        if name in SELECT_FUNCTIONS:
            where = "select()"
        elif isinstance(func, cst.Attribute) and func.attr.value in PROJECTION_METHODS:
            where = f"{func.attr.value}()"
        else:
            return
        self.mark_applicable()
        for arg in node.args:
            values = arg.value.elements if isinstance(arg.value, (cst.List, cst.Tuple)) else [arg.value]
            for value in values:
                value = value.value if isinstance(value, cst.BaseElement) else value
                star = self._star_column(value)
                if star is not None:
                    self.report(value, f"{where} projects {star}: name the columns the code reads")

    def _star_column(self, node: cst.BaseExpression) -> str | None:
        if not isinstance(node, cst.Call) or self.qualify(node.func) not in SQL_FRAGMENT_FUNCTIONS:
            return None
        arg = argument(node, 0, "text")
        text = string_value(arg.value) if arg is not None else None
        if text is None or not _STAR.match(text):
            return None
        return f"{self.context.tree.code_for_node(node.func)}({text!r})"
