"""A coroutine calls a sync helper that (through other helpers) blocks on I/O."""

from __future__ import annotations

from collections import deque

from reviewer import lazy_cst as cst
from reviewer.model import Severity
from reviewer.rule import RepoContext
from reviewer.semantics.blocking import Blocking
from reviewer.semantics.serving import EntryPointFacts, ServingPaths
from rules.async_io._records import OPTIONS, Frame, FunctionFacts, Use, is_deferred, is_external
from rules.async_io._repo_types import RepoTypes
from rules.async_io._scan import BlockingScan

# Helpers further than this from the blocking call are not followed (the chain would be noise).
MAX_CHAIN = 8


class BlockingCallChain(BlockingScan):
    """A coroutine calls a sync function of the repository that performs blocking I/O.

    ## What it does
    Follows calls from every `async def` into sync functions defined anywhere in the scanned
    repository (module functions, methods called on `self`, classes constructed or annotated
    locally, nested functions), through further sync helpers, to a blocking call: everything
    RVW401 and RVW402 recognise. It reports the call site in the coroutine and names the chain:
    `get_report -> app.services.reports.build -> app.clients.fetch -> requests.get`.
    A helper called several times in one coroutine is one problem: it is reported once, at its
    first call, and the message lists the other calls' lines. It reads module summaries only, so
    helpers in other modules cost no re-parsing; cycles and long chains end.

    ## Why is this bad?
    The blocking call usually sits in a helper, where no direct-call linter sees it; from the
    coroutine, the helper looks like any other function call, and it stalls the event loop.

    ## Example
    ```python
    # app/services/reports.py
    def build(report_id):
        return fetch(f"{REPORTS}/{report_id}")      # fetch() calls requests.get

    # app/api/reports.py
    @router.get("/reports/{report_id}")
    async def get_report(report_id: int):
        return reports.build(report_id)
    ```

    ## Use instead
    ```python
    @router.get("/reports/{report_id}")
    async def get_report(report_id: int):
        return await run_in_threadpool(reports.build, report_id)
    ```
    or make the route a plain `def`, or make the helpers async end to end.

    ## Known problems
    Methods reached through untyped attributes or inherited from a base class are not followed.
    A helper passed by reference to an offloading call (`asyncio.to_thread(build, id)`), or
    decorated with `sync_to_async`/`asyncify`, is not reported. Helpers in test code are ignored.
    Work that runs once is not counted: helpers decorated with `functools.cache`/`lru_cache`, and
    calls under `if <global> is None:` in a function that declares that global (lazy
    initialisation); their first call does block.

    ## Options
    The same as RVW401.
    """

    code = "RVW403"
    name = "blocking-call-chain"
    severity = Severity.ERROR
    options = OPTIONS

    def on_blocking(self, node: cst.Call, use: Use, frame: Frame, blocking: Blocking) -> None:
        facts = frame.facts
        if not facts.is_async and facts.evidence is None:
            facts.evidence = blocking.api

    def keep(self, use: Use, frame: Frame) -> bool:
        if use.receiver is not None:
            if not is_deferred(use.receiver):
                return False
        elif not use.callee or is_external(use.callee):
            return False
        if not frame.facts.is_async:
            use.text = ""  # only coroutines' uses are reported
        return True

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        graph = _CallGraph(RepoTypes.of(repo))
        serving: ServingPaths = repo.facts(EntryPointFacts)
        for summary in repo.summaries:
            facts = graph.types.facts_of(summary)
            if facts is None or summary.is_test_file:
                continue
            for coroutine in facts.functions.values():
                if coroutine.is_async and serving.is_serving(coroutine.qualname) is not False:
                    cls._report_coroutine(repo, graph, summary.path, coroutine)

    @classmethod
    def _report_coroutine(cls, repo: RepoContext, graph: _CallGraph, path: str, coroutine: FunctionFacts) -> None:
        """One finding per helper that blocks: at its first call, naming the other calls."""
        found: dict[str, tuple[Use, list[str], str]] = {}
        lines: dict[str, list[int]] = {}
        for use in coroutine.uses:
            if use.span is None:
                continue
            target = graph.target(use)
            if target is None:
                continue
            if target.qualname in found:
                lines[target.qualname].append(use.span.line)
                continue
            chain = graph.chain(target)
            if chain is not None:
                found[target.qualname] = (use, *chain)
                lines[target.qualname] = []
        for helper, (use, helpers, api) in found.items():
            chain_text = " -> ".join([coroutine.name, *helpers, api])
            where = f" (evaluated before `{use.offloader}` offloads anything)" if use.offloader else ""
            again = sorted(set(lines[helper]) - {use.span.line})
            also = f"; it is called again on line{'s' if len(again) > 1 else ''} {', '.join(map(str, again))}" if again else ""
            repo.report(
                path,
                use.span,
                f"`{chain_text}` blocks the event loop in {coroutine.label} `{coroutine.name}`{where}{also}: "
                f"call the helper with `await run_in_threadpool(...)` or make the chain async",
                statement_lines=use.statement_lines,
            )


class _CallGraph:
    """Sync functions of the repository, which of them block, and the shortest way how."""

    def __init__(self, types: RepoTypes) -> None:
        self.types = types
        self._evidence: dict[str, str] = {}
        self._callees: dict[str, list[str]] = {}
        self._functions: dict[str, FunctionFacts] = {}
        for summary in types.index:
            facts = types.facts_of(summary)
            if facts is None or summary.is_test_file:
                continue
            for function in facts.functions.values():
                if function.is_async or function.exempt:
                    continue
                self._functions[function.qualname] = function
        for name, function in self._functions.items():
            evidence = function.evidence
            callees = []
            for use in function.uses:
                blocking = types.receiver_blocking(use)
                if blocking is not None:
                    evidence = evidence or blocking.api
                    continue
                target = self.target(use)
                if target is not None and target.qualname != name:
                    callees.append(target.qualname)
            if evidence:
                self._evidence[name] = evidence
            self._callees[name] = callees
        self._distance = self._distances()

    def target(self, use: Use) -> FunctionFacts | None:
        """The sync function of the repository a use calls, if any."""
        types = self.types
        found = None
        if use.callee:
            found = types.function(use.callee)
            if found is None:
                cls = types.is_class(use.callee)
                if cls is not None:
                    found = types.function(f"{cls}.__init__")
            if found is None:
                head, _, method = use.callee.rpartition(".")
                if head:
                    resolved = types.resolve(("value", head))
                    if resolved is not None and resolved[0] == "class":
                        found = types.method(resolved[1], method)
        elif use.receiver is not None and use.method:
            resolved = types.resolve(use.receiver)
            if resolved is not None and resolved[0] == "class":
                found = types.method(resolved[1], use.method)
        if found is None or found.is_async or found.exempt:
            return None
        return self._functions.get(found.qualname)

    def _distances(self) -> dict[str, int]:
        """Breadth-first from the functions that block themselves, backwards along calls."""
        callers: dict[str, list[str]] = {}
        for caller, callees in self._callees.items():
            for callee in callees:
                callers.setdefault(callee, []).append(caller)
        distance = dict.fromkeys(self._evidence, 0)
        queue = deque(self._evidence)
        while queue:
            current = queue.popleft()
            if distance[current] >= MAX_CHAIN:
                continue
            for caller in callers.get(current, ()):
                if caller not in distance:
                    distance[caller] = distance[current] + 1
                    queue.append(caller)
        return distance

    def chain(self, start: FunctionFacts) -> tuple[list[str], str] | None:
        """The helpers from `start` to the blocking call, and the blocking API; None if it does not block."""
        current = start.qualname
        if current not in self._distance:
            return None
        helpers = [current]
        while self._distance[current] > 0:
            current = next(c for c in self._callees[current] if self._distance.get(c) == self._distance[current] - 1)
            helpers.append(current)
        return helpers, self._evidence[current]
