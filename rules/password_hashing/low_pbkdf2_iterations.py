"""A password is derived with PBKDF2 at too few iterations."""

from __future__ import annotations

from reviewer.model import Severity
from reviewer.rule import RepoContext
from reviewer.semantics.passwords.records import PBKDF2, PBKDF2_ROUNDS
from rules.password_hashing._base import PasswordRule, describe, password_model, report

# OWASP Password Storage Cheat Sheet (2023): PBKDF2 iterations per HMAC digest.
OWASP_ITERATIONS = {"sha1": 1_300_000, "sha256": 600_000, "sha512": 210_000}


class LowPbkdf2Iterations(PasswordRule):
    """A password is hashed with PBKDF2 at fewer iterations than the configured floor.

    ## What it does
    Flags `hashlib.pbkdf2_hmac(...)` and `cryptography`'s `PBKDF2HMAC(...).derive(...)` whose
    iteration count is a constant below `min-iterations` (default 100,000) when the value derived is
    a password (the same chain of evidence as `RVW601`), and PBKDF2 configured with such a count in
    password libraries, where no chain is needed: passlib `pbkdf2_sha256.using(rounds=...)`,
    `CryptContext(..., pbkdf2_sha256__rounds=...)`, werkzeug `generate_password_hash(pw,
    "pbkdf2:sha256:1000")`.

    ## Why is this bad?
    PBKDF2's cost is its iteration count: at 1,000 iterations a GPU tries millions of passwords per
    second. OWASP's Password Storage Cheat Sheet asks for 600,000 iterations with HMAC-SHA256
    (1,300,000 with SHA-1, 210,000 with SHA-512); the default floor here, 100,000, flags only counts
    far below that.

    ## Example
    ```python
    def hash_password(password: str, salt: bytes) -> bytes:
        return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 1000)
    ```

    ## Use instead
    ```python
    def hash_password(password: str, salt: bytes) -> bytes:
        return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 600_000)
    ```
    or argon2id (`pwdlib.PasswordHash.recommended()`). Stored hashes keep their count: re-hash each
    on the user's next login.

    ## Options
    `min-iterations` (int, default 100000): counts below it are flagged.

    ## Known problems
    Only counts a constant gives are judged (a literal, a module or class constant); counts read
    from settings are not. PBKDF2 over values not shown to be passwords (a server's master key, a
    BIP-39 seed, whose 2,048 rounds the standard fixes) is not flagged. Test code is not checked.
    """

    code = "RVW602"
    name = "low-pbkdf2-iterations"
    checklist = "password-hashing"
    severity = Severity.WARNING
    options = {"min-iterations": 100_000}

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        model = password_model(repo)
        floor = int(repo.options.get("min-iterations", 100_000))
        for located in model.sinks(PBKDF2, PBKDF2_ROUNDS):
            sink = located.sink
            if sink.iterations is None or sink.iterations >= floor:
                continue
            digest = _digest(sink.algorithm)
            target = OWASP_ITERATIONS.get(digest or "", 600_000)
            advice = f"OWASP asks for {target:,} with {digest or 'HMAC-SHA256'}"
            if sink.kind == PBKDF2:
                found = model.sink_evidence(located.function, sink)
                if found is None:
                    continue
                message = (f"`{sink.api}` derives a password ({describe(found[1])}) with only "
                           f"{sink.iterations:,} PBKDF2 iterations; {advice}, or use argon2id")
            else:
                message = (f"`{sink.api}` configures {sink.algorithm} password hashing with only "
                           f"{sink.iterations:,} PBKDF2 rounds; {advice}, or use argon2id")
            report(repo, located, message)


def _digest(algorithm: str | None) -> str | None:
    if not algorithm:
        return None
    for digest in OWASP_ITERATIONS:
        if digest in algorithm.lower().replace("-", ""):
            return digest
    return None
