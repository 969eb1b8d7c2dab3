"""SQLAlchemy engines that echo every statement."""

from __future__ import annotations

from reviewer import lazy_cst as cst
from reviewer.model import Severity
from reviewer.rule import Rule
from reviewer.syntax import is_true, keyword, string_value

ENGINE_FACTORIES = frozenset({
    "sqlalchemy.create_engine",
    "sqlalchemy.engine.create_engine",
    "sqlalchemy.ext.asyncio.create_async_engine",
    "sqlmodel.create_engine",
})


class SqlEchoEnabled(Rule):
    """A SQLAlchemy engine is created with `echo=True` in application code.

    ## What it does
    Flags `create_engine(..., echo=True)` and `create_async_engine(..., echo=True)` (also
    `echo="debug"`, and `echo_pool`) outside test code.

    ## Why is this bad?
    Echo logs every SQL statement, and with `"debug"` every result row, through the `sqlalchemy`
    logger at INFO level. In production that floods the logs and writes personal data and secrets
    held in the database into them.

    ## Example
    ```python
    engine = create_async_engine(settings.database_url, echo=True)
    ```

    ## Use instead
    ```python
    engine = create_async_engine(settings.database_url, echo=settings.sql_echo)  # default False
    ```

    ## Known problems
    An echo flag taken from a variable is trusted; the settings rules check its default.
    """

    code = "RVW502"
    name = "sql-echo-enabled"
    checklist = "production-config"
    severity = Severity.WARNING
    prefilter_packages = ("sqlalchemy", "sqlmodel")

    def visit_Call(self, node: cst.Call) -> None:
        if self.context.is_test_file:
            return
        factory = self.qualify(node.func)
        if factory not in ENGINE_FACTORIES:
            return
        for name in ("echo", "echo_pool"):
            arg = keyword(node, name)
            if arg is not None and (is_true(arg.value) or string_value(arg.value) == "debug"):
                value = "True" if is_true(arg.value) else '"debug"'
                self.report(arg, f"{factory.rsplit('.', 1)[-1]}({name}={value}) logs every SQL statement in production")
