"""What SQL text run by a migration does to the schema, in the terms of Alembic's operations:
`ALTER TABLE t ADD COLUMN c ...` is an `add_column`, `CREATE INDEX ... ON t` a `create_index`, and so
on; other DDL is `sql_ddl`, statements that read or write rows are `data`, `ALTER TYPE ... ADD VALUE`
is `enum_value`. Parsed with sqlglot (PostgreSQL); text it cannot parse, and text only partly known
(built at run time), is classified by its leading keyword."""

from __future__ import annotations

import logging
import re
from typing import Any

from reviewer.semantics.alembic.model import ColumnSpec

_DML = frozenset({"UPDATE", "INSERT", "DELETE", "SELECT", "WITH", "MERGE", "COPY", "TRUNCATE"})
_DDL = frozenset({"CREATE", "ALTER", "DROP", "COMMENT", "GRANT", "REVOKE"})
# Statements that change no schema: session settings, maintenance, transaction control.
_SESSION = frozenset({"SET", "RESET", "PRAGMA", "ANALYZE", "VACUUM", "COMMIT", "BEGIN", "LOCK", "SHOW", "NOTIFY",
                      "REINDEX", "CLUSTER", "REFRESH"})
_ENUM_VALUE = re.compile(r"^\s*ALTER\s+TYPE\s+\S+\s+ADD\s+VALUE\b", re.IGNORECASE)
_HEAD = re.compile(r"[A-Za-z]+")
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
# `CREATE OR REPLACE ...`, `CREATE ... IF NOT EXISTS`: ensures an object, which may be another revision's.
# `DROP ... IF EXISTS`, `ALTER TABLE ... DROP COLUMN IF EXISTS`: clears away an object that some
# databases may not have (an enum type its columns no longer use, a trigger about to be redefined,
# a column left over where an earlier revision was edited after it ran): a repair too.
_ENSURES = re.compile(
    r"^\s*(?:CREATE\s+(?:OR\s+REPLACE\b|(?:[\w\s]*?)\bIF\s+NOT\s+EXISTS\b)"
    r"|DROP\s+\w+(?:\s+\w+)?\s+IF\s+EXISTS\b"
    r"|ALTER\s+TABLE\s+(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?\S+\s+DROP\s+(?:COLUMN\s+)?IF\s+EXISTS\b)",
    re.IGNORECASE,
)

# `DELETE FROM t` without a condition, `TRUNCATE t`: the table holds no rows afterwards.
_EMPTIES = re.compile(
    r'^\s*(?:DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)\s+(?:ONLY\s+)?((?:"[^"]+"|[\w]+)(?:\.(?:"[^"]+"|[\w]+))?)'
    r"\s*(?:CASCADE|RESTART\s+IDENTITY|\s)*;?\s*$",
    re.IGNORECASE,
)

_CREATES_TABLE = re.compile(
    r'^\s*CREATE\s+(?:UNLOGGED\s+|TEMP(?:ORARY)?\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?'
    r'((?:"[^"]+"|\w+)(?:\.(?:"[^"]+"|\w+))?)\s*\(',
    re.IGNORECASE,
)

Found = list[tuple[str, dict[str, Any]]]


def operations_of_sql(text: str, *, exact: bool) -> Found:
    """The operations SQL `text` performs; only the leading keyword counts when not `exact`."""
    statements = [s for s in _split(text) if s.strip()]
    found: Found = []
    for statement in statements:
        parsed = _parse(statement) if exact else None
        emptied = _EMPTIES.match(statement) if exact else None
        if emptied is not None:
            parsed = [("data", {"table": emptied.group(1).rsplit(".", 1)[-1].strip('"'), "empties": True})]
        if parsed is None:
            parsed = [(_classify_head(statement), {})]
        if _ENSURES.match(statement):
            parsed = [(kind, {**details, "idempotent": True}) for kind, details in parsed]
        head = _statement_head(statement, 3 if exact else 2)  # text built at run time: its holes are gone
        found.extend(
            (kind, {**details, "sql_head": head} if kind == "sql_ddl" else details) for kind, details in parsed
        )
    return found


def created_table(head: str) -> str | None:
    """The table a statement whose start alone is known creates: `CREATE TABLE [IF NOT EXISTS]
    name (`, the name written out whole before the parenthesis."""
    found = _CREATES_TABLE.match(head)
    return found.group(1).rsplit(".", 1)[-1].strip('"') if found else None


def _split(text: str) -> list[str]:
    text = _COMMENTS.sub(" ", text)
    if "$$" in text or "$" in text and re.search(r"\$\w*\$", text):
        return [text]  # a function body or a DO block: one statement
    return text.split(";")


def _statement_head(statement: str, count: int) -> str:
    """The first words of a statement, for a message: `CREATE TRIGGER kg_entity_name ...`."""
    words = statement.split()
    return " ".join(words[:count]) + (" ..." if len(words) > count else "")


def _classify_head(statement: str) -> str:
    if _ENUM_VALUE.match(statement):
        return "enum_value"
    head = _HEAD.search(statement)
    word = head.group(0).upper() if head else ""
    if word in _DML:
        return "data"
    if word in _DDL:
        return "sql_ddl"
    if word in _SESSION:
        return "session"
    return "unknown"


def _parse(statement: str) -> Found | None:
    if _ENUM_VALUE.match(statement):
        return [("enum_value", {})]
    head = _HEAD.search(statement)
    if head is None or head.group(0).upper() not in _DDL:
        return None  # rows or session settings: the head says all the rules need
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import SqlglotError

    logger = logging.getLogger("sqlglot")
    disabled, logger.disabled = logger.disabled, True
    try:
        tree = sqlglot.parse_one(statement, read="postgres")
    except (SqlglotError, RecursionError, ValueError, KeyError, TypeError, AttributeError):
        return None
    finally:
        logger.disabled = disabled
    if isinstance(tree, exp.Alter) and str(tree.args.get("kind") or "").upper() == "TABLE":
        return _alter_table(tree)
    if isinstance(tree, exp.Create):
        kind = str(tree.args.get("kind") or "").upper()
        if kind == "INDEX":
            index = tree.this
            table = index.args.get("table") if isinstance(index, exp.Index) else None
            return [("create_index", {
                "name": _name(index.this) if isinstance(index, exp.Index) else None,
                "table": _name(table),
                "concurrently": bool(tree.args.get("concurrently")),
            })]
        if kind == "TABLE":
            schema = tree.this
            table = schema.this if isinstance(schema, exp.Schema) else schema
            return [("create_table", {"table": _name(table)})]
    if isinstance(tree, exp.Drop):
        kind = str(tree.args.get("kind") or "").upper()
        targets = tree.args.get("expressions") or tree.args.get("tables") or []
        if kind in {"TABLE", "INDEX"} and targets:
            operation = "drop_table" if kind == "TABLE" else "drop_index"
            key = "table" if kind == "TABLE" else "name"
            return [(operation, {key: _name(target)}) for target in targets]
    return [("sql_ddl", {})]


def _alter_table(tree: Any) -> Found:  # noqa: ANN401 - a sqlglot expression
    from sqlglot import exp

    table = _name(tree.this)
    found: Found = []
    for action in tree.args.get("actions") or []:
        if isinstance(action, exp.ColumnDef):
            found.append(("add_column", {"table": table, "name": _name(action.this), "columns": (_column(action),)}))
        elif isinstance(action, exp.Drop) and str(action.args.get("kind") or "").upper() == "COLUMN":
            for column in action.args.get("expressions") or action.args.get("tables") or []:
                found.append(("drop_column", {"table": table, "name": _name(column)}))
        elif isinstance(action, exp.AlterColumn):
            details: dict[str, Any] = {"table": table, "name": _name(action.this)}
            if action.args.get("dtype") is not None:
                details["type_text"] = action.args["dtype"].sql("postgres")
            if action.args.get("allow_null") is not None:
                details["nullable"] = bool(action.args["allow_null"])
            found.append(("alter_column", details))
        elif isinstance(action, exp.RenameColumn):
            found.append(("alter_column", {"table": table, "name": _name(action.this),
                                           "new_name": _name(action.args.get("to"))}))
        elif isinstance(action, exp.AlterRename):
            found.append(("rename_table", {"table": table, "new_name": _name(action.this)}))
        elif isinstance(action, exp.AddConstraint):
            for constraint in action.expressions:
                found.append(_constraint(constraint, table, bool(tree.args.get("not_valid"))))
        else:
            found.append(("sql_ddl", {"table": table}))
    return found or [("sql_ddl", {"table": table})]


def _constraint(constraint: Any, table: str | None, not_valid: bool) -> tuple[str, dict[str, Any]]:  # noqa: ANN401
    from sqlglot import exp

    name = _name(constraint.this) if isinstance(constraint, exp.Constraint) else None
    kinds = constraint.expressions if isinstance(constraint, exp.Constraint) else [constraint]
    details = {"table": table, "name": name, "not_valid": not_valid}
    for kind in kinds:
        if isinstance(kind, exp.ForeignKey):
            reference = kind.args.get("reference")
            target = reference.this if reference is not None else None
            details["referent"] = _name(target.this if isinstance(target, exp.Schema) else target)
            return "create_foreign_key", details
        if isinstance(kind, exp.CheckColumnConstraint):
            return "create_check_constraint", details
        if isinstance(kind, exp.UniqueColumnConstraint):
            return "create_unique_constraint", details
        if isinstance(kind, exp.PrimaryKey):
            return "create_primary_key", details
    return "sql_ddl", details


def _column(definition: Any) -> ColumnSpec:  # noqa: ANN401
    from sqlglot import exp

    not_null = primary = default = generated = False
    for constraint in definition.args.get("constraints") or []:
        kind = constraint.args.get("kind")
        if isinstance(kind, exp.NotNullColumnConstraint) and not kind.args.get("allow_null"):
            not_null = True
        elif isinstance(kind, exp.PrimaryKeyColumnConstraint):
            primary = True
        elif isinstance(kind, exp.DefaultColumnConstraint):
            default = not (isinstance(kind.this, exp.Null))
        elif isinstance(kind, (exp.GeneratedAsIdentityColumnConstraint, exp.ComputedColumnConstraint)):
            generated = True
    data_type = definition.args.get("kind")
    type_text = data_type.sql("postgres") if data_type is not None else None
    if type_text and type_text.upper() in {"SERIAL", "BIGSERIAL", "SMALLSERIAL"}:
        generated = True
    return ColumnSpec(
        name=_name(definition.this),
        nullable=not (not_null or primary),
        primary_key=primary,
        server_default=default,
        generated=generated,
        type_text=type_text,
    )


def _name(node: Any) -> str | None:  # noqa: ANN401
    from sqlglot import exp

    if node is None:
        return None
    if isinstance(node, exp.Table):
        return node.name or None
    if isinstance(node, (exp.Column, exp.Identifier)):
        return node.name or None
    if isinstance(node, exp.Expression):
        return node.name or None
    return str(node)
