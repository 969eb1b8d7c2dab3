"""Under what conditions a statement of a function runs, so that the repository can tell whether a
default deployment runs it (`reviewer.semantics.conditions`).

`Branches` follows, while a `Walk` goes through a function, the `if` tests around the statement
being walked (the body wants the test true, the `else` false, and the rest of a block after
`if test: raise` false too) and the gates passed before it: a function of the module that raises
unless its leading tests pass (`def require_debug(): if not ENABLE_DEBUGGING: raise
HTTPException(404)`), called as a statement or declared as the route's dependency
(`_gate: None = Depends(require_debug)`). A function defined inside another runs under the
conditions its definition does. The conditions are worked out only when asked (for a leak), from
the tests kept.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.semantics.conditions import Condition, branch_conditions, module_object
from reviewer.semantics.error_paths.syntax import bound_names, calls_in, ends_with
from reviewer.semantics.fastapi.annotations import marker_of
from reviewer.syntax import params_of

if TYPE_CHECKING:
    from reviewer.semantics.error_paths.builder import Builder

    Qualify = Callable[[cst.BaseExpression], str | None]


def local_names(function: cst.FunctionDef) -> frozenset[str]:
    """The parameters of a function and the names it binds (not those of functions nested in it)."""
    return frozenset({param.name.value for param in params_of(function)}
                     | {name.value for name in bound_names(function.body)})


def module_object_of(qualify: Qualify, locals_: frozenset[str]) -> Qualify:
    """`conditions.module_object` for a function with these locals."""
    return functools.partial(module_object, qualify=qualify, is_local=locals_.__contains__)


def gate_conditions(function: cst.FunctionDef, qualify: Qualify) -> tuple[Condition, ...]:
    """What a function's leading `if test: raise ...` statements let through: the conditions under
    which it returns; () when it starts with none, or none the repository can weigh."""
    body = function.body.body if isinstance(function.body, cst.IndentedBlock) else ()
    tests = []
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine) and isinstance(statement.body[0], cst.Expr) and isinstance(
                statement.body[0].value, (cst.SimpleString, cst.ConcatenatedString)):
            continue  # the docstring
        if not (isinstance(statement, cst.If) and statement.orelse is None and ends_with(statement.body, "raise")):
            break
        tests.append(statement.test)
    if not tests:
        return ()
    objects = module_object_of(qualify, local_names(function))
    return tuple(condition for test in tests for condition in branch_conditions(test, (), objects, qualify)[1])


class Branches:
    """The tests and gates around the statement a walk is at, in one function."""

    def __init__(self, builder: Builder, function: cst.FunctionDef) -> None:
        self.builder = builder
        self.function = function
        self.entries: list[tuple] = []  # ("test", test, want) or ("gate", function name)
        # The conditions the enclosing function runs the definition under.
        self.inherited: tuple[Condition, ...] = builder.defined_under.get(id(function), ())

    @functools.cached_property
    def locals(self) -> frozenset[str]:
        return local_names(self.function)

    def is_local(self, name: str) -> bool:
        """Whether a name is the function's own; its names are read only when first asked."""
        return name in self.locals

    @functools.cached_property
    def _objects(self) -> Qualify:
        return module_object_of(self.builder.qualify, self.locals)

    def mark(self) -> int:
        return len(self.entries)

    def restore(self, mark: int) -> None:
        del self.entries[mark:]

    def test(self, test: cst.BaseExpression, want: bool) -> None:
        self.entries.append(("test", test, want))

    def passes(self, call: cst.BaseExpression) -> None:
        """Note a statement that calls a gate of the module (`require_debug()`, `await check()`)."""
        if isinstance(call, cst.Await):
            call = call.expression
        if isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and self.builder.gates(call.func.value):
            self.entries.append(("gate", call.func.value))

    def dependencies(self) -> None:
        """Note the gates of the module a route declares as dependencies: `Depends(require_debug)`
        as a parameter's default or annotation, or in its decorator's `dependencies=`."""
        nodes: list[cst.CSTNode] = [decorator.decorator for decorator in self.function.decorators]
        for param in params_of(self.function):
            nodes += [part for part in (param.default, param.annotation) if part is not None]
        own = f"{self.builder.module}."
        for node in nodes:
            for call in calls_in(node):
                marker = marker_of(call, self.builder.qualify)
                if marker is None or not marker.injects or not marker.dependency:
                    continue
                name = marker.dependency.removeprefix(own)
                if name != marker.dependency and self.builder.gates(name):
                    self.entries.append(("gate", name))

    def conditions(self) -> tuple[Condition, ...]:
        """The conditions the statement being walked runs under."""
        found = list(self.inherited)
        for entry in self.entries:
            if entry[0] == "gate":
                found.extend(self.builder.gates(entry[1]))
            else:
                body, orelse = branch_conditions(entry[1], (), self._objects, self.builder.qualify)
                found.extend(body if entry[2] else orelse)
        return tuple(found)
