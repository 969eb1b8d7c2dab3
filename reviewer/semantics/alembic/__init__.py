"""Alembic revisions as a model: the revision ids, and the schema operations that `upgrade()` and
`downgrade()` perform, from `op.*` calls (also inside `op.batch_alter_table` blocks and module
helpers they call) and from the SQL text they execute (parsed with sqlglot).

Rules read one module's model with `migration_of(context)`; it is built once per file, and only for
a module that is a migration (`reviewer.semantics.migrations.is_migration`) and defines `upgrade`.
`revision_ids(context)` reads the revision a module declares and those it follows, also where it
does nothing (the chain of revisions passes through it).
"""

from reviewer.semantics.alembic.model import Body, Migration, Operation, migration_of, revision_ids

__all__ = ["Body", "Migration", "Operation", "migration_of", "revision_ids"]
