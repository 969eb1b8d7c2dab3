"""Secrets the run identified are masked wherever text quotes them (reviewer/redaction.py)."""

from __future__ import annotations

from reviewer.redaction import Secrets, mask

TOKEN = "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
KEY = (
    "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n"
    "VJTUt9Us8cKjMzEfYyjiWA4R\n-----END PRIVATE KEY-----"
)


def test_mask_shows_at_most_a_quarter_and_never_more_than_four_characters() -> None:
    assert mask("hunter22") == "hu****"
    assert mask(TOKEN) == "ghp_****"
    assert mask("sk_live_abcdefghijklmnop", "sk_live_") == "sk_live_****"


def test_every_spelling_of_a_secret_is_masked() -> None:
    secrets = Secrets([TOKEN, KEY, 'pa"ss\\word-2024'])
    assert secrets.redact(f"body `Body(description='{TOKEN}')` x") == "body `Body(description='ghp_****')` x"
    assert "MIIE" not in secrets.redact(" ".join(KEY.split()))  # quoted with its whitespace collapsed
    assert "VJTUt9Us8cKjMzEfYyjiWA4R" not in secrets.redact("key line VJTUt9Us8cKjMzEfYyjiWA4R")
    assert secrets.redact('password = "pa\\"ss\\\\word-2024"') == 'password = "pa\\"****"'


def test_a_secret_cut_short_by_an_ellipsis_is_masked_at_either_end() -> None:
    secrets = Secrets([TOKEN])
    assert secrets.redact(f"spliced '{TOKEN[:18]}...' reaches") == "spliced 'ghp_****...' reaches"
    assert secrets.redact(f"spliced '...{TOKEN[-12:]}' reaches") == "spliced '...M3n****' reaches"
    assert secrets.redact("a few 'ghp_A...' characters") == "a few 'ghp_A...' characters", "too little to matter"


def test_short_values_and_unrelated_text_are_left_alone() -> None:
    secrets = Secrets(["abc", "longer-secret-value"])
    assert secrets.redact("abc abc longer-secret") == "abc abc longer-secret"
    assert not Secrets([]) and Secrets([]).redact("anything") == "anything"


def test_star_out_keeps_columns() -> None:
    line = f'TOKEN = "{TOKEN}"  # was {TOKEN}'
    starred = Secrets([TOKEN]).star_out(line)
    assert len(starred) == len(line) and TOKEN[4:] not in starred
    assert starred.count("ghp_" + "*" * (len(TOKEN) - 4)) == 2


def test_many_secrets_on_many_lines_are_each_found() -> None:
    values = [f"tok_{i:04}_{'x' * 8}{i * 7919:08}" for i in range(2000)]
    secrets = Secrets(values)
    text = " ".join(values[::97])
    assert secrets.ranges(text) == [(i * 26, i * 26 + 25) for i in range(len(values[::97]))]
