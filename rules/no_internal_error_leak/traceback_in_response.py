"""A formatted traceback reaches the client in a response."""

from __future__ import annotations

from reviewer.model import Severity
from reviewer.semantics.error_paths import Leak
from rules.no_internal_error_leak._base import LeakRule


class TracebackInResponse(LeakRule):
    """A formatted traceback reaches the client in a response.

    ## What it does
    Flags `traceback.format_exc()`, `traceback.format_exception(...)`, `format_tb`, `format_stack`,
    the worker's traceback a Celery task's result holds (`AsyncResult(task_id).traceback`), and
    values built from them (joined, put in a dict or an f-string, kept in a variable) where
    they enter a response in a FastAPI module: the `detail` of an `HTTPException`, the content of a
    `JSONResponse`/`Response`, a route's return value, a websocket send, the body an ASGI
    middleware's `send` sends (the sinks `RVW801` lists).

    ## Why is this bad?
    A stack trace shows the server's file paths, library versions, the code around the failure and
    often the values involved: a map of the application for an attacker (CWE-209).

    ## Example
    ```python
    @app.exception_handler(Exception)
    async def on_error(request: Request, exc: Exception):
        return JSONResponse(status_code=500, content={"error": traceback.format_exc()})
    ```

    ## Use instead
    ```python
    @app.exception_handler(Exception)
    async def on_error(request: Request, exc: Exception):
        logger.exception("unhandled error on %s", request.url.path)
        return JSONResponse(status_code=500, content={"error": "Internal server error"})
    ```

    ## Known problems
    A traceback sent only when a debug setting is on is still flagged: say so with a suppression
    comment if the setting can never be on in production.
    """

    code = "RVW802"
    name = "traceback-in-response"
    severity = Severity.ERROR

    @staticmethod
    def wanted(leak: Leak) -> bool:
        return leak.detail.traceback

    @staticmethod
    def message(leak: Leak) -> str:
        return (f"the traceback from `{leak.detail.what}` reaches the client in {leak.sink}; log it on the server "
                "and send a fixed message instead")
