"""The listing analysis over the repository: what an endpoint's answer is bounded by.

`ListingIndex` (`repo.facts(ListingFacts)`) follows an endpoint's returned calls across modules
into the helpers that build its answer and answers `unbounded_rows(endpoint)` (a whole read the
endpoint returns) and `unbounded_limit(endpoint)` (a page-size parameter with no upper bound that
reaches a `.limit(...)`); `page_bound(index, endpoint)` is the rule-agnostic summary of both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from reviewer.semantics.fastapi.collector import FastAPIFacts
from reviewer.semantics.fastapi.listing.records import FACTS_KEY, FunctionListing, ReturnedCall, WholeRead

if TYPE_CHECKING:
    from reviewer.facts import RepositoryView
    from reviewer.semantics.fastapi.index import Endpoint, EndpointIndex
    from reviewer.semantics.fastapi.records import TypeRef

MAX_NAMESAKES = 4  # functions of one name a page size is followed into, when the call names no class
MAX_DEPTH = 4  # calls followed from an endpoint into the helpers that build its answer


@dataclass(frozen=True)
class Unbounded:
    """Why an endpoint's answer has no upper bound."""

    function: str  # where the rows are read, or the limit applied
    read: WholeRead | None = None
    parameter: str | None = None  # the endpoint's page-size parameter with no upper bound
    applied: str = ""  # `.limit(limit)` as written
    namesakes: int = 1  # functions of `function`'s name the value may have gone to (a call naming no class)


class ListingIndex:
    """Follows endpoints into the helpers that build their answer, across modules."""

    def __init__(self, repo: RepositoryView) -> None:
        self.endpoints: EndpointIndex = repo.facts(FastAPIFacts)
        self.functions: dict[str, FunctionListing] = {}
        for summary in repo.summaries:
            self.functions.update(summary.extras.get(FACTS_KEY, {}))
        self._named: dict[str, list[str]] = {}
        for qualname in self.functions:
            self._named.setdefault(qualname.rpartition(".")[2], []).append(qualname)
        self._by_name = {name: found[0] for name, found in self._named.items() if len(found) == 1}
        self._modules = repo.index
        self._paged: set[str | None] | None = None
        self._reached: dict[str, list[tuple[FunctionListing, int]]] = {}
        self.pages_anything = any(listing.paginates or listing.limit_params or listing.paged_entities
                                  for listing in self.functions.values())

    def callee(self, call: ReturnedCall) -> FunctionListing | None:
        """The repository function a call reaches: by qualified name, else a method found by a name
        no other function of the repository has (`self.repo.list_items(...)`)."""
        for name in (call.callee, self.endpoints.resolve(call.callee), self._modules.canonical(call.callee or "")):
            if name and name in self.functions:
                return self.functions[name]
        text = call.text or ""
        if "." in text:
            name = self._by_name.get(text.rpartition(".")[2])
            return self.functions.get(name) if name else None
        return None

    def namesakes(self, call: ReturnedCall) -> list[FunctionListing]:
        """The functions a call may reach: the one `callee` finds, else, for a method called on an
        attribute (`app.SERVICE.list_runs(...)`), every function of that name (a few at most)."""
        found = self.callee(call)
        if found is not None:
            return [found]
        text = call.text or ""
        names = self._named.get(text.rpartition(".")[2], []) if "." in text else []
        return [self.functions[name] for name in names] if len(names) <= MAX_NAMESAKES else []

    def reached(self, endpoint: Endpoint) -> list[tuple[FunctionListing, int]]:
        """The endpoint's function and the helpers whose results it returns, with their depth
        (once per function: several questions, and endpoints, share it)."""
        qualname = endpoint.function.qualname
        if qualname not in self._reached:
            self._reached[qualname] = self._reach(qualname)
        return self._reached[qualname]

    def _reach(self, qualname: str) -> list[tuple[FunctionListing, int]]:
        start = self.functions.get(qualname)
        if start is None:
            return []
        found = [(start, 0)]
        seen = {start.qualname}
        position = 0
        while position < len(found):
            listing, depth = found[position]
            position += 1
            if depth >= MAX_DEPTH:
                continue
            for call in listing.returned_calls:
                target = self.callee(call)
                if target is not None and target.qualname not in seen:
                    seen.add(target.qualname)
                    found.append((target, depth + 1))
        return found

    def unbounded_rows(self, endpoint: Endpoint) -> Unbounded | None:
        """A query whose rows the endpoint returns whole, when nothing on the way paginates and
        the query is not scoped to what the caller names (the rows of one parent)."""
        reached = self.reached(endpoint)
        if any(listing.paginates or listing.limit_params for listing, _ in reached):
            return None
        for listing, _ in reached:
            for read in listing.whole_reads:
                if not read.by_key and self.large(read):
                    return Unbounded(listing.qualname, read=read)
        return None

    @property
    def paged(self) -> set[str | None]:
        """The mapped classes some endpoint answers a page of: the collections the application's
        authors know are large (a batch job's `.limit(n)` is not a page a client asks for)."""
        if self._paged is None:
            self._paged = set()
            done: set[str] = set()
            for endpoint in self.endpoints.endpoints:
                if endpoint.function.qualname in done:
                    continue
                done.add(endpoint.function.qualname)
                for listing, _ in self.reached(endpoint):
                    self._paged.update(self.endpoints.resolve(name) for name in listing.paged_entities)
        return self._paged

    def large(self, read: WholeRead) -> bool:
        """Whether the rows may be many: an endpoint of the application answers pages of the same
        mapped class, or the application pages through nothing at all (no evidence that any
        collection is small)."""
        if read.entity is not None and self.endpoints.resolve(read.entity) in self.paged:
            return True
        return not self.pages_anything

    def unbounded_limit(self, endpoint: Endpoint) -> Unbounded | None:
        """An endpoint parameter with no upper bound that reaches a `.limit(...)`, unclamped."""
        start = self.functions.get(endpoint.function.qualname)
        if start is None:
            return None
        declared = [param.name for param in endpoint.function.params
                    if self.endpoints.parameter_source(param, endpoint.path) == "query"
                    and _is_int(self.endpoints.parameter_type(param))]
        for parameter in declared:
            if parameter in start.bounded_params:
                continue
            found = self._applied(start, parameter, 0, set())
            if found is not None:
                return Unbounded(found[0], parameter=parameter, applied=found[1], namesakes=found[2])
        return None

    def _applied(self, listing: FunctionListing, parameter: str, depth: int,
                 seen: set[str], namesakes: int = 1) -> tuple[str, str, int] | None:
        """Where `parameter` of `listing` reaches a `.limit(...)` with nothing clamping it."""
        if parameter in listing.clamped or parameter in listing.bounded_params or listing.qualname in seen:
            return None
        seen.add(listing.qualname)
        if parameter in listing.limit_params:
            return listing.qualname, listing.limit_texts.get(parameter, ""), namesakes
        if depth >= MAX_DEPTH:
            return None
        for call in listing.returned_calls:
            for slot, passed in call.arguments:
                if passed != parameter:
                    continue
                targets = self.namesakes(call)
                for target in targets:
                    # A function found by its name alone takes the value by the keyword passed.
                    if isinstance(slot, str) or len(targets) == 1 and self.callee(call) is target:
                        received = slot if isinstance(slot, str) else (
                            target.params[slot] if slot < len(target.params) else None)
                    else:
                        received = None
                    if received is None or received not in target.params:
                        continue
                    found = self._applied(target, received, depth + 1, seen, max(namesakes, len(targets)))
                    if found is not None:
                        return found
        return None


def page_bound(index: ListingIndex, endpoint: Endpoint) -> str | None:
    """What leaves an endpoint's answer unbounded, for the endpoint records (`unbounded_rows`):
    `rows of select(Item) in app.crud.list_items`, `limit without upper bound`, or None."""
    rows = index.unbounded_rows(endpoint)
    if rows is not None and rows.read is not None:
        return f"every row of `{rows.read.query}` ({rows.function})"
    limit = index.unbounded_limit(endpoint)
    if limit is not None:
        return f"`{limit.parameter}` has no upper bound ({limit.function})"
    return None


def _is_int(ref: TypeRef | None) -> bool:
    """`int`, `int | None`, `Optional[int]`."""
    if ref is None:
        return False
    if ref.kind == "union" or (ref.kind == "generic" and ref.name in ("typing.Optional", "typing_extensions.Optional")):
        return any(_is_int(arg) for arg in ref.args)
    return ref.kind == "name" and ref.name == "builtins.int"
