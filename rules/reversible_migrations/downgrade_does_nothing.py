"""A `downgrade()` that does nothing while `upgrade()` changes the schema."""

from __future__ import annotations

from reviewer import lazy_cst as cst
from reviewer.model import Edit, Fix, Span
from reviewer.semantics.alembic import Migration, Operation
from reviewer.semantics.alembic.describe import listing
from reviewer.semantics.alembic.types import only_widens_a_string
from reviewer.syntax import is_docstring
from rules._migration_rule import MigrationRule


class DowngradeDoesNothing(MigrationRule):
    """An Alembic revision's `downgrade()` does nothing, though its `upgrade()` changes the schema.

    ## What it does
    Flags `def downgrade()` when its body is only `pass`, `...`, a docstring, comments or logging,
    while `upgrade()` adds, drops, alters or renames something: an `op.*` schema operation (also in
    `op.batch_alter_table` blocks and in module helpers `upgrade()` calls) or DDL run through
    `op.execute` / `connection.execute`.

    Not flagged: merge revisions and other revisions whose `upgrade()` does nothing either;
    data-only revisions (`UPDATE`/`INSERT`/`DELETE`, `bulk_insert`, SQLAlchemy core statements),
    whose data the previous revision's schema still holds, so there is nothing to restore; an
    `upgrade()` whose only DDL is `ALTER TYPE ... ADD VALUE` (PostgreSQL cannot drop an enum value,
    and the extra value harms no code of the previous revision); an `upgrade()` whose only DDL is
    idempotent creation (`CREATE ... IF NOT EXISTS`, `CREATE OR REPLACE`, Alembic's
    `if_not_exists=True`), written for a schema that may have the object already: it repairs or
    redefines another revision's object, as does dropping anything `IF EXISTS` (written for
    databases that may not have it: an enum type no column uses any more, a column an edited
    revision left behind on some of them; no downgrade can know whether to bring it back) and
    creating a trigger, function or procedure that the same `upgrade()` dropped `IF EXISTS` first;
    or maintenance (`REINDEX`, `ANALYZE`). An `alter_column`
    that only widens a string type (`String(50)` to `String(200)` or `Text`) does not count either:
    the previous release reads and writes the wider column as before, and narrowing it back can
    fail on the longer values written since; nor one that only allows NULL (`nullable=True`,
    `ALTER COLUMN ... DROP NOT NULL`): the previous release fills the column as before, and
    requiring a value again fails on the rows written without one since.

    ## Why is this bad?
    `alembic downgrade` reports success and moves the revision pointer back, but the schema stays
    as the upgrade left it: the previous release then runs against columns, tables and indexes it
    does not expect, and upgrading again fails on objects that already exist.

    ## Example
    ```python
    def upgrade():
        op.add_column("user", sa.Column("nickname", sa.String(50)))
        op.create_index("ix_user_nickname", "user", ["nickname"])

    def downgrade():
        pass
    ```

    ## Use instead
    ```python
    def downgrade():
        op.drop_index("ix_user_nickname", table_name="user")
        op.drop_column("user", "nickname")
    ```

    ## Known problems
    What `upgrade()` does through helpers of other modules is not seen: such a revision is only
    flagged for the operations it shows.

    ## Fix safety
    When `upgrade()` only adds things with an exact inverse (`add_column`, `create_table`,
    `create_index`, and `create_foreign_key` / `create_unique_constraint` with a name), outside
    batch blocks and dialect guards, the fix writes the inverse operations in reverse order as the
    body of `downgrade()`. The generated code drops columns and tables, and the data in them, when
    it runs: the fix is unsafe, applied only with `--unsafe-fixes`; review it like any migration.
    """

    code = "RVW711"
    name = "downgrade-does-nothing"
    checklist = "reversible-migrations"
    judges_downgrade = True

    def check(self, migration: Migration) -> None:
        downgrade = migration.downgrade
        if not downgrade.does_nothing:
            return
        # `CREATE ... IF NOT EXISTS`, `CREATE OR REPLACE`: ensures what may be another revision's.
        changes = [
            op for op in migration.upgrade.operations
            if op.is_schema_change and not op.idempotent and not only_widens_a_string(op)
            and not _only_allows_null(op)
        ]
        if not changes:
            return
        self.report(
            downgrade.function.name,
            f"downgrade() does nothing, but upgrade() {listing(changes)}: "
            "write the inverse operations so a rollback restores the previous schema",
            statement=downgrade.function,
            fix=self._fix(migration),
        )

    def _fix(self, migration: Migration) -> Fix | None:
        upgrade = migration.upgrade
        downgrade = migration.downgrade
        if upgrade.opaque or downgrade is None or not isinstance(downgrade.function.body, cst.IndentedBlock):
            return None
        lines: list[str] = []
        for op in reversed(upgrade.operations):
            if op.kind == "data":
                continue
            line = _inverse(op)
            if line is None:
                return None
            lines.append(line)
        if not lines:
            return None
        function = downgrade.function
        block = function.body
        statements = list(block.body)
        indent = block.indent if block.indent is not None else self.context.tree.default_indent
        first = next((s for s in statements if not is_docstring(s)), None)
        if first is None:  # a docstring alone: the operations go after it
            anchor = statements[-1]
            if not isinstance(anchor, cst.SimpleStatementLine):
                return None
            span = self.context.span(anchor, anchor)
            text = self.context.tree.code_for_node(anchor.body[0])
            replacement = text + "".join(f"\n{indent}{line}" for line in lines)
        else:
            start = self.context.span(first, first)
            end = self.context.span(statements[-1], statements[-1])
            span = Span(start.line, start.column, end.end_line, end.end_column)
            replacement = f"\n{indent}".join(lines)
        return Fix("write the inverse operations of upgrade() in downgrade()", (Edit(span, replacement),), safe=False)


def _inverse(op: Operation) -> str | None:
    """The operation that undoes `op` exactly, as code; None when there is none to write."""
    if op.batch or op.from_sql or op.dialect is not None or op.table is None:
        return None
    schema = f", schema={_literal(op.schema)}" if op.schema else ""
    table = _literal(op.table)
    if op.kind == "add_column" and op.name:
        return f"{op.op_name}.drop_column({table}, {_literal(op.name)}{schema})"
    if op.kind == "create_table":
        return f"{op.op_name}.drop_table({table}{schema})"
    if op.kind == "create_index" and op.name_code and op.name:
        return f"{op.op_name}.drop_index({op.name_code}, table_name={table}{schema})"
    if op.kind in {"create_foreign_key", "create_unique_constraint"} and op.name_code and op.name:
        kind = "foreignkey" if op.kind == "create_foreign_key" else "unique"
        return f"{op.op_name}.drop_constraint({op.name_code}, {table}, type_={_literal(kind)}{schema})"
    return None


def _literal(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# What `op.alter_column` may be given besides the new nullability without changing anything else.
_DESCRIBING = frozenset({"table_name", "column_name", "nullable", "schema", "existing_type", "existing_nullable",
                         "existing_server_default", "existing_comment", "existing_autoincrement"})


def _only_allows_null(op: Operation) -> bool:
    """An `alter_column` whose only change is allowing NULL: `nullable=True` and nothing else that
    changes the column (no type, name, default or comment), or SQL's `DROP NOT NULL`."""
    if op.kind != "alter_column" or op.nullable is not True or op.type_text is not None or op.new_name is not None:
        return False
    call = op.node
    return op.from_sql or isinstance(call, cst.Call) and sum(arg.keyword is None for arg in call.args) <= 2 and all(
        arg.keyword is None or arg.keyword.value in _DESCRIBING for arg in call.args)
