"""SQL sent to the database selects `*` (or `alias.*`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from reviewer.facts import Facts
from reviewer.model import Severity
from reviewer.rule import RepoContext
from reviewer.semantics.migrations import is_migration
from reviewer.semantics.serving import EntryPointFacts, ServingPaths
from reviewer.semantics.sql import SinkUse, SqlFacts, star_projections
from rules._sql_rule import SqlRule


class SelectStar(SqlRule):
    """SQL sent to the database selects `*` (or `alias.*`).

    ## What it does
    Parses the SQL text that reaches a sink (`text()`, `Session.execute`, `cursor.execute`, asyncpg,
    `databases`, `op.execute`, `pandas.read_sql`, ...), also when it is assembled from constants and
    variables within the function or held in a module constant, and flags `SELECT *` and `alias.*`
    in the projection of the statement's result: a plain query, each branch of a `UNION`, the outer
    query of a `WITH`, `INSERT ... SELECT *`, `CREATE TABLE ... AS SELECT *`.

    Not flagged: `COUNT(*)` and other aggregates, `EXISTS (SELECT * ...)`, stars in subqueries whose
    outer query names its columns, a star over derived tables alone whose queries name theirs
    (`SELECT * FROM (SELECT id, name FROM users) AS u`, each branch of a `UNION` in it) or that
    values of the code fill whole (`FROM ({images} UNION ALL {videos}) AS items`: those queries
    are checked where they are written), a query that returns no row and so reads only the names and
    types of its result's columns (`SELECT * FROM (...) LIMIT 0`, `WHERE 1 = 0`), arithmetic
    (`price * qty`), stars in SQL comments and string literals, stars in Python strings that are
    never executed (docstrings, log and error messages), and migrations (an operator runs them
    once, against the schema of their own revision: copying a table whole is what a data migration
    does). Nor queries in functions that only one-shot code
    runs (start-up and shutdown, command-line programs, scripts: `reviewer.semantics.serving`), nor
    in a module's `if __name__ == "__main__":` block: the shape of their result costs no request
    anything. A function a package's `__init__` re-exports
    is reported all the same: it is an interface that code outside the repository (plugins,
    extensions served in-process) may call while serving.

    ## Why is this bad?
    The result changes shape when a column is added: more data over the wire, wider rows in memory,
    secrets (password hashes, tokens) read where nobody meant to, and code that breaks on a renamed
    column far from the query. Covering indexes cannot serve it.

    ## Example
    ```python
    rows = await conn.fetch("SELECT * FROM orders WHERE customer_id = $1", customer_id)
    ```

    ## Use instead
    ```python
    rows = await conn.fetch("SELECT id, status, total FROM orders WHERE customer_id = $1", customer_id)
    ```

    ## Known problems
    SQL text that does not parse is scanned for top-level `SELECT *` only. SQL assembled in another
    function is not followed. A table name a value fills in parentheses (`FROM ({table})`) is
    taken for a query built elsewhere. Test code is not checked.
    """

    code = "RVW210"
    name = "select-star"
    checklist = "no-select-star"
    severity = Severity.WARNING
    # Which functions only one-shot code runs.
    requires: ClassVar[tuple[type[Facts], ...]] = (SqlFacts, EntryPointFacts)
    keeps_sites = True

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        if not repo.file_findings:
            return
        serving: ServingPaths = repo.facts(EntryPointFacts)
        sites = {summary.path: summary.extras.get(cls.code, {}) for summary in repo.summaries}
        exported = {serving.index.canonical(full) for summary in repo.summaries
                    if summary.imports.is_package for full in summary.imports.aliases.values()}
        for finding in repo.file_findings:
            function = sites.get(finding.path, {}).get((finding.span.line, finding.span.column))
            if function is not None and function not in exported and serving.is_serving(function) is False:
                repo.withdraw(finding)

    def check_uses(self, uses: Sequence[SinkUse]) -> None:
        if is_migration(self.context.path, self.context.summary.imports):
            return
        for use in uses:
            for sql in use.strings or ():
                for star in star_projections(sql):
                    if self._function is None and self.in_main_block(star.piece.node):
                        continue  # the module run by hand, as a program
                    what = "SELECT *" if star.projection == "*" else f"SELECT {star.projection}"
                    self.report_at(
                        star.piece.node,
                        star.piece.statement,
                        f"{what} in SQL sent to {use.executor or use.sink}: name the columns the code reads",
                    )
