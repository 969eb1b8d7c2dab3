"""What the async-io scan records of a file: each call a function makes (`Use`), each function's
facts, in plain picklable records the repository pass reads from module summaries (`Ref`s are
plain tuples, see `_scan.py`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reviewer import lazy_cst as cst
from reviewer.model import Span
from reviewer.pickling import pickled_by_fields
from reviewer.semantics.blocking import (
    Blocking,
)
from reviewer.semantics.conditions import Condition

Ref = tuple[Any, ...]
# What a call passes, each a `conditions.argument_value`: (positional arguments, (keyword, value)
# pairs).
Arguments = tuple[tuple[Any, ...], tuple[tuple[str, Any], ...]]


# The options every async-io rule takes: names of the project's own that extend the blocking
# table (`reviewer.semantics.blocking.BlockingTable`).
OPTIONS: dict[str, Any] = {
    "blocking-calls": [],
    "blocking-clients": [],
    "session-dependencies": [],
}


FACTS_KEY = "async-io"


MAX_RESOLUTION_DEPTH = 8


ROUTE_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "api_route", "route",
                            "websocket", "trace"})


# Call targets in these packages are never functions of the scanned repository.
_EXTERNAL_ROOTS = frozenset(sys.stdlib_module_names) | {
    "builtins", "fastapi", "starlette", "pydantic", "pydantic_settings", "sqlalchemy", "sqlmodel", "alembic",
    "requests", "httpx", "aiohttp", "redis", "boto3", "botocore", "stripe", "structlog", "pytest", "celery",
    "anyio", "uvicorn", "jwt", "jose", "passlib", "pandas", "numpy",
}


@pickled_by_fields  # summaries hold thousands: pickled as their values, without field names
@dataclass(slots=True)
class Use:
    """One call in a function body, as far as the walk could tell what it calls."""

    callee: str | None  # a plain call's qualified target: `requests.get`, `app.services.build`
    receiver: Ref | None = None  # for a method call on an object of known or deferred type
    method: str | None = None
    obj: str | None = None  # the object's name in the function, for one finding per object
    text: str = ""  # the callee as written
    span: Span | None = None
    statement_lines: tuple[int, int] | None = None
    offloader: str | None = None  # set when evaluated as an argument of this offloading call
    # The branch conditions it runs under (`reviewer.semantics.conditions`).
    conditions: tuple[Condition, ...] = ()
    # What the call passes; None when it unpacks `*` or `**`.
    arguments: Arguments | None = ((), ())
    # Which assignment to the object's name it uses (`proc = Popen(...)` twice: two objects).
    binding: int = 0
    # Whether what the call returns is iterated where the call is made (`for row in rows()`,
    # `list(rows())`); False when it is handed on (`StreamingResponse(rows())`), which for a
    # generator function runs none of its body.
    iterated: bool = True

    @property
    def object_key(self) -> str:
        """The object a finding is made once for: its name, and which value of that name."""
        return f"{self.obj}@{self.binding}"

    def passes(self, positional: tuple[str, ...]) -> dict[str, Any] | None:
        """What this call passes to each parameter of a function with these positional
        parameters; None when a `*` or `**` argument could pass anything."""
        if self.arguments is None:
            return None
        values, keywords = self.arguments
        return {**dict(zip(positional, values, strict=False)), **dict(keywords)}


@dataclass(slots=True)
class FunctionFacts:
    qualname: str
    name: str
    is_async: bool
    label: str  # `async route`, `middleware`, `coroutine`, `function`
    # A sync function whose decorator runs it in a thread, or runs its body once (`lru_cache`):
    # calling it does not block the loop on every call.
    exempt: bool = False
    # A function whose body yields: calling it builds a generator and runs nothing of the body.
    is_generator: bool = False
    returns: Ref | None = None
    # The first blocking API this function calls itself, unconditionally, and where: (api, span).
    evidence: tuple[str, Span] | None = None
    # Blocking APIs it calls under branch conditions: (api, conditions, span).
    conditional_evidence: list[tuple[str, tuple[Condition, ...], Span]] = field(default_factory=list)
    # Its positional parameters (without `self`), for the arguments a call passes, and the
    # literal defaults of its parameters (`conditions.literal_kind`).
    positional: tuple[str, ...] = ()
    defaults: dict[str, str] = field(default_factory=dict)
    # Parameters its annotations say are never `None` (`content: str`): what it forwards of them is
    # some value, even when what its caller passed is not known.
    not_none: tuple[str, ...] = ()
    uses: list[Use] = field(default_factory=list)
    # Objects already reported in the per-file pass, by rule code (`Use.object_key`), and objects
    # whose methods are awaited (async).
    reported: dict[str, set[str]] = field(default_factory=dict)
    async_objects: set[str] = field(default_factory=set)
    # Where the per-file pass reported in this function, by rule code: (line, column, the branch
    # conditions of the call).
    reported_at: dict[str, list[tuple[int, int, tuple[Condition, ...]]]] = field(default_factory=dict)
    # The settings and environment conditions every value other than `None` it returns is
    # returned under, and those every value other than a falsy literal (`[]`) is
    # (`conditions.result_conditions`).
    result_conditions: tuple[Condition, ...] = ()
    truth_conditions: tuple[Condition, ...] = ()
    # The awaited calls it makes that may call a coroutine of the repository (`_callers.py`).
    awaits: list[Use] = field(default_factory=list)
    # The calls whose coroutine it hands to an event loop of its own (`asyncio.run(self._load())`,
    # `loop.run_until_complete(...)`): what they run never runs on the loop serving requests.
    loop_runs: list[Use] = field(default_factory=list)
    # Its parameters whose coroutine, or whose call's coroutine (a factory), it hands to such a
    # loop (`def run_task(factory): return loop.run_until_complete(factory())`); and the calls it
    # makes whose first argument may be such a coroutine or factory: the call, and the coroutine's
    # (`run_task(lambda: _index(doc_id))`).
    runs_parameters: tuple[str, ...] = ()
    handed: list[tuple[Use, Use]] = field(default_factory=list)


@dataclass(slots=True)
class ModuleFacts:
    functions: dict[str, FunctionFacts] = field(default_factory=dict)
    bindings: dict[str, Ref] = field(default_factory=dict)  # module-level name -> type
    classes: set[str] = field(default_factory=set)  # local qualified class names
    bases: dict[str, list[str]] = field(default_factory=dict)  # class -> qualified base classes
    attributes: dict[str, dict[str, Ref]] = field(default_factory=dict)  # class -> `self.x` -> type
    # Starlette's `request.state.db = SessionLocal()`, `app.state.redis = Redis()`: name -> type.
    state: dict[str, Ref] = field(default_factory=dict)


@dataclass
class Frame:
    facts: FunctionFacts
    class_name: str | None  # the qualified class of a method
    self_name: str | None  # the first parameter of a method
    locals: dict[str, Ref | None] = field(default_factory=dict)
    functions: dict[str, str] = field(default_factory=dict)  # nested defs: name -> qualname
    lambdas: int = 0
    # Decorators and parameter defaults run where the function is defined, not when it is called.
    body: cst.CSTNode | None = None
    node: cst.FunctionDef | None = None
    in_body: bool = False
    globals: set[str] = field(default_factory=set)
    # Depth of blocks that run once per process (`reviewer.semantics.once`), not per call, and
    # of loops.
    lazy_init: int = 0
    loops: int = 0
    # Its parameters (without `self`) while unassigned, the branch conditions of the code being
    # walked, and locals holding a condition's value (`dump_dir = os.environ.get("DUMP_DIR")`).
    parameters: frozenset[str] = frozenset()
    conditions: list[Condition] = field(default_factory=list)
    known: dict[str, Condition] = field(default_factory=dict)
    rebinds: dict[str, int] = field(default_factory=dict)  # how often each local was assigned so far
    state_aliases: dict[str, str] = field(default_factory=dict)  # local -> `self._x` it was assigned
    # The conditions of each `return` of a value other than `None`, and of a value other than a
    # falsy literal; None once it yields.
    value_returns: list[tuple[Condition, ...]] | None = field(default_factory=list)
    truthy_returns: list[tuple[Condition, ...]] = field(default_factory=list)
    # Findings a rule holds back until the function ends, by rule code.
    pending: dict[str, list[tuple[cst.CSTNode, cst.CSTNode | None, str, Use, Blocking]]] = field(
        default_factory=dict)


def facts_key(options: Mapping[str, Any]) -> str:
    """The summary extras key of the facts a scan with these options records. The options that
    change what a scan sees (extra blocking APIs, session dependencies) are part of the key."""
    extended = {name: sorted(set(options.get(name, ()))) for name in OPTIONS if options.get(name)}
    return f"{FACTS_KEY}:{json.dumps(extended, sort_keys=True)}" if extended else FACTS_KEY


def is_external(qualified: str) -> bool:
    return qualified.split(".", 1)[0] in _EXTERNAL_ROOTS


def _innermost_name(ref: Ref) -> str | None:
    """The repo name a deferred reference hangs on."""
    while ref and ref[0] in ("member", "called", "item", "mapping"):
        ref = ref[1]
    return ref[1] if ref and ref[0] in ("call", "value", "class") else None


def is_deferred(ref: Ref | None) -> bool:
    if ref is None or ref[0] == "type":
        return False
    if ref[0] == "state":
        return True  # what the application keeps in `request.state`, set in another module
    name = _innermost_name(ref)
    return name is not None and not is_external(name)
