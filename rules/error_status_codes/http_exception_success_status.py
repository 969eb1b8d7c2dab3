"""An `HTTPException` carries a success (1xx/2xx) status code."""

from __future__ import annotations

from reviewer.model import Severity
from reviewer.semantics.error_paths import ErrorPaths
from rules.error_status_codes._base import StatusRule

# "Accepted, still working" and "nothing to send": raised to end a request early, not to report a failure.
NOT_DONE = frozenset({202, 204})


class HttpExceptionSuccessStatus(StatusRule):
    """An `HTTPException` carries a success (1xx/2xx) status code.

    ## What it does
    Flags `HTTPException(status_code=...)` whose status is below 300, written as a number,
    `status.HTTP_200_OK` or `HTTPStatus.OK`. 202 (accepted, still being worked on) and 204 (no
    content) are left alone: raised, they end a request early rather than report a failure.

    ## Why is this bad?
    An exception reports a failure, but the client receives the status it carries: with 200 the
    failure looks like a success to clients, retries, caches and monitoring. (3xx is left alone:
    raising a redirect is a known FastAPI idiom.)

    ## Example
    ```python
    raise HTTPException(status_code=200, detail="User already exists")
    ```

    ## Use instead
    ```python
    raise HTTPException(status_code=409, detail="User already exists")
    ```

    ## Known problems
    A status held in a variable or computed is not judged.
    """

    code = "RVW812"
    name = "http-exception-success-status"
    severity = Severity.WARNING

    def check(self, paths: ErrorPaths) -> None:
        for site in paths.http_exceptions:
            if site.status is not None and site.status < 300 and site.status not in NOT_DONE:
                self.report_in(site.statement, site.call,
                               f"`HTTPException` is sent with success status {site.status}; use the 4xx/5xx status "
                               "of the failure")
