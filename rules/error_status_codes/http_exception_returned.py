"""An `HTTPException` is returned instead of raised, so the client gets it with status 200."""

from __future__ import annotations

from reviewer.model import Severity
from reviewer.semantics.error_paths import ErrorPaths
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

    ## Known problems
    A function that only returns `HTTPException`s, or is declared to return one
    (`def translate(exc: Exception) -> HTTPException:`), is taken to be a factory whose callers
    raise what it builds (`raise not_found()`), and is not flagged even where a caller returns it.
    """

    code = "RVW811"
    name = "http-exception-returned"
    severity = Severity.WARNING

    def check(self, paths: ErrorPaths) -> None:
        for site in paths.http_exceptions:
            if site.returned and site.returned_as_result:
                self.report_in(site.statement, site.returned_node or site.call,
                               "`HTTPException` is returned, not raised: the client gets it as a 200 response; "
                               "`raise` it")
