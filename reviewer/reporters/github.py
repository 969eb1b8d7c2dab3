"""GitHub Actions annotations: one workflow command per finding, plus the job summary.

A workflow command is a line `::error file=…,line=…::message` that the runner parses out of the
step's output. Paths and messages come from the reviewed repository, so they are escaped as the
runner expects (`%`, CR and LF in the message; also `:` and `,` in property values): no file name
or message can end the command early or start a second one.

Columns go out only for findings on one line, because GitHub's annotations take a column range
only when the start and end lines are equal. When `GITHUB_STEP_SUMMARY` names a file, the
checklist and counts are appended to it as Markdown, kept under GitHub's 1 MiB per-step cap.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping
from pathlib import Path

from reviewer.engine import Run
from reviewer.escaping import printable
from reviewer.model import ErrorKind, FileError, Finding, Severity
from reviewer.output import utf8
from reviewer.reporters import RenderOptions, markdown

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
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


def render(run: Run, options: RenderOptions) -> str:
    annotations = [annotation(f) for f in run.findings] + [error_annotation(e) for e in run.errors]
    per_kind = Counter(name for name, _ in annotations)
    lines = [line for _, line in annotations]
    summary = (
        f"backend-reviewer: {markdown.plural(len(run.findings), 'finding')}, "
        f"{markdown.plural(len(run.errors), 'file error')} in {markdown.plural(run.files_scanned, 'file')}"
    )
    if any(count > ANNOTATIONS_SHOWN_PER_KIND for count in per_kind.values()):
        summary += f"; GitHub shows {ANNOTATIONS_SHOWN_PER_KIND} annotations of each kind per step, this log has all"
    lines.append(summary)
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        append_step_summary(Path(summary_file), run)
    return "\n".join(lines) + "\n"


def append_step_summary(path: Path, run: Run) -> None:
    try:
        used = path.stat().st_size
    except OSError:
        used = 0
    budget = STEP_SUMMARY_LIMIT - used - 1
    if budget <= 0:
        return
    report = markdown.document(run, budget=budget)
    if len(utf8(report)) > budget:
        report = markdown.headline(run) + "\n\n" + markdown.counts_line(run) + "\n"
        if len(utf8(report)) > budget:
            return
    with path.open("a", encoding="utf-8", errors="backslashreplace") as handle:
        handle.write(report + "\n")
