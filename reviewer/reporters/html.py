"""The HTML report: one self-contained page for a reviewer (`--format html -o review.html`).

Rendered by the jinja2 templates in `reviewer/templates/` with autoescaping on. Everything that
comes from the reviewed repository (file names, messages, code) reaches the page only as escaped
text or in escaped attributes; the page's one script is static, reads its data from those
attributes, and is pinned by hash in a Content-Security-Policy that also forbids every network
request, so even a mistake in escaping could not run a script from the reviewed code.

The page shows each finding once, in its checklist item's group, and first the root causes:
places that several findings come from (the blocking call at the end of their call chains), so
that a reviewer fixes one helper rather than reading twenty findings it causes.

Code excerpts are read from `run.root / finding.path` when the page is rendered, decoded and
numbered as the review read them, and shown only if the file's bytes are still those reviewed;
secrets are starred out in them by value, and by position where the value cannot be found; only
the secret's characters, so the line around it can still be judged.
"""

from __future__ import annotations

import base64
import hashlib
import io
import keyword
import re
import time
import tokenize
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources

import jinja2
from markupsafe import Markup, escape

from reviewer import __version__
from reviewer.edits import finding_diff
from reviewer.engine import Run
from reviewer.model import Finding, Related, Severity, Span
from reviewer.reporters import RenderOptions
from reviewer.reporters.sources import Sources

# Checklist rows worst first, so what needs attention is at the top of the page.
VERDICT_ORDER = ("fail", "warn", "pass", "not-applicable", "skipped", "manual")
CONTEXT_LINES = 2
MAX_SPAN_LINES = 8
MAX_LINE_CHARS = 300
MAX_CODE_CHARS = 80  # of the code a root cause names
_TOKEN_CLASSES = {tokenize.COMMENT: "tok-comment", tokenize.NUMBER: "tok-number", tokenize.STRING: "tok-string"}
for _name in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END"):
    if hasattr(tokenize, _name):
        _TOKEN_CLASSES[getattr(tokenize, _name)] = "tok-string"


@dataclass
class Segment:
    text: str
    css: str  # space-separated classes: a token class and/or "hit" for the flagged span


@dataclass
class ExcerptLine:
    number: int
    segments: list[Segment]
    flagged: bool
    clipped: bool = False


@dataclass
class Excerpt:
    lines: list[ExcerptLine] = field(default_factory=list)
    gap_after: int | None = None  # line number after which flagged lines were left out
    left_out: int = 0  # how many flagged lines were left out there
    unavailable: str = ""


@dataclass
class Entry:
    """A finding as the page shows it, once: with the code around it."""

    finding: Finding
    excerpt: Excerpt
    cause: RootCause | None = None  # when other findings share it
    # The finding's fix as diff lines, each with its kind (add, del, hunk or ''), or why not shown.
    fix_diff: list[tuple[str, str]] | str = field(default_factory=list)

    @property
    def anchor(self) -> str:
        return f"finding-{self.finding.fingerprint}"


@dataclass
class RootCause:
    """A place that findings have in common (the blocking call at the end of their call chains,
    say): fixing it there makes all of them go away."""

    anchor: str
    path: str
    span: Span
    code: str  # the code there, as shown (secrets starred out), cut short
    note: str  # what the findings' chains say of the place ('' when it is a finding's own)
    excerpt: Excerpt
    entries: list[Entry]

    @property
    def findings(self) -> int:
        return len(self.entries)


class _Sources(Sources):
    """The sources, with the syntax class of each character for highlighting."""

    def __init__(self, run: Run) -> None:
        super().__init__(run)
        self._classes: dict[str, list[list[str]]] = {}

    def token_classes(self, path: str) -> list[list[str]]:
        """Per line, per character: the syntax class of the token there ('' for none)."""
        if path not in self._classes:
            lines = self.lines(path)
            self._classes[path] = _classify(lines) if isinstance(lines, list) else []
        return self._classes[path]


def _classify(lines: list[str]) -> list[list[str]]:
    classes = [[""] * len(line) for line in lines]
    source = "\n".join(lines) + "\n"
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            css = _TOKEN_CLASSES.get(token.type)
            if token.type == tokenize.NAME and (keyword.iskeyword(token.string) or keyword.issoftkeyword(token.string)):
                css = "tok-keyword"
            if css is None:
                continue
            (first, start), (last, end) = token.start, token.end
            for row in range(first, last + 1):
                if row - 1 >= len(classes):
                    break
                line = classes[row - 1]
                begin = start if row == first else 0
                stop = end if row == last else len(line)
                for column in range(begin, min(stop, len(line))):
                    line[column] = css
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # highlighting is a nicety: what was tokenized before the error keeps its colours
    return classes


def excerpt(sources: _Sources, path: str, span: Span) -> Excerpt:
    """The lines of `span` (at most `MAX_SPAN_LINES`) with `CONTEXT_LINES` around them."""
    lines = sources.lines(path)
    if isinstance(lines, str):
        return Excerpt(unavailable=lines)
    if not lines or span.line > len(lines):
        return Excerpt(unavailable="the file has changed since it was reviewed")
    classes = sources.token_classes(path)
    last_flagged = min(span.end_line, span.line + MAX_SPAN_LINES - 1, len(lines))
    first = max(1, span.line - CONTEXT_LINES)
    cut = last_flagged < span.end_line
    last = last_flagged if cut else min(len(lines), last_flagged + CONTEXT_LINES)
    result = Excerpt(gap_after=last_flagged if cut else None, left_out=span.end_line - last_flagged)
    for number in range(first, last + 1):
        text = sources.shown_line(path, number)
        line_classes = classes[number - 1] if number - 1 < len(classes) else [""] * len(text)
        flagged = span.line <= number <= span.end_line
        hit_start = span.column - 1 if number == span.line else 0
        hit_end = span.end_column - 1 if number == span.end_line else len(text)
        result.lines.append(_excerpt_line(number, text, line_classes, flagged, hit_start, hit_end))
    return result


def _excerpt_line(
    number: int, text: str, classes: list[str], flagged: bool, hit_start: int, hit_end: int
) -> ExcerptLine:
    clipped = len(text) > MAX_LINE_CHARS
    text = text[:MAX_LINE_CHARS]
    segments: list[Segment] = []
    for column, char in enumerate(text):
        css = classes[column] if column < len(classes) else ""
        if flagged and hit_start <= column < hit_end:
            css = f"{css} hit".strip()
        if segments and segments[-1].css == css:
            segments[-1].text += char
        else:
            segments.append(Segment(char, css))
    return ExcerptLine(number, segments, flagged, clipped)


def entries_of(run: Run, sources: _Sources) -> list[Entry]:
    """The run's findings as the page shows them, worst first (the engine keeps no two alike)."""
    worst_first = sorted(run.findings, key=lambda f: (-f.severity, f.sort_key))
    return [
        Entry(finding, excerpt(sources, finding.path, finding.span), fix_diff=_fix_diff(sources, finding))
        for finding in worst_first
    ]


def _fix_diff(sources: _Sources, finding: Finding) -> list[tuple[str, str]] | str:
    """The finding's fix as the lines of a diff (secrets starred out), without the file names."""
    diff = finding_diff(sources, finding)
    if diff is None or isinstance(diff, str):
        return diff or []
    kinds = {"+": "add", "-": "del", "@": "hunk"}
    return [(kinds.get(line[:1], ""), line) for line in diff if not line.startswith(("--- ", "+++ "))]


def root_place(finding: Finding) -> Finding | Related:
    """Where a finding comes from: the last place of its chain (where the blocking call is made),
    or, when it has none, the finding itself."""
    return finding.related[-1] if finding.related else finding


def root_causes(entries: list[Entry], sources: _Sources) -> list[RootCause]:
    """The lines two or more entries come from, those with most findings first; each entry of
    one is linked to it."""
    by_line: dict[tuple[str, int], list[Entry]] = {}
    for entry in entries:
        place = root_place(entry.finding)
        by_line.setdefault((place.path, place.span.line), []).append(entry)
    shared = sorted(
        ((line, group) for line, group in by_line.items() if len(group) > 1),
        key=lambda shared: (-len(shared[1]), shared[0]),
    )
    causes = []
    for number, (_, group) in enumerate(shared, 1):
        place = root_place(group[0].finding)
        cause = RootCause(
            anchor=f"cause-{number}",
            path=place.path,
            span=place.span,
            code=_code_at(sources, place.path, place.span),
            note=place.message if isinstance(place, Related) else "",
            excerpt=excerpt(sources, place.path, place.span),
            entries=group,
        )
        for entry in group:
            entry.cause = cause
        causes.append(cause)
    return causes


def _code_at(sources: _Sources, path: str, span: Span) -> str:
    """The code `span` covers on its first line, as excerpts show it, cut short ('' if unreadable)."""
    lines = sources.lines(path)
    if isinstance(lines, str) or span.line > len(lines):
        return ""
    text = sources.shown_line(path, span.line)
    end = span.end_column - 1 if span.end_line == span.line else len(text)
    code = " ".join(text[span.column - 1 : end].split())
    return code if len(code) <= MAX_CODE_CHARS else code[: MAX_CODE_CHARS - 1] + "…"


_FENCE = re.compile(r"^```")
_INLINE_CODE = re.compile(r"`([^`]+)`")


def documentation_html(text: str) -> Markup:
    """A rule's Markdown documentation as HTML: headings, paragraphs, lists, code; all escaped."""
    parts: list[Markup] = []
    paragraph: list[str] = []
    code: list[str] | None = None

    def flush() -> None:
        if not paragraph:
            return
        if all(line.lstrip().startswith(("- ", "* ")) for line in paragraph):
            items = Markup("").join(Markup("<li>{}</li>").format(_inline(line.lstrip()[2:])) for line in paragraph)
            parts.append(Markup("<ul>{}</ul>").format(items))
        else:
            parts.append(Markup("<p>{}</p>").format(_inline(" ".join(line.strip() for line in paragraph))))
        paragraph.clear()

    for line in text.splitlines():
        if code is not None:
            if _FENCE.match(line.strip()):
                parts.append(Markup("<pre><code>{}</code></pre>").format("\n".join(code)))
                code = None
            else:
                code.append(line)
        elif _FENCE.match(line.strip()):
            flush()
            code = []
        elif line.startswith("#"):
            flush()
            parts.append(Markup("<h5>{}</h5>").format(line.lstrip("#").strip()))
        elif not line.strip():
            flush()
        else:
            paragraph.append(line)
    flush()
    if code is not None:
        parts.append(Markup("<pre><code>{}</code></pre>").format("\n".join(code)))
    return Markup("").join(parts)


def _without_summary(documentation: str) -> str:
    """The documentation below its first line, which the page already shows as the rule's summary."""
    return documentation.partition("\n")[2]


def _inline(text: str) -> Markup:
    pieces = _INLINE_CODE.split(text)
    return Markup("").join(
        Markup("<code>{}</code>").format(piece) if position % 2 else escape(piece)
        for position, piece in enumerate(pieces)
    )


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("reviewer", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Messages quote code in backticks; this filter escapes every piece and marks those as code.
    environment.filters["inline_code"] = _inline
    return environment


def _asset(name: str) -> str:
    return resources.files("reviewer").joinpath("templates", name).read_text(encoding="utf-8")


def _csp_hash(content: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(content.encode("utf-8")).digest()).decode("ascii") + "'"


def render(run: Run, options: RenderOptions) -> str:
    sources = _Sources(run)
    script, style = _asset("report.js"), _asset("report.css")
    policy = (
        f"default-src 'none'; script-src {_csp_hash(script)}; style-src {_csp_hash(style)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    rules = {rule.code: rule for rule in run.rules}
    entries = entries_of(run, sources)
    checklist = sorted(run.checklist, key=lambda item: VERDICT_ORDER.index(item.verdict.value))
    by_item = []  # (item, its entries, how many findings they stand for), for items with findings
    for item in checklist:
        group = [entry for entry in entries if entry.finding.checklist == item.item.id]
        if group:
            by_item.append((item, group, len(group)))
    by_file = Counter(f.path for f in run.findings)
    in_file_order = sorted(entries, key=lambda entry: entry.finding.sort_key)
    used_codes = sorted({f.code for f in run.findings})
    return _environment().get_template("report.html.j2").render(
        run=run,
        version=__version__,
        policy=policy,
        script=Markup(script),
        style=Markup(style),
        outcome=run.outcome,
        checklist=checklist,
        entries=entries,
        causes=root_causes(entries, sources),
        by_item=by_item,
        by_file=sorted(by_file.items()),
        file_order={entry.anchor: position for position, entry in enumerate(in_file_order)},
        rules=rules,
        rule_docs={
            code: documentation_html(_without_summary(rules[code].documentation()))
            for code in used_codes
            if code in rules
        },
        rule_summaries={code: _inline(rules[code].summary_line()) for code in used_codes if code in rules},
        used_codes=used_codes,
        rule_counts=Counter(f.code for f in run.findings),
        severities=sorted(Severity, reverse=True),
        severity_counts=Counter(f.severity for f in run.findings),
        verdict_counts=Counter(item.verdict.value for item in run.checklist),
        failing=len(run.failing),
        seconds=options.seconds,
        generated=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    )
