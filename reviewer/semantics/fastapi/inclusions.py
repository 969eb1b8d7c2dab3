"""Routers included through helper functions and loops, resolved over the repository.

The collector records an `include_router`/`mount` call whose parent, child or prefix is a
parameter of the function it is made in (`def register(app, router): app.include_router(router)`),
or a variable of a loop over a sequence (`for router in ROUTERS: app.include_router(router)`), as
a template (`Inclusion.is_template`), and every call made as a statement with names among its
arguments (`HelperCall`). `resolve_inclusions` makes the concrete inclusions: one per call of the
function (through callers that pass their own parameters on, `MAX_DEPTH` deep) and per element of
the sequence. What the calls do not tell stays as the collector found it: a prefix the model
cannot read is unknown, a parent it cannot name is unknown.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping

from reviewer.semantics.fastapi.records import FunctionFacts, HelperCall, Inclusion, Slot, Value

MAX_DEPTH = 3  # callers followed up for a parameter passed on
MAX_BINDINGS = 500  # calls (and chains of calls) read for one function's parameters
MAX_INCLUSIONS = 5000  # concrete inclusions made from templates, over the repository

Binding = dict[str, Value | None]


class InclusionResolver:
    def __init__(
        self,
        functions: Mapping[str, tuple[FunctionFacts, str]],
        calls: Iterable[HelperCall],
        sequences: Mapping[str, tuple[tuple[Value, ...], ...]],
        resolve: Callable[[str | None], str | None],
    ) -> None:
        self._functions = functions
        self._sequences = sequences
        self._resolve = resolve
        self._calls: dict[str, list[HelperCall]] = {}
        for call in calls:
            callee = resolve(call.callee) or call.callee
            if callee in functions:
                self._calls.setdefault(callee, []).append(call)
        self._made = 0
        self._bindings_memo: dict[tuple[str, frozenset[str], int], list[Binding]] = {}

    def resolve_all(self, inclusions: Iterable[Inclusion]) -> list[Inclusion]:
        found: list[Inclusion] = self._returned()
        for inclusion in inclusions:
            if not inclusion.is_template or self._made >= MAX_INCLUSIONS:
                found.append(inclusion)
                continue
            made = [concrete for item in self._over_items(inclusion) for concrete in self._over_calls(item)]
            self._made += len(made)
            found += made
        return found

    def _returned(self) -> list[Inclusion]:
        """`x = include_routers(APIRouter(prefix="/t"))` where the helper returns the router it
        was given: `x` is that router, taken as one that includes it with no prefix of its own."""
        found = []
        for callee, calls in self._calls.items():
            function = self._functions[callee][0]
            for call in calls:
                if call.assigned is None:
                    continue
                for param in function.returned_params:
                    value = _argument(function, call, param)
                    if value is not None and value[0] == "name":
                        found.append(Inclusion(parent=call.assigned, child=value[1], prefix="", prefix_known=True))
        return found

    def owners(self, function: str, param: str) -> list[str]:
        """The routers or applications the calls of `function` pass to its parameter `param`."""
        found: list[str] = []
        for binding in self._bindings(function, {param}, 0):
            value = binding.get(param)
            if value is not None and value[0] == "name" and value[1] not in found:
                found.append(value[1])
        return found

    # loops ------------------------------------------------------------------------------------

    def _over_items(self, inclusion: Inclusion) -> list[Inclusion]:
        """One inclusion per element of the sequence the loop runs over (the template itself when
        the sequence is not a literal the model read)."""
        names = {item[0] for item in (inclusion.child_item, inclusion.prefix_item) if item is not None}
        if not names:
            return [inclusion]
        name = next(iter(names))
        elements = self._sequences.get(self._resolve(name) or name) if len(names) == 1 else None
        if elements is None:
            return [_filled(inclusion, child_item=None, prefix_item=None)]
        made = []
        for element in elements:
            instance = _filled(inclusion, child_item=None, prefix_item=None)
            if inclusion.child_item is not None:
                value = _at(element, inclusion.child_item[1])
                if value[0] not in ("name", "call"):
                    continue
                _set_child(instance, value)
            if inclusion.prefix_item is not None:
                _set_prefix(instance, _at(element, inclusion.prefix_item[1]))
            made.append(instance)
        return made

    # helper functions -------------------------------------------------------------------------

    def _over_calls(self, inclusion: Inclusion) -> list[Inclusion]:
        """One inclusion per call of the function it is made in, its parameters replaced by what
        the call passes (the inclusion as found when no call is known)."""
        params = {p for p in (inclusion.parent_param, inclusion.child_param, inclusion.prefix_param) if p}
        if not params or inclusion.scope is None:
            return [_filled(inclusion)]
        bindings = self._bindings(inclusion.scope, params, 0)
        if not bindings:
            return [_filled(inclusion)]
        made = []
        for binding in bindings:
            instance = _filled(inclusion)
            parent = binding.get(inclusion.parent_param) if inclusion.parent_param else None
            if inclusion.parent_param:
                # A parent the call does not name (a call, a literal) is one the model cannot name.
                instance.parent = parent[1] if parent is not None and parent[0] == "name" else None
            if inclusion.child_param:
                child = binding.get(inclusion.child_param)
                if child is None or child[0] not in ("name", "call"):
                    continue
                _set_child(instance, child)
            if inclusion.prefix_param:
                _set_prefix(instance, binding.get(inclusion.prefix_param))
            made.append(instance)
        return made or [_filled(inclusion)]

    def _bindings(self, function: str, params: set[str], depth: int) -> list[Binding]:
        """What each call of `function` passes to `params` (None: not passed, or not known),
        following a caller's own parameter to its callers."""
        key = (function, frozenset(params), depth)
        if key not in self._bindings_memo:
            self._bindings_memo[key] = self._find_bindings(function, params, depth)
        return self._bindings_memo[key]

    def _find_bindings(self, function: str, params: set[str], depth: int) -> list[Binding]:
        entry = self._functions.get(function)
        if entry is None:
            return []
        facts = entry[0]
        found: list[Binding] = []
        for call in self._calls.get(function, ()):
            passed = {param: _argument(facts, call, param) for param in params}
            forwarded = {
                param: value[1] for param, value in passed.items() if value is not None and value[0] == "param"
            }
            if not forwarded:
                found.append(passed)
            elif depth < MAX_DEPTH and call.caller is not None:
                outer = self._bindings(call.caller, set(forwarded.values()), depth + 1)
                for binding in outer:
                    found.append({
                        param: binding.get(forwarded[param]) if param in forwarded else value
                        for param, value in passed.items()
                    })
                    if len(found) >= MAX_BINDINGS:
                        return found
                if not outer:
                    found.append({param: None if param in forwarded else value for param, value in passed.items()})
            else:
                found.append({param: None if param in forwarded else value for param, value in passed.items()})
            if len(found) >= MAX_BINDINGS:
                break
        return found


def _argument(function: FunctionFacts, call: HelperCall, param: str) -> Value | None:
    """What the call passes to the function's parameter: by keyword, or by position after
    `self`/`cls`."""
    positional = [p.name for p in function.params if not p.is_receiver]
    slot: Slot | None = positional.index(param) if param in positional else None
    for where, value in call.args:
        if where == param or (slot is not None and where == slot):
            return value
    return None


def _at(element: tuple[Value, ...], position: int) -> Value:
    if position == -1:
        return element[0] if len(element) == 1 else ("other", "")
    return element[position] if position < len(element) else ("other", "")


def _filled(inclusion: Inclusion, **changes: object) -> Inclusion:
    """A copy with `changes` made; by default its parameters filled (no longer a template of them)."""
    made = copy.copy(inclusion)
    defaults: dict[str, object] = {"scope": None, "parent_param": None, "child_param": None, "prefix_param": None}
    for name, value in (changes or defaults).items():
        setattr(made, name, value)
    return made


def _set_child(inclusion: Inclusion, value: Value) -> None:
    inclusion.child = value[1]
    inclusion.child_is_call = value[0] == "call"


def _set_prefix(inclusion: Inclusion, value: Value | None) -> None:
    """A literal prefix is known; a name is read as a string constant if it is one; anything
    else (not passed, a call, another parameter) stays unknown."""
    if value is not None and value[0] == "str":
        inclusion.prefix, inclusion.prefix_known, inclusion.prefix_parts = value[1], True, ()
    elif value is not None and value[0] == "name":
        inclusion.prefix, inclusion.prefix_known, inclusion.prefix_parts = "", False, ((True, value[1]),)
    else:
        inclusion.prefix, inclusion.prefix_known, inclusion.prefix_parts = "", False, ()
