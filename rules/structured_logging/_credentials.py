"""Which expressions of a function are credentials, by where they come from: what the function is
handed (a request, an OAuth2 login form, HTTP credentials, a credential header, a request body
model with a password field, in a route) and what it reads or makes (`request.headers` whole or
its `Authorization`, the whole request body, `SecretStr.get_secret_value()`, a freshly signed
JWT), followed through the names the function assigns them to, string building and containers.

A value the chain passes through a call it does not know (`mask(token)`, `hash_token(token)`),
a slice (`token[:4]`), `len()`, a comparison or a comprehension (the usual way to drop headers)
is no longer the credential.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from reviewer import lazy_cst as cst
from reviewer.semantics.flow.knowledge import DEPENDENCY_MARKERS, REQUEST_TYPES, ROUTE_METHODS
from reviewer.semantics.names import dotted_name
from reviewer.syntax import string_value

Qualify = Callable[["cst.BaseExpression"], "str | None"]

OAUTH2_FORMS = frozenset({
    "fastapi.security.OAuth2PasswordRequestForm", "fastapi.security.OAuth2PasswordRequestFormStrict",
    "fastapi.security.oauth2.OAuth2PasswordRequestForm", "fastapi.security.oauth2.OAuth2PasswordRequestFormStrict",
})
FORM_SECRETS = frozenset({"password", "client_secret"})
HTTP_CREDENTIALS = {
    "fastapi.security.HTTPAuthorizationCredentials": frozenset({"credentials"}),
    "fastapi.security.http.HTTPAuthorizationCredentials": frozenset({"credentials"}),
    "fastapi.security.HTTPBasicCredentials": frozenset({"password"}),
    "fastapi.security.http.HTTPBasicCredentials": frozenset({"password"}),
}
# Security schemes whose dependency hands over the credential itself (a token or key string).
TOKEN_SCHEMES = frozenset({
    "fastapi.security.OAuth2PasswordBearer", "fastapi.security.OAuth2AuthorizationCodeBearer",
    "fastapi.security.APIKeyHeader", "fastapi.security.APIKeyCookie", "fastapi.security.APIKeyQuery",
    "fastapi.security.oauth2.OAuth2PasswordBearer", "fastapi.security.api_key.APIKeyHeader",
    "fastapi.security.api_key.APIKeyCookie", "fastapi.security.api_key.APIKeyQuery",
})
# A project function that mints a token (`create_access_token(...)`): its result is one.
_TOKEN_MINTER = re.compile(r"^_?(?:create|generate|issue|mint|sign|encode)_(?:\w+_)?(?:token|jwt)$")
JWT_ENCODERS = frozenset({"jwt.encode", "jose.jwt.encode", "jwt.api_jwt.encode", "authlib.jose.jwt.encode"})
HEADER_MARKERS = frozenset({"fastapi.Header", "fastapi.params.Header", "fastapi.Cookie", "fastapi.params.Cookie"})
ANNOTATED = frozenset({"typing.Annotated", "typing_extensions.Annotated"})
# Fields of a request body that carry a credential the client sends.
SECRET_FIELDS = frozenset({
    "password", "new_password", "old_password", "current_password", "password_confirm", "confirm_password",
    "client_secret", "api_key", "apikey", "secret", "secret_key", "access_token", "refresh_token", "private_key",
    "passphrase", "pin", "otp", "totp_code", "token",
})
# What a plain class, or a builtin or typing annotation, is: not a request body model.
_NOT_MODELS = ("builtins.", "typing.", "typing_extensions.", "datetime.", "uuid.", "decimal.", "enum.", "fastapi.",
               "starlette.", "sqlalchemy.", "collections.", "pydantic.")
# Calls that hand back what they are given, as text or a container.
PASS_THROUGH = frozenset({"builtins.str", "builtins.repr", "builtins.dict", "builtins.list", "json.dumps",
                          "builtins.format", "builtins.tuple"})


def is_sensitive_header(name: str) -> bool:
    lowered = name.lower()
    return lowered in ("authorization", "proxy-authorization", "cookie", "set-cookie") or any(
        word in lowered for word in ("token", "api-key", "api_key", "apikey", "secret", "password"))


def _annotation_names(annotation: cst.BaseExpression, qualify: Qualify) -> list[str]:
    """Qualified names an annotation stands for (`Annotated[X, ...]` -> X and its markers,
    `X | None` -> X)."""
    if isinstance(annotation, cst.BinaryOperation):
        return _annotation_names(annotation.left, qualify) + _annotation_names(annotation.right, qualify)
    if isinstance(annotation, cst.Subscript):
        head = qualify(annotation.value) or ""
        names = [head]
        for element in annotation.slice:
            if isinstance(element.slice, cst.Index):
                names += _annotation_names(element.slice.value, qualify)
        return names
    if isinstance(annotation, cst.Call):
        return [qualify(annotation.func) or ""]
    return [qualify(annotation) or ""]


def is_route(function: cst.FunctionDef) -> bool:
    for decorator in function.decorators:
        call = decorator.decorator
        func = call.func if isinstance(call, cst.Call) else call
        if isinstance(func, cst.Attribute) and func.attr.value in ROUTE_METHODS:
            return True
    return False


class Credentials:
    """The credentials of one function (see the module docstring)."""

    def __init__(self, function: cst.FunctionDef, qualify: Qualify, schemes: frozenset[str] = frozenset()) -> None:
        self.qualify = qualify
        self.requests: set[str] = set()
        self.bodies: set[str] = set()  # request body models, in a route
        self.fields: dict[str, tuple[frozenset[str], str]] = {}  # parameter -> its secret attributes, what
        self.names: dict[str, str] = {}  # name -> what credential it holds
        self.whole: dict[str, str] = {}  # name -> the whole request headers or body it holds
        route = is_route(function)
        params = function.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            name = param.name.value
            annotation = param.annotation.annotation if param.annotation is not None else None
            names = _annotation_names(annotation, qualify) if annotation is not None else []
            default = param.default
            markers = names + ([qualify(default.func) or ""] if isinstance(default, cst.Call) else [])
            scheme = _scheme_dependency(param, qualify, schemes)
            if scheme is not None:
                self.names[name] = f"the token `{name}` that `{scheme}` hands over"
            elif any(n in REQUEST_TYPES for n in names):
                self.requests.add(name)
            elif any(n in OAUTH2_FORMS for n in names):
                self.fields[name] = (FORM_SECRETS, "the `OAuth2PasswordRequestForm`")
            elif any(n in HTTP_CREDENTIALS for n in names):
                kind = next(n for n in names if n in HTTP_CREDENTIALS)
                self.fields[name] = (HTTP_CREDENTIALS[kind], f"the `{kind.rpartition('.')[2]}`")
            elif any(n in HEADER_MARKERS for n in markers) and is_sensitive_header(name.replace("_", "-")):
                self.names[name] = f"the `{name}` header"
            elif (route and annotation is not None and not any(n in DEPENDENCY_MARKERS for n in markers)
                  and any(n.rpartition(".")[0] and not n.startswith(_NOT_MODELS) for n in names)):
                # A route's parameter of a class of the project, not a dependency: the body model.
                self.fields[name] = (SECRET_FIELDS, "the request body")

    def bind(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        """`target = value`: what the name holds from now on."""
        if not isinstance(target, cst.Name):
            return
        name = target.value
        self.names.pop(name, None)
        self.whole.pop(name, None)
        if value is None:
            return
        whole = self.whole_of(value)
        if whole is not None:
            self.whole[name] = whole
            return
        found = self.credential(value)
        if found is not None:
            self.names[name] = found

    def bind_loop(self, target: cst.BaseExpression, iterable: cst.BaseExpression) -> None:
        """`for key, value in request.headers.items():` makes `value` every header's value."""
        if isinstance(target, cst.Tuple):
            for element in target.elements:
                self.bind(element.value, None)
        else:
            self.bind(target, None)
        if (isinstance(target, cst.Tuple) and len(target.elements) == 2 and isinstance(iterable, cst.Call)
                and isinstance(iterable.func, cst.Attribute) and iterable.func.attr.value == "items"):
            whole = self.whole_of(iterable.func.value)
            value = target.elements[1].value
            if whole is not None and "headers" in whole and isinstance(value, cst.Name):
                self.names[value.value] = "each request header's value (`Authorization` and cookies too)"

    def whole_of(self, node: cst.BaseExpression) -> str | None:
        """The whole request headers or body, which carry the client's credentials."""
        if isinstance(node, cst.Name):
            return self.whole.get(node.value)
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value in self.requests:
            if node.attr.value == "headers":
                return "the whole set of request headers"
            if node.attr.value == "cookies":
                return "the request cookies"
            return None
        if isinstance(node, cst.Await) and isinstance(node.expression, cst.Call):
            call = node.expression
            if (isinstance(call.func, cst.Attribute) and call.func.attr.value in ("body", "json", "form")
                    and isinstance(call.func.value, cst.Name) and call.func.value.value in self.requests):
                return "the whole request body"
        if isinstance(node, cst.Call) and self.qualify(node.func) in PASS_THROUGH and len(node.args) == 1:
            return self.whole_of(node.args[0].value)
        return None

    def credential(self, node: cst.BaseExpression) -> str | None:
        """What credential an expression is or carries, else None."""
        whole = self.whole_of(node)
        if whole is not None:
            return whole
        if isinstance(node, cst.Name):
            return self.names.get(node.value)
        if isinstance(node, cst.Attribute):
            base = node.value
            if isinstance(base, cst.Name) and base.value in self.fields:
                secrets, what = self.fields[base.value]
                if node.attr.value in secrets:
                    return f"`{base.value}.{node.attr.value}` of {what}"
            return None
        if isinstance(node, cst.Subscript):
            key = _key(node)
            whole = self.whole_of(node.value)
            if whole is not None and key is not None and _is_secret_key(key, whole):
                return f"`{key}` of {whole}"
            return None
        if isinstance(node, cst.Call):
            return self._call(node)
        if isinstance(node, cst.Await):
            return self.credential(node.expression)
        if isinstance(node, cst.FormattedString):
            for part in node.parts:
                if isinstance(part, cst.FormattedStringExpression):
                    found = self.credential(part.expression)
                    if found is not None:
                        return found
            return None
        if isinstance(node, cst.BinaryOperation):
            return self.credential(node.left) or self.credential(node.right)
        if isinstance(node, cst.IfExp):
            return self.credential(node.body) or self.credential(node.orelse)
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            return next((found for e in node.elements if (found := self.credential(e.value))), None)
        if isinstance(node, cst.Dict):
            return next((found for e in node.elements if (found := self.credential(e.value))), None)
        return None

    def _call(self, node: cst.Call) -> str | None:
        func = node.func
        qualified = self.qualify(func)
        if isinstance(func, cst.Attribute) and func.attr.value == "get_secret_value":
            shown = dotted_name(func.value)
            return f"the secret value of `{shown}`" if shown else "a `SecretStr`'s secret value"
        if qualified in JWT_ENCODERS:
            return "a freshly signed JWT"
        callee = (qualified or dotted_name(func) or "").rpartition(".")[2]
        if _TOKEN_MINTER.match(callee):
            return f"the token `{callee}()` returns"
        if isinstance(func, cst.Attribute) and func.attr.value in ("get", "getlist", "pop") and node.args:
            whole = self.whole_of(func.value)
            key = string_value(node.args[0].value)
            if whole is not None and key is not None and _is_secret_key(key, whole):
                return f"`{key}` of {whole}"
            return None
        if qualified in PASS_THROUGH and len(node.args) == 1:
            return self.credential(node.args[0].value)
        if isinstance(func, cst.Attribute) and func.attr.value == "format":
            return next((found for arg in node.args if (found := self.credential(arg.value))), None)
        return None


def security_schemes(module: cst.Module, qualify: Qualify) -> frozenset[str]:
    """Module-level names bound to a token-handing security scheme (`oauth2_scheme =
    OAuth2PasswordBearer(tokenUrl="token")`)."""
    found = set()
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if (isinstance(small, cst.Assign) and isinstance(small.value, cst.Call)
                        and qualify(small.value.func) in TOKEN_SCHEMES):
                    found.update(t.target.value for t in small.targets if isinstance(t.target, cst.Name))
    return frozenset(found)


def _scheme_dependency(param: cst.Param, qualify: Qualify, schemes: frozenset[str]) -> str | None:
    """`token: str = Depends(oauth2_scheme)` (or in `Annotated[...]`): the scheme's name."""
    candidates: list[cst.BaseExpression] = []
    if param.default is not None:
        candidates.append(param.default)
    annotation = param.annotation.annotation if param.annotation is not None else None
    if isinstance(annotation, cst.Subscript):
        candidates += [e.slice.value for e in annotation.slice if isinstance(e.slice, cst.Index)]
    for candidate in candidates:
        if (isinstance(candidate, cst.Call) and qualify(candidate.func) in DEPENDENCY_MARKERS
                and candidate.args):
            dependency = candidate.args[0].value
            if isinstance(dependency, cst.Name) and dependency.value in schemes:
                return dependency.value
            if isinstance(dependency, cst.Call) and qualify(dependency.func) in TOKEN_SCHEMES:
                return (qualify(dependency.func) or "").rpartition(".")[2]
    return None


def _key(node: cst.Subscript) -> str | None:
    if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        return string_value(node.slice[0].slice.value)
    return None


def _is_secret_key(key: str, whole: str) -> bool:
    if "headers" in whole or "cookies" in whole:
        return "cookies" in whole or is_sensitive_header(key)
    return key.lower() in SECRET_FIELDS
