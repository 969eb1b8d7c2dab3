"""An endpoint that no test requests."""

from __future__ import annotations

from typing import ClassVar

from reviewer.facts import Facts
from reviewer.model import Severity
from reviewer.rule import RepoContext, Rule
from reviewer.semantics.client_requests import ClientRequestFacts, RequestedRoutes
from reviewer.semantics.fastapi import Endpoint, FastAPIFacts


class UntestedEndpoint(Rule):
    """An endpoint that no test requests.

    ## What it does
    Reads the test suite (test modules, `conftest.py`, files of a `tests/` directory) for the
    requests it makes through a test client (`TestClient(app)`, `httpx.AsyncClient` on an
    `ASGITransport`, a `client` fixture) or an HTTP library in end-to-end tests: the method and
    the path, also paths built with f-strings, `+`, `%` or `.format`, names assigned earlier, a
    base URL in front, and `app.url_path_for("route_name")`. A test that calls the endpoint
    function itself, or runs schemathesis over the application's schema (`schemathesis.openapi.
    from_asgi(...)`, which requests every operation), exercises it too. Each endpoint of the
    application (method and full path through every router prefix, constants in prefixes read)
    that nothing exercises is reported, and the item's note gives the share exercised:
    `41 of 57 endpoints are requested or called by a test`.

    A request matches a route when the paths agree segment by segment (for the routes of an
    application mounted in another, `app.mount("/admin", admin_app)`, a test may also request
    the path within the mounted application, as its own test client does): a path parameter
    (`/items/{item_id}`) matches any one segment, a part of the test's path the source does not
    spell (`f"/items/{item.id}"`) matches any one segment, and a trailing slash is ignored (FastAPI
    redirects one to the other). A path-like literal in a test file that no request reads where it
    is written (a `parametrize` list of paths, a class attribute) counts for every method of the
    routes it matches.

    ## Why is this bad?
    An endpoint no test calls has no test of its validation, its authorisation or its error
    paths: a refactor that breaks it ships. Coverage of the functions underneath does not tell,
    since the endpoint's own wiring (its dependencies, status codes, response model) is what a
    request exercises.

    ## Example
    ```python
    @router.delete("/items/{item_id}")
    async def delete_item(item_id: int, user: CurrentUser): ...
    ```
    with no test that sends `DELETE /items/...`.

    ## Use instead
    ```python
    def test_delete_item(client, item):
        response = client.delete(f"/items/{item.id}")
        assert response.status_code == 204
    ```

    When no test requests or calls any endpoint, one finding says so, at the first endpoint,
    rather than one per endpoint.

    ## Known problems
    It sees the tests that are reviewed with the code: review the repository (or the tests
    directory too), not only the application package. When no test suite is among the reviewed
    files (no `test_*` function in a tests directory, a `conftest.py` or a `test_*.py` module: a
    package's own `*_test.py` unit tests, as a wheel ships them, are not its suite), nothing is
    reported and the note says so. Requests made by tests
    in another language (a browser end-to-end suite), or through a client wrapper whose paths are
    built far from the call, are not seen. A path-like literal mentioned in a test counts as a
    request, which can hide an endpoint that is only mentioned.
    """

    code = "RVW911"
    name = "untested-endpoint"
    checklist = "tests-present"
    severity = Severity.INFO
    always_applicable = False
    requires: ClassVar[tuple[type[Facts], ...]] = (FastAPIFacts, ClientRequestFacts)

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        endpoints = repo.facts(FastAPIFacts).endpoints
        if not endpoints:
            return
        requested: RequestedRoutes = repo.facts(ClientRequestFacts)
        routes = _routes(endpoints)
        if not requested.test_modules:
            repo.describe(
                f"no test is among the reviewed files ({_count(len(routes))}): "
                "review the tests with the code to measure which endpoints they exercise"
            )
            return
        repo.mark_applicable()
        untested = [
            (method, mounted[0])
            for (method, _), mounted in routes.items()
            if not any(
                requested.exercised(
                    method, path, prefix_known=e.prefix_known, function=e.function.qualname, name=e.function.name
                )
                for e in mounted
                for path in {e.path, e.app_path}
            )
        ]
        tested = len(routes) - len(untested)
        verb = "is" if tested == 1 else "are"
        repo.describe(f"{tested} of {_count(len(routes))} {verb} requested or called by a test")
        if not tested and len(untested) > 1:
            # One finding says it: a list of every endpoint would say nothing more.
            method, endpoint = untested[0]
            repo.report(
                endpoint.file,
                endpoint.function.span,
                f"no test among the reviewed files requests or calls any of the {_count(len(routes))} "
                f"(this one, {method} {endpoint.path or '/'}, among them): add tests that call the API "
                "through a test client",
                statement_lines=endpoint.function.statement_lines,
            )
            return
        for method, endpoint in untested:
            repo.report(
                endpoint.file,
                endpoint.function.span,
                f"no test requests {method} {endpoint.path or '/'} ({endpoint.function.name}): "
                "add a test that calls it through a test client",
                statement_lines=endpoint.function.statement_lines,
            )


def _routes(endpoints: list[Endpoint]) -> dict[tuple[str, str], list[Endpoint]]:
    """Each endpoint function's methods, with every path it is mounted at (a router included
    twice serves one function at two paths: a request to either tests it)."""
    routes: dict[tuple[str, str], list[Endpoint]] = {}
    for endpoint in endpoints:
        for method in endpoint.methods:
            routes.setdefault((method, endpoint.function.qualname), []).append(endpoint)
    return routes


def _count(endpoints: int) -> str:
    return f"{endpoints} endpoint{'s' * (endpoints != 1)}"
