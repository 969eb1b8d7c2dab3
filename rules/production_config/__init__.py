"""Rules of the checklist item `production-config`: no debug mode, reload, echo or wildcard hosts in production."""
