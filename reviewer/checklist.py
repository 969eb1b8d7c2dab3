"""The backend quality checklist: every item, always present, each with a verdict.

Item ids are a contract (users' dashboards and baselines key on them). An item that no enabled
rule decides is `manual`, with the question a human reviewer should ask, so a report is always
the whole checklist.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from reviewer.companions import EngineResult
from reviewer.model import Finding, Severity


class Verdict(str, enum.Enum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    NOT_APPLICABLE = "not-applicable"
    MANUAL = "manual"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Item:
    id: str
    title: str
    question: str  # what a reviewer asks when no rule decides the item
    engine: str | None = None  # a companion tool that decides the item instead of our rules
    security: bool = False  # its findings are security problems (GitHub lists them as such)
    # Precision of its rules' findings on real applications (README, "Precision on real
    # applications"); None until the real-app harness has findings of it to judge.
    precision: float | None = None


ITEMS: tuple[Item, ...] = (
    Item(
        "secrets-not-hardcoded",
        "Secrets and credentials are never hardcoded; they come from the environment or a secret store",
        "Are all credentials, keys and tokens read from the environment or a secret store?",
        security=True,
    ),
    Item(
        "parameterized-queries",
        "Database queries use parameterized statements; no SQL built from strings",
        "Is every SQL statement parameterized, with no user input spliced into SQL text?",
        security=True,
    ),
    Item(
        "no-select-star",
        "Queries select only the columns they need; no SELECT *",
        "Do queries name the columns they need instead of SELECT *?",
        precision=0.92,
    ),
    Item(
        "input-validation",
        "Every endpoint validates its input with Pydantic models at the boundary",
        "Does every endpoint take its body, query and path input through Pydantic models or typed parameters?",
        security=True,
        precision=1.00,
    ),
    Item(
        "async-io",
        "No blocking (sync) I/O inside async code",
        "Does any async def call blocking I/O (requests, sync DB sessions, file I/O, time.sleep)?",
        precision=0.90,
    ),
    Item(
        "password-hashing",
        "Passwords are hashed with bcrypt/argon2 (or scrypt/pbkdf2), never stored plain or with fast hashes",
        "Are passwords hashed with bcrypt, argon2, scrypt or pbkdf2 before they are stored?",
        security=True,
    ),
    Item(
        "jwt-verification",
        "JWTs are verified: signature, algorithm pinned, expiry checked",
        "Are JWTs decoded with signature verification, a pinned algorithm list and expiry checks?",
        security=True,
    ),
    Item(
        "cors-restrictive",
        "CORS is restrictive: no wildcard origins with credentials",
        "Does the CORS configuration list explicit origins, never `*` together with credentials?",
        security=True,
    ),
    Item(
        "io-timeouts",
        "Every outbound network call has a timeout",
        "Does every outbound HTTP, database and cache call have a timeout?",
    ),
    Item(
        "no-n-plus-one",
        "No N+1 query patterns (queries or lazy loads inside loops)",
        "Are related rows loaded eagerly instead of queried or lazy-loaded inside loops?",
    ),
    Item(
        "reversible-migrations",
        "Every migration has a working downgrade",
        "Does every migration's downgrade() undo its upgrade()?",
    ),
    Item(
        "no-internal-error-leak",
        "Internal errors are logged, not returned to clients",
        "Do error responses hide exception text and tracebacks from clients?",
        security=True,
        precision=0.91,
    ),
    Item(
        "production-config",
        "No debug mode, no reload=True, no wildcard hosts in production entry points",
        "Do production entry points run without debug, reload and wildcard hosts?",
        security=True,
    ),
    Item(
        "error-status-codes",
        "Errors return proper HTTP status codes (no error payloads with 200)",
        "Do failing requests get 4xx/5xx status codes rather than an error body with 200?",
        precision=1.00,
    ),
    Item(
        "auth-on-endpoints",
        "Mutating endpoints require authentication/authorization",
        "Does every POST/PUT/PATCH/DELETE endpoint depend on authentication and check authorization?",
        security=True,
    ),
    Item(
        "pagination",
        "List endpoints are paginated with a maximum page size",
        "Do list endpoints take a limit with an upper bound, and page through results?",
    ),
    Item(
        "structured-logging",
        "Logging, not print; no secrets or passwords in log calls",
        "Does the service log through logging (not print), without secrets in log messages?",
    ),
    Item("lint-clean", "Passes linting (ruff)", "Does the code pass the team's linter?", engine="ruff"),
    Item(
        "security-scan",
        "Passes a general security scan (bandit)",
        "Does the code pass a general security scan?",
        engine="bandit",
        security=True,
    ),
    Item("tests-present", "Tests cover the endpoints", "Do tests exercise every endpoint, including its error paths?"),
    Item(
        "type-checked",
        "Passes type checking",
        "Does the code pass a type checker (mypy or pyright) in CI?",
        engine="types",
    ),
    Item(
        "migration-safety",
        "Migrations avoid locking and data-losing operations",
        "Does every migration add columns, indexes and constraints without long locks, and drop nothing still in use?",
        precision=0.91,
    ),
    Item(
        "rate-limiting",
        "Authentication endpoints are rate limited",
        "Are login, token, sign-up and password-reset endpoints limited per client (in the app or at the proxy)?",
        security=True,
    ),
    Item(
        "security-headers",
        "Responses carry the standard security headers (HSTS, CSP, X-Content-Type-Options, X-Frame-Options)",
        "Does the app (or the proxy in front of it) set HSTS, CSP, X-Content-Type-Options and X-Frame-Options?",
        security=True,
    ),
    Item(
        "response-schemas",
        "Responses declare their schema and never carry credentials",
        "Does every endpoint declare a response model that leaves out password hashes, tokens and secrets?",
        security=True,
    ),
)

ITEM_IDS = frozenset(item.id for item in ITEMS)
ITEMS_BY_ID = {item.id: item for item in ITEMS}
SECURITY_ITEM_IDS = frozenset(item.id for item in ITEMS if item.security)


@dataclass
class ItemResult:
    item: Item
    verdict: Verdict
    findings: list[Finding] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)  # codes of the enabled rules deciding it
    note: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.item.id,
            "title": self.item.title,
            "verdict": self.verdict.value,
            "findings": len(self.findings),
            "rules": self.rules,
            "note": self.note,
        }


def build(
    findings: Sequence[Finding],
    *,
    all_rules: Mapping[str, str],
    enabled_rules: Iterable[str],
    applicable: set[str],
    fail_on: Severity,
    engines: Mapping[str, EngineResult] | None = None,
    notes: Mapping[str, str] | None = None,
) -> list[ItemResult]:
    """Verdicts for every item.

    `all_rules` maps every installed rule's code to its item, `enabled_rules` are the codes that
    ran, `applicable` the items some rule met something to check in, `engines` what each
    companion engine reported (or why it did not run), and `notes` what a rule measured over the
    repository (an item's note: `41 of 57 endpoints are requested by a test`).
    """
    engines = engines or {}
    notes = notes or {}
    enabled = set(enabled_rules)
    by_item: dict[str, list[Finding]] = {}
    for finding in findings:
        by_item.setdefault(finding.checklist, []).append(finding)
    results = []
    for item in ITEMS:
        installed = sorted(code for code, item_id in all_rules.items() if item_id == item.id)
        deciding = [code for code in installed if code in enabled]
        found = by_item.get(item.id, [])
        result = ItemResult(item=item, verdict=Verdict.PASS, findings=found, rules=deciding)
        results.append(result)
        if item.engine is not None:
            engine = engines.get(item.engine)
            if engine is None:
                result.verdict, result.note = Verdict.MANUAL, item.question
            elif engine.status != "ran":
                result.verdict, result.note = Verdict.SKIPPED, engine.note
            else:
                result.verdict = Verdict.WARN if engine.problems or engine.doubt else Verdict.PASS
                result.note = f"{engine.tool or item.engine}: {engine.note}"
            continue
        if not installed:
            result.verdict, result.note = Verdict.MANUAL, item.question
            continue
        elif not deciding:
            result.verdict, result.note = Verdict.SKIPPED, "disabled by configuration"
            continue
        elif item.id not in applicable and not found:
            result.verdict = Verdict.NOT_APPLICABLE
            result.note = notes.get(item.id, "nothing it applies to was found")
            continue
        result.verdict = _verdict(found, fail_on)
        result.note = notes.get(item.id, "")
    return results


def _verdict(found: Sequence[Finding], fail_on: Severity) -> Verdict:
    """An item its rules decide: fail on a finding at or above `fail_on`, warn on any other."""
    if any(f.severity >= fail_on for f in found):
        return Verdict.FAIL
    return Verdict.WARN if found else Verdict.PASS


def rejudge(
    items: Sequence[ItemResult], findings: Sequence[Finding], fail_on: Severity, notes: Mapping[str, str]
) -> list[ItemResult]:
    """The verdicts again, on part of a run's findings (those a baseline or a change leaves): an
    item its rules decided gets the findings left to it, and `notes` say what was left out."""
    by_item: dict[str, list[Finding]] = {}
    for finding in findings:
        by_item.setdefault(finding.checklist, []).append(finding)
    results = []
    for result in items:
        if result.item.engine is not None or result.verdict not in (Verdict.PASS, Verdict.FAIL, Verdict.WARN):
            results.append(result)
            continue
        found = by_item.get(result.item.id, [])
        note = notes.get(result.item.id, result.note)
        if result.note and note != result.note:  # what a rule measured stays: `41 of 57 endpoints ...`
            note = f"{result.note}; {note}"
        verdict = _verdict(found, fail_on)
        results.append(ItemResult(item=result.item, verdict=verdict, findings=found, rules=result.rules, note=note))
    return results
