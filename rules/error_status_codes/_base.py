"""What the `error-status-codes` rules share: their item, and the file's error paths."""

from __future__ import annotations

from rules._error_paths_rule import ErrorPathsRule


class StatusRule(ErrorPathsRule):
    """Judges the file's `ErrorPaths` in `check`."""

    checklist = "error-status-codes"
