"""An endpoint's response can carry a password hash, token, API key or other credential column."""

from __future__ import annotations

from reviewer.model import Severity
from reviewer.rule import RepoContext
from reviewer.semantics.fastapi.responses import Leak
from rules.response_schemas._endpoints import ResponseRule, response_model


class CredentialInResponse(ResponseRule):
    """An endpoint's response can carry a password hash, token, API key or other credential column.

    ## What it does
    Flags FastAPI endpoints that return an ORM object (or a list of them, its `__dict__`,
    `model_dump()`/`dict()`, `jsonable_encoder(...)` of it, or a dict holding it) whose mapped
    class has a credential column, when no response model leaves that column out: the route
    declares no `response_model` and no return annotation FastAPI uses as one, or the model it
    declares includes the column (a SQLModel table class used as the response model, or a schema
    with a field of that name), and `response_model_exclude` does not name it.

    A column holds a credential when the repository writes it from a hashing, secret-generating or
    encrypting call (`get_password_hash(...)`, `pwd_context.hash(...)`, `bcrypt.hashpw(...)`,
    `secrets.token_urlsafe(...)`, `Fernet(...).encrypt(...)`, also through repository wrappers a
    few calls deep), or when its name says so unambiguously (`hashed_password`, `password_hash`,
    `api_key`, `secret`, `client_secret`, `access_token`, `refresh_token`, `private_key`).

    ## Why is this bad?
    FastAPI serialises every field of what the handler returns when no response model filters it.
    Password hashes can be cracked offline; tokens, API keys and client secrets let whoever reads
    the response act as their owner. Such responses also end up in browser caches, logs and
    client-side error reports.

    ## Example
    ```python
    class User(SQLModel, table=True):
        id: int | None = Field(default=None, primary_key=True)
        email: str
        hashed_password: str

    @router.get("/users/{user_id}")
    def read_user(user_id: int, session: SessionDep):
        return session.get(User, user_id)
    ```

    ## Use instead
    ```python
    class UserPublic(SQLModel):
        id: int
        email: str

    @router.get("/users/{user_id}", response_model=UserPublic)
    def read_user(user_id: int, session: SessionDep):
        return session.get(User, user_id)
    ```

    Not flagged: a response model that omits the column, a dict of safe fields, the create
    endpoint (POST) of an API key or token that returns the object it just made (the secret is
    shown once; a password hash is still flagged), a token endpoint returning the token it issued.

    ## Known problems
    Only values the handler returns are followed (into repository functions that return them, a
    few calls deep); objects fetched through a method of a repository class instance
    (`crud.user.get(...)`) are not typed, so their endpoints are not flagged. A schema class the
    repository does not define (from a library) is trusted to filter.
    """

    code = "RVW961"
    name = "credential-in-response"
    checklist = "response-schemas"
    severity = Severity.ERROR

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        model = response_model(repo)
        reported: set[str] = set()
        for endpoint in model.index.endpoints:
            function = endpoint.function
            if function.qualname in reported or "WEBSOCKET" in endpoint.methods:
                continue
            leaks = [leak for leak in model.leaks(endpoint) if not _shown_once(leak, endpoint.methods)]
            if not leaks:
                continue
            reported.add(function.qualname)
            repo.report(endpoint.file, function.span, _message(endpoint.label, leaks),
                        statement_lines=function.statement_lines)


def _shown_once(leak: Leak, methods: tuple[str, ...]) -> bool:
    """A secret (not a hash) of an object the endpoint has just created: an API key or token
    returned once, at creation."""
    return leak.fresh and not leak.credential.hashed and "POST" in methods


def _message(label: str, leaks: list[Leak]) -> str:
    first = leaks[0]
    columns = ", ".join(f"`{leak.credential.cls.rpartition('.')[2]}.{leak.credential.column}`" for leak in leaks)
    return (
        f"`{label}` can send credential column{'s' if len(leaks) > 1 else ''} {columns} "
        f"({first.credential.reason}) to the client: {first.through}; declare a response model without it"
    )
