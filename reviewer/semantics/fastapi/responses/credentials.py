"""`CredentialColumns`, the ORM side of the response model: which mapped columns of a class hold
credentials, and why (`credential_columns`): the column is written from a hashing,
secret-generating or encrypting call (through repository wrappers, a few calls deep: `producer`),
or its name is an unambiguous credential (`hashed_password`, `api_key`, `client_secret`, ...); with
the lineage of classes (`is_mapped`, `model_fields`). `ResponseModel` (model.py) builds on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from reviewer.semantics.fastapi.collector import FastAPIFacts
from reviewer.semantics.fastapi.responses.records import Credential, ModuleResponses
from reviewer.semantics.orm import OrmFacts

if TYPE_CHECKING:
    from reviewer.facts import RepositoryView
    from reviewer.semantics.fastapi.index import EndpointIndex

# Column names that say by themselves the column holds a credential.
CREDENTIAL_NAMES = frozenset({
    "hashed_password", "password_hash", "password", "passwd", "encrypted_password", "api_key", "hashed_api_key",
    "api_key_hash", "secret", "secret_key", "client_secret", "access_token", "refresh_token", "private_key",
    "totp_secret", "otp_secret", "mfa_secret",
})
# Calls whose result is a password hash, a digest, a generated secret or a ciphertext.
PRODUCER_PACKAGES = ("passlib.", "bcrypt.", "argon2.", "pwdlib.", "hashlib.", "cryptography.", "nacl.")
PRODUCER_FUNCTIONS = frozenset({
    "secrets.token_urlsafe", "secrets.token_hex", "secrets.token_bytes", "werkzeug.security.generate_password_hash",
    "crypt.crypt", "hmac.new", "hmac.digest",
})
HASHING_PACKAGES = ("passlib.", "bcrypt.", "argon2.", "pwdlib.", "hashlib.", "werkzeug.security.", "crypt.", "hmac.")
PRODUCER_METHODS = frozenset({"hash", "hashpw", "encrypt", "hash_password", "generate_password_hash"})
HASHING_METHODS = frozenset({"hash", "hashpw", "hash_password", "generate_password_hash"})


class CredentialColumns:
    """The repository side, for the ORM: which mapped columns hold credentials (written from a
    hashing, secret-generating or encrypting call, or named like one), the classes' lineage, and the
    fields of the model classes the repository defines."""

    def __init__(self, modules: list[ModuleResponses], repo: RepositoryView) -> None:
        self.repo = repo
        self.orm = repo.facts(OrmFacts)
        self.index: EndpointIndex = repo.facts(FastAPIFacts)
        self.return_calls: dict[str, tuple[str, ...]] = {}
        self.fields: dict[str, tuple[str, ...]] = {}
        writes: list[tuple[str | None, str, tuple[str, ...]]] = []
        for module in modules:
            self.return_calls.update(module.return_calls)
            self.fields.update(module.fields)
            writes.extend(module.writes)
        self._producer_memo: dict[str, str | None] = {}
        # field -> (class written to or None, the producing call, is a hash)
        self.written: dict[str, list[tuple[str | None, str, bool]]] = {}
        for cls, name, callees in writes:
            for callee in callees:
                kind = self.producer(callee, 0)
                if kind is not None:
                    target = self.repo.index.canonical(cls) if cls else None
                    self.written.setdefault(name, []).append((target, callee.lstrip("."), kind == "hash"))
                    break
        self._credentials_memo: dict[str, list[Credential]] = {}

    def canonical(self, name: str | None) -> str | None:
        if not name:
            return None
        resolved = self.index.resolve(name) or name
        return self.repo.index.canonical(resolved)

    # credentials ------------------------------------------------------------------------------

    def producer(self, callee: str, depth: int) -> str | None:
        """`hash` or `secret` when the call makes a password hash/digest or a secret/ciphertext:
        a library call, or a repository function that returns one (a few calls deep)."""
        if callee.startswith("."):
            method = callee[1:]
            return "hash" if method in HASHING_METHODS else "secret" if method in PRODUCER_METHODS else None
        if callee in PRODUCER_FUNCTIONS or callee.startswith(PRODUCER_PACKAGES):
            return "hash" if callee.startswith(HASHING_PACKAGES) else "secret"
        owner, _, method = callee.rpartition(".")
        if method in PRODUCER_METHODS and owner and self.repo.index.module(owner) is None:
            # `pwd_context.hash` (a method of an object), qualified through the module that made it
            return "hash" if method in HASHING_METHODS else "secret"
        if depth >= 3:
            return None
        target = self.canonical(callee) or callee
        if target in self._producer_memo:
            return self._producer_memo[target]
        self._producer_memo[target] = None
        kinds = [self.producer(inner, depth + 1) for inner in self.return_calls.get(target, ())]
        found = "hash" if "hash" in kinds else "secret" if "secret" in kinds else None
        self._producer_memo[target] = found
        return found

    def credential_columns(self, cls: str) -> list[Credential]:
        """The mapped columns of class `cls` (its bases' included) that hold credentials."""
        key = self.canonical(cls) or cls
        if key in self._credentials_memo:
            return self._credentials_memo[key]
        found: list[Credential] = []
        lineage = self._lineage(key)
        columns = {column for record in lineage for column in record.columns}
        names = {record.qualname for record in lineage}
        for column in sorted(columns):
            writes = [w for w in self.written.get(column, ()) if w[0] is None or w[0] in names]
            if writes:
                hashed = any(w[2] for w in writes)
                found.append(Credential(key, column, f"written from `{writes[0][1]}(...)`", hashed))
            elif column.lower() in CREDENTIAL_NAMES:
                hashed = "hash" in column.lower() or "password" in column.lower()
                found.append(Credential(key, column, "named like a credential", hashed))
        self._credentials_memo[key] = found
        return found

    def _lineage(self, name: str) -> list[Any]:
        """The ORM records of a class and its bases (mapped ones only)."""
        return [record for current in self._ancestors(name) if (record := self.orm.mapped(current)) is not None]

    def _ancestors(self, name: str) -> list[str]:
        """A class and its bases through the repository, canonical names, at most 32."""
        if not hasattr(self, "_bases_memo"):
            self._bases_memo = {n: list(b) for s in self.repo.summaries for n, b in s.classes.items()}
        bases = self._bases_memo
        seen: list[str] = []
        pending = [name]
        while pending and len(seen) < 32:
            current = pending.pop()
            if current in seen:
                continue
            seen.append(current)
            pending.extend(self.repo.index.canonical(base) for base in bases.get(current, ()))
        return seen

    def is_mapped(self, cls: str | None) -> bool:
        return bool(cls) and any(r.tablename for r in self._lineage(self.canonical(cls) or ""))

    def model_fields(self, cls: str) -> set[str] | None:
        """The fields of a model class the repository defines (its bases' included), or None."""
        key = self.canonical(cls) or cls
        found: set[str] = set()
        known = False
        for current in self._ancestors(key):
            if current in self.fields or current in self._bases_memo:
                known = known or current == key
                found.update(self.fields.get(current, ()))
        return found if known else None
