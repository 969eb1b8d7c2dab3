"""A credential of a known format written into a string literal."""

from __future__ import annotations

from reviewer import lazy_cst as cst
from reviewer.redaction import mask
from rules.secrets_not_hardcoded._base import LiteralScanningRule
from rules.secrets_not_hardcoded._fixes import environment_fix
from rules.secrets_not_hardcoded._formats import find_tokens


class SecretTokenFormat(LiteralScanningRule):
    """A string literal contains a credential of a known format (AWS, GitHub, Stripe, Slack, JWT, ...).

    ## What it does
    Looks inside every string, bytes and f-string literal for credentials whose format gives them
    away wherever they appear: AWS access key ids (and secret keys written next to an `aws...secret`
    label), GitHub classic and fine-grained tokens, GitLab tokens, Stripe live secret/restricted
    keys and webhook secrets, Slack tokens and webhook URLs, Discord webhooks, SendGrid, Twilio,
    Mailgun, Google API keys and OAuth client secrets, OpenAI/Anthropic keys, Hugging Face, npm and
    PyPI tokens, Telegram bot tokens, Azure storage keys, PEM private key blocks and JWTs. The
    message names the kind and shows only the format's public prefix (`sk_live_****`).

    The placeholder policy (documented in full in `rules/secrets_not_hardcoded/_policy.py`) leaves out values
    that are obviously not real: words such as `example`, `test`, `dummy`, `your`, `changeme`,
    `xxxx` inside the token (AWS's documented `AKIAIOSFODNN7EXAMPLE`), bodies too regular to be
    random (`ghp_aaaa...`, `...123456789...`), the jwt.io sample token, Stripe test and publishable
    keys (`sk_test_`, `pk_`), and PEM *public* keys and certificates.

    ## Why is this bad?
    A committed credential is readable by everyone with access to the repository, its forks, CI
    logs and every clone, forever: removing it later does not remove it from history. These
    formats are exactly what scrapers search public code for.

    ## Example
    ```python
    stripe.api_key = "sk_live_..."
    s3 = boto3.client("s3", aws_access_key_id="AKIA...", aws_secret_access_key="...")
    ```

    ## Use instead
    Revoke the credential first (it has leaked), then read its replacement from the environment
    or a secret store through settings:
    ```python
    class Settings(BaseSettings):
        stripe_api_key: SecretStr

    stripe.api_key = settings.stripe_api_key.get_secret_value()
    s3 = boto3.client("s3")  # credentials from the environment / instance role
    ```

    ## Known problems
    Docstrings and string statements are not searched (they hold documentation examples). A
    token split over several expressions (`"sk_live_" + rest`) is not reassembled. In test code
    findings are reported at the `test-severity` option (`info` by default).

    ## Fix safety
    Unsafe, offered where the move is mechanical: a module constant holding the literal
    (`STRIPE_KEY = "sk_live_..."`) reads the environment variable of its name instead
    (`os.environ["STRIPE_KEY"]`, importing `os` if needed), and a field of a Pydantic settings class
    with the literal as its default loses the default, so it is required and read from the
    environment. The fix changes what the program does where the variable is not set: it stops with
    a `KeyError` (or a settings `ValidationError`) instead of running with the committed value, so
    set the variable in every environment before applying it, and revoke the value, which stays in
    the repository's history. A literal anywhere else (a call argument, a dict, a function body) is
    not fixed: where its value should come from is a decision.

    ## Options
    - `test-severity` (default `info`): severity of findings in test code and seed/fixture data.
    - `extra-placeholders` (default `[]`): more words that mark a value as a placeholder
      (e.g. `["acme-default"]`).
    """

    code = "RVW101"
    name = "secret-token-format"

    def check_literal(self, node: cst.BaseExpression, text: str) -> None:
        seen: set[str] = set()
        for token in find_tokens(text, self.extra_placeholders):
            if token.value in seen:
                continue
            seen.add(token.value)
            self.report(
                node,
                f"{token.kind} hardcoded in a string literal (`{mask(token.value, token.prefix)}`): "
                "revoke it and read it from the environment or a secret store",
                secret=token.value,
                fix=environment_fix(self, node),
            )
