"""Rules of the checklist item `reversible-migrations`: every Alembic revision's `downgrade()` undoes
its `upgrade()`."""
