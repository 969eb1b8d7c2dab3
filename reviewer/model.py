"""The values that flow from rules to reports: severities, findings, fixes and file errors.

Everything here is a plain, picklable dataclass: findings cross process boundaries and live in the
cache, so they must not hold libcst nodes.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any


class Severity(enum.IntEnum):
    """How serious a finding is; ordered so that `>=` compares against `--fail-on`."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {text!r} (choose from {choices})") from None

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Span:
    """A region of a file: 1-based lines, 1-based columns, end exclusive (as editors show)."""

    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Edit:
    """Replace the text of `span` with `replacement`."""

    span: Span
    replacement: str


@dataclass(frozen=True)
class Fix:
    """A rule's fix for its finding: edits of the file it read (`reviewer.fixes` applies them).
    `safe` when it changes nothing but what the finding is about; otherwise it is applied only
    with `--unsafe-fixes`, and the rule's *Fix safety* says why."""

    description: str
    edits: tuple[Edit, ...]
    safe: bool = True


@dataclass(frozen=True)
class Related:
    """Another place that is part of a finding's evidence: a hop of a call chain, say."""

    path: str
    span: Span
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.span.line, "column": self.span.column, "message": self.message}


@dataclass(frozen=True)
class Finding:
    code: str
    name: str
    checklist: str
    severity: Severity
    path: str
    span: Span
    message: str
    fix: Fix | None = None
    # Lines of the statement holding the finding: a suppression comment on any of them counts.
    statement_lines: tuple[int, int] | None = None
    fingerprint: str = ""
    # The other places of the evidence, in order (a call chain's hops, from the finding on).
    related: tuple[Related, ...] = ()
    # The secret value a secrets rule found here, for the engine to mask wherever else the run
    # would print it (`reviewer.redaction`); cleared before reports see the finding.
    secret: str = field(default="", repr=False)

    @property
    def sort_key(self) -> tuple[Any, ...]:
        return (self.path, self.span.line, self.span.column, self.code, self.message)

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "checklist": self.checklist,
            "severity": self.severity.label,
            "path": self.path,
            "line": self.span.line,
            "column": self.span.column,
            "end_line": self.span.end_line,
            "end_column": self.span.end_column,
            "message": self.message,
            "fingerprint": self.fingerprint,
            "fix": None if self.fix is None else asdict(self.fix),
            "related": [place.to_json() for place in self.related],
        }


class ErrorKind(str, enum.Enum):
    """Why a file could not be (fully) reviewed. Values appear in reports."""

    SYNTAX = "syntax-error"
    DECODE = "decode-error"
    BINARY = "binary-file"
    TOO_LARGE = "too-large"
    READ = "read-error"
    SYMLINK_LOOP = "symlink-loop"
    TOO_DEEP = "too-deeply-nested"
    PARSER_CRASH = "parser-crash"
    OVER_BUDGET = "over-budget"
    UNSUPPORTED = "unsupported-syntax"
    INTERNAL = "internal-error"


@dataclass(frozen=True)
class FileError:
    path: str
    kind: ErrorKind
    message: str
    line: int | None = None

    @property
    def sort_key(self) -> tuple[Any, ...]:
        return (self.path, self.line or 0, self.kind.value, self.message)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"path": self.path, "kind": self.kind.value, "message": self.message}
        if self.line is not None:
            data["line"] = self.line
        return data


@dataclass
class FileResult:
    """All that one file contributes to a run; this is what the cache stores per file."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    summary: Any = None
    applicable: set[str] = field(default_factory=set)
    lines: int = 0
    # Line -> rule codes a comment there silences (`*`: all); applied centrally after the run.
    suppressions: dict[int, frozenset[str]] = field(default_factory=dict)
