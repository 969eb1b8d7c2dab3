"""Caught exceptions wrapped in one of the application's own, and the exception handlers that send it.

`except ClientError as e: raise StorageError(message=f"could not store the file: {e}")` puts an
SDK's message into an exception the application defines; `@app.exception_handler(StorageError)`
answering `JSONResponse({"message": exc.message}, status_code=exc.status_code)` sends it to the
client. Neither half leaks on its own: the `raise` builds no response, and the handler sends text
the application usually writes itself. `WrapFacts` records, in every module (services raise,
applications register):

- `raise C(...)` in an `except Exception:` block (or `BaseException`, or a bare `except:`; not one
  around a block that only raises the application's own exceptions), or in one that catches a
  class of a driver, an HTTP client, a cloud SDK or the operating system (`except ClientError as
  e:`), with the argument slots that carry its detail (`reviewer.semantics.exceptions`), through
  the block's locals. A block that catches a named class of an AI provider's or a payment
  processor's SDK is left out: it relays on purpose what the vendor wrote (`AuthenticationError`
  when checking a key the client registered, a card declined);
- what an exception class's constructor does with each argument: the attributes it ends in
  (`self.message = message`, also through locals: `resolved = detail or code.text; self.detail =
  resolved`) and the slots of the base's constructor it is handed to (`super().__init__(message)`);
  the attributes `__str__` reads;
- exception handlers: the classes each is registered for in the module, and, for every function
  shaped as a handler (a request, then an exception), the attributes of the exception it sends:
  those it reads outside log calls and branch tests, in its body or in a function of its module it
  hands the exception to; `str(exc)` and `f"{exc}"` send what `str()` shows;
- the routes that catch a class of the application's own and answer with its attributes
  (`except StockConflict as e: raise HTTPException(409, detail=e.detail)`, `return {"error":
  str(e)}`): a route that runs the raising function is then the handler, the first of its `try`'s
  handlers matching the class (`except InventoryError` before `except StockConflict` takes the
  conflicts);
- the calls each function makes in `try` blocks that keep what they catch, with the handlers
  around each call (catching.py), for the repository to tell which callers pass on what a
  function raises (`Wrapped.passes_on`).

Over the repository, `Wrapped.caught_and_sent(class, slot)` tells which such routes answer with
it, and `Wrapped.sent(class, slot)` which registered handler sends what a slot
of a constructor of a class the application defines is given (a builtin such as `ValueError` is
raised for anything, anywhere, and a handler for it is a fallback), and as which attribute,
following the bases: a builtin
exception keeps its arguments in `args`, which `str()` shows unless a class defines `__str__`;
FastAPI answers an `HTTPException` of the application's own with its `detail`, unless the
application registers a handler for it. A handler registered for `Exception` or a library's class
is not paired: the error paths report what it sends from the exception itself.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.semantics.error_paths.catching import Guards, caught, guarded_calls, renamed
from reviewer.semantics.error_paths.failures import calls_nothing, raises_only_own
from reviewer.semantics.error_paths.outcomes import failed_responses
from reviewer.semantics.error_paths.parsing import computed_by, only_decodes, only_validates, summarised_callees
from reviewer.semantics.error_paths.records import HTTP_EXCEPTIONS, WEBSOCKET_EXCEPTIONS
from reviewer.semantics.error_paths.syntax import (
    carried_names,
    functions_of,
    own_statements,
    put_into,
    self_attribute,
    short_source,
    takes_request,
    top_level_functions,
)
from reviewer.semantics.exceptions import (
    INTERNAL,
    Detail,
    DetailOf,
    caught_origin,
    exception_origin,
    named_classes,
    vendor_worded,
)
from reviewer.semantics.fastapi.handlers import registrations
from reviewer.semantics.flow.syntax import is_route
from reviewer.semantics.log_calls import is_log_call, logger_names
from reviewer.semantics.serving import is_one_shot_path
from reviewer.syntax import params_of
from reviewer.traversal import children_of, push_children

if TYPE_CHECKING:
    from reviewer.facts import RepositoryView
    from reviewer.model import Span
    from reviewer.rule import FileContext

FACTS_KEY = "wrapped-exceptions"
STR = "__str__"  # what a handler sends when it sends the exception's text
_ARGS = "args"
_HTTP_EXCEPTION_SLOTS: dict[int | str, str] = {0: "status_code", "status_code": "status_code", 1: "detail",
                                               "detail": "detail", 2: "headers", "headers": "headers"}
_MAX_DEPTH = 8


@dataclass(frozen=True)
class WrapSite:
    """A caught exception's detail handed to the constructor of a raised exception."""

    cls: str  # the raised class, qualified
    slot: int | str  # the argument's position, or its keyword
    span: Span
    statement_lines: tuple[int, int]
    detail: Detail
    function: str  # the dotted name of the function raising it, qualified
    written: str  # the raised class as written


@dataclass(frozen=True)
class Constructor:
    """What an exception class's `__init__` does with each parameter: parameter name ->
    (position, None for a keyword-only one; the attributes it ends in; the slots of the base's
    constructor it is handed to)."""

    params: tuple[tuple[str, int | None, frozenset[str], frozenset[int | str]], ...]

    def of(self, slot: int | str) -> tuple[frozenset[str], frozenset[int | str]] | None:
        for name, position, attributes, handed in self.params:
            if slot == name or slot == position:
                return attributes, handed
        return None


class WrapFacts(Facts):
    """Records a module's wrapping raises, exception classes and handlers (see the module)."""

    summary_key = FACTS_KEY

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        source = context.source
        self.active = ("raise" in source or "exception_handler" in source or "__init__" in source
                       or "except" in source or "suppress" in source)

    def leave_Module(self, original_node: cst.Module) -> None:
        context = self.context
        source = context.source
        prefix = f"{context.module}." if context.module else ""
        functions = list(functions_of(original_node))
        top_level = top_level_functions(original_node)
        sites: list[WrapSite] = []
        guarded: dict[str, dict[str, tuple[Guards, ...]]] = {}
        if not (context.is_test_file or is_one_shot_path(context.path)):
            for function, owner in functions:
                if "raise" in source:
                    sites.extend(self._wrapping_raises(function, prefix + owner, top_level))
                calls = guarded_calls(function, context.qualify) if "except" in source or "suppress" in source else None
                if calls:
                    guarded[prefix + owner] = calls
        constructors: dict[str, tuple[Constructor | None, frozenset[str] | None]] = {}
        for function, owner in functions:
            name = function.name.value
            if name in ("__init__", STR) and "." in owner:
                cls = prefix + owner.rsplit(".", 1)[0]
                init, shown = constructors.get(cls, (None, None))
                if name == "__init__":
                    init = _constructor(function)
                else:
                    shown = frozenset(_self_attributes(function))
                constructors[cls] = (init, shown)
        registered: list[tuple[str, str]] = []
        sends: dict[str, dict[str, Span]] = {}
        if "exception_handler" in source or context.mentions(("request",)):
            registered, sends = self._handlers(original_node, functions, top_level, prefix)
        catchers = [catcher for function, owner in functions if is_route(function)
                    for catcher in self._catches(function, prefix + owner)] if "except" in source else []
        if sites or constructors or registered or sends or guarded or catchers:
            context.summary.extras[FACTS_KEY] = (sites, constructors, registered, sends, guarded, catchers)

    def _catches(self, route: cst.FunctionDef,
                 qualname: str) -> Iterator[tuple[str, str, dict[str, Span], tuple[int, int]]]:
        """(class, route, attributes, handler) for each class a route's `except` block catches:
        with, for one of the application's own, the attributes it answers with (`except
        StockConflict as e: raise HTTPException(409, detail=e.detail)`, `return {"error": str(e)}`)
        and where the answer reads each; and the handler's place among those of its `try` (the
        line of the `try`, its order), since only the first that matches a raised class runs."""
        qualify = self.context.qualify
        returned = {held.value for statement in own_statements(route.body)
                    if isinstance(statement, cst.SimpleStatementLine)
                    for small in statement.body if isinstance(small, cst.Return) and small.value is not None
                    for held in carried_names(small.value)}
        for statement in own_statements(route.body):
            if not isinstance(statement, (cst.Try, cst.TryStar)):
                continue
            line = self.context.line(statement)
            for order, handler in enumerate(statement.handlers):
                if handler.type is None:
                    continue
                caught = [(qualified, not qualified.startswith("builtins.") and qualified not in HTTP_EXCEPTIONS
                           and exception_origin(qualified, self.context.module) != INTERNAL)
                          for cls in named_classes(handler.type) if (qualified := qualify(cls))]
                sent: dict[str, list[cst.CSTNode]] = {}
                if any(own for _, own in caught) and handler.name is not None and isinstance(
                        handler.name.name, cst.Name):
                    for answer in _answers(handler, qualify, returned):
                        _sent(answer, handler.name.name.value, {}, qualify, frozenset(), 0, sent)
                where = self._first_spans(sent)
                for qualified, own in caught:
                    # Another class's handler only takes what it catches from those after it: what
                    # it sends is the error paths' to judge.
                    yield qualified, qualname, where if own else {}, (line, order)

    def _first_spans(self, sent: Mapping[str, list[cst.CSTNode]]) -> dict[str, Span]:
        """Each attribute sent, with where it is first read."""
        span = self.context.span
        return {attribute: min((span(node) for node in nodes), key=lambda found: (found.line, found.column))
                for attribute, nodes in sent.items()}

    def _wrapping_raises(self, function: cst.FunctionDef, qualname: str,
                         top_level: Mapping[str, cst.FunctionDef]) -> Iterator[WrapSite]:
        context = self.context
        qualify = context.qualify
        for statement in own_statements(function.body):
            if isinstance(statement, cst.If) and (responses := failed_responses(statement.test)):
                # `if resp.status_code != 200: raise IdPError(f"... {resp.text}")`: an upstream's error body
                details: dict[str, Detail] = {}
                detail = DetailOf(qualify, context.module, {}, details, source=functools.partial(
                    short_source, context.tree), failed_responses=frozenset(responses))
                yield from self._raises_in_block(statement.body, statement, detail, details, qualname)
            if not isinstance(statement, (cst.Try, cst.TryStar)):
                continue
            for handler in statement.handlers:
                _, written = caught_origin(handler.type, qualify, context.module)
                if not _catches_stack_errors(handler.type, qualify, context.module) or raises_only_own(
                        statement.body, qualify, context.module, top_level) or only_validates(
                        statement.body, qualify) or calls_nothing(statement.body):
                    continue  # it fails only with the application's own messages, or as a validation
                # Unnamed, its traceback may still be formatted (`traceback.format_exc()`).
                bound = handler.name.name.value if handler.name is not None and isinstance(
                    handler.name.name, cst.Name) else None
                parsing = {bound: ()} if bound and only_decodes(statement.body, qualify) else {}
                handed = computed_by(statement.body, qualify, summarised_callees(
                    context.summary.functions.get(qualname))) if bound else None
                computing = {bound: handed} if bound and handed else {}
                yield from self._raises_in(handler, bound, written, parsing, computing, qualname)

    def _raises_in(self, handler: cst.ExceptHandler, bound: str | None, written: str, parsing: dict[str, tuple],
                   computing: dict[str, tuple[str, ...]], qualname: str) -> Iterator[WrapSite]:
        context = self.context
        details: dict[str, Detail] = {}
        detail = DetailOf(context.qualify, context.module, {bound: written} if bound else {}, details,
                          source=functools.partial(short_source, context.tree), parsing=parsing,
                          computing=computing)
        yield from self._raises_in_block(handler.body, handler, detail, details, qualname)

    def _raises_in_block(self, block: cst.BaseSuite, owner: cst.CSTNode, detail: DetailOf, details: dict[str, Detail],
                         qualname: str) -> Iterator[WrapSite]:
        """The raises of the application's exceptions in a block whose detail `detail` tells (the
        names its statements bind are kept in `details`); `owner` holds it, for a one-line block."""
        for statement in own_statements(block):
            if not isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
                continue
            where = statement if isinstance(statement, cst.SimpleStatementLine) else owner
            for small in statement.body:
                if isinstance(small, (cst.Assign, cst.AnnAssign)) and small.value is not None:
                    targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
                    found = detail.of(small.value)
                    for target in targets:
                        if isinstance(target, cst.Name):
                            if found is None:
                                details.pop(target.value, None)
                            else:
                                details[target.value] = found
                elif isinstance(small, cst.Raise) and isinstance(small.exc, cst.Call):
                    yield from self._wrapped(small.exc, where, detail, qualname)

    def _wrapped(self, call: cst.Call, statement: cst.CSTNode, detail: DetailOf,
                 qualname: str) -> Iterator[WrapSite]:
        context = self.context
        cls = context.qualify(call.func)
        if cls is None or cls in HTTP_EXCEPTIONS or cls in WEBSOCKET_EXCEPTIONS:
            return  # the error paths follow an `HTTPException` themselves
        for position, arg in enumerate(call.args):
            if arg.star:
                continue
            found = detail.of(arg.value)
            if found is None or found.parsing:
                continue
            span = context.span(arg.value, statement)
            slot = arg.keyword.value if arg.keyword is not None else position
            yield WrapSite(cls, slot, span, context.statement_lines(statement), found, qualname,
                           context.tree.code_for_node(call.func))

    def _handlers(self, module: cst.Module, functions: list[tuple[cst.FunctionDef, str]],
                  top_level: Mapping[str, cst.FunctionDef],
                  prefix: str) -> tuple[list[tuple[str, str]], dict[str, dict[str, Span]]]:
        qualify = self.context.qualify
        by_name = {}
        for function, owner in functions:
            by_name.setdefault(function.name.value, (function, owner))
        registered = []
        for handler, cls in registrations(module, self.context.source):
            if cls is None or isinstance(cls, cst.Integer):
                continue
            qualified_cls = qualify(cls)
            if isinstance(handler, cst.Name) and handler.value in by_name:
                name = prefix + by_name[handler.value][1]
            else:
                name = qualify(handler)
            if qualified_cls and name:
                registered.append((qualified_cls, name))
        loggers = logger_names(module, qualify)
        sends = {}
        for function, owner in functions:
            params = params_of(function)
            if len(params) == 2 and takes_request(params[0], qualify):
                sent: dict[str, list[cst.CSTNode]] = {}
                _sent(function.body, params[1].name.value, top_level, qualify, loggers, 2, sent)
                if sent:
                    sends[prefix + owner] = self._first_spans(sent)
        return registered, sends

    @classmethod
    def repository(cls, repo: RepositoryView) -> Wrapped:
        return Wrapped(repo)


class Wrapped:
    """Over the repository: the wrapping raises of the application, and what its handlers send."""

    def __init__(self, repo: RepositoryView) -> None:
        canonical = repo.index.canonical
        self.sites: list[tuple[str, WrapSite]] = []  # (path, site)
        self._bases: dict[str, list[str]] = {}
        self._constructors: dict[str, tuple[Constructor | None, frozenset[str] | None]] = {}
        self._handlers: dict[str, tuple[str, str]] = {}  # class -> (handler, where it is registered)
        # handler -> (its module's path, the attributes it sends -> where it reads each)
        self._sends: dict[str, tuple[str, dict[str, Span]]] = {}
        # class -> (route, the attributes its `except` block answers with -> where, its module's
        # path, the handler's place in its `try`)
        self._catchers: dict[str, list[tuple[str, dict[str, Span], str, tuple[int, int]]]] = {}
        # function -> callee name -> the guards of each call of it (catching.py)
        self._guarded: dict[str, dict[str, tuple[Guards, ...]]] = {}
        for summary in repo.summaries:
            for name, bases in summary.classes.items():
                self._bases[canonical(name)] = [canonical(base) for base in bases]
            if summary.is_test_file or FACTS_KEY not in summary.extras:
                continue
            sites, constructors, registered, sends, guarded, catchers = summary.extras[FACTS_KEY]
            for cls, route, sent, handler in catchers:
                self._catchers.setdefault(canonical(cls), []).append((canonical(route), sent, summary.path, handler))
            for function, calls in guarded.items():
                self._guarded[function] = {name: renamed(sites, canonical) for name, sites in calls.items()}
            self.sites.extend((summary.path, site) for site in sites)
            for name, constructor in constructors.items():
                self._constructors[canonical(name)] = constructor
            for cls, handler in registered:
                self._handlers.setdefault(canonical(cls), (canonical(handler), summary.path))
            for handler, sent in sends.items():
                self._sends[canonical(handler)] = (summary.path, sent)
        self._canonical = canonical
        # Classes by their own name, for a name the imports reach only through a package's star
        # imports or re-exports (`from core.base import AppError`): taken when one class has it.
        self._by_name: dict[str, list[str]] = {}
        for name in self._bases:
            self._by_name.setdefault(name.rsplit(".", 1)[-1], []).append(name)

    def _lineage(self, cls: str) -> list[str]:
        """The class and its bases, nearest first (depth first, each once); a name that resolves
        to no class of the repository is followed by the one class of the repository so named."""
        found: list[str] = []
        stack = [cls]
        while stack and len(found) < _MAX_DEPTH * 4:
            current = stack.pop()
            if current in found:
                continue
            found.append(current)
            if current not in self._bases and not current.startswith("builtins."):
                named = self._by_name.get(current.rsplit(".", 1)[-1], [])
                stack.extend(named if len(named) == 1 else [])
                continue
            stack.extend(reversed(self._bases.get(current, [])))
        return found

    def _ends_in(self, cls: str, slot: int | str, depth: int = 0) -> frozenset[str]:
        """The attributes of an exception of class `cls` that its constructor's argument `slot`
        ends in."""
        if depth > _MAX_DEPTH:
            return frozenset()
        lineage = self._lineage(cls)
        for current in lineage:
            if current in HTTP_EXCEPTIONS:
                attribute = _HTTP_EXCEPTION_SLOTS.get(slot)
                return frozenset({attribute}) if attribute else frozenset()
            if current.startswith("builtins."):
                return frozenset({_ARGS}) if isinstance(slot, int) else frozenset()
            init = self._constructors.get(current, (None, None))[0]
            if init is None:
                continue
            found = init.of(slot)
            if found is None:
                return frozenset()
            attributes, handed = found
            bases = self._bases.get(current, [])
            for base_slot in handed if bases else ():  # `super().__init__(...)`: the first base's
                attributes |= self._ends_in(bases[0], base_slot, depth + 1)
            return attributes
        return frozenset()

    def _shown(self, lineage: list[str]) -> frozenset[str]:
        """What `str()` shows of an exception of the class whose lineage is given."""
        for current in lineage:
            shown = self._constructors.get(current, (None, None))[1]
            if shown is not None:
                return shown
        return frozenset({_ARGS})

    def passes_on(self, caller: str, callee: str, cls: str, calls: int) -> bool:
        """Whether an exception of class `cls` that a function named `callee` raises leaves the
        function `caller` through one of its `calls` of that name: one no handler around keeps."""
        sites = self._guarded.get(caller, {}).get(callee)
        if sites is None or len(sites) < calls:
            return True
        lineage = frozenset(self._lineage(self._canonical(cls)))
        if lineage & HTTP_EXCEPTIONS:
            lineage |= HTTP_EXCEPTIONS  # FastAPI's is Starlette's
        return not all(caught(guards, lineage) for guards in sites)

    def sent(self, cls: str, slot: int | str) -> tuple[str, str, str, tuple[str, Span] | None] | None:
        """(handler, attribute, where it is registered, where it reads the attribute) when a
        registered exception handler sends what argument `slot` of a raised `cls` is given (no
        place for FastAPI's own handler of an `HTTPException`: the `raise` is the response); None
        when nothing is known to send it."""
        cls = self._canonical(cls)
        lineage = self._lineage(cls)
        if not any(current in self._bases for current in lineage[:2]):
            return None  # a builtin's or a library's class: raised for anything, anywhere
        attributes = self._ends_in(cls, slot)
        if not attributes:
            return None
        for current in lineage:
            if current not in self._handlers:
                continue
            if exception_origin(current, "") == INTERNAL:
                return None  # the handler's own leak, if it sends the text
            handler, where = self._handlers[current]
            path, sent = self._sends.get(handler, ("", {}))
            said = self._said(sent, lineage)
            common = sorted(attributes & said.keys())
            if not common:
                return None
            return f"exception handler `{handler.rsplit('.', 1)[-1]}`", common[0], where, (path, said[common[0]])
        if any(current in HTTP_EXCEPTIONS for current in lineage) and "detail" in attributes:
            return "FastAPI's `HTTPException` handler", "detail", "", None
        return None

    def _said(self, sent: Mapping[str, Span], lineage: list[str]) -> dict[str, Span]:
        """The attributes of an exception of the class whose lineage is given that a handler or a
        route sends, with where: what `str()` shows where it sends the text."""
        said = dict(sent)
        if STR in sent:
            for attribute in self._shown(lineage):
                said.setdefault(attribute, sent[STR])
        return said

    def caught_and_sent(self, cls: str, slot: int | str) -> list[tuple[str, str, str, Span]]:
        """(route, attribute, its module's path, where it reads the attribute) for each route that
        catches a raised `cls` (or a base of it) and answers with what argument `slot` of its
        constructor is given."""
        cls = self._canonical(cls)
        lineage = self._lineage(cls)
        if not any(current in self._bases for current in lineage[:2]):
            return []
        attributes = self._ends_in(cls, slot)
        # (route, path, the line of its `try`) -> the first of its handlers that catches the class
        first: dict[tuple[str, str, int], tuple[int, Mapping[str, Span]]] = {}
        for current in lineage if attributes else ():
            for route, sent, where, (line, order) in self._catchers.get(current, ()):
                if (route, where, line) not in first or order < first[(route, where, line)][0]:
                    first[(route, where, line)] = (order, sent)
        found = []
        for (route, where, _), (_, sent) in first.items():
            said = self._said(sent, lineage)
            common = sorted(attributes & said.keys())
            if common:
                found.append((route, common[0], where, said[common[0]]))
        return found


def _constructor(function: cst.FunctionDef) -> Constructor:
    params = params_of(function)[1:]
    positional = len(function.params.posonly_params) + len(function.params.params) - 1
    statements = [s for s in own_statements(function.body)
                  if isinstance(s, (cst.SimpleStatementLine, cst.SimpleStatementSuite))]
    found = []
    for position, param in enumerate(params):
        names = {param.name.value}
        attributes: set[str] = set()
        handed: set[int | str] = set()
        for statement in statements:
            for small in statement.body:
                value = getattr(small, "value", None)
                if isinstance(small, (cst.Assign, cst.AnnAssign, cst.AugAssign)) and value is not None:
                    if not _mentions(value, names, attributes):
                        continue
                    targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
                    for target in targets:
                        if isinstance(target, cst.Name):
                            names.add(target.value)
                        elif (attribute := self_attribute(target)) is not None:
                            attributes.add(attribute)
                elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                    handed |= _handed_to_base(small.value, names, attributes)
        found.append((param.name.value, position if position < positional else None, frozenset(attributes),
                      frozenset(handed)))
    return Constructor(tuple(found))


def _handed_to_base(call: cst.Call, names: set[str], attributes: set[str]) -> set[int | str]:
    """The slots of the base's constructor a call hands the tracked value: `super().__init__(...)`,
    `Base.__init__(self, ...)`."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and func.attr.value == "__init__"):
        return set()
    receiver = func.value
    skip = 0
    if not (isinstance(receiver, cst.Call) and isinstance(receiver.func, cst.Name) and receiver.func.value == "super"):
        skip = 1  # `Base.__init__(self, ...)`
    slots: set[int | str] = set()
    for position, arg in enumerate(call.args[skip:]):
        if not arg.star and _mentions(arg.value, names, attributes):
            slots.add(arg.keyword.value if arg.keyword is not None else position)
    return slots


def _mentions(node: cst.CSTNode, names: set[str], attributes: set[str]) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name) and current.value in names:
            return True
        if (attribute := self_attribute(current)) is not None:
            if attribute in attributes:
                return True
            continue
        if isinstance(current, cst.Attribute):
            stack.append(current.value)  # not the attribute's name
            continue
        push_children(current, stack)
    return False


def _self_attributes(function: cst.FunctionDef) -> Iterator[str]:
    stack: list[cst.CSTNode] = [function.body]
    while stack:
        current = stack.pop()
        if (attribute := self_attribute(current)) is not None:
            yield attribute
        push_children(current, stack)


def _sent(body: cst.CSTNode, exception: str, module_functions: Mapping[str, cst.FunctionDef],
          qualify, loggers: frozenset[str], depth: int, sent: dict[str, list[cst.CSTNode]]) -> None:  # noqa: ANN001
    """Add to `sent` the attributes of `exception` a handler's body (or what a route answers with)
    sends, each with the expressions that read it: read outside log calls and branch tests; `STR`
    for its text. It follows the exception into functions of the module it is handed to."""
    stack: list[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if isinstance(node, (cst.If, cst.While)):
            stack.extend(child for child in children_of(node) if child is not node.test)
            continue
        if isinstance(node, cst.Call):
            if is_log_call(node, qualify, loggers):
                continue
            handed = [position for position, arg in enumerate(node.args)
                      if isinstance(arg.value, cst.Name) and arg.value.value == exception and arg.keyword is None]
            if isinstance(node.func, cst.Name):
                if node.func.value in ("str", "repr", "format") and handed == [0]:
                    sent.setdefault(STR, []).append(node)
                    continue
                callee = module_functions.get(node.func.value)
                if callee is not None and handed and depth > 0:
                    params = params_of(callee)
                    for position in handed:
                        if position < len(params):
                            _sent(callee.body, params[position].name.value, module_functions, qualify, loggers,
                                  depth - 1, sent)
        if isinstance(node, cst.FormattedStringExpression) and isinstance(node.expression, cst.Name) and (
                node.expression.value == exception):
            sent.setdefault(STR, []).append(node)
            continue
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == exception:
            sent.setdefault(node.attr.value, []).append(node)
            continue
        push_children(node, stack)


def _catches_stack_errors(types: cst.BaseExpression | None, qualify: Callable[[cst.BaseExpression], str | None],
                          module: str) -> bool:
    """Whether an `except` clause catches errors whose text is the stack's internal detail:
    everything (`Exception`, a bare `except:`), or a class of a driver, an HTTP client, the
    operating system, not one an AI provider's or a payment processor's SDK words
    (`vendor_worded`)."""
    if types is None:
        return True
    return any(exception_origin(qualified := qualify(member), module) == INTERNAL and not vendor_worded(qualified)
               for member in named_classes(types))


def _answers(handler: cst.ExceptHandler, qualify: Callable[[cst.BaseExpression], str | None],
             returned: set[str]) -> Iterator[cst.CSTNode]:
    """What an `except` block of a route answers the client with: the values it returns, the
    `HTTPException`s it raises, and what it puts into a name the route returns
    (`results.append({"to": item.to, "error": exc.message})` before `return {"results": results}`)."""
    for statement in own_statements(handler.body):
        for small in getattr(statement, "body", ()) if isinstance(
                statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)) else ():
            if isinstance(small, cst.Return) and small.value is not None:
                yield small.value
            elif isinstance(small, cst.Raise) and isinstance(small.exc, cst.Call) and (
                    qualify(small.exc.func) in HTTP_EXCEPTIONS):
                yield small.exc
            else:
                containers, values = put_into(small)
                if returned.intersection(containers):
                    yield from values
