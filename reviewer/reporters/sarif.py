"""The SARIF 2.1.0 report, shaped for GitHub code scanning (`github/codeql-action/upload-sarif`).

One run: every enabled rule as a reporting descriptor (its documentation is the help text), every
finding as a result, files that could not be reviewed as tool execution notifications, and the
checklist verdicts in the run's property bag.

Two choices follow GitHub's documented behaviour rather than the bare schema:

- Our stable fingerprint goes under `partialFingerprints["backendReviewer/v1"]`, not
  `primaryLocationLineHash`: upload-sarif computes that key itself from the file and warns (an
  annotation per result) when the file carries a different value.
- GitHub rejects a file over its limits (25,000 results per run, 20 tags per rule, 10 MB
  gzip-compressed) and cuts descriptions at 1,024 characters, so the report keeps to them: when
  it must drop results it keeps the most severe and says how many it dropped in a notification.
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from reviewer import __version__
from reviewer.checklist import SECURITY_ITEM_IDS
from reviewer.engine import Run
from reviewer.model import ErrorKind, FileError, Finding, Fix, Severity, Span
from reviewer.output import utf8
from reviewer.reporters import RenderOptions
from reviewer.rule import Rule

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "backend-reviewer"
FINGERPRINT_KEY = "backendReviewer/v1"
SOURCE_ROOT = "%SRCROOT%"
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
PROBLEM_SEVERITIES = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "recommendation"}
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
    notifications = [_notification(error) for error in run.errors]
    findings = sorted(run.findings, key=lambda f: (-f.severity, f.sort_key))
    keep = min(len(findings), MAX_RESULTS)
    while True:
        log = _log(run, descriptors, index, findings[:keep], notifications, dropped=len(findings) - keep)
        if keep == 0 or len(gzip.compress(utf8(encode(log)))) <= MAX_GZIP_BYTES:
            return log
        keep = keep * 4 // 5


def _log(
    run: Run,
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
            "originalUriBaseIds": {SOURCE_ROOT: {"uri": run.root.as_uri().rstrip("/") + "/"}},
            "columnKind": "unicodeCodePoints",
            "invocations": [invocation],
            "results": [_result(f, index) for f in kept],
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
    tags = [rule.checklist, *(["security"] if rule.checklist in SECURITY_ITEM_IDS else [])]
    return {
        "id": rule.code,
        "name": rule.name[:MAX_NAME],
        "shortDescription": {"text": _clip(summary)},
        "fullDescription": {"text": _clip(_first_section(documentation) or summary)},
        "help": {"text": documentation, "markdown": documentation},
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "checklist": rule.checklist,
            "tags": list(dict.fromkeys(tags))[:MAX_TAGS],
            "problem.severity": PROBLEM_SEVERITIES[rule.severity],
        },
    }


def _first_section(documentation: str) -> str:
    """The body of the first `##` section (What it does), else the text after the summary line."""
    match = re.search(r"^##[^\n]*\n(.*?)(?=^##|\Z)", documentation, re.MULTILINE | re.DOTALL)
    body = match.group(1) if match else "\n".join(documentation.splitlines()[1:])
    return " ".join(body.split())


def _clip(text: str) -> str:
    return text if len(text) <= MAX_DESCRIPTION else text[: MAX_DESCRIPTION - 1] + "…"


def _message(text: str) -> dict[str, str]:
    return {"text": _EMBEDDED_LINK.sub(r"\\[\1\\](", text)}


def artifact(path: str) -> dict[str, str]:
    # A file name that is not UTF-8 reaches us with its bytes escaped as lone surrogates: the URI
    # percent-encodes those bytes as they are.
    return {"uri": quote(path, safe="/", errors="surrogateescape"), "uriBaseId": SOURCE_ROOT}


def region(span: Span) -> dict[str, int]:
    return {
        "startLine": span.line,
        "startColumn": span.column,
        "endLine": span.end_line,
        "endColumn": span.end_column,
    }


def _result(finding: Finding, index: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {"ruleId": finding.code}
    if finding.code in index:
        result["ruleIndex"] = index[finding.code]
    result.update({
        "level": LEVELS[finding.severity],
        "message": _message(finding.message),
        "locations": [
            {"physicalLocation": {"artifactLocation": artifact(finding.path), "region": region(finding.span)}}
        ],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {"checklist": finding.checklist},
    })
    if finding.fix is not None:
        result["fixes"] = [_fix(finding.path, finding.fix)]
    return result


def _fix(path: str, fix: Fix) -> dict[str, Any]:
    return {
        "description": {"text": fix.description},
        "artifactChanges": [{
            "artifactLocation": artifact(path),
            "replacements": [
                {"deletedRegion": region(edit.span), "insertedContent": {"text": edit.replacement}}
                for edit in fix.edits
            ],
        }],
        "properties": {"safe": fix.safe},
    }


def _notification(error: FileError) -> dict[str, Any]:
    notification: dict[str, Any] = {
        "level": "error" if error.kind in (ErrorKind.INTERNAL, ErrorKind.PARSER_CRASH) else "warning",
        "descriptor": {"id": error.kind.value},
        "message": _message(f"{error.path}: {error.message}" if error.path not in ("", ".") else error.message),
    }
    if error.path not in ("", "."):
        location: dict[str, Any] = {"artifactLocation": artifact(error.path)}
        if error.line:
            location["region"] = {"startLine": error.line}
        notification["locations"] = [{"physicalLocation": location}]
    return notification
