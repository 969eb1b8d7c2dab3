"""A decode accepts whichever algorithm the token's own header names."""

from __future__ import annotations

from reviewer import lazy_cst as cst
from reviewer.model import Severity
from reviewer.semantics.flow.syntax import body_of
from reviewer.traversal import descendants
from rules.jwt_verification._family import JwtFile, JwtRule, Reading
from rules.jwt_verification._module import statements_of

EVERY_ALGORITHM = frozenset({"jwt.algorithms.get_default_algorithms", "jwt.get_algorithm_by_name"})


class JwtAlgorithmNotPinned(JwtRule):
    """A decode accepts whichever algorithm the token's own header names.

    ## What it does
    Flags a PyJWT or python-jose `decode()` that checks the signature but pins no algorithms: no
    `algorithms` argument, `algorithms=None`, algorithms read from the token's own unverified
    header (`jwt.get_unverified_header(token)["alg"]`), or every algorithm the library knows
    (`jwt.algorithms.get_default_algorithms()`).

    ## Why is this bad?
    The token then chooses how it is checked. Accepting the header's algorithm is what made the
    classic JWT attacks work: `"alg": "none"`, and HS256 "signed" with the server's RSA public key
    as the HMAC secret. python-jose and PyJWT 1 accept the header's algorithm when none are
    given; PyJWT 2 refuses to decode at all. Current library versions refuse some key/algorithm
    mixes, but pinning is the defence that does not depend on them.

    ## Example
    ```python
    from jose import jwt

    claims = jwt.decode(token, settings.secret_key)
    ```

    ## Use instead
    ```python
    claims = jwt.decode(token, settings.secret_key, algorithms=["HS256"])
    ```

    ## Known problems
    Algorithms read from settings or from an identity provider's discovery document are taken as
    pinned, and so is the header's algorithm once the function checks it (`if alg not in
    ALLOWED: raise`, `if alg.startswith(("RS", "ES")):`). Authlib and joserfc, whose decoders are
    built with a list of algorithms, are not checked here. Test code is not checked.
    """

    code = "RVW613"
    name = "jwt-algorithm-not-pinned"
    severity = Severity.WARNING

    def check(self, file: JwtFile) -> None:
        for reading in file.readings:
            jwt = reading.jwt
            if not jwt.algorithms_needed or jwt.unverified is not None:
                continue
            problem = self._problem(file, reading)
            if problem is None:
                continue
            node, why = problem
            self.report(
                node,
                f"`{jwt.api}()` {why}; pass `algorithms=[...]` with the algorithm your tokens are signed with",
                statement=reading.statement,
            )

    def _problem(self, file: JwtFile, reading: Reading) -> tuple[cst.CSTNode, str] | None:
        jwt = reading.jwt
        accepts = (
            "python-jose accepts whichever algorithm the token's header names"
            if jwt.library == "python-jose"
            else "PyJWT 1 accepts whichever algorithm the token's header names (PyJWT 2 refuses to decode)"
        )
        if jwt.algorithms is None:
            return jwt.call, f"pins no `algorithms`: {accepts}"
        value = jwt.algorithms.value
        if isinstance(value, cst.Name) and value.value == "None":
            return jwt.algorithms, f"is given `algorithms=None`: {accepts}"
        if reading.function is None or _checked(value, reading.function):
            return None
        for root in file.provenance.roots(value, reading.function):
            if isinstance(root, cst.Call):
                source = file.readings_by_call.get(id(root))
                if source is not None and source.jwt.part == "header":
                    return jwt.algorithms, "takes its `algorithms` from the token's own unverified header"
                if file.functions.qualify(root.func, reading.function) in EVERY_ALGORITHM:
                    return jwt.algorithms, "accepts every algorithm the library knows, \"none\" among them"
        if isinstance(value, (cst.List, cst.Tuple, cst.Set)):
            for element in value.elements:
                for root in file.provenance.roots(element.value, reading.function):
                    source = file.readings_by_call.get(id(root)) if isinstance(root, cst.Call) else None
                    if source is not None and source.jwt.part == "header":
                        return jwt.algorithms, "takes its `algorithms` from the token's own unverified header"
        return None


def _checked(value: cst.BaseExpression, function: cst.FunctionDef) -> bool:
    """The names the algorithms are made of are checked in the function (`if alg not in
    ALLOWED: raise`, `if alg.startswith(("RS", "ES")):`): the header's choice is narrowed."""
    names = {node.value for node in descendants(value) if isinstance(node, cst.Name)}
    for _, part in statements_of(body_of(function)):
        tests = [part] if not isinstance(part, cst.SimpleStatementLine) else [
            small.test for small in part.body if isinstance(small, cst.Assert)
        ]
        for test in tests:
            for node in descendants(test):
                checks = isinstance(node, cst.Comparison) or (
                    isinstance(node, cst.Call)
                    and isinstance(node.func, cst.Attribute)
                    and node.func.attr.value in ("startswith", "endswith")
                )
                if checks and any(isinstance(n, cst.Name) and n.value in names for n in descendants(node)):
                    return True
    return False
