"""The filter stage's last two steps: a baseline, then pull-request mode, narrow what a run reports.

The review still covers the whole tree (rules follow calls across modules). What is narrowed is
what the run reports and what its checklist and exit status rest on: findings the baseline
records, and findings whose evidence lies outside the change, are left out, and each item's note
says how many, so a passing item never hides that it had findings elsewhere.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

from reviewer import checklist
from reviewer.baseline import Baseline, BaselineError
from reviewer.changes import Changes, ChangesError
from reviewer.engine import Run
from reviewer.wording import plural

IN_THIS_CHANGE = "in this change"


class NarrowingError(Exception):
    """A baseline that cannot be read, or a change that cannot be computed: a usage error."""


def prepare_narrowing(baseline: Path | None, diff_base: str | None, tree: Path) -> Narrowing:
    """Read the baseline and compute the change before the review starts, so that a bad file or
    revision stops the run at once. `tree` is the directory the review reports paths from."""
    try:
        loaded = Baseline.load(baseline) if baseline is not None else None
        changes = Changes.since(diff_base, tree) if diff_base is not None else None
    except (BaselineError, ChangesError) as error:
        raise NarrowingError(str(error)) from None
    return Narrowing(baseline=loaded, baseline_name=shown_path(baseline), changes=changes)


def shown_path(path: Path | None) -> str:
    """A path as a command the user could type: relative to the working directory if inside it."""
    if path is None:
        return ""
    try:
        relative = os.path.relpath(os.path.abspath(path))
    except ValueError:  # another drive
        return path.as_posix()
    return path.as_posix() if relative.startswith("..") else Path(relative).as_posix()


@dataclass(frozen=True)
class Narrowing:
    baseline: Baseline | None = None
    baseline_name: str = ""  # the baseline file as the user named it, for the update command
    changes: Changes | None = None

    def __bool__(self) -> bool:
        return self.baseline is not None or self.changes is not None

    def apply(self, run: Run) -> Run:
        if not self or run.stopped:
            return run
        findings = list(run.findings)
        extras = dict(run.extras)
        remarks = list(run.remarks)
        baselined: Counter[str] = Counter()
        outside: Counter[str] = Counter()
        if self.baseline is not None:
            match = self.baseline.match(run)
            findings = match.new
            baselined = Counter(finding.checklist for finding in match.baselined)
            stale = sum(match.stale.values())
            extras["baseline"] = {
                "file": self.baseline_name,
                "entries": sum(self.baseline.entries.values()),
                "baselined": len(match.baselined),
                "stale": [entry.to_json(count) for entry, count in sorted(match.stale.items())],
            }
            remark = f"Baseline {self.baseline_name}: {plural(len(match.baselined), 'finding')} baselined"
            if stale:
                remark += (
                    f"; {plural(stale, 'recorded finding')} no longer found (fixed): "
                    f"`reviewer baseline --update {self.baseline_name}` drops {'it' if stale == 1 else 'them'}"
                )
            remarks.append(remark)
        if self.changes is not None:
            findings, left_out = self.changes.split(run, findings)
            outside = Counter(finding.checklist for finding in left_out)
            extras["change"] = self.changes.to_json(len(left_out))
            left = f"{plural(len(left_out), 'finding')} outside it not reported" if left_out else "none outside it"
            remarks.append(
                f"Pull-request mode: the change from {self.changes.base} (merge base "
                f"{self.changes.merge_base[:12]}) touches {plural(len(self.changes.files), 'file')}; {left}"
            )
        kept = Counter(finding.checklist for finding in findings)
        notes = {
            item.item.id: _note(kept[item.item.id], outside[item.item.id], baselined[item.item.id], self.changes)
            for item in run.checklist
            if outside[item.item.id] or baselined[item.item.id] or (self.changes is not None and kept[item.item.id])
        }
        items = checklist.rejudge(run.checklist, findings, run.config.fail_on, notes)
        return replace(
            run,
            findings=findings,
            checklist=items,
            extras=extras,
            remarks=remarks,
            scope=IN_THIS_CHANGE if self.changes is not None else run.scope,
        )


def _note(kept: int, outside: int, baselined: int, changes: Changes | None) -> str:
    """`2 findings in this change; 3 more in unchanged code, 1 baselined`."""
    if changes is not None:
        head = f"{plural(kept, 'finding')} {IN_THIS_CHANGE}" if kept else f"nothing {IN_THIS_CHANGE}"
    else:
        head = plural(kept, "finding") if kept else ""
    rest = []
    if outside:
        rest.append(f"{outside} {'more ' if kept else ''}in unchanged code")
    if baselined:
        rest.append(f"{baselined} baselined")
    tail = ", ".join(rest)
    return f"{head}; {tail}" if head and tail else head or tail


