"""Secrets the run identified, kept out of everything it prints.

A rule whose findings are secrets (`Rule.reveals_secret`) records the value it found with each
finding (`Finding.secret`, never written to a report). The engine gathers those values over the
whole run, suppressed findings included, and passes every message, fix, error and report field
through `Secrets.redact` before any reporter sees it: another rule's message that quotes the same
code (an annotation, a spliced expression, a fix's replacement text) shows the secret masked too.
Reporters that show source text (the HTML excerpts) star out `Secrets.ranges` in place.

Messages quote code in their own ways, so a secret is looked for as written, as a Python or JSON
string body would escape it, with its whitespace collapsed, line by line, and cut short by a
quote that ends (or starts) with `...`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from typing import Any, TypeVar

from reviewer.model import Edit, FileError, Finding, Fix

# A value shorter than this is masked where a rule flagged it, never by value: a short password
# such as `"1234"` would otherwise star out unrelated numbers in every message.
MIN_VALUE = 4
# A secret cut short in a quote (`'ghp_A1b2C3...'`) is masked when at least this much of it shows.
MIN_FRAGMENT = 6
# A line of a multi-line secret (a PEM key's base64 body) is masked on its own from this length.
MIN_LINE = 12
ELLIPSES = ("...", "…")

T = TypeVar("T")


def mask(value: str, prefix: str = "") -> str:
    """A value with everything but a short, non-secret head replaced by `****`.

    A token format's public prefix may be shown (`sk_live_****`); otherwise at most a quarter of
    the value and never more than four characters (`hunter2` -> `h****`)."""
    if prefix and value.startswith(prefix):
        shown = prefix
    else:
        shown = value[: min(4, len(value) // 4)]
    return shown.replace("\n", "") + "****"


def shown_head(length: int) -> int:
    """How many leading characters of a secret of `length` characters `mask` shows."""
    return min(4, length // 4)


def _variants(value: str) -> set[str]:
    """The spellings under which a secret may appear in a message or a line of code."""
    forms = {value, value.strip(), " ".join(value.split()), repr(value)[1:-1], json.dumps(value)[1:-1]}
    forms.update(line.strip() for line in value.splitlines() if len(line.strip()) >= MIN_LINE)
    return {form for form in forms if len(form) >= MIN_VALUE}


class Secrets:
    """Every secret value of a run, and how to keep them out of text.

    Looked up by their first `MIN_VALUE` characters (and, for tails cut short, by every run of
    that many characters in them), so the cost of a line grows with its length, not with the
    number of secrets: a file with thousands of them is masked as fast as one with a few."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        forms: set[str] = set()
        for value in values:
            forms |= _variants(value)
        self._longest = max(map(len, forms), default=0)
        # Head -> the forms starting with it, longest first (a value that contains another is
        # masked whole).
        self._by_head: dict[str, list[str]] = {}
        for form in sorted(forms, key=lambda form: (-len(form), form)):
            self._by_head.setdefault(form[:MIN_VALUE], []).append(form)
        self._by_piece: dict[str, list[tuple[str, int]]] | None = None

    def __bool__(self) -> bool:
        return bool(self._by_head)

    def ranges(self, text: str) -> list[tuple[int, int]]:
        """Where secrets are in `text`: sorted, merged `[start, end)` ranges."""
        if not self._by_head or len(text) < MIN_VALUE:
            return []
        found: list[tuple[int, int]] = []
        for start in range(len(text) - MIN_VALUE + 1):
            for form in self._by_head.get(text[start : start + MIN_VALUE], ()):
                if text.startswith(form, start):
                    found.append((start, start + len(form)))
                    break
        for marker in ELLIPSES:
            at = text.find(marker)
            while at >= 0:
                found.extend(self._cut_short(text, at, at + len(marker)))
                at = text.find(marker, at + 1)
        return _merged(found)

    def _cut_short(self, text: str, before: int, after: int) -> list[tuple[int, int]]:
        """A secret's head that ends at `before`, or its tail that starts at `after` (a quote
        shortened with an ellipsis there)."""
        found = []
        for start in range(max(0, before - self._longest), before - MIN_FRAGMENT + 1):
            shown = text[start:before]
            candidates = self._by_head.get(shown[:MIN_VALUE], ())
            if any(len(form) > len(shown) and form.startswith(shown) for form in candidates):
                found.append((start, before))
                break
        for form, offset in self._pieces().get(text[after : after + MIN_VALUE], ()):
            tail = form[offset:]
            if len(tail) >= MIN_FRAGMENT and text.startswith(tail, after):
                found.append((after, after + len(tail)))
        return found

    def _pieces(self) -> dict[str, list[tuple[str, int]]]:
        """Every run of `MIN_VALUE` characters inside a form (not at its start), with where."""
        if self._by_piece is None:
            self._by_piece = {}
            for forms in self._by_head.values():
                for form in forms:
                    for offset in range(1, len(form) - MIN_FRAGMENT + 1):
                        self._by_piece.setdefault(form[offset : offset + MIN_VALUE], []).append((form, offset))
        return self._by_piece

    def redact(self, text: str) -> str:
        """`text` with each secret in it replaced by its mask (`ghp_****`)."""
        ranges = self.ranges(text)
        if not ranges:
            return text
        pieces, position = [], 0
        for start, end in ranges:
            pieces += [text[position:start], mask(text[start:end])]
            position = end
        pieces.append(text[position:])
        return "".join(pieces)

    def star_out(self, text: str) -> str:
        """`text` with each secret starred out in place, but for the head `mask` shows: the
        length stays, so columns of the line stay where they were."""
        chars = list(text)
        for start, end in self.ranges(text):
            for column in range(start + shown_head(end - start), end):
                chars[column] = "*"
        return "".join(chars)

    def finding(self, finding: Finding) -> Finding:
        """The finding as reports may show it: redacted, and without its secret value."""
        fix = finding.fix
        if fix is not None and self:
            fix = Fix(
                description=self.redact(fix.description),
                edits=tuple(Edit(edit.span, self.redact(edit.replacement)) for edit in fix.edits),
                safe=fix.safe,
            )
        related = tuple(replace(place, message=self.redact(place.message)) for place in finding.related)
        return replace(finding, message=self.redact(finding.message), fix=fix, related=related, secret="")

    def error(self, error: FileError) -> FileError:
        return replace(error, message=self.redact(error.message)) if self else error

    def value(self, value: T) -> T:
        """A report field (strings inside lists, tuples and dicts) with secrets redacted."""
        if not self:
            return value
        return self._value(value)

    def _value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {self._value(key): self._value(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self._value(item) for item in value)
        return value


def _merged(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
