"""Calls that take a signing or encryption key, by qualified name, and where they take it: JWT
libraries, HMAC, Fernet, itsdangerous, Starlette's session middleware, fastapi-users."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reviewer import lazy_cst as cst
from reviewer.syntax import argument


@dataclass(frozen=True)
class SigningSink:
    """Where a call takes its key: position and keyword, and what the key is called."""

    index: int
    keyword: str
    kind: str


_ITSDANGEROUS = (
    "URLSafeTimedSerializer", "URLSafeSerializer", "TimedSerializer", "Serializer", "Signer", "TimestampSigner",
    "JSONWebSignatureSerializer", "TimedJSONWebSignatureSerializer",
)


SIGNING_SINKS: dict[str, SigningSink] = {
    "jwt.encode": SigningSink(1, "key", "JWT signing key"),
    "jwt.decode": SigningSink(1, "key", "JWT verification key"),
    "jwt.api_jwt.encode": SigningSink(1, "key", "JWT signing key"),
    "jwt.api_jwt.decode": SigningSink(1, "key", "JWT verification key"),
    "jose.jwt.encode": SigningSink(1, "key", "JWT signing key"),
    "jose.jwt.decode": SigningSink(1, "key", "JWT verification key"),
    "jose.jws.sign": SigningSink(1, "key", "JWS signing key"),
    "jose.jws.verify": SigningSink(1, "key", "JWS verification key"),
    "authlib.jose.jwt.encode": SigningSink(2, "key", "JWT signing key"),
    "authlib.jose.jwt.decode": SigningSink(1, "key", "JWT verification key"),
    "joserfc.jwt.encode": SigningSink(2, "key", "JWT signing key"),
    "joserfc.jwt.decode": SigningSink(1, "key", "JWT verification key"),
    "hmac.new": SigningSink(0, "key", "HMAC key"),
    "hmac.digest": SigningSink(0, "key", "HMAC key"),
    "cryptography.fernet.Fernet": SigningSink(0, "key", "Fernet encryption key"),
    "starlette.middleware.sessions.SessionMiddleware": SigningSink(1, "secret_key", "session signing key"),
    "fastapi_users.authentication.JWTStrategy": SigningSink(0, "secret", "JWT signing key"),
    "fastapi_users.authentication.strategy.JWTStrategy": SigningSink(0, "secret", "JWT signing key"),
    **{f"itsdangerous.{name}": SigningSink(0, "secret_key", "itsdangerous signing key") for name in _ITSDANGEROUS},
    **{
        f"itsdangerous.{module}.{name}": SigningSink(0, "secret_key", "itsdangerous signing key")
        for module in ("url_safe", "serializer", "timed", "signer", "jws")
        for name in _ITSDANGEROUS
    },
}


def signing_key_argument(
    call: cst.Call, qualify: Callable[[cst.BaseExpression], str | None]
) -> tuple[str, SigningSink, cst.Arg | None] | None:
    """The signing call `call` makes (directly, or as `app.add_middleware(SessionMiddleware, ...)`,
    where the class takes the place of the app argument) and the argument holding its key."""
    callee = qualify(call.func)
    sink = SIGNING_SINKS.get(callee or "")
    if sink is None and isinstance(call.func, cst.Attribute) and call.func.attr.value == "add_middleware" and call.args:
        callee = qualify(call.args[0].value)
        sink = SIGNING_SINKS.get(callee or "")
    if sink is None or callee is None:
        return None
    return callee, sink, argument(call, sink.index, sink.keyword)
