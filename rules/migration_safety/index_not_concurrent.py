"""An index built on an existing PostgreSQL table without `CONCURRENTLY`."""

from __future__ import annotations

from reviewer.semantics.alembic import Migration
from rules._migration_rule import MigrationRule
from rules.migration_safety._existing import call_name, on_existing_tables


class IndexNotConcurrent(MigrationRule):
    """A migration builds an index on an existing PostgreSQL table without `CONCURRENTLY`.

    ## What it does
    Flags `op.create_index(...)` (and `batch_op.create_index(...)`, and `CREATE INDEX` in
    `op.execute`) without `postgresql_concurrently=True` / `CONCURRENTLY`, on a table the same
    `upgrade()` does not create (or empties first with `DELETE FROM t` / `TRUNCATE t`). Revisions
    that only run on another dialect are left out: a revision in a `sqlite` (or `mysql`)
    directory, one importing the types of another dialect only (`sqlalchemy.dialects.mysql`), or
    an operation under a dialect guard (`if op.get_bind().dialect.name == "sqlite":`).

    ## Why is this bad?
    A plain `CREATE INDEX` holds a `SHARE` lock on the table until the whole index is built: every
    `INSERT`, `UPDATE` and `DELETE` waits, minutes on a large table, while the application keeps
    serving.

    ## Example
    ```python
    op.create_index("ix_order_customer_id", "order", ["customer_id"])
    ```

    ## Use instead
    ```python
    with op.get_context().autocommit_block():
        op.create_index("ix_order_customer_id", "order", ["customer_id"], postgresql_concurrently=True)
    ```

    ## Known problems
    The dialect of a revision outside a dialect directory and without guards is taken to be
    PostgreSQL. Small tables build their index in an instant, and a service migrated while it is
    stopped blocks nobody; the rule cannot know a table's size or how the service is deployed.
    `postgresql_concurrently=True` outside an autocommit block (which fails in a transaction) is
    not checked.
    """

    code = "RVW722"
    name = "index-not-concurrent"
    checklist = "migration-safety"

    def check(self, migration: Migration) -> None:
        for op in on_existing_tables(migration, "create_index", dialect="postgresql"):
            if op.concurrently:
                continue
            name = f"index `{op.name}`" if op.name else "an index"
            self.report(
                op.node,
                f"{call_name(op)} builds {name} on existing table `{op.table}` without CONCURRENTLY: PostgreSQL "
                "blocks writes to the table until it is built; use postgresql_concurrently=True inside "
                "op.get_context().autocommit_block()",
                statement=op.statement,
            )
