"""What the `no-internal-error-leak` rules share: the file's leaks, from its error paths."""

from __future__ import annotations

from reviewer.semantics.error_paths import ErrorPaths, Leak
from rules._error_paths_rule import ErrorPathsRule


class LeakRule(ErrorPathsRule):
    """Reports the leaks of the file that `wanted` accepts."""

    checklist = "no-internal-error-leak"

    def check(self, paths: ErrorPaths) -> None:
        for leak in paths.leaks:
            if self.wanted(leak):
                self.report_in(leak.statement, leak.node, self.message(leak))

    def wanted(self, leak: Leak) -> bool:
        raise NotImplementedError

    def message(self, leak: Leak) -> str:
        raise NotImplementedError
