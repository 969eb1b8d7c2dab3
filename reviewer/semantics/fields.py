"""Which attributes of the application's objects no code ever gives a value.

`if browser_artifacts.traces_dir: open(f"{browser_artifacts.traces_dir}/{task_id}.zip")`: the
field is declared `traces_dir: str | None = None` on the model, and nothing in the repository sets
it, so the branch is never taken. The repository tells so only when it shows every way a value
could get there; per file, `FieldFacts` records:

- the fields class bodies declare with the default `None` (`traces_dir: str | None = None`,
  `= Field(None)`, `= Field(default=None)`), and the names they declare otherwise (another
  default, or none: the constructor is given one);
- the attribute names code gives a value: an assignment to an attribute of any object
  (`state.traces_dir = path`; `= None` gives none), a keyword argument of any call
  (`Artifacts(traces_dir=path)`, `dataclasses.replace(a, traces_dir=path)`), a string key of a dict
  display or of a subscript assigned (`model_copy(update={"traces_dir": path})`,
  `options["traces_dir"] = path`), `setattr(a, "traces_dir", path)`,
  `object.__setattr__(self, "traces_dir", path)`. A keyword argument
  passing on a parameter of the calling function that defaults to `None` (`traces_dir=traces_dir`
  in `def build(traces_dir=None)`) is kept apart with the function: it gives a value only if a
  call of that function passes the parameter;
- the uses of a class through which data could fill its fields: built with positional or unpacked
  arguments (`Artifacts(*row)`, `Artifacts(**data)`, also `cls(**data)` in its own methods),
  through one of its methods (`Artifacts.model_validate(data)`), used as a value (an argument,
  `TypeAdapter(Artifacts)`, `response_model=Artifacts`, `Depends(Artifacts)`; assigned, returned,
  or put in a list or dict, as a registry of models does), subclassed, or
  named in the annotation of a field of another class (a nested model is parsed with its parent;
  a `Protocol` or `ABC` only describes); and the functions with a parameter annotated with it
  (a route or a dependency is handed one parsed from the request).

Over the repository, `UnsetFields.unset(name)` is true when some class declares the field with
the default `None`, no class declares it otherwise, no code of the application (tests aside)
gives an attribute of that name a value, no call passes a parameter that is handed on to it, and
every class declaring it is plain (its bases are the repository's own classes, pydantic's
`BaseModel`, `Protocol`, `ABC` or none: not a settings class the environment fills, nor an ORM
or document model loaded from a database), named with a capital, used in none of the ways above,
and annotates no parameter of a function a framework calls with arguments it makes (a route or a
dependency, from the request; `ServingPaths.called_by_framework`). Names are matched by their
last part, so another class or object of the same name only makes the answer no.

Not seen: `setattr` with a computed name, and objects built by reflection; as elsewhere in the
semantic layer, code the repository does not spell is not followed. An attribute of a library's
object read under the same name as such a field is taken for the field: the name is the link.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.semantics.conditions import annotation_parts
from reviewer.semantics.hierarchy import ClassBases
from reviewer.semantics.names import dotted_name
from reviewer.semantics.serving import EntryPointFacts
from reviewer.syntax import string_value

if TYPE_CHECKING:
    from reviewer.facts import RepositoryView
    from reviewer.rule import FileContext
    from reviewer.semantics.serving import ServingPaths

FACTS_KEY = "fields"
# Bases that fill no field by themselves (pydantic validates what the code passes).
PLAIN_BASES = frozenset({
    "builtins.object", "pydantic.BaseModel", "pydantic.main.BaseModel", "typing.Protocol",
    "typing_extensions.Protocol", "typing.Generic", "abc.ABC",
})
DESCRIBING_BASES = frozenset({"typing.Protocol", "typing_extensions.Protocol", "abc.ABC"})


@dataclass
class ModuleFields:
    """What one module tells of attributes and the classes declaring them (plain, picklable)."""

    declared_none: dict[str, list[str]] = field(default_factory=dict)  # field -> classes declaring it `= None`
    declared_otherwise: set[str] = field(default_factory=set)
    given: set[str] = field(default_factory=set)  # attribute names given a value
    # (attribute, function, its name, parameter, position among its positional parameters or None)
    forwarded: list[tuple[str, str, str, str, int | None]] = field(default_factory=list)
    loose: set[str] = field(default_factory=set)  # class names used so data may fill their fields
    annotating: dict[str, set[str]] = field(default_factory=dict)  # class name -> functions it annotates


@dataclass
class _Function:
    """The function being walked, for the parameters its calls hand on."""

    qualname: str
    name: str
    optional: dict[str, int | None]  # parameters defaulting to None -> position


class FieldFacts(Facts):
    """Records field declarations, the attributes code gives values, and loose uses of classes."""

    summary_key = FACTS_KEY
    requires = (EntryPointFacts,)

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self.active = not context.is_test_file
        self.module = ModuleFields()
        if self.active:
            context.summary.extras[FACTS_KEY] = self.module
        self._scopes: list[str] = []
        self._classes: list[tuple[str, bool] | None] = []  # (name, only describes), None in a function
        self._functions: list[_Function] = []

    def _qualname(self, name: str) -> str:
        return ".".join(part for part in (self.context.module, *self._scopes, name) if part)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        bases = [base.value for base in node.bases if base.keyword is None]
        for base in bases:
            self._loose(base)
        describes = any(self.context.qualify(base) in DESCRIBING_BASES for base in bases)
        self._classes.append((node.name.value, describes))
        self._scopes.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()
        self._scopes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        qualname = self._qualname(node.name.value)
        params = node.params
        positional = [*params.posonly_params, *params.params]
        is_method = bool(self._classes and self._classes[-1]) and not any(
            (dotted_name(decorator.decorator) or "").rpartition(".")[2] == "staticmethod"
            for decorator in node.decorators)
        if is_method and positional:
            positional = positional[1:]
        places = {param.name.value: position for position, param in enumerate(positional)}
        optional: dict[str, int | None] = {}
        for param in (*positional, *params.kwonly_params):
            if param.annotation is not None:
                for name in _class_names(param.annotation.annotation):
                    self.module.annotating.setdefault(name, set()).add(qualname)
            if _is_none(param.default):
                optional[param.name.value] = places.get(param.name.value)
        self._functions.append(_Function(qualname, node.name.value, optional))
        self._classes.append(None)
        self._scopes.append(node.name.value)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._functions.pop()
        self._classes.pop()
        self._scopes.pop()

    def _class_body(self) -> tuple[str, bool] | None:
        return self._classes[-1] if self._classes else None

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        body = self._class_body()
        if body is not None and isinstance(node.target, cst.Name):
            self._declared(node.target.value, node.value)
            if not body[1]:
                self._loose(node.annotation.annotation)  # a nested model is parsed with its parent
        elif node.value is not None:
            self._assigned(node.target, node.value)
        if node.value is not None:
            self._handed_on(node.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        body = self._class_body()
        for target in node.targets:
            if body is not None and isinstance(target.target, cst.Name):
                self._declared(target.target.value, node.value)
            else:
                self._assigned(target.target, node.value)
        self._handed_on(node.value)  # `Model = Artifacts`

    def visit_Return(self, node: cst.Return) -> None:
        if node.value is not None:
            self._handed_on(node.value)

    def visit_Element(self, node: cst.Element) -> None:
        self._handed_on(node.value)  # `MODELS = [Artifacts, Replay]`

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._assigned(node.target, None)

    def visit_For(self, node: cst.For) -> None:
        self._assigned(node.target, None)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._assigned(node.asname.name, None)

    def _declared(self, name: str, value: cst.BaseExpression | None) -> None:
        """A field of the class whose body is walked."""
        if _is_none(value) or _is_none_field(value):
            self.module.declared_none.setdefault(name, []).append(self._qualname(""))
        else:
            self.module.declared_otherwise.add(name)

    def _assigned(self, target: cst.BaseExpression, value: cst.BaseExpression | None) -> None:
        """An assignment gives the attributes among its targets a value, unless it is `None`."""
        if isinstance(target, cst.Attribute):
            if not _is_none(value):
                self.module.given.add(target.attr.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._assigned(element.value, None)
        elif isinstance(target, cst.StarredElement):
            self._assigned(target.value, None)
        elif isinstance(target, cst.Subscript) and len(target.slice) == 1:
            index = target.slice[0].slice
            key = string_value(index.value) if isinstance(index, cst.Index) else None
            if key is not None and key.isidentifier():
                self.module.given.add(key)  # `vars(state)["traces_dir"] = path`, `options["traces_dir"] = path`

    def visit_DictElement(self, node: cst.DictElement) -> None:
        key = string_value(node.key)
        if key is not None and key.isidentifier():
            self.module.given.add(key)
        self._handed_on(node.value)  # `{"artifacts": Artifacts}`

    def visit_Call(self, node: cst.Call) -> None:
        function = self._functions[-1] if self._functions else None
        unpacked = False  # positional or unpacked arguments
        for arg in node.args:
            if arg.keyword is not None:
                self._keyword(arg.keyword.value, arg.value, function)
            else:
                unpacked = True
            self._handed_on(arg.value)  # `TypeAdapter(Artifacts)`, `response_model=list[Artifacts]`
        func = node.func
        if isinstance(func, cst.Name):
            if func.value == "setattr" and len(node.args) > 1:
                name = string_value(node.args[1].value)
                if name is not None:
                    self.module.given.add(name)
            elif unpacked and _is_class_name(func.value):
                self.module.loose.add(func.value)  # `Artifacts(*row)`, `Artifacts(**data)`
            elif unpacked and func.value == "cls":
                self._own_class_loose()
        elif isinstance(func, cst.Attribute):
            if func.attr.value == "__setattr__":  # `object.__setattr__(self, "name", value)`
                self.module.given.update(name for arg in node.args[:2]
                                         if (name := string_value(arg.value)) is not None)
            if unpacked and _is_class_name(func.attr.value):
                self.module.loose.add(func.attr.value)  # `models.Artifacts(**data)`
            owner = func.value
            owner_name = owner.value if isinstance(owner, cst.Name) else (
                owner.attr.value if isinstance(owner, cst.Attribute) else None)
            if owner_name is not None and _is_class_name(owner_name):
                self.module.loose.add(owner_name)  # `Artifacts.model_validate(data)`
            elif owner_name == "cls" and isinstance(owner, cst.Name):
                self._own_class_loose()  # `cls.model_validate(data)`
            elif unpacked and func.attr.value == "__class__":
                self._own_class_loose()  # `self.__class__(**data)`
        elif unpacked and isinstance(func, cst.Call) and isinstance(func.func, cst.Name) and func.func.value == "type":
            self._own_class_loose()  # `type(self)(**data)`

    def _handed_on(self, value: cst.BaseExpression) -> None:
        """A class used as a value (called, validated or registered elsewhere) may be filled from
        data there."""
        if isinstance(value, cst.Name):
            if _is_class_name(value.value):
                self.module.loose.add(value.value)
        elif isinstance(value, cst.Attribute):
            if _is_class_name(value.attr.value):
                self.module.loose.add(value.attr.value)
        elif isinstance(value, cst.Subscript):
            self.module.loose.update(_class_names(value))

    def _keyword(self, keyword: str, value: cst.BaseExpression, function: _Function | None) -> None:
        if _is_none(value):
            return
        if function is not None and isinstance(value, cst.Name) and value.value in function.optional:
            parameter = value.value
            self.module.forwarded.append(
                (keyword, function.qualname, function.name, parameter, function.optional[parameter]))
            return
        self.module.given.add(keyword)

    def _own_class_loose(self) -> None:
        """A method builds an instance of its own class from data (`cls(**data)`)."""
        enclosing = [frame for frame in self._classes if frame is not None]
        if enclosing:
            self.module.loose.add(enclosing[-1][0])

    def _loose(self, annotation: cst.BaseExpression) -> None:
        self.module.loose.update(_class_names(annotation))

    @classmethod
    def repository(cls, repo: RepositoryView) -> UnsetFields:
        modules = [summary.extras[FACTS_KEY] for summary in repo.summaries
                   if not summary.is_test_file and isinstance(summary.extras.get(FACTS_KEY), ModuleFields)]
        bases = ClassBases(repo.summaries, repo.index.canonical, tests=False)
        return UnsetFields(modules, bases, repo.facts(EntryPointFacts))


def _is_none(node: cst.BaseExpression | None) -> bool:
    return isinstance(node, cst.Name) and node.value == "None"


def _is_none_field(node: cst.BaseExpression | None) -> bool:
    """`Field(None)`, `Field(default=None)` (a field whose default is `None`)."""
    if not isinstance(node, cst.Call) or (dotted_name(node.func) or "").rpartition(".")[2] != "Field":
        return False
    for position, arg in enumerate(node.args):
        if arg.keyword is None and position == 0 or arg.keyword is not None and arg.keyword.value == "default":
            return _is_none(arg.value)
    return False


def _is_class_name(name: str) -> bool:
    return name[:1].isupper()


def _class_names(annotation: cst.BaseExpression) -> list[str]:
    """The capitalised names a type (`Artifacts`, `list[Artifacts] | None`, also written as text,
    `"Artifacts | None"`) spells, by their last part."""
    found: list[str] = []
    for part in annotation_parts(annotation):
        if isinstance(part, (cst.Name, cst.Attribute)):
            found.append((dotted_name(part) or "").rpartition(".")[2])
        else:
            found += re.findall(r"\w+", string_value(part) or "")
    return [name for name in found if _is_class_name(name)]


class UnsetFields:
    """The attributes no code of the repository gives a value (see the module)."""

    def __init__(self, modules: list[ModuleFields], bases: ClassBases, serving: ServingPaths) -> None:
        self.bases = bases
        self.serving = serving
        self._declared: dict[str, list[str]] = defaultdict(list)
        self._otherwise: set[str] = set()
        self._given: set[str] = set()
        self._forwarded: dict[str, list[tuple[str, str, str, int | None]]] = defaultdict(list)
        self._loose: set[str] = set()
        self._annotating: dict[str, set[str]] = defaultdict(set)
        for module in modules:
            for name, classes in module.declared_none.items():
                self._declared[name] += classes
            self._otherwise |= module.declared_otherwise
            self._given |= module.given
            for attribute, *rest in module.forwarded:
                self._forwarded[attribute].append(tuple(rest))
            self._loose |= module.loose
            for name, functions in module.annotating.items():
                self._annotating[name] |= functions
        self._known: dict[str, bool] = {}

    def unset(self, name: str) -> bool:
        """Whether no code gives an attribute `name` a value: it is `None` wherever it is read."""
        known = self._known.get(name)
        if known is None:
            known = self._known[name] = self._unset(name)
        return known

    def _unset(self, name: str) -> bool:
        classes = self._declared.get(name)
        if not classes or name in self._otherwise or name in self._given:
            return False
        if not all(self._plain(cls) for cls in classes):
            return False
        return not any(self._passed(*forward) for forward in self._forwarded.get(name, ()))

    def _plain(self, cls: str) -> bool:
        """Whether only the code's own keyword arguments can fill the fields of `cls`."""
        name = cls.rpartition(".")[2]
        if not _is_class_name(name) or name in self._loose:
            return False
        if any(map(self.serving.called_by_framework, self._annotating.get(name, ()))):
            return False
        return all(ancestor in self.bases or ancestor in PLAIN_BASES for ancestor in self.bases.lineage(cls))

    def _passed(self, function: str, name: str, parameter: str, position: int | None) -> bool:
        """Whether a call of the function handing `parameter` on may pass it a value."""
        return (not self.serving.runs_only_where_called(function) or not self.serving.calls_named(name)
                or self.serving.may_pass(name, parameter, position))
