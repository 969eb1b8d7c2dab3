"""What a configuration value is when the deployment sets nothing.

`allow_origins=settings.cors_origins`, `jwt.encode(claims, SECRET_KEY)`: what these hold in a
deployment that sets no environment variable is written somewhere else, often in another module:
a settings class's field default (`cors_origins: list[str] = ["*"]`,
`secret: str = Field(default="changeme")`), a module constant
(`ORIGINS = os.getenv("CORS_ORIGINS", "*").split(",")`), a reader's fallback
(`config("SECRET_KEY", default="changeme")`, Starlette's `Config`, environs' `Env`).

Per file, `DefaultsFacts` turns expressions into small picklable *symbols* that say how a value is
computed, and records the symbols of module-level bindings, of class fields and which class a
module-level function returns (`def get_settings() -> Settings`). While the walk is in a function it
also knows the function's locals and parameters (`settings: Settings` is an instance of
`Settings`), and which configuration the code at hand is conditional on (`if settings.debug:`).
Over the repository, `Defaults.evaluate(symbol)` computes the default value and the place (a
module binding or a class field) whose literal it is.

Symbols are tuples:

- `("lit", value)`: a literal (`str`, `bool`, `int`, `None`; bytes are decoded);
- `("seq", (symbol, ...))`: a list, tuple or set display; `("splat", symbol)` is a starred element;
- `("name", qualified)`: a module-level name or an attribute of one, through the imports
  (`app.config.settings.cors_origins`);
- `("attr", symbol, name)`: an attribute of a value no name spells (`get_settings().secret`);
- `("instance", class)`: a parameter annotated with a class; `("new", callee)`: what a call without
  arguments makes (`Settings()`, `get_settings()`) or returns (a function with one `return`);
- `("env", variable, symbol)`: an environment read with its fallback (unset by default);
- `("split", symbol, separator)`, `("add", symbol, symbol)`, `("or", symbol, symbol)`,
  `("each", symbol)` (a comprehension that keeps each element), `("truth", symbol)` (an environment
  string read as a flag), `("cmp", symbol, operator, values)` (`== "true"`, `in ("1", "true")`),
  `("not", symbol)`, `("if", test, body, orelse)` (a conditional expression), `("json", symbol)`
  (`json.loads` of a default);
- `("param", name, position)`: a parameter of the function being walked (its value is the caller's);
- None: unknown.

Methods that keep what matters of a value (`strip`, `lower`, `encode`, `get_secret_value`, `str()`,
`list()`) are looked through.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.semantics.names import dotted_name
from reviewer.syntax import TRUTHY_STRINGS, argument, keyword, string_value

if TYPE_CHECKING:
    from reviewer.facts import RepositoryView
    from reviewer.rule import FileContext
    from reviewer.semantics.calls import ModuleIndex

FACTS_KEY = "defaults"
Symbol = tuple | None

ENVIRONMENT_GETS = frozenset({"os.getenv", "os.environ.get"})  # reads that change nothing
ENVIRONMENT_READS = ENVIRONMENT_GETS | {"os.environ.setdefault"}
DECOUPLE_CONFIG = frozenset({"decouple.config", "decouple.AutoConfig"})
COMMA_CASTS = frozenset({"decouple.Csv", "starlette.datastructures.CommaSeparatedStrings"})
# Objects that read the environment when called (`config("KEY", default=...)`), by kind.
READER_CLASSES = {
    "starlette.config.Config": "starlette", "environs.Env": "environs", "decouple.AutoConfig": "decouple",
    "decouple.Config": "decouple",
}
NOT_CLASSES = ("builtins.", "typing.", "typing_extensions.", "collections.")
SECRET_WRAPPERS = frozenset({"pydantic.SecretStr", "pydantic.SecretBytes", "pydantic.types.SecretStr"})
# Methods that keep the part of a value the rules read (its text, its elements).
KEEPING_METHODS = frozenset({
    "strip", "lstrip", "rstrip", "lower", "upper", "casefold", "encode", "decode", "get_secret_value", "copy",
})
KEEPING_BUILTINS = frozenset({
    "builtins.str", "builtins.bytes", "builtins.list", "builtins.tuple", "builtins.set", "builtins.frozenset",
    "builtins.sorted",
})
MAX_TEXT = 512  # longer literals are not kept (summaries stay small)
MAX_ELEMENTS = 64
MAX_DEPTH = 24  # symbols and names followed


@dataclass
class DefaultsModule:
    """What one module binds (plain, picklable)."""

    bindings: dict[str, Symbol] = field(default_factory=dict)  # qualified name -> symbol (None: changed)
    fields: dict[str, dict[str, Symbol]] = field(default_factory=dict)  # class -> field -> symbol
    returns: dict[str, str] = field(default_factory=dict)  # module-level function -> the class it returns
    results: dict[str, Symbol] = field(default_factory=dict)  # module-level function -> what its one return gives
    readers: dict[str, str] = field(default_factory=dict)  # module-level names of environment readers: kind


class _Pending:
    """A local's value whose symbol is computed when it is first asked for (most never are)."""

    __slots__ = ("node",)

    def __init__(self, node: cst.BaseExpression) -> None:
        self.node = node


@dataclass
class _Frame:
    """A function being walked: its locals' symbols (or what they will be computed from: a
    `_Pending` value, a parameter's annotation), the names bound inside compound statements (unknown
    once the statement is left), and the tests of the `if`s it has left on (`if not x: return`)."""

    qualname: str
    values: dict[str, Any]
    branches: list[set[str]] = field(default_factory=list)
    exits: list[cst.BaseExpression] = field(default_factory=list)
    results: list[Symbol] = field(default_factory=list)  # what its `return`s give


class DefaultsFacts(Facts):
    """Records module bindings, class fields and functions' returned classes as symbols; knows the
    locals of the function being walked and the configuration its code is conditional on."""

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self.module = DefaultsModule()
        context.summary.extras[FACTS_KEY] = self.module
        self._classes: list[str] = []
        self._frames: list[_Frame] = []
        self._module_branches: list[set[str]] = []
        self._bound: set[str] = set()  # module-level names bound so far
        self._tests: list[cst.BaseExpression] = []  # the tests of the enclosing `if`s
        self._guards: tuple[int, frozenset[str]] | None = None  # (walk state, its guards), once computed
        self._state = 0  # changes whenever the enclosing tests or functions do

    def leave_Module(self, original_node: cst.Module) -> None:
        module = self.module
        if not any((module.bindings, module.fields, module.returns, module.results)):
            self.context.summary.extras.pop(FACTS_KEY, None)  # nothing to carry

    # --- where the walk is ---

    def _qualname(self, name: str) -> str:
        scope = [self._frames[-1].qualname] if self._frames else [self.context.module, *self._classes]
        return ".".join(p for p in (*scope, name) if p)

    def _in_class_body(self) -> bool:
        return bool(self._classes) and not self._frames

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        values: dict[str, Symbol] = {}
        params = (*node.params.posonly_params, *node.params.params, *node.params.kwonly_params)
        shift = 1 if self._in_class_body() else 0  # `self`
        for position, param in enumerate(params):
            values[param.name.value] = (param, position - shift)
        for star in (node.params.star_arg, node.params.star_kwarg):
            if isinstance(star, cst.Param):
                values[star.name.value] = None
        if not self._frames and not self._classes and node.returns is not None:
            returned = self._class_of_annotation(node.returns.annotation)
            if returned is not None:
                self.module.returns[self._qualname(node.name.value)] = returned
        self._frames.append(_Frame(self._qualname(node.name.value), values))
        self._state += 1

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        frame = self._frames.pop()
        self._state += 1
        if not self._frames and not self._classes and len(frame.results) == 1 and _worth_keeping(frame.results[0]):
            self.module.results[frame.qualname] = frame.results[0]

    def _local(self, name: str) -> Symbol:
        """The symbol of a local of the function being walked, computed on first use."""
        frame = self._frames[-1]
        value = frame.values[name]
        if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], cst.Param):
            value = frame.values[name] = self._parameter_symbol(*value)
        elif isinstance(value, _Pending):
            frame.values[name] = None  # a value computed from itself is unknown
            value = frame.values[name] = self.symbol(value.node)
        return value

    def _parameter_symbol(self, param: cst.Param, position: int) -> Symbol:
        annotation = param.annotation.annotation if param.annotation is not None else None
        cls = self._class_of_annotation(annotation) if annotation is not None else None
        return ("instance", cls) if cls is not None else ("param", param.name.value, position)

    def _class_of_annotation(self, annotation: cst.BaseExpression) -> str | None:
        """The class an annotation names (`Settings`, `Annotated[Settings, Depends(...)]`), not a
        builtin or typing construct."""
        if isinstance(annotation, cst.Subscript) and (dotted_name(annotation.value) or "").endswith("Annotated"):
            first = annotation.slice[0].slice if annotation.slice else None
            annotation = first.value if isinstance(first, cst.Index) else annotation
        if not isinstance(annotation, (cst.Name, cst.Attribute)):
            return None
        name = self.context.qualify(annotation)
        if name is None or name.startswith(NOT_CLASSES):
            return None
        return name

    # --- compound statements: what is bound inside one is unknown after it ---

    def _branch_sets(self) -> list[set[str]]:
        return self._frames[-1].branches if self._frames else self._module_branches

    def _enter_block(self) -> None:
        self._branch_sets().append(set())

    def _leave_block(self) -> None:
        names = self._branch_sets().pop()
        if self._frames:
            frame = self._frames[-1]
            for name in names:
                frame.values[name] = None
            if frame.branches:
                frame.branches[-1].update(names)

    def visit_If(self, node: cst.If) -> None:
        self._enter_block()
        self._tests.append(node.test)
        self._state += 1

    def leave_If(self, original_node: cst.If) -> None:
        self._tests.pop()
        self._state += 1
        if self._frames and _always_leaves(original_node.body):
            self._frames[-1].exits.append(original_node.test)
        self._leave_block()

    def visit_For(self, node: cst.For) -> None:
        self._enter_block()
        self._unbind(node.target)

    def leave_For(self, original_node: cst.For) -> None:
        self._leave_block()

    def visit_While(self, node: cst.While) -> None:
        self._enter_block()

    def leave_While(self, original_node: cst.While) -> None:
        self._leave_block()

    def visit_Try(self, node: cst.Try) -> None:
        self._enter_block()

    def leave_Try(self, original_node: cst.Try) -> None:
        self._leave_block()

    def visit_With(self, node: cst.With) -> None:
        self._enter_block()
        for item in node.items:
            if item.asname is not None:
                self._unbind(item.asname.name)

    def leave_With(self, original_node: cst.With) -> None:
        self._leave_block()

    def configuration_guards(self) -> frozenset[str]:
        """The configuration the code being walked runs under: qualified names of module-level
        objects and attributes of them (`app.config.settings.debug`), or `env:VARIABLE`, that an
        enclosing `if` tests or an earlier `if ...: return` of the function tested."""
        if self._guards is not None and self._guards[0] == self._state:
            return self._guards[1]
        found: set[str] = set()
        for test in (*self._tests, *(self._frames[-1].exits if self._frames else ())):
            found |= self._configuration_in(test)
        self._guards = (self._state, frozenset(found))
        return self._guards[1]

    def configuration_in(self, node: cst.BaseExpression) -> frozenset[str]:
        """The configuration an expression reads, named as `configuration_guards` names it."""
        return self._configuration_in(node)

    def _configuration_in(self, test: cst.BaseExpression) -> frozenset[str]:
        found: set[str] = set()
        pending: list[cst.BaseExpression] = [test]
        while pending:
            node = pending.pop()
            if isinstance(node, cst.Call):
                if self.context.qualify(node.func) in ENVIRONMENT_READS:
                    variable = argument(node, 0, "key")
                    found.add(f"env:{string_value(variable.value) if variable is not None else ''}")
                    continue
                pending.append(node.func)
                pending.extend(arg.value for arg in node.args)
            elif isinstance(node, (cst.Name, cst.Attribute)):
                name = self.configuration_name(node)
                if name is not None:
                    found.add("env:" if name.startswith("os.environ") else name)
                elif isinstance(node, cst.Attribute):
                    pending.append(node.value)
            elif isinstance(node, cst.BooleanOperation):
                pending += [node.left, node.right]
            elif isinstance(node, cst.UnaryOperation):
                pending.append(node.expression)
            elif isinstance(node, cst.Comparison):
                pending.append(node.left)
                pending.extend(target.comparator for target in node.comparisons)
            elif isinstance(node, cst.Subscript):
                pending.append(node.value)
        return frozenset(found)

    def may_be_configuration(self, node: cst.Name | cst.Attribute) -> bool:
        """Cheaply: whether a name or attribute chain may read configuration (`settings.secret`,
        `SECRET_KEY`, `config.secret` of a parameter `config: Settings`), not a plain local."""
        head = node
        while isinstance(head, cst.Attribute):
            head = head.value
        if not isinstance(head, cst.Name):
            return isinstance(node, cst.Attribute)
        if self._frames and head.value in self._frames[-1].values:
            value = self._frames[-1].values[head.value]
            if not isinstance(node, cst.Attribute):
                return False
            return isinstance(value, _Pending) or isinstance(value, tuple) and (
                isinstance(value[0], cst.Param) or value[0] == "instance")
        return True

    def configuration_name(self, node: cst.BaseExpression) -> str | None:
        """The qualified name of a module-level object or attribute of one (`settings.debug`), or
        of an attribute of a parameter whose class is known (`Settings.debug`); None for locals,
        builtins and anything else."""
        parts: list[str] = []
        head = node
        while isinstance(head, cst.Attribute):
            parts.append(head.attr.value)
            head = head.value
        if not isinstance(head, cst.Name):
            return None
        if self._frames and head.value in self._frames[-1].values:
            local = self._local(head.value)
            if local is None or local[0] != "instance" or not parts:
                return None
            return ".".join((local[1], *reversed(parts)))
        name = self.context.qualify(node)
        return None if name is None or name.startswith("builtins.") else name

    # --- bindings ---

    def visit_Assign(self, node: cst.Assign) -> None:
        if self._in_class_body():
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    self._field(target.target.value, node.value)
            return
        value = self._value(node.value)
        reader = self._reader_kind(node.value) if not self._frames else None
        for target in node.targets:
            self._bind(target.target, value, reader)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is None:
            return
        if self._in_class_body():
            if isinstance(node.target, cst.Name):
                self._field(node.target.value, node.value)
            return
        self._bind(node.target, self._value(node.value), self._reader_kind(node.value) if not self._frames else None)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        target = node.target
        if not isinstance(target, cst.Name) or self._in_class_body():
            return
        if self._frames:
            old = self._local(target.value) if target.value in self._frames[-1].values else None
        else:
            old = self.module.bindings.get(self._module_name(target.value))
        new = ("add", old, self.symbol(node.value)) if isinstance(node.operator, cst.AddAssign) else None
        self._bind(target, new, None, rebinding=True)

    def visit_Global(self, node: cst.Global) -> None:
        for item in node.names:
            self.module.bindings.pop(self._module_name(item.name.value), None)
            self._bound.add(self._module_name(item.name.value))

    def _value(self, node: cst.BaseExpression) -> Any:
        """What a binding records: in a function, the value to compute a symbol from when asked
        (now, when the value may read the name it rebinds); at module level, the symbol."""
        if self._frames and not self._in_class_body():
            return _Pending(node)
        return self.symbol(node)

    def _reader_kind(self, value: cst.BaseExpression) -> str | None:
        """Which environment reader a value makes (`Config(".env")`, `Env()`), if any."""
        if not isinstance(value, cst.Call):
            return None
        return READER_CLASSES.get(self.context.qualify(value.func) or "")

    def _module_name(self, name: str) -> str:
        return f"{self.context.module}.{name}" if self.context.module else name

    def _bind(self, target: cst.BaseExpression, value: Any, reader: str | None, *, rebinding: bool = False) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._unbind(element.value)
            return
        if not isinstance(target, cst.Name):
            return
        name = target.value
        if self._frames:
            frame = self._frames[-1]
            if isinstance(value, _Pending) and name in frame.values:
                value = self.symbol(value.node)  # `x = x.strip()`: from what `x` is now
            frame.values[name] = value
            if frame.branches:
                frame.branches[-1].add(name)
            return
        qualified = self._module_name(name)
        if reader is not None:
            self.module.readers[name] = reader
        first = qualified not in self._bound
        self._bound.add(qualified)
        if (first or rebinding) and not self._module_branches and _worth_keeping(value):
            self.module.bindings[qualified] = value
        else:
            self.module.bindings.pop(qualified, None)

    def _unbind(self, target: cst.BaseExpression) -> None:
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._unbind(element.value)
        elif isinstance(target, cst.Name):
            if self._frames:
                self._frames[-1].values[target.value] = None
            elif not self._classes:
                self.module.bindings.pop(self._module_name(target.value), None)
                self._bound.add(self._module_name(target.value))

    def _field(self, name: str, value: cst.BaseExpression) -> None:
        """A class field's default: `name: T = value`, `Field(default=...)`, a default factory."""
        symbol = self._field_default(value)
        if _worth_keeping(symbol):
            cls = ".".join(p for p in (self.context.module, *self._classes) if p)
            self.module.fields.setdefault(cls, {})[name] = symbol

    def _field_default(self, value: cst.BaseExpression) -> Symbol:
        if not (isinstance(value, cst.Call) and (dotted_name(value.func) or "").rsplit(".", 1)[-1] == "Field"):
            return self.symbol(value)
        default = argument(value, 0, "default")
        if default is not None:
            return None if isinstance(default.value, cst.Ellipsis) else self.symbol(default.value)
        factory = keyword(value, "default_factory")
        if factory is None:
            return None
        if isinstance(factory.value, cst.Lambda):
            return self.symbol(factory.value.body)
        made = self.context.qualify(factory.value)
        return ("seq", ()) if made in ("builtins.list", "builtins.tuple", "builtins.set") else None

    def visit_Return(self, node: cst.Return) -> None:
        if len(self._frames) != 1 or self._classes:
            return
        self._frames[0].results.append(self.symbol(node.value) if node.value is not None else ("lit", None))
        if not isinstance(node.value, cst.Call) or node.value.args:
            return
        cls = self.context.qualify(node.value.func)
        name = self._frames[0].qualname
        if cls is not None and not cls.startswith("builtins.") and name not in self.module.returns:
            self.module.returns[name] = cls

    # --- symbols ---

    def symbol(self, node: cst.BaseExpression, depth: int = 0) -> Symbol:
        """How `node` is computed, as far as a default tells (see the module's docstring), at the
        point the walk is at."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            text = string_value(node)
            return ("lit", text) if text is not None and len(text) <= MAX_TEXT else None
        if isinstance(node, cst.Integer):
            return ("lit", int(node.value.replace("_", ""), 0))
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            if len(node.elements) > MAX_ELEMENTS:
                return None
            return ("seq", tuple(
                ("splat", self.symbol(element.value, depth + 1)) if isinstance(element, cst.StarredElement)
                else self.symbol(element.value, depth + 1)
                for element in node.elements
            ))
        if isinstance(node, cst.Name):
            if node.value in ("True", "False", "None"):
                return ("lit", {"True": True, "False": False, "None": None}[node.value])
            if self._frames and node.value in self._frames[-1].values:
                return self._local(node.value)
            name = self.context.qualify(node)
            return ("name", name) if name is not None and not name.startswith("builtins.") else None
        if isinstance(node, cst.Attribute):
            head = node
            while isinstance(head, cst.Attribute):
                head = head.value
            if isinstance(head, cst.Name) and not (self._frames and head.value in self._frames[-1].values):
                name = self.context.qualify(node)
                return ("name", name) if name is not None and not name.startswith("builtins.") else None
            owner = self.symbol(node.value, depth + 1)
            return ("attr", owner, node.attr.value) if owner is not None else None
        if isinstance(node, cst.Call):
            return self._call_symbol(node, depth)
        if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or):
            return ("or", self.symbol(node.left, depth + 1), self.symbol(node.right, depth + 1))
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            return ("add", self.symbol(node.left, depth + 1), self.symbol(node.right, depth + 1))
        if isinstance(node, cst.Comparison) and len(node.comparisons) == 1:
            return self._comparison_symbol(node, depth)
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            return self._comprehension_symbol(node, depth)
        if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
            return ("not", self.symbol(node.expression, depth + 1))
        if isinstance(node, cst.IfExp):
            return ("if", self.symbol(node.test, depth + 1), self.symbol(node.body, depth + 1),
                    self.symbol(node.orelse, depth + 1))
        return None

    def _call_symbol(self, node: cst.Call, depth: int) -> Symbol:
        func = node.func
        local = isinstance(func, cst.Name) and bool(self._frames) and func.value in self._frames[-1].values
        callee = None if local else self.context.qualify(func)
        if callee in ENVIRONMENT_READS:
            return self._environment_symbol(node, 1, depth)
        if callee in DECOUPLE_CONFIG:
            return self._cast(node, self._environment_symbol(node, 1, depth))
        reader = self.module.readers.get(func.value) if isinstance(func, cst.Name) and not local else None
        if reader is not None:
            position = 2 if reader == "starlette" else 1
            return self._cast(node, self._environment_symbol(node, position, depth))
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            reader = self.module.readers.get(func.value.value)
            if reader == "environs" and func.attr.value in ("str", "list", "bool"):
                read = self._environment_symbol(node, 1, depth)
                if func.attr.value == "bool":
                    return ("truth", read)
                return ("split", read, ",") if func.attr.value == "list" and _is_literal_text(read[2]) else read
        if callee in KEEPING_BUILTINS or callee in SECRET_WRAPPERS:
            first = argument(node, 0, "value")
            return self.symbol(first.value, depth + 1) if first is not None else None
        if callee in ("builtins.bool", "json.loads"):
            first = argument(node, 0, "s")
            kind = "truth" if callee == "builtins.bool" else "json"
            return (kind, self.symbol(first.value, depth + 1)) if first is not None else None
        if isinstance(func, cst.Attribute) and func.attr.value in KEEPING_METHODS:
            return self.symbol(func.value, depth + 1)
        if isinstance(func, cst.Attribute) and func.attr.value == "split":
            separator = argument(node, 0, "sep")
            return ("split", self.symbol(func.value, depth + 1),
                    string_value(separator.value) if separator is not None else None)
        if not node.args and callee is not None and not callee.startswith("builtins."):
            return ("new", callee)
        return None

    def _environment_symbol(self, node: cst.Call, default_position: int, depth: int) -> tuple:
        variable = argument(node, 0, "key")
        fallback = keyword(node, "default") or argument(node, default_position, "default")
        name = string_value(variable.value) if variable is not None else None
        return ("env", name, self.symbol(fallback.value, depth + 1) if fallback is not None else ("lit", None))

    def _cast(self, node: cst.Call, read: tuple) -> Symbol:
        cast = keyword(node, "cast")
        if cast is None:
            return read
        kind = cast.value.func if isinstance(cast.value, cst.Call) else cast.value
        name = self.context.qualify(kind)
        if name in COMMA_CASTS:
            return ("split", read, ",")
        if name == "builtins.bool":
            return ("truth", read)
        return read if name == "builtins.str" else None

    def _comparison_symbol(self, node: cst.Comparison, depth: int) -> Symbol:
        target = node.comparisons[0]
        operator = type(target.operator).__name__
        if operator not in ("Equal", "NotEqual", "In", "NotIn"):
            return None
        values = _literal_values(self.symbol(target.comparator, depth + 1))
        if values is None:
            return None
        return ("cmp", self.symbol(node.left, depth + 1), operator, values)

    def _comprehension_symbol(self, node: cst.ListComp | cst.SetComp | cst.GeneratorExp, depth: int) -> Symbol:
        loop = node.for_in
        if loop.inner_for_in is not None or not isinstance(loop.target, cst.Name):
            return None
        variable = loop.target.value
        if not _keeps(node.elt, variable, self.context.qualify):
            return None
        if any(not _keeps(condition.test, variable, self.context.qualify) for condition in loop.ifs):
            return None  # a filter other than the element's own truth may drop elements
        return ("each", self.symbol(loop.iter, depth + 1))

    @classmethod
    def repository(cls, repo: RepositoryView) -> Defaults:
        modules = [s.extras[FACTS_KEY] for s in repo.summaries if isinstance(s.extras.get(FACTS_KEY), DefaultsModule)]
        classes: dict[str, list[str]] = {}
        for summary in repo.summaries:
            classes.update(summary.classes)
        return Defaults(modules, repo.index, classes)


def _is_literal_text(symbol: Symbol) -> bool:
    return symbol is not None and symbol[0] == "lit" and isinstance(symbol[1], str)


def _keeps(node: cst.BaseExpression, variable: str, qualify: Any) -> bool:
    """`o`, `o.strip()`, `str(o).rstrip("/")`: the element itself, as far as its text goes."""
    while True:
        if isinstance(node, cst.Name):
            return node.value == variable
        if not isinstance(node, cst.Call):
            return False
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in KEEPING_METHODS:
            node = node.func.value
        elif qualify(node.func) in ("builtins.str", "builtins.bytes") and node.args:
            node = node.args[0].value
        else:
            return False


def _literal_values(symbol: Symbol) -> tuple | None:
    if symbol is None:
        return None
    if symbol[0] == "lit":
        return (symbol[1],)
    if symbol[0] == "seq" and all(element is not None and element[0] == "lit" for element in symbol[1]):
        return tuple(element[1] for element in symbol[1])
    return None


def _worth_keeping(symbol: Symbol) -> bool:
    return symbol is not None and symbol[0] != "param"


def _always_leaves(block: cst.BaseSuite) -> bool:
    """Whether a block ends by leaving the function (`return`, `raise`)."""
    body = block.body if isinstance(block, cst.IndentedBlock) else getattr(block, "body", ())
    if not body:
        return False
    last = body[-1]
    if isinstance(last, cst.SimpleStatementLine):
        return any(isinstance(small, (cst.Return, cst.Raise)) for small in last.body)
    return False


# --- the repository ---


@dataclass(frozen=True)
class Instance:
    """An object of a class (a settings object), or the class itself."""

    cls: str


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()
# Where a value's literal is written: ("binding", qualified name), ("field", class, name, the
# class of the object read) or ("function", qualified name) that returns it; None when it is
# written where it is used.
Place = tuple | None


class Defaults:
    """The repository's bindings and fields, evaluated as a deployment that sets nothing gets them."""

    def __init__(self, modules: list[DefaultsModule], index: ModuleIndex, classes: dict[str, list[str]]) -> None:
        self.index = index
        self.bindings: dict[str, Symbol] = {}
        self.fields: dict[str, dict[str, Symbol]] = {}
        self.returns: dict[str, str] = {}
        self.results: dict[str, Symbol] = {}
        for module in modules:
            self.bindings.update(module.bindings)
            self.fields.update(module.fields)
            self.returns.update(module.returns)
            self.results.update(module.results)
        self.classes = classes

    def bases(self, cls: str) -> list[str]:
        return [self.index.canonical(base) for base in self.classes.get(cls, ())]

    def derives_from(self, cls: str, ancestors: frozenset[str], depth: int = 0) -> bool:
        """Whether `cls` is one of `ancestors` or derives from one through the repository's classes."""
        cls = self.index.canonical(cls)
        if cls in ancestors:
            return True
        return depth < MAX_DEPTH and any(self.derives_from(base, ancestors, depth + 1) for base in self.bases(cls))

    def evaluate(self, symbol: Symbol, place: Place = None, depth: int = 0) -> tuple[Any, Place]:
        """(the default value, where its literal is written): a `str`, `bool`, `int`, `None`, a
        tuple of values, an `Instance`, or `UNKNOWN`."""
        if symbol is None or depth > MAX_DEPTH:
            return UNKNOWN, None
        kind = symbol[0]
        if kind == "lit":
            return symbol[1], place
        if kind == "seq":
            values: list[Any] = []
            for element in symbol[1]:
                if element is not None and element[0] == "splat":
                    inner, _ = self.evaluate(element[1], place, depth + 1)
                    values.extend(inner if isinstance(inner, tuple) else (UNKNOWN,))
                else:
                    values.append(self.evaluate(element, place, depth + 1)[0])
            return tuple(values), place
        if kind == "name":
            return self._name(symbol[1], depth + 1)
        if kind == "attr":
            owner, _ = self.evaluate(symbol[1], place, depth + 1)
            return self._field(owner, symbol[2], depth + 1)
        if kind == "instance":
            return Instance(self.index.canonical(symbol[1])), None
        if kind == "new":
            name = self.index.canonical(symbol[1])
            if name in self.results and name not in self.classes:
                return self.evaluate(self.results[name], ("function", name), depth + 1)
            return self._made_by(symbol[1]), None
        if kind == "env":
            return self.evaluate(symbol[2], place, depth + 1)
        if kind == "split":
            value, where = self.evaluate(symbol[1], place, depth + 1)
            return (tuple(value.split(symbol[2])), where) if isinstance(value, str) else (UNKNOWN, None)
        if kind == "add":
            left, where = self.evaluate(symbol[1], place, depth + 1)
            right, _ = self.evaluate(symbol[2], place, depth + 1)
            if isinstance(left, tuple) and isinstance(right, tuple):
                return left + right, where
            if isinstance(left, str) and isinstance(right, str):
                return left + right, where
            return (left + (UNKNOWN,), where) if isinstance(left, tuple) else (UNKNOWN, None)
        if kind == "or":
            left, where = self.evaluate(symbol[1], place, depth + 1)
            if left is UNKNOWN or isinstance(left, Instance) or left:
                return left, where
            return self.evaluate(symbol[2], place, depth + 1)
        if kind == "each":
            value, where = self.evaluate(symbol[1], place, depth + 1)
            return (value, where) if isinstance(value, tuple) else (UNKNOWN, None)
        if kind == "truth":
            value, where = self.evaluate(symbol[1], place, depth + 1)
            if isinstance(value, str):
                return value.strip().lower() in TRUTHY_STRINGS, where
            return (value, where) if isinstance(value, bool) else (UNKNOWN, None)
        if kind == "cmp":
            return self._compare(symbol, place, depth)
        if kind == "not":
            value, _ = self.evaluate(symbol[1], place, depth + 1)
            return (UNKNOWN, None) if value is UNKNOWN or isinstance(value, Instance) else (not value, None)
        if kind == "if":
            test, _ = self.evaluate(symbol[1], place, depth + 1)
            if test is UNKNOWN or isinstance(test, Instance):
                return UNKNOWN, None
            return self.evaluate(symbol[2] if test else symbol[3], place, depth + 1)
        if kind == "json":
            return self._json(symbol[1], place, depth)
        return UNKNOWN, None

    def _json(self, symbol: Symbol, place: Place, depth: int) -> tuple[Any, Place]:
        """`json.loads` of a default: lists become tuples; anything else but plain values is unknown."""
        text, where = self.evaluate(symbol, place, depth + 1)
        if not isinstance(text, str):
            return UNKNOWN, None
        try:
            value = json.loads(text)
        except ValueError:
            return UNKNOWN, None
        if isinstance(value, list):
            value = tuple(element if isinstance(element, (str, bool, int)) else UNKNOWN for element in value)
        elif not isinstance(value, (str, bool, int)) and value is not None:
            return UNKNOWN, None
        return value, where

    def _compare(self, symbol: tuple, place: Place, depth: int) -> tuple[Any, Place]:
        value, where = self.evaluate(symbol[1], place, depth + 1)
        if value is UNKNOWN or isinstance(value, (Instance, tuple)):
            return UNKNOWN, None
        operator, values = symbol[2], symbol[3]
        if operator in ("Equal", "NotEqual"):
            result = value == values[0] if len(values) == 1 else UNKNOWN
            if result is UNKNOWN:
                return UNKNOWN, None
            return (result if operator == "Equal" else not result), where
        member = value in values
        return (member if operator == "In" else not member), where

    def _name(self, qualified: str, depth: int) -> tuple[Any, Place]:
        name = self.index.canonical(qualified)
        if name in self.bindings:
            return self.evaluate(self.bindings[name], ("binding", name), depth + 1)
        if name in self.classes:
            return Instance(name), None
        if "." not in name or depth > MAX_DEPTH:
            return UNKNOWN, None
        owner, attribute = name.rsplit(".", 1)
        value, _ = self._name(owner, depth + 1)
        return self._field(value, attribute, depth + 1)

    def _made_by(self, callee: str) -> Any:
        name = self.index.canonical(callee)
        if name in self.classes:
            return Instance(name)
        returned = self.returns.get(name)
        return Instance(self.index.canonical(returned)) if returned is not None else UNKNOWN

    def _field(self, owner: Any, name: str, depth: int) -> tuple[Any, Place]:
        if not isinstance(owner, Instance):
            return UNKNOWN, None
        declaring = self.declaring_class(owner.cls, name)
        if declaring is None:
            return UNKNOWN, None
        return self.evaluate(self.fields[declaring][name], ("field", declaring, name, owner.cls), depth + 1)

    def declaring_class(self, cls: str, name: str, depth: int = 0) -> str | None:
        """The class, `cls` or a base (in declaration order), whose body gives field `name` its
        default."""
        if name in self.fields.get(cls, {}):
            return cls
        if depth < MAX_DEPTH:
            for base in self.bases(cls):
                found = self.declaring_class(base, name, depth + 1)
                if found is not None:
                    return found
        return None
