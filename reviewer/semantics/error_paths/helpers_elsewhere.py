"""What the module-level functions of every module return, for routes of other modules that send
their result: error bodies, `HTTPException`s, and the detail of an argument.

`def not_found(what): return {"error": f"{what} not found"}` in `app/responses.py` builds an error
body without a status: a route of another module that does `return responses.not_found("item")`
sends it with a 200; `def forbidden(): return HTTPException(403)` builds an exception for its
callers to raise, and a route that returns it sends it with a 200 too. `def describe(error): return
f"{type(error).__name__}: {error}"` returns the text of what it is given: a route that sends
`detail=errors.describe(e)` sends the exception's text. Within one module the error paths see such
functions themselves; `HelperFacts` records them per file (with or without FastAPI imports), from
each module-level function's own `return` statements, and over the repository `Helpers` answers
`builds_error_body(qualified)`, `builds_http_exception(qualified)` and `carries(qualified, slot)`
for a callee a route could only name; and `parses(qualified)` for a coroutine that waits on
nothing but reading what it is given (`async def csv_rows(file): text = (await file.read()).decode()
...`), whose errors, handed the client's files, describe them.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.semantics.error_paths.bodies import ERROR, error_body
from reviewer.semantics.error_paths.parsing import reads_only_arguments
from reviewer.semantics.error_paths.records import HTTP_EXCEPTIONS
from reviewer.semantics.error_paths.returned_detail import bound_once, returns_detail_of
from reviewer.semantics.exceptions import Detail, DetailOf, entered
from reviewer.semantics.fastapi.collector import FastAPIFacts
from reviewer.semantics.hierarchy import MAX_BASES, ClassBases
from reviewer.syntax import params_of

if TYPE_CHECKING:
    from collections.abc import Iterator

    from reviewer.facts import RepositoryView
    from reviewer.model import Span
    from reviewer.rule import FileContext
    from reviewer.semantics.fastapi.index import EndpointIndex

FACTS_KEY = "helpers-elsewhere"


def _displayed(function: cst.FunctionDef, names: set[str]) -> bool:
    """Whether a statement of the function's own block binds one of `names` to a dict or a call
    (`body = {"success": False, ...}`): the only bodies a returned name is read as."""
    for line in function.body.body if isinstance(function.body, cst.IndentedBlock) else ():
        for small in line.body if isinstance(line, cst.SimpleStatementLine) else ():
            if (isinstance(small, (cst.Assign, cst.AnnAssign)) and isinstance(small.value, (cst.Dict, cst.Call))
                    and any(isinstance(target, cst.Name) and target.value in names for target in (
                        [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]))):
                return True
    return False


class HelperFacts(Facts):
    """Records the module-level functions that return an error body on every way out, and those
    whose result carries the detail of an argument (by slot)."""

    summary_key = FACTS_KEY
    requires = (FastAPIFacts,)

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self.active = "return" in context.source
        self.error_bodies: set[str] = set()  # by name in the module
        self.exception_factories: set[str] = set()
        self.details: dict[str, frozenset[int | str]] = {}
        # Where an argument's text enters the dict or list a function returns (`"detail":
        # str(exc)`), by slot: what its callers send, it built.
        self.entries: dict[str, dict[int | str, Span]] = {}
        self.parsers: set[str] = set()
        # A function handed a client's file reads it (`await file.read()`, `file.file`).
        self.reads_uploads = ".read(" in context.source or ".file" in context.source
        self._functions = 0  # functions entered
        self._classes: list[str] = []  # the classes entered, by name
        self._returns: list[cst.Return] = []  # of the module-level function being walked
        # The class and method names of a class method or static method of a module-level class
        # being walked (`ErrorCode.response`), whose returns are read as a function's are.
        self._method: tuple[str, int] | None = None  # (`Class.method`, positions its callers skip)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions += 1
        if self._functions == 1 and len(self._classes) == 1:
            kinds = {decorator.decorator.value for decorator in node.decorators
                     if isinstance(decorator.decorator, cst.Name)}
            if kinds & {"classmethod", "staticmethod"}:
                self._method = (f"{self._classes[0]}.{node.name.value}", int("classmethod" in kinds))

    def visit_Return(self, node: cst.Return) -> None:
        if self._functions == 1 and (not self._classes or self._method is not None):
            self._returns.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._functions -= 1
        if self._functions == 0 and self._method is not None:
            self._leave_method(original_node, *self._method)
            self._method = None
            return
        if self._functions or self._classes:
            return
        returns, self._returns = self._returns, []
        if not returns:
            return
        name = original_node.name.value
        returned = {r.value.value for r in returns if isinstance(r.value, cst.Name)}
        bound = bound_once(original_node) if returned and _displayed(original_node, returned) else {}
        if all(r.value is not None and error_body(
                bound.get(r.value.value, r.value) if isinstance(r.value, cst.Name) else r.value,
                self.context.qualify, self.error_bodies, models=True) == ERROR for r in returns):
            self.error_bodies.add(name)
        qualify = self.context.qualify
        if all(isinstance(r.value, cst.Call) and qualify(r.value.func) in HTTP_EXCEPTIONS for r in returns) or (
                original_node.returns is not None and qualify(original_node.returns.annotation) in HTTP_EXCEPTIONS):
            self.exception_factories.add(name)
        slots = returns_detail_of(original_node, self.context.qualify, self.context.module, returns)
        if slots:
            self.details[name] = slots
            entries = self._entries(original_node, slots, returns)
            if entries:
                self.entries[name] = entries
        if self.reads_uploads and original_node.asynchronous is not None and reads_only_arguments(
                original_node, self.context.resolver.qualify_in(original_node)):
            self.parsers.add(name)

    def _entries(self, function: cst.FunctionDef, slots: frozenset[int | str],
                 returns: list[cst.Return]) -> dict[int | str, Span]:
        """Where the text of each argument it is given enters the dict or list the function
        returns, for an argument it turns into text itself (`str(exc)`, `exc.args`), not one it
        puts in as given: text a caller wrote (`error_frame("internal", f"failed: {e}")`) is that
        caller's to answer for."""
        entries: dict[int | str, Span] = {}
        qualify, module = self.context.qualify, self.context.module
        for position, param in enumerate(params_of(function)):
            name = param.name.value
            if name not in slots:
                continue
            detail = DetailOf(qualify, module, {name: name}, {name: Detail(name)})
            for node in returns:
                if not isinstance(node.value, (cst.Dict, cst.List)):
                    continue
                inner = entered(node.value, detail)
                if inner is not node.value and not isinstance(inner, cst.Name) and detail.of(inner) is not None:
                    entries[position] = entries[name] = self.context.span(inner, node)
                    break
        return entries

    def _leave_method(self, method: cst.FunctionDef, name: str, skipped: int) -> None:
        """A class method's or static method's result carrying the detail of an argument
        (`return Response(code=cls.code, data=data)`), by the slots its callers fill (a class
        method's first parameter is the class)."""
        returns, self._returns = self._returns, []
        slots = returns_detail_of(method, self.context.qualify, self.context.module, returns) if returns else ()
        shifted = frozenset(slot - skipped if isinstance(slot, int) else slot for slot in slots
                            if not isinstance(slot, int) or slot >= skipped)
        if shifted:
            self.details[name] = shifted

    def leave_Module(self, original_node: cst.Module) -> None:
        if self.error_bodies or self.details or self.exception_factories or self.parsers:
            prefix = f"{self.context.module}." if self.context.module else ""
            self.context.summary.extras[FACTS_KEY] = (
                {prefix + name for name in self.error_bodies},
                {prefix + name: slots for name, slots in self.details.items()},
                {prefix + name for name in self.exception_factories},
                {prefix + name for name in self.parsers},
                {prefix + name: entries for name, entries in self.entries.items()})

    @classmethod
    def repository(cls, repo: RepositoryView) -> Helpers:
        return Helpers(repo)


class Helpers:
    """The application's (not its tests') module-level functions, by what they return."""

    def __init__(self, repo: RepositoryView) -> None:
        self.index = repo.index
        self.models: EndpointIndex = repo.facts(FastAPIFacts)
        self._error_bodies: set[str] = set()
        self._details: dict[str, frozenset[int | str]] = {}
        self._exception_factories: set[str] = set()
        self._parsers: set[str] = set()
        self._entries: dict[str, tuple[str, dict[int | str, Span]]] = {}  # function -> (its path, slot -> where)
        self._classes = ClassBases(repo.summaries, self.index.canonical, tests=False)
        for summary in repo.summaries:
            if not summary.is_test_file and FACTS_KEY in summary.extras:
                error_bodies, details, factories, parsers, entries = summary.extras[FACTS_KEY]
                self._entries.update((self.index.canonical(name), (summary.path, slots))
                                     for name, slots in entries.items())
                self._error_bodies.update(self.index.canonical(name) for name in error_bodies)
                self._details.update((self.index.canonical(name), slots) for name, slots in details.items())
                self._exception_factories.update(self.index.canonical(name) for name in factories)
                self._parsers.update(self.index.canonical(name) for name in parsers)

    def builds_error_body(self, qualified: str) -> bool:
        """Whether the function a qualified name resolves to returns an error body on every way out."""
        return self.index.canonical(qualified) in self._error_bodies

    def builds_http_exception(self, qualified: str) -> bool:
        """Whether the function a qualified name resolves to returns an `HTTPException` on every way
        out, or is declared to return one: a factory whose callers are to raise what it builds."""
        return self.index.canonical(qualified) in self._exception_factories

    def parses(self, qualified: str) -> bool:
        """Whether the function a qualified name resolves to is a coroutine that waits on nothing but
        reading what it is given (`await upload.read()`): handed the client's files, what it raises
        describes them, as a route's own block that only parses them would (`parsing.parsed_by`)."""
        return self.index.canonical(qualified) in self._parsers

    def carries(self, qualified: str, slot: int | str) -> bool:
        """Whether the function a qualified name resolves to returns the detail of argument `slot`,
        or the name is a data model's class (Pydantic, a dataclass) that keeps it in a field
        (`ErrorResponse(error=str(e))`), to serialise with the rest. Another class is none: an
        object built from the detail is not known to be sent (one the application raises and a
        handler of its sends is wrapped.py's to pair)."""
        canonical = self.index.canonical(qualified)
        return slot in self._details.get(canonical, ()) or self.models.is_model(qualified) or any(
            slot in self._details.get(inherited, ()) for inherited in self._inherited(canonical))

    def builds_with(self, qualified: str, slot: int | str) -> tuple[str, Span] | None:
        """(its path, where) the text of argument `slot` enters the dict or list that the function a
        qualified name resolves to returns, when the function turns it into text itself."""
        path, entries = self._entries.get(self.index.canonical(qualified), ("", {}))
        return (path, entries[slot]) if slot in entries else None

    def _inherited(self, qualified: str) -> Iterator[str]:
        """A method as the bases of its class define it (`TaskError.response` is
        `ErrorCode.response` where `TaskError(ErrorCode)` does not override it)."""
        owner, _, method = qualified.rpartition(".")
        bases = self._classes.lineage(owner, MAX_BASES + 1)
        return (f"{base}.{method}" for base in itertools.islice(bases, 1, None))
