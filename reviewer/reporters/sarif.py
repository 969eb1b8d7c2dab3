"""The SARIF 2.1.0 report, shaped for GitHub code scanning (`github/codeql-action/upload-sarif`).

One run: every enabled rule as a reporting descriptor (its documentation is the help text), every
finding as a result, files that could not be reviewed as tool execution notifications, and the
checklist verdicts in the run's property bag.

These choices follow GitHub's documented behaviour rather than the bare schema:

- Our stable fingerprint goes under `partialFingerprints["backendReviewer/v1"]`, not
  `primaryLocationLineHash`: upload-sarif computes that key itself from the file and warns (an
  annotation per result) when the file carries a different value.
- GitHub rejects a file over its limits (25,000 results per run, 20 tags per rule, 10 MB
  gzip-compressed) and cuts descriptions at 1,024 characters, so the report keeps to them: when
  it must drop results it keeps the most severe and says how many it dropped in a notification.
- Artifact URIs are relative to the top of the git repository holding the run's root (the
  nearest directory above it with a `.git` directory, or a `.git` file for a worktree or a
  submodule), which is where GitHub looks for them: a review started in `backend/` still names
  `backend/app/main.py`. Without a repository they are relative to the run's root.
- GitHub links a result's related locations only where its message links to them, so a finding
  with related places (a call chain's hops) ends its message with `[text](id)` links to them.
- Descriptions are plain text: `text` fields carry no Markdown backticks; `markdown` fields keep
  them.

A rule descriptor's properties say how GitHub ranks and filters its alerts:

- `tags` has the rule's checklist item, and `security` for the items the checklist marks as
  security items (`Item.security`); only those rules carry a `security-severity`, which GitHub
  shows as critical (over 9.0), high (7.0 to 8.9), medium (4.0 to 6.9) or low. It follows the
  rule's default severity: error 7.5 (high), warning 5.5 (medium), info 3.0 (low); an error of an
  item whose findings are exploitable as they stand (a hardcoded credential, SQL injection, a
  JWT accepted unverified, an endpoint open without authentication) is 8.8, as CodeQL rates SQL
  injection.
- `precision` is the precision measured on real applications (`Item.precision`; README,
  "Precision on real applications"), per checklist item: 0.95 or more is `very-high`, 0.80 or more `high`, 0.60 or
  more `medium`, less `low`; an item not measured yet is `high`, the precision its fixtures are
  held to.
- `problem.severity` follows the default severity: `error`, `warning`, or `recommendation`.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from reviewer import __version__
from reviewer.checklist import ITEMS_BY_ID, SECURITY_ITEM_IDS
from reviewer.engine import Run, repository_prefix
from reviewer.model import ErrorKind, FileError, Finding, Fix, Related, Severity, Span
from reviewer.output import utf8
from reviewer.reporters import RenderOptions
from reviewer.rule import Rule

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "backend-reviewer"
FINGERPRINT_KEY = "backendReviewer/v1"
SOURCE_ROOT = "%SRCROOT%"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
PROBLEM_SEVERITIES = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "recommendation"}
SECURITY_SEVERITIES = {Severity.ERROR: "7.5", Severity.WARNING: "5.5", Severity.INFO: "3.0"}
EXPLOITABLE_ERROR_SEVERITY = "8.8"
EXPLOITABLE_ITEMS = frozenset({"secrets-not-hardcoded", "parameterized-queries", "jwt-verification",
                               "auth-on-endpoints"})
UNMEASURED_PRECISION = "high"
MAX_RESULTS = 25_000
MAX_TAGS = 20
MAX_DESCRIPTION = 1024
MAX_NAME = 255
MAX_GZIP_BYTES = 10 * 1024 * 1024
# Embedded links in SARIF messages look like Markdown links; a literal one must be escaped.
_EMBEDDED_LINK = re.compile(r"\[([^\[\]]*)\]\(")


def render(run: Run, options: RenderOptions) -> str:
    return encode(document(run))


def encode(log: dict[str, Any]) -> str:
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def document(run: Run) -> dict[str, Any]:
    descriptors, index = _descriptors(run)
    top, base = repository_prefix(run.root)
    notifications = [_notification(error, base) for error in run.errors]
    findings = sorted(run.findings, key=lambda f: (-f.severity, f.sort_key))
    keep = min(len(findings), MAX_RESULTS)
    while True:
        log = _log(run, top, base, descriptors, index, findings[:keep], notifications, dropped=len(findings) - keep)
        if keep == 0 or len(gzip.compress(utf8(encode(log)))) <= MAX_GZIP_BYTES:
            return log
        keep = keep * 4 // 5


def _log(
    run: Run,
    top: Path,
    base: str,
    descriptors: list[dict[str, Any]],
    index: dict[str, int],
    findings: Sequence[Finding],
    notifications: list[dict[str, Any]],
    dropped: int,
) -> dict[str, Any]:
    kept = sorted(findings, key=lambda f: f.sort_key)
    notes = list(notifications)
    if dropped:
        notes.append({
            "level": "warning",
            "descriptor": {"id": "results-truncated"},
            "message": {"text": f"{dropped} less severe results were left out to stay within GitHub's SARIF "
                                f"upload limits; the json or html report lists every finding."},
        })
    invocation: dict[str, Any] = {
        "executionSuccessful": not any(e.kind is ErrorKind.INTERNAL for e in run.errors),
        "exitCode": run.outcome.exit_code,
        "toolExecutionNotifications": notes,
    }
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": TOOL_NAME,
                "semanticVersion": __version__,
                "version": __version__,
                "rules": descriptors,
            }},
            "originalUriBaseIds": {SOURCE_ROOT: {"uri": top.as_uri().rstrip("/") + "/"}},
            "columnKind": "unicodeCodePoints",
            "invocations": [invocation],
            "results": [_result(f, index, base) for f in kept],
            "properties": {
                "checklist": [item.to_json() for item in run.checklist],
                "filesScanned": run.files_scanned,
                "linesScanned": run.lines,
                "failOn": run.config.fail_on.label,
                "findings": len(run.findings),
            },
        }],
    }


def _descriptors(run: Run) -> tuple[list[dict[str, Any]], dict[str, int]]:
    rules: dict[str, type[Rule]] = {rule.code: rule for rule in sorted(run.rules, key=lambda r: r.code)}
    descriptors = [_descriptor(rule) for rule in rules.values()]
    index = {code: position for position, code in enumerate(rules)}
    return descriptors, index


def _descriptor(rule: type[Rule]) -> dict[str, Any]:
    documentation = rule.documentation() or rule.summary_line() or rule.name
    summary = rule.summary_line() or rule.name
    description = _first_section(documentation) or summary
    security = rule.checklist in SECURITY_ITEM_IDS
    tags = [rule.checklist, *(["security"] if security else [])]
    properties: dict[str, Any] = {
        "checklist": rule.checklist,
        "tags": list(dict.fromkeys(tags))[:MAX_TAGS],
        "precision": precision(rule.checklist),
        "problem.severity": PROBLEM_SEVERITIES[rule.severity],
    }
    if security:
        properties["security-severity"] = security_severity(rule.checklist, rule.severity)
    return {
        "id": rule.code,
        "name": rule.name[:MAX_NAME],
        "shortDescription": {"text": _clip(_plain(summary)), "markdown": _clip(summary)},
        "fullDescription": {"text": _clip(_plain(description)), "markdown": _clip(description)},
        "help": {"text": documentation, "markdown": documentation},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": properties,
    }


def security_severity(item: str, severity: Severity) -> str:
    """The score GitHub ranks a security rule's alerts by (see the module's docstring)."""
    if severity is Severity.ERROR and item in EXPLOITABLE_ITEMS:
        return EXPLOITABLE_ERROR_SEVERITY
    return SECURITY_SEVERITIES[severity]


def precision(item: str) -> str:
    """GitHub's precision level of an item's rules (see the module's docstring)."""
    measured = ITEMS_BY_ID[item].precision if item in ITEMS_BY_ID else None
    if measured is None:
        return UNMEASURED_PRECISION
    if measured >= 0.95:
        return "very-high"
    if measured >= 0.80:
        return "high"
    return "medium" if measured >= 0.60 else "low"


def _plain(text: str) -> str:
    """Markdown code spans as plain text: their text, without the backticks."""
    return text.replace("`", "")


def _first_section(documentation: str) -> str:
    """The body of the first `##` section (What it does), else the text after the summary line."""
    match = re.search(r"^##[^\n]*\n(.*?)(?=^##|\Z)", documentation, re.MULTILINE | re.DOTALL)
    body = match.group(1) if match else "\n".join(documentation.splitlines()[1:])
    return " ".join(body.split())


def _clip(text: str) -> str:
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


def _message(text: str) -> dict[str, str]:
    return {"text": _EMBEDDED_LINK.sub(r"\\[\1\\](", text)}


def _linked_message(finding: Finding) -> dict[str, str]:
    """The finding's message, ending with a link to each related location (ids from 1)."""
    message = _message(finding.message)
    if finding.related:
        links = "; ".join(f"[{_link_text(place.message)}]({number})"
                          for number, place in enumerate(finding.related, start=1))
        message["text"] += f" (see {links})"
    return message


def _link_text(text: str) -> str:
    """Text for inside an embedded link's brackets: `\\`, `[` and `]` escaped with a backslash."""
    return re.sub(r"([\\\[\]])", r"\\\1", text)


def artifact(path: str, base: str) -> dict[str, str]:
    """A file named relative to the run's root, `base` the run's root relative to the source root."""
    # A file name that is not UTF-8 reaches us with its bytes escaped as lone surrogates: the URI
    # percent-encodes those bytes as they are.
    return {"uri": quote(base + path, safe="/", errors="surrogateescape"), "uriBaseId": SOURCE_ROOT}


def region(span: Span) -> dict[str, int]:
    return {
        "startLine": span.line,
        "startColumn": span.column,
        "endLine": span.end_line,
        "endColumn": span.end_column,
    }


def _result(finding: Finding, index: dict[str, int], base: str) -> dict[str, Any]:
    result: dict[str, Any] = {"ruleId": finding.code}
    if finding.code in index:
        result["ruleIndex"] = index[finding.code]
    result.update({
        "level": LEVELS[finding.severity],
        "message": _linked_message(finding),
        "locations": [
            {"physicalLocation": {"artifactLocation": artifact(finding.path, base), "region": region(finding.span)}}
        ],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {"checklist": finding.checklist},
    })
    if finding.related:
        result["relatedLocations"] = [
            _related_location(number, place, base) for number, place in enumerate(finding.related, start=1)
        ]
    if finding.fix is not None:
        result["fixes"] = [_fix(finding.path, finding.fix, base)]
    return result


def _related_location(number: int, place: Related, base: str) -> dict[str, Any]:
    return {
        "id": number,
        "physicalLocation": {"artifactLocation": artifact(place.path, base), "region": region(place.span)},
        "message": _message(place.message),
    }


def _fix(path: str, fix: Fix, base: str) -> dict[str, Any]:
    return {
        "description": {"text": fix.description},
        "artifactChanges": [{
            "artifactLocation": artifact(path, base),
            "replacements": [
                {"deletedRegion": region(edit.span), "insertedContent": {"text": edit.replacement}}
                for edit in fix.edits
            ],
        }],
        "properties": {"safe": fix.safe},
    }


def _notification(error: FileError, base: str) -> dict[str, Any]:
    notification: dict[str, Any] = {
        "level": "error" if error.kind in (ErrorKind.INTERNAL, ErrorKind.PARSER_CRASH) else "warning",
        "descriptor": {"id": error.kind.value},
        "message": _message(f"{error.path}: {error.message}" if error.path not in ("", ".") else error.message),
    }
    if error.path not in ("", "."):
        location: dict[str, Any] = {"artifactLocation": artifact(error.path, base)}
        if error.line:
            location["region"] = {"startLine": error.line}
        notification["locations"] = [{"physicalLocation": location}]
    return notification
