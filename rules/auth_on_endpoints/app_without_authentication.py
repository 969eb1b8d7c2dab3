"""An application whose endpoints change data and that authenticates no caller anywhere."""

from __future__ import annotations

from reviewer.rule import RepoContext
from reviewer.semantics.fastapi import Endpoint
from rules.auth_on_endpoints._unguarded import UnguardedRule, changed_methods, unguarded


class AppWithoutAuthentication(UnguardedRule):
    """An application whose endpoints change data while nothing in it authenticates a caller.

    ## What it does
    When no endpoint of the repository is guarded by anything `unauthenticated-endpoint`
    (RVW921) recognises (a security scheme, a rejecting dependency, a check in the body, a
    rejecting decorator or middleware), reports once, at the first endpoint that changes data
    and is not public by design, with how many such endpoints there are, rather than once per
    endpoint.

    ## Why is this bad?
    Anyone who can reach the service can change its data. That is a choice for a single-user
    tool bound to localhost or an internal service behind an authenticating gateway, and a
    defect anywhere else: the finding asks for the choice to be made explicit.

    ## Example
    ```python
    app = FastAPI()

    @app.post("/items")
    async def create_item(item: Item): ...
    ```

    ## Use instead
    ```python
    app = FastAPI(dependencies=[Depends(verify_api_key)])
    ```
    or, when a proxy or gateway authenticates, suppress the finding with a comment that names it.

    ## Known problems
    Authentication done outside the code (a reverse proxy, a gateway, a service mesh) is not
    seen. The same limits as `unauthenticated-endpoint` apply to what counts as a guard.
    """

    code = "RVW922"
    name = "app-without-authentication"

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        found = unguarded(repo)
        if found is None or not found.changing:
            return
        repo.mark_applicable()
        groups: dict[tuple[str, ...], list[tuple[Endpoint, str]]] = {}
        for endpoint, write in found.endpoints:
            apps, guarded = found.applications[endpoint.function.qualname]
            if not guarded:
                groups.setdefault(apps, []).append((endpoint, write))
        for unguarded_endpoints in groups.values():
            first, write = unguarded_endpoints[0]
            count = len(unguarded_endpoints)
            others = f" and {count - 1} other endpoint{'s' if count > 2 else ''}" if count > 1 else ""
            repo.report(
                first.file,
                first.function.span,
                f"nothing in the application authenticates a caller: `{changed_methods(first)} {first.path or '/'}` "
                f"(`{first.function.name}`, `{write}`){others} change data for anyone who can reach the service; add "
                "an authentication dependency to the application (`FastAPI(dependencies=[Depends(verify_api_key)])`) "
                "or, if a gateway authenticates or the service is local-only by design, say so in a suppression "
                "comment",
                statement_lines=first.function.statement_lines,
            )
