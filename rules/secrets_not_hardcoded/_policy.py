"""What the `secrets-not-hardcoded` rules share: the token-format table, the secret-name matcher,
the placeholder policy, masking (`reviewer.redaction.mask`), and reading literals out of libcst nodes.

The leading underscore keeps this module out of rule discovery; the rules RVW101-RVW104 import it.

Placeholder policy (the single answer to "is this literal a real secret?", used by every rule):
a value is NOT reported when it

1. is empty, has no letter or digit (`""`, `"***"`, `"!"`: also unusable-password sentinels),
   or is one character repeated (`"xxxxxxxx"`, `"00000000"`);
2. is a template: `<token>`, `[PAD]`, `${VAR}`, `$VAR`, `{{ secret }}`, `{password}`, `%(pw)s`;
3. says it must be replaced or is not real: a word such as `changeme`/`changethis`, `replace`,
   `your`, `placeholder`, `example`, `dummy`, `fake`, `mock`, `sample`, `redacted`, `todo`,
   `fixme`, `xxx`, `test`/`testing` (as a word or at a word's edge: `test-secret-key`,
   `sk_test_placeholder`, `testpass`), or a configured extra placeholder word;
4. is the bare prefix of a known token format, or that prefix followed by a body too short or too
   regular to be real (`"sk_live_"`, `"xoxb-valid"`, `"ghp_aaaa..."`, a body holding `123456789`);
5. is public by design (Stripe publishable `pk_` keys, PEM public keys and certificates,
   `ssh-rsa AAAA...` public keys, Sentry DSNs) or is a password hash (bcrypt, argon2, pbkdf2,
   crypt), which is not the secret itself.

A value bound to a secret-bearing name is also not reported when it names something rather than
being the secret (`"access_token"`, `"X-API-Key"`, `"SECRET_KEY"`, `"orders:write"`, a URL path, a
sentence), since that is a label. A password inside a URL is not reported when it is a field name
or template (`user:password@`, `user:{pw}@`), when the host is a reserved example domain, or when
the host is local and the password is a well-known default or equals the user
(`postgres:postgres@localhost`); in test code a local host or a default password is enough.

In test code and seed/fixture/factory data modules (`is_test_like_path`), values bound to names
or passed as keys are reported only when they look generated (`looks_generated`), since those
files are full of made-up credentials; all findings there are reported at the `test-severity`
option.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import PurePosixPath

from rules.secrets_not_hardcoded._formats import TOKEN_FORMATS, is_counting_run
from rules.secrets_not_hardcoded._words import has_placeholder_word, is_repeated, value_segments

_TEMPLATE = re.compile(
    r"^\s*(?:<[^<>]+>|\[[^\[\]]+\]|\$\{[^}]*\}|\{\{.*\}\}|\{[^{}]*\}|%\([^)]*\)[sdr]|%s|\$[A-Za-z_][A-Za-z0-9_]*)\s*$",
    re.DOTALL,
)


_TEMPLATE_PART = re.compile(r"\$\{[^}]*\}|\{\{[^}]*\}\}|%\([^)]*\)[sdr]|<[A-Za-z_ -]+>")


PUBLIC_VALUE = re.compile(
    r"^(?:pk_(?:live|test)_|phc_[A-Za-z0-9]{20,}$|-----BEGIN (?:RSA |EC )?PUBLIC KEY-----|-----BEGIN CERTIFICATE-----|"
    r"ssh-(?:rsa|ed25519|dss) AAAA|ecdsa-sha2-\S+ AAAA|https?://[0-9a-f]{32}@[^/\s]*sentry)"
)


PASSWORD_HASH = re.compile(
    r"^(?:\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}|\$argon2(?:id|i|d)\$\S+|\$(?:1|5|6|y|pbkdf2[-\w]*|scrypt)\$\S+|"
    r"(?:pbkdf2|bcrypt|argon2|scrypt)[_:$][\w$:.=+/-]+)$"
)


def _is_bare_format_prefix(value: str) -> bool:
    """`"sk_live_"`, `"xoxb-valid"`: a known prefix with no real token after it."""
    for token_format in TOKEN_FORMATS:
        prefix = token_format.prefix
        if prefix and len(prefix) >= 3 and value.startswith(prefix) and not token_format.pattern.search(value):
            return True
    return False


def is_placeholder(value: str, extra: Sequence[str] = ()) -> bool:
    """True when `value` is, by the documented policy, not a real secret."""
    stripped = value.strip()
    if not stripped or not re.search(r"[A-Za-z0-9]", stripped):
        return True
    if _TEMPLATE.match(stripped) or _TEMPLATE_PART.search(stripped):
        return True
    if is_repeated(stripped) or has_placeholder_word(stripped, extra) or is_counting_run(stripped):
        return True
    if stripped.endswith(("_", "-")) and len(stripped) <= 24:  # a key prefix: `polar_pat_`
        return True
    if _is_bare_format_prefix(stripped):
        return True
    if stripped.startswith("!"):  # unusable-password sentinels (`!`, `!unusable`)
        return True
    return bool(PUBLIC_VALUE.match(stripped) or PASSWORD_HASH.match(stripped))


_READABLE_IDENTIFIER = re.compile(r"^[a-z0-9]+(?:[_.-][a-z0-9]+){2,}$")


# Modules that hold made-up data on purpose, by their own name (`seeds.py`, `seed_users.py`,
# `demo_data.py`, `user_factories.py`): seed scripts, fixtures, factories, demo data. A
# directory's name says nothing of what its files are (a `fixtures/` folder may hold a whole
# example application), so it is not read.
_SEED_DATA_MODULE = re.compile(
    r"^(?:(?:seeds?|seeding|seeders?|fixtures?|factories|demo_data|sample_data)(?:_\w+)?"
    r"|\w+_(?:seeds?|seeders?|fixtures|factories|demo_data|sample_data))\.py$"
)


def is_test_like_path(path: str, is_test_file: bool) -> bool:
    """Test code as the engine defines it, and seed/fixture/factory data modules."""
    return is_test_file or _SEED_DATA_MODULE.match(PurePosixPath(path).name.lower()) is not None


def looks_generated(value: str) -> bool:
    """A value that looks machine-generated: 16+ characters without spaces, mixing letters and
    digits (or 32+ characters), with high character entropy and no words announcing what it is.
    In test code only such values are reported for names and key arguments: test fixtures are full
    of made-up credentials (`"the-access-token"`, `"s3cret"`, `"polar_rt_123"`)."""
    stripped = value.strip()
    if len(stripped) < 16 or any(char.isspace() for char in stripped):
        return False
    mixed = bool(re.search(r"[A-Za-z]", stripped)) and bool(re.search(r"[0-9]", stripped))
    if not mixed and len(stripped) < 32:
        return False
    if set(name_segments(stripped)) & (SECRET_NOUNS | {"key"}):
        return False
    if _READABLE_IDENTIFIER.match(stripped):  # `polar_cl_e2e_seed_checkout`, a UUID: not a credential
        return False
    counts = Counter(stripped)
    entropy = -sum(n / len(stripped) * math.log2(n / len(stripped)) for n in counts.values())
    return entropy >= 3.5


SECRET_NOUNS = frozenset(
    {
        "password", "passwd", "pwd", "pass", "passphrase", "passcode", "secret", "secrets", "token",
        "credential", "credentials", "creds", "apikey", "authorization",
    }
)


# `key` is a secret only with one of these before it: `api_key`, `signing_key`, `stripe_key`.
KEY_QUALIFIERS = frozenset(
    {
        "api", "secret", "access", "private", "signing", "sign", "signature", "encryption", "encrypt", "crypt",
        "crypto", "master", "client", "app", "application", "auth", "authentication", "hmac", "jwt", "session",
        "webhook", "license", "licence", "subscription", "service", "account", "admin", "root", "aes", "fernet",
        "cipher", "shared", "server", "consumer", "deploy", "ssh", "gpg", "pgp", "rsa", "storage", "write",
        "ingest", "mac", "totp", "otp", "csrf", "pusher", "openai", "anthropic", "stripe",
        "sendgrid", "mailgun", "twilio", "google", "gcp", "azure", "github", "gitlab", "slack", "resend",
        "postmark", "algolia", "mapbox", "brevo", "mailchimp", "mailjet", "aws", "s3", "minio",
    }
)


_SPLITTABLE_NOUNS = ("password", "passwd", "passphrase", "secrets", "secret", "tokens", "token", "credentials")


# Trailing words that do not change what a name holds: `SECRET_KEY_B64`, `API_KEY_PROD`, `password2`.
TRAILING_MODIFIERS = frozenset(
    {
        "value", "val", "str", "string", "raw", "bytes", "b64", "base64", "hex", "pem", "plain", "plaintext",
        "default", "fallback", "dev", "development", "prod", "production", "live", "local", "staging",
        "override", "literal", "v1", "v2", "old", "new", "current", "primary", "secondary",
    }
)


# A word before the noun that makes the name a label, a hash, a count or a deliberate wrong value.
NON_SECRET_QUALIFIERS = frozenset(
    {
        "hashed", "hash", "encrypted", "masked", "redacted", "obfuscated", "wrong", "invalid", "bad",
        "incorrect", "fake", "dummy", "mock", "example", "sample", "unusable", "pk", "fk", "col", "column",
        "field", "param", "attr", "min", "max", "num", "number", "count", "len", "length", "is", "has",
        "use", "show", "require", "requires", "required", "enable", "enabled", "allow", "verify", "check",
        "validate", "next", "prev", "previous", "page", "continuation", "cursor", "eos", "bos", "pad", "sep",
        "cls", "unk", "mask", "special", "start", "end", "stop", "begin", "public", "publishable", "site",
        "test", "placeholder", "label", "header", "env", "var", "prefix",
    }
)


_VENDORS = {
    "aws": "AWS", "stripe": "Stripe", "github": "GitHub", "gitlab": "GitLab", "slack": "Slack",
    "sendgrid": "SendGrid", "twilio": "Twilio", "mailgun": "Mailgun", "openai": "OpenAI",
    "anthropic": "Anthropic", "google": "Google", "azure": "Azure", "discord": "Discord",
}


_NOUN_KINDS = {
    "password": "password", "passwd": "password", "pwd": "password", "pass": "password",
    "passphrase": "passphrase", "passcode": "passcode", "secret": "secret", "secrets": "secret",
    "token": "token", "credential": "credentials", "credentials": "credentials", "creds": "credentials",
    "apikey": "API key", "authorization": "Authorization header credential",
}


_TOKEN_QUALIFIERS = frozenset({"access", "refresh", "auth", "bearer", "api", "bot", "session", "id", "csrf", "oauth"})


_SECRET_QUALIFIERS = frozenset({"client", "webhook", "jwt", "session", "app", "api", "signing", "cookie", "shared"})


def name_segments(name: str) -> list[str]:
    """Words of an identifier, compounds split: `OPENAI_APIKey` -> openai, api, key."""
    return list(_segments_of(name))


@functools.lru_cache(maxsize=4096)
def _segments_of(name: str) -> tuple[str, ...]:
    """`name_segments`, once per name: the secret rules ask it of every name bound to a literal,
    several times over."""
    words: list[str] = []
    for word in value_segments(name):
        if word.isdigit() and words and len(words[-1]) == 1:  # `B64`, `S3`, `V2` are one word
            words[-1] += word
        else:
            words.append(word)
    segments: list[str] = []
    for segment in words:
        for noun in _SPLITTABLE_NOUNS:
            if segment.endswith(noun) and segment != noun:
                segments.extend((segment[: -len(noun)], noun))
                break
        else:
            if segment.endswith(("key", "keys")) and segment.rstrip("s")[:-3] in KEY_QUALIFIERS:
                segments.extend((segment.rstrip("s")[:-3], "key"))
            else:
                segments.append(segment)
    return tuple(segments)


def secret_kind_of_name(name: str, extra_names: Sequence[str] = ()) -> str | None:
    """What secret a name holds (`"API key"`, `"AWS secret access key"`), or None if it holds none."""
    segments = name_segments(name)
    while segments and (segments[-1] in TRAILING_MODIFIERS or segments[-1].isdigit()):
        segments.pop()
    if not segments:
        return None
    for extra in extra_names:
        wanted = name_segments(extra)
        if wanted and segments[-len(wanted) :] == wanted:
            qualified = any(word in NON_SECRET_QUALIFIERS for word in segments[: -len(wanted)])
            return None if qualified else extra.replace("_", " ")
    noun = segments[-1]
    before = segments[:-1]
    if any(word in NON_SECRET_QUALIFIERS for word in before):
        return None
    if noun in ("key", "keys"):
        while before and before[-1] in TRAILING_MODIFIERS:  # `ENCRYPTION_LOCAL_KEY`, `API_PROD_KEY`
            before = before[:-1]
        if not before or before[-1] not in KEY_QUALIFIERS:
            return None
        kind = "API key" if before[-1] == "api" else f"{before[-1]} key"
        if before[-1] == "access" and len(before) > 1 and before[-2] == "secret":
            kind = "secret access key"
    elif noun in SECRET_NOUNS:
        kind = _NOUN_KINDS[noun]
        qualifier = before[-1] if before else ""
        if noun == "token" and qualifier in _TOKEN_QUALIFIERS:
            kind = f"{qualifier} token"
        elif noun in ("secret", "secrets") and qualifier in _SECRET_QUALIFIERS:
            kind = f"{'JWT' if qualifier == 'jwt' else qualifier} secret"
        elif noun == "token" and qualifier == "api":
            kind = "API token"
    else:
        return None
    vendor = next((_VENDORS[s] for s in segments if s in _VENDORS), None)
    return f"{vendor} {kind}" if vendor and not kind.startswith(vendor) else kind


LABEL_WORDS = frozenset(
    {
        "bearer", "basic", "digest", "token", "jwt", "oauth", "oauth2", "hs256", "hs384", "hs512", "rs256",
        "es256", "none", "null", "true", "false", "str", "string", "required", "optional", "hidden", "header",
        "cookie", "query", "body", "form", "apikey", "api_key", "password", "secret", "text", "plain",
    }
)


_SENTENCE_WORDS = frozenset(
    {
        "the", "a", "an", "your", "is", "are", "not", "invalid", "must", "please", "enter", "to", "for",
        "of", "with", "could", "cannot", "was", "be", "this", "that", "has", "have", "no", "incorrect",
        "wrong", "missing", "expired", "failed", "new", "confirm",
    }
)


_HEADER_NAMES = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie", "www-authenticate"})


ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")


_SNAKE_IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")


_CAMEL_IDENTIFIER = re.compile(r"^[a-z]+(?:[A-Z][a-z0-9]+)+$")


_AUTH_SCHEMES = re.compile(r"^(?:Bearer|Basic|Token|Bot|ApiKey|Api-Key|JWT|Digest)\s+", re.IGNORECASE)


# A relative or dotted module path: `".types"` in a generated lazy-import table.
_MODULE_PATH = re.compile(r"^\.+[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*$")
# A regular expression: a character class with a range, a class escape, a group extension.
_REGEX_SHAPE = re.compile(r"\[[^\]]*[A-Za-z0-9]-[A-Za-z0-9][^\]]*\]|\\[dwsDWSbB]|\(\?[:=!<P]")
# Words and nothing else: letters, joined by `-`, `_` or spaces, maybe ending in punctuation.
_WORDS = re.compile(r"[A-Za-z]+(?:[-_ ][A-Za-z]+)*[!?.]*")


def is_plain_words(value: str) -> bool:
    """Letters, joined by `-`, `_` or spaces (`"copilot-agent"`, `"create_workspace"`): never a
    generated credential, which mixes in digits and symbols. A person may choose such a password,
    a machine never such a key or token."""
    return bool(_WORDS.fullmatch(value.strip()))


def is_label(value: str, name: str = "") -> bool:
    """True when a value bound to `name` (a secret-bearing name) names something instead of
    holding it."""
    stripped = value.strip()
    lowered = stripped.lower()
    if lowered in LABEL_WORDS or lowered in _HEADER_NAMES:
        return True
    if re.match(r"^X-[A-Za-z0-9-]+$", stripped) or ENV_NAME.match(stripped):
        return True
    if re.fullmatch(r"[A-Z]{2,10}[!?.]*", stripped):  # sentinels and modes: `"LDAP"`, `"NONE"`, `"DONE!"`
        return True
    if stripped.startswith(("/", "./", "../", "~/")) or re.match(r"^[a-z][a-z0-9+.-]*://", lowered):
        return True
    if _MODULE_PATH.match(stripped) or _REGEX_SHAPE.search(stripped):
        return True
    words = stripped.split()
    if len(words) > 1:
        if all(re.fullmatch(r"[A-Za-z'’]+[.,:;!?]*", word) for word in words):
            return True  # text for people: `"Checking saved credentials"`
        return any(word.strip(".,:;!?'\"").lower() in _SENTENCE_WORDS for word in words) or stripped[-1] in ".!?:"
    segments = set(name_segments(stripped))
    names_a_secret = bool(segments & SECRET_NOUNS) or ("key" in segments and bool(segments & KEY_QUALIFIERS))
    if names_a_secret and re.search(r"[.:/]", stripped):
        return True  # a dotted key or scope: `settings.jwt_secret`, `tokens:write`
    # An identifier that names a secret: made only of the name's own words and secret words
    # (`"api_key"`, `"accessToken"`), or ending in a secret word (`"databricks_client_secret"`,
    # a vault entry or cookie name).
    own_words = SECRET_NOUNS | KEY_QUALIFIERS | {"key", "keys"} | set(name_segments(name))
    if names_a_secret and (_SNAKE_IDENTIFIER.match(stripped) or _CAMEL_IDENTIFIER.match(stripped)):
        return segments <= own_words or secret_kind_of_name(stripped) is not None
    return bool(re.fullmatch(r"[a-z_]+(?:[.:][a-z_]+)+", stripped))  # scopes and dotted keys


def credential_of_header(value: str) -> str:
    """The credential part of an Authorization header value (`Bearer abc` -> `abc`)."""
    return _AUTH_SCHEMES.sub("", value.strip(), count=1)
