"""Cheap name resolution: which qualified name does `r.get` or `sleep` stand for in this module?

libcst's QualifiedNameProvider costs several parses' worth of time, so rules share this instead: a
table of the module's imports (with aliases and relative imports resolved against the module's own
dotted name), the names the module defines itself, and a stack of function scopes for imports made
inside functions. Resolution is by import, never by spelling: `text` is only
`sqlalchemy.text` if the module imported it from there.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import dataclass, field

from reviewer import lazy_cst as cst
from reviewer.traversal import BatchedVisitor

_BUILTIN_NAMES = frozenset(dir(builtins))


def dotted_name(node: cst.BaseExpression) -> str | None:
    """`a.b.c` for a chain of Names and Attributes, else None."""
    kind = type(node)  # not isinstance: libcst's node classes are ABCs, and this runs for most nodes
    if kind is cst.Name:
        return node.value
    if kind is cst.Attribute:
        base = dotted_name(node.value)
        return None if base is None else f"{base}.{node.attr.value}"
    return None


def decorator_name(decorator: cst.Decorator, qualify: Callable[[cst.BaseExpression], str | None]) -> str | None:
    """What a decorator names, called or not (`app.get` of `@app.get("/")`), qualified through the
    imports when it can be, else as written; None for an expression no name spells."""
    expression = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
    return qualify(expression) or dotted_name(expression)


def _import_base(module: str, is_package: bool, level: int, target: str | None) -> str | None:
    """Absolute module named by `from <dots><target> import ...` inside `module`."""
    if level == 0:
        return target
    parts = module.split(".") if module else []
    if not is_package:
        parts = parts[:-1]
    if level - 1 > len(parts):
        return None
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    if target:
        parts.append(target)
    return ".".join(parts) if parts else None


def _aliases_of(node: cst.Import | cst.ImportFrom, module: str, is_package: bool) -> dict[str, str]:
    found: dict[str, str] = {}
    if isinstance(node, cst.Import):
        for alias in node.names:
            full = dotted_name(alias.name)
            if full is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                found[alias.asname.name.value] = full
            else:
                head = full.split(".", 1)[0]
                found[head] = head
        return found
    if isinstance(node.names, cst.ImportStar):
        return found
    target = dotted_name(node.module) if node.module is not None else None
    base = _import_base(module, is_package, len(node.relative), target)
    if base is None:
        return found
    for alias in node.names:
        if not isinstance(alias.name, cst.Name):
            continue
        local = alias.name.value
        if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
            local = alias.asname.name.value
        found[local] = f"{base}.{alias.name.value}"
    return found


def _star_module(node: cst.Import | cst.ImportFrom, module: str, is_package: bool) -> str | None:
    if not isinstance(node, cst.ImportFrom) or not isinstance(node.names, cst.ImportStar):
        return None
    target = dotted_name(node.module) if node.module is not None else None
    return _import_base(module, is_package, len(node.relative), target)


def _defined_names(statement: cst.CSTNode) -> list[str]:
    if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
        return [statement.name.value]
    names: list[str] = []
    if isinstance(statement, cst.SimpleStatementLine):
        for small in statement.body:
            targets: list[cst.BaseExpression] = []
            if isinstance(small, cst.Assign):
                targets = [t.target for t in small.targets]
            elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
                targets = [small.target]
            names.extend(t.value for t in targets if isinstance(t, cst.Name))
    return names


def _module_level_statements(body: tuple[cst.CSTNode, ...]):
    """Statements that run at import time: the module body and the blocks of if/try/with in it."""
    for statement in body:
        yield statement
        if isinstance(statement, (cst.If, cst.Try, cst.TryStar, cst.With, cst.For, cst.While)):
            blocks = [statement.body]
            if isinstance(statement, (cst.Try, cst.TryStar)):
                blocks += [h.body for h in statement.handlers]
                blocks += [b.body for b in (statement.orelse, statement.finalbody) if b is not None]
            elif getattr(statement, "orelse", None) is not None:
                orelse = statement.orelse
                blocks.append(orelse if isinstance(orelse, cst.If) else orelse.body)
            for block in blocks:
                inner = (block,) if isinstance(block, cst.If) else getattr(block, "body", ())
                if isinstance(inner, (list, tuple)):
                    yield from _module_level_statements(tuple(inner))


def _rebound_imports(tree: cst.Module, aliases: dict[str, str], bound: dict[str, int]) -> dict[str, str]:
    """Module-level names bound once (`bound`: how often the module's statements bind each), at the
    top of the module, to what an import names (`SearchType = config.SearchType` after `from
    app.utils import config`): another name for it."""
    rebound = {}
    for statement in tree.body:
        if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
            continue
        small = statement.body[0]
        if not (isinstance(small, cst.Assign) and len(small.targets) == 1 and isinstance(small.targets[0].target,
                                                                                          cst.Name)):
            continue
        name = small.targets[0].target.value
        written = dotted_name(small.value) if isinstance(small.value, (cst.Name, cst.Attribute)) else None
        root, _, rest = (written or "").partition(".")
        if bound.get(name) == 1 and root in aliases and root != name:
            rebound[name] = ".".join(part for part in (aliases[root], rest) if part)
    return rebound


@dataclass
class ImportTable:
    """The module-level names of one module: what each imported name stands for, and which names
    the module defines itself. Picklable; it travels in the module summary."""

    module: str
    is_package: bool = False
    aliases: dict[str, str] = field(default_factory=dict)
    defined: set[str] = field(default_factory=set)
    # The modules it imports every public name of (`from pydantic import *`), qualified.
    stars: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, tree: cst.Module, module: str, is_package: bool) -> ImportTable:
        table = cls(module=module, is_package=is_package)
        bound: dict[str, int] = {}  # how often the module-level statements bind each name
        for statement in _module_level_statements(tuple(tree.body)):
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, (cst.Import, cst.ImportFrom)):
                        table.aliases.update(_aliases_of(small, module, is_package))
                        star = _star_module(small, module, is_package)
                        if star is not None:
                            table.stars.append(star)
            for name in _defined_names(statement):
                table.defined.add(name)
                table.aliases.pop(name, None)
                bound[name] = bound.get(name, 0) + 1
        table.aliases.update(_rebound_imports(tree, table.aliases, bound))
        return table

    def exported(self, name: str) -> str | None:
        """What a name another module imports from this one stands for: what it imports under that
        name, or, where it neither imports nor defines it and imports every name of one module
        (`from pydantic import *` in a compatibility module), that module's name."""
        found = self.aliases.get(name)
        if found is None and len(self.stars) == 1 and name not in self.defined and not name.startswith("_"):
            return f"{self.stars[0]}.{name}"
        return found

    def imported_modules(self) -> set[str]:
        return set(self.aliases.values())


class NameResolver(BatchedVisitor):
    """Resolves names to qualified names while the engine walks a module.

    It runs first in the batch so that, when a rule visits a node, imports made earlier in the
    enclosing functions are already known. Function-local imports shadow module-level ones and
    disappear when the function ends: in the walk's `after_leave` hook, after every visitor's
    `leave_FunctionDef`, so rules that work as they leave a function still resolve its imports.
    """

    def __init__(self, table: ImportTable) -> None:
        super().__init__()
        self.table = table
        self._scopes: list[dict[str, str]] = []
        # The imports of each function that makes some, or whose enclosing functions do, by the
        # function's node id: for analyses that read a function after the walk has left it.
        self.local_imports: dict[int, dict[str, str]] = {}

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scopes.append({})

    def after_leave(self, node: cst.CSTNode) -> None:
        """Pass as `visit_batched(..., after_leave=)` (or call from the walk's own hook)."""
        if type(node) is cst.FunctionDef:
            if any(self._scopes):
                self.local_imports[id(node)] = {name: to for scope in self._scopes for name, to in scope.items()}
            self._scopes.pop()

    def qualify_in(self, function: cst.FunctionDef) -> Callable[[cst.BaseExpression], str | None]:
        """`qualify` as it reads inside `function`, after the walk: with the imports it (or a
        function around it) makes."""
        local = self.local_imports.get(id(function))
        if not local:
            return self.qualify

        def qualify(node: cst.BaseExpression) -> str | None:
            head = node
            while type(head) is cst.Attribute:
                head = head.value
            if type(head) is cst.Name and head.value in local:
                dotted = dotted_name(node)
                return local[head.value] + dotted[len(head.value):] if dotted else None
            return self.qualify(node)
        return qualify

    def visit_Import(self, node: cst.Import) -> None:
        if self._scopes:
            self._scopes[-1].update(_aliases_of(node, self.table.module, self.table.is_package))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if self._scopes:
            self._scopes[-1].update(_aliases_of(node, self.table.module, self.table.is_package))

    def lookup(self, name: str) -> str | None:
        for scope in reversed(self._scopes):
            if name in scope:
                return scope[name]
        if name in self.table.aliases:
            return self.table.aliases[name]
        if name in self.table.defined:
            return f"{self.table.module}.{name}" if self.table.module else name
        if name in _BUILTIN_NAMES:
            return f"builtins.{name}"
        return None

    def qualify(self, node: cst.BaseExpression) -> str | None:
        """Qualified name of a Name/Attribute chain (`r.get` -> `requests.get`), else None."""
        kind = type(node)  # as in `dotted_name`
        if kind is cst.Name:
            return self.lookup(node.value)
        if kind is cst.Attribute:
            base = self.qualify(node.value)
            return None if base is None else f"{base}.{node.attr.value}"
        return None
