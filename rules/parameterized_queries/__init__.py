"""Rules of the checklist item `parameterized-queries`: queries are parameterized, no SQL built
from strings."""
