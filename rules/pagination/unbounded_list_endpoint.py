"""A GET endpoint returns every row of a query: no limit, no pagination."""

from __future__ import annotations

from reviewer.model import Severity
from reviewer.rule import RepoContext
from rules.pagination._listing import ListingRule, admin_only, list_endpoints


class UnboundedListEndpoint(ListingRule):
    """A GET endpoint returns every row of a query: no limit, no pagination.

    ## What it does
    Flags a FastAPI GET endpoint whose answer is the rows of a database query fetched whole
    (`.all()`, `session.scalars(...).all()`, SQLModel `session.exec(select(...)).all()`,
    `session.query(Model).all()`, `list(session.scalars(...))`, `fetchall()`/`fetch_all()`/`fetch()`
    of a literal `SELECT` without `LIMIT`), run in the endpoint or in a helper, service or
    repository function whose result it returns (followed across modules), when nothing on the way
    applies a `.limit(...)` or hands the query to a paginator, and the collection is one that may
    be large: another endpoint of the application answers pages of the same mapped class (its
    authors know it grows), or the application pages through nothing at all (nothing says any
    collection is small).

    ## Why is this bad?
    The answer grows with the table: one request serialises every row into memory, and a table
    that held fifty rows in development holds a million in production. The endpoint becomes slow,
    then times out or runs the worker out of memory, and any client can trigger it.

    ## Example
    ```python
    @router.get("/orders")
    def list_orders(session: SessionDep) -> list[OrderOut]:
        return session.scalars(select(Order).order_by(Order.created_at)).all()
    ```

    ## Use instead
    ```python
    @router.get("/orders")
    def list_orders(
        session: SessionDep,
        offset: int = Query(0, ge=0),
        limit: int = Query(50, ge=1, le=200),
    ) -> list[OrderOut]:
        stmt = select(Order).order_by(Order.created_at).offset(offset).limit(limit)
        return session.scalars(stmt).all()
    ```
    or fastapi-pagination's `Page[OrderOut]` with `paginate(session, select(Order))`.

    Not flagged: queries capped in SQL (`.limit(100)`, `LIMIT 50`), aggregates and grouped rows
    (`select(func.count())`, `.group_by(...)`), queries scoped to what the caller names (a filter
    that compares a column with a value computed from the function's parameters:
    `Item.owner_id == owner_id`, `X.id.in_(ids)`, `WHERE tag = :tag`: the rows of one parent),
    endpoints that paginate (a `.limit(...)` from a parameter or a pagination model,
    `paginate(...)`), and endpoints only administrators reach (a dependency at any level that
    checks for an administrator): what they list is the application's configuration, read by an
    operator.

    ## Known problems
    A collection the application never pages, in an application that pages others, is taken as small
    by nature (the settings, providers or roles an administrator configures): an unbounded list of a
    large table that is paged nowhere is missed there, and raw SQL (which names no mapped class) is
    judged only in an application that pages nothing. A helper is followed only when its result
    reaches what the endpoint returns, and only when it can be found: by its qualified name, or, for
    a method called on an attribute (`self.repo.list_all()`), by a name no other function of the
    repository has. A query built in another helper than the one that runs it is not read. In an
    application that pages nothing, tables that are small by nature (a lookup table of currencies)
    are flagged: suppress the finding there. An administrator's list of a large table (every user)
    and a filtered list of a large parent (every payment of a wallet) are not flagged.
    """

    code = "RVW931"
    name = "unbounded-list-endpoint"
    severity = Severity.WARNING

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        for index, endpoint in list_endpoints(repo):
            found = index.unbounded_rows(endpoint)
            if found is None or found.read is None or admin_only(index, endpoint):
                continue
            read = found.read
            where = "" if found.function == endpoint.function.qualname else f" in `{found.function}`"
            repo.report(
                endpoint.file,
                endpoint.function.span,
                f"`{endpoint.label}` returns every row of `{read.query}` (`{read.text}`{where}, line {read.line}) "
                "with no limit: take `limit: int = Query(50, le=...)` and `offset` parameters and apply them with "
                "`.limit()`/`.offset()`, or paginate with fastapi-pagination",
                statement_lines=endpoint.function.statement_lines,
            )
