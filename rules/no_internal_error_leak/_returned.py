"""Leaks through what a function returns: a service or helper that catches an exception itself and
returns its detail (`except httpx.HTTPStatusError as e: return {"reason": e.response.text}`), whose
result a route returns (`return service.finalize(id)`, `return await quote_tax(id)`, or a name bound
to either) or sends otherwise, whole or a field of it (`raise HTTPException(502,
detail=outcome.error)`, `await websocket.send_json({"text": verdict.note})`), or the element of a
returned tuple that carries the detail (`url, error = storage.presign(key)`). Reported where the
detail enters the returned value, once, unless the repository shows no client gets it from any
route sending it (`_Withheld`: only trusted callers reach the route, or a default deployment does
not take the branch)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reviewer.rule import RepoContext
from reviewer.semantics.error_paths import ErrorPaths, Leak
from reviewer.semantics.fastapi import FastAPIFacts
from reviewer.semantics.fastapi.records import TypeRef

if TYPE_CHECKING:
    from reviewer.semantics.calls import ModuleIndex
    from reviewer.semantics.fastapi.index import EndpointIndex
    from rules.no_internal_error_leak._base import LeakRule, _Withheld


def record_returned(rule: LeakRule, paths: ErrorPaths) -> None:
    """Keep, in the module's summary, the leaks into its functions' return values and the functions
    whose result its routes return (plain values: summaries travel between processes)."""
    context = rule.context
    leaks = [
        (f"{context.module}.{leak.owner}", context.span(leak.at, leak.at_statement),
         context.statement_lines(leak.at_statement), leak.detail, leak.conditions, leak.phrases, leak.through,
         leak.element)
        for leak in paths.returned_leaks if rule.wanted(leak)
    ]
    if leaks or paths.returned_calls:
        routes = {callee: sorted(((f"{context.module}.{route}", element) for route, element in owners),
                                 key=lambda pair: (pair[0], -1 if pair[1] is None else pair[1]))
                  for callee, owners in paths.returned_calls.items()}
        context.summary.extras[f"{rule.code}:returned"] = (leaks, routes)


def report_returned(rule: type[LeakRule], repo: RepoContext, withheld: _Withheld) -> None:
    key = f"{rule.code}:returned"
    recorded = [(summary, *summary.extras[key]) for summary in repo.summaries if key in summary.extras]
    # function -> (route sending its result, the element of it sent, where)
    returning: dict[str, list[tuple[str, int | None, str]]] = {}
    models = repo.facts(FastAPIFacts)
    for summary, _, calls in recorded:
        for callee, routes in calls.items():
            for name in _named(callee, repo.index, models):
                returning.setdefault(name, []).extend((route, element, summary.path) for route, element in routes)
    reported: set[tuple[str, int, int]] = set()
    for summary, leaks, _ in recorded:
        for function, span, statement_lines, detail, conditions, phrases, through, carrying in leaks:
            where = (summary.path, span.line, span.column)
            routes = [(route, path) for route, element, path in returning.get(repo.index.canonical(function), ())
                      if (element is None or carrying is None or element == carrying)
                      and not withheld(route, None, conditions, phrases, through)]
            if not routes or where in reported:
                continue
            reported.add(where)
            route, path = routes[0]
            sink = (f"the return value of `{function.rsplit('.', 1)[-1]}`, which route `{route.rsplit('.', 1)[-1]}` "
                    f"sends ({path})")
            leak = Leak(node=None, statement=None, detail=detail, sink=sink, function="")
            repo.report(summary.path, span, rule.message(leak), statement_lines=statement_lines)


def _named(callee: str, index: ModuleIndex, models: EndpointIndex) -> set[str]:
    """The functions a qualified callee may be: itself, the method of the class a module's
    instance is made of (`app.services.invoices.finalize` of `invoices = InvoiceService()`), and
    that of the class a type alias stands for (`storage.presign_get` of a parameter `storage:
    Storage`, with `Storage = Annotated[S3Storage, Depends(get_storage)]`)."""
    names = {index.canonical(callee)}
    holder, _, method = callee.rpartition(".")
    if holder:
        names.update(f"{index.canonical(cls)}.{method}" for cls in index.fills(holder) if cls)
        aliased = models.type_of(TypeRef("name", holder))
        if aliased is not None and aliased.kind == "annotated" and aliased.args:
            aliased = aliased.args[0]
        if aliased is not None and aliased.kind == "name" and aliased.name and aliased.name != holder:
            names.add(f"{index.canonical(aliased.name)}.{method}")
    return names
