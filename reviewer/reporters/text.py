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
from reviewer.model import Finding, Severity
from reviewer.reporters import RenderOptions
from reviewer.reporters.sources import Sources
from reviewer.wording import plural

_VERDICT_COLORS = {
    Verdict.PASS: "green",
    Verdict.FAIL: "red",
    Verdict.WARN: "yellow",
    Verdict.NOT_APPLICABLE: "bright_black",
    Verdict.MANUAL: "cyan",
    Verdict.SKIPPED: "bright_black",
}
_SEVERITY_COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "blue"}


def render(run: Run, options: RenderOptions) -> str:
    def style(text: str, **kwargs: object) -> str:
        return click.style(text, **kwargs) if options.color else text  # type: ignore[arg-type]

    lines: list[str] = _statistics(run) if options.statistics else []
    sources = Sources(run) if options.show_source and not options.statistics else None
    for finding in [] if options.statistics else run.findings:
        where = f"{printable(finding.path)}:{finding.span.line}:{finding.span.column}:"
        severity = style(finding.severity.label, fg=_SEVERITY_COLORS[finding.severity], bold=True)
        code = style(printable(finding.code), bold=True)
        lines.append(f"{style(where, bold=True)} {severity} {code} [{finding.checklist}] {printable(finding.message)}")
        if sources is not None:
            lines.extend(_source(sources, finding, style))
    if not options.quiet:
        if run.findings:
            lines.append("")
        lines.extend(_checklist_and_errors(run, style, options.verbose))
    fixes = _fixes(run)
    if fixes:
        lines.append(fixes)
    lines.append(_summary(run, options))
    return "\n".join(lines) + "\n"


def _fixes(run: Run) -> str:
    """What `--fix` or `--diff` did, or how many findings they could fix ('' when none)."""
    done = run.extras.get("fixes")
    if isinstance(done, dict):
        return printable(str(done.get("headline", "")))
    safe = sum(1 for finding in run.findings if finding.fix is not None and finding.fix.safe)
    unsafe = sum(1 for finding in run.findings if finding.fix is not None and not finding.fix.safe)
    if not safe and not unsafe:
        return ""
    hint = f"{plural(safe, 'finding')} fixable with --fix" if safe else "No finding fixable with --fix"
    return hint + (f" ({unsafe} more with --unsafe-fixes)." if unsafe else ".")


def _source(sources: Sources, finding: Finding, style) -> list[str]:  # noqa: ANN001
    """The finding's first line, as ruff shows it: numbered, with a caret under what it flags."""
    lines = sources.lines(finding.path)
    span = finding.span
    if isinstance(lines, str) or span.line > len(lines):
        reason = lines if isinstance(lines, str) else "the file has changed since it was reviewed"
        return [f"    (source not shown: {reason})", ""]
    shown = sources.shown_line(finding.path, span.line)
    text = printable(shown.expandtabs())

    def width(columns: int) -> int:  # where column `columns + 1` of the line is, as printed
        return len(printable(shown[:columns].expandtabs()))

    start = width(span.column - 1)
    end = width(span.end_column - 1) if span.end_line == span.line else len(text.rstrip())
    gutter = " " * len(str(span.line))
    marker = style("^" * max(1, end - start), fg=_SEVERITY_COLORS[finding.severity], bold=True)
    return [f" {span.line} | {text}", f" {gutter} | {' ' * start}{marker}", ""]


def _statistics(run: Run) -> list[str]:
    """Findings counted per rule, then per checklist item, most first (as `ruff --statistics`)."""
    if not run.findings:
        return []
    by_rule = Counter((f.code, f.name, f.severity, f.checklist) for f in run.findings)
    width = len(str(max(by_rule.values())))
    lines = [
        f"{count:>{width}}  {code}  {name}  {severity.label}  [{item}]"
        for (code, name, severity, item), count in sorted(by_rule.items(), key=lambda entry: (-entry[1], entry[0]))
    ]
    by_item = Counter(f.checklist for f in run.findings)
    lines.append("")
    lines += [f"{count:>{width}}  {item}" for item, count in sorted(by_item.items(), key=lambda e: (-e[1], e[0]))]
    return lines


def _checklist_and_errors(run: Run, style, verbose: bool) -> list[str]:  # noqa: ANN001
    lines = [style("Checklist", bold=True)]
    width = max(len(item.item.id) for item in run.checklist)
    for item in run.checklist:
        verdict = item.verdict.value.upper()
        badge = style(f"{verdict:<14}", fg=_VERDICT_COLORS[item.verdict], bold=item.verdict is Verdict.FAIL)
        detail = printable(item.note) if item.note else plural(len(item.findings), "finding") if item.findings else ""
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
    lines.extend(printable(remark) for remark in run.remarks)
    return lines


def _summary(run: Run, options: RenderOptions) -> str:
    by_severity = Counter(f.severity for f in run.findings)
    counts = ", ".join(plural(by_severity[s], s.label) for s in sorted(Severity, reverse=True))
    outcome = run.outcome
    summary = (
        f"{outcome.state.upper()}: {outcome.headline}; "
        f"{plural(run.files_scanned, 'file')} ({run.lines} lines): {counts}; "
        f"{plural(len(run.errors), 'file error')}"
    )
    baseline = run.extras.get("baseline")
    if isinstance(baseline, dict):
        summary += f"; {baseline['baselined']} baselined"
        if baseline["stale"]:
            summary += f" ({sum(entry['count'] for entry in baseline['stale'])} stale)"
    if run.skipped:
        summary += f"; {plural(len(run.skipped), 'path')} not reviewed"
        if not options.verbose:
            summary += " (--verbose lists them)"
    if options.seconds is not None:
        summary += f"; {options.seconds:.2f}s"
    if run.cache_hits:
        summary += f" ({run.cache_hits} cached)"
    return summary
