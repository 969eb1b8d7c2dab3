"""What the `no-internal-error-leak` rules share: the file's leaks, from its error paths, and, over
the repository, the routes only administrators, operators and the deployment's own services reach."""

from __future__ import annotations

from typing import ClassVar

from reviewer.facts import Facts
from reviewer.rule import RepoContext
from reviewer.semantics.error_paths import ErrorPaths, Leak, names_admin_check
from reviewer.semantics.fastapi import FastAPIFacts
from reviewer.semantics.fastapi.guards import GuardFacts
from rules._error_paths_rule import ErrorPathsRule


class LeakRule(ErrorPathsRule):
    """Reports the leaks of the file that `wanted` accepts; the repository pass takes back those of
    routes whose every way in admits only trusted callers: an administrator check on the app, the
    routers or the `include_router` calls above them (also in other modules), or a guard that lets
    in only holders of a secret of the deployment's configuration or callers on the machine itself
    (an internal service's shared key, a signature checked with a configured key, a loopback check)."""

    checklist = "no-internal-error-leak"
    requires: ClassVar[tuple[type[Facts], ...]] = (FastAPIFacts, GuardFacts)

    def check(self, paths: ErrorPaths) -> None:
        found = []
        for leak in paths.leaks:
            if self.wanted(leak):
                self.report_in(leak.statement, leak.node, self.message(leak))
                span = self.findings[-1].span
                found.append((span.line, span.column, leak.function))
        if found:
            self.context.summary.extras[self.code] = found

    def wanted(self, leak: Leak) -> bool:
        raise NotImplementedError

    def message(self, leak: Leak) -> str:
        raise NotImplementedError

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        if not repo.file_findings:
            return
        index = repo.facts(FastAPIFacts)
        guards = repo.facts(GuardFacts)
        guarded: dict[tuple[str, str], bool] = {}
        for endpoint in index.endpoints:
            key = (endpoint.file, endpoint.function.name)
            if not guarded.get(key, True):
                continue
            trusted = any(names_admin_check(name) for name in endpoint.dependencies) or bool(
                guards.admits_only_holders(endpoint))
            guarded[key] = trusted
        functions = {
            (summary.path, line, column): function
            for summary in repo.summaries for line, column, function in summary.extras.get(cls.code, ())
        }
        for finding in repo.file_findings:
            function = functions.get((finding.path, finding.span.line, finding.span.column))
            if function is not None and guarded.get((finding.path, function), False):
                repo.withdraw(finding)
