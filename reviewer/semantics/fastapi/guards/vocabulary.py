"""The words, calls and classes that show authentication: FastAPI security schemes, 401/403
exceptions, authentication flows (a password or signature checked, a token issued) and writes."""

from __future__ import annotations

import re

FACTS_KEY = "auth-guards"
MAX_CALL_DEPTH = 3  # helpers followed from a function for a rejection or a flow's evidence
MAX_WRITE_DEPTH = 4  # helpers followed from an endpoint for a write (route -> service -> crud -> session)

_AUTH_WORDS = (
    "fastapi", "starlette", "401", "403", "unauthori", "forbidden", "authenticat", "permission", "credential",
    "compare_digest", "construct_event", "checkpw", "jwt", "svix",
)
SCHEME_MODULES = ("fastapi.security",)
SCHEME_CLASSES = frozenset(
    {
        "OAuth2",
        "OAuth2PasswordBearer",
        "OAuth2AuthorizationCodeBearer",
        "HTTPBearer",
        "HTTPBasic",
        "HTTPDigest",
        "APIKeyHeader",
        "APIKeyQuery",
        "APIKeyCookie",
        "OpenIdConnect",
    }
)
HTTP_EXCEPTIONS = frozenset({"fastapi.HTTPException", "fastapi.exceptions.HTTPException",
                             "starlette.exceptions.HTTPException", "starlette.HTTPException"})
STARLETTE_REQUIRES = frozenset({"starlette.authentication.requires"})
PASSWORD_FORMS = frozenset({"OAuth2PasswordRequestForm", "OAuth2PasswordRequestFormStrict"})
# An exception class whose name says the caller is not authenticated or not allowed.
_AUTH_EXCEPTION = re.compile(
    r"unauthori[sz]|forbidden|not_?authenticated|authentication|invalid_?credential|credentials?_?(?:error|exception)|"
    r"invalid_?(?:token|api_?key|session)|permission_?denied|access_?denied|not_?authori[sz]ed|not_?permitted|"
    r"missing_?(?:credentials|token|api_?key)|(?:token|session)_?expired|login_?required",
    re.IGNORECASE,
)
_STATUS_SPELLING = re.compile(r"\.HTTP_(401|403)_|\.(UNAUTHORIZED|FORBIDDEN)$")
# Credentials a request carries, by header or cookie name (also as a parameter's name).
_CREDENTIAL_NAME = re.compile(
    r"authori[sz]ation|api[-_]?key|token|session|cookie|secret|password|signature", re.IGNORECASE
)
# Calls that show an authentication flow or a signed request: a secret compared in constant
# time, a signature or password verified, a token issued, a password hashed.
_FLOW_TARGETS = {
    "hmac.compare_digest": "compares a secret (`hmac.compare_digest`)",
    "secrets.compare_digest": "compares a secret (`secrets.compare_digest`)",
    "bcrypt.checkpw": "checks a password (`bcrypt.checkpw`)",
    "bcrypt.hashpw": "hashes a password (`bcrypt.hashpw`)",
    "jwt.encode": "issues a token (`jwt.encode`)",
    "jose.jwt.encode": "issues a token (`jwt.encode`)",
    "authlib.jose.jwt.encode": "issues a token (`jwt.encode`)",
    "fastapi_users.jwt.generate_jwt": "issues a token (`generate_jwt`)",
    "hashlib.pbkdf2_hmac": "hashes a password (`hashlib.pbkdf2_hmac`)",
}
# Calls that verify a token and raise when it is missing, forged or expired: a function that makes
# one and lets what it raises go on turns a caller without a valid token away.
TOKEN_VERIFIERS = frozenset({
    "jwt.decode", "jose.jwt.decode", "authlib.jose.jwt.decode", "fastapi_users.jwt.decode_jwt",
    "itsdangerous.URLSafeTimedSerializer.loads",
})
_FLOW_METHODS = {
    "construct_event": "verifies a webhook signature (`construct_event`)",
    "verify_signature": "verifies a signature",
    "verify_webhook": "verifies a webhook signature",
    "compare_digest": "compares a secret in constant time",
    "checkpw": "checks a password",
    "verify_password": "checks a password",
    "authenticate_user": "checks a password",
    "get_access_token": "exchanges an OAuth authorization code",
    "delete_cookie": "ends a session (`delete_cookie`)",
    "set_cookie": "starts a session in the caller's browser (`set_cookie`)",
    # authlib's authorization server, which authenticates the client itself.
    "create_token_response": "answers an OAuth token request (`create_token_response`)",
    "create_endpoint_response": "answers an OAuth revocation or introspection request (`create_endpoint_response`)",
    "authenticate": "authenticates a user from credentials (`authenticate`)",
    "forgot_password": "requests a password reset (`forgot_password`)",
    "reset_password": "resets a password with a reset token (`reset_password`)",
}
# A field of a request's body that is a credential itself, which chooses what the endpoint changes:
# a verification or invitation token, a client secret (`body.token`, `claim.invitation_token`).
CREDENTIAL_FIELD = re.compile(r"(?:^|_)(?:token|secret|signature|otp|nonce)$|invitation|magic_link", re.IGNORECASE)
_PASSWORD_RESET = re.compile(
    r"^(?:request_password_reset|send_(?:password_)?reset_(?:password_)?(?:email|link|token|mail)|send_magic_link|"
    r"verify_magic_link|verify_password_reset_token|send_verification_email|verify_email_token)$"
)


def flow_of_call(target: str | None, text: str | None) -> str | None:
    """What a call shows of an authentication flow or a signed request, if anything."""
    found = _FLOW_TARGETS.get(target or "")
    if found:
        return found
    last = (text or target or "").rsplit(".", 1)[-1]
    if last in _FLOW_METHODS:
        return _FLOW_METHODS[last]
    if _PASSWORD_RESET.match(last):
        return f"a password reset or email verification step (`{last}`)"
    return None
# A call that creates a user or an account: an endpoint nothing guards that makes one is a sign-up.
_SIGN_UP = re.compile(r"^(?:create|register|sign_?up|add)_?(?:new_)?(?:user|account)(?:_account)?$", re.IGNORECASE)
# Calls that write: ORM and driver methods, and functions named for a change.
_WRITE_METHOD = re.compile(
    r"^(?:add|add_all|commit|delete|merge|flush|insert|update|upsert|save|create|remove|execute|executemany|"
    r"bulk_\w+|put|hset|lpush|rpush|enqueue|apply_async|delay|write|write_text|"
    r"write_bytes|unlink|rmtree|kill|terminate)$"
)
_WRITE_NAME = re.compile(
    r"^_*(?:create|update|delete|insert|upsert|save|remove|set|add|put|patch|write|store|register|cancel|pay|send|"
    r"revoke|toggle|invite|accept|reject|enable|disable|install|uninstall|upload|move|rename|archive|"
    r"restore|start|stop|trigger|submit|approve|mark|assign|publish|schedule|purge|drop)(?:_|$)"
)



def scheme_class(qualified: str | None) -> str | None:
    """`HTTPBearer` for `fastapi.security.HTTPBearer` (or its submodules), else None."""
    if not qualified or not qualified.startswith(SCHEME_MODULES):
        return None
    name = qualified.rsplit(".", 1)[-1]
    return name if name in SCHEME_CLASSES else None

