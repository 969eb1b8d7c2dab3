"""Rules of the checklist item `migration-safety`: Alembic revisions avoid operations that lock
tables in use for long, fail on the rows already there, or break the code still running."""
