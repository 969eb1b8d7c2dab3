"""A literal bound to a secret-bearing name: a hardcoded password, token, API key or secret."""

from __future__ import annotations

from typing import ClassVar

from reviewer import lazy_cst as cst
from reviewer.redaction import mask
from reviewer.semantics.signing import signing_key_argument
from reviewer.syntax import argument, keyword
from rules.secrets_not_hardcoded._base import SecretRule
from rules.secrets_not_hardcoded._fixes import environment_fix
from rules.secrets_not_hardcoded._formats import matches_token_format
from rules.secrets_not_hardcoded._literals import (
    VALUE_WRAPPERS,
    is_plain_literal,
    literal_text,
    target_name,
    unwrap_value,
)
from rules.secrets_not_hardcoded._policy import (
    credential_of_header,
    is_label,
    is_placeholder,
    is_plain_words,
    looks_generated,
    name_segments,
    secret_kind_of_name,
)
from rules.secrets_not_hardcoded._urls import credentials_in

ENV_READERS = frozenset(
    {"os.getenv", "os.environ.get", "os.environ.setdefault", "os.putenv", "decouple.config", "decouple.AutoConfig"}
)
STARLETTE_CONFIG = "starlette.config.Config"
CONSTANT_TIME_COMPARE = frozenset({"hmac.compare_digest", "secrets.compare_digest"})
ENUM_BASES = frozenset({"enum.Enum", "enum.StrEnum", "enum.IntEnum", "enum.Flag", "enum.IntFlag", "strenum.StrEnum"})
MIN_SECRET_LENGTH = 3
# Secrets a person may choose, which may be plain words; keys and tokens are generated.
HUMAN_CHOSEN = ("password", "passphrase", "passcode", "credentials")
# Last words of names that hold a user name: a password equal to its user is a default.
USER_WORDS = frozenset({"user", "username", "login", "usr", "uid"})


class SecretNamedLiteral(SecretRule):
    """A literal is bound to a name that says it holds a secret (password, token, API key, ...).

    ## What it does
    Flags a string (or bytes) literal bound to a secret-bearing name: an assignment
    (`API_KEY = "..."`, `self.password = "..."`, `os.environ["TOKEN"] = "..."`), a class field with
    a default (Pydantic `BaseSettings`/`BaseModel`, dataclasses, `Field("...")`,
    `SecretStr("...")`), a keyword argument (`create_engine(..., password="...")`,
    `dict(password=...)`, `requests.get(..., auth=("user", "..."))`), a parameter default, a dict
    key (`{"api_key": "..."}`, `{"Authorization": "Bearer ..."}`), a comparison
    (`if token == "..."`), and the fallback of `os.getenv("SECRET_KEY", "...")`,
    `os.environ.get(...)`, `decouple.config(..., default=...)` and a Starlette `Config`.

    Names are matched by their words, not by substring: the last word must be a secret noun
    (`password`/`passwd`/`pwd`/`pass`, `passphrase`, `secret`, `token`, `credentials`, `creds`,
    `Authorization`) or `key` after a qualifier (`api`, `secret`, `access`, `private`, `signing`,
    `client`, `encryption`, `jwt`, `session`, `webhook`, a vendor such as `stripe` or `openai`, ...).
    So `OPENAI_API_KEY`, `jwtSecret`, `db_pwd` and `client_secret` are secrets, while
    `token_type`, `PASSWORD_RESET_URL`, `password_min_length`, `TOKEN_PREFIX`, `API_KEY_HEADER`,
    `hashed_password`, `next_token` and `public_key` are not. Add words with the
    `extra-secret-names` option.

    Placeholder policy: a value is not reported when it is empty or shorter than 3 characters,
    has no letter or digit (`"***"`, `"!"`), repeats one character (`"xxxx"`), is a template
    (`<token>`, `${VAR}`, `{password}`, `%(pw)s`), contains a word announcing it is not real
    (`changeme`, `changethis`, `replace`, `your`, `placeholder`, `example`, `dummy`, `fake`,
    `mock`, `sample`, `test`, `redacted`, `todo`, ..., or an `extra-placeholders` word), is a
    known token prefix without a real token (`"sk_live_"`, `"xoxb-valid"`), is public by design
    (`pk_live_...`, PEM public keys, Sentry DSNs) or is a password hash (`$2b$...`). A value that
    names rather than holds the secret is a label and is not reported either: a header or
    environment variable name (`"X-API-Key"`, `"SECRET_KEY"`), an identifier naming a secret
    (`"access_token"`), a scope or dotted key, a URL or path, a sentence, a scheme word
    (`"bearer"`). Other values are reported, including weak development defaults such as
    `SECRET: str = "super secret jwt secret"` or `password: str = "admin"`: they are what runs
    when a deployment forgets to set the variable. A password equal to the user bound next to it
    (`POSTGRES_USER = POSTGRES_PASSWORD = "app"`) is a local default, like `app:app@localhost`.

    Test code (`tests/`, `conftest.py`, `test_*.py`) and seed/fixture/factory data modules
    (`scripts/seeds.py`, `app/user_factories.py`) are full of made-up credentials
    (`"the-access-token"`, `"s3cret!"`): there only values that look generated (16 or more
    characters mixing letters and digits, high entropy, no words such as `token` in them) are
    reported, at the `test-severity` option (`info` by default).

    ## Why is this bad?
    A committed secret is readable by everyone with repository access and stays in history. A
    default value for a secret setting also means a deployment that forgets the variable runs
    with a publicly known key (forgeable sessions and tokens, an open database).

    ## Example
    ```python
    class Settings(BaseSettings):
        secret_key: str = "s3cr3t-signing-key"
        smtp_password: str = "hunter22"

    OPENAI_API_KEY = os.getenv("OPENAI_API_KEY", "sk-live-key")
    ```

    ## Use instead
    Declare the setting without a default (it becomes required), typed `SecretStr` so it is not
    printed, and supply it through the environment, a `.env` file kept out of git, or a secret
    store:
    ```python
    class Settings(BaseSettings):
        secret_key: SecretStr
        smtp_password: SecretStr

    OPENAI_API_KEY = os.environ["OPENAI_API_KEY"]
    ```
    For local development, put the values in `.env` (listed in `.gitignore`); for tests, set
    them in `conftest.py` or the CI environment.

    ## Known problems
    Values of Enum members and OpenAPI `example`/`examples`/`json_schema_extra` blocks are not
    checked (they are labels and documentation). A value built at run time (f-string,
    concatenation of names) is not followed. An identifier-shaped value ending in a secret word
    (`"my_secret_key"`) is taken for a label and not reported.

    ## Fix safety
    Unsafe, offered where the move is mechanical: a module constant holding the literal
    (`OPENAI_API_KEY = "sk-..."`) reads the environment variable of its name instead
    (`os.environ["OPENAI_API_KEY"]`, importing `os` if needed), and a field of a Pydantic settings
    class with the literal as its default loses the default, so it is required and read from the
    environment. An environment read with a fallback (`os.getenv("SECRET_KEY", "...")`,
    `os.environ.get`) loses the fallback: `os.environ["SECRET_KEY"]`. The fix changes what the
    program does where the variable is not set: it stops with a `KeyError` (or a settings
    `ValidationError`) instead of running with the committed value, so set the variable in every
    environment before applying it, and revoke the value, which stays in the repository's history. A
    literal anywhere else (a call argument, a dict, a function body) is not fixed: where its value
    should come from is a decision.

    ## Options
    - `test-severity` (default `info`): severity of findings in test code and seed/fixture data.
    - `extra-placeholders` (default `[]`): more words that mark a value as a placeholder
      (e.g. `["acme-default"]`).
    - `extra-secret-names` (default `[]`): more names or name endings that hold secrets
      (e.g. `["license_code", "pin"]`), matched by words like the built-in ones.
    """

    code = "RVW102"
    name = "secret-named-literal"
    options: ClassVar[dict[str, object]] = {**SecretRule.options, "extra-secret-names": []}

    def __init__(self, context, options) -> None:  # noqa: ANN001
        super().__init__(context, options)
        self._extra_names = list(self.config.get("extra-secret-names", []))
        self._classes: list[bool] = []  # per enclosing class: is it an Enum?
        # Per module and class body: literal values bound to user names (`POSTGRES_USER = "app"`).
        self._user_values: list[set[str]] = [set()]
        self._functions = 0
        self._reported: set[cst.CSTNode] = set()
        self._starlette_configs: set[str] = set()
        # Per enclosing dict literal: the literal values it holds under keys that name no secret.
        self._tables: list[frozenset[str]] = []

    # --- where we are ---

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        bases = [self.qualify(base.value) or "" for base in node.bases]
        self._classes.append(any(base in ENUM_BASES or base.endswith("Enum") for base in bases))
        self._user_values.append(set())

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()
        self._user_values.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._functions -= 1

    def _in_enum_body(self) -> bool:
        return bool(self._classes) and self._classes[-1] and not self._functions

    # --- bindings ---

    def visit_Assign(self, node: cst.Assign) -> None:
        super().visit_Assign(node)
        for target in node.targets:
            if (
                isinstance(target.target, cst.Name)
                and isinstance(node.value, cst.Call)
                and self.qualify(node.value.func) == STARLETTE_CONFIG
            ):
                self._starlette_configs.add(target.target.value)
        if self._in_enum_body():
            return
        for target in node.targets:
            if isinstance(target.target, cst.Tuple) and isinstance(node.value, cst.Tuple):
                for element, value in zip(target.target.elements, node.value.elements, strict=False):
                    self._check_binding(target_name(element.value), value.value)
            else:
                self._check_binding(target_name(target.target), node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        super().visit_AnnAssign(node)
        if node.value is not None and not self._in_enum_body():
            self._check_binding(target_name(node.target), node.value)

    def visit_Param(self, node: cst.Param) -> None:
        if node.default is not None:
            self._check_binding(node.name.value, node.default)

    def visit_Dict(self, node: cst.Dict) -> None:
        self._tables.append(_shared_values(node, self._extra_names))

    def leave_Dict(self, original_node: cst.Dict) -> None:
        self._tables.pop()

    def visit_DictElement(self, node: cst.DictElement) -> None:
        super().visit_DictElement(node)
        key = literal_text(node.key) if is_plain_literal(node.key) else None
        if key is not None and (len(key.split()) > 1 or self._in_label_table(node.value)):
            return  # `{"code id_token": "fragment"}`, `{"text": "textbox", "password": "textbox"}`
        self._check_binding(key, node.value)

    def _in_label_table(self, value: cst.BaseExpression) -> bool:
        """The same literal also stands under a key that names no secret in this dict: the dict
        maps names to kinds or labels, and the value is one of them."""
        return bool(self._tables) and is_plain_literal(value) and literal_text(value) in self._tables[-1]

    def visit_Comparison(self, node: cst.Comparison) -> None:
        left = node.left
        for comparison in node.comparisons:
            if isinstance(comparison.operator, (cst.Equal, cst.NotEqual)):
                right = comparison.comparator
                if is_plain_literal(right):
                    self._check_binding(target_name(left), right, compared=True)
                elif is_plain_literal(left):
                    self._check_binding(target_name(right), left, compared=True)
            left = comparison.comparator

    def visit_Call(self, node: cst.Call) -> None:
        signing = signing_key_argument(node, self.qualify)
        if signing is not None and signing[2] is not None:
            return  # the key argument of a signing call is RVW103's
        name = self.qualify(node.func)
        if name in ENV_READERS or (isinstance(node.func, cst.Name) and node.func.value in self._starlette_configs):
            self._check_env_fallback(node)
            return
        if name in CONSTANT_TIME_COMPARE and len(node.args) == 2:
            first, second = node.args[0].value, node.args[1].value
            self._check_binding(target_name(first), second, compared=True)
            self._check_binding(target_name(second), first, compared=True)
            return
        for arg in node.args:
            if arg.keyword is not None:
                self._note_user(arg.keyword.value, arg.value)
        if name in VALUE_WRAPPERS:
            value = argument(node, 0, "value")
            if value is not None:
                self._check_value("secret", "a SecretStr", value.value)
            return
        for arg in node.args:
            if arg.keyword is None:
                continue
            if arg.keyword.value == "auth" and isinstance(arg.value, cst.Tuple) and len(arg.value.elements) == 2:
                self._check_value("password", "an `auth=(user, password)` pair", arg.value.elements[1].value)
            else:
                self._check_binding(arg.keyword.value, arg.value)

    def _check_env_fallback(self, node: cst.Call) -> None:
        variable = argument(node, 0, "key")
        fallback = keyword(node, "default") or argument(node, 1, "default")
        if variable is None or fallback is None or not is_plain_literal(variable.value):
            return
        env_name = literal_text(variable.value) or ""
        self._note_user(env_name, fallback.value)  # `os.getenv("DB_USER", "postgres")`
        kind = secret_kind_of_name(env_name, self._extra_names)
        if kind is not None:
            where = f"the fallback of environment variable `{env_name}`"
            self._check_value(kind, where, fallback.value, env_name, reader=node)

    # --- values ---

    def _note_user(self, name: str, value: cst.BaseExpression) -> None:
        segments = name_segments(name)
        if segments and segments[-1] in USER_WORDS and is_plain_literal(value):
            self._user_values[-1].add(literal_text(value) or "")

    def _check_binding(self, name: str | None, value: cst.BaseExpression, *, compared: bool = False) -> None:
        if not name:
            return
        self._note_user(name, value)
        kind = secret_kind_of_name(name, self._extra_names)
        if kind is not None:
            where = f"a comparison with `{name}`" if compared else f"`{name}`"
            self._check_value(kind, where, value, name)

    def _check_value(
        self, kind: str, where: str, value: cst.BaseExpression, name: str = "", reader: cst.Call | None = None
    ) -> None:
        if self.in_example():
            return
        literal = unwrap_value(value, self.qualify)
        if literal in self._reported or not is_plain_literal(literal):
            return
        text = literal_text(literal) or ""
        if kind == "Authorization header credential":
            text = credential_of_header(text)
        if not self._is_plausible_secret(text, name, kind):
            return
        if kind.endswith("password") and text in self._user_values[-1]:
            return  # `user = password = "app"`: a development default, like `app:app@localhost`
        self._reported.add(literal)
        self.report(
            literal,
            f"{kind} hardcoded in {where} (`{mask(text)}`): read it from settings or the environment",
            secret=text,
            fix=environment_fix(self, literal, reader=reader if reader is not None and value is literal else None),
        )

    def _is_plausible_secret(self, text: str, name: str, kind: str) -> bool:
        if len(text.strip()) < MIN_SECRET_LENGTH or is_placeholder(text, self.extra_placeholders):
            return False
        if is_label(text, name):
            return False
        if is_plain_words(text) and not any(word in kind for word in HUMAN_CHOSEN):
            return False  # a key or token made of words is a name: `"copilot-agent"`, `"create_workspace"`
        if self.in_test_code and not looks_generated(text):
            return False
        # Known formats and passwords inside URLs are reported by RVW101 and RVW104.
        return not matches_token_format(text) and not credentials_in(text, in_tests=True)


def _shared_values(node: cst.Dict, extra_names: list[str]) -> frozenset[str]:
    """The literal values of `node` under literal keys that name no secret."""
    found = set()
    for element in node.elements:
        if isinstance(element, cst.DictElement) and is_plain_literal(element.key) and is_plain_literal(element.value):
            key = literal_text(element.key) or ""
            if secret_kind_of_name(key, extra_names) is None:
                found.add(literal_text(element.value) or "")
    return frozenset(found)
