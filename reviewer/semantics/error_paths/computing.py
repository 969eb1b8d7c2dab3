"""Which functions of the repository only compute: they touch no file, no network and no database,
or catch what fails when they do, so what they raise is an error of the values they were given or
a message the application wrote (`def convert(value, kind): ... return int(value)`, `raise
ValueError(f"unsupported kind {kind}")`). A `try` block that hands its values only to such
functions, and otherwise computes (`parsing.computed_by`), fails only that way: its exception
carries no detail of the deployment.

Over the repository, from the module summaries' call sites, a function computes when every call it
makes (awaited or not) is of a builtin that touches no file, of a module that parses or converts
(`json`, `re`, `datetime`, ...) or of what such a module made at its module's top level
(`PATTERN.sub(...)` after `PATTERN = re.compile(...)`) or such a call returned (`os.getenv("HOST",
"").strip()`: the environment is read from memory), a log call, a method of a value the function
binds itself (`dt.timestamp()` after `dt = datetime.strptime(...)`: what made it was checked too), a
method of text of a parameter (`name.strip()`; not `schema.get(...)`: a parameter may be a client),
the construction of an exception, of a data model (Pydantic, a dataclass: it validates) or of a
class whose bases are the repository's or keep values in memory (`enum.Enum`, `dict`) and whose
`__init__`, if it has one, computes (also `cls(**data)` in a class method of it), a call of
another function of the repository that computes, at most `MAX_DEPTH` calls deep, or a call in a
`try` that catches every exception and raises nothing again (`CallSite.guarded`: whatever it does,
what it raises goes no further, as in `try: await session.execute(...) except Exception: return
False`); the function the block hands its values to must call something itself (one that calls
nothing is a stub, or a method subclasses override). A method of `self` the summary does not
resolve, a library's function or object, or a class of the repository whose `__init__` does more,
may do I/O.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reviewer.semantics.error_paths.parsing import PURE_METHODS, TOUCHING_BUILTINS, computes_in_memory
from reviewer.semantics.hierarchy import ClassBases

if TYPE_CHECKING:
    from collections.abc import Iterable

    from reviewer.semantics.calls import ModuleIndex
    from reviewer.semantics.fastapi.index import EndpointIndex
    from reviewer.summary import CallSite, FunctionSummary, ModuleSummary

MAX_DEPTH = 4  # calls followed down from the function a block hands its values to
_LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "success"})
_EXCEPTION_BASES = ("builtins.Exception", "builtins.BaseException")


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
            return self._builds_value(name, depth)
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
            if root is None or root in ("self", "cls"):
                return False  # a call of a call's result, or a method the summary does not resolve
            return root not in function.params or method in PURE_METHODS
        if target.startswith("builtins."):
            return target not in TOUCHING_BUILTINS
        if computes_in_memory(target):
            return True
        if call.text is not None and call.text.startswith("().") and computes_in_memory(target.rpartition(".")[0]):
            return True  # a method of what such a call returns (`os.getenv("HOST", "").strip()`)
        made = self.index.fills(target.rpartition(".")[0])
        if made and all(name is not None and computes_in_memory(name) for name in made):
            return True  # a method of what a module makes in memory (`PATTERN.sub` of `re.compile(...)`)
        return self.computes(target, depth + 1)

    def _builds_value(self, cls: str, depth: int) -> bool:
        """A class of the repository whose construction only keeps or validates its arguments: an
        exception, a data model, or one whose own `__init__` computes."""
        if self.models.is_model(cls) or self._is_exception(cls):
            return True
        if cls not in self.classes or not all(self.index.canonical(base) in self.classes or _in_memory_base(base)
                                              for base in self.classes.bases[cls]):
            return False
        init = f"{cls}.__init__"
        return init not in self.functions or self.computes(init, depth + 1)

    def _is_exception(self, cls: str) -> bool:
        return any(current.startswith(_EXCEPTION_BASES)
                   or current.startswith("builtins.") and current.endswith(("Error", "Exception"))
                   for current in self.classes.lineage(cls))


def _in_memory_base(base: str) -> bool:
    """A base class a library defines that keeps its values in memory: a builtin (`str`, `dict`),
    or one of a module that computes (`enum.Enum`, `collections.OrderedDict`)."""
    return base.startswith("builtins.") or computes_in_memory(base)
