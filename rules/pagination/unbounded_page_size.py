"""A GET endpoint's page size has no upper bound."""

from __future__ import annotations

from reviewer.model import Severity
from reviewer.rule import RepoContext
from rules.pagination._listing import ListingRule, list_endpoints


class UnboundedPageSize(ListingRule):
    """A GET endpoint's page size has no upper bound.

    ## What it does
    Flags a FastAPI GET endpoint with a query parameter that reaches a query's `.limit(...)`, in
    the endpoint or in a helper, service or repository function it hands the parameter to
    (followed across modules), when neither its declaration (`Query(le=...)`,
    `Annotated[int, Query(le=...)]`, `conint(le=...)`, a `Literal[...]`) nor the code on the way
    (`min(limit, MAX)`, `if limit > MAX: raise ...`) bounds it.

    ## Why is this bad?
    `limit: int = 100` paginates only clients that keep the default: `?limit=10000000` asks for
    every row, and the endpoint is as unbounded as one without pagination.

    ## Example
    ```python
    @router.get("/items")
    def read_items(session: SessionDep, skip: int = 0, limit: int = 100) -> list[ItemOut]:
        return session.exec(select(Item).offset(skip).limit(limit)).all()
    ```

    ## Use instead
    ```python
    @router.get("/items")
    def read_items(
        session: SessionDep, skip: int = Query(0, ge=0), limit: int = Query(100, ge=1, le=500)
    ) -> list[ItemOut]:
        return session.exec(select(Item).offset(skip).limit(limit)).all()
    ```

    ## Known problems
    Only query parameters of the endpoint itself are judged; a page size taken through a
    dependency or a pagination model is trusted (its bounds are the model's business). A helper
    is found by its qualified name, or, for a method called on an attribute, by a name no other
    function of the repository has.
    """

    code = "RVW932"
    name = "unbounded-page-size"
    severity = Severity.WARNING

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        for index, endpoint in list_endpoints(repo):
            found = index.unbounded_limit(endpoint)
            if found is None:
                continue
            where = "" if found.function == endpoint.function.qualname else f" in `{found.function}`"
            if found.namesakes > 1:
                where += f" (or another of the {found.namesakes} functions of that name it may call)"
            repo.report(
                endpoint.file,
                endpoint.function.span,
                f"`{endpoint.label}` applies query parameter `{found.parameter}` as `{found.applied}`{where} with no "
                f"upper bound: a client can ask for every row; declare it `Query(..., le=MAX)` or clamp it with "
                f"`min({found.parameter}, MAX)`",
                statement_lines=endpoint.function.statement_lines,
            )
