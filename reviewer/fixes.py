"""Applying the fixes rules attach to findings: `reviewer check --fix`, `--diff`, `--unsafe-fixes`.

A rule that can fix what it reports attaches a `Fix`: edits replacing spans of the file it read
(`reviewer.codemods` helps build them). A fix is `safe` when it changes nothing but what the
finding is about; otherwise it is applied only with `--unsafe-fixes`, and the rule's
documentation says why under *Fix safety*.

For every file with findings to fix, in this order:

1. the file is read again and must be what the review read (else it changed meanwhile: skipped);
2. it is reviewed again in a worker (`reviewer.pool`), which gives the fixes as the rules built
   them (the run's own are redacted of secrets) and the findings to compare against;
3. the fixes are applied together on the text, bottom-up: a fix that overlaps one already taken
   is left for another run (`--fix` again applies it), identical edits of several fixes (the
   same `import asyncio`) are made once;
4. the fixed text is reviewed in a worker: it must parse, each fixed finding must be gone, and no
   other finding may appear (findings are compared by rule and message, the line numbers a
   message names left out, since a fix may move lines). If not, each fix is tried alone and
   those that pass are taken one by one; a fix refused says why. This check covers the file's
   own findings; those of the repository pass (a call chain across modules) show in the review
   that follows `--fix`;
5. only then is the file written: in the encoding and with the line breaks it had, replaced
   whole through a temporary file beside it (a reader never sees half of it), never through a
   symbolic link, with its permissions kept.

`--diff` stops before writing and prints the changes as a unified diff, with every secret the run
identified starred out as in the HTML report's excerpts (the diff of a hardcoded secret's fix
removes the line holding it). The run's result then stands as if the fixes had been written: the
findings they remove are taken out. After `--fix`, the files written are reviewed again, so the
report shows what is left.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import stat
import tempfile
import tokenize
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewer.checklist import Verdict
from reviewer.edits import EditOutOfRange, apply_edits, line_starts, newline_of, offsets, overlap, shown_diff
from reviewer.escaping import printable
from reviewer.model import Edit, ErrorKind, FileResult, Finding, Fix
from reviewer.source_text import LINE_BREAK, read_regular_file
from reviewer.wording import plural

if TYPE_CHECKING:
    from reviewer.engine import Run
    from reviewer.rule import Rule

# Where a run's fix outcome is published for reports (`Run.extras`): the JSON report's `fixes`.
EXTRAS_KEY = "fixes"
_UNREADABLE = (ErrorKind.SYNTAX, ErrorKind.UNSUPPORTED, ErrorKind.DECODE, ErrorKind.TOO_DEEP)


# --- the outcome ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NotApplied:
    """A fix left out, and why (the finding as the run reports it)."""

    finding: Finding
    reason: str

    def to_json(self) -> dict[str, Any]:
        span = self.finding.span
        return {"code": self.finding.code, "path": self.finding.path, "line": span.line, "column": span.column,
                "reason": self.reason}

    def line(self) -> str:
        span = self.finding.span
        return printable(f"{self.finding.path}:{span.line}:{span.column}: {self.finding.code}: {self.reason}")


@dataclass
class FileFix:
    """What the fixes do to one file."""

    path: str
    fixed: list[Finding]  # the run's findings the change removes
    data: bytes  # the file's new bytes
    shown_edits: list[Edit]  # the edits made, as the run shows them (redacted), each once
    diff: list[str] | str = ""  # as `shown_diff`
    written: bool = False


@dataclass
class FixOutcome:
    files: list[FileFix] = field(default_factory=list)
    not_applied: list[NotApplied] = field(default_factory=list)
    unsafe: bool = False  # unsafe fixes were included
    write: bool = True  # False: `--diff`, nothing written
    remaining: int = 0
    unsafe_available: int = 0  # remaining findings with an unsafe fix not included

    @property
    def fixed(self) -> int:
        return sum(len(change.fixed) for change in self.files if change.written or not self.write)

    def headline(self) -> str:
        """`Fixed 3 findings (2 remaining: --unsafe-fixes would fix 1 more).`"""
        text = f"{'Fixed' if self.write else 'Would fix'} {plural(self.fixed, 'finding')} ({self.remaining} remaining"
        if self.unsafe_available:
            text += f": --unsafe-fixes would fix {self.unsafe_available} more"
        if self.not_applied:
            text += f"; {plural(len(self.not_applied), 'fix')} not applied"
        return text + ")."

    def diff(self) -> str:
        """Every change as one unified diff (a file that cannot be shown says so)."""
        lines: list[str] = []
        for change in self.files:
            if isinstance(change.diff, str):
                lines.append(printable(f"# {change.path}: diff not shown: {change.diff}"))
            else:
                lines.extend(change.diff)
        return "".join(line + "\n" for line in lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "applied": self.write,
            "unsafe": self.unsafe,
            "fixed": self.fixed,
            "remaining": self.remaining,
            "unsafe_available": self.unsafe_available,
            "files": [change.path for change in self.files if change.written or not self.write],
            "not_applied": [item.to_json() for item in self.not_applied],
            "headline": self.headline(),
        }


def unsafe_available(findings: Iterable[Finding]) -> int:
    return sum(1 for finding in findings if finding.fix is not None and not finding.fix.safe)


# --- planning and checking ----------------------------------------------------------------------------


@dataclass
class _Candidate:
    """One finding's fix: as the run shows it, and as the rule built it."""

    finding: Finding  # the run's (redacted)
    raw: Finding  # the rule's own, from reviewing the file again
    edits: list[tuple[int, int, str]]  # offsets in the file's text, raw replacements


@dataclass
class _File:
    path: str
    original: bytes
    text: str
    encoding: str
    module: str
    is_test: bool
    findings: list[Finding]  # the run's findings with a fix to apply here
    reported: list[Finding]  # all the run's findings here
    before: FileResult | None = None


Key = tuple[str, str]


# A message that names lines (`it is called again on line 33`) names others once a fix adds one.
_LINE_MENTION = re.compile(r"\b(lines?) \d+(?:(?:, | and )\d+)*")


def comparable(message: str) -> str:
    """A finding's message with the line numbers it mentions left out."""
    return _LINE_MENTION.sub(r"\1 #", message)


def _key(finding: Finding) -> Key:
    """What tells findings apart across a change that moves lines: the rule and its message."""
    return finding.code, comparable(finding.message)


def fix_run(
    run: Run,
    all_rules: Sequence[type[Rule]],
    *,
    unsafe: bool = False,
    write: bool = True,
    jobs: int | None = None,
    rerun: Callable[[], Run] | None = None,
) -> tuple[Run, FixOutcome]:
    """Apply the run's fixes (safe ones; unsafe too with `unsafe`), checked; write them unless
    `write` is False. Returns the run as it stands afterwards (`rerun` reviews again after
    writing; without it, or when nothing was written, the fixed findings are taken out of `run`)
    and what was done, which the returned run also carries in `extras["fixes"]`."""
    from reviewer.reporters.sources import Sources

    outcome = FixOutcome(unsafe=unsafe, write=write)
    chosen = [f for f in run.findings if f.fix is not None and (f.fix.safe or unsafe)]
    files = _files(run, chosen, outcome)
    if files:
        reviewer = _Reviewer(run, all_rules, jobs)
        plans = []
        for file, before in zip(files, reviewer.review([(file, file.original) for file in files]), strict=True):
            file.before = before
            taken = _taken(file, outcome)
            if taken:
                plans.append((file, taken, _apply(file, taken)))
        # Every file's fixes together first, all files in one batch of workers.
        afters = iter(reviewer.review([(file, data) for file, _, data in plans if isinstance(data, bytes)]))
        sources = Sources(run)
        for file, taken, data in plans:
            first = _judge(file, taken, data, next(afters), run) if isinstance(data, bytes) else _Verdict(data)
            change = _settle(file, taken, first, reviewer, outcome, run)
            if change is not None:
                change.diff = shown_diff(sources, file.path, change.shown_edits)
                outcome.files.append(change)
    if write:
        for change in outcome.files:
            _write(run, change, outcome)
    written = any(change.written for change in outcome.files)
    if write and written and rerun is not None:
        after = rerun()
    else:
        gone = {id(finding) for change in outcome.files if change.written or not write for finding in change.fixed}
        after = without(run, gone)
    outcome.remaining = len(after.findings)
    outcome.unsafe_available = 0 if unsafe else unsafe_available(after.findings)
    after.extras = {**after.extras, EXTRAS_KEY: outcome.to_json()}
    return after, outcome


def _files(run: Run, chosen: Sequence[Finding], outcome: FixOutcome) -> list[_File]:
    from reviewer.discovery import from_stdin
    from reviewer.engine import content_digest

    by_path: dict[str, list[Finding]] = {}
    for finding in chosen:
        by_path.setdefault(finding.path, []).append(finding)
    reported: dict[str, list[Finding]] = {}
    for finding in run.findings:
        reported.setdefault(finding.path, []).append(finding)
    files = []
    for path, findings in sorted(by_path.items()):

        def refuse(reason: str, findings: list[Finding] = findings) -> None:
            outcome.not_applied.extend(NotApplied(finding, reason) for finding in findings)

        target = run.root / path
        try:
            data = read_regular_file(target, run.config.max_file_size)
        except OSError as error:
            refuse(f"the file cannot be read now: {error.strerror or error}")
            continue
        if run.digests.get(path) != content_digest(data):
            refuse("the file has changed since it was reviewed")
            continue
        decoded = _decode(data)
        if decoded is None:
            refuse("the file cannot be decoded")
            continue
        text, encoding = decoded
        (source,) = from_stdin(target, data, run.root).files
        files.append(_File(path, data, text, encoding, source.module, source.is_test, findings, reported[path]))
    return files


def _decode(data: bytes) -> tuple[str, str] | None:
    """The text and the encoding to write it back in (as `source_text.decode` reads it; a UTF-8
    byte order mark is kept by writing `utf-8-sig`)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return None
    if text.startswith("\ufeff"):  # a BOM under a `utf-8` cookie: keep it as it was
        return text[1:], "utf-8-sig"
    return text, encoding


class _Reviewer:
    """Reviews texts of files in workers, as the run reviewed the files (its rules and options)."""

    def __init__(self, run: Run, all_rules: Sequence[type[Rule]], jobs: int | None) -> None:
        from reviewer.config import rule_options

        self.rules = run.rules
        options = rule_options(run.config, all_rules)
        self.options = {rule.code: options[rule.code] for rule in run.rules}
        self.jobs = max(1, jobs or os.cpu_count() or 1)
        self.config = run.config

    def review(self, items: Sequence[tuple[_File, bytes]]) -> list[FileResult]:
        """One result per item, in order; a file appears at most once among `items`."""
        from reviewer.pool import Budget, WorkerPool

        if not items:
            return []
        budget = Budget(seconds=self.config.file_timeout, memory=self.config.file_memory)
        pool = WorkerPool(min(self.jobs, len(items)), self.rules, self.options, budget)
        results = {r.path: r for r in pool.review([(f.path, data, f.module, f.is_test) for f, data in items])}
        return [results[file.path] for file, _ in items]


def _taken(file: _File, outcome: FixOutcome) -> list[_Candidate]:
    """The fixes to try in one file: its findings' fixes as the rules built them, but for those
    overlapping a fix taken before them."""
    assert file.before is not None
    if any(error.kind in _UNREADABLE for error in file.before.errors):
        outcome.not_applied.extend(NotApplied(f, "the file cannot be parsed now") for f in file.findings)
        return []
    return _without_overlaps(_candidates(file, outcome), outcome)


def _settle(
    file: _File, taken: list[_Candidate], verdict: _Verdict, reviewer: _Reviewer, outcome: FixOutcome, run: Run
) -> FileFix | None:
    """The change to make to one file, given the verdict on all its fixes together; when that
    fails, each fix is tried alone, and those that pass are added one at a time."""
    if verdict.problem is not None:
        passing: list[tuple[_Candidate, _Verdict]] = []
        for candidate in taken:
            alone = verdict if len(taken) == 1 else _check(file, [candidate], reviewer, run)
            if alone.problem is None:
                passing.append((candidate, alone))
            else:
                outcome.not_applied.append(NotApplied(candidate.finding, alone.problem))
        if not passing:
            return None
        (first, verdict), rest = passing[0], passing[1:]
        taken = [first]
        for candidate, _ in rest:
            trial = _check(file, [*taken, candidate], reviewer, run)
            if trial.problem is None:
                taken, verdict = [*taken, candidate], trial
            else:
                reason = f"conflicts with another fix here: {trial.problem}"
                outcome.not_applied.append(NotApplied(candidate.finding, reason))
    shown = dict.fromkeys(edit for candidate in taken if candidate.finding.fix for edit in candidate.finding.fix.edits)
    return FileFix(file.path, verdict.fixed, verdict.data, list(shown))


def _candidates(file: _File, outcome: FixOutcome) -> list[_Candidate]:
    """Each finding's fix as the rule built it, in offsets of the file's text."""
    assert file.before is not None
    raw: dict[tuple[str, Any], list[Finding]] = {}
    for finding in file.before.findings:
        if finding.fix is not None:
            raw.setdefault((finding.code, finding.span), []).append(finding)
    starts = line_starts(file.text)
    newline = newline_of(file.text)
    found = []
    for finding in sorted(file.findings, key=lambda f: f.sort_key):
        matches = raw.get((finding.code, finding.span))
        if not matches:
            outcome.not_applied.append(NotApplied(finding, "the rule no longer offers this fix"))
            continue
        own = matches.pop(0)
        fix: Fix = own.fix  # type: ignore[assignment]
        try:
            edits = [
                (*offsets(file.text, starts, edit), LINE_BREAK.sub(newline, edit.replacement)) for edit in fix.edits
            ]
        except EditOutOfRange as error:
            outcome.not_applied.append(NotApplied(finding, f"the fix's edit lies outside the file: {error}"))
            continue
        if any(overlap(a[:2], b[:2]) for i, a in enumerate(edits) for b in edits[i + 1 :]):
            outcome.not_applied.append(NotApplied(finding, "the fix's own edits overlap"))
            continue
        found.append(_Candidate(finding, own, edits))
    return found


def _without_overlaps(candidates: list[_Candidate], outcome: FixOutcome) -> list[_Candidate]:
    """The candidates whose edits overlap none taken before them (an identical edit is shared)."""
    taken: list[_Candidate] = []
    edits: dict[tuple[int, int, str], _Candidate] = {}
    for candidate in candidates:
        clash = next(
            (
                owner
                for edit in candidate.edits
                if edit not in edits
                for other, owner in edits.items()
                if overlap(edit[:2], other[:2])
            ),
            None,
        )
        if clash is not None:
            where = f"{clash.finding.code} at line {clash.finding.span.line}"
            outcome.not_applied.append(
                NotApplied(candidate.finding, f"overlaps the fix of {where}; run --fix again to apply it")
            )
            continue
        taken.append(candidate)
        for edit in candidate.edits:
            edits.setdefault(edit, candidate)
    return taken


@dataclass
class _Verdict:
    problem: str | None
    data: bytes = b""
    fixed: list[Finding] = field(default_factory=list)  # the run's findings gone


def _apply(file: _File, taken: list[_Candidate]) -> bytes | str:
    """The file's bytes with `taken` applied (each identical edit once), or why they cannot be."""
    text = apply_edits(file.text, dict.fromkeys(edit for candidate in taken for edit in candidate.edits))
    try:
        return text.encode(file.encoding)
    except UnicodeEncodeError as error:
        return f"the fixed text cannot be written in the file's encoding ({file.encoding}): {error.reason}"


def _check(file: _File, taken: list[_Candidate], reviewer: _Reviewer, run: Run) -> _Verdict:
    data = _apply(file, taken)
    if isinstance(data, str):
        return _Verdict(data)
    (after,) = reviewer.review([(file, data)])
    return _judge(file, taken, data, after, run)


def _judge(file: _File, taken: list[_Candidate], data: bytes, after: FileResult, run: Run) -> _Verdict:
    """Whether `data`, the file with `taken` applied, reviewed as `after`, may be written: it
    parses, every fixed finding is gone, and no other finding appears."""
    assert file.before is not None
    known = {error.kind for error in file.before.errors}
    for error in after.errors:
        where = f" (line {error.line})" if error.line else ""
        message = run.secrets.redact(error.message)
        if error.kind in (ErrorKind.SYNTAX, ErrorKind.UNSUPPORTED):
            return _Verdict(f"the fixed code would not parse{where}: {message}")
        if error.kind not in known:
            return _Verdict(f"the fixed file could not be reviewed: {error.kind.value}: {message}")
    before = Counter(_key(finding) for finding in file.before.findings)
    removed = Counter(_key(candidate.raw) for candidate in taken)
    now = Counter(_key(finding) for finding in after.findings)
    for code, message in sorted(now - (before - removed)):
        if (code, message) in removed:
            return _Verdict(f"{code} is still reported after the fix")
        return _Verdict(f"the fix would introduce {code}: {run.secrets.redact(message)}")
    return _Verdict(None, data, _run_findings_gone(file, taken, before - now))


def _run_findings_gone(file: _File, taken: list[_Candidate], gone: Counter[Key]) -> list[Finding]:
    """The run's findings of this file that the change removes: those fixed, and any other the
    change also makes disappear (a finding of the run is matched to the rule's by place)."""
    assert file.before is not None
    left = Counter(gone)
    fixed = []
    for candidate in taken:
        key = _key(candidate.raw)
        if left[key]:
            left[key] -= 1
            fixed.append(candidate.finding)
    by_place: dict[tuple[str, Any], list[Finding]] = {}
    for finding in file.reported:
        by_place.setdefault((finding.code, finding.span), []).append(finding)
    taken_ids = {id(candidate.finding) for candidate in taken}
    for raw in file.before.findings:
        if left[_key(raw)] <= 0:
            continue
        for finding in by_place.get((raw.code, raw.span), []):
            if id(finding) not in taken_ids:
                left[_key(raw)] -= 1
                fixed.append(finding)
                taken_ids.add(id(finding))
                break
    return fixed


# --- writing ------------------------------------------------------------------------------------------


def _write(run: Run, change: FileFix, outcome: FixOutcome) -> None:
    root = run.root.resolve()
    target = root / change.path
    try:
        _check_no_link(root, target)
        _replace(target, change.data, run.digests.get(change.path), run.config.max_file_size)
    except (OSError, _Unsafe) as error:
        reason = error.args[0] if isinstance(error, _Unsafe) else f"cannot write the file: {error.strerror or error}"
        outcome.not_applied.extend(NotApplied(finding, reason) for finding in change.fixed)
        return
    change.written = True


class _Unsafe(Exception):
    """Writing the file now would not be safe; the message says why."""


def _check_no_link(root: Path, target: Path) -> None:
    """Neither `target` nor a directory between it and `root` is a symbolic link."""
    for place in (target, *target.parents):
        if place == root or root not in place.parents:
            break
        if place.is_symlink():
            raise _Unsafe(f"not written: {place} is a symbolic link")


def _replace(target: Path, data: bytes, digest: str | None, max_size: int) -> None:
    """Write `data` over `target` whole, keeping its permissions, if it still has `digest`."""
    from reviewer.engine import content_digest

    status = os.lstat(target)
    if not stat.S_ISREG(status.st_mode):
        raise _Unsafe("not written: it is no longer a regular file")
    if content_digest(read_regular_file(target, max(max_size, status.st_size))) != digest:
        raise _Unsafe("not written: the file changed while it was being fixed")
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, stat.S_IMODE(status.st_mode))
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


# --- the run after --------------------------------------------------------------------------------------


def without(run: Run, gone: set[int]) -> Run:
    """`run` with the findings whose ids are in `gone` taken out, verdicts decided again."""
    if not gone:
        return replace(run)
    findings = [finding for finding in run.findings if id(finding) not in gone]
    items = []
    for item in run.checklist:
        left = [finding for finding in item.findings if id(finding) not in gone]
        if len(left) == len(item.findings) or item.verdict not in (Verdict.FAIL, Verdict.WARN):
            items.append(item)
            continue
        if any(finding.severity >= run.config.fail_on for finding in left):
            verdict = Verdict.FAIL
        else:
            verdict = Verdict.WARN if left else Verdict.PASS
        items.append(replace(item, findings=left, verdict=verdict))
    return replace(run, findings=findings, checklist=items)

