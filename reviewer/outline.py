"""Where lines of a file sit: the statement that holds them, and the functions and classes around it.

Baselines and pull-request mode speak of code rather than of line numbers, which every edit above
a finding shifts: the statement a finding flags, read as `ast` reads it (so quotes, wrapping,
trailing commas and comments do not count), the qualified name of the functions and classes
around it, and the lines of the function whose body a change touched.

The review itself parses with libcst; this reads only the few files it must, after the review,
with the standard library's `ast`. A file the running Python cannot parse (syntax newer than the
interpreter) is read by its indentation instead, and its statements by their text with the
whitespace taken out.
"""

from __future__ import annotations

import ast
import hashlib
import re
import warnings
from dataclasses import dataclass

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SCOPES = (*_FUNCTIONS, ast.ClassDef)
# Fields that say nothing about what the code does (`Load`/`Store`, a `u` string prefix, type
# comments), and so would only make a statement's form differ between two spellings of it.
_IGNORED_FIELDS = frozenset({"ctx", "kind", "type_comment"})
_DEF_LINE = re.compile(r"^(\s*)(?:async\s+def|def|class)\s+(\w+)")


@dataclass(frozen=True)
class Statement:
    first: int  # its first line, decorators included
    last: int
    depth: int
    scope: tuple[str, ...]  # the names of the functions and classes around it, outermost first
    node: ast.stmt | None  # None when the file was read by indentation: then a def or class
    name: str = ""  # a def's or class's name
    is_function: bool = False


class Outline:
    """A file's statements with their lines: every statement when the running Python parses the
    file with `ast`, its `def` and `class` blocks (found by indentation) when it cannot."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.statements: list[Statement] = []
        try:
            with warnings.catch_warnings():  # an invalid escape sequence is the project's business
                warnings.simplefilter("ignore")
                tree = ast.parse("\n".join(lines) + "\n")
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            self.parsed = False
            self.statements = _by_indentation(lines)
            return
        self.parsed = True
        stack: list[tuple[ast.AST, int, tuple[str, ...]]] = [(tree, 0, ())]
        while stack:
            node, depth, scope = stack.pop()
            inner = (*scope, node.name) if isinstance(node, _SCOPES) else scope
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    decorators = getattr(child, "decorator_list", None) or []
                    first = min([child.lineno, *(d.lineno for d in decorators)])
                    last = child.end_lineno or child.lineno
                    name = child.name if isinstance(child, _SCOPES) else ""
                    is_function = isinstance(child, _FUNCTIONS)
                    self.statements.append(Statement(first, last, depth, inner, child, name, is_function))
                    stack.append((child, depth + 1, inner))
                elif isinstance(child, (ast.ExceptHandler, ast.match_case)):
                    stack.append((child, depth, inner))
        self.statements.sort(key=lambda s: (s.first, s.depth))

    def _innermost(self, first: int, last: int, functions_only: bool = False) -> Statement | None:
        found = None
        for statement in self.statements:
            if statement.first > first:
                break
            if statement.last < last or (functions_only and not statement.is_function):
                continue
            if found is None or statement.depth > found.depth:
                found = statement
        return found

    def function(self, first: int, last: int) -> tuple[int, int] | None:
        """The lines of the innermost function (a `def` itself included) that holds lines `first`
        to `last`, decorators included."""
        found = self._innermost(first, last, functions_only=True)
        return None if found is None else (found.first, found.last)

    def key(self, first: int, last: int) -> tuple[str, str]:
        """What the code of the statement holding lines `first` to `last` is, without saying
        where: the qualified name of the functions and classes around the statement, and a
        digest of its form (a compound statement's header only: its body is other statements)."""
        statement = self._innermost(first, last)
        if not self.parsed:
            scope: tuple[str, ...] = ()
            if statement is not None:
                in_header = first <= _header_line(self.lines, statement)
                scope = statement.scope if in_header else (*statement.scope, statement.name)
            return ".".join(scope), _digest("text:" + _squeezed(self.lines[first - 1 : last]))
        if statement is None:  # not inside any statement: blank lines or comments
            return "", _digest("text:" + _squeezed(self.lines[first - 1 : last]))
        assert statement.node is not None
        try:
            form = _form(statement.node)
        except RecursionError:
            form = "text:" + _squeezed(self.lines[statement.first - 1 : statement.last])
        return ".".join(statement.scope), _digest(form)


def _header_line(lines: list[str], block: Statement) -> int:
    """The line of a block's `def` or `class` keyword (after its decorators)."""
    for number in range(block.first, block.last + 1):
        if _DEF_LINE.match(lines[number - 1]):
            return number
    return block.first


def _digest(form: str) -> str:
    return hashlib.sha256(form.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _form(node: object) -> str:
    """A statement as a canonical string: node types and fields, without positions, empty
    fields or `ctx` markers (so the same on every Python version that parses it alike), and
    without the statements inside it (bodies, branches, handlers' bodies): a compound statement
    is its header."""
    if isinstance(node, ast.AST):
        fields = []
        for name, value in ast.iter_fields(node):
            if name in _IGNORED_FIELDS or value is None or value == []:
                continue
            if isinstance(value, list) and any(isinstance(item, ast.stmt) for item in value):
                continue
            fields.append(f"{name}={_form(value)}")
        return f"{type(node).__name__}({','.join(fields)})"
    if isinstance(node, list):
        return "[" + ",".join(_form(item) for item in node) + "]"
    return repr(node)


def _squeezed(lines: list[str]) -> str:
    """Code with its formatting taken out: no whitespace, one kind of quote, no trailing commas."""
    text = "".join("".join(lines).split()).replace("'", '"')
    return re.sub(r",(?=[)\]}])", "", text)


def _by_indentation(lines: list[str]) -> list[Statement]:
    """The `def` and `class` blocks of a file that `ast` cannot parse: each from its first
    decorator to the line before the next code at its indentation or less."""
    blocks: list[Statement] = []
    open_blocks: list[tuple[int, int, str, bool]] = []  # (indentation, first line, name, is a def)
    last_code = 0

    def close_until(indent: int) -> None:
        while open_blocks and open_blocks[-1][0] >= indent:
            _, first, name, is_function = open_blocks.pop()
            scope = tuple(block[2] for block in open_blocks)
            blocks.append(Statement(first, max(first, last_code), len(open_blocks), scope, None, name, is_function))

    pending_decorator = 0
    for number, text in enumerate(lines, start=1):
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(text) - len(text.lstrip())
        close_until(indent)
        match = _DEF_LINE.match(text)
        if stripped.startswith("@"):
            pending_decorator = pending_decorator or number
        elif match:
            is_function = not match[0].lstrip().startswith("class")
            open_blocks.append((indent, pending_decorator or number, match[2], is_function))
            pending_decorator = 0
        else:
            pending_decorator = 0
        last_code = number
    close_until(0)
    blocks.sort(key=lambda s: (s.first, s.depth))
    return blocks
