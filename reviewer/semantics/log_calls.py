"""What a log call is: a call of a `logging`, `structlog` or `loguru` logger (or of the `logging`
module itself) at some level, and the values it writes.

A logger is known by where it comes from: `logging.getLogger(...)`, `structlog.get_logger(...)`,
a `get_logger`/`getLogger` of the project's own, `loguru.logger`, a name imported as `logger`/`log`
from a module of the project; or, for an object's logger, by the attribute it is kept in
(`self.logger`, `app.logger`, `self._log`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from reviewer import lazy_cst as cst
from reviewer.semantics.names import dotted_name

LEVELS = frozenset({
    "debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log", "trace", "success",
    "msg", "notice",
})
LOGGING_FUNCTIONS = frozenset(f"logging.{level}" for level in LEVELS)
LOGGER_FACTORIES = ("getLogger", "get_logger", "get_task_logger", "wrap_logger", "LoggerAdapter", "getChild",
                    "bind", "opt")
# Names a logger is kept in, by convention of the logging libraries' own documentation.
_LOGGER_NAME = re.compile(r"^_*(?:[a-z_]*_)?(?:logger|log|LOGGER|LOG|Logger)$")


def logger_names(module: cst.Module, qualify: Callable[[cst.BaseExpression], str | None]) -> frozenset[str]:
    """Module-level names bound to a logger (`logger = logging.getLogger(__name__)`)."""
    found = set()
    for statement in module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, (cst.Assign, cst.AnnAssign)) and isinstance(small.value, cst.Call):
                callee = qualify(small.value.func) or dotted_name(small.value.func) or ""
                if callee.rpartition(".")[2] in LOGGER_FACTORIES:
                    targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
                    found.update(t.value for t in targets if isinstance(t, cst.Name))
    return frozenset(found)


def is_logger(node: cst.BaseExpression, qualify: Callable[[cst.BaseExpression], str | None],
              loggers: frozenset[str] = frozenset()) -> bool:
    """Whether an expression is a logger (see the module docstring)."""
    if isinstance(node, cst.Call):  # `logger.bind(user=...)`, `logging.getLogger(__name__)`
        callee = qualify(node.func) or dotted_name(node.func) or ""
        if callee.rpartition(".")[2] in LOGGER_FACTORIES:
            return True
        return isinstance(node.func, cst.Attribute) and is_logger(node.func.value, qualify, loggers)
    if isinstance(node, cst.Name) and node.value in loggers:
        return True
    qualified = qualify(node) or ""
    if qualified == "loguru.logger" or qualified.startswith("structlog."):
        return True
    name = dotted_name(node)
    return name is not None and bool(_LOGGER_NAME.match(name.rpartition(".")[2]))


def is_log_call(call: cst.Call, qualify: Callable[[cst.BaseExpression], str | None],
                loggers: frozenset[str] = frozenset()) -> bool:
    """`logger.info(...)`, `logging.warning(...)`, `log.bind(x=1).error(...)`."""
    func = call.func
    if not isinstance(func, cst.Attribute) or func.attr.value not in LEVELS:
        return False
    if qualify(func) in LOGGING_FUNCTIONS:
        return True
    return is_logger(func.value, qualify, loggers)


def written_values(call: cst.Call) -> Iterator[tuple[str, cst.BaseExpression]]:
    """What a log call writes, with where: its arguments (the message, `%` arguments, structlog
    and loguru key-value pairs) and the values of its `extra=` mapping. `exc_info`, `stack_info`,
    `stacklevel` carry no data."""
    for arg in call.args:
        keyword = arg.keyword.value if arg.keyword is not None else None
        if keyword in ("exc_info", "stack_info", "stacklevel"):
            continue
        if keyword == "extra" and isinstance(arg.value, cst.Dict):
            for element in arg.value.elements:
                if isinstance(element, cst.DictElement):
                    yield "extra", element.value
                else:
                    yield "extra", element.value
            continue
        yield keyword or "message", arg.value
