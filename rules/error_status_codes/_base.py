"""What the `error-status-codes` rules share: the file's error paths, for application code of
FastAPI modules."""

from __future__ import annotations

from reviewer import lazy_cst as cst
from reviewer.rule import Rule
from reviewer.semantics.error_paths import ErrorPaths, error_paths
from reviewer.semantics.serving import is_one_shot_path


class StatusRule(Rule):
    """Hands the file's `ErrorPaths` to `check` when the walk leaves the module."""

    checklist = "error-status-codes"
    prefilter_packages = ("fastapi", "starlette")
    always_applicable = False

    def leave_Module(self, original_node: cst.Module) -> None:
        if self.context.is_test_file or is_one_shot_path(self.context.path):
            return
        self.mark_applicable()
        self.check(error_paths(self.context))

    def check(self, paths: ErrorPaths) -> None:
        raise NotImplementedError
