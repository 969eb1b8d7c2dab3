"""The walk the async-io rules share: what each function body calls, on which objects, where.

`BlockingScan` keeps a stack of functions (a nested `def` is its own function, never part of the
coroutine around it), the types of locals it can tell (`db: Session = Depends(get_db)`,
`with Session(engine) as session`, `client = httpx.Client()`), which calls are awaited, which run
inside a lambda, and which are evaluated as arguments of an offloading call
(`asyncio.to_thread(f, ...)`). Each call becomes a `Use`; a rule decides which uses it reports.

What one file cannot tell (a session factory imported from another module, a helper's return
type) is kept as a deferred reference and recorded in the module summary's extras; the rule's
`check_repo` resolves it over all modules with `RepoTypes`.

The four rules share one walk per file: the first of them created for a file scans it, the others
register with it through `FileContext.shared` and take no part in the walk. The scanner records
each function's facts once, under `facts_key(options)` in the summary's extras, and lets every
registered rule decide its own findings (`on_blocking`, `keep`, `finish_function`). Rules whose
blocking-API options differ see different types, so they get a scan of their own.

References (`Ref`) are plain tuples, so that summaries stay picklable and small:
`("type", name)` a known type; `("call", q)` the result of calling the repo name `q`;
`("value", q)` the repo name `q` itself (a module-level binding or a class);
`("member", ref, name)` a method's result or an attribute of `ref`; `("called", ref)` the result of
calling an object of type `ref`; `("class", q)` an instance of the repo class `q`;
`("mapping", ref)` a dict whose values are `ref`; `("item", ref)` a value taken out of `ref`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reviewer import lazy_cst as cst
from reviewer.model import Fix, Span
from reviewer.rule import RepoContext, Rule, RuleCrash
from reviewer.semantics.blocking import (
    ANNOTATED,
    ASYNC_SESSION_CLASSES,
    CONTAINERS,
    DATABASE,
    DEPENDS,
    FILE,
    MAPPINGS,
    MEMOIZING_DECORATORS,
    NETWORK,
    OFFLOADERS,
    OFFLOADING_DECORATORS,
    OFFLOADING_METHODS,
    PROCESS,
    SESSION,
    SESSION_FACTORY,
    SLEEP,
    SYNC_SESSION,
    Blocking,
    BlockingTable,
)
from reviewer.semantics.calls import ModuleIndex
from reviewer.semantics.names import dotted_name
from reviewer.summary import ModuleSummary
from reviewer.syntax import keyword
from reviewer.traversal import Visitor, visit

Ref = tuple[Any, ...]

# The options every async-io rule takes: names of the project's own that extend the blocking
# table (`reviewer.semantics.blocking.BlockingTable`).
OPTIONS: dict[str, Any] = {
    "blocking-calls": [],
    "blocking-clients": [],
    "session-dependencies": [],
}

ADVICE = {
    NETWORK: "use an async client (httpx.AsyncClient, aiohttp, redis.asyncio, aioboto3) or offload it "
             "with `await run_in_threadpool(...)`",
    FILE: "use aiofiles or offload it with `await asyncio.to_thread(...)`",
    SLEEP: "use `await asyncio.sleep(...)`",
    PROCESS: "use `asyncio.create_subprocess_exec` or offload it with `await asyncio.to_thread(...)`",
    DATABASE: "use an async driver (asyncpg, aiosqlite) or offload it with `await asyncio.to_thread(...)`",
    SESSION: "use an AsyncSession, or make the function a sync `def` so FastAPI runs it in a threadpool",
}

FACTS_KEY = "async-io"

MAX_RESOLUTION_DEPTH = 8
_ROUTE_METHODS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "api_route", "route",
                            "websocket", "trace"})
# Call targets in these packages are never functions of the scanned repository.
_EXTERNAL_ROOTS = frozenset(sys.stdlib_module_names) | {
    "builtins", "fastapi", "starlette", "pydantic", "pydantic_settings", "sqlalchemy", "sqlmodel", "alembic",
    "requests", "httpx", "aiohttp", "redis", "boto3", "botocore", "stripe", "structlog", "pytest", "celery",
    "anyio", "uvicorn", "jwt", "jose", "passlib", "pandas", "numpy",
}


@dataclass(slots=True)
class Use:
    """One call in a function body, as far as the walk could tell what it calls."""

    callee: str | None  # a plain call's qualified target: `requests.get`, `app.services.build`
    receiver: Ref | None = None  # for a method call on an object of known or deferred type
    method: str | None = None
    obj: str | None = None  # the object's name in the function, for one finding per object
    text: str = ""  # the callee as written
    span: Span | None = None
    statement_lines: tuple[int, int] | None = None
    offloader: str | None = None  # set when evaluated as an argument of this offloading call

    def __reduce__(self) -> tuple[type[Use], tuple[Any, ...]]:
        # Summaries hold thousands of uses: pickle them as plain tuples, without field names.
        return Use, (self.callee, self.receiver, self.method, self.obj, self.text, self.span,
                     self.statement_lines, self.offloader)


@dataclass(slots=True)
class FunctionFacts:
    qualname: str
    name: str
    is_async: bool
    label: str  # `async route`, `middleware`, `coroutine`, `function`
    # A sync function whose decorator runs it in a thread, or runs its body once (`lru_cache`):
    # calling it does not block the loop on every call.
    exempt: bool = False
    returns: Ref | None = None
    evidence: str | None = None  # the first blocking API this function calls itself
    uses: list[Use] = field(default_factory=list)
    # Objects already reported in the per-file pass, by rule code, and objects whose methods are
    # awaited (async).
    reported: dict[str, set[str]] = field(default_factory=dict)
    async_objects: set[str] = field(default_factory=set)


@dataclass(slots=True)
class ModuleFacts:
    functions: dict[str, FunctionFacts] = field(default_factory=dict)
    bindings: dict[str, Ref] = field(default_factory=dict)  # module-level name -> type
    classes: set[str] = field(default_factory=set)  # local qualified class names
    bases: dict[str, list[str]] = field(default_factory=dict)  # class -> qualified base classes
    attributes: dict[str, dict[str, Ref]] = field(default_factory=dict)  # class -> `self.x` -> type


@dataclass
class Frame:
    facts: FunctionFacts
    class_name: str | None  # the qualified class of a method
    self_name: str | None  # the first parameter of a method
    locals: dict[str, Ref | None] = field(default_factory=dict)
    functions: dict[str, str] = field(default_factory=dict)  # nested defs: name -> qualname
    lambdas: int = 0
    # Decorators and parameter defaults run where the function is defined, not when it is called.
    body: cst.CSTNode | None = None
    in_body: bool = False
    globals: set[str] = field(default_factory=set)
    # Depth of `if <global> is None:` blocks: lazy one-time initialisation, not per-call I/O.
    lazy_init: int = 0
    # Findings a rule holds back until the function ends, by rule code.
    pending: dict[str, list[tuple[cst.CSTNode, cst.CSTNode | None, str, Use, Blocking]]] = field(
        default_factory=dict)


def facts_key(options: Mapping[str, Any]) -> str:
    """The summary extras key of the facts a scan with these options records. The options that
    change what a scan sees (extra blocking APIs, session dependencies) are part of the key."""
    extended = {name: sorted(set(options.get(name, ()))) for name in OPTIONS if options.get(name)}
    return f"{FACTS_KEY}:{json.dumps(extended, sort_keys=True)}" if extended else FACTS_KEY


def is_external(qualified: str) -> bool:
    return qualified.split(".", 1)[0] in _EXTERNAL_ROOTS


def _innermost_name(ref: Ref) -> str | None:
    """The repo name a deferred reference hangs on."""
    while ref and ref[0] in ("member", "called", "item", "mapping"):
        ref = ref[1]
    return ref[1] if ref and ref[0] in ("call", "value", "class") else None


def is_deferred(ref: Ref | None) -> bool:
    if ref is None or ref[0] == "type":
        return False
    name = _innermost_name(ref)
    return name is not None and not is_external(name)


class BlockingScan(Rule):
    """Base of the async-io rules; not a rule itself (it has no code)."""

    checklist = "async-io"
    always_applicable = False

    def __init__(self, context, options) -> None:  # noqa: ANN001
        super().__init__(context, options)
        key = facts_key(options)
        scanner = context.shared.get(key)
        if isinstance(scanner, BlockingScan):
            self.scanner = scanner
            self.table = scanner.table
            self.facts = scanner.facts
            scanner.members.append(self)
            return
        self.scanner = self
        self.members: list[BlockingScan] = [self]  # the rules this scan decides for, itself first
        self.table = BlockingTable(options)
        self.facts = ModuleFacts()
        context.summary.extras[key] = self.facts
        context.shared[key] = self
        self._scopes: list[Frame | str] = []  # a frame per function, a qualified name per class
        self._class_attributes = self.facts.attributes
        self._awaited: set[int] = set()
        self._async_with: set[int] = set()
        self._offload_arguments: dict[int, str] = {}
        self._offloading: list[str] = []
        self._bound_to: dict[int, str] = {}
        self._lazy_ifs: set[int] = set()

    # What a rule decides -------------------------------------------------------------------

    def on_blocking(self, node: cst.Call, use: Use, frame: Frame, blocking: Blocking) -> None:
        """Called for every call in a function body (not in a lambda) that this file alone shows
        to block. Not called in test files."""

    def keep(self, use: Use, frame: Frame) -> bool:
        """Whether this rule's repository pass needs a call that does not block by itself; may
        fill in what the rule reads there. Not called in test files."""
        return False

    def finish_function(self, frame: Frame) -> None:
        """Called when a function's body has been walked."""

    # The shared walk ----------------------------------------------------------------------

    def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], None]]:
        """The scanner walks for every rule registered with it; they walk nothing themselves."""
        return super().get_visitors() if self.scanner is self else {}

    def walks_for(self) -> Sequence[Rule]:
        """A crash of the walk stops every rule that relies on it; a crash in one rule's own
        decisions (`_each`) stops that rule only."""
        return self.scanner.members

    def _each(self, decide: Callable[[BlockingScan], Any]) -> bool:
        """Runs one decision for every registered rule that has not crashed; whether any said yes."""
        said_yes = False
        for member in self.members:
            if member.crash is not None:
                continue
            try:
                said_yes = bool(decide(member)) or said_yes
            except RecursionError:
                raise
            except Exception as error:  # noqa: BLE001 - any rule bug becomes a reported error
                member.crash = RuleCrash(member, error)
        return said_yes

    def _use(self, node: cst.Call, use: Use, frame: Frame) -> None:
        if self.context.is_test_file:
            return
        blocking = self.classify(use, has_arguments=bool(node.args))
        if blocking is not None:
            self._each(lambda member: member.on_blocking(node, use, frame, blocking))
        elif self._each(lambda member: member.keep(use, frame)):
            if frame.facts.is_async:
                self.locate(use, node)
            frame.facts.uses.append(use)

    # Scopes -------------------------------------------------------------------------------

    @property
    def frame(self) -> Frame | None:
        """The function whose body is being walked; None at module level and in class bodies."""
        innermost = self._scopes[-1] if self._scopes else None
        return innermost if isinstance(innermost, Frame) else None

    def _frames(self) -> Iterator[Frame]:
        for scope in reversed(self._scopes):
            if isinstance(scope, Frame):
                yield scope

    def _qualname(self, name: str) -> str:
        parts = [s.facts.name if isinstance(s, Frame) else s.rsplit(".", 1)[-1] for s in self._scopes]
        return ".".join(p for p in (self.context.module, *parts, name) if p)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        qualname = self._qualname(node.name.value)
        self.facts.classes.add(qualname)
        bases = [self._qualify(base.value) for base in node.bases if base.keyword is None]
        bases = [base for base in bases if base and not is_external(base)]
        if bases:
            self.facts.bases[qualname] = bases
        self._class_attributes.setdefault(qualname, {})
        self._scopes.append(qualname)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._scopes.pop()

    def leave_Module(self, original_node: cst.Module) -> None:
        for cls in [cls for cls, attributes in self._class_attributes.items() if not attributes]:
            del self._class_attributes[cls]

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if node.asynchronous is not None and not self.context.is_test_file:
            self.mark_applicable()
        enclosing = self._scopes[-1] if self._scopes else None
        qualname = self._qualname(node.name.value)
        decorators = []
        for decorator in node.decorators:
            expression = decorator.decorator.func if isinstance(decorator.decorator, cst.Call) else decorator.decorator
            decorators.append(self.qualify(expression) or dotted_name(expression) or "")
        is_async = node.asynchronous is not None
        facts = FunctionFacts(
            qualname=qualname,
            name=node.name.value,
            is_async=is_async,
            label=self._label(node, decorators, is_async, enclosing),
            exempt=any(d in OFFLOADING_DECORATORS or d in MEMOIZING_DECORATORS for d in decorators),
        )
        class_name = enclosing if isinstance(enclosing, str) else None
        frame = Frame(facts, class_name, None, body=node.body)
        if isinstance(enclosing, Frame):
            enclosing.functions[node.name.value] = qualname
            enclosing.locals.pop(node.name.value, None)
        if node.returns is not None:
            facts.returns = self.annotation_type(node.returns.annotation)
        params = [*node.params.posonly_params, *node.params.params, *node.params.kwonly_params]
        for extra in (node.params.star_arg, node.params.star_kwarg):
            if isinstance(extra, cst.Param):
                params.append(extra)
        static = "staticmethod" in {d.rsplit(".", 1)[-1] for d in decorators}
        for index, param in enumerate(params):
            name = param.name.value
            if index == 0 and class_name is not None and not static:
                frame.self_name = name
                continue
            frame.locals[name] = self._parameter_type(param)
        self._scopes.append(frame)

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._enter_body(node)

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self._enter_body(node)

    def _enter_body(self, node: cst.BaseSuite) -> None:
        frame = self.frame
        if frame is not None and frame.body is node:
            frame.in_body = True

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        frame = self._scopes.pop()
        assert isinstance(frame, Frame)
        self._each(lambda member: member.finish_function(frame))
        if worth_keeping(frame.facts):
            self.facts.functions[frame.facts.qualname] = frame.facts

    @staticmethod
    def _label(node: cst.FunctionDef, decorators: list[str], is_async: bool, enclosing: Any) -> str:
        if not is_async:
            return "function"
        tails = {d.rsplit(".", 1)[-1] for d in decorators}
        if tails & _ROUTE_METHODS:
            return "async route"
        if "middleware" in tails or (isinstance(enclosing, str) and node.name.value == "dispatch"):
            return "middleware"
        if "exception_handler" in tails:
            return "exception handler"
        return "coroutine"

    def _parameter_type(self, param: cst.Param) -> Ref | None:
        found = None
        if param.annotation is not None:
            found = self.annotation_type(param.annotation.annotation)
            if found is not None and found[0] == "type":
                return found
        default = param.default
        if isinstance(default, cst.Call) and self.qualify(default.func) in DEPENDS and default.args:
            dependency = self.qualify(default.args[0].value)
            if dependency and self.table.is_session_dependency(dependency):
                return ("type", SYNC_SESSION)
            if found is None and dependency:
                return ("call", dependency)
        return found

    # Types --------------------------------------------------------------------------------

    def annotation_type(self, node: cst.BaseExpression) -> Ref | None:
        """The type an annotation names, known or deferred; None for anything else."""
        if isinstance(node, cst.SimpleString):
            return self._string_annotation(node)
        if isinstance(node, cst.Subscript):
            base = self.qualify(node.value)
            first = node.slice[0].slice if node.slice else None
            if base in MAPPINGS and len(node.slice) == 2 and isinstance(node.slice[1].slice, cst.Index):
                value = self.annotation_type(node.slice[1].slice.value)
                return ("mapping", value) if value is not None else None
            if base and not is_external(base) and base not in ANNOTATED and base not in CONTAINERS:
                return self.annotation_type(node.value)  # a generic class of the repository
            if (base in ANNOTATED or base in CONTAINERS) and isinstance(first, cst.Index):
                found = self.annotation_type(first.value)
                if found is None and base in ANNOTATED:
                    for element in node.slice[1:]:
                        value = element.slice.value if isinstance(element.slice, cst.Index) else None
                        if isinstance(value, cst.Call) and self.qualify(value.func) in DEPENDS and value.args:
                            dependency = self.qualify(value.args[0].value)
                            if dependency and self.table.is_session_dependency(dependency):
                                return ("type", SYNC_SESSION)
                            return ("call", dependency) if dependency else None
                return found
            return None
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
            left, right = self.annotation_type(node.left), self.annotation_type(node.right)
            return left or right
        if isinstance(node, (cst.Name, cst.Attribute)):
            qualified = self._qualify(node)
            if qualified is None:
                return None
            known = self.table.annotated(qualified)
            if known is not None:
                return ("type", known)
            return None if is_external(qualified) else ("value", qualified)
        return None

    def _string_annotation(self, node: cst.SimpleString) -> Ref | None:
        """A forward reference (`client: "S3Client"`), resolved like the name it spells."""
        value = node.evaluated_value
        if not isinstance(value, str) or not value.replace(".", "").replace("_", "").isalnum():
            return None
        try:
            return self.annotation_type(cst.parse_expression(value))
        except cst.ParserSyntaxError:
            return None

    def _qualify(self, node: cst.BaseExpression) -> str | None:
        """Qualified name through imports, unless the name is a local of an enclosing function."""
        head = node
        while isinstance(head, cst.Attribute):
            head = head.value
        if isinstance(head, cst.Name):
            for frame in self._frames():
                if head.value in frame.locals or head.value == frame.self_name:
                    return None
                if head.value in frame.functions:
                    rest = dotted_name(node)
                    return frame.functions[head.value] + (rest[len(head.value):] if rest else "")
        return self.qualify(node)

    def _local(self, name: str) -> tuple[bool, Ref | None]:
        for frame in self._frames():
            if name in frame.locals:
                return True, frame.locals[name]
        return False, None

    def _self_attribute(self, node: cst.Attribute) -> tuple[bool, Ref | None]:
        """`self.x` in a method: its type if this file tells, else deferred to the class (a
        property, an attribute set in a base class)."""
        frame = self.frame
        if (frame is not None and frame.self_name and frame.class_name and isinstance(node.value, cst.Name)
                and node.value.value == frame.self_name):
            known = self._class_attributes.get(frame.class_name, {}).get(node.attr.value)
            return True, known or ("member", ("class", frame.class_name), node.attr.value)
        return False, None

    def type_of(self, node: cst.BaseExpression) -> Ref | None:
        """The type of an expression's value, as far as this file tells."""
        if isinstance(node, cst.Name):
            is_local, found = self._local(node.value)
            if is_local:
                return found
            qualified = self._qualify(node)
            return ("value", qualified) if qualified and not is_external(qualified) else None
        if isinstance(node, cst.Attribute):
            is_self, found = self._self_attribute(node)
            if is_self:
                return found
            base = self._receiver_type(node.value)
            if base is not None:
                return self._member(base, node.attr.value)
            qualified = self._qualify(node)
            return ("value", qualified) if qualified and not is_external(qualified) else None
        if isinstance(node, cst.Call):
            return self._call_type(node)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Divide):
            left = self.type_of(node.left)
            return self._member(left, "__truediv__") if left is not None else None
        if isinstance(node, cst.Subscript):
            container = self.type_of(node.value)
            if container is None or container[0] == "type":
                return None
            return container[1] if container[0] == "mapping" else ("item", container)
        return None

    def _receiver_type(self, node: cst.BaseExpression) -> Ref | None:
        """The type of a method's receiver, when the receiver is a local, `self.x` or an expression
        (not a module or an imported name: those stay in the callee's qualified name)."""
        if isinstance(node, cst.Name):
            return self._local(node.value)[1]
        if isinstance(node, cst.Attribute):
            is_self, found = self._self_attribute(node)
            if is_self:
                return found
            base = self._receiver_type(node.value)
            return self._member(base, node.attr.value) if base is not None else None
        if isinstance(node, (cst.Call, cst.BinaryOperation, cst.Subscript)):
            return self.type_of(node)
        return None

    def _member(self, base: Ref, name: str) -> Ref | None:
        if base[0] == "type":
            returned = self.table.returned(base[1], name)
            return ("type", returned) if returned else None
        return ("member", base, name)

    def _call_type(self, node: cst.Call) -> Ref | None:
        func = node.func
        if isinstance(func, cst.Subscript):
            func = func.value  # `Repository[User](session)` makes a `Repository`
        if isinstance(func, cst.Attribute):
            receiver = self._receiver_type(func.value)
            if receiver is not None:
                return self._member(receiver, func.attr.value)
        elif isinstance(func, cst.Name):
            is_local, found = self._local(func.value)
            if is_local:
                if found is None:
                    return None
                if found[0] == "type":
                    made = self.table.call_returns(found[1])
                    return ("type", made) if made else None
                return ("called", found)
        qualified = self._qualify(func)
        if qualified is None:
            return None
        made = self.table.constructed(qualified)
        if made == SESSION_FACTORY:
            session_class = keyword(node, "class_")
            if session_class is not None and self.qualify(session_class.value) in ASYNC_SESSION_CLASSES:
                return None
        if made is not None:
            return ("type", made)
        return None if is_external(qualified) else ("call", qualified)

    # Bindings -----------------------------------------------------------------------------

    def _bind(self, target: cst.BaseExpression, ref: Ref | None, value: cst.BaseExpression | None) -> None:
        frame = self.frame
        if isinstance(target, cst.Name):
            if frame is not None:
                frame.locals[target.value] = ref
                if isinstance(value, cst.Call):
                    self._bound_to[id(value)] = target.value
            elif not self._scopes:
                if ref is not None:
                    self.facts.bindings[target.value] = ref
                else:
                    self.facts.bindings.pop(target.value, None)
            elif isinstance(self._scopes[-1], str) and ref is not None:
                self._class_attributes[self._scopes[-1]][target.value] = ref
        elif isinstance(target, cst.Attribute) and frame is not None and ref is not None:
            is_self, _ = self._self_attribute(target)
            if is_self and frame.class_name:
                self._class_attributes[frame.class_name][target.attr.value] = ref
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind(element.value, None, None)

    def _value_type(self, value: cst.BaseExpression) -> Ref | None:
        found = self.type_of(value)
        if found is None and not self._scopes and isinstance(value, cst.Subscript):
            return self.annotation_type(value)  # `SessionDep = Annotated[Session, Depends(get_db)]`
        return found

    def visit_Assign(self, node: cst.Assign) -> None:
        ref = self._value_type(node.value)
        for target in node.targets:
            self._bind(target.target, ref, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        ref = self.annotation_type(node.annotation.annotation)
        if node.value is not None and (ref is None or ref[0] != "type"):
            ref = self._value_type(node.value) or ref
        self._bind(node.target, ref, node.value)

    def visit_TypeAlias(self, node: cst.TypeAlias) -> None:
        self._bind(node.name, self.annotation_type(node.value), None)

    def visit_With(self, node: cst.With) -> None:
        for item in node.items:
            if node.asynchronous is not None:
                self._async_with.add(id(item.item))
            if item.asname is not None:
                ref = None if node.asynchronous is not None else self.type_of(item.item)
                self._bind(item.asname.name, ref, item.item)

    def visit_For(self, node: cst.For) -> None:
        self._bind(node.target, None, None)

    def visit_Return(self, node: cst.Return) -> None:
        frame = self.frame
        if frame is not None and node.value is not None and frame.facts.returns is None:
            frame.facts.returns = self.type_of(node.value)

    def visit_Yield(self, node: cst.Yield) -> None:
        frame = self.frame
        if frame is not None and isinstance(node.value, cst.BaseExpression) and frame.facts.returns is None:
            frame.facts.returns = self.type_of(node.value)

    def visit_Global(self, node: cst.Global) -> None:
        if self.frame is not None:
            self.frame.globals.update(item.name.value for item in node.names)

    def _is_lazy_init(self, node: cst.If) -> bool:
        frame = self.frame
        if frame is None or not frame.globals:
            return False
        names: set[str] = set()

        class _Names(Visitor):
            def visit_Name(self, name: cst.Name) -> None:
                names.add(name.value)

        visit(node.test, _Names())
        return bool(names & frame.globals)

    def visit_If(self, node: cst.If) -> None:
        if self._is_lazy_init(node):
            self.frame.lazy_init += 1
            self._lazy_ifs.add(id(node))

    def leave_If(self, original_node: cst.If) -> None:
        if id(original_node) in self._lazy_ifs:
            self.frame.lazy_init -= 1

    # Calls --------------------------------------------------------------------------------

    def visit_Await(self, node: cst.Await) -> None:
        self._awaited.add(id(node.expression))

    def visit_Lambda(self, node: cst.Lambda) -> None:
        if self.frame is not None:
            self.frame.lambdas += 1

    def leave_Lambda(self, original_node: cst.Lambda) -> None:
        if self.frame is not None:
            self.frame.lambdas -= 1

    def visit_Arg(self, node: cst.Arg) -> None:
        offloader = self._offload_arguments.get(id(node))
        if offloader is not None:
            self._offloading.append(offloader)

    def leave_Arg(self, original_node: cst.Arg) -> None:
        if id(original_node) in self._offload_arguments:
            self._offloading.pop()

    def _offloader(self, node: cst.Call) -> str | None:
        qualified = self._qualify(node.func)
        if qualified in OFFLOADERS:
            return qualified.rsplit(".", 1)[-1]
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in OFFLOADING_METHODS:
            return node.func.attr.value
        return None

    def visit_Call(self, node: cst.Call) -> None:
        offloader = self._offloader(node)
        if offloader is not None:
            for arg in node.args:
                self._offload_arguments[id(arg)] = offloader
        frame = self.frame
        if frame is None or not frame.in_body or frame.lambdas or frame.lazy_init:
            return
        func = node.func
        awaited = id(node) in self._awaited or id(node) in self._async_with
        if awaited:
            if isinstance(func, cst.Attribute):
                receiver = dotted_name(func.value)
                if receiver:
                    frame.facts.async_objects.add(receiver)
            return
        offloader = self._offloading[-1] if self._offloading else None
        use = Use(callee=None, text=dotted_name(func) or "", offloader=offloader)
        qualified = self._qualify(func)
        if isinstance(func, cst.Attribute) and (qualified is None or not self._known_call(qualified)):
            receiver = self._receiver_type(func.value)
            if receiver is not None:
                use.receiver, use.method, use.obj = receiver, func.attr.value, dotted_name(func.value)
        if use.receiver is None:
            base = func.value if isinstance(func, cst.Attribute) else None
            if (isinstance(base, cst.Name) and frame.class_name and base.value in (frame.self_name, "cls")
                    and qualified is None):
                use.receiver, use.method = ("class", frame.class_name), func.attr.value
                self._use(node, use, frame)
                return
            use.callee = qualified
            use.obj = self._bound_to.get(id(node))
        if use.callee is None and use.receiver is None:
            return
        self._use(node, use, frame)

    def _known_call(self, qualified: str) -> bool:
        return self.table.call(qualified) is not None or self.table.constructed(qualified) is not None

    def classify(self, use: Use, has_arguments: bool = True) -> Blocking | None:
        """What this use blocks on, if this file alone tells."""
        if use.receiver is not None:
            if use.receiver[0] == "type" and use.method:
                return self.table.method(use.receiver[1], use.method)
            return None
        return self.table.call(use.callee, has_arguments) if use.callee else None

    def locate(self, use: Use, node: cst.Call) -> None:
        use.span = self.context.span(node)
        statement = self.context.current_statement()
        if statement is not None:
            use.statement_lines = self.context.statement_lines(statement)

    # Reporting (buffered until the function ends: a later `await db.commit()` proves `db` async)

    def defer_report(self, frame: Frame, node: cst.Call, use: Use, blocking: Blocking, message: str) -> None:
        frame.pending.setdefault(self.code, []).append(
            (node, self.context.current_statement(), message, use, blocking))

    def flush_reports(self, frame: Frame, fix_for: Any = None) -> None:
        for node, statement, message, use, blocking in frame.pending.pop(self.code, ()):
            if use.obj and use.obj in frame.facts.async_objects:
                continue
            if use.obj:
                if use.obj in frame.facts.reported.get(self.code, ()):
                    continue
                frame.facts.reported.setdefault(self.code, set()).add(use.obj)
            self.report_in(statement, node, message, fix=fix_for(node, statement, blocking) if fix_for else None)


def describe(facts: FunctionFacts) -> str:
    return f"{facts.label} `{facts.name}`"


def written(blocking: Blocking, use: Use) -> str:
    """The blocking call as the reader knows it: `client.get` (requests.Session) or `requests.get`."""
    if blocking.object_type and use.text:
        return f"`{use.text}` ({blocking.object_type})"
    return f"`{blocking.api}`"


def direct_message(blocking: Blocking, facts: FunctionFacts, use: Use) -> str:
    if use.offloader:
        return (f"{written(blocking, use)} runs on the event loop in {describe(facts)} before `{use.offloader}` "
                f"offloads anything: pass the function and its arguments instead of calling it")
    return f"{written(blocking, use)} blocks the event loop in {describe(facts)}: {ADVICE[blocking.category]}"


def is_direct(use: Use) -> bool:
    """Whether the rules of direct calls follow a use: a method call on an object (not
    `self.helper()`), or a dotted call (`storage.client.get(...)`, whose object may be a
    module-level client); not a bare call of a helper, which only RVW403 follows."""
    if use.receiver is not None:
        return use.receiver[0] != "class"
    return "." in use.text


def worth_keeping(facts: FunctionFacts) -> bool:
    """Whether the repository pass may need this function: for its uses, or for what it returns."""
    returns = facts.returns
    if facts.uses or facts.evidence:
        return True
    return returns is not None and (returns[0] == "type" or is_deferred(returns))


class RepoTypes:
    """Resolves deferred references over every module's recorded facts."""

    def __init__(self, repo: RepoContext) -> None:
        self.index: ModuleIndex = repo.index
        self.key = facts_key(repo.options)
        self.table = BlockingTable(repo.options)
        # Uses are read by several rules of the run; they stay alive as long as the summaries do.
        self._receiver_blocking: dict[int, Blocking | None] = {}

    @classmethod
    def of(cls, repo: RepoContext) -> RepoTypes:
        """The resolution of this run's facts, made once for all the async-io rules of the run
        (kept in the run's repository-pass memo, per facts key)."""
        key = f"async-io-types:{facts_key(repo.options)}"
        types = repo.shared.get(key)
        if types is None:
            types = repo.shared[key] = cls(repo)
        return types

    def facts_of(self, summary: ModuleSummary | None) -> ModuleFacts | None:
        if summary is None:
            return None
        found = summary.extras.get(self.key)
        return found if isinstance(found, ModuleFacts) else None

    def _split(self, qualified: str, depth: int = 0) -> Iterator[tuple[ModuleSummary, ModuleFacts, str]]:
        """(module, its facts, the rest of the name) for the longest module prefix of a qualified
        name, then along a re-export (`from .service import S3Service` in a package's `__init__`)."""
        parts = qualified.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            summary = self.index.module(".".join(parts[:cut]))
            if summary is None:
                continue
            facts = self.facts_of(summary)
            if facts is not None:
                yield summary, facts, ".".join(parts[cut:])
            exported = summary.imports.aliases.get(parts[cut])
            if exported and depth < MAX_RESOLUTION_DEPTH and exported != ".".join(parts[: cut + 1]):
                yield from self._split(".".join([exported, *parts[cut + 1:]]), depth + 1)
            return

    def function(self, qualified: str) -> FunctionFacts | None:
        for summary, facts, rest in self._split(qualified):
            local = f"{summary.module}.{rest}" if summary.module else rest
            found = facts.functions.get(local)
            if found is not None:
                return found
        return None

    def is_class(self, qualified: str) -> str | None:
        for summary, facts, rest in self._split(qualified):
            local = f"{summary.module}.{rest}" if summary.module else rest
            if local in facts.classes:
                return local
        return None

    def _class_facts(self, cls: str) -> ModuleFacts | None:
        return next((facts for _, facts, _ in self._split(cls)), None)

    def _lineage(self, cls: str) -> Iterator[tuple[str, ModuleFacts]]:
        """A class and its repository base classes, nearest first, each once."""
        seen: set[str] = set()
        pending = [cls]
        while pending and len(seen) < MAX_RESOLUTION_DEPTH:
            current = pending.pop(0)
            canonical = self.is_class(current)
            if canonical is None or canonical in seen:
                continue
            seen.add(canonical)
            facts = self._class_facts(current)
            if facts is None:
                continue
            yield canonical, facts
            pending.extend(facts.bases.get(canonical, ()))

    def method(self, cls: str, name: str) -> FunctionFacts | None:
        """A method of a repository class, also when a base class defines it."""
        for canonical, facts in self._lineage(cls):
            found = facts.functions.get(f"{canonical}.{name}")
            if found is not None:
                return found
        return None

    def attribute(self, cls: str, name: str) -> Ref | None:
        for canonical, facts in self._lineage(cls):
            found = facts.attributes.get(canonical, {}).get(name)
            if found is not None:
                return found
        return None

    def binding(self, qualified: str) -> Ref | None:
        for _, facts, rest in self._split(qualified):
            if rest in facts.bindings:
                return facts.bindings[rest]
        return None

    def resolve(self, ref: Ref | None, depth: int = 0) -> Ref | None:
        """A known type (`("type", name)`) or a repo class instance (`("class", q)`), else None."""
        if ref is None or depth > MAX_RESOLUTION_DEPTH:
            return None
        kind = ref[0]
        if kind in ("type", "class", "mapping"):
            return ref
        if kind == "item":
            container = self.resolve(ref[1], depth + 1)
            return self.resolve(container[1], depth + 1) if container and container[0] == "mapping" else None
        if kind == "value":
            cls = self.is_class(ref[1])
            if cls is not None:
                return ("class", cls)
            return self.resolve(self.binding(ref[1]), depth + 1)
        if kind == "call":
            return self.resolve_call(ref[1], depth)
        if kind == "member":
            base = self.resolve(ref[1], depth + 1)
            return self._member(base, ref[2], depth)
        if kind == "called":
            base = self.resolve(ref[1], depth + 1)
            if base is not None and base[0] == "type":
                made = self.table.call_returns(base[1])
                return ("type", made) if made else None
        return None

    def _member(self, base: Ref | None, name: str, depth: int) -> Ref | None:
        if base is None:
            return None
        if base[0] == "type":
            returned = self.table.returned(base[1], name)
            return ("type", returned) if returned else None
        if base[0] != "class":
            return None
        method = self.method(base[1], name)
        if method is not None:
            return self.resolve(method.returns, depth + 1)
        return self.resolve(self.attribute(base[1], name), depth + 1)

    def resolve_call(self, qualified: str, depth: int = 0) -> Ref | None:
        made = self.table.constructed(qualified)
        if made is not None:
            return ("type", made)
        function = self.function(qualified)
        if function is not None:
            return self.resolve(function.returns, depth + 1)
        cls = self.is_class(qualified)
        if cls is not None:
            return ("class", cls)
        bound = self.binding(qualified)
        if bound is not None:
            return self.resolve(("called", bound), depth + 1)
        head, _, method = qualified.rpartition(".")
        if head:
            base = self.resolve(("value", head), depth + 1)
            return self._member(base, method, depth + 1)
        return None

    def receiver_blocking(self, use: Use) -> Blocking | None:
        """What a use blocks on once deferred references are resolved (not chains)."""
        key = id(use)
        if key not in self._receiver_blocking:
            self._receiver_blocking[key] = self._resolve_receiver_blocking(use)
        return self._receiver_blocking[key]

    def _resolve_receiver_blocking(self, use: Use) -> Blocking | None:
        if use.receiver is not None and use.method:
            resolved = self.resolve(use.receiver)
            if resolved is not None and resolved[0] == "type":
                return self.table.method(resolved[1], use.method)
            return None
        if use.callee:
            head, _, method = use.callee.rpartition(".")
            if head and self.function(use.callee) is None and not self.is_class(head):
                bound = self.binding(head)
                resolved = self.resolve(bound)
                if resolved is not None and resolved[0] == "type":
                    return self.table.method(resolved[1], method)
        return None


class DirectBlockingRule(BlockingScan):
    """Base of the rules that report blocking calls made by a coroutine itself."""

    @classmethod
    def wants(cls, blocking: Blocking, offloader: str | None) -> bool:
        raise NotImplementedError

    @classmethod
    def message(cls, blocking: Blocking, facts: FunctionFacts, use: Use) -> str:
        return direct_message(blocking, facts, use)

    def fix(self, node: cst.Call, statement: cst.CSTNode | None, blocking: Blocking) -> Fix | None:
        return None

    def on_blocking(self, node: cst.Call, use: Use, frame: Frame, blocking: Blocking) -> None:
        if frame.facts.is_async and self.wants(blocking, use.offloader):
            self.defer_report(frame, node, use, blocking, self.message(blocking, frame.facts, use))

    def keep(self, use: Use, frame: Frame) -> bool:
        if not frame.facts.is_async or not is_direct(use):
            return False
        if use.receiver is not None:
            return is_deferred(use.receiver)
        if not use.callee or is_external(use.callee):
            return False
        if use.obj is None:
            use.obj = use.text.rpartition(".")[0] or None
        return True

    def finish_function(self, frame: Frame) -> None:
        self.flush_reports(frame, self.fix)

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        types = RepoTypes.of(repo)
        for summary in repo.summaries:
            facts = types.facts_of(summary)
            if facts is None or summary.is_test_file:
                continue
            for function in facts.functions.values():
                if not function.is_async:
                    continue
                reported = set(function.reported.get(cls.code, ()))
                for use in function.uses:
                    if (use.span is None or not is_direct(use)
                            or (use.obj and use.obj in function.async_objects)):
                        continue
                    blocking = types.receiver_blocking(use)
                    if blocking is None or not cls.wants(blocking, use.offloader):
                        continue
                    if use.obj:
                        if use.obj in reported:
                            continue
                        reported.add(use.obj)
                    repo.report(summary.path, use.span, cls.message(blocking, function, use),
                                statement_lines=use.statement_lines)
