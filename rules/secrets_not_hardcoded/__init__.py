"""Rules of the checklist item `secrets-not-hardcoded`: secrets and credentials are never hardcoded."""
