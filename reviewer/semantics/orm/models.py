"""Declarative models: mapped classes, their table, columns and relationships.

Per file, `OrmFacts` reads the body of every class that maps something (`__tablename__`,
`Column(...)`, `mapped_column(...)`, `relationship(...)`, SQLModel `Field(...)` /
`Relationship(...)`) and records plain, picklable `MappedClass` records in the module summary;
`backref=` names give the other side its relationship. Over the repository, `OrmModel`
(`repo.facts(OrmFacts)`) finds a class by the name it is imported under and answers which
relationship an attribute is, with inheritance (a mixin or a parent model declares it) followed
through the module summaries' class bases.

Only class bodies are read (no walk of function bodies), and only in files that mention
`sqlalchemy` or `sqlmodel`, so the analysis costs nothing elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.syntax import keyword, positional, string_value

if TYPE_CHECKING:
    from collections.abc import Callable

    from reviewer.facts import RepositoryView
    from reviewer.rule import FileContext
    from reviewer.semantics.calls import ModuleIndex

FACTS_KEY = "orm-models"
_PACKAGES = ("sqlalchemy", "sqlmodel")

RELATIONSHIP_FUNCTIONS = frozenset({
    "sqlalchemy.orm.relationship", "sqlalchemy.orm.relation", "sqlalchemy.orm.relationships.relationship",
    "sqlalchemy.orm._orm_constructors.relationship", "sqlmodel.Relationship", "sqlmodel.main.Relationship",
})
COLUMN_FUNCTIONS = frozenset({
    "sqlalchemy.Column", "sqlalchemy.schema.Column", "sqlalchemy.sql.schema.Column", "sqlalchemy.orm.mapped_column",
    "sqlmodel.Column", "sqlmodel.Field", "sqlmodel.main.Field",
})
BACKREF_FUNCTIONS = frozenset({"sqlalchemy.orm.backref"})
MAPPED_ANNOTATIONS = frozenset({"sqlalchemy.orm.Mapped", "sqlalchemy.orm.base.Mapped"})

# Loading strategies, as `lazy=` spells them. `select` (also `True`) is the default: a read of the
# attribute on an instance whose relationship is not loaded yet emits one SELECT.
LAZY_SELECT = "select"
EAGER = frozenset({"joined", "selectin", "subquery", "immediate", False})
UNKNOWN = "?"  # `lazy=` set to something no literal spells


@dataclass(frozen=True)
class Relationship:
    """One relationship attribute of a mapped class."""

    name: str
    target: str | None  # the target class as written (`"Item"`, `Item`), qualified when it is a name
    lazy: str  # `select` (the default), `joined`, `selectin`, `subquery`, `raise`, `dynamic`, ... or `?`

    @property
    def loads_lazily(self) -> bool:
        """Reading it on an instance whose collection is not loaded emits a query."""
        return self.lazy == LAZY_SELECT


@dataclass
class MappedClass:
    """One class of a declarative model (or a mixin/base that declares mapped attributes)."""

    qualname: str  # `app.models.Order`
    tablename: str | None = None  # a literal `__tablename__`, SQLModel's lower-cased class name
    columns: list[str] = field(default_factory=list)  # attribute names mapped to columns
    # Attribute -> the database column's own name, where the mapping names it
    # (`display = Column("display_name", String)`, `mapped_column("display_name")`).
    column_names: dict[str, str] = field(default_factory=dict)
    relationships: dict[str, Relationship] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.qualname.rpartition(".")[2]


@dataclass
class ModuleModels:
    """What one module declares (plain, picklable)."""

    classes: dict[str, MappedClass] = field(default_factory=dict)
    # `relationship("Order", backref="customer")`: (the other side's class as written, its relationship).
    backrefs: list[tuple[str, Relationship]] = field(default_factory=list)


def _lazy_of(call: cst.Call) -> str:
    arg = keyword(call, "lazy")
    if arg is None:
        kwargs = keyword(call, "sa_relationship_kwargs")  # SQLModel
        if kwargs is not None:
            if not isinstance(kwargs.value, cst.Dict):
                return UNKNOWN
            for element in kwargs.value.elements:
                if isinstance(element, cst.DictElement) and string_value(element.key) == "lazy":
                    return _strategy(element.value)
                if not isinstance(element, cst.DictElement):
                    return UNKNOWN
        return LAZY_SELECT
    return _strategy(arg.value)


def _strategy(value: cst.BaseExpression) -> str:
    text = string_value(value)
    if text is not None:
        return text
    if isinstance(value, cst.Name) and value.value in ("True", "False", "None"):
        return {"True": LAZY_SELECT, "False": "joined", "None": "noload"}[value.value]
    return UNKNOWN


def _target_of(call: cst.Call, annotation: cst.BaseExpression | None, qualify: Callable) -> str | None:
    arg = positional(call, 0) or keyword(call, "argument")
    value = arg.value if arg is not None else None
    if value is None and annotation is not None:
        value = annotation
        while (isinstance(value, cst.Subscript) and len(value.slice) == 1
               and isinstance(value.slice[0].slice, cst.Index)):
            value = value.slice[0].slice.value  # Mapped[list["Item"]] -> "Item"
    if value is None:
        return None
    text = string_value(value)
    if text is not None:
        return text
    return qualify(value) if isinstance(value, (cst.Name, cst.Attribute)) else None


class OrmFacts(Facts):
    """Records the mapped classes of a module, reading class bodies only."""

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self.active = any(package in context.source for package in _PACKAGES)
        self.module = ModuleModels()
        self._scope: list[str] = []
        if self.active:
            context.summary.extras[FACTS_KEY] = self.module

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._scope.append(node.name.value)
        if isinstance(node.body, cst.IndentedBlock):
            self._read_class(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._scope.pop()

    def _read_class(self, node: cst.ClassDef) -> None:
        qualify = self.context.qualify
        module = self.context.module
        record = MappedClass(".".join(p for p in (module, *self._scope) if p))
        table = any(
            arg.keyword is not None and arg.keyword.value == "table" and isinstance(arg.value, cst.Name)
            and arg.value.value == "True" for arg in node.keywords
        )
        for statement in node.body.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, cst.Assign) and len(small.targets) == 1:
                    target, value, annotation = small.targets[0].target, small.value, None
                elif isinstance(small, cst.AnnAssign):
                    target, value, annotation = small.target, small.value, small.annotation.annotation
                else:
                    continue
                if not isinstance(target, cst.Name):
                    continue
                name = target.value
                if name == "__tablename__" and value is not None:
                    record.tablename = string_value(value)
                    continue
                self._read_attribute(record, name, value, annotation, qualify)
        if table and record.tablename is None:
            record.tablename = node.name.value.lower()
        if record.tablename or record.columns or record.relationships:
            self.module.classes[record.qualname] = record

    def _read_attribute(self, record: MappedClass, name: str, value: cst.BaseExpression | None,
                        annotation: cst.BaseExpression | None, qualify: Callable) -> None:
        called = qualify(value.func) if isinstance(value, cst.Call) else None
        if called in RELATIONSHIP_FUNCTIONS:
            record.relationships[name] = Relationship(name, _target_of(value, annotation, qualify), _lazy_of(value))
            self._read_backref(record, value)
        elif called in COLUMN_FUNCTIONS:
            record.columns.append(name)
            named = string_value(value.args[0].value) if value.args and value.args[0].keyword is None else None
            if named:
                record.column_names[name] = named
        elif value is None and annotation is not None:
            head = annotation.value if isinstance(annotation, cst.Subscript) else annotation
            if qualify(head) in MAPPED_ANNOTATIONS:
                record.columns.append(name)  # `name: Mapped[str]`: a column by its annotation
            elif record.tablename is not None or record.columns:
                record.columns.append(name)  # SQLModel `name: str` in a model

    def _read_backref(self, record: MappedClass, call: cst.Call) -> None:
        arg = keyword(call, "backref")
        if arg is None:
            return
        target = _target_of(call, None, self.context.qualify)
        name, lazy = string_value(arg.value), LAZY_SELECT
        if isinstance(arg.value, cst.Call) and self.context.qualify(arg.value.func) in BACKREF_FUNCTIONS:
            first = positional(arg.value, 0)
            name = string_value(first.value) if first is not None else None
            lazy = _lazy_of(arg.value)
        if name and target:
            self.module.backrefs.append((target, Relationship(name, record.qualname, lazy)))

    @classmethod
    def repository(cls, repo: RepositoryView) -> OrmModel:
        modules = [s.extras[FACTS_KEY] for s in repo.summaries if isinstance(s.extras.get(FACTS_KEY), ModuleModels)]
        bases = {name: list(found) for s in repo.summaries for name, found in s.classes.items()}
        return OrmModel(modules, bases, repo.index)


class OrmModel:
    """The repository's declarative model.

    - `mapped(name)`: the `MappedClass` a class name (as imported anywhere) stands for, or None;
    - `relationship(name, attribute)`: the relationship `attribute` is on that class, declared on
      it, on a base class or mixin, or by a `backref=` on the other side; None when it is a column,
      a property or nothing the model knows;
    - `table_columns(name)`: the database columns that class maps, its bases' included (lower case);
    - `classes()`: every mapped class; `tables()`: table name -> class, for the classes that name
      their table.
    """

    def __init__(self, modules: list[ModuleModels], bases: dict[str, list[str]], index: ModuleIndex) -> None:
        self.index = index
        self._classes: dict[str, MappedClass] = {}
        self._bases = bases
        by_name: dict[str, list[str]] = {}
        for module in modules:
            self._classes.update(module.classes)
        for qualname in self._classes:
            by_name.setdefault(qualname.rpartition(".")[2], []).append(qualname)
        for module in modules:
            for target, relationship in module.backrefs:
                found = self._canonical_class(target, by_name)
                if found is not None:
                    self._classes[found].relationships.setdefault(relationship.name, relationship)

    def _canonical_class(self, target: str, by_name: dict[str, list[str]]) -> str | None:
        if target in self._classes:
            return target
        canonical = self.index.canonical(target)
        if canonical in self._classes:
            return canonical
        named = by_name.get(target.rpartition(".")[2], [])
        return named[0] if len(named) == 1 else None  # a string target names a class by its name

    def classes(self) -> list[MappedClass]:
        return list(self._classes.values())

    def tables(self) -> dict[str, MappedClass]:
        return {record.tablename: record for record in self._classes.values() if record.tablename}

    def mapped(self, name: str) -> MappedClass | None:
        return self._classes.get(name) or self._classes.get(self.index.canonical(name))

    def table_columns(self, name: str) -> set[str]:
        """The database columns the class `name` maps, its bases' included, in lower case."""
        found: set[str] = set()
        for record in self._lineage(name):
            found.update(record.column_names.get(column, column).lower() for column in record.columns)
        return found

    def _lineage(self, name: str) -> list[MappedClass]:
        """The class `name` and the classes it derives from that the model knows."""
        seen: set[str] = set()
        found = []
        pending = [self.index.canonical(name), name]
        while pending:
            current = pending.pop()
            if current in seen or len(seen) > 32:
                continue
            seen.add(current)
            record = self._classes.get(current)
            if record is not None:
                found.append(record)
            pending.extend(self.index.canonical(base) for base in self._bases.get(current, ()))
        return found

    def relationship(self, name: str, attribute: str) -> Relationship | None:
        for record in self._lineage(name):
            if attribute in record.relationships:
                return record.relationships[attribute]
            if attribute in record.columns:
                return None
        return None
