"""Exception handlers that replace an `HTTPException`'s text detail before the client sees it.

An application may answer every `HTTPException` through one handler of its own
(`app.add_exception_handler(HTTPException, on_http_error)`) that swaps the detail of a server
error for a fixed message and logs the original:

    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if exc.status_code == 500:          # or `>= 500`, `in {500, 503}`, a local holding the test
        detail = GENERIC_MESSAGE
    return JSONResponse(status_code=exc.status_code, content={"detail": detail})

The statuses it does this for are the ones an `if` tests on the exception's `status_code` before
assigning a fixed value (a literal or a constant) to a name first assigned from `exc.detail`.
"""

from __future__ import annotations

from collections.abc import Sequence

from reviewer import lazy_cst as cst
from reviewer.syntax import params_of
from reviewer.traversal import descendants

_STATUS_TOP = 600


def replaced_details(function: cst.FunctionDef) -> frozenset[int]:
    """The statuses whose text detail the handler `function` replaces with a fixed value."""
    params = params_of(function)
    if len(params) < 2 or not isinstance(function.body, cst.IndentedBlock):
        return frozenset()
    return frozenset(_Reader(params[1].name.value).block(function.body.body))


class _Reader:
    def __init__(self, exception: str) -> None:
        self.exception = exception
        self.tests: dict[str, frozenset[int]] = {}  # locals holding a test of the status
        self.details: set[str] = set()  # locals assigned from the exception's detail

    def block(self, statements: Sequence[cst.BaseStatement]) -> set[int]:
        replaced: set[int] = set()
        for statement in statements:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    self.assign(small)
            elif isinstance(statement, cst.If):
                replaced |= self.branch(statement)
            elif isinstance(statement, (cst.With, cst.Try)) and isinstance(statement.body, cst.IndentedBlock):
                replaced |= self.block(statement.body.body)
        return replaced

    def branch(self, statement: cst.If) -> set[int]:
        statuses = self.statuses(statement.test)
        replaced: set[int] = set()
        body = statement.body.body if isinstance(statement.body, cst.IndentedBlock) else ()
        if statuses:
            for line in body:
                for small in line.body if isinstance(line, cst.SimpleStatementLine) else ():
                    if (isinstance(small, cst.Assign) and len(small.targets) == 1
                            and isinstance(small.targets[0].target, cst.Name)
                            and small.targets[0].target.value in self.details and self.fixed(small.value)):
                        replaced |= statuses
        replaced |= self.block(body)
        orelse = statement.orelse
        if isinstance(orelse, cst.If):
            replaced |= self.branch(orelse)
        elif isinstance(orelse, cst.Else) and isinstance(orelse.body, cst.IndentedBlock):
            replaced |= self.block(orelse.body.body)
        return replaced

    def assign(self, small: cst.BaseSmallStatement) -> None:
        if not (isinstance(small, cst.Assign) and len(small.targets) == 1
                and isinstance(small.targets[0].target, cst.Name)):
            return
        name, value = small.targets[0].target.value, small.value
        statuses = self.statuses(value)
        if statuses:
            self.tests[name] = statuses
        elif any(self.is_detail(node) for node in descendants(value)):
            self.details.add(name)

    def statuses(self, test: cst.BaseExpression) -> frozenset[int]:
        """The statuses a test holds for: `exc.status_code == 500`, `>= 500`, `in {500, 502}`, or
        a local assigned such a test."""
        if isinstance(test, cst.Name):
            return self.tests.get(test.value, frozenset())
        if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and self.is_status(test.left)):
            return frozenset()
        operator, right = test.comparisons[0].operator, test.comparisons[0].comparator
        if isinstance(right, cst.Integer):
            value = int(right.evaluated_value)
            if isinstance(operator, cst.Equal):
                return frozenset({value})
            if isinstance(operator, cst.GreaterThanEqual):
                return frozenset(range(value, _STATUS_TOP))
            if isinstance(operator, cst.GreaterThan):
                return frozenset(range(value + 1, _STATUS_TOP))
        if isinstance(operator, cst.In) and isinstance(right, (cst.Set, cst.List, cst.Tuple)):
            values = [element.value for element in right.elements]
            if values and all(isinstance(value, cst.Integer) for value in values):
                return frozenset(int(value.evaluated_value) for value in values)
        return frozenset()

    def is_status(self, node: cst.BaseExpression) -> bool:
        return (isinstance(node, cst.Attribute) and node.attr.value == "status_code"
                and isinstance(node.value, cst.Name) and node.value.value == self.exception)

    def is_detail(self, node: cst.CSTNode) -> bool:
        return (isinstance(node, cst.Attribute) and node.attr.value == "detail"
                and isinstance(node.value, cst.Name) and node.value.value == self.exception)

    def fixed(self, value: cst.BaseExpression) -> bool:
        """A literal text, or a name or attribute that holds neither the exception nor its detail."""
        if isinstance(value, (cst.SimpleString, cst.ConcatenatedString)):
            return True
        if isinstance(value, (cst.Name, cst.Attribute)):
            return not any(isinstance(node, cst.Name) and (node.value == self.exception or node.value in self.details)
                           for node in descendants(value))
        return False
