"""An endpoint takes its request body as a `dict`, `Any`, bare `list` or without annotation."""

from __future__ import annotations

from reviewer.model import Severity
from reviewer.rule import RepoContext
from reviewer.semantics.fastapi import DICT_TYPES, SEQUENCE_TYPES, EndpointIndex, Handler, Parameter, TypeRef
from rules.input_validation._endpoints import EndpointRule, endpoint_index

ANY_TYPES = frozenset({"typing.Any", "typing_extensions.Any", "builtins.object", "pydantic.Json"})


class UntypedBodyParameter(EndpointRule):
    """An endpoint takes its request body as a `dict`, `Any`, bare `list` or without annotation.

    ## What it does
    Flags parameters of FastAPI endpoints, and of the dependencies they use through `Depends`,
    that FastAPI fills from the request body without a schema: typed `dict`, `Dict[...]`,
    `dict[str, Any]`, `Mapping`, `Any`, bare `list`, `List[dict]`, `Optional[dict]` (also through
    a module-level type alias or `Annotated[...]`), or declared with `Body(...)` and no usable
    annotation. Endpoints are found through their routers, across modules.

    ## Why is this bad?
    FastAPI validates a body only against the type it is given. A `dict` body accepts any JSON
    object: missing keys, wrong types, unexpected fields (mass assignment) all reach the handler,
    fail deep inside it with a 500, or are written to the database as they came. The endpoint's
    OpenAPI schema says nothing about what it expects.

    ## Example
    ```python
    @router.post("/items")
    async def create_item(payload: dict[str, Any], session: SessionDep):
        item = Item(**payload)
        ...
    ```

    ## Use instead
    ```python
    class ItemCreate(BaseModel):
        name: str = Field(max_length=100)
        price: Decimal = Field(gt=0)
        tags: list[str] = []

    @router.post("/items")
    async def create_item(payload: ItemCreate, session: SessionDep):
        item = Item(**payload.model_dump())
        ...
    ```
    Free-form data that really is free-form (user preferences, metadata) still belongs in a
    model field such as `metadata: dict[str, str] = Field(max_length=50)`.

    Not flagged: a `dict` whose values are models or plain values (`dict[str, ItemCreate]`,
    `dict[str, str]`: FastAPI checks each value); a body the function checks against JSON Schema
    itself (`jsonschema.validate(values, schema)`, also after it is transformed), or never reads
    (an endpoint that only answers 410 Gone).

    ## Known problems
    Validation is recognised in the function itself and in the repository's helpers the body is
    handed to, a few calls deep (`Model(**data)`, `Model.model_validate(data)`, a model class the
    call passes: `dict_to_model(data, Settings)`); `Model.model_construct(...)` validates nothing.
    Only helpers in modules that hold routing code (they mention FastAPI, Starlette or a route
    decorator) are followed: the others are not walked, to keep a review fast. Routers created
    by a function whose return type is not annotated are not recognised, so their endpoints are
    not checked.
    """

    code = "RVW301"
    name = "untyped-body-parameter"
    checklist = "input-validation"
    severity = Severity.WARNING

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        index = endpoint_index(repo)
        for handler in index.handlers():
            for param in handler.function.params:
                sources = {index.parameter_source(param, endpoint.path) for endpoint in handler.endpoints}
                if ("body" not in sources or param.name in handler.function.unused_params
                        or index.validates_parameter(handler.function, param.name)):
                    continue
                annotation = index.parameter_type(param)
                if not _untyped(annotation, index):
                    continue
                repo.report(
                    handler.file,
                    handler.function.span,
                    _message(handler, param),
                    statement_lines=handler.function.statement_lines,
                )


def _message(handler: Handler, param: Parameter) -> str:
    if param.annotation is None:
        typed = "without an annotation"
    else:
        typed = f"typed `{param.annotation_text}`"
    return (
        f"{handler.describe()} takes body parameter `{param.name}` {typed}: "
        "FastAPI accepts any JSON for it; declare a Pydantic model"
    )


def _untyped(ref: TypeRef | None, index: EndpointIndex) -> bool:
    """Would FastAPI accept arbitrary JSON for a body of this type?"""
    if ref is None:
        return True
    if ref.kind == "union":
        return any(_untyped(arg, index) for arg in ref.args if arg.kind != "none")
    if ref.kind == "annotated":
        return bool(ref.args) and _untyped(ref.args[0], index)
    if ref.kind == "name":
        return ref.name in ANY_TYPES or ref.name in DICT_TYPES or ref.name in SEQUENCE_TYPES
    if ref.kind == "generic":
        if ref.name in DICT_TYPES:
            # `dict[str, str]`, `dict[str, ItemCreate]`: FastAPI checks every value.
            return not (len(ref.args) == 2 and ref.args[1].kind != "other" and not _untyped(ref.args[1], index))
        if ref.name in SEQUENCE_TYPES:
            return any(_untyped(arg, index) for arg in ref.args if arg.kind != "other")
    return False
