"""Small questions rules ask of libcst nodes, answered once here so every rule answers them alike."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from reviewer import lazy_cst as cst
from reviewer.traversal import push_children

TRUTHY_STRINGS = frozenset({"1", "true", "yes", "on", "y", "t"})


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    """The `name=...` argument of a call, if given."""
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def positional(call: cst.Call, index: int) -> cst.Arg | None:
    """The `index`-th positional argument (no keyword, no star), if given."""
    plain = [arg for arg in call.args if arg.keyword is None and not arg.star]
    return plain[index] if index < len(plain) else None


def argument(call: cst.Call, index: int, name: str) -> cst.Arg | None:
    """An argument that may be passed by position or by keyword."""
    return keyword(call, name) or positional(call, index)


def argument_slots(call: cst.Call) -> list[tuple[int | str, cst.BaseExpression]]:
    """Each argument with what it fills: its position, or its keyword. `**kwargs` fill nothing
    known; after `*args`, no position is known."""
    slots: list[tuple[int | str, cst.BaseExpression]] = []
    for position, arg in enumerate(call.args):
        if arg.star == "*":
            break
        if arg.star:
            continue
        slots.append((arg.keyword.value if arg.keyword is not None else position, arg.value))
    return slots


def named_arguments(
    slots: list[tuple[int | str, cst.BaseExpression]], qualify: Callable[[cst.BaseExpression], str | None]
) -> tuple[tuple[int | str, str], ...]:
    """The arguments of `argument_slots` that are names, qualified (`Settings` in
    `dict_to_model(values, Settings)`): (position or keyword, qualified name)."""
    return tuple((slot, name) for slot, value in slots
                 if isinstance(value, (cst.Name, cst.Attribute)) and (name := qualify(value)))


def string_value(node: cst.BaseExpression) -> str | None:
    """The value of a plain string literal (also implicitly concatenated), else None.
    f-strings are not plain literals."""
    kind = type(node)
    if kind is cst.SimpleString:
        return _simple_string_value(node.value)
    if kind is cst.ConcatenatedString:
        left, right = string_value(node.left), string_value(node.right)
        return None if left is None or right is None else left + right
    return None


def _simple_string_value(literal: str) -> str:
    """The value of a string literal's text: read off the text when no escape or line break can
    change it (most literals), else evaluated as Python does; bytes decoded as latin-1."""
    start = 0
    while literal[start] not in "'\"":
        start += 1
    prefix = literal[:start].lower()
    quote = literal[start:start + 3] if literal[start:start + 3] in ('"""', "'''") else literal[start]
    if ("\\" not in literal or "r" in prefix) and "\r" not in literal:
        return literal[start + len(quote):len(literal) - len(quote)]
    value = ast.literal_eval(literal)
    return value if isinstance(value, str) else value.decode("latin-1")


def is_docstring(statement: cst.CSTNode) -> bool:
    """A statement line that is one string literal and nothing else."""
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString))
    )


def is_true(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "True"


def is_truthy_literal(node: cst.BaseExpression) -> bool:
    """`True`, a non-zero integer, or a string an env parser reads as true (`"1"`, `"true"`)."""
    if is_true(node):
        return True
    if isinstance(node, cst.Integer):
        return node.evaluated_value != 0
    value = string_value(node)
    return value is not None and value.strip().lower() in TRUTHY_STRINGS


def is_main_guard(node: cst.If) -> bool:
    """`if __name__ == "__main__":` (either operand order)."""
    test = node.test
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    target = test.comparisons[0]
    if not isinstance(target.operator, cst.Equal):
        return False
    sides = (test.left, target.comparator)
    names = [s for s in sides if isinstance(s, cst.Name) and s.value == "__name__"]
    strings = [string_value(s) for s in sides]
    return bool(names) and "__main__" in strings


def params_of(function: cst.FunctionDef) -> list[cst.Param]:
    """A function's named parameters, in order: positional-only, positional or keyword, keyword-only
    (not `*args` and `**kwargs`)."""
    params = function.params
    return [*params.posonly_params, *params.params, *params.kwonly_params]


def own_returns(function: cst.FunctionDef | cst.BaseSuite) -> list[cst.Return]:
    """A function's own `return` statements (or a block's), not those of functions, classes or
    lambdas it defines."""
    found = []
    stack: list[cst.CSTNode] = [function.body if isinstance(function, cst.FunctionDef) else function]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if isinstance(node, cst.Return):
            found.append(node)
            continue
        push_children(node, stack)
    return found


def target_names(target: cst.CSTNode) -> Iterator[cst.Name]:
    """The names an assignment's or a loop's target binds (`a`, `a, (b, *c)`)."""
    if isinstance(target, cst.Name):
        yield target
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            yield from target_names(element.value)
    elif isinstance(target, cst.StarredElement):
        yield from target_names(target.value)
