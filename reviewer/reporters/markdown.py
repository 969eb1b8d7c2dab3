"""The Markdown report: the checklist table, counts, then findings grouped by checklist item.

Meant for a pull-request comment or a GitHub job summary, so everything taken from the reviewed
code (paths, messages) is neutralised before it lands in Markdown: table pipes and line breaks
cannot break the layout, control characters are escaped, and no raw HTML, link, image,
`@mention` or `#123` reference can be smuggled in by a file name or a string in the code.
"""

from __future__ import annotations

import re
from collections import Counter

from reviewer.checklist import ItemResult, Verdict
from reviewer.engine import Run
from reviewer.escaping import printable
from reviewer.model import Finding, Severity
from reviewer.output import utf8
from reviewer.reporters import RenderOptions
from reviewer.wording import plural

VERDICT_ICONS = {
    Verdict.FAIL: "❌",
    Verdict.WARN: "⚠️",
    Verdict.PASS: "✅",
    Verdict.NOT_APPLICABLE: "➖",
    Verdict.MANUAL: "👀",
    Verdict.SKIPPED: "⏭️",
}
# GitHub refuses a comment or description longer than 65,536 characters; counted in bytes of
# UTF-8, a report this size is within it whatever it holds.
COMMENT_LIMIT = 65_536
# Characters that start inline Markdown (emphasis, code, links, raw HTML, entities, tables, math)
# anywhere in a line; line-start constructs (lists, headings) cannot occur inside our cells.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]|<>~&$])")
# GitHub links `@user`, `@org/team`, `#123`, `www.` and `scheme://` in text after Markdown is
# rendered, so a backslash does not stop them; a word joiner (invisible) inside the trigger does.
_AUTOLINK_TRIGGER = re.compile(r"(?<=[@#])(?=\w)|(?<=\bwww)(?=\.)|(?<=\w)(?=://)", re.IGNORECASE)
_WORD_JOINER = "\u2060"


def text(value: str) -> str:
    """`value` as literal inline Markdown text, safe inside a table cell."""
    flat = printable(" ".join(value.splitlines()))
    escaped = _MARKDOWN_PUNCTUATION.sub(r"\\\1", flat)
    return _AUTOLINK_TRIGGER.sub(_WORD_JOINER, escaped)


def message(value: str) -> str:
    """A finding's message: its `quoted code` as code spans, the rest as literal text."""
    pieces = re.split(r"`([^`\n]+)`", value)
    return "".join(code(piece) if position % 2 else text(piece) for position, piece in enumerate(pieces))


def code(value: str) -> str:
    """`value` as an inline code span, safe inside a table cell (pipes escaped, as GFM requires)."""
    flat = printable(" ".join(value.splitlines()))
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    padded = f" {flat} " if flat.startswith("`") or flat.endswith("`") or not flat.strip() else flat
    return f"{fence}{padded}{fence}".replace("|", "\\|")


def counts_line(run: Run) -> str:
    by_severity = Counter(f.severity for f in run.findings)
    parts = [f"**{plural(run.files_scanned, 'file')}** ({run.lines} lines)"]
    parts += [plural(by_severity[s], s.label) for s in sorted(Severity, reverse=True)]
    parts.append(plural(len(run.errors), "file error"))
    return " · ".join(parts)


OUTCOME_ICONS = {"fail": "❌", "incomplete": "❌", "warn": "⚠️", "pass": "✅"}


def headline(run: Run) -> str:
    outcome = run.outcome
    return f"## Backend review: {OUTCOME_ICONS[outcome.state]} {outcome.headline}"


def checklist_table(run: Run) -> list[str]:
    lines = ["| | Checklist item | Verdict | Findings |", "|---|---|---|---:|"]
    for item in run.checklist:
        detail = str(len(item.findings)) if item.findings else ""
        title = f"{code(item.item.id)} {text(item.item.title)}"
        if item.note:
            title += f"<br>*{text(item.note)}*"
        lines.append(f"| {VERDICT_ICONS[item.verdict]} | {title} | {item.verdict.value} | {detail} |")
    return lines


def finding_row(finding: Finding) -> str:
    where = code(f"{finding.path}:{finding.span.line}:{finding.span.column}")
    rule = f"{code(finding.code)} {text(finding.name)}"
    return f"| {finding.severity.label} | {where} | {rule} | {message(finding.message)} |"


def item_section(item: ItemResult, findings: list[Finding]) -> list[str]:
    heading = f"### {VERDICT_ICONS[item.verdict]} {code(item.item.id)}: {text(item.item.title)}"
    lines = [heading, "", "| Severity | Location | Rule | Message |", "|---|---|---|---|"]
    lines += [finding_row(f) for f in findings]
    return lines


def errors_section(run: Run, budget: int | None = None) -> list[str]:
    """The files not fully reviewed, as many as fit in `budget` bytes, and the cut said."""
    if not run.errors:
        return []
    lines = ["### Files not fully reviewed", "", "| Location | Problem | Detail |", "|---|---|---|"]
    used = _size(lines)
    for position, error in enumerate(run.errors):
        where = f"{error.path}:{error.line}" if error.line else error.path
        row = f"| {code(where)} | {error.kind.value} | {text(error.message)} |"
        if budget is not None and used + _size([row]) + 200 > budget:
            left = len(run.errors) - position
            lines += ["", f"*{left} more not shown here: the JSON and HTML reports list them all.*"]
            break
        lines.append(row)
        used += _size([row])
    return lines


def rules_table(run: Run) -> list[str]:
    """Findings counted per rule, most first: the summary that fits however many there are."""
    counts = Counter((f.code, f.name, f.checklist) for f in run.findings)
    if not counts:
        return []
    lines = ["| Rule | Checklist item | Findings |", "|---|---|---:|"]
    for (rule, name, item), count in sorted(counts.items(), key=lambda entry: (-entry[1], entry[0])):
        lines.append(f"| {code(rule)} {text(name)} | {code(item)} | {count} |")
    return [*lines, ""]


def document(run: Run, budget: int | None = COMMENT_LIMIT) -> str:
    """The whole report, within `budget` bytes of UTF-8 (GitHub's limit for a comment by
    default): the checklist and the counts per rule always, then the findings by item as far
    as they fit, and the cut said. `None` lists every finding."""
    remarks = [f"*{message(remark)}*" for remark in run.remarks]
    head = [headline(run), "", counts_line(run), "", *remarks, *([""] if remarks else []), *checklist_table(run), ""]
    head += rules_table(run)
    # File errors may take half of what the checklist leaves; findings take the rest.
    tail = errors_section(run, None if budget is None else (budget - _size(head)) // 2)
    used = _size(head) + _size(tail)
    body: list[str] = []
    shown = 0
    for item in run.checklist:
        if not item.findings:
            continue
        section = item_section(item, [])
        if budget is not None and used + _size(section) + 200 > budget:
            break
        body += section
        used += _size(section)
        for finding in item.findings:
            row = finding_row(finding)
            if budget is not None and used + _size([row]) + 200 > budget:
                break
            body.append(row)
            used += _size([row])
            shown += 1
        body.append("")
    total = len(run.findings)
    if shown < total:
        body += [
            f"*{total - shown} of {plural(total, 'finding')} not shown here, to stay within GitHub's size limit: "
            "the HTML and SARIF reports list them all.*",
            "",
        ]
    return "\n".join([*head, *body, *tail]).rstrip("\n") + "\n"


def _size(lines: list[str]) -> int:
    return sum(len(utf8(line)) + 1 for line in lines)


def render(run: Run, options: RenderOptions) -> str:
    return document(run)
