"""Words for people: how reports and messages count things."""

from __future__ import annotations


def plural(count: int, word: str) -> str:
    """`1 finding`, `2 findings`, `3 fixes`."""
    return f"{count} {word}{'' if count == 1 else ('es' if word.endswith('x') else 's')}"
