"""A credential written to a log."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from reviewer import lazy_cst as cst
from reviewer.model import Severity
from reviewer.rule import Rule
from reviewer.semantics.log_calls import is_log_call, logger_names, written_values
from rules.structured_logging._credentials import Credentials, security_schemes
from rules.structured_logging._sites import is_application_module


class CredentialInLog(Rule):
    """A password, token, API key, `Authorization` header or whole request headers/body is logged.

    ## What it does
    Flags a log call (`logging`, a `logging`/`structlog`/`loguru` logger) that writes a credential
    as its message, a `%`/`.format`/f-string part, a key-value argument or an `extra=` value. A
    value is a credential by where it comes from, followed through the names the function assigns
    it to: `request.headers` (whole, or its `Authorization`, `Cookie` or API-key header), the whole
    request body (`await request.body()`/`.json()`/`.form()`), the `password`/`client_secret` of an
    `OAuth2PasswordRequestForm`, the token of `HTTPAuthorizationCredentials`, a credential header
    parameter (`authorization: str = Header()`), the token an `OAuth2PasswordBearer` or
    `APIKeyHeader` dependency hands over (`token: str = Depends(oauth2_scheme)`), the
    `password`/`token`/`api_key` field of the body model a route takes,
    `SecretStr.get_secret_value()`, and a token just minted (`jwt.encode(...)`, a project's
    `create_access_token(...)`). Tests, examples and migrations are not checked.

    ## Why is this bad?
    Logs are read by far more people and systems than the secrets store: log pipelines, vendors,
    support staff, backups. A token or password in a log line is a credential anyone of them can
    replay, and it outlives its rotation in every archive.

    ## Example
    ```python
    @app.middleware("http")
    async def log_requests(request: Request, call_next):
        logger.info("request %s headers=%s", request.url.path, dict(request.headers))
        return await call_next(request)
    ```

    ## Use instead
    ```python
    @app.middleware("http")
    async def log_requests(request: Request, call_next):
        safe = {k: v for k, v in request.headers.items() if k.lower() not in SENSITIVE_HEADERS}
        logger.info("request %s headers=%s", request.url.path, safe)
        return await call_next(request)
    ```

    ## Known problems
    The chain is followed inside one function: a credential handed to a helper that logs it is
    not found, nor a settings field that holds a secret as a plain `str`, nor tokens received
    from another service (an identity provider's token response). A value passed through any
    call the analysis does not know (a masking helper, a hash) counts as cleaned. `print()` of a
    credential is left to `print-in-application-code`.
    """

    code = "RVW902"
    name = "credential-in-log"
    checklist = "structured-logging"
    severity = Severity.ERROR
    # Where a credential can come from; the file must also log (`__init__`).
    prefilter_packages = ("headers", "get_secret_value", "Request", "jwt", "Header", "Credentials", "cookies", "body",
                          "password", "token", "secret")

    def __init__(self, context, options) -> None:  # noqa: ANN001
        super().__init__(context, options)
        self.applies = "log" in context.source and is_application_module(context)
        self._frames: list[Credentials] = []
        self._loggers: frozenset[str] | None = None
        self._schemes: frozenset[str] | None = None

    def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], None]]:
        return super().get_visitors() if self.applies else {}

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self.applies:
            if self._schemes is None:
                self._schemes = security_schemes(self.context.tree, self.qualify)
            self._frames.append(Credentials(node, self.qualify, self._schemes))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        if self.applies:
            self._frames.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._frames:
            for target in node.targets:
                self._frames[-1].bind(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if self._frames:
            self._frames[-1].bind(node.target, node.value)

    def visit_For(self, node: cst.For) -> None:
        if self._frames:
            self._frames[-1].bind_loop(node.target, node.iter)

    def visit_Call(self, node: cst.Call) -> None:
        if not self._frames:
            return
        if self._loggers is None:
            self._loggers = logger_names(self.context.tree, self.qualify)
        if not is_log_call(node, self.qualify, self._loggers):
            return
        frame = self._frames[-1]
        for where, value in written_values(node):
            found = frame.credential(value)
            if found is not None:
                shown = self.context.tree.code_for_node(node.func)
                place = {"extra": "an `extra=` value", "message": "part of the message"}.get(where, f"`{where}=`")
                self.report(node, f"{found[0].upper()}{found[1:]} reaches `{shown}` as {place}: log an id or "
                                  "a masked value, never the credential")
                return
