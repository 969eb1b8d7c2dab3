"""The walk the io-timeouts rules share: outbound calls, the client objects they are made on, and
what those objects were given.

One walk per file finds every call the rules judge (`requests.get(...)`, `session.get(...)` on a
`requests.Session` held in a local, an attribute or a module global, `urlopen(...)`,
`smtplib.SMTP(...)`, `httpx.Client(timeout=None)`, `aiohttp.ClientTimeout(total=None)`) and
what decides whether it has a timeout: the call's own arguments, and for a session, whether a
default timeout is injected into it (`session.request = partial(session.request, timeout=...)`,
an adapter mounted on it, a subclass overriding `request`/`send`). Objects are told by their
construction or annotation, and names are resolved when the module ends, so a session made in
`__init__` is known in every method, wherever the methods are.

A request handed only its function's own `**kwargs` is judged by that function's calls in the
module (a wrapper whose callers pass no timeout); code of `unittest.TestCase` classes is test code.

What one file cannot decide is recorded in the module summary (`TimeoutFacts`) for the
repository pass: which functions the call runs in (one-shot code is not reported), whether it
waits on the process-wide socket default (a project that calls `socket.setdefaulttimeout` sets
one), which classes or functions a session comes from and which adapters are mounted on it (a
subclass or factory defined in another module may inject a default timeout), and whether the
module is a program whose functions only its top-level code calls. The first rule of the item
created for a file walks it; the others register with it (`FileContext.shared`) and receive
their findings from it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.model import Edit, Fix, Severity, Span
from reviewer.rule import RepoContext, Rule, RuleCrash
from reviewer.semantics.serving import EntryPointFacts
from reviewer.syntax import is_main_guard, keyword
from rules.io_timeouts._apis import (
    AIOHTTP_FUNCTIONS,
    AIOHTTP_TIMEOUTS,
    ANNOTATIONS,
    CONNECTIONS,
    CONSTRUCTORS,
    HTTPX_CLIENT,
    HTTPX_FUNCTIONS,
    HTTPX_TIMEOUTS,
    INJECTING_METHODS,
    PACKAGES,
    PARTIAL,
    REQUEST_METHODS,
    REQUESTS_FUNCTIONS,
    REQUESTS_SESSION,
    SET_SOCKET_DEFAULT,
    URLLIB_FUNCTIONS,
    URLLIB_OPENER,
)

FACTS_KEY = "io-timeouts"
STANDARD_LIBRARY = frozenset(sys.stdlib_module_names) | {"builtins"}
TEST_CASES = frozenset({"unittest.TestCase", "unittest.case.TestCase", "unittest.IsolatedAsyncioTestCase",
                        "django.test.TestCase", "django.test.SimpleTestCase", "django.test.TransactionTestCase"})
OPTIONS: dict[str, Any] = {"default-timeout": 30}
MAX_RESOLUTION_DEPTH = 8

# What a finding is about; each rule reports the kinds it owns.
MISSING = "missing"  # an HTTP request with no timeout (requests, urllib)
DISABLED = "disabled"  # a timeout switched off: `timeout=None`, `ClientTimeout(total=None)`
CONNECTION = "connection"  # a stdlib socket client made without a timeout

# A call's timeout argument: given, missing, disabled (`None`), or unknown (`**kwargs`, `*args`).
GIVEN, ABSENT, OFF, UNKNOWN = "given", "absent", "off", "unknown"

# References to objects, plain tuples resolved when the module ends:
# ("new", type, key)    a client this module makes (`requests.Session()`); key names the object
# ("param", type, key)  a client handed in (an annotated parameter or field)
# ("class", name, key)  an instance of a class of the repository (maybe a Session subclass)
# ("attr", cls, name)   `self.name` in a method of `cls`
# ("global", name)      a module-level name
# ("call", name, key)   what calling a name returns: a factory of this module's, or an instance
Ref = tuple[Any, ...]
KEYED = frozenset({"new", "param", "class", "call"})  # the references that name an object by a key


@dataclass(frozen=True)
class Site:
    """What the repository pass needs to judge one finding of the per-file pass."""

    functions: tuple[str, ...] = ()  # the functions it runs in, innermost first
    socket_default: bool = False  # it waits on the process-wide socket default timeout
    # Where the session comes from, if not `requests.Session()` itself: a class of the repository
    # (maybe a Session subclass) or a function of another module that returns one.
    session_class: str | None = None
    adapters: tuple[str, ...] = ()  # classes of the adapters mounted on the session
    origin_unknown: bool = False  # the session was handed in: made where this module does not show


@dataclass
class TimeoutFacts:
    """What a module tells the repository pass (plain, picklable: it travels in the summary)."""

    sets_socket_default: bool = False
    # The module runs as a program: `if __name__ == "__main__":`, or module-level code calling its
    # own functions (a script); and its functions with findings whose name the module mentions
    # only where it defines them and in such module-level calls.
    program: bool = False
    unreferenced: set[str] = field(default_factory=set)
    # Classes overriding `request`/`send` with code that handles `timeout`, and classes that
    # inject one into themselves (`self.request = partial(...)`).
    injecting: set[str] = field(default_factory=set)
    # Adapter classes a class mounts on itself (`self.mount(prefix, TimeoutAdapter())`).
    class_adapters: dict[str, list[str]] = field(default_factory=dict)
    partial_injection: bool = False
    # Functions returning a session: function -> (its class if not requests.Session, the adapter
    # classes mounted on it, whether a `partial` injects a timeout).
    factories: dict[str, tuple[str | None, tuple[str, ...], bool]] = field(default_factory=dict)
    sites: dict[tuple[str, int, int], Site] = field(default_factory=dict)  # (code, line, column)


@dataclass
class Candidate:
    """A call one of the rules may report, once the module's names are resolved."""

    kind: str
    node: cst.Call
    statement: cst.CSTNode | None
    message: str  # for a method call not judged yet: the callee as written
    functions: tuple[str, ...]
    socket_default: bool = False
    fix: bool = False
    receiver: Ref | None = None  # for a method call: the object it is made on
    client: str | None = None  # for a client made without a timeout: the key of the name it is bound to
    wrapper: str | None = None  # the function whose `**kwargs` the request is handed (and only those)


@dataclass
class Frame:
    qualname: str
    class_name: str | None
    self_name: str | None
    locals: dict[str, Ref | None] = field(default_factory=dict)
    star_kwarg: str | None = None  # the name of its `**kwargs`
    forwards: bool = False  # it hands its `**kwargs` to a request


def timeout_status(call: cst.Call, position: int | None) -> str:
    """Whether a call passes a timeout: by keyword, or by position (`position`: where the API
    takes it, None when only by keyword)."""
    found = keyword(call, "timeout")
    if found is not None:
        return OFF if disables(found.value) else GIVEN
    if any(arg.star for arg in call.args):
        return UNKNOWN
    plain = [arg for arg in call.args if arg.keyword is None]
    if position is not None and len(plain) > position:
        return OFF if disables(plain[position].value) else GIVEN
    return ABSENT


def disables(value: cst.BaseExpression) -> bool:
    """`None`, or a (connect, read) tuple whose read timeout is `None`."""
    if is_none(value):
        return True
    if isinstance(value, cst.Tuple) and len(value.elements) >= 2:
        return is_none(value.elements[1].value)
    return False


def is_none(value: cst.BaseExpression) -> bool:
    return isinstance(value, cst.Name) and value.value == "None"


class TimeoutScan(Rule):
    """Base of the io-timeouts rules; not a rule itself (it has no code)."""

    checklist = "io-timeouts"
    severity = Severity.WARNING
    always_applicable = False
    prefilter_packages = PACKAGES
    options = OPTIONS
    # Which functions serve requests and which only run once (`reviewer.semantics.serving`).
    requires: ClassVar[tuple[type[Facts], ...]] = (EntryPointFacts,)
    kinds: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, context, options) -> None:  # noqa: ANN001
        super().__init__(context, options)
        scanner = context.shared.get(FACTS_KEY)
        if isinstance(scanner, TimeoutScan):
            self.scanner = scanner
            scanner.members.append(self)
            return
        self.scanner = self
        self.members: list[TimeoutScan] = [self]
        context.shared[FACTS_KEY] = self
        self.facts = TimeoutFacts()
        self._scopes: list[Frame | str] = []  # a frame per function, a qualified name per class
        self._class_bases: dict[str, list[str]] = {}
        self._class_attributes: dict[str, dict[str, Ref | None]] = {}
        self._globals: dict[str, Ref | None] = {}
        self._returns: dict[str, Ref | None] = {}  # what each function returns, as its code says
        self._annotated_returns: dict[str, Ref] = {}  # ... and as its annotation says
        self._candidates: list[Candidate] = []
        # Injections found in the module: (the object's reference, "partial" or an adapter reference).
        self._injections: list[tuple[Ref, Ref | str]] = []
        self._injecting_method: list[bool] = []  # per `request`/`send` override being walked
        self._main_guards = 0
        self._decorators = 0
        self._test_classes: set[str] = set()
        self._module_calls: dict[str, int] = {}  # module-level calls of the module's own functions
        # Functions that hand their `**kwargs` to a request and never mention a timeout, and the
        # timeout arguments of the module's calls of its own functions, by function.
        self._plain_wrappers: set[str] = set()
        self._calls_to: dict[str, list[str]] = {}
        self._bound_keys: dict[int, str] = {}  # a constructor call -> the key of the name it is bound to

    # The shared walk ----------------------------------------------------------------------

    def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], None]]:
        if self.scanner is not self or self.context.is_test_file:
            return {}
        return super().get_visitors()

    def walks_for(self) -> Sequence[Rule]:
        return self.scanner.members

    @property
    def frame(self) -> Frame | None:
        innermost = self._scopes[-1] if self._scopes else None
        return innermost if isinstance(innermost, Frame) else None

    def _qualname(self, name: str) -> str:
        parts = [scope.qualname.rpartition(".")[2] if isinstance(scope, Frame) else scope.rpartition(".")[2]
                 for scope in self._scopes]
        return ".".join(p for p in (self.context.module, *parts, name) if p)

    def _functions(self) -> tuple[str, ...]:
        return tuple(scope.qualname for scope in reversed(self._scopes) if isinstance(scope, Frame))

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        qualname = self._qualname(node.name.value)
        self._class_bases[qualname] = [name for base in node.bases if base.keyword is None
                                       and (name := self.qualify(base.value))]
        if any(base in TEST_CASES or base in self._test_classes for base in self._class_bases[qualname]):
            self._test_classes.add(qualname)  # test code by what it is, wherever it lives
        self._class_attributes.setdefault(qualname, {})
        self._scopes.append(qualname)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._scopes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        enclosing = self._scopes[-1] if self._scopes else None
        class_name = enclosing if isinstance(enclosing, str) else None
        qualname = self._qualname(node.name.value)
        params = [*node.params.posonly_params, *node.params.params, *node.params.kwonly_params]
        static = any(isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod"
                     for d in node.decorators)
        self_name = params[0].name.value if class_name and params and not static else None
        frame = Frame(qualname, class_name, self_name)
        if isinstance(node.params.star_kwarg, cst.Param):
            frame.star_kwarg = node.params.star_kwarg.name.value
        for param in params:
            if param.name.value == self_name:
                continue
            kind = self._annotated(param.annotation.annotation) if param.annotation is not None else None
            frame.locals[param.name.value] = ("param", kind, f"{qualname}::{param.name.value}") if kind else None
        if node.returns is not None:
            kind = self._annotated(node.returns.annotation)
            if kind is not None:
                self._annotated_returns[qualname] = ("param", kind, f"{qualname}()")
        self._injecting_method.append(class_name is not None and node.name.value in INJECTING_METHODS)
        self._scopes.append(frame)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        frame = self._scopes.pop()
        assert isinstance(frame, Frame)
        code = self.context.tree.code_for_node
        if self._injecting_method.pop() and frame.class_name and _handles_timeout(code(original_node.body)):
            self.facts.injecting.add(frame.class_name)
        if frame.forwards and not _handles_timeout(code(original_node)):
            self._plain_wrappers.add(frame.qualname)

    def visit_Decorator(self, node: cst.Decorator) -> None:
        self._decorators += 1  # `@router.get("/")` makes no request

    def leave_Decorator(self, original_node: cst.Decorator) -> None:
        self._decorators -= 1

    def visit_If(self, node: cst.If) -> None:
        if not self._scopes and is_main_guard(node):
            self._main_guards += 1
            self.facts.program = True

    def leave_If(self, original_node: cst.If) -> None:
        if not self._scopes and is_main_guard(original_node):
            self._main_guards -= 1

    # Bindings -----------------------------------------------------------------------------

    def _annotated(self, annotation: cst.BaseExpression) -> str | None:
        """The client type an annotation names: `requests.Session`, `Session | None`,
        `Optional[httpx.AsyncClient]`, a forward reference."""
        if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
            return self._annotated(annotation.left) or self._annotated(annotation.right)
        if isinstance(annotation, cst.Subscript) and annotation.slice:
            element = annotation.slice[0].slice
            return self._annotated(element.value) if isinstance(element, cst.Index) else None
        if isinstance(annotation, cst.SimpleString):
            text = annotation.evaluated_value
            if isinstance(text, str) and text.replace(".", "").isidentifier():
                try:
                    return self._annotated(cst.parse_expression(text))
                except Exception:  # noqa: BLE001 - a forward reference that is not a name
                    return None
            return None
        if isinstance(annotation, (cst.Name, cst.Attribute)):
            qualified = self.qualify(annotation)
            return ANNOTATIONS.get(qualified) if qualified else None
        return None

    def _ref(self, node: cst.BaseExpression) -> Ref | None:
        """What object an expression is, as far as it can be told now (names are resolved later)."""
        if isinstance(node, cst.Call):
            qualified = self.qualify(node.func)
            if qualified in CONSTRUCTORS:
                return ("new", CONSTRUCTORS[qualified], None)
            return ("call", qualified, None) if qualified and not _is_library(qualified) else None
        frames = [scope for scope in reversed(self._scopes) if isinstance(scope, Frame)]
        if isinstance(node, cst.Name):
            for frame in frames:
                if node.value in frame.locals:
                    return frame.locals[node.value]
            method = next((frame for frame in frames if frame.class_name), None)
            if method is not None and node.value == method.self_name:
                return ("class", method.class_name, method.class_name)
            return ("global", node.value)
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name):
            method = next((frame for frame in frames if frame.class_name), None)
            if method is not None and node.value.value in (method.self_name, "cls"):
                return ("attr", method.class_name, node.attr.value)
        return None

    def _bind(self, target: cst.BaseExpression, ref: Ref | str | None, value: cst.BaseExpression | None = None) -> None:
        """Bind a name (or `self.name`) to what it is now; the object made by `value` is known
        by the name's key from then on."""
        frame = self.frame
        bound: Ref | None = None
        if isinstance(target, cst.Name):
            name = target.value
            if frame is not None:
                bound = frame.locals[name] = _keyed(ref, f"{frame.qualname}::{name}")
            elif self._scopes:  # a class body: an attribute of every instance
                cls = self._scopes[-1]
                bound = self._class_attributes[cls][name] = _keyed(ref, f"{cls}.{name}")
            else:
                bound = self._globals[name] = _keyed(ref, f"{self.context.module}.{name}")
        elif (isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name) and frame is not None
              and frame.class_name and target.value.value == frame.self_name):
            attribute = target.attr.value
            if attribute in INJECTING_METHODS and ref == "partial":
                self._injections.append((("class", frame.class_name, frame.class_name), "partial"))
                return
            attributes = self._class_attributes.setdefault(frame.class_name, {})
            if ref is not None or attributes.get(attribute) is None:
                bound = attributes[attribute] = _keyed(ref, f"{frame.class_name}.{attribute}")
        elif isinstance(target, cst.Attribute) and target.attr.value in INJECTING_METHODS and ref == "partial":
            owner = self._ref(target.value)
            if owner is not None:
                self._injections.append((owner, "partial"))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind(element.value, None)
        if value is not None and bound is not None and bound[0] in KEYED and bound[2] is not None:
            self._bound_keys[id(value)] = bound[2]

    def _value(self, node: cst.BaseExpression) -> Ref | str | None:
        """A reference for an assigned value; "partial" for `partial(x.request, timeout=...)`."""
        if (isinstance(node, cst.Call) and self.qualify(node.func) in PARTIAL
                and keyword(node, "timeout") is not None):
            return "partial"
        return self._ref(node)

    def visit_Assign(self, node: cst.Assign) -> None:
        value = self._value(node.value)
        for target in node.targets:
            self._bind(target.target, value, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        ref = self._value(node.value) if node.value is not None else None
        if ref is None:
            kind = self._annotated(node.annotation.annotation)
            if kind is not None:
                ref = ("param", kind, None)
        self._bind(node.target, ref, node.value)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._bind(node.asname.name, self._ref(node.item), node.item)

    def visit_Return(self, node: cst.Return) -> None:
        frame = self.frame
        if frame is not None and node.value is not None and frame.qualname not in self._returns:
            ref = self._ref(node.value)
            if ref is not None:
                self._returns[frame.qualname] = ref

    # Calls --------------------------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> None:
        qualified = self.qualify(node.func)
        if qualified == SET_SOCKET_DEFAULT:
            if node.args and not is_none(node.args[0].value):
                self.facts.sets_socket_default = True
            return
        functions = self._functions()
        one_shot = self._main_guards > 0
        own = self._own_function(node.func, qualified)
        if own is not None:
            self._calls_to.setdefault(own, []).append(timeout_status(node, None))
            if not self._scopes:
                self._module_calls[own] = self._module_calls.get(own, 0) + 1
                self.facts.program = True
        if self._test_classes and any(scope in self._test_classes for scope in self._scopes if isinstance(scope, str)):
            return
        if qualified in REQUESTS_FUNCTIONS:
            self._call(node, qualified, timeout_status(node, None), functions, one_shot, fix=True)
        elif qualified in HTTPX_FUNCTIONS or qualified in AIOHTTP_FUNCTIONS:
            # A default applies; one call's `timeout=None` opts out on purpose (see RVW412).
            self.mark_applicable()
        elif qualified in URLLIB_FUNCTIONS:
            position = URLLIB_FUNCTIONS[qualified]
            status = timeout_status(node, position) if position is not None else ABSENT
            self._call(node, qualified, status, functions, one_shot, fix=position is not None, socket_default=True)
        elif qualified in CONNECTIONS:
            self._connection(node, qualified, one_shot, functions)
        elif qualified in CONSTRUCTORS:
            self._client(node, qualified, one_shot, functions)
        elif qualified in HTTPX_TIMEOUTS:
            self._httpx_timeout(node, qualified, one_shot, functions)
        elif qualified in AIOHTTP_TIMEOUTS:
            self._aiohttp_timeout(node, qualified, one_shot, functions)
        elif isinstance(node.func, cst.Attribute) and not self._decorators:
            self._method(node, functions, one_shot)

    def _own_function(self, func: cst.BaseExpression, qualified: str | None) -> str | None:
        """The function of this module a call calls: `helper(...)` or `self.helper(...)`."""
        if qualified is not None:
            return qualified if qualified.startswith(f"{self.context.module}.") else None
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            method = next((s for s in reversed(self._scopes) if isinstance(s, Frame) and s.class_name), None)
            if method is not None and func.value.value in (method.self_name, "cls"):
                return f"{method.class_name}.{func.attr.value}"
        return None

    def _forwarded(self, node: cst.Call) -> str | None:
        """The function whose own `**kwargs` (and no `timeout=`) a call is handed: a wrapper whose
        callers decide the timeout."""
        frame = self.frame
        if frame is None or frame.star_kwarg is None or keyword(node, "timeout") is not None:
            return None
        stars = [arg for arg in node.args if arg.star == "**"]
        if len(stars) == 1 and isinstance(stars[0].value, cst.Name) and stars[0].value.value == frame.star_kwarg:
            frame.forwards = True
            return frame.qualname
        return None

    def _add(self, candidate: Candidate) -> None:
        self.mark_applicable()
        self._candidates.append(candidate)

    def _call(self, node: cst.Call, api: str, status: str, functions: tuple[str, ...], one_shot: bool, *,
              fix: bool = False, socket_default: bool = False) -> None:
        """A request made by a module function: `requests.get`, `urlopen`, `httpx.get`."""
        self.mark_applicable()
        if one_shot or not functions:
            return  # run once, where the module is run or imported
        statement = self.context.current_statement()
        if status == ABSENT:
            self._add(Candidate(MISSING, node, statement, _missing_message(api, socket_default), functions,
                                socket_default=socket_default, fix=fix))
        elif status == UNKNOWN and (wrapper := self._forwarded(node)) is not None:
            self._add(Candidate(MISSING, node, statement, f"`{api}`", functions, socket_default=socket_default,
                                wrapper=wrapper))
        elif status == OFF:
            self._add(Candidate(DISABLED, node, statement, _disabled_message(api), functions))

    def _connection(self, node: cst.Call, api: str, one_shot: bool, functions: tuple[str, ...]) -> None:
        self.mark_applicable()
        if one_shot:
            return
        status = timeout_status(node, CONNECTIONS[api])
        statement = self.context.current_statement()
        if status == ABSENT:
            message = (f"`{api}(...)` is made without a timeout and the project sets no socket default: "
                       f"connecting and every later command wait forever on a server that stops answering; "
                       f"pass `timeout=`")
            self._add(Candidate(CONNECTION, node, statement, message, functions, socket_default=True,
                                fix=not node.rpar))
        elif status == OFF:
            self._add(Candidate(DISABLED, node, statement, _disabled_message(api), functions))

    def _client(self, node: cst.Call, api: str, one_shot: bool, functions: tuple[str, ...]) -> None:
        """`httpx.Client(timeout=None)`: the client's every request waits forever."""
        self.mark_applicable()
        if one_shot or CONSTRUCTORS[api] != HTTPX_CLIENT:
            return
        if timeout_status(node, None) == OFF:
            message = (f"`{api}(timeout=None)` turns off httpx's default 5 s timeout for every request of this "
                       f"client: each waits forever on a server that stops answering; pass a `timeout=` "
                       f"(an `httpx.Timeout` may bound connect and read separately)")
            self._add(Candidate(DISABLED, node, self.context.current_statement(), message, functions,
                                client=self._bound_keys.get(id(node))))

    def _httpx_timeout(self, node: cst.Call, api: str, one_shot: bool, functions: tuple[str, ...]) -> None:
        """`httpx.Timeout(None)`, `Timeout(None, connect=5)`: no read timeout."""
        if one_shot:
            return
        read = keyword(node, "read")
        default = keyword(node, "timeout") or next((arg for arg in node.args if arg.keyword is None), None)
        value = read.value if read is not None else default.value if default is not None else None
        if value is not None and disables(value) and not any(arg.star for arg in node.args):
            message = (f"`{api}(...)` sets no read timeout: a request waits forever for a server that stops "
                       f"sending; give `read=` (or a default) a number of seconds")
            self._add(Candidate(DISABLED, node, self.context.current_statement(), message, functions))

    def _aiohttp_timeout(self, node: cst.Call, api: str, one_shot: bool, functions: tuple[str, ...]) -> None:
        """`aiohttp.ClientTimeout(total=None)` or `ClientTimeout(connect=5)`: neither a total nor a
        read bound (aiohttp 3 defaults every field to None)."""
        if one_shot or any(arg.star for arg in node.args):
            return
        plain = [arg for arg in node.args if arg.keyword is None]
        total = keyword(node, "total") or (plain[0] if plain else None)
        read = keyword(node, "sock_read") or (plain[2] if len(plain) > 2 else None)
        if all(arg is None or is_none(arg.value) for arg in (total, read)):
            message = (f"`{api}(...)` bounds neither `total` nor `sock_read` (aiohttp 3 leaves them None "
                       f"when not given): requests with it wait forever on a server that stops answering; set "
                       f"`total=` or `sock_read=`")
            self._add(Candidate(DISABLED, node, self.context.current_statement(), message, functions))

    def _method(self, node: cst.Call, functions: tuple[str, ...], one_shot: bool) -> None:
        func = node.func
        assert isinstance(func, cst.Attribute)
        method = func.attr.value
        if method == "mount" and len(node.args) >= 2:
            owner = self._ref(func.value)
            adapter = self._ref(node.args[1].value)
            if owner is not None and adapter is not None:
                self._injections.append((owner, adapter))
            return
        if not functions or one_shot or not any(method in methods for methods in REQUEST_METHODS.values()):
            return
        receiver = self._ref(func.value)
        if receiver is None:
            return
        statement = self.context.current_statement()
        text = self.context.tree.code_for_node(func)
        self._candidates.append(Candidate("", node, statement, text, functions, receiver=receiver,
                                          wrapper=self._forwarded(node)))

    # Deciding, when the module ends ---------------------------------------------------------

    def _resolve(self, ref: Ref | str | None, depth: int = 0) -> Ref | None:
        """A reference with its names looked up: ("new"|"param"|"class", type, key) or None."""
        if not isinstance(ref, tuple) or depth > MAX_RESOLUTION_DEPTH:
            return None
        if ref[0] in ("new", "param", "class"):
            return ref
        if ref[0] == "global":
            return self._resolve(self._globals.get(ref[1]), depth + 1)
        if ref[0] == "call":  # a function of this module returns it, or a class is instantiated
            returned = self._returns.get(ref[1]) or self._annotated_returns.get(ref[1])
            if returned is not None:
                return self._resolve(returned, depth + 1)
            return ("class", ref[1], ref[2])
        if ref[0] == "attr":
            for cls in self._lineage(ref[1]):
                found = self._class_attributes.get(cls, {}).get(ref[2])
                if found is not None:
                    return self._resolve(found, depth + 1)
        return None

    def _lineage(self, cls: str) -> list[str]:
        """A class of this module and its bases defined here, nearest first."""
        order, pending = [], [cls]
        while pending and len(order) <= MAX_RESOLUTION_DEPTH:
            current = pending.pop(0)
            if current not in order:
                order.append(current)
                pending.extend(base for base in self._class_bases.get(current, ()) if base in self._class_bases)
        return order

    def leave_Module(self, original_node: cst.Module) -> None:
        if self.context.is_test_file:
            return
        partials: set[str] = set()
        adapters: dict[str, list[str]] = {}
        for owner, injected in self._injections:
            target = self._resolve(owner)
            if target is None or target[2] is None:
                continue
            if injected == "partial":
                partials.add(target[2])
                self.facts.partial_injection = True
                if target[0] == "class" and target[2] == target[1]:
                    self.facts.injecting.add(target[1])
                continue
            adapter = self._resolve(injected)
            if adapter is not None and adapter[0] == "class":
                if target[0] == "class" and target[2] == target[1]:  # `self.mount(...)` in the class
                    self.facts.class_adapters.setdefault(target[1], []).append(adapter[1])
                adapters.setdefault(target[2], []).append(adapter[1])
        uses = self._uses()
        for candidate in self._candidates:
            if candidate.client is not None and _streams_only(uses.get(candidate.client, ())):
                continue  # made for a stream (a proxy, a long poll): unbounded on purpose
            if candidate.receiver is None and candidate.wrapper is not None:
                message = self._wrapper_message(candidate.wrapper, str(candidate.message))
                if message is not None:
                    candidate.message = message
                    self._dispatch(candidate, Site(candidate.functions, candidate.socket_default))
            elif candidate.receiver is None:
                self._dispatch(candidate, Site(candidate.functions, candidate.socket_default))
            else:
                self._method_candidate(candidate, partials, adapters)
        for function in {*self._returns, *self._annotated_returns}:
            target = self._resolve(("call", function, None))
            if target is not None and (target[0] == "class" or target[1] == REQUESTS_SESSION):
                made = target[1] if target[0] == "class" else None
                self.facts.factories[function] = (made, tuple(adapters.get(target[2], ())), target[2] in partials)
        self._unreferenced()
        if (self.facts.sites or self.facts.injecting or self.facts.sets_socket_default or self.facts.class_adapters
                or self.facts.factories):
            self.context.summary.extras[FACTS_KEY] = self.facts

    def _unreferenced(self) -> None:
        """The functions with findings that the module names only where it defines them and in
        its module-level calls: nothing else in the module refers to them."""
        if not self.facts.program:
            return
        for site in self.facts.sites.values():
            if not site.functions or site.functions[0] in self.facts.unreferenced:
                continue
            function = site.functions[0]
            owner, _, name = function.rpartition(".")
            expected = 1 + (self._module_calls.get(function, 0) if owner == self.context.module else 0)
            if owner == self.context.module or owner in self._class_bases:
                if len(re.findall(rf"\b{re.escape(name)}\b", self.context.source)) == expected:
                    self.facts.unreferenced.add(function)

    def _uses(self) -> dict[str, list[cst.Call]]:
        """The calls made on each object known by a key."""
        uses: dict[str, list[cst.Call]] = {}
        for candidate in self._candidates:
            target = self._resolve(candidate.receiver) if candidate.receiver is not None else None
            if target is not None and target[2] is not None:
                uses.setdefault(target[2], []).append(candidate.node)
        return uses

    def _method_candidate(self, candidate: Candidate, partials: set[str], adapters: dict[str, list[str]]) -> None:
        target = self._resolve(candidate.receiver)
        if target is None:
            return
        origin, kind, key = target
        node, text = candidate.node, candidate.message
        assert isinstance(node.func, cst.Attribute) and isinstance(text, str)
        method = node.func.attr.value
        session_class = kind if origin == "class" else None
        methods = REQUEST_METHODS.get(REQUESTS_SESSION if session_class else kind)
        if methods is None or method not in methods:
            return
        if session_class is None:
            self.mark_applicable()
        status = timeout_status(node, methods[method])
        if session_class is None:
            label = "a `requests.Session`"
        elif session_class in self._class_bases:
            label = f"a `{session_class.rpartition('.')[2]}`"
        else:
            label = f"made by `{session_class}`"
        if kind == REQUESTS_SESSION or session_class:
            site = Site(candidate.functions, session_class=session_class, adapters=tuple(adapters.get(key, ())),
                        origin_unknown=origin == "param")
            if status == ABSENT and key not in partials:
                message = (f"`{text}` ({label}) has no timeout: a Session has no default timeout, so the call "
                           f"waits forever on a server that stops answering; pass `timeout=`, or mount an adapter "
                           f"that sets one")
                self._dispatch(Candidate(MISSING, node, candidate.statement, message, candidate.functions, fix=True),
                               site)
            elif status == UNKNOWN and candidate.wrapper is not None and key not in partials:
                message = self._wrapper_message(candidate.wrapper, f"`{text}` ({label})")
                if message is not None:
                    self._dispatch(Candidate(MISSING, node, candidate.statement, message, candidate.functions), site)
            elif status == OFF:
                self._dispatch(Candidate(DISABLED, node, candidate.statement, _disabled_message(text, label),
                                         candidate.functions), Site(candidate.functions, session_class=session_class))
        elif kind == URLLIB_OPENER:
            if status == ABSENT:
                message = (f"`{text}` (a urllib opener) has no timeout and the project sets no socket default: it "
                           f"waits forever on a server that stops answering; pass `timeout=`")
                self._dispatch(Candidate(MISSING, node, candidate.statement, message, candidate.functions,
                                         socket_default=True, fix=True), Site(candidate.functions, True))
            elif status == OFF:
                self._dispatch(Candidate(DISABLED, node, candidate.statement, _disabled_message(text),
                                         candidate.functions), Site(candidate.functions))

    def _wrapper_message(self, wrapper: str, request: str) -> str | None:
        """The message for a request a wrapper makes with its callers' `**kwargs`, when it never
        mentions a timeout and some of its calls in this module pass none; else None."""
        if wrapper not in self._plain_wrappers:
            return None
        calls = self._calls_to.get(wrapper, [])
        without = sum(status in (ABSENT, OFF) for status in calls)
        if not without:
            return None
        name = wrapper.rpartition(".")[2]
        callers = ("its one call in this module passes none" if len(calls) == 1
                   else f"{without} of its {len(calls)} calls in this module pass none")
        return (f"{request} gets no timeout: `{name}` hands it only its callers' `**kwargs`, and {callers}, so "
                f"they wait forever on a server that stops answering; give it a default "
                f"(`kwargs.setdefault(\"timeout\", ...)`)")

    def _dispatch(self, candidate: Candidate, site: Site) -> None:
        """Report a candidate through the rules of this walk that own its kind."""
        message = candidate.message
        assert isinstance(message, str)
        for member in self.members:
            if member.crash is not None or candidate.kind not in member.kinds:
                continue
            try:
                fix = member.timeout_fix(candidate.node, candidate.statement) if candidate.fix else None
                member.report(candidate.node, message, statement=candidate.statement, fix=fix)
                span = member.findings[-1].span
                self.facts.sites[(member.code, span.line, span.column)] = site
            except RecursionError:
                raise
            except Exception as error:  # noqa: BLE001 - any rule bug becomes a reported error
                member.crash = RuleCrash(member, error)

    def timeout_fix(self, node: cst.Call, statement: cst.CSTNode | None) -> Fix | None:
        """`timeout=<default-timeout>` added as the call's last argument."""
        if keyword(node, "timeout") is not None or any(arg.star for arg in node.args):
            return None
        seconds = self.config.get("default-timeout", OPTIONS["default-timeout"])
        if node.args:
            end = self.context.span(node.args[-1].value, statement)
            where, text = Span(end.end_line, end.end_column, end.end_line, end.end_column), f", timeout={seconds}"
        else:
            call = self.context.span(node, statement)
            if node.rpar:
                return None
            where = Span(call.end_line, call.end_column - 1, call.end_line, call.end_column - 1)
            text = f"timeout={seconds}"
        return Fix(description=f"add timeout={seconds}", edits=(Edit(where, text),), safe=False)

    # The repository pass --------------------------------------------------------------------

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        from rules.io_timeouts._repository import TimeoutModel

        model = TimeoutModel.of(repo)
        for finding in repo.file_findings:
            if not model.keeps(finding):
                repo.withdraw(finding)


def _keyed(ref: Ref | str | None, key: str) -> Ref | None:
    """A new object bound to a name is known by that name (for what is injected into it)."""
    if not isinstance(ref, tuple):
        return None
    if ref[0] in KEYED and ref[2] is None:
        return (ref[0], ref[1], key)
    return ref


def _streams_only(calls: Sequence[cst.Call]) -> bool:
    """Whether a client's requests are all streamed (`client.stream(...)`,
    `client.send(request, stream=True)`); building a request makes none."""
    requests = [call for call in calls if isinstance(call.func, cst.Attribute)
                and call.func.attr.value != "build_request"]
    return bool(requests) and all(
        call.func.attr.value == "stream"
        or (call.func.attr.value == "send" and (found := keyword(call, "stream")) is not None
            and isinstance(found.value, cst.Name) and found.value.value == "True")
        for call in requests)


def _is_library(qualified: str) -> bool:
    """A name of the standard library or of builtins: what calling it returns is no session."""
    return qualified.partition(".")[0] in STANDARD_LIBRARY or qualified.partition(".")[0] in (
        "requests", "httpx", "aiohttp")


def _handles_timeout(code: str) -> bool:
    """Whether an override's or a wrapper's code reads or sets a timeout
    (`kwargs.setdefault("timeout", ...)`, `timeout=timeout or self.timeout`)."""
    return "timeout" in code.lower()


def _missing_message(api: str, socket_default: bool) -> str:
    if api == "urllib.request.urlretrieve":
        return (f"`{api}` cannot take a timeout and the project sets no socket default: it waits forever on a "
                f"server that stops answering; use `urlopen(url, timeout=...)` and write the body yourself")
    if socket_default:
        return (f"`{api}` has no timeout and the project sets no socket default: it waits forever on a server "
                f"that stops answering; pass `timeout=`")
    return (f"`{api}` has no timeout: requests has no default timeout, so the call waits forever on a server "
            f"that stops answering; pass `timeout=`")


def _disabled_message(api: str, label: str | None = None) -> str:
    on = f"`{api}` ({label})" if label else f"`{api}`"
    return (f"{on} passes `timeout=None`, which turns the timeout off: the call waits forever on a server "
            f"that stops answering; pass a number of seconds")
