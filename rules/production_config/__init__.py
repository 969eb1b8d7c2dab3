"""Rules of the checklist item `production-config`: no debug mode, reload, echo, wildcard hosts or
placeholder secrets in production."""
