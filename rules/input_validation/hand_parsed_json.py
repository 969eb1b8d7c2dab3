"""A websocket message or a query/header parameter is parsed as JSON by hand, without a schema."""

from __future__ import annotations

from reviewer.model import Severity
from reviewer.rule import RepoContext
from reviewer.semantics.fastapi import EndpointIndex, FunctionFacts, Handler, RawRead, TypeRef
from rules.input_validation._endpoints import EndpointRule, endpoint_index

# Where a string parameter that is then parsed as JSON comes from.
STRING_SOURCES = frozenset({"query", "header", "cookie", "form"})
TEXT_TYPES = frozenset({"builtins.str", "builtins.bytes"})


class HandParsedJsonInput(EndpointRule):
    """A websocket message or a query/header parameter is parsed as JSON by hand, without a schema.

    ## What it does
    Flags, in FastAPI endpoints and their dependencies, `await websocket.receive_json()` (and
    `iter_json()`), `receive_text()`/`receive_bytes()` handed to `json.loads`, and
    `json.loads(param)` on a query, header, cookie or form parameter, when the result is not
    then validated (`Model.model_validate(...)`, `Model.model_validate_json(...)`,
    `TypeAdapter(...).validate_python(...)`, `Model(**data)`).

    ## Why is this bad?
    The parsed value is whatever the client sent: any shape, any types. A websocket handler
    indexing `message["action"]` dies on the first malformed frame and drops the connection; a
    JSON document smuggled through a query string bypasses the validation FastAPI gives every
    other parameter and is invisible in the OpenAPI schema.

    ## Example
    ```python
    @router.websocket("/ws/chat")
    async def chat(websocket: WebSocket):
        await websocket.accept()
        while True:
            message = await websocket.receive_json()
            await rooms.send(message["room"], message["text"])

    @router.get("/search")
    async def search(filters: str = Query("{}")):
        criteria = json.loads(filters)
    ```

    ## Use instead
    ```python
    class ChatMessage(BaseModel):
        room: str
        text: str = Field(max_length=2000)

    @router.websocket("/ws/chat")
    async def chat(websocket: WebSocket):
        await websocket.accept()
        while True:
            message = ChatMessage.model_validate_json(await websocket.receive_text())
            await rooms.send(message.room, message.text)

    @router.get("/search")
    async def search(filters: Annotated[SearchFilters, Query()]):  # or Json[SearchFilters]
        ...
    ```

    ## Known problems
    Validation is recognised in the function and in the repository's helpers the message is
    handed to, a few calls deep; helpers reached through `*args`, and helpers in modules without
    routing code, are not followed.
    """

    code = "RVW303"
    name = "hand-parsed-json-input"
    checklist = "input-validation"
    severity = Severity.WARNING

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        index = endpoint_index(repo)
        for handler in index.handlers():
            for read in handler.function.reads:
                what = _what_is_parsed(index, handler, read)
                if what is None or index.validated(read, handler.function):
                    continue
                repo.report(
                    handler.file,
                    read.span,
                    f"{handler.describe()} parses {what} as JSON by hand (`{read.text}`) "
                    "and never validates the result with a Pydantic model",
                    statement_lines=read.statement_lines,
                )


def _what_is_parsed(index: EndpointIndex, handler: Handler, read: RawRead) -> str | None:
    function = handler.function
    if read.kind.startswith("receive_"):
        if not index.is_websocket(function, read.receiver):
            return None
        if read.kind == "receive_json" or read.parsed:
            return "websocket messages"
        return None
    if read.kind == "json-param":
        source = _string_source(index, handler, function, read.receiver)
        return f"{source} parameter `{read.receiver}`" if source else None
    return None


def _string_source(index: EndpointIndex, handler: Handler, function: FunctionFacts, name: str) -> str | None:
    """Where FastAPI takes the string parameter `name` from, if it is client input."""
    for param in function.params:
        if param.name != name:
            continue
        annotation = index.parameter_type(param)
        if annotation is not None and not _is_text(annotation):
            return None
        sources = {index.parameter_source(param, endpoint.path) for endpoint in handler.endpoints}
        found = sorted(sources & STRING_SOURCES)
        return found[0] if found else None
    return None


def _is_text(ref: TypeRef) -> bool:
    """`str`, `bytes`, or an optional one."""
    if ref.kind == "union":
        return all(arg.kind == "none" or _is_text(arg) for arg in ref.args)
    return ref.kind == "name" and ref.name in TEXT_TYPES
