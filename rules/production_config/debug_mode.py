"""Debug mode switched on in code that ships."""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from reviewer import lazy_cst as cst
from reviewer.model import Severity
from reviewer.rule import Rule
from reviewer.semantics.fastapi.records import APPLICATION_CLASSES
from reviewer.syntax import argument, is_true, is_truthy_literal, keyword, string_value

SETTINGS_BASES = frozenset({"pydantic_settings.BaseSettings", "pydantic.BaseSettings", "pydantic.v1.BaseSettings"})
ENV_READERS = frozenset({"os.getenv", "os.environ.get", "os.environ.setdefault", "decouple.config"})
STARLETTE_CONFIG = "starlette.config.Config"
FIELD_FUNCTIONS = frozenset({"pydantic.Field", "pydantic.fields.Field", "sqlmodel.Field"})
_DEBUG_NAME = re.compile(r"(?:^|_)debug(?:$|_)", re.IGNORECASE)
_DEVELOPMENT = re.compile(r"dev|local|test", re.IGNORECASE)


class DebugModeEnabled(Rule):
    """Debug mode is switched on in application code or defaults to on in settings.

    ## What it does
    Flags `FastAPI(debug=True)` / `Starlette(debug=True)`, `app.debug = True`, a `DEBUG`/`debug`
    field of a settings class (or module-level `DEBUG` in a settings module) that defaults to
    true, and a `DEBUG` environment variable read with a true fallback
    (`os.getenv("DEBUG", "true")`, `config("DEBUG", default=True)`).

    ## Why is this bad?
    In debug mode Starlette answers unhandled exceptions with a full traceback page: source lines,
    local variables, paths. A default of "on" means a deployment that forgets one variable ships
    it to every client.

    ## Example
    ```python
    app = FastAPI(debug=True)

    class Settings(BaseSettings):
        debug: bool = True
    ```

    ## Use instead
    ```python
    app = FastAPI(debug=settings.debug)

    class Settings(BaseSettings):
        debug: bool = False  # turn on in a local .env only
    ```

    ## Known problems
    Classes and modules whose names say they are for development (`DevelopmentConfig`,
    `settings_local.py`) and test code are not checked. A debug flag computed at run time is not
    followed.
    """

    code = "RVW501"
    name = "debug-mode-enabled"
    checklist = "production-config"
    severity = Severity.ERROR

    def __init__(self, context, options) -> None:  # noqa: ANN001
        super().__init__(context, options)
        self._apps: set[str] = set()
        self._starlette_configs: set[str] = set()
        self._settings_classes: list[bool] = []
        self._depth = 0  # function nesting: module-level settings are read at depth 0 only
        stem = PurePosixPath(context.path).stem
        self._settings_module = ("settings" in stem or "config" in stem) and not _DEVELOPMENT.search(stem)

    def _skip(self) -> bool:
        return self.context.is_test_file

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        bases = {self.qualify(base.value) for base in node.bases}
        is_settings = bool(bases & SETTINGS_BASES) or (
            node.name.value.endswith(("Settings", "Config"))
            and any(b and b.endswith(("Settings", "Config")) for b in bases)
        )
        self._settings_classes.append(is_settings and not _DEVELOPMENT.search(node.name.value))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._settings_classes.pop()

    def visit_Call(self, node: cst.Call) -> None:
        if self._skip():
            return
        name = self.qualify(node.func)
        if name in APPLICATION_CLASSES:
            debug = keyword(node, "debug")
            if debug is not None and is_true(debug.value):
                self.report(
                    debug,
                    f"{name.rsplit('.', 1)[-1]} app created with debug=True: "
                    "unhandled errors are served to clients as tracebacks",
                )
            return
        if name in ENV_READERS or self._is_starlette_config(node.func):
            variable = argument(node, 0, "key")
            fallback = keyword(node, "default") or argument(node, 1, "default")
            if variable is None or fallback is None:
                return
            env_name = string_value(variable.value)
            if env_name and _DEBUG_NAME.search(env_name) and is_truthy_literal(fallback.value):
                self.report(
                    fallback, f"{env_name} falls back to true when the variable is unset: debug mode is on by default"
                )

    def _is_starlette_config(self, func: cst.BaseExpression) -> bool:
        return isinstance(func, cst.Name) and func.value in self._starlette_configs

    def visit_Assign(self, node: cst.Assign) -> None:
        value_name = self.qualify(node.value.func) if isinstance(node.value, cst.Call) else None
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                if value_name in APPLICATION_CLASSES:
                    self._apps.add(target.target.value)
                elif value_name == STARLETTE_CONFIG:
                    self._starlette_configs.add(target.target.value)
        if self._skip():
            return
        for target in node.targets:
            self._check_binding(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if not self._skip() and node.value is not None:
            self._check_binding(node.target, node.value)

    def _check_binding(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if (
            isinstance(target, cst.Attribute)
            and target.attr.value == "debug"
            and isinstance(target.value, cst.Name)
            and target.value.value in self._apps
            and is_true(value)
        ):
            self.report(
                target,
                f"{target.value.value}.debug = True turns on debug mode: unhandled errors are served as tracebacks",
            )
            return
        if not isinstance(target, cst.Name) or target.value.lower() != "debug":
            return
        in_settings_class = bool(self._settings_classes) and self._settings_classes[-1]
        at_module_level = not self._settings_classes and self._settings_module and self._depth == 0
        if not (in_settings_class or at_module_level):
            return
        default = self._field_default(value)
        if default is not None and is_true(default):
            where = "settings field" if in_settings_class else "settings module"
            self.report(
                target,
                f"{where} {target.value} defaults to True: debug mode is on unless every deployment turns it off",
            )

    def _field_default(self, value: cst.BaseExpression) -> cst.BaseExpression | None:
        if isinstance(value, cst.Call) and self.qualify(value.func) in FIELD_FUNCTIONS:
            default = argument(value, 0, "default")
            return default.value if default is not None else None
        return value

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._depth += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._depth -= 1
