"""A migration drops a column or table that a model of the code still maps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.model import Severity, Span
from reviewer.rule import RepoContext, Rule
from reviewer.semantics.alembic import Migration, migration_of, revision_ids
from reviewer.semantics.orm import OrmFacts
from rules.migration_safety._existing import call_name


@dataclass(frozen=True)
class _Revision:
    """What the repository pass needs of one revision module (picklable, in its summary)."""

    revision: str
    down_revisions: tuple[str, ...]
    drops: tuple[tuple[str, str | None, str, Span, tuple[int, int] | None], ...]  # table, column, call, where
    adds: tuple[tuple[str, str | None], ...]  # (table, column) added, (table, None) created


class DroppedColumnStillMapped(Rule):
    """A migration drops a column or table that a model of the code still maps.

    ## What it does
    Flags `op.drop_column(table, column)` and `op.drop_table(table)` (also in batch blocks and as
    SQL run by `op.execute`) when a declarative model of the repository still maps that table and,
    for a column, that column (by its database name: `Column("name")` and `mapped_column("name")`
    count; columns of mixins and base classes too), and no later revision (by `down_revision`)
    adds it back.

    ## Why is this bad?
    The code of the very release that carries the migration selects every mapped column: once the
    migration has run, each query of that model fails with "column does not exist", and so does
    the release still running while it rolls out. A column is dropped safely in two releases: stop
    mapping it (and deploy), then drop it.

    ## Example
    ```python
    class Order(Base):
        __tablename__ = "orders"
        id = mapped_column(Integer, primary_key=True)
        legacy_note = mapped_column(String)   # still mapped

    def upgrade():
        op.drop_column("orders", "legacy_note")
    ```

    ## Use instead
    Remove `legacy_note` from the model in one release; drop the column in a later migration.

    Not flagged: a model that no module imports by name and no relationship targets (nothing
    queries it), and classes a revision declares for its own data migration.

    ## Known problems
    Tables mapped without a literal `__tablename__` (imperative mappings, `Table(...)` objects,
    `declared_attr`) are not matched, nor are columns mapped under another name through means
    other than the first argument of `Column`/`mapped_column`. A later revision adds a column back
    only through the chain of `down_revision`s; a revision module that names no `revision` is not
    in it, and a drop in it is not judged. Revisions of another
    database than the models' (two services in one repository) can be matched by table name alone.
    """

    code = "RVW726"
    name = "dropped-column-still-mapped"
    checklist = "migration-safety"
    severity = Severity.WARNING
    always_applicable = False  # applicable once an Alembic revision is reviewed
    requires: ClassVar[tuple[type[Facts], ...]] = (OrmFacts,)
    # Every revision, also one that does nothing and imports nothing of Alembic: the chain from a
    # drop to a later revision that adds the column back passes through it.
    prefilter_packages = ("down_revision",)

    def visit_Module(self, node: cst.Module) -> None:
        ids = revision_ids(self.context)
        migration = migration_of(self.context)
        if migration is not None:
            self.mark_applicable()
        if ids is not None:
            drops, adds = self._changes(migration) if migration is not None else ((), ())
            self.context.summary.extras[self.code] = _Revision(ids[0], ids[1], drops, adds)

    def _changes(self, migration: Migration) -> tuple[tuple, tuple]:
        """What `upgrade()` drops (with where), and the columns and tables it adds or renames to."""
        drops, adds = [], []
        for op in migration.upgrade.operations:
            table = (op.table or "").lower()
            if not table:
                continue
            if op.kind == "drop_column" and op.name or op.kind == "drop_table":
                column = op.name.lower() if op.kind == "drop_column" else None
                lines = self.context.statement_lines(op.statement) if op.statement is not None else None
                drops.append((table, column, call_name(op), self.context.span(op.node, op.statement), lines))
            elif op.kind == "add_column" and op.name:
                adds.append((table, op.name.lower()))
            elif op.kind == "alter_column" and op.new_name:
                adds.append((table, op.new_name.lower()))  # `new_id` renamed to `id`: the column is back
            elif op.kind == "create_table":
                adds.append((table, None))
            elif op.kind == "rename_table" and op.new_name:
                adds.append((op.new_name.lower(), None))
        return tuple(drops), tuple(adds)

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        revisions = {summary.path: summary.extras[cls.code] for summary in repo.summaries if cls.code in summary.extras}
        if not any(revision.drops for revision in revisions.values()):
            return
        model = repo.facts(OrmFacts)
        # Classes a revision declares for its own data migration map the schema of its time.
        in_revisions = tuple(f"{s.module}." for s in repo.summaries if s.path in revisions and s.module)
        mapped = {table.lower(): record for table, record in model.tables().items()
                  if not record.qualname.startswith(in_revisions)}
        parents = {r.revision: r.down_revisions for r in revisions.values()}
        used = _used_classes(repo, model, revisions)
        for path, revision in sorted(revisions.items()):
            for table, column, call, span, statement_lines in revision.drops:
                record = mapped.get(table)
                if record is None or (column is not None and column not in model.table_columns(record.qualname)):
                    continue
                if record.qualname not in used:
                    continue  # a model nothing imports or relates to runs no query
                if _added_back(revision, table, column, revisions.values(), parents):
                    continue
                what = f"column `{table}.{column}`" if column else f"table `{table}`"
                repo.report(
                    path,
                    span,
                    f"{call} drops {what}, which `{record.qualname}` still maps: once it has run, every query "
                    f"of that model fails; stop mapping it in one release, then drop it in a later migration",
                    statement_lines=statement_lines,
                )


def _used_classes(repo: RepoContext, model, revisions: dict) -> set[str]:  # noqa: ANN001
    """The mapped classes that code other than revisions and tests imports by name, or that a
    relationship of another mapped class targets."""
    used = {
        target for summary in repo.summaries if summary.path not in revisions and not summary.is_test_file
        for target in summary.imports.aliases.values()
    }
    for record in model.classes():
        for relationship in record.relationships.values():
            target = model.mapped(relationship.target) if relationship.target else None
            if target is not None and target.qualname != record.qualname:
                used.add(target.qualname)
    return used


def _added_back(dropping: _Revision, table: str, column: str | None, revisions, parents) -> bool:  # noqa: ANN001
    """Whether the same revision or a later one (one whose ancestry holds it) adds the column again
    (or renames another to it), or creates the table again (or renames another to it)."""
    for other in revisions:
        if not any(t == table and (c is None or c == column) for t, c in other.adds):
            continue
        if other is dropping or _descends(other.revision, dropping.revision, parents):
            return True
    return False


def _descends(revision: str, ancestor: str, parents: dict[str, tuple[str, ...]]) -> bool:
    seen: set[str] = set()
    pending = list(parents.get(revision, ()))
    while pending:
        current = pending.pop()
        if current == ancestor:
            return True
        if current not in seen:
            seen.add(current)
            pending.extend(parents.get(current, ()))
    return False
