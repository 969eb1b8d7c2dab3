"""The SQL rules (parameterized-queries, no-select-star): messages, locations, sink resolution,
trust decisions and SQL parsing, beyond what the fixtures show."""

from __future__ import annotations

import json
import textwrap

import libcst as cst
import pytest
from click.testing import CliRunner

from reviewer.analysis import analyze
from reviewer.cli import main
from reviewer.model import Finding
from reviewer.semantics.flow.strings import Piece
from reviewer.semantics.sql import star_projections
from rules.no_select_star.select_star import SelectStar
from rules.no_select_star.select_star_construct import SelectStarConstruct
from rules.parameterized_queries.sql_string_interpolation import SqlStringInterpolation
from rules.parameterized_queries.sql_text_from_input import SqlTextFromInput

SQL_RULES = [SqlStringInterpolation, SqlTextFromInput, SelectStar, SelectStarConstruct]


def check(source: str, path: str = "app/api/reports.py") -> list[Finding]:
    result = analyze(path, textwrap.dedent(source).encode(), SQL_RULES, {})
    assert not result.errors, result.errors
    return sorted(result.findings, key=lambda f: f.sort_key)


def codes_and_lines(source: str, path: str = "app/api/reports.py") -> list[tuple[str, int]]:
    return [(f.code, f.span.line) for f in check(source, path)]


ROUTE_HEADER = """\
from fastapi import APIRouter, Depends
from sqlalchemy import text
from sqlalchemy.orm import Session

router = APIRouter()
"""


def test_message_names_the_expression_and_the_resolved_sink() -> None:
    findings = check(
        ROUTE_HEADER
        + """
@router.get("/users")
def users(sort: str, db: Session = Depends(get_db)):
    return db.execute(text(f"SELECT id FROM users ORDER BY {sort}")).all()
"""
    )
    assert [f.code for f in findings] == ["RVW201"]
    assert findings[0].message.startswith(
        "user-controlled 'sort' reaches Session.execute, spliced into the SQL by an f-string"
    )


def test_finding_points_at_the_statement_that_builds_the_string_not_the_sink() -> None:
    findings = check(
        ROUTE_HEADER
        + """
@router.get("/users")
def users(name: str, db: Session = Depends(get_db)):
    sql = "SELECT id FROM users WHERE 1 = 1"
    sql += " AND name = '" + name + "'"
    params = {}
    return db.execute(text(sql), params).all()
"""
    )
    assert [(f.code, f.span.line) for f in findings] == [("RVW201", 10)]
    assert "by += concatenation" in findings[0].message or "by + concatenation" in findings[0].message


def test_a_suppression_on_the_building_line_silences_the_finding(write) -> None:  # noqa: ANN001
    root = write(
        {
            "app/api/users.py": ROUTE_HEADER
            + """
@router.get("/users")
def users(sort: str, db: Session = Depends(get_db)):
    sql = f"SELECT id FROM users ORDER BY {sort}"  # noqa: RVW201
    return db.execute(text(sql)).all()
"""
        }
    )
    suppressed = CliRunner().invoke(main, ["check", str(root), "--select", "RVW201", "--no-cache", "--format", "json"])
    assert json.loads(suppressed.output)["findings"] == []
    path = root / "app/api/users.py"
    path.write_text(path.read_text().replace("  # noqa: RVW201", ""))
    reported = CliRunner().invoke(main, ["check", str(root), "--select", "RVW201", "--no-cache", "--format", "json"])
    assert [(f["code"], f["line"]) for f in json.loads(reported.output)["findings"]] == [("RVW201", 9)]


@pytest.mark.parametrize(
    ("imports", "call", "flagged"),
    [
        ("from sqlalchemy import text", "text", True),
        ("from sqlalchemy import text as sql_text", "sql_text", True),
        ("import sqlalchemy as sa", "sa.text", True),
        ("from sqlmodel import text", "text", True),
        ("from tagflow import text", "text", False),
        ("from markupsafe import Markup as text", "text", False),
    ],
)
def test_text_is_a_sink_only_when_imported_from_sqlalchemy(imports: str, call: str, flagged: bool) -> None:
    source = f"""
{imports}

def render(session, title: str):
    clause = {call}(f"UPDATE pages SET title = '{{title}}'")
    return clause
"""
    assert bool(check(source)) is flagged


def test_function_local_imports_resolve_sinks_as_migrations_write_them() -> None:
    source = """
def upgrade():
    from alembic import op

    for table in TABLES:
        op.execute(f"UPDATE {table} SET note = '" + read_note() + "'")


def backfill():
    from alembic import op

    note = read_note()
    op.execute(f"UPDATE orders SET note = '{note}'")
"""
    # what `read_note()` returns is not shown, but it lands inside a quoted string
    assert codes_and_lines(source, "migrations/helpers.py") == [("RVW201", 6), ("RVW201", 13)]


def test_helpers_of_migrations_are_given_what_their_revisions_spell() -> None:
    # A function of the migrations that its module does not call: the revisions importing it
    # pass their own constants. One its module calls takes the trust of those calls.
    source = """
from alembic import op


def backfill(note: str):
    op.execute(f"UPDATE orders SET note = '{note}'")


def relabel(label: str):
    op.execute(f"UPDATE orders SET label = '{label}'")


def upgrade():
    conn = op.get_bind()
    for row in conn.execute("SELECT label FROM legacy_labels"):
        relabel(row.label)
"""
    assert codes_and_lines(source, "migrations/helpers.py") == [("RVW201", 10)]


@pytest.mark.parametrize(
    "guard",
    [
        "if sort not in ALLOWED:\n        raise ValueError(sort)",
        "assert sort in ALLOWED",
        "sort = COLUMNS[sort]",
        "sort = COLUMNS.get(sort, 'id')",
        "sort = 'name' if sort == 'name' else 'id'",
        "sort = int(sort)",
        "if not sort.isidentifier():\n        return []",
    ],
)
def test_allow_lists_and_casts_make_a_value_trusted(guard: str) -> None:
    source = (
        ROUTE_HEADER
        + f"""
ALLOWED = ("name", "email")
COLUMNS = {{"name": "users.name", "email": "users.email"}}


@router.get("/users")
def users(sort: str, db: Session = Depends(get_db)):
    {guard}
    return db.execute(text(f"SELECT id FROM users ORDER BY {{sort}}")).all()
"""
    )
    assert check(source) == []


@pytest.mark.parametrize(
    "guard",
    [
        "if not any(column in sort for column in ALLOWED):\n        raise ValueError(sort)",
        "if sort in 'name,email':\n        pass",
        "sort = f'\"{sort}\"'",
        "sort = sort.strip().lower()",
    ],
)
def test_substring_checks_and_quoting_do_not_make_a_value_trusted(guard: str) -> None:
    source = (
        ROUTE_HEADER
        + f"""
ALLOWED = ("name", "email")


@router.get("/users")
def users(sort: str, db: Session = Depends(get_db)):
    {guard}
    return db.execute(text(f"SELECT id FROM users ORDER BY {{sort}}")).all()
"""
    )
    assert [f.code for f in check(source)] == ["RVW201"]


def test_membership_check_trusts_the_value_only_inside_the_guarded_branch() -> None:
    findings = check(
        ROUTE_HEADER
        + """
ALLOWED = {"name", "email"}


@router.get("/users")
def users(sort: str, db: Session = Depends(get_db)):
    if sort in ALLOWED:
        db.execute(text(f"SELECT id FROM users ORDER BY {sort}"))
    return db.execute(text(f"SELECT id FROM users ORDER BY {sort} DESC")).all()
"""
    )
    assert [(f.code, f.span.line) for f in findings] == [("RVW201", 14)]


def test_parameter_types_decide_trust() -> None:
    source = """
import enum
import uuid
from typing import Annotated, Literal

from fastapi import Query
from sqlalchemy import text


class Direction(str, enum.Enum):
    asc = "asc"
    desc = "desc"


def page(session, owner: uuid.UUID, limit: int, direction: Direction, order: Literal["id", "name"],
         tag: Annotated[str, Query(max_length=20)]):
    session.execute(text(f"SELECT id FROM t WHERE owner = '{owner}' ORDER BY {order} {direction.value} LIMIT {limit}"))
    session.execute(text(f"SELECT id FROM t WHERE tag = '{tag}'"))
"""
    findings = check(source)
    assert [(f.code, f.span.line) for f in findings] == [("RVW201", 18)]
    assert "caller-supplied 'tag'" in findings[0].message


def test_raw_untrusted_text_names_the_method_it_reaches() -> None:
    findings = check(
        ROUTE_HEADER
        + """
from sqlalchemy import select


@router.get("/items")
def items(sort: str, db: Session = Depends(get_db)):
    return db.execute(select(Item.id).order_by(text(sort))).all()
"""
    )
    assert [f.code for f in findings] == ["RVW202"]
    assert findings[0].message.startswith("user-controlled 'sort' is used as SQL text by text() in order_by()")


def test_request_data_and_http_responses_are_untrusted() -> None:
    source = (
        ROUTE_HEADER
        + """
import httpx
from fastapi import Request


@router.post("/sync")
async def sync(request: Request, db: Session = Depends(get_db)):
    payload = await request.json()
    db.execute(text("DELETE FROM items WHERE sku = '%s'" % payload["sku"]))
    remote = httpx.get("https://example.com/items", timeout=5).json()
    db.execute(text("INSERT INTO items (sku) VALUES ('{}')".format(remote["sku"])))
"""
    )
    findings = check(source)
    assert [f.code for f in findings] == ["RVW201", "RVW201"]
    assert "user-controlled 'payload[\"sku\"]'" in findings[0].message
    assert "by % formatting" in findings[0].message
    assert "externally sourced 'remote[\"sku\"]'" in findings[1].message


def test_text_clause_assigned_then_executed_names_the_executor() -> None:
    findings = check("""
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession


async def purge(session: AsyncSession, table: str):
    stmt = text(f"DELETE FROM {table} WHERE expires_at < now()")
    await session.execute(stmt)
""")
    assert "reaches AsyncSession.execute" in findings[0].message


def test_conditional_sql_builds_are_parsed_per_alternative() -> None:
    source = """
from sqlalchemy import text


def export(session, full: bool):
    if full:
        sql = "SELECT * FROM orders"
    else:
        sql = "SELECT id, total FROM orders"
    return session.execute(text(sql)).all()
"""
    assert codes_and_lines(source) == [("RVW210", 7)]


def test_generic_execute_needs_sql_text() -> None:
    source = """
def run(client, job: str, cursor):
    client.execute(f"jobs/{job}/start")
    client.execute("SELECT * FROM jobs")
    cursor.execute(f"UPDATE jobs SET state = 'run' WHERE name = '{job}'")
"""
    assert codes_and_lines(source) == [("RVW210", 4), ("RVW201", 5)]


def sql(text: str) -> tuple[Piece, ...]:
    return (Piece(text, cst.SimpleString(repr(text)), None),)


@pytest.mark.parametrize(
    ("statement", "stars"),
    [
        ("SELECT * FROM users WHERE id = :id", ["*"]),
        ("select u.* from users u where u.email = %(email)s", ["u.*"]),
        ("SELECT * FROM t WHERE a = ? AND b = $1 AND c = %s", ["*"]),
        ("SELECT id FROM a UNION ALL SELECT * FROM b", ["*"]),
        ("WITH c AS (SELECT a FROM t) SELECT * FROM c", ["*"]),
        ("INSERT INTO a SELECT * FROM b", ["*"]),
        ("SELECT `a`.* FROM `a`", ["a.*"]),
        ("SELECT count(*) FROM t", []),
        ("SELECT count(*) FILTER (WHERE x) FROM t", []),
        ("SELECT id FROM t WHERE EXISTS (SELECT * FROM b WHERE b.t_id = t.id)", []),
        ("SELECT id FROM (SELECT * FROM t) AS sub", []),
        ("SELECT price * qty AS amount FROM lines", []),
        ("-- SELECT * FROM t\nSELECT id FROM t", []),
        ("SELECT id FROM t WHERE note = 'select * from x'", []),
        ("UPDATE t SET n = n * 2", []),
    ],
)
def test_star_projections_follow_the_parsed_sql(statement: str, stars: list[str]) -> None:
    assert [s.projection for s in star_projections(sql(statement))] == stars[:1]


def test_sql_that_does_not_parse_falls_back_to_top_level_select_lists() -> None:
    assert [s.projection for s in star_projections(sql("SELECT * FROM t ORDER BY id {direction} ,,"))] == ["*"]
    assert star_projections(sql("SELECT id FROM t WHERE EXISTS (SELECT * FROM x) ORDER BY ,,")) == []


def test_explain_shows_the_parameterized_rewrites() -> None:
    result = CliRunner().invoke(main, ["explain", "RVW201"])
    assert result.exit_code == 0
    assert ".bindparams(" in result.output
    assert '%s", (email,))' in result.output
    assert '$1 AND email = $2", org_id, email)' in result.output


def test_a_private_helper_takes_the_trust_of_what_its_callers_pass() -> None:
    source = ROUTE_HEADER + """
def _sorted_ids(db, column: str):
    return db.execute(text(f"SELECT id FROM users ORDER BY {column}")).all()


def _count(db, table: str):
    return db.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


@router.get("/users")
def users(sort: str, db: Session = Depends(get_db)):
    total = _count(db, "users")
    return {"total": total, "ids": _sorted_ids(db, sort)}
"""
    findings = check(source)
    assert [(f.code, f.span.line) for f in findings] == [("RVW201", 8)]
    assert findings[0].message.startswith("user-controlled 'column' reaches db.execute")


def test_a_public_helper_parameter_is_caller_supplied() -> None:
    source = """
from sqlalchemy import text


def count_rows(db, table: str):
    return db.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()


def count_users(db):
    return count_rows(db, "users")
"""
    findings = check(source)
    assert [f.code for f in findings] == ["RVW201"]
    assert findings[0].message.startswith("caller-supplied 'table' reaches db.execute")


def test_request_model_fields_are_user_controlled_unless_their_type_constrains_them() -> None:
    source = ROUTE_HEADER + """
from typing import Literal

from pydantic import BaseModel


class ReportFilter(BaseModel):
    customer: str
    sort: Literal["created_at", "total"] = "created_at"
    limit: int = 50


@router.post("/reports")
def report(filters: ReportFilter, db: Session = Depends(get_db)):
    return db.execute(text(
        f"SELECT id FROM orders WHERE customer = '{filters.customer}' ORDER BY {filters.sort} LIMIT {filters.limit}"
    )).all()
"""
    findings = check(source)
    assert [f.code for f in findings] == ["RVW201"]
    assert "user-controlled 'filters.customer' reaches Session.execute" in findings[0].message


def test_test_code_is_not_checked() -> None:
    source = """
from sqlalchemy import literal_column, select, text


def truncate(session, table: str):
    session.execute(text(f"TRUNCATE {table} CASCADE"))
    session.execute(text("SELECT * FROM users"))
    session.execute(select(literal_column("*")))
"""
    assert check(source, "tests/conftest.py") == []
    assert [f.code for f in check(source, "app/db/maintenance.py")] == ["RVW201", "RVW210", "RVW211"]


def test_a_helper_parameter_passed_whole_is_flagged_only_when_typed_as_text() -> None:
    source = """
from sqlalchemy import select, text


def sorted_items(session, sort: str):
    return session.execute(select(Item.id).order_by(text(sort))).all()


def refresh_trigger(conn, table, indexed_columns, query):
    conn.execute(table.update().values({indexed_columns[0]: text(indexed_columns[0])}))
    conn.execute(text(query))
"""
    assert codes_and_lines(source) == [("RVW202", 6)]


def test_only_select_star_keeps_each_findings_function_for_its_repository_pass() -> None:
    source = ROUTE_HEADER + textwrap.dedent('''
    @router.get("/users")
    def users(sort: str, db: Session = Depends(get_db)):
        db.execute(text(f"SELECT id FROM users ORDER BY {sort}"))
        return db.execute(text("SELECT * FROM users")).all()
    ''')
    result = analyze("app/api/reports.py", source.encode(), SQL_RULES, {})
    assert sorted({finding.code for finding in result.findings}) == ["RVW201", "RVW210"]
    assert {code: set(sites.values()) for code, sites in result.summary.extras.items()
            if code.startswith("RVW")} == {"RVW210": {"app.api.reports.users"}}
