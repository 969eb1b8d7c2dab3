"""Reporters turn a finished `Run` into one output format. They read the run only; they never
call rules, and rules never know which reporter will show their findings."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from dataclasses import dataclass

from reviewer.engine import Run


@dataclass(frozen=True)
class RenderOptions:
    color: bool = False
    seconds: float | None = None
    quiet: bool = False  # findings and the summary line only
    verbose: bool = False  # also list what discovery left out
    statistics: bool = False  # counts per rule and item in place of the findings (text)
    show_source: bool = False  # each finding's source line under it (text)


Reporter = Callable[[Run, RenderOptions], str]


_MODULES = {
    "text": "text",
    "json": "json_report",
    "sarif": "sarif",
    "github": "github",
    "markdown": "markdown",
    "html": "html",
}


def reporters() -> dict[str, Reporter]:
    """Every format's reporter. A reporter's module is imported when it renders: a run that
    writes JSON does not load the HTML reporter's template engine."""
    return {name: functools.partial(_render, module) for name, module in _MODULES.items()}


def _render(module: str, run: Run, options: RenderOptions) -> str:
    return importlib.import_module(f"reviewer.reporters.{module}").render(run, options)
