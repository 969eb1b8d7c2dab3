"""Leaks through the application's own exceptions: a caught exception's detail handed to one the
application raises (`raise StorageError(message=f"upload failed: {e}")`), whose registered handler
sends the attribute it ends in (`{"message": exc.message}`), or a route that runs the raising
function catches it and answers with that attribute (`except StorageError as e: raise
HTTPException(502, detail=e.message)`). Reported where the detail enters the response: where the
handler, or the route, reads the attribute, once for every `raise` that reaches it there (each one
a related place of the finding); at the `raise` itself for an `HTTPException` of the application's
own that FastAPI answers with its `detail`. A `raise` counts when a route runs the function raising
it (a chain of calls leads from one to it: the application's exceptions are raised by background
jobs too, which no handler answers), unless only trusted callers reach those routes, a function on
every chain of calls from them catches the class (or a base) around its call without raising it
again, or the repository shows no client gets it otherwise (`_Withheld`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reviewer.model import Related
from reviewer.rule import RepoContext
from reviewer.semantics.error_paths import Leak
from reviewer.semantics.error_paths.wrapped import WrapFacts
from reviewer.wording import first_of

if TYPE_CHECKING:
    from reviewer.model import Span
    from reviewer.semantics.error_paths.wrapped import Wrapped, WrapSite
    from rules.no_internal_error_leak._base import LeakReport, LeakRule, _Trust, _Withheld


def report_wrapped(rule: type[LeakRule], repo: RepoContext, withheld: _Withheld, report: LeakReport) -> None:
    wrapped = repo.facts(WrapFacts)
    trust = withheld.trust
    # Where a handler or a route reads the attribute -> (what reads it, the attribute, the raises reaching it)
    sinks: dict[tuple[str, Span], tuple[str, str, list[tuple[str, WrapSite]]]] = {}
    for path, site in wrapped.sites:
        if not rule.wanted(Leak(node=None, statement=None, detail=site.detail, sink="", function="")) or withheld(
                None, None, (), (), site.detail.through, computed_by=site.detail.computed_by):
            continue
        # Routes that catch it answer with it themselves; a handler registered for it answers the others.
        for route, attribute, where, span in _caught_by_routes(wrapped, trust, site):
            sinks.setdefault((where, span), (f"route `{route.rsplit('.', 1)[-1]}`", attribute, []))[2].append(
                (path, site))
        found = wrapped.sent(site.cls, site.slot)
        if found is None:
            continue
        routes = trust.routes_reaching(site.function, site.cls)
        if not routes or trust.trusted_routes(routes):
            continue
        handler, attribute, registered_in, place = found
        if place is None:  # FastAPI answers the application's `HTTPException` with what it was raised with
            report(path, site.span, site.detail, f"`{site.written}`'s `{attribute}`, which {handler} sends",
                   statement_lines=site.statement_lines)
            continue
        reader = handler + (f" (registered in {registered_in})" if registered_in else "")
        sinks.setdefault(place, (reader, attribute, []))[2].append((path, site))
    for (path, span), (reader, attribute, raises) in sinks.items():
        raises.sort(key=lambda raised: (raised[0], raised[1].span.line, raised[1].span.column))
        first_path, first = raises[0]
        sink = (f"`{first.written}`'s `{attribute}` (raised with it in "
                f"{first_of(first_path, first.span.line, len(raises))}), which {reader} sends here")
        related = tuple(Related(where, site.span, f"`{site.written}` is raised with `{site.detail.what}`")
                        for where, site in raises)
        report(path, span, first.detail, sink, related=related)


def _caught_by_routes(wrapped: Wrapped, trust: _Trust, site: WrapSite) -> list[tuple[str, str, str, Span]]:
    """(route, attribute, its module's path, where it reads the attribute) of the routes that run
    the raising function, with no function on the way catching the exception and keeping it,
    catch it and answer with the attribute the detail ends in, and let in callers who are not
    trusted."""
    catchers = wrapped.caught_and_sent(site.cls, site.slot)
    reaching = trust.routes_reaching(site.function, site.cls, caught_by_route=True) if catchers else None
    return [(route, attribute, where, span) for route, attribute, where, span in catchers
            if reaching and route in reaching and not trust.trusted_routes({route: reaching[route]})]
