"""`error_paths(context)`: the `ErrorPaths` of one module, built once per file; the functions that
are routes, exception handlers, helpers handed an exception or streamed generators, each walked."""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.semantics.error_paths.admin import admin_registered, admin_routers, calls_before_admin_gate
from reviewer.semantics.error_paths.bodies import ERROR, answers_probe, error_body
from reviewer.semantics.error_paths.envelopes import enveloped_returns
from reviewer.semantics.error_paths.reach import gate_conditions
from reviewer.semantics.error_paths.records import (
    CLIENT_ERRORS,
    HTTP_EXCEPTIONS,
    SERVING_PACKAGES,
    STREAMING_RESPONSES,
    ErrorPaths,
    Leak,
    TextCall,
)
from reviewer.semantics.error_paths.replaced import replaced_details
from reviewer.semantics.error_paths.returned_detail import returns_detail_of
from reviewer.semantics.error_paths.sockets import held_sockets
from reviewer.semantics.error_paths.syntax import (
    calls_in,
    functions_of,
    is_http_middleware,
    short_source,
    takes_request,
    top_level_functions,
)
from reviewer.semantics.error_paths.walk import Walk
from reviewer.semantics.exceptions import BROAD, INPUT, INTERNAL, Detail, exception_origin
from reviewer.semantics.fastapi.handlers import exception_handlers, registrations
from reviewer.semantics.flow.syntax import is_route
from reviewer.semantics.names import dotted_name
from reviewer.summary import UNTYPED
from reviewer.syntax import argument, params_of
from reviewer.traversal import push_children

if TYPE_CHECKING:
    from reviewer.rule import FileContext


SHARED_KEY = "error-paths"
_STREAMING_NAMES = ("StreamingResponse", "EventSourceResponse")


def _streamed_generators(context: FileContext) -> dict[str, str]:
    """Functions of the module whose generator a streaming response is given:
    `StreamingResponse(event_stream(...))`, `EventSourceResponse(content=stream)`, a method's
    `EventSourceResponse(self._stream_edit(...))`."""
    found: dict[str, str] = {}
    for call in calls_in(context.tree):
        name = context.qualify(call.func)
        if name not in STREAMING_RESPONSES:
            continue
        given = argument(call, 0, "content")
        value = given.value if given is not None else None
        if isinstance(value, cst.Call):
            value = value.func
        if isinstance(value, cst.Attribute) and isinstance(value.value, cst.Name) and value.value.value == "self":
            value = value.attr
        if isinstance(value, cst.Name):
            found[value.value] = name.rsplit(".", 1)[1]
    return found


def _nested_streams(functions: list[tuple[cst.FunctionDef, str]], streamed: Mapping[str, str],
                    top_level: Mapping[str, cst.FunctionDef]) -> dict[str, cst.FunctionDef]:
    """The streamed generators defined in another function, by their dotted name in the module
    (`chat.error_text`): a call of that name in the function that defines it calls it."""
    scopes = {owner for _, owner in functions}
    return {owner: function for function, owner in functions
            if function.name.value in streamed and function.name.value not in top_level
            and owner.rpartition(".")[0] in scopes}


class Builder:
    def __init__(self, context: FileContext) -> None:
        self.context = context
        self.module = context.module
        self.qualify = context.qualify
        self.paths = ErrorPaths()
        self.helpers = _Helpers(self)
        self.passed: dict[str, dict[int | str, str]] = {}
        self.passed_text: dict[str, dict[int | str, list[TextCall]]] = {}  # the calls handing its text
        self.built_exceptions: dict[tuple[str, str], cst.Call] = {}
        self.top_level: dict[str, cst.FunctionDef] = {}  # the module's own functions, by name
        # Methods of the module's own instances, by the name callers spell (`manager.send_message`
        # with `manager = ConnectionManager()` at module level).
        self.instance_methods: dict[str, cst.FunctionDef] = {}
        # Methods of the module's classes, by `Class.method`: called on `self`, or on a parameter
        # annotated with the class (`reporter: ErrorReporter = Depends(...)`).
        self.class_methods: dict[str, cst.FunctionDef] = {}
        self.methods: dict[str, cst.FunctionDef] = {}  # both, by the name callers spell
        self.admin_routers: set[str] = set()
        self.admin_registered: set[str] = set()  # functions registered as administrators' routes
        # Methods of the module's classes -> the attributes of their class that hold websockets.
        self.socket_holders: dict[int, frozenset[str]] = {}
        self._gates: dict[str, tuple] = {}
        # A function defined in another -> the conditions that one runs its definition under.
        self.defined_under: dict[int, tuple] = {}
        self.traceback = "traceback" in context.source
        # Generators a streaming response sends to the client -> that response's class.
        self.streamed: dict[str, str] = _streamed_generators(context) if any(
            name in context.source for name in _STREAMING_NAMES) else {}
        # Generators defined in a function and streamed there (`async def error_text(message):`
        # in an `except` block, then `StreamingResponse(error_text(str(e)))`), by dotted name.
        self.nested_streams: dict[str, cst.FunctionDef] = {}

    def source(self, node: cst.CSTNode) -> str:
        return short_source(self.context.tree, node)

    def _handed_exceptions(self, name: str) -> bool:
        """Whether the module hands function `name` on as a value (`partial(name, ...)`, a
        registration: what it is then called with is not known here) or calls it (its callers'
        `except` blocks tell what it is given, `raise to_http_error(e)`), so that a parameter
        annotated `Exception` says nothing of what the function receives."""
        return re.search(rf"\b{re.escape(name)}\b(?<!def {re.escape(name)})", self.context.source) is not None

    def gates(self, name: str) -> tuple:
        """What a function of the module lets its caller through under, if it is a gate (see
        reach.py): () for any other function."""
        if name not in self._gates:
            function = self.top_level.get(name)
            self._gates[name] = gate_conditions(function, self.qualify) if function is not None else ()
        return self._gates[name]

    def is_error_body(self, value: cst.BaseExpression) -> bool:
        return error_body(value, self.qualify, self.paths.error_body_helpers, models=True) == ERROR

    def build(self) -> ErrorPaths:
        tree = self.context.tree
        handlers = exception_handlers(tree, self.context.source)
        functions = list(functions_of(tree))
        top_level = top_level_functions(tree)
        # A module that names neither FastAPI nor Starlette builds no response: what matters of it
        # is what its functions that catch an exception return (`paths.returned_leaks`).
        serving = any(package in self.context.source for package in SERVING_PACKAGES)
        if serving:
            self.admin_routers = admin_routers(tree, self.qualify)
            if "add_api_route" in self.context.source:
                self.admin_registered = admin_registered(tree, self.qualify)
        self.top_level = top_level
        self.nested_streams = _nested_streams(functions, self.streamed, top_level) if self.streamed else {}
        self.instance_methods = _instance_methods(tree)
        self.class_methods = _class_methods(tree)
        self.methods = {**self.instance_methods, **self.class_methods}
        if "WebSocket" in self.context.source:
            self.socket_holders = _socket_holders(tree, self.qualify)
        catching = "except" in self.context.source
        roles: dict[int, str | None] = {}
        walks: list[Walk] = []
        handling: list[cst.FunctionDef] = []  # the module's exception handlers
        for function, owner in functions:
            if not serving and not (catching and _catches_named(function)):
                continue
            name = function.name.value
            exceptions: dict[str, str] = {}
            role: str | None = None
            params = params_of(function)
            if is_route(function):
                role = "route"
                if answers_probe(function):
                    self.paths.probes.add(name)
            elif is_http_middleware(function):
                role = "route"  # it answers requests in their place
                self.paths.middleware.add(name)
            elif name in handlers:
                role = "handler"
                handling.append(function)
                classes = handlers[name]
                origins = [(exception_origin(self.qualify(c), self.module), dotted_name(c) or "exception")
                           if c is not None else (INPUT, "HTTPException") for c in classes]
                internal = [written for origin, written in origins if origin == INTERNAL]
                if internal and len(params) >= 2:
                    exceptions[params[1].name.value] = internal[0]
                if any(c is not None and self.qualify(c) in HTTP_EXCEPTIONS for c in classes):
                    self.paths.replaced_details |= replaced_details(function)
            for param in params if role != "handler" else ():  # a registration says what a handler gets
                if param.annotation is not None and isinstance(param.annotation.annotation, (cst.Name, cst.Attribute)):
                    qualified = self.qualify(param.annotation.annotation)
                    if (qualified and qualified.endswith(("Exception", "Error"))
                            and exception_origin(qualified, self.module) == INTERNAL
                            and not (qualified in BROAD and role is None and self._handed_exceptions(name))):
                        exceptions[param.name.value] = dotted_name(param.annotation.annotation) or "Exception"
            roles[id(function)] = role
            walk = Walk(self, function, role, exceptions, owner, as_written=True)
            first_site = len(self.paths.http_exceptions)
            walk.run()
            walk.finish(first_site)
            if role == "route":
                self.paths.routes[owner] = frozenset() if walk.admin_only else calls_before_admin_gate(
                    function.body.body, walk.branches.is_local) if isinstance(
                    function.body, cst.IndentedBlock) else None
            elif walk.admin_only:
                self.paths.routes[owner] = frozenset()  # registered by a call, only for administrators
            walks.append(walk)
            if role is None and walk.error_returns and not walk.other_returns and function is top_level.get(name):
                self.paths.error_body_helpers.add(name)
        if not serving:
            return self.paths
        handling += self._handlers_elsewhere(tree, top_level, handlers, roles)
        self.paths.enveloped = enveloped_returns(handling, self.qualify)
        # Functions an `except` block hands its exception to, followed again with it bound; each
        # once, also one that such a function hands it on to in turn (walking it adds the name).
        walked: set[str] = set()
        while (name := next((name for name in self.passed if name not in walked), None)) is not None:
            walked.add(name)
            function = top_level.get(name) or self.methods.get(name)
            if function is None or roles.get(id(function)) is not None:
                continue
            params = _arguments(function, name in self.methods)
            exceptions = {param: written for slot, written in self.passed[name].items()
                          if (param := _parameter(params, slot))}
            walk = Walk(self, function, None, exceptions)
            already = {(leak.function, id(leak.node)) for leak in self.paths.leaks}
            before = len(self.paths.leaks)
            walk.run()
            kept = [leak for leak in self.paths.leaks[before:] if (leak.function, id(leak.node)) not in already]
            del self.paths.leaks[before:]
            self.paths.leaks.extend(kept)
        self._text_calls(top_level, roles)
        self._helpers_for_elsewhere(top_level, handlers, roles, {id(walk.function) for walk in walks
                                                                 if walk.builds_response})
        return self.paths

    def _text_calls(self, top_level: dict[str, cst.FunctionDef], roles: dict[int, str | None]) -> None:
        """Leaks where a function of the module is handed a caught exception's text that it sends
        (`fail(f"inventory failed: {exc}")`): reported at the call, since the function, an
        envelope its other callers hand fixed messages, is not at fault. Each function is walked
        once per parameter handed such text, with that one bound to it; a client error it sends
        does not count for a text of an exception caught around parsing the client's data."""
        for name, slots in self.passed_text.items():
            function = top_level.get(name) or self.methods.get(name) or self.nested_streams.get(name)
            if function is None or roles.get(id(function)) is not None:
                continue
            params = _arguments(function, name in self.methods)
            shown = function.name.value if name in self.nested_streams else name
            for slot, calls in slots.items():
                param = _parameter(params, slot)
                if param is None or slot in self.passed.get(name, {}):
                    continue
                for leak in self._supposed_leaks(function, {}, {param: Detail(param)}):
                    if leak.detail.what != param:
                        continue  # detail of its own
                    client_error = leak.http_status in CLIENT_ERRORS
                    self.paths.leaks.extend(
                        Leak(call.value, call.statement, call.detail, f"{leak.sink} of `{shown}`", call.function,
                             leak.http_status, call.conditions + leak.conditions,
                             call.detail.phrases if client_error else (), call.owner, leak.raised)
                        for call in calls if not (client_error and call.detail.parsing))

    def _handlers_elsewhere(self, tree: cst.Module, top_level: dict[str, cst.FunctionDef],
                            handlers: Mapping[str, object], roles: dict[int, str | None]) -> list[cst.FunctionDef]:
        """Registrations of handlers other modules define, and the leaks and returns of this
        module's functions shaped as handlers (a request, then another parameter) that it does not
        register itself, each followed again as a handler: the leaks with its exception bound, where
        nothing annotates it (an annotated one is bound in the first walk). Gives those functions."""
        shaped = []
        for handler, cls in registrations(tree, self.context.source):
            if isinstance(handler, cst.Name) and handler.value in top_level:
                continue
            name = self.qualify(handler)
            if name:
                qualified = self.qualify(cls) if isinstance(cls, (cst.Name, cst.Attribute)) else None
                self.paths.registered_elsewhere.setdefault(name, []).append(qualified)
        paths = self.paths
        for name, function in top_level.items():
            params = params_of(function)
            if (roles.get(id(function)) is not None or name in handlers or len(params) != 2
                    or not takes_request(params[0], self.qualify)):
                continue
            annotation = params[1].annotation
            marks = (len(paths.leaks), len(paths.returns), len(paths.http_exceptions))
            Walk(self, function, "handler", {params[1].name.value: "exception"} if annotation is None else {}).run()
            if annotation is None:
                paths.handler_leaks.extend(paths.leaks[marks[0]:])
            paths.handler_returns.extend(paths.returns[marks[1]:])
            del paths.leaks[marks[0]:], paths.returns[marks[1]:], paths.http_exceptions[marks[2]:]
            shaped.append(function)
        return shaped

    def _helpers_for_elsewhere(self, top_level: dict[str, cst.FunctionDef], handlers: Mapping[str, object],
                               roles: dict[int, str | None], responding: set[int]) -> None:
        """The leaks of this module's functions that another module may hand a caught exception
        (`raise errors.to_http(e)`): each function the module neither serves, registers nor hands
        an exception itself, and whose first walk saw it build an `HTTPException` or a response
        (`responding`), walked again once per parameter that no annotation binds, with that one
        bound to the exception (`paths.helper_leaks`), and once per parameter that may be text,
        with that one bound to an exception's text (`paths.helper_text_leaks`); the same for the
        methods of the module's instances and classes (`reporter.to_response(e)` in another
        module, with `reporter: ErrorReporter`)."""
        paths = self.paths
        for name, function in {**top_level, **self.methods}.items():
            if (id(function) not in responding or roles.get(id(function)) is not None or name in handlers
                    or name in self.passed or name in self.passed_text):
                continue
            method = name in self.methods
            positional = len(function.params.posonly_params) + len(function.params.params) - (1 if method else 0)
            for position, param in enumerate(_arguments(function, method)):
                slot = (position if position < positional else None, param.name.value)
                annotation = param.annotation.annotation if param.annotation is not None else None
                qualified = self.qualify(annotation) if annotation is not None else None
                if annotation is None or qualified in BROAD:
                    leaks = self._supposed_leaks(function, {param.name.value: "exception"}, {})
                    if leaks:
                        paths.helper_leaks.setdefault(name, []).append((slot, leaks))
                if annotation is None or qualified == "builtins.str" or qualified in UNTYPED:
                    # Given the text of one (`message: str`).
                    leaks = self._supposed_leaks(function, {}, {param.name.value: Detail(param.name.value)})
                    if leaks:
                        paths.helper_text_leaks.setdefault(name, []).append((slot, leaks))

    def _supposed_leaks(self, function: cst.FunctionDef, exceptions: dict[str, str],
                        details: dict[str, Detail]) -> list[Leak]:
        """The leaks of a function walked as if a caller handed it these exceptions or texts."""
        paths = self.paths
        marks = (len(paths.leaks), len(paths.http_exceptions), len(paths.returns))
        walk = Walk(self, function, None, exceptions, supposed=True)
        walk.details.update(details)
        walk.run()
        leaks = paths.leaks[marks[0]:]
        del paths.leaks[marks[0]:], paths.http_exceptions[marks[1]:], paths.returns[marks[2]:]
        return leaks


class _Helpers(Mapping[str, frozenset]):
    """Functions of the module that return the detail of an argument, by name -> the argument
    slots; each function is looked at when a call of it is first met."""

    def __init__(self, builder: Builder) -> None:
        self.builder = weakref.proxy(builder)  # the builder owns its helpers
        self._slots: dict[str, frozenset] = {}

    def _of(self, name: str) -> frozenset:
        if name not in self._slots:
            function = self.builder.top_level.get(name)
            self._slots[name] = returns_detail_of(function, self.builder.qualify, self.builder.module) if (
                function is not None) else frozenset()
        return self._slots[name]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and bool(self._of(name))

    def __getitem__(self, name: str) -> frozenset:
        slots = self._of(name)
        if not slots:
            raise KeyError(name)
        return slots

    def __iter__(self) -> Iterator[str]:
        return iter(name for name in self.builder.top_level if self._of(name))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _class_methods(tree: cst.Module) -> dict[str, cst.FunctionDef]:
    """`Class.method` -> the method, for each class the module defines at its top level."""
    return {f"{node.name.value}.{method.name.value}": method
            for node in tree.body if isinstance(node, cst.ClassDef) for method in _methods(node)}


def _methods(cls: cst.ClassDef) -> Iterator[cst.FunctionDef]:
    """A class's methods called on its instances, whose first parameter the call fills itself:
    `self`, or `cls` of a class method (`self.error_response(500, message)`); not static methods."""
    body = cls.body
    for node in body.body if isinstance(body, cst.IndentedBlock) else ():
        if isinstance(node, cst.FunctionDef) and not any(
                isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod" for d in node.decorators):
            yield node


def _instance_methods(tree: cst.Module) -> dict[str, cst.FunctionDef]:
    """`name.method` -> the method, for each module-level `name = Class(...)` of a class the module
    defines."""
    classes = {node.name.value: node for node in tree.body if isinstance(node, cst.ClassDef)}
    found = {}
    for statement in tree.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if not (isinstance(small, cst.Assign) and len(small.targets) == 1
                    and isinstance(target := small.targets[0].target, cst.Name) and isinstance(small.value, cst.Call)
                    and isinstance(small.value.func, cst.Name) and small.value.func.value in classes):
                continue
            for method in _methods(classes[small.value.func.value]):
                found[f"{target.value}.{method.name.value}"] = method
    return found


def _socket_holders(tree: cst.Module, qualify: Callable[[cst.BaseExpression], str | None]) -> dict[int, frozenset[str]]:
    """Each method of a module-level class keeping websockets -> the attributes that keep them."""
    found = {}
    for node in tree.body:
        if isinstance(node, cst.ClassDef) and (held := held_sockets(node, qualify)):
            found.update((id(method), held) for method in _methods(node))
    return found


def _arguments(function: cst.FunctionDef, method: bool) -> list[cst.Param]:
    """The parameters a call's arguments fill: a method's without `self`."""
    params = params_of(function)
    return params[1:] if method else params


def _parameter(params: Sequence[cst.Param], slot: int | str) -> str | None:
    """The name of the parameter an argument slot (a position or a keyword) fills."""
    if isinstance(slot, str):
        return slot if any(p.name.value == slot for p in params) else None
    return params[slot].name.value if slot < len(params) else None


def _catches_named(function: cst.FunctionDef) -> bool:
    """Whether a function's own statements catch an exception under a name (`except X as e:`)."""
    stack: list[cst.CSTNode] = [function.body]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.BaseExpression, cst.BaseSmallStatement)):
            continue
        if isinstance(node, cst.ExceptHandler) and node.name is not None:
            return True
        push_children(node, stack)
    return False


def error_paths(context: FileContext) -> ErrorPaths:
    """The `ErrorPaths` of the file being walked, computed once for every rule that asks."""
    found = context.shared.get(SHARED_KEY)
    if found is None:
        found = context.shared[SHARED_KEY] = Builder(context).build()
    return found
