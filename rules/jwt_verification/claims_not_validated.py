"""A verified token's expiry (or audience) is never checked, yet its claims decide identity."""

from __future__ import annotations

from reviewer.model import Severity
from rules.jwt_verification._api import only_asymmetric
from rules.jwt_verification._family import JwtFile, JwtRule, Reading
from rules.jwt_verification._provenance import REQUEST

ORIGINS = {REQUEST: "a token from the request", "caller": "a token its caller passes"}


class JwtClaimsNotValidated(JwtRule):
    """A verified token's expiry (or audience) is never checked, yet its claims decide identity.

    ## What it does
    Flags a decode that checks the signature but not the claims that limit a token's use, when
    the token comes from the request or the caller and its claims decide identity or access (as
    `RVW611` follows them):
    - PyJWT or python-jose with `options={"verify_exp": False}` (PyJWT 1:
      `verify_expiration=False`), and nothing reads `exp` along the way;
    - Authlib `jwt.decode()` whose claims are never `validate()`d, and joserfc `jwt.decode()`
      whose `token.claims` never reach a `JWTClaimsRegistry(...).validate()`: both libraries
      check the signature only, never `exp`, `nbf`, `iss` or `aud`;
    - `options={"verify_aud": False}` on a decode that accepts public-key algorithms only
      (`RS256`, `ES256`, ...), the tokens of an identity provider that serves other applications
      too, when nothing reads `aud`.

    ## Why is this bad?
    An access token is meant to die: its expiry bounds what a leaked or stolen token is worth. A
    token that is never checked for expiry authenticates forever. A token whose audience is not
    checked may have been issued by the same identity provider to another application, and
    passes here as well.

    ## Example
    ```python
    from authlib.jose import jwt

    def current_user(token: str = Depends(bearer), db: Session = Depends(get_db)):
        claims = jwt.decode(token, public_key)
        return db.get(User, claims["sub"])
    ```

    ## Use instead
    ```python
    def current_user(token: str = Depends(bearer), db: Session = Depends(get_db)):
        claims = jwt.decode(token, public_key)
        claims.validate()
        return db.get(User, claims["sub"])
    ```

    ## Known problems
    An expiry checked by reading `exp` (here or in a helper of the module the claims are handed
    to) counts as checked, however it is compared. Symmetric-key tokens with `verify_aud` off are
    not flagged: the service that holds the key minted them. Test code is not checked.
    """

    code = "RVW614"
    name = "jwt-claims-not-validated"
    severity = Severity.WARNING

    def check(self, file: JwtFile) -> None:
        for reading in file.readings:
            jwt = reading.jwt
            if not jwt.verifies_signature or reading.function is None:
                continue
            if jwt.exp_off is None and jwt.aud_off is None and not jwt.claims_unchecked:
                continue
            self._check(file, reading)

    def _check(self, file: JwtFile, reading: Reading) -> None:
        jwt = reading.jwt
        origin = file.origin(reading)
        if origin is None or file.held_server_side(reading):
            return
        outcome = file.claims_outcome(reading)
        if not outcome.uses or outcome.validated:
            return
        if jwt.claims_unchecked and "exp" not in outcome.keys:
            check = "claims.validate()" if jwt.library == "Authlib" else "JWTClaimsRegistry(...).validate(token.claims)"
            what = f"`{jwt.api}()` checks the signature only and the claims are never validated (`{check}`)"
            harm = "an expired token is accepted"
        elif jwt.exp_off is not None and "exp" not in outcome.keys:
            what = f"`{jwt.api}(..., {jwt.exp_off.text})` never checks expiry and nothing reads `exp`"
            harm = "an expired or leaked token authenticates forever"
        elif (
            jwt.aud_off is not None
            and "aud" not in outcome.keys
            and only_asymmetric(jwt, file.resolver(reading.function))
        ):
            what = f"`{jwt.api}(..., {jwt.aud_off.text})` never checks the audience of a provider-signed token"
            harm = "a token the provider issued to another application is accepted"
        else:
            return
        use = outcome.uses[0]
        line = self.context.span(use.node, use.statement).line
        self.report(
            jwt.call,
            f"{what}, yet for {ORIGINS[origin]} {use.subject} {use.what} (line {line}): {harm}",
            statement=reading.statement,
        )
