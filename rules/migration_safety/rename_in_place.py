"""A column or table renamed in place while the running release still reads the old name."""

from __future__ import annotations

from reviewer.semantics.alembic import Migration
from rules._migration_rule import MigrationRule
from rules.migration_safety._existing import call_name, on_existing_tables


class RenameInPlace(MigrationRule):
    """A migration renames a column or table of an existing table in place.

    ## What it does
    Flags `op.alter_column(..., new_column_name=...)`, `op.rename_table(...)` (also in batch
    blocks) and `ALTER TABLE ... RENAME` in `op.execute`, on a table the same `upgrade()` does not
    create. A column the same `upgrade()` added is new, and not flagged; nor is a revision only
    for SQLite (in a `sqlite` directory, or under a SQLite dialect guard): a SQLite database file is
    served by one process at a time, so no older release runs beside the migrated schema.

    ## Why is this bad?
    Between the migration and the end of the deployment, the previous release is still running,
    and it reads and writes the old name: every query of it touching the column or table fails.

    ## Example
    ```python
    op.alter_column("user", "name", new_column_name="full_name")
    ```

    ## Use instead
    Add the new column, write both, backfill, switch reads, then drop the old one in a later
    release (or, for a table, rename it and leave a view under the old name until then).

    ## Known problems
    A service deployed with downtime (stopped, migrated, started) has no running release to
    break; such a project may turn the rule off.
    """

    code = "RVW725"
    name = "rename-in-place"
    checklist = "migration-safety"

    def check(self, migration: Migration) -> None:
        added = migration.columns_added()
        if migration.dialect == "sqlite":
            return  # a SQLite file is served by one process at a time: no older release is running
        for op in on_existing_tables(migration, "alter_column", "rename_table"):
            if not op.new_name or op.dialect == "sqlite":
                continue
            if op.kind == "rename_table":
                what = f"table `{op.table}` to `{op.new_name}`"
            elif (op.table.lower(), (op.name or "").lower()) in added:
                continue
            else:
                what = f"column `{op.table}.{op.name}` to `{op.new_name}`"
            self.report(
                op.node,
                f"{call_name(op)} renames {what} in place: the release still running reads the old name and "
                "fails until it is replaced; add the new one, copy, and drop the old one in a later release",
                statement=op.statement,
            )
