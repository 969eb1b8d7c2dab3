"""The words that mark a value as a placeholder rather than a secret (`changeme`, `your-...`,
`test-...`), and how a value is split into words to look for them."""

from __future__ import annotations

import re
from collections.abc import Sequence

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
    "fillmein", "fill_me_in", "fill-me-in",
)


_PLACEHOLDER_EDGES = ("test", "dummy", "fake", "example", "sample", "mock", "your")


_SEGMENT = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def value_segments(text: str) -> list[str]:
    """Lower-case words of a value or name: `MyAPIKey-2` -> my, api, key, 2."""
    return [s.lower() for s in _SEGMENT.findall(text)]


def has_placeholder_word(value: str, extra: Sequence[str]) -> bool:
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


def is_repeated(value: str) -> bool:
    alnum = re.sub(r"[^A-Za-z0-9]", "", value)
    return len(set(alnum.lower())) <= 1 or re.fullmatch(r"[xX*.\-_ ]+", value) is not None
