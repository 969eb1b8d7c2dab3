"""Which functions of the repository only compute: they touch no file, no network and no database,
or catch what fails when they do, so what they raise is an error of the values they were given or
a message the application wrote (`def convert(value, kind): ... return int(value)`, `raise
ValueError(f"unsupported kind {kind}")`). A `try` block that hands its values only to such
functions, and otherwise computes (`parsing.computed_by`), fails only that way: its exception
carries no detail of the deployment.

Over the repository, from the module summaries' call sites, a function computes when every call it
makes (awaited or not) is of a builtin that touches no file, of a module that parses or converts
(`json`, `re`, `datetime`, a protobuf message's `_pb2`, ...), a read of the clock (`time.time()`),
or of what such a module made at its module's top level (`PATTERN.sub(...)` after
`PATTERN = re.compile(...)`) or such a call returned (`os.getenv("HOST", "").strip()`: the
environment is read from memory), a log call, a method of a value the function binds itself
(`dt.timestamp()` after `dt = datetime.strptime(...)`: what made it was checked too), a method of
text of a parameter (`name.strip()`; not `schema.get(...)`: a parameter may be a client), a method
of `self` that the class or its bases define and that every subclass overriding it computes too
(`self` may be an instance of any of them), a method of an instance of the repository's classes a
module makes at its top level (`catalog.describe(...)` after `catalog = Catalog()`), the
construction of an exception (also of a library's class named so: `HTTPException`), of a data
model (Pydantic, a dataclass: it validates), of a response (Starlette's renders its content in
memory; it is sent after the route returns) or of a class whose bases are the repository's or
keep values in memory (`enum.Enum`, `dict`) and whose every
`__init__` on the way computes (also `cls(**data)` in a class method of it), a call of another
function of the repository that computes, at most `MAX_DEPTH` calls deep, or a call in a `try` that
catches every exception and raises nothing again (`CallSite.guarded`: whatever it does, what it
raises goes no further, as in `try: await session.execute(...) except Exception: return False`);
the function the block hands its values to must call something itself (one that calls nothing is a
stub, or a method subclasses override). A method of another attribute of `self` the summary does
not resolve, a method only a library's base defines, a library's function or object, or a class of
the repository whose `__init__` does more, may do I/O.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reviewer.semantics.error_paths.parsing import PURE_METHODS, TOUCHING_BUILTINS, computes_in_memory
from reviewer.semantics.error_paths.records import REDIRECT_RESPONSES, RESPONSE_CLASSES, STREAMING_RESPONSES
from reviewer.semantics.hierarchy import ClassBases

if TYPE_CHECKING:
    from collections.abc import Iterable

    from reviewer.semantics.calls import ModuleIndex
    from reviewer.semantics.fastapi.index import EndpointIndex
    from reviewer.summary import CallSite, FunctionSummary, ModuleSummary

MAX_DEPTH = 4  # calls followed down from the function a block hands its values to
_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "success"})
_EXCEPTION_BASES = ("builtins.Exception", "builtins.BaseException")
_RESPONSES = RESPONSE_CLASSES | REDIRECT_RESPONSES | STREAMING_RESPONSES


class Computing:
    """The repository's functions (tests left out), asked whether each only computes."""

    def __init__(self, summaries: Iterable[ModuleSummary], index: ModuleIndex, models: EndpointIndex) -> None:
        self.index = index
        self.models = models
        summaries = list(summaries)
        self.functions: dict[str, FunctionSummary] = {}
        for summary in summaries:
            if not summary.is_test_file:
                self.functions.update(summary.functions)
        self.classes = ClassBases(summaries, index.canonical, tests=False)
        self._answers: dict[str, bool] = {}

    def computes(self, qualified: str, depth: int = 0) -> bool:
        """Whether the function or class a qualified name resolves to only computes (see the module)."""
        name = self.index.canonical(qualified)
        if name in self.classes or name not in self.functions:
            owner, _, method = name.rpartition(".")
            if name not in self.classes and owner in self.classes:
                return self._method_computes(owner, method, depth)  # one a base of the class defines
            return (self._of_value_in_memory(name) or self._of_instance(name, depth)
                    or self._builds_value(name, depth))
        function = self.functions[name]
        if not function.calls and depth == 0:
            # One the block calls directly that calls nothing shows nothing: a stub, or a method that
            # subclasses override, stands for what runs.
            return False
        if name not in self._answers:
            self._answers[name] = True  # a function calling itself does no I/O by that call
            self._answers[name] = depth < MAX_DEPTH and all(
                self._computing_call(call, function, depth) for call in function.calls)
        return self._answers[name]

    def _computing_call(self, call: CallSite, function: FunctionSummary, depth: int) -> bool:
        if call.guarded:
            return True  # what it raises, the function catches and does not raise again
        method = call.name
        receiver = call.text.rsplit(".", 1)[0] if call.text and "." in call.text else None
        if receiver is not None and method in _LOG_METHODS and "log" in receiver.rsplit(".", 1)[-1].lower():
            return True
        target = call.target
        if target is None and call.text == "cls" and any(
                decorator.rpartition(".")[2] == "classmethod" for decorator in function.decorators):
            # `cls(**data)`: the class the method is of builds a value of itself.
            return self._builds_value(function.qualname.rpartition(".")[0], depth + 1)
        if target is None:
            root = receiver.split(".", 1)[0] if receiver else None
            if receiver in ("self", "cls") and method is not None:
                return self._method_computes(function.qualname.rpartition(".")[0], method, depth + 1,
                                             overridden=True)
            if root is None or root in ("self", "cls"):
                return False  # a call of a call's result, or a method the summary does not resolve
            return root not in function.params or method in PURE_METHODS
        if target.startswith("builtins."):
            return target not in TOUCHING_BUILTINS
        if computes_in_memory(target):
            return True
        if call.text is not None and call.text.startswith("().") and computes_in_memory(target.rpartition(".")[0]):
            return True  # a method of what such a call returns (`os.getenv("HOST", "").strip()`)
        return self.computes(target, depth + 1)

    def _of_value_in_memory(self, name: str) -> bool:
        """A method of what a module makes in memory at its top level (`PATTERN.sub` of `PATTERN =
        re.compile(...)`, `TABLE.items()` of a dict literal)."""
        made = self.index.fills(name.rpartition(".")[0])
        return bool(made) and all(value is not None and computes_in_memory(value) for value in made)

    def _of_instance(self, name: str, depth: int) -> bool:
        """A method of what a module makes at its top level of the repository's classes
        (`catalog.describe` after `catalog = Catalog()`)."""
        owner, _, method = name.rpartition(".")
        made = {self.index.canonical(value) for value in self.index.fills(owner) if value is not None}
        return bool(made) and made <= self.classes.bases.keys() and all(
            self._method_computes(cls, method, depth) for cls in made)

    def _method_computes(self, cls: str, method: str, depth: int, *, overridden: bool = False) -> bool:
        """Whether a method called on an instance of the class computes: the one the class or
        its bases of the repository define, and, if the instance may be of a subclass
        (`overridden`: `self.method(...)`), each subclass's override too. A method only a
        library's base defines may do I/O."""
        defined = next((f"{current}.{method}" for current in self.classes.lineage(cls)
                        if f"{current}.{method}" in self.functions), None)
        if defined is None:
            return False
        overrides = [f"{sub}.{method}" for sub in self.classes.descendants(cls)
                     if overridden and f"{sub}.{method}" in self.functions]
        return all(self.computes(name, depth) for name in (defined, *overrides))

    def _builds_value(self, cls: str, depth: int) -> bool:
        """A class whose construction only keeps or validates its arguments: an exception, a data
        model, a response (Starlette's renders its content in memory; the sending comes after the
        route returns), or a class of the repository whose bases are the repository's or keep
        values in memory and whose every `__init__` on the way, and `render` of a response,
        computes."""
        if self.models.is_model(cls) or self._is_exception(cls) or cls in _RESPONSES:
            return True
        if cls not in self.classes:
            return False
        lineage = list(self.classes.lineage(cls))
        if not all(current in self.classes or _in_memory_base(current) or current in _RESPONSES
                   for current in lineage):
            return False
        methods = ("__init__", "render") if any(current in _RESPONSES for current in lineage) else ("__init__",)
        return all(self.computes(f"{current}.{method}", depth + 1) for current in lineage for method in methods
                   if f"{current}.{method}" in self.functions)

    def _is_exception(self, cls: str) -> bool:
        """A class of exceptions: a builtin's, one a library names so (`fastapi.HTTPException`,
        `requests.HTTPError`: building one keeps its message), or the repository's derived from
        either."""
        return any(current.startswith(_EXCEPTION_BASES) or current.endswith(("Error", "Exception")) and (
                   current.startswith("builtins.") or current not in self.classes)
                   for current in self.classes.lineage(cls))


def _in_memory_base(base: str) -> bool:
    """A base class a library defines that keeps its values in memory: a builtin (`str`, `dict`),
    or one of a module that computes (`enum.Enum`, `collections.OrderedDict`)."""
    return base.startswith("builtins.") or computes_in_memory(base)
