"""A JSON endpoint declares no response schema, so OpenAPI documents nothing of what it returns."""

from __future__ import annotations

from reviewer.model import Severity
from reviewer.rule import RepoContext
from reviewer.semantics.fastapi.index import Endpoint
from reviewer.semantics.fastapi.responses import (
    ResponseModel,
    is_json_response,
    is_response_class,
    response_schema,
)
from rules.response_schemas._endpoints import ResponseRule, response_model

NO_CONTENT = ("204", "304")


class UndeclaredResponseSchema(ResponseRule):
    """A JSON endpoint declares no response schema, so OpenAPI documents nothing of what it returns.

    ## What it does
    Flags FastAPI endpoints that return a value but declare no `response_model` and no return
    annotation FastAPI can use as one. Not flagged: routes left out of the schema
    (`include_in_schema=False`), routes whose `response_class` is not JSON or whose handler returns
    only `Response` objects (HTML, streams, files, redirects), `204`/`304` routes, handlers that
    return nothing or only fixed literals (`{"status": "ok"}`, a health check), websockets.

    When most of a repository's JSON endpoints declare a schema, each one that does not is
    reported. When most do not (the project does not use response models), one finding, at the
    first such endpoint, says how many there are: a list of hundreds would bury everything else.

    ## Why is this bad?
    Without a response schema the OpenAPI document says nothing about the response: generated
    clients get `any`, reviewers cannot see what leaves the service, and FastAPI does not filter
    the returned object, so a field added to the model later (an internal flag, a credential)
    is sent to clients without anyone deciding it.

    ## Example
    ```python
    @router.get("/items/{item_id}")
    async def read_item(item_id: int, session: SessionDep):
        return await session.get(Item, item_id)
    ```

    ## Use instead
    ```python
    @router.get("/items/{item_id}", response_model=ItemPublic)
    async def read_item(item_id: int, session: SessionDep):
        return await session.get(Item, item_id)
    ```
    or annotate the return type: `async def read_item(...) -> ItemPublic:`.

    ## Known problems
    Endpoints are counted over the whole repository, not per application. A return annotation of
    any type counts as a declaration, `-> dict` too, though it documents little.
    """

    code = "RVW962"
    name = "undeclared-response-schema"
    checklist = "response-schemas"
    severity = Severity.INFO

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        model = response_model(repo)
        candidates: dict[str, Endpoint] = {}
        undeclared: list[Endpoint] = []  # no schema, and seen to return a value
        without_schema = 0
        for endpoint in model.index.endpoints:
            qualname = endpoint.function.qualname
            if qualname in candidates or not _documents_json(model, endpoint):
                continue
            answers = model.answers(qualname)
            if answers in ("value", "unknown", "constant"):
                candidates[qualname] = endpoint
                if response_schema(model.index, endpoint) is None:
                    without_schema += 1
                    # Reported only where the handler is seen to return a value: not what a library
                    # call returns (it may be a Response), not a fixed acknowledgement (`{"ok": True}`).
                    if answers == "value":
                        undeclared.append(endpoint)
        if not candidates:
            return
        declared = len(candidates) - without_schema
        repo.describe(f"{declared} of {len(candidates)} JSON endpoints declare a response schema")
        if not undeclared:
            return
        if without_schema * 2 <= len(candidates):
            for endpoint in undeclared:
                repo.report(endpoint.file, endpoint.function.span,
                            f"`{endpoint.label}` declares no response schema while most endpoints here do: OpenAPI "
                            "documents nothing of its response; add `response_model=` or a return annotation",
                            statement_lines=endpoint.function.statement_lines)
            return
        first = undeclared[0]
        repo.report(first.file, first.function.span,
                    f"{without_schema} of {len(candidates)} JSON endpoints declare no response schema (first: "
                    f"`{first.label}`): OpenAPI documents nothing of their responses; add `response_model=` or "
                    "return annotations", statement_lines=first.function.statement_lines)


def _documents_json(model: ResponseModel, endpoint: Endpoint) -> bool:
    """The route answers with JSON that OpenAPI should describe, as far as its declaration and
    return annotation tell."""
    response = endpoint.response
    if "WEBSOCKET" in endpoint.methods or not endpoint.in_schema or response.documented:
        return False
    if response.model is not None and response.model.kind == "none":
        return False  # `response_model=None`: turned off on purpose
    if response.status_code and any(code in response.status_code for code in NO_CONTENT) or (
            response.status_code or "").endswith("NO_CONTENT"):
        return False
    response_class = response.response_class
    if response_class and is_response_class(model.index, response_class) and not is_json_response(response_class):
        return False
    returns = model.index.type_of(endpoint.function.returns)
    members = [a for a in returns.args if a.kind != "none"] if returns is not None and returns.kind == "union" else [
        returns]
    if any(m is not None and m.kind == "name" and m.name and is_response_class(model.index, m.name) for m in members):
        return False  # `-> JSONResponse`, `-> RedirectResponse | dict`: documented as a Response
    return True
