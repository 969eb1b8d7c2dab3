"""A query run once per row of a query, or once per item of a request."""

from __future__ import annotations

from reviewer import lazy_cst as cst
from reviewer.model import Severity
from reviewer.rule import RepoContext
from reviewer.semantics.names import dotted_name
from reviewer.semantics.orm import Query, runs_query
from reviewer.semantics.orm.queries import PASS_THROUGH
from rules.no_n_plus_one._loops import Loop, LoopRule, mentions

WRITES = frozenset({"update", "delete", "insert"})
TERMINALS = frozenset({"first", "one", "one_or_none", "all", "scalar", "count", "scalar_one", "scalar_one_or_none"})


class QueryInLoop(LoopRule):
    """A query runs once per row of another query, or once per item of a request.

    ## What it does
    Flags a session query inside a loop or comprehension, when the loop iterates the rows of a
    query run in the same function or items the request supplies (a list parameter of a FastAPI
    route, or a list field of its body), and the query uses the loop's item: `session.execute(...)`,
    `session.scalars(...)`, `session.scalar(...)`, SQLModel `session.exec(...)` of a `select(...)`,
    `session.get(Model, key)` and `session.query(Model)...first()`, sync or awaited.

    ## Why is this bad?
    One query per row: a list of 100 users with their last order costs 101 round trips, and grows
    with the data or with what a client sends. One batched query (`Model.id.in_(ids)`, a join, or
    a grouped aggregate) does the same work in one round trip.

    ## Example
    ```python
    users = session.scalars(select(User)).all()
    for user in users:
        last = session.scalars(select(Order).where(Order.user_id == user.id).limit(1)).first()
    ```

    ## Use instead
    ```python
    users = session.scalars(select(User)).all()
    orders = session.scalars(select(Order).where(Order.user_id.in_([u.id for u in users]))).all()
    ```

    ## Known problems
    Only direct session calls are reported; a helper function that queries, called in the loop, is
    not followed, nor are asyncpg or `databases` calls. Writes (`update`, `insert`, `delete`) per row
    are not reported. Loops over a query with a literal `.limit(n)` of at most 10 rows are not
    reported. Test code is not checked.
    """

    code = "RVW702"
    name = "query-in-loop"
    severity = Severity.WARNING

    def visit_Call(self, node: cst.Call) -> None:
        loops = self.loops()
        if not loops or self.context.is_test_file or not isinstance(node.func, cst.Attribute):
            return
        func = node.func
        if func.attr.value == "execute":
            self._writes(node)
        query = runs_query(node, self.lookup, self.qualify)
        mapped = ""  # a class the repository's model must map for this to be a query
        if query is not None and query.base is node:
            if self.not_session(func.value):
                return
            mapped = query.entity_name or ""  # `session.get(Model, key)`
        elif query is None and func.attr.value in TERMINALS:
            base = _legacy_query(func.value)
            entity = self.qualify(base.args[0].value) if base is not None else None
            if entity is None:
                return
            query, mapped = Query(base=base, entity_name=entity), entity
        if query is None or query.base is None:
            return
        loop = next((loop for loop in reversed(loops) if mentions(node, loop.names, self.lookup)), None)
        if loop is None or id(query.base) in loop.seen:
            return
        loop.seen.add(id(query.base))
        loop_line, query_line = self.lines(loop)
        if loop.query is not None:
            what = f"the rows of the query at line {query_line}"
        else:
            what = f"the items of request parameter `{loop.request}`"
        receiver = dotted_name(func.value)
        if receiver:
            call = f"{receiver}.{func.attr.value}(...)"
        else:  # a legacy chain: `session.query(User)...first()`
            entity = self.context.tree.code_for_node(query.base.args[0].value) if query.base.args else ""
            call = f"{dotted_name(query.base.func)}({entity})...{func.attr.value}()"
        message = (f"`{call}` runs one query per iteration of the loop at line {loop_line} over {what}: "
                   "load them in one query before the loop (`.in_(...)`, a join, or eager loading)")
        loop.pending.append((node, message, self.context.current_statement(), self.function_name(), mapped))

    def _writes(self, node: cst.Call) -> None:
        """`session.execute(update(...))`: the loops around write once per row."""
        statement = node.args[0].value if node.args else None
        if isinstance(statement, cst.Name):
            values = self.lookup(statement.value)
            statement = values[-1][0] if values else None
        while isinstance(statement, cst.Call) and isinstance(statement.func, cst.Attribute) and isinstance(
                statement.func.value, cst.Call):
            statement = statement.func.value  # `update(T).where(...).values(...)` -> `update(T)`
        if not isinstance(statement, cst.Call):
            return
        func = statement.func
        name = self.qualify(func) or ""
        if (name.startswith(("sqlalchemy.", "sqlmodel.")) and name.rpartition(".")[2] in WRITES) or (
                isinstance(func, cst.Attribute) and func.attr.value in WRITES and not name):
            for loop in self.loops():
                loop.writes = True

    def leaving(self, loop: Loop) -> None:
        # A loop over rows that also writes once per row is a per-row job (a repair, a sync): its
        # reads cost no more round trips than its writes, and batching them alone changes nothing.
        if loop.writes and loop.query is not None:
            return
        for node, message, statement, function, mapped in loop.pending:
            self.report(node, message, statement=statement)
            span = self.findings[-1].span
            self.candidates.append((span.line, span.column, function, mapped))

    @classmethod
    def confirmed(cls, repo: RepoContext, model, candidate: tuple) -> bool:  # noqa: ANN001
        entity = candidate[3]
        return not entity or model.mapped(entity) is not None


def _legacy_query(call: cst.BaseExpression) -> cst.Call | None:
    """`session.query(Model)` at the root of a legacy query chain (`.filter(...).first()`)."""
    while isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute):
        method = call.func.attr.value
        if method == "query":
            single = len(call.args) == 1 and call.args[0].keyword is None and not call.args[0].star
            return call if single and isinstance(call.args[0].value, cst.Name | cst.Attribute) else None
        if method not in PASS_THROUGH and method not in ("options", "limit"):
            return None
        call = call.func.value
    return None
