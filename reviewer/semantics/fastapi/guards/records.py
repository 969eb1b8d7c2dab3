"""What `GuardFacts` records of one module, picklable: how each function turns a caller away,
the security schemes made at module level, and the middleware it defines and registers."""

from __future__ import annotations

from dataclasses import dataclass, field

# What a caller a rejection lets pass has matched: the cases it may be in, each the comparisons
# that then hold, each comparison the values it compares (`(("key", "settings.api_key"),)`).
Comparisons = tuple[tuple[tuple[str, ...], ...], ...]


@dataclass(slots=True)
class GuardFunction:
    """How one function can turn a caller away, and what shows an authentication flow in it."""

    rejects: str | None = None  # `HTTPException(401)`: its own body turns a caller away
    nested_rejects: str | None = None  # a function defined inside it does (a decorator's wrapper)
    lets_missing_through: bool = False  # `if not token: return None`
    refuses_without: tuple[str, ...] = ()  # parameters it raises without (`if not user: raise`)
    reads_credentials: bool = False
    # Fields named for a credential it reads of its parameters (`body.token`): (parameter, field).
    credential_fields: tuple[tuple[str, str], ...] = ()
    flow: str | None = None  # evidence of an authentication flow or a signed request
    http_middleware: str | None = None  # `@app.middleware("http")`: the application, qualified ("" unknown)
    # Methods of objects it makes and calls (`check = KeyChecker(...)`, `await check(request)`):
    # `KeyChecker.__call__`; the call graph of the summaries does not type local objects.
    object_calls: tuple[str, ...] = ()
    # Per rejection of it, what a caller it lets pass has matched (`CompareReader.passes_only`):
    # what it compares the request's value with (`if key != SESSION_API_KEY: raise`, `if not
    # compare_digest(key, settings.api_key): raise`) or verifies a signature with
    # (`public_key().verify(signature, body)` in a `try` whose handler rejects), qualified:
    # `os.environ` for a read of the environment, `f()` for what a call returns. Whether one is
    # a secret of the deployment's configuration is decided over the repository.
    compared_with: tuple[Comparisons, ...] = ()
    # Where it lets a caller through early and refuses every other one after (`if token in
    # [worker_token, settings.registration_token]: return`, then `raise HTTPException(401)`): per
    # `if` that returns, the values it compares, the request's own among them. Each way in must
    # compare with the deployment's configuration alone for only its holders to pass.
    admitted_by: tuple[tuple[str, ...], ...] = ()
    # Functions a rejection of it tests the answer of (`if not is_internal(token): raise`),
    # qualified; and, for a function that answers such a test, what it compares: every `return`
    # of it is a comparison (`return compare_digest(token, expected)`) or a refusal (`False`).
    tests_answer_of: tuple[str, ...] = ()
    answers_compared: tuple[str, ...] = ()
    reads_environment: bool = False  # `os.environ[...]`, `os.getenv(...)` in its own body
    loopback_only: bool = False  # it turns away a caller whose address is not a loopback one
    # Session calls that run a query for rows (`session.execute(select(...))`), as written, once per
    # call: they read, where their method's name alone would say they write.
    read_runs: tuple[str, ...] = ()
    # `jwt.decode(token, ...)` run on every call of it (under no `if`), with nothing around it that
    # swallows what it raises: a caller without a valid token gets an error.
    verifies_token: str | None = None
    # Calls that may not run, or whose error may not reach the client: under an `if` (`if token:
    # decode(token)`) or after one that returns (`if not token: return None`), or in a `try` with
    # a handler that lets what they raise go (`except DecodeError: pass`); as written and, for a
    # method of an object it made, as in `object_calls`.
    conditional_calls: tuple[str, ...] = ()


@dataclass(slots=True)
class Scheme:
    description: str  # `OAuth2PasswordBearer`, `fastapi_users.current_user`
    guards: bool  # False: `auto_error=False`, `optional=True`: it lets a request without one in


@dataclass
class ModuleGuards:
    functions: dict[str, GuardFunction] = field(default_factory=dict)
    schemes: dict[str, Scheme] = field(default_factory=dict)
    # Middleware classes (their `dispatch`/`__call__`) and `@app.middleware("http")` functions:
    # name -> the function that handles each request.
    middleware_candidates: dict[str, str] = field(default_factory=dict)
    # Middleware registered -> the applications it is registered with, as written and qualified
    # ("" for one the call does not name: `Middleware(X)` in a list).
    registered_middleware: dict[str, set[str]] = field(default_factory=dict)
    made_by: dict[str, str] = field(default_factory=dict)  # module-level `x = factory(...)` -> factory
    # A factory's local that names one dependency or another (`base = optional_user if anonymous
    # else current_user`), which its nested dependency depends on: `factory.<locals>.base` -> both.
    local_choices: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Class-based views: `user: User = Depends(get_current_user)` as a class attribute runs for
    # every endpoint method of the class (fastapi-utils' `cbv`, a `controller` decorator).
    class_dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Routers (and routers included) given `dependencies=` the analysis cannot read
    # (`APIRouter(dependencies=get_dependencies())`): what guards their endpoints is unknown.
    opaque_dependencies: dict[str, str] = field(default_factory=dict)  # router or included -> as written
    # Routers included only under a condition (`if settings.ENVIRONMENT == "local":`).
    conditional_inclusions: set[str] = field(default_factory=set)
    # What names hold, where a guard may compare with them: a module-level name assigned from the
    # environment (`SESSION_API_KEY = os.environ.get(...)` -> `os.environ`), an attribute a method
    # sets (`self.password = get_secret("APP_PASSWORD")` -> `Auth.password`: `pkg.get_secret()`).
    configured_as: dict[str, str] = field(default_factory=dict)

