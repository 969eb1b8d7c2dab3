"""The reviewed files' lines as reports may show them: read as the review read them, and masked.

A report that quotes code reads it when it renders, so it reads only inside the reviewed tree,
only a file whose bytes are still those reviewed, and stars out every secret the run identified,
but for the head a mask shows, leaving the rest of the line readable: a finding's code must
still be judged.
"""

from __future__ import annotations

import re

from reviewer.engine import Run, content_digest
from reviewer.model import Span
from reviewer.redaction import shown_head
from reviewer.source_text import FileTooLarge, decode, read_regular_file, split_lines

MAX_SOURCE_BYTES = 4 * 1024 * 1024


class Sources:
    """Source files of findings, read, decoded and split into lines as the review did (never from
    outside the scanned root, never after they changed), and each shown line masked once: where
    a secrets finding points, and wherever a secret value the run identified appears."""

    def __init__(self, run: Run) -> None:
        self.root = run.root.resolve()
        self.digests = run.digests
        self.supplied = run.supplied
        self.secrets = run.secrets
        self._lines: dict[str, list[str] | str] = {}
        self._shown: dict[tuple[str, int], str] = {}
        # Path -> line -> the secret spans on that line.
        self._secret_spans: dict[str, dict[int, list[Span]]] = {}
        revealing = {rule.code for rule in run.rules if rule.reveals_secret}
        for finding in run.findings:
            if finding.code in revealing:
                lines = self._secret_spans.setdefault(finding.path, {})
                for number in range(finding.span.line, finding.span.end_line + 1):
                    lines.setdefault(number, []).append(finding.span)

    def lines(self, path: str) -> list[str] | str:
        """The file's lines, or why they cannot be shown."""
        if path not in self._lines:
            self._lines[path] = self._read(path)
        return self._lines[path]

    def _read(self, path: str) -> list[str] | str:
        if path in self.supplied:
            text, error = decode(path, self.supplied[path])
            if text is None:
                return f"the text cannot be decoded ({error.message if error else 'unknown encoding'})"
            return split_lines(text)
        target = (self.root / path).resolve()
        if target != self.root and self.root not in target.parents:
            return "the file lies outside the scanned directory"
        try:
            data = read_regular_file(target, MAX_SOURCE_BYTES)
        except FileTooLarge:
            return "the file is too large to excerpt"
        except OSError as error:
            return f"the file cannot be read now ({error.strerror or error})"
        digest = self.digests.get(path)
        if digest is not None and digest != content_digest(data):
            return "the file has changed since it was reviewed"
        text, error = decode(path, data)
        if text is None:
            return f"the file cannot be decoded now ({error.message if error else 'unknown encoding'})"
        return split_lines(text)

    def shown_line(self, path: str, number: int) -> str:
        """Line `number` of the file (which `lines` could read) with its secrets starred out, but
        for the head a mask shows: each value the run identified, and where a secrets finding
        points but no such value shows (one too short to look for by value), its string's body.
        The rest of the line stays readable: a finding's excerpt must still be judged."""
        key = (path, number)
        if key not in self._shown:
            lines = self.lines(path)
            assert isinstance(lines, list)
            text = lines[number - 1]
            shown = self.secrets.star_out(text) if self.secrets else text
            for span in self._secret_spans.get(path, {}).get(number, ()):
                start, end = _string_body(lines, span, number)
                if shown[start:end] == text[start:end]:
                    shown = _starred(shown, start, end)
            self._shown[key] = shown
        return self._shown[key]


_STRING_OPENING = re.compile(r"[rRbBuUfF]{0,2}('''|\"\"\"|'|\")")


def _string_body(lines: list[str], span: Span, number: int) -> tuple[int, int]:
    """The columns of line `number` that `span` covers, without the quotes (and prefix) of the
    string literal it is, if it is one."""
    text = lines[number - 1]
    start = span.column - 1 if number == span.line else 0
    end = min(span.end_column - 1 if number == span.end_line else len(text), len(text))
    opening = _STRING_OPENING.match(lines[span.line - 1], span.column - 1)
    if opening:
        if number == span.line:
            start = min(opening.end(), end)
        if number == span.end_line and text.endswith(opening[1], start, end):
            end -= len(opening[1])
    return start, end


def _starred(text: str, start: int, end: int) -> str:
    """`text` with `[start, end)` starred out beyond the head `mask` shows; columns stay put."""
    keep = start + shown_head(end - start)
    return text[:keep] + "*" * (end - keep) + text[end:]
