"""Configuration: `[tool.reviewer]` in the nearest `pyproject.toml`, or a file given with --config.

Every key is checked: an unknown key or a bad value is a `ConfigError` that names the key and the
file, and the CLI exits 2 with it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reviewer.checklist import ITEM_IDS
from reviewer.companions import COMPANION_NAMES, TYPE_CHECKERS
from reviewer.model import Severity
from reviewer.patterns import AnchoredPatterns, PatternError, compile_patterns
from reviewer.rule import Rule
from reviewer.source_text import read_regular_file

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

DEFAULT_MAX_FILE_SIZE = 2 * 1024 * 1024
MAX_CONFIG_BYTES = 4 * 1024 * 1024
# What one file may cost. A real 2 MB module takes about 15 s and 1.2 GB on a laptop; the
# budgets leave a wide margin for that, and stop what no source file should need.
DEFAULT_FILE_TIMEOUT = 120.0
DEFAULT_FILE_MEMORY = 3 * 1024**3
_SIZE = re.compile(r"^\s*(\d+)\s*([kmg]?i?b?)\s*$", re.IGNORECASE)
_UNITS = {
    "": 1,
    "b": 1,
    "k": 1024,
    "kb": 1024,
    "kib": 1024,
    "m": 1024**2,
    "mb": 1024**2,
    "mib": 1024**2,
    "g": 1024**3,
    "gb": 1024**3,
    "gib": 1024**3,
}


class ConfigError(Exception):
    pass


@dataclass
class Config:
    source: Path | None = None
    select: list[str] = field(default_factory=lambda: ["ALL"])
    ignore: list[str] = field(default_factory=list)
    exclude: list[str] = field(default_factory=list)
    command_line_exclude: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    fail_on: Severity = Severity.ERROR
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    file_timeout: float = DEFAULT_FILE_TIMEOUT
    file_memory: int = DEFAULT_FILE_MEMORY
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    companions: list[str] = field(default_factory=list)
    # Files that could not be reviewed fail the run too.
    strict: bool = False
    # The baseline file (`reviewer.baseline`), resolved against the configuration file's directory.
    baseline: Path | None = None
    # Keys set by command-line options, so errors point at the option rather than the file.
    from_command_line: set[str] = field(default_factory=set)

    @property
    def where(self) -> str:
        return str(self.source) if self.source else "command line"

    def base(self, cwd: Path) -> Path:
        """The directory the file's patterns (`exclude`, `per-file-ignores`) are relative to:
        the configuration file's own, as ruff reads them; the working directory without one."""
        return self.source.resolve().parent if self.source is not None else cwd

    def excludes(self, cwd: Path) -> list[AnchoredPatterns]:
        """`exclude` relative to the configuration file, `--exclude` to the working directory."""
        return [AnchoredPatterns(self.base(cwd), self.exclude), AnchoredPatterns(cwd, self.command_line_exclude)]

    def origin(self, key: str) -> str:
        """Where a key's value came from, for error messages."""
        if key in self.from_command_line or self.source is None:
            return f"command line: --{key}"
        return f"{self.source}: tool.reviewer.{key}"


def find_config(start: Path) -> Path | None:
    """The nearest `pyproject.toml` at or above `start` that has a `[tool.reviewer]` table."""
    here = start.resolve()
    if here.is_file():
        here = here.parent
    for directory in (here, *here.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            data = read_toml(candidate, "needed to look for [tool.reviewer]")
            if isinstance(data.get("tool"), dict) and "reviewer" in data["tool"]:
                return candidate
    return None


def read_toml(path: Path, purpose: str = "") -> dict[str, Any]:
    """A TOML file's table; every way it can be unreadable is a `ConfigError` naming the file.
    The file comes from the reviewed repository: a device or a FIFO under that name, a huge
    file or one nested past the parser's recursion are refused, not waited on or crashed on."""
    why = f" ({purpose})" if purpose else ""
    try:
        text = read_regular_file(path, MAX_CONFIG_BYTES).decode("utf-8")
        return tomllib.loads(text)
    except OSError as error:
        raise ConfigError(f"{path}: cannot read configuration{why}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: configuration is not UTF-8{why}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: invalid TOML{why}: {error}") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML{why}: nested too deeply to read") from None


def load_config(path: Path | None) -> Config:
    """Read and check `[tool.reviewer]` from `path` (a pyproject.toml or a reviewer TOML file)."""
    if path is None:
        return Config()
    data = read_toml(path)
    if "tool" in data or path.name == "pyproject.toml":
        return parse_table(data.get("tool", {}).get("reviewer", {}), path)
    return parse_table(data, path, prefix="")


def parse_table(table: Mapping[str, Any], source: Path | None, prefix: str = "tool.reviewer") -> Config:
    config = Config(source=source)

    def key_name(key: str) -> str:
        return f"{prefix}.{key}" if prefix else key

    def fail(key: str, problem: str) -> ConfigError:
        return ConfigError(f"{config.where}: {key_name(key)}: {problem}")

    def string_list(key: str, value: Any) -> list[str]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise fail(key, "expected a list of strings")
        return list(value)

    if not isinstance(table, Mapping):
        raise ConfigError(f"{config.where}: {prefix or 'configuration'} must be a table")
    for key, value in table.items():
        if key == "select":
            config.select = string_list(key, value)
        elif key == "ignore":
            config.ignore = string_list(key, value)
        elif key in ("exclude", "extend-exclude"):
            patterns = string_list(key, value)
            check_patterns(patterns, lambda problem, key=key: fail(key, problem))
            config.exclude.extend(patterns)
        elif key == "per-file-ignores":
            if not isinstance(value, Mapping):
                raise fail(key, "expected a table of glob = [codes]")
            config.per_file_ignores = {glob: string_list(f"{key}.{glob}", codes) for glob, codes in value.items()}
            for glob in config.per_file_ignores:
                check_patterns([glob], lambda problem, glob=glob: fail(f"per-file-ignores.{glob}", problem))
        elif key == "fail-on":
            if not isinstance(value, str):
                raise fail(key, "expected one of info, warning, error")
            try:
                config.fail_on = Severity.parse(value)
            except ValueError as error:
                raise fail(key, str(error)) from None
        elif key == "max-file-size":
            config.max_file_size = parse_size(value, lambda problem, key=key: fail(key, problem))
        elif key == "file-memory":
            config.file_memory = parse_size(value, lambda problem, key=key: fail(key, problem))
        elif key == "file-timeout":
            config.file_timeout = parse_seconds(value, lambda problem, key=key: fail(key, problem))
        elif key == "companions":
            config.companions = string_list(key, value)
            unknown = sorted(set(config.companions) - set(COMPANION_NAMES))
            if unknown:
                raise fail(key, f"unknown companion engine {unknown[0]!r} (choose from {', '.join(COMPANION_NAMES)})")
            checkers = sorted(set(config.companions) & set(TYPE_CHECKERS))
            if len(checkers) > 1:
                raise fail(key, f"{' and '.join(checkers)} both decide type-checked: name one type checker")
        elif key == "strict":
            if not isinstance(value, bool):
                raise fail(key, "expected true or false")
            config.strict = value
        elif key == "baseline":
            if not isinstance(value, str) or not value.strip():
                raise fail(key, "expected the path of a baseline file, relative to this file")
            config.baseline = (source.resolve().parent if source is not None else Path.cwd()) / value
        elif key == "rules":
            if not isinstance(value, Mapping) or not all(isinstance(v, Mapping) for v in value.values()):
                raise fail(key, "expected a table of rule option tables ([tool.reviewer.rules.CODE])")
            config.rules = {rule: dict(options) for rule, options in value.items()}
        else:
            known = (
                "select, ignore, exclude, extend-exclude, per-file-ignores, fail-on, max-file-size, file-timeout, "
                "file-memory, companions, strict, baseline, rules"
            )
            raise fail(key, f"unknown key (known keys: {known})")
    return config


def check_patterns(patterns: Sequence[str], fail: Callable[[str], ConfigError]) -> None:
    """Gitignore-style patterns must compile: a bad one is a configuration error, not a crash."""
    try:
        compile_patterns(patterns)
    except PatternError as error:
        raise fail(str(error)) from None


def parse_seconds(value: Any, fail: Callable[[str], ConfigError]) -> float:
    if isinstance(value, str):
        try:
            value = float(value.strip().removesuffix("s").strip())
        except ValueError:
            raise fail("expected a number of seconds, such as 120") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < float("inf"):
        raise fail("expected a positive number of seconds, such as 120")
    return float(value)


def parse_size(value: Any, fail: Any) -> int:
    if isinstance(value, bool):
        raise fail("expected a size in bytes or a string such as '2MB'")
    if isinstance(value, int):
        if value <= 0:
            raise fail("must be positive")
        return value
    if isinstance(value, str):
        match = _SIZE.match(value)
        if match and match.group(2).lower() in _UNITS and int(match.group(1)) > 0:
            return int(match.group(1)) * _UNITS[match.group(2).lower()]
    raise fail("expected a size in bytes or a string such as '2MB'")


def matches(rule: type[Rule], selector: str) -> bool:
    """A selector names a rule by code, code prefix, name, checklist item, or `ALL`."""
    wanted = selector.strip()
    if wanted.upper() == "ALL":
        return True
    return rule.code.upper().startswith(wanted.upper()) or wanted in (rule.name, rule.checklist)


def check_selectors(selectors: Sequence[str], rules: Sequence[type[Rule]], origin: str) -> None:
    for selector in selectors:
        if selector.upper() == "ALL" or selector in ITEM_IDS:
            continue
        if not any(matches(rule, selector) for rule in rules):
            raise ConfigError(f"{origin}: {selector!r} matches no rule code, rule name or checklist item")


def enabled_rules(config: Config, rules: Sequence[type[Rule]]) -> list[type[Rule]]:
    check_selectors(config.select, rules, config.origin("select"))
    check_selectors(config.ignore, rules, config.origin("ignore"))
    for glob, selectors in config.per_file_ignores.items():
        check_selectors(selectors, rules, f"{config.origin('per-file-ignores')}.{glob}")
    return [
        rule
        for rule in rules
        if any(matches(rule, s) for s in config.select) and not any(matches(rule, s) for s in config.ignore)
    ]


def rule_options(config: Config, rules: Sequence[type[Rule]]) -> dict[str, dict[str, Any]]:
    """Each rule's options: its defaults, overridden by `[tool.reviewer.rules.<code or name>]`.

    `severity` is accepted for every rule. A value must have the type of the option's default."""
    by_key = {rule.code: rule for rule in rules} | {rule.name: rule for rule in rules}
    resolved: dict[str, dict[str, Any]] = {rule.code: dict(rule.options) for rule in rules}
    for key, options in config.rules.items():
        rule = by_key.get(key) or by_key.get(key.upper())
        where = f"{config.where}: tool.reviewer.rules.{key}"
        if rule is None:
            raise ConfigError(f"{where}: no rule has this code or name")
        for option, value in options.items():
            if option == "severity":
                try:
                    resolved[rule.code]["severity"] = Severity.parse(str(value))
                except ValueError as error:
                    raise ConfigError(f"{where}.severity: {error}") from None
                continue
            if option not in rule.options:
                known = ", ".join(sorted(rule.options)) or "none besides severity"
                raise ConfigError(f"{where}: unknown option {option!r} (options: {known})")
            default = rule.options[option]
            if not _same_type(default, value):
                raise ConfigError(f"{where}.{option}: expected {_type_name(default)}, got {value!r}")
            if isinstance(default, Severity):
                value = Severity.parse(value)
            resolved[rule.code][option] = value
    return resolved


def _same_type(default: Any, value: Any) -> bool:
    if isinstance(default, Severity):
        return isinstance(value, str) and value.upper() in Severity.__members__
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, (list, tuple)):
        if not isinstance(value, list):
            return False
        kinds = {type(v) for v in default} or {str}
        return all(type(v) in kinds for v in value)
    if isinstance(default, Mapping):
        return isinstance(value, Mapping)
    return isinstance(value, type(default))


def _type_name(default: Any) -> str:
    if isinstance(default, Severity):
        return "a severity (info, warning, error)"
    if isinstance(default, (list, tuple)):
        return "a list of strings"
    return {bool: "true or false", int: "an integer", float: "a number", str: "a string"}.get(
        type(default), type(default).__name__
    )
