"""What rules build fixes from: the edits of a libcst codemod, as spans of the file's text.

A rule that can fix what it reports attaches a `Fix` to the finding (`self.report(..., fix=)`):
edits that replace spans of the file it read, computed from the tree it walks. `reviewer.fixes`
applies them, checks the result and writes it. What several rules need to build their edits is
here: the text of a node as a replacement, and the name a module can be used under in the file,
with the edit that imports it when the file does not.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.model import Edit, Span
from reviewer.source_text import split_lines
from reviewer.traversal import descendants

if TYPE_CHECKING:
    from reviewer.rule import FileContext

# Memo of `module_reference` in `FileContext.shared`: (module) -> its answer.
_REFERENCES = "codemods-module-references"


def replace_node(context: FileContext, node: cst.CSTNode, replacement: str) -> Edit:
    """An edit replacing `node`'s text with `replacement`."""
    return Edit(context.span(node), replacement)


def module_reference(context: FileContext, module: str) -> tuple[str, tuple[Edit, ...]] | None:
    """How code of this file names the top-level module `module` (`asyncio`, `os`): its local name
    and the edits that make it available, `import module` placed after the docstring and the
    `__future__` imports when the module does not import it unconditionally at its top level.
    None when that cannot be done mechanically: the name is used for something else in the file,
    or there is nowhere to put the import without moving the docstring."""
    memo = context.shared.setdefault(_REFERENCES, {})
    if module not in memo:
        memo[module] = _module_reference(context, module)
    return memo[module]


def _module_reference(context: FileContext, module: str) -> tuple[str, tuple[Edit, ...]] | None:
    for statement in context.tree.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Import) and not isinstance(small.names, cst.ImportStar):
                for alias in small.names:
                    name = _dotted(alias.name)
                    if alias.asname is not None and name == module and isinstance(alias.asname.name, cst.Name):
                        return alias.asname.name.value, ()
                    if alias.asname is None and (name == module or name.startswith(module + ".")):
                        return module, ()
    if _name_in_use(context, module):
        return None
    insertion = _import_insertion(context)
    if insertion is None:
        return None
    span, before = insertion
    return module, (Edit(span, f"{before}import {module}\n"),)


def _dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{_dotted(node.value)}.{node.attr.value}"
    return ""


def _name_in_use(context: FileContext, name: str) -> bool:
    """Whether `name` appears as a name anywhere in the file (a binding, a use, an attribute)."""
    if not re.search(rf"\b{re.escape(name)}\b", context.source):
        return False
    name_type = cst.Name
    return any(type(node) is name_type and node.value == name for node in descendants(context.tree))


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and bool(statement.body)
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def _is_future_import(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.ImportFrom)
        and statement.body[0].module is not None
        and _dotted(statement.body[0].module) == "__future__"
    )


def _import_insertion(context: FileContext) -> tuple[Span, str] | None:
    """Where an import goes (an empty span) and what must precede it there: before the first
    statement that is neither the docstring nor a `__future__` import, or at the end."""
    body = context.tree.body
    index = 0
    if body and _is_docstring(body[0]):
        if len(body[0].body) > 1:  # `"""doc"""; import x`: no line of its own to add
            return None
        index = 1
    while index < len(body) and _is_future_import(body[index]):
        index += 1
    if index < len(body):
        statement = body[index]
        decorators = getattr(statement, "decorators", ())
        line = context.span(decorators[0] if decorators else statement, statement).line
        return Span(line, 1, line, 1), ""
    text = context.source
    lines = split_lines(text)
    if not lines:
        return Span(1, 1, 1, 1), ""
    if text.endswith(("\n", "\r")):
        return Span(len(lines) + 1, 1, len(lines) + 1, 1), ""
    end = len(lines[-1]) + 1
    return Span(len(lines), end, len(lines), end), "\n"


def name_reference(context: FileContext, module: str, name: str) -> tuple[str, tuple[Edit, ...]] | None:
    """How code of this file names `name` of `module` (`selectinload` of `sqlalchemy.orm`): `name`,
    with the edit adding `from module import name` when the module does not import it at its top
    level. None when the name is bound or used for anything else in the file."""
    table = context.resolver.table
    if table.aliases.get(name) == f"{module}.{name}":
        return name, ()
    if name in table.aliases or name in table.defined or _name_in_use(context, name):
        return None
    insertion = _import_insertion(context)
    if insertion is None:
        return None
    span, before = insertion
    return name, (Edit(span, f"{before}from {module} import {name}\n"),)
