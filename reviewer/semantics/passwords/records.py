"""What one module tells the repository pass about passwords, as plain picklable records.

Per function (`FunctionRecord`): the places where a value is hashed, derived, stored or compared
(`Sink`), with the values that reach them (`Source`: a parameter, a field of one, or a request read
in the function); the calls that pass such values on (`Edge`); and the local evidence that a
parameter is a password (the function looks accounts up, or keeps the value in a password field).
Per class (`ClassRecord`): its fields and columns, and whether it is a table. The repository pass
(`model.py`) joins them into chains from a request to a sink.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reviewer.model import Span

FACTS_KEY = "passwords"


@dataclass(frozen=True, slots=True)
class Source:
    """Where a value comes from inside one function: a parameter or a field of it (`payload`,
    `payload.password`), or a request read the function makes (`local`, described)."""

    param: str | None
    attrs: tuple[str, ...] = ()
    local: str | None = None

    def describe(self) -> str:
        if self.local is not None:
            return self.local
        return ".".join((self.param or "?", *self.attrs))

    @property
    def last_name(self) -> str:
        return self.attrs[-1] if self.attrs else (self.param or "")


# Sink kinds.
FAST_HASH = "fast-hash"  # hashlib md5/sha*/blake2, `hashlib.new`, pycryptodome, cryptography `Hash`
HMAC = "hmac"  # one HMAC round: `hmac.new(pepper, password, sha256)`
PBKDF2 = "pbkdf2"  # `hashlib.pbkdf2_hmac`, cryptography `PBKDF2HMAC`
WEAK_SCHEME = "weak-scheme"  # passlib/werkzeug/django configured with a fast or plaintext scheme
PBKDF2_ROUNDS = "pbkdf2-rounds"  # passlib/werkzeug PBKDF2 configured with few rounds
STORE = "store"  # `User(password=...)`, `insert(User).values(password=...)`, `db.users.insert_one({...})`
ASSIGN = "assign"  # `user.password = ...`
SPREAD = "spread"  # `User(**payload.model_dump())`, `User.model_validate(payload)`
COMPARE = "compare"  # `user.password == payload.password`
SQL_WRITE = "sql-write"  # `INSERT INTO users (email, password) VALUES (%s, %s)` with the value bound


@dataclass(slots=True)
class Sink:
    kind: str
    api: str  # as messages show it: `hashlib.sha256`, `User(password=...)`
    span: Span
    statement_lines: tuple[int, int] | None
    sources: list[Source] = field(default_factory=list)
    algorithm: str | None = None  # the digest (`sha256`), or the weak scheme (`md5_crypt`)
    iterations: int | None = None  # PBKDF2 rounds, when a constant says
    column: str | None = None  # the field a store writes or a comparison reads
    model: str | None = None  # the class a store writes (qualified), when the code names it
    model_call: str | None = None  # ...or the call whose result is the record (`get_user`)
    user_lookup: bool = False  # the record came from a call named for accounts
    ldap: bool = False  # the digest is written out as an LDAP `{SSHA}` value
    # Why the digest is not a stored password hash after all.
    prehashed: bool = False  # handed on to bcrypt/argon2/passlib
    truncated: bool = False  # only a slice of it is used (k-anonymity prefixes, short ids)
    sent: bool = False  # sent to a remote service over HTTP
    returned: bool = False  # the function returns the digest: its callers decide what it is
    excluded: tuple[str, ...] = ()  # a spread's `exclude=` fields and fields replaced before it
    principal: str | None = None  # for a document store: the collection as written (`db.users`)


@dataclass(frozen=True, slots=True)
class Edge:
    """A call passing values on: its callee as qualified in the caller, and what each slot carries."""

    target: str
    slot: int | str
    sources: tuple[Source, ...]
    replaced: tuple[str, ...] = ()  # fields of the object passed that the caller replaced first


@dataclass(slots=True)
class FunctionRecord:
    qualname: str
    name: str
    params: tuple[str, ...]  # without the receiver of a method
    owner: str | None = None  # the class a method belongs to
    annotations: dict[str, str] = field(default_factory=dict)  # parameter -> qualified class it is annotated with
    unions: dict[str, tuple[str, ...]] = field(default_factory=dict)  # parameter -> the classes of `A | B`
    looks_up_users: bool = False  # named for signing in, or calls named for accounts, or account SQL
    keeps: tuple[Source, ...] = ()  # values kept in (or compared with) a password field
    validates: tuple[str, str] | None = None  # (parameter, field) of a field validator or property setter
    returns: str | None = None  # the class its return annotation names
    # What it does with digests functions it calls return: target -> prehashed/truncated/sent.
    consumes: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sinks: list[Sink] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)


@dataclass(slots=True)
class ClassRecord:
    qualname: str
    bases: tuple[str, ...]
    fields: dict[str, str] = field(default_factory=dict)  # annotated or assigned name -> annotation (qualified)
    columns: frozenset[str] = frozenset()  # fields declared as table columns
    table: bool = False  # `__tablename__`, `table=True`, or columns: a table of its own
    custom_init: bool = False  # defines `__init__`: keyword arguments are not columns as such
    setters: frozenset[str] = frozenset()  # fields a setter, `@validates` or validator rewrites
    attributes: dict[str, str] = field(default_factory=dict)  # `self.x = Class(...)` -> qualified class


@dataclass(slots=True)
class ModulePasswords:
    module: str
    path: str
    functions: dict[str, FunctionRecord] = field(default_factory=dict)
    classes: dict[str, ClassRecord] = field(default_factory=dict)
    instances: dict[str, str] = field(default_factory=dict)  # module-level `users = CRUDUser(User)`
    declarative: frozenset[str] = frozenset()  # module-level `Base = declarative_base()`
    uses_password_library: bool = False  # imports bcrypt, argon2, passlib, pwdlib ...
