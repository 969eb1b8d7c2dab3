"""Claims of a token whose signature is never checked decide who the caller is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from reviewer.facts import Facts
from reviewer.model import Severity, Span
from reviewer.rule import RepoContext
from reviewer.semantics.fastapi import FastAPIFacts
from rules.jwt_verification._claims import VALUE, Outcome
from rules.jwt_verification._family import JwtFile, JwtRule, Reading
from rules.jwt_verification._provenance import REQUEST

ORIGINS = {REQUEST: "a token from the request", "caller": "a token its caller passes"}


@dataclass(frozen=True)
class ReturnedClaims:
    """A helper that returns a value of unverified claims to callers in other modules, kept in
    the module summary for the repository pass: the helper's qualified name, and the finding it
    makes if a dependency of an endpoint calls it."""

    helper: str
    helper_name: str
    span: Span
    statement_lines: tuple[int, int] | None
    reads: str  # what reads the token, and whose token it is
    claim: str | None


class UnverifiedJwtClaims(JwtRule):
    """Claims of a token whose signature is never checked decide who the caller is.

    ## What it does
    Flags a read of a token's claims that checks no signature: PyJWT
    `jwt.decode(..., options={"verify_signature": False})` (or PyJWT 1's `verify=False`),
    python-jose `jwt.get_unverified_claims()` or `jwt.decode(..., options={"verify_signature":
    False})`, google-auth `jwt.decode(token, verify=False)`, or a payload segment base64-decoded
    by hand (`token.split(".")[1]`), when
    - the token comes from the request (a header, a cookie, a route parameter, a `Depends()` or
      `Security()` parameter such as an OAuth2 bearer scheme) or from the function's caller, and
    - the claims then decide identity or access: a claim reaches a lookup (`session.get(User,
      sub)`, `select(User).where(User.id == sub)`, `get_user(email)`), a comparison
      (`role == "admin"`, `tenant_id != org_id`), `request.state`, or the claims are returned by a
      function that serves requests (a route, a dependency, an authentication backend) or to a
      caller in the same module that does one of these.

    The claims are followed through the function's local values and into the module's own
    helpers, and back to the module's callers of a helper that returns them. A helper that
    returns a value of the claims (`payload["sub"]`, `{"user_id": payload.get("sub")}`) to other
    modules is flagged when a dependency of an endpoint calls it.

    ## Why is this bad?
    A JWT's claims are only as good as its signature. Without the check, anyone can write
    `{"sub": "1", "role": "admin"}`, base64-encode it and be that user.

    ## Example
    ```python
    async def get_current_user(token: str = Depends(oauth2_scheme), db: Session = Depends(get_db)):
        payload = jwt.decode(token, options={"verify_signature": False})
        return db.get(User, payload["sub"])
    ```

    ## Use instead
    ```python
    async def get_current_user(token: str = Depends(oauth2_scheme), db: Session = Depends(get_db)):
        payload = jwt.decode(token, settings.secret_key, algorithms=["HS256"])
        return db.get(User, payload["sub"])
    ```

    ## Known problems
    Not flagged, by design: `get_unverified_header()` or an unverified read of `iss`, `kid`, `exp`
    or other checking claims (to pick a key, to decide to refresh); a peek followed by a verified
    decode of the same token, or a read after one (in the same function, in a helper of the
    module it hands the token to, or in every caller of the module that passes it); a signature
    checked by hand (`key.verify(message, signature)`); a token the server holds and looks up
    itself (a stored refresh token or API key compared or queried as such); claims that are only
    logged; a token taken from claims already verified, one this code just minted, or one from
    an HTTP response (an ID token from the token endpoint over TLS, which OpenID Connect lets a
    client read unverified); tests. A verified decode in a `try` whose `except` falls back to
    the unverified read does not count: the fallback runs exactly when the check failed.
    A helper that returns the unverified claims whole to callers in other modules, or returns a
    value of them to other modules' routes rather than dependencies, is not flagged: what those
    callers do is not followed across modules (an OAuth callback reading the ID token it was just
    given looks the same). A token read by an application helper (`token = get_bearer(request)`)
    has no known origin and is not flagged.
    """

    code = "RVW611"
    name = "unverified-jwt-claims"
    severity = Severity.ERROR
    requires: ClassVar[tuple[type[Facts], ...]] = (FastAPIFacts,)

    def check(self, file: JwtFile) -> None:
        for reading in file.readings:
            if reading.jwt.unverified is None or reading.function is None:
                continue
            self._check(file, reading)

    def _check(self, file: JwtFile, reading: Reading) -> None:
        origin = file.origin(reading)
        if origin is None or file.peeked(reading) or file.held_server_side(reading):
            return
        outcome = file.claims_outcome(reading)
        if not outcome.uses:
            self._defer(file, reading, origin, outcome)
            return
        use = outcome.uses[0]
        line = self.context.span(use.node, use.statement).line
        self.report(
            reading.jwt.call,
            f"{self.describe(reading)} reads {ORIGINS[origin]} without checking its signature, and {use.subject} "
            f"{use.what} (line {line}): anyone can forge that token; decode it with the verification key "
            "and pinned `algorithms`",
            statement=reading.statement,
        )

    def _defer(self, file: JwtFile, reading: Reading, origin: str, outcome: Outcome) -> None:
        """Claims returned to other modules: the repository pass sees who calls the helper."""
        for function, claims in outcome.unresolved:
            if claims.kind != VALUE or id(function) not in file.functions.qualnames:
                continue
            self.context.summary.extras.setdefault(self.code, []).append(
                ReturnedClaims(
                    helper=file.functions.qualnames[id(function)],
                    helper_name=function.name.value,
                    span=self.context.span(reading.jwt.call, reading.statement),
                    statement_lines=self.context.statement_lines(reading.statement),
                    reads=f"{self.describe(reading)} reads {ORIGINS[origin]} without checking its signature",
                    claim=claims.key,
                )
            )

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        helpers: dict[str, tuple[str, ReturnedClaims]] = {}
        for summary in repo.summaries:
            for record in summary.extras.get(cls.code, ()):
                helpers.setdefault(record.helper, (summary.path, record))
        if not helpers:
            return
        index = repo.facts(FastAPIFacts)
        dependencies = {h.function.qualname: h for h in index.handlers() if h.is_dependency}
        reported: set[str] = set()
        for summary in repo.summaries:
            for function in summary.functions.values():
                handler = dependencies.get(function.qualname)
                if handler is None:
                    continue
                for call in function.calls:
                    target = index.resolve(call.target) if call.target else None
                    if target not in helpers or target in reported:
                        continue
                    reported.add(target)
                    path, record = helpers[target]
                    claim = f"claim `{record.claim}`" if record.claim else "a claim"
                    repo.report(
                        path,
                        record.span,
                        f"{record.reads}, and {claim} is what `{record.helper_name}` returns to "
                        f"{handler.describe()}: anyone can forge that token; decode it with the verification key "
                        "and pinned `algorithms`",
                        statement_lines=record.statement_lines,
                    )
