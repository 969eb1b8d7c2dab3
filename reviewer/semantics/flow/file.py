"""The flow analysis of one file: each function's flow computed once, on demand, with what the
file's module level and classes define, and, for a function only this module calls, the trust of
what its callers pass (`FileFlows`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reviewer import lazy_cst as cst
from reviewer.semantics.flow.domain import Domain
from reviewer.semantics.flow.function import FunctionFlow
from reviewer.semantics.flow.knowledge import ENUM_BASES
from reviewer.semantics.flow.syntax import argument_for, body_of, directly_in_class, is_constant_expression
from reviewer.semantics.flow.trust import TRUSTED, UNKNOWN, Trust
from reviewer.semantics.flow.values import Env, Value
from reviewer.semantics.migrations import is_migration
from reviewer.semantics.names import NameResolver
from reviewer.syntax import is_docstring, string_value
from reviewer.traversal import Visitor, visit

if TYPE_CHECKING:
    from reviewer.rule import FileContext


@dataclass(frozen=True)
class CallSiteInModule:
    call: cst.Call
    functions: tuple[cst.FunctionDef, ...]  # enclosing functions, outermost first
    classes: tuple[cst.ClassDef, ...]  # the class the innermost function is a method of


class FileFlows:
    """The flows of one file for one domain, computed lazily per function and shared by every
    rule that asks for that domain (`flows_for`)."""

    def __init__(self, context: FileContext, domain: Callable[[FunctionFlow], Domain]) -> None:
        self.context = context
        self.domain = domain
        self._functions: dict[int, list[Any]] = {}
        self._module_env: Env | None = None
        self._module_uses: list[Any] | None = None
        self._classes: dict[str, cst.ClassDef] | None = None
        self._call_sites: dict[str, list[CallSiteInModule]] | None = None
        self._argument_trusts: dict[int, Trust] = {}  # argument node -> trust, in calls of local functions
        self._in_progress: set[int] = set()
        self._validators: dict[str, int] | None = None
        self._patterns: dict[str, str] | None = None
        self._constrained_results: frozenset[str] | None = None

    def code(self, node: cst.CSTNode) -> str:
        return self.context.tree.code_for_node(node)

    # Module-level facts ------------------------------------------------------------------

    @property
    def classes(self) -> dict[str, cst.ClassDef]:
        if self._classes is None:
            self._classes = {s.name.value: s for s in self.context.tree.body if isinstance(s, cst.ClassDef)}
        return self._classes

    def module_env(self) -> Env:
        """Module-level names bound to strings or constant collections."""
        if self._module_env is None:
            self._module_env = {}
            flow = FunctionFlow(self, None, [], {}, collect=False, domain=self.domain)
            self._module_env = flow.run(self.context.tree.body)
        return self._module_env

    def module_uses(self) -> list[Any]:
        """What the domain finds in the module body."""
        if self._module_uses is None:
            flow = FunctionFlow(self, None, [], {}, collect=True, domain=self.domain)
            flow.run(self.context.tree.body)
            self._module_uses = flow.uses
        return self._module_uses

    def function_uses(self, stack: Sequence[cst.FunctionDef], class_stack: Sequence[cst.ClassDef]) -> list[Any]:
        """What the domain finds in the innermost function of `stack` (the enclosing functions,
        outermost first), a method of the last class of `class_stack` if there is one."""
        function = stack[-1]
        key = id(function)
        if key not in self._functions:
            self._in_progress.add(key)
            try:
                class_env = self._class_env(class_stack)
                flow = FunctionFlow(self, function, stack, class_env, collect=True, domain=self.domain)
                flow.run(body_of(function))
            finally:
                self._in_progress.discard(key)
            self._functions[key] = flow.uses
        return self._functions[key]

    def _class_env(self, class_stack: Sequence[cst.ClassDef]) -> Env:
        """Class-level constants, reachable as `self.NAME` / `cls.NAME` / `Class.NAME`."""
        if not class_stack:
            return {}
        cls = class_stack[-1]
        flow = FunctionFlow(self, None, [], {}, collect=False, domain=self.domain)
        body = cls.body.body if isinstance(cls.body, cst.IndentedBlock) else ()
        inner = flow.run([s for s in body if isinstance(s, cst.SimpleStatementLine)])
        env: Env = {}
        for name, value in inner.items():
            for prefix in ("self", "cls", cls.name.value):
                env[f"{prefix}.{name}"] = value
        if self.is_enum_class(cls):
            env["self.value"] = env["self.name"] = Value(trust=TRUSTED)
        return env

    def compiled_patterns(self) -> dict[str, str]:
        """Module-level regular expressions: `NAME = re.compile(r"...")`, name -> pattern."""
        if self._patterns is None:
            self._patterns = {}
            for statement in self.context.tree.body:
                if not isinstance(statement, cst.SimpleStatementLine):
                    continue
                for small in statement.body:
                    if (
                        isinstance(small, cst.Assign)
                        and len(small.targets) == 1
                        and isinstance(small.targets[0].target, cst.Name)
                        and isinstance(small.value, cst.Call)
                        and self.context.qualify(small.value.func) == "re.compile"
                        and small.value.args
                    ):
                        pattern = string_value(small.value.args[0].value)
                        if pattern is not None:
                            self._patterns[small.targets[0].target.value] = pattern
        return self._patterns

    def validators(self) -> dict[str, int]:
        """The module's validators: module-level functions that return a test proving one of their
        parameters trusted (`return re.fullmatch(NAME, name) is not None`), by name, with that
        parameter's position. `if not valid_name(table): raise` then proves `table`."""
        if self._validators is None:
            self._validators = {}
            checker = FunctionFlow(self, None, [], {}, collect=False, domain=self.domain)
            for statement in self.context.tree.body:
                if not isinstance(statement, cst.FunctionDef):
                    continue
                returned = _only_return(statement)
                if returned is None:
                    continue
                proven, _ = checker._sanitized_by(returned, {})
                params = [p.name.value for p in (*statement.params.posonly_params, *statement.params.params)]
                for position, name in enumerate(params):
                    if name in proven:
                        self._validators[statement.name.value] = position
                        break
        return self._validators

    def constrained_results(self) -> frozenset[str]:
        """Module-level functions declared to return a value whose type holds no text (`def
        remaining_ms(deadline: float) -> int:`), by name: their result cannot carry SQL."""
        if self._constrained_results is None:
            checker = FunctionFlow(self, None, [], {}, collect=False, domain=self.domain)
            self._constrained_results = frozenset(
                statement.name.value for statement in self.context.tree.body
                if isinstance(statement, cst.FunctionDef) and statement.returns is not None
                and checker._classify_annotation(statement.returns.annotation) == "constrained")
        return self._constrained_results

    def is_enum_class(self, cls: cst.ClassDef) -> bool:
        resolver = NameResolver(self.context.summary.imports)
        return any(resolver.qualify(base.value) in ENUM_BASES for base in cls.bases)

    def call_sites(self, name: str) -> list[CallSiteInModule]:
        """Calls of a module-level function by its plain name anywhere in this module, with the
        functions and classes they sit in."""
        if self._call_sites is None:
            collector = _CallSites()
            visit(self.context.tree, collector)
            self._call_sites = collector.sites
        return self._call_sites.get(name, [])

    def note_argument(self, node: cst.BaseExpression, trust: Trust) -> None:
        """What a call of a function of this module passes, as the calling function's flow saw it."""
        self._argument_trusts[id(node)] = trust

    def argument_trust(self, site: CallSiteInModule, function: cst.FunctionDef, param: cst.Param) -> Trust:
        """The trust of what one call passes for `param`, judged in the calling function's flow."""
        arg = argument_for(site.call, function, param)
        if arg is None:
            return TRUSTED if param.default is not None else UNKNOWN
        if not site.functions:
            return TRUSTED if is_constant_expression(arg.value, self.context.summary.imports) else UNKNOWN
        caller = site.functions[-1]
        if id(caller) in self._in_progress:
            return UNKNOWN  # recursion: judged by the calls into the cycle
        self.function_uses(site.functions, site.classes)
        return self._argument_trusts.get(id(arg.value), UNKNOWN)

    def module_private(self, function: cst.FunctionDef) -> bool:
        """Only callable from this module: a `_private` function, or any function of a
        migration or script, which nothing but other migrations and scripts imports."""
        return function.name.value.startswith("_") or self.run_by_operator()

    def run_by_operator(self) -> bool:
        """A module of migrations or scripts: an operator runs it, with the values its code spells."""
        path = self.context.path
        is_script = any(part in path.split("/") for part in ("migrations", "versions", "alembic", "scripts"))
        return is_script or is_migration(path, self.context.summary.imports)


def flows_for(context: FileContext, domain: Callable[[FunctionFlow], Domain]) -> FileFlows:
    """The file's flows for `domain` (a `Domain` subclass, or a hashable factory such as a
    `TaintSpec`), shared by every rule of the walk that asks for the same domain. They refer back
    to the context, so they live in its per-walk memo and no longer than the walk."""
    key = ("flows", domain)
    flows = context.shared.get(key)
    if flows is None:
        flows = context.shared[key] = FileFlows(context, domain)
    return flows


def _only_return(function: cst.FunctionDef) -> cst.BaseExpression | None:
    """What a function whose body is one `return <expression>` (after a docstring) returns."""
    statements = [s for s in body_of(function) if not is_docstring(s)]
    if len(statements) != 1 or not isinstance(statements[0], cst.SimpleStatementLine):
        return None
    small = statements[0].body
    return small[0].value if len(small) == 1 and isinstance(small[0], cst.Return) else None


class _CallSites(Visitor):
    """Calls by a plain name in a module, with the functions and the class they sit in."""

    def __init__(self) -> None:
        self.sites: dict[str, list[CallSiteInModule]] = {}
        self.functions: list[cst.FunctionDef] = []
        self.classes: list[cst.ClassDef] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.functions.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.functions.pop()

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes.append(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.classes.pop()

    def visit_Call(self, node: cst.Call) -> None:
        if isinstance(node.func, cst.Name):
            functions, classes = self.functions, self.classes
            is_method = functions and classes and directly_in_class(functions[-1], classes[-1])
            owner = classes[-1:] if is_method else []
            site = CallSiteInModule(node, tuple(functions), tuple(owner))
            self.sites.setdefault(node.func.value, []).append(site)
