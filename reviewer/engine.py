"""The engine: files -> parsed modules -> findings + summaries -> repo pass -> filter -> checklist.

It knows rules only through the `Rule` interface and reporters not at all. The per-file pass
runs in worker processes (`reviewer.pool`), where a file that crashes or exhausts a worker costs
only itself.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import json
import os
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewer import __version__, checklist
from reviewer.cache import Cache
from reviewer.companions import Running
from reviewer.config import Config, enabled_rules, matches, rule_options
from reviewer.discovery import NothingToReview, Skipped, SourceFile, discover, from_stdin, scan_root
from reviewer.model import ErrorKind, FileError, FileResult, Finding
from reviewer.packages import project_root
from reviewer.patterns import AnchoredPatterns
from reviewer.redaction import Secrets
from reviewer.rule import FACTS_MODELS, RepoContext, Rule
from reviewer.source_text import FileTooLarge, read_regular_file
from reviewer.wording import plural

if TYPE_CHECKING:
    from reviewer.pool import Progress


@dataclass
class Run:
    root: Path
    files_scanned: int
    lines: int
    findings: list[Finding]
    errors: list[FileError]
    checklist: list[checklist.ItemResult]
    rules: list[type[Rule]]
    config: Config
    cache_hits: int = 0
    extras: dict[str, Any] = field(default_factory=dict)
    # Every secret value the run identified: already masked in findings, errors and extras;
    # reporters that show source text mask them there (`Secrets.star_out`).
    secrets: Secrets = field(default_factory=Secrets)
    # What discovery left out, and why.
    skipped: list[Skipped] = field(default_factory=list)
    # Path -> digest of the bytes reviewed (`content_digest`), so a reporter that shows source
    # text can tell when the file has changed since.
    digests: dict[str, str] = field(default_factory=dict)
    # Path -> the bytes reviewed, for a file whose text did not come from disk (standard input):
    # what reporters, the baseline and pull-request mode read in place of the file.
    supplied: dict[str, bytes] = field(default_factory=dict)
    # The review itself failed (a bug of ours): nothing in it is a verdict.
    stopped: bool = False
    # What the findings were narrowed to, as headlines say it (`in this change`: pull-request
    # mode); '' for the whole review.
    scope: str = ""
    # Lines every report shows beside its summary: what the narrowing left out (`reviewer.narrowing`).
    remarks: list[str] = field(default_factory=list)

    @property
    def failing(self) -> list[Finding]:
        return [f for f in self.findings if f.severity >= self.config.fail_on]

    @property
    def outcome(self) -> Outcome:
        """What the run comes to, as every report states it and as the exit status says it."""
        verdicts = Counter(item.verdict for item in self.checklist)
        if self.stopped:
            return Outcome("incomplete", "the review did not complete", 3)
        scope = f" {self.scope}" if self.scope else ""
        if verdicts[checklist.Verdict.FAIL]:
            return Outcome("fail", f"{plural(verdicts[checklist.Verdict.FAIL], 'checklist item')} failing{scope}", 1)
        if self.config.strict and self.errors:
            return Outcome("fail", f"{plural(len(self.errors), 'file')} not fully reviewed (strict)", 1)
        if verdicts[checklist.Verdict.WARN]:
            warned = plural(verdicts[checklist.Verdict.WARN], "checklist item")
            return Outcome("warn", f"{warned} with warnings{scope}", 0)
        return Outcome("pass", f"no failing checklist item{scope}", 0)


@dataclass(frozen=True)
class Outcome:
    """A run's result: `state` is pass, warn, fail or incomplete; `exit_code` the CLI's status."""

    state: str
    headline: str
    exit_code: int

    def to_json(self) -> dict[str, Any]:
        return {"state": self.state, "headline": self.headline, "exit_code": self.exit_code}


def _salt(config: Config, rules: Sequence[type[Rule]], options: dict[str, dict[str, Any]]) -> str:
    """What, besides a file's own bytes, decides its result: the tool, the configuration, and
    the code of the engine and of the rules' packages, every source file by size and modification
    time (loaded or not: some, such as the parser's, are loaded only in the workers)."""
    sources = []
    for name in sorted({"reviewer"} | {r.__module__.split(".", 1)[0] for r in rules}):
        module = sys.modules.get(name)
        locations = getattr(module, "__path__", None) or [getattr(module, "__file__", None)]
        for location in filter(None, locations):
            base = Path(location)
            for path in sorted(base.rglob("*.py")) if base.is_dir() else [base]:
                try:
                    stat = path.stat()
                except OSError:
                    continue
                sources.append((str(path), stat.st_mtime_ns, stat.st_size))
    material = {
        "version": __version__,
        "rules": [(r.code, r.__module__, r.__qualname__) for r in rules],
        "options": {code: {k: str(v) for k, v in sorted(opts.items())} for code, opts in sorted(options.items())},
        "sources": sources,
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


# Errors that depend on the machine or on a bug, not on the file alone: never cached.
_NOT_CACHED = frozenset({ErrorKind.INTERNAL, ErrorKind.PARSER_CRASH, ErrorKind.OVER_BUDGET})


def _read(source: SourceFile, max_size: int) -> tuple[bytes | None, FileError | None]:
    if source.content is not None:
        if len(source.content) > max_size:
            message = f"skipped: {len(source.content)} bytes is over max-file-size ({max_size} bytes)"
            return None, FileError(source.relpath, ErrorKind.TOO_LARGE, message)
        return source.content, None
    try:
        return read_regular_file(source.path, max_size), None
    except FileTooLarge as error:
        return None, FileError(
            source.relpath, ErrorKind.TOO_LARGE, f"skipped: {error.size} bytes is over max-file-size ({max_size} bytes)"
        )
    except OSError as error:
        return None, FileError(source.relpath, ErrorKind.READ, f"cannot read: {error.strerror or error}")


def content_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _suppressed(finding: Finding, suppressions: dict[int, frozenset[str]]) -> bool:
    first, last = finding.statement_lines or (finding.span.line, finding.span.line)
    first, last = min(first, finding.span.line), max(last, finding.span.line)
    for line in range(first, last + 1):
        codes = suppressions.get(line)
        if codes and ("*" in codes or finding.code in codes):
            return True
    return False


def repository_prefix(root: Path) -> tuple[Path, str]:
    """The top of the repository holding `root` (`root` itself outside one), and what leads from
    it to `root` as a path prefix (`backend/`; '' when they are one): report paths are relative to
    `root`, and what must not depend on where a review started (fingerprints, SARIF URIs) is
    relative to the top."""
    top = project_root(root)
    parts = root.relative_to(top).as_posix()
    return top, "" if parts == "." else parts + "/"


def _fingerprinted(findings: list[Finding], prefix: str = "") -> list[Finding]:
    """Fingerprints that survive line shifts: what was found where, and which occurrence it is;
    where is the path from the repository's top (`prefix` leads from it to the run's root), so a
    review started in a subdirectory fingerprints a finding as one started at the top does. A
    finding reported twice (one rule, one place, one message) is one finding: a user could not
    tell the two apart."""
    seen: Counter[tuple[str, str, str]] = Counter()
    stamped = []
    for finding in sorted(dict.fromkeys(findings), key=lambda f: f.sort_key):
        triple = (finding.code, prefix + finding.path, finding.message)
        occurrence = seen[triple]
        seen[triple] += 1
        text = "\0".join((*triple, str(occurrence)))
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        stamped.append(replace(finding, fingerprint=digest))
    return stamped


@contextlib.contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """This process builds hundreds of thousands of objects that all live until the report (each
    file's summary and findings, from the cache or from the workers) and none of them is garbage;
    Python's cycle collector would traverse them again and again while they are made, which made
    reading a 100k-line repository's cache three times slower."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def run(
    paths: Sequence[Path],
    config: Config,
    all_rules: Sequence[type[Rule]],
    *,
    jobs: int | None = None,
    use_cache: bool = True,
    cache_dir: Path | None = None,
    cwd: Path | None = None,
    progress: Progress | None = None,
    stdin: bytes | None = None,
) -> Run:
    """Review the files under `paths`: the whole pipeline, up to the checklist. With `stdin`,
    review those bytes as the one file `paths` names (not read, nor cached, nor given to the
    companion engines, which read files). The cache is `cache_dir`, else `.reviewer_cache/` in
    the directory reviewed."""
    with _cycle_collector_paused():
        return _run(
            paths, config, all_rules, jobs=jobs, use_cache=use_cache, cache_dir=cache_dir, cwd=cwd,
            progress=progress, stdin=stdin,
        )


def _run(
    paths: Sequence[Path],
    config: Config,
    all_rules: Sequence[type[Rule]],
    *,
    jobs: int | None,
    use_cache: bool,
    cache_dir: Path | None,
    cwd: Path | None,
    progress: Progress | None,
    stdin: bytes | None,
) -> Run:
    cwd = (cwd or Path.cwd()).resolve()
    root = scan_root(paths, cwd)
    rules = enabled_rules(config, all_rules)
    options = rule_options(config, all_rules)
    options = {r.code: options[r.code] for r in rules}
    jobs = max(1, jobs or os.cpu_count() or 1)

    if stdin is not None:
        found = from_stdin(paths[0], stdin, root)
        use_cache, config = False, replace(config, companions=[])
    else:
        found = discover(paths, root, config.excludes(cwd))
    if not found.files and not found.errors:
        left_out = f" ({plural(len(found.skipped), 'path')} left out: --verbose lists them)" if found.skipped else ""
        named = " ".join(str(path) for path in paths)
        raise NothingToReview(f"no Python file to review under {named}{left_out}")
    companions = Running(config.companions, root, [f.relpath for f in found.files])
    try:
        errors: list[FileError] = list(found.errors)
        cache = Cache(cache_dir or root / ".reviewer_cache", _salt(config, rules, options)) if use_cache else None
        results: list[FileResult] = []
        misses: list[tuple[str, bytes, str, bool]] = []
        keys: dict[str, str] = {}
        digests: dict[str, str] = {}
        total = len(found.files)
        for source in found.files:
            data, error = _read(source, config.max_file_size)
            if error is not None:
                errors.append(error)
                continue
            assert data is not None
            digests[source.relpath] = content_digest(data)
            if cache is not None:
                key = cache.key_for(source.relpath, source.module, source.is_test, data)
                cached = cache.get(key)
                if cached is not None:
                    results.append(cached)
                    continue
                keys[source.relpath] = key
            misses.append((source.relpath, data, source.module, source.is_test))
        if progress:
            progress(len(results), total)
        if misses:
            from reviewer.pool import Budget, WorkerPool  # only a run that parses needs workers

            budget = Budget(seconds=config.file_timeout, memory=config.file_memory)
            workers = WorkerPool(jobs, rules, options, budget, progress)
            fresh = workers.review(misses, len(results), total)
            if cache is not None:
                for result in fresh:
                    if not any(e.kind in _NOT_CACHED for e in result.errors):
                        cache.put(keys[result.path], result, workers.pickled.get(result.path))
            results.extend(fresh)
        results.sort(key=lambda r: r.path)

        findings: list[Finding] = []
        applicable: set[str] = set()
        for result in results:
            findings.extend(result.findings)
            errors.extend(result.errors)
            applicable |= result.applicable
        summaries = [r.summary for r in results if r.summary is not None]
        extras: dict[str, Any] = {}
        shared: dict[str, Any] = {}
        withdrawn: set[int] = set()
        notes: dict[str, str] = {}
        by_code: dict[str, list[Finding]] = {}
        for finding in findings:
            by_code.setdefault(finding.code, []).append(finding)
        for rule in rules:
            if rule.check_repo.__func__ is Rule.check_repo.__func__:  # type: ignore[attr-defined]
                continue
            repo = RepoContext(rule, summaries, options[rule.code], shared, by_code.get(rule.code, []),
                               found.distributions)
            try:
                rule.check_repo(repo)
            except Exception as error:  # noqa: BLE001 - a rule bug is reported, the run goes on
                errors.append(
                    FileError(
                        ".",
                        ErrorKind.INTERNAL,
                        f"rule crashed in the repository pass: {rule.code} ({rule.name}) raised {error!r}",
                    )
                )
                continue
            findings.extend(repo.findings)
            extras.update(repo.extras)
            withdrawn.update(id(finding) for finding in repo.withdrawn)
            if repo.applicable:
                applicable.add(rule.checklist)
            if repo.note:
                notes[rule.checklist] = repo.note

        for kind, model in shared.get(FACTS_MODELS, {}).items():
            extras.update(kind.report_fields(model))
        if withdrawn:
            findings = [finding for finding in findings if id(finding) not in withdrawn]
        # Suppressed findings' secrets are masked too: a suppression accepts a finding, it does
        # not make its value fit to print.
        secrets = Secrets(finding.secret for finding in findings if finding.secret)
        suppressions = {r.path: r.suppressions for r in results}
        base = config.base(cwd)
        ignores = [(AnchoredPatterns(base, [glob]), selectors) for glob, selectors in config.per_file_ignores.items()]
        kept = []
        for finding in findings:
            if _suppressed(finding, suppressions.get(finding.path, {})):
                continue
            if any(
                spec.matches(root / finding.path) and any(matches(_rule_of(finding, all_rules), s) for s in selectors)
                for spec, selectors in ignores
            ):
                continue
            kept.append(secrets.finding(finding))
        kept = _fingerprinted(kept, repository_prefix(root)[1])
        engines = {
            name: replace(result, status=secrets.redact(result.status))
            for name, result in companions.results().items()
        }

        items = checklist.build(
            kept,
            all_rules={r.code: r.checklist for r in all_rules},
            enabled_rules=[r.code for r in rules],
            applicable=applicable,
            fail_on=config.fail_on,
            engines=engines,
            notes=notes,
        )
        return Run(
            root=root,
            files_scanned=total,
            lines=sum(r.lines for r in results),
            findings=kept,
            errors=sorted((secrets.error(e) for e in errors), key=lambda e: e.sort_key),
            checklist=items,
            rules=rules,
            config=config,
            cache_hits=cache.hits if cache else 0,
            extras=secrets.value(extras),
            secrets=secrets,
            digests=digests,
            supplied={source.relpath: source.content for source in found.files if source.content is not None},
            skipped=found.skipped,
        )

    except BaseException:
        companions.stop()
        raise

def stopped_run(paths: Sequence[Path], config: Config, all_rules: Sequence[type[Rule]], error: BaseException) -> Run:
    """What reports show when the review itself failed: the error, and no item decided."""
    root = scan_root(paths, Path.cwd().resolve())
    message = f"internal error: the review stopped before it was complete: {error!r}"
    items = [
        checklist.ItemResult(item=item, verdict=checklist.Verdict.SKIPPED, note="the review did not complete")
        for item in checklist.ITEMS
    ]
    return Run(
        root=root,
        files_scanned=0,
        lines=0,
        findings=[],
        errors=[FileError(".", ErrorKind.INTERNAL, message)],
        checklist=items,
        rules=list(all_rules),
        config=config,
        stopped=True,
    )


def _rule_of(finding: Finding, rules: Sequence[type[Rule]]) -> type[Rule]:
    return next(r for r in rules if r.code == finding.code)
