"""What a request brings to authenticate with, as a function's code reads and tests it: a header
or cookie parameter, the request's cookies or session, a test that a credential came (`if token:`)
or that a value is missing (`if not user:`), and whether a name holds what the request brought or
a key the deployment configures. The guards' collector asks these of the syntax it walks."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping, Sequence

from reviewer import lazy_cst as cst
from reviewer.semantics.fastapi.guards.vocabulary import _CREDENTIAL_NAME
from reviewer.semantics.names import dotted_name
from reviewer.traversal import descendants

REQUEST_NAMES = frozenset({"request", "req", "websocket", "ws", "connection", "conn", "scope"})
# A local or parameter holding what the request brought to authenticate with (`token`, `auth_header`,
# `credentials`), as a presence test names it.
_CREDENTIAL_PRESENT_NAME = re.compile(rf"{_CREDENTIAL_NAME.pattern}|credential|^auth", re.IGNORECASE)


def is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def is_credential_store(source: str) -> bool:
    """`request.cookies`, `request.session` (Starlette's signed session), not `self.session`."""
    head, _, last = source.rpartition(".")
    return last == "cookies" or (last == "session" and head.rpartition(".")[2] in REQUEST_NAMES)


def is_header_or_cookie(param: cst.Param, qualify: Callable[[cst.BaseExpression], str | None]) -> bool:
    """`x_api_key: str = Header(...)`, `Annotated[str | None, Cookie()]`, `Security(scheme)`."""
    nodes: list[cst.BaseExpression] = []
    if param.default is not None:
        nodes.append(param.default)
    if param.annotation is not None:
        annotation = param.annotation.annotation
        if isinstance(annotation, cst.Subscript):
            nodes.extend(e.slice.value for e in annotation.slice if isinstance(e.slice, cst.Index))
    for node in nodes:
        if isinstance(node, cst.Call):
            name = (qualify(node.func) or dotted_name(node.func) or "").rsplit(".", 1)[-1]
            if name in ("Header", "Cookie", "Security"):
                return True
    return False


def credential_present_test(test: cst.BaseExpression) -> tuple[str, ...]:
    """The names of credentials an `if`'s body runs only with: `if token:`, `if api_key is not
    None`, `if authorization and ...`."""
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return credential_present_test(test.left) + credential_present_test(test.right)
    if (isinstance(test, cst.Comparison) and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, cst.IsNot) and is_none(test.comparisons[0].comparator)):
        test = test.left
    return (test.value,) if isinstance(test, cst.Name) and _CREDENTIAL_PRESENT_NAME.search(test.value) else ()


def holds_request_value(name: str, params: Collection[str],
                        assigned: Mapping[str, Sequence[cst.BaseExpression]]) -> bool:
    """Whether a name holds what the request brought: a parameter (`api_key: str = Header(None)`) or
    a local made from the request or a parameter (`token = get_bearer_token(request)`), not a key
    the deployment configures (`if SESSION_API_KEY and api_key != SESSION_API_KEY`: without the
    key configured, the deployment chose to let everyone in). `assigned` maps the function's locals
    to the values assigned them."""
    if name in params:
        return True
    return any(isinstance(node, cst.Name) and (node.value in REQUEST_NAMES or node.value in params)
               for value in assigned.get(name, ()) for node in descendants(value))


def missing_test(test: cst.BaseExpression) -> str | None:
    """The name an `if` tests for absence: `not user`, `user is None`."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not) and isinstance(
            test.expression, cst.Name):
        return test.expression.value
    if (isinstance(test, cst.Comparison) and isinstance(test.left, cst.Name) and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, cst.Is) and is_none(test.comparisons[0].comparator)):
        return test.left.value
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.Or):
        return missing_test(test.left) or missing_test(test.right)
    return None
