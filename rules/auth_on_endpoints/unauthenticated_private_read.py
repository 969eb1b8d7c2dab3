"""A GET that returns the rows of the owner its caller names, with nothing authenticating the caller."""

from __future__ import annotations

from reviewer.rule import RepoContext
from rules.auth_on_endpoints._unguarded import UnguardedRule, unguarded


class UnauthenticatedPrivateRead(UnguardedRule):
    """A `GET` that returns one user's or tenant's rows, chosen by an owner the caller names in
    the path or the query, while nothing authenticates the caller.

    ## What it does
    For every `GET` endpoint served by an application whose other endpoints are authenticated
    (the guards `unauthenticated-endpoint` (RVW921) recognises), in a module where some endpoint
    is guarded, and that nothing guards itself, follows
    each path and query parameter into the queries the endpoint runs, itself, in a dependency, or
    in a helper of the repository it hands the parameter to (`crud.get_orders(db, user_id=user_id)`),
    and reports when one selects the rows of a mapped class (a declarative model the ORM analysis
    knows) by an owner column the class maps (`Order.user_id == user_id`,
    `filter_by(tenant_id=tenant_id)`: `user_id`, `owner_id`, `tenant_id`, `account_id`,
    `customer_id`, `org_id`, `workspace_id`, `owner`). The message names the parameter, the class,
    the column and the function that filters.

    Not reported: a query that also filters on a visibility column (`is_public`, `published`,
    `visibility`): the rows are chosen as public; an endpoint whose path or query names a
    credential (`/invite/{token}`, `/share/{share_id}`, `?code=`): the link is the credential; an
    endpoint that shows a public flow (see RVW921); an endpoint of a module none of whose endpoints
    is guarded (a module of public pages); an application that authenticates no endpoint.

    ## Why is this bad?
    Anyone who can reach the service reads any user's data by changing the identifier in the URL:
    broken object-level authorization (OWASP API1), usually a forgotten dependency on one route of
    a router whose other routes are guarded.

    ## Example
    ```python
    @router.get("/users/{user_id}/orders")
    def list_orders(user_id: int, session: SessionDep):
        return session.scalars(select(Order).where(Order.user_id == user_id)).all()
    ```

    ## Use instead
    ```python
    @router.get("/me/orders")
    def list_orders(user: CurrentUser, session: SessionDep):
        return session.scalars(select(Order).where(Order.user_id == user.id)).all()
    ```

    ## Known problems
    Data meant to be public (a public profile's posts) that no visibility column marks is reported:
    suppress the finding with a comment saying so. A query built where the parameter is not handed
    whole (`filters = {"user_id": user_id}`) or run through a generic repository (`repo.list(**kw)`)
    is not followed, nor a read of one row by its primary key (`session.get(User, user_id)`).
    Authentication outside the code (a gateway) is not seen.
    """

    code = "RVW923"
    name = "unauthenticated-private-read"

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        found = unguarded(repo)
        if found is None or not found.private_reads:
            return
        repo.mark_applicable()
        for endpoint, read in found.private_reads:
            where = "" if read.where == endpoint.function.name else f" in `{read.where}`"
            repo.report(
                endpoint.file,
                endpoint.function.span,
                f"`GET {endpoint.path or '/'}` (`{endpoint.function.name}`) returns `{read.entity}` rows selected by "
                f"`{read.entity}.{read.column} == {read.param}`{where} from its {read.source} parameter "
                f"`{read.param}`: one owner's data, chosen by the caller, and nothing authenticates the caller while "
                "other endpoints of its module are guarded; add the application's authentication dependency "
                "and scope the query to the authenticated user, or, if the data is public by design, say so in a "
                "suppression comment",
                statement_lines=endpoint.function.statement_lines,
            )
