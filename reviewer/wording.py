"""Words for people: how reports and messages count things."""

from __future__ import annotations


def plural(count: int, word: str) -> str:
    """`1 finding`, `2 findings`, `3 fixes`."""
    return f"{count} {word}{'' if count == 1 else ('es' if word.endswith('x') else 's')}"


def first_of(path: str, line: int, count: int) -> str:
    """The first of `count` places, and how many more there are: `app/api.py:12, and 3 more`."""
    return f"{path}:{line}" + (f", and {count - 1} more" if count > 1 else "")
