"""Which arguments' detail a function's result carries: `def describe(error): return
f"{type(error).__name__}: {error}"` returns the text of what it is given, so a route that sends
`detail=describe(e)` sends the exception's text. Read from the function's own `return` statements,
each under the tests of the branches it sits in: a return where a test has narrowed the argument to
a class that carries no internal detail (`if isinstance(exc, AppError): return exc.message`) gives
none of it. A function that withholds the text on purpose, returning a fixed one in its stead under
a test that picks out the errors carrying internal detail or a flag its callers set, is the
application's sanitizer (`_withheld`): what it passes through, it passes on purpose.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.semantics.error_paths.records import RESPONSE_SINKS
from reviewer.semantics.error_paths.syntax import ends_with, own_statements
from reviewer.semantics.exceptions import Detail, DetailOf
from reviewer.semantics.flow.syntax import is_route
from reviewer.semantics.names import dotted_name
from reviewer.syntax import own_returns, params_of
from reviewer.traversal import push_children

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator


def returns_detail_of(function: cst.FunctionDef, qualify: Callable[[cst.BaseExpression], str | None],
                      module: str, returns: list[cst.Return] | None = None) -> frozenset[int | str]:
    """Argument slots (position and name) of a function whose detail its return value carries,
    also through names it binds once for a parameter annotated as an exception; `returns` are its
    own `return` statements, when the caller collected them."""
    params = params_of(function)
    if not params or is_route(function):
        return frozenset()
    if returns is None:
        returns = own_returns(function)
    names = [p.name.value for p in params]
    values = [node.value for node in returns if node.value is not None]
    carried = _carried(function, params, {name: values for name in names}, qualify, module)
    if carried:
        # Read again where tests narrowed them: a return in `if isinstance(exc, AppError):` gives
        # none of the exception's detail.
        narrowed = narrowed_returns(function, DetailOf(qualify, module, {name: name for name in carried}, {}))
        if narrowed:
            returned = {name: [node.value for node in returns
                               if node.value is not None and name not in narrowed.get(node, ())] for name in carried}
            carried = _carried(function, params, returned, qualify, module)
    if carried:
        carried -= _withheld(function, params, carried, returns, qualify, module)
    slots: set[int | str] = set()
    for position, param in enumerate(params):
        if param.name.value in carried:
            slots.update((position, param.name.value))
    return frozenset(slots)


def _carried(function: cst.FunctionDef, params: list[cst.Param], returned: dict[str, list[cst.BaseExpression]],
             qualify: Callable[[cst.BaseExpression], str | None], module: str) -> set[str]:
    """The parameters (of those `returned` names) whose detail the values returned for each carry."""
    carried = {name for name, values in returned.items() for value in values
               if carried_as_value(DetailOf(qualify, module, {name: name}, {name: Detail(name)}).of(value))}
    # Through names the function binds once (`err = exc.response.get("Error", {})`, then `return
    # f"{err.get('Code')}: {err.get('Message')}"`), for a parameter annotated as an exception.
    described = [p.name.value for p in params if p.name.value in returned and p.name.value not in carried
                 and p.annotation is not None
                 and (dotted_name(p.annotation.annotation) or "").endswith(("Error", "Exception"))]
    names = {p.name.value for p in params}
    if described and any(_reads_others(returned[name], names) for name in described):
        bound = bound_once(function)
        for name in (n for n in described if bound):
            given = {name: Detail(name)}
            for _ in range(2):  # a name bound from another bound name, in any order
                detail = DetailOf(qualify, module, {name: name}, given)
                given = {**given, **{local: Detail(name) for local, value in bound.items()
                                     if local not in given and detail.of(value) is not None}}
            detail = DetailOf(qualify, module, {name: name}, given)
            if any(carried_as_value(detail.of(value)) for value in returned[name]):
                carried.add(name)
    return carried


def narrowed_returns(function: cst.FunctionDef, detail: DetailOf) -> dict[cst.Return, set[str]]:
    """The function's own `return` statements that tests have narrowed exceptions at, with their
    names: in the block of `if isinstance(exc, AppError):`, in the `else` of `if not
    isinstance(...)`, and after `if not isinstance(exc, AppError): return "failed"` or `raise`."""
    found: dict[cst.Return, set[str]] = {}

    def block(suite: cst.BaseSuite, narrowed: frozenset[str]) -> None:
        lines = suite.body if isinstance(suite, (cst.IndentedBlock, cst.SimpleStatementSuite)) else ()
        for line in lines:
            narrowed = statement(line, narrowed)

    def statement(line: cst.CSTNode, narrowed: frozenset[str]) -> frozenset[str]:
        if isinstance(line, (cst.SimpleStatementLine, cst.Return, cst.Assert)):
            for small in line.body if isinstance(line, cst.SimpleStatementLine) else (line,):
                if isinstance(small, cst.Return) and narrowed:
                    found[small] = set(narrowed)
                elif isinstance(small, cst.Assert):
                    narrowed = narrowed | detail.narrowed(small.test)
            return narrowed
        if isinstance(line, cst.If):
            test = line.test
            negated = (detail.narrowed(test.expression) if isinstance(test, cst.UnaryOperation)
                       and isinstance(test.operator, cst.Not) else set())
            block(line.body, narrowed | detail.narrowed(test))
            if isinstance(line.orelse, cst.If):
                statement(line.orelse, narrowed | negated)
            elif line.orelse is not None:
                block(line.orelse.body, narrowed | negated)
            if negated and line.orelse is None and ends_with(line.body, "raise", "return"):
                return narrowed | negated
            return narrowed
        if isinstance(line, (cst.FunctionDef, cst.ClassDef)):
            return narrowed
        for part in (getattr(line, "body", None), *getattr(line, "handlers", ()),
                     getattr(line, "orelse", None), getattr(line, "finalbody", None)):
            if isinstance(part, (cst.ExceptHandler, cst.Else, cst.Finally)):
                part = part.body
            if isinstance(part, (cst.IndentedBlock, cst.SimpleStatementSuite)):
                block(part, narrowed)
        return narrowed

    block(function.body, frozenset())
    return found


def _withheld(function: cst.FunctionDef, params: list[cst.Param], carried: set[str], returns: list[cst.Return],
              qualify: Callable[[cst.BaseExpression], str | None], module: str) -> set[str]:
    """The carried parameters whose detail the function withholds on purpose, sending a fixed text
    (or a value without it) instead: under a test of the parameter's class that picks out errors
    carrying internal detail (`if isinstance(exc, SQLAlchemyError): return fallback`), or under a
    flag parameter its callers set to choose, in a branch that returns (`if expose_details: return
    error` and, after it, `return RuntimeError(SAFE_MESSAGE)`). Its authors decided what a client may read of an error:
    the function is the application's sanitizer, and what it passes through, it passes on purpose."""
    flags = {p.name.value for p in params if _is_flag(p)}
    withheld: set[str] = set()
    branches: list[tuple[cst.BaseExpression, cst.BaseSuite]] | None = None
    for name in carried:
        detail = DetailOf(qualify, module, {name: name}, {name: Detail(name)})
        fixed = {node for node in returns if _without(node, detail)}
        if not fixed:
            continue
        if branches is None:
            branches = list(_branches(function))
        for test, block in branches:
            if (_flag_of(test) in flags - {name} and own_returns(block)
                    or name in detail.picks_internal(test) and not fixed.isdisjoint(own_returns(block))):
                withheld.add(name)
                break
    return withheld


def _without(node: cst.Return, detail: DetailOf) -> bool:
    """Whether a `return` gives back a value without the detail (not a bare `return` or `None`)."""
    value = node.value
    return (value is not None and not (isinstance(value, cst.Name) and value.value == "None")
            and not carried_as_value(detail.of(value)))


def _is_flag(param: cst.Param) -> bool:
    """A parameter annotated `bool` or defaulting to `True` or `False`."""
    annotation = param.annotation.annotation if param.annotation is not None else None
    default = param.default
    return (isinstance(annotation, cst.Name) and annotation.value == "bool"
            or isinstance(default, cst.Name) and default.value in ("True", "False"))


def _flag_of(test: cst.BaseExpression) -> str | None:
    """The name a test reads as a flag: `if expose:` or `if not expose:`."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        test = test.expression
    return test.value if isinstance(test, cst.Name) else None


def _branches(function: cst.FunctionDef) -> Iterator[tuple[cst.BaseExpression, cst.BaseSuite]]:
    """(test, block) of each `if` and `elif` among the function's own statements, `except` blocks
    included."""
    return ((statement.test, statement.body) for statement in own_statements(function.body, handlers=True)
            if isinstance(statement, cst.If))


def _reads_others(values: list[cst.BaseExpression], params: set[str]) -> bool:
    """Whether returned values read a name other than the parameters (one the function binds)."""
    stack: list[cst.CSTNode] = list(values)
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name) and node.value not in params:
            return True
        push_children(node, stack)
    return False


def carried_as_value(found: Detail | None) -> bool:
    """Whether a return value carries detail as a value: not inside a response or an
    `HTTPException` the function builds (where the error paths find it, in the function itself)."""
    return found is not None and (found.through is None or found.through[0] not in RESPONSE_SINKS)


def bound_once(function: cst.FunctionDef) -> dict[str, cst.BaseExpression]:
    """The names the function's own statements bind once, by a plain assignment, to that value
    (`body = {"success": False, ...}`, returned after `body.update(extra)`)."""
    values: dict[str, cst.BaseExpression | None] = {}
    stack: list[cst.CSTNode] = [function.body]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.BaseExpression)):
            continue  # a name bound inside an expression (`:=`) is left out, as rare
        if isinstance(node, (cst.Assign, cst.AnnAssign, cst.AugAssign, cst.For, cst.With)):
            targets = ([t.target for t in node.targets] if isinstance(node, cst.Assign)
                       else [node.target] if not isinstance(node, cst.With)
                       else [item.asname.name for item in node.items if item.asname is not None])
            single = isinstance(node, (cst.Assign, cst.AnnAssign)) and len(targets) == 1
            for target in targets:
                if isinstance(target, cst.Name):
                    once = single and target.value not in values
                    values[target.value] = node.value if once else None
        push_children(node, stack)
    return {name: value for name, value in values.items() if value is not None}
