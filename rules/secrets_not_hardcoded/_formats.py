"""Credentials of known formats (cloud, source hosting, payment, chat, AI vendors, JWTs), by
pattern, with the fixed public prefix each format starts with; and what makes a match fake."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from rules.secrets_not_hardcoded._words import has_placeholder_word, is_repeated


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


def is_counting_run(value: str) -> bool:
    """`123`, `12345678`, `abcdef`: the whole value is the start of a counting sequence."""
    lowered = value.lower()
    return len(lowered) >= 3 and ("0123456789".startswith(lowered) or "123456789".startswith(lowered)
                                  or "abcdefghijklmnopqrstuvwxyz".startswith(lowered))


def _looks_fake(value: str, extra_placeholders: Sequence[str]) -> bool:
    return has_placeholder_word(value, extra_placeholders) or is_repeated(value)
