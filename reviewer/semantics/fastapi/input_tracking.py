"""Client input inside a function: which calls read the request without a schema (`RawRead`),
which names hold what was read (or a parameter's data), and what validates it: a model built
from it, a validating call, a webhook's signature check, a proxy sending it on, or a helper of the
repository it is handed to (`FunctionFacts.param_calls`, read by `EndpointIndex`).

`InputTracking` is the part of the FastAPI collector's walk that follows it; `FunctionState` is
what it keeps per function.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.semantics.fastapi.annotations import attributes_in, calls_in, names_in, source_of
from reviewer.semantics.fastapi.checked import only_compared
from reviewer.semantics.fastapi.records import (
    JSON_PARSERS,
    MODEL_FACTORIES,
    REQUEST_READS,
    VALIDATING_FUNCTIONS,
    VALIDATING_METHODS,
    WEBSOCKET_READS,
    FunctionFacts,
    Parameter,
    RawRead,
)
from reviewer.semantics.fastapi.whole_body import forwarded_reads, whole_in
from reviewer.syntax import argument, argument_slots, named_arguments

if TYPE_CHECKING:
    from reviewer.rule import FileContext


class FunctionState:
    """Per-function bookkeeping while walking its body: which names hold raw input."""

    def __init__(self, facts: FunctionFacts) -> None:
        self.facts = facts
        self.params = {p.name for p in facts.params}
        self.routers: dict[str, str] = {}  # local name -> router key
        # Locals bound to what an object holds (`router = api._router`): local name ->
        # `Class.attribute`; or annotated with a class (`auth: AuthService = ...`): `Class()`.
        self.held: dict[str, str] = {}
        self.reads: dict[int, RawRead] = {}  # id(call node) -> read
        self.tainted: dict[str, set[int]] = {}  # variable -> reads it holds
        self.whole: dict[str, set[int]] = {}  # variable -> reads whose whole data it holds (`whole_body`)
        self.whole_params: dict[str, set[str]] = {name: {name} for name in self.params}  # and parameters
        # Variables holding request headers: `request.headers.get(...)`, `Header()` parameters.
        self.headers: set[str] = {p.name for p in facts.params if _is_header(p)}
        # Variables derived from each parameter (`hydrated = hydrate(values, ctx)`), for the
        # parameters a function validates.
        self.derived: dict[str, set[str]] = {name: {name} for name in self.params}
        self.models: set[str] = set()  # locals holding a model class made here (`create_model(...)`)
        # The whole body (its exact bytes, or every form field) was handed, with a request header,
        # to one call: a webhook's signature check. What the function then reads is the
        # authenticated sender's data.
        self.verified = False


class InputTracking:
    """Follows client input through the function being walked. The collector it is mixed into
    provides `context`, `qualify`, the stack of `FunctionState`s (`_functions`), the statements
    being walked (`_statements`, `_statement_lines()`) and the awaits seen (`_awaited`)."""

    context: FileContext
    _functions: list[FunctionState]
    _statements: list[cst.CSTNode]
    _awaited: dict[int, cst.Await]

    def qualify(self, node: cst.BaseExpression) -> str | None:
        raise NotImplementedError

    def _statement_lines(self) -> tuple[int, int] | None:
        raise NotImplementedError

    def _finish_reads(self, state: FunctionState, body: cst.BaseSuite) -> None:
        """When a function ends: what a verified sender sent is trusted; data only compared with
        constants by constant keys is checked (`checked.only_compared`)."""
        if state.verified:
            for read in state.reads.values():
                read.validated = True
        elif state.reads:
            for read_id, read in state.reads.items():
                holders = {name for name, held in state.tainted.items() if read_id in held}
                if holders and only_compared(body, holders):
                    read.validated = True
        state.facts.reads = sorted(state.reads.values(), key=lambda r: (r.span.line, r.span.column))

    def _track_input(self, node: cst.Call) -> None:
        state = self._functions[-1]
        func = node.func
        callee = self.qualify(func)
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in state.params:
            method = func.attr.value
            kind = method if method in REQUEST_READS else WEBSOCKET_READS.get(method)
            if kind is not None:
                awaited = id(node) in self._awaited
                text = ("await " if awaited else "") + source_of(node)
                self._record_read(state, node, kind, func.value.value, text)
                return
        if callee in JSON_PARSERS:
            payload = argument(node, 0, "s") or argument(node, 0, "obj")
            if payload is None:
                return
            held = self._reads_in(state, payload.value)
            for read_id in held:
                state.reads[read_id].parsed = True
            parameter = _parameter_parsed(payload.value, state.params)
            if not held and parameter is not None:
                self._record_read(state, node, "json-param", parameter, source_of(node))
            return
        if self._verifies_signature(state, node):
            state.verified = True
            return
        for read_id in forwarded_reads(node, state.reads, state.whole, self.qualify):
            state.reads[read_id].forwarded = True
        given = {param for arg in node.args for name in names_in(arg.value) for param in state.derived.get(name, ())}
        makes_model = isinstance(func, cst.Name) and func.value in state.models
        if self._validates(node, callee) or self._validates_against_schema(node, callee) or makes_model:
            state.facts.validated_params = tuple(sorted({*state.facts.validated_params, *given}))
        elif callee is not None:
            for param in given:
                known = state.facts.param_constructors.get(param, ())
                if callee not in known:
                    state.facts.param_constructors[param] = (*known, callee)
        if callee is not None and not self._validates(node, callee):
            self._record_parameter_calls(state, node, callee)
        self._record_class_parameters(state, node, given)
        if makes_model:
            for argument_node in node.args:
                for read_id in self._reads_in(state, argument_node.value):
                    state.reads[read_id].validated = True
            return
        if self._validates(node, callee):
            for argument_node in node.args:
                for read_id in self._reads_in(state, argument_node.value):
                    state.reads[read_id].validated = True
            return
        if callee is not None and node.args:
            for argument_node in node.args:
                for read_id in self._reads_in(state, argument_node.value):
                    read = state.reads[read_id]
                    read.constructors = (*read.constructors, callee)

    def _record_read(self, state: FunctionState, node: cst.Call, kind: str, receiver: str, text: str) -> None:
        if id(node) in state.reads or self._discarded(node):
            return
        state.reads[id(node)] = RawRead(
            kind=kind,
            receiver=receiver,
            text=text,
            span=self.context.span(self._awaited.get(id(node), node)),
            statement_lines=self._statement_lines(),
            parsed=False,
            validated=False,
        )

    def _discarded(self, node: cst.Call) -> bool:
        """`await request.form()` as a statement of its own: it only makes Starlette cache the
        form for a library that reads it later (authlib's OAuth2 server), nothing is used here."""
        statement = self._statements[-1] if self._statements else None
        if not isinstance(statement, cst.SimpleStatementLine):
            return False
        return any(
            isinstance(small, cst.Expr)
            and (small.value is node or (isinstance(small.value, cst.Await) and small.value.expression is node))
            for small in statement.body
        )

    def _record_parameter_calls(self, state: FunctionState, node: cst.Call, callee: str) -> None:
        """Where each parameter's data, and each read's, goes in a call (`dict_to_model(values,
        Settings)`), with the classes the call passes, for a helper that validates it
        (`EndpointIndex.validates_parameter`)."""
        slots = argument_slots(node)
        classes = named_arguments(slots, self.qualify)
        for slot, value in slots:
            # Only the whole of the data: a helper that validates a message built from one field
            # (`add_toast(request, f"Unknown {name}")`) validates nothing of the rest.
            call = (callee, slot, classes)
            for param in whole_in(value, {}, state.whole_params):
                known = state.facts.param_calls.get(param, ())
                if call not in known:
                    state.facts.param_calls[param] = (*known, call)
            for read_id in whole_in(value, state.reads, state.whole):
                read = state.reads[read_id]
                if call not in read.calls:
                    read.calls = (*read.calls, call)

    def _record_class_parameters(self, state: FunctionState, node: cst.Call, given: set[str]) -> None:
        """`model(**data)`, `model.model_validate(data)`, `instance.__init__(**data)` with `model`
        a parameter: the data is validated if the class a caller passes is a model (never
        `model.construct(...)`, which skips validation)."""
        func = node.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method != "__init__" and not self._validates(node, None):
                return
            func = func.value
        if not isinstance(func, cst.Name):
            return
        holders = state.derived.get(func.value, set())
        for param in given:
            classes = holders - {param}  # `instance = model.construct(**data)` holds both
            if classes:
                known = state.facts.validated_by.get(param, ())
                state.facts.validated_by[param] = tuple(sorted({*known, *classes}))

    def _verifies_signature(self, state: FunctionState, node: cst.Call) -> bool:
        """A call given what the request sent and a request header: the body bytes
        (`verify(payload, sig_header, secret)`, `verify_webhook(request.headers, payload)`) or the
        form's fields, as Twilio signs them (`validate_signature(url, form_params, signature)`)."""
        if not any(whole_in(arg.value, state.reads, state.whole) for arg in node.args):
            return False
        return any(self._holds_headers(state, arg.value) for arg in node.args)

    def _holds_headers(self, state: FunctionState, node: cst.CSTNode) -> bool:
        if state.headers and not state.headers.isdisjoint(names_in(node)):
            return True
        return any(
            isinstance(attribute, cst.Attribute) and attribute.attr.value == "headers"
            and isinstance(attribute.value, cst.Name) and attribute.value.value in state.params
            for attribute in attributes_in(node)
        )

    def _validates_against_schema(self, node: cst.Call, callee: str | None) -> bool:
        """JSON Schema validation: `jsonschema.validate(instance, schema)`, a project's
        `validate(values, schema)`, `validator.validate(instance)`, `is_valid_schema(schema)`."""
        if callee is None and isinstance(node.func, cst.Attribute):
            name, needed = node.func.attr.value, 1  # a validator object's method: the instance
        else:
            name, needed = (callee or "").rpartition(".")[2], 2  # a function: instance and schema
        if name in ("is_valid_schema", "validate_schema", "check_schema", "iter_errors"):
            return bool(node.args)
        return name == "validate" and len(node.args) >= needed

    def _validates(self, node: cst.Call, callee: str | None) -> bool:
        if callee in VALIDATING_FUNCTIONS:
            return True
        if not isinstance(node.func, cst.Attribute):
            return False
        method = node.func.attr.value
        # `model_validate_form`, `validate_payload`: a project's own validating class methods.
        return method in VALIDATING_METHODS or method.startswith(("model_validate", "validate_"))

    def _reads_in(self, state: FunctionState, node: cst.CSTNode) -> set[int]:
        """Reads whose data `node` holds: a read call inside it, or a variable bound to one."""
        if not state.reads:
            return set()
        found = {id(call) for call in calls_in(node) if id(call) in state.reads}
        for name in names_in(node):
            found |= state.tainted.get(name, set())
        return found

    @staticmethod
    def _fill(state: FunctionState, container: str, value: cst.BaseExpression) -> None:
        """A container filled with a parameter's data is derived from that parameter too."""
        sources = {param for name in names_in(value) for param in state.derived.get(name, ())}
        if sources:
            state.derived.setdefault(container, set()).update(sources)

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        """`data = await request.json()`: `data` now holds that read (also through `dict(...)`)."""
        if not self._functions:
            return
        state = self._functions[-1]
        if self._holds_headers(state, value):
            state.headers.update(names_in(target))
        if isinstance(value, cst.Call) and self.qualify(value.func) in MODEL_FACTORIES:
            state.models.update(names_in(target))
        sources = {param for name in names_in(value) for param in state.derived.get(name, ())}
        if sources:
            for name in names_in(target):
                state.derived.setdefault(name, set()).update(sources)
            whole_params = whole_in(value, {}, state.whole_params)
            if whole_params and isinstance(target, cst.Name):
                state.whole_params.setdefault(target.value, set()).update(whole_params)
        held = self._reads_in(state, value)
        if not held:
            return
        whole = whole_in(value, state.reads, state.whole)
        for name in names_in(target):
            state.tainted.setdefault(name, set()).update(held)
            if whole and isinstance(target, cst.Name):
                state.whole.setdefault(name, set()).update(whole)


def _is_header(param: Parameter) -> bool:
    """`signature: str = Header()`, `Annotated[str, Header(alias=...)]`."""
    markers = [param.marker] if param.marker is not None else []
    if param.annotation is not None:
        markers += param.annotation.markers
    return any(marker.kind == "Header" for marker in markers)


def _parameter_parsed(payload: cst.BaseExpression, params: set[str]) -> str | None:
    """The parameter a JSON parser is given: `json.loads(filters)`, `json.loads(filters or "{}")`."""
    if isinstance(payload, cst.BooleanOperation):
        payload = payload.left
    return payload.value if isinstance(payload, cst.Name) and payload.value in params else None
