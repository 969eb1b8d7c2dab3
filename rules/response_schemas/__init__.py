"""Rules of the checklist item `response-schemas`: responses declare their schema and never carry
credentials."""
