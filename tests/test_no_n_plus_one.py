"""The `no-n-plus-one` rules (RVW701 lazy-load-in-loop, RVW702 query-in-loop) and the SQLAlchemy
model they read (`reviewer.semantics.orm`): exact findings, the model's answers across modules,
and the `selectinload` fix through the command line."""

from __future__ import annotations

import json
from pathlib import Path

from reviewer import engine
from reviewer.analysis import analyze
from reviewer.config import Config, rule_options
from reviewer.registry import load_rules
from reviewer.rule import RepoContext
from reviewer.semantics.orm import OrmFacts

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures" / "no-n-plus-one"
RULES = [rule for rule in load_rules() if rule.checklist == "no-n-plus-one"]


def _findings(path: Path, cwd: Path) -> set[tuple[str, int, str]]:
    run = engine.run([path], Config(select=["RVW701", "RVW702"]), RULES, jobs=1, use_cache=False, cwd=cwd)
    return {(finding.path, finding.span.line, finding.code) for finding in run.findings}


def test_shop_app_findings_are_exactly_the_chains_with_all_three_pieces_of_evidence() -> None:
    assert _findings(FIXTURES / "shop_app", FIXTURES) == {
        ("shop_app/routes.py", 24, "RVW701"),  # `order.items`, relationship in models.py, no option
        ("shop_app/routes.py", 34, "RVW701"),  # `created_by` declared on a mixin, statement built in steps
        ("shop_app/routes.py", 43, "RVW702"),
        ("shop_app/routes.py", 45, "RVW702"),
        ("shop_app/routes.py", 53, "RVW702"),  # `session.get` per id of the request body
    }


def test_legacy_async_and_sqlmodel_findings() -> None:
    assert _findings(FIXTURES / "legacy_app", FIXTURES) == {
        ("legacy_app/views.py", 18, "RVW701"),  # `books` is a backref of Book.author
        ("legacy_app/views.py", 27, "RVW702"),
    }
    assert _findings(FIXTURES / "async_app", FIXTURES) == {
        ("async_app/api.py", 20, "RVW701"),
        ("async_app/api.py", 28, "RVW702"),
    }
    assert _findings(FIXTURES / "sqlmodel_heroes.py", FIXTURES) == {
        ("sqlmodel_heroes.py", 34, "RVW701"),
        ("sqlmodel_heroes.py", 44, "RVW702"),
    }
    assert _findings(FIXTURES / "negatives_lookalikes.py", FIXTURES) == set()


def test_messages_name_the_relationship_the_query_and_say_what_async_code_does() -> None:
    run = engine.run([FIXTURES / "shop_app", FIXTURES / "async_app"], Config(select=["RVW701"]), RULES, jobs=1,
                     use_cache=False, cwd=FIXTURES)
    messages = {(f.path, f.span.line): f.message for f in run.findings}
    assert messages[("shop_app/routes.py", 24)] == (
        "`order.items` lazy-loads `Order.items` once per row of the query at line 20 (loop at line 22): "
        "add `selectinload(Order.items)` to the query")
    assert "AsyncSession cannot lazy-load, so this raises MissingGreenlet" in messages[("async_app/api.py", 20)]


def test_the_model_maps_tables_columns_and_relationships_across_modules() -> None:
    options = rule_options(Config(), RULES)
    summaries = []
    for path in sorted((FIXTURES / "shop_app").glob("*.py")) + sorted((FIXTURES / "legacy_app").glob("*.py")):
        result = analyze(path.relative_to(FIXTURES).as_posix(), path.read_bytes(), RULES,
                         {rule.code: options[rule.code] for rule in RULES})
        summaries.append(result.summary)
    model = RepoContext(RULES[0], summaries, {}).facts(OrmFacts)
    assert set(model.tables()) == {"users", "addresses", "orders", "items", "notes", "events", "authors", "books",
                                   "publishers"}
    order = model.mapped("shop_app.routes.Order")  # as the routes import it
    assert order is not None and order.tablename == "orders"
    assert {"id", "total", "customer_id"} <= set(order.columns)
    assert model.relationship("shop_app.models.Order", "items").lazy == "select"
    assert model.relationship("shop_app.models.Order", "customer").lazy == "joined"
    assert model.relationship("shop_app.models.Order", "created_by").loads_lazily  # from the mixin
    assert model.relationship("shop_app.models.Order", "total") is None
    assert model.relationship("legacy_app.models.Author", "books").target == "legacy_app.models.Book"  # backref
    assert model.relationship("legacy_app.models.Publisher", "catalogue").lazy == "dynamic"


ROUTES = '''"""Orders."""
from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import Order


def totals(session: Session):
    orders = session.scalars(select(Order).where(Order.total > 0)).all()
    return [len(order.items) for order in orders]
'''
MODELS = '''from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    total: Mapped[int]
    items: Mapped[list["Item"]] = relationship()
'''


def test_the_selectinload_fix_is_unsafe_and_adds_the_option_and_its_import(write, cli) -> None:
    write({"app/__init__.py": "", "app/routes.py": ROUTES, "app/models.py": MODELS})
    code, out, _ = cli("check", "--no-cache", "--select", "RVW701", "--fix", "app")
    assert (Path("app/routes.py")).read_text() == ROUTES  # unsafe: not applied without --unsafe-fixes
    code, out, err = cli("check", "--no-cache", "--select", "RVW701", "--diff", "--unsafe-fixes", "app")
    assert "+from sqlalchemy.orm import selectinload" in out
    fixed_line = "orders = session.scalars(select(Order).options(selectinload(Order.items)).where(Order.total > 0))"
    assert f"+    {fixed_line}.all()" in out
    code, out, err = cli("check", "--no-cache", "--select", "RVW701", "--fix", "--unsafe-fixes", "--format", "json",
                         "app")
    fixed = Path("app/routes.py").read_text()
    imported = ROUTES.replace('"""Orders."""\n', '"""Orders."""\nfrom sqlalchemy.orm import selectinload\n')
    assert fixed == imported.replace("select(Order).where", "select(Order).options(selectinload(Order.items)).where")
    assert json.loads(out)["findings"] == []
