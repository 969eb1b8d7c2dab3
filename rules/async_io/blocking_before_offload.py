"""A blocking call evaluated on the event loop as an argument of an offloading call."""

from __future__ import annotations

from reviewer.model import Severity
from reviewer.semantics.blocking import Blocking
from rules.async_io._records import OPTIONS
from rules.async_io._scan import DirectBlockingRule


class BlockingBeforeOffload(DirectBlockingRule):
    """A blocking call is made on the event loop while building the arguments of an offload.

    ## What it does
    Flags blocking calls (those of RVW401 and RVW402) written inside the arguments of
    `asyncio.to_thread`, `run_in_threadpool`, `anyio.to_thread.run_sync`, `loop.run_in_executor`,
    `BackgroundTasks.add_task` or `BackgroundTask(...)` in a coroutine:
    `await asyncio.to_thread(parse, requests.get(url))`.

    ## Why is this bad?
    Arguments are evaluated before the call: the blocking work runs on the event loop, and only
    its result is handed to the thread. The offload looks right in review and protects nothing.

    ## Example
    ```python
    async def import_feed(url: str):
        return await asyncio.to_thread(parse_feed, requests.get(url, timeout=10).text)
    ```

    ## Use instead
    ```python
    def fetch_and_parse(url: str):
        return parse_feed(requests.get(url, timeout=10).text)

    async def import_feed(url: str):
        return await asyncio.to_thread(fetch_and_parse, url)
    ```

    ## Known problems
    Calls inside a lambda passed to the offload run in the thread and are not reported.

    ## Options
    The same as RVW401.
    """

    code = "RVW404"
    name = "blocking-before-offload"
    severity = Severity.ERROR
    options = OPTIONS

    @classmethod
    def wants(cls, blocking: Blocking, offloader: str | None) -> bool:
        return offloader is not None
