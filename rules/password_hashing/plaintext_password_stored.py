"""A password is stored (or compared) as it was typed, without hashing."""

from __future__ import annotations

from reviewer.model import Severity
from reviewer.rule import RepoContext
from reviewer.semantics.passwords import Located, PasswordModel
from reviewer.semantics.passwords import knowledge as k
from reviewer.semantics.passwords.records import ASSIGN, COMPARE, SPREAD, SQL_WRITE, STORE
from rules.password_hashing._base import PasswordRule, describe, password_model, report


class PlaintextPasswordStored(PasswordRule):
    """A password is written to an account's table as it was typed, or checked against one.

    ## What it does
    Follows password values as `RVW601` does, and flags one that reaches, unhashed (re-encoding,
    base64 and string building do not hash):

    - a column of an account table: `User(password=payload.password)`,
      `insert(User).values(password=...)`, `user.password = payload.new_password`,
      `User(**payload.model_dump())` when the payload's password field becomes a column,
      `INSERT INTO users (email, password) VALUES (%s, %s)` with it bound, or a document store's
      `db.users.insert_one({"password": ...})`;
    - a comparison with a stored column: `if user.password != form.password:`,
      `.filter(User.password == form.password)`, `WHERE email = %s AND password = %s`, which only
      work when the column holds the password itself.

    A model's table is an account table when endpoints authenticate as its class
    (`current_user: User = Depends(...)`, or a dependency returning it, also through a schema of
    the same name), a password is compared with one of its columns, it derives from an
    authentication library's user table, or the column written is named for a hash
    (`hashed_password=payload.password` is the same bug). For raw SQL and document stores, whose
    tables the analysis cannot see, the table or collection must be named for accounts (`users`,
    `db.members`).

    ## Why is this bad?
    Whoever reads the table (a backup, a SQL injection, an over-broad admin query, a log of the
    row) has every user's password, and with it their accounts on other sites.

    ## Example
    ```python
    @router.post("/users")
    def register(body: UserCreate, db: Session = Depends(get_db)):
        db.add(User(email=body.email, password=body.password))
    ```

    ## Use instead
    ```python
    @router.post("/users")
    def register(body: UserCreate, db: Session = Depends(get_db)):
        db.add(User(email=body.email, hashed_password=password_hash.hash(body.password)))
    ```
    and check logins with `password_hash.verify(form.password, user.hashed_password)`.

    ## Known problems
    Not flagged: credentials an application keeps to use elsewhere (a vault of third-party logins,
    mailbox, database and SMTP passwords), which must be encrypted rather than hashed; models whose
    setter, `@validates` hook or `__init__` hashes the field; a payload whose validator rewrites the
    password (`@field_validator("password")` returning a hash), or whose password field the code
    replaced, popped or excluded first. A helper that stores its `password` argument is judged by
    what its callers pass; when nothing in the repository calls it, by its own code. A record
    whose class the analysis cannot tell (returned by an untyped helper not named for accounts) is
    not judged, and neither is a password passed through a helper that returns it unchanged
    (`fake_hash_password`). Test code is not checked.
    """

    code = "RVW603"
    name = "plaintext-password-stored"
    checklist = "password-hashing"
    severity = Severity.ERROR

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        model = password_model(repo)
        compared = _compared_classes(model)
        for located in model.sinks(STORE, ASSIGN, SPREAD, SQL_WRITE, COMPARE):
            sink = located.sink
            if sink.kind == SPREAD:
                _check_spread(repo, model, located, compared)
                continue
            found = model.sink_evidence(located.function, sink, as_sent=True)
            if found is None or not _account_store(model, located, compared):
                continue
            chain = describe(found[1])
            if sink.kind == COMPARE:
                message = (f"a password ({chain}) is compared with `{sink.api}` as typed: the column holds "
                           "plaintext passwords; store a hash and check it with the hasher's `verify`")
            else:
                message = (f"a password ({chain}) is stored as typed in `{sink.api}`: anyone who reads the table "
                           "has every password; store an argon2/bcrypt hash instead")
            report(repo, located, message)


def _compared_classes(model: PasswordModel) -> set[str]:
    """Classes whose column some password is compared with: they hold the passwords users log in with."""
    found = set()
    for located in model.sinks(COMPARE):
        cls = model.record_class(located)
        if cls and model.sink_evidence(located.function, located.sink, as_sent=True):
            found.add(cls)
    return found


def _is_account(model: PasswordModel, cls: str, column: str, compared: set[str]) -> bool:
    """The table holds the passwords users sign in with: endpoints authenticate as its class (or a
    schema of the same name), a password is compared with one of its columns, or the column
    written is named for a hash."""
    return (
        k.is_password_hash_name(column)
        or cls in compared
        or cls in model.principals()
        or cls.rsplit(".", 1)[-1] in {principal.rsplit(".", 1)[-1] for principal in model.principals()}
        or model.is_auth_library_table(cls)
    )


def _account_store(model: PasswordModel, located: Located, compared: set[str]) -> bool:
    sink = located.sink
    column = sink.column or ""
    if sink.kind == COMPARE and sink.principal is not None:
        return True  # `WHERE password = %s`: the column holds what users type
    if sink.kind in (SQL_WRITE, STORE) and sink.model is None:
        return k.speaks_of_users(sink.principal or "")  # a users table, a `db.users` collection
    cls = model.record_class(located)
    if cls is None:
        return sink.kind == COMPARE and sink.user_lookup or (sink.kind == ASSIGN and sink.user_lookup)
    if not model.is_table(cls):
        return False
    if sink.kind == COMPARE:
        return model.declares(cls, column) or not model.known_class(cls)
    if not model.declares(cls, column) or model.rewrites(cls, column):
        return False
    return _is_account(model, cls, column, compared)


def _check_spread(repo: RepoContext, model: PasswordModel, located: Located, compared: set[str]) -> None:
    """`User(**payload.model_dump())`: the payload's password fields become columns as they are."""
    sink = located.sink
    cls = model.record_class(located)
    if cls is None or not model.is_table(cls):
        return
    record = located.function
    for source in sink.sources:
        annotated = record.annotations.get(source.param or "")
        if annotated is None:
            continue
        payload = model.canonical(annotated)
        for field in model.password_fields(payload):
            if field in sink.excluded or model.rewrites(payload, field) or model.rewrites(cls, field):
                continue
            if not model.declares(cls, field) or not _is_account(model, cls, field, compared):
                continue
            chain = model.evidence(record.qualname, source.param or "", (field,), as_sent=True)
            if chain is None:
                continue
            report(repo, located, f"`{sink.api}` stores the password field `{field}` ({describe(chain)}) as typed "
                                  f"in a `{cls.rsplit('.', 1)[-1]}` column: hash it before building the row, or "
                                  "exclude it and set the hash column")
            return
