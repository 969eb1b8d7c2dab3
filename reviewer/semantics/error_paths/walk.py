"""`Walk`: follows one function of a module, statement by statement, binding caught exceptions and
their detail and recording where they enter a response."""

from __future__ import annotations

import functools
import weakref
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.semantics.error_paths.admin import admin_gate, admin_only
from reviewer.semantics.error_paths.bodies import encoded_display
from reviewer.semantics.error_paths.failures import calls_nothing, only_builds_stream, raises_only_own
from reviewer.semantics.error_paths.held_bodies import HeldBodies
from reviewer.semantics.error_paths.outcomes import failed_responses, failed_results, task_result
from reviewer.semantics.error_paths.parsing import computed_by, only_validates, parsed_by, summarised_callees
from reviewer.semantics.error_paths.reach import Branches
from reviewer.semantics.error_paths.records import (
    CLIENT_ERRORS,
    HTTP_EXCEPTION_SINK,
    HTTP_EXCEPTIONS,
    REDIRECT_RESPONSES,
    RESPONSE_CLASSES,
    RESPONSE_SINKS,
    WEBSOCKET_EXCEPTIONS,
    WEBSOCKET_SENDS,
    HandedText,
    HttpExceptionSite,
    Leak,
    ReturnSite,
    TextCall,
    asgi_body,
    asgi_sends,
    status_value,
    template_context,
)
from reviewer.semantics.error_paths.returned_detail import carried_as_value
from reviewer.semantics.error_paths.route_results import RouteResults
from reviewer.semantics.error_paths.sockets import socket_names
from reviewer.semantics.error_paths.syntax import (
    annotated_as,
    calls_in,
    checks_signature,
    ends_with,
    is_generator,
    put_into,
    uses,
)
from reviewer.semantics.error_paths.unreachable import Preceding
from reviewer.semantics.exceptions import (
    BROAD,
    INPUT,
    INTERNAL,
    LOOKUP_BUILTINS,
    OWN,
    REFUSAL_BUILTINS,
    Detail,
    DetailOf,
    caught_origin,
    entered,
    exception_origin,
    named_classes,
)
from reviewer.semantics.fastapi.annotations import marker_of, type_ref
from reviewer.semantics.fastapi.records import ANNOTATED, UPLOAD_FILE_TYPES, WEBSOCKET_TYPES
from reviewer.semantics.log_calls import is_log_call
from reviewer.semantics.names import dotted_name
from reviewer.syntax import argument, keyword, params_of
from reviewer.traversal import descendants, push_children

if TYPE_CHECKING:
    from reviewer.semantics.error_paths.builder import Builder

_CATCH_ALL = ((INTERNAL, "Exception"), (INTERNAL, "BaseException"))


class Walk:
    """Follows one function."""

    def __init__(self, paths: Builder, function: cst.FunctionDef, role: str | None,
                 exceptions: dict[str, str], owner: str | None = None, *, supposed: bool = False,
                 as_written: bool = False) -> None:
        self.b = paths
        self.function = function
        self.qualify = paths.context.resolver.qualify_in(function)  # with the imports it makes itself
        self.name = function.name.value
        self.owner = owner or self.name  # its dotted name in the module: `Reports.build`
        # Its exceptions are supposed, for a caller that may hand it one: what it hands on is no fact.
        self.supposed = supposed
        # It is walked with only the exceptions it catches itself: the detail of one it returns is
        # a fact of the function, for the routes that return what it returns.
        self.as_written = as_written and not exceptions
        self.role = role
        self.exceptions = dict(exceptions)
        # Exceptions caught around a block that only parses the client's data -> the functions that
        # holds for only if they parse too (`DetailOf.parsing`).
        self.parsing: dict[str, tuple[str, ...]] = {}
        # Exceptions caught around a block that otherwise computes -> the repository's functions it
        # hands its values to (`DetailOf.computing`).
        self.computing: dict[str, tuple[str, ...]] = {}
        self.lookups: set[str] = set()  # names bound to a caught builtin lookup error (`Detail.lookup`)
        self.refusals: set[str] = set()  # names bound to a `RuntimeError` caught by name (`Detail.refusal`)
        # (origin, class as written, name bound to the exception) of the `except` blocks it is in
        self.handling: list[tuple[str, str, str | None]] = []
        # Names an `except` block binds to what the function may return later (`body = {"error": ...}`
        # then `return body` after the `try`), with that block's facts for the return.
        self.held = HeldBodies(function, self.qualify)
        self.phrases: dict[str, tuple[str, ...]] = {}  # exceptions whose text the code found phrases in
        self.details: dict[str, Detail] = {}
        # Where detail first entered the value a name holds, and the statement that put it there
        # (`errors.append({"row": idx, "error": str(exc)})` before `return {"errors": errors}`):
        # where it enters what the function sends.
        self.filled: dict[str, tuple[cst.BaseExpression, cst.CSTNode]] = {}
        self.task_results: set[str] = set()  # names bound to a task queue's result (`AsyncResult(task_id)`)
        self.failed_results: set[str] = set()  # those the branches the walk is in found failed
        self.failed_responses: set[str] = set()  # HTTP responses the branches the walk is in found failed
        self.websockets = self._params_of_type(WEBSOCKET_TYPES)
        self.asgi_sends = asgi_sends(function, self.qualify)  # `send` of an ASGI middleware's `__call__`
        held = paths.socket_holders.get(id(function))
        if held:
            self.websockets |= socket_names(function, held)  # `for connection in self.active_connections:`
            params = params_of(function)
            if params:  # the attribute itself: `self._websocket.send_json(...)`
                self.websockets |= {f"{params[0].name.value}.{attribute}" for attribute in held}
        self.uploads = self._params_of_type(UPLOAD_FILE_TYPES)  # files the client sent
        self.results = RouteResults(self.owner, self.qualify, weakref.WeakMethod(self._callee), self.websockets,
                                    paths.paths.returned_calls)
        self.streams_to = paths.streamed.get(self.name)  # what streams what it yields to the client
        self.error_returns = 0
        self.other_returns = 0
        self.value_returns = 0
        self.guards = 0  # how many `if x is None:`/`if not x:` branches the walk is in
        # How many branches of an `if` with no `else` that leave the function the walk is in: an
        # early answer before the route's own (`if item.owner_id != user.id: return ...`).
        self.early_exits = 0
        self.import_fallbacks = 0  # how many `except ImportError:` blocks the walk is in
        self.signature_checked = False  # a statement before, in source order, verified a signature
        self.administrators_only = False  # past `if not user.is_superuser: raise ...` in its block
        self.preceding = Preceding(function)  # for `if x is None:` after `x.attribute` was read
        # A statement of it builds an `HTTPException` or a response, or sends on a websocket.
        self.builds_response = False
        self.branches = Branches(paths, function)
        # A coroutine waits on its I/O: a block of it without `await` only computes. A plain
        # function blocks on its I/O, also in a module of coroutines (`httpx.get(...)` in a helper).
        self.no_io_unless_awaited = function.asynchronous is not None

    def _generators(self, name: str) -> bool:
        """Whether a name is a generator function of the module, or one defined in the function."""
        function = self.b.top_level.get(name) or next(
            (node for node in descendants(self.function.body) if isinstance(node, cst.FunctionDef)
             and node.name.value == name), None)
        return function is not None and is_generator(function)

    def _params_of_type(self, types: frozenset[str]) -> set[str]:
        return {p.name.value for p in params_of(self.function) if annotated_as(p, self.qualify) in types}

    def _sets_status(self, target: cst.BaseAssignTargetExpression, value: cst.BaseExpression) -> bool:
        """`response.status_code = ...` with a value that may be an error status (not `= 200`)."""
        if not (isinstance(target, cst.Attribute) and target.attr.value == "status_code"):
            return False
        status = status_value(value, self.qualify)
        return status is None or status >= 400

    def _names_exception(self, annotation: cst.BaseExpression) -> bool:
        """An annotation of an exception class (`HTTPException`, `Exception`, `AppError`), or of
        one that may be None (`HTTPException | None`, `Optional[HTTPException]`)."""
        annotated = type_ref(annotation, self.qualify)
        if annotated.kind == "union":
            members = [member for member in annotated.args if member.kind != "none"]
            annotated = members[0] if len(members) == 1 else annotated
        name = (annotated.name or "") if annotated.kind == "name" else ""
        return name in HTTP_EXCEPTIONS or name in BROAD or name.endswith(("Exception", "Error"))

    def _is_http_exception(self, value: cst.BaseExpression) -> bool:
        return isinstance(value, cst.Call) and self.qualify(value.func) in HTTP_EXCEPTIONS

    def finish(self, first_site: int) -> None:
        """Mark the exceptions this function returns as results, not as a factory's product: a
        helper that returns other values too, unless it is declared to return an exception
        (`def translate(exc: Exception) -> HTTPException:`, whose `return exc` hands one back;
        also `-> Exception`, `-> HTTPException | None`: callers raise what it gives)."""
        returns = self.function.returns
        if self.role is None and (not self.value_returns or returns is not None and self._names_exception(
                returns.annotation)):
            return
        sites = self.b.paths.http_exceptions
        for index in range(first_site, len(sites)):
            if sites[index].returned and sites[index].function == self.name:
                sites[index] = replace(sites[index], returned_as_result=True)

    @functools.cached_property
    def admin_only(self) -> bool:
        return (self.role == "route" and admin_only(self.function, self.b.admin_routers, self.qualify)
                or self.name in self.b.admin_registered)

    @functools.cached_property
    def injected(self) -> set[str]:
        """Parameters FastAPI injects (`db: Session = Depends(get_db)`): sessions, clients, services."""
        return {
            p.name.value for p in params_of(self.function)
            if p.default is not None and self._is_dependency(p.default)
            or p.annotation is not None and self._is_dependency(p.annotation.annotation)
        }

    def _is_dependency(self, node: cst.BaseExpression) -> bool:
        """`Depends(get_db)`, `Annotated[Session, Depends(get_db)]`, `Security(...)`."""
        return any((marker := marker_of(call, self.qualify)) is not None and marker.injects
                   for call in calls_in(node))

    def detail(self) -> DetailOf:
        return DetailOf(self.qualify, self.b.module, self.exceptions, self.details, self.b.helpers, self.b.source,
                        self.parsing, self.phrases, frozenset(self.task_results),
                        frozenset(self.failed_results), self.computing, frozenset(self.failed_responses),
                        frozenset(self.lookups), frozenset(self.refusals))

    def run(self) -> None:
        if self.role == "route":
            self.branches.dependencies()
        body = self.function.body
        if isinstance(body, cst.IndentedBlock):
            self.block(body.body, in_except=False, status_set=False)
        else:
            self.simple(body, body.body, in_except=False, status_set=[False])

    def _recognise(self, test: cst.BaseExpression) -> tuple[dict[str, tuple], dict[str, Detail]]:
        """Note, for the branch a test opens, the exceptions and detail whose text it finds phrases
        in (`if "not found" in str(e):`); what to restore after the branch."""
        if not (self.exceptions or self.details):
            return {}, {}
        names, phrases = self.detail().recognised(test)
        exceptions = {name: self.phrases.get(name, ()) for name in names if name in self.exceptions}
        self.phrases.update({name: phrases for name in exceptions})
        details = {name: self.details[name] for name in names if name in self.details}
        for name, value in details.items():
            self.details[name] = replace(value, phrases=phrases)
        return exceptions, details

    def block(self, statements: Sequence[cst.BaseStatement], *, in_except: bool, status_set: bool) -> None:
        state = [status_set]
        mark = self.branches.mark()
        administrators_only = self.administrators_only
        self.preceding.enter(statements)
        for index, statement in enumerate(statements):
            if isinstance(statement, cst.SimpleStatementLine):
                self.simple(statement, statement.body, in_except=in_except, status_set=state)
            else:
                self.preceding.at(index)
                self.compound(statement, in_except=in_except, status_set=state[0])
                if admin_gate(statement, self.branches.is_local):
                    self.administrators_only = True
        self.preceding.leave()
        self.branches.restore(mark)
        self.administrators_only = administrators_only

    def suite(self, suite: cst.BaseSuite | None, *, in_except: bool, status_set: bool) -> None:
        if suite is None:
            return
        if isinstance(suite, cst.IndentedBlock):
            self.block(suite.body, in_except=in_except, status_set=status_set)
        elif isinstance(suite, cst.SimpleStatementSuite):
            mark = self.branches.mark()
            self.simple(suite, suite.body, in_except=in_except, status_set=[status_set])
            self.branches.restore(mark)

    def compound(self, statement: cst.BaseStatement, *, in_except: bool, status_set: bool) -> None:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            if isinstance(statement, cst.FunctionDef) and self.branches.entries:
                self.b.defined_under[id(statement)] = self.branches.conditions()
            return
        if isinstance(statement, (cst.Try, cst.TryStar)):
            self.suite(statement.body, in_except=in_except, status_set=status_set)
            for handler in statement.handlers:
                bound = handler.name.name.value if handler.name is not None and isinstance(
                    handler.name.name, cst.Name) else None
                origin, written = caught_origin(handler.type, self.qualify, self.b.module)
                # The classes the clause names, qualified; None for a bare `except:`.
                classes = [self.qualify(member) for member in named_classes(handler.type)] if (
                    handler.type is not None) else None
                lookup = origin == INPUT and bound is not None and classes is not None and all(
                    name in LOOKUP_BUILTINS for name in classes)
                if lookup:
                    origin = INTERNAL  # its key may be the server's: `leak` asks the status sent
                refusal = bound is not None and classes is not None and _refusal(classes, self.b.module)
                if origin == INTERNAL and written in ("Exception", "BaseException"):
                    if raises_only_own(statement.body, self.qualify, self.b.module, self.b.top_level) or (
                            self.b.streamed and only_builds_stream(statement.body, self.qualify, self._generators)
                            or calls_nothing(statement.body)):
                        origin = OWN
                    elif only_validates(statement.body, self.qualify):
                        origin = INPUT  # a validation error: it describes the data validated
                previous = self.exceptions.get(bound) if bound else None
                if bound:
                    if origin == INTERNAL:
                        self.exceptions[bound] = written
                    else:
                        self.exceptions.pop(bound, None)
                    if lookup:
                        self.lookups.add(bound)
                    else:
                        self.lookups.discard(bound)
                    if refusal:
                        self.refusals.add(bound)
                    else:
                        self.refusals.discard(bound)
                    self.details.pop(bound, None)
                    self.filled.pop(bound, None)
                    if origin == INTERNAL and written in ("Exception", "BaseException"):
                        parsers = parsed_by(statement.body, self.qualify, self.uploads, self.injected,
                                            self.no_io_unless_awaited)
                        if parsers is not None:
                            self.parsing[bound] = parsers
                    if origin == INTERNAL:
                        handed = computed_by(statement.body, self.qualify, self._summarised_callee)
                        if handed:
                            self.computing[bound] = handed
                self.handling.append((origin, written, bound))
                before = set(self.exceptions)
                built = dict(self.held.built)
                held, filled = dict(self.details), dict(self.filled)
                fallback = classes is not None and all(name in _IMPORT_ERRORS for name in classes)
                self.import_fallbacks += fallback
                self.suite(handler.body, in_except=True, status_set=status_set)
                self.import_fallbacks -= fallback
                self.handling.pop()
                if ends_with(handler.body, "raise", "return"):
                    # What it bound is not returned after the `try`, nor does the detail it put in
                    # a name (`message = f"failed: {e}"` before `raise HTTPException(...)`) get there.
                    self.held.built = built
                    self.details, self.filled = held, filled
                for name in set(self.exceptions) - before:  # bound from `sys.exc_info()` in the block
                    del self.exceptions[name]
                if bound:
                    self.exceptions.pop(bound, None)
                    self.lookups.discard(bound)
                    self.refusals.discard(bound)
                    self.parsing.pop(bound, None)
                    self.computing.pop(bound, None)
                    if previous is not None:
                        self.exceptions[bound] = previous
            if statement.orelse is not None:
                built = dict(self.held.built)
                self.suite(statement.orelse.body, in_except=in_except, status_set=status_set)
                # It runs when no handler did: a name it binds again (`else: error = None`) still
                # holds, after the `try`, what a handler built on the other way.
                for name, held in built.items():
                    self.held.built.setdefault(name, held)
            if statement.finalbody is not None:
                self.suite(statement.finalbody.body, in_except=in_except, status_set=status_set)
            return
        if isinstance(statement, cst.If):
            test = statement.test
            if (isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)
                    and statement.orelse is None and ends_with(statement.body, "raise", "return")):
                for name in self.detail().narrowed(test.expression):  # `if not isinstance(e, X): raise`
                    self.exceptions.pop(name, None)
            narrowed = {name: self.exceptions.pop(name) for name in self.detail().narrowed(test)}
            recognised = self._recognise(test)
            guard = _is_missing_check(test)
            # An answer before the route's own: the route goes on after the branch.
            early = statement.orelse is None and ends_with(statement.body, "return") and not self.preceding.last_step()
            self.guards += guard
            self.early_exits += early
            self.branches.test(test, True)
            failed = failed_results(test, self.task_results) - self.failed_results
            self.failed_results |= failed
            responses = failed_responses(test) - self.failed_responses
            self.failed_responses |= responses
            if not (guard and self.preceding.never_none(test)):
                self.suite(statement.body, in_except=in_except, status_set=status_set)
            self.failed_results -= failed
            self.failed_responses -= responses
            self.branches.entries.pop()
            self.guards -= guard
            self.early_exits -= early
            self.exceptions.update(narrowed)
            self.phrases.update(recognised[0])
            self.details.update(recognised[1])
            leaves = ends_with(statement.body, "raise", "return")
            if self.role == "route" and leaves and checks_signature(test, answers=True):
                self.signature_checked = True  # `if not hmac.compare_digest(...): raise ...`
            orelse = statement.orelse
            if orelse is not None:
                self.branches.test(test, False)
                if isinstance(orelse, cst.If):
                    self.compound(orelse, in_except=in_except, status_set=status_set)
                else:
                    self.suite(orelse.body, in_except=in_except, status_set=status_set)
                self.branches.entries.pop()
            elif leaves:
                self.branches.test(test, False)  # the rest of the block runs when the test fails
            return
        if isinstance(statement, cst.With):
            self.suite(statement.body, in_except=in_except, status_set=status_set)
            return
        if isinstance(statement, (cst.For, cst.While)):
            self.suite(statement.body, in_except=in_except, status_set=status_set)
            if statement.orelse is not None:
                self.suite(statement.orelse.body, in_except=in_except, status_set=status_set)
            return
        if isinstance(statement, cst.Match):
            for case in statement.cases:
                self.suite(case.body, in_except=in_except, status_set=status_set)

    def simple(self, statement: cst.CSTNode, smalls: Sequence[cst.BaseSmallStatement], *, in_except: bool,
               status_set: list[bool]) -> None:
        for small in smalls:
            if self.role == "route" and not in_except and isinstance(small, (cst.Assign, cst.AnnAssign, cst.Expr)) and (
                    checks_signature(small, answers=False)):
                self.signature_checked = True
            if isinstance(small, cst.Expr):
                self.branches.passes(small.value)
            if self.handling and isinstance(small, cst.Assign) and self.handling[-1][0] == INTERNAL:
                for name in _bound_to_handled(small, self.qualify):
                    self.exceptions[name] = self.handling[-1][1]
            if self.role is not None and isinstance(small, (cst.Assign, cst.AnnAssign)):
                self.held.note(small, in_except, status_set, self._handled_in_except)
            if self.role == "route" and isinstance(small, (cst.Assign, cst.AnnAssign)):
                self.results.bind(small)
            if self.results.bound and not (self.admin_only or self.administrators_only):
                self.results.note_sent(small)
                if self.role == "route":
                    self.results.note_put(small)
            if isinstance(small, cst.Assign) and task_result(small.value, self.qualify):
                self.task_results.update(t.target.value for t in small.targets if isinstance(t.target, cst.Name))
            if not (self.exceptions or self.details or self.task_results or self.failed_responses
                    or in_except and self.b.traceback):
                self.plain(small, statement, in_except=in_except, status_set=status_set)
                continue
            detail = self.detail()
            if isinstance(small, cst.Assert):
                for name in detail.narrowed(small.test):
                    self.exceptions.pop(name, None)
            self.sinks(small, statement, detail)
            if isinstance(small, cst.Assign):
                value = detail.of(small.value)
                for target in small.targets:
                    self.bind(target.target, value, small.value, statement, detail)
                    if self._sets_status(target.target, small.value):
                        status_set[0] = True
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                self.bind(small.target, detail.of(small.value), small.value, statement, detail)
            elif isinstance(small, cst.AugAssign):
                value = detail.of(small.value)
                if value is not None and isinstance(small.target, cst.Name):
                    self.add_detail(small.target.value, value, small.value, statement, detail)
            elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                containers, values = put_into(small)  # `errors.append(...)`
                for put in values:
                    if (value := detail.of(put)) is not None:
                        self.add_detail(containers[0], value, put, statement, detail)
                self.pass_exception(small.value, detail, statement)
            elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Await) and isinstance(
                    small.value.expression, cst.Call):
                # `await manager.send_message(str(e), ws)`
                self.pass_exception(small.value.expression, detail, statement)
            elif isinstance(small, cst.Return):
                self.on_return(small, statement, detail, in_except=in_except, status_set=status_set[0])
            if isinstance(small, (cst.Assign, cst.Return, cst.Raise, cst.AnnAssign)):
                value = getattr(small, "value", None) or getattr(small, "exc", None)
                for call in calls_in(value) if value is not None else ():
                    self.pass_exception(call, detail, statement)

    def plain(self, small: cst.BaseSmallStatement, statement: cst.CSTNode, *, in_except: bool,
              status_set: list[bool]) -> None:
        """A statement where no exception detail can be (no caught exception or its detail is
        bound): only the statuses and exceptions it builds and what it returns matter."""
        value = None
        if isinstance(small, cst.Assign):
            value = small.value
            for target in small.targets:
                if self._sets_status(target.target, value):
                    status_set[0] = True
                elif isinstance(target.target, cst.Name) and self._is_http_exception(value):
                    self.b.built_exceptions[(self.name, target.target.value)] = value
        elif isinstance(small, cst.Raise):
            value = small.exc
        elif isinstance(small, (cst.Return, cst.Expr)):
            value = small.value
        call = value.expression if isinstance(value, cst.Await) else value
        name = self.qualify(call.func) if isinstance(call, cst.Call) else None
        if name in RESPONSE_SINKS or isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and (
                call.func.attr.value in WEBSOCKET_SENDS):
            self.builds_response = True
        if name in HTTP_EXCEPTIONS:
            status = argument(value, 0, "status_code")
            returned = isinstance(small, cst.Return)
            self.b.paths.http_exceptions.append(
                HttpExceptionSite(value, statement, status_value(status.value if status else None, self.qualify),
                                  returned, self.name, value if returned else None))
        if isinstance(small, cst.Return):
            self.on_return(small, statement, None, in_except=in_except, status_set=status_set[0])

    def bind(self, target: cst.BaseExpression, value: Detail | None, source: cst.BaseExpression,
             statement: cst.CSTNode, detail: DetailOf) -> None:
        if isinstance(target, cst.Name):
            self.filled.pop(target.value, None)
            if value is None:
                self.details.pop(target.value, None)
            else:
                self.details[target.value] = self._gated(source, value, detail)
                body = encoded_display(source, self.qualify)
                if body is not None:  # `body = json.dumps({"message": str(exc)})`: it enters the body here
                    self.filled[target.value] = (entered(body, detail), statement)
            if isinstance(source, cst.Call) and self.qualify(source.func) in HTTP_EXCEPTIONS:
                self.b.built_exceptions[(self.name, target.value)] = source
        elif isinstance(target, cst.Subscript) and value is not None:
            root = target.value
            if isinstance(root, cst.Name):
                self.add_detail(root.value, value, source, statement, detail)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self.bind(element.value, None, source, statement, detail)

    def add_detail(self, name: str, value: Detail, source: cst.BaseExpression, statement: cst.CSTNode,
                   detail: DetailOf) -> None:
        """Note detail put, by `source` in `statement`, into the value a name holds (`body["error"] =
        str(e)`, `errors.append(...)`), which keeps any it held on every way to here."""
        held = self.details.get(name)
        if held is None or held.conditions:
            self.details[name] = self._under_branches(value)
            self.filled[name] = (entered(source, detail), statement)

    def _gated(self, source: cst.BaseExpression, value: Detail, detail: DetailOf) -> Detail:
        """The detail a value carries under the branches it is in, and, for a conditional expression
        that carries it on one side only (`repr(exc) if settings.debug else "internal error"`),
        under that side's test too, as a branch of an `if` would put it."""
        side = _one_side(source, detail)
        if side is None:
            return self._under_branches(value)
        mark = self.branches.mark()
        self.branches.test(source.test, side[1])
        gated = self._under_branches(detail.of(side[0]))
        self.branches.restore(mark)
        return gated

    def _under_branches(self, value: Detail) -> Detail:
        """The detail, with the tests of the branches it is put in a value under."""
        if not self.branches.entries:
            return value
        return replace(value, conditions=value.conditions + self.branches.conditions())

    def pass_exception(self, call: cst.Call, detail: DetailOf, statement: cst.CSTNode) -> None:
        """Note a call handing a caught exception, or its text, to a function of this module, or to
        one that another module may define (`errors.to_http(e)`, `responses.failure(str(e))`, for
        the repository to pair)."""
        if self.supposed:
            return
        handed: dict[int | str, str] = {}
        texts: dict[int | str, tuple[Detail, cst.BaseExpression]] = {}
        for position, arg in enumerate(call.args):
            if arg.star:
                continue
            slot = arg.keyword.value if arg.keyword is not None else position
            if isinstance(arg.value, cst.Name) and arg.value.value in self.lookups:
                continue  # what the function does with a lookup error's key, its status decides
            if isinstance(arg.value, cst.Name) and arg.value.value in self.exceptions:
                handed[slot] = self.exceptions[arg.value.value]
            elif (found := detail.of(arg.value)) is not None and not found.lookup:
                texts[slot] = found, arg.value
        if not (handed or texts):
            return
        local = dotted_name(call.func)  # `to_http`, or `manager.send_message` of a module instance
        method = self._class_method(call.func)  # `self.fail(e)`, `reporter.to_response(e)`
        if method is not None:
            local = method
        elif f"{self.owner}.{local}" in self.b.nested_streams:
            local = f"{self.owner}.{local}"  # a generator the function defines and streams
        if (local in self.b.top_level or local in self.b.instance_methods or local in self.b.nested_streams
                or method is not None):
            self.b.passed.setdefault(local, {}).update(handed)
            if texts and not (self.admin_only or self.administrators_only):
                slots = self.b.passed_text.setdefault(local, {})
                conditions = self.branches.conditions()
                for slot, (found, value) in texts.items():
                    slots.setdefault(slot, []).append(TextCall(found, entered(value, detail), statement, self.name,
                                                               self.owner, conditions + found.conditions))
        elif isinstance(call.func, (cst.Name, cst.Attribute)) and (
                qualified := self.qualify(call.func) or self._typed_method(call.func)):
            if handed:
                self.b.paths.passed_elsewhere.setdefault(qualified, {}).update(handed)
            if texts and qualified not in RESPONSE_SINKS and not qualified.startswith("builtins.") and not (
                    is_log_call(call, self.qualify) or self.admin_only or self.administrators_only):
                slots = self.b.paths.passed_text_elsewhere.setdefault(qualified, {})
                context = self.b.context
                lines, conditions = context.statement_lines(statement), self.branches.conditions()
                status = keyword(call, "status_code")
                status = status_value(status.value, self.qualify) if status is not None else None
                for slot, (found, value) in texts.items():
                    slots.setdefault(slot, []).append(HandedText(
                        found.what, context.span(entered(value, detail), statement), lines, self.owner,
                        found.traceback, conditions + found.conditions, found.computed_by, found.parsing, status))

    def _annotation_of(self, name: str) -> cst.BaseExpression | None:
        """The annotation of the function's parameter `name`, if it has one: its type, for
        `Annotated[ErrorReporter, Depends()]`."""
        annotation = next((param.annotation.annotation for param in params_of(self.function)
                           if param.name.value == name and param.annotation is not None), None)
        if isinstance(annotation, cst.Subscript) and annotation.slice and self.qualify(
                annotation.value) in ANNOTATED and isinstance(first := annotation.slice[0].slice, cst.Index):
            return first.value
        return annotation

    def _typed_method(self, func: cst.Attribute | cst.Name) -> str | None:
        """`errors.ErrorReporter.to_response` for `reporter.to_response` with a parameter
        `reporter: ErrorReporter` of a class another module defines."""
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)):
            return None
        annotation = self._annotation_of(func.value.value)
        cls = self.qualify(annotation) if isinstance(annotation, (cst.Name, cst.Attribute)) else None
        return f"{cls}.{func.attr.value}" if cls and not cls.startswith("builtins.") else None

    def _callee(self, func: cst.Name | cst.Attribute) -> str | None:
        """The function a call of the function runs, qualified: a method of a class of its module
        (`self.build(...)`, `service.build(...)`), of a class a parameter is annotated with, or
        what the imports name."""
        method = self._class_method(func)
        return f"{self.b.module}.{method}" if method is not None else self._typed_method(func) or self.qualify(func)

    @functools.cached_property
    def _summarised_callee(self) -> Callable[[cst.Call], str | None]:
        return summarised_callees(
            self.b.context.summary.functions.get(".".join(p for p in (self.b.module, self.owner) if p)))

    def _class_method(self, func: cst.BaseExpression) -> str | None:
        """`Class.method` of the module a call runs: a method called on `self` in a method of the
        class, or on a parameter annotated with it."""
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)):
            return None
        receiver = func.value.value
        if receiver == "self" and "." in self.owner:
            cls = self.owner.split(".", 1)[0]  # also from a function nested in one of its methods
        else:
            annotation = self._annotation_of(receiver)
            cls = dotted_name(annotation) if annotation is not None else None
        key = f"{cls}.{func.attr.value}" if cls else None
        return key if key in self.b.class_methods else None

    @functools.cached_property
    def responses(self) -> set[str]:
        """Names holding a response the function sends: a parameter `response: Response`, or a name
        bound to a response it builds (`response = RedirectResponse("/account")`)."""
        names = self._params_of_type(RESPONSE_CLASSES)
        stack: list[cst.CSTNode] = [self.function.body]
        while stack:
            node = stack.pop()
            if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                continue
            if (isinstance(node, cst.Assign) and len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name)
                    and isinstance(node.value, cst.Call)
                    and self.qualify(node.value.func) in RESPONSE_CLASSES | REDIRECT_RESPONSES):
                names.add(node.targets[0].target.value)
            push_children(node, stack)
        return names

    def _response_attribute(self, node: cst.BaseExpression, attribute: str) -> str | None:
        """The name of a response whose `attribute` a node is (`response.headers`, `response.set_cookie`)."""
        if (isinstance(node, cst.Attribute) and node.attr.value == attribute and isinstance(node.value, cst.Name)
                and node.value.value in self.responses):
            return node.value.value
        return None

    def sinks(self, small: cst.CSTNode, statement: cst.CSTNode, detail: DetailOf) -> None:
        if self.streams_to and isinstance(small, cst.Expr) and isinstance(small.value, cst.Yield):
            value = small.value.value
            if isinstance(value, cst.BaseExpression):  # not `yield from`
                self.leak(value, statement, detail, f"the stream of `{self.streams_to}`")
        if isinstance(small, cst.Assign):
            for target in small.targets:
                # `response.headers["X-Error"] = str(e)`
                held = self._response_attribute(target.target.value, "headers") if isinstance(
                    target.target, cst.Subscript) else None
                if held is not None:
                    self.leak(small.value, statement, detail, f"the headers of `{held}`")
        for call in calls_in(small):
            name = self.qualify(call.func)
            if name in HTTP_EXCEPTIONS:
                status = argument(call, 0, "status_code")
                returned = isinstance(small, cst.Return) and small.value is call
                self.b.paths.http_exceptions.append(
                    HttpExceptionSite(call, statement, status_value(status.value if status else None, self.qualify),
                                      returned, self.name, call if returned else None))
                raised = isinstance(small, cst.Raise) and small.exc is call
                self.leak(argument(call, 1, "detail"), statement, detail, HTTP_EXCEPTION_SINK,
                          status.value if status else None, raised=name if raised else None)
                self.leak(argument(call, 2, "headers"), statement, detail, "the headers of `HTTPException`",
                          status.value if status else None)
            elif name in WEBSOCKET_EXCEPTIONS:
                code = argument(call, 0, "code")
                self.leak(argument(call, 1, "reason"), statement, detail, "the websocket close reason",
                          code.value if code else None)
            elif name in RESPONSE_CLASSES:
                code = argument(call, 1, "status_code")
                content = argument(call, 0, "content")
                if not self._unserialisable(content):
                    self.leak(content, statement, detail, f"the body of `{name.rsplit('.', 1)[1]}`",
                              code.value if code else None)
                self.leak(argument(call, 2, "headers"), statement, detail,
                          f"the headers of `{name.rsplit('.', 1)[1]}`", code.value if code else None)
            elif name in REDIRECT_RESPONSES:
                self.leak(argument(call, 0, "url"), statement, detail, "the URL of `RedirectResponse`")
            elif isinstance(call.func, cst.Attribute) and call.func.attr.value == "TemplateResponse":
                # Starlette's `templates.TemplateResponse(name, context)`, or `(request, name,
                # context)`: the page renders what the context holds.
                code = keyword(call, "status_code")
                self.leak(template_context(call), statement, detail, "the context of `TemplateResponse`",
                          code.value if code else None)
            elif isinstance(call.func, cst.Name) and call.func.value in self.asgi_sends:
                # `await send({"type": "http.response.body", "body": body})`
                self.leak(asgi_body(call), statement, detail, f"the body `{call.func.value}()` sends")
            elif (held := self._response_attribute(call.func, "set_cookie")) is not None:
                self.leak(argument(call, 1, "value"), statement, detail, f"a cookie `{held}` sets")
            elif (isinstance(call.func, cst.Attribute) and (socket := dotted_name(call.func.value)) is not None
                  and socket in self.websockets):
                method = call.func.attr.value
                data = argument(call, 0, "data")
                if method in WEBSOCKET_SENDS and not (method == "send_json" and self._unserialisable(data)):
                    self.leak(data, statement, detail, f"`{socket}.{method}()`")
                elif method == "close":
                    code = argument(call, 0, "code")
                    self.leak(keyword(call, "reason"), statement, detail, "the websocket close reason",
                              code.value if code else None)

    def _unserialisable(self, arg: cst.Arg | None) -> bool:
        """Whether a body written as a dict or list holds a caught exception itself (`{"message":
        e, "full_text": str(e)}`): serialising it to JSON fails, and nothing of it is sent."""
        stack: list[cst.BaseExpression] = [arg.value] if arg is not None else []
        while stack:
            value = stack.pop()
            if isinstance(value, cst.Name) and value.value in self.exceptions:
                return True
            if isinstance(value, (cst.Dict, cst.List, cst.Tuple)):
                stack.extend(element.value for element in value.elements
                             if isinstance(element, (cst.DictElement, cst.Element)))
        return False

    def leak(self, arg: cst.Arg | cst.BaseExpression | None, statement: cst.CSTNode, detail: DetailOf, sink: str,
             status: cst.BaseExpression | None = None, raised: str | None = None) -> None:
        value = arg.value if isinstance(arg, cst.Arg) else arg
        if value is None or self.admin_only or self.administrators_only:
            return
        side = _one_side(value, detail)
        if side is not None:
            mark = self.branches.mark()
            self.branches.test(value.test, side[1])
            self.leak(side[0], statement, detail, sink, status, raised)
            self.branches.restore(mark)
            return
        found = detail.of(value)
        client_error = found is not None and status_value(status, self.qualify) in CLIENT_ERRORS
        if client_error and found.parsing:
            return  # a client error about data the block only parsed describes that data
        if found is not None and found.lookup and not (status_value(status, self.qualify) or 0) >= 500:
            return  # a key or an index looked up is the server's own only where it answers with a server error
        if client_error and found.refusal:
            return  # a refusal the application raised, answered as the client's conflict
        if found is not None and found.upstream and (client_error or self._relayed_status(status)):
            # An upstream's answer about the client's own request to it (an OAuth grant it rejected),
            # or relayed with the upstream's own status, as a proxy does.
            return
        if not client_error and found is not None and found.parsed_by:
            found = replace(found, parsed_by=())  # what the functions parse matters to a client error only
        if found is not None:
            http_status = status_value(status, self.qualify) if sink == HTTP_EXCEPTION_SINK else None
            # A client error sent where the text holds phrases the code looked for describes the
            # request if the application writes them in its own messages: the repository tells.
            phrases = found.phrases if client_error else ()
            self.b.paths.leaks.append(Leak(value, statement, found, sink, self.name, http_status,
                                           self.branches.conditions() + found.conditions, phrases, self.owner,
                                           raised, *self.entry(value, detail)))

    def _relayed_status(self, status: cst.BaseExpression | None) -> bool:
        """Whether a status sent is that of an HTTP response found failed (`resp.status_code`)."""
        return (isinstance(status, cst.Attribute) and status.attr.value in ("status_code", "status")
                and isinstance(status.value, cst.Name) and status.value.value in self.failed_responses)

    def entry(self, value: cst.BaseExpression, detail: DetailOf) -> tuple[cst.BaseExpression, cst.CSTNode | None]:
        """Where detail enters a value the function sends, and the statement there when it is not
        the one sending: the innermost element of its displays that carries it (`entered`), or,
        for a name, where a statement put detail into what the name holds (`self.filled`)."""
        inner = entered(value, detail)
        if isinstance(inner, cst.Name) and inner.value in self.filled:
            return self.filled[inner.value]
        return inner, None

    def on_return(self, node: cst.Return, statement: cst.CSTNode, detail: DetailOf | None, *, in_except: bool,
                  status_set: bool) -> None:
        value = node.value
        if value is not None and isinstance(value, cst.Name) and (self.name, value.value) in self.b.built_exceptions:
            call = self.b.built_exceptions[(self.name, value.value)]
            self.b.paths.http_exceptions.append(HttpExceptionSite(call, statement, None, True, self.name, value))
        elif value is not None and not self._is_http_exception(value):
            self.value_returns += 1
        found = detail.of(value) if detail is not None and value is not None else None
        if self.role is None:
            if value is not None and self.b.is_error_body(value):
                self.error_returns += 1
            else:
                self.other_returns += 1
            if (self.as_written and found is not None and not (found.parsing or found.lookup)
                    and _returned_as_value(value, found, self.qualify)):
                self.b.paths.returned_leaks.append(Leak(
                    value, statement, found, f"the return value of `{self.owner}`", self.name,
                    conditions=self.branches.conditions() + found.conditions, owner=self.owner,
                    entry=(entry := self.entry(value, detail))[0], entry_statement=entry[1],
                    element=_carrying_element(value, detail)))
            return
        if self.role == "route" and value is not None and not (self.admin_only or self.administrators_only):
            self.results.note_returned(value)
        # A response or exception built in the return statement is a sink of its own (`sinks`).
        if (self.role == "route" and value is not None and not (
                isinstance(value, cst.Call) and self.qualify(value.func) in RESPONSE_SINKS)
                and not (self.admin_only or self.administrators_only)):
            # What the block only parsed describes the client's data, as a validation result may.
            if found is not None and not (found.parsing or found.lookup):
                entry, entry_statement = self.entry(value, detail)
                self.b.paths.leaks.append(Leak(value, statement, found, f"the return value of route `{self.name}`",
                                               self.name, conditions=self.branches.conditions() + found.conditions,
                                               owner=self.owner, entry=entry,
                                               entry_statement=entry_statement))
        built = self.held.returned(value)
        if built is not None:
            self.b.paths.returns.append(ReturnSite(
                node, statement, self.name, self.role, True, status_set or built.status_set[0],
                catches_all=built.catches_all, carries_exception=built.carries_exception, value=built.value))
            return
        catches_all, carries = self._handled_facts(value, found, in_except=in_except)
        self.b.paths.returns.append(ReturnSite(node, statement, self.name, self.role, in_except, status_set,
                                               self.guards > 0, self.signature_checked, catches_all, carries,
                                               early_exit=self.early_exits > 0,
                                               held_status=self.held.status(value),
                                               without_module=self.import_fallbacks > 0))

    def _handled_in_except(self, value: cst.BaseExpression) -> tuple[bool, bool]:
        found = self.detail().of(value) if self.exceptions or self.details else None
        return self._handled_facts(value, found, in_except=True)

    def _handled_facts(self, value: cst.BaseExpression | None, found: Detail | None, *,
                       in_except: bool) -> tuple[bool, bool]:
        """(whether the `except` block it is in catches any exception, whether `value` carries the
        caught exception or its detail `found`)."""
        if not (in_except and self.handling):
            return False, found is not None
        origin, written, bound = self.handling[-1]
        return (origin, written) in _CATCH_ALL, found is not None or (
            bound is not None and value is not None and uses(value, {bound}))


_IMPORT_ERRORS = frozenset({"builtins.ImportError", "builtins.ModuleNotFoundError"})


def _refusal(classes: list[str | None], module: str) -> bool:
    """Whether the classes an `except` clause names (qualified) hold `RuntimeError`
    (`REFUSAL_BUILTINS`), alone or beside classes that carry no internal detail (`except
    (RuntimeError, ValueError) as e:`)."""
    return any(name in REFUSAL_BUILTINS for name in classes) and all(
        name in REFUSAL_BUILTINS or exception_origin(name, module) != INTERNAL for name in classes)


def _one_side(value: cst.BaseExpression, detail: DetailOf) -> tuple[cst.BaseExpression, bool] | None:
    """The one side of a conditional expression that carries detail, and whether its test holds
    there (`str(e) if settings.DEBUG else "Internal error"`: `str(e)`, True); None for another
    value, for one carrying it on both sides or neither, and for a test of the exception itself
    (`str(e) if isinstance(e, ValueError) else ...`, a phrase of its text)."""
    if not isinstance(value, cst.IfExp) or detail.narrowed(value.test) or detail.recognised(value.test)[0]:
        return None
    carrying = [(part, holds) for part, holds in ((value.body, True), (value.orelse, False))
                if detail.of(part) is not None]
    return carrying[0] if len(carrying) == 1 else None


def _carrying_element(value: cst.BaseExpression, detail: DetailOf) -> int | None:
    """Which element of a returned tuple carries the detail (`return None, str(e)`): a caller
    unpacking it gets the detail in that name only."""
    if not isinstance(value, cst.Tuple):
        return None
    return next((index for index, element in enumerate(value.elements) if detail.of(element.value) is not None),
                None)


def _returned_as_value(value: cst.BaseExpression, found: Detail,
                       qualify: Callable[[cst.BaseExpression], str | None]) -> bool:
    """Whether a returned value carries detail as a value its caller may send: not a response or an
    `HTTPException` the function builds (the error paths find those in the function itself)."""
    if isinstance(value, cst.Await):
        value = value.expression
    return not (isinstance(value, cst.Call) and qualify(value.func) in RESPONSE_SINKS) and carried_as_value(found)


def _bound_to_handled(assign: cst.Assign, qualify: Callable[[cst.BaseExpression], str | None]) -> list[str]:
    """Names an assignment binds to the exception being handled: `_, value, _ = sys.exc_info()`,
    `value = sys.exc_info()[1]`, `value = sys.exception()`."""
    value = assign.value
    index = None
    if isinstance(value, cst.Subscript) and len(value.slice) == 1 and isinstance(
            element := value.slice[0].slice, cst.Index) and isinstance(element.value, cst.Integer):
        index, value = element.value.evaluated_value, value.value
    if not isinstance(value, cst.Call):
        return []
    name = qualify(value.func)
    names = []
    for target in assign.targets:
        bound = target.target
        if name == "sys.exception" and index is None or name == "sys.exc_info" and index == 1:
            names.append(bound)
        elif name == "sys.exc_info" and index is None and isinstance(bound, (cst.Tuple, cst.List)) and len(
                bound.elements) == 3:
            names.append(bound.elements[1].value)
    return [node.value for node in names if isinstance(node, cst.Name)]


def _is_missing_check(test: cst.BaseExpression) -> bool:
    """`not x`, `x is None`, `x == None`: the test of a branch taken when something is missing."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return isinstance(test.expression, (cst.Name, cst.Attribute))
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        target = test.comparisons[0]
        return (isinstance(target.operator, (cst.Is, cst.Equal)) and isinstance(target.comparator, cst.Name)
                and target.comparator.value == "None")
    return False
