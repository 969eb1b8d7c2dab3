"""Text that is not provably trusted is spliced into SQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.model import Severity
from reviewer.rule import RepoContext
from reviewer.semantics.callers import Callers
from reviewer.semantics.flow import CALLER
from reviewer.semantics.flow.strings import Hole, quoted_unknown_holes, untrusted_holes
from reviewer.semantics.serving import EntryPointFacts, ServingPaths, is_one_shot_path
from reviewer.semantics.sql import SinkUse, SqlFacts
from reviewer.semantics.sql.text import is_statement_head
from rules._sql_rule import SqlRule


class SqlStringInterpolation(SqlRule):
    """Text that is not provably trusted is spliced into SQL.

    ## What it does
    Follows SQL text inside each function, from the statements that build it (f-strings, `%`
    formatting, `.format()`, `+`/`+=`, `"".join(...)`, `string.Template`, lists of conditions that are
    joined) to the call that sends it (`Session.execute`, `text()`, `cursor.execute`, asyncpg
    `fetch`, `op.execute`, `pandas.read_sql`, ...), and flags an interpolated value that comes from a
    route parameter or request data, from a `str` (or unannotated) parameter of the function, or from
    an HTTP response, `input()` or the command line. Identifiers (table, column, sort direction)
    count as much as values. The finding points at the expression that builds the string.

    Not flagged: constants and settings; values looked up in, or checked against, a constant
    dict/set/tuple (`ORDER_COLUMNS[sort]`, `if sort not in ALLOWED: raise`); `Literal`/`Enum`, `int`,
    `UUID` and `datetime` values (also after `int()`); placeholders (`", ".join("?" for _ in ids)`);
    identifiers escaped with `psycopg.sql.Identifier` or the dialect's `quote`; bound values of any
    style; f-strings that build a bound *value* (`User.email.ilike(f"%{q}%")`).

    ## Why is this bad?
    Whatever the value contains becomes SQL: `sort = "name; DROP TABLE users --"` runs. A substring
    "whitelist" (`any(c in sort for c in ALLOWED)`) or wrapping the value in quotes does not stop it.

    ## Example
    ```python
    @router.get("/users")
    def list_users(q: str, sort: str = "name", db: Session = Depends(get_db)):
        sql = f"SELECT id, email FROM users WHERE email LIKE '%{q}%' ORDER BY {sort}"
        return db.execute(text(sql)).all()
    ```

    ## Use instead
    Bind values as parameters; map identifiers through an allow-list of constants.
    ```python
    SORT_COLUMNS = {"name": "name", "created": "created_at"}

    @router.get("/users")
    def list_users(q: str, sort: Literal["name", "created"] = "name", db: Session = Depends(get_db)):
        sql = text(f"SELECT id, email FROM users WHERE email LIKE :pattern ORDER BY {SORT_COLUMNS[sort]}")
        return db.execute(sql.bindparams(pattern=f"%{q}%")).all()
    ```
    DB-API (psycopg, sqlite3): pass the values beside the SQL, never format them into it.
    ```python
    cursor.execute("SELECT id, email FROM users WHERE email = %s", (email,))
    cursor.execute(sql.SQL("SELECT id FROM {} WHERE id = %s").format(sql.Identifier(table)), (user_id,))
    ```
    asyncpg: numbered placeholders.
    ```python
    await conn.fetch("SELECT id, email FROM users WHERE org_id = $1 AND email = $2", org_id, email)
    ```

    ## Known problems
    The flow of values stays inside one module: a value that a helper in another module validated
    is not known to be safe, and SQL a function returns is not followed; the field types of a
    request model are known only when the model is defined in the same module. A parameter of a
    function other modules may call is judged by the repository's calls of it (by the name they
    spell): it is not reported when every one hands it a value of the caller's own making (a
    constant, a name it looped over, what it read or computed), never one built from what that
    caller was given (its parameters, directly or through its locals: `table = f"{name}_events"`);
    a caller that hands on what it was given is judged by its own callers in turn, up to a route or
    a callback, whose arguments come from outside. One that nothing calls by name, or that is
    handed to a thread or called with `*args`, is reported in the function that splices it. What a
    caller was given is read from its parameters alone (not `self`'s attributes), and a call of
    another function of the same name counts as a call of it. Values whose origin is not shown
    (attributes of `self`, results of application functions, rows read back from the application's
    own database) are reported only inside a quoted SQL string (`WHERE id = '{doc_id}'`), where a quote the value
    holds ends the string, unless their type constrains them (also the result of a function of the
    module declared to return an `int`, `-> int`), they are escaped (`.replace("'", "''")`) or
    slugified, or the module is a script an operator runs (`scripts/`, `tools/`, `bin/`). A
    parameter of a function only its own module calls (a `_private` function, any function of a
    migration or script) takes the trust of what those calls pass, each judged in its caller; a
    helper of the migrations or scripts that its own module does not call (in `migrations/utils.py`)
    is given what the revisions and scripts importing it spell (`unique_constraint_exists(engine,
    "orders", "orders_pkey")`), which their operator runs: it is trusted, and a value such a caller
    reads back from the database is not followed into it. A
    parameter named for the SQL it carries (`sql`, `where`, `clause`, `*_sql`) is the caller's SQL
    by contract, and so is one named `query` that opens the text (`f"{query} WHERE {clause}"`), and
    any parameter that fills a derived table whole (`f"SELECT MIN(ts) FROM ({entity_df}) AS t"`:
    only a `SELECT` can stand there). Test code is not checked.
    """

    code = "RVW201"
    name = "sql-string-interpolation"
    checklist = "parameterized-queries"
    severity = Severity.ERROR
    # Who runs a finding's function, for its callers' arguments.
    requires: ClassVar[tuple[type[Facts], ...]] = (SqlFacts, EntryPointFacts)

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        if not repo.file_findings:
            return
        sites = {summary.path: summary.extras.get(cls.code, {}) for summary in repo.summaries}
        judged = [(finding, site) for finding in repo.file_findings
                  if (site := sites.get(finding.path, {}).get((finding.span.line, finding.span.column)))]
        if not judged:
            return
        serving: ServingPaths = repo.facts(EntryPointFacts)
        callers = Callers.of(repo)
        for finding, (function, params) in judged:
            if callers.only_handed_own_values(function, params, serving.entry_points.__contains__):
                repo.withdraw(finding)

    def check_uses(self, uses: Sequence[SinkUse]) -> None:
        by_builder: dict[int, tuple[list[Hole], str]] = {}
        # An operator runs a script with values they chose: only what it is shown to be given counts.
        quoted = not is_one_shot_path(self.context.path)
        for use in uses:
            for sql in use.strings or ():
                for hole in [*untrusted_holes(sql), *(quoted_unknown_holes(sql) if quoted else ())]:
                    if hole.builder is None or is_statement_head(sql, hole):
                        continue
                    holes, _ = by_builder.setdefault(id(hole.builder), ([], use.executor or use.sink))
                    if all(self.source(h.expr) != self.source(hole.expr) for h in holes):
                        holes.append(hole)
        for holes, sink in by_builder.values():
            untrusted = [hole for hole in holes if hole.trust.untrusted]
            shown = untrusted or holes
            first = shown[0]
            names = ", ".join(f"'{self.source(h.expr, 40)}'" for h in shown[:3])
            verb = "reaches" if len(shown) == 1 else "reach"
            if untrusted:
                message = (f"{first.trust.origin} {names} {verb} {sink}, spliced into the SQL by {first.how}; "
                           "bind values as parameters and map identifiers through an allow-list")
            else:
                message = (f"{names} {verb} {sink} inside a quoted SQL string, spliced by {first.how}: a quote "
                           "in the value ends the string and the rest runs as SQL; bind values as parameters")
            key = self.report_at(first.builder, first.statement, message)
            given = _given_parameters(holes)
            if key is not None and given and self._function is not None:
                self._sites[key] = (self._function, given)


def _given_parameters(holes: Sequence[Hole]) -> tuple[str, ...]:
    """The parameters of the function that every hole of a finding comes from, when all come from
    its callers (none from a request, none of unknown origin inside a quoted string): its callers'
    arguments decide."""
    names: set[str] = set()
    for hole in holes:
        if not hole.trust.untrusted or hole.trust.origin != CALLER:
            return ()
        params = [step.node.name.value for step in hole.trust.steps if isinstance(step.node, cst.Param)]
        if not params:
            return ()
        names.update(params)
    return tuple(sorted(names))
