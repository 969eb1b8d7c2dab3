"""Where nodes are, at the cost of the statement they sit in rather than of the whole file.

libcst nodes carry no positions: its PositionProvider generates the code of the whole module to
count lines and columns, which costs more than parsing it, and a file that has one finding (or one
call that a repository-wide rule may need to point at) pays it all. Python's own `ast` knows where
every statement starts for a fraction of that. So the first line of every statement comes from
`ast`, matched to libcst's statements one for one, and a node's exact range from generating the
code of the innermost statement around it, started at that line and indentation; for a compound
statement, only its header is generated. Calls, most of what rules point at, need no code at all:
`ast` places them too, and a statement's calls in `ast` pair with libcst's one for one in the order
they start. Whatever cannot be located this way (a tree `ast` reads
differently, a node outside any statement) falls back to libcst's whole-module positions, so the
answer is always libcst's own.
"""

from __future__ import annotations

import ast
import re
import warnings
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import libcst as cst
from libcst._position import CodePosition, CodeRange
from libcst.metadata import PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState

from reviewer.source_text import LINE_BREAK
from reviewer.traversal import nodes_of_type

# Compound statements whose header (everything before an indented body) is generated alone,
# with the fields to drop besides the body.
_EMPTIED: dict[type, dict[str, None]] = {
    cst.FunctionDef: {},
    cst.ClassDef: {},
    cst.If: {"orelse": None},
    cst.For: {"orelse": None},
    cst.While: {"orelse": None},
    cst.With: {},
}
_EMPTY_BLOCK = cst.IndentedBlock(body=())
_DEFINITIONS = {
    cst.FunctionDef: re.compile(r"[ \t\f]*(?:async[ \t\f]+)?def[ \t\f]+(\w+)"),
    cst.ClassDef: re.compile(r"[ \t\f]*class[ \t\f]+(\w+)"),
}


class Positions:
    """Positions in one module, computed on demand; `range` is libcst's `PositionProvider` range."""

    def __init__(self, module: cst.Module, source: str) -> None:
        self.module = module
        self.source = source
        self._starts: dict[cst.CSTNode, _Start] | None = None
        self._ranges: dict[cst.CSTNode, CodeRange] = {}
        self._generated: set[cst.CSTNode] = set()
        self._whole_module = False
        self._source_lines: list[str] | None = None
        self._call_ranges: dict[cst.CSTNode, dict[cst.Call, CodeRange]] = {}
        self._lines_of_small: dict[cst.CSTNode, cst.CSTNode] = {}  # `return x` -> its statement line

    def statement_lines(self, statement: cst.CSTNode) -> tuple[int, int | None] | None:
        """First line of a statement as libcst's range has it (a decorated function's `def`
        line), and, for a simple statement, its last; None when `ast` could not tell."""
        start = self.starts().get(statement)
        return None if start is None else (start.line, start.end_line)

    def range(self, node: cst.CSTNode, statements: Iterable[cst.CSTNode] = ()) -> CodeRange:
        """Range of `node`, looking first in `statements` (innermost first) that may hold it.
        A compound statement's own range is not generated this way; it comes from the module."""
        found = self._ranges.get(node)
        if found is not None:
            return found
        statements = tuple(self._placed_statement(statement) for statement in statements)
        if statements and type(statements[0]) in _DEFINITIONS and node is statements[0].name:
            found = self._defined_name(statements[0])
            if found is not None:
                return found
        if type(node) is cst.Call:
            for statement in statements:
                found = self._calls(statement).get(node)
                if found is not None:
                    return found
        for statement in statements:
            self._generate(statement)
            found = self._ranges.get(node)
            if found is not None:
                return found
        if not self._whole_module:
            self._whole_module = True
            provider = PositionProvider()
            provider._gen_impl(self.module)
            self._ranges.update(provider._computed)
        return self._ranges[node]

    def _placed_statement(self, statement: cst.CSTNode) -> cst.CSTNode:
        """A small statement (`return x`, which `ast` does not place on its own) as the statement
        line that holds it, which it does."""
        self.starts()
        return self._lines_of_small.get(statement, statement)

    def _defined_name(self, statement: cst.FunctionDef | cst.ClassDef) -> CodeRange | None:
        """The name of a `def` or `class`, read off its line: no code to generate for the name
        every function record carries. None if the line is laid out unusually."""
        start = self.starts().get(statement)
        if start is None:
            return None
        text = self._lines()[start.line - 1]
        match = _DEFINITIONS[type(statement)].match(text)
        name = statement.name.value
        if match is None or match.group(1) != name:
            return None
        column = match.start(1)
        return CodeRange(CodePosition(start.line, column), CodePosition(start.line, column + len(name)))

    def _calls(self, statement: cst.CSTNode) -> dict[cst.Call, CodeRange]:
        """The ranges of the calls in a statement (a compound statement's header), from `ast`:
        its calls and libcst's, each in the order they start, pair one for one when they call the
        same names. Empty when they do not, or for a statement `ast` could not place."""
        found = self._call_ranges.get(statement)
        if found is None:
            found = self._call_ranges[statement] = {}
            start = self.starts().get(statement)
            if start is not None:
                try:
                    self._pair_calls(statement, start.nodes, found)
                except _Mismatch:
                    found.clear()
        return found

    def _pair_calls(self, statement: cst.CSTNode, nodes: Sequence[ast.AST], found: dict[cst.Call, CodeRange]) -> None:
        emptied = _EMPTIED.get(type(statement))
        if emptied is not None:
            statement = statement.with_changes(body=_EMPTY_BLOCK, **emptied)
        elif not isinstance(statement, cst.SimpleStatementLine):
            return
        ours = nodes_of_type(statement, cst.Call)
        if not ours:
            return
        theirs = sorted(
            _ast_calls(_header(nodes)),
            key=lambda call: (call.lineno, call.col_offset, -call.end_lineno, -call.end_col_offset),
        )
        if len(theirs) != len(ours):
            raise _Mismatch
        lines = self._lines()
        for call, node in zip(ours, theirs, strict=True):
            if _callee(call) != _ast_callee(node):
                raise _Mismatch
            if not call.lpar:  # a parenthesized call's range: libcst's own
                found[call] = CodeRange(
                    CodePosition(node.lineno, _column(lines[node.lineno - 1], node.col_offset)),
                    CodePosition(node.end_lineno, _column(lines[node.end_lineno - 1], node.end_col_offset)),
                )

    def _lines(self) -> list[str]:
        if self._source_lines is None:
            self._source_lines = LINE_BREAK.split(self.source)
        return self._source_lines

    def _generate(self, statement: cst.CSTNode) -> None:
        if statement in self._generated or self._whole_module:
            return
        self._generated.add(statement)
        start = self.starts().get(statement)
        if start is None:
            return
        provider = PositionProvider()
        state = PositionProvidingCodegenState(
            default_indent=self.module.default_indent,
            default_newline=self.module.default_newline,
            provider=provider,
            indent_tokens=[start.indent] if start.indent else [],
            line=start.generated_from,
        )
        emptied = _EMPTIED.get(type(statement))
        if emptied is None or not isinstance(statement.body, cst.IndentedBlock):
            statement._codegen(state)
        else:
            header = statement.with_changes(body=_EMPTY_BLOCK, **emptied)
            header._codegen(state)
            provider._computed.pop(header, None)
            provider._computed.pop(_EMPTY_BLOCK, None)
        self._ranges.update(provider._computed)

    def starts(self) -> dict[cst.CSTNode, _Start]:
        """Where each statement starts; empty when `ast` and libcst do not read the module alike."""
        if self._starts is None:
            self._starts = {}
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # `"\d"` and the like: not ours to report
                    tree = ast.parse(self.source)
                _pair(self.module.body, tree.body, self._starts, self._lines(), self._lines_of_small)
            except (SyntaxError, ValueError, _Mismatch, IndexError, RecursionError):
                self._starts = {}
                self._lines_of_small = {}
        return self._starts


class _Start(NamedTuple):
    generated_from: int  # where the statement's code begins: its leading comments and blank lines
    indent: str
    line: int  # where libcst's range of it begins: the first token after any decorators
    end_line: int | None  # a simple statement's last line
    nodes: tuple[ast.AST, ...]  # ast's statements for it (a simple statement line's, or the one)


# Fields of ast's compound statements that hold their bodies, not their headers.
_BODIES = frozenset({"body", "orelse", "handlers", "finalbody", "cases"})


def _header(nodes: Sequence[ast.AST]) -> Iterable[ast.AST]:
    """The parts of ast's statements that libcst's statement, header only, holds."""
    for node in nodes:
        if not isinstance(node, _AST_COMPOUND):
            yield node
            continue
        for field, value in ast.iter_fields(node):
            if field in _BODIES:
                continue
            if isinstance(value, list):
                yield from (item for item in value if isinstance(item, ast.AST))
            elif isinstance(value, ast.AST):
                yield value


# ast nodes no call can be below.
_AST_LEAVES = (ast.Name, ast.Constant, ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)


def _ast_calls(roots: Iterable[ast.AST]) -> list[ast.Call]:
    """The calls at or below `roots`, in no particular order: `ast.walk` without a generator
    step per node and without looking below names and constants."""
    found = []
    stack = list(roots)
    while stack:
        node = stack.pop()
        if type(node) is ast.Call:
            found.append(node)
        for field in node._fields:
            value = getattr(node, field, None)
            if type(value) is list:
                stack.extend(item for item in value if isinstance(item, ast.AST) and not isinstance(item, _AST_LEAVES))
            elif isinstance(value, ast.AST) and not isinstance(value, _AST_LEAVES):
                stack.append(value)
    return found


def _callee(call: cst.Call) -> str:
    func = call.func
    kind = type(func)
    if kind is cst.Name:
        return func.value
    return func.attr.value if kind is cst.Attribute else ""


def _ast_callee(call: ast.Call) -> str:
    func = call.func
    kind = type(func)
    if kind is ast.Name:
        return func.id
    return func.attr if kind is ast.Attribute else ""


def _column(line: str, offset: int) -> int:
    """ast's column (UTF-8 bytes into the line) as libcst's (characters)."""
    return offset if line.isascii() else len(line.encode("utf-8")[:offset].decode("utf-8", "replace"))


class _Mismatch(Exception):
    """libcst's and ast's statements do not line up."""


_COMPOUND = {
    cst.FunctionDef: (ast.FunctionDef, ast.AsyncFunctionDef),
    cst.ClassDef: (ast.ClassDef,),
    cst.If: (ast.If,),
    cst.For: (ast.For, ast.AsyncFor),
    cst.While: (ast.While,),
    cst.With: (ast.With, ast.AsyncWith),
    cst.Try: (ast.Try,),
    cst.TryStar: (getattr(ast, "TryStar", ast.Try),),  # `except*`: Python 3.11's ast and later
    cst.Match: (ast.Match,),
}
_AST_COMPOUND = tuple({kind for kinds in _COMPOUND.values() for kind in kinds})


def _pair(
    statements: Sequence[cst.CSTNode],
    nodes: Sequence[ast.stmt],
    starts: dict[cst.CSTNode, _Start],
    lines: list[str],
    lines_of_small: dict[cst.CSTNode, cst.CSTNode],
) -> None:
    position = 0
    for statement in statements:
        node = nodes[position]
        leading = len(statement.leading_lines)
        if isinstance(statement, cst.SimpleStatementLine):
            if isinstance(node, _AST_COMPOUND):
                raise _Mismatch
            position += len(statement.body)
            last = nodes[position - 1]
            starts[statement] = _Start(
                node.lineno - leading, _indent(lines, node.lineno), node.lineno, last.end_lineno,
                tuple(nodes[position - len(statement.body):position]),
            )
            for small in statement.body:
                lines_of_small[small] = statement
            continue
        if not isinstance(node, _COMPOUND.get(type(statement), ())):
            raise _Mismatch
        position += 1
        first = node.lineno
        decorators = getattr(statement, "decorators", ())
        if decorators:
            first = node.decorator_list[0].lineno
            leading += len(decorators[0].leading_lines)
        starts[statement] = _Start(first - leading, _indent(lines, first), node.lineno, None, (node,))
        for inner, inner_nodes in _blocks(statement, node):
            _pair(inner, inner_nodes, starts, lines, lines_of_small)
    if position != len(nodes):
        raise _Mismatch


def _indent(lines: list[str], line: int) -> str:
    text = lines[line - 1]
    return text[: len(text) - len(text.lstrip(" \t\f"))]


def _blocks(statement: cst.CSTNode, node: ast.stmt) -> list[tuple[Sequence[cst.CSTNode], Sequence[ast.stmt]]]:
    """The statement blocks of a compound statement, each with ast's; a one-line suite
    (`if x: y`) holds no statements of its own and pairs with nothing."""
    blocks = []

    def add(suite: cst.BaseSuite, nodes: Sequence[ast.stmt]) -> None:
        if isinstance(suite, cst.IndentedBlock):
            blocks.append((suite.body, nodes))

    if isinstance(statement, cst.Match):
        for case, ast_case in zip(statement.cases, node.cases, strict=True):
            add(case.body, ast_case.body)
        return blocks
    add(statement.body, node.body)
    if isinstance(statement, (cst.Try, cst.TryStar)):
        for handler, ast_handler in zip(statement.handlers, node.handlers, strict=True):
            add(handler.body, ast_handler.body)
        if statement.finalbody is not None:
            add(statement.finalbody.body, node.finalbody)
    orelse = getattr(statement, "orelse", None)
    if isinstance(orelse, cst.If):
        blocks.append(((orelse,), node.orelse))
    elif orelse is not None:
        add(orelse.body, node.orelse)
    return blocks
