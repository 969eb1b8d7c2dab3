"""GitHub Actions annotations: one workflow command per finding, plus the job summary.

A workflow command is a line `::error file=…,line=…::message` that the runner parses out of the
step's output. Paths and messages come from the reviewed repository, so they are escaped as the
runner expects (`%`, CR and LF in the message; also `:` and `,` in property values): no file name
or message can end the command early or start a second one.

Columns go out only for findings on one line, because GitHub's annotations take a column range
only when the start and end lines are equal. GitHub shows only ten annotations of each kind per
step, so they go out most severe first and, within a severity, a finding of each rule in turn
(`shown_first`). When `GITHUB_STEP_SUMMARY` names a file, the checklist and counts are appended
to it as Markdown, kept under GitHub's 1 MiB per-step cap, with how many annotations were not
shown.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

from reviewer.checklist import ITEMS_BY_ID
from reviewer.engine import Run
from reviewer.escaping import printable
from reviewer.model import ErrorKind, FileError, Finding, Severity
from reviewer.output import utf8
from reviewer.reporters import RenderOptions, markdown
from reviewer.wording import plural

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
KIND_NAMES = {"error": "errors", "warning": "warnings", "notice": "notices"}
# Where an item's precision on real code is not measured yet: the bar its fixtures are held to.
UNMEASURED_PRECISION = 0.95
STEP_SUMMARY_LIMIT = 1024 * 1024
# GitHub shows this many annotations of each kind per step; the rest stay in the log only.
ANNOTATIONS_SHOWN_PER_KIND = 10


def escape_data(value: str) -> str:
    """As the runner unescapes a command's message; other control characters (terminal escapes,
    which the log viewer would interpret) are spelled out by `printable`."""
    escaped = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return printable(escaped)


def escape_property(value: str) -> str:
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def command(name: str, properties: Mapping[str, object], message: str) -> str:
    props = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties.items())
    return f"::{name} {props}::{escape_data(message)}" if props else f"::{name}::{escape_data(message)}"


def annotation(finding: Finding) -> tuple[str, str]:
    """The command name and the command line for one finding."""
    span = finding.span
    properties: dict[str, object] = {"file": finding.path, "line": span.line}
    if span.end_line == span.line:
        properties["col"] = span.column
        # Span ends are exclusive; an annotation's endColumn is the last column it covers.
        properties["endColumn"] = max(span.column, span.end_column - 1)
    else:
        properties["endLine"] = span.end_line
    properties["title"] = f"{finding.code} {finding.name} [{finding.checklist}]"
    name = COMMANDS[finding.severity]
    return name, command(name, properties, finding.message)


def error_annotation(error: FileError) -> tuple[str, str]:
    properties: dict[str, object] = {}
    if error.path not in ("", "."):
        properties["file"] = error.path
    if error.line:
        properties["line"] = error.line
    properties["title"] = f"not reviewed: {error.kind.value}"
    name = "error" if error.kind in (ErrorKind.INTERNAL, ErrorKind.PARSER_CRASH) else "warning"
    return name, command(name, properties, error.message)


def shown_first(findings: Sequence[Finding]) -> list[Finding]:
    """The order annotations go out in, since GitHub shows only the first few of each kind: the
    most severe first; within a severity, one finding of each rule in turn, the rules of security
    items and then of the most precise items (`Item.precision`) first, so the annotations shown
    cover as many different problems, as certain as can be, as fit."""
    ordered: list[Finding] = []
    for severity in sorted(Severity, reverse=True):
        by_rule: dict[str, list[Finding]] = {}
        for finding in findings:
            if finding.severity is severity:
                by_rule.setdefault(finding.code, []).append(finding)
        queues = [by_rule[code] for code in sorted(by_rule, key=lambda code: _certainty(by_rule[code][0]))]
        for turn in range(max((len(queue) for queue in queues), default=0)):
            ordered += [queue[turn] for queue in queues if turn < len(queue)]
    return ordered


def _certainty(finding: Finding) -> tuple[bool, float, str]:
    item = ITEMS_BY_ID.get(finding.checklist)
    precision = item.precision if item is not None and item.precision is not None else UNMEASURED_PRECISION
    return (not (item is not None and item.security), -precision, finding.code)


def not_shown(annotations: Sequence[tuple[str, str]]) -> dict[str, tuple[int, int]]:
    """Per kind of annotation GitHub would leave out: (how many are left out, how many there are)."""
    per_kind = Counter(name for name, _ in annotations)
    return {
        name: (count - ANNOTATIONS_SHOWN_PER_KIND, count)
        for name, count in per_kind.items()
        if count > ANNOTATIONS_SHOWN_PER_KIND
    }


def render(run: Run, options: RenderOptions) -> str:
    annotations = [annotation(f) for f in shown_first(run.findings)] + [error_annotation(e) for e in run.errors]
    hidden = not_shown(annotations)
    lines = [line for _, line in annotations]
    summary = (
        f"backend-reviewer: {plural(len(run.findings), 'finding')}, "
        f"{plural(len(run.errors), 'file error')} in {plural(run.files_scanned, 'file')}"
    )
    if hidden:
        summary += f"; GitHub shows {ANNOTATIONS_SHOWN_PER_KIND} annotations of each kind per step, this log has all"
    lines.append(summary)
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        append_step_summary(Path(summary_file), run, hidden)
    return "\n".join(lines) + "\n"


def hidden_note(hidden: dict[str, tuple[int, int]]) -> str:
    """The job summary's word on the annotations GitHub does not show."""
    counts = ", ".join(
        f"{left_out} of {total} {KIND_NAMES[name]}" for name, (left_out, total) in sorted(hidden.items())
    )
    return (
        f"*Not shown as annotations: {counts} (GitHub shows {ANNOTATIONS_SHOWN_PER_KIND} of each kind per "
        "step, the most severe and most certain first); the tables here, the SARIF alerts and the HTML "
        "report list them all.*"
    )


def append_step_summary(path: Path, run: Run, hidden: dict[str, tuple[int, int]] | None = None) -> None:
    try:
        used = path.stat().st_size
    except OSError:
        used = 0
    budget = STEP_SUMMARY_LIMIT - used - 1
    if budget <= 0:
        return
    note = f"\n{hidden_note(hidden)}\n" if hidden else ""
    report = markdown.document(run, budget=budget - len(utf8(note))) + note
    if len(utf8(report)) > budget:
        report = markdown.headline(run) + "\n\n" + markdown.counts_line(run) + "\n" + note
        if len(utf8(report)) > budget:
            return
    with path.open("a", encoding="utf-8", errors="backslashreplace") as handle:
        handle.write(report + "\n")
