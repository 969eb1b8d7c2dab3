"""Reporters turn a finished `Run` into one output format. They read the run only; they never
call rules, and rules never know which reporter will show their findings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reviewer.engine import Run


@dataclass(frozen=True)
class RenderOptions:
    color: bool = False
    seconds: float | None = None
    quiet: bool = False  # findings and the summary line only


Reporter = Callable[[Run, RenderOptions], str]


def reporters() -> dict[str, Reporter]:
    from reviewer.reporters import github, html, json_report, markdown, sarif, text

    return {
        "text": text.render,
        "json": json_report.render,
        "sarif": sarif.render,
        "github": github.render,
        "markdown": markdown.render,
        "html": html.render,
    }
