"""A column's type changed in place on an existing PostgreSQL table."""

from __future__ import annotations

from reviewer.semantics.alembic import Migration
from reviewer.semantics.alembic.types import same_or_wider_string
from rules._migration_rule import MigrationRule
from rules.migration_safety._existing import call_name, on_existing_tables


class ColumnTypeChangedInPlace(MigrationRule):
    """A migration changes the type of a column of an existing PostgreSQL table in place.

    ## What it does
    Flags `op.alter_column(..., type_=...)` (also in batch blocks, and `ALTER COLUMN ... TYPE` in
    `op.execute`) on a table the same `upgrade()` does not create, on PostgreSQL (revisions in a
    `sqlite` directory, importing another dialect's types only, or under a dialect guard for
    another database are left out). Changes PostgreSQL makes without rewriting the table are not
    flagged: a string type widened to a longer `VARCHAR` or to `TEXT` (when `existing_type` says
    what it was), and a column the same `upgrade()` added.

    ## Why is this bad?
    Most type changes rewrite the whole table and its indexes under an `ACCESS EXCLUSIVE` lock:
    nothing can read or write the table until it is done, and the running release may fail on
    values of the new type.

    ## Example
    ```python
    op.alter_column("event", "payload", type_=postgresql.JSONB(), existing_type=sa.JSON())
    ```

    ## Use instead
    Add a column of the new type, write both, backfill in batches, switch reads, then drop the
    old column in a later release.

    ## Known problems
    The old type is known only from `existing_type=`; without it, a change to `TEXT` is assumed
    to widen a string and is not flagged.
    """

    code = "RVW723"
    name = "column-type-changed-in-place"
    checklist = "migration-safety"

    def check(self, migration: Migration) -> None:
        added = migration.columns_added()
        for op in on_existing_tables(migration, "alter_column", dialect="postgresql"):
            if not op.type_text or (op.table.lower(), (op.name or "").lower()) in added:
                continue
            if same_or_wider_string(op.type_text, op.existing_type):
                continue
            self.report(
                op.node,
                f"{call_name(op)} changes the type of `{op.table}.{op.name}` to {_short(op.type_text)} in place: "
                "PostgreSQL rewrites the table under an ACCESS EXCLUSIVE lock; add a new column, backfill, "
                "then switch",
                statement=op.statement,
            )


def _short(text: str) -> str:
    text = " ".join(text.split())
    return f"`{text}`" if len(text) <= 40 else f"`{text[:37]}...`"
