"""Module-level constant collections, and what they hold.

`SYSTEM_PROMPTS = {"voice_chat": ..., "react": ...}` at module level, never changed by the module
(no `SYSTEM_PROMPTS[key] = ...`, `.update(...)`, `.add(...)`), holds exactly those keys; so does a
set, tuple, list or frozenset of string literals. Per file, `ConstantsFacts` records each such
collection's string members; over the repository, `Constants.members("app.prompts.SYSTEM_PROMPTS")`
answers with them, the name taken as imported (`reviewer.semantics.calls.ModuleIndex.canonical`).

Rules use it to tell whether a key every caller passes is found (`if key in SYSTEM_PROMPTS:
return SYSTEM_PROMPTS[key]` never reaches the file read below it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.syntax import string_value

if TYPE_CHECKING:
    from reviewer.facts import RepositoryView
    from reviewer.rule import FileContext
    from reviewer.semantics.calls import ModuleIndex

FACTS_KEY = "constants"
MUTATORS = frozenset({
    "update", "setdefault", "pop", "popitem", "clear", "add", "discard", "remove", "append", "extend", "insert",
    "__setitem__",
})


@dataclass
class ModuleConstants:
    """What one module's constant collections hold (plain, picklable)."""

    members: dict[str, frozenset[str]] = field(default_factory=dict)  # qualified name -> its strings


def literal_members(node: cst.BaseExpression) -> frozenset[str] | None:
    """The string keys of a dict literal, or the strings of a set/tuple/list literal (also inside
    `frozenset(...)`); None when any member is not a string literal."""
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value in ("frozenset", "set"):
        return literal_members(node.args[0].value) if len(node.args) == 1 else None
    if isinstance(node, cst.Dict):
        keys = [element.key if isinstance(element, cst.DictElement) else None for element in node.elements]
    elif isinstance(node, (cst.Set, cst.Tuple, cst.List)):
        keys = [element.value if isinstance(element, cst.Element) else None for element in node.elements]
    else:
        return None
    values = [string_value(key) if key is not None else None for key in keys]
    return frozenset(values) if all(value is not None for value in values) else None


class ConstantsFacts(Facts):
    """Records module-level constant collections, and the names the module changes."""

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self.module = ModuleConstants()
        context.summary.extras[FACTS_KEY] = self.module
        self._depth = 0  # classes and functions entered
        self._changed: set[str] = set()
        self._bound: set[str] = set()  # names bound at module level

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._depth += 1

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._depth -= 1

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._depth += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._depth -= 1

    def _qualname(self, name: str) -> str:
        return f"{self.context.module}.{name}" if self.context.module else name

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._assigned(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._assigned(node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._changes(node.target)

    def _assigned(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name) and self._depth == 0:
            if target.value in self._bound:
                self._changed.add(target.value)  # bound twice: not a constant
            self._bound.add(target.value)
            members = literal_members(value)
            if members is not None:
                self.module.members[self._qualname(target.value)] = members
        else:
            self._changes(target)

    def _changes(self, target: cst.BaseExpression) -> None:
        """`NAME[key] = ...`, `NAME += ...`, `global NAME` then `NAME = ...`: the module changes it."""
        while isinstance(target, (cst.Subscript, cst.Attribute)):
            target = target.value
        if isinstance(target, cst.Name):
            self._changed.add(target.value)

    def visit_Global(self, node: cst.Global) -> None:
        self._changed.update(item.name.value for item in node.names)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in MUTATORS:
            self._changes(func.value)

    def leave_Module(self, original_node: cst.Module) -> None:
        for name in self._changed:
            self.module.members.pop(self._qualname(name), None)

    @classmethod
    def repository(cls, repo: RepositoryView) -> Constants:
        modules = [s.extras[FACTS_KEY] for s in repo.summaries if isinstance(s.extras.get(FACTS_KEY), ModuleConstants)]
        return Constants(modules, repo.index)


class Constants:
    """The repository's constant collections."""

    def __init__(self, modules: list[ModuleConstants], index: ModuleIndex) -> None:
        self.index = index
        self._members: dict[str, frozenset[str]] = {}
        for module in modules:
            self._members.update(module.members)

    def members(self, qualified: str) -> frozenset[str] | None:
        """What the collection a qualified name (as imported) holds; None when it is not known."""
        return self._members.get(self.index.canonical(qualified))
