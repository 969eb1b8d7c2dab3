"""How the async-io rules say what they found: the coroutine, the blocking API, the advice."""

from __future__ import annotations

from reviewer.semantics.blocking import (
    DATABASE,
    FILE,
    NETWORK,
    PROCESS,
    SESSION,
    SLEEP,
    Blocking,
)
from rules.async_io._records import FunctionFacts, Use, is_deferred

ADVICE = {
    NETWORK: "use an async client (httpx.AsyncClient, aiohttp, redis.asyncio, aioboto3) or offload it "
             "with `await run_in_threadpool(...)`",
    FILE: "use aiofiles or offload it with `await asyncio.to_thread(...)`",
    SLEEP: "use `await asyncio.sleep(...)`",
    PROCESS: "use `asyncio.create_subprocess_exec` or offload it with `await asyncio.to_thread(...)`",
    DATABASE: "use an async driver (asyncpg, aiosqlite) or offload it with `await asyncio.to_thread(...)`",
    SESSION: "use an AsyncSession, or make the function a sync `def` so FastAPI runs it in a threadpool",
}


def describe(facts: FunctionFacts) -> str:
    return f"{facts.label} `{facts.name}`"


def written(blocking: Blocking, use: Use) -> str:
    """The blocking call as the reader knows it: `client.get` (requests.Session) or `requests.get`."""
    if blocking.object_type and use.text:
        return f"`{use.text}` ({blocking.object_type})"
    return f"`{blocking.api}`"


def direct_message(blocking: Blocking, facts: FunctionFacts, use: Use) -> str:
    if use.offloader:
        return (f"{written(blocking, use)} runs on the event loop in {describe(facts)} before `{use.offloader}` "
                f"offloads anything: pass the function and its arguments instead of calling it")
    return f"{written(blocking, use)} blocks the event loop in {describe(facts)}: {ADVICE[blocking.category]}"


def is_direct(use: Use) -> bool:
    """Whether the rules of direct calls follow a use: a method call on an object (not
    `self.helper()`), or a dotted call (`storage.client.get(...)`, whose object may be a
    module-level client); not a bare call of a helper, which only RVW403 follows."""
    if use.receiver is not None:
        return use.receiver[0] != "class"
    return "." in use.text


def worth_keeping(facts: FunctionFacts) -> bool:
    """Whether the repository pass may need this function: for its uses, or for what it returns."""
    returns = facts.returns
    if (facts.uses or facts.evidence or facts.conditional_evidence or facts.reported_at or facts.result_conditions
            or facts.truth_conditions or facts.awaits or facts.loop_runs or facts.runs_parameters or facts.handed):
        return True
    return returns is not None and (returns[0] == "type" or is_deferred(returns))
