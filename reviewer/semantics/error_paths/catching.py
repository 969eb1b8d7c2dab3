"""The calls a function makes inside `try` blocks, and whether what they raise is caught there.

An exception a helper raises reaches the route that called it unless a function on the way
catches it: `try: await graphs.delete(id) except Exception: logger.warning(...)` keeps the
helper's `HTTPException` from the client. `guarded_calls` records, for each name a function calls
in a `try` block (or under `with suppress(...)`) whose handler keeps what it catches, each of its
calls of that name in `try` blocks with the `try` statements around it, innermost first: each as
its handlers in order, the classes a handler catches (qualified; a bare `except:` catches
`BaseException`) and whether it passes the exception on (a bare `raise`, or `raise e` of the name
it bound, anywhere in its block). The function's other calls of that name, which its module
summary counts, have no `try` around them. A handler that raises another exception keeps the one
it caught: what the new one says is the handler's own. `caught` answers, for one call, whether the
first handler of some `try` around it that matches the class keeps it.
"""

from __future__ import annotations

from collections.abc import Callable

from reviewer import lazy_cst as cst
from reviewer.semantics.exceptions import BROAD, named_classes
from reviewer.summary import callee_name, handed_to_thread
from reviewer.traversal import children_of, descendants

# One handler: the classes it catches, and whether it passes what it caught on.
Handler = tuple[frozenset[str], bool]
# The `try` statements around one call, innermost first, each as its handlers in order.
Guards = tuple[tuple[Handler, ...], ...]

_SUPPRESS = frozenset({"contextlib.suppress"})


def guarded_calls(function: cst.FunctionDef,
                  qualify: Callable[[cst.BaseExpression], str | None]) -> dict[str, tuple[Guards, ...]]:
    """Callee name (the last part of the callee as written) -> the guards of each of its calls in
    a `try` block (or under `suppress`) of the function, for the names one of whose calls a handler
    that keeps what it catches guards. Calls outside every `try` are not walked: the module
    summary's call sites count them (`Wrapped.passes_on`)."""
    found: dict[str, list[Guards]] = {}
    pending: list[tuple[cst.CSTNode, Guards]] = [(function.body, ())]
    while pending:
        node, guards = pending.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue  # a nested function runs when it is called
        if not guards and isinstance(node, (cst.SimpleStatementLine, cst.BaseExpression)):
            continue  # outside every `try`: no statement of it is one
        if isinstance(node, (cst.Try, cst.TryStar)):
            pending.append((node.body, (tuple(_handler(handler, qualify) for handler in node.handlers), *guards)))
            pending.extend((block, guards) for block in (*node.handlers, node.orelse, node.finalbody) if block)
            continue
        if isinstance(node, cst.With):
            suppressed = _suppressed(node, qualify)
            if suppressed:
                pending.append((node.body, (((suppressed, False),), *guards)))
                pending.extend((item, guards) for item in node.items)
                continue
        if isinstance(node, cst.Call):
            handed = handed_to_thread(node, qualify)
            for callee in (node.func, handed) if handed is not None else (node.func,):
                name = callee_name(callee)
                if name is not None:
                    found.setdefault(name, []).append(guards)
        pending.extend((child, guards) for child in children_of(node))
    return {name: tuple(sites) for name, sites in found.items()
            if any(not passes_on for guards in sites for handlers in guards for _, passes_on in handlers)}


def caught(guards: Guards, lineage: frozenset[str]) -> bool:
    """Whether an exception whose class and bases are `lineage` stops at one of the `try`
    statements around a call: the first of its handlers that matches keeps it."""
    for handlers in guards:
        for classes, passes_on in handlers:
            if classes & lineage or classes & BROAD:
                if not passes_on:
                    return True
                break  # raised again, to the `try` around this one
    return False


def renamed(sites: tuple[Guards, ...], rename: Callable[[str], str]) -> tuple[Guards, ...]:
    """The same guards with every class caught renamed (to its canonical name in the repository)."""
    return tuple(tuple(tuple((frozenset(map(rename, classes)), passes_on) for classes, passes_on in handlers)
                       for handlers in guards) for guards in sites)


def _handler(handler: cst.ExceptHandler | cst.ExceptStarHandler,
             qualify: Callable[[cst.BaseExpression], str | None]) -> Handler:
    classes = frozenset({"builtins.BaseException"}) if handler.type is None else frozenset(
        qualified for member in named_classes(handler.type) if (qualified := qualify(member)))
    bound = handler.name.name.value if handler.name and isinstance(handler.name.name, cst.Name) else None
    passes_on = any(isinstance(node, cst.Raise) and (
        node.exc is None or bound is not None and isinstance(node.exc, cst.Name) and node.exc.value == bound)
        for node in descendants(handler.body))
    return classes, passes_on


def _suppressed(node: cst.With, qualify: Callable[[cst.BaseExpression], str | None]) -> frozenset[str]:
    """The classes `with suppress(...)` keeps."""
    found: set[str] = set()
    for item in node.items:
        call = item.item
        if isinstance(call, cst.Call) and qualify(call.func) in _SUPPRESS:
            found.update(qualified for arg in call.args if (qualified := qualify(arg.value)))
    return frozenset(found)
