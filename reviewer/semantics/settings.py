"""What an application's settings are unless the environment says otherwise.

A settings class (a subclass, through the repository's own classes, of pydantic's `BaseSettings`)
declares each field's default; a flag defaults to `True` or `False`: `debug: bool = False`,
`bundle_assets: bool = Field(default=True)`.
A module-level instance (`settings = Settings()`) is what the code reads. Per file,
`SettingsFacts` records classes with their bases and their fields' literal defaults,
and module-level instances; over the repository, `SettingsDefaults.truth("app.config.settings",
"debug")` answers whether that flag is true by default (None when no literal default tells), and
`value` what a field's default is (`settings.browser_type == "cdp"` compares it).

Rules use it to tell which branch code takes in a default deployment (`if settings.debug:`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.semantics.conditions import literal_value
from reviewer.semantics.names import dotted_name
from reviewer.syntax import argument

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
    instances: dict[str, str] = field(default_factory=dict)  # module-level name -> class


class SettingsFacts(Facts):
    """Records settings-like classes (any class with bases: which are settings is decided over
    the repository) and module-level instances."""

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self.module = SettingsModule()
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
        self._depth += 1

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
        if self._depth or self._classes or not isinstance(node.value, cst.Call) or node.value.args:
            return
        cls = self.context.qualify(node.value.func)
        if cls is None:
            return
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self.module.instances[self._qualname(target.target.value)] = cls

    @classmethod
    def repository(cls, repo: RepositoryView) -> SettingsDefaults:
        modules = [s.extras[FACTS_KEY] for s in repo.summaries if isinstance(s.extras.get(FACTS_KEY), SettingsModule)]
        return SettingsDefaults(modules, repo.index)


class SettingsDefaults:
    """The default truth of each settings flag, over the repository."""

    def __init__(self, modules: list[SettingsModule], index: ModuleIndex) -> None:
        self.index = index
        self.bases: dict[str, list[str]] = {}
        self.defaults: dict[str, dict[str, Any]] = {}
        self.instances: dict[str, str] = {}
        for module in modules:
            for cls, bases in module.bases.items():
                self.bases[cls] = [index.canonical(base) for base in bases]
            self.defaults.update(module.defaults)
            self.instances.update({name: index.canonical(cls) for name, cls in module.instances.items()})
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
        if not self.is_instance(instance):
            return False, None
        return self._field(self.instances[self.index.canonical(instance)], name)

    def truth(self, instance: str, name: str) -> bool | None:
        """Whether flag `name` is on by default; None when it is no flag (its default is not
        `True` or `False`: a URL or a directory empty by default is configuration a deployment
        chooses, not a feature switched off) or not known."""
        known, default = self.value(instance, name)
        return default if known and isinstance(default, bool) else None
