"""The parts of a module the error paths walk: its functions (nested ones too), the calls in a
statement and the names it binds, a function's parameters (and whether the first is a handler's
request), blocks that leave the function, the calls that check a request's signature."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from reviewer import lazy_cst as cst
from reviewer.semantics.fastapi.annotations import type_ref
from reviewer.syntax import params_of, target_names
from reviewer.traversal import children_of, own_descendants, push_children


def functions_of(module: cst.Module) -> Iterator[tuple[cst.FunctionDef, str]]:
    """Every function of a module, nested ones too, found through statement bodies only, with its
    dotted name in the module (`Reports.build`; `make_router.list_items` for one defined in a
    function)."""
    stack: list[tuple[cst.CSTNode, str]] = [(node, "") for node in reversed(module.body)]
    while stack:
        node, scope = stack.pop()
        if isinstance(node, cst.SimpleStatementLine):
            continue
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            scope = f"{scope}.{node.name.value}" if scope else node.name.value
        if isinstance(node, cst.FunctionDef):
            yield node, scope
        blocks = [getattr(node, "body", None), getattr(node, "orelse", None), getattr(node, "finalbody", None)]
        blocks += list(getattr(node, "handlers", ()))
        blocks += list(getattr(node, "cases", ()))
        for block in blocks:
            if block is None:
                continue
            if isinstance(block, (cst.If, cst.ExceptHandler, cst.ExceptStarHandler, cst.MatchCase)):
                stack.append((block, scope))
                continue
            inner = getattr(block, "body", None)
            if isinstance(inner, cst.BaseSuite):
                inner = getattr(inner, "body", ())
            if isinstance(inner, (list, tuple)):
                stack.extend((n, scope) for n in reversed(inner) if isinstance(n, cst.BaseCompoundStatement))


def top_level_functions(module: cst.Module) -> dict[str, cst.FunctionDef]:
    """The functions defined in the module's own body, by name."""
    return {node.name.value: node for node in module.body if isinstance(node, cst.FunctionDef)}


def is_http_middleware(function: cst.FunctionDef) -> bool:
    """A function Starlette runs around the requests it lets through, answering for the routes:
    `@app.middleware("http")`, or a middleware class's `dispatch(self, request, call_next)`."""
    for decorator in function.decorators:
        expr = decorator.decorator
        if isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute) and expr.func.attr.value == "middleware":
            return True
    return function.name.value == "dispatch" and any(param.name.value == "call_next" for param in params_of(function))


def bound_names(node: cst.CSTNode) -> Iterator[cst.Name]:
    """The names a node binds, once per binding: targets of assignments, loops, comprehensions,
    `:=` and `as` clauses; not in the functions, classes or lambdas defined in it."""
    stack = [node]
    while stack:
        current = stack.pop()
        targets: list[cst.CSTNode] = []
        if isinstance(current, cst.Assign):
            targets = [target.target for target in current.targets]
        elif isinstance(current, (cst.AnnAssign, cst.AugAssign, cst.NamedExpr, cst.For, cst.CompFor)):
            targets = [current.target]
        elif isinstance(current, cst.AsName):
            targets = [current.name]
        for target in targets:
            yield from target_names(target)
        stack.extend(child for child in children_of(current)
                     if not isinstance(child, (cst.FunctionDef, cst.ClassDef, cst.Lambda)))


def calls_in(node: cst.CSTNode) -> Iterator[cst.Call]:
    """Calls in an expression or simple statement, outermost first, not inside lambdas."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Lambda):
            continue
        if isinstance(current, cst.Call):
            yield current
        stack.extend(reversed(children_of(current)))


def self_attribute(node: cst.CSTNode) -> str | None:
    """`x` of `self.x`."""
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
        return node.attr.value
    return None


def ends_with(suite: cst.BaseSuite, *kinds: str) -> bool:
    """Whether a block's last statement is one of `kinds` ("raise", "return"): it leaves the
    function."""
    body = suite.body if isinstance(suite, (cst.IndentedBlock, cst.SimpleStatementSuite)) else ()
    last = body[-1] if body else None
    if isinstance(last, cst.SimpleStatementLine):
        last = last.body[-1] if last.body else None
    return isinstance(last, cst.Raise) and "raise" in kinds or isinstance(last, cst.Return) and "return" in kinds


def own_statements(body: cst.BaseSuite, *, handlers: bool = False
                   ) -> Iterator[cst.BaseStatement | cst.SimpleStatementSuite]:
    """The statements of a block in order, those of nested blocks too (not of nested functions or
    classes); the `except` blocks of nested `try` statements only with `handlers`; a one-line
    block as it is."""
    if isinstance(body, cst.SimpleStatementSuite):
        yield body
        return
    for statement in getattr(body, "body", ()):
        yield from _statement_and_blocks(statement, handlers)


def _statement_and_blocks(statement: cst.BaseStatement, handlers: bool
                          ) -> Iterator[cst.BaseStatement | cst.SimpleStatementSuite]:
    yield statement
    if isinstance(statement, (cst.FunctionDef, cst.ClassDef, cst.SimpleStatementLine)):
        return
    blocks = [getattr(statement, "body", None)]
    if handlers:
        blocks += [handler.body for handler in getattr(statement, "handlers", ())]
    blocks += [getattr(statement, "orelse", None), getattr(statement, "finalbody", None)]
    for block in blocks:
        if isinstance(block, cst.If):
            yield from _statement_and_blocks(block, handlers)
        elif isinstance(block, (cst.Else, cst.Finally)):
            yield from own_statements(block.body, handlers=handlers)
        elif isinstance(block, cst.BaseSuite):
            yield from own_statements(block, handlers=handlers)


def short_source(module: cst.Module, node: cst.CSTNode) -> str:
    """A node's code on one line, cut to 40 characters, for a message."""
    text = " ".join(module.code_for_node(node).split())
    return text if len(text) <= 40 else text[:37] + "..."


def annotated_as(param: cst.Param, qualify: Callable[[cst.BaseExpression], str | None]) -> str | None:
    """The class a parameter's annotation names, qualified, also written as a forward reference
    (`websocket: "WebSocket"`, which `type_ref` parses)."""
    annotation = type_ref(param.annotation.annotation, qualify) if param.annotation is not None else None
    return annotation.name if annotation is not None and annotation.kind == "name" else None


def takes_request(param: cst.Param, qualify: Callable[[cst.BaseExpression], str | None]) -> bool:
    """`request`, `_request`, `request: Request`: the first parameter of an exception handler."""
    annotation = param.annotation.annotation if param.annotation is not None else None
    if isinstance(annotation, (cst.Name, cst.Attribute)):
        return (qualify(annotation) or "").endswith((".Request", ".HTTPConnection"))
    return param.name.value.lstrip("_") in ("request", "req")


# Calls that raise unless a request's signature verifies (stripe's `Webhook.construct_event`,
# a project's `verify_webhook(...)`), and those that answer whether it does (`hmac.compare_digest`).
_RAISING_SIGNATURE_CHECKS = frozenset({"construct_event", "verify_webhook", "verify_webhook_signature",
                                       "validate_webhook"})
_ANSWERING_SIGNATURE_CHECKS = frozenset({"compare_digest", "verify_signature", "validate_signature",
                                         "is_valid_signature"})


def checks_signature(node: cst.CSTNode, *, answers: bool) -> bool:
    """Whether a statement's value verifies a signature by raising (or, with `answers`, a test
    does by its answer): the calls that check a webhook's delivery."""
    names = _ANSWERING_SIGNATURE_CHECKS if answers else _RAISING_SIGNATURE_CHECKS
    for call in calls_in(node):
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in names or isinstance(func, cst.Name) and (
                func.value in names):
            return True
    return False


# Methods that put their arguments into the container they are called on (`errors.append(...)`).
_FILLING_METHODS = frozenset({"append", "extend", "add", "insert", "update"})


def put_into(small: cst.BaseSmallStatement) -> tuple[list[str], list[cst.BaseExpression]]:
    """(the names of the containers a statement puts values into, those values): `body["error"] =
    message`, `results.append({"error": exc.message})`; nothing for another statement."""
    if isinstance(small, cst.Assign):
        containers = [target.target.value.value for target in small.targets
                      if isinstance(target.target, cst.Subscript) and isinstance(target.target.value, cst.Name)]
        return containers, [small.value] if containers else []
    if isinstance(small, cst.Expr) and isinstance(call := small.value, cst.Call) and isinstance(
            call.func, cst.Attribute) and call.func.attr.value in _FILLING_METHODS and isinstance(
            call.func.value, cst.Name):
        return [call.func.value.value], [arg.value for arg in call.args]
    return [], []


def carried_names(value: cst.BaseExpression) -> Iterator[cst.Name]:
    """The names whose value, or a part of it, a value sends as it is: itself, the root of an
    attribute or a subscript (`result.error`, `data["message"]`), within displays, text written
    around it (`f"failed: {result.error}"`, `"failed: " + result.error`) and `str()`; not
    what a call computes from it (`len(items)`)."""
    if isinstance(value, cst.Await):
        value = value.expression
    while isinstance(value, (cst.Attribute, cst.Subscript)):
        value = value.value
    if isinstance(value, cst.Name):
        yield value
    elif isinstance(value, (cst.Dict, cst.List, cst.Tuple, cst.Set)):
        for element in value.elements:
            if isinstance(element, (cst.DictElement, cst.Element)):
                yield from carried_names(element.value)
    elif isinstance(value, cst.FormattedString):
        for part in value.parts:
            if isinstance(part, cst.FormattedStringExpression):
                yield from carried_names(part.expression)
    elif isinstance(value, (cst.BinaryOperation, cst.ConcatenatedString)):
        yield from carried_names(value.left)
        yield from carried_names(value.right)
    elif (isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and value.func.value == "str"
          and len(value.args) == 1):
        yield from carried_names(value.args[0].value)


def uses(body: cst.CSTNode, names: set[str]) -> bool:
    """Whether a block or an expression reads any of `names`."""
    if not names:
        return False
    stack: list[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Name) and node.value in names:
            return True
        push_children(node, stack)
    return False


def is_generator(function: cst.FunctionDef) -> bool:
    """Whether a function yields in its own body (not in functions defined in it): calling it only
    makes the generator, whose body runs as it is iterated."""
    return any(isinstance(node, cst.Yield) for node in own_descendants(function.body))

