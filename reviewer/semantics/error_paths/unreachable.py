"""Branches no value takes: `if x is None:` after a statement that read `x.attribute` or `x[...]`
on every way to it. Had `x` been None, that statement would have raised first, so what the branch
returns (`return {"status": "error", ...}`) never reaches a client.

A walk keeps the blocks it is in, each with the position of the statement it is at
(`Preceding`), and asks when it meets such a test. Only plain statements of those blocks count,
before the test and after the name was bound, and only for a name the function binds once: a
statement nested in a branch, a loop or a `try` may not run, and a name bound again may be None
anew.
"""

from __future__ import annotations

from collections.abc import Sequence

from reviewer import lazy_cst as cst
from reviewer.semantics.error_paths.syntax import bound_names
from reviewer.syntax import params_of
from reviewer.traversal import push_children


class Preceding:
    """The blocks a walk is in, innermost last, each with the index of its current statement."""

    def __init__(self, function: cst.FunctionDef) -> None:
        self.function = function
        self.blocks: list[list] = []  # [statements, index]

    def enter(self, statements: Sequence[cst.BaseStatement]) -> None:
        self.blocks.append([statements, 0])

    def at(self, index: int) -> None:
        self.blocks[-1][1] = index

    def leave(self) -> None:
        self.blocks.pop()

    def last_step(self) -> bool:
        """Whether no statement follows the current one in any block the walk is in: the function
        ends after it (an `except` block of a `try` it is in runs only when something failed)."""
        return not any(statements[index + 1:] for statements, index in self.blocks)

    def never_none(self, test: cst.BaseExpression) -> bool:
        """Whether `test` is `x is None` (or `x == None`) for a name that a statement before it, on
        every way to it, used as an object."""
        name = _none_tested(test)
        if name is None or _bindings(self.function, name) != 1:
            return False
        for statements, index in reversed(self.blocks):
            for statement in reversed(statements[:index]):
                if _binds(statement, name):
                    return False
                if isinstance(statement, cst.SimpleStatementLine) and _uses_as_object(statement, name):
                    return True
        return False


def _none_tested(test: cst.BaseExpression) -> str | None:
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and isinstance(test.left, cst.Name):
        target = test.comparisons[0]
        if (isinstance(target.operator, (cst.Is, cst.Equal)) and isinstance(target.comparator, cst.Name)
                and target.comparator.value == "None"):
            return test.left.value
    return None


def _binds(node: cst.CSTNode, name: str) -> bool:
    return any(bound.value == name for bound in bound_names(node))


def _bindings(function: cst.FunctionDef, name: str) -> int:
    """How many times a function binds a name: its parameters, assignments, loops, `as` clauses."""
    params = (*params_of(function), function.params.star_arg, function.params.star_kwarg)
    return sum(isinstance(param, cst.Param) and param.name.value == name for param in params) + sum(
        bound.value == name for bound in bound_names(function.body))


def _uses_as_object(statement: cst.SimpleStatementLine, name: str) -> bool:
    """Whether a statement, every time it runs, reads an attribute or an item of `name`: not inside
    a lambda, the right of `and`/`or`, a branch of a conditional expression or a comprehension."""
    stack: list[cst.CSTNode] = [statement]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.Attribute, cst.Subscript)) and isinstance(node.value, cst.Name):
            if node.value.value == name:
                return True
        if isinstance(node, (cst.Lambda, cst.FunctionDef, cst.ClassDef)):
            continue
        if isinstance(node, cst.BooleanOperation):
            stack.append(node.left)
        elif isinstance(node, cst.IfExp):
            stack.append(node.test)
        elif isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            stack.append(node.for_in.iter)
        else:
            push_children(node, stack)
    return False
