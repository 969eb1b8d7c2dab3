"""Who may call a function: the repository's call sites by the name they call (`export` for
`self.providers.database.export(...)`, `reports.export(...)` and `export(...)`), over module
summaries.

A method called through attributes whose classes nothing declares cannot be resolved to its
definition. The calls that spell its name are a superset of its callers (calls of other functions of
that name included), so what holds of every chain of them holds of its real callers. The superset is
narrowed where the repository tells what the receiver holds: a call the summary resolved to a class
(`store.delete()` with `store = ReportStore(...)`), one on a module's instance that its module
fills with one of its classes (`subscription_service.revoke(...)` after `from .service import
subscription as subscription_service`, where `subscription = SubscriptionService()`), or one made
on an attribute (`self.graphs.communities.create(...)`) that every assignment and declaration in
the repository fills with one of its classes (`self.communities = CommunitiesHandler(...)`, `ingestion:
PdfParser | TextParser` in a class body), calls a method of a
class related to it by inheritance only; one filled only with a library's objects or literals, or
never filled by the repository (`client.chat.completions.create(...)`), calls none of its methods;
an attribute anything else fills may hold anything. Two things escape it, and make `entries` answer
None rather than guess: a function whose name no call spells (a callback handed on as a value, a
hook a framework runs; one whose name only calls on other classes' objects spell is called by
nothing), and a search past `MAX_REACHED` functions; asked for the entries it can find
(`complete=False`), it passes over the first. A call on a module's name (`context.reset(token)`)
is narrowed as one on an attribute: what the name holds wherever it is filled; one on a module's
name its module fills with a library's object (`storage.s3.put_object(...)` with `s3 =
boto3.client("s3")`) calls no function of the repository either. A library's factory
that builds an object of the repository (a dependency injector's provider) is taken for what it
is, a library's callable, whose result holds none of the repository's methods. A call that passes
arguments a function does not take (too few for its required parameters, too many positions, a
keyword it lacks) is no call of it: `existing.metadata.update(item)` does not run
`update(self, relationship_id, subject, ...)`; a function a decorator may change (anything but
`staticmethod`, `classmethod`, `abstractmethod`, `override`) takes anything. Test modules are
left out: they are not how a deployment runs a function. A function handed to a thread to run for
its caller (`await run_in_threadpool(aws.send_email, to)`, `FunctionSummary.offloaded`) is called
by that caller.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from reviewer.semantics.hierarchy import lineage
from reviewer.summary import UNTYPED, CallSite, FunctionSummary, ModuleSummary

if TYPE_CHECKING:
    from reviewer.rule import RepoContext
    from reviewer.semantics.calls import ModuleIndex

MAX_REACHED = 400  # functions a search for the entries of one function visits
MAX_BASES = 20  # classes followed up a hierarchy
MAX_HANDED_ON = 4  # callers followed up a chain that hands a parameter on
SHARED_KEY = "callers"  # in the run's memo of repository models (`RepoContext.shared`)


class Callers:
    """The functions of the repository (tests left out) and who calls each name."""

    @classmethod
    def of(cls, repo: RepoContext) -> Callers:
        """The repository's callers, built once per run for every rule that asks."""
        found = repo.shared.get(SHARED_KEY)
        if found is None:
            found = repo.shared[SHARED_KEY] = cls(repo.summaries, repo.index)
        return found

    def __init__(self, summaries: Iterable[ModuleSummary], index: ModuleIndex | None = None) -> None:
        self.functions: dict[str, tuple[FunctionSummary, ModuleSummary]] = {}
        self._index = index
        self._canonical = index.canonical if index is not None else (lambda name: name)
        # name -> caller -> each of its calls of the name: the classes it is made on (None:
        # unknown), what it passes (`CallSite.shape`), the name it is made on (`Cache` of
        # `Cache.update(...)`), and whether that is a module's name filled with a library's object
        # (`storage.s3.put_object` after `s3 = boto3.client("s3")`)
        self._by_name: dict[str, dict[str, set[tuple[frozenset[str] | None, tuple | None, str | None, bool]]]] = (
            defaultdict(dict))
        self._bases: dict[str, list[str]] = {}
        held: dict[str, set[str | None]] = defaultdict(set)
        self._attributes: dict[str, dict[str, frozenset[str] | None]] = {}
        summaries = list(summaries)
        self._packages = {summary.module.split(".", 1)[0] for summary in summaries}
        code = [summary for summary in summaries if not summary.is_test_file]
        for summary in code:
            for cls, bases in summary.classes.items():
                self._bases[cls] = [self._canonical(base) for base in bases]
        self._defined = {function for summary in code for function in summary.functions}
        unknown: set[str] = set()
        for summary in code:
            for attribute, made in summary.attributes.items():
                classes = self._classes(made)
                if classes is None:
                    unknown.add(attribute)
                else:
                    held[attribute] |= classes
        # What an attribute holds wherever it is filled, and what those of each class hold.
        self._holds = {attribute: frozenset(made) for attribute, made in held.items() if attribute not in unknown}
        self._filled = set(held) | unknown
        for summary in code:
            for cls, attributes in summary.class_attributes.items():
                self._attributes[cls] = {attribute: self._classes(filled) for attribute, filled in attributes.items()}
        for summary in code:
            for function in summary.functions.values():
                self.functions[function.qualname] = (function, summary)
                for call in (*function.calls, *function.offloaded):
                    if call.name:
                        receivers = self._by_name[call.name].setdefault(function.qualname, set())
                        receivers.add((self._receiver(call, function.qualname), call.shape, _made_on(call),
                                       self._on_library_object(call)))

    def _classes(self, made: set[str | None]) -> frozenset[str] | None:
        """The classes of the repository what fills an attribute makes; None when something else of
        the repository (a factory), or a value the summary does not know, fills it. What a
        library or the language makes holds none of the repository's methods."""
        found = set()
        for name in made:
            if name is None or name in UNTYPED:
                return None
            canonical = self._canonical(name)
            if canonical in self._bases:
                found.add(canonical)
            elif canonical in self._defined or name.split(".", 1)[0] in self._packages:
                return None
        return frozenset(found)

    def _receiver(self, call: CallSite, caller: str) -> frozenset[str] | None:
        """The classes a method call is made on, where the repository tells: the class the summary
        resolved it to; the class of `self` and of each attribute after it
        (`self.graphs.communities.create`); or what the attribute it is made on holds
        wherever it is filled (`x.communities.create`)."""
        if call.target:
            owner = call.target.rpartition(".")[0]
            made = self._classes({owner})
            if made is not None:
                return made  # a class of the repository, or a library's (`params.update` of a dict)
            filled = self._index.fills(owner) if self._index is not None else set()
            if filled and (made := self._classes(filled)) is not None:
                return made  # a module's instance (`subscription = SubscriptionService()`), imported
            name = owner.rpartition(".")[2]
            if name in self._holds:
                return self._holds[name]  # a module's name (`context = ContextVar(...)`)
        parts = call.text.split(".") if call.text else []
        owner = caller.rpartition(".")[0]
        on_self = parts[0] in ("self", "cls")
        if len(parts) >= 2 and on_self and owner in self._bases:
            classes: frozenset[str] | None = frozenset({owner})
            for attribute in parts[1:-1]:
                classes = self._attribute(classes, attribute)
                if classes is None:
                    break
            if classes is not None:
                return classes
        if len(parts) < 3:
            return None
        if parts[-2] in self._holds:
            return self._holds[parts[-2]]
        # An attribute the repository never fills, of a value of another name (`client.chat.
        # completions.create`): a library's object. One of `self` may be filled by a library's base.
        return frozenset() if not on_self and parts[-2] not in self._filled else None

    def _on_library_object(self, call: CallSite) -> bool:
        """Whether a call is made on a module's name that its module fills only with a library's
        objects (`storage.s3.put_object(...)` with `s3 = boto3.client("s3")` in `storage`): a
        method of that object, no function of the repository."""
        if not call.target or self._index is None:
            return False
        filled = self._index.fills(call.target.rpartition(".")[0])
        return bool(filled) and self._classes(filled) == frozenset()

    def _attribute(self, classes: frozenset[str], attribute: str) -> frozenset[str] | None:
        """What an attribute of these classes holds, declared by a class or its bases; None when
        one of them does not tell."""
        found: set[str] = set()
        for cls in classes:
            held = self._declared(cls, attribute)
            if held is None:
                return None
            found |= held
        return frozenset(found)

    def _lineage(self, cls: str) -> Iterator[str]:
        """The class, then its bases and theirs (each once, at most `MAX_BASES`)."""
        return lineage(cls, lambda current: self._bases.get(current, ()), MAX_BASES)

    def _declared(self, cls: str, attribute: str) -> frozenset[str] | None:
        """What the attribute holds, as the first class of the lineage that fills it says."""
        for current in self._lineage(cls):
            attributes = self._attributes.get(current, {})
            if attribute in attributes:
                return attributes[attribute]
        return None

    def _related(self, cls: str, owner: str) -> bool:
        """Whether a receiver declared or built as `cls` may run a method of `owner`: one class
        derives from the other (a `Handler` attribute may hold a `PostgresHandler`)."""
        return owner in self._lineage(cls) or cls in self._lineage(owner)

    def _calling(self, function: FunctionSummary) -> list[str]:
        """The functions whose calls spell the function's name, but for those made only on classes
        it is not a method of, or only with arguments it does not take (`metadata.update(item)`
        for `update(self, relationship_id, subject, ...)`)."""
        callers = self._by_name.get(function.name, {})
        owner = function.qualname.rpartition(".")[0]
        method = owner in self._bases
        return [caller for caller, calls in callers.items() if any(
            (not method and not on_library or method and (
                classes is None or any(self._related(cls, owner) for cls in classes)))
            and takes(function, shape, made_on == owner.rpartition(".")[2])
            for classes, shape, made_on, on_library in calls)]

    def entries(self, qualname: str, is_entry: Callable[[FunctionSummary, ModuleSummary], bool], *,
                complete: bool = True, through: Callable[[str, str], bool] | None = None) -> dict[str, set[str]] | None:
        """The entries (functions `is_entry` accepts, where a search stops) whose calls may reach
        function `qualname`, each with the names it calls on the way there; None when the search
        grows past `MAX_REACHED`, or, if the entries must be `complete`, when a chain of callers
        ends in a function that is no entry and that nothing calls by name. `through(caller,
        name)`, when given, tells which calls a chain may take: a caller whose calls of the name
        it rejects is left out (one that catches what the callee raises)."""
        if qualname not in self.functions:
            return None
        found: dict[str, set[str]] = {}
        seen = {qualname}
        pending = [qualname]
        while pending:
            current = pending.pop()
            function, _ = self.functions[current]
            callers = self._calling(function)
            if not callers and complete and function.name not in self._by_name:
                # Nothing spells its name: a callback or a hook may run it. (Calls that spell it
                # only on objects of other classes call those.)
                return None
            for caller in callers:
                if through is not None and not through(caller, function.name):
                    continue
                record, summary = self.functions[caller]
                if is_entry(record, summary):
                    found.setdefault(caller, set()).add(function.name)
                elif caller not in seen:
                    seen.add(caller)
                    pending.append(caller)
                    if len(seen) > MAX_REACHED:
                        return None
        return found

    def calls_of(self, caller: str, name: str) -> int:
        """How many calls of the function `caller` spell the name (`export` for `self.reports.export()`,
        `send_email` for `run_in_threadpool(aws.send_email, to)`)."""
        found = self.functions.get(caller)
        return sum(1 for call in (*found[0].calls, *found[0].offloaded) if call.name == name) if found else 0

    def callers(self, qualname: str) -> list[str]:
        """The functions whose calls spell the function's name."""
        found = self.functions.get(qualname)
        return self._calling(found[0]) if found is not None else []

    def only_handed_own_values(self, qualname: str, params: Iterable[str], is_entry: Callable[[str], bool]) -> bool:
        """Whether the function's callers hand `params` only values of their own making (constants,
        what they read or compute), never what they were given (`CallSite.given`), up to a caller
        `is_entry` accepts (a route, a callback: what it is given comes from outside). Each call
        that hands on what a caller was given is followed to that caller's callers, at most
        `MAX_HANDED_ON` deep. False when it cannot tell: a function nothing calls by name, one
        `is_entry` accepts, a call that unpacks `*args`, a function handed to a thread to run."""
        pending = [(qualname, frozenset(params), 0)]
        seen: set[tuple[str, frozenset[str]]] = set()
        while pending:
            current, wanted, depth = pending.pop()
            if (current, wanted) in seen:
                continue
            seen.add((current, wanted))
            found = self.functions.get(current)
            if found is None or depth > MAX_HANDED_ON or is_entry(current):
                return False
            function = found[0]
            callers = self._calling(function)
            if not callers:
                return False
            positional = function.signature.positional if function.signature is not None else function.params
            for caller in callers:
                record = self.functions[caller][0]
                if any(call.name == function.name for call in record.offloaded):
                    return False
                for call in record.calls:
                    if call.name != function.name:
                        continue
                    if call.shape is None:
                        return False
                    given = frozenset(origin for slot, origins in call.given
                                      if (positional[slot] if isinstance(slot, int) and slot < len(positional)
                                          else slot) in wanted
                                      for origin in origins)
                    if given:
                        pending.append((caller, given, depth + 1))
        return True


def _made_on(call: CallSite) -> str | None:
    """The name a call is made on: `Cache` of `Cache.update`, `store` of `self.store.update`."""
    parts = call.text.split(".") if call.text else []
    return parts[-2] if len(parts) >= 2 else None


def takes(function: FunctionSummary, shape: tuple | None, on_its_class: bool = False) -> bool:
    """Whether a call that passes `shape` (`CallSite.shape`) may call the function; one made on
    the name of the method's class may hand it the instance first (`Cache.update(cache, key)`)."""
    signature = function.signature
    if signature is None or shape is None or signature.accepts(shape):
        return True
    return on_its_class and shape[0] > 0 and signature.accepts((shape[0] - 1, shape[1]))
