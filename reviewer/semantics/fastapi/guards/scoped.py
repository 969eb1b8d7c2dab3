"""Reads scoped to one owner: which functions select rows of a mapped class by an owner column
compared with one of their parameters (`Order.user_id == user_id`, `filter_by(owner_id=owner_id)`).

Per file, `ScopedReadFacts` (a cheap text test first: the source spells an owner column and
SQLAlchemy or SQLModel) records, per function, the filters that compare a column named for an
owner, a user, a tenant or an organisation (`user_id`, `owner_id`, `tenant_id`, `org_id`,
`workspace_id`, ...) of a class with one of the function's parameters, and whether the function
also filters on a visibility column (`is_public`, `published`, `visibility`): rows chosen as
public are public data, whoever owns them.

Over the repository, `ScopedReads` answers `private_read(endpoint)`: a path or query parameter
of the endpoint that reaches such a filter of a mapped class (the ORM model says it is one),
in the endpoint's body, a dependency, or a helper the parameter is handed to (`crud.get_orders(
db, user_id=user_id)`), as the evidence chain a message can print.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.semantics.fastapi.collector import FastAPIFacts
from reviewer.semantics.names import dotted_name
from reviewer.semantics.orm.models import OrmFacts
from reviewer.semantics.orm.queries import SELECT_FUNCTIONS

if TYPE_CHECKING:
    from reviewer.facts import RepositoryView
    from reviewer.rule import FileContext
    from reviewer.semantics.fastapi.index import Endpoint, EndpointIndex
    from reviewer.semantics.orm.models import OrmModel

FACTS_KEY = "auth-scoped-reads"
MAX_DEPTH = 3  # helpers a parameter is followed into
_WORDS = ("user_id", "owner_id", "tenant_id", "account_id", "customer_id", "org_id", "organization_id",
          "workspace_id", "userid", "owner")
_ORM_WORDS = ("sqlalchemy", "sqlmodel")
# A column that names whose rows they are.
OWNER_COLUMN = re.compile(
    r"^(?:user|owner|tenant|account|customer|org|organization|organisation|workspace)_?(?:id|uuid)$|^owner$",
    re.IGNORECASE,
)
# A column that says rows are meant to be seen by anyone.
_VISIBILITY = re.compile(r"^(?:is_)?(?:public|published|visible|shared|listed)$|^visibility$", re.IGNORECASE)
# Annotations of a parameter FastAPI reads from the query string when no marker says otherwise.
_SCALARS = frozenset({"builtins.int", "builtins.str", "uuid.UUID", "pydantic.UUID4", "pydantic.types.UUID4"})


@dataclass(frozen=True, slots=True)
class ScopedFilter:
    entity: str  # the class whose column is compared, qualified through the imports
    column: str  # `user_id`
    param: str  # the function's parameter it is compared with


@dataclass(slots=True)
class ScopedFunction:
    filters: list[ScopedFilter] = field(default_factory=list)
    public: bool = False  # it also filters on a visibility column


@dataclass(slots=True)
class _State:
    qualname: str
    params: set[str]
    record: ScopedFunction


class ScopedReadFacts(Facts):
    """Records the owner-scoped filters of one module's functions (see the module docstring)."""

    requires: ClassVar[tuple[type[Facts], ...]] = (FastAPIFacts, OrmFacts)
    summary_key = FACTS_KEY

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self.functions: dict[str, ScopedFunction] = {}
        self.active = context.mentions(_WORDS) and context.mentions(_ORM_WORDS)
        if self.active:
            context.summary.extras[FACTS_KEY] = self.functions
        self._scope: list[str] = []
        self._states: list[_State] = []

    @classmethod
    def repository(cls, repo: RepositoryView) -> ScopedReads:
        return ScopedReads(repo, repo.facts(FastAPIFacts), repo.facts(OrmFacts))

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._scope.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._scope.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        qualname = ".".join(p for p in (self.context.module, *self._scope, node.name.value) if p)
        params = [*node.params.posonly_params, *node.params.params, *node.params.kwonly_params]
        self._states.append(_State(qualname, {p.name.value for p in params}, ScopedFunction()))
        self._scope.append(node.name.value)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._scope.pop()
        state = self._states.pop()
        if state.record.filters or state.record.public:
            self.functions[state.qualname] = state.record

    def visit_Comparison(self, node: cst.Comparison) -> None:
        """`Order.user_id == user_id` (either way round), `Post.is_public == True`."""
        if not self._states or len(node.comparisons) != 1:
            return
        state = self._states[-1]
        left, right = _unwrapped(node.left), _unwrapped(node.comparisons[0].comparator)
        for column, value in ((left, right), (right, left)):
            if not isinstance(column, cst.Attribute):
                continue
            name = column.attr.value
            if _VISIBILITY.match(name):
                state.record.public = True
            elif (OWNER_COLUMN.match(name) and isinstance(node.comparisons[0].operator, cst.Equal)
                  and isinstance(value, cst.Name) and value.value in state.params):
                entity = self.context.qualify(column.value) or dotted_name(column.value)
                if entity:
                    state.record.filters.append(ScopedFilter(entity, name, value.value))

    def visit_Call(self, node: cst.Call) -> None:
        """`session.query(Order).filter_by(user_id=user_id)`, `select(Order).filter_by(...)`."""
        if not self._states or not isinstance(node.func, cst.Attribute) or node.func.attr.value != "filter_by":
            return
        state = self._states[-1]
        entity = self._selected(node.func.value)
        for arg in node.args:
            name = arg.keyword.value if arg.keyword is not None else ""
            if _VISIBILITY.match(name):
                state.record.public = True
            elif (entity and OWNER_COLUMN.match(name) and isinstance(arg.value, cst.Name)
                  and arg.value.value in state.params):
                state.record.filters.append(ScopedFilter(entity, name, arg.value.value))

    def _selected(self, node: cst.BaseExpression) -> str | None:
        """The class a query chain selects: `session.query(Order)`, `select(Order)`."""
        for _ in range(8):
            if isinstance(node, cst.Call):
                callee = node.func
                is_query = isinstance(callee, cst.Attribute) and callee.attr.value == "query"
                if (is_query or (self.context.qualify(callee) or "") in SELECT_FUNCTIONS) and len(node.args) == 1:
                    return self.context.qualify(node.args[0].value) or dotted_name(node.args[0].value)
                node = callee
            elif isinstance(node, cst.Attribute):
                node = node.value
            else:
                return None
        return None


def _unwrapped(node: cst.BaseExpression) -> cst.BaseExpression:
    """SQLModel's `col(Item.owner_id)` is the column itself."""
    if (isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "col"
            and len(node.args) == 1):
        return node.args[0].value
    return node


@dataclass(frozen=True, slots=True)
class PrivateRead:
    param: str  # the endpoint's path or query parameter
    source: str  # "path" or "query"
    entity: str  # the mapped class, as its name
    column: str
    where: str  # the function that filters, as its name


class ScopedReads:
    """Which endpoints read rows scoped by an owner their caller names (see the module docstring)."""

    def __init__(self, repo: RepositoryView, index: EndpointIndex, orm: OrmModel) -> None:
        self.index = index
        self.orm = orm
        self.functions: dict[str, ScopedFunction] = {}
        self._summaries: dict[str, Any] = {}
        for summary in repo.summaries:
            if summary.is_test_file:
                continue
            self._summaries.update(summary.functions)
            found = summary.extras.get(FACTS_KEY)
            if found:
                self.functions.update(found)

    def private_read(self, endpoint: Endpoint) -> PrivateRead | None:
        """A path or query parameter of the endpoint that selects the rows of a mapped class by
        their owner, in the endpoint, a dependency of it, or a helper it hands the parameter to."""
        if not self.functions:
            return None
        in_path = set(re.findall(r"\{(\w+)(?::\w+)?\}", endpoint.path or ""))
        consumers = [endpoint.function] + [d.function for d in self.index.dependencies(endpoint)]
        for function in consumers:
            for param in function.params:
                source = self._source(param, in_path)
                if source is None:
                    continue
                found = self._reaches(function.qualname, param.name, 0, set())
                if found is not None:
                    entity, column, where = found
                    return PrivateRead(param.name, source, entity, column, where)
        return None

    def _source(self, param: Any, in_path: set[str]) -> str | None:
        """"path" or "query" for a parameter a client names in the request, else None."""
        if param.is_receiver:
            return None
        annotation, marker = self.index.markers_of(param)
        if marker is not None and marker.kind not in ("Path", "Query"):
            return None
        if param.name in in_path:
            return "path"
        while annotation is not None and annotation.kind == "union":
            named = [a for a in annotation.args if a.kind != "none"]
            annotation = named[0] if len(named) == 1 else None
        if annotation is not None and annotation.kind == "name" and annotation.name in _SCALARS:
            return "query"
        return None

    def _reaches(self, qualname: str, name: str, depth: int, seen: set[tuple[str, str]]) -> tuple[str, str, str] | None:
        if (qualname, name) in seen:
            return None
        seen.add((qualname, name))
        record = self.functions.get(qualname)
        if record is not None and not record.public:
            for scoped in record.filters:
                if scoped.param != name:
                    continue
                mapped = self.orm.mapped(self.index.resolve(scoped.entity) or scoped.entity)
                if mapped is not None and scoped.column.lower() in self.orm.table_columns(mapped.qualname):
                    return mapped.name, scoped.column, qualname.rpartition(".")[2]
        summary = self._summaries.get(qualname)
        if summary is None or depth >= MAX_DEPTH:
            return None
        for target, slot, _ in summary.forwards.get(name, ()):
            callee = self.index.resolve(target) or target
            found_summary = self._summaries.get(callee)
            if found_summary is None:
                continue
            if isinstance(slot, int):
                if slot >= len(found_summary.params):
                    continue
                param = found_summary.params[slot]
            else:
                param = slot
            found = self._reaches(callee, param, depth + 1, seen)
            if found is not None:
                return found
        return None
