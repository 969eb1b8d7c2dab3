"""A foreign key or check constraint added to an existing PostgreSQL table without `NOT VALID`."""

from __future__ import annotations

from reviewer.semantics.alembic import Migration
from rules._migration_rule import MigrationRule
from rules.migration_safety._existing import call_name, on_existing_tables

_KINDS = {"create_foreign_key": "foreign key", "create_check_constraint": "check constraint"}


class ConstraintWithoutNotValid(MigrationRule):
    """A migration adds a foreign key or check constraint to an existing PostgreSQL table, validated
    at once.

    ## What it does
    Flags `op.create_foreign_key(...)` and `op.create_check_constraint(...)` (also in batch
    blocks, and `ALTER TABLE ... ADD CONSTRAINT ... FOREIGN KEY / CHECK` in `op.execute`) without
    `NOT VALID` (`postgresql_not_valid=True`), on a table the same `upgrade()` does not create, on
    PostgreSQL (revisions in a `sqlite` directory, importing another dialect's types only, or under
    another dialect's guard are left out). A table emptied first (`DELETE FROM t`) has nothing to
    validate.

    ## Why is this bad?
    Adding the constraint checks every existing row while holding a lock that blocks writes to the
    table (and, for a foreign key, to the referenced table) until the scan ends.

    ## Example
    ```python
    op.create_foreign_key("fk_order_customer", "order", "customer", ["customer_id"], ["id"])
    ```

    ## Use instead
    ```python
    op.execute('ALTER TABLE "order" ADD CONSTRAINT fk_order_customer FOREIGN KEY (customer_id) '
               "REFERENCES customer (id) NOT VALID")
    op.execute('ALTER TABLE "order" VALIDATE CONSTRAINT fk_order_customer')  # takes no write lock
    ```

    ## Known problems
    A table with few rows validates in an instant; the rule cannot know a table's size.
    """

    code = "RVW724"
    name = "constraint-without-not-valid"
    checklist = "migration-safety"

    def check(self, migration: Migration) -> None:
        for op in on_existing_tables(migration, *_KINDS, dialect="postgresql"):
            if op.not_valid:
                continue
            kind = _KINDS[op.kind]
            name = f" `{op.name}`" if op.name else ""
            self.report(
                op.node,
                f"{call_name(op)} adds {kind}{name} to existing table `{op.table}` without NOT VALID: PostgreSQL "
                "scans every row while blocking writes; add it NOT VALID, then VALIDATE CONSTRAINT separately",
                statement=op.statement,
            )
