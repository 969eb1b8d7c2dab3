"""Blocking I/O called directly in a coroutine."""

from __future__ import annotations

from reviewer import lazy_cst as cst
from reviewer.codemods import module_reference
from reviewer.model import Edit, Fix, Severity
from reviewer.semantics.blocking import SESSION, SLEEP, Blocking
from rules.async_io._records import OPTIONS
from rules.async_io._scan import DirectBlockingRule


class BlockingCallInAsync(DirectBlockingRule):
    """A coroutine calls blocking I/O directly: HTTP, files, sockets, subprocesses, sleep.

    ## What it does
    Flags, inside any `async def` (routes, dependencies, middleware, exception handlers, plain
    coroutines), calls that block the thread: `requests` (functions and `Session` methods), a
    sync `httpx.Client`, `urllib.request`, `http.client`, `smtplib`, blocking `socket` calls,
    `time.sleep`, `subprocess.run/call/check_output`, `Popen(...).wait()`, `os.system`, builtin
    `open()`, `pathlib.Path.read_text/write_bytes/...`, `shutil` copies, `psycopg2`/`sqlite3`
    connections, sync `redis.Redis`, `boto3` clients, the sync Stripe SDK and `pandas.read_sql`.
    Names are resolved through imports and aliases (`import requests as r`, `from time import
    sleep`); objects are followed from their construction, annotation or module-level binding,
    also across modules. A call on an object is reported once per coroutine, at its first use; a
    name assigned a second object (`proc = Popen(...)` again) is a second object. A literal pause of
    a millisecond or less (`time.sleep(0.001)`, which some code uses to order timestamps) is not
    counted, here or in the call chains of RVW403.

    ## Why is this bad?
    A coroutine runs on the event loop's only thread. While it waits on a blocking call, no other
    request is served: one slow upstream stalls the whole worker.

    ## Example
    ```python
    @router.get("/rates")
    async def rates():
        response = requests.get(RATES_URL, timeout=5)
        time.sleep(1)
        return response.json()
    ```

    ## Use instead
    ```python
    @router.get("/rates")
    async def rates(client: httpx.AsyncClient = Depends(get_client)):
        response = await client.get(RATES_URL, timeout=5)
        await asyncio.sleep(1)
        return response.json()
    ```
    or keep the sync code and move it off the loop: `await run_in_threadpool(fetch_rates)`, or make
    the route a plain `def` (FastAPI runs those in a threadpool).

    ## Known problems
    Awaited calls, calls inside lambdas and functions passed to `asyncio.to_thread`,
    `run_in_threadpool`, `loop.run_in_executor` or `BackgroundTasks.add_task` are not reported.
    Objects whose type cannot be told from annotations, constructors or bindings (an attribute of an
    untyped parameter) are not followed. Calls under `if <global> is None:` in a function that
    declares that global (lazy one-time initialisation) are not reported. Test code is not checked.
    Coroutines the repository runs only on an event loop of their own are not reported: every call
    hands them to `asyncio.run(...)`/`loop.run_until_complete(...)` in a plain function (a worker
    task, a sync helper a threadpool runs), directly or through a function of the repository that
    does (`run_task(lambda: index(doc_id))`, `run_task(check)`), or awaits them in a coroutine that
    runs only so; they block that loop's thread, not the loop serving requests. So is what a
    Modal application runs as a program (`@app.function()`, `@app.local_entrypoint()` with `app =
    modal.App(...)`), one input at a time, unless it serves the web (`@modal.asgi_app()`) or takes
    inputs concurrently (`@modal.concurrent`), and what only it calls.
    A call under a test of the coroutine's own parameters (`if debug_dir:`) is not reported when
    only the repository's calls run the coroutine and none of them takes the branch: each call
    that resolves to it, with what it passes (followed through callers that forward their own
    parameter), or, where some calls do not resolve (a method called on a parameter typed with a
    base class), every call spelled with its name, none of which passes the parameter. Nor is a
    call under a test of an attribute no code gives a value (`if artifacts.traces_dir:`, with
    `traces_dir: str | None = None` on a model the code builds only with keyword arguments, none
    of them `traces_dir`, and nothing assigning it); an attribute a request, the environment or
    the database may fill (a route's body, a settings class, an ORM model) is always counted.

    ## Fix safety
    Safe. `time.sleep(x)` (however imported) standing as a statement of its own in a coroutine
    becomes `await asyncio.sleep(x)`, and `import asyncio` is added after the docstring and the
    `__future__` imports when the module does not import it. The coroutine still waits as long
    before its next statement; what changes is what the finding is about: the event loop serves
    other requests meanwhile, and the wait becomes a point where the task can be cancelled (as
    every `await` is). Not fixed: a sleep inside an expression, and a module where the name
    `asyncio` means something else. (`time.sleep` of a negative number raises `ValueError`, where
    `asyncio.sleep` returns at once.)

    ## Options
    `blocking-calls` (extra qualified functions that block), `blocking-clients` (classes or
    factories whose every method call blocks), `session-dependencies` (see RVW402).
    """

    code = "RVW401"
    name = "blocking-call-in-async"
    severity = Severity.ERROR
    options = OPTIONS

    @classmethod
    def wants(cls, blocking: Blocking, offloader: str | None) -> bool:
        return offloader is None and blocking.category != SESSION

    def fix(self, node: cst.Call, statement: cst.CSTNode | None, blocking: Blocking) -> Fix | None:
        if blocking.category != SLEEP or node.lpar or node.rpar:
            return None
        if not isinstance(statement, cst.SimpleStatementLine) or not any(
            isinstance(small, cst.Expr) and small.value is node for small in statement.body
        ):
            return None
        reference = module_reference(self.context, "asyncio")
        if reference is None:
            return None
        asyncio, imports = reference
        tree = self.context.tree
        arguments = tree.code_for_node(node)[len(tree.code_for_node(node.func)) :]
        return Fix(
            description=f"replace `{tree.code_for_node(node.func)}` with `await {asyncio}.sleep`",
            edits=(*imports, Edit(self.context.span(node, statement), f"await {asyncio}.sleep{arguments}")),
        )
