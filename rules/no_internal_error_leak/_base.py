"""What the `no-internal-error-leak` rules share: the file's leaks, from its error paths, and, over
the repository, the exception handlers other modules register and the routes and helpers only
administrators, operators and the deployment's own services reach."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.model import Finding, Related
from reviewer.rule import RepoContext
from reviewer.semantics.callers import Callers
from reviewer.semantics.conditions import holds
from reviewer.semantics.error_paths import ErrorPaths, Leak, names_admin_check, on_admin_surface
from reviewer.semantics.error_paths.computing import Computing
from reviewer.semantics.error_paths.helpers_elsewhere import HelperFacts
from reviewer.semantics.error_paths.wrapped import WrapFacts
from reviewer.semantics.fastapi import FastAPIFacts
from reviewer.semantics.fastapi.guards import GuardFacts
from reviewer.semantics.fastapi.guards.holders import admits_only_holders
from reviewer.semantics.fastapi.index import Endpoint
from reviewer.semantics.raised_messages import RaisedMessagesFacts
from reviewer.semantics.serving import EntryPointFacts, is_one_shot_path
from reviewer.semantics.settings import SettingsFacts
from reviewer.summary import FunctionSummary, ModuleSummary
from reviewer.wording import first_of
from rules._error_paths_rule import ErrorPathsRule
from rules.no_internal_error_leak._elsewhere import record_leaks_elsewhere, report_leaks_elsewhere
from rules.no_internal_error_leak._returned import record_returned, report_returned
from rules.no_internal_error_leak._wrapped import report_wrapped

if TYPE_CHECKING:
    from reviewer.model import Span
    from reviewer.semantics.exceptions import Detail


class LeakRule(ErrorPathsRule):
    """Reports the leaks of the file that `wanted` accepts, and, in the repository pass, those of
    functions shaped as exception handlers that another module registers for an exception carrying
    internal detail, and those of functions whose result a route returns (`_returned.py`). The repository
    pass takes back the leaks of routes whose every way in admits only trusted callers: an
    administrator check on the app, the routers or the `include_router` calls above them (also in
    other modules), a path on the application's administrative surface (`/admin/...`) that a guard
    authenticates, or a guard that lets in only holders of a secret of the deployment's
    configuration or callers on the machine itself (an internal service's shared key, a signature
    checked with a configured key, a loopback check); leaks of helpers that only such routes, or
    routes past their own administrator test, call (`_Trust`); leaks under conditions a default
    deployment does not meet (a flag off by default, a gate it keeps shut); client errors about the
    client's files, caught around a call handing them to a coroutine that only reads and converts
    what it is given (`HelperFacts.parses`); client errors sent where
    the code recognised phrases that the application's own raised messages hold; an exception raised
    in a helper that a function on every chain of calls from the routes catches around its call and
    keeps; and detail handed to a function of another module whose result does not carry it."""

    checklist = "no-internal-error-leak"
    # A service module that imports nothing of FastAPI's may return a caught exception's detail to
    # the route that sends it (`_returned.py`).
    prefilter_packages = ()
    requires: ClassVar[tuple[type[Facts], ...]] = (FastAPIFacts, GuardFacts, SettingsFacts, RaisedMessagesFacts,
                                                   HelperFacts, WrapFacts, EntryPointFacts)

    def check(self, paths: ErrorPaths) -> None:
        found = []
        handed = {}  # detail handed to a function of another module, by where: what carries it, and where it goes
        reported: set[tuple[int, int]] = set()
        for leak in paths.leaks:
            if self.wanted(leak):
                span = self.context.span(leak.at, leak.at_statement)
                if (span.line, span.column) in reported:
                    continue  # detail put into a value that two statements send: one leak
                reported.add((span.line, span.column))
                self.report_in(leak.at_statement, leak.at, self.message(leak))
                # A text detail of an `HTTPException` a handler of the application may replace.
                replaceable = leak.http_status if not isinstance(leak.node, (cst.Dict, cst.List)) else None
                found.append((span.line, span.column, f"{self.context.module}.{leak.owner}", replaceable,
                              leak.conditions, leak.phrases, leak.through, leak.raised, leak.detail.parsed_by,
                              leak.detail.computed_by))
                if leak.through is not None:
                    handed[(span.line, span.column)] = (leak.detail, leak.sink)
        if found:
            self.context.summary.extras[self.code] = found
        if handed:
            self.context.summary.extras[f"{self.code}:handed"] = handed
        if paths.routes:
            self.context.summary.extras[f"{self.code}:routes"] = {
                f"{self.context.module}.{owner}": names for owner, names in paths.routes.items()}
        if paths.replaced_details:
            self.context.summary.extras[f"{self.code}:replaced"] = paths.replaced_details
        record_leaks_elsewhere(self, paths)
        record_returned(self, paths)

    @staticmethod
    def wanted(leak: Leak) -> bool:
        raise NotImplementedError

    @staticmethod
    def message(leak: Leak) -> str:
        raise NotImplementedError

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        withheld = _Withheld(cls.code, repo)
        report = LeakReport(cls, repo)
        report_leaks_elsewhere(cls, repo, withheld, report)
        report_wrapped(cls, repo, withheld, report)
        report_returned(cls, repo, withheld, report)
        if repo.file_findings:
            cls._withdraw_trusted(repo, withheld, report)

    @classmethod
    def _withdraw_trusted(cls, repo: RepoContext, withheld: _Withheld, report: LeakReport) -> None:
        """Withdraw the file's leaks the repository shows no client gets, and move those handed to
        a function of another module that builds the dict or list sent around them (`"detail":
        str(exc)` in `error_frame(code, exc)`) to where it does: the detail enters the response
        there, once for all its callers (each a related place)."""
        sites = {
            (summary.path, line, column): site
            for summary in repo.summaries for line, column, *site in summary.extras.get(cls.code, ())
        }
        handed = {(summary.path, line, column): carried for summary in repo.summaries
                  for (line, column), carried in summary.extras.get(f"{cls.code}:handed", {}).items()}
        helpers = repo.facts(HelperFacts)
        built: dict[tuple[str, Span], list[tuple[Finding, Detail, str]]] = {}
        for finding in repo.file_findings:
            where = (finding.path, finding.span.line, finding.span.column)
            site = sites.get(where)
            if site is None:
                continue
            if withheld(*site):
                repo.withdraw(finding)
                continue
            detail, sink = handed.get(where, (None, ""))
            entry = helpers.builds_with(*detail.through) if detail is not None and detail.through else None
            if entry is not None:
                repo.withdraw(finding)
                built.setdefault(entry, []).append((finding, detail, sink))
        for (path, span), callers in built.items():
            finding, detail, sink = callers[0]
            function = detail.through[0].rsplit(".", 1)[-1] if detail.through else "the function"
            sink = (f"what `{function}` builds here, which goes out in {sink} "
                    f"({first_of(finding.path, finding.span.line, len(callers))})")
            related = tuple(Related(caller.path, caller.span, f"`{function}` is handed the exception here")
                            for caller, _, _ in callers)
            report(path, span, detail, sink, related=related)


class LeakReport:
    """Reports the leaks the repository pass finds, once per place: chains of several kinds (a
    wrapped exception, a returned value, a helper elsewhere) may lead to one."""

    def __init__(self, rule: type[LeakRule], repo: RepoContext) -> None:
        self.rule = rule
        self.repo = repo
        self._places: set[tuple[str, int, int]] = set()

    def __call__(self, path: str, span: Span, detail: Detail, sink: str, *,
                 statement_lines: tuple[int, int] | None = None, related: tuple[Related, ...] = ()) -> None:
        place = (path, span.line, span.column)
        if place in self._places:
            return
        self._places.add(place)
        leak = Leak(node=None, statement=None, detail=detail, sink=sink, function="")
        self.repo.report(path, span, self.rule.message(leak), statement_lines=statement_lines, related=related)


class _Withheld:
    """Whether a leak is one the repository shows no client gets: only trusted callers reach its
    function, or get the exception it is raised in (`_Trust`), a handler of the application
    replaces the text detail of its status, a default deployment does not run it, the phrases it
    was recognised by are the application's own, or the function of another module it was handed
    to does not return it; or one that carries no detail of the deployment: the functions the
    block caught around hands its values to only compute (`Computing`)."""

    def __init__(self, code: str, repo: RepoContext) -> None:
        self.replaced: frozenset[int] = frozenset().union(
            *(summary.extras.get(f"{code}:replaced", ()) for summary in repo.summaries))
        self.settings = repo.facts(SettingsFacts)
        self.messages = repo.facts(RaisedMessagesFacts)
        self.helpers = repo.facts(HelperFacts)
        self.repo = repo
        self.trust = _Trust(code, repo)

    def __call__(self, function: str | None, status: int | None, conditions: tuple, phrases: tuple[str, ...],
                 through: tuple | None, raised: str | None = None, parsed_by: tuple[str, ...] = (),
                 computed_by: tuple[str, ...] = ()) -> bool:
        return (function is not None and self.trust.only_trusted_reach(function, raised) or status in self.replaced
                or not holds(conditions, self.settings) or bool(phrases) and all(map(self.messages.writes, phrases))
                or through is not None and not self.helpers.carries(*through)
                or bool(parsed_by) and all(map(self.helpers.parses, parsed_by))
                or bool(computed_by) and all(map(self.computing.computes, computed_by)))

    @functools.cached_property
    def computing(self) -> Computing:
        return Computing(self.repo.summaries, self.repo.index, self.repo.facts(FastAPIFacts))


class _Trust:
    """Whether only trusted callers reach a function: administrators, operators, the deployment's
    own services. A route is asked what guards it; any other function, which routes reach it
    (`reviewer.semantics.callers`): every chain of calls that may reach it must start at a route
    that lets only trusted callers past before it makes that call (a route's administrator check
    in its own block, `if not user.is_superuser: raise ...`, counts for the calls after it), in
    a one-shot program, or in a background task a request starts or a task a queue's workers run
    (they run apart from requests; one nothing calls is reached by nobody). Asked about an
    exception the function raises, a chain through a function that catches it around its call and
    keeps it (`Wrapped.passes_on`) gives it to nobody."""

    def __init__(self, code: str, repo: RepoContext) -> None:
        self.repo = repo
        self.index = repo.facts(FastAPIFacts)
        self.guards = repo.facts(GuardFacts)
        self.endpoints: dict[str, list[Endpoint]] = self.index.endpoints_by_function
        # Routes as the error paths find them (also those the endpoint index does not resolve, such
        # as `@router.get(...)` on a router a factory the index cannot read makes) -> what they may
        # call for any caller.
        self.routes: dict[str, frozenset[str] | None] = {}
        for summary in repo.summaries:
            self.routes.update(summary.extras.get(f"{code}:routes", {}))
        self.wrapped = repo.facts(WrapFacts)
        # Background tasks a request starts, which run after the response is sent, and tasks a
        # queue's workers run: no client waits on what they raise.
        serving = repo.facts(EntryPointFacts)
        self.detached = serving.background | serving.queued
        self._guarded: dict[str, bool] = {}
        self._answers: dict[tuple[str, str | None], bool] = {}

    @functools.cached_property
    def _callers(self) -> Callers:
        return Callers.of(self.repo)

    def only_trusted_reach(self, qualname: str, raised: str | None = None) -> bool:
        """Whether only trusted callers reach the function; given the class of an exception it
        raises, whether only they get it: routes reach the function, and every chain of calls from
        another passes through a function that catches it around the call."""
        key = (qualname, raised)
        if key not in self._answers:
            if qualname in self.endpoints:
                self._answers[key] = self._guarded_route(qualname)
            elif qualname in self.detached and not self._callers.callers(qualname):
                self._answers[key] = True  # it runs apart from requests: what it raises reaches no client
            else:
                entries = self._callers.entries(qualname, self._is_entry)
                if entries and raised is not None:
                    entries = self._callers.entries(qualname, self._is_entry, through=self._passing_on(raised))
                    self._answers[key] = entries is not None and self._all_trusted(entries)
                else:
                    self._answers[key] = bool(entries) and self._all_trusted(entries)
        return self._answers[key]

    def routes_reaching(self, qualname: str, raised: str | None = None,
                        caught_by_route: bool = False) -> dict[str, set[str]] | None:
        """The routes that run the function: itself, if it is one, or those a chain of calls leads
        from to it, with the names each calls on the way (None: the search grew too large); given
        the class of an exception it raises, the chains a function catching it does not end (a
        route's own catch aside, if the route is to be one that `caught_by_route` it)."""
        if qualname in self.endpoints or qualname in self.routes:
            return {qualname: set()}
        return self._callers.entries(qualname, self._is_route, complete=False,
                                     through=self._passing_on(raised, caught_by_route) if raised is not None else None)

    def _passing_on(self, raised: str, caught_by_route: bool = False) -> Callable[[str, str], bool]:
        return lambda caller, callee: (caught_by_route and (caller in self.endpoints or caller in self.routes)
                                       or self.wrapped.passes_on(caller, callee, raised,
                                                                 self._callers.calls_of(caller, callee)))

    def _all_trusted(self, entries: dict[str, set[str]]) -> bool:
        return all(self._trusted_entry(entry, names) for entry, names in entries.items())

    def trusted_routes(self, routes: dict[str, set[str]]) -> bool:
        """Whether each of these routes (as `routes_reaching` gives them) lets only trusted
        callers make the calls on the way."""
        return all(self.only_trusted_reach(route) or self.routes.get(route) == frozenset() if not called
                   else self._trusted_entry(route, called) for route, called in routes.items())

    def _is_route(self, function: FunctionSummary, summary: ModuleSummary) -> bool:
        return function.qualname in self.endpoints or function.qualname in self.routes

    def _is_entry(self, function: FunctionSummary, summary: ModuleSummary) -> bool:
        return (function.qualname in self.endpoints or function.qualname in self.routes
                or function.qualname in self.detached or is_one_shot_path(summary.path))

    def _trusted_entry(self, qualname: str, called: set[str]) -> bool:
        if qualname not in self.endpoints and qualname not in self.routes:
            return True  # a one-shot program, which its operator runs, or a background task
        for_anyone = self.routes.get(qualname)
        return (for_anyone is not None and not called & for_anyone
                or qualname in self.endpoints and self._guarded_route(qualname))

    def _guarded_route(self, qualname: str) -> bool:
        """Every endpoint of the function admits only trusted callers: an administrator check on
        the app, the routers or the `include_router` calls above it, a path on the application's
        administrative surface that a guard authenticates, or a guard that lets in only holders
        of a secret of the deployment's configuration or callers on the machine itself."""
        if qualname not in self._guarded:
            self._guarded[qualname] = all(
                any(names_admin_check(name) for name in endpoint.dependencies)
                or any(names_admin_check(name) for _, _, name in self.index.injected(endpoint.function))
                or on_admin_surface(endpoint.path) and self.guards.guard(endpoint) is not None
                or bool(admits_only_holders(self.guards, endpoint)) for endpoint in self.endpoints[qualname])
        return self._guarded[qualname]
