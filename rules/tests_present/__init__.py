"""Rules of the checklist item `tests-present`: the test suite requests every endpoint."""
