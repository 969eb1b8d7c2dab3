"""Rules of the checklist item `no-select-star`: queries select only the columns they need."""
