"""What the password analysis knows of names and libraries: which names hold a password (and which
hold its hash), which names speak of users, and the hashing APIs by qualified name. Data and
small predicates only.

Names never decide on their own: the analysis asks them where a value comes from (a request field
named `password`) and where it goes (a column named `password_hash`), and a finding needs both ends.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Words that name a password-equivalent value: a user's or a service's password, a PIN.
PASSWORD_WORDS = frozenset({
    "password", "passwd", "passphrase", "passcode", "pwd", "pincode", "passwort", "pw", "pword",
})
# Segments that say the name holds something about a password, not the password itself
# (`password_hash`, `password_min_length`, `is_password_set`, `password_reset_token`).
NOT_RAW = frozenset({
    "hash", "hashed", "hashes", "digest", "salt", "salted", "token", "tokens", "reset", "policy", "length", "len",
    "min", "max", "rule", "rules", "regex", "pattern", "field", "fields", "required", "require", "enabled",
    "enable", "disabled", "expires", "expiry", "expiration", "expired", "changed", "updated", "created", "at",
    "date", "time", "timestamp", "count", "attempts", "attempt", "retries", "hint", "strength", "algo",
    "algorithm", "scheme", "schemes", "iterations", "rounds", "url", "uri", "file", "path", "env", "var", "id",
    "manager", "context", "ctx", "hasher", "encrypted", "enc", "cipher", "ciphertext", "crypt", "crypted",
    "mask", "masked", "header", "label", "placeholder", "prompt", "widget", "flow", "grant", "mode", "type",
    "kind", "strategy", "provider", "validator", "validation", "check", "checker", "ok", "valid", "is", "has",
    "needs", "must", "should", "show", "visible", "key", "ref", "reference", "name", "set", "protected",
    "locked", "version", "history", "last", "memory", "arn", "storage",
})
HASH_WORDS = frozenset({"hash", "hashed", "digest", "crypt", "crypted", "encrypted", "enc"})

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD_WITH_DIGITS = re.compile(r"^([a-z]+?)\d+$")


def segments(name: str) -> list[str]:
    """`newPassword2` -> ["new", "password2"]; `user_pass` -> ["user", "pass"]."""
    return [part for part in _CAMEL.sub("_", name).lower().replace("-", "_").split("_") if part]


def _names_password(segment: str) -> bool:
    match = _WORD_WITH_DIGITS.match(segment)
    word = match.group(1) if match else segment
    return word in PASSWORD_WORDS or word.endswith(("password", "passwd", "passphrase"))


# Words that name a password only at the end of a name (or before "code"/"number"): `user_pin`,
# `pin_code`, `user_pass`, but not `pin_memory`, `pass_through`.
_TRAILING_WORDS = frozenset({"pin", "pass"})


@lru_cache(maxsize=4096)
def is_password_name(name: str) -> bool:
    """A name for the password itself: `password`, `new_password`, `plainPassword`, `pin`,
    `user_pass`; not `password_hash`, `password_reset_token`, `is_password_set`, `pin_memory`."""
    parts = segments(name)
    if not parts or any(part in NOT_RAW for part in parts):
        return False
    for index, part in enumerate(parts):
        if part in _TRAILING_WORDS:
            following = parts[index + 1:]
            if not following or following in (["code"], ["number"]):
                return part != "pass" or index > 0
        elif _names_password(part):
            return True
    return False


@lru_cache(maxsize=4096)
def is_password_hash_name(name: str) -> bool:
    """A name for a stored password hash: `password_hash`, `hashed_password`, `pin_hash`, `pwd_digest`."""
    parts = segments(name)
    named = any(_names_password(part) or part in _TRAILING_WORDS for part in parts)
    return named and any(part in HASH_WORDS for part in parts)


@lru_cache(maxsize=4096)
def is_password_field(name: str) -> bool:
    """Where a password (or its hash) is kept: either kind of name."""
    return is_password_name(name) or is_password_hash_name(name)


# High-entropy secrets a `SecretStr` field may hold: hashing them fast is fine.
_TOKEN_WORDS = frozenset({"token", "key", "secret", "api", "apikey", "signature", "nonce", "otp", "totp", "code"})


@lru_cache(maxsize=4096)
def is_token_name(name: str) -> bool:
    return any(part in _TOKEN_WORDS for part in segments(name))


# Words of function and callee names that speak of the accounts a password unlocks.
USER_WORDS = frozenset({
    "user", "users", "account", "accounts", "member", "members", "customer", "customers", "admin", "admins",
    "principal", "principals", "profile", "profiles", "employee", "employees",
    "staff", "student", "students", "subscriber", "subscribers", "player", "players", "person", "people",
    "superuser", "superusers",
})
# Words of a function's own name that say it logs an account in or creates one.
SIGN_IN_WORDS = frozenset({
    "login", "logon", "signin", "signup", "register", "registration", "authenticate", "authentication",
})


@lru_cache(maxsize=4096)
def speaks_of_users(dotted: str) -> bool:
    """`crud.user.get_by_email`, `get_user`, `UserRepository.find`."""
    return any(part in USER_WORDS for chunk in dotted.split(".") for part in segments(chunk))


@lru_cache(maxsize=4096)
def signs_in(name: str) -> bool:
    """A function named for logging in or signing up: `login`, `register_account`, `authenticate`."""
    return any(part in SIGN_IN_WORDS or part in USER_WORDS for part in segments(name))


# SQL that reads or writes a table of accounts.
USER_TABLE_SQL = re.compile(
    r"(?is)\b(?:from|into|update|join)\s+[\"`\[]?\w*(?:user|account|member|customer|admin|login)s?\w*\b"
)

# Fast digests, by the names hashlib and `hashlib.new` know them.
FAST_HASH_NAMES = frozenset({
    "md4", "md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha512_224", "sha512_256", "sha3_224",
    "sha3_256", "sha3_384", "sha3_512", "blake2b", "blake2s", "shake_128", "shake_256", "ripemd160", "sm3",
})
FAST_HASHES = frozenset({f"hashlib.{name}" for name in FAST_HASH_NAMES} | {
    f"{package}.Hash.{name}.new"
    for package in ("Crypto", "Cryptodome")
    for name in ("MD5", "SHA1", "SHA224", "SHA256", "SHA384", "SHA512", "SHA3_256", "SHA3_512", "BLAKE2b", "MD4")
})
HASHLIB_NEW = "hashlib.new"
CRYPTOGRAPHY_HASH = "cryptography.hazmat.primitives.hashes.Hash"
HMACS = frozenset({"hmac.new", "hmac.HMAC", "hmac.digest"})
PBKDF2_HMAC = "hashlib.pbkdf2_hmac"
PBKDF2_CLASSES = frozenset({
    "cryptography.hazmat.primitives.kdf.pbkdf2.PBKDF2HMAC",
})
# Digest and comparison helpers that keep a value what it is for this analysis.
COMPARISONS = frozenset({"hmac.compare_digest", "secrets.compare_digest"})
ENCODINGS = frozenset({
    "base64.b64encode", "base64.urlsafe_b64encode", "base64.standard_b64encode", "base64.b32encode",
    "base64.b16encode", "base64.encodebytes", "binascii.hexlify", "binascii.b2a_hex", "binascii.b2a_base64",
    "codecs.encode", "builtins.str", "builtins.bytes", "builtins.bytearray", "builtins.memoryview",
})
# Methods that return their receiver's value re-encoded (a password stays a password, a digest a digest).
SAME_VALUE_METHODS = frozenset({
    "encode", "decode", "strip", "lstrip", "rstrip", "lower", "upper", "casefold", "get_secret_value", "hex",
    "hexdigest", "digest", "copy", "ljust", "rjust", "zfill", "normalize",
})

# Calls and packages that hash passwords slowly: a fast digest handed to one is a pre-hash
# (Dropbox's bcrypt(sha512(password)) against bcrypt's 72-byte limit), not the stored hash.
STRONG_PACKAGES = ("bcrypt.", "argon2.", "passlib.", "pwdlib.", "nacl.pwhash.", "scrypt.", "flask_bcrypt.")
STRONG_CALLS = frozenset({"hashlib.scrypt", "werkzeug.security.generate_password_hash",
                          "werkzeug.security.check_password_hash", "django.contrib.auth.hashers.make_password",
                          "django.contrib.auth.hashers.check_password"})
STRONG_FACTORIES = frozenset({
    "passlib.context.CryptContext", "argon2.PasswordHasher", "argon2.PasswordHasher.from_parameters",
    "pwdlib.PasswordHash", "pwdlib.PasswordHash.recommended", "flask_bcrypt.Bcrypt",
})
STRONG_METHODS = frozenset({"hash", "verify", "hashpw", "checkpw", "encrypt", "verify_and_update",
                            "generate_password_hash", "check_password_hash"})
# Outbound HTTP: a digest sent there is what a remote protocol asks for (k-anonymity prefixes,
# legacy vendor logins), not what this application stores.
HTTP_PACKAGES = ("requests.", "httpx.", "aiohttp.", "urllib.request.", "urllib3.")

# passlib: schemes that are fast or unsalted, by handler name. Formats other systems' logins
# require (`postgres_md5`, `mysql41`, `htdigest`, `apr_md5_crypt` for htpasswd files, `nthash`)
# are left out: the protocol mandates them.
WEAK_PASSLIB_SCHEMES = frozenset({
    "md5_crypt", "sha1_crypt", "des_crypt", "bsdi_crypt", "bigcrypt", "crypt16", "plaintext",
    "ldap_plaintext", "ldap_md5", "ldap_salted_md5", "ldap_sha1", "ldap_salted_sha1", "ldap_salted_sha256",
    "ldap_salted_sha512", "ldap_des_crypt", "ldap_bsdi_crypt", "ldap_md5_crypt", "ldap_sha1_crypt",
    "ldap_hex_md5", "ldap_hex_sha1", "hex_md4", "hex_md5", "hex_sha1", "hex_sha256", "hex_sha512", "phpass",
    "django_salted_md5", "django_salted_sha1", "django_des_crypt", "roundup_plaintext",
})
PASSLIB_CONTEXT = "passlib.context.CryptContext"
PASSLIB_HANDLERS = "passlib.hash."
PASSLIB_HASHING_METHODS = frozenset({"hash", "encrypt", "genhash"})
# passlib application contexts whose default scheme is weak.
WEAK_PASSLIB_CONTEXTS = {
    "passlib.apps.ldap_context": "ldap_salted_sha1",
    "passlib.apps.ldap_nocrypt_context": "ldap_salted_sha1",
    "passlib.apps.phpass_context": "phpass",
    "passlib.apps.roundup15_context": "ldap_hex_sha1",
}
PBKDF2_HANDLERS = frozenset({
    "pbkdf2_sha1", "pbkdf2_sha256", "pbkdf2_sha512", "django_pbkdf2_sha1", "django_pbkdf2_sha256",
    "ldap_pbkdf2_sha1", "ldap_pbkdf2_sha256", "ldap_pbkdf2_sha512", "atlassian_pbkdf2_sha1", "cta_pbkdf2_sha1",
    "dlitz_pbkdf2_sha1", "grub_pbkdf2_sha512",
})
WERKZEUG_HASH = "werkzeug.security.generate_password_hash"
DJANGO_MAKE_PASSWORD = "django.contrib.auth.hashers.make_password"
WEAK_DJANGO_HASHERS = frozenset({"md5", "unsalted_md5", "sha1", "unsalted_sha1", "crypt"})

# LDAP `userPassword` values built by hand: the scheme prefix says the digest is a password's.
LDAP_FAST_PREFIXES = ("{SSHA}", "{SHA}", "{SMD5}", "{MD5}", "{SSHA256}", "{SSHA384}", "{SSHA512}", "{SHA256}",
                      "{SHA384}", "{SHA512}")

# Where FastAPI hands a login form over.
OAUTH2_FORMS = frozenset({
    "fastapi.security.OAuth2PasswordRequestForm",
    "fastapi.security.OAuth2PasswordRequestFormStrict",
    "fastapi.security.oauth2.OAuth2PasswordRequestForm",
    "fastapi.security.oauth2.OAuth2PasswordRequestFormStrict",
})
REQUEST_CLASSES = frozenset({
    "fastapi.Request", "fastapi.requests.Request", "starlette.requests.Request",
})
SECRET_TYPES = frozenset({"pydantic.SecretStr", "pydantic.types.SecretStr", "pydantic.SecretBytes",
                          "pydantic.v1.SecretStr"})

# Classes whose instances are rows of a database table (or documents of a collection).
ORM_BASES = frozenset({
    "sqlalchemy.orm.DeclarativeBase", "sqlalchemy.orm.DeclarativeBaseNoMeta", "sqlalchemy.orm.decl_api.DeclarativeBase",
    "sqlalchemy.orm.MappedAsDataclass", "beanie.Document", "odmantic.Model", "tortoise.models.Model",
    "tortoise.Model", "ormar.Model", "peewee.Model", "mongoengine.Document", "django.db.models.Model",
    "piccolo.table.Table", "pynamodb.models.Model",
    "fastapi_users_db_sqlalchemy.SQLAlchemyBaseUserTable", "fastapi_users_db_sqlalchemy.SQLAlchemyBaseUserTableUUID",
})
DECLARATIVE_FACTORIES = frozenset({
    "sqlalchemy.orm.declarative_base", "sqlalchemy.ext.declarative.declarative_base",
    "sqlalchemy.orm.decl_api.declarative_base",
})
COLUMN_CALLS = frozenset({
    "sqlalchemy.Column", "sqlalchemy.schema.Column", "sqlalchemy.orm.mapped_column", "sqlalchemy.orm.column_property",
    "sqlmodel.Field", "sqlalchemy.sql.schema.Column",
})
MAPPED = frozenset({"sqlalchemy.orm.Mapped"})
# Calls that read rows of a model named by their first argument.
MODEL_QUERIES = frozenset({"sqlalchemy.select", "sqlmodel.select", "sqlalchemy.future.select"})
MODEL_WRITES = frozenset({"sqlalchemy.insert", "sqlalchemy.update", "sqlmodel.insert", "sqlmodel.update",
                          "sqlalchemy.dialects.postgresql.insert", "sqlalchemy.dialects.sqlite.insert"})
# Document-store writes: `db.users.insert_one({...})`.
DOCUMENT_WRITES = frozenset({"insert_one", "insert_many", "update_one", "update_many", "replace_one",
                             "find_one_and_update", "find_one_and_replace"})
# Validators and property setters: the value they are handed is the field's.
FIELD_VALIDATORS = {
    "pydantic.field_validator": 0, "pydantic.validator": 0, "pydantic.v1.validator": 0,
    "pydantic.functional_validators.field_validator": 0, "sqlalchemy.orm.validates": 1,
}
