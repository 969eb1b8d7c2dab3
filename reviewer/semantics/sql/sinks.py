"""Where SQL goes: which calls send text to a database or turn it into SQL, which objects are
database connections and sessions, and which calls escape a value for SQL. Data and small checks,
by qualified name (`text` is SQLAlchemy's only if imported from there); methods are recognised by
name and count only when the text they receive is SQL or the receiver is a database object."""

from __future__ import annotations

import re

from reviewer import lazy_cst as cst

SQL_TEXT_FUNCTIONS: dict[str, tuple[str, int, str]] = {
    # qualified name -> (display name, position, keyword) of the SQL text argument
    "sqlalchemy.text": ("text()", 0, "text"),
    "sqlalchemy.sql.text": ("text()", 0, "text"),
    "sqlalchemy.sql.expression.text": ("text()", 0, "text"),
    "sqlmodel.text": ("text()", 0, "text"),
    "sqlalchemy.literal_column": ("literal_column()", 0, "text"),
    "sqlalchemy.sql.literal_column": ("literal_column()", 0, "text"),
    "sqlalchemy.sql.expression.literal_column": ("literal_column()", 0, "text"),
    "sqlmodel.literal_column": ("literal_column()", 0, "text"),
    "sqlalchemy.DDL": ("DDL()", 0, "statement"),
    "sqlalchemy.schema.DDL": ("DDL()", 0, "statement"),
    "alembic.op.execute": ("op.execute", 0, "sqltext"),
    "pandas.read_sql": ("pandas.read_sql", 0, "sql"),
    "pandas.read_sql_query": ("pandas.read_sql_query", 0, "sql"),
    "psycopg.sql.SQL": ("psycopg.sql.SQL", 0, "obj"),
    "psycopg2.sql.SQL": ("psycopg2.sql.SQL", 0, "sql"),
}


# SQLAlchemy constructs whose text is a fragment (a column, a clause), not a statement.
SQL_FRAGMENT_FUNCTIONS = frozenset(
    name for name, (display, _, _) in SQL_TEXT_FUNCTIONS.items() if display in ("text()", "literal_column()")
)


# Methods that send their first argument to the database when it is SQL text.
SQL_METHODS = frozenset(
    {
        "execute",
        "executemany",
        "executescript",
        "exec_driver_sql",
        "execute_many",
        "fetch",
        "fetchrow",
        "fetchval",
        "fetch_all",
        "fetch_one",
        "fetch_val",
        "iterate",
        "scalar",
        "scalars",
        "read_sql",
        "read_sql_query",
        "exec",
    }
)
# Methods of applications' own database wrappers (`db.fetchall(query)`) and of other clients
# (ClickHouse's `client.query`): they count only with SQL text, never for a value of unknown kind
# (`session.query(User)` is the ORM's).
SQL_TEXT_ONLY_METHODS = frozenset({
    "fetchone", "fetchall", "fetchmany", "fetch_page", "fetch_many", "fetch_rows", "query", "query_df",
    "command", "select", "run_query", "execute_query", "execute_sql", "raw",
})
SQL_METHODS |= SQL_TEXT_ONLY_METHODS


# Receivers known by their annotation or constructor, by qualified class name -> display name.
DB_CLASSES = {
    "sqlalchemy.orm.Session": "Session",
    "sqlalchemy.orm.session.Session": "Session",
    "sqlmodel.Session": "Session",
    "sqlalchemy.ext.asyncio.AsyncSession": "AsyncSession",
    "sqlmodel.ext.asyncio.session.AsyncSession": "AsyncSession",
    "sqlalchemy.engine.Connection": "Connection",
    "sqlalchemy.Connection": "Connection",
    "sqlalchemy.engine.base.Connection": "Connection",
    "sqlalchemy.ext.asyncio.AsyncConnection": "AsyncConnection",
    "sqlalchemy.engine.Engine": "Engine",
    "sqlalchemy.Engine": "Engine",
    "asyncpg.Connection": "asyncpg.Connection",
    "asyncpg.connection.Connection": "asyncpg.Connection",
    "asyncpg.Pool": "asyncpg.Pool",
    "asyncpg.pool.Pool": "asyncpg.Pool",
    "databases.Database": "Database",
    "sqlite3.Connection": "sqlite3.Connection",
    "sqlite3.Cursor": "sqlite3.Cursor",
    "psycopg.Connection": "psycopg.Connection",
    "psycopg.Cursor": "psycopg.Cursor",
    "psycopg.AsyncConnection": "psycopg.AsyncConnection",
    "psycopg.AsyncCursor": "psycopg.AsyncCursor",
    "psycopg2.extensions.connection": "psycopg2 connection",
    "psycopg2.extensions.cursor": "psycopg2 cursor",
}


CONNECT_FUNCTIONS = {
    "asyncpg.connect": "asyncpg.Connection",
    "asyncpg.create_pool": "asyncpg.Pool",
    "sqlite3.connect": "sqlite3.Connection",
    "psycopg.connect": "psycopg.Connection",
    "psycopg.AsyncConnection.connect": "psycopg.AsyncConnection",
    "psycopg2.connect": "psycopg2 connection",
}


DB_RECEIVER_NAME = re.compile(
    r"(?:^|_)(?:cur|cursor|conn|connection|session|db|database|pool|engine|tx|transaction)s?$", re.IGNORECASE
)


# Statements start with one of these; a string that does not is not SQL sent by a generic method.
SQL_START = re.compile(
    r"^\s*(?:--[^\n]*\n\s*|/\*.*?\*/\s*)*\(?\s*(?:select|insert|update|delete|with|create|alter|drop|grant|revoke|"
    r"set|truncate|copy|vacuum|analyze|explain|begin|commit|rollback|lock|refresh|call|do|comment|reindex|"
    r"show|pragma|merge|replace|upsert|values|declare|savepoint|release|listen|notify|cluster)\b",
    re.IGNORECASE | re.DOTALL,
)


# Parameters whose name says the caller passes SQL: the function's contract, not a value.
SQL_FRAGMENT_PARAMETER = re.compile(
    r"^(?:sql|stmt|statement|clause|ddl|where|where_clause|conditions?|predicates?|\w+_sql|sql_\w+|\w+_clause|\w+_stmt)$"
)


# Passed whole as SQL, `query` and `expression` are SQL too; spliced into SQL they may be a search term.
SQL_PARAMETER_NAMES = re.compile(
    r"^(?:query|expression|raw|raw_sql|query_text|\w+_query|sql|stmt|statement|clause|ddl|where|where_clause|"
    r"conditions?|predicates?|\w+_sql|sql_\w+|\w+_clause|\w+_stmt)$"
)


ESCAPING_CALLS = frozenset(
    {
        "psycopg.sql.Identifier",
        "psycopg.sql.Literal",
        "psycopg.sql.Placeholder",
        "psycopg2.sql.Identifier",
        "psycopg2.sql.Literal",
        "psycopg2.sql.Placeholder",
        "psycopg2.extensions.quote_ident",
        "psycopg2.extensions.adapt",
        "psycopg.pq.Escaping",
        "sqlalchemy.sql.quoted_name",
        "sqlalchemy.bindparam",
        "sqlalchemy.sql.bindparam",
    }
)


ESCAPING_METHODS = frozenset(
    {
        "quote",
        "quote_identifier",
        "quote_ident",
        "quote_schema",
        "format_table",
        "format_column",
        "escape_identifier",
        "escape_literal",
        "escape_string",
        "literal",
        "mogrify",
        "bindparam",
    }
)


# Methods of a `text()` clause that return the clause with bound parameters or result columns.
TEXT_CLAUSE_METHODS = frozenset({"bindparams", "columns", "execution_options", "params"})


def text_clause_of(node: cst.BaseExpression) -> cst.BaseExpression:
    """`text("...")` out of `text("...").bindparams(x=1).columns(...)`."""
    while (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in TEXT_CLAUSE_METHODS
        and isinstance(node.func.value, cst.Call)
    ):
        node = node.func.value
    return node


def looks_like_db_receiver(node: cst.BaseExpression) -> bool:
    name = node.attr.value if isinstance(node, cst.Attribute) else node.value if isinstance(node, cst.Name) else None
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        name = node.func.attr.value
    return bool(name) and bool(DB_RECEIVER_NAME.search(name))
