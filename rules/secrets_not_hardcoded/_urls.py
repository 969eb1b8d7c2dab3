"""Passwords inside URLs, DSNs and connection strings, and the defaults that are no secret."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from reviewer.redaction import mask
from rules.secrets_not_hardcoded._policy import ENV_NAME, is_placeholder

_URL_CREDENTIALS = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]{1,30})://(?P<user>[^\s:/?#@'\"]*):(?P<password>[^\s/?#'\"]*)@"
    r"(?P<host>\[[0-9a-fA-F:]+\]|[^\s/?#:'\"@]*)"
)


# An unquoted conninfo value ends at a space, a `;` or the end: one that runs into a quote is
# code that happens to assign a password (`password = os.environ.get("DB_PASSWORD")`).
_CONNINFO_PASSWORD = re.compile(r"(?i)(?:^|[\s;])(?:password|pwd)\s*=\s*(?P<password>[^\s;'\"]+)(?=[\s;]|$)")


_CONNINFO_CONTEXT = re.compile(r"(?i)(?:^|[\s;])(?:host|server|user|uid|user id|dbname|database|data source)\s*=")


_BIND_PARAMETER = re.compile(r"^(?::[A-Za-z_]\w*|\$\d+|\?|%s|%\([^)]*\)s)[,)]?$")


_FIELD_WORDS = frozenset({"password", "pass", "passwd", "pwd", "secret", "pw", "pword"})


DEFAULT_PASSWORDS = frozenset(
    {
        "postgres", "password", "pass", "passwd", "secret", "root", "admin", "guest", "test", "testing", "dev",
        "development", "example", "changeme", "mysql", "redis", "rabbitmq", "mongo", "mongodb", "minio",
        "minioadmin", "user", "default", "local", "docker", "sa", "app", "postgrespassword",
    }
)


_RESERVED_HOST = re.compile(r"(?:^|\.)(?:example\.(?:com|org|net)|example|test|invalid)$", re.IGNORECASE)


_LOCAL_HOST = re.compile(
    r"^(?:(?:[\w-]+\.)*localhost|127\.\d+\.\d+\.\d+|0\.0\.0\.0|\[::1\]|::1|host\.docker\.internal|[A-Za-z][\w-]*)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class UrlCredential:
    kind: str  # "password in URL", "password in connection string"
    password: str
    display: str  # the URL with its password masked


def credentials_in(text: str, *, in_tests: bool, extra_placeholders: Sequence[str] = ()) -> list[UrlCredential]:
    """Real-looking passwords embedded in URLs/DSNs (`scheme://user:pass@host`) or in key=value
    connection strings (`host=db password=...`), by the placeholder policy above."""
    found: list[UrlCredential] = []
    for match in _URL_CREDENTIALS.finditer(text):
        user, password, host = match.group("user"), match.group("password"), match.group("host")
        if "sentry" in host.lower() or _is_default_credential(user, password, host, in_tests, extra_placeholders):
            continue
        scheme = match.group("scheme").lower()
        kind = "password in DSN" if not scheme.startswith("http") else "password in URL"
        display = f"{match.group('scheme')}://{user}:{mask(password)}@{host}"
        found.append(UrlCredential(kind, password, display))
    if _CONNINFO_CONTEXT.search(text):
        for match in _CONNINFO_PASSWORD.finditer(text):
            password = match.group("password")
            if not _is_default_credential("", password, "", in_tests, extra_placeholders):
                found.append(UrlCredential("password in connection string", password, f"password={mask(password)}"))
    return found


def _is_default_credential(
    user: str, password: str, host: str, in_tests: bool, extra_placeholders: Sequence[str]
) -> bool:
    if not password or password.lower() in _FIELD_WORDS or "{}" in password or ENV_NAME.match(password):
        return True
    if _BIND_PARAMETER.match(password):  # SQL text binding it: `password = :password`, `$1`, `?`
        return True
    if is_placeholder(password, extra_placeholders):
        return True
    if host and _RESERVED_HOST.search(host.strip("[]")):
        return True
    default = _plain_spelling(password) in DEFAULT_PASSWORDS or password == user
    local = bool(host) and _LOCAL_HOST.match(host) is not None
    return (local or default) if in_tests else (local and default)


_LEET = str.maketrans({"@": "a", "4": "a", "3": "e", "1": "i", "!": "i", "0": "o", "$": "s", "5": "s", "7": "t"})


def _plain_spelling(password: str) -> str:
    """`P@ssw0rd!` -> `password`: a default password dressed up is still the default."""
    return password.lower().translate(_LEET).rstrip("i")
