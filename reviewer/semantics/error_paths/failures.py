"""What a `try` block can fail with, read from the block itself and the module around it: only
the application's own exceptions, raised by the block or by functions of its module that do no
more (`raises_only_own`), or nothing that reaches a server, when the block only builds a
streaming response around a generator that runs after it (`only_builds_stream`) or calls nothing
at all (`calls_nothing`). An `except Exception` around such a block holds no detail of the
deployment."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.semantics.error_paths.records import STREAMING_RESPONSES
from reviewer.semantics.error_paths.syntax import calls_in
from reviewer.semantics.exceptions import OWN, exception_origin
from reviewer.semantics.log_calls import is_log_call
from reviewer.traversal import push_children

if TYPE_CHECKING:
    Qualify = Callable[[cst.BaseExpression], str | None]


def only_builds_stream(body: cst.BaseSuite, qualify: Qualify,
                       generators: Callable[[str], bool]) -> bool:
    """Whether a try block only builds a streaming response around a generator of the module
    (`return StreamingResponse(event_stream(query), media_type="text/event-stream")`), logging at
    most: the generator's body runs as the response is sent, after the block, so nothing in the
    block reaches a server of the application."""
    built = False
    for call in calls_in(body):
        name = qualify(call.func)
        if name in STREAMING_RESPONSES:
            built = True
        elif not (isinstance(call.func, cst.Name) and generators(call.func.value) or is_log_call(call, qualify)
                  or name in _PLAIN_BUILTINS):
            return False
    return built


def calls_nothing(body: cst.BaseSuite) -> bool:
    """Whether a try block calls, awaits and enters nothing: it reads and sets values in memory
    (`limit = settings.max_upload_size`, `row[key]`), so what fails there is a lookup or a type
    error of its own values. (An attribute read is no call, even of a property that does I/O.)"""
    stack: list[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.Call, cst.Await, cst.With, cst.Import, cst.ImportFrom, cst.Yield)) or (
                isinstance(node, (cst.For, cst.CompFor)) and node.asynchronous is not None):
            return False
        push_children(node, stack)
    return True


def raises_only_own(body: cst.BaseSuite, qualify: Qualify, module: str,
                    functions: Mapping[str, cst.FunctionDef]) -> bool:
    """Whether a try block of `module` can fail only by raising the application's own exceptions:
    it raises them, and calls nothing else but plain builtins and functions of the module
    (`functions`, by name) that do no more (`_validate_image_size(content)`, raising the
    application's error when the image is too large)."""
    raised: list[bool] = []
    return _fails_only_as_own(body, qualify, module, functions, raised, 0) and any(raised)


def _fails_only_as_own(body: cst.BaseSuite, qualify: Qualify, module: str,
                       functions: Mapping[str, cst.FunctionDef], raised: list[bool], depth: int) -> bool:
    own_raises = set()
    stack: list[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Raise) and isinstance(node.exc, cst.Call):
            if exception_origin(qualify(node.exc.func), module) != OWN:
                return False
            own_raises.add(id(node.exc))
            raised.append(True)
        push_children(node, stack)
    for call in calls_in(body):
        if id(call) in own_raises or qualify(call.func) in _PLAIN_BUILTINS:
            continue
        callee = functions.get(call.func.value) if isinstance(call.func, cst.Name) else None
        if callee is None or depth >= _MAX_OWN_DEPTH or not _fails_only_as_own(
                callee.body, qualify, module, functions, raised, depth + 1):
            return False
    return True


_MAX_OWN_DEPTH = 2  # functions of the module followed from a try block


_PLAIN_BUILTINS = frozenset(
    f"builtins.{name}" for name in ("len", "isinstance", "str", "bool", "min", "max", "any", "all", "sorted",
                                    "getattr", "hasattr", "set", "list", "dict", "tuple")
)
