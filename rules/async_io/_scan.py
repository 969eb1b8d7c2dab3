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

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, ClassVar

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.model import Fix
from reviewer.rule import RepoContext, Rule, RuleCrash
from reviewer.semantics.blocking import (
    MEMOIZING_DECORATORS,
    OFFLOADERS,
    OFFLOADING_DECORATORS,
    OFFLOADING_METHODS,
    SLEEP,
    Blocking,
    BlockingTable,
)
from reviewer.semantics.conditions import (
    Condition,
    argument_value,
    branch_conditions,
    condition_of,
    excludes_none,
    literal_kind,
    module_object,
    parameter_defaults,
    result_conditions,
)
from reviewer.semantics.constants import ConstantsFacts
from reviewer.semantics.fastapi import FastAPIFacts
from reviewer.semantics.fields import FieldFacts
from reviewer.semantics.names import decorator_name, dotted_name
from reviewer.semantics.once import (
    is_cache_fill,
    is_done_guard,
    is_lazy_initialisation,
    is_release,
    leaves_function,
)
from reviewer.semantics.serving import EVENT_LOOP_RUNNERS, PLAIN_DECORATORS, EntryPointFacts, ServingPaths
from reviewer.semantics.settings import SettingsDefaults, SettingsFacts
from rules.async_io._callers import Callers
from rules.async_io._local_types import LocalTypes
from rules.async_io._messages import direct_message, is_direct, worth_keeping
from rules.async_io._records import (
    ROUTE_METHODS,
    Arguments,
    Frame,
    FunctionFacts,
    ModuleFacts,
    Ref,
    Use,
    facts_key,
    is_deferred,
    is_external,
)
from rules.async_io._repo_types import RepoTypes


class BlockingScan(LocalTypes, Rule):
    """Base of the async-io rules; not a rule itself (it has no code)."""

    checklist = "async-io"
    always_applicable = False
    # What serves requests (`reviewer.semantics.serving`): blocking I/O only stalls other
    # requests in code that runs while serving; start-up and command-line code is not reported.
    # Settings' defaults (`reviewer.semantics.settings`): a branch a default deployment does not
    # take is not reported, nor one under an attribute no code gives a value
    # (`reviewer.semantics.fields`).
    requires: ClassVar[tuple[type[Facts], ...]] = (FastAPIFacts, EntryPointFacts, SettingsFacts, ConstantsFacts,
                                                   FieldFacts)

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
        self._iterated: set[int] = set()  # calls whose result is iterated where they are made
        self._offload_arguments: dict[int, str] = {}
        self._offloading: list[str] = []
        self._bound_to: dict[int, str] = {}
        self._lazy_ifs: set[int] = set()
        # A block or `elif` -> the conditions it runs under; an `if` that leaves the function -> the
        # conditions the rest of it runs under.
        self._branches: dict[int, tuple[Condition, ...]] = {}
        self._exits: dict[int, tuple[Condition, ...]] = {}

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
        if blocking is not None and blocking.category == SLEEP and _brief_pause(node):
            return  # `time.sleep(0.001)` to order timestamps: not I/O, and no stall a client notices
        if blocking is not None:
            self._each(lambda member: member.on_blocking(node, use, frame, blocking))
        elif self._each(lambda member: member.keep(use, frame)):
            self.locate(use, node)  # in a sync helper too: where a call chain (RVW403) goes on
            use.arguments = _arguments(node, frame.parameters)
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
        decorators = [decorator_name(decorator, self.qualify) or "" for decorator in node.decorators]
        is_async = node.asynchronous is not None
        facts = FunctionFacts(
            qualname=qualname,
            name=node.name.value,
            is_async=is_async,
            label=self._label(node, decorators, is_async, enclosing),
            exempt=any(d in OFFLOADING_DECORATORS or d in MEMOIZING_DECORATORS for d in decorators),
        )
        class_name = enclosing if isinstance(enclosing, str) else None
        frame = Frame(facts, class_name, None, body=node.body, node=node)
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
        positional = [param.name.value for param in (*node.params.posonly_params, *node.params.params)]
        facts.positional = tuple(positional[1:] if frame.self_name else positional)
        defaults = parameter_defaults(node.params)
        defaults.pop(frame.self_name or "", None)
        facts.not_none = tuple(
            param.name.value for param in params
            if param.name.value in defaults
            and excludes_none(param.annotation.annotation if param.annotation else None, param.default))
        facts.defaults = {name: kind for name, kind in defaults.items() if kind is not None}
        frame.parameters = frozenset(defaults)
        self._scopes.append(frame)

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        self._enter_body(node)

    def visit_SimpleStatementSuite(self, node: cst.SimpleStatementSuite) -> None:
        self._enter_body(node)

    def leave_IndentedBlock(self, original_node: cst.IndentedBlock) -> None:
        self._leave_branch(original_node)

    def leave_SimpleStatementSuite(self, original_node: cst.SimpleStatementSuite) -> None:
        self._leave_branch(original_node)

    def _enter_body(self, node: cst.BaseSuite) -> None:
        frame = self.frame
        if frame is not None and frame.body is node:
            frame.in_body = True
        self._enter_branch(node)

    def _enter_branch(self, node: cst.CSTNode) -> None:
        """Blocks (and `elif`s) under conditions the repository weighs push them while walked."""
        conditions = self._branches.get(id(node))
        if conditions and self.frame is not None:
            self.frame.conditions.extend(conditions)

    def _leave_branch(self, node: cst.CSTNode) -> None:
        conditions = self._branches.pop(id(node), None)
        if conditions and self.frame is not None:
            del self.frame.conditions[-len(conditions):]

    def _bind(self, target: cst.BaseExpression, ref: Ref | None, value: cst.BaseExpression | None) -> None:
        super()._bind(target, ref, value)
        frame = self.frame
        if frame is None or not isinstance(target, cst.Name):
            return
        name = target.value
        frame.rebinds[name] = frame.rebinds.get(name, 0) + 1
        if (isinstance(value, cst.Attribute) and isinstance(value.value, cst.Name)
                and value.value.value == frame.self_name):
            frame.state_aliases[name] = f"{frame.self_name}.{value.attr.value}"
        else:
            frame.state_aliases.pop(name, None)
        # A reassigned parameter no longer holds what the caller passed.
        frame.parameters = frame.parameters - {name}
        condition = None
        if value is not None:
            condition = condition_of(value, (), self._module_object, self._qualify, frame.known)
        if condition is not None:
            frame.known[name] = condition
        else:
            frame.known.pop(name, None)

    def _module_object(self, node: cst.BaseExpression) -> str | None:
        """The qualified name of a module-level object an expression names (not a local)."""
        frame = self.frame
        if frame is None:
            return None
        return module_object(node, self._qualify, lambda name: name in frame.locals or name == frame.self_name)

    def _weigh_branches(self, node: cst.If) -> None:
        frame = self.frame
        if frame is None or not frame.in_body:
            return
        body, orelse = branch_conditions(node.test, frame.parameters, self._module_object, self._qualify, frame.known)
        if body:
            self._branches[id(node.body)] = body
        if not orelse:
            return
        if isinstance(node.orelse, cst.Else):
            self._branches[id(node.orelse.body)] = orelse
        elif isinstance(node.orelse, cst.If):
            self._branches[id(node.orelse)] = orelse
        elif frame.node is not None and leaves_function(node, frame.node):
            self._exits[id(node)] = orelse

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        frame = self._scopes.pop()
        assert isinstance(frame, Frame)
        if frame.value_returns:
            frame.facts.result_conditions = result_conditions(frame.value_returns)
            frame.facts.truth_conditions = result_conditions(frame.truthy_returns)
        self._each(lambda member: member.finish_function(frame))
        if worth_keeping(frame.facts):
            self.facts.functions[frame.facts.qualname] = frame.facts

    @staticmethod
    def _label(node: cst.FunctionDef, decorators: list[str], is_async: bool, enclosing: Any) -> str:
        if not is_async:
            return "function"
        tails = {d.rsplit(".", 1)[-1] for d in decorators}
        if tails & ROUTE_METHODS:
            return "async route"
        if "middleware" in tails or (isinstance(enclosing, str) and node.name.value == "dispatch"):
            return "middleware"
        if "exception_handler" in tails:
            return "exception handler"
        return "coroutine"


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

    def visit_While(self, node: cst.While) -> None:
        if self.frame is not None:
            self.frame.loops += 1

    def leave_While(self, original_node: cst.While) -> None:
        if self.frame is not None:
            self.frame.loops -= 1

    def leave_For(self, original_node: cst.For) -> None:
        if self.frame is not None:
            self.frame.loops -= 1

    def visit_For(self, node: cst.For) -> None:
        self._iterated.add(id(node.iter))
        frame = self.frame
        if frame is not None:
            frame.loops += 1
            if frame.in_body:
                # The body runs only for a truthy iterable: `for path in candidates():` runs nothing
                # when `candidates()` returns `[]` unless a setting is on.
                condition = condition_of(node.iter, frame.parameters, self._module_object, self._qualify, frame.known)
                if condition is not None:
                    self._branches[id(node.body)] = (condition,)
        self._bind(node.target, None, None)

    def visit_Return(self, node: cst.Return) -> None:
        frame = self.frame
        if frame is None:
            return
        if node.value is not None and frame.facts.returns is None:
            frame.facts.returns = self.type_of(node.value)
        self._value_return(frame, node.value)

    def _value_return(self, frame: Frame, value: cst.BaseExpression | None) -> None:
        """The conditions a value other than `None` is returned under (`return d if d else None`
        adds the test's)."""
        kind = literal_kind(value) if value is not None else "none"
        if frame.value_returns is None or kind == "none":
            return
        conditions = tuple(frame.conditions)
        otherwise = literal_kind(value.orelse) if isinstance(value, cst.IfExp) else None
        if otherwise in ("none", "falsy"):  # `x if test else None`, `x if test else []`
            body, _ = branch_conditions(value.test, (), self._module_object, self._qualify, frame.known)
            frame.value_returns.append(conditions + body if otherwise == "none" else conditions)
            frame.truthy_returns.append(conditions + body)
            return
        frame.value_returns.append(conditions)
        if kind != "falsy":
            frame.truthy_returns.append(conditions)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._iterated.add(id(node.iter))

    def visit_Yield(self, node: cst.Yield) -> None:
        if isinstance(node.value, cst.From):
            self._iterated.add(id(node.value.item))
        frame = self.frame
        if frame is None:
            return
        # A decorated generator function may be run by its decorator: `@contextmanager` runs its
        # body when a `with` enters what the call returns.
        frame.facts.is_generator = frame.node is not None and all(
            (decorator_name(decorator, self.qualify) or "").rpartition(".")[2] in PLAIN_DECORATORS
            for decorator in frame.node.decorators)
        frame.value_returns = None
        if isinstance(node.value, cst.BaseExpression) and frame.facts.returns is None:
            frame.facts.returns = self.type_of(node.value)

    def visit_Global(self, node: cst.Global) -> None:
        if self.frame is not None:
            self.frame.globals.update(item.name.value for item in node.names)

    def _runs_once(self, node: cst.If) -> bool:
        """Lazy initialisation, a guard that returns once set-up is done, a cache filled on disk,
        a release that clears its state (`reviewer.semantics.once`)."""
        frame = self.frame
        if frame is None:
            return False
        if not frame.loops and is_cache_fill(node, self._qualify):
            return True  # in a loop, the path is each item's (`if not target.exists(): move(...)`)
        if not (frame.globals or frame.self_name):
            return False
        return (is_lazy_initialisation(node, frame.globals, frame.self_name, frame.state_aliases)
                or is_release(node, frame.globals, frame.self_name)
                or (isinstance(frame.node, cst.FunctionDef)
                    and is_done_guard(node, frame.node, frame.globals, frame.self_name)))

    def visit_If(self, node: cst.If) -> None:
        self._enter_branch(node)  # an `elif` under its predecessors' negation
        frame = self.frame
        if frame is not None and frame.in_body and self._runs_once(node):
            # A lazy initialiser's block runs once; after a done-guard, the rest of the function.
            frame.lazy_init += 1
            if node.body.body and not is_done_guard(node, frame.node, frame.globals, frame.self_name):
                self._lazy_ifs.add(id(node))
        self._weigh_branches(node)

    def leave_If(self, original_node: cst.If) -> None:
        if id(original_node) in self._lazy_ifs:
            self.frame.lazy_init -= 1
        self._leave_branch(original_node)
        after = self._exits.pop(id(original_node), None)
        if after:
            self.frame.conditions.extend(after)  # the rest of the function, until it ends

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
        qualified = self._qualify(func)
        if node.args and (qualified in _CONSUMERS or isinstance(func, cst.Attribute) and func.attr.value == "join"):
            self._iterated.add(id(node.args[0].value))
        if not self.context.is_test_file and node.args:
            self._record_loop_run(node, frame, qualified)
        awaited = id(node) in self._awaited or id(node) in self._async_with
        if awaited:
            if isinstance(func, cst.Attribute):
                receiver = dotted_name(func.value)
                if receiver:
                    frame.facts.async_objects.add(receiver)
            if id(node) in self._awaited and not self.context.is_test_file:
                self._record_await(node, frame)
            return
        offloader = self._offloading[-1] if self._offloading else None
        use = Use(callee=None, text=dotted_name(func) or "", offloader=offloader, conditions=tuple(frame.conditions),
                  iterated=id(node) in self._iterated)
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
        owner = use.obj or (dotted_name(func.value) if isinstance(func, cst.Attribute) else None)
        use.binding = frame.rebinds.get((owner or "").partition(".")[0], 0)
        self._use(node, use, frame)

    def _record_loop_run(self, node: cst.Call, frame: Frame, qualified: str | None) -> None:
        """A coroutine handed to an event loop of its own (`asyncio.run(main())`,
        `loop.run_until_complete(factory())` of a parameter), or a call whose first argument may
        hand one to a function that does (`run_task(lambda: _index(doc_id))`, `run_task(check)`)."""
        func = node.func
        first = node.args[0].value
        if (isinstance(func, cst.Attribute) and func.attr.value == "run_until_complete"
                or qualified in EVENT_LOOP_RUNNERS):
            given = first.func if isinstance(first, cst.Call) and not first.args else first
            if isinstance(given, cst.Name) and given.value in frame.parameters:
                frame.facts.runs_parameters += (given.value,)
            elif isinstance(first, cst.Call):
                self._record_await(first, frame, frame.facts.loop_runs)
            return
        inner = first.body if isinstance(first, cst.Lambda) else first
        # Only a plain function can start a loop of its own: a coroutine's call would find the
        # serving loop running.
        if frame.facts.is_async or not isinstance(inner, (cst.Call, cst.Name, cst.Attribute)):
            return
        outer = self._use_of(node, frame)
        if outer is None:
            return
        # `run_task(check)`: the runner calls what it is given.
        handed = self._use_of(inner if isinstance(inner, cst.Call) else cst.Call(func=inner), frame)
        if handed is not None:
            frame.facts.handed.append((outer, handed))

    def _record_await(self, node: cst.Call, frame: Frame, into: list[Use] | None = None) -> None:
        """An awaited call that may run a coroutine of the repository, with its conditions and
        arguments: what decides whether that coroutine's branches run. Recorded in the function's
        `awaits`, or `into` another list (`loop_runs`)."""
        use = self._use_of(node, frame)
        if use is not None:
            (frame.facts.awaits if into is None else into).append(use)

    def _use_of(self, node: cst.Call, frame: Frame) -> Use | None:
        """A call that may run a function of the repository, as far as this file tells."""
        func = node.func
        use = Use(callee=None, text=dotted_name(func) or "", conditions=tuple(frame.conditions))
        if (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and frame.class_name
                and func.value.value in (frame.self_name, "cls")):
            use.receiver, use.method = ("class", frame.class_name), func.attr.value
        else:
            qualified = self._qualify(func)
            if qualified is not None and not is_external(qualified):
                use.callee = qualified
            elif isinstance(func, cst.Attribute):
                receiver = self._receiver_type(func.value)
                if receiver is None or not (receiver[0] == "class" or is_deferred(receiver)):
                    return None
                use.receiver, use.method = receiver, func.attr.value
            else:
                return None
        use.arguments = _arguments(node, frame.parameters)
        return use

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
                if use.object_key in frame.facts.reported.get(self.code, ()):
                    continue
                frame.facts.reported.setdefault(self.code, set()).add(use.object_key)
            self.report_in(statement, node, message, fix=fix_for(node, statement, blocking) if fix_for else None)
            span = self.findings[-1].span
            frame.facts.reported_at.setdefault(self.code, []).append((span.line, span.column, use.conditions))


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
        serving: ServingPaths = repo.facts(EntryPointFacts)
        settings: SettingsDefaults = repo.facts(SettingsFacts)
        callers = Callers.of(repo)
        withdraw_unreached(cls.code, repo, callers)
        for summary in repo.summaries:
            facts = types.facts_of(summary)
            if facts is None or summary.is_test_file:
                continue
            for function in facts.functions.values():
                if not function.is_async or serving.is_serving(function.qualname) is False:
                    continue
                reported = set(function.reported.get(cls.code, ()))
                for use in function.uses:
                    if (use.span is None or not is_direct(use)
                            or (use.obj and use.obj in function.async_objects)
                            or not types.by_default(use.conditions, settings)
                            or not callers.may_run(function, use.conditions)):
                        continue
                    blocking = types.receiver_blocking(use)
                    if blocking is None or not cls.wants(blocking, use.offloader):
                        continue
                    if use.obj:
                        if use.object_key in reported:
                            continue
                        reported.add(use.object_key)
                    repo.report(summary.path, use.span, cls.message(blocking, function, use),
                                statement_lines=use.statement_lines)


def withdraw_unreached(code: str, repo: RepoContext, callers: Callers) -> None:
    """Take back the per-file findings of rule `code` made in functions that only one-shot code
    (start-up, command-line programs, scripts) runs, under a settings flag whose default keeps
    the branch from running, or in a coroutine no call runs with the branch taken."""
    types = callers.types
    where: dict[tuple[str, int, int], tuple[FunctionFacts, tuple[Condition, ...]]] = {}
    for summary in repo.summaries:
        facts = types.facts_of(summary)
        if facts is None:
            continue
        for function in facts.functions.values():
            for line, column, conditions in function.reported_at.get(code, ()):
                where[(summary.path, line, column)] = (function, conditions)
    for finding in repo.file_findings:
        found = where.get((finding.path, finding.span.line, finding.span.column))
        if found is None:
            continue
        function, conditions = found
        if (callers.serving.is_serving(function.qualname) is False
                or not types.by_default(conditions, callers.settings)
                or not callers.may_run(function, conditions)):
            repo.withdraw(finding)


def _arguments(node: cst.Call, parameters: frozenset[str]) -> Arguments | None:
    """What a call passes (`Use.arguments`); None when it unpacks `*` or `**`."""
    if any(arg.star for arg in node.args):
        return None
    values = tuple(argument_value(arg.value, parameters) for arg in node.args if arg.keyword is None)
    keywords = tuple((arg.keyword.value, argument_value(arg.value, parameters))
                     for arg in node.args if arg.keyword is not None)
    return values, keywords


_BRIEF_PAUSE = 0.001  # seconds
# Builtins that iterate the iterable they are given at once.
_CONSUMERS = frozenset(f"builtins.{name}" for name in (
    "list", "tuple", "set", "frozenset", "dict", "sorted", "sum", "min", "max", "any", "all", "next"))


def _brief_pause(call: cst.Call) -> bool:
    """`time.sleep(0.001)`, `sleep(0)`: a literal pause of a millisecond or less."""
    if len(call.args) != 1 or not isinstance(call.args[0].value, (cst.Integer, cst.Float)):
        return False
    try:
        return float(call.args[0].value.value) <= _BRIEF_PAUSE
    except ValueError:
        return False
