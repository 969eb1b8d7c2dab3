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

import base64
import binascii
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from reviewer import lazy_cst as cst
from reviewer.model import Severity
from reviewer.redaction import mask
from reviewer.rule import Rule
from reviewer.syntax import argument, keyword, string_value

CHECKLIST_ITEM = "secrets-not-hardcoded"


# --- token formats ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenFormat:
    """A credential format recognisable anywhere in a string.

    `prefix` is the public, fixed part of the format: masking may show it, and a value that is
    only the prefix plus a too-short body is a placeholder (`"sk_live_"`, `"xoxb-valid"`)."""

    kind: str
    pattern: re.Pattern[str]
    prefix: str = ""
    # The group holding the secret when the pattern also matches context around it.
    group: int = 0


def _format(kind: str, pattern: str, prefix: str = "", group: int = 0) -> TokenFormat:
    return TokenFormat(kind, re.compile(pattern), prefix, group)


# Extend by appending: kind (what the message calls it), regex, public prefix.
TOKEN_FORMATS: tuple[TokenFormat, ...] = (
    _format("AWS access key id", r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}(?![A-Z0-9])", "AKIA"),
    _format(
        "AWS secret access key",
        r"(?i:aws.{0,20}secret.{0,20}?)[\"'\s:=]+([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])",
        group=1,
    ),
    _format("GitHub token", r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b", "ghp_"),
    _format("GitHub fine-grained token", r"\bgithub_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}\b", "github_pat_"),
    _format("GitLab token", r"\bglpat-[A-Za-z0-9_-]{20,}", "glpat-"),
    _format("Stripe secret key", r"\bsk_live_[A-Za-z0-9]{20,}", "sk_live_"),
    _format("Stripe restricted key", r"\brk_live_[A-Za-z0-9]{20,}", "rk_live_"),
    _format("Stripe webhook signing secret", r"\bwhsec_[A-Za-z0-9+/=]{32,}", "whsec_"),
    _format("Slack token", r"\bxox[abposr]-(?:[0-9]{6,}-){1,3}[A-Za-z0-9-]{8,}", "xoxb-"),
    _format("Slack app token", r"\bxapp-[0-9]-[A-Z0-9]{8,}-[0-9]{8,}-[a-f0-9]{32,}", "xapp-"),
    _format(
        "Slack webhook URL",
        r"https://hooks\.slack\.com/(?:services|workflows|triggers)/T[A-Z0-9]{6,}/[A-Z0-9]{6,}/[A-Za-z0-9]{16,}",
        "https://hooks.slack.com/",
    ),
    _format(
        "Discord webhook URL",
        r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/[0-9]{15,}/[A-Za-z0-9_-]{50,}",
        "https://discord.com/api/webhooks/",
    ),
    _format("SendGrid API key", r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b", "SG."),
    _format("Twilio API key", r"\bSK[0-9a-f]{32}\b", "SK"),
    _format(
        "Twilio auth token",
        r"(?i:twilio.{0,20}(?:auth.?token|secret).{0,5}?)[\"'\s:=]+([a-f0-9]{32})\b",
        group=1,
    ),
    _format("Mailgun API key", r"\bkey-[0-9a-f]{32}\b", "key-"),
    _format("Google API key", r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])", "AIza"),
    _format("Google OAuth client secret", r"\bGOCSPX-[A-Za-z0-9_-]{28}\b", "GOCSPX-"),
    _format("Anthropic API key", r"\bsk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_-]{80,}", "sk-ant-"),
    _format(
        "OpenAI API key",
        r"\bsk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})(?![A-Za-z0-9_-])",
        "sk-",
    ),
    _format("OpenAI-style API key", r"\bsk-[A-Za-z0-9]{48}(?![A-Za-z0-9_-])", "sk-"),
    _format("Hugging Face token", r"\bhf_[A-Za-z]{34}\b", "hf_"),
    _format("npm token", r"\bnpm_[A-Za-z0-9]{36}\b", "npm_"),
    _format("PyPI token", r"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}", "pypi-"),
    _format("Shopify access token", r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b", "shpat_"),
    _format("Telegram bot token", r"(?<![0-9])[0-9]{8,10}:AA[0-9A-Za-z_-]{33}(?![0-9A-Za-z_-])"),
    _format("Azure storage account key", r"AccountKey=([A-Za-z0-9+/]{86}==)", group=1),
    _format(
        "PEM private key",
        r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----"
        r"[\s\S]{0,300}?[A-Za-z0-9+/=]{40,}",
        "-----BEGIN ",
    ),
    _format("JSON Web Token", r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}", "eyJ"),
)

# Example tokens published in vendors' documentation: real format, no real account behind them.
_DOCUMENTED_EXAMPLE_JWT_CLAIMS = (("sub", "1234567890"), ("name", "John Doe"))


@dataclass(frozen=True)
class TokenMatch:
    kind: str
    value: str
    prefix: str


# A cheap first look: a string that has none of these cannot hold any format of the table (most
# literals), so the ~30 patterns run only on the few that might. Extend it with the table.
_CANDIDATE = re.compile(
    r"AKIA|ASIA|ABIA|ACCA|aws|gh[pousr]_|github_pat_|glpat-|_live_|whsec_|xox|xapp-|hooks\.slack|discord|SG\.|"
    r"SK[0-9a-f]|twilio|key-|AIza|GOCSPX-|sk-|hf_|npm_|pypi-|shp|:AA|AccountKey=|-----BEGIN|eyJ",
    re.IGNORECASE,
)
_SHORTEST_TOKEN = 20


def find_tokens(text: str, extra_placeholders: Sequence[str] = ()) -> list[TokenMatch]:
    """Every real-looking token of a known format in `text` (placeholders left out)."""
    found: list[TokenMatch] = []
    if len(text) < _SHORTEST_TOKEN or not _CANDIDATE.search(text):
        return found
    for token_format in TOKEN_FORMATS:
        for match in token_format.pattern.finditer(text):
            value = match.group(token_format.group)
            if token_format.kind == "JSON Web Token" and _is_documented_example_jwt(value):
                continue
            if token_format.kind == "PEM private key":
                if _looks_fake(match.group(0), extra_placeholders):
                    continue
            elif _looks_fake(value, extra_placeholders) or _regular_body(value, token_format.prefix):
                continue
            found.append(TokenMatch(token_format.kind, value, token_format.prefix))
    return found


def matches_token_format(text: str) -> bool:
    if len(text) < _SHORTEST_TOKEN or not _CANDIDATE.search(text):
        return False
    return any(token_format.pattern.search(text) for token_format in TOKEN_FORMATS)


def _is_documented_example_jwt(token: str) -> bool:
    payload = token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return False
    return isinstance(claims, dict) and any(claims.get(k) == v for k, v in _DOCUMENTED_EXAMPLE_JWT_CLAIMS)


def _regular_body(value: str, prefix: str) -> bool:
    """A body too regular to be random: few distinct characters, or a counting run."""
    body = value[len(prefix) :] if prefix and value.startswith(prefix) else value
    alnum = re.sub(r"[^A-Za-z0-9]", "", body)
    return len(set(alnum)) < 6 or _has_counting_run(alnum)


def _has_counting_run(text: str) -> bool:
    lowered = text.lower()
    return any(run in lowered for run in ("123456789", "abcdefghij", "0123456789"))


def _is_counting_run(value: str) -> bool:
    """`123`, `12345678`, `abcdef`: the whole value is the start of a counting sequence."""
    lowered = value.lower()
    return len(lowered) >= 3 and ("0123456789".startswith(lowered) or "123456789".startswith(lowered)
                                  or "abcdefghijklmnopqrstuvwxyz".startswith(lowered))


def _looks_fake(value: str, extra_placeholders: Sequence[str]) -> bool:
    return _has_placeholder_word(value, extra_placeholders) or _is_repeated(value)


# --- placeholder policy -----------------------------------------------------------------------

PLACEHOLDER_WORDS = frozenset(
    {
        "changeme", "changethis", "changeit", "change", "replace", "replaceme", "your", "yours",
        "placeholder", "example", "examples", "dummy", "fake", "mock", "mocked", "sample", "redacted",
        "todo", "fixme", "xxx", "test", "testing", "tests", "notasecret", "insert", "fill", "lorem", "ipsum",
        "none", "null", "undefined", "nil", "unset", "empty", "foo", "bar", "baz", "qux", "quux", "foobar",
        "incorrect", "invalid", "wrong", "bogus", "enter", "here", "paste", "unused", "unusable",
    }
)
# Words that count even inside a longer word (`mysupersecretchangeme`, `testpass`).
_PLACEHOLDER_INFIXES = (
    "changeme", "changethis", "change_me", "changeit", "placeholder", "replaceme", "redacted", "asdf", "qwerty",
)
_PLACEHOLDER_EDGES = ("test", "dummy", "fake", "example", "sample", "mock", "your")

_TEMPLATE = re.compile(
    r"^\s*(?:<[^<>]+>|\[[^\[\]]+\]|\$\{[^}]*\}|\{\{.*\}\}|\{[^{}]*\}|%\([^)]*\)[sdr]|%s|\$[A-Za-z_][A-Za-z0-9_]*)\s*$",
    re.DOTALL,
)
_TEMPLATE_PART = re.compile(r"\$\{[^}]*\}|\{\{[^}]*\}\}|%\([^)]*\)[sdr]|<[A-Za-z_ -]+>")
_SEGMENT = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")

PUBLIC_VALUE = re.compile(
    r"^(?:pk_(?:live|test)_|-----BEGIN (?:RSA |EC )?PUBLIC KEY-----|-----BEGIN CERTIFICATE-----|"
    r"ssh-(?:rsa|ed25519|dss) AAAA|ecdsa-sha2-\S+ AAAA|https?://[0-9a-f]{32}@[^/\s]*sentry)"
)
PASSWORD_HASH = re.compile(
    r"^(?:\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53}|\$argon2(?:id|i|d)\$\S+|\$(?:1|5|6|y|pbkdf2[-\w]*|scrypt)\$\S+|"
    r"(?:pbkdf2|bcrypt|argon2|scrypt)[_:$][\w$:.=+/-]+)$"
)


def value_segments(text: str) -> list[str]:
    """Lower-case words of a value or name: `MyAPIKey-2` -> my, api, key, 2."""
    return [s.lower() for s in _SEGMENT.findall(text)]


def _has_placeholder_word(value: str, extra: Sequence[str]) -> bool:
    words = PLACEHOLDER_WORDS | {w.lower() for w in extra}
    lowered = value.lower()
    if any(infix in lowered for infix in (*_PLACEHOLDER_INFIXES, *(w.lower() for w in extra if len(w) >= 4))):
        return True
    if "example" in lowered or "xxxx" in lowered:
        return True
    for segment in value_segments(value):
        if segment in words or segment.startswith(_PLACEHOLDER_EDGES) or segment.endswith(_PLACEHOLDER_EDGES):
            return True
    return False


def _is_repeated(value: str) -> bool:
    alnum = re.sub(r"[^A-Za-z0-9]", "", value)
    return len(set(alnum.lower())) <= 1 or re.fullmatch(r"[xX*.\-_ ]+", value) is not None


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
    if _is_repeated(stripped) or _has_placeholder_word(stripped, extra) or _is_counting_run(stripped):
        return True
    if stripped.endswith(("_", "-")) and len(stripped) <= 24:  # a key prefix: `polar_pat_`
        return True
    if _is_bare_format_prefix(stripped):
        return True
    if stripped.startswith("!"):  # unusable-password sentinels (`!`, `!unusable`)
        return True
    return bool(PUBLIC_VALUE.match(stripped) or PASSWORD_HASH.match(stripped))


_READABLE_IDENTIFIER = re.compile(r"^[a-z0-9]+(?:[_.-][a-z0-9]+){2,}$")
# Files that hold made-up data on purpose: seed scripts, fixtures, factories, demo data.
_SEED_DATA_PATH = re.compile(
    r"(?:^|[/_])(?:seeds?|seeding|fixtures?|factories|demo_data|sample_data)(?:[/_.]|$)"
)


def is_test_like_path(path: str, is_test_file: bool) -> bool:
    """Test code as the engine defines it, and seed/fixture/factory data modules."""
    return is_test_file or _SEED_DATA_PATH.search(path.lower()) is not None


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


# --- secret-bearing names ---------------------------------------------------------------------

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
    return segments


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


# --- labels: values that name a secret rather than hold one -----------------------------------

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
_ENV_NAME = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$")
_SNAKE_IDENTIFIER = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)+$")
_CAMEL_IDENTIFIER = re.compile(r"^[a-z]+(?:[A-Z][a-z0-9]+)+$")
_AUTH_SCHEMES = re.compile(r"^(?:Bearer|Basic|Token|Bot|ApiKey|Api-Key|JWT|Digest)\s+", re.IGNORECASE)


def is_label(value: str, name: str = "") -> bool:
    """True when a value bound to `name` (a secret-bearing name) names something instead of
    holding it."""
    stripped = value.strip()
    lowered = stripped.lower()
    if lowered in LABEL_WORDS or lowered in _HEADER_NAMES:
        return True
    if re.match(r"^X-[A-Za-z0-9-]+$", stripped) or _ENV_NAME.match(stripped):
        return True
    if re.fullmatch(r"[A-Z]{2,10}", stripped):  # sentinels and modes: `"LDAP"`, `"OIDC"`, `"NONE"`
        return True
    if stripped.startswith(("/", "./", "../", "~/")) or re.match(r"^[a-z][a-z0-9+.-]*://", lowered):
        return True
    words = stripped.split()
    if len(words) > 1:
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


# --- credentials inside URLs and connection strings -------------------------------------------

_URL_CREDENTIALS = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]{1,30})://(?P<user>[^\s:/?#@'\"]*):(?P<password>[^\s/?#'\"]*)@"
    r"(?P<host>\[[0-9a-fA-F:]+\]|[^\s/?#:'\"@]*)"
)
_CONNINFO_PASSWORD = re.compile(r"(?i)(?:^|[\s;])(?:password|pwd)\s*=\s*(?P<password>[^\s;'\"]+)")
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
    if not password or password.lower() in _FIELD_WORDS or "{}" in password or _ENV_NAME.match(password):
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


# --- literals ---------------------------------------------------------------------------------

# Calls that turn a literal into the key bytes: `"k".encode()`, `bytes.fromhex("...")`.
KEY_DECODERS = frozenset(
    {"builtins.bytes.fromhex", "base64.b64decode", "base64.urlsafe_b64decode", "binascii.unhexlify", "builtins.bytes"}
)
# Wrappers whose first argument (or `default=`) is the value itself.
VALUE_WRAPPERS = frozenset(
    {
        "pydantic.SecretStr", "pydantic.SecretBytes", "pydantic.types.SecretStr", "pydantic.types.SecretBytes",
        "pydantic.v1.SecretStr", "starlette.datastructures.Secret", "starlette.config.Secret",
    }
)
FIELD_FUNCTIONS = frozenset(
    {
        "pydantic.Field", "pydantic.fields.Field", "sqlmodel.Field", "dataclasses.field", "attrs.field", "attr.ib",
        "fastapi.Query", "fastapi.Header", "fastapi.Cookie", "fastapi.Body", "fastapi.Form",
        "fastapi.params.Query", "fastapi.params.Header", "fastapi.params.Cookie", "fastapi.params.Body",
    }
)


def literal_text(node: cst.BaseExpression) -> str | None:
    """The text of a string or bytes literal, implicitly concatenated or not; f-string
    expressions become `{}` (so a password that is an expression reads as a template)."""
    if isinstance(node, cst.ConcatenatedString):
        left, right = literal_text(node.left), literal_text(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, cst.FormattedString):
        return "".join(part.value if isinstance(part, cst.FormattedStringText) else "{}" for part in node.parts)
    return string_value(node)


def is_plain_literal(node: cst.BaseExpression) -> bool:
    """A string/bytes literal with no f-string expression in it."""
    if isinstance(node, cst.SimpleString):
        return True
    if isinstance(node, cst.ConcatenatedString):
        return is_plain_literal(node.left) and is_plain_literal(node.right)
    if isinstance(node, cst.FormattedString):
        return all(isinstance(part, cst.FormattedStringText) for part in node.parts)
    return False


def unwrap_value(node: cst.BaseExpression, qualify: Callable[[cst.BaseExpression], str | None]) -> cst.BaseExpression:
    """The literal a value expression carries: `SecretStr("x")`, `Field("x")`, `Field(default="x")`,
    `"x".encode()`, `bytes.fromhex("...")`; otherwise the expression itself."""
    for _ in range(3):
        if not isinstance(node, cst.Call):
            return node
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "encode" and not node.args:
            node = func.value
            continue
        name = qualify(func)
        if name in VALUE_WRAPPERS or name in KEY_DECODERS:
            first = argument(node, 0, "value")
            if first is None:
                return node
            node = first.value
        elif name in FIELD_FUNCTIONS:
            default = keyword(node, "default") or (
                argument(node, 0, "default") if name.startswith(("pydantic", "sqlmodel", "fastapi")) else None
            )
            if default is None:
                return node
            node = default.value
        else:
            return node
    return node


def target_name(node: cst.BaseExpression) -> str | None:
    """The name a value is bound to: `x`, `self.x`, `config["x"]`, `os.environ["X"]`."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.Subscript) and len(node.slice) == 1:
        index = node.slice[0].slice
        if isinstance(index, cst.Index) and isinstance(index.value, (cst.SimpleString, cst.ConcatenatedString)):
            return literal_text(index.value)
    return None


def expression_statement_strings(body: Iterable[cst.BaseStatement]) -> list[cst.BaseExpression]:
    """String literals that stand alone as statements (docstrings, string comments)."""
    found = []
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Expr) and isinstance(
                    small.value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)
                ):
                    found.append(small.value)
    return found


# --- the rules' common base -------------------------------------------------------------------


# Names whose values are documentation (OpenAPI examples), not configuration.
EXAMPLE_NAMES = frozenset(
    {"example", "examples", "json_schema_extra", "schema_extra", "openapi_examples", "openapi_extra"}
)


class SecretRule(Rule):
    """Common behaviour of the secrets rules: checklist, severity in test code, masking, and
    knowing when the walk is inside an OpenAPI example (`Field(examples=[...])`,
    `json_schema_extra={...}`), whose values are documentation. Subclasses that define
    `visit_Assign`, `visit_AnnAssign`, `visit_Arg` or `visit_DictElement` call `super()`."""

    checklist = CHECKLIST_ITEM
    severity = Severity.ERROR
    reveals_secret = True
    options: ClassVar[dict[str, Any]] = {
        "test-severity": Severity.INFO,
        "extra-placeholders": [],
    }

    def __init__(self, context, options) -> None:  # noqa: ANN001
        super().__init__(context, options)
        self._example_regions: list[cst.CSTNode] = []

    @property
    def in_test_code(self) -> bool:
        """Test code (`tests/`, `conftest.py`, `test_*.py`) and seed/fixture data modules
        (`scripts/seeds.py`, `app/fixtures/`), whose credentials are made up on purpose."""
        return is_test_like_path(self.context.path, self.context.is_test_file)

    def default_severity(self) -> Severity:
        """Findings in test code are reported at the `test-severity` option (info unless
        configured)."""
        if self.in_test_code:
            return self.config.get("test-severity", Severity.INFO)
        return super().default_severity()

    @property
    def extra_placeholders(self) -> list[str]:
        return list(self.config.get("extra-placeholders", []))

    def in_example(self) -> bool:
        return bool(self._example_regions)

    def _enter_example(self, node: cst.CSTNode, name: str | None) -> None:
        if name in EXAMPLE_NAMES:
            self._example_regions.append(node)

    def _leave_example(self, node: cst.CSTNode) -> None:
        if self._example_regions and self._example_regions[-1] is node:
            self._example_regions.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._enter_example(node, target_name(target.target))

    def leave_Assign(self, original_node: cst.Assign) -> None:
        self._leave_example(original_node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._enter_example(node, target_name(node.target))

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        self._leave_example(original_node)

    def visit_Arg(self, node: cst.Arg) -> None:
        self._enter_example(node, node.keyword.value if node.keyword is not None else None)

    def leave_Arg(self, original_node: cst.Arg) -> None:
        self._leave_example(original_node)

    def visit_DictElement(self, node: cst.DictElement) -> None:
        self._enter_example(node, literal_text(node.key) if is_plain_literal(node.key) else None)

    def leave_DictElement(self, original_node: cst.DictElement) -> None:
        self._leave_example(original_node)


# --- signing sinks ----------------------------------------------------------------------------


@dataclass(frozen=True)
class SigningSink:
    """Where a call takes its key: position and keyword, and what the key is called."""

    index: int
    keyword: str
    kind: str


_ITSDANGEROUS = (
    "URLSafeTimedSerializer", "URLSafeSerializer", "TimedSerializer", "Serializer", "Signer", "TimestampSigner",
    "JSONWebSignatureSerializer", "TimedJSONWebSignatureSerializer",
)
SIGNING_SINKS: dict[str, SigningSink] = {
    "jwt.encode": SigningSink(1, "key", "JWT signing key"),
    "jwt.decode": SigningSink(1, "key", "JWT verification key"),
    "jwt.api_jwt.encode": SigningSink(1, "key", "JWT signing key"),
    "jwt.api_jwt.decode": SigningSink(1, "key", "JWT verification key"),
    "jose.jwt.encode": SigningSink(1, "key", "JWT signing key"),
    "jose.jwt.decode": SigningSink(1, "key", "JWT verification key"),
    "jose.jws.sign": SigningSink(1, "key", "JWS signing key"),
    "jose.jws.verify": SigningSink(1, "key", "JWS verification key"),
    "authlib.jose.jwt.encode": SigningSink(2, "key", "JWT signing key"),
    "authlib.jose.jwt.decode": SigningSink(1, "key", "JWT verification key"),
    "joserfc.jwt.encode": SigningSink(2, "key", "JWT signing key"),
    "joserfc.jwt.decode": SigningSink(1, "key", "JWT verification key"),
    "hmac.new": SigningSink(0, "key", "HMAC key"),
    "hmac.digest": SigningSink(0, "key", "HMAC key"),
    "cryptography.fernet.Fernet": SigningSink(0, "key", "Fernet encryption key"),
    "starlette.middleware.sessions.SessionMiddleware": SigningSink(1, "secret_key", "session signing key"),
    "fastapi_users.authentication.JWTStrategy": SigningSink(0, "secret", "JWT signing key"),
    "fastapi_users.authentication.strategy.JWTStrategy": SigningSink(0, "secret", "JWT signing key"),
    **{f"itsdangerous.{name}": SigningSink(0, "secret_key", "itsdangerous signing key") for name in _ITSDANGEROUS},
    **{
        f"itsdangerous.{module}.{name}": SigningSink(0, "secret_key", "itsdangerous signing key")
        for module in ("url_safe", "serializer", "timed", "signer", "jws")
        for name in _ITSDANGEROUS
    },
}


def signing_key_argument(
    call: cst.Call, qualify: Callable[[cst.BaseExpression], str | None]
) -> tuple[str, SigningSink, cst.Arg | None] | None:
    """The signing call `call` makes (directly, or as `app.add_middleware(SessionMiddleware, ...)`,
    where the class takes the place of the app argument) and the argument holding its key."""
    callee = qualify(call.func)
    sink = SIGNING_SINKS.get(callee or "")
    if sink is None and isinstance(call.func, cst.Attribute) and call.func.attr.value == "add_middleware" and call.args:
        callee = qualify(call.args[0].value)
        sink = SIGNING_SINKS.get(callee or "")
    if sink is None or callee is None:
        return None
    return callee, sink, argument(call, sink.index, sink.keyword)


class LiteralScanningRule(SecretRule):
    """A secrets rule that reads every string literal once: an implicitly concatenated string or
    an f-string whole (not its parts again), and not docstrings or other string statements."""

    def __init__(self, context, options) -> None:  # noqa: ANN001
        super().__init__(context, options)
        self._documentation: set[cst.CSTNode] = set()
        self._string_depth = 0

    def check_literal(self, node: cst.BaseExpression, text: str) -> None:
        raise NotImplementedError

    def visit_Module(self, node: cst.Module) -> None:
        self._documentation.update(expression_statement_strings(node.body))

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._documentation.update(expression_statement_strings(node.body))

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        self._scan(node)

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> None:
        self._scan(node)
        self._string_depth += 1

    def leave_ConcatenatedString(self, original_node: cst.ConcatenatedString) -> None:
        self._string_depth -= 1

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        self._scan(node)
        self._string_depth += 1

    def leave_FormattedString(self, original_node: cst.FormattedString) -> None:
        self._string_depth -= 1

    def _scan(self, node: cst.BaseExpression) -> None:
        if self._string_depth or node in self._documentation or self.in_example():
            return
        text = literal_text(node)
        if text:
            self.check_literal(node, text)
