"""Who may call a function: the repository's call sites by the name they call (`export` for
`self.providers.database.export(...)`, `reports.export(...)` and `export(...)`), over module
summaries.

A method called through attributes whose classes nothing declares cannot be resolved to its
definition. The calls that spell its name are a superset of its callers (calls of other functions
of that name included), so what holds of every chain of them holds of its real callers. Two
things escape it, and make `entries` answer None rather than guess: a function nothing calls by
name (a callback handed on as a value, a hook a framework runs), and a search past
`MAX_REACHED` functions; asked for the entries it can find (`complete=False`), it passes over the
first. Test modules are left out: they are not how a deployment runs a function.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable

from reviewer.summary import FunctionSummary, ModuleSummary

MAX_REACHED = 400  # functions a search for the entries of one function visits


class Callers:
    """The functions of the repository (tests left out) and who calls each name."""

    def __init__(self, summaries: Iterable[ModuleSummary]) -> None:
        self.functions: dict[str, tuple[FunctionSummary, ModuleSummary]] = {}
        self._by_name: dict[str, list[str]] = defaultdict(list)
        for summary in summaries:
            if summary.is_test_file:
                continue
            for function in summary.functions.values():
                self.functions[function.qualname] = (function, summary)
                called = {call.text.rsplit(".", 1)[-1] for call in function.calls if call.text}
                for name in called:
                    self._by_name[name].append(function.qualname)

    def entries(self, qualname: str, is_entry: Callable[[FunctionSummary, ModuleSummary], bool], *,
                complete: bool = True) -> dict[str, set[str]] | None:
        """The entries (functions `is_entry` accepts, where a search stops) whose calls may reach
        function `qualname`, each with the names it calls on the way there; None when the search
        grows past `MAX_REACHED`, or, if the entries must be `complete`, when a chain of callers
        ends in a function that is no entry and that nothing calls by name."""
        if qualname not in self.functions:
            return None
        found: dict[str, set[str]] = {}
        seen = {qualname}
        pending = [qualname]
        while pending:
            current = pending.pop()
            function, _ = self.functions[current]
            callers = self._by_name.get(function.name, ())
            if not callers and complete:
                return None
            for caller in callers:
                record, summary = self.functions[caller]
                if is_entry(record, summary):
                    found.setdefault(caller, set()).add(function.name)
                elif caller not in seen:
                    seen.add(caller)
                    pending.append(caller)
                    if len(seen) > MAX_REACHED:
                        return None
        return found

    def callers(self, qualname: str) -> list[str]:
        """The functions whose calls spell the function's name."""
        found = self.functions.get(qualname)
        return list(self._by_name.get(found[0].name, ())) if found is not None else []
