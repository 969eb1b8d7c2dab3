"""SQL in application code: where it goes (`sinks`), what reaches each sink as the flow analysis
follows it (`domain`, `facts`), and what the SQL text says, parsed with sqlglot (`text`).

A *sink* is a call that sends text to the database or turns it into SQL: SQLAlchemy `text()`,
`literal_column()`, `DDL()`, `Session/Connection.execute()`, `exec_driver_sql()`, DB-API
`cursor.execute/executemany/executescript`, asyncpg `fetch/fetchrow/fetchval/execute`,
`databases` `fetch_all/fetch_one/execute`, `pandas.read_sql*`, Alembic `op.execute`, psycopg
`sql.SQL()`. What reaches it is followed by the flow analysis (`reviewer.semantics.flow`), SQL
being one of its domains: strings built in the function (literals, f-strings, `%`, `.format()`,
`+`, `join`, `string.Template`, lists of conditions joined later, module and class constants),
each interpolated expression with its trust.

A rule reads it by requiring `SqlFacts`, then `context.facts(SqlFacts).groups()` once the file
has been walked: each function's sink uses, with the function's qualified name.
"""

from reviewer.semantics.sql.domain import SinkUse, SqlDomain
from reviewer.semantics.sql.facts import SqlFacts
from reviewer.semantics.sql.sinks import SQL_FRAGMENT_FUNCTIONS, SQL_METHODS, SQL_TEXT_FUNCTIONS
from reviewer.semantics.sql.text import StarProjection, star_projections

__all__ = [
    "SQL_FRAGMENT_FUNCTIONS",
    "SQL_METHODS",
    "SQL_TEXT_FUNCTIONS",
    "SinkUse",
    "SqlDomain",
    "SqlFacts",
    "StarProjection",
    "star_projections",
]
