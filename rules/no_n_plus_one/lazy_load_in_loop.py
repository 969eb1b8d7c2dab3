"""A lazy-loaded relationship read once per row of a query."""

from __future__ import annotations

from reviewer import lazy_cst as cst
from reviewer.codemods import name_reference
from reviewer.model import Edit, Fix, Severity
from reviewer.rule import RepoContext
from rules.no_n_plus_one._loops import Loop, LoopRule


class LazyLoadInLoop(LoopRule):
    """A relationship that loads lazily is read for every row of a query that did not load it.

    ## What it does
    Flags `row.relationship` read inside a loop or comprehension over the rows of a query run in
    the same function (`session.scalars(select(Order))`, `session.execute(stmt).scalars()`,
    `session.query(Order).all()`, SQLModel `session.exec(select(Order))`, sync or awaited), when
    three things hold: the attribute is a relationship of the selected model (declared on it, on a
    base or mixin, or by a `backref=`, in any module), its declaration leaves it lazy (`lazy` not
    given, `"select"` or `True`), and no `.options(...)` anywhere on the statement's chain names it.

    ## Why is this bad?
    Each read of an unloaded relationship emits its own SELECT: a page of 100 orders costs 101
    round trips, and the page gets slower as the data grows. In async code it is worse: an
    `AsyncSession` cannot lazy-load at all, so the read raises `MissingGreenlet` (the message says
    so).

    ## Example
    ```python
    orders = session.scalars(select(Order).where(Order.customer_id == customer_id)).all()
    return [{"id": order.id, "items": len(order.items)} for order in orders]
    ```

    ## Use instead
    ```python
    stmt = select(Order).options(selectinload(Order.items)).where(Order.customer_id == customer_id)
    orders = session.scalars(stmt).all()
    ```

    ## Known problems
    Only queries run in the same function are read; rows returned by a helper are not followed.
    Options the reader cannot see (`.options(*opts)`, options built by a helper) count as loading
    everything. A relationship already loaded on the objects by an earlier query of the same
    session (identity map) is still reported. A query with a literal `.limit(n)` of at most 10 rows
    is not reported. `lazy="dynamic"`/`"write_only"`, `"raise"`, `"noload"` and eager strategies are
    not reported. Test code is not checked.

    ## Fix safety
    Unsafe. When the query's `select(Model)` (or `session.query(Model)`) is in the same function,
    the fix appends `.options(selectinload(Model.relationship))` to it and imports `selectinload`
    from `sqlalchemy.orm` when the module does not. It changes the query's behaviour: one more
    SELECT ... IN runs when the query runs, also on paths that never read the relationship, and
    rows of the relationship are loaded up front (memory for large collections); where the
    statement is reused for other purposes it loads more than before.
    """

    code = "RVW701"
    name = "lazy-load-in-loop"
    severity = Severity.WARNING

    def visit_Call(self, node: cst.Call) -> None:
        if self._functions and self._functions[-1].loops:
            self._targets.add(id(node.func))  # `order.save()`: a method, never a relationship

    def visit_Attribute(self, node: cst.Attribute) -> None:
        if (not isinstance(node.value, cst.Name) or not self._functions or not self._functions[-1].loops
                or id(node) in self._targets):
            return
        name = node.value.value
        for loop in reversed(self.loops()):
            if name in loop.names:
                if loop.row == name:
                    self._read(node, loop)
                return

    def _read(self, node: cst.Attribute, loop: Loop) -> None:
        query = loop.query
        attribute = node.attr.value
        if (query is None or not query.scalars or query.entity_name is None or query.loads(attribute)
                or attribute in loop.seen):
            return
        loop.seen.add(attribute)
        entity = self.context.tree.code_for_node(query.entity)
        loop_line, where = self.lines(loop)
        option = f"selectinload({entity}.{attribute})"
        if query.awaited:
            message = (f"`{node.value.value}.{attribute}` reads `{entity}.{attribute}` once per row of the query at "
                       f"line {where} (loop at line {loop_line}) without loading it: an AsyncSession cannot "
                       f"lazy-load, so this raises MissingGreenlet; add `{option}` to the query")
        else:
            message = (f"`{node.value.value}.{attribute}` lazy-loads `{entity}.{attribute}` once per row of the "
                       f"query at line {where} (loop at line {loop_line}): add `{option}` to the query")
        self.report(node, message, fix=self._fix(query, entity, attribute))
        span = self.context.span(node)
        self.candidates.append((span.line, span.column, self.function_name(), query.entity_name, attribute))

    def _fix(self, query, entity: str, attribute: str) -> Fix | None:  # noqa: ANN001
        if query.base is None or query.base.lpar:
            return None
        reference = name_reference(self.context, "sqlalchemy.orm", "selectinload")
        if reference is None:
            return None
        loader, imports = reference
        base = self.context.tree.code_for_node(query.base)
        edit = Edit(self.context.span(query.base, query.statement),
                    f"{base}.options({loader}({entity}.{attribute}))")
        return Fix(description=f"load `{entity}.{attribute}` with `{loader}` in the query",
                   edits=(*imports, edit), safe=False)

    @classmethod
    def confirmed(cls, repo: RepoContext, model, candidate: tuple) -> bool:  # noqa: ANN001
        _, _, _, entity, attribute = candidate
        relationship = model.relationship(entity, attribute)
        return relationship is not None and relationship.loads_lazily
