"""Leaks through what a function returns: a service or helper that catches an exception itself and
returns its detail (`except httpx.HTTPStatusError as e: return {"reason": e.response.text}`), whose
result a route returns (`return service.finalize(id)`, `return await quote_tax(id)`, or a name bound
to either) or sends otherwise, whole or a field of it (`raise HTTPException(502,
detail=outcome.error)`, `await websocket.send_json({"text": verdict.note})`), or the element of a
returned tuple that carries the detail (`url, error = storage.presign(key)`). Reported where the
detail enters the response: where it enters the returned value, once, when a route sends the
result whole; where a route reads the field or the element into what it sends otherwise (`{"text":
verdict.note}`), once there, with the function's `return` as a related place. Not when the
repository shows no client gets it from any route sending it (`_Withheld`: only trusted callers
reach the route, or a default deployment does not take the branch), or that it carries no detail of
the deployment: the block hands its values only to functions that compute (`Computing`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reviewer.model import Related
from reviewer.rule import RepoContext
from reviewer.semantics.error_paths import ErrorPaths
from reviewer.semantics.fastapi import FastAPIFacts
from reviewer.semantics.fastapi.records import TypeRef

if TYPE_CHECKING:
    from reviewer.semantics.calls import ModuleIndex
    from reviewer.semantics.fastapi.index import EndpointIndex
    from rules.no_internal_error_leak._base import LeakReport, LeakRule, _Withheld


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
        routes = {callee: sorted({(f"{context.module}.{route}", element, None if reading is None else (
                      context.span(reading, statement), context.statement_lines(statement)))
                      for route, element, reading, statement in owners},
                      key=lambda sent: (sent[0], -1 if sent[1] is None else sent[1], sent[2] is not None,
                                        sent[2] and (sent[2][0].line, sent[2][0].column)))
                  for callee, owners in paths.returned_calls.items()}
        context.summary.extras[f"{rule.code}:returned"] = (leaks, routes)


def report_returned(rule: type[LeakRule], repo: RepoContext, withheld: _Withheld, report: LeakReport) -> None:
    key = f"{rule.code}:returned"
    recorded = [(summary, *summary.extras[key]) for summary in repo.summaries if key in summary.extras]
    # function -> (route sending its result, the element of it sent, where, where the route reads it)
    returning: dict[str, list[tuple[str, int | None, str, tuple | None]]] = {}
    models = repo.facts(FastAPIFacts)
    for summary, _, calls in recorded:
        for callee, routes in calls.items():
            for name in _named(callee, repo.index, models):
                returning.setdefault(name, []).extend(
                    (route, element, summary.path, reading) for route, element, reading in routes)
    for summary, leaks, _ in recorded:
        for function, span, statement_lines, detail, conditions, phrases, through, carrying in leaks:
            routes = [(route, path, reading) for route, element, path, reading in returning.get(
                repo.index.canonical(function), ()) if (element is None or carrying is None or element == carrying)
                and not withheld(route, None, conditions, phrases, through, computed_by=detail.computed_by)]
            named = function.rsplit(".", 1)[-1]
            whole = [(route, path) for route, path, reading in routes if reading is None]
            if whole:
                route, path = whole[0]
                sink = f"the return value of `{named}`, which route `{route.rsplit('.', 1)[-1]}` sends ({path})"
                report(summary.path, span, detail, sink, statement_lines=statement_lines)
                continue
            for route, path, (read, read_lines) in routes:
                sink = (f"what route `{route.rsplit('.', 1)[-1]}` sends here, from the return value of `{named}` "
                        f"({summary.path}:{span.line})")
                report(path, read, detail, sink, statement_lines=read_lines,
                       related=(Related(summary.path, span, f"`{named}` returns `{detail.what}`"),))


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
