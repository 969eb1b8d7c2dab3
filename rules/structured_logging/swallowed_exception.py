"""A broad `except` that neither logs, re-raises nor uses what it caught."""

from __future__ import annotations

import re

from reviewer import lazy_cst as cst
from reviewer.model import Severity
from reviewer.rule import RepoContext
from reviewer.semantics.exceptions import BROAD, named_classes
from reviewer.traversal import push_children
from rules.structured_logging._sites import SiteRule, withdraw_one_shot

# Calls whose failure in a try is best-effort cleanup, by prefix: releasing what the code holds,
# where a second failure has nothing left to tell.
CLEANUP_PREFIXES = (
    "close", "aclose", "shutdown", "disconnect", "terminate", "kill", "cancel", "stop", "unlink", "remove",
    "rmtree", "rollback", "release", "dispose", "cleanup", "clean_up", "quit", "join", "flush", "unsubscribe",
    "detach", "unregister", "rmdir", "discard", "wait_closed", "clear", "hide", "__exit__", "__aexit__",
)
# Calls that build a value in a local collection, or wait: no effect of their own to lose.
NO_EFFECT = frozenset({
    "append", "extend", "add", "insert", "appendleft", "setdefault", "sleep", "wait", "wait_for",
    "wait_for_load_state", "wait_for_timeout", "wait_for_selector", "put_nowait",
})
# The first word of a call that changes state: stored data, money, messages to others. Its failure
# swallowed is a change the application believes made and never was.
WRITE_VERBS = frozenset({
    "save", "commit", "create", "insert", "update", "upsert", "delete", "destroy", "publish", "enqueue", "notify",
    "charge", "refund", "transfer", "write", "store", "persist", "push", "post", "put", "patch", "execute",
    "executemany", "bulk", "merge", "revoke", "grant", "email", "deliver", "dispatch", "submit", "sync", "apply",
    "archive", "restore", "import", "export", "upload", "set", "mark", "assign", "attach", "increment", "decrement",
    "process", "handle", "emit", "trigger", "schedule", "index", "reindex", "invalidate", "pay", "provision",
})
TRANSPORT_PAYLOADS = frozenset({"json", "text", "bytes", "all", "message", "frame"})
_WORD = re.compile(r"[a-z]+|[A-Z][a-z]*")
# Calls that wait for what their argument does: the action is that argument.
WRAPPERS = frozenset({"shield", "wait_for", "gather", "create_task", "ensure_future", "run_in_executor", "to_thread"})
# Methods of loggers: a log line that fails has nowhere else to go.
LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "msg"})
# Methods of tracing spans and error-reporting scopes (OpenTelemetry, Sentry): an attribute that
# fails to record loses telemetry, not data of the application.
TELEMETRY_METHODS = frozenset({
    "set_attribute", "set_attributes", "set_status", "add_event", "record_exception", "update_name", "add_link",
    "set_tag", "set_tags", "set_context", "set_extra", "set_measurement",
})
# Functions whose whole purpose is releasing resources: an error there has no caller to tell.
CLEANUP_FUNCTIONS = frozenset({
    "__del__", "__exit__", "__aexit__", "close", "aclose", "shutdown", "cleanup", "stop", "dispose", "teardown",
    "disconnect", "terminate", "__repr__", "__str__",
})


def _broad(handler: cst.ExceptHandler, qualify) -> str | None:  # noqa: ANN001
    """How the handler catches broadly (`except:`, `except Exception`), or None."""
    if handler.type is None:
        return "except:"
    for kind in named_classes(handler.type):
        qualified = qualify(kind)
        if qualified in BROAD:
            return f"except {qualified.rpartition('.')[2]}"
    return None


def _swallows(body: cst.BaseSuite) -> bool:
    """The handler's body only passes, continues, breaks or returns nothing: no fallback value,
    no log, no re-raise, and no comment saying why."""
    statements = body.body if isinstance(body, cst.IndentedBlock) else [body]
    for statement in statements:
        if not isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            return False
        for small in statement.body:
            if isinstance(small, (cst.Pass, cst.Continue, cst.Break)):
                continue
            if isinstance(small, cst.Expr) and isinstance(small.value, cst.Ellipsis):
                continue
            if isinstance(small, cst.Return) and (small.value is None or _is_none(small.value)):
                continue
            return False
    return not _has_comment(body)


def _is_none(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _has_comment(body: cst.BaseSuite) -> bool:
    """A comment in the handler (or on its line) says the swallowing is meant."""
    if isinstance(body, cst.IndentedBlock):
        if body.header.comment is not None or any(line.comment is not None for line in body.footer):
            return True
        return any(line.comment is not None for statement in body.body
                   for line in (*statement.leading_lines, statement.trailing_whitespace)
                   if isinstance(statement, cst.SimpleStatementLine))
    return isinstance(body, cst.SimpleStatementSuite) and body.trailing_whitespace.comment is not None


def _called_method(node: cst.BaseExpression) -> str | None:
    """The name of the call an expression statement makes (`await asyncio.shield(conn.close())`:
    `close`), None for one that makes none (`await task`)."""
    if isinstance(node, cst.Await):
        node = node.expression
    if not isinstance(node, cst.Call):
        return None
    func = node.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else None
    if name in WRAPPERS and node.args:
        inner = _called_method(node.args[0].value)
        return inner if inner is not None else None if name != "create_task" else name
    return name


def _actions(try_body: cst.BaseSuite) -> list[str]:
    """The calls the try body makes for their effect (statements that are a call, awaited or
    not), by name, in the body and the blocks it nests (not in functions it defines)."""
    found: list[str] = []
    pending: list[cst.CSTNode] = [try_body]
    while pending:
        node = pending.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if isinstance(node, cst.Expr):
            name = _called_method(node.value)
            if name is not None:
                found.append(name)
            continue
        if isinstance(node, (cst.BaseSuite, cst.BaseCompoundStatement, cst.SimpleStatementLine)) or isinstance(
                node, (cst.Else, cst.ExceptHandler, cst.Finally)):
            push_children(node, pending)
    return found


def _swallowed_action(try_body: cst.BaseSuite) -> str | None:
    """The first call the try makes for its effect that changes state (`session.commit()`,
    `await repo.update_async(...)`): its failure is what the handler hides. None: the try only
    computes a value (the handler's empty result is the fallback), releases something, logs, or
    makes calls whose failure loses nothing the application stores or sends."""
    for name in _actions(try_body):
        bare = name.lstrip("_").lower()
        if (bare.startswith(CLEANUP_PREFIXES) or name in NO_EFFECT or name in LOG_METHODS or name in TELEMETRY_METHODS
                or "log" in bare):
            continue
        words = [word.lower() for word in _WORD.findall(name.lstrip("_"))]
        if words and (words[0] in WRITE_VERBS or (words[0] == "send" and len(words) > 1
                                                   and words[1] not in TRANSPORT_PAYLOADS)):
            return name  # `send_email`, not a socket's `send`/`send_json`
    return None


def _returns_value(try_body: cst.BaseSuite) -> bool:
    """The try returns a value when it succeeds: the handler's `return None` is its fallback."""
    pending: list[cst.CSTNode] = [try_body]
    while pending:
        node = pending.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if isinstance(node, cst.Return):
            if node.value is not None and not _is_none(node.value):
                return True
            continue
        if isinstance(node, (cst.BaseSuite, cst.BaseCompoundStatement, cst.SimpleStatementLine, cst.Else)):
            push_children(node, pending)
    return False


class SwallowedException(SiteRule):
    """A broad `except` that swallows the error: no log, no re-raise, no use of the exception.

    ## What it does
    Flags an `except:`, `except Exception` or `except BaseException` clause (alone or in a tuple)
    in a function of application code whose body only does `pass`, `...`, `continue`, `break` or
    `return`/`return None`, around a `try` that makes a call for its effect that changes state:
    stores, sends or publishes something (`session.commit()`, `await repo.update_async(...)`,
    `send_email(...)`, `client.post(...)`, `cache.set(...)`). Reported at the `except`; the
    message names the call whose failure disappears.
    Not flagged: handlers of narrow exceptions (`except KeyError: pass` handles what it expects);
    a broad handler after narrower ones (the author decided what each failure means); a handler
    with a comment (the swallowing is documented); a handler that returns or assigns a fallback
    value, or a `try` that only computes a value (`try: return int(x) except Exception: return
    None` is a parse with a default); best-effort cleanup and waiting (`conn.close()`,
    `os.unlink(path)`, `task.cancel()`, `remove_listener(...)`, `await asyncio.sleep(...)`);
    failures of logging itself, or of telemetry (`span.set_attribute(...)`, `span.add_event(...)`,
    `scope.set_tag(...)`); a `try` in a `finally:` block or in another handler, or in a
    function that exists to release resources (`close`, `__exit__`, `shutdown`, `__del__`);
    code at module level (optional imports, feature detection); tests, migrations, scripts and
    one-shot programs (see `print-in-application-code`).

    ## Why is this bad?
    The failure disappears: no log line, no metric, no error to the caller. A broken dependency,
    a bug or a corrupt record then shows up later as wrong data or a mystery, with nothing to
    trace it back to. A broad `except` also hides programming errors (`TypeError`,
    `AttributeError`) the code never meant to handle.

    ## Example
    ```python
    async def sync_user(user_id: int) -> None:
        try:
            await crm.push(user_id)
        except Exception:
            pass
    ```

    ## Use instead
    ```python
    async def sync_user(user_id: int) -> None:
        try:
            await crm.push(user_id)
        except CrmUnavailable:
            logger.warning("CRM unavailable; user %s will sync later", user_id)
    ```

    ## Known problems
    A call changes state by the first word of its name (`save`, `commit`, `create`, `update`,
    `delete`, `send_…`, `post`, `publish`, `set`, `process`…), as the call's own code may be out
    of reach: a swallowed failure of a call named otherwise (`crm.push_contact` is found,
    `crm.contact(...)` is not) is missed, and a best-effort `file_store.delete(old_path)` that a
    maintainer considers cleanup is reported. A lookup whose failure becomes `None` (hiding a
    database outage as "not found") is not reported: on real code that shape is mostly a
    deliberate default.
    """

    code = "RVW903"
    name = "swallowed-exception"
    checklist = "structured-logging"
    severity = Severity.WARNING
    prefilter_packages = ("except",)

    def __init__(self, context, options) -> None:  # noqa: ANN001
        super().__init__(context, options)
        self._cleanup_depth = 0  # `finally:` blocks and `except` handlers being walked
        self._tries: list[cst.Try] = []

    def visit_Try(self, node: cst.Try) -> None:
        self._tries.append(node)

    def leave_Try(self, original_node: cst.Try) -> None:
        self._tries.pop()

    def visit_Finally(self, node: cst.Finally) -> None:
        self._cleanup_depth += 1

    def leave_Finally(self, original_node: cst.Finally) -> None:
        self._cleanup_depth -= 1

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        outer = self._cleanup_depth
        self._cleanup_depth += 1
        if not self.applies or not self.in_function_body() or outer or not self._tries:
            return
        handlers = self._tries[-1].handlers
        if handlers and handlers[0] is not node:
            return  # narrower handlers come first: the author decided what each failure means
        how = _broad(node, self.qualify)
        if how is None or not _swallows(node.body):
            return
        if self.function.name.value in CLEANUP_FUNCTIONS:
            return
        action = _swallowed_action(self._tries[-1].body)
        if action is None or _returns_value(self._tries[-1].body):
            return
        self.report_site(node, f"`{how}` in `{self.function.name.value}` swallows any failure of `{action}()`: "
                               "log it (`logger.exception(...)`), re-raise, or catch only the exception you expect")

    def leave_ExceptHandler(self, original_node: cst.ExceptHandler) -> None:
        self._cleanup_depth -= 1

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        withdraw_one_shot(repo)
