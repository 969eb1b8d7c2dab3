"""Where rules come from: the `backend_reviewer.rules` entry-point group.

Built-in rules are registered in this project's own `pyproject.toml` exactly as a third-party
package registers its rules; an entry point may name one rule class or a module of them.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable, Sequence

from reviewer.rule import Rule, rules_in

ENTRY_POINT_GROUP = "backend_reviewer.rules"


class RegistryError(Exception):
    pass


def load_rules() -> list[type[Rule]]:
    """Every installed rule, sorted by code. Two rules with one code is an error."""
    loaded: list[type[Rule]] = []
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = entry_point.load()
        except Exception as error:  # noqa: BLE001 - a broken plugin is named, not a traceback
            raise RegistryError(
                f"rule plugin {entry_point.name!r} ({entry_point.value}) failed to load: {error}"
            ) from error
        loaded.extend(rules_in([obj]))
    return check_unique(loaded)


def check_unique(rules: Iterable[type[Rule]]) -> list[type[Rule]]:
    by_code: dict[str, type[Rule]] = {}
    for rule in rules:
        other = by_code.get(rule.code)
        if other is not None and other is not rule:
            raise RegistryError(
                f"rule code {rule.code} is claimed by both {other.__module__}.{other.__qualname__} "
                f"and {rule.__module__}.{rule.__qualname__}"
            )
        by_code[rule.code] = rule
    return sorted(by_code.values(), key=lambda r: r.code)


def find_rule(rules: Sequence[type[Rule]], key: str) -> type[Rule] | None:
    """A rule by code (case-insensitive) or by name."""
    wanted = key.strip()
    for rule in rules:
        if rule.code.upper() == wanted.upper() or rule.name == wanted:
            return rule
    return None
