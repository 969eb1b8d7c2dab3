"""What the `error-status-codes` rules share: their item, the file's error paths, and the returns
of routes whose callee only the repository can judge."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from reviewer.semantics.error_paths.helpers_elsewhere import HelperFacts
from rules._error_paths_rule import ErrorPathsRule

if TYPE_CHECKING:
    from reviewer.rule import RepoContext
    from reviewer.semantics.error_paths.helpers_elsewhere import Helpers


class StatusRule(ErrorPathsRule):
    """Judges the file's `ErrorPaths` in `check`."""

    checklist = "error-status-codes"

    @classmethod
    def report_returned_results(cls, repo: RepoContext, builds: Callable[[Helpers, str], bool]) -> None:
        """Report the route returns the rule recorded in the modules' summaries, as (callee, span,
        statement lines, message), whose callee `builds` what the rule looks for."""
        found = [(summary.path, site) for summary in repo.summaries for site in summary.extras.get(cls.code, ())]
        if not found:
            return
        helpers = repo.facts(HelperFacts)
        for path, (callee, span, statement_lines, message) in found:
            if builds(helpers, callee):
                repo.report(path, span, message, statement_lines=statement_lines)
