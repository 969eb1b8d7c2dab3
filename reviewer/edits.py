"""Edits of a file's text, and the unified diffs they make: what `reviewer.fixes` applies and
what `--diff` and the HTML report show of a fix.

An `Edit` replaces a span (1-based lines and columns, end exclusive) of the text the review
read; edits are applied bottom-up so that each one's span still means what it meant when the
rule made it. Diffs are read from the edits themselves, in the format `diff -u` prints, and every
secret the run identified is starred out in what they show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from reviewer.escaping import printable
from reviewer.model import Edit, Finding, Span
from reviewer.source_text import LINE_BREAK, split_lines

if TYPE_CHECKING:
    from reviewer.reporters.sources import Sources

CONTEXT_LINES = 3


class EditOutOfRange(ValueError):
    """An edit's span does not lie inside the text it is applied to."""


# --- text ---------------------------------------------------------------------------------------


def line_starts(text: str) -> list[int]:
    """The offset where each line starts (line 1 first), lines ending as the parser ends them; a
    final line break starts one more, empty line."""
    return [0, *(match.end() for match in LINE_BREAK.finditer(text))]


def offsets(text: str, starts: Sequence[int], edit: Edit) -> tuple[int, int]:
    """Where `edit` starts and ends in `text`, as offsets; EditOutOfRange if it is not inside."""

    def offset(line: int, column: int) -> int:
        if not 1 <= line <= len(starts):
            raise EditOutOfRange(f"line {line} is not in the file")
        start = starts[line - 1]
        end = starts[line] if line < len(starts) else len(text)
        content = text[start:end].rstrip("\r\n") if line < len(starts) else text[start:end]
        if not 1 <= column <= len(content) + 1:
            raise EditOutOfRange(f"column {column} is not on line {line}")
        return start + column - 1

    span = edit.span
    begin, end = offset(span.line, span.column), offset(span.end_line, span.end_column)
    if end < begin:
        raise EditOutOfRange("the edit ends before it starts")
    return begin, end


def apply_edits(text: str, edits: Iterable[tuple[int, int, str]]) -> str:
    """`text` with each `(start, end, replacement)` made, bottom-up; the edits must not overlap
    (an insertion where a replacement starts goes before it)."""
    pieces: list[str] = []
    position = len(text)
    for start, end, replacement in sorted(edits, key=lambda edit: (edit[0], edit[1]), reverse=True):
        pieces += [text[end:position], replacement]
        position = start
    pieces.append(text[:position])
    return "".join(reversed(pieces))


def newline_of(text: str) -> str:
    """The file's line break (its first one), `\\n` when it has none."""
    match = LINE_BREAK.search(text)
    return match.group() if match else "\n"


def overlap(first: tuple[int, int], second: tuple[int, int]) -> bool:
    """Whether two spans share text, or are insertions at the same place (in no telling order)."""
    if first[0] == first[1] == second[0] == second[1]:
        return True
    return first[0] < second[1] and second[0] < first[1]


def shown_diff(sources: Sources, path: str, edits: Sequence[Edit], context: int = CONTEXT_LINES) -> list[str] | str:
    """The unified diff `edits` make to `path` as reports may show it: every line from the file
    with its secrets starred out (`Sources.shown_line`), the edits' text as the run redacted it.
    The reason instead, when the file cannot be shown."""
    lines = sources.lines(path)
    if isinstance(lines, str):
        return lines
    try:
        diff = unified_diff(lambda number: sources.shown_line(path, number), len(lines), edits, path, context)
    except EditOutOfRange:
        return "the file has changed since it was reviewed"
    return [_printable_line(line) for line in diff]


def unified_diff(
    line_at: Callable[[int], str], count: int, edits: Sequence[Edit], path: str, context: int = CONTEXT_LINES
) -> list[str]:
    """The unified diff (`diff -u`) that `edits` make to a file of `count` lines (`line_at(n)`
    gives line n, without its line break), read from the edits themselves: each changed line
    once, with `context` lines around, whatever repeats in the file."""
    # The lines each group of edits rewrites (edits sharing a line rewrite it together).
    groups: list[tuple[int, int, list[Edit]]] = []
    for edit in sorted(edits, key=lambda edit: (edit.span.line, edit.span.column, edit.span.end_line)):
        first, last = edit.span.line, edit.span.end_line
        if not 1 <= first <= last <= count + 1:
            raise EditOutOfRange(f"line {last} is not in the file")
        if groups and first <= groups[-1][1]:
            groups[-1] = (groups[-1][0], max(groups[-1][1], last), [*groups[-1][2], edit])
        else:
            groups.append((first, last, [edit]))
    changes: list[tuple[int, list[str], list[str]]] = []  # (0-based start, old lines, new lines)
    for first, last, group in groups:
        old = [line_at(number) for number in range(first, min(last, count) + 1)]
        text = "".join(line + "\n" for line in old)
        starts = line_starts(text)
        shifted = [replace(edit, span=_shifted(edit.span, first - 1)) for edit in group]
        new = split_lines(apply_edits(text, [(*offsets(text, starts, edit), edit.replacement) for edit in shifted]))
        head = 0
        while head < min(len(old), len(new)) and old[head] == new[head]:
            head += 1
        tail = 0
        while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
            tail += 1
        old, new = old[head : len(old) - tail], new[head : len(new) - tail]
        at = first - 1 + head
        if changes and changes[-1][0] + len(changes[-1][1]) == at:  # adjacent: one block, as diff shows it
            changes[-1] = (changes[-1][0], changes[-1][1] + old, changes[-1][2] + new)
        elif old or new:
            changes.append((at, old, new))
    diff: list[str] = []
    if not changes:
        return diff
    diff += [f"--- a/{path}", f"+++ b/{path}"]
    shift = 0  # how many lines the changes before the hunk added
    index = 0
    while index < len(changes):
        hunk = [changes[index]]
        while index + len(hunk) < len(changes):
            following = changes[index + len(hunk)]
            if following[0] - (hunk[-1][0] + len(hunk[-1][1])) > 2 * context:
                break
            hunk.append(following)
        start = max(0, hunk[0][0] - context)
        end = min(count, hunk[-1][0] + len(hunk[-1][1]) + context)
        body: list[str] = []
        position = start
        added = 0
        for at, old, new in hunk:
            body += [" " + line_at(number + 1) for number in range(position, at)]
            body += ["-" + line for line in old] + ["+" + line for line in new]
            position = at + len(old)
            added += len(new) - len(old)
        body += [" " + line_at(number + 1) for number in range(position, end)]
        old_range = _range(start, end - start)
        new_range = _range(start + shift, end - start + added)
        diff.append(f"@@ -{old_range} +{new_range} @@")
        diff += body
        shift += added
        index += len(hunk)
    return diff


def _shifted(span: Span, lines: int) -> Span:
    return Span(span.line - lines, span.column, span.end_line - lines, span.end_column)


def _range(start: int, length: int) -> str:
    """A hunk's range as `diff -u` writes it (`start` 0-based)."""
    if length == 1:
        return str(start + 1)
    return f"{start + (1 if length else 0)},{length}"


def _printable_line(line: str) -> str:
    """A diff line made safe for a terminal (`printable`), tabs kept as they are."""
    return "\t".join(printable(part) for part in line.split("\t"))


def finding_diff(sources: Sources, finding: Finding) -> list[str] | str | None:
    """The diff of one finding's fix, as the HTML report shows it in the finding's card (the
    reason when it cannot be shown; None without a fix)."""
    if finding.fix is None:
        return None
    return shown_diff(sources, finding.path, finding.fix.edits, context=1)
