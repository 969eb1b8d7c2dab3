"""Rules of the checklist item `error-status-codes`: errors are reported with 4xx/5xx status codes."""
