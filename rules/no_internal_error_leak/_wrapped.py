"""Leaks through the application's own exceptions: a caught exception's detail handed to one the
application raises (`raise StorageError(message=f"upload failed: {e}")`), whose registered handler
sends the attribute it ends in (`{"message": exc.message}`). Reported at the argument of the
`raise`, once, when a route runs the function raising it (a chain of calls leads from one to it:
the application's exceptions are raised by background jobs too, which no handler answers), unless
only trusted callers reach those routes, a function on every chain of calls from them catches the
class (or a base) around its call without raising it again, or the repository shows no client gets
it otherwise (`_Withheld`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from reviewer.rule import RepoContext
from reviewer.semantics.error_paths import Leak
from reviewer.semantics.error_paths.wrapped import WrapFacts

if TYPE_CHECKING:
    from reviewer.semantics.error_paths.wrapped import Wrapped, WrapSite
    from rules.no_internal_error_leak._base import LeakRule, _Trust, _Withheld


def report_wrapped(rule: type[LeakRule], repo: RepoContext, withheld: _Withheld) -> None:
    wrapped = repo.facts(WrapFacts)
    reported: set[tuple[str, int, int]] = set()
    for path, site in wrapped.sites:
        where_reported = (path, site.span.line, site.span.column)
        if where_reported in reported:
            continue
        found = wrapped.sent(site.cls, site.slot)
        if withheld(None, None, (), (), site.detail.through, computed_by=site.detail.computed_by):
            continue
        trust = withheld.trust
        if found is None:
            caught = _caught_by_route(wrapped, trust, site)
            if caught is not None:
                route, attribute, where = caught
                sink = f"`{site.written}`'s `{attribute}`, which route `{route.rsplit('.', 1)[-1]}` ({where}) sends"
                leak = Leak(node=None, statement=None, detail=site.detail, sink=sink, function="")
                if rule.wanted(leak):
                    reported.add(where_reported)
                    repo.report(path, site.span, rule.message(leak), statement_lines=site.statement_lines)
            continue
        routes = trust.routes_reaching(site.function, site.cls)
        if not routes or trust.trusted_routes(routes):
            continue
        handler, attribute, registered_in = found
        sink = f"`{site.written}`'s `{attribute}`, which {handler}" + (
            f" (registered in {registered_in}) sends" if registered_in else " sends")
        leak = Leak(node=None, statement=None, detail=site.detail, sink=sink, function="")
        if rule.wanted(leak):
            reported.add(where_reported)
            repo.report(path, site.span, rule.message(leak), statement_lines=site.statement_lines)


def _caught_by_route(wrapped: Wrapped, trust: _Trust, site: WrapSite) -> tuple[str, str, str] | None:
    """(route, attribute, where) of a route that runs the raising function, with no function on
    the way catching the exception and keeping it, catches it and answers with the attribute the
    detail ends in, and lets in callers who are not trusted."""
    catchers = wrapped.caught_and_sent(site.cls, site.slot)
    reaching = trust.routes_reaching(site.function, site.cls, caught_by_route=True) if catchers else None
    for route, attribute, where in catchers:
        if reaching and route in reaching and not trust.trusted_routes({route: reaching[route]}):
            return route, attribute, where
    return None
