"""Auto-reload switched on where production code runs it."""

from __future__ import annotations

import libcst as cst

from reviewer.model import Severity
from reviewer.rule import Rule
from reviewer.syntax import is_main_guard, is_true, keyword

SERVER_RUNNERS = frozenset({"uvicorn.run", "uvicorn.main.run"})


class ReloadOutsideMain(Rule):
    """`uvicorn.run(..., reload=True)` runs outside an `if __name__ == "__main__":` block.

    ## What it does
    Flags `uvicorn.run` with `reload=True` (or a `reload_dirs` list) when the call is not guarded
    by `if __name__ == "__main__":`, i.e. when importing the module (as a process manager or a
    test does) starts a reloading server.

    ## Why is this bad?
    The reloader watches the file system and restarts the worker on every change: it costs CPU,
    drops in-flight requests, and is documented by uvicorn as a development feature only.

    ## Example
    ```python
    uvicorn.run("app.main:app", host="0.0.0.0", reload=True)
    ```

    ## Use instead
    ```python
    if __name__ == "__main__":
        uvicorn.run("app.main:app", reload=settings.debug)
    ```
    and start production with `uvicorn app.main:app` (no `--reload`) or gunicorn.

    ## Known problems
    A helper function called only from a `__main__` block is still flagged; suppress it with
    `# reviewer: ignore[RVW503]` on the call.
    """

    code = "RVW503"
    name = "reload-outside-main"
    checklist = "production-config"
    severity = Severity.WARNING

    def __init__(self, context, options) -> None:  # noqa: ANN001
        super().__init__(context, options)
        self._main_guards = 0

    def visit_If(self, node: cst.If) -> None:
        if is_main_guard(node):
            self._main_guards += 1

    def leave_If(self, original_node: cst.If) -> None:
        if is_main_guard(original_node):
            self._main_guards -= 1

    def visit_Call(self, node: cst.Call) -> None:
        if self._main_guards or self.context.is_test_file:
            return
        if self.qualify(node.func) not in SERVER_RUNNERS:
            return
        reload = keyword(node, "reload")
        if reload is not None and is_true(reload.value):
            self.report(reload, "uvicorn.run(reload=True) outside `if __name__ == \"__main__\":` starts a reloading server in production")
