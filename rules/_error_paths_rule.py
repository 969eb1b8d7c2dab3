"""What the rules that judge a FastAPI module's error paths share: the file's `ErrorPaths`
(`reviewer.semantics.error_paths`), computed once per walk, handed to `check` when the walk leaves
the module, for application code only (not tests, not one-shot programs)."""

from __future__ import annotations

from reviewer import lazy_cst as cst
from reviewer.rule import Rule
from reviewer.semantics.error_paths import ErrorPaths, error_paths
from reviewer.semantics.error_paths.records import SERVING_PACKAGES
from reviewer.semantics.serving import is_one_shot_path


class ErrorPathsRule(Rule):
    """Base of the rules of a module's error paths: `check(paths)` runs once per module. Its item
    applies where a module may serve requests (it names FastAPI or Starlette)."""

    prefilter_packages = SERVING_PACKAGES
    always_applicable = False

    def leave_Module(self, original_node: cst.Module) -> None:
        if self.context.is_test_file or is_one_shot_path(self.context.path):
            return
        if any(package in self.context.source for package in SERVING_PACKAGES):
            self.mark_applicable()
        self.check(error_paths(self.context))

    def check(self, paths: ErrorPaths) -> None:
        raise NotImplementedError
