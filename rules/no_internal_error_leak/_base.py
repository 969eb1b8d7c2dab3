"""What the `no-internal-error-leak` rules share: the file's error paths, once per walk, for
application code of FastAPI modules."""

from __future__ import annotations

from reviewer import lazy_cst as cst
from reviewer.rule import Rule
from reviewer.semantics.error_paths import Leak, error_paths
from reviewer.semantics.serving import is_one_shot_path


class LeakRule(Rule):
    """Reports the leaks of the file that `wanted` accepts, when the walk leaves the module."""

    checklist = "no-internal-error-leak"
    prefilter_packages = ("fastapi", "starlette")
    always_applicable = False

    def leave_Module(self, original_node: cst.Module) -> None:
        if self.context.is_test_file or is_one_shot_path(self.context.path):
            return
        self.mark_applicable()
        source = self.context.source
        if "except" not in source and "traceback" not in source:
            return
        for leak in error_paths(self.context).leaks:
            if self.wanted(leak):
                self.report_in(leak.statement, leak.node, self.message(leak))

    def wanted(self, leak: Leak) -> bool:
        raise NotImplementedError

    def message(self, leak: Leak) -> str:
        raise NotImplementedError
