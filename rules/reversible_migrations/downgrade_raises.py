"""A `downgrade()` that raises instead of undoing `upgrade()`."""

from __future__ import annotations

from reviewer.semantics.alembic import Migration
from rules._migration_rule import MigrationRule


class DowngradeRaises(MigrationRule):
    """An Alembic revision's `downgrade()` always raises, so no rollback can pass this revision.

    ## What it does
    Flags `def downgrade()` when its body raises unconditionally (`raise NotImplementedError`,
    `raise Exception("irreversible")`) while `upgrade()` does something.

    ## Why is this bad?
    A rollback of any later release stops at this revision: the database can only move forward.
    Raising on purpose is honest about it, but the revision is still not reversible; the checklist
    item asks every revision for a working downgrade.

    ## Example
    ```python
    def downgrade():
        raise NotImplementedError("irreversible")
    ```

    ## Use instead
    Restore what `upgrade()` changed, keeping the data needed for it (a backup table, a column kept
    until a later release). A project that accepts irreversible revisions sets the rule's option
    `accept-irreversible = true`.

    ## Known problems
    A raise behind a condition (`if context.is_offline_mode(): raise ...`) is not flagged.
    """

    code = "RVW712"
    name = "downgrade-raises"
    checklist = "reversible-migrations"
    judges_downgrade = True
    options = {"accept-irreversible": False}

    def check(self, migration: Migration) -> None:
        if self.config.get("accept-irreversible", False):
            return
        downgrade = migration.downgrade
        upgrade = migration.upgrade
        if downgrade.raises is None or not (upgrade.operations or upgrade.opaque):
            return
        raised = downgrade.raises.exc
        what = self.context.tree.code_for_node(raised).split("(", 1)[0] if raised is not None else "raise"
        self.report(
            downgrade.function.name,
            f"downgrade() raises {what}: revision {migration.revision or '?'} cannot be rolled back; restore "
            "what upgrade() changed (or set accept-irreversible if the project accepts irreversible revisions)",
            statement=downgrade.function,
        )
