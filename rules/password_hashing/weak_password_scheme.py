"""A password library is configured with a fast or plaintext scheme."""

from __future__ import annotations

from reviewer.model import Severity
from reviewer.rule import RepoContext
from reviewer.semantics.passwords.records import WEAK_SCHEME
from rules.password_hashing._base import PasswordRule, password_model, report


class WeakPasswordScheme(PasswordRule):
    """A password-hashing library is set to a fast, unsalted or plaintext scheme.

    ## What it does
    Flags password hashing APIs configured with a weak scheme: a passlib `CryptContext` whose
    default scheme (`default=`, else the first of `schemes`) is `md5_crypt`, `sha1_crypt`,
    `des_crypt`, `plaintext`, an `ldap_*` digest (`{SSHA}`), `hex_*`, `phpass` and the like;
    hashing with such a passlib handler (`passlib.hash.md5_crypt.hash(pw)`) or with
    `passlib.apps.ldap_context`; werkzeug `generate_password_hash(pw, method="sha256")` or
    `"plain"`; Django `make_password(pw, hasher="md5")`. These APIs hash passwords by definition,
    so no chain of evidence is needed.

    ## Why is this bad?
    These schemes are one or a few rounds of a fast digest (or no hash at all): a leaked table is
    cracked in hours. A weak scheme kept only to verify legacy hashes is fine, as long as it is not
    the default new hashes are made with.

    ## Example
    ```python
    pwd_context = CryptContext(schemes=["md5_crypt"])
    ```

    ## Use instead
    ```python
    pwd_context = CryptContext(schemes=["argon2", "bcrypt", "md5_crypt"], deprecated="auto")
    ```
    (legacy `md5_crypt` hashes still verify, and `verify_and_update` re-hashes them on login).

    ## Known problems
    Only literal scheme names are read; a context loaded from a configuration file or string
    (`CryptContext.from_string`) is not. Formats another system's login mandates (`postgres_md5`,
    `mysql41`, `htdigest`, `apr_md5_crypt` for htpasswd files, `nthash`) are not flagged. Test
    code is not checked.
    """

    code = "RVW604"
    name = "weak-password-scheme"
    checklist = "password-hashing"
    severity = Severity.ERROR

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        model = password_model(repo)
        for located in model.sinks(WEAK_SCHEME):
            sink = located.sink
            report(repo, located, f"`{sink.api}` hashes passwords with the weak scheme `{sink.algorithm}`: fast or "
                                  "unsalted hashes are cracked in hours; make argon2 or bcrypt the default scheme")
