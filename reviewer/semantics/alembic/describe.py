"""How rules name an Alembic operation in their messages."""

from __future__ import annotations

from reviewer.semantics.alembic import Operation


def where(op: Operation) -> str:
    """`table.column`, `table`, or the index or constraint name with its table."""
    table = op.table or "?"
    if op.kind in {"add_column", "drop_column", "alter_column"}:
        return f"`{table}.{op.name or '?'}`"
    if op.kind in {"create_table", "drop_table", "rename_table"}:
        return f"`{table}`"
    if op.name:
        return f"`{op.name}` on `{table}`"
    return f"on `{table}`"


def describe(op: Operation) -> str:
    """`adds column `t.c``, `creates index `ix` on `t``: what the operation does, for a message."""
    verbs = {
        "add_column": "adds column",
        "drop_column": "drops column",
        "create_table": "creates table",
        "drop_table": "drops table",
        "rename_table": "renames table",
        "create_index": "creates index",
        "drop_index": "drops index",
        "create_foreign_key": "creates foreign key",
        "create_unique_constraint": "creates unique constraint",
        "create_check_constraint": "creates check constraint",
        "create_primary_key": "creates primary key",
        "drop_constraint": "drops constraint",
    }
    if op.kind == "alter_column":
        if op.new_name:
            return f"renames column {where(op)} to `{op.new_name}`"
        if op.type_text:
            return f"changes the type of {where(op)}"
        return f"alters column {where(op)}"
    if op.kind == "sql_ddl":
        return f"runs `{op.sql_head}`" if op.sql_head else "runs DDL" + (f" on `{op.table}`" if op.table else "")
    verb = verbs.get(op.kind, op.kind.replace("_", " "))
    return f"{verb} {where(op)}"


def listing(ops: list[Operation], limit: int = 3) -> str:
    """The first few operations described, `and N more` for the rest."""
    seen: list[str] = []
    for op in ops:
        text = describe(op)
        if text not in seen:
            seen.append(text)
    shown = ", ".join(seen[:limit])
    return shown + (f" and {len(seen) - limit} more" if len(seen) > limit else "")
