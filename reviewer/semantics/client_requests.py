"""The requests a test suite makes to the application, read from the tests' source.

Per test file, `ClientRequestFacts` records every call shaped like an HTTP client's request
(`client.get(path)`, `client.request("PATCH", path)`, `client.websocket_connect(path)`, also
`requests.post(f"{BASE_URL}/items")` of end-to-end tests, and a helper or fixture handed the
method and the path, `authed_api("POST", "/traces/ingest")`, which may put a base URL before it)
whose path the source spells out, at
least in part: literals, f-strings, `+` concatenation, `%` and `.format` templates, names
assigned earlier in the function or module, and `app.url_path_for("route_name")`. Parts it cannot
read (`{item.id}`, a base URL) are holes. Path-like literals that no request consumes where they
are written (a `parametrize` list, a class attribute) are kept as *mentions*: some request of the
test file may use them.

Over the repository, `RequestedRoutes` tells whether a route (method and path template) is
exercised: a request matches when its path and the template agree segment by segment (a hole or
a path parameter matches one segment; a leading hole, or a route whose prefix is not a literal,
lets the rest match as a suffix) and its method is the route's, or it names the route's function;
a test may also call the endpoint function itself (a method too, on a router object it builds:
`router = ToolsRouter(...)`, then `await router.call_tool(...)`), or run schemathesis over the whole
schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, ClassVar

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.syntax import argument, string_value

if TYPE_CHECKING:
    from reviewer.facts import RepositoryView
    from reviewer.rule import FileContext

FACTS_KEY = "client-requests"
# Where a test suite lives. A package's own `*_test.py` modules alone are unit tests shipped with
# it (a wheel's), not the suite that would request its endpoints.
TEST_DIRECTORIES = frozenset({"tests", "test", "testing"})
METHOD_CALLS = {name: name.upper() for name in ("get", "post", "put", "patch", "delete", "head", "options")}
METHOD_ARGUMENT_CALLS = frozenset({"request", "stream"})  # `client.request("GET", path)`
WEBSOCKET_CALLS = frozenset({"websocket_connect"})
# `api("POST", "/items")`: a callable of the suite handed an HTTP method as written first.
HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
ROUTE_NAME_CALLS = frozenset({"url_path_for", "url_for"})
JOIN_CALLS = frozenset({"urllib.parse.urljoin"})
SCHEMA_RUNNERS = ("schemathesis.",)  # `schemathesis.from_asgi(...)` requests every operation
MAX_RESOLUTION_DEPTH = 4  # names followed to their assigned value
_TEMPLATE_HOLE = re.compile(r"{[^{}]*}|%[sdrif]")
_URL_HOST = re.compile(r"^[a-z][a-z0-9+.-]*://[^/]*", re.IGNORECASE)

Chunks = tuple[str | None, ...]  # literal text, or None for a part the source does not spell


@dataclass(frozen=True)
class Request:
    method: str | None  # None: any method (a mention)
    chunks: Chunks = ()
    route_name: str | None = None  # `url_path_for("read_item")`


@dataclass
class TestRequests:
    """What one test module requests (plain, picklable: it travels in the module summary)."""

    requests: list[Request] = field(default_factory=list)
    mentions: dict[int, Chunks] = field(default_factory=dict)  # id of the literal -> its path
    called: set[str] = field(default_factory=set)  # functions called directly, qualified
    whole_schema: bool = False  # a schemathesis run: every operation of the OpenAPI schema
    defines_tests: bool = False  # a `test_*` function: a test module, not a script named like one
    in_suite: bool = False  # in a tests directory, a `conftest.py` or a `test_*.py` module


class ClientRequestFacts(Facts):
    """Collects the requests of a test file; other files are not walked."""

    requires: ClassVar[tuple[type[Facts], ...]] = ()

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self.found = TestRequests()
        self._scopes: list[dict[str, cst.BaseExpression]] = [{}]  # names assigned, per function
        self._consumed: set[int] = set()  # literals read as a request's path
        self.active = context.is_test_file
        if context.is_test_file:
            context.summary.extras[FACTS_KEY] = self.found
            path = PurePosixPath(context.path)
            self.found.in_suite = path.name == "conftest.py" or path.name.startswith("test_") or any(
                part in TEST_DIRECTORIES for part in path.parts[:-1]
            )

    @classmethod
    def repository(cls, repo: RepositoryView) -> RequestedRoutes:
        return RequestedRoutes([s.extras[FACTS_KEY] for s in repo.summaries if FACTS_KEY in s.extras])

    # scopes ---------------------------------------------------------------------------------

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._scopes.append({})
        if node.name.value.startswith("test"):
            self.found.defines_tests = True

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._scopes.pop()

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self._scopes[-1][target.target.value] = node.value

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if isinstance(node.target, cst.Name) and node.value is not None:
            self._scopes[-1][node.target.value] = node.value

    # requests and mentions --------------------------------------------------------------------

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        self._mention(node)

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        self._mention(node)

    def _mention(self, node: cst.BaseExpression) -> None:
        if id(node) in self._consumed:
            return
        chunks = _normalised(self._chunks(node, 0))
        first = _first_spelled(chunks)
        if first and first.startswith("/") and len(first) > 1:
            self.found.mentions[id(node)] = chunks

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        called = self.context.qualify(func) or self._method_of_instance(func)
        if called is not None:
            self.found.called.add(called)
            if called.startswith(SCHEMA_RUNNERS) and ".from_" in called:
                self.found.whole_schema = True
        if not isinstance(func, cst.Attribute):
            self._helper_request(node)
            return
        verb = func.attr.value
        if verb in METHOD_CALLS:
            method, path = METHOD_CALLS[verb], argument(node, 0, "url")
        elif verb in METHOD_ARGUMENT_CALLS:
            spelled = argument(node, 0, "method")
            method = (string_value(spelled.value) or "").upper() if spelled else ""
            path = argument(node, 1, "url")
        elif verb in WEBSOCKET_CALLS:
            method, path = "WEBSOCKET", argument(node, 0, "url")
        else:
            self._helper_request(node)
            return
        if path is None or not method:
            return
        route_name = self._route_name(path.value)
        if route_name is not None:
            self.found.requests.append(Request(method, route_name=route_name))
            return
        chunks = _normalised(self._chunks(path.value, 0, consume=True))
        if any(chunks):
            self.found.requests.append(Request(method, chunks))

    def _method_of_instance(self, func: cst.BaseExpression) -> str | None:
        """`router.call_tool` with `router = ToolsRouter(...)` assigned in the test: the class's
        method, qualified (an endpoint method a test calls on a router object it builds)."""
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name)):
            return None
        for scope in reversed(self._scopes):
            if func.value.value in scope:
                made = scope[func.value.value]
                cls = self.context.qualify(made.func) if isinstance(made, cst.Call) else None
                return f"{cls}.{func.attr.value}" if cls else None
        return None

    def _helper_request(self, node: cst.Call) -> None:
        """`authed_api("POST", "/traces/ingest", json=...)`: a method spelled first, a path second.
        What the callable puts before the path is unknown: the path may end a longer one."""
        if len(node.args) < 2 or any(arg.keyword is not None or arg.star for arg in node.args[:2]):
            return
        method = string_value(node.args[0].value)
        if method is None or method.upper() not in HTTP_METHODS or method not in (method.upper(), method.lower()):
            return
        path = node.args[1].value
        chunks = _normalised(self._chunks(path, 0))
        first = _first_spelled(chunks)
        if first and first.startswith("/"):
            self._chunks(path, 0, consume=True)  # a request's path: no longer a mention
            self.found.requests.append(Request(method.upper(), chunks if chunks[0] is None else (None, *chunks)))

    def leave_Module(self, original_node: cst.Module) -> None:
        self.found.mentions = dict(enumerate(self.found.mentions.values()))

    def _route_name(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
            if node.func.attr.value in ROUTE_NAME_CALLS:
                name = argument(node, 0, "name")
                return string_value(name.value) if name else None
        return None

    def _chunks(self, node: cst.BaseExpression, depth: int, *, consume: bool = False) -> Chunks:
        """The path an expression spells: literal parts and holes. A literal it reads for a
        request (`consume`) is no longer a mention."""
        if consume:
            self._consumed.add(id(node))
            self.found.mentions.pop(id(node), None)
        text = string_value(node)
        if text is not None:
            return _template(text) if "{" in text or "%" in text else (text,)
        if isinstance(node, cst.FormattedString):
            return tuple(
                part.value if isinstance(part, cst.FormattedStringText) else None for part in node.parts
            )
        if isinstance(node, cst.BinaryOperation):
            left = self._chunks(node.left, depth, consume=consume)
            if isinstance(node.operator, cst.Add):
                return left + self._chunks(node.right, depth, consume=consume)
            if isinstance(node.operator, cst.Modulo):  # "/items/%s" % item_id
                return left
            return (None,)
        if isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value == "format":  # "/items/{}".format(id)
                return self._chunks(func.value, depth, consume=consume)
            if self.context.qualify(func) in JOIN_CALLS and len(node.args) >= 2:
                return (None, *self._chunks(node.args[1].value, depth, consume=consume))
            return (None,)
        if isinstance(node, cst.Name) and depth < MAX_RESOLUTION_DEPTH:
            for scope in reversed(self._scopes):
                if node.value in scope:
                    return self._chunks(scope[node.value], depth + 1, consume=consume)
        return (None,)


def _first_spelled(chunks: Chunks) -> str | None:
    """The first literal part of a path, after a leading hole (a base URL)."""
    return chunks[1] if len(chunks) > 1 and chunks[0] is None else chunks[0] if chunks else None


def _template(text: str) -> Chunks:
    """`/items/{}` or `/items/%s`: literal parts around the placeholders."""
    chunks: list[str | None] = []
    start = 0
    for match in _TEMPLATE_HOLE.finditer(text):
        chunks += [text[start:match.start()], None]
        start = match.end()
    chunks.append(text[start:])
    return tuple(chunks)


def _normalised(chunks: Chunks) -> Chunks:
    """The path alone: no scheme and host, no query or fragment, merged literals, a leading `/`
    after a leading hole (a base URL)."""
    merged: list[str | None] = []
    for chunk in chunks:
        if chunk is None:
            if not merged or merged[-1] is not None:
                merged.append(None)
            continue
        cut = min((i for i in (chunk.find("?"), chunk.find("#")) if i != -1), default=-1)
        if merged and isinstance(merged[-1], str):
            merged[-1] += chunk if cut == -1 else chunk[:cut]
        else:
            merged.append(chunk if cut == -1 else chunk[:cut])
        if cut != -1:
            break
    if merged and isinstance(merged[0], str):
        merged[0] = _URL_HOST.sub("", merged[0])
    return tuple(chunk for chunk in merged if chunk != "")


@dataclass(frozen=True)
class _Pattern:
    """A request path as a regular expression over route samples, and as a sample of itself."""

    regex: re.Pattern[str]
    sample: str
    last: str  # its last segment, "*" if that is a hole
    suffix: bool  # a leading hole (a base URL): it may end a longer path

    @classmethod
    def of(cls, chunks: Chunks) -> _Pattern | None:
        suffix = chunks[0] is None
        parts = list(chunks[1:] if suffix else chunks)
        if not parts or not any(parts):
            return None
        if isinstance(parts[0], str) and not parts[0].startswith("/"):
            parts[0] = "/" + parts[0]
        literal = "".join(part for part in parts if part)
        if suffix and not literal.strip("/"):
            return None  # `f"{base}/{item_id}"`: too little spelled out to tell a route
        regex = "".join(re.escape(part) if part else "[^/]+" for part in parts)
        sample = _trimmed("".join(part if part else "X" for part in parts))
        regex = ("(?:/.*)?" if suffix else "") + _trimmed_regex(regex)
        last = sample.rsplit("/", 1)[-1]
        return cls(re.compile(regex), sample, "*" if parts[-1] is None or not last else last, suffix)


def _trimmed(path: str) -> str:
    """FastAPI redirects `/items` and `/items/` to each other: compare without the slash."""
    return path.rstrip("/") or "/"


def _trimmed_regex(regex: str) -> str:
    return regex[:-1] if regex.endswith("/") and len(regex) > 1 else regex


class RequestedRoutes:
    """The requests of every test file, matched against route templates."""

    def __init__(self, found: Iterable[TestRequests]) -> None:
        self.test_modules = 0  # files of a test suite that define tests
        self.whole_schema = False
        self._requests: dict[str, dict[str, list[_Pattern]]] = {}  # method -> last segment -> paths
        self._mentions: dict[str, list[_Pattern]] = {}  # last segment -> paths
        self._route_names: set[str] = set()
        self._called: set[str] = set()
        for requests in found:
            self.test_modules += requests.defines_tests and requests.in_suite
            self.whole_schema |= requests.whole_schema
            self._called |= requests.called
            for request in requests.requests:
                if request.route_name is not None:
                    self._route_names.add(request.route_name)
                elif request.method is not None and (pattern := _Pattern.of(request.chunks)):
                    self._requests.setdefault(request.method, {}).setdefault(pattern.last, []).append(pattern)
            for chunks in requests.mentions.values():
                if pattern := _Pattern.of(chunks):
                    self._mentions.setdefault(pattern.last, []).append(pattern)

    def exercised(self, method: str, path: str, *, prefix_known: bool, function: str, name: str) -> bool:
        """Does some test request `method path` (a route template such as `/items/{item_id}`),
        name its endpoint function in `url_path_for`, or call that function (`function`, its
        qualified name) directly?"""
        if self.whole_schema or name in self._route_names or function in self._called:
            return True
        route = _Route.of(path, prefix_known)
        if route.matches(self._requests.get(method, {})):
            return True
        # A mention tells a path, not a method, and is weaker evidence: it must agree with a
        # segment the route spells, and its holes stand for the route's parameters only.
        return route.spelled and route.matches(self._mentions, holes_match_literals=False)


_PARAMETER = re.compile(r"{(\w+)(:\w+)?}")


@dataclass(frozen=True)
class _Route:
    """A route template as FastAPI matches it (`{name}` one segment, `{name:path}` any rest),
    and as a sample path (its parameters filled in)."""

    full: re.Pattern[str]
    tail: re.Pattern[str]  # the template or a part of it that ends it and spells a segment
    sample: str
    last: str
    ends_in_parameter: bool
    spelled: bool  # some segment is literal text

    @classmethod
    def of(cls, path: str, prefix_known: bool) -> _Route:
        segments = [segment for segment in _trimmed(path).split("/") if segment]
        regexes = [_segment_regex(segment) for segment in segments]
        literal = [not _PARAMETER.search(segment) for segment in segments]
        full = "/" + "/".join(regexes)
        tails = ["/" + "/".join(regexes[k:]) for k in range(len(regexes)) if any(literal[k:])] or [full]
        sample = _trimmed(_PARAMETER.sub("X", path) or "/")
        if not prefix_known:  # the prefix it misses may be anything: so may a path's start
            # A request whose base URL is a hole may end with any part of it, as for a known prefix.
            full = tails[0] = "(?:/.*)?" + full
        return cls(
            full=re.compile(full),
            tail=re.compile("|".join(f"(?:{tail})" for tail in tails)),
            sample=sample,
            last=sample.rsplit("/", 1)[-1],
            ends_in_parameter=bool(segments) and not literal[-1],
            spelled=any(literal),
        )

    def matches(self, by_last: Mapping[str, list[_Pattern]], *, holes_match_literals: bool = True) -> bool:
        """Does one of the paths (indexed by their last segment) fit the template (their holes
        filled in), or the sample fit one of them?"""
        if self.ends_in_parameter:
            candidates: Iterable[_Pattern] = (pattern for patterns in by_last.values() for pattern in patterns)
        else:
            candidates = [*by_last.get(self.last, ()), *by_last.get("*", ())]
        return any(
            (self.tail if pattern.suffix else self.full).fullmatch(pattern.sample)
            or (holes_match_literals and pattern.regex.fullmatch(self.sample))
            for pattern in candidates
        )


def _segment_regex(segment: str) -> str:
    regex, start = [], 0
    for match in _PARAMETER.finditer(segment):
        regex.append(re.escape(segment[start:match.start()]))
        regex.append(".+" if match.group(2) == ":path" else "[^/]+")
        start = match.end()
    regex.append(re.escape(segment[start:]))
    return "".join(regex)
