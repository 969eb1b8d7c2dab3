"""Hand-written CORS that echoes the request's Origin, with credentials."""

from __future__ import annotations

from dataclasses import dataclass, field

from reviewer import lazy_cst as cst
from reviewer.model import Severity
from reviewer.rule import Rule
from reviewer.syntax import string_value
from rules.cors_restrictive._configuration import CHECKLIST_ITEM

ALLOW_ORIGIN = "access-control-allow-origin"
ALLOW_CREDENTIALS = "access-control-allow-credentials"
HEADER_CLASSES = frozenset({"starlette.datastructures.Headers", "starlette.datastructures.MutableHeaders"})
# Calls that pass a value on without judging it.
PASSING = frozenset({"builtins.str", "builtins.bytes", "builtins.print"})
# Methods of a value that keep it what it is (a check calls anything else: `origin.endswith(...)`).
KEEPING_METHODS = frozenset({"strip", "lstrip", "rstrip", "lower", "encode", "decode", "casefold"})
LOGGING_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "msg"})
HEADER_SETTERS = frozenset({"append", "setdefault", "__setitem__", "set", "add"})


def _header_name(node: cst.BaseExpression) -> str | None:
    """A header name or value written as a literal (`"Origin"`, `b"origin"`), lower-cased."""
    value = string_value(node)
    return value.strip().lower() if value is not None else None


@dataclass
class _Frame:
    """One outermost function and what happens in it (nested functions included)."""

    origins: set[str] = field(default_factory=set)  # locals holding the request's Origin
    headers: set[str] = field(default_factory=set)  # locals holding request headers
    reflections: list[tuple[cst.CSTNode, cst.CSTNode | None]] = field(default_factory=list)
    credentials: bool = False
    checked: bool = False


class ReflectedOriginWithCredentials(Rule):
    """Code sets `Access-Control-Allow-Origin` to the request's `Origin`, unchecked, with credentials.

    ## What it does
    Flags a function (a middleware's `dispatch`, an `@app.middleware("http")` function, an ASGI
    `__call__`, a handler) that sets the `Access-Control-Allow-Origin` response header to the
    request's `Origin` header (`request.headers.get("origin")`, directly or through a local) and
    sets `Access-Control-Allow-Credentials: true`, when nothing in the function compares or
    otherwise checks the origin (`if origin in ALLOWED_ORIGINS:`, `pattern.fullmatch(origin)`,
    `is_allowed(origin)`). The finding is where the origin is echoed.

    ## Why is this bad?
    Echoing whatever `Origin` arrives, with credentials allowed, tells the browser that every
    website may call the API with the user's cookies and read the answers.

    ## Example
    ```python
    @app.middleware("http")
    async def cors(request: Request, call_next):
        response = await call_next(request)
        response.headers["Access-Control-Allow-Origin"] = request.headers.get("origin", "")
        response.headers["Access-Control-Allow-Credentials"] = "true"
        return response
    ```

    ## Use instead
    ```python
        origin = request.headers.get("origin")
        if origin in settings.cors_origins:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Credentials"] = "true"
            response.headers["Vary"] = "Origin"
    ```
    or Starlette's `CORSMiddleware` with an explicit `allow_origins` list.

    ## Known problems
    Any comparison or call that takes the origin counts as a check, even one that does not reject
    it; headers set by a helper the function calls are not followed. Test code is not checked.
    """

    code = "RVW623"
    name = "cors-reflected-origin-with-credentials"
    checklist = CHECKLIST_ITEM
    severity = Severity.ERROR
    always_applicable = False
    prefilter_packages = ("starlette", "fastapi")

    def __init__(self, context, options) -> None:  # noqa: ANN001
        super().__init__(context, options)
        self._frames: list[_Frame] = []
        self._depth = 0

    # --- functions ---

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self._depth == 0:
            self._frames.append(_Frame())
        self._depth += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._depth -= 1
        if self._depth:
            return
        frame = self._frames.pop()
        if frame.reflections and frame.credentials and not frame.checked:
            node, statement = frame.reflections[0]
            self.report(
                node,
                "Access-Control-Allow-Origin is set to the request's own Origin, unchecked, with "
                "Access-Control-Allow-Credentials: true: every website can make requests as the signed-in "
                "user; compare the origin with an allow-list first",
                statement=statement,
            )

    @property
    def _frame(self) -> _Frame | None:
        return self._frames[-1] if self._frames else None

    # --- where the origin comes from ---

    def _is_headers(self, node: cst.BaseExpression, frame: _Frame) -> bool:
        """`request.headers`, a local holding them, `Headers(scope=scope)`, `dict(scope["headers"])`."""
        if isinstance(node, cst.Attribute):
            return node.attr.value == "headers"
        if isinstance(node, cst.Name):
            return node.value in frame.headers
        if isinstance(node, cst.Call):
            callee = self.qualify(node.func)
            if callee in HEADER_CLASSES:
                return True
            if callee == "builtins.dict" and node.args:
                inner = node.args[0].value
                return isinstance(inner, cst.Subscript) and _subscript_key(inner) == "headers"
        return False

    def _is_origin(self, node: cst.BaseExpression, frame: _Frame) -> bool:
        """The request's Origin header: read from headers, held by a local, or kept by a method."""
        node = _kept(node)
        if isinstance(node, cst.Name):
            return node.value in frame.origins
        if isinstance(node, cst.BooleanOperation):
            return self._is_origin(node.left, frame)
        if isinstance(node, cst.FormattedString):
            return any(
                isinstance(part, cst.FormattedStringExpression) and self._is_origin(part.expression, frame)
                for part in node.parts
            )
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "get":
            key = node.args[0].value if node.args else None
            return key is not None and _header_name(key) == "origin" and self._is_headers(node.func.value, frame)
        if isinstance(node, cst.Subscript):
            return _subscript_key(node) == "origin" and self._is_headers(node.value, frame)
        return False

    def visit_Assign(self, node: cst.Assign) -> None:
        frame = self._frame
        if frame is None:
            return
        for target in node.targets:
            self._bind(target.target, node.value, frame)
            self._header_set(target.target, node.value, frame)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        frame = self._frame
        if frame is not None and node.value is not None:
            self._bind(node.target, node.value, frame)

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression, frame: _Frame) -> None:
        if not isinstance(target, cst.Name):
            return
        if self._is_origin(value, frame):
            frame.origins.add(target.value)
        elif self._is_headers(value, frame):
            frame.headers.add(target.value)

    # --- where headers are set ---

    def _header_set(self, target: cst.BaseExpression, value: cst.BaseExpression, frame: _Frame) -> None:
        """`response.headers["Access-Control-Allow-Origin"] = value`."""
        if isinstance(target, cst.Subscript):
            self._header(_subscript_key(target), value, target, frame)

    def visit_Call(self, node: cst.Call) -> None:
        frame = self._frame
        if frame is None:
            return
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in HEADER_SETTERS and len(node.args) == 2:
            self._header(_header_name(node.args[0].value), node.args[1].value, node, frame)
            return
        if frame.origins:
            self._note_checks(node, frame)

    def visit_DictElement(self, node: cst.DictElement) -> None:
        frame = self._frame
        if frame is not None:
            self._header(_header_name(node.key), node.value, node, frame)

    def visit_Tuple(self, node: cst.Tuple) -> None:
        """`(b"access-control-allow-origin", origin.encode())` in a raw ASGI header list."""
        frame = self._frame
        if frame is not None and len(node.elements) == 2:
            self._header(_header_name(node.elements[0].value), node.elements[1].value, node, frame)

    def _header(self, name: str | None, value: cst.BaseExpression, node: cst.CSTNode, frame: _Frame) -> None:
        if name == ALLOW_ORIGIN:
            self.mark_applicable()
            if self._is_origin(value, frame):
                frame.reflections.append((node, self.context.current_statement()))
        elif name == ALLOW_CREDENTIALS:
            text = _header_name(value)
            if text == "true" or (isinstance(value, cst.Name) and value.value == "True"):
                frame.credentials = True

    # --- checks of the origin ---

    def visit_Comparison(self, node: cst.Comparison) -> None:
        frame = self._frame
        if frame is None:
            return
        sides = [node.left, *(target.comparator for target in node.comparisons)]
        against_none = all(isinstance(target.operator, (cst.Is, cst.IsNot)) for target in node.comparisons)
        if not against_none and any(self._is_origin(side, frame) for side in sides):
            frame.checked = True

    def _note_checks(self, node: cst.Call, frame: _Frame) -> None:
        """A call that takes the origin (`is_allowed(origin)`, `pattern.match(origin)`) or a method
        of it that tests it (`origin.endswith(...)`) checks it."""
        func = node.func
        if isinstance(func, cst.Attribute):
            if func.attr.value in LOGGING_METHODS:
                return
            if func.attr.value not in KEEPING_METHODS and self._is_origin(func.value, frame):
                frame.checked = True
                return
        if self.qualify(func) in PASSING:
            return
        if any(self._is_origin(arg.value, frame) for arg in node.args):
            frame.checked = True


def _kept(node: cst.BaseExpression) -> cst.BaseExpression:
    """`origin.strip().encode()` -> `origin`."""
    while (
        isinstance(node, cst.Call)
        and isinstance(node.func, cst.Attribute)
        and node.func.attr.value in KEEPING_METHODS
    ):
        node = node.func.value
    return node


def _subscript_key(node: cst.Subscript) -> str | None:
    if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
        return None
    return _header_name(node.slice[0].slice.value)
