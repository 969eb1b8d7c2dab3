"""A coroutine calls a sync helper that (through other helpers) blocks on I/O."""

from __future__ import annotations

from reviewer import lazy_cst as cst
from reviewer.model import Related, Severity
from reviewer.rule import RepoContext
from reviewer.semantics.blocking import Blocking
from reviewer.semantics.constants import ConstantsFacts
from reviewer.semantics.serving import EntryPointFacts, ServingPaths
from reviewer.semantics.settings import SettingsDefaults, SettingsFacts
from rules.async_io._call_graph import CallGraph, Hop
from rules.async_io._callers import Callers
from rules.async_io._records import OPTIONS, Frame, FunctionFacts, Use, is_deferred, is_external
from rules.async_io._repo_types import RepoTypes
from rules.async_io._scan import BlockingScan


class BlockingCallChain(BlockingScan):
    """A coroutine calls a sync function of the repository that performs blocking I/O.

    ## What it does
    Follows calls from every `async def` into sync functions defined anywhere in the scanned
    repository (module functions, methods called on `self`, classes constructed or annotated
    locally, nested functions), through further sync helpers, to a blocking call: everything
    RVW401 and RVW402 recognise. It reports the call site in the coroutine and names the chain:
    `get_report -> app.services.reports.build -> app.clients.fetch -> requests.get`; each helper's
    call that goes on along the chain, down to the blocking call, is a related place of the finding.
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
    Methods reached through untyped attributes or inherited from a base class are not followed. A
    helper passed by reference to an offloading call (`asyncio.to_thread(build, id)`), or decorated
    with `sync_to_async`/`asyncify`, is not reported. Helpers in test code are ignored. Work that
    runs once is not counted: helpers decorated with `functools.cache`/`lru_cache`, and calls under
    `if <global> is None:` in a function that declares that global (lazy initialisation), and an
    install of a package that cannot be imported (`if not importlib.util.find_spec(name):`); their
    first call does block. Branches a default deployment does not take are left out: a settings flag
    off by default, also a module-level name or class attribute read from the environment (`if not
    FILE_LOGS:` after `FILE_LOGS = os.getenv("FILE_LOGS", "") == "true"`), an environment variable
    unset by default (also one whose name is built, `f"{name}_FILE"`). Coroutines the repository
    runs only on an event loop of their own are not reported: every call hands them to
    `asyncio.run(...)`/`loop.run_until_complete(...)` in a plain function (a worker task, a sync
    helper a threadpool runs), directly or through a function of the repository that does
    (`run_task(lambda: index(doc_id))`, `run_task(check)`), or awaits them in a coroutine that runs
    only so; they block that loop's thread, not the loop serving requests. So is what a Modal application
    runs as a program (`@app.function()`, `@app.local_entrypoint()` with `app = modal.App(...)`), one
    input at a time, unless it serves the web (`@modal.asgi_app()`) or takes inputs concurrently
    (`@modal.concurrent`), and what only it calls. A call under a test of
    the coroutine's own parameters is left out when no call of the coroutine takes the branch, and
    one under a test of an attribute no code gives a value, as RVW401 tells. A call of a generator
    function runs none of its body (of an undecorated one: `@contextmanager` runs it when a `with`
    enters what the call returns): it counts only where its generator is iterated at once (`for
    chunk in read_chunks(path)`, a comprehension, `list(...)`, `b"".join(...)`, `yield from`), not
    where it is handed on (`StreamingResponse(read_chunks(path))`, which Starlette iterates in a
    thread); a generator kept in a name and iterated later in the coroutine is not followed.

    ## Options
    The same as RVW401.
    """

    code = "RVW403"
    name = "blocking-call-chain"
    severity = Severity.ERROR
    options = OPTIONS

    def on_blocking(self, node: cst.Call, use: Use, frame: Frame, blocking: Blocking) -> None:
        facts = frame.facts
        if facts.is_async:
            return
        if use.conditions:
            facts.conditional_evidence.append((blocking.api, use.conditions, self.context.span(node)))
        elif facts.evidence is None:
            facts.evidence = blocking.api, self.context.span(node)

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
        settings: SettingsDefaults = repo.facts(SettingsFacts)
        types = RepoTypes.of(repo)
        constants = repo.facts(ConstantsFacts)
        graph = CallGraph(types, settings, constants)
        serving: ServingPaths = repo.facts(EntryPointFacts)
        callers = Callers.of(repo)
        for summary in repo.summaries:
            facts = types.facts_of(summary)
            if facts is None or summary.is_test_file:
                continue
            for coroutine in facts.functions.values():
                if coroutine.is_async and serving.is_serving(coroutine.qualname) is not False:
                    cls._report_coroutine(repo, graph, callers, summary.path, coroutine)

    @classmethod
    def _report_coroutine(cls, repo: RepoContext, graph: CallGraph, callers: Callers, path: str,
                          coroutine: FunctionFacts) -> None:
        """One finding per helper that blocks: at its first call, naming the other calls."""
        found: dict[str, tuple[Use, list[Hop], str]] = {}
        lines: dict[str, list[int]] = {}
        for use in coroutine.uses:
            if (use.span is None or not graph.types.by_default(use.conditions, graph.settings)
                    or not callers.may_run(coroutine, use.conditions)):
                continue
            target = graph.target(use)
            chain = graph.chain(target, use) if target is not None else None
            if chain is None:
                continue
            if target.qualname in found:
                lines[target.qualname].append(use.span.line)
            else:
                found[target.qualname] = (use, *chain)
                lines[target.qualname] = []
        for helper, (use, hops, api) in found.items():
            chain_text = " -> ".join([coroutine.name, *(hop.qualname for hop in hops), api])
            where = f" (evaluated before `{use.offloader}` offloads anything)" if use.offloader else ""
            again = sorted(set(lines[helper]) - {use.span.line})
            also = ""
            if again:
                also = f"; it is called again on line{'s' if len(again) > 1 else ''} {', '.join(map(str, again))}"
            repo.report(
                path,
                use.span,
                f"`{chain_text}` blocks the event loop in {coroutine.label} `{coroutine.name}`{where}{also}: "
                f"call the helper with `await run_in_threadpool(...)` or make the chain async",
                statement_lines=use.statement_lines,
                related=_related(hops, api),
            )


def _related(hops: list[Hop], api: str) -> tuple[Related, ...]:
    """Where each helper of a chain makes its call on along it; a hop whose call the summaries
    did not record is left out."""
    calls = [*(f"`{hop.name}` here" for hop in hops[1:]), f"`{api}`, which blocks"]
    return tuple(
        Related(hop.path, hop.call, f"`{hop.name}` calls {call}")
        for hop, call in zip(hops, calls, strict=True)
        if hop.call is not None
    )
