"""Module summaries: the small, picklable record of a module that whole-repository rules read.

The per-file pass builds one summary per module during its single walk; the repo pass reads
summaries only, never trees, so a route in one module can be followed into a helper in another
without re-parsing anything, and a cached file contributes its summary without being parsed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reviewer import lazy_cst as cst
from reviewer.pickling import pickled_by_fields
from reviewer.semantics.blocking import THREAD_RUNNERS
from reviewer.semantics.exceptions import BROAD, named_classes
from reviewer.semantics.names import ImportTable, NameResolver, decorator_name, dotted_name
from reviewer.syntax import argument_slots, named_arguments, target_names
from reviewer.traversal import BatchedVisitor, descendants, own_descendants

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

    from reviewer.rule import FileContext


@dataclass(slots=True)
class CallSite:
    """One call made in a function body."""

    target: str | None  # qualified through imports: `requests.get`, `app.services.build`
    text: str | None  # the callee as written (`self.client.get`, `().get`), None for `f()()`
    awaited: bool
    # (how many positional arguments, the keywords) it passes; None with `*args` or `**kwargs`.
    shape: tuple[int, tuple[str, ...]] | None = None
    # It sits in the body of a `try` that catches every exception and whose handlers raise
    # nothing (`try: ... except Exception: return False`): nothing it raises leaves the function.
    guarded: bool = False
    # It is a `with` item (`with db.create_session() as session:`): it opens what the block uses.
    opens: bool = False
    # A function that takes nothing fills, where a lookup missed, the registry the lookup asked
    # (`try: return context.get("db") except KeyError: context.register(...)`): once per process.
    fills_miss: bool = False
    # The arguments that carry what the caller was given: each slot (position or keyword) whose
    # value is built from the caller's own parameters, directly or through its locals
    # (`update(name=body.name)`, `row = build(request)` then `update(row)`), with those parameters.
    given: tuple[tuple[int | str, tuple[str, ...]], ...] = ()

    @property
    def name(self) -> str | None:
        """The name the call spells: `get` of `self.client.get(...)`."""
        return self.text.rsplit(".", 1)[-1] if self.text else None


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Signature:
    """What a function takes, `self`/`cls` of a method left out."""

    positional: tuple[str, ...]  # the parameters a position fills, in order
    required: int  # how many of them have no default
    keyword_only: tuple[str, ...]
    required_keyword_only: tuple[str, ...]
    star: bool  # `*args`
    double_star: bool  # `**kwargs`

    def accepts(self, shape: tuple[int, tuple[str, ...]] | None) -> bool:
        """Whether a call of this shape (`CallSite.shape`) can be a call of the function: it fills
        every required parameter, and no more positions or other keywords than it takes."""
        if shape is None:
            return True
        count, keywords = shape
        if count > len(self.positional) and not self.star:
            return False
        filled = set(self.positional[:count]) | set(keywords)
        if not self.double_star and any(k not in self.positional and k not in self.keyword_only for k in keywords):
            return False
        return all(name in filled for name in self.positional[:self.required]) and all(
            name in filled for name in self.required_keyword_only)


@dataclass(slots=True)
class FunctionSummary:
    qualname: str  # `app.api.users.get_user`, `app.services.Reports.build`
    name: str
    is_async: bool
    decorators: list[str] = field(default_factory=list)  # qualified or dotted callee names
    calls: list[CallSite] = field(default_factory=list)
    params: tuple[str, ...] = ()  # its parameters, `self`/`cls` of a method left out
    # What calls it may pass (`Signature`); None when a decorator may change what it takes.
    signature: Signature | None = None
    # A parameter handed whole to a call (`dict_to_model(values, Settings)` in
    # `dict_to_settings(values)`): parameter -> (qualified callee, the argument it fills: a
    # position or a keyword, the names the call passes: ((position or keyword, qualified), ...)).
    forwards: dict[str, list[tuple[str, int | str, tuple[tuple[int | str, str], ...]]]] = field(default_factory=dict)
    # Functions it hands to a thread to run for it (`await run_in_threadpool(aws.send_email, to)`,
    # `loop.run_in_executor(None, render, page)`), as calls of them: it gets what they return, and
    # what they raise. Not in `calls`: they do not run on its event loop.
    offloaded: list[CallSite] = field(default_factory=list)


@dataclass
class ModuleSummary:
    path: str
    module: str
    is_test_file: bool
    imports: ImportTable
    functions: dict[str, FunctionSummary] = field(default_factory=dict)
    # Each class (qualified name) -> its bases, qualified through the imports (`Generic[...]`
    # arguments dropped).
    classes: dict[str, list[str]] = field(default_factory=dict)
    # Each attribute name assigned or declared in the module (`self.store = ReportStore(...)`,
    # `store: ReportStore` in a class body, a property) -> what it may hold: the qualified
    # callee of the call, the class annotated (each of a union's: `A | B`) or of a literal, None
    # for any other value.
    attributes: dict[str, set[str | None]] = field(default_factory=dict)
    # The same, per class (qualified name): what `self.store = ...` in its methods and `store:
    # ReportStore` in its body fill its attributes with.
    class_attributes: dict[str, dict[str, set[str | None]]] = field(default_factory=dict)
    # Rule code -> whatever a rule records during the walk for its own `check_repo`.
    extras: dict[str, Any] = field(default_factory=dict)


_PROPERTIES = frozenset({"property", "cached_property"})
# Decorators that leave what a function takes as its definition says.
_SIGNATURE_KEEPING = frozenset({"staticmethod", "classmethod", "abstractmethod", "override"})
# What an annotation says of a value that tells nothing of its class.
UNTYPED = frozenset({"typing.Any", "typing_extensions.Any", "builtins.object"})
# The class of a literal's value, by the name of its node's class (the parser is not imported
# until a file is parsed).
_LITERALS: dict[str, str] = {
    "Integer": "builtins.int", "Float": "builtins.float", "Imaginary": "builtins.complex",
    "SimpleString": "builtins.str", "ConcatenatedString": "builtins.str", "FormattedString": "builtins.str",
    "Tuple": "builtins.tuple",
}
_CONSTANTS = {"None": "builtins.NoneType", "True": "builtins.bool", "False": "builtins.bool"}
_CONTAINERS = {"builtins.dict": "builtins.dict", "builtins.list": "builtins.list", "builtins.set": "builtins.set",
               "typing.Dict": "builtins.dict", "typing.List": "builtins.list", "typing.Set": "builtins.set"}
# The class of what a display builds, by the name of its node's class.
_DISPLAYS: dict[str, str] = {"Dict": "builtins.dict", "DictComp": "builtins.dict", "List": "builtins.list",
                             "ListComp": "builtins.list", "Set": "builtins.set", "SetComp": "builtins.set"}


def _literal_class(value: cst.BaseExpression) -> str | None:
    """The class of a literal or a constant (`None`)."""
    if isinstance(value, cst.Name):
        return _CONSTANTS.get(value.value)
    return _LITERALS.get(type(value).__name__)


def _whole_names(value: cst.BaseExpression) -> list[str]:
    """The names an argument is the whole of: `values`, `{**defaults, **values}`."""
    if isinstance(value, cst.Name):
        return [value.value]
    if isinstance(value, cst.Dict):
        return [element.value.value for element in value.elements
                if isinstance(element, cst.StarredDictElement) and isinstance(element.value, cst.Name)]
    return []


def _names_read(node: cst.CSTNode) -> Iterator[str]:
    """The names an expression reads (not attribute or keyword names), lambdas' bodies included."""
    skipped: set[int] = set()
    for inner in descendants(node):
        if isinstance(inner, cst.Attribute):
            skipped.add(id(inner.attr))
        elif isinstance(inner, cst.Arg) and inner.keyword is not None:
            skipped.add(id(inner.keyword))
        elif isinstance(inner, cst.Name) and id(inner) not in skipped:
            yield inner.value


_NOTHING_GIVEN: frozenset[str] = frozenset()
_LITERAL_NODES = frozenset({"SimpleString", "Integer", "Float"})


def _given_from(node: cst.CSTNode, given: dict[str, frozenset[str]]) -> frozenset[str]:
    """What of `given` (names -> the parameters they come from) an expression is built from: the
    common shapes (names, attributes, subscripts, calls, operators, f-strings, displays) read
    part by part, any other by the names it reads."""
    kind = type(node)
    name = kind.__name__
    if name in _LITERAL_NODES:
        return _NOTHING_GIVEN
    if kind is cst.Name:
        return given.get(node.value, _NOTHING_GIVEN)
    parts = _PARTS.get(name)
    if parts is None:
        found = _NOTHING_GIVEN
        for read in _names_read(node):
            found = found | given.get(read, _NOTHING_GIVEN)
        return found
    found = _NOTHING_GIVEN
    for part in parts(node):
        if part is not None:
            found = found | _given_from(part, given)
    return found


# The expressions an expression of each common kind is built from.
_PARTS: dict[str, Callable[[Any], Iterable[cst.CSTNode | None]]] = {
    "Attribute": lambda node: (node.value,),
    "Call": lambda node: (node.func, *(arg.value for arg in node.args)),
    "Await": lambda node: (node.expression,),
    "Subscript": lambda node: (node.value, *(element.slice for element in node.slice)),
    "Index": lambda node: (node.value,),
    "Slice": lambda node: (node.lower, node.upper, node.step),
    "BinaryOperation": lambda node: (node.left, node.right),
    "BooleanOperation": lambda node: (node.left, node.right),
    "UnaryOperation": lambda node: (node.expression,),
    "Comparison": lambda node: (node.left, *(target.comparator for target in node.comparisons)),
    "IfExp": lambda node: (node.test, node.body, node.orelse),
    "FormattedString": lambda node: node.parts,
    "FormattedStringExpression": lambda node: (node.expression,),
    "FormattedStringText": lambda node: (),
    "ConcatenatedString": lambda node: (node.left, node.right),
    "List": lambda node: (element.value for element in node.elements),
    "Tuple": lambda node: (element.value for element in node.elements),
    "Set": lambda node: (element.value for element in node.elements),
    "Dict": lambda node: (part for element in node.elements
                          for part in ((element.key, element.value) if type(element).__name__ == "DictElement"
                                       else (element.value,))),
    "StarredElement": lambda node: (node.value,),
}


def _shape(call: cst.Call) -> tuple[int, tuple[str, ...]] | None:
    """`CallSite.shape` of a call."""
    count = 0
    keywords = []
    for arg in call.args:
        if arg.star:
            return None
        if arg.keyword is None:
            count += 1
        else:
            keywords.append(arg.keyword.value)
    return count, tuple(keywords)


def _signature(params: cst.Parameters, is_method: bool) -> Signature:
    positional = [*params.posonly_params, *params.params][1 if is_method else 0:]
    return Signature(
        positional=tuple(param.name.value for param in positional),
        required=sum(param.default is None for param in positional),
        keyword_only=tuple(param.name.value for param in params.kwonly_params),
        required_keyword_only=tuple(param.name.value for param in params.kwonly_params if param.default is None),
        star=isinstance(params.star_arg, cst.Param),
        double_star=params.star_kwarg is not None,
    )


def _callee_text(func: cst.BaseExpression) -> str | None:
    """The callee as written: `self.client.get`; `().get` for a method of an expression no name
    spells (`make_client().get`)."""
    text = dotted_name(func)
    if text is None and isinstance(func, cst.Attribute):
        return f"().{func.attr.value}"
    return text


def callee_name(func: cst.BaseExpression) -> str | None:
    """The name a call of `func` spells, as `CallSite.name` has it: `get` of `self.client.get`."""
    text = _callee_text(func)
    return text.rsplit(".", 1)[-1] if text else None


def handed_to_thread(call: cst.Call, qualify: Callable[[cst.BaseExpression], str | None]) -> cst.BaseExpression | None:
    """The function a call runs in a thread for its caller, which gets its result or its exception
    (`THREAD_RUNNERS`: `send_email` of `run_in_threadpool(send_email, to)`; `render` of
    `loop.run_in_executor(None, render, page)`)."""
    if isinstance(call.func, cst.Attribute) and call.func.attr.value == "run_in_executor":
        position = 1
    elif qualify(call.func) in THREAD_RUNNERS:
        position = 0
    else:
        return None
    positional = [arg.value for arg in call.args if arg.keyword is None and not arg.star]
    return positional[position] if len(positional) > position else None


def _swallows_everything(node: cst.Try, qualify: Callable[[cst.BaseExpression], str | None]) -> bool:
    """Whether a `try` catches every exception (a bare `except:`, `Exception`, `BaseException`,
    alone or in a tuple) and none of its handlers raises."""
    catches_all = False
    for handler in node.handlers:
        if handler.type is None or any(qualify(member) in BROAD for member in named_classes(handler.type)):
            catches_all = True
        if any(isinstance(current, cst.Raise) for current in own_descendants(handler.body)):
            return False
    return catches_all


_MISSES = frozenset({"builtins.KeyError", "builtins.LookupError"})


def _filled_on_miss(node: cst.Try, qualify: Callable[[cst.BaseExpression], str | None]) -> set[int]:
    """The calls of a `try`'s `except KeyError:` handlers on an object its body looks a key up in
    by a method (`try: return context.get("db") except KeyError: context.register(...)`)."""
    handlers = [handler for handler in node.handlers if handler.type is not None
                and any(qualify(member) in _MISSES for member in named_classes(handler.type))]
    if not handlers:
        return set()
    asked = {dotted_name(current.func.value) for current in own_descendants(node.body)
             if isinstance(current, cst.Call) and isinstance(current.func, cst.Attribute)} - {None}
    return {id(current) for handler in handlers for current in own_descendants(handler.body)
            if isinstance(current, cst.Call) and isinstance(current.func, cst.Attribute)
            and dotted_name(current.func.value) in asked}


class SummaryBuilder(BatchedVisitor):
    """Records functions, their decorators and calls while the engine walks a module."""

    def __init__(self, summary: ModuleSummary, resolver: NameResolver, context: FileContext) -> None:
        super().__init__()
        self.summary = summary
        self.resolver = resolver
        self.context = context
        self._scope: list[str] = []
        self._functions: list[FunctionSummary] = []
        self._awaited: set[int] = set()
        self._opened: set[int] = set()  # calls that are `with` items
        self._fills_miss: set[int] = set()  # calls that fill a registry where a lookup missed
        self._decorators = 0  # depth of decorators being walked
        # Per function being walked: locals whose class is known (`server: BrokerServer`,
        # `store = ReportStore(...)`), so that `server.start()` names `BrokerServer.start`.
        self._typed: list[dict[str, str]] = []
        # Per class being walked: attributes whose class is known (`session: AsyncSession`,
        # `self.session = session` with `session: AsyncSession`); and per function, the name of
        # `self` when it is a method of the innermost class.
        self._attributes: list[dict[str, str]] = []
        self._self_names: list[str | None] = []
        self._in_class: list[bool] = []
        self._class_names: list[str] = []  # qualified, of the classes being walked
        self._globals: set[str] = set()  # names a `global` statement of the module declares
        # Per function being walked, how many `try` bodies around the current node swallow every
        # exception (`CallSite.guarded`); per `try` body being walked, whether it is one of them.
        self._guards: list[int] = []
        self._guarding: list[bool] = []
        # Per function being walked: its parameters and the locals built from them, each with the
        # parameters it comes from (`CallSite.given`).
        self._given: list[dict[str, frozenset[str]]] = []

    def _qualname(self, name: str) -> str:
        return ".".join(p for p in (self.summary.module, *self._scope, name) if p)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        bases = []
        for base in node.bases:
            if base.keyword is not None:
                continue
            expression = base.value.value if isinstance(base.value, cst.Subscript) else base.value
            name = self.resolver.qualify(expression) or dotted_name(expression)
            if name:
                bases.append(name)
        self.summary.classes[self._qualname(node.name.value)] = bases
        self._class_names.append(self._qualname(node.name.value))
        self._scope.append(node.name.value)
        self._attributes.append({})
        self._in_class.append(True)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._class_names.pop()
        self._scope.pop()
        self._attributes.pop()
        self._in_class.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        qualify = self.resolver.qualify
        decorators = [name for decorator in node.decorators if (name := decorator_name(decorator, qualify))]
        function = FunctionSummary(
            qualname=self._qualname(node.name.value),
            name=node.name.value,
            is_async=node.asynchronous is not None,
            decorators=decorators,
        )
        self.summary.functions[function.qualname] = function
        if self._in_class and self._in_class[-1] and any(d.rpartition(".")[2] in _PROPERTIES for d in decorators):
            returns = self._annotated(node.returns.annotation) if node.returns is not None else None
            self._holds(node.name.value, None if returns in UNTYPED else returns, own=True)
        self._functions.append(function)
        self._scope.append(node.name.value)
        params = (*node.params.posonly_params, *node.params.params, *node.params.kwonly_params)
        is_method = bool(self._in_class and self._in_class[-1]) and not any(
            decorator.rpartition(".")[2] == "staticmethod" for decorator in decorators)
        self._self_names.append(params[0].name.value if is_method and params else None)
        function.params = tuple(param.name.value for param in params[1 if is_method else 0:])
        if all(decorator.rpartition(".")[2] in _SIGNATURE_KEEPING for decorator in decorators):
            function.signature = _signature(node.params, is_method)
        self._in_class.append(False)
        typed = {}
        for param in params:
            annotation = param.annotation.annotation if param.annotation is not None else None
            cls = self._annotated(annotation) or self._generic(annotation) if annotation is not None else None
            if cls is not None:
                typed[param.name.value] = cls
        self._typed.append(typed)
        self._guards.append(0)
        self._given.append({name: frozenset((name,)) for name in function.params})

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._guards.pop()
        self._given.pop()
        self._functions.pop()
        self._scope.pop()
        self._typed.pop()
        self._self_names.pop()
        self._in_class.pop()

    def _self_attribute(self, node: cst.BaseExpression) -> str | None:
        """`x` of `self.x` in a method of the class being walked."""
        self_name = self._self_names[-1] if self._self_names else None
        if (self_name and isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name)
                and node.value.value == self_name):
            return node.attr.value
        return None

    def _holds(self, attribute: str, made: str | None, *, own: bool = False) -> None:
        """Note what an attribute is filled with; `own`: an attribute of the class being walked
        (`self.x` in its methods, `x` in its body)."""
        self.summary.attributes.setdefault(attribute, set()).add(made)
        if own and self._class_names:
            held = self.summary.class_attributes.setdefault(self._class_names[-1], {})
            held.setdefault(attribute, set()).add(made)

    def _own(self, target: cst.BaseExpression) -> bool:
        """Whether an assignment's target is an attribute of the class being walked."""
        if isinstance(target, cst.Name):
            return bool(self._in_class and self._in_class[-1])
        return self._self_attribute(target) is not None

    def visit_Global(self, node: cst.Global) -> None:
        self._globals.update(item.name.value for item in node.names)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind_given((node.target,), node.value)
        annotation = node.annotation.annotation
        cls = self._annotated(annotation) or self._generic(annotation)
        if cls in UNTYPED:
            cls = None  # `tool: Any = ...` says nothing of the class
        if cls is None and isinstance(node.value, cst.Call):
            cls = self.resolver.qualify(node.value.func)  # `context: ContextVar[str | None] = ContextVar(...)`
        if isinstance(node.target, cst.Name) and self._typed and not (self._in_class and self._in_class[-1]):
            if cls:  # `tools: set[str] = set()`
                self._typed[-1][node.target.value] = cls
            else:
                self._typed[-1].pop(node.target.value, None)
        # `ingestion: R2RIngestion | UnstructuredIngestion` may hold either class.
        held = [cls] if cls else self._alternatives(annotation)
        if isinstance(node.target, cst.Attribute):
            for made in held:
                self._holds(node.target.attr.value, made, own=self._own(node.target))
        elif (self._in_class and self._in_class[-1] or not self._scope) and isinstance(node.target, cst.Name):
            for made in held:
                self._holds(node.target.value, made, own=self._own(node.target))
        if cls is None or not self._attributes:
            return
        if self._in_class[-1] and isinstance(node.target, cst.Name):
            self._attributes[-1][node.target.value] = cls  # `session: AsyncSession` in a class body
        elif (attribute := self._self_attribute(node.target)) is not None:
            self._attributes[-1][attribute] = cls

    def visit_Try(self, node: cst.Try) -> None:
        if self._functions and not self._functions[-1].params:
            self._fills_miss |= _filled_on_miss(node, self.resolver.qualify)

    def visit_Try_body(self, node: cst.Try) -> None:
        guarding = bool(self._guards) and _swallows_everything(node, self.resolver.qualify)
        self._guarding.append(guarding)
        if guarding:
            self._guards[-1] += 1

    def leave_Try_body(self, original_node: cst.Try) -> None:
        if self._guarding.pop():
            self._guards[-1] -= 1

    def visit_Await(self, node: cst.Await) -> None:
        self._awaited.add(id(node.expression))

    def visit_WithItem(self, node: cst.WithItem) -> None:
        self._opened.add(id(node.item))
        if node.asname is not None:
            self._bind_given((node.asname.name,), node.item)

    def visit_Decorator(self, node: cst.Decorator) -> None:
        self._decorators += 1

    def leave_Decorator(self, original_node: cst.Decorator) -> None:
        self._decorators -= 1

    def visit_Call(self, node: cst.Call) -> None:
        # A decorator runs where the function is defined, not when it is called.
        if not self._functions or self._decorators:
            return
        target = self.resolver.qualify(node.func)
        func = node.func
        if isinstance(func, cst.Attribute):
            if isinstance(func.value, cst.Name):
                cls = self._typed[-1].get(func.value.value)
            elif isinstance(func.value, cst.Call):
                cls = self.resolver.qualify(func.value.func)  # `Manager().delete()`
            else:
                attribute = self._self_attribute(func.value)
                cls = self._attributes[-1].get(attribute) if attribute and self._attributes else None
            if cls is not None:
                target = f"{cls}.{func.attr.value}"
        # No positions here: they cost a pass over the file, and a rule that reports from its
        # repository pass records the positions it needs in its own summary extras.
        function = self._functions[-1]
        function.calls.append(CallSite(target=target, text=_callee_text(func), awaited=id(node) in self._awaited,
                                       shape=_shape(node), guarded=self._guards[-1] > 0,
                                       opens=id(node) in self._opened, fills_miss=id(node) in self._fills_miss,
                                       given=self._given_slots(node)))
        if target is not None and function.params:
            self._record_forwards(function, node, target)
        handed = handed_to_thread(node, self.resolver.qualify)
        if isinstance(handed, (cst.Name, cst.Attribute)):
            function.offloaded.append(CallSite(target=self.resolver.qualify(handed), text=_callee_text(handed),
                                               awaited=id(node) in self._awaited, guarded=self._guards[-1] > 0))

    def _given_slots(self, node: cst.Call) -> tuple[tuple[int | str, tuple[str, ...]], ...]:
        given = self._given[-1]
        if not given or not node.args:
            return ()
        return tuple((slot, tuple(sorted(found))) for slot, value in argument_slots(node)
                     if (found := _given_from(value, given)))

    def _bind_given(self, targets: Iterable[cst.BaseExpression], value: cst.CSTNode) -> None:
        """Locals a statement binds from what the function was given carry it on."""
        if not self._given or not self._given[-1]:
            return
        given = self._given[-1]
        found = _given_from(value, given)
        if found:
            for target in targets:
                for name in target_names(target):
                    given[name.value] = given.get(name.value, _NOTHING_GIVEN) | found

    def visit_For(self, node: cst.For) -> None:
        self._bind_given((node.target,), node.iter)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind_given((node.target,), node.value)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind_given((node.target,), node.value)

    def _record_forwards(self, function: FunctionSummary, node: cst.Call, target: str) -> None:
        """Parameters the call is handed whole: `f(values)`, `f(data=values)`, `f({**values})`."""
        slots = argument_slots(node)
        forwarded = [(slot, name) for slot, value in slots for name in _whole_names(value) if name in function.params]
        if not forwarded:
            return
        names = named_arguments(slots, self.resolver.qualify)
        for slot, param in forwarded:
            function.forwards.setdefault(param, []).append((target, slot, names))

    def visit_Assign(self, node: cst.Assign) -> None:
        self._bind_given([target.target for target in node.targets], node.value)
        made = self.resolver.qualify(node.value.func) if isinstance(node.value, cst.Call) else None
        if made is None and isinstance(node.value, cst.Name) and self._typed:
            made = self._typed[-1].get(node.value.value)  # `self.session = session`
        if made is None:
            made = _DISPLAYS.get(type(node.value).__name__)  # `params = {}`: `params.update(...)` is a dict's
        # A class body's names are its attributes, a module's (also those a function declares
        # `global`) are attributes of the module.
        in_class_body = bool(self._in_class and self._in_class[-1]) or not self._scope
        filled = made or _literal_class(node.value)
        for target in node.targets:
            if isinstance(target.target, cst.Attribute):
                self._holds(target.target.attr.value, filled, own=self._own(target.target))
            elif isinstance(target.target, cst.Name) and (in_class_body or target.target.value in self._globals):
                self._holds(target.target.value, filled, own=self._own(target.target))
            elif isinstance(target.target, (cst.Tuple, cst.List)):  # `self.a, self.b = pair`
                for element in target.target.elements:
                    if isinstance(element.value, cst.Attribute):
                        self._holds(element.value.attr.value, None, own=self._own(element.value))
        if not self._typed:
            return
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                if made:
                    self._typed[-1][target.target.value] = made
                else:
                    self._typed[-1].pop(target.target.value, None)
            elif (attribute := self._self_attribute(target.target)) is not None and self._attributes:
                if made:
                    self._attributes[-1][attribute] = made
                else:
                    self._attributes[-1].pop(attribute, None)

    def _generic(self, annotation: cst.BaseExpression) -> str | None:
        """The class a generic's annotation names: `dict[str, Any]` and `Dict[str, Any]` a dict,
        `ContextVar[str]` a `ContextVar`; not a form of `typing` (`Union[...]`, `Callable[...]`)."""
        if not isinstance(annotation, cst.Subscript):
            return None
        origin = self.resolver.qualify(annotation.value) or ""
        if origin in _CONTAINERS:
            return _CONTAINERS[origin]
        return origin if origin and origin.partition(".")[0] not in ("typing", "typing_extensions") else None

    def _alternatives(self, annotation: cst.BaseExpression) -> list[str | None]:
        """The classes a union annotation names (`A | B | None`, `Union[A, B]`), each as
        `_annotated` reads it; `[None]` when one of them is not a class it reads."""
        if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
            sides = [annotation.left, annotation.right]
        elif isinstance(annotation, cst.Subscript) and self.resolver.qualify(annotation.value) == "typing.Union":
            sides = [element.slice.value for element in annotation.slice if isinstance(element.slice, cst.Index)]
        else:
            return [None]
        found: list[str | None] = []
        for side in sides:
            if isinstance(side, cst.Name) and side.value == "None":
                continue
            alternatives = self._alternatives(side)
            if alternatives == [None]:
                cls = self._annotated(side) or self._generic(side)
                alternatives = [None if cls in UNTYPED else cls]
            if None in alternatives:
                return [None]
            found += alternatives
        return found or [None]

    def _annotated(self, annotation: cst.BaseExpression) -> str | None:
        """The class an annotation names: `Server`, `Server | None`, `Optional[Server]`; also the
        generic that may be None (`Optional[dict[str, str]]` a dict)."""
        if isinstance(annotation, cst.BinaryOperation) and isinstance(annotation.operator, cst.BitOr):
            sides = [
                side for side in (annotation.left, annotation.right)
                if not (isinstance(side, cst.Name) and side.value == "None")
            ]
            return self._annotated(sides[0]) or self._generic(sides[0]) if len(sides) == 1 else None
        if isinstance(annotation, cst.Subscript) and self.resolver.qualify(annotation.value) == "typing.Optional":
            element = annotation.slice[0].slice if len(annotation.slice) == 1 else None
            return self._annotated(element.value) or self._generic(element.value) if isinstance(
                element, cst.Index) else None
        if isinstance(annotation, (cst.Name, cst.Attribute)):
            return self.resolver.qualify(annotation)
        return None
