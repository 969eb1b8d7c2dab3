"""Taint in a few lines: declare sinks (and, if you like, more sources and sanitizers), get back
every path by which an untrusted value reaches one, with each step.

    SHELL = TaintSpec(sinks=(Sink("subprocess.run", 0, "args"), Sink("os.system", 0, "command")))

    class HeaderToShell(Rule):
        def leave_FunctionDef(self, original_node):
            for flow in flows_in(self.context, original_node, SHELL):
                self.report(flow.value, f"{flow.trust.origin} value reaches `{flow.sink.callee}`",
                            statement=flow.statement)

The sources are the flow analysis's own (route parameters and request data are user-controlled,
a helper's parameters caller-supplied, `input()`, `sys.argv` and HTTP responses externally
sourced) plus `TaintSpec.sources`; its sanitizers are its own (type-constraining calls such as
`int()`, allow-list and regular-expression checks, equality with a trusted value) plus
`TaintSpec.sanitizers`. A value is followed through assignments, string building, containers
and branches; a value the analysis cannot see into is unknown and never reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.semantics.flow.domain import Domain
from reviewer.semantics.flow.file import flows_for
from reviewer.semantics.flow.syntax import directly_in_class
from reviewer.semantics.flow.trust import USER, Step, Trust
from reviewer.syntax import keyword, positional

if TYPE_CHECKING:
    from reviewer.rule import FileContext
    from reviewer.semantics.flow.function import FunctionFlow
    from reviewer.semantics.flow.values import Env


@dataclass(frozen=True)
class Sink:
    """A call that must not receive an untrusted value in one of its arguments: `callee` by
    qualified name (`subprocess.run`), the argument by position and/or keyword (neither: any
    argument)."""

    callee: str
    position: int | None = None
    keyword: str | None = None


@dataclass(frozen=True)
class TaintSpec:
    """What a rule looks for: its `sinks`; `sources`, qualified calls whose result is
    user-controlled besides those the analysis knows; `sanitizers`, qualified calls whose result
    is clean; `origins`, which untrusted values count (None: all of them: user-controlled,
    caller-supplied, externally sourced)."""

    sinks: tuple[Sink, ...]
    sources: frozenset[str] = frozenset()
    sanitizers: frozenset[str] = frozenset()
    origins: frozenset[str] | None = None

    def __call__(self, flow: FunctionFlow) -> TaintDomain:
        return TaintDomain(flow, self)


@dataclass(frozen=True)
class Flow:
    """An untrusted value reaching a sink: the sink, the call and the argument expression, the
    value's trust (its `origin`), the statement of the call, and the way the value came, from its
    source to the sink (`steps`)."""

    sink: Sink
    call: cst.Call
    value: cst.BaseExpression
    trust: Trust
    statement: cst.CSTNode | None
    steps: tuple[Step, ...]


class TaintDomain(Domain):
    """The flow analysis's domain for one `TaintSpec`."""

    def __init__(self, flow: FunctionFlow, spec: TaintSpec) -> None:
        super().__init__(flow)
        self.spec = spec
        self.sanitizing_calls = spec.sanitizers
        self.source_calls = dict.fromkeys(spec.sources, USER)
        self._sinks = {sink.callee: sink for sink in spec.sinks}
        self.uses: list[Flow] = []

    def on_call(self, call: cst.Call, env: Env, consumed: set[int]) -> None:
        sink = self._sinks.get(self.flow.qualify(call.func) or "")
        if sink is None:
            return
        if sink.position is None and sink.keyword is None:
            arguments = [arg.value for arg in call.args]
        else:
            found = keyword(call, sink.keyword) if sink.keyword else None
            if found is None and sink.position is not None:
                found = positional(call, sink.position)
            arguments = [found.value] if found is not None else []
        for value in arguments:
            trust = self.flow.trust(value, env)
            if not trust.untrusted or (self.spec.origins is not None and trust.origin not in self.spec.origins):
                continue
            statement = self.flow.statement
            reached = trust.via(f"reaches `{sink.callee}`", statement or call)
            self.uses.append(Flow(sink, call, value, trust, statement, reached.steps))


def flows_in(context: FileContext, function: cst.FunctionDef | None, spec: TaintSpec) -> list[Flow]:
    """Every untrusted value reaching a sink of `spec` in `function` (None: the module body).

    Call it from the walk while `function` is being walked, typically in `leave_FunctionDef`:
    the function's enclosing functions and class are read off the walk's statements. The flows
    of a file are computed once per spec, however many rules ask."""
    flows = flows_for(context, spec)
    if function is None:
        return list(flows.module_uses())
    enclosing = list(context.statements)
    if not any(node is function for node in enclosing):
        raise ValueError("flows_in needs the function the walk is in (call it from its visit or leave method)")
    scope = enclosing[: next(i for i, node in enumerate(enclosing) if node is function) + 1]
    functions = [node for node in scope if isinstance(node, cst.FunctionDef)]
    classes = [node for node in scope if isinstance(node, cst.ClassDef)]
    owner = classes[-1:] if classes and directly_in_class(function, classes[-1]) else []
    return list(flows.function_uses(functions, owner))


__all__ = ["USER", "Flow", "Sink", "TaintSpec", "flows_in"]
