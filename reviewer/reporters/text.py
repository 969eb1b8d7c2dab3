"""The terminal report: one line per finding, the checklist table, then a summary line.

Everything taken from the reviewed repository (paths, messages, notes) is passed through
`printable`, so no file name or quoted code can move the cursor, recolour the terminal, or start
a line of its own (a workflow command, when the report is printed in a CI log)."""

from __future__ import annotations

from collections import Counter

import click

from reviewer.checklist import Verdict
from reviewer.engine import Run
from reviewer.escaping import printable
from reviewer.model import Severity
from reviewer.reporters import RenderOptions

_VERDICT_COLORS = {
    Verdict.PASS: "green",
    Verdict.FAIL: "red",
    Verdict.WARN: "yellow",
    Verdict.NOT_APPLICABLE: "bright_black",
    Verdict.MANUAL: "cyan",
    Verdict.SKIPPED: "bright_black",
}
_SEVERITY_COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def render(run: Run, options: RenderOptions) -> str:
    def style(text: str, **kwargs: object) -> str:
        return click.style(text, **kwargs) if options.color else text  # type: ignore[arg-type]

    lines: list[str] = []
    for finding in run.findings:
        where = f"{printable(finding.path)}:{finding.span.line}:{finding.span.column}:"
        code = style(printable(finding.code), fg=_SEVERITY_COLORS[finding.severity], bold=True)
        lines.append(f"{style(where, bold=True)} {code} [{finding.checklist}] {printable(finding.message)}")
    if not options.quiet:
        if run.findings:
            lines.append("")
        lines.extend(_checklist_and_errors(run, style, options.verbose))
    lines.append(_summary(run, options))
    return "\n".join(lines) + "\n"


def _checklist_and_errors(run: Run, style, verbose: bool) -> list[str]:  # noqa: ANN001
    lines = [style("Checklist", bold=True)]
    width = max(len(item.item.id) for item in run.checklist)
    for item in run.checklist:
        verdict = item.verdict.value.upper()
        badge = style(f"{verdict:<14}", fg=_VERDICT_COLORS[item.verdict], bold=item.verdict is Verdict.FAIL)
        detail = _plural(len(item.findings), "finding") if item.findings else printable(item.note)
        lines.append(f"  {badge} {item.item.id:<{width}}  {detail}")
    lines.append("")

    if run.errors:
        lines.append(style("Files not fully reviewed", bold=True))
        for error in run.errors:
            where = f"{error.path}:{error.line}" if error.line else error.path
            lines.append(f"  {printable(where)}: {error.kind.value}: {printable(error.message)}")
        lines.append("")
    if run.skipped and verbose:
        lines.append(style("Not reviewed", bold=True))
        lines.extend(f"  {printable(skipped.path)}: {skipped.reason}" for skipped in run.skipped)
        lines.append("")
    return lines


def _summary(run: Run, options: RenderOptions) -> str:
    by_severity = Counter(f.severity for f in run.findings)
    counts = ", ".join(_plural(by_severity[s], s.label) for s in sorted(Severity, reverse=True))
    outcome = run.outcome
    summary = (
        f"{outcome.state.upper()}: {outcome.headline}; "
        f"{_plural(run.files_scanned, 'file')} ({run.lines} lines): {counts}; "
        f"{_plural(len(run.errors), 'file error')}"
    )
    if run.skipped:
        summary += f"; {_plural(len(run.skipped), 'path')} not reviewed"
        if not options.verbose:
            summary += " (--verbose lists them)"
    if options.seconds is not None:
        summary += f"; {options.seconds:.2f}s"
    if run.cache_hits:
        summary += f" ({run.cache_hits} cached)"
    return summary
