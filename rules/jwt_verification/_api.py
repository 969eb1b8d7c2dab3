"""What the JWT libraries do with a call, by qualified name and arguments: which calls read a
token's claims, whether they check its signature, its expiry and audience, which algorithms they
accept. PyJWT (`jwt`), python-jose (`jose`), Authlib (`authlib.jose`) and joserfc, plus a payload
base64-decoded by hand. Library knowledge only: where the claims go is `_claims`.

- PyJWT 2 `jwt.decode(token, key, algorithms=[...])` verifies the signature, `exp`, `nbf` and
  `iat`, and `aud` when the token has one; `options={"verify_signature": False}` switches every
  check off. PyJWT 1 took `verify=False` (keyword or third positional argument) for the same, and
  accepted whatever algorithm the token's header names when `algorithms` was left out (PyJWT 2
  refuses to decode without it).
- python-jose `jwt.decode` verifies as PyJWT does and takes the same options; without
  `algorithms` it accepts the header's algorithm. `get_unverified_claims` and
  `get_unverified_header(s)` check nothing.
- Authlib `jwt.decode` (and `JsonWebToken([...]).decode`) verifies the signature only: `exp`,
  `nbf`, `iss` and `aud` are checked by `claims.validate()`.
- joserfc `jwt.decode` verifies the signature only: claims are checked by
  `JWTClaimsRegistry(...).validate(token.claims)`.
- google-auth `google.auth.jwt.decode(token, certs)` verifies the signature and expiry;
  `verify=False` checks nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reviewer import lazy_cst as cst
from reviewer.syntax import argument, keyword, positional, string_value

PYJWT_DECODE = frozenset({"jwt.decode", "jwt.api_jwt.decode"})
PYJWT_DECODE_COMPLETE = frozenset({"jwt.decode_complete", "jwt.api_jwt.decode_complete"})
PYJWT_HEADER = frozenset({"jwt.get_unverified_header", "jwt.api_jws.get_unverified_header"})
JOSE_DECODE = frozenset({"jose.jwt.decode"})
JOSE_CLAIMS = frozenset({"jose.jwt.get_unverified_claims", "jose.jws.get_unverified_claims"})
JOSE_HEADER = frozenset(
    {
        "jose.jwt.get_unverified_header",
        "jose.jwt.get_unverified_headers",
        "jose.jws.get_unverified_header",
        "jose.jws.get_unverified_headers",
    }
)
AUTHLIB_DECODE = frozenset({"authlib.jose.jwt.decode", "authlib.jose.rfc7519.jwt.decode"})
AUTHLIB_CLASSES = frozenset(
    {"authlib.jose.JsonWebToken", "authlib.jose.rfc7519.JsonWebToken", "authlib.jose.rfc7519.jwt.JsonWebToken"}
)
JOSERFC_DECODE = frozenset({"joserfc.jwt.decode"})
GOOGLE_DECODE = frozenset({"google.auth.jwt.decode"})
ENCODERS = frozenset(
    {"jwt.encode", "jwt.api_jwt.encode", "jose.jwt.encode", "authlib.jose.jwt.encode", "joserfc.jwt.encode"}
)
BASE64_DECODERS = frozenset(
    {
        "base64.b64decode",
        "base64.urlsafe_b64decode",
        "base64.decodebytes",
        "jwt.utils.base64url_decode",
        "jose.utils.base64url_decode",
    }
)
# Every call whose first argument is the token, with that argument's keyword.
TOKEN_KEYWORDS: dict[str, str] = {
    **dict.fromkeys(PYJWT_DECODE | PYJWT_DECODE_COMPLETE | PYJWT_HEADER, "jwt"),
    **dict.fromkeys(JOSE_DECODE | JOSE_CLAIMS | JOSE_HEADER, "token"),
    **dict.fromkeys(AUTHLIB_DECODE, "s"),
    **dict.fromkeys(JOSERFC_DECODE, "value"),
    **dict.fromkeys(GOOGLE_DECODE, "token"),
}

# Standard claims that say how to check a token, not whom it speaks for, and header fields.
CHECKING_CLAIMS = frozenset(
    {"exp", "iat", "nbf", "iss", "aud", "jti", "azp", "auth_time", "at_hash", "c_hash", "nonce", "typ", "type",
     "token_type"}
)
HEADER_FIELDS = frozenset(
    {"alg", "kid", "typ", "cty", "jku", "jwk", "x5u", "x5c", "x5t", "x5t#S256", "crit", "enc", "zip", "epk", "signer"}
)
ASYMMETRIC_PREFIXES = ("RS", "PS", "ES", "EdDSA", "Ed25519", "Ed448")

# Reads a name as the value it is bound to (a literal options dict or algorithm list).
Resolve = Callable[["cst.BaseExpression"], "cst.BaseExpression"]


@dataclass(frozen=True)
class Switch:
    """A verification switched off: the node that does it and how it reads (`"verify_exp": False`)."""

    node: cst.CSTNode
    text: str


@dataclass
class JwtCall:
    """A call that reads a token. `part` is what it returns: `claims`, `header`, `complete`
    (PyJWT's `{"header", "payload", "signature"}`), `token` (joserfc's token object, claims in
    `.claims`) or `bytes` (a segment decoded by hand)."""

    call: cst.Call
    api: str  # as shown in messages: `jwt.decode`, `jose.jwt.get_unverified_claims`
    library: str  # PyJWT, python-jose, Authlib, joserfc, base64
    part: str
    token: cst.BaseExpression | None
    # None: the signature is checked; a Switch: how it is not.
    unverified: Switch | None = None
    exp_off: Switch | None = None
    aud_off: Switch | None = None
    # Authlib and joserfc: the claims are only checked by a separate validate() call.
    claims_unchecked: bool = False
    algorithms: cst.Arg | None = None  # the algorithms argument, if given
    algorithms_needed: bool = False  # the library accepts the header's algorithm without one

    @property
    def verifies_signature(self) -> bool:
        return self.unverified is None and self.part != "header" and self.library != "base64"


def _false(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "False"


def option_switches(options: cst.BaseExpression | None, resolve: Resolve) -> dict[str, cst.DictElement]:
    """`"verify_*": False` entries of an options dict (a literal, or a name bound to one)."""
    if options is None:
        return {}
    options = resolve(options)
    if not isinstance(options, cst.Dict):
        return {}
    found = {}
    for element in options.elements:
        if isinstance(element, cst.DictElement) and _false(element.value):
            key = string_value(element.key)
            if key is not None:
                found[key] = element
    return found


def _switch(element: cst.DictElement) -> Switch:
    return Switch(element, f'options={{"{string_value(element.key)}": False}}')


def jwt_call(call: cst.Call, name: str | None, resolve: Resolve, authlib_instances: set[str]) -> JwtCall | None:
    """The JWT reading `call` makes (`name` is its callee's qualified name), or None.
    `authlib_instances` are the callee names bound to Authlib `JsonWebToken(...)` objects."""
    if name is None:
        return None
    if name in PYJWT_DECODE or name in PYJWT_DECODE_COMPLETE or name in JOSE_DECODE:
        return _pyjwt_or_jose(call, name, resolve)
    if name in PYJWT_HEADER or name in JOSE_HEADER:
        library = "PyJWT" if name.startswith("jwt.") else "python-jose"
        return JwtCall(call, name, library, "header", _token(call, name), unverified=Switch(call, name))
    if name in JOSE_CLAIMS:
        return JwtCall(call, name, "python-jose", "claims", _token(call, name), unverified=Switch(call, name))
    if name in AUTHLIB_DECODE or name.rpartition(".")[0] in authlib_instances and name.endswith(".decode"):
        token = argument(call, 0, "s")
        return JwtCall(call, name, "Authlib", "claims", token.value if token else None, claims_unchecked=True)
    if name in GOOGLE_DECODE:
        # google-auth: decode(token, certs=None, verify=True, audience=None, clock_skew_in_seconds=0)
        verify = argument(call, 2, "verify")
        found = JwtCall(call, name, "google-auth", "claims", _token(call, name))
        if verify is not None and _false(verify.value):
            found.unverified = Switch(verify, "verify=False")
        return found
    if name in JOSERFC_DECODE:
        algorithms = argument(call, 2, "algorithms")
        return JwtCall(
            call, name, "joserfc", "token", _token(call, name), claims_unchecked=True, algorithms=algorithms
        )
    return None


def _token(call: cst.Call, name: str) -> cst.BaseExpression | None:
    arg = argument(call, 0, TOKEN_KEYWORDS.get(name, ""))
    return arg.value if arg is not None else None


def _pyjwt_or_jose(call: cst.Call, name: str, resolve: Resolve) -> JwtCall:
    library = "PyJWT" if name.startswith("jwt.") else "python-jose"
    part = "complete" if name in PYJWT_DECODE_COMPLETE else "claims"
    found = JwtCall(call, name, library, part, _token(call, name))
    third = positional(call, 2)
    verify = keyword(call, "verify")
    if verify is None and third is not None and library == "PyJWT" and _false(third.value):
        verify = third  # PyJWT 1: decode(jwt, key, verify, algorithms, options)
    algorithms = keyword(call, "algorithms")
    if algorithms is None and third is not None and third is not verify:
        algorithms = third
    if algorithms is None and library == "PyJWT" and verify is third and positional(call, 3) is not None:
        algorithms = positional(call, 3)
    found.algorithms = algorithms
    options = keyword(call, "options")
    if options is None and library == "python-jose":
        options = positional(call, 3)
    switches = option_switches(options.value if options is not None else None, resolve)
    if verify is not None and _false(verify.value):
        found.unverified = Switch(verify, "verify=False")
    elif "verify_signature" in switches:
        found.unverified = _switch(switches["verify_signature"])
    if found.unverified is None:
        expiration = keyword(call, "verify_expiration")  # PyJWT 1
        if "verify_exp" in switches:
            found.exp_off = _switch(switches["verify_exp"])
        elif expiration is not None and _false(expiration.value):
            found.exp_off = Switch(expiration, "verify_expiration=False")
        if "verify_aud" in switches:
            found.aud_off = _switch(switches["verify_aud"])
        found.algorithms_needed = True
    return found


def algorithm_names(node: cst.BaseExpression, resolve: Resolve) -> list[tuple[str, cst.BaseExpression]] | None:
    """The algorithm names a list, tuple or set literal (or a name bound to one) holds, each with
    its node; a plain string counts as one. None when they cannot be read."""
    node = resolve(node)
    single = string_value(node)
    if single is not None:
        return [(single, node)]
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        names = []
        for element in node.elements:
            value = string_value(resolve(element.value)) if isinstance(element, cst.Element) else None
            if value is None:
                return None
            names.append((value, element.value))
        return names
    return None


def only_asymmetric(call: JwtCall, resolve: Resolve) -> bool:
    """The call accepts public-key algorithms only: the tokens come from whoever holds a private
    key, typically an identity provider that serves other audiences too."""
    if call.algorithms is None:
        return False
    names = algorithm_names(call.algorithms.value, resolve)
    return bool(names) and all(name.startswith(ASYMMETRIC_PREFIXES) for name, _ in names)
