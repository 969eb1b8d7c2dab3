"""An origin pattern that any website's origin matches, with credentials."""

from __future__ import annotations

import re
from typing import Any

from rules.cors_restrictive._configuration import CorsConfigurationRule, allows_credentials, any_origin, described

# Origins an attacker can serve a page from; a pattern that accepts one accepts the attacker: any
# domain, and a site of their own on a hosting service that gives every customer a subdomain.
ATTACKER_ORIGINS = ("https://attacker.example", "http://attacker.example", "https://evil.com", "http://evil.com")
SHARED_HOSTS = (
    "vercel.app", "netlify.app", "onrender.com", "herokuapp.com", "github.io", "pages.dev", "web.app",
    "firebaseapp.com", "azurewebsites.net", "appspot.com", "fly.dev", "up.railway.app", "ngrok.io",
    "ngrok-free.app", "ngrok.app", "trycloudflare.com", "surge.sh", "glitch.me", "repl.co", "replit.app",
    "gitlab.io", "amplifyapp.com", "cloudfront.net", "loca.lt", "workers.dev",
)


def matching_attacker_origin(pattern: str) -> str | None:
    """An attacker's origin that `pattern` fully matches (as Starlette matches it), if any."""
    try:
        compiled = re.compile(pattern)
    except (re.error, RecursionError, OverflowError):
        return None
    found = next((origin for origin in ATTACKER_ORIGINS if compiled.fullmatch(origin)), None)
    if found is not None:
        return found
    return next((origin for host in SHARED_HOSTS for scheme in ("https", "http")
                 if compiled.fullmatch(origin := f"{scheme}://attacker-site.{host}")), None)


class OriginRegexMatchesAny(CorsConfigurationRule):
    """`CORSMiddleware`'s `allow_origin_regex` accepts origins anyone can serve a page from, with credentials.

    ## What it does
    Flags a `CORSMiddleware` configuration (as RVW621 finds them) whose `allow_origin_regex`, as a
    deployment that sets nothing gets it, fully matches an origin anyone can serve a page from,
    while `allow_credentials` is true: any domain (`".*"`, `"https?://.*"`, `"https://.+"`) or any
    site on a hosting service that gives every customer a subdomain (`r"https://.*\\.vercel\\.app"`,
    `netlify.app`, `onrender.com`, `herokuapp.com`, `github.io`, `pages.dev`, ...). Patterns
    anchored to the company's own domains (`r"https://.*\\.example\\.com"`) or to local
    development (`r"http://localhost:\\d+"`) are not flagged.

    ## Why is this bad?
    Starlette echoes an origin the pattern matches back with
    `Access-Control-Allow-Credentials: true`: a page on any origin the pattern accepts, which an
    attacker can set up, can then call the API with the user's cookies and read the answers.

    ## Example
    ```python
    app.add_middleware(CORSMiddleware, allow_origin_regex="https://.*", allow_credentials=True)
    ```

    ## Use instead
    ```python
    app.add_middleware(
        CORSMiddleware, allow_origin_regex=r"https://([a-z0-9-]+\\.)?example\\.com", allow_credentials=True
    )
    ```

    ## Known problems
    A pattern that only some attacker-controlled origins match through a mistake (an unescaped dot,
    `https://app.example.com.*`) is not flagged. When `allow_origins` also holds `"*"`, RVW621
    reports the configuration instead.
    """

    code = "RVW622"
    name = "cors-origin-regex-matches-any"

    @classmethod
    def judge(cls, values: dict[str, tuple[Any, Any, str]]) -> str | None:
        pattern, pattern_place, pattern_written = values["allow_origin_regex"]
        credentials, credentials_place, credentials_written = values["allow_credentials"]
        if not isinstance(pattern, str) or not allows_credentials(credentials):
            return None
        if any_origin(values["allow_origins"][0]):
            return None  # RVW621's
        attacker = matching_attacker_origin(pattern)
        if attacker is None:
            return None
        return (
            f"CORSMiddleware {described('allow_origin_regex', pattern, pattern_place, pattern_written)} "
            f"accepts origins anyone can serve a page from (`{attacker}`) and "
            f"{described('allow_credentials', credentials, credentials_place, credentials_written).rstrip(',')}: a "
            "page there can make requests as the signed-in user and read the answers; anchor the pattern to your "
            "own domains"
        )
