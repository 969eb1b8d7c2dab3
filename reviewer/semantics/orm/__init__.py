"""The SQLAlchemy model: declarative models and their relationships, and queries with their
loader options.

- `models.py`: per file, `OrmFacts` records the mapped classes a module declares (`MappedClass`:
  `__tablename__`, column attributes, `Relationship`s with their declared loading strategy,
  including `backref=` sides and SQLModel `Relationship(sa_relationship_kwargs=...)`); over the
  repository, `OrmModel` (`repo.facts(OrmFacts)`) answers `mapped(name)`,
  `relationship(name, attribute)` (inheritance followed), `table_columns(name)` (the database
  columns a class maps, its bases' included), `classes()` and `tables()`.
- `queries.py`: `query_of(expr, lookup, qualify)` reads an expression yielding rows back to the
  statement it runs (2.0 `select(...)` run by `execute`/`scalars`/SQLModel `exec`, sync or
  awaited, and 1.4 `session.query(...)`), with the entity selected, `.options(...)` loader
  options and a literal `.limit(n)`; `runs_query(call, ...)` says whether a session call runs a
  query by itself (`session.get(Order, key)` included).

A rule reads the repository model by requiring it: `requires = (OrmFacts,)`.
"""

from reviewer.semantics.orm.models import (
    EAGER,
    FACTS_KEY,
    LAZY_SELECT,
    MappedClass,
    ModuleModels,
    OrmFacts,
    OrmModel,
    Relationship,
)
from reviewer.semantics.orm.queries import LOADER_OPTIONS, SELECT_FUNCTIONS, Query, query_of, root_name, runs_query

__all__ = [
    "EAGER",
    "FACTS_KEY",
    "LAZY_SELECT",
    "LOADER_OPTIONS",
    "SELECT_FUNCTIONS",
    "MappedClass",
    "ModuleModels",
    "OrmFacts",
    "OrmModel",
    "Query",
    "Relationship",
    "query_of",
    "root_name",
    "runs_query",
]
