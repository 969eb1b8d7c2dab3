"""How a module's endpoints and exception handlers answer errors: `ErrorPaths`.

For every function of a FastAPI module it follows, in statement order, the names bound to caught
exceptions and to their detail (`reviewer.semantics.exceptions`), and records:

- `leaks`: internal exception detail entering a response: `HTTPException(detail=...)`, a
  `JSONResponse`/`Response` body, a websocket send, a route's return value, a handler's response,
  what a generator yields to the streaming response the module gives it;
- `handler_leaks` and `registered_elsewhere`: leaks of functions shaped as exception handlers
  that the module does not register, and the handlers it registers that other modules define,
  for the repository to pair;
- `helper_leaks` and `passed_elsewhere`: the leaks of the module's functions if another module
  hands them a caught exception (each walked once per parameter with it bound), and the functions
  of other modules this module hands its caught exceptions to, also for the repository to pair;
  `helper_text_leaks` and `passed_text_elsewhere` the same for the exception's text
  (`responses.error_message(str(e))`, a parameter that is text or not annotated), with where each
  call hands it, since a leak through such a function is the call's;
- `replaced_details`: the statuses whose text detail an `HTTPException` handler the module
  registers replaces with a fixed message (replaced.py), and each leak's `http_status`;
- `returns`: each `return` of a route or an exception handler, with whether it runs in an `except`
  block and whether the function set `response.status_code` before it on that path; `enveloped`,
  the returns of exception handlers that answer in the module's status envelope (envelopes.py);
- `http_exceptions`: each `HTTPException(...)` built, with its status and whether it is returned
  rather than raised;
- `routes`: each route, with the names it may call for a caller who is not an administrator, for
  the repository to tell which helpers only administrators reach (`reviewer.semantics.callers`).

Exceptions are bound where they are caught (`except ... as e`), in an exception handler's
exception parameter (from its registration, `reviewer.semantics.fastapi.handlers`), in a
parameter annotated with an exception class, and in a parameter of a function of this module that
an `except` block passes its exception to (`handle_error(e)`; also a method of a class of this
module called on `self` or on a parameter annotated with the class; one of another module's class
is paired by the repository, as its functions are). A function of this module that
returns the detail of an argument (`def describe(e): return f"{type(e).__name__}: {e}"`) passes it
on to its caller. Nested functions are followed on their own.

What a leak does not count, the semantic layer decides once for every rule: an exception narrowed to
a class without internal detail (`isinstance`, `assert isinstance`, an early `raise` when it is not
one), a leak in a route only administrators reach or after a test of the caller that raises for
anyone else (`if not user.is_superuser: raise ...`; `Leak` is not recorded), and a client error
(4xx, websocket protocol/data close codes) built from `except Exception` around a block that only
parses what the client sent (`Detail.parsing`, see `Walk.compound`). Statements where no caught exception
or its detail is bound are read only for statuses and returns (`Walk.plain`), which keeps the
analysis cheap. A client error whose text the code recognised by phrases first (`if "not found" in
str(e):`) keeps them (`Leak.phrases`), for the repository to look for in the messages the
application raises (`reviewer.semantics.raised_messages`).

Computed once per file (`error_paths(context)`), for every rule that asks.

Modules: records.py (the sinks and the records), bodies.py (error bodies), syntax.py (functions,
calls, parameters), admin.py (routes only administrators reach), parsing.py (blocks and coroutines
that only parse what the client sent), walk.py (`Walk`, one function), held_bodies.py (what a
function's names hold for a response it sends later: an `except` block's body, a status bound once),
route_results.py (what a route does with the results of the functions it calls), builder.py
(`Builder`: which functions to walk and how, once per module), replaced.py (handlers that replace a
detail), unreachable.py (`if x is None:` branches no value takes), reach.py (the branch tests and
gates each leak runs under, in `Leak.conditions`, for the repository to weigh against a default
deployment), helpers_elsewhere.py (what the functions of every module return: error bodies, and an
argument's detail, for the calls a module could only name, `Detail.through`), wrapped.py (caught
exceptions raised again inside the application's own, and the handlers that send them: `WrapFacts`,
over every module), sockets.py (the websockets a class keeps, for a method sending to each),
catching.py (the `try` statements around each call, for the repository to tell which callers keep
what a helper raises), failures.py (what a `try` block can fail with), computing.py (which functions
of the repository only compute), response_classes.py (which classes of the repository are responses:
subclasses of Starlette's or FastAPI's), outcomes.py (what a branch finds failed: a task queue's
result, an upstream service's HTTP response, whose body is then internal detail too), envelopes.py
(handlers of a module whose handler moves the exception's status into the body: an API that answers
in a status envelope by design)."""

from reviewer.semantics.error_paths.admin import names_admin_check, on_admin_surface
from reviewer.semantics.error_paths.bodies import (
    DETAIL,
    DETAIL_TEXT,
    ERROR,
    FAILURE_TEXT,
    MESSAGE,
    TEXT,
    acknowledges,
    dumped,
    error_body,
    flask_error_tuple,
    response_status,
    says_not_ready,
    sent_with_error_status,
    stated_error_code,
)
from reviewer.semantics.error_paths.builder import error_paths
from reviewer.semantics.error_paths.records import (
    CLIENT_ERRORS,
    HTTP_EXCEPTIONS,
    RESPONSE_CLASSES,
    STREAMING_RESPONSES,
    ErrorPaths,
    HttpExceptionSite,
    Leak,
    ReturnSite,
    status_value,
)

__all__ = [
    "CLIENT_ERRORS",
    "DETAIL",
    "DETAIL_TEXT",
    "ERROR",
    "FAILURE_TEXT",
    "MESSAGE",
    "HTTP_EXCEPTIONS",
    "RESPONSE_CLASSES",
    "STREAMING_RESPONSES",
    "TEXT",
    "ErrorPaths",
    "HttpExceptionSite",
    "Leak",
    "ReturnSite",
    "acknowledges",
    "dumped",
    "error_body",
    "flask_error_tuple",
    "error_paths",
    "names_admin_check",
    "on_admin_surface",
    "response_status",
    "says_not_ready",
    "sent_with_error_status",
    "stated_error_code",
    "status_value",
]
