"""The per-file side of the FastAPI model: `FastAPIFacts` joins the engine's walk of every module
that can hold routing code (a cheap text test first) and fills the module's `ModuleFacts`; a module
that cannot is read for its classes and module-level names only, enough to tell what its names are
(models, router classes, type aliases, re-exports)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.semantics.fastapi.annotations import (
    attributes_in,
    calls_in,
    dependencies_in,
    literal_path,
    marker_of,
    names_in,
    source_of,
    type_ref,
)
from reviewer.semantics.fastapi.checked import only_compared
from reviewer.semantics.fastapi.index import EndpointIndex
from reviewer.semantics.fastapi.module_level import (
    is_type_alias,
    record_class,
    record_module_binding,
    record_module_level,
    record_router,
    value_of,
)
from reviewer.semantics.fastapi.records import (
    DICT_TYPES,
    FACTS_KEY,
    HTTP_DECORATORS,
    JSON_PARSERS,
    MODEL_FACTORIES,
    REQUEST_READS,
    VALIDATING_FUNCTIONS,
    VALIDATING_METHODS,
    WEBSOCKET,
    WEBSOCKET_READS,
    FunctionFacts,
    Inclusion,
    ModuleFacts,
    Parameter,
    RawRead,
    RouteDecl,
)
from reviewer.semantics.fastapi.whole_body import forwarded_reads, whole_in
from reviewer.semantics.names import NameResolver, dotted_name
from reviewer.syntax import argument, argument_slots, keyword, string_value
from reviewer.traversal import BatchedVisitor

if TYPE_CHECKING:
    from reviewer.facts import RepositoryView
    from reviewer.rule import FileContext

# Files that can hold routing code, or helpers that validate what they are given: cheap text
# test before the extra walk.
_ROUTING_TEXT = re.compile(
    r"fastapi|starlette|include_router|add_api_route|add_api_websocket_route|"
    r"@[\w.]+\.(?:get|post|put|patch|delete|options|head|trace|api_route|websocket|route)\(|"
    r"model_validate|parse_obj|validate_python|TypeAdapter|__init__\(\*\*"
)


class FastAPIFacts(Facts):
    """What one module declares to FastAPI (`ModuleFacts`, stored in the module's summary), and,
    over the repository, the endpoints of every application (`EndpointIndex`)."""

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        summary = context.summary
        self.module = ModuleFacts(module=summary.module, path=summary.path)
        summary.extras[FACTS_KEY] = self.module
        self._collector: _Collector | None = None
        if _ROUTING_TEXT.search(context.source):
            self._collector = _Collector(self.module, context.resolver, context)
        else:
            record_module_level(context.tree.body, self.module, context.resolver, summary.module)

    def fail(self, error: Exception) -> None:
        """Half-collected facts would tell the repository pass wrong things: none are kept."""
        super().fail(error)
        self.context.summary.extras.pop(FACTS_KEY, None)

    def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], None]]:
        if self._collector is None:
            return {}
        return {name: self._guard(method) for name, method in self._collector.get_visitors().items()}

    @classmethod
    def repository(cls, repo: RepositoryView) -> EndpointIndex:
        return EndpointIndex(repo.summaries, repo.index)

    @classmethod
    def report_fields(cls, model: EndpointIndex) -> dict[str, Any]:
        return {"endpoints": model.records()}


class _FunctionState:
    """Per-function bookkeeping while walking its body: which names hold raw input."""

    def __init__(self, facts: FunctionFacts) -> None:
        self.facts = facts
        self.params = {p.name for p in facts.params}
        self.routers: dict[str, str] = {}  # local name -> router key
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


class _Collector(BatchedVisitor):
    """Walks one module (after the NameResolver in the same batch) and fills ModuleFacts."""

    def __init__(self, facts: ModuleFacts, resolver: NameResolver, context: FileContext) -> None:
        super().__init__()
        self.facts = facts
        self.resolver = resolver
        self.context = context
        self._scope: list[str] = []
        self._classes: list[bool] = []  # per scope entry: is it a class
        self._functions: list[_FunctionState] = []
        self._statements: list[cst.CSTNode] = []
        self._awaited: dict[int, cst.Await] = {}  # id(awaited expression) -> the await

    # names ------------------------------------------------------------------------------------

    def qualify(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.Name):
            for state in reversed(self._functions):
                if node.value in state.routers:
                    return state.routers[node.value]
        return self.resolver.qualify(node)

    def _qualname(self, name: str) -> str:
        return ".".join(p for p in (self.facts.module, *self._scope, name) if p)

    # statements -------------------------------------------------------------------------------

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._statements.append(node)

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine) -> None:
        self._statements.pop()

    def visit_For(self, node: cst.For) -> None:
        self._statements.append(node)

    def visit_For_body(self, node: cst.For) -> None:
        self._bind(node.target, node.iter)

    def leave_For(self, original_node: cst.For) -> None:
        self._statements.pop()

    def visit_While(self, node: cst.While) -> None:
        self._statements.append(node)

    def leave_While(self, original_node: cst.While) -> None:
        self._statements.pop()

    def visit_If(self, node: cst.If) -> None:
        self._statements.append(node)

    def leave_If(self, original_node: cst.If) -> None:
        self._statements.pop()

    def visit_With(self, node: cst.With) -> None:
        self._statements.append(node)

    def leave_With(self, original_node: cst.With) -> None:
        self._statements.pop()

    def _statement_lines(self) -> tuple[int, int] | None:
        return self.context.statement_lines(self._statements[-1]) if self._statements else None

    # classes and functions --------------------------------------------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        record_class(self.facts, self.qualify, self._qualname(node.name.value), node)
        self._scope.append(node.name.value)
        self._classes.append(True)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._scope.pop()
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        in_class = bool(self._classes) and self._classes[-1]
        is_static = any(
            isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod" for d in node.decorators
        )
        params = []
        all_params = [*node.params.posonly_params, *node.params.params, *node.params.kwonly_params]
        for position, param in enumerate(all_params):
            annotation = param.annotation.annotation if param.annotation is not None else None
            params.append(
                Parameter(
                    name=param.name.value,
                    annotation=type_ref(annotation, self.qualify) if annotation is not None else None,
                    annotation_text=source_of(annotation) if annotation is not None else None,
                    marker=marker_of(param.default, self.qualify) if param.default is not None else None,
                    has_default=param.default is not None,
                    is_receiver=in_class and position == 0 and not is_static,
                )
            )
        qualname = self._qualname(node.name.value)
        decorators = []
        for decorator in node.decorators:
            expr = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
            decorators.append(self.qualify(expr) or dotted_name(expr) or "")
        function = FunctionFacts(
            qualname=qualname,
            name=node.name.value,
            is_async=node.asynchronous is not None,
            span=self.context.span(node.name),
            statement_lines=self.context.statement_lines(node),
            params=params,
            returns=type_ref(node.returns.annotation, self.qualify) if node.returns is not None else None,
            decorators=tuple(decorators),
        )
        self.facts.functions[qualname] = function
        for decorator in node.decorators:
            self._route_decorator(decorator.decorator, qualname)
        self._functions.append(_FunctionState(function))
        self._scope.append(node.name.value)
        self._classes.append(False)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        state = self._functions.pop()
        if any(_may_be_untyped_body(param) for param in state.facts.params):
            used = set(names_in(original_node.body))
            state.facts.unused_params = tuple(sorted(state.params - used))
        if state.verified:
            for read in state.reads.values():
                read.validated = True
        elif state.reads:
            for read_id, read in state.reads.items():
                holders = {name for name, held in state.tainted.items() if read_id in held}
                if holders and only_compared(original_node.body, holders):
                    read.validated = True
        state.facts.reads = sorted(state.reads.values(), key=lambda r: (r.span.line, r.span.column))
        self._scope.pop()
        self._classes.pop()

    def _route_decorator(self, decorator: cst.BaseExpression, function: str) -> None:
        if not isinstance(decorator, cst.Call) or not isinstance(decorator.func, cst.Attribute):
            return
        method = decorator.func.attr.value
        if method in HTTP_DECORATORS:
            methods = HTTP_DECORATORS[method]
        elif method in ("api_route", "route"):
            methods = _methods_of(keyword(decorator, "methods"))
        elif method in ("websocket", "websocket_route"):
            methods = (WEBSOCKET,)
        else:
            return
        path = argument(decorator, 0, "path")
        if path is None:
            return
        self.facts.routes.append(
            RouteDecl(
                owner=self.qualify(decorator.func.value),
                methods=methods,
                path=string_value(path.value),
                function=function,
                dependencies=dependencies_in(value_of(keyword(decorator, "dependencies")), self.qualify),
            )
        )

    # module-level bindings --------------------------------------------------------------------

    # Bindings are handled on leaving, after the calls on their right-hand side were seen.
    def leave_Assign(self, original_node: cst.Assign) -> None:
        for target in original_node.targets:
            self._assign(target.target, original_node.value)

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        node = original_node
        if node.value is None:
            return
        if is_type_alias(node, self.qualify) and isinstance(node.target, cst.Name) and not self._functions:
            self.facts.type_aliases[self._qualname(node.target.value)] = type_ref(node.value, self.qualify)
            return
        self._assign(node.target, node.value)

    def visit_TypeAlias(self, node: cst.TypeAlias) -> None:
        if not self._functions:
            self.facts.type_aliases[self._qualname(node.name.value)] = type_ref(node.value, self.qualify)

    def _assign(self, target: cst.BaseAssignTargetExpression, value: cst.BaseExpression) -> None:
        if not isinstance(target, cst.Name):
            if isinstance(target, (cst.Tuple, cst.List)):
                for element in target.elements:
                    self._bind(element.value, value)
            elif isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name) and self._functions:
                self._fill(self._functions[-1], target.value.value, value)  # `values[key] = value`
            return
        name = target.value
        self._bind(target, value)
        if self._functions:
            if isinstance(value, cst.Call):
                key = f"{self._functions[-1].facts.qualname}.<locals>.{name}"
                if self._record_router(key, value):
                    self._functions[-1].routers[name] = key
            return
        if not self._classes:
            record_module_binding(self.facts, self.qualify, self._qualname(name), value)

    def _record_router(self, key: str, call: cst.Call) -> bool:
        return record_router(self.facts, self.qualify, key, call)

    # calls ------------------------------------------------------------------------------------

    def visit_Await(self, node: cst.Await) -> None:
        self._awaited[id(node.expression)] = node

    def leave_Return(self, original_node: cst.Return) -> None:
        """On leaving, so that a read made in the returned expression is known."""
        if self._functions and original_node.value is not None:
            state = self._functions[-1]
            for read_id in self._reads_in(state, original_node.value):
                state.reads[read_id].returned = True

    def leave_Call(self, original_node: cst.Call) -> None:
        """On leaving, so that reads nested in a call's arguments are known before the call."""
        node = original_node
        if isinstance(node.func, cst.Attribute):
            method = node.func.attr.value
            if method == "include_router":
                self._include(node, argument(node, 0, "router"), keyword(node, "prefix"))
            elif method == "mount":
                # A FastAPI sub-application mounted under a path serves its routes below it.
                self._include(node, argument(node, 1, "app"), argument(node, 0, "path"))
            elif method in ("add_api_route", "add_api_websocket_route", "add_websocket_route"):
                self._add_route(node, websocket=method != "add_api_route")
        if self._functions:
            self._track_input(node)

    def _include(self, node: cst.Call, child_arg: cst.Arg | None, prefix_arg: cst.Arg | None) -> None:
        assert isinstance(node.func, cst.Attribute)
        child = value_of(child_arg)
        is_call = isinstance(child, cst.Call)
        if isinstance(child, cst.Call):
            child = child.func
        prefix, known = literal_path(value_of(prefix_arg))
        self.facts.inclusions.append(
            Inclusion(
                parent=self.qualify(node.func.value),
                child=self.qualify(child) if child is not None else None,
                prefix=prefix,
                prefix_known=known,
                child_is_call=is_call,
                dependencies=dependencies_in(value_of(keyword(node, "dependencies")), self.qualify),
            )
        )

    def _add_route(self, node: cst.Call, *, websocket: bool) -> None:
        assert isinstance(node.func, cst.Attribute)
        path = argument(node, 0, "path")
        endpoint = argument(node, 1, "endpoint")
        if path is None or endpoint is None:
            return
        methods = (WEBSOCKET,) if websocket else _methods_of(keyword(node, "methods"))
        self.facts.routes.append(
            RouteDecl(
                owner=self.qualify(node.func.value),
                methods=methods,
                path=string_value(path.value),
                function=self.qualify(endpoint.value),
                dependencies=dependencies_in(value_of(keyword(node, "dependencies")), self.qualify),
            )
        )

    # raw input inside functions ---------------------------------------------------------------

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

    def _record_read(self, state: _FunctionState, node: cst.Call, kind: str, receiver: str, text: str) -> None:
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

    def _record_parameter_calls(self, state: _FunctionState, node: cst.Call, callee: str) -> None:
        """Where each parameter's data, and each read's, goes in a call (`dict_to_model(values,
        Settings)`), with the classes the call passes, for a helper that validates it
        (`EndpointIndex.validates_parameter`)."""
        slots = argument_slots(node)
        classes = tuple((slot, name) for slot, value in slots
                        if isinstance(value, (cst.Name, cst.Attribute)) and (name := self.qualify(value)))
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

    def _record_class_parameters(self, state: _FunctionState, node: cst.Call, given: set[str]) -> None:
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

    def _verifies_signature(self, state: _FunctionState, node: cst.Call) -> bool:
        """A call given what the request sent and a request header: the body bytes
        (`verify(payload, sig_header, secret)`, `verify_webhook(request.headers, payload)`) or the
        form's fields, as Twilio signs them (`validate_signature(url, form_params, signature)`)."""
        if not any(whole_in(arg.value, state.reads, state.whole) for arg in node.args):
            return False
        return any(self._holds_headers(state, arg.value) for arg in node.args)

    def _holds_headers(self, state: _FunctionState, node: cst.CSTNode) -> bool:
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

    def _reads_in(self, state: _FunctionState, node: cst.CSTNode) -> set[int]:
        """Reads whose data `node` holds: a read call inside it, or a variable bound to one."""
        if not state.reads:
            return set()
        found = {id(call) for call in calls_in(node) if id(call) in state.reads}
        for name in names_in(node):
            found |= state.tainted.get(name, set())
        return found

    @staticmethod
    def _fill(state: _FunctionState, container: str, value: cst.BaseExpression) -> None:
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


def _may_be_untyped_body(param: Parameter) -> bool:
    """A parameter the untyped-body rule may ask about: no annotation, or not a plain class."""
    annotation = param.annotation
    return not param.is_receiver and (annotation is None or annotation.kind != "name" or annotation.name in DICT_TYPES
                                      or annotation.name == "typing.Any")


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


def _methods_of(arg: cst.Arg | None) -> tuple[str, ...]:
    if arg is None or not isinstance(arg.value, (cst.List, cst.Tuple, cst.Set)):
        return ("GET",)
    methods = [string_value(e.value) for e in arg.value.elements]
    return tuple(m.upper() for m in methods if m) or ("GET",)
