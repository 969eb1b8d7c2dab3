"""Whether any call runs a coroutine's branch: the awaited calls of the repository decide it.

A coroutine's branch that tests its own parameters (`if debug_dir: open(...)`) runs only if some
call passes a value that takes it; the coroutine itself runs only if some call is made in a
default deployment (`if settings.COMPOSE_ENABLED: await client.compose(...)`). `Callers` answers
from the awaited calls the async-io scan records (`FunctionFacts.awaits`), following a parameter a
caller forwards to what its own callers pass (`fill_form(debug_dir=None)` ->
`self._dump_html(debug_dir, ...)`).

It speaks only when the repository shows every call: only the repository's calls run the
coroutine (`ServingPaths.runs_only_where_called`: no route, dependency, callback or framework
decorator), and each call the
repository's functions make to a name like it (`self._dump_html(...)`, `page._dump_html(...)`)
resolves to it. Where some of those calls do not resolve (`browser.capture()` on a parameter
typed with a base class), they still show what they pass: a parameter that none of them passes,
by keyword, by position or through `*`/`**`, holds its default whichever of them runs the
coroutine. Otherwise a branch counts as taken, as it always has.

A coroutine whose every call hands it to an event loop of its own (`asyncio.run(self._aload())`
in a plain function, `FunctionFacts.loop_runs`; or to a function that hands its first parameter's
coroutine to one, `run_task(lambda: _index(doc_id))`, also by reference, `run_task(check)`), or
awaits it in a coroutine that runs only so, never runs on the loop serving requests: no call runs
it there (`Callers.on_own_loop`).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from reviewer.rule import RepoContext
from reviewer.semantics.conditions import Condition, holds
from reviewer.semantics.constants import Constants, ConstantsFacts
from reviewer.semantics.serving import EntryPointFacts, ServingPaths
from reviewer.semantics.settings import SettingsDefaults, SettingsFacts
from rules.async_io._records import FunctionFacts, Use
from rules.async_io._repo_types import RepoTypes

ARGUMENT_KINDS = ("argument", "argument-in")
MAX_FORWARDS = 6  # callers of callers followed for a forwarded parameter


class Callers:
    """The awaited calls of the repository, by the coroutine they run (see the module)."""

    def __init__(self, types: RepoTypes, serving: ServingPaths, settings: SettingsDefaults,
                 constants: Constants) -> None:
        self.types = types
        self.serving = serving
        self.settings = settings
        self.constants = constants
        self._calls: dict[str, list[tuple[FunctionFacts, Use]]] | None = None
        self._loop_runs: dict[str, int] | None = None
        self._own_loop: dict[str, bool] = {}

    @classmethod
    def of(cls, repo: RepoContext) -> Callers:
        """The callers of this run's coroutines, found once for all the async-io rules of the run."""
        types = RepoTypes.of(repo)
        key = f"async-io-callers:{types.key}"
        callers = repo.shared.get(key)
        if callers is None:
            callers = repo.shared[key] = cls(types, repo.facts(EntryPointFacts), repo.facts(SettingsFacts),
                                             repo.facts(ConstantsFacts))
        return callers

    def _index(self) -> dict[str, list[tuple[FunctionFacts, Use]]]:
        if self._calls is None:
            calls: dict[str, list[tuple[FunctionFacts, Use]]] = defaultdict(list)
            for summary in self.types.index:
                facts = self.types.facts_of(summary)
                if facts is None or summary.is_test_file:
                    continue
                for function in facts.functions.values():
                    for use in function.awaits:
                        callee = self.types.callee(use)
                        if callee is not None and callee.is_async:
                            calls[callee.qualname].append((function, use))
            self._calls = calls
        return self._calls

    def may_run(self, coroutine: FunctionFacts, conditions: tuple[Condition, ...], depth: int = 0) -> bool:
        """Whether some call may run `coroutine`, on the loop that serves requests, with
        `conditions` (on its parameters) holding."""
        if depth == 0 and self.on_own_loop(coroutine):
            return False
        calls = self._all_calls(coroutine)
        if calls is None:
            return self._may_run_by_name(coroutine, conditions)
        for caller, use in calls:
            if not self.types.by_default(use.conditions, self.settings):
                continue
            passed = use.passes(coroutine.positional)
            if passed is None:
                return True
            arguments: dict[str, Any] = {}
            # What the caller's own parameters must be: for the call to run, and for what it forwards.
            forwarded = [condition for condition in use.conditions if condition[0] in ARGUMENT_KINDS]
            for condition in conditions:
                if condition[0] not in ARGUMENT_KINDS:
                    continue
                value = passed.get(condition[1], coroutine.defaults.get(condition[1]))
                if isinstance(value, tuple) and value[0] == "from":
                    forwarded.append((condition[0], value[1], *condition[2:]))
                else:
                    arguments[condition[1]] = value
            if not holds(conditions, None, arguments, self.constants):
                continue
            if not forwarded or depth >= MAX_FORWARDS or not caller.is_async:
                return True
            if self.may_run(caller, tuple(forwarded), depth + 1):
                return True
        return False

    def _may_run_by_name(self, coroutine: FunctionFacts, conditions: tuple[Condition, ...]) -> bool:
        """`may_run` where not every call of `coroutine` resolves to it (`browser_state.capture()` of
        a parameter typed with a base class), but only the repository's calls run it and some of
        them spell its name: whichever of those runs it, a parameter that none of them passes
        holds its default."""
        if not self.serving.runs_only_where_called(coroutine.qualname) or not self.serving.calls_named(coroutine.name):
            return True
        arguments: dict[str, Any] = {}
        for condition in conditions:
            parameter = condition[1] if condition[0] in ARGUMENT_KINDS else None
            if parameter is None or parameter in arguments:
                continue
            position = coroutine.positional.index(parameter) if parameter in coroutine.positional else None
            if not self.serving.may_pass(coroutine.name, parameter, position):
                arguments[parameter] = coroutine.defaults.get(parameter)
        return holds(conditions, None, arguments, self.constants)

    def on_own_loop(self, coroutine: FunctionFacts, depth: int = 0) -> bool:
        """Whether every call that runs `coroutine` hands it to an event loop of its own
        (`asyncio.run(self._aload(...))` in a plain function, as a Celery task or a sync helper does)
        or awaits it in a coroutine that runs only so: it blocks that loop's thread alone."""
        known = self._own_loop.get(coroutine.qualname)
        if known is not None:
            return known
        self._own_loop[coroutine.qualname] = False  # a cycle of calls shows no loop of its own
        awaited = self._index().get(coroutine.qualname, [])
        runs = self._loop_run_counts().get(coroutine.qualname, 0)
        # A coroutine handed on by reference (`run_task(check)`) is called by the runner, not by
        # a call the repository writes: each hand-over must be one of the runs.
        handed_on = self.serving.handed_on(coroutine.qualname)
        found = (bool(runs or awaited) and depth < MAX_FORWARDS
                 and (self.serving.runs_only_where_called(coroutine.qualname) or 0 < handed_on <= runs)
                 and runs - handed_on + len(awaited) >= self.serving.calls_named(coroutine.name)
                 and all(caller.is_async and self.on_own_loop(caller, depth + 1) for caller, _ in awaited))
        self._own_loop[coroutine.qualname] = found
        return found

    def _loop_run_counts(self) -> dict[str, int]:
        """How many calls of the repository (not of its tests) hand each coroutine to an event loop
        of its own: directly, or through a runner of its first parameter (`run_task(check)`)."""
        if self._loop_runs is None:
            runs: dict[str, int] = defaultdict(int)
            for summary in self.types.index:
                facts = self.types.facts_of(summary)
                for function in facts.functions.values() if facts is not None and not summary.is_test_file else ():
                    handed = [self.types.callee(inner) for outer, inner in function.handed
                              if (runner := self.types.callee(outer)) is not None and runner.positional
                              and runner.positional[0] in runner.runs_parameters]
                    for callee in (*map(self.types.callee, function.loop_runs), *handed):
                        if callee is not None and callee.is_async:
                            runs[callee.qualname] += 1
            self._loop_runs = runs
        return self._loop_runs

    def _all_calls(self, coroutine: FunctionFacts) -> list[tuple[FunctionFacts, Use]] | None:
        """Every call that runs `coroutine`; None when the repository may not show them all."""
        if not self.serving.runs_only_where_called(coroutine.qualname):
            return None
        calls = self._index().get(coroutine.qualname, [])
        if not calls or len(calls) < self.serving.calls_named(coroutine.name):
            return None
        return calls
