"""A `NOT NULL` column added to an existing table without a server default."""

from __future__ import annotations

from reviewer.semantics.alembic import Migration
from rules._migration_rule import MigrationRule
from rules.migration_safety._existing import call_name, on_existing_tables


class NotNullColumnWithoutDefault(MigrationRule):
    """A migration adds a `NOT NULL` column without a server default to an existing table.

    ## What it does
    Flags `op.add_column("t", sa.Column("c", ..., nullable=False))` (also a primary-key column,
    `batch_op.add_column(...)`, and `ALTER TABLE t ADD COLUMN c ... NOT NULL` in `op.execute`) when
    the column has no `server_default` and is not filled by the database (`Identity()`,
    `Computed()`, `serial`, an integer primary key), on a table the same `upgrade()` neither
    creates nor empties first (`DELETE FROM t` without a condition, `TRUNCATE t`). A Python-side
    `default=` does not count: the database never sees it. Every dialect: SQLite refuses it too.

    ## Why is this bad?
    The rows already in the table have no value for the column: PostgreSQL and SQLite refuse the
    `ALTER TABLE` as soon as the table has a row, so the deployment fails in production although
    it passed on the empty test database.

    ## Example
    ```python
    op.add_column("user", sa.Column("plan", sa.String(20), nullable=False))
    ```

    ## Use instead
    ```python
    op.add_column("user", sa.Column("plan", sa.String(20), nullable=False, server_default="free"))
    ```
    or add it nullable, backfill it, then `alter_column(..., nullable=False)`.

    ## Known problems
    A table created by an earlier revision that has never been deployed is empty, and the
    operation would succeed there; the rule cannot know, and counts every table it does not see
    created (or emptied) in the same revision as holding rows. Making an existing column
    `NOT NULL` (`alter_column(..., nullable=False)`) is not flagged: it fails only if a `NULL` is
    left, which a backfill in the same revision usually rules out, and its full-table check under
    an `ACCESS EXCLUSIVE` lock is left to a later rule.
    """

    code = "RVW721"
    name = "not-null-column-without-default"
    checklist = "migration-safety"

    def check(self, migration: Migration) -> None:
        for op in on_existing_tables(migration, "add_column"):
            for column in op.columns:
                if column.nullable is False and not column.server_default and not column.generated:
                    self.report(
                        op.node,
                        f"{call_name(op)} adds NOT NULL column `{op.table}.{column.name}` without a server default "
                        f"to an existing table: it fails on the rows already there; give it a server_default, or add "
                        "it nullable, backfill, then set NOT NULL",
                        statement=op.statement,
                    )
