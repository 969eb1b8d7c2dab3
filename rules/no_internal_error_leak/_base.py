"""What the `no-internal-error-leak` rules share: the file's leaks, from its error paths, and, over
the repository, the exception handlers other modules register and the routes only administrators,
operators and the deployment's own services reach."""

from __future__ import annotations

from typing import ClassVar

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.rule import RepoContext
from reviewer.semantics.conditions import holds
from reviewer.semantics.error_paths import ErrorPaths, Leak, names_admin_check, on_admin_surface
from reviewer.semantics.error_paths.helpers_elsewhere import HelperFacts
from reviewer.semantics.exceptions import INTERNAL, exception_origin
from reviewer.semantics.fastapi import FastAPIFacts
from reviewer.semantics.fastapi.guards import GuardFacts
from reviewer.semantics.fastapi.guards.holders import admits_only_holders
from reviewer.semantics.raised_messages import RaisedMessagesFacts
from reviewer.semantics.settings import SettingsFacts
from rules._error_paths_rule import ErrorPathsRule


class LeakRule(ErrorPathsRule):
    """Reports the leaks of the file that `wanted` accepts, and, in the repository pass, those of
    functions shaped as exception handlers that another module registers for an exception carrying
    internal detail. The repository pass takes back the leaks of routes whose every way in admits
    only trusted callers: an administrator check on the app, the routers or the `include_router`
    calls above them (also in other modules), a path on the application's administrative surface
    (`/admin/...`) that a guard authenticates, or a guard that lets in only holders of a secret of
    the deployment's configuration or callers on the machine itself (an internal service's shared
    key, a signature checked with a configured key, a loopback check); leaks under conditions a
    default deployment does not meet (a flag off by default, a gate it keeps shut); client errors
    sent where the code recognised phrases that the application's own raised messages hold; and
    detail handed to a function of another module whose result does not carry it."""

    checklist = "no-internal-error-leak"
    requires: ClassVar[tuple[type[Facts], ...]] = (FastAPIFacts, GuardFacts, SettingsFacts, RaisedMessagesFacts,
                                                   HelperFacts)

    def check(self, paths: ErrorPaths) -> None:
        found = []
        for leak in paths.leaks:
            if self.wanted(leak):
                self.report_in(leak.statement, leak.node, self.message(leak))
                span = self.findings[-1].span
                # A text detail of an `HTTPException` a handler of the application may replace.
                replaceable = leak.http_status if not isinstance(leak.node, (cst.Dict, cst.List)) else None
                found.append((span.line, span.column, leak.function, replaceable, leak.conditions, leak.phrases,
                              leak.through))
        if found:
            self.context.summary.extras[self.code] = found
        if paths.replaced_details:
            self.context.summary.extras[f"{self.code}:replaced"] = paths.replaced_details
        handlers = [  # plain values: summaries travel between processes
            (f"{self.context.module}.{leak.function}", self.context.span(leak.node, leak.statement),
             self.context.statement_lines(leak.statement), leak.detail, leak.sink, leak.function)
            for leak in paths.handler_leaks if self.wanted(leak)
        ]
        if handlers or paths.registered_elsewhere:
            self.context.summary.extras[f"{self.code}:handlers"] = (handlers, paths.registered_elsewhere)

    @staticmethod
    def wanted(leak: Leak) -> bool:
        raise NotImplementedError

    @staticmethod
    def message(leak: Leak) -> str:
        raise NotImplementedError

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        cls._handlers_registered_elsewhere(repo)
        if repo.file_findings:
            cls._withdraw_trusted(repo)

    @classmethod
    def _handlers_registered_elsewhere(cls, repo: RepoContext) -> None:
        """Report the leaks of handlers a module registers, for an exception carrying internal
        detail, where another module defines them."""
        found = [(summary, *summary.extras[key]) for summary in repo.summaries
                 if (key := f"{cls.code}:handlers") in summary.extras]
        registered: dict[str, list[tuple[str, str]]] = {}  # handler -> (class as written, where)
        for summary, _, elsewhere in found:
            for handler, classes in elsewhere.items():
                for qualified in classes:
                    if qualified and exception_origin(qualified, summary.module) == INTERNAL:
                        registered.setdefault(repo.index.canonical(handler), []).append(
                            (qualified.rsplit(".", 1)[-1], summary.path))
        helpers = repo.facts(HelperFacts)
        for summary, leaks, _ in found:
            for function, span, statement_lines, detail, sink, name in leaks:
                if detail.through is not None and not helpers.carries(*detail.through):
                    continue
                for written, where in registered.get(repo.index.canonical(function), ())[:1]:
                    sink = f"{sink} of exception handler `{name}` (registered for `{written}` in {where})"
                    leak = Leak(node=None, statement=None, detail=detail, sink=sink, function=name)
                    repo.report(summary.path, span, cls.message(leak), statement_lines=statement_lines)

    @classmethod
    def _withdraw_trusted(cls, repo: RepoContext) -> None:
        replaced: frozenset[int] = frozenset().union(
            *(summary.extras.get(f"{cls.code}:replaced", ()) for summary in repo.summaries))
        sites = {
            (summary.path, line, column): (function, status, conditions, phrases, through)
            for summary in repo.summaries
            for line, column, function, status, conditions, phrases, through in summary.extras.get(cls.code, ())
        }
        found = [(finding, *sites.get((finding.path, finding.span.line, finding.span.column),
                                      (None, None, (), (), None))) for finding in repo.file_findings]
        settings = repo.facts(SettingsFacts)
        messages = repo.facts(RaisedMessagesFacts)
        helpers = repo.facts(HelperFacts)
        # Only the endpoints of the functions holding a finding are asked what guards them.
        asked = {(finding.path, function) for finding, function, *_ in found if function is not None}
        index = repo.facts(FastAPIFacts)
        guards = repo.facts(GuardFacts)
        guarded: dict[tuple[str, str], bool] = {}
        for endpoint in index.endpoints:
            key = (endpoint.file, endpoint.function.name)
            if key not in asked or not guarded.get(key, True):
                continue
            guarded[key] = (any(names_admin_check(name) for name in endpoint.dependencies)
                            or on_admin_surface(endpoint.path) and guards.guard(endpoint) is not None
                            or bool(admits_only_holders(guards, endpoint)))
        for finding, function, status, conditions, phrases, through in found:
            if (function is not None and guarded.get((finding.path, function), False) or status in replaced
                    or not holds(conditions, settings) or phrases and all(map(messages.writes, phrases))
                    or through is not None and not helpers.carries(*through)):
                repo.withdraw(finding)
