"""SQL as a client of the flow analysis: the sink uses a function makes (`SinkUse`), found while
the flow follows it, and what SQL adds to values (text clauses, database receivers)."""

from __future__ import annotations

from dataclasses import dataclass

from reviewer import lazy_cst as cst
from reviewer.semantics.flow.domain import Domain
from reviewer.semantics.flow.function import FunctionFlow
from reviewer.semantics.flow.strings import BuiltString, render
from reviewer.semantics.flow.trust import TRUSTED, UNKNOWN, Trust
from reviewer.semantics.flow.values import Env, Value
from reviewer.semantics.sql.sinks import (
    CONNECT_FUNCTIONS,
    DB_CLASSES,
    ESCAPING_CALLS,
    ESCAPING_METHODS,
    SQL_FRAGMENT_FUNCTIONS,
    SQL_FRAGMENT_PARAMETER,
    SQL_METHODS,
    SQL_PARAMETER_NAMES,
    SQL_START,
    SQL_TEXT_FUNCTIONS,
    SQL_TEXT_ONLY_METHODS,
    looks_like_db_receiver,
    text_clause_of,
)
from reviewer.syntax import argument, string_value


@dataclass
class SinkUse:
    """SQL text that reaches a sink: where, which sink, and the text's possible values."""

    call: cst.Call
    sink: str
    strings: tuple[BuiltString, ...] | None
    raw: cst.BaseExpression | None  # the argument, when it is not a string built here
    raw_trust: Trust
    statement: cst.CSTNode | None
    executor: str | None = None  # the executing call that a `text()` clause reached, if any
    raw_is_sql_parameter: bool = False  # the caller's SQL by the function's contract


class SqlDomain(Domain):
    """Finds the SQL a function sends to a sink (`uses`: `SinkUse`s, in statement order)."""

    sanitizing_calls = ESCAPING_CALLS
    sanitizing_methods = ESCAPING_METHODS

    def __init__(self, flow: FunctionFlow) -> None:
        super().__init__(flow)
        self.uses: list[SinkUse] = []
        self._text_uses: dict[int, SinkUse] = {}  # id(text() call) -> its use, for the executor found later
        self._enclosing_methods: dict[int, str] = {}  # id(argument) -> method of the call passing it

    def begin_statement(self) -> None:
        self._enclosing_methods = {}

    def sanitizes(self, call: cst.Call) -> bool:
        """`value.replace("'", "''")`: every quote doubled, the value stays inside a SQL string."""
        if not (isinstance(call.func, cst.Attribute) and call.func.attr.value == "replace" and len(call.args) == 2):
            return False
        old, new = (string_value(arg.value) for arg in call.args)
        return old == "'" and new == "''"

    def on_call(self, call: cst.Call, env: Env, consumed: set[int]) -> None:
        if isinstance(call.func, cst.Attribute):
            for arg in call.args:
                self._enclosing_methods[id(arg.value)] = call.func.attr.value
        if id(call) in consumed:
            return
        use = self._sink_use(call, env, consumed)
        if use is not None:
            self.uses.append(use)

    def special_value(self, node: cst.BaseExpression, env: Env) -> Value | None:
        """A `text()` clause (through `.bindparams()` and the like): the SQL it holds is followed
        to where the clause is executed."""
        clause = text_clause_of(node)
        if isinstance(clause, cst.Call) and self.flow.qualify(clause.func) in SQL_FRAGMENT_FUNCTIONS:
            arg = argument(clause, 0, "text")
            strings = self.flow.strings(arg.value, env) if arg is not None else None
            return Value(
                trust=UNKNOWN, strings=None, text_call=clause if strings is not None or arg is not None else None
            )
        return None

    def _sink_use(self, call: cst.Call, env: Env, consumed: set[int]) -> SinkUse | None:
        func_name = self.flow.qualify(call.func)
        if func_name in SQL_TEXT_FUNCTIONS:
            display, index, name = SQL_TEXT_FUNCTIONS[func_name]
            arg = argument(call, index, name)
            if arg is None:
                return None
            fragment = func_name in SQL_FRAGMENT_FUNCTIONS
            if fragment and isinstance(call.func, (cst.Name, cst.Attribute)):
                display = self._fragment_display(call, display)
            use = self._use_of(call, display, arg.value, env)
            if func_name in SQL_FRAGMENT_FUNCTIONS:
                self._text_uses[id(call)] = use
            return use
        if not isinstance(call.func, cst.Attribute) or call.func.attr.value not in SQL_METHODS:
            return None
        if func_name in ("pandas.read_sql", "pandas.read_sql_query"):
            return None
        arg = argument(call, 0, "statement") or argument(call, 0, "query") or argument(call, 0, "sql")
        if arg is None:
            return None
        receiver = call.func.value
        receiver_value = self.flow._lookup(receiver, env)
        receiver_display = receiver_value.receiver if receiver_value is not None and receiver_value.receiver else None
        sink = f"{receiver_display or self.flow.analysis.code(receiver)}.{call.func.attr.value}"
        is_db_receiver = receiver_display is not None or looks_like_db_receiver(receiver)
        inner = text_clause_of(arg.value)
        if isinstance(inner, cst.Call) and self.flow.qualify(inner.func) in SQL_FRAGMENT_FUNCTIONS:
            text_arg = argument(inner, 0, "text")
            consumed.add(id(inner))
            if text_arg is None:
                return None
            return self._use_of(inner, sink, text_arg.value, env)
        value = self.flow._lookup(inner, env)
        if value is not None and value.text_call is not None:
            earlier = self._text_uses.get(id(value.text_call))
            if earlier is not None and earlier.executor is None:
                earlier.executor = sink
            return None
        use = self._use_of(call, sink, inner, env)
        if use.strings is not None:
            looks_like_sql = any(SQL_START.match(render(s, with_holes="")) for s in use.strings)
            if not looks_like_sql:
                return None
            return use
        if not is_db_receiver or call.func.attr.value in ("scalar", "scalars", *SQL_TEXT_ONLY_METHODS):
            return None
        return use

    def _fragment_display(self, call: cst.Call, display: str) -> str:
        """`text() in order_by()`: where a fragment goes, when it goes straight into a method."""
        method = self._enclosing_methods.get(id(call))
        return f"{display} in {method}()" if method else display

    def _use_of(self, call: cst.Call, sink: str, arg: cst.BaseExpression, env: Env) -> SinkUse:
        strings = self.flow.strings(arg, env)
        raw_trust = TRUSTED if strings is not None else self.flow.trust(arg, env)
        is_sql_parameter = False
        if strings is None and not self.flow.is_route:
            root = arg
            while isinstance(root, (cst.Subscript, cst.Attribute)):
                root = root.value
            if isinstance(root, cst.Name):
                named_for_sql = root.value in self.flow.local_names and bool(SQL_PARAMETER_NAMES.match(root.value))
                is_sql_parameter = named_for_sql or root.value in self.flow.untyped_parameters
        return SinkUse(
            call=call,
            sink=sink,
            strings=strings,
            raw=arg if strings is None else None,
            raw_trust=raw_trust,
            statement=self.flow.statement,
            raw_is_sql_parameter=is_sql_parameter,
        )

    def constructed_object(self, node: cst.Call) -> str | None:
        name = self.flow.qualify(node.func)
        if name in DB_CLASSES:
            return DB_CLASSES[name]
        if name in CONNECT_FUNCTIONS:
            return CONNECT_FUNCTIONS[name]
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in ("connect", "begin"):
            return "Connection"
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "cursor":
            return "cursor"
        return None

    def annotated_object(self, qualified: str) -> str | None:
        return DB_CLASSES.get(qualified)

    def parameter_by_contract(self, name: str) -> bool:
        return bool(SQL_FRAGMENT_PARAMETER.match(name))
