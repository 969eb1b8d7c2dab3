"""What a client of the flow analysis adds to it: `Domain`.

The flow analysis follows values, their trust and the strings they build through a function; a
domain says what the values are *for*. It finds its sinks in each statement's calls (SQL sent to
a database, a command handed to a shell) and records what it finds, and it may teach the flow
what its kind of object is (a database session, a `text()` clause), which calls clean a value for
its sinks, and which parameter names mean "the caller passes this for my sink by contract".

One domain instance serves one function's flow (`FunctionFlow.domain`), so it may keep state
while the flow walks the function; `uses` is what it found there.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from reviewer import lazy_cst as cst

if TYPE_CHECKING:
    from reviewer.semantics.flow.function import FunctionFlow
    from reviewer.semantics.flow.values import Env, Value


class Domain:
    """The default domain: no sinks, no objects of its own, no sanitizers."""

    # Qualified calls, and method names, whose result is clean for this domain's sinks.
    sanitizing_calls: frozenset[str] = frozenset()
    sanitizing_methods: frozenset[str] = frozenset()
    # Qualified calls whose result is untrusted, with its origin, besides those the flow knows.
    source_calls: Mapping[str, str] = MappingProxyType({})

    def __init__(self, flow: FunctionFlow) -> None:
        self.flow = weakref.proxy(flow)  # the flow owns its domain
        self.uses: list[Any] = []

    def begin_statement(self) -> None:
        """A statement's calls follow, outermost first."""

    def on_call(self, call: cst.Call, env: Env, consumed: set[int]) -> None:
        """One call of the statement being followed, with the names' values before it runs.
        `consumed` holds the ids of calls the domain already handled as part of an outer one
        (for the domain's own use: every call is offered)."""

    def sanitizes(self, call: cst.Call) -> bool:
        """Whether a call this domain knows (beyond `sanitizing_calls`/`_methods`) cleans the
        value it returns for the domain's sinks."""
        return False

    def special_value(self, node: cst.BaseExpression, env: Env) -> Value | None:
        """The value of an expression this domain knows better than the flow does, else None."""
        return None

    def constructed_object(self, node: cst.BaseExpression) -> str | None:
        """The kind of object this domain knows that `node` (a call) makes, as shown in messages."""
        return None

    def annotated_object(self, qualified: str) -> str | None:
        """The kind of object this domain knows an annotation names."""
        return None

    def parameter_by_contract(self, name: str) -> bool:
        """Whether a parameter of this name carries, by the function's contract, what the
        domain's sinks take (`where_clause` for SQL): its value is then neither trusted nor
        reported, since the function's callers decide it."""
        return False
