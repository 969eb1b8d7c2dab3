"""The baseline: the findings a project has accepted for now, so that a review reports only new ones.

An entry says what was found, not on which line: the rule, the file (from the repository's top),
the qualified name of the function or class around the flagged statement (its scope), a digest of
the statement's form as `ast` reads it (`reviewer.outline`), and how many such findings there
were. So code that moves, lines added above it, and reformatting (quotes, wrapping, trailing
commas) leave the file as it was, while a second copy of a recorded defect is one more than the
count allows: new. The statement is read as reports read it (`Sources`: the reviewed bytes, every
secret the run identified starred out) and only its digest is stored, so no secret's value ever
lands in the baseline.

A file's entries are matched by count: when a scope holds more findings of one key than recorded,
the ones furthest down the file are reported as new. An entry found fewer times than recorded is
stale (the finding was fixed); `reviewer baseline --update FILE` lowers its count, and drops it at
zero, without ever adding a finding. Entries of files this run did not review completely, or of
rules that did not run, are neither matched against nor stale.

The file is JSON, one entry per line, sorted, so the same findings give the same bytes and a pull
request that changes the baseline shows each entry it adds or drops as one line of its diff.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewer.engine import Run, repository_prefix
from reviewer.model import Finding
from reviewer.outline import Outline
from reviewer.source_text import FileTooLarge, read_regular_file

VERSION = 1
DEFAULT_FILE = "reviewer-baseline.json"
MAX_BASELINE_BYTES = 64 * 1024 * 1024
_FIELDS = ("path", "scope", "code", "statement")


class BaselineError(Exception):
    """The baseline file is missing or is not a baseline; the message names the file."""


@dataclass(frozen=True, order=True)
class Entry:
    path: str  # from the repository's top, `/`-separated
    scope: str  # `Orders.create`; '' at module level
    code: str
    statement: str  # digest of the flagged statement's form

    def to_json(self, count: int) -> dict[str, Any]:
        return {"path": self.path, "scope": self.scope, "code": self.code, "statement": self.statement, "count": count}


@dataclass
class Match:
    """What a baseline makes of a run's findings."""

    new: list[Finding]
    baselined: list[Finding]
    stale: Counter[Entry]  # entries found fewer times than recorded, by how many fewer
    updated: Counter[Entry]  # the baseline with the stale counts taken off


class Baseline:
    def __init__(self, entries: Counter[Entry], source: Path | None = None) -> None:
        self.entries = +entries
        self.source = source

    @classmethod
    def load(cls, path: Path) -> Baseline:
        try:
            data = read_regular_file(path, MAX_BASELINE_BYTES)
        except FileNotFoundError:
            raise BaselineError(f"{path}: baseline file not found (`reviewer baseline -o FILE` records one)") from None
        except FileTooLarge as error:
            raise BaselineError(f"{path}: not a baseline file: {error}") from None
        except OSError as error:
            raise BaselineError(f"{path}: cannot read the baseline: {error.strerror or error}") from None
        try:
            document = json.loads(data.decode("utf-8"))
        except UnicodeDecodeError as error:
            raise BaselineError(f"{path}: not a baseline file: not UTF-8 ({error.reason})") from None
        except json.JSONDecodeError as error:
            raise BaselineError(
                f"{path}: not a baseline file: invalid JSON at line {error.lineno} column {error.colno}: {error.msg}"
            ) from None
        except RecursionError:
            raise BaselineError(f"{path}: not a baseline file: nested too deeply") from None
        return cls(_entries(document, path), path)

    @classmethod
    def of(cls, run: Run) -> Baseline:
        """Every finding of `run`, recorded."""
        return cls(Counter(keys(run)))

    def render(self) -> str:
        """The file's text: the same entries always give the same bytes."""
        rows = [json.dumps(entry.to_json(count), ensure_ascii=True) for entry, count in sorted(self.entries.items())]
        body = "\n" + ",\n".join(f"    {row}" for row in rows) + "\n  " if rows else ""
        return f'{{\n  "version": {VERSION},\n  "findings": [{body}]\n}}\n'

    def match(self, run: Run) -> Match:
        prefix = repository_prefix(run.root)[1]
        unreviewed = {prefix + error.path for error in run.errors}
        reviewed = {prefix + path for path in run.digests} - unreviewed
        ran = {rule.code for rule in run.rules}
        allowed = Counter(self.entries)
        new, baselined = [], []
        found: Counter[Entry] = Counter()
        # Furthest down the file last, so that the extra copies of a key are the ones reported.
        pairs = sorted(zip(run.findings, keys(run), strict=True), key=lambda pair: pair[0].sort_key)
        for finding, entry in pairs:
            found[entry] += 1
            if allowed[entry] > 0:
                allowed[entry] -= 1
                baselined.append(finding)
            else:
                new.append(finding)
        in_scope = {entry for entry in self.entries if entry.path in reviewed and entry.code in ran}
        stale = Counter({entry: self.entries[entry] - found[entry] for entry in in_scope})
        stale = +stale
        updated = self.entries - stale
        order = {id(finding): position for position, finding in enumerate(run.findings)}
        new.sort(key=lambda finding: order[id(finding)])
        return Match(new=new, baselined=baselined, stale=stale, updated=updated)


def keys(run: Run) -> list[Entry]:
    """Each finding's baseline entry, in the order of `run.findings`."""
    from reviewer.reporters.sources import Sources  # the reviewed text, as reports show it

    prefix = repository_prefix(run.root)[1]
    sources = Sources(run)
    outlines: dict[str, Outline | None] = {}
    entries = []
    for finding in run.findings:
        if finding.path not in outlines:
            lines = sources.lines(finding.path)
            if isinstance(lines, str):
                outlines[finding.path] = None
            else:
                outlines[finding.path] = Outline(
                    [sources.shown_line(finding.path, number) for number in range(1, len(lines) + 1)]
                )
        outline = outlines[finding.path]
        first, last = finding.statement_lines or (finding.span.line, finding.span.end_line)
        first, last = min(first, finding.span.line), max(last, finding.span.end_line)
        if outline is None or last > len(outline.lines):
            # Not a file that can be read now (a finding about the whole repository, say): the
            # message stands for the statement, without the numbers that would churn.
            scope, statement = "", _message_digest(finding.message)
        else:
            scope, statement = outline.key(first, last)
        entries.append(Entry(prefix + finding.path, scope, finding.code, statement))
    return entries


def _message_digest(message: str) -> str:
    form = "message:" + re.sub(r"\d+", "#", message)
    return hashlib.sha256(form.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _entries(document: object, path: Path) -> Counter[Entry]:
    def fail(problem: str) -> BaselineError:
        return BaselineError(f"{path}: not a baseline file: {problem}")

    if not isinstance(document, dict):
        raise fail("expected a JSON object with `version` and `findings`")
    if document.get("version") != VERSION:
        raise fail(f"unsupported version {document.get('version')!r} (this reviewer reads version {VERSION})")
    findings = document.get("findings")
    if not isinstance(findings, list):
        raise fail("`findings` must be a list")
    entries: Counter[Entry] = Counter()
    for position, item in enumerate(findings):
        where = f"findings[{position}]"
        if not isinstance(item, dict):
            raise fail(f"{where}: expected an object")
        values = [item.get(name) for name in _FIELDS]
        for name, value in zip(_FIELDS, values, strict=True):
            if not isinstance(value, str):
                raise fail(f"{where}.{name}: expected a string")
        count = item.get("count")
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise fail(f"{where}.count: expected a positive integer")
        entries[Entry(*values)] += count
    return entries

