"""A `downgrade()` that leaves out what `upgrade()` took away or changed."""

from __future__ import annotations

from reviewer.semantics.alembic import Migration, Operation
from reviewer.semantics.alembic.describe import listing
from reviewer.semantics.alembic.types import only_widens_a_string
from rules._migration_rule import MigrationRule


class DowngradeDoesNotRestore(MigrationRule):
    """An Alembic `downgrade()` does not restore a column, table, type, nullability or name that
    `upgrade()` dropped or changed.

    ## What it does
    Pairs the operations of `upgrade()` with those of `downgrade()` (also in batch blocks, module
    helpers and `op.execute` DDL) and flags `def downgrade()` when it never:
    - recreates a column `upgrade()` drops (`add_column`, or `create_table` of its table);
    - recreates a table `upgrade()` drops or renames away;
    - changes back a column type `upgrade()` changes (`alter_column(type_=...)`);
    - makes a column nullable again that `upgrade()` makes `NOT NULL`;
    - renames back a column or table `upgrade()` renames.

    Tables `upgrade()` creates itself are left out, and so is what it drops and makes again, and
    what it drops `IF EXISTS` (SQL, or Alembic's `if_exists=True`): written for databases that may
    not have it, it repairs a schema that drifted, and no downgrade can know whether to bring it back.
    Nothing is reported when `downgrade()` calls
    code this module does not show, runs SQL built at run time, or names tables by variables: it
    may do what is missing.

    ## Why is this bad?
    The downgrade runs without error but leaves the schema unlike the previous revision's: the
    previous release then reads a column that is gone or writes `NULL` into one that refuses it.

    ## Example
    ```python
    def upgrade():
        op.drop_column("user", "legacy_id")
        op.alter_column("user", "name", type_=sa.Text())

    def downgrade():
        op.alter_column("user", "name", type_=sa.String(50))
    ```

    ## Use instead
    ```python
    def downgrade():
        op.alter_column("user", "name", type_=sa.String(50))
        op.add_column("user", sa.Column("legacy_id", sa.Integer(), nullable=True))
    ```

    ## Known problems
    A dropped column's data cannot come back; the rule asks for the column only. Making a column
    nullable that was `NOT NULL`, or widening a string type, is not asked to be reverted: the
    previous release works with it, and narrowing back can fail on the values written since.
    """

    code = "RVW713"
    name = "downgrade-does-not-restore"
    checklist = "reversible-migrations"
    judges_downgrade = True

    def check(self, migration: Migration) -> None:
        downgrade = migration.downgrade
        if downgrade.does_nothing or downgrade.raises is not None or downgrade.opaque:
            return
        missing = unrestored(migration)
        if missing:
            self.report(
                downgrade.function.name,
                f"downgrade() does not restore what upgrade() changed: upgrade() {listing(missing)}; "
                "add the inverse operations to downgrade()",
                statement=downgrade.function,
            )


def unrestored(migration: Migration) -> list[Operation]:
    """The operations of `upgrade()` that take away or change something `downgrade()` never
    brings back."""
    assert migration.downgrade is not None
    created = {_key(t) for t in migration.tables_created()}
    back = migration.downgrade.operations
    # Columns new in this revision: added by upgrade(), or dropped again by downgrade().
    new_columns = {
        (_key(o.table), _key(o.name))
        for o in migration.upgrade.operations
        if o.kind == "add_column" and o.table and o.name
    } | {(_key(b.table), _key(b.name)) for b in back if b.kind == "drop_column" and b.table and b.name}
    upgrade = migration.upgrade.operations
    missing = []
    for index, op in enumerate(upgrade):
        if op.table is None or _key(op.table) in created or (op.idempotent and op.kind.startswith("drop_")):
            continue  # new in this revision, or dropped `IF EXISTS`: a repair of databases that drifted
        after = upgrade[index + 1:]
        if (op.kind == "drop_column" and _recreates_column(after, op.table, op.name or "")) or (
            op.kind == "drop_table" and _recreates_table(after, op.table)
        ):
            continue  # dropped and made again by upgrade() itself: the object is still there
        if op.kind == "alter_column" and op.name and (_key(op.table), _key(op.name)) in new_columns:
            continue
        if op.kind == "drop_column" and op.name and not _recreates_column(back, op.table, op.name):
            missing.append(op)
        elif op.kind == "drop_table" and not _recreates_table(back, op.table):
            missing.append(op)
        elif op.kind == "rename_table" and op.new_name and not (
            _recreates_table(back, op.table) or any(b.kind == "rename_table" and _same(b.table, op.new_name)
                                                    for b in back)
        ):
            missing.append(op)
        elif op.kind == "alter_column" and op.name:
            if op.new_name:
                if not _renames_back(back, op):
                    missing.append(op)
            elif op.type_text and not only_widens_a_string(op) and not _alters(back, op, "type"):
                missing.append(op)
            elif op.nullable is False and not op.type_text and not _alters(back, op, "nullable"):
                missing.append(op)
    return missing


def _key(name: str) -> str:
    return name.lower()


def _same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and _key(a) == _key(b)


def _recreates_table(back: list[Operation], table: str) -> bool:
    return any(
        (b.kind == "create_table" and _same(b.table, table)) or (b.kind == "rename_table" and _same(b.new_name, table))
        for b in back
    )


def _recreates_column(back: list[Operation], table: str, column: str) -> bool:
    return _recreates_table(back, table) or any(
        _same(b.table, table) and (
            (b.kind == "add_column" and _same(b.name, column))
            or (b.kind == "alter_column" and _same(b.new_name, column))
        )
        for b in back
    )


def _renames_back(back: list[Operation], op: Operation) -> bool:
    return any(
        b.kind == "alter_column" and _same(b.name, op.new_name) and b.new_name is not None for b in back
    ) or _recreates_column(back, op.table or "", op.name or "")


def _alters(back: list[Operation], op: Operation, what: str) -> bool:
    names = {_key(n) for n in (op.name, op.new_name) if n}
    for b in back:
        if not _same(b.table, op.table):
            continue
        if b.kind == "add_column" and b.name and _key(b.name) in names:
            return True
        if b.kind == "alter_column" and b.name and _key(b.name) in names:
            if (what == "type" and b.type_text) or (what == "nullable" and b.nullable is not None):
                return True
    return _recreates_table(back, op.table or "")
