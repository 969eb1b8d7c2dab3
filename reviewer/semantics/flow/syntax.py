"""Questions of syntax the flow analysis asks of function bodies: their statements, the calls in
a statement, whether a block always exits, whether a function is a route, which argument a call
passes for a parameter."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from reviewer import lazy_cst as cst
from reviewer.semantics.flow.knowledge import EXIT_STATEMENTS, ROUTE_METHODS
from reviewer.semantics.names import ImportTable
from reviewer.syntax import keyword
from reviewer.traversal import Visitor, children_of, visit


def body_of(node: cst.FunctionDef | cst.ClassDef) -> Sequence[cst.BaseStatement]:
    body = node.body
    if isinstance(body, cst.IndentedBlock):
        return body.body
    return (cst.SimpleStatementLine(body=body.body),) if isinstance(body, cst.SimpleStatementSuite) else ()


def always_exits(body: cst.BaseSuite) -> bool:
    statements = body.body if isinstance(body, (cst.IndentedBlock, cst.SimpleStatementSuite)) else ()
    if not statements:
        return False
    last = statements[-1]
    if isinstance(last, cst.SimpleStatementLine):
        return any(type(small).__name__ in EXIT_STATEMENTS for small in last.body)
    return type(last).__name__ in EXIT_STATEMENTS


def exits_function(body: cst.BaseSuite) -> bool:
    """A block that ends by leaving the function (`return`, `raise`), not just the loop."""
    statements = body.body if isinstance(body, (cst.IndentedBlock, cst.SimpleStatementSuite)) else ()
    if not statements:
        return False
    last = statements[-1]
    smalls = last.body if isinstance(last, cst.SimpleStatementLine) else [last]
    return any(isinstance(small, (cst.Return, cst.Raise)) for small in smalls)


class _CallCollector(Visitor):
    """Calls in one statement, outermost first, not entering nested scopes."""

    def __init__(self) -> None:
        self.calls: list[cst.Call] = []

    def visit_Call(self, node: cst.Call) -> None:
        self.calls.append(node)

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> bool:
        return False


def calls_in(node: cst.CSTNode) -> list[cst.Call]:
    collector = _CallCollector()
    visit(node, collector)
    return collector.calls


def walk_statements(body: Sequence[cst.BaseStatement]) -> Iterator[cst.CSTNode]:
    """Simple statements of a body, through if/try/with/for blocks, not into nested scopes."""
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine):
            yield statement
        elif isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            continue
        else:
            for child in children_of(statement):
                if isinstance(child, cst.IndentedBlock):
                    yield from walk_statements(child.body)
                elif isinstance(child, (cst.Else, cst.Finally, cst.ExceptHandler, cst.If)):
                    yield from walk_statements(
                        (child,)
                        if isinstance(child, cst.If)
                        else child.body.body
                        if isinstance(child.body, cst.IndentedBlock)
                        else ()
                    )


def is_route(function: cst.FunctionDef) -> bool:
    for decorator in function.decorators:
        expr = decorator.decorator
        if (
            isinstance(expr, cst.Call)
            and isinstance(expr.func, cst.Attribute)
            and expr.func.attr.value in ROUTE_METHODS
        ):
            return True
    return False


def directly_in_class(function: cst.FunctionDef, cls: cst.ClassDef) -> bool:
    body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
    return any(statement is function for statement in body)


def comprehensions(node: cst.CompFor) -> Iterator[cst.CompFor]:
    current: cst.CompFor | None = node
    while current is not None:
        yield current
        current = current.inner_for_in


def widest(*kinds: str) -> str:
    order = ["string", "request", "other", "session", "dependency", "constrained", "none"]
    present = [k for k in kinds if k != "none"] or ["none"]
    return min(present, key=order.index)


def argument_for(call: cst.Call, function: cst.FunctionDef, param: cst.Param) -> cst.Arg | None:
    """The argument a call passes for `param` (by keyword or position), if it passes one."""
    name = param.name.value
    found = keyword(call, name)
    if found is not None:
        return found
    positional_names = [p.name.value for p in (*function.params.posonly_params, *function.params.params)]
    if name not in positional_names:
        return None
    index = positional_names.index(name)
    plain = [a for a in call.args if a.keyword is None]
    if any(a.star for a in plain[: index + 1]):
        return next(a for a in plain if a.star)
    return plain[index] if index < len(plain) else None


def is_constant_expression(node: cst.BaseExpression, imports: ImportTable) -> bool:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float)):
        return True
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return all(is_constant_expression(e.value, imports) for e in node.elements)
    root = node
    while isinstance(root, cst.Attribute):
        root = root.value
    if isinstance(root, cst.Name):
        return root.value in imports.aliases or root.value in imports.defined or root.value in ("None", "True", "False")
    return False
