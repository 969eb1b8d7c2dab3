"""The flow of one function body (or module body), in statement order: `FunctionFlow`.

It follows values (`Value`: trust, the strings they build, what iterating or reading an attribute
of them yields) from the function's parameters through its statements, merging branches, and
offers each statement's calls to its `Domain`, which finds and records its sinks there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.semantics.flow.building import StringFlow
from reviewer.semantics.flow.domain import Domain
from reviewer.semantics.flow.expressions import TrustFlow
from reviewer.semantics.flow.knowledge import COLLECTION_CONSTRUCTORS
from reviewer.semantics.flow.parameters import ParameterFlow
from reviewer.semantics.flow.statements import StatementFlow
from reviewer.semantics.flow.strings import strings_trust
from reviewer.semantics.flow.syntax import body_of, calls_in, is_route, walk_statements
from reviewer.semantics.flow.trust import TRUSTED, Level, worst
from reviewer.semantics.flow.values import Env, Value
from reviewer.semantics.names import NameResolver, dotted_name

if TYPE_CHECKING:
    from reviewer.semantics.flow.file import FileFlows


class FunctionFlow(ParameterFlow, StatementFlow, TrustFlow, StringFlow):
    """Follows values through one function body (or module body) in statement order."""

    def __init__(
        self,
        analysis: FileFlows,
        function: cst.FunctionDef | None,
        stack: Sequence[cst.FunctionDef],
        class_env: Env,
        *,
        collect: bool,
        domain: Callable[[FunctionFlow], Domain] = Domain,
    ) -> None:
        self.analysis = analysis
        self.function = function
        self.collect = collect
        self.domain = domain(self)
        self.resolver = NameResolver(analysis.context.summary.imports)
        for enclosing in stack:
            self.resolver.visit_FunctionDef(enclosing)
            for statement in walk_statements(body_of(enclosing)):
                for small in getattr(statement, "body", ()):
                    if isinstance(small, cst.Import):
                        self.resolver.visit_Import(small)
                    elif isinstance(small, cst.ImportFrom):
                        self.resolver.visit_ImportFrom(small)
        # A function sees module-level constants; the module body builds them as it runs.
        self.globals: Env = dict(analysis.module_env()) if function is not None else {}
        self.globals.update(class_env)
        self.local_names: set[str] = set()
        # Unannotated parameters (passed whole to a sink, a helper's parameter is its contract).
        self.untyped_parameters: set[str] = set()
        self.statement: cst.CSTNode | None = None
        self.is_route = function is not None and is_route(function)

    @property
    def uses(self) -> list:
        """What the domain found in this function."""
        return self.domain.uses

    def qualify(self, node: cst.BaseExpression) -> str | None:
        return self.resolver.qualify(node)

    def value(self, node: cst.BaseExpression, env: Env) -> Value:
        if isinstance(node, cst.Await):
            node = node.expression
        if isinstance(node, (cst.List, cst.Tuple)) and not node.elements and isinstance(node, cst.List):
            return Value(trust=TRUSTED, items=(), elements=TRUSTED)
        if isinstance(node, cst.Call) and self.qualify(node.func) == "builtins.list" and not node.args:
            return Value(trust=TRUSTED, items=(), elements=TRUSTED)
        if isinstance(node, cst.List) and all(isinstance(e, cst.Element) for e in node.elements):
            items = self._strings_of_elements(node, env)
            trust = self.trust(node, env)
            return Value(trust=trust, items=items, elements=trust, constant_collection=trust.level is Level.TRUSTED)
        special = self.domain.special_value(node, env)
        if special is not None:
            return special
        strings = self.strings(node, env)
        if strings is not None:
            return Value(trust=strings_trust(strings), strings=strings)
        looked_up = self._lookup(node, env)
        if looked_up is not None:
            return looked_up
        trust = self.trust(node, env)
        constant = isinstance(node, (cst.Set, cst.Tuple, cst.Dict, cst.DictComp, cst.SetComp, cst.ListComp)) and (
            trust.level is Level.TRUSTED)
        if isinstance(node, cst.Call) and self.qualify(node.func) in COLLECTION_CONSTRUCTORS:
            trust = worst(self.trust(a.value, env) for a in node.args)
            constant = trust.level is Level.TRUSTED
        receiver = self._constructed_receiver(node)
        return Value(
            trust=trust,
            elements=self._element_trust(node, env),
            attributes=trust if trust.untrusted else None,
            constant_collection=constant,
            receiver=receiver,
        )

    def _lookup(self, node: cst.BaseExpression, env: Env) -> Value | None:
        key = dotted_name(node)
        if key is None:
            return None
        if key in env:
            return env[key]
        return self._global(key)

    def _global(self, key: str) -> Value | None:
        return self.globals.get(key)

    def _constructed_receiver(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.Await):
            node = node.expression
        return self.domain.constructed_object(node) if isinstance(node, cst.Call) else None

    def _sinks_in(self, node: cst.CSTNode, env: Env) -> None:
        """Offer the calls of `node` (outermost first) to the domain; note what each call of a
        function of this module is passed, for the trust of that function's parameters."""
        if not self.collect:
            return
        consumed: set[int] = set()
        self.domain.begin_statement()
        defined = self.analysis.context.summary.imports.defined
        for call in calls_in(node):
            if isinstance(call.func, cst.Name) and call.func.value in defined:
                for arg in call.args:
                    self.analysis.note_argument(arg.value, self.trust(arg.value, env))
            self.domain.on_call(call, env, consumed)
