"""The JSON report (contract): version, files_scanned, outcome, checklist, findings, errors, skipped.

Deterministic for a given tree and configuration: no timings, sorted lists, so `--jobs 1` and
`--jobs N` give byte-identical output and CI can diff it."""

from __future__ import annotations

import json

from reviewer import __version__
from reviewer.engine import Run
from reviewer.reporters import RenderOptions


def document(run: Run) -> dict[str, object]:
    data: dict[str, object] = {
        "version": __version__,
        "files_scanned": run.files_scanned,
        "lines_scanned": run.lines,
        "fail_on": run.config.fail_on.label,
        "outcome": run.outcome.to_json(),
        "checklist": [item.to_json() for item in run.checklist],
        "findings": [finding.to_json() for finding in run.findings],
        "errors": [error.to_json() for error in run.errors],
        "skipped": [skipped.to_json() for skipped in run.skipped],
    }
    for key in sorted(run.extras):
        data.setdefault(key, run.extras[key])
    return data


def render(run: Run, options: RenderOptions) -> str:
    return json.dumps(document(run), indent=2, ensure_ascii=False) + "\n"
