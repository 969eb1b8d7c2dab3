"""Review pinned releases of real applications and hold every finding to its recorded verdict.

    python bench/realworld/run.py                 # all apps of manifest.toml
    python bench/realworld/run.py --app lnbits    # one app
    python bench/realworld/run.py --update        # record new findings as "?" to be judged

For each app of `manifest.toml` it downloads the pinned wheel (`pip download --no-deps`, cached,
checked against its sha256), unpacks it, runs `reviewer check --format json` on the app's paths,
and matches every finding, by rule, file, line and message, with `verdicts/<app>.json`, where each
finding has `"verdict": "tp"` or `"fp"` and the reason. It prints, per rule and per checklist item:
findings, true and false positives, precision, and findings without a verdict; then the true
positives recorded that the reviewer no longer reports.

Exit status 1 when a finding has no verdict (or a "?" one) or a recorded true positive is lost:
CI runs this after the tests, so a rule change that makes new findings on real code must come
with their verdicts, and one that loses a true positive must say why.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
VERDICTS = HERE / "verdicts"
JUDGED = ("tp", "fp")


@dataclass
class App:
    name: str
    requirement: str
    sha256: str
    paths: list[str]
    # Checklist items or rule codes the app is judged on (all when empty), and paths left out
    # (vendored code): an app studied for some items only records verdicts for those.
    select: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    app: str
    findings: list[dict] = field(default_factory=list)
    verdicts: list[dict] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)

    def entry_of(self, finding: dict) -> dict | None:
        """The verdict recorded for a finding: at its rule, file, line and message (the pinned
        release's lines do not move, while a fingerprint, which counts the findings with the same
        message in a file, shifts when an earlier one goes); else one recorded at its rule, file
        and line, for a finding whose message was reworded."""
        return self._places.get(_place(finding)) or self._lines.get(_place(finding)[:3])

    def verdict_of(self, finding: dict) -> str:
        entry = self.entry_of(finding)
        return entry["verdict"] if entry and entry["verdict"] in JUDGED else "unjudged"

    @property
    def lost(self) -> list[dict]:
        used = {id(entry) for finding in self.findings if (entry := self.entry_of(finding)) is not None}
        return [entry for entry in self.verdicts if entry["verdict"] == "tp" and id(entry) not in used]

    @functools.cached_property
    def _places(self) -> dict[tuple, dict]:
        return {_place(entry): entry for entry in self.verdicts}

    @functools.cached_property
    def _lines(self) -> dict[tuple, dict]:
        lines: dict[tuple, list[dict]] = defaultdict(list)
        for entry in self.verdicts:
            lines[_place(entry)[:3]].append(entry)
        return {line: entries[0] for line, entries in lines.items() if len(entries) == 1}


def _place(entry: dict) -> tuple[str, str, int, str]:
    return entry["code"], entry["path"], entry["line"], entry["message"]


def load_manifest() -> list[App]:
    data = tomllib.loads((HERE / "manifest.toml").read_text(encoding="utf-8"))
    return [App(**entry) for entry in data["app"]]


def cache_dir(option: str | None) -> Path:
    if option:
        return Path(option)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "backend-reviewer" / "realworld"


def unpacked(app: App, cache: Path) -> Path:
    """The app's wheel, downloaded once and checked, unpacked once."""
    wheels = cache / "wheels"
    wheels.mkdir(parents=True, exist_ok=True)
    name, _, version = app.requirement.partition("==")
    prefix = f"{name.replace('-', '_')}-{version}-"
    found = [p for p in wheels.glob("*.whl") if p.name.lower().startswith(prefix.lower())]
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
             "--dest", str(wheels), app.requirement],
            check=True,
        )
        found = [p for p in wheels.glob("*.whl") if p.name.lower().startswith(prefix.lower())]
    wheel = found[0]
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != app.sha256:
        raise SystemExit(f"{wheel.name}: sha256 {digest} is not the pinned {app.sha256}")
    target = cache / "unpacked" / wheel.stem
    if not (target / ".complete").exists():
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(target)
        (target / ".complete").write_text("")
    return target


def review(app: App, root: Path) -> dict:
    # Isolated (`-I`): the app's own directory is not on the import path, so a module of the app
    # named like one of ours is never imported.
    command = [sys.executable, "-I", "-c", "from reviewer.cli import main; main()", "check", "--no-cache",
               "--format", "json", *app.paths]
    if app.select:
        command += ["--select", ",".join(app.select)]
    for pattern in app.exclude:
        command += ["--exclude", pattern]
    result = subprocess.run(command, cwd=root, capture_output=True, text=True)
    if result.returncode not in (0, 1):
        raise SystemExit(f"{app.name}: the reviewer exited {result.returncode}:\n{result.stderr}")
    return json.loads(result.stdout)


def verdict_file(app: App) -> Path:
    return VERDICTS / f"{app.name}.json"


def load_verdicts(app: App) -> list[dict]:
    path = verdict_file(app)
    if not path.exists():
        return []
    return json.loads(path.read_text(encoding="utf-8"))


def save_verdicts(app: App, outcome: Outcome) -> None:
    """Every current finding with its verdict ("?" when new), and the true positives it lost.

    A finding whose message changed (it was reworded, a chain found another way) keeps the
    verdict recorded at the same rule, file and line, and says so in its reason, for whoever
    reviews the update to confirm."""
    entries = []
    for finding in outcome.findings:
        known = outcome.entry_of(finding) or {}
        reason = known.get("reason", "")
        if known and known["message"] != finding["message"] and not reason.endswith("(reworded)"):
            reason = f"{reason} (reworded)"
        entries.append({
            "fingerprint": finding["fingerprint"],
            "code": finding["code"],
            "path": finding["path"],
            "line": finding["line"],
            "message": finding["message"],
            "verdict": known.get("verdict", "?"),
            "reason": reason,
        })
    entries += outcome.lost
    entries.sort(key=lambda e: (e["path"], e["line"], e["code"], e["fingerprint"]))
    verdict_file(app).write_text(json.dumps(entries, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


@dataclass
class Tally:
    findings: int = 0
    tp: int = 0
    fp: int = 0
    unjudged: int = 0

    def add(self, verdict: str) -> None:
        self.findings += 1
        if verdict == "tp":
            self.tp += 1
        elif verdict == "fp":
            self.fp += 1
        else:
            self.unjudged += 1

    @property
    def precision(self) -> str:
        judged = self.tp + self.fp
        return f"{self.tp / judged:.2f}" if judged else "-"


def table(title: str, tallies: dict[str, Tally]) -> list[str]:
    lines = [f"{title:<26} {'findings':>8} {'TP':>5} {'FP':>5} {'precision':>9} {'unjudged':>8}"]
    for key in sorted(tallies):
        t = tallies[key]
        lines.append(f"{key:<26} {t.findings:>8} {t.tp:>5} {t.fp:>5} {t.precision:>9} {t.unjudged:>8}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--app", action="append", help="only this app (repeatable)")
    parser.add_argument("--update", action="store_true", help="record new findings as '?' in the verdict files")
    parser.add_argument("--cache", help="where wheels are kept (default: the user cache directory)")
    parser.add_argument("--json", type=Path, help="write the tallies here")
    options = parser.parse_args()
    apps = [app for app in load_manifest() if not options.app or app.name in options.app]
    cache = cache_dir(options.cache)
    outcomes = []
    for app in apps:
        report = review(app, unpacked(app, cache))
        outcome = Outcome(app.name, report["findings"], load_verdicts(app), report["errors"])
        outcomes.append(outcome)
        if options.update:
            save_verdicts(app, outcome)
    by_rule: dict[str, Tally] = defaultdict(Tally)
    by_item: dict[str, Tally] = defaultdict(Tally)
    by_app: dict[str, Tally] = defaultdict(Tally)
    for outcome in outcomes:
        for finding in outcome.findings:
            verdict = outcome.verdict_of(finding)
            by_rule[finding["code"]].add(verdict)
            by_item[finding["checklist"]].add(verdict)
            by_app[outcome.app].add(verdict)
    print("\n".join(table("app", by_app)) + "\n")
    print("\n".join(table("checklist item", by_item)) + "\n")
    print("\n".join(table("rule", by_rule)))
    failed = False
    for outcome in outcomes:
        for finding in outcome.findings:
            if outcome.verdict_of(finding) == "unjudged":
                failed = True
                print(f"no verdict: {outcome.app}: {finding['path']}:{finding['line']}: {finding['code']} "
                      f"{finding['message']}")
        for lost in outcome.lost:
            failed = True
            print(f"true positive lost: {outcome.app}: {lost['path']}:{lost['line']}: {lost['code']} {lost['message']}")
        internal = [e for e in outcome.errors if e["kind"] in ("internal-error", "parser-crash")]
        for error in internal:
            failed = True
            print(f"internal error: {outcome.app}: {error['path']}: {error['message']}")
    if options.json:
        data = {
            "apps": {k: vars(v) for k, v in by_app.items()},
            "items": {k: vars(v) for k, v in by_item.items()},
            "rules": {k: vars(v) for k, v in by_rule.items()},
        }
        options.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    kinds = Counter(outcome.verdict_of(f) for outcome in outcomes for f in outcome.findings)
    total = sum(kinds.values())
    print(f"\n{total} findings: {kinds['tp']} TP, {kinds['fp']} FP, {kinds['unjudged']} without a verdict")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
