"""Untrusted text is used whole as SQL: `text(sort)`, `literal_column(column)`, `execute(query)`."""

from __future__ import annotations

from collections.abc import Sequence

from reviewer.model import Severity
from reviewer.semantics.sql import SinkUse
from rules._sql_rule import SqlRule


class SqlTextFromInput(SqlRule):
    """Untrusted text is used whole as SQL: `text(sort)`, `literal_column(column)`, `execute(query)`.

    ## What it does
    Flags a SQL sink (`text()`, `literal_column()`, `Session.execute`, `cursor.execute`, asyncpg and
    `databases` calls, `op.execute`, `pandas.read_sql`) whose SQL argument is, as a whole, a route
    parameter or request data, a `str` (or unannotated) function parameter, an HTTP response,
    `input()` or the command line, e.g. `stmt.order_by(text(sort))`. SQL read from the
    application's own files is not flagged.
    Parameters of functions that are not routes and that are named for what they carry (`sql`,
    `query`, `stmt`, `statement`, `where`, `*_sql`) or carry no annotation are the caller's SQL by
    contract and are not flagged; a `str` parameter is.

    ## Why is this bad?
    `text()` and `literal_column()` render their argument into the statement verbatim; a client
    that controls it writes SQL. `?sort=(SELECT password FROM users LIMIT 1)` leaks data through the
    sort order.

    ## Example
    ```python
    @router.get("/items")
    async def list_items(sort: str = "created_at", session: AsyncSession = Depends(get_session)):
        result = await session.execute(select(Item).order_by(text(sort)))
    ```

    ## Use instead
    ```python
    SORTABLE = {"created_at": Item.created_at, "name": Item.name}

    @router.get("/items")
    async def list_items(
        sort: Literal["created_at", "name"] = "created_at", session: AsyncSession = Depends(get_session)
    ):
        result = await session.execute(select(Item).order_by(SORTABLE[sort]))
    ```
    Values go in as bound parameters: `text("... WHERE id = :id").bindparams(id=item_id)`,
    `cursor.execute("... WHERE id = %s", (item_id,))`, `await conn.fetch("... WHERE id = $1", item_id)`.

    ## Known problems
    Only values whose origin the function shows are flagged; see `RVW201`. Test code is not checked.
    """

    code = "RVW202"
    name = "sql-text-from-input"
    checklist = "parameterized-queries"
    severity = Severity.ERROR

    def check_uses(self, uses: Sequence[SinkUse]) -> None:
        for use in uses:
            if use.raw is None or not use.raw_trust.untrusted or use.raw_is_sql_parameter:
                continue
            sink = use.executor or use.sink
            self.report_at(
                use.raw,
                use.statement,
                f"{use.raw_trust.origin} '{self.source(use.raw, 40)}' is used as SQL text by {sink}; "
                "bind values as parameters and map identifiers through an allow-list",
            )
