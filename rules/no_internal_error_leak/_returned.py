"""Leaks through what a function returns: a service or helper that catches an exception itself and
returns its detail (`except httpx.HTTPStatusError as e: return {"reason": e.response.text}`), whose
result a route returns (`return service.finalize(id)`, `return await quote_tax(id)`, or a name bound
to either) or sends otherwise, whole or a field of it (`raise HTTPException(502,
detail=outcome.error)`, `await websocket.send_json({"text": verdict.note})`). Reported where the
detail enters the returned value, once, unless the repository shows no client gets it from any
route sending it (`_Withheld`: only trusted callers reach the route, or a default deployment does
not take the branch)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reviewer.rule import RepoContext
from reviewer.semantics.error_paths import ErrorPaths, Leak

if TYPE_CHECKING:
    from reviewer.semantics.calls import ModuleIndex
    from rules.no_internal_error_leak._base import LeakRule, _Withheld


def record_returned(rule: LeakRule, paths: ErrorPaths) -> None:
    """Keep, in the module's summary, the leaks into its functions' return values and the functions
    whose result its routes return (plain values: summaries travel between processes)."""
    context = rule.context
    leaks = [
        (f"{context.module}.{leak.owner}", context.span(leak.at, leak.at_statement),
         context.statement_lines(leak.at_statement), leak.detail, leak.conditions, leak.phrases, leak.through)
        for leak in paths.returned_leaks if rule.wanted(leak)
    ]
    if leaks or paths.returned_calls:
        routes = {callee: sorted(f"{context.module}.{route}" for route in owners)
                  for callee, owners in paths.returned_calls.items()}
        context.summary.extras[f"{rule.code}:returned"] = (leaks, routes)


def report_returned(rule: type[LeakRule], repo: RepoContext, withheld: _Withheld) -> None:
    key = f"{rule.code}:returned"
    recorded = [(summary, *summary.extras[key]) for summary in repo.summaries if key in summary.extras]
    returning: dict[str, list[tuple[str, str]]] = {}  # function -> (route returning its result, where)
    for summary, _, calls in recorded:
        for callee, routes in calls.items():
            for name in _named(callee, repo.index):
                returning.setdefault(name, []).extend((route, summary.path) for route in routes)
    reported: set[tuple[str, int, int]] = set()
    for summary, leaks, _ in recorded:
        for function, span, statement_lines, detail, conditions, phrases, through in leaks:
            where = (summary.path, span.line, span.column)
            routes = [(route, path) for route, path in returning.get(repo.index.canonical(function), ())
                      if not withheld(route, None, conditions, phrases, through)]
            if not routes or where in reported:
                continue
            reported.add(where)
            route, path = routes[0]
            sink = (f"the return value of `{function.rsplit('.', 1)[-1]}`, which route `{route.rsplit('.', 1)[-1]}` "
                    f"sends ({path})")
            leak = Leak(node=None, statement=None, detail=detail, sink=sink, function="")
            repo.report(summary.path, span, rule.message(leak), statement_lines=statement_lines)


def _named(callee: str, index: ModuleIndex) -> set[str]:
    """The functions a qualified callee may be: itself, and the method of the class a module's
    instance is made of (`app.services.invoices.finalize` of `invoices = InvoiceService()`)."""
    names = {index.canonical(callee)}
    holder, _, method = callee.rpartition(".")
    if holder:
        names.update(f"{index.canonical(cls)}.{method}" for cls in index.fills(holder) if cls)
    return names
