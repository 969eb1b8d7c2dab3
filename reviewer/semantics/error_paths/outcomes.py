"""What a branch finds failed: a task queue's result (`if res.failed():`), whose exception the
worker raised, and an HTTP response (`if resp.status_code != 200:`), whose body an upstream service
wrote for its callers. The error paths read what the branch then sends with these in view."""

from __future__ import annotations

from collections.abc import Callable

from reviewer import lazy_cst as cst
from reviewer.syntax import string_value

_RESPONSE_STATUS_ATTRIBUTES = frozenset({"status_code", "status"})
_RESPONSE_FAILED_ATTRIBUTES = frozenset({"is_error", "is_client_error", "is_server_error"})
_RESPONSE_OK_ATTRIBUTES = frozenset({"ok", "is_success"})


def failed_responses(test: cst.BaseExpression) -> set[str]:
    """Names of HTTP responses a test finds failed, also within `and`: `resp.status_code != 200`,
    `resp.status_code >= 400`, `resp.status not in (200, 201)`, `not resp.ok`, `resp.is_error`. A
    name tested for an HTTP status is a response; the branch the test opens reads its error body."""
    if isinstance(test, cst.BooleanOperation):
        if not isinstance(test.operator, cst.And):
            return set()
        return failed_responses(test.left) | failed_responses(test.right)
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        inner = test.expression
        return ({inner.value.value} if isinstance(inner, cst.Attribute) and inner.attr.value in _RESPONSE_OK_ATTRIBUTES
                and isinstance(inner.value, cst.Name) else set())
    if isinstance(test, cst.Attribute):
        return {test.value.value} if test.attr.value in _RESPONSE_FAILED_ATTRIBUTES and isinstance(
            test.value, cst.Name) else set()
    if not (isinstance(test, cst.Comparison) and len(test.comparisons) == 1):
        return set()
    left, (target,) = test.left, test.comparisons
    if not (isinstance(left, cst.Attribute) and left.attr.value in _RESPONSE_STATUS_ATTRIBUTES
            and isinstance(left.value, cst.Name)):
        return set()
    operator, codes = target.operator, _status_codes(target.comparator)
    if not codes:
        return set()
    failed = (isinstance(operator, (cst.NotEqual, cst.NotIn)) and all(code < 300 for code in codes)
              or isinstance(operator, cst.GreaterThanEqual) and codes[0] >= 300
              or isinstance(operator, cst.GreaterThan) and codes[0] >= 299)
    return {left.value.value} if failed else set()


def _status_codes(node: cst.BaseExpression) -> list[int]:
    """The HTTP statuses an expression spells as integer literals (`200`, `(200, 201)`)."""
    values = ([element.value for element in node.elements] if isinstance(node, (cst.Tuple, cst.List, cst.Set))
              else [node])
    codes = [int(value.evaluated_value) for value in values if isinstance(value, cst.Integer)]
    return codes if len(codes) == len(values) and all(100 <= code <= 599 for code in codes) else []


def failed_results(test: cst.BaseExpression, results: set[str]) -> set[str]:
    """The task results a test finds failed: `res.failed()`, `res.state == "FAILURE"` (or
    `status`), also within `and`."""
    if not results:
        return set()
    if isinstance(test, cst.BooleanOperation) and isinstance(test.operator, cst.And):
        return failed_results(test.left, results) | failed_results(test.right, results)
    if (isinstance(test, cst.Call) and not test.args and isinstance(test.func, cst.Attribute)
            and test.func.attr.value == "failed" and isinstance(test.func.value, cst.Name)):
        return {test.func.value.value} & results
    if (isinstance(test, cst.Comparison) and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, cst.Equal) and isinstance(test.left, cst.Attribute)
            and test.left.attr.value in ("state", "status") and isinstance(test.left.value, cst.Name)
            and string_value(test.comparisons[0].comparator) == "FAILURE"):
        return {test.left.value.value} & results
    return set()


def task_result(value: cst.BaseExpression, qualify: Callable[[cst.BaseExpression], str | None]) -> bool:
    """`AsyncResult(task_id, app=celery_app)`, `celery_app.AsyncResult(task_id)`: a Celery task's
    result, which holds the worker's traceback once the task failed."""
    if not isinstance(value, cst.Call):
        return False
    return qualify(value.func) in ("celery.result.AsyncResult", "celery.AsyncResult") or (
        isinstance(value.func, cst.Attribute) and value.func.attr.value == "AsyncResult")
