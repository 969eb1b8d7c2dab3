"""A password embedded in a URL, DSN or connection string literal."""

from __future__ import annotations

from reviewer import lazy_cst as cst
from rules.secrets_not_hardcoded._base import LiteralScanningRule
from rules.secrets_not_hardcoded._fixes import environment_fix
from rules.secrets_not_hardcoded._urls import credentials_in


class PasswordInUrl(LiteralScanningRule):
    """A URL, DSN or connection string literal carries a password.

    ## What it does
    Flags string and f-string literals holding `scheme://user:password@host` with a literal
    password (`postgresql+asyncpg://app:...@db.internal/app`, `redis://:...@cache:6379/0`,
    `amqp://...`, `mongodb+srv://...`, `https://user:...@host`), and key=value connection strings
    with a `password=`/`pwd=` next to `host=`/`server=`/`user=`. The message shows the URL with the
    password masked.

    Placeholder policy: not reported when the password is a template or expression
    (`{password}`, `${DB_PASSWORD}`, `%(pw)s`, an f-string `{...}`, an upper-case variable name), the
    field's own name (`user:password@`, `:pass@`, `:secret@`), a placeholder word (`changeme`,
    `your-password`, `xxxx`, `***`), when the host is a reserved example domain
    (`example.com`, `*.test`, `*.invalid`), or a Sentry DSN. A local host
    (`localhost`, `127.0.0.1`, a single-label service name such as `db` or `postgres`) with a
    well-known default password (`postgres`, `password`, `guest`, `root`, `admin`, `test`, ...)
    or a password equal to the user is a development default and is not reported. In test code
    (test-container DSNs) either a local host or a default password is enough.

    ## Why is this bad?
    The password grants direct access to the database, cache or broker, bypassing the
    application; a URL literal also tends to be logged and printed with the password in it.

    ## Example
    ```python
    engine = create_async_engine("postgresql+asyncpg://orders:...@db.prod.internal:5432/orders")
    ```

    ## Use instead
    ```python
    class Settings(BaseSettings):
        database_url: PostgresDsn  # DATABASE_URL from the environment or a secret store

    engine = create_async_engine(str(settings.database_url))
    ```
    or build it from parts with `sqlalchemy.URL.create(..., password=settings.db_password)`.

    ## Known problems
    Docstrings and string statements are not searched. A URL assembled by concatenation of names
    is not followed. In test code findings are reported at the `test-severity` option (`info`
    by default).

    ## Fix safety
    Unsafe, offered where the move is mechanical: a module constant holding the literal
    (`DATABASE_URL = "postgresql://app:pw@db/app"`) reads the environment variable of its name
    instead (`os.environ["DATABASE_URL"]`, importing `os` if needed), and a field of a Pydantic
    settings class with the literal as its default loses the default, so it is required and read
    from the environment. The fix changes what the program does where the variable is not set: it
    stops with a `KeyError` (or a settings `ValidationError`) instead of running with the committed
    value, so set the variable in every environment before applying it, and revoke the value, which
    stays in the repository's history. A literal anywhere else (a call argument, a dict, a function
    body) is not fixed: where its value should come from is a decision.

    ## Options
    - `test-severity` (default `info`): severity of findings in test code and seed/fixture data.
    - `extra-placeholders` (default `[]`): more words that mark a value as a placeholder
      (e.g. `["acme-default"]`).
    """

    code = "RVW104"
    name = "password-in-url"

    def check_literal(self, node: cst.BaseExpression, text: str) -> None:
        if "@" not in text and "=" not in text:
            return
        in_tests = self.in_test_code
        for credential in credentials_in(text, in_tests=in_tests, extra_placeholders=self.extra_placeholders):
            self.report(
                node,
                f"{credential.kind} `{credential.display}`: "
                "read the URL or its password from settings or the environment",
                secret=credential.password,
                fix=environment_fix(self, node),
            )
