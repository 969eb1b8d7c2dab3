"""A signing or encryption key passed to a JWT/HMAC/itsdangerous/Fernet call as a literal."""

from __future__ import annotations

from reviewer import lazy_cst as cst
from reviewer.redaction import mask
from reviewer.semantics.signing import signing_key_argument
from rules.secrets_not_hardcoded._base import SecretRule
from rules.secrets_not_hardcoded._literals import is_plain_literal, literal_text, unwrap_value
from rules.secrets_not_hardcoded._policy import PUBLIC_VALUE, is_placeholder, looks_generated, secret_kind_of_name


class SigningKeyLiteral(SecretRule):
    """A signing or encryption key is a literal in the call that uses it.

    ## What it does
    Flags the key argument of `jwt.encode`/`jwt.decode` (PyJWT, python-jose, authlib, joserfc),
    `hmac.new`/`hmac.digest`, itsdangerous serializers and signers (`URLSafeTimedSerializer`,
    `TimestampSigner`, ...), Starlette's `SessionMiddleware` (also through
    `app.add_middleware(SessionMiddleware, ...)`), fastapi-users' `JWTStrategy` and
    `cryptography`'s `Fernet` when it is a literal: `"..."`, `b"..."`, `"...".encode()`,
    `bytes.fromhex("...")`, `base64.b64decode("...")`, or a name assigned such a literal in the
    same module or function (`KEY = b"..."` then `hmac.new(KEY, ...)`; the finding is reported on
    the assignment, where the literal is). The calls are recognised through imports
    (`from jose import jwt`, `import hmac as h`).

    Here the position says the value is a key, so `"secret"` is reported; only the placeholder
    policy applies (empty values, templates, `changeme`, `your-...`, `test-...`, `xxxx`, public
    keys for verification). A name that itself says "secret" (`SECRET_KEY = "..."`) is reported
    by RVW102 at its assignment and not again here.

    ## Why is this bad?
    Whoever reads the key can mint tokens, session cookies and password-reset links that the
    application accepts as its own, or decrypt what it encrypted.

    ## Example
    ```python
    token = jwt.encode(claims, "my-signing-key", algorithm="HS256")
    signer = URLSafeTimedSerializer(b"reset-links-key", salt="password-reset")
    ```

    ## Use instead
    ```python
    token = jwt.encode(claims, settings.jwt_secret.get_secret_value(), algorithm="HS256")
    signer = URLSafeTimedSerializer(settings.secret_key.get_secret_value(), salt="password-reset")
    ```
    with the key generated once (`python -c "import secrets; print(secrets.token_urlsafe(64))"`)
    and provided through the environment or a secret store.

    ## Known problems
    A key imported from another module, or built by a helper function, is not followed. In test
    code only keys that look generated (16+ characters mixing letters and digits, high entropy)
    are reported, at the `test-severity` option (`info` by default): tests sign with made-up keys.

    ## Options
    - `test-severity` (default `info`): severity of findings in test code and seed/fixture data.
    - `extra-placeholders` (default `[]`): more words that mark a value as a placeholder
      (e.g. `["acme-default"]`).
    """

    code = "RVW103"
    name = "signing-key-literal"

    def __init__(self, context, options) -> None:  # noqa: ANN001
        super().__init__(context, options)
        # Per scope (module, then each function): name -> (literal node, its statement).
        self._scopes: list[dict[str, tuple[cst.BaseExpression, cst.CSTNode | None]]] = [{}]
        self._class_depth = 0
        self._reported: set[cst.CSTNode] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scopes.append({})

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._scopes.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._class_depth += 1

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._class_depth -= 1

    def visit_Assign(self, node: cst.Assign) -> None:
        super().visit_Assign(node)
        if self._class_depth and len(self._scopes) == 1:
            return  # class attributes are not plain names where the calls run
        value = unwrap_value(node.value, self.qualify)
        for target in node.targets:
            if not isinstance(target.target, cst.Name):
                continue
            name = target.target.value
            if is_plain_literal(value) and secret_kind_of_name(name) is None:
                self._scopes[-1][name] = (value, self.context.current_statement())
            else:
                self._scopes[-1].pop(name, None)

    def visit_Call(self, node: cst.Call) -> None:
        found = signing_key_argument(node, self.qualify)
        if found is None or found[2] is None:
            return
        callee, sink, arg = found
        value = unwrap_value(arg.value, self.qualify)
        if is_plain_literal(value):
            self._check(value, sink.kind, callee, statement=None)
        elif isinstance(value, cst.Name):
            for scope in reversed(self._scopes):
                if value.value in scope:
                    literal, statement = scope[value.value]
                    self._check(literal, sink.kind, callee, statement=statement, via=value.value)
                    break

    def _check(
        self,
        literal: cst.BaseExpression,
        kind: str,
        callee: str | None,
        *,
        statement: cst.CSTNode | None,
        via: str | None = None,
    ) -> None:
        text = literal_text(literal) or ""
        if literal in self._reported or is_placeholder(text, self.extra_placeholders) or PUBLIC_VALUE.match(text):
            return
        if self.in_test_code and not looks_generated(text):
            return  # test fixtures sign with made-up keys; only a real-looking one is worth a note
        self._reported.add(literal)
        through = f" through `{via}`" if via else ""
        message = (
            f"{kind} hardcoded as a literal (`{mask(text)}`) passed to `{callee}`{through}: "
            "read it from settings or the environment"
        )
        self.report(literal, message, statement=statement, secret=text)
