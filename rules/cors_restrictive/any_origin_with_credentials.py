"""Every origin allowed, with credentials."""

from __future__ import annotations

from typing import Any

from rules.cors_restrictive._configuration import CorsConfigurationRule, allows_credentials, any_origin, described


class AnyOriginWithCredentials(CorsConfigurationRule):
    """`CORSMiddleware` allows every origin (`"*"`) together with credentials.

    ## What it does
    Flags `app.add_middleware(CORSMiddleware, ...)`, `Middleware(CORSMiddleware, ...)` and
    `CORSMiddleware(app, ...)` (also of a subclass of `CORSMiddleware`) whose `allow_origins`
    contains `"*"` while `allow_credentials` is true, as a deployment that sets no environment
    variable gets them: written in the call, in a constant of any module (`ORIGINS = ["*"]`), a
    settings field's default (`cors_origins: list[str] = ["*"]`), or an environment read's fallback
    (`os.getenv("CORS_ORIGINS", "*").split(",")`, `config("CORS_ORIGINS", default="*",
    cast=Csv())`). The finding is at the middleware's configuration.

    ## Why is this bad?
    Browsers refuse `Access-Control-Allow-Origin: *` on credentialed requests, so Starlette answers
    with the request's own `Origin` instead whenever `*` meets `allow_credentials=True`: every
    website a user visits can then call the API with the user's cookies and read the answers.

    ## Example
    ```python
    app.add_middleware(
        CORSMiddleware, allow_origins=["*"], allow_credentials=True, allow_methods=["*"], allow_headers=["*"]
    )
    ```

    ## Use instead
    ```python
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,  # ["https://app.example.com"]
        allow_credentials=True,
        allow_methods=["*"],
        allow_headers=["*"],
    )
    ```
    or keep `allow_origins=["*"]` without credentials for a public API authenticated by headers.

    ## Known problems
    A middleware configured only under a condition on other configuration (`if settings.debug:`)
    is not judged, and neither are options built by a function or passed through `**kwargs`.
    Origins appended at run time are not followed. Test code is not checked.
    """

    code = "RVW621"
    name = "cors-any-origin-with-credentials"

    @classmethod
    def judge(cls, values: dict[str, tuple[Any, Any, str]]) -> str | None:
        origins, origins_place, origins_written = values["allow_origins"]
        credentials, credentials_place, credentials_written = values["allow_credentials"]
        if not any_origin(origins) or not allows_credentials(credentials):
            return None
        return (
            f"CORSMiddleware allows every origin with credentials: "
            f"{described('allow_origins', origins, origins_place, origins_written)} and "
            f"{described('allow_credentials', credentials, credentials_place, credentials_written).rstrip(',')}; "
            "Starlette then echoes any Origin back with credentials, so every website can make "
            "requests as the signed-in user: list the trusted origins"
        )
