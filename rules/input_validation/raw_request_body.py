"""An endpoint (or a dependency it uses) reads the raw request body instead of a Pydantic model."""

from __future__ import annotations

from reviewer.model import Severity
from reviewer.rule import RepoContext
from rules.input_validation._endpoints import EndpointRule, endpoint_index

WHAT_IS_READ = {"json": "the JSON body", "form": "the form", "body": "the raw body", "stream": "the body stream"}


class RawRequestBody(EndpointRule):
    """An endpoint (or a dependency it uses) reads the raw request body instead of a Pydantic model.

    ## What it does
    Flags `await request.json()`, `await request.form()` and `json.loads(await request.body())`
    (also through a variable) in FastAPI endpoints and in the functions they depend on through
    `Depends`/`Security`, when the data is not then validated by a model
    (`Model.model_validate(...)`, `Model.model_validate_json(body)`, `Model(**data)`,
    `TypeAdapter(...).validate_python(...)`) or an SDK's `construct_event`.

    ## Why is this bad?
    Reading the request by hand skips FastAPI's validation entirely: the handler gets whatever
    the client sent, as nested dicts and strings, and each `data["key"]` is a `KeyError` (a 500)
    or an unchecked value waiting to reach the database. The endpoint's OpenAPI schema shows no
    body at all.

    ## Example
    ```python
    @router.post("/orders")
    async def create_order(request: Request):
        data = await request.json()
        order = Order(customer_id=data["customer_id"], total=data["total"])
    ```

    ## Use instead
    ```python
    class OrderCreate(BaseModel):
        customer_id: int
        total: Decimal = Field(gt=0)

    @router.post("/orders")
    async def create_order(payload: OrderCreate):
        order = Order(**payload.model_dump())
    ```
    A webhook that must see the exact bytes to check a signature reads them and then validates:
    `event = WebhookEvent.model_validate_json(await request.body())`.

    Not flagged either: the whole body (its bytes, or every form field) handed, with a request
    header, to one call (a webhook's signature check: the data is the verified sender's; a field
    parsed out of the body next to a header is no such check); a body sent on whole as the
    payload of an outbound HTTP request (a proxy: `client.post(url, content=body)`; the service
    it is for validates it); and data a dependency returns to consumers that each validate it
    (`Depends(get_request_json)` then `Model(**json)` or a `create_model` model).

    ## Known problems
    Validation is recognised in the function, in a dependency's consumers, and in the
    repository's helpers the data is handed to (a few calls deep, by position or keyword: a model
    built from it, also with a model class the call passes, `dict_to_model(data, Settings)`);
    helpers reached through `*args`, and helpers in modules without routing code, are not
    followed. Reads in middleware and in functions that
    are not endpoints or their dependencies are not checked.
    """

    code = "RVW302"
    name = "raw-request-body"
    checklist = "input-validation"
    severity = Severity.WARNING

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        index = endpoint_index(repo)
        for handler in index.handlers():
            for read in handler.function.reads:
                if read.kind not in WHAT_IS_READ or not index.is_request(handler.function, read.receiver):
                    continue
                if read.kind in ("body", "stream") and not read.parsed:
                    continue
                if index.validated(read, handler.function):
                    continue
                repo.report(
                    handler.file,
                    read.span,
                    f"{handler.describe()} reads {WHAT_IS_READ[read.kind]} by hand (`{read.text}`) "
                    "and never validates it with a Pydantic model",
                    statement_lines=read.statement_lines,
                )
