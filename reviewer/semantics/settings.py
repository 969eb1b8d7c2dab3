"""What an application's settings are unless the environment says otherwise.

A settings class (a subclass, through the repository's own classes, of pydantic's `BaseSettings`)
declares each field's default; a flag defaults to `True` or `False`: `debug: bool = False`,
`bundle_assets: bool = Field(default=True)`.
A module-level instance (`settings = Settings()`) is what the code reads. Per file,
`SettingsFacts` records classes with their bases and their fields' literal defaults,
and module-level instances; over the repository, `SettingsDefaults.truth("app.config.settings",
"debug")` answers whether that flag is true by default (None when no literal default tells), and
`value` what a field's default is (`settings.browser_type == "cdp"` compares it).

Module-level names and class attributes read from the environment are settings too:
`ENABLE_DEBUGGING = os.environ.get("ENABLE_DEBUGGING", "false").lower() == "true"` is false, and
`INTAKE_MODE = os.getenv("INTAKE_MODE", "disabled")` in `class Config` is `"disabled"`, unless
the environment says otherwise; `value("app.configs", "ENABLE_DEBUGGING")` and
`value("app.config.config", "INTAKE_MODE")` (an instance of `Config`) answer for them.

An object a module builds at import time by a function or method that parses a configuration file
(`settings = ConfigService.load_from_yaml(path)`, whose class method calls `yaml.safe_load` and
returns `cls(**data)`) is the deployment's configuration too (`is_configuration`), though its
fields' defaults say nothing of what the file sets.

Rules use it to tell which branch code takes in a default deployment (`if settings.debug:`,
`if not ENABLE_DEBUGGING:`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.semantics.conditions import compared_literals, literal_value
from reviewer.semantics.defaults import ENVIRONMENT_READS
from reviewer.semantics.names import dotted_name
from reviewer.syntax import argument, own_returns
from reviewer.traversal import nodes_of_type

if TYPE_CHECKING:
    from reviewer.facts import RepositoryView
    from reviewer.rule import FileContext
    from reviewer.semantics.calls import ModuleIndex

FACTS_KEY = "settings"
SETTINGS_BASES = frozenset({"pydantic_settings.BaseSettings", "pydantic.BaseSettings", "pydantic.v1.BaseSettings"})
MAX_DEPTH = 16  # base-class links followed


@dataclass
class SettingsModule:
    """What one module declares (plain, picklable)."""

    bases: dict[str, list[str]] = field(default_factory=dict)  # class -> qualified bases
    defaults: dict[str, dict[str, Any]] = field(default_factory=dict)  # class -> field -> literal default
    instances: dict[str, str] = field(default_factory=dict)  # module-level name -> class (or factory)
    # Module-level functions -> the class whose instance they return: `def get_settings() -> Settings`,
    # or one `return Settings()` (often behind `@lru_cache`), for `settings = get_settings()`.
    factories: dict[str, str] = field(default_factory=dict)
    # Module-level names and class attributes read from the environment -> their value when it
    # sets nothing: `module.NAME`, `module.Class.NAME`.
    environment: dict[str, Any] = field(default_factory=dict)
    # Functions and methods that parse a configuration file and return what they built of it
    # (`ConfigService.load_from_yaml`: `yaml.safe_load(f)`, then `return cls(**data)`) -> the
    # callee of their return value (the class, or the parser).
    loaders: dict[str, str] = field(default_factory=dict)
    # Module-level names bound to what a call given arguments returns -> the callee
    # (`settings = ConfigService.load_from_yaml(path)`).
    made_by: dict[str, str] = field(default_factory=dict)


class SettingsFacts(Facts):
    """Records settings-like classes (any class with bases: which are settings is decided over
    the repository) and module-level instances."""

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self.module = SettingsModule()
        self._parses_files = any(name in context.source for name in _PARSER_SPELLINGS)
        context.summary.extras[FACTS_KEY] = self.module
        self._classes: list[str] = []
        self._depth = 0  # functions entered

    def _qualname(self, name: str = "") -> str:
        return ".".join(p for p in (self.context.module, *self._classes, name) if p)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        qualname = self._qualname(node.name.value)
        bases = [self.context.qualify(base.value) or dotted_name(base.value) for base in node.bases
                 if base.keyword is None]
        if self._depth == 0 and any(bases):
            self.module.bases[qualname] = [base for base in bases if base]
        self._classes.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if not self._depth and not self._classes:
            made = _made(node)
            cls = self.context.qualify(made) if made is not None else None
            if cls is not None:
                self.module.factories[self._qualname(node.name.value)] = cls
        if not self._depth and len(self._classes) <= 1 and self._parses_files:
            loaded = self._loaded(node)
            if loaded is not None:
                self.module.loaders[self._qualname(node.name.value)] = loaded
        self._depth += 1

    def _loaded(self, function: cst.FunctionDef) -> str | None:
        """What a function returns after parsing a configuration file (`yaml.safe_load(f)`,
        `json.load(f)`, `tomllib.load(f)`), by the callee that builds it on every way out: the class
        (`cls(**data)` in a class method, `ConfigService(**data)`, `Settings.model_validate(data)`),
        or the parser whose result it returns (`return yaml.safe_load(handle)`)."""
        qualify = self.context.qualify
        if not any(qualify(call.func) in _CONFIGURATION_PARSERS for call in nodes_of_type(function.body, cst.Call)):
            return None
        made: set[str | None] = set()
        for node in own_returns(function):
            value = node.value
            if not isinstance(value, cst.Call):
                return None
            func = value.func
            if isinstance(func, cst.Attribute) and func.attr.value in _VALIDATING_CONSTRUCTORS:
                func = func.value
            if isinstance(func, cst.Name) and func.value == "cls" and self._classes:
                made.add(self._qualname())
            else:
                made.add(qualify(func))
        return made.pop() if len(made) == 1 and None not in made else None

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._depth -= 1

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if self._depth or not self._classes or not isinstance(node.target, cst.Name):
            return
        value = node.value
        if isinstance(value, cst.Call) and (dotted_name(value.func) or "").rsplit(".", 1)[-1] == "Field":
            default = argument(value, 0, "default")
            value = default.value if default is not None else None
        known, default = literal_value(value)
        if known:
            self.module.defaults.setdefault(self._qualname(), {})[node.target.value] = default

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._depth or len(self._classes) > 1:
            return
        if len(node.targets) == 1 and isinstance(node.targets[0].target, cst.Name):
            known, value = self._environment_default(node.value)
            if known:
                self.module.environment[self._qualname(node.targets[0].target.value)] = value
        if self._classes or not isinstance(node.value, cst.Call):
            return
        cls = self.context.qualify(node.value.func)
        if cls is None:
            return
        made = self.module.made_by if node.value.args else self.module.instances
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                made[self._qualname(target.target.value)] = cls

    def _environment_default(self, node: cst.BaseExpression) -> tuple[bool, Any]:
        """(whether it is known, the value) of an expression computed from environment variables
        when none is set: `os.environ.get("X", "false")` is `"false"`, `.lower() == "true"` of it
        `False`, a name this module (or class) assigned so before is its value."""
        if isinstance(node, cst.Call):
            if self.context.qualify(node.func) in ENVIRONMENT_READS:
                default = argument(node, 1, "default")
                return literal_value(default.value) if default is not None else (True, None)
            if isinstance(node.func, cst.Attribute) and node.func.attr.value in _TEXT_METHODS and not node.args:
                known, value = self._environment_default(node.func.value)
                return (True, getattr(value, node.func.attr.value)()) if known and isinstance(value, str) else (
                    False, None)
            if self.context.qualify(node.func) == "builtins.bool" and len(node.args) == 1:
                known, value = self._environment_default(node.args[0].value)
                return (True, bool(value)) if known else (False, None)
            return False, None
        if isinstance(node, cst.Name):
            qualname = self._qualname(node.value)
            if qualname in self.module.environment:
                return True, self.module.environment[qualname]
            return False, None
        if isinstance(node, cst.BooleanOperation):
            known, value = self._environment_default(node.left)
            if not known:
                return False, None
            if isinstance(node.operator, cst.Or):
                return (True, value) if value else self._value_or_literal(node.right)
            return self._value_or_literal(node.right) if value else (True, value)
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
            known, value = self._environment_default(node.expression)
            return (True, not value) if known else (False, None)
        if isinstance(node, cst.Comparison) and len(node.comparisons) == 1:
            known, value = self._environment_default(node.left)
            if not known:
                return False, None
            return _compared(value, node.comparisons[0])
        return False, None

    def _value_or_literal(self, node: cst.BaseExpression) -> tuple[bool, Any]:
        known, value = literal_value(node)
        return (known, value) if known else self._environment_default(node)

    @classmethod
    def repository(cls, repo: RepositoryView) -> SettingsDefaults:
        modules = [s.extras[FACTS_KEY] for s in repo.summaries if isinstance(s.extras.get(FACTS_KEY), SettingsModule)]
        return SettingsDefaults(modules, repo.index)


_TEXT_METHODS = frozenset({"lower", "upper", "strip", "lstrip", "rstrip", "casefold"})
_PARSER_SPELLINGS = ("safe_load", "yaml.load", "full_load", "json.load(", "toml.load", "tomllib.load", "tomli.load")
_CONFIGURATION_PARSERS = frozenset({"yaml.safe_load", "yaml.load", "yaml.full_load", "json.load", "tomllib.load",
                                    "tomli.load", "toml.load"})
_VALIDATING_CONSTRUCTORS = frozenset({"model_validate", "parse_obj"})  # `Settings.model_validate(data)`


def _made(function: cst.FunctionDef) -> cst.BaseExpression | None:
    """The class a function says it returns (`-> Settings`), or calls without arguments in its one
    statement (`return Settings()`)."""
    if function.returns is not None and isinstance(function.returns.annotation, (cst.Name, cst.Attribute)):
        return function.returns.annotation
    body = function.body.body if isinstance(function.body, cst.IndentedBlock) else ()
    line = body[0] if len(body) == 1 else None
    returned = line.body[0] if isinstance(line, cst.SimpleStatementLine) and line.body else None
    if (isinstance(returned, cst.Return) and isinstance(returned.value, cst.Call) and not returned.value.args
            and isinstance(returned.value.func, (cst.Name, cst.Attribute))):
        return returned.value.func
    return None


def _compared(value: Any, comparison: cst.ComparisonTarget) -> tuple[bool, Any]:
    """(whether it is known, the result) of comparing a known value with a literal or a literal
    collection: `== "true"`, `in ("1", "yes")`, `is not None`."""
    found = compared_literals(comparison)
    if found is None:
        return False, None
    values, among = found
    return True, (value in values) == among


class SettingsDefaults:
    """The default truth of each settings flag, over the repository."""

    def __init__(self, modules: list[SettingsModule], index: ModuleIndex) -> None:
        self.index = index
        self.bases: dict[str, list[str]] = {}
        self.defaults: dict[str, dict[str, Any]] = {}
        self.instances: dict[str, str] = {}
        self.environment: dict[str, Any] = {}
        factories: dict[str, str] = {}
        for module in modules:
            factories.update({index.canonical(name): cls for name, cls in module.factories.items()})
        loaders = {index.canonical(name) for module in modules for name in module.loaders}
        # Module-level objects built from a configuration file: the deployment's configuration,
        # though their fields' defaults say nothing of it (the file sets them).
        self.loaded: set[str] = {index.canonical(name) for module in modules for name, callee in module.made_by.items()
                                 if index.canonical(callee) in loaders}
        for module in modules:
            self.environment.update(module.environment)
            for cls, bases in module.bases.items():
                self.bases[cls] = [index.canonical(base) for base in bases]
            self.defaults.update(module.defaults)
            for name, made in module.instances.items():
                cls = index.canonical(made)
                self.instances[name] = index.canonical(factories[cls]) if cls in factories else cls
        self._is_settings: dict[str, bool] = {}

    def is_settings_class(self, cls: str, depth: int = 0) -> bool:
        """Whether `cls` derives from pydantic's `BaseSettings` through classes of the repository."""
        known = self._is_settings.get(cls)
        if known is not None:
            return known
        self._is_settings[cls] = False  # a cycle of bases is no settings class
        found = depth < MAX_DEPTH and any(
            base in SETTINGS_BASES or self.is_settings_class(base, depth + 1) for base in self.bases.get(cls, ())
        )
        self._is_settings[cls] = found
        return found

    def is_instance(self, name: str) -> bool:
        """Whether a qualified module-level name is an instance of a settings class."""
        cls = self.instances.get(self.index.canonical(name))
        return cls is not None and self.is_settings_class(cls)

    def is_configuration(self, name: str) -> bool:
        """Whether a qualified module-level name is an instance of a settings class, or an object a
        module builds from a configuration file (`settings = ConfigService.load_from_yaml(path)`)."""
        return self.is_instance(name) or self.index.canonical(name) in self.loaded

    def _field(self, cls: str, name: str, depth: int = 0) -> tuple[bool, Any]:
        """(whether it is known, a field's literal default), looked up along the bases in
        declaration order (as Python's method resolution order does for single and simple multiple
        inheritance)."""
        fields = self.defaults.get(cls, {})
        if name in fields:
            return True, fields[name]
        if depth < MAX_DEPTH:
            for base in self.bases.get(cls, ()):
                found = self._field(base, name, depth + 1)
                if found[0]:
                    return found
        return False, None

    def value(self, instance: str, name: str) -> tuple[bool, Any]:
        """(whether it is known, the default of field `name` of the settings object `instance`, a
        qualified module-level name): unknown when the object is no settings instance or no
        literal tells."""
        canonical = self.index.canonical(instance)
        if not self.is_instance(instance):
            # A module's name or a class's attribute read from the environment (`configs.DEBUG`,
            # `config.MODE` of `config = Config()`).
            cls = self.instances.get(canonical)
            for qualname in (self.index.canonical(f"{instance}.{name}"), f"{cls}.{name}" if cls else None):
                if qualname in self.environment:
                    return True, self.environment[qualname]
            return False, None
        return self._field(self.instances[canonical], name)

    def truth(self, instance: str, name: str) -> bool | None:
        """Whether flag `name` is on by default; None when it is no flag (its default is not
        `True` or `False`: a URL or a directory empty by default is configuration a deployment
        chooses, not a feature switched off) or not known."""
        known, default = self.value(instance, name)
        return default if known and isinstance(default, bool) else None
