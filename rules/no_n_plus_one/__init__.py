"""Rules of the checklist item `no-n-plus-one`: no queries or lazy loads once per row."""
