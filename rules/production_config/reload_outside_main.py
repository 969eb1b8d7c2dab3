"""Auto-reload switched on where production code runs it."""

from __future__ import annotations

import re

from reviewer import lazy_cst as cst
from reviewer.model import Severity
from reviewer.rule import Rule
from reviewer.syntax import is_main_guard, is_true, keyword, string_value

SERVER_RUNNERS = frozenset({"uvicorn.run", "uvicorn.main.run"})
_DEVELOPMENT = re.compile(r"(?:^|_)(?:dev|develop|development|local|debug)(?:$|_)", re.IGNORECASE)


class ReloadOutsideMain(Rule):
    """`uvicorn.run(..., reload=True)` runs outside an `if __name__ == "__main__":` block.

    ## What it does
    Flags `uvicorn.run` with `reload=True` when the call is not guarded by
    `if __name__ == "__main__":` and does not sit in a development entry point: a function called
    from the module's `__main__` block, or a function or CLI command named for development
    (`run_dev`, `@cli.command("develop")`).

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
    A runner that is called from another module's `__main__` block, under a name that does
    not say "dev", is still flagged; suppress it with `# reviewer: ignore[RVW503]` on the call.
    """

    code = "RVW503"
    name = "reload-outside-main"
    checklist = "production-config"
    severity = Severity.WARNING
    prefilter_packages = ("uvicorn",)

    def __init__(self, context, options) -> None:  # noqa: ANN001
        super().__init__(context, options)
        self._main_guards = 0
        self._functions: list[cst.FunctionDef] = []
        self._called_from_main: set[str] = set()
        self._in_functions: list[tuple[str, cst.Arg, cst.CSTNode | None]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._functions.pop()

    def visit_If(self, node: cst.If) -> None:
        if is_main_guard(node):
            self._main_guards += 1

    def leave_If(self, original_node: cst.If) -> None:
        if is_main_guard(original_node):
            self._main_guards -= 1

    def visit_Call(self, node: cst.Call) -> None:
        if self._main_guards:
            if isinstance(node.func, cst.Name):
                self._called_from_main.add(node.func.value)
            return
        if self.context.is_test_file or any(_is_development_entry_point(f) for f in self._functions):
            return
        if self.qualify(node.func) not in SERVER_RUNNERS:
            return
        reload = keyword(node, "reload")
        if reload is None or not is_true(reload.value):
            return
        statement = self.context.current_statement()
        if self._functions:
            # Whether the function is a `__main__`-only runner is known once the module is read.
            self._in_functions.append((self._functions[0].name.value, reload, statement))
        else:
            self.report(reload, MESSAGE, statement=statement)

    def leave_Module(self, original_node: cst.Module) -> None:
        for function, reload, statement in self._in_functions:
            if function not in self._called_from_main:
                self.report(reload, MESSAGE, statement=statement)


MESSAGE = 'uvicorn.run(reload=True) outside `if __name__ == "__main__":` starts a reloading server in production'


def _is_development_entry_point(node: cst.FunctionDef) -> bool:
    """A function named for development, or a CLI command registered under such a name."""
    if _DEVELOPMENT.search(node.name.value):
        return True
    for decorator in node.decorators:
        call = decorator.decorator
        if isinstance(call, cst.Call):
            for arg in call.args:
                name = string_value(arg.value)
                if name and _DEVELOPMENT.search(name):
                    return True
    return False
