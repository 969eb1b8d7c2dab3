"""An endpoint or exception handler reports an error in a body sent with a success status."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.model import Severity
from reviewer.rule import RepoContext
from reviewer.semantics.error_paths import (
    DETAIL,
    DETAIL_TEXT,
    FAILURE_TEXT,
    MESSAGE,
    RESPONSE_CLASSES,
    TEXT,
    ErrorPaths,
    ReturnSite,
    acknowledges,
    dumped,
    error_body,
    flask_error_tuple,
    response_status,
    says_not_ready,
    sent_with_error_status,
    stated_error_code,
)
from reviewer.semantics.error_paths.helpers_elsewhere import HelperFacts, Helpers
from reviewer.semantics.fastapi.responses import ResponseFacts, ResponseModel
from reviewer.syntax import argument
from rules.error_status_codes._base import StatusRule

if TYPE_CHECKING:
    from reviewer.semantics.fastapi.index import Endpoint


class ErrorBodySuccessStatus(StatusRule):
    """An endpoint or exception handler reports an error in a body sent with a success status.

    ## What it does
    Flags a `return` of a route, or of an HTTP middleware (`@app.middleware("http")`, a middleware
    class's `dispatch(self, request, call_next)`), that sends an error body without an error status: a
    dict, a model built with such fields by a helper that builds nothing else (`def fail(message):
    return APIResponse(success=False, message=message)`, also through `.model_dump()`), or
    `JSONResponse`/`Response` content saying it is an error (`{"error": "..."}`, `{"error": True}`,
    `{"success": False, ...}`, `{"status": "error"}`), or a `{"detail": ...}`,
    `{"status": "failed"}`, `{"errors": ["..."]}` or `{"code": 500, "msg": ...}` body (one that
    names an error status) inside an `except` block or a branch taken when something is missing
    (`if item is None:`, `if not item:`), or a `{"detail": "..."}` message the code wrote (FastAPI's
    own error shape) in an early `if` branch, one with no `else` that returns before the route's own
    answer (`if note.owner_id != user.id: return {"detail": "Not yours"}`), unless the route's own
    answer is such a message too (`return {"detail": "Successfully logged out"}`), or a text
    response of a literal the code wrote (`PlainTextResponse("Something went wrong")`,
    `HTMLResponse("<h1>Internal error</h1>")`) inside an `except` block, or a body of only a
    message (`{"message": "Something went wrong"}`) in an `except` block for any exception
    (`except Exception:`) or built from the exception it caught (`{"message": f"Retry failed:
    {exc}"}`), when no `status_code` of 4xx/5xx is given and the route did not set
    `response.status_code` before it (`= 200` leaves it a success); a body encoded by hand
    (`Response(json.dumps({"error": ...}))`, `jsonable_encoder(...)`) is read as the dict it
    encodes; a name an `except` block binds to such a body (`result = {"success": False, ...}`),
    or whose dict it sets such keys in (`result["error"] = "failed"`), and the route returns after
    the `try` (itself, or as the content of a response built without an error status:
    `JSONResponse(body)`, or `status_code=status_code` after `status_code = 200`, the function's
    one binding of it) counts as returned from that block, unless the block
    leaves the function or the name is bound again before the return (not in the `try`'s `else`,
    which runs only when no handler did); also the return of a
    function of the same module that only returns such bodies (`return error_response("not
    found")`), or of a function of another module that does (`return
    responses.not_found("item")`, also one that binds the body to a name and returns it), and a
    response without an error status around such a function's result (`JSONResponse(
    error_body("Still holds stock"))`). In an exception handler (registered
    with `@app.exception_handler(...)`, `app.add_exception_handler(...)` or
    `FastAPI(exception_handlers=...)`, also a handler another module defines: `async def
    on_error(request, exc)` in `errors.py`, `app.add_exception_handler(Exception,
    errors.on_error)` in `main.py`), any `JSONResponse`/`Response` built without a status is
    flagged: it goes out as 200. A Flask-style `return {"error": ...}, 500` (a body and an error
    status in a tuple) is flagged wherever it is: FastAPI sends the tuple as a JSON list, with 200.
    So is a readiness or health probe (a route registered for a path ending in `/ready`, `/readyz`,
    `/health`, `/healthz`, ...) whose body says the service is not ready (`{"ready": False}`,
    `{"healthy": False}`, `{"status": "down"}`) without an error status: an orchestrator or a
    monitor reads the status; not a liveness probe (`/live`), which answers 200 on purpose while a
    dependency is down, nor a body that says `"degraded"`.

    An `error` field that holds a value read from elsewhere (`{"data": rows, "error": warning}`,
    `job.get("error")`) may be `None` on success, so it counts only where an error is handled,
    like `detail`.

    Not flagged: responses with a 4xx/5xx status (given as a number, `status.HTTP_...`,
    `HTTPStatus...` or any expression but a name the function binds once, to a success status:
    `status_code=code` after `code = 200` is a 200), success bodies with an empty `errors`/`error` field
    (`{"errors": []}`, `{"error": None}`), a readiness probe that returns 503, the LNURL
    protocol's `{"status": "ERROR", "reason": ...}` body that wallets read from a 200 response,
    a payment or job whose own status is `"failed"`, the verdict of a check the client asked for
    (`{"valid": False, "errors": [str(e)]}`: the check ran, and this is its answer), and a body
    with two or more data fields beside its status or error (`{"status": "error", "running":
    False, "progress": 0}`): the state of something the client asked about, such as a background
    job that failed (beside an error stated outright, empty placeholders are no data: `{"error":
    "The query failed", "documents": [], "context": ""}` is flagged). A text response where
    something is missing (`if not names: return PlainTextResponse("No reports yet")`) may be an
    empty state, and is not flagged, unless it says the request failed (`HTMLResponse("<h1>Page
    not found</h1>")`, `PlainTextResponse(f"batch too large, max {limit}")`, also in an early
    `if` branch); nor is an empty one. A message-only body in an `except` block for a case the
    code foresaw (`except AlreadyMember: return {"message": "You are already a member"}`, the
    same answer to a password reset whether or not the address is known) may be a success on
    purpose, and is not flagged; nor is one that says it succeeded (`{"status": "ok", ...}`,
    `"code": 200`). Nor is a body a webhook receiver sends, outside an `except` block, once it
    has verified the delivery's signature (`stripe.Webhook.construct_event(...)`, `if not
    hmac.compare_digest(...): raise`): an authentic event it does not act on (`{"success":
    False}` for an event type it ignores) must be acknowledged with a 2xx, or the sender retries
    it. A failure to process the event, in an `except` block, is still flagged, unless the body
    acknowledges the delivery (`{"received": True, "error": "processing deferred"}`): the
    receiver took the event, to process it its own way. Nor is an answer in an `except
    ImportError:` block (`{"runs": [], "error": "mlflow is not installed"}`): an optional module
    is missing, a state of the deployment the route reports as it would a feature switched off
    (a body with a stated success status and a `detail` that says nothing failed, `"Title
    generation is disabled"`, is not flagged either). Nor is a branch no value takes: `if
    config is None:` after a statement that reads `config.setting` on every way to it, for a
    name the route binds once (that statement raises first when `config` is None). Nor is a
    route's own answer in a model (`ConnectionTestResponse(success=False, ...)`): it may be the
    verdict of a check the route ran. Nor, in a module whose exception handler moves the handled
    exception's status into the body of a response sent without one (`{"status_code":
    exc.status_code, "status_message": exc.detail}`: the API answers in a status envelope by
    design, and its clients read the status there), a handler's response whose body states a
    status (`{"status_code": 422, ...}`); one whose body states none is still flagged. Nor a dict
    stating an error code (`{"code": 500, "msg": "..."}`) that a route returns as it is, where the
    route declares a response model of the repository with a field for each of its keys
    (`response_model=BaseResponse`, `code: int = Field(200, description="API status code")`):
    FastAPI sends it as that envelope, as it would a `BaseResponse(code=500, msg=...)` the route
    built; the application's clients read the code there.

    ## Why is this bad?
    Clients, retries, caches, load balancers and monitoring read the status, not the body: a
    failure sent as 200 is counted as a success and cached, and every client must parse the body
    to notice it.

    ## Example
    ```python
    @router.post("/payments")
    async def pay(payment: PaymentIn):
        try:
            return await provider.charge(payment)
        except ProviderError:
            return {"error": "payment failed"}
    ```

    ## Use instead
    ```python
        except ProviderError:
            raise HTTPException(status_code=502, detail="payment failed")
    ```

    ## Known problems
    A status held in a variable is taken to be an error status. A helper of another module is
    followed where the route calls it by a name its imports resolve (not through an object).
    """

    code = "RVW813"
    name = "error-body-success-status"
    severity = Severity.WARNING
    requires: ClassVar[tuple[type[Facts], ...]] = (HelperFacts, ResponseFacts)

    def check(self, paths: ErrorPaths) -> None:
        qualify = self.context.qualify
        elsewhere = []  # routes returning what a function of another module builds
        coded = []  # routes returning a body that states an error code, for their response models
        markers = {id(site): error_body(site.returned, qualify, paths.error_body_helpers,
                                        held_status=site.held_status)
                   for site in paths.returns if site.returned is not None}
        # Routes whose own answer is a `detail` message (`{"detail": "Archived"}`): they speak in
        # that shape on success too, so an early answer in it is no error by its shape.
        in_detail = {site.function for site in paths.returns if markers.get(id(site)) == DETAIL_TEXT and not (
            site.in_except or site.in_guard or site.early_exit)}
        for site in paths.returns:
            value = site.returned
            if value is None or site.status_set or site.without_module or site.after_signature_check and (
                    not site.in_except or acknowledges(value)):
                continue
            if site.role == "handler":
                response = None if id(site.node) in paths.enveloped else self._handler_response(value)
                if response is not None:
                    self.report_in(site.statement, site.node, self._handler_message("exception handler", response))
                continue
            marker = markers[id(site)]
            if marker == DETAIL_TEXT and site.function in in_detail:
                marker = DETAIL
            if marker is None and site.function in paths.probes and says_not_ready(value, qualify) and not (
                    isinstance(value, cst.Call) and sent_with_error_status(value, qualify)):
                self.report_in(site.statement, site.node, (
                    f"probe `{site.function}` reports the service not ready with a success status (200): "
                    "orchestrators and monitors read the status, not the body; answer it with 503"))
                continue
            if marker is None:
                callee = self._imported_callee(value)
                if callee is not None:
                    span = self.context.span(site.node, site.statement)
                    elsewhere.append((callee, span, self.context.statement_lines(site.statement),
                                      self._message(site.function, _where(site, marker) or "")))
                continue
            where = _where(site, marker)
            if where is None:
                continue
            if flask_error_tuple(value, qualify):
                self.report_in(site.statement, site.node, (
                    f"route `{site.function}` returns a `(body, status)` tuple, as a Flask view does: FastAPI sends "
                    "it as a JSON list with status 200; raise `HTTPException` or return "
                    "`JSONResponse(body, status_code=...)`"))
                continue
            noun = "middleware" if site.function in paths.middleware else "route"
            keys = stated_error_code(value)  # returned as it is: FastAPI validates it into the response model
            if keys and noun == "route":
                span = self.context.span(site.node, site.statement)
                coded.append((f"{self.context.module}.{site.function}", keys, span,
                              self.context.statement_lines(site.statement), self._message(site.function, where)))
                continue
            self.report_in(site.statement, site.node, self._message(site.function, where, noun))
        if elsewhere:
            self.context.summary.extras[self.code] = elsewhere
        if coded:
            self.context.summary.extras[f"{self.code}:coded"] = coded
        self._record_handlers(paths)

    def _record_handlers(self, paths: ErrorPaths) -> None:
        """Keep, for the repository to pair: the responses without an error status of this module's
        functions shaped as exception handlers that it does not register, and the handlers it
        registers that other modules define."""
        shaped = []
        for site in paths.handler_returns:
            response = self._handler_response(site.returned) if (
                site.returned is not None and id(site.node) not in paths.enveloped) else None
            if response is not None:
                shaped.append((f"{self.context.module}.{site.function}", self.context.span(site.node, site.statement),
                               self.context.statement_lines(site.statement), response))
        if shaped or paths.registered_elsewhere:
            self.context.summary.extras[f"{self.code}:handlers"] = (shaped, sorted(paths.registered_elsewhere))

    @staticmethod
    def _message(function: str, where: str, noun: str = "route") -> str:
        return (f"{noun} `{function}` returns an error body {where}with a success status (200); raise "
                "`HTTPException` or return the response with a 4xx/5xx `status_code`")

    def _imported_callee(self, value: cst.BaseExpression) -> str | None:
        """The qualified name of a function of another module whose result a route returns, or
        sends as the content of a response without an error status (`JSONResponse(error_body(...))`)."""
        if isinstance(value, cst.Await):
            value = value.expression
        value = dumped(value)
        if not isinstance(value, cst.Call):
            return None
        qualified = self.context.qualify(value.func)
        if qualified in RESPONSE_CLASSES:
            content = argument(value, 0, "content")
            if content is None or sent_with_error_status(value, self.context.qualify):
                return None
            return self._imported_callee(content.value)
        if qualified is None or qualified.startswith("builtins.") or qualified.startswith(f"{self.context.module}."):
            return None
        return qualified

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        """Report the routes that return what an error-body helper of another module builds, and
        the bodies stating an error code that their route's response model does not declare."""
        cls.report_returned_results(repo, Helpers.builds_error_body)
        coded = [(summary.path, *site) for summary in repo.summaries
                 for site in summary.extras.get(f"{cls.code}:coded", ())]
        if coded:
            model: ResponseModel = repo.facts(ResponseFacts)
            endpoints = model.index.endpoints_by_function
            for path, function, keys, span, statement_lines, message in coded:
                if not _declared_envelope(model, endpoints.get(function, ()), keys):
                    repo.report(path, span, message, statement_lines=statement_lines)
        key = f"{cls.code}:handlers"
        recorded = [(summary, *summary.extras[key]) for summary in repo.summaries if key in summary.extras]
        registered = {repo.index.canonical(handler): summary.path
                      for summary, _, handlers in recorded for handler in handlers}
        for summary, shaped, _ in recorded:
            for function, span, statement_lines, response in shaped:
                where = registered.get(repo.index.canonical(function))
                if where is not None:
                    handler = f"exception handler `{function.rsplit('.', 1)[-1]}` (registered in {where})"
                    repo.report(summary.path, span, cls._handler_message(handler, response),
                                statement_lines=statement_lines)

    def _handler_response(self, value: cst.BaseExpression) -> tuple[str, str] | None:
        """(the response class, its status as said) of a response an exception handler returns
        without an error status."""
        if isinstance(value, cst.Await):
            value = value.expression
        if not isinstance(value, cst.Call) or self.context.qualify(value.func) not in RESPONSE_CLASSES:
            return None
        if sent_with_error_status(value, self.context.qualify):
            return None
        given, status = response_status(value, self.context.qualify)
        return self.context.qualify(value.func).rsplit(".", 1)[1], "no status" if not given else f"status {status}"

    @staticmethod
    def _handler_message(handler: str, response: tuple[str, str]) -> str:
        cls, shown = response
        return (f"{handler} returns a `{cls}` with {shown}: the error goes out as a success; pass the 4xx/5xx "
                "`status_code`")


def _declared_envelope(model: ResponseModel, endpoints: Sequence[Endpoint], keys: tuple[str, ...]) -> bool:
    """Whether every endpoint of the route declares a response model of the repository with a
    field for each key of the body: the route answers in that envelope, whose code field carries
    the status its clients read, as a `BaseResponse(code=500, msg=...)` it built would."""
    if not endpoints:
        return False
    for endpoint in endpoints:
        declared = model.declared_model(endpoint)
        fields = model.model_fields(declared.name) if declared is not None and declared.kind == "name" else None
        if not fields or not set(keys) <= fields:
            return False
    return True


def _where(site: ReturnSite, marker: str | None) -> str | None:
    """Where a route's return of an error body with `marker` is, for its message; None where that
    body is no error report (a detail outside a failure path, a text where something is missing)."""
    if site.value is not None:
        where = "built in an `except` block, "
    elif site.in_except:
        where = "in an `except` block "
    elif site.in_guard and marker in (DETAIL, DETAIL_TEXT, FAILURE_TEXT):
        where = "when what it looked for is missing "
    elif site.early_exit and marker in (DETAIL_TEXT, FAILURE_TEXT):
        where = "in an early `if` branch "
    else:
        where = ""
    if marker in (DETAIL, DETAIL_TEXT, FAILURE_TEXT) and not where or marker == TEXT and not site.in_except or (
            marker == MESSAGE and not (site.in_except and (site.catches_all or site.carries_exception))):
        return None
    return where
