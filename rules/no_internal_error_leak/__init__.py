"""Rules of the checklist item `no-internal-error-leak`: exception text and tracebacks never reach
clients."""
