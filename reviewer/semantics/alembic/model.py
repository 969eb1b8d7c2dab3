"""One Alembic revision module as a model: its ids and what `upgrade()` and `downgrade()` do.

Operations come from `op.<operation>(...)` calls resolved through the module's imports, from the
`batch_op.<operation>(...)` calls of `with op.batch_alter_table("t") as batch_op:` blocks (their
table is the block's), from module-level helper functions the body calls (followed a few calls
deep), and from SQL text run by `op.execute(...)` or a connection's `.execute(...)`, parsed with
sqlglot (`reviewer.semantics.alembic.sql`). Each operation carries the dialect it is guarded to
run on (`if op.get_bind().dialect.name == "sqlite":`, an early `return` for other dialects, or a
`sqlite` directory of the revision), since locks are a PostgreSQL question.

What cannot be seen into makes a body `opaque`: a call of another module's helper, SQL built at run
time, a table or column named by a variable. Rules that compare bodies then say nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.semantics.migrations import is_migration
from reviewer.syntax import is_true, keyword, positional, string_value

if TYPE_CHECKING:
    from reviewer.rule import FileContext

# The model of the file in `FileContext.shared` (None: not an Alembic revision).
_SHARED_KEY = "alembic-migration"
_HELPER_DEPTH = 3
# `op.*` calls that change nothing in the schema by themselves.
_NEUTRAL_OPS = frozenset({
    "get_bind", "get_context", "f", "inline_literal", "implementation_for", "invoke", "register_operation",
    "run_async", "batch_alter_table",
})
_DATA_OPS = frozenset({"bulk_insert"})
# Calls that do nothing to the database: a body of only these does nothing.
_QUIET_CALLS = frozenset({"print"})
_LOGGING_ROOTS = ("logging.", "logger.", "log.", "_logger.", "LOGGER.", "structlog.", "warnings.")
_DIALECT_SPELLINGS = {"postgres": "postgresql", "postgresql": "postgresql", "sqlite": "sqlite", "mysql": "mysql",
                      "mariadb": "mysql", "mssql": "mssql", "oracle": "oracle"}
# Column arguments with which the database fills a column itself.
_GENERATORS = frozenset({"Identity", "Computed", "Sequence", "FetchedValue"})
_INTEGER_TYPE = re.compile(r"(?:^|\.)(?:Integer|BigInteger|SmallInteger|INTEGER|BIGINT|SMALLINT)\b")
_SQL_TEXT_FACTORIES = frozenset({"sqlalchemy.text", "sqlalchemy.sql.text", "sqlalchemy.sql.expression.text",
                                 "sqlmodel.text"})
# Methods of a `text()` construct that return it with its text as it was.
_TEXT_KEEPING_METHODS = frozenset({"bindparams", "columns", "execution_options"})


@dataclass(frozen=True)
class ColumnSpec:
    """A `sa.Column(...)` (or a SQL column definition) an operation adds or creates."""

    name: str | None
    nullable: bool | None  # None: given as something other than a literal
    primary_key: bool = False
    server_default: bool = False
    generated: bool = False  # Identity, Computed, a sequence, an integer primary key: the database fills it
    type_text: str | None = None  # for a SQL column definition


@dataclass
class Operation:
    """One schema (or data) operation. `kind` is Alembic's operation name (`add_column`,
    `create_index`, ...), also for what SQL text does; `sql_ddl` is other DDL, `enum_value` an
    `ALTER TYPE ... ADD VALUE`, `data` rows read or written, `session` settings and maintenance
    (`SET`, `REINDEX`), `unknown` what could not be read."""

    kind: str
    node: cst.CSTNode  # the call (for SQL, the execute call)
    statement: cst.CSTNode | None  # the statement the call is in, for reports and suppressions
    table: str | None = None
    name: str | None = None  # the column, index or constraint
    columns: tuple[ColumnSpec, ...] = ()
    new_name: str | None = None  # a rename's target
    type_text: str | None = None  # alter_column's new type
    existing_type: str | None = None
    nullable: bool | None = None  # alter_column's new nullability
    concurrently: bool = False
    not_valid: bool = False
    dialect: str | None = None  # the dialect a guard restricts it to ("!sqlite": any but sqlite)
    batch: bool = False
    from_sql: bool = False
    schema: str | None = None
    op_name: str = "op"  # how the module spells Alembic's `op`
    index_columns: tuple[str, ...] | None = None  # create_index / unique constraint columns, if literal
    referent: str | None = None  # create_foreign_key's referenced table
    constraint_type: str | None = None
    empties: bool = False  # `DELETE FROM t` / `TRUNCATE t`: no rows are left in `table`
    # `CREATE ... IF NOT EXISTS`, `CREATE OR REPLACE` (SQL, or Alembic's `if_not_exists=True`):
    # written for a schema that may have the object already, it ensures another revision's object
    # (a repair) or redefines it, rather than adding one of this revision. `DROP ... IF EXISTS`
    # (SQL, `ALTER TABLE ... DROP COLUMN IF EXISTS`, Alembic's `if_exists=True`): written for a
    # schema that may not have the object (databases that drifted apart), it repairs too; no
    # downgrade can know whether to bring it back.
    idempotent: bool = False
    name_code: str | None = None  # the index or constraint name as written (`op.f("ix_a")`)
    sql_head: str | None = None  # the first words of SQL text that is other DDL

    @property
    def is_schema_change(self) -> bool:
        return self.kind not in {"data", "unknown", "enum_value", "session"}

    def runs_on(self, dialect: str) -> bool:
        """Whether the operation can run on `dialect` as far as guards and the path say."""
        if self.dialect is None:
            return True
        if self.dialect.startswith("!"):
            return self.dialect[1:] != dialect
        return self.dialect == dialect


@dataclass
class Body:
    """What `upgrade()` or `downgrade()` does."""

    function: cst.FunctionDef
    operations: list[Operation] = field(default_factory=list)
    raises: cst.Raise | None = None  # a raise the body always reaches
    raise_statement: cst.CSTNode | None = None
    does_nothing: bool = False  # only docstrings, `pass`, `...`, logging
    opaque: bool = False  # something it does could not be seen into

    @property
    def changes_schema(self) -> bool:
        return any(op.is_schema_change for op in self.operations)


@dataclass
class Migration:
    revision: str | None
    down_revision: tuple[str, ...]  # the revisions it follows: none, one, or more (a merge)
    upgrade: Body
    downgrade: Body | None
    dialect: str | None  # the dialect of the whole module (a `sqlite` / `postgresql` directory)

    @property
    def is_merge(self) -> bool:
        return len(self.down_revision) > 1

    def tables_created(self) -> set[str]:
        """Tables `upgrade()` creates: new in this revision, so locks on them block nobody."""
        return {op.table for op in self.upgrade.operations if op.kind == "create_table" and op.table}

    def columns_added(self) -> set[tuple[str, str]]:
        """(table, column), lower case, of the columns `upgrade()` adds: new in this revision."""
        return {(op.table.lower(), (op.name or "").lower()) for op in self.upgrade.operations
                if op.kind == "add_column" and op.table}


def migration_of(context: FileContext) -> Migration | None:
    """The model of the file under review, or None when it is no Alembic revision; built once per
    file for every rule that asks."""
    shared = context.shared
    if _SHARED_KEY not in shared:
        shared[_SHARED_KEY] = _build(context)
    return shared[_SHARED_KEY]


def _build(context: FileContext) -> Migration | None:
    if context.is_test_file or "def upgrade" not in context.source:
        return None
    if not is_migration(context.path, context.summary.imports):
        return None
    functions: dict[str, cst.FunctionDef] = {}
    constants: dict[str, str] = {}
    for statement in context.tree.body:
        if isinstance(statement, cst.FunctionDef):
            functions[statement.name.value] = statement
        elif isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                target, value = _assignment(small)
                text = string_value(value) if target is not None and value is not None else None
                if text is not None:
                    constants[target] = text
    upgrade = functions.get("upgrade")
    if upgrade is None or "alembic" not in context.source:
        return None
    dialect = _path_dialect(context.path) or _imported_dialect(context.summary.imports.imported_modules())
    reader = _BodyReader(context, functions, constants)
    downgrade = functions.get("downgrade")
    ids = revision_ids(context)
    return Migration(
        revision=ids[0] if ids else None,
        down_revision=ids[1] if ids else (),
        upgrade=reader.read(upgrade, dialect),
        downgrade=reader.read(downgrade, dialect) if downgrade is not None else None,
        dialect=dialect,
    )


def revision_ids(context: FileContext) -> tuple[str, tuple[str, ...]] | None:
    """The revision a migration module declares and the ones it follows (`down_revision`), also
    for a revision whose functions do nothing (and import nothing of Alembic); None for a module
    that is no migration or names no revision."""
    if context.is_test_file or "revision" not in context.source:
        return None
    if not is_migration(context.path, context.summary.imports):
        return None
    revision: str | None = None
    down: str | tuple[str, ...] | None = None
    for statement in context.tree.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                target, value = _assignment(small)
                if target == "revision" and value is not None:
                    revision = string_value(value)
                elif target == "down_revision" and value is not None:
                    down = _revision_ids(value)
    if revision is None:
        return None
    return revision, down if isinstance(down, tuple) else (down,) if down else ()


def _assignment(small: cst.BaseSmallStatement) -> tuple[str | None, cst.BaseExpression | None]:
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target, cst.Name):
        return small.targets[0].target.value, small.value
    if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.value is not None:
        return small.target.value, small.value
    return None, None


def _revision_ids(value: cst.BaseExpression) -> str | tuple[str, ...] | None:
    if isinstance(value, (cst.Tuple, cst.List)):
        ids = tuple(text for element in value.elements if (text := string_value(element.value)) is not None)
        return ids if len(ids) != 1 else ids[0]
    return string_value(value)


def _imported_dialect(modules: set[str]) -> str | None:
    """The one dialect whose SQLAlchemy types the module imports (`sqlalchemy.dialects.mysql`), if
    it imports one dialect's only: a revision written for that database."""
    found = {
        _DIALECT_SPELLINGS[parts[2]]
        for module in modules
        if module.startswith("sqlalchemy.dialects.")
        and len(parts := module.split(".")) > 2
        and parts[2] in _DIALECT_SPELLINGS
    }
    return found.pop() if len(found) == 1 else None


def _path_dialect(path: str) -> str | None:
    for part in PurePosixPath(path).parts[:-1]:
        spelled = _DIALECT_SPELLINGS.get(part.lower())
        if spelled is not None:
            return spelled
    return None


def code_of(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


@dataclass
class _Scope:
    dialect: str | None
    batch: dict[str, tuple[str | None, str | None]]  # batch alias -> (table, schema)
    strings: dict[str, str]  # local names bound to string literals
    depth: int = 0
    conditional: bool = False
    helpers: tuple[str, ...] = ()


class _BodyReader:
    def __init__(self, context: FileContext, functions: dict[str, cst.FunctionDef], constants: dict[str, str]) -> None:
        self.context = context
        self.functions = functions
        self.constants = constants

    def read(self, function: cst.FunctionDef, dialect: str | None) -> Body:
        body = Body(function=function)
        scope = _Scope(dialect=dialect, batch={}, strings=dict(self.constants))
        statements = list(function.body.body) if isinstance(function.body, cst.IndentedBlock) else [function.body]
        body.does_nothing = all(self._inert(statement) for statement in statements)
        self._block(statements, scope, body)
        _mark_redefinitions(body.operations)
        return body

    # -- what a body does ------------------------------------------------------------------------

    def _inert(self, statement: cst.CSTNode) -> bool:
        if isinstance(statement, cst.SimpleStatementLine):
            return all(self._inert_small(small) for small in statement.body)
        return isinstance(statement, cst.SimpleStatementSuite) and all(self._inert_small(s) for s in statement.body)

    def _inert_small(self, small: cst.BaseSmallStatement) -> bool:
        if isinstance(small, cst.Pass) or isinstance(small, cst.Return) and small.value is None:
            return True
        if isinstance(small, cst.Expr):
            value = small.value
            if isinstance(value, (cst.SimpleString, cst.ConcatenatedString, cst.Ellipsis)):
                return True
            if isinstance(value, cst.Call):
                return _is_quiet(value.func)
        return False

    def _block(self, statements: list[cst.CSTNode], scope: _Scope, body: Body) -> None:
        dialect = scope.dialect
        for statement in statements:
            inner = _Scope(dialect, scope.batch, scope.strings, scope.depth, scope.conditional, scope.helpers)
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    self._small(small, inner, body, statement)
            elif isinstance(statement, cst.If):
                guard = _dialect_guard(statement.test)
                if guard is not None and _only_returns(statement.body) and statement.orelse is None:
                    dialect = _negate(guard)  # `if dialect != "postgresql": return`
                    continue
                self._if(statement, inner, body)
            elif isinstance(statement, cst.With):
                self._with(statement, inner, body)
            elif isinstance(statement, (cst.For, cst.While)):
                inner.conditional = True
                self._block(_statements(statement.body), inner, body)
                if statement.orelse is not None:
                    self._block(_statements(statement.orelse.body), inner, body)
            elif isinstance(statement, cst.Try):
                self._block(_statements(statement.body), inner, body)
                inner.conditional = True
                for handler in statement.handlers:
                    self._block(_statements(handler.body), inner, body)
                if statement.orelse is not None:
                    self._block(_statements(statement.orelse.body), inner, body)
                if statement.finalbody is not None:
                    self._block(_statements(statement.finalbody.body), inner, body)
            elif isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
                continue
            else:
                body.opaque = True

    def _if(self, statement: cst.If, scope: _Scope, body: Body) -> None:
        guard = _dialect_guard(statement.test)
        then = _Scope(guard or scope.dialect, scope.batch, scope.strings, scope.depth, True, scope.helpers)
        self._block(_statements(statement.body), then, body)
        orelse = statement.orelse
        if orelse is None:
            return
        otherwise = _Scope(_negate(guard) if guard else scope.dialect, scope.batch, scope.strings, scope.depth, True,
                           scope.helpers)
        if isinstance(orelse, cst.If):
            self._if(orelse, otherwise, body)
        else:
            self._block(_statements(orelse.body), otherwise, body)

    def _with(self, statement: cst.With, scope: _Scope, body: Body) -> None:
        batch = dict(scope.batch)
        for item in statement.items:
            call = item.item
            if not isinstance(call, cst.Call):
                continue
            if self._op_name(call) == "batch_alter_table":
                table = self._text(positional(call, 0) or keyword(call, "table_name"), scope)
                schema_arg = keyword(call, "schema")
                schema = self._text(schema_arg, scope) if schema_arg is not None else None
                if item.asname is not None and isinstance(item.asname.name, cst.Name):
                    batch[item.asname.name.value] = (table, schema)
        inner = _Scope(scope.dialect, batch, scope.strings, scope.depth, scope.conditional, scope.helpers)
        self._block(_statements(statement.body), inner, body)

    def _small(self, small: cst.BaseSmallStatement, scope: _Scope, body: Body, statement: cst.CSTNode) -> None:
        if isinstance(small, cst.Raise):
            if not scope.conditional and scope.depth == 0 and body.raises is None:
                body.raises = small
                body.raise_statement = statement
            return
        value: cst.BaseExpression | None = None
        if isinstance(small, cst.Expr):
            value = small.value
        elif isinstance(small, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
            value = small.value
            target, assigned = _assignment(small)
            if target is not None and assigned is not None:
                text = string_value(assigned)
                if text is not None:
                    scope.strings[target] = text
        elif isinstance(small, cst.Return):
            value = small.value
        if isinstance(value, cst.Await):
            value = value.expression
        if isinstance(value, cst.Call):
            self._call(value, scope, body, statement, bare=isinstance(small, cst.Expr))

    def _call(self, call: cst.Call, scope: _Scope, body: Body, statement: cst.CSTNode, *, bare: bool) -> None:
        name = self._op_name(call)
        if name is not None:
            self._operation(name, call, scope, body, statement, batch=None)
            return
        func = call.func
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in scope.batch:
            self._operation(func.attr.value, call, scope, body, statement, batch=scope.batch[func.value.value])
            return
        if isinstance(func, cst.Name) and func.value in self.functions:
            helper = self.functions[func.value]
            if scope.depth >= _HELPER_DEPTH or func.value in scope.helpers or func.value in {"upgrade", "downgrade"}:
                body.opaque = True
                return
            inner = _Scope(scope.dialect, {}, dict(self.constants), scope.depth + 1, scope.conditional,
                           (*scope.helpers, func.value))
            self._block(_statements(helper.body), inner, body)
            return
        if isinstance(func, cst.Attribute) and func.attr.value in {"execute", "exec_driver_sql"}:
            self._execute(call, scope, body, statement)
            return
        if bare and not _is_quiet(func):
            body.opaque = True

    def _op_name(self, call: cst.Call) -> str | None:
        qualified = self.context.qualify(call.func)
        if qualified is not None and qualified.startswith("alembic.op."):
            return qualified[len("alembic.op."):]
        return None

    # -- one operation ---------------------------------------------------------------------------

    def _operation(
        self,
        name: str,
        call: cst.Call,
        scope: _Scope,
        body: Body,
        statement: cst.CSTNode,
        batch: tuple[str | None, str | None] | None,
    ) -> None:
        if name in _NEUTRAL_OPS:
            return
        if name == "execute":
            self._execute(call, scope, body, statement)
            return
        kind = "data" if name in _DATA_OPS else name
        op = Operation(kind=kind, node=call, statement=statement, dialect=scope.dialect, batch=batch is not None,
                       op_name=_op_spelling(call.func))
        shift = 1 if batch is None else 0  # batch operations take no table argument
        table = batch[0] if batch is not None else None
        schema_arg = keyword(call, "schema")
        op.schema = self._text(schema_arg, scope) if schema_arg is not None else (batch[1] if batch else None)
        dynamic = False

        def text_at(index: int, *names: str) -> str | None:
            nonlocal dynamic
            arg = positional(call, index)
            for keyword_name in names:
                arg = arg or keyword(call, keyword_name)
            if arg is None:
                return None
            value = self._text(arg, scope)
            if value is None and not _is_none(arg.value):
                dynamic = True
            return value

        if name in {"add_column", "drop_column", "alter_column"}:
            op.table = table if batch is not None else text_at(0, "table_name")
            if name == "add_column":
                column_arg = positional(call, shift) or keyword(call, "column")
                column = self._column(column_arg.value, scope) if column_arg is not None else None
                if column is None or column.name is None:
                    dynamic = True
                else:
                    op.columns = (column,)
                    op.name = column.name
            else:
                op.name = text_at(shift, "column_name")
            if name == "alter_column":
                new_name = keyword(call, "new_column_name")
                op.new_name = self._text(new_name, scope) if new_name is not None else None
                type_arg = keyword(call, "type_")
                op.type_text = code_of(type_arg.value) if type_arg is not None else None
                existing = keyword(call, "existing_type")
                op.existing_type = code_of(existing.value) if existing is not None else None
                nullable = keyword(call, "nullable")
                if nullable is not None and isinstance(nullable.value, cst.Name) \
                        and nullable.value.value in {"True", "False"}:
                    op.nullable = nullable.value.value == "True"
        elif name in {"create_table", "drop_table"}:
            op.table = text_at(0, "table_name")
            if name == "create_table":
                op.columns = tuple(
                    column for arg in call.args[1:] if arg.keyword is None and not arg.star
                    and (column := self._column(arg.value, scope)) is not None
                )
        elif name == "rename_table":
            op.table = text_at(0, "old_table_name")
            op.new_name = text_at(1, "new_table_name")
        elif name in {"create_index", "drop_index"}:
            op.name = text_at(0, "index_name")
            op.name_code = _code_of_arg(positional(call, 0) or keyword(call, "index_name"))
            op.table = table if batch is not None else text_at(1, "table_name")
            if name == "create_index":
                op.index_columns = self._texts(positional(call, 1 + shift) or keyword(call, "columns"), scope)
            concurrently = keyword(call, "postgresql_concurrently")
            op.concurrently = concurrently is not None and is_true(concurrently.value)
        elif name in {"create_foreign_key", "create_check_constraint", "create_unique_constraint",
                      "create_primary_key", "create_exclude_constraint", "drop_constraint"}:
            op.name = text_at(0, "constraint_name")
            op.name_code = _code_of_arg(positional(call, 0) or keyword(call, "constraint_name"))
            op.table = table if batch is not None else text_at(1, "source_table", "table_name")
            if name == "create_foreign_key":
                op.referent = text_at(1 + shift, "referent_table")
            if name == "create_unique_constraint":
                op.index_columns = self._texts(positional(call, 1 + shift) or keyword(call, "columns"), scope)
            if name == "drop_constraint":
                type_arg = keyword(call, "type_") or positional(call, 1 + shift)
                op.constraint_type = self._text(type_arg, scope) if type_arg is not None else None
            not_valid = keyword(call, "postgresql_not_valid")
            op.not_valid = not_valid is not None and is_true(not_valid.value)
        ensure = keyword(call, "if_exists" if name.startswith("drop_") else "if_not_exists")
        op.idempotent = ensure is not None and is_true(ensure.value)
        if dynamic:
            body.opaque = True
        body.operations.append(op)

    def _execute(self, call: cst.Call, scope: _Scope, body: Body, statement: cst.CSTNode) -> None:
        from reviewer.semantics.alembic.sql import created_table, operations_of_sql

        arg = positional(call, 0) or keyword(call, "sqltext") or keyword(call, "statement")
        sql, exact = self._sql_text(arg.value if arg is not None else None, scope)
        if sql is None:
            if exact:  # a SQLAlchemy construct: `sa.update(...)`, `table.insert()`
                body.operations.append(Operation(kind="data", node=call, statement=statement, dialect=scope.dialect))
                return
            body.opaque = True
            body.operations.append(Operation(kind="unknown", node=call, statement=statement, dialect=scope.dialect))
            return
        found = operations_of_sql(sql, exact=exact)
        formatted = self._sql_argument(arg.value if arg is not None else None)
        if not exact and found and found[0][0] == "sql_ddl" and isinstance(formatted, cst.FormattedString):
            # `f"CREATE TABLE IF NOT EXISTS runs ({COLUMNS})"`: the text before the first hole names
            # the table it creates.
            table = created_table(_before_first_hole(formatted))
            if table is not None:
                found[0] = ("create_table", {**found[0][1], "table": table})
        if not found or any(kind == "unknown" for kind, _ in found) or not exact:
            body.opaque = True
        for kind, details in found:
            body.operations.append(
                Operation(kind=kind, node=call, statement=statement, dialect=scope.dialect, from_sql=True,
                          op_name=_op_spelling(call.func), **details)
            )

    def _sql_argument(self, node: cst.BaseExpression | None) -> cst.BaseExpression | None:
        """What an execute call is given, out of the wrappers that keep its text (`sa.text(...)`,
        `.bindparams(...)`, `.columns(...)`, `.execution_options(...)`)."""
        while isinstance(node, cst.Call):
            if isinstance(node.func, cst.Attribute) and node.func.attr.value in _TEXT_KEEPING_METHODS:
                node = node.func.value
            elif self.context.qualify(node.func) in _SQL_TEXT_FACTORIES:
                inner = positional(node, 0)
                node = inner.value if inner is not None else None
            else:
                break
        return node

    def _sql_text(self, node: cst.BaseExpression | None, scope: _Scope) -> tuple[str | None, bool]:
        """The SQL text an execute call runs, and whether it is exact (not partly built at run
        time, whose head alone is known). (None, True): a SQLAlchemy construct, not text."""
        node = self._sql_argument(node)
        if node is None:
            return None, False
        if isinstance(node, cst.Call):
            qualified = self.context.qualify(node.func)
            if isinstance(node.func, cst.Attribute) and node.func.attr.value == "format":
                head, _ = self._sql_text(node.func.value, scope)
                return head, False
            return None, qualified is not None and qualified.startswith("sqlalchemy.")
        text = string_value(node)
        if text is not None:
            return text, True
        if isinstance(node, cst.Name) and node.value in scope.strings:
            return scope.strings[node.value], True
        if isinstance(node, cst.FormattedString):
            head = "".join(part.value for part in node.parts if isinstance(part, cst.FormattedStringText))
            return head, False
        if isinstance(node, cst.BinaryOperation):
            left, _ = self._sql_text(node.left, scope)
            return left, False
        return None, False

    def _text(self, arg: cst.Arg | None, scope: _Scope) -> str | None:
        if arg is None:
            return None
        value = arg.value
        text = string_value(value)
        if text is None and isinstance(value, cst.Name):
            text = scope.strings.get(value.value)
        if text is None and isinstance(value, cst.Call) and value.args and (
            self._op_name(value) == "f"
            or isinstance(value.func, cst.Attribute) and value.func.attr.value == "f"
            and isinstance(value.func.value, cst.Name) and value.func.value.value in scope.batch
        ):
            text = string_value(value.args[0].value)  # `op.f("ix_name")`: a name taken as written
        return text

    def _texts(self, arg: cst.Arg | None, scope: _Scope) -> tuple[str, ...] | None:
        if arg is None or not isinstance(arg.value, (cst.List, cst.Tuple)):
            return None
        texts = []
        for element in arg.value.elements:
            text = string_value(element.value)
            if text is None:
                return None
            texts.append(text)
        return tuple(texts)

    def _column(self, node: cst.BaseExpression, scope: _Scope) -> ColumnSpec | None:
        if not isinstance(node, cst.Call):
            return None
        qualified = self.context.qualify(node.func) or ""
        if not (qualified.endswith(".Column") and qualified.startswith(("sqlalchemy", "sqlmodel"))):
            return None
        first = positional(node, 0) or keyword(node, "name")
        name = self._text(first, scope) if first is not None else None
        primary = keyword(node, "primary_key")
        primary_key = primary is not None and is_true(primary.value)
        nullable_arg = keyword(node, "nullable")
        nullable: bool | None = None
        if nullable_arg is not None and isinstance(nullable_arg.value, cst.Name) \
                and nullable_arg.value.value in {"True", "False"}:
            nullable = nullable_arg.value.value == "True"
        elif nullable_arg is not None:
            nullable = None
        else:
            nullable = not primary_key
        default = keyword(node, "server_default")
        generated = any(
            isinstance(arg.value, cst.Call) and _last_name(arg.value.func) in _GENERATORS for arg in node.args
        ) or keyword(node, "server_onupdate") is not None
        type_arg = positional(node, 1) or keyword(node, "type_")
        autoincrement = keyword(node, "autoincrement")
        if (
            primary_key
            and type_arg is not None
            and _INTEGER_TYPE.search(code_of(type_arg.value))
            and not (autoincrement is not None and isinstance(autoincrement.value, cst.Name)
                     and autoincrement.value.value == "False")
        ):
            generated = True  # an integer primary key: SQLAlchemy makes it SERIAL, the database fills it
        return ColumnSpec(
            name=name,
            nullable=nullable,
            primary_key=primary_key,
            server_default=default is not None and not _is_none(default.value),
            generated=generated,
        )


# Objects that hold no rows, which a body may drop `IF EXISTS` and create again.
_CODE_OBJECTS = frozenset({"TRIGGER", "FUNCTION", "PROCEDURE"})


def _mark_redefinitions(operations: list[Operation]) -> None:
    """`CREATE TRIGGER` after `DROP TRIGGER IF EXISTS` (a function, a procedure) in the same body
    redefines the object, as `CREATE OR REPLACE` would: it is idempotent too."""
    cleared: set[str] = set()
    for op in operations:
        words = (op.sql_head or "").upper().split()
        if op.kind != "sql_ddl" or len(words) < 2 or words[1] not in _CODE_OBJECTS:
            continue
        if words[0] == "DROP" and op.idempotent:
            cleared.add(words[1])
        elif words[0] == "CREATE" and words[1] in cleared:
            op.idempotent = True


def _statements(block: cst.BaseSuite) -> list[cst.CSTNode]:
    if isinstance(block, cst.IndentedBlock):
        return list(block.body)
    return [cst.SimpleStatementLine(body=list(block.body))] if isinstance(block, cst.SimpleStatementSuite) else []


def _only_returns(block: cst.BaseSuite) -> bool:
    statements = _statements(block)
    return (
        bool(statements)
        and all(isinstance(s, cst.SimpleStatementLine) for s in statements)
        and any(isinstance(x, cst.Return) for x in statements[-1].body)
    )


def _dotted(node: cst.BaseExpression) -> str:
    """`logger.info` of a Name/Attribute chain; "" for anything else."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr.value}" if head else ""
    return ""


def _is_quiet(func: cst.BaseExpression) -> bool:
    """A call of `print` or of a logger: it does nothing to the database."""
    name = _dotted(func)
    return name in _QUIET_CALLS or (name + ".").startswith(_LOGGING_ROOTS) and "." in name


def _mentions_dialect(node: cst.BaseExpression) -> bool:
    """`bind.dialect.name`, `op.get_bind().dialect.name`, `dialect`: an expression about the dialect."""
    while True:
        if isinstance(node, cst.Name):
            return "dialect" in node.value
        if isinstance(node, cst.Attribute):
            if "dialect" in node.attr.value:
                return True
            node = node.value
        elif isinstance(node, cst.Call):
            node = node.func
        else:
            return False


def _last_name(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Name):
        return node.value
    return node.attr.value if isinstance(node, cst.Attribute) else None


def _code_of_arg(arg: cst.Arg | None) -> str | None:
    return code_of(arg.value) if arg is not None else None


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _op_spelling(func: cst.BaseExpression) -> str:
    if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
        return func.value.value
    return "op"


def _dialect_guard(test: cst.BaseExpression) -> str | None:
    """The dialect an `if` test restricts its body to: `bind.dialect.name == "sqlite"` gives
    "sqlite", `!= "postgresql"` gives "!postgresql"; `in ("postgresql",)` too. None otherwise."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = _dialect_guard(test.expression)
        return _negate(inner) if inner else None
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return None
    target = test.comparisons[0]
    sides = (test.left, target.comparator)
    if not any(_mentions_dialect(side) for side in sides):
        return None
    names: list[str] = []
    for side in sides:
        text = string_value(side)
        if text is not None:
            names.append(text)
        elif isinstance(side, (cst.Tuple, cst.List, cst.Set)):
            names.extend(t for e in side.elements if (t := string_value(e.value)) is not None)
    dialects = {_DIALECT_SPELLINGS[n.lower()] for n in names if n.lower() in _DIALECT_SPELLINGS}
    if len(dialects) != 1:
        return None
    dialect = dialects.pop()
    operator = target.operator
    if isinstance(operator, (cst.Equal, cst.In)):
        return dialect
    if isinstance(operator, (cst.NotEqual, cst.NotIn)):
        return "!" + dialect
    return None


def _negate(guard: str) -> str:
    return guard[1:] if guard.startswith("!") else "!" + guard


def _before_first_hole(text: cst.FormattedString) -> str:
    """The literal text of an f-string up to its first `{...}`."""
    head = []
    for part in text.parts:
        if not isinstance(part, cst.FormattedStringText):
            break
        head.append(part.value)
    return "".join(head)
