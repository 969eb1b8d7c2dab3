"""The text of a caught exception reaches the client in a response."""

from __future__ import annotations

from reviewer.model import Severity
from reviewer.semantics.error_paths import Leak
from rules.no_internal_error_leak._base import LeakRule


class ExceptionTextInResponse(LeakRule):
    """The text of a caught exception reaches the client in a response.

    ## What it does
    Follows, inside each function of a FastAPI module, the exceptions it catches and the values
    built from them — `str(e)`, `repr(e)`, `f"... {e}"`, `"...".format(e)`, `"%s" % e`, `e.args`,
    `e.orig`, `e.statement`, `e.params`, `e.message` (also `getattr(e, "message", str(e))`),
    the attributes it keeps (`e.__dict__["orig"]`, `vars(e)`),
    `e.__str__()`, comprehensions over them (`[str(arg) for arg in e.args]`, `map(str, e.args)`),
    encodings that keep the text (`quote(str(e))`, `html.escape(...)`), the exception a failed
    Celery task's result holds (`str(res.result)` under `if res.failed():`),
    `e.response["Error"]["Message"]`, the exception `sys.exc_info()` or `sys.exception()` gives in
    an `except` block, the body of an upstream service's response that a branch found failed
    (`resp.text`, `resp.content`, `resp.json()`, `await resp.text()` under `if resp.status_code !=
    200:`, `>= 400`, `not resp.ok`, `resp.is_error`; also raised in an exception of the
    application's own, as below: the error that service wrote for its callers, which may name its
    hosts, accounts and internals; not sent in a client error, an answer about the client's own
    request to that service such as an OAuth grant it rejected, nor relayed with the upstream's own
    status, `status_code=resp.status_code`, as a proxy does), and names, dicts and lists holding
    them, also the Pydantic models and dataclasses of the repository built with them
    (`Outcome(ok=False, error=str(e))`, then `.model_dump()`) — and flags where one enters a
    response: the `detail` of an `HTTPException`, the content of a
    `JSONResponse`/`Response`/`PlainTextResponse`/`HTMLResponse` (also of the application's own
    subclass of one, defined in another module: `class JSONResponse(StarletteJSONResponse)` with its
    own encoder; not a client error's about data the block only parsed), the `headers` of either (also set
    on a response the function sends: `response.headers["X-Error"] = str(e)`,
    with `response: Response` or a response it built), a cookie such a response sets
    (`response.set_cookie("flash", f"failed: {e}")`), the context of
    a page `templates.TemplateResponse(...)` renders, the URL a `RedirectResponse` sends the
    client to, the return value of a route, a websocket
    `send_text`/`send_json`/`close`, the body an ASGI middleware written by hand sends (`await
    send({"type": "http.response.body", "body": body})`, with `send: Send` or the last parameter of
    `__call__(self, scope, receive, send)`), what a generator yields to a
    `StreamingResponse`/`EventSourceResponse` given it in the module (also a method's:
    `self._stream(...)`; also one the route defines and hands the text, `async def
    error_text(message): yield ...` in the `except` block, then `error_text(str(e))`), or the
    response of an exception handler registered
    (`@app.exception_handler(...)`, `app.add_exception_handler(...)`,
    `FastAPI(exception_handlers=...)`) for `Exception`, for the status 500 (Starlette hands it
    every exception nothing else handles) or a library's exception class, also a
    handler another module registers (`async def on_error(request, exc)` in `errors.py`,
    `app.add_exception_handler(SQLAlchemyError, errors.on_error)` in `main.py`). It also follows the
    exception, or its text, into a module-level function, of the same module or another, that an
    `except` block hands it to (`return error_response(e)`, `raise errors.to_http(e)`,
    `responses.fail("inventory", error=exc)`, `return error_message(f"failed: {e}")`), a method of
    a class called on `self` or on a parameter annotated with the class, of the same module or
    another, a class method too (`return self._fail(e)` in a class-based view, `return
    self._error(500, str(e))` with `_error` a class method building the envelope,
    `reporter.to_response(e)` with
    `reporter: ErrorReporter = Depends(...)`, `reporter: Annotated[ErrorReporter, Depends()]`), or
    a method of a module-level instance (`await manager.send_personal_message(f"Error: {e}",
    websocket)` with `manager = ConnectionManager()`;
    `await manager.broadcast(...)`, sending to each socket the class keeps: `for connection in
    self.active_connections:`, where the attribute is annotated with a websocket type or filled
    with a websocket parameter, or to the one socket it keeps: `self._websocket.send_json(...)`
    after `self._websocket = websocket`). A function handed the exception, which turns it into text
    itself, is reported once, where it does; one handed the exception's text, an envelope its
    other callers may hand fixed messages, is not at fault: each call handing it the text is
    reported. It also follows the detail through a
    function of the module, or a module-level function of another module, that returns text built
    from its argument (`detail=describe(e)`, `detail=errors.describe(e)`), or a value holding it,
    also a class method or static method of a class, or of a base it inherits it from (`return
    TaskStartError.return_resp(data=str(e))`, with `return_resp` on the application's error base
    building its response envelope). A module-level function of another module that is handed the
    exception and returns a dict or list with its text (`error_frame(code, exc)` returning
    `{"type": "error", "detail": str(exc)}`) is reported where the text enters that value, once,
    with each call handing it the exception as a related place. It also follows the detail into an
    exception the application defines, raised from an `except Exception:` block in any module
    (`raise StorageError(f"upload failed: {e}")` in a service), or from one that catches a driver's,
    an HTTP client's, a cloud SDK's or the operating system's class (`except ClientError as e:`; not
    an AI provider's or a payment processor's, whose text the vendor words), to the exception
    handler registered
    for that class or a base of it, when the handler sends the attribute the constructor keeps the
    argument in (`self.message = message`, `super().__init__(message)` then `str(exc)`; FastAPI's
    own handler sends an `HTTPException` subclass's `detail`), and a route runs the raising
    function, or to a route that runs it, catches the exception and answers with that attribute
    (`except StockConflict as e: raise HTTPException(409, detail=e.detail)`, or
    `results.append({"error": e.message})` with `return {"results": results}` after the loop);
    a route runs a function it calls, and one it hands to a thread to run for it (`await
    run_in_threadpool(mail.send_email, to)`, `asyncio.to_thread(...)`, `loop.run_in_executor(None,
    ...)`), whose exceptions it gets; it is reported where
    the handler or the route reads that attribute (where the detail enters the response), once, with
    each such `raise` as a related place (at the `raise` for an `HTTPException` of the
    application's own, which FastAPI answers with its `detail`). And it follows a function of any
    module, a service's method too, that catches an exception itself and returns its detail as a
    value (`except httpx.HTTPStatusError as e: return {"status": "failed", "reason":
    e.response.text}`), to the
    routes that return what it returns (`return quote_tax(id)`, `result = await
    service.finalize(id)` then `return result`, with `service: InvoiceService = Depends(...)` or
    a module's instance, or a type alias `StorageDep = Annotated[Storage, Depends(...)]`), or send
    it, or a field of it, otherwise (`raise HTTPException(502, detail=outcome.error)`, `await
    websocket.send_json({"text": verdict.note})`; not what a call computes from it,
    `len(outcome.errors)`), or send the element of a tuple it returns that carries the detail
    (`url, error = storage.presign(key)` then `{"error": error}`, with `return None,
    describe(exc)`), also through a container the route returns (`result["url_error"] = error`
    then `return result`); it is reported at the function's `return` when a route sends the
    result whole, and otherwise where the route reads the field or the element into what it
    sends, with the function's `return` as a related place.

    A leak is reported where the detail enters what is sent: the element of a dict, list or
    string written in parts that carries it (`"db_error": str(exc.orig)`), or, for a value built
    over several statements, the statement that put the detail in (`errors.append({"row": i,
    "error": str(exc)})` before `return {"errors": errors}`, `body = json.dumps({"message":
    str(exc)})` before `await send({..., "body": body})`); a text held in a name (`message =
    str(e)`) enters where it is put into what is sent.

    Which exceptions count is decided by the class caught: `Exception`/`BaseException` (or a bare
    `except:`), the exceptions of libraries and drivers (`sqlalchemy.exc.*`, `httpx`, `requests`,
    `botocore`, `openai`, ...) and `OSError` and its subclasses carry internal detail. The
    application's own exception classes (defined in its own package) carry messages the
    application wrote, and `ValueError`/`TypeError`/`KeyError`/`PermissionError`, Pydantic's
    `ValidationError`, `RequestValidationError`, `HTTPException` and the errors of parsers and
    decoders (`yaml`, `binascii`, `tarfile`, `jsonschema`, `xml.etree`'s `ParseError`, `re.error`,
    `struct.error`, a protobuf message's `DecodeError`, ...) describe the client's own input or an
    HTTP error the application raised: neither is flagged, but for a lookup error (`KeyError`,
    `IndexError`) sent with a server error status (5xx): the code says the key or index it looked
    up was its own. Nor is a `RuntimeError` caught by name (alone or beside such classes) and
    answered with a client error (`except RuntimeError as e: raise HTTPException(409,
    detail=str(e))`): the code answers it as a refusal the application raised for the state it is
    in ("a reload is already in progress"); with a server error it may be a library's, and is
    flagged. Nor are a driver's errors for a name the
    client chose that exists already (`asyncpg.DuplicateTableError`, psycopg's `DuplicateColumn`)
    and SQLAlchemy's `NoResultFound`, whose text is a fixed sentence, nor a task's cancellation
    (`asyncio.CancelledError`), whose text is what its canceller passed, nor a connection the peer
    closed (`BrokenPipeError`, `ConnectionResetError`: the operating system's fixed sentence; a
    refused connection names the address it tried, and is flagged), nor an attribute a library
    words itself (aiohttp's `ClientResponseError.message`, the reason phrase of the upstream's
    status, where `str(e)` names the URL asked). A class of a package that is
    neither the application's nor a known driver, client or SDK counts as the application's own.
    Code that narrows the exception first (`str(e) if isinstance(e, ValueError) else "failed"`,
    `type(e) is ValueError`, `assert isinstance(exc, AppError)`, `if not isinstance(exc, X):
    raise`) is followed, also in a function the exception is handed to (`def public_message(exc):
    if isinstance(exc, AppError): return exc.message`, then `return "Internal error"`), and so is
    code that recognises its text by a phrase of the application's own messages before sending it
    in a client error (`if "not found" in str(e).lower(): raise HTTPException(404,
    detail=str(e))`, `message.startswith("Quota")`, where a `raise` of the repository writes the
    phrase): the branch runs only for the messages the code knows. A phrase no message of the
    application holds (`"duplicate key"`) recognises a driver's text, and a server error sent there
    (`if "timed out" in str(e): raise HTTPException(504, detail=str(e))`) carries whatever the
    failure said: both are still flagged.

    Also not flagged: a JSON body or websocket `send_json` payload that holds the caught exception
    itself beside its text (`{"message": e, "full_text": str(e)}`): serialising it fails and nothing
    is sent (the crash is the defect); `except Exception` around a block that only raises the
    application's own exceptions, also through functions of its module that do no more
    (`_check_image_size(image, limit)`, raising the application's error when it is too large), or
    that only builds a streaming response around a generator of the module (`return
    StreamingResponse(events(), ...)`: the generator runs after the block), or that calls nothing
    at all (`limit = settings.max_upload_size`, `TABLE[key]`), or that only validates
    a value with a Pydantic model (`Summary.model_validate(part.args_as_dict())`,
    `TypeAdapter(Plan).validate_json(text)`): it fails with a validation error, which describes the
    data validated; or around a block that hands its values only to functions of the repository
    that only compute, however far down (`utils.convert_value(value, kind)` calling nothing but
    `int`, `datetime.strptime`, a protobuf message's class and the like, methods of the values it
    makes and text methods of
    its parameters, and raising `ValueError`; or doing its I/O inside a `try` that catches every
    exception and raises none again, as `def database_ok(): try: ... except Exception: return
    False` does, or as a method that asks each host in turn and raises one sentence of its own when
    all failed), or to its data models (`DSLInput(**content)`), also through a local of a class of
    the repository (`hosts = LinkedHosts(tokens)`, then `hosts.skills(name)`), a parameter annotated
    with one (`param.resolve()` with `param: Param`, whose method validates the value with
    `jsonschema`) or a module's instance of one (`catalog.describe(kind)`), through methods called
    on `self` (the class's own or a base's, and every subclass's override of it) and reads of the
    clock, or only builds a response (`JSONResponse(content=...)`: it is sent after the route
    returns), whichever class the `except` names (`except RuntimeError as e:` too): what it raises describes those
    values or says what the application wrote; a 4xx response (or a
    websocket closed for a protocol or data error) to `except
    Exception` around a block of a coroutine that awaits nothing but the client's request or the
    files it uploaded (`await file.read()` of an `UploadFile`) and uses no injected dependency, or
    around a block of any function whose every call decodes or converts a value (`base64`,
    `json.loads`, `int(...)`, `state.encode()`, `jwt.decode(token, key, ...)`): it only parses what
    it was given, so the text
    describes that (such a route may also return it, as a validation result), and the same where
    the block hands the client's files, with nothing but constants, to coroutines of any module
    that only read and convert what they are given (`await csv_rows(file)`, with `csv_rows`
    waiting on nothing but `file.read()` and calling nothing but parsers such as `csv` and `json`,
    builtins and its own values' methods); routes that only administrators
    reach (a `Depends(...)` of the route, its parameters or its router names an administrator check:
    `require_admin`, `require_permission(Permission.FULL_ADMIN_PANEL_ACCESS)`, also through a type
    alias of any module, `current: AdminUser` with `AdminUser = Annotated[User,
    Depends(require_admin)]`, or asks for an
    administrator's role by its name: `Depends(require_role("admin"))`, a parameter's default
    `get_user(role="admin")` of a factory returning the `Depends`, `Security(auth,
    scopes=["admin"])`, also where the module registers the route with it only
    (`router.add_api_route("/v1/workers", get_workers, dependencies=[Security(auth,
    scopes=["admin"])] if is_auth else None)`); or every app, router
    and `include_router` above the route, in any module, depends on one: `FastAPI(dependencies=
    [Depends(get_admin)])`; or the application serves the route on its administrative surface, a
    path with an `admin` segment such as `/api/admin/jobs`, and a guard authenticates its caller, as
    `Depends(require_permission(Permission.MANAGE_CONNECTORS))` does), and the statements of a
    route after a test of its caller that raises, or returns, for anyone but an administrator (`if not
    user.is_superuser: raise HTTPException(403)`, `if user.role != "admin": raise ...`; not one that
    owners pass too, nor a switch of the deployment such as `if not settings.ADMIN_ENABLED:`);
    helpers that only such routes call, however far down: every call in the repository that
    spells the helper's name (`self.providers.database.users.users_to_csv()` for
    `UsersHandler.users_to_csv`), and those of its callers in turn, must lead to a route that
    makes it only for administrators or to a one-shot program (tests do not count); routes of an internal
    service, whose every way in admits only callers that hold a secret of the deployment's
    configuration or call from the machine itself: a dependency, middleware or check in the route
    (or a helper it calls) that rejects the caller unless a key it sent equals one read from the
    environment or the settings, also configuration a module loads from a file (`if key !=
    SESSION_API_KEY: raise HTTPException(403)`, also through
    a predicate every `return` of which is such a comparison or `False`: `if not
    is_internal(token): raise ...`, or an early way in followed by a refusal of everyone else:
    `if token in [request.app.state.token, config.registration_token]: return`, where a value of
    the application's state counts as configured), unless a signature verifies with such a key
    (`public_key().verify(...)` with a rejecting handler) or an HMAC of the request keyed with it
    matches the one sent (a webhook's `hmac.compare_digest(
    "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), body, sha256).hexdigest(), signature)`, also
    through a signing function of the module given the body and the key:
    `compute_signature(request.method, path, raw, settings.gateway_secret)`), or
    unless its address is a loopback one; the text detail of an `HTTPException` with a status that a
    handler the application registers for `HTTPException` replaces with a fixed message before
    answering (`if exc.status_code >= 500: detail = GENERIC_MESSAGE`; a dict detail stays flagged);
    code a default deployment does not run: a branch that a flag read from the environment or the
    settings switches off by default (`if STRICT_STREAMING:` after `STRICT_STREAMING =
    os.environ.get("STRICT_STREAMING", "").lower() == "true"`), or a route behind a gate of its
    module that raises unless such a flag is on, called first or declared as its dependency
    (`Depends(require_log_stream)`, whose `if not ENABLE_LOG_STREAM: raise HTTPException(404)`),
    with the functions defined in it, and detail that such a branch alone puts in what is sent
    (`detail=str(e) if settings.DEBUG else "failed"`, `if DEBUG: body["reason"] = str(e)`, `message =
    repr(exc) if settings.debug else "internal error"` then `{"message": message}`);
    a function a request starts as a background task (`background_tasks.add_task(send_receipt,
    ...)`), which runs after the response is sent, or that a task queue's decorator registers
    (`@shared_task`, `@celery_app.task` with `celery_app = Celery(...)`), or a decorator registers
    taking a task queue's context (a workflow step `async def parse(self, context:
    hatchet_sdk.Context)`), which its workers run, when nothing calls it; logging the exception;
    test code and scripts; the detail passed through a function of the repository that withholds
    it on purpose, returning a fixed text instead under a test that picks out the errors carrying
    internal detail (`if isinstance(exc, SQLAlchemyError): return fallback`, else `str(exc)`) or
    under a flag its callers set (`if expose_details: return error`, else `RuntimeError(SAFE)`):
    the application's sanitizer, whose authors decided what a client may read (one that withholds
    only the client's own input errors, `if isinstance(e, ValueError): return "invalid"`, or whose
    flag chooses how much of the error to give, never whether, is not one).

    ## Why is this bad?
    A driver's message carries the SQL, its parameters and the schema; an HTTP client's carries
    internal hostnames and URLs; an SDK's carries the upstream provider's raw answer; an
    `OSError` carries file system paths. Sent to the client, they map the system for an attacker
    (CWE-209) and confuse legitimate users.

    ## Example
    ```python
    @router.post("/orders")
    async def create_order(order: OrderIn, session: AsyncSession = Depends(get_session)):
        try:
            return await orders.create(session, order)
        except Exception as e:
            raise HTTPException(status_code=500, detail=f"Could not create order: {e}")
    ```

    ## Use instead
    ```python
        except SQLAlchemyError:
            logger.exception("creating order failed")
            raise HTTPException(status_code=500, detail="Could not create the order")
    ```

    ## Known problems
    The analysis of a function stays within its module, except for what module-level functions of
    other modules return or do with an exception handed to them (methods, and objects built from the
    exception other than a raised exception of the application's and the repository's data models,
    are not followed; nor is a helper of another module that hands the exception on to a third
    function). An exception the application defines is not followed from a block that catches a
    named class of an AI provider's or a payment processor's SDK (`except
    openai.AuthenticationError`, `except stripe.StripeError`), leaks included; nor from one that
    catches only the application's own classes; a builtin raised with the detail (`raise
    ValueError(str(e))`) is not paired with a handler for it. A raise in a helper, of the
    application's exception or of an `HTTPException`, is left out when a function on every chain
    of calls from the routes catches the class around its call and keeps it (a `try` whose first
    matching handler does not raise it again, `with suppress(...)`); a handler that raises it again
    under a condition is taken to raise it always. An exception class imported from the
    application's own package is taken to carry application-written text even when it wraps a
    driver's message. Callers of a helper are found by the name they
    call, less the calls made on what the repository shows holds another class (`self.cache.update()`
    with `self.cache = Cache()`, `params.update()` of a dict): a method with a common name (`update`,
    `delete`) stays flagged when any route calls a function of that name on an object of unknown
    class for any caller, and one that nothing calls by name (a callback, a hook a framework or a
    scheduler runs) stays flagged too. A helper that is called by name only from
    administrators' routes but also handed on as a value (`Depends(helper)`, `add_task(helper)`) to
    a route anyone calls is taken for an administrator's. `except Exception` around application
    calls that do more than compute is flagged even when those calls only raise the application's
    own exceptions, since anything else they meet would leak too. Whether a function only computes
    is read from the calls it makes: a method of a value it binds itself is taken to compute
    (whatever made the value was checked), and reading an attribute is no call, even of a property
    that does I/O. A coroutine's block that waits on nothing is taken to do no I/O: a client error
    sent from one around a plain call of a service that writes rows or secrets (a synchronous
    data-access method called from an `async def` route) is missed. A service that only other
    services of the system call
    but that checks no key (an internal model server reached only inside its network) cannot be told
    from one clients call, and is flagged. Routes that a permission of a role-based scheme guards
    (`require_permission(Permission.X)`) are flagged even where only administrators hold that
    permission: which roles hold it is data, not code; so are routes of a permission factory whose
    flags select a check only the deployment's own services pass (`RoleACL(allow_executor=True)`).
    A call through a library's remote handle on a class of the repository (an actor reference,
    `ActorRefType[Supervisor]`) is not followed into the class, and a `try` around one is flagged
    even where the method only reads memory. A route that tests a connection the client
    configured (a provider's URL and key) and reports the provider's answer is flagged like any
    other. A generator handed to a streaming response in another module, or yielding through a
    helper of another module, is not followed.
    """

    code = "RVW801"
    name = "exception-text-in-response"
    severity = Severity.WARNING

    @staticmethod
    def wanted(leak: Leak) -> bool:
        return not leak.detail.traceback

    @staticmethod
    def message(leak: Leak) -> str:
        if leak.detail.upstream:
            return (f"the error body of a failed upstream response (`{leak.detail.what}`) reaches the client in "
                    f"{leak.sink}; log it and send a fixed message instead")
        return (f"the text of a caught exception (`{leak.detail.what}`) reaches the client in {leak.sink}; log the "
                "exception and send a fixed message instead")
