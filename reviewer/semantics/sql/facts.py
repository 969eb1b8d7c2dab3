"""SQL in one file, for the rules that read it (`SqlFacts`): which functions send SQL to a sink,
noted during the engine's walk, and, when a rule asks, the sink uses each of them makes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.semantics.flow.file import flows_for
from reviewer.semantics.flow.syntax import directly_in_class
from reviewer.semantics.sql.domain import SinkUse, SqlDomain
from reviewer.semantics.sql.sinks import SQL_METHODS, SQL_TEXT_FUNCTIONS

if TYPE_CHECKING:
    from reviewer.rule import FileContext


class SqlFacts(Facts):
    """Notes, as the walk leaves each function, whether it calls a SQL sink (by name: the flow
    decides later whether SQL really reaches it), so that only those functions are followed."""

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self._functions: list[cst.FunctionDef] = []
        self._classes: list[cst.ClassDef] = []
        self._has_sink: list[bool] = []
        self._module_has_sink = False
        self._scope: list[str] = []  # the names of the classes and functions the walk is in
        # Functions that call a sink, as they end: (enclosing functions with it last, its class,
        # its qualified name as the module summaries have it).
        self._ended: list[tuple[tuple[cst.FunctionDef, ...], tuple[cst.ClassDef, ...], str]] = []

    @property
    def has_sinks(self) -> bool:
        """Whether anything in the file calls a SQL sink."""
        return bool(self._ended) or self._module_has_sink

    def groups(self) -> list[tuple[str | None, list[SinkUse]]]:
        """The sink uses of each function that calls a sink, in the order the functions end, with
        the function's qualified name; then those of the module body, with None."""
        flows = flows_for(self.context, SqlDomain)
        found: list[tuple[str | None, list[SinkUse]]] = [
            (qualname, flows.function_uses(functions, classes)) for functions, classes, qualname in self._ended]
        if self._module_has_sink:
            found.append((None, flows.module_uses()))
        return found

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node)
        self._scope.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()
        self._scope.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node)
        self._has_sink.append(False)
        self._scope.append(node.name.value)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        if self._has_sink.pop():
            is_method = self._classes and directly_in_class(original_node, self._classes[-1])
            qualname = ".".join(part for part in (self.context.module, *self._scope) if part)
            self._ended.append((tuple(self._functions), tuple(self._classes) if is_method else (), qualname))
        self._functions.pop()
        self._scope.pop()

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        is_sink = (isinstance(func, cst.Attribute) and func.attr.value in SQL_METHODS) or self.context.qualify(
            func
        ) in SQL_TEXT_FUNCTIONS
        if not is_sink:
            return
        if self._has_sink:
            self._has_sink[-1] = True
        else:
            self._module_has_sink = True
