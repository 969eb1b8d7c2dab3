"""Host header checks that accept any host."""

from __future__ import annotations

from reviewer import lazy_cst as cst
from reviewer.model import Severity
from reviewer.rule import Rule
from reviewer.syntax import keyword, string_value

TRUSTED_HOST_MIDDLEWARE = frozenset({
    "fastapi.middleware.trustedhost.TrustedHostMiddleware",
    "starlette.middleware.trustedhost.TrustedHostMiddleware",
})


class WildcardTrustedHosts(Rule):
    """`TrustedHostMiddleware` is configured with `allowed_hosts=["*"]`.

    ## What it does
    Flags `app.add_middleware(TrustedHostMiddleware, allowed_hosts=["*"])` and
    `Middleware(TrustedHostMiddleware, allowed_hosts=["*"])` outside test code.

    ## Why is this bad?
    The middleware exists to reject requests whose `Host` header is not yours; a wildcard turns it
    off while the code reads as if it were on. Forged `Host` headers then reach URL generation
    (password-reset links, redirects) and caches.

    ## Example
    ```python
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=["*"])
    ```

    ## Use instead
    ```python
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts)  # ["api.example.com"]
    ```

    ## Known problems
    Host lists built at run time are not followed.
    """

    code = "RVW504"
    name = "wildcard-trusted-hosts"
    checklist = "production-config"
    severity = Severity.WARNING
    prefilter_packages = ("fastapi", "starlette")

    def visit_Call(self, node: cst.Call) -> None:
        if self.context.is_test_file or not node.args:
            return
        middleware = node.args[0].value
        if self.qualify(middleware) not in TRUSTED_HOST_MIDDLEWARE:
            return
        hosts = keyword(node, "allowed_hosts")
        if hosts is None or not isinstance(hosts.value, (cst.List, cst.Tuple, cst.Set)):
            return
        if any(string_value(element.value) == "*" for element in hosts.value.elements):
            self.report(hosts, 'TrustedHostMiddleware(allowed_hosts=["*"]) accepts any Host header')
