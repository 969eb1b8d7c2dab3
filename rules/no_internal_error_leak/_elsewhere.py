"""Leaks of functions that another module runs with a caught exception: an exception handler it
registers (`app.add_exception_handler(SQLAlchemyError, errors.on_error)`), a helper it hands the
exception to (`raise errors.to_http(e)`, `return responses.failure(e)`).

The module defining the function cannot tell what it is given, so it walks the function as if it
were given an exception (`ErrorPaths.handler_leaks`, `ErrorPaths.helper_leaks`) and records the
leaks found; the modules calling or registering it record what they hand it
(`ErrorPaths.registered_elsewhere`, `ErrorPaths.passed_elsewhere`). The repository pass pairs
them, and reports a leak where the function lets the detail into the response, once; for a
function handed the exception's text (`error_response(502, e.response.text)`), at each call that
hands it, since the function sends what it is given; so too for the content handed to a response
class the application defines in another module (`JSONResponse(content={"error": str(e)})` of
`class JSONResponse(StarletteJSONResponse)`), which the module building it cannot tell apart.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from reviewer.rule import RepoContext
from reviewer.semantics.error_paths import ErrorPaths, Leak
from reviewer.semantics.error_paths.helpers_elsewhere import HelperFacts
from reviewer.semantics.error_paths.records import CLIENT_ERRORS
from reviewer.semantics.error_paths.response_classes import ResponseClasses
from reviewer.semantics.exceptions import INTERNAL, Detail, exception_origin

if TYPE_CHECKING:
    from collections.abc import Callable

    from rules.no_internal_error_leak._base import LeakReport, LeakRule, _Withheld


def record_leaks_elsewhere(rule: LeakRule, paths: ErrorPaths) -> None:
    """Keep, in the module's summary, what the repository pass pairs (plain values: summaries
    travel between processes)."""
    context = rule.context
    handlers = [
        (f"{context.module}.{leak.function}", context.span(leak.at, leak.at_statement),
         context.statement_lines(leak.at_statement), leak.detail, leak.sink, leak.function)
        for leak in paths.handler_leaks if rule.wanted(leak)
    ]
    if handlers or paths.registered_elsewhere:
        context.summary.extras[f"{rule.code}:handlers"] = (handlers, paths.registered_elsewhere)
    # A function given an exception's text sends whatever text its caller hands: a traceback's too.
    for key, found, passed, kept in (
            (f"{rule.code}:helpers", paths.helper_leaks, paths.passed_elsewhere, rule.wanted),
            (f"{rule.code}:text-helpers", paths.helper_text_leaks, paths.passed_text_elsewhere,
             lambda leak: not leak.detail.traceback)):
        helpers = [
            (f"{context.module}.{name}", slot, context.span(leak.at, leak.at_statement),
             context.statement_lines(leak.at_statement), leak.detail, leak.sink)
            for name, slots in found.items() for slot, leaks in slots for leak in leaks if kept(leak)
        ]
        if helpers or passed:
            context.summary.extras[key] = (helpers, passed)


def report_leaks_elsewhere(rule: type[LeakRule], repo: RepoContext, withheld: _Withheld,
                           report_leak: LeakReport) -> None:
    """Report the leaks of handlers a module registers for an exception carrying internal detail,
    and of helpers a module hands such an exception to, where another module defines them."""
    carries = repo.facts(HelperFacts).carries

    def report(path: str, span, statement_lines, detail, sink: str) -> None:  # noqa: ANN001
        if detail.through is None or carries(*detail.through):
            report_leak(path, span, detail, sink, statement_lines=statement_lines)

    canonical = repo.index.canonical
    handlers = [(summary, *summary.extras[key]) for summary in repo.summaries
                if (key := f"{rule.code}:handlers") in summary.extras]
    registered: dict[str, list[tuple[str, str]]] = {}  # handler -> (class as written, where)
    for summary, _, elsewhere in handlers:
        for handler, classes in elsewhere.items():
            for qualified in classes:
                if qualified and exception_origin(qualified, summary.module) == INTERNAL:
                    registered.setdefault(canonical(handler), []).append((qualified.rsplit(".", 1)[-1], summary.path))
    for summary, leaks, _ in handlers:
        for function, span, statement_lines, detail, sink, name in leaks:
            for written, where in registered.get(canonical(function), ())[:1]:
                report(summary.path, span, statement_lines, detail,
                       f"{sink} of exception handler `{name}` (registered for `{written}` in {where})")

    key = f"{rule.code}:helpers"
    helpers = [(summary, *summary.extras[key]) for summary in repo.summaries if key in summary.extras]
    handed: dict[str, dict[int | str, tuple[str, str]]] = {}  # helper -> slot -> (what as written, where)
    for summary, _, passed in helpers:
        for callee, slots in passed.items():
            for slot, written in slots.items():
                handed.setdefault(canonical(callee), {}).setdefault(slot, (written, summary.path))
    for summary, leaks, _ in helpers:
        for function, (position, parameter), span, statement_lines, detail, sink in leaks:
            slots = handed.get(canonical(function), {})
            found = slots.get(position) if position is not None else None
            found = found or slots.get(parameter)
            if found is not None:
                written, where = found
                report(summary.path, span, statement_lines, detail,
                       f"{sink} of `{function.rsplit('.', 1)[-1]}` (handed a caught `{written}` in {where})")
    _report_text_handed(rule, repo, report, withheld)


def _report_text_handed(rule: type[LeakRule], repo: RepoContext, report: Callable[..., None],
                        withheld: _Withheld) -> None:
    """Report the text of a caught exception where a module hands it to a function of another
    module that sends it (`error_response(502, e.response.text)`): the function, an envelope its
    other callers hand fixed messages, is not at fault; the call is."""
    key = f"{rule.code}:text-helpers"
    canonical = repo.index.canonical
    helpers = [(summary, *summary.extras[key]) for summary in repo.summaries if key in summary.extras]
    sends: dict[str, dict[int | str, tuple[Detail, str]]] = {}  # helper -> slot -> (its detail, the sink named)
    for summary, leaks, _ in helpers:
        for function, (position, parameter), _span, _lines, detail, sink in leaks:
            slots = sends.setdefault(canonical(function), {})
            for slot in (position, parameter):
                if slot is not None:
                    slots.setdefault(slot, (detail, f"{sink} of `{function.rsplit('.', 1)[-1]}` ({summary.path})"))
    responses = ResponseClasses(repo.summaries, repo.index)
    for summary, _, passed in helpers:
        for callee, slots in passed.items():
            sent = sends.get(canonical(callee), {})
            built = responses.name_of(callee)
            for slot, sites in slots.items():
                if built is not None and slot in _RESPONSE_CONTENT:
                    # `JSONResponse(content={"error": str(e)})` of the application's own class.
                    sent.setdefault(slot, (Detail(""), f"the body of `{built}`"))
                if slot not in sent:
                    continue
                detail, sink = sent[slot]
                for site in sites:
                    if built is not None and site.parsing and site.status in CLIENT_ERRORS:
                        continue  # a client error describing the data it could not parse
                    given = replace(detail, what=site.what, traceback=site.traceback)
                    if rule.wanted(Leak(node=None, statement=None, detail=given, sink=sink, function="")) and not (
                            withheld(f"{summary.module}.{site.function}", None, site.conditions, (), None,
                                     computed_by=site.computed_by)):
                        report(summary.path, site.span, site.statement_lines, given, sink)


# The arguments a response class sends as its body: the first, or `content`.
_RESPONSE_CONTENT = frozenset({0, "content"})
