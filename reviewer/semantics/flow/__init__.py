"""Value flow inside a function: where values come from, how far they can be trusted, the
strings they build, and what reaches a sink.

`FunctionFlow` follows a function body in statement order (`statements`), from its parameters
(`parameters`), computing each expression's trust (`expressions`: sources and sanitizers) and the
strings it builds (`building`), and offers each statement's calls to a `Domain`, which finds its
sinks there. `FileFlows` computes each function's flow of a file once, for one domain, with what
the module and its classes define and what a module-private function's callers pass.

Two domains use it: SQL (`reviewer.semantics.sql`) and taint (`taint`), the API for a rule that
only needs "does an untrusted value reach this call?":

    from reviewer.semantics.flow import Sink, TaintSpec, flows_in

    SHELL = TaintSpec(sinks=(Sink("subprocess.run", 0, "args"),))
    ...
    for flow in flows_in(self.context, function, SHELL):
        self.report(flow.value, ..., statement=flow.statement)

Each `Flow` carries the value's origin (`flow.trust.origin`: user-controlled, caller-supplied,
externally sourced) and its `steps`, from the source to the sink, each with its node.
"""

from reviewer.semantics.flow.taint import Flow, Sink, TaintSpec, flows_in
from reviewer.semantics.flow.trust import CALLER, EXTERNAL, USER, Level, Step, Trust

__all__ = ["CALLER", "EXTERNAL", "USER", "Flow", "Level", "Sink", "Step", "TaintSpec", "Trust", "flows_in"]
