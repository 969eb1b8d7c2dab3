"""The repository's sync functions, which of them block, and the shortest way how (RVW403).

A function is reached in a *state*: its name and, when its branches test parameters
(`if path: open(path)`, `if not resolve_dns: return`), what the call passes them: a literal, the
default, or what its own caller passed, when it forwards a parameter. A branch under a settings
flag or an environment variable that a default deployment does not take is left out altogether
(`reviewer.semantics.conditions`); one under an argument counts only in the states where it can
hold. Distances to a blocking call are found breadth-first, backwards from the states that block
themselves. Each edge keeps where its call is, so a chain can say where every helper goes on.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from reviewer.model import Span
from reviewer.semantics.conditions import Condition, Value, holds, parameters_tested
from reviewer.semantics.constants import Constants
from reviewer.semantics.settings import SettingsDefaults
from rules.async_io._records import FunctionFacts, Use
from rules.async_io._repo_types import RepoTypes

# Helpers further than this from the blocking call are not followed (the chain would be noise).
MAX_CHAIN = 8

# A function, and what is known of each parameter its branches test (sorted (name, Value) pairs);
# None when nothing is (every branch may run).
State = tuple[str, tuple[tuple[str, Value], ...] | None]
# callee, conditions, what it passes, where the call is
Edge = tuple[str, tuple[Condition, ...], dict[str, Any] | None, Span | None]
Evidence = tuple[str, tuple[Condition, ...], Span | None]  # blocking API, conditions, where the call is


@dataclass(frozen=True)
class Hop:
    """A helper on a chain: the file it is defined in, and where it makes the call that goes on
    along the chain (None when the summary did not record it)."""

    qualname: str
    name: str  # as its module knows it: `render_invoice`, `TemplateStore.load`
    path: str
    call: Span | None


class CallGraph:
    def __init__(self, types: RepoTypes, settings: SettingsDefaults, constants: Constants) -> None:
        self.types = types
        self.settings = settings
        self.constants = constants
        self._functions: dict[str, FunctionFacts] = {}
        self._places: dict[str, tuple[str, str]] = {}  # function -> (its file, its name in its module)
        for summary in types.index:
            facts = types.facts_of(summary)
            if facts is None or summary.is_test_file:
                continue
            for function in facts.functions.values():
                if not function.is_async and not function.exempt:
                    self._functions[function.qualname] = function
                    self._places[function.qualname] = summary.path, function.qualname.removeprefix(f"{summary.module}.")
        # Per function: the blocking APIs it calls, its calls into other sync functions, and the
        # parameters whose values decide which of those run.
        self._evidence: dict[str, list[Evidence]] = {}
        self._edges: dict[str, list[Edge]] = {}
        self._tested: dict[str, frozenset[str]] = {}
        for name, function in self._functions.items():
            self._record(name, function)
        self._forward_tested()
        self._distance = self._distances()

    def _record(self, name: str, function: FunctionFacts) -> None:
        evidence: list[Evidence] = []
        if function.evidence:
            api, span = function.evidence
            evidence.append((api, (), span))
        evidence += [item for item in function.conditional_evidence if self.types.by_default(item[1], self.settings)]
        edges: list[Edge] = []
        for use in function.uses:
            if not self.types.by_default(use.conditions, self.settings):
                continue
            blocking = self.types.receiver_blocking(use)
            if blocking is not None:
                evidence.append((blocking.api, use.conditions, use.span))
                continue
            target = self.target(use)
            if target is not None and target.qualname != name:
                edges.append((target.qualname, use.conditions, use.passes(target.positional), use.span))
        tested = parameters_tested(c for _, conditions, _ in evidence for c in conditions)
        tested |= parameters_tested(c for _, conditions, _, _ in edges for c in conditions)
        if evidence:
            self._evidence[name] = evidence
        self._edges[name] = edges
        if tested:
            self._tested[name] = frozenset(tested)

    def _forward_tested(self) -> None:
        """A parameter a function forwards to a parameter its callee tests is tested too."""
        changed = True
        while changed:
            changed = False
            for name, edges in self._edges.items():
                for callee, _, passed, _ in edges:
                    wanted = self._tested.get(callee)
                    if not wanted or not passed:
                        continue
                    forwarded = {value[1] for key, value in passed.items()
                                 if key in wanted and isinstance(value, tuple) and value[0] == "from"}
                    if not forwarded <= self._tested.get(name, frozenset()):
                        self._tested[name] = self._tested.get(name, frozenset()) | forwarded
                        changed = True

    def target(self, use: Use) -> FunctionFacts | None:
        """The sync function of the repository a use calls, if any; not a generator function whose
        generator the call hands on (`StreamingResponse(rows())`, which Starlette iterates in a
        thread): the call runs none of its body."""
        found = self.types.callee(use)
        if found is None or found.is_async or found.exempt or found.is_generator and not use.iterated:
            return None
        return self._functions.get(found.qualname)

    def state(self, name: str, passed: dict[str, Any] | None, caller: State | None = None) -> State:
        """The state a call reaches `name` in: what it passes (`Use.passes`; None when unknown),
        with forwarded parameters read from the `caller`'s state."""
        tested = self._tested.get(name)
        if not tested or passed is None:
            return name, None
        known = dict(caller[1]) if caller is not None and caller[1] is not None else {}
        forwarder = self._functions.get(caller[0]) if caller is not None else None
        defaults = self._functions[name].defaults
        values = []
        for parameter in sorted(tested):
            value = passed[parameter] if parameter in passed else defaults.get(parameter)
            if isinstance(value, tuple) and value[0] == "from":  # forwarded: what the caller's caller passed
                forwarded = value[1]
                value = known.get(forwarded)
                if value is None and forwarder is not None and forwarded in forwarder.not_none:
                    value = "some"
            values.append((parameter, value))
        return name, tuple(values)

    def _successors(self, state: State) -> Iterator[tuple[State, Span | None]]:
        """The states the calls a state makes reach, each with where its call is."""
        name, values = state
        arguments = dict(values) if values is not None else None
        for callee, conditions, passed, span in self._edges.get(name, ()):
            if holds(conditions, None, arguments, self.constants):
                yield self.state(callee, passed, state), span

    def _blocks(self, state: State) -> tuple[str, Span | None] | None:
        """The first blocking call a state makes itself: (API, where)."""
        name, values = state
        arguments = dict(values) if values is not None else None
        evidence = self._evidence.get(name, ())
        return next(((api, span) for api, conditions, span in evidence
                     if holds(conditions, None, arguments, self.constants)), None)

    def _distances(self) -> dict[State, int]:
        states = {(name, None) for name in self._functions}
        frontier = list(states)
        callers: dict[State, list[State]] = {}
        while frontier:  # every state some call reaches, from every function's open state
            state = frontier.pop()
            for successor, _ in self._successors(state):
                callers.setdefault(successor, []).append(state)
                if successor not in states:
                    states.add(successor)
                    frontier.append(successor)
        distance = {state: 0 for state in states if self._blocks(state)}
        queue = deque(distance)
        while queue:
            current = queue.popleft()
            if distance[current] >= MAX_CHAIN:
                continue
            for caller in callers.get(current, ()):
                if caller not in distance:
                    distance[caller] = distance[current] + 1
                    queue.append(caller)
        return distance

    def _measure(self, state: State, visiting: set[State]) -> bool:
        """Adds the distance of a state that no call between sync functions reaches (a
        coroutine's call passing literals no helper passes), from its successors'. Whether it blocks."""
        if self._blocks(state):
            self._distance[state] = 0
            return True
        if len(visiting) >= MAX_CHAIN:
            return False
        visiting.add(state)
        known = []
        for successor, _ in self._successors(state):
            if successor not in self._distance and successor not in visiting:
                self._measure(successor, visiting)
            if successor in self._distance:
                known.append(self._distance[successor])
        visiting.discard(state)
        if not known or min(known) >= MAX_CHAIN:
            return False
        self._distance[state] = min(known) + 1
        return True

    def chain(self, start: FunctionFacts, use: Use) -> tuple[list[Hop], str] | None:
        """The helpers from the function `use` calls to the blocking call, and the blocking API;
        None if that call does not block."""
        current = self.state(start.qualname, use.passes(start.positional))
        if current not in self._distance and not self._measure(current, set()):
            return None
        hops = []
        while self._distance[current] > 0:
            following, call = next((s, span) for s, span in self._successors(current)
                                   if self._distance.get(s) == self._distance[current] - 1)
            hops.append(self._hop(current[0], call))
            current = following
        blocking = self._blocks(current)
        assert blocking is not None
        api, call = blocking
        hops.append(self._hop(current[0], call))
        return hops, api

    def _hop(self, qualname: str, call: Span | None) -> Hop:
        path, name = self._places[qualname]
        return Hop(qualname, name, path, call)
