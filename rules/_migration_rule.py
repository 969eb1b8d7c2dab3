"""What the rules that judge an Alembic revision share: each module is read once into a
`Migration` (`reviewer.semantics.alembic`), and a rule judges it in `check`."""

from __future__ import annotations

from typing import ClassVar

from reviewer import lazy_cst as cst
from reviewer.model import Severity
from reviewer.rule import Rule
from reviewer.semantics.alembic import Migration, migration_of


class MigrationRule(Rule):
    """Base of the rules of one revision module: `check(migration)` runs once per revision."""

    severity = Severity.WARNING
    prefilter_packages = ("alembic",)
    always_applicable = False  # applicable once an Alembic revision is reviewed
    # True for rules that judge `downgrade()`: a revision without one is not theirs to judge.
    judges_downgrade: ClassVar[bool] = False

    def visit_Module(self, node: cst.Module) -> None:
        migration = migration_of(self.context)
        if migration is None or (self.judges_downgrade and migration.downgrade is None):
            return
        self.mark_applicable()
        self.check(migration)

    def check(self, migration: Migration) -> None:
        raise NotImplementedError
