"""Schema migrations: code an operator runs once, against the schema of its revision.

An Alembic revision module defines `revision` and `upgrade` at module level; migrations of other
tools sit under a `migrations` or `alembic` directory's `versions`; hand-rolled ones are the
functions of a `migrations.py` module (`async def m001_initial(db)`, run in order by the app's
own migrator)."""

from __future__ import annotations

from pathlib import PurePosixPath

from reviewer.semantics.names import ImportTable

_MIGRATION_DIRECTORIES = frozenset({"migrations", "alembic", "_migrations"})


def is_migration(path: str, imports: ImportTable) -> bool:
    """Whether the module at `path` (with its import table) is a migration."""
    if {"revision", "upgrade"} <= imports.defined:
        return True
    pure = PurePosixPath(path)
    if pure.stem == "migrations":
        return True
    parts = pure.parts[:-1]
    return "versions" in parts and any(part in _MIGRATION_DIRECTORIES for part in parts)
