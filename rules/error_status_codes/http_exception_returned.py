"""An `HTTPException` is returned instead of raised, so the client gets it with status 200."""

from __future__ import annotations

from typing import ClassVar

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.model import Severity
from reviewer.rule import RepoContext
from reviewer.semantics.error_paths import ErrorPaths
from reviewer.semantics.error_paths.helpers_elsewhere import HelperFacts, Helpers
from rules.error_status_codes._base import StatusRule


class HttpExceptionReturned(StatusRule):
    """An `HTTPException` is returned instead of raised, so the client gets it with status 200.

    ## What it does
    Flags `return HTTPException(...)` (FastAPI's or Starlette's), also of an exception built
    earlier in the function and kept in a variable, in a route, an exception handler, or a
    function that otherwise returns values (a dependency returning the user or an
    `HTTPException`): there the caller takes the exception for a result.

    ## Why is this bad?
    FastAPI turns an `HTTPException` into an error response only when it is raised. Returned from
    a route, it is serialized as an ordinary body with status 200 (or the route's success status),
    so clients, caches and monitoring see a success; returned from a helper, the caller carries on
    as if nothing failed.

    ## Example
    ```python
    @router.get("/items/{item_id}")
    async def get_item(item_id: int):
        item = await items.get(item_id)
        if item is None:
            return HTTPException(status_code=404, detail="Item not found")
        return item
    ```

    ## Use instead
    ```python
        if item is None:
            raise HTTPException(status_code=404, detail="Item not found")
    ```

    A module-level function that only returns `HTTPException`s, or is declared to return one
    (`def forbidden() -> HTTPException:`), is a factory whose callers are to raise what it builds
    (`raise forbidden()`): it is not flagged itself, but a route that returns what it builds
    (`return forbidden()`, `return errors.not_found("item")`, of this module or another) is.

    ## Known problems
    A factory's result kept in a variable and returned later (`error = not_found(); ...; return
    error`) is not followed, nor are factories that are methods.
    """

    code = "RVW811"
    name = "http-exception-returned"
    severity = Severity.WARNING
    requires: ClassVar[tuple[type[Facts], ...]] = (HelperFacts,)

    def check(self, paths: ErrorPaths) -> None:
        for site in paths.http_exceptions:
            if site.returned and site.returned_as_result:
                self.report_in(site.statement, site.returned_node or site.call,
                               "`HTTPException` is returned, not raised: the client gets it as a 200 response; "
                               "`raise` it")
        made = []  # routes returning what a function builds: the repository tells which are factories
        for site in paths.returns:
            value = site.node.value
            if isinstance(value, cst.Await):
                value = value.expression
            if site.role != "route" or not isinstance(value, cst.Call):
                continue
            callee = self.context.qualify(value.func)
            if callee is not None and not callee.startswith("builtins."):
                message = (f"the `HTTPException` that `{callee.rsplit('.', 1)[-1]}` builds is returned, not raised: "
                           "the client gets it as a 200 response; `raise` it")
                made.append((callee, self.context.span(site.node, site.statement),
                             self.context.statement_lines(site.statement), message))
        if made:
            self.context.summary.extras[self.code] = made

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        """Report the routes that return what an `HTTPException` factory builds."""
        cls.report_returned_results(repo, Helpers.builds_http_exception)
