"""Rules of the checklist item `structured-logging`: logging, not print; no secrets in logs; no
swallowed exceptions."""
