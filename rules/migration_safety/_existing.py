"""The operations of a revision's `upgrade()` on tables that already exist: every table but those
the same `upgrade()` creates (with `op.create_table`, or SQL text: `CREATE TABLE IF NOT EXISTS t
(...)`, also an f-string whose columns are filled in at run time), or empties (`DELETE FROM t`,
`TRUNCATE t`) before the operation. A table new in an earlier revision but never deployed cannot
be told apart, so it counts as existing."""

from __future__ import annotations

from collections.abc import Iterator

from reviewer.semantics.alembic import Migration, Operation


def on_existing_tables(migration: Migration, *kinds: str, dialect: str | None = None) -> Iterator[Operation]:
    """`upgrade()`'s operations of `kinds` on existing tables; with `dialect`, only those that can
    run on it (by the revision's directory and the dialect guards around them)."""
    new = {table.lower() for table in migration.tables_created()}
    if dialect is not None and migration.dialect is not None and migration.dialect != dialect:
        return
    for op in migration.upgrade.operations:
        if op.empties and op.table is not None:
            new.add(op.table.lower())  # emptied first: nothing to scan, no row to fail on
        if op.kind not in kinds or op.table is None or op.table.lower() in new:
            continue
        if dialect is not None and not op.runs_on(dialect):
            continue
        yield op


def call_name(op: Operation) -> str:
    """How a message names the operation: `op.create_index(...)`, `batch_op.alter_column(...)`,
    or the SQL statement kind."""
    if op.from_sql:
        return "SQL run by execute()"
    return f"{op.op_name}.{op.kind}()"
