"""A password is hashed with a fast digest (MD5, SHA-1, SHA-2, a single HMAC)."""

from __future__ import annotations

from reviewer.model import Severity
from reviewer.rule import RepoContext
from reviewer.semantics.passwords.records import FAST_HASH, HMAC
from rules.password_hashing._base import PasswordRule, describe, password_model, report


class FastPasswordHash(PasswordRule):
    """A password is hashed for storage or verification with a fast digest.

    ## What it does
    Follows password-equivalent values (a user's or a service's password, a PIN, a share-link
    password) from where they come to where they are hashed, across functions and modules, and
    flags `hashlib.md5`/`sha1`/`sha256`/`sha512`/`blake2b` (also through `hashlib.new`, a hash
    object's `.update()`, pycryptodome and `cryptography`'s `Hash`), salted or not, and a single
    `hmac.new(pepper, password, ...)`, when a chain shows the value is a password:

    - a request field: a body, query or form parameter of an endpoint or dependency named for a
      password, a field of its body model named so or typed `SecretStr`, the `password` of an
      `OAuth2PasswordRequestForm`, a `password` read from `await request.form()`/`.json()`;
    - a parameter named for a password of a function that signs accounts in or up (it is named so,
      calls something named for users, or reads a users table), or that keeps the value in a
      password field (`user.password_hash = ...`, `User(hashed_password=...)`, `== user.pw_hash`);
    - the value a validator or setter of a password field is handed (`@field_validator("password")`,
      `@validates("password")`, `@password.setter`);
    - any function parameter these reach through calls (`register` -> `create_user(password)` ->
      `hash_password(password)`).

    An LDAP `userPassword` built by hand (`"{SSHA}" + b64encode(sha1(pw + salt).digest() + salt)`)
    is flagged whatever the input is called: the format says it is a password hash.

    ## Why is this bad?
    A stolen table of MD5 or SHA-256 password hashes is cracked at billions of guesses per second
    on one GPU; a salt only stops precomputed tables, and a pepper is one key an attacker who has
    the database often has too. Password hashes must be slow and memory-hard.

    ## Example
    ```python
    def hash_password(password: str) -> str:
        return hashlib.sha256(password.encode()).hexdigest()

    @router.post("/users")
    def register(body: UserCreate, db: Session = Depends(get_db)):
        db.add(User(email=body.email, password_hash=hash_password(body.password)))
    ```

    ## Use instead
    ```python
    from pwdlib import PasswordHash

    password_hash = PasswordHash.recommended()  # argon2id

    def hash_password(password: str) -> str:
        return password_hash.hash(password)
    ```
    (or `passlib.context.CryptContext(schemes=["bcrypt"])`, `bcrypt.hashpw`, `argon2.PasswordHasher`).

    ## Known problems
    Not flagged: digests of values not shown to be passwords (API keys, random tokens, file
    contents, cache keys, ETags, Gravatar e-mail hashes), `usedforsecurity=False`, a digest handed
    on to bcrypt/argon2/passlib (a pre-hash or a pepper before the slow hash, also when a helper
    returns it to a caller that does), a slice of a digest (the k-anonymity prefix the Pwned
    Passwords API asks for) and a digest sent over HTTP (what a remote protocol mandates). A
    helper that hashes its `password` argument is flagged only when some caller in the repository
    passes it a password (or it keeps the value in a password field, or its own function signs
    accounts in or up); a call through an object the analysis cannot type
    (`get_hasher().hash(password)`) is not followed. Protocols that mandate a fast hash of a
    password the application itself verifies (an HTTP Digest `HA1`) are flagged: suppress them
    with `# reviewer: ignore[RVW601]`. Test code is not checked.
    """

    code = "RVW601"
    name = "fast-password-hash"
    checklist = "password-hashing"
    severity = Severity.ERROR

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        model = password_model(repo)
        for located in model.sinks(FAST_HASH, HMAC):
            sink = located.sink
            if model.handed_on(located):
                continue
            found = model.sink_evidence(located.function, sink)
            if found is None and not sink.ldap:
                continue
            algorithm = sink.algorithm or "digest"
            if found is not None:
                what = f"a password ({describe(found[1])})"
            else:
                what = "the password of an LDAP `{SSHA}`-style value it builds"
            if sink.kind == HMAC:
                message = (f"`{sink.api}` keys one fast {algorithm} HMAC over {what}: a pepper does not slow "
                           "guessing; hash passwords with argon2id, bcrypt or scrypt (pwdlib, passlib)")
            else:
                message = (f"`{sink.api}` hashes {what} with one fast {algorithm} round, cracked at billions of "
                           "guesses per second; hash passwords with argon2id, bcrypt or scrypt (pwdlib, passlib)")
            report(repo, located, message)
