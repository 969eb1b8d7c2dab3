"""`"none"` is among the algorithms a decode accepts."""

from __future__ import annotations

from reviewer.model import Severity
from rules.jwt_verification._api import algorithm_names
from rules.jwt_verification._family import JwtFile, JwtRule


class JwtNoneAlgorithm(JwtRule):
    """`"none"` is among the algorithms a decode accepts.

    ## What it does
    Flags the algorithm `"none"` (in any case) in the `algorithms` of PyJWT, python-jose and
    joserfc `decode()` calls and of Authlib's `JsonWebToken([...])`, written in the call or in a
    list the module or function binds to a name.

    ## Why is this bad?
    `"none"` is the algorithm of unsigned tokens: a token whose header says `{"alg": "none"}` and
    whose signature is empty. Authlib accepts such a token outright once `"none"` is allowed;
    PyJWT does when the key is empty (an unset secret). No service that checks tokens has a reason
    to list it.

    ## Example
    ```python
    payload = jwt.decode(token, settings.secret_key, algorithms=["HS256", "none"])
    ```

    ## Use instead
    ```python
    payload = jwt.decode(token, settings.secret_key, algorithms=["HS256"])
    ```

    ## Known problems
    Algorithms computed at run time (read from settings, say) are not read. A decode that checks
    no signature at all is the business of `RVW611`. Test code is not checked.
    """

    code = "RVW612"
    name = "jwt-none-algorithm"
    severity = Severity.ERROR

    def check(self, file: JwtFile) -> None:
        lists = []
        for reading in file.readings:
            if reading.jwt.algorithms is not None and reading.jwt.unverified is None:
                lists.append((reading.jwt.api, reading.jwt.algorithms.value, reading.noted))
        for noted in file.authlib_objects:
            if noted.call.args:
                lists.append((noted.name.rpartition(".")[2], noted.call.args[0].value, noted))
        for api, node, noted in lists:
            resolve = file.resolver(noted.function)
            # A list bound elsewhere is reported where this call uses it.
            written_here = resolve(node) is node
            for name, element in algorithm_names(node, resolve) or ():
                if name.lower() == "none":
                    self.report(
                        element if written_here else node,
                        f'`{api}()` accepts algorithm "none": a token with no signature at all passes; '
                        "list only the algorithms your tokens are signed with",
                        statement=noted.statement,
                    )
