"""pagination: list endpoints whose answer has no upper bound, followed across modules."""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

from reviewer import engine
from reviewer.analysis import analyze
from reviewer.config import Config
from reviewer.registry import load_rules
from reviewer.rule import RepoContext
from reviewer.semantics.fastapi.listing import ListingFacts, page_bound

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "pagination"
RULES = load_rules()


def _run(root: Path) -> engine.Run:
    cwd = root.parent if root.is_file() else root
    return engine.run([root], Config(select=["pagination"]), RULES, jobs=1, use_cache=False, cwd=cwd)


def _found(run: engine.Run) -> set[tuple[str, int, str]]:
    return {(f.path, f.span.line, f.code) for f in run.findings}


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def test_one_module_whole_reads_and_unbounded_page_sizes() -> None:
    run = _run(FIXTURES / "list_endpoints.py")
    assert _found(run) == {
        ("list_endpoints.py", 24, "RVW931"),
        ("list_endpoints.py", 30, "RVW931"),
        ("list_endpoints.py", 56, "RVW932"),
        ("list_endpoints.py", 62, "RVW932"),
    }
    messages = {f.span.line: f.message for f in run.findings}
    assert messages[24].startswith(
        "`GET /shop/orders list_orders` returns every row of `select(Order)` "
        "(`session.scalars(select(Order).order_by(Order.created_at)).all()`, line 25) with no limit")
    assert messages[56] == (
        "`GET /shop/paged-orders paged_orders` applies query parameter `limit` as `.limit(limit)` with no upper "
        "bound: a client can ask for every row; declare it `Query(..., le=MAX)` or clamp it with `min(limit, MAX)`")


def test_helpers_in_other_modules_are_followed() -> None:
    run = _run(FIXTURES / "store_app")
    assert _found(run) == {
        ("app/routes.py", 27, "RVW932"),
        ("app/routes.py", 34, "RVW931"),
    }
    messages = {f.span.line: f.message for f in run.findings}
    assert "as `.limit(limit)` in `app.crud.list_invoices`" in messages[27]
    assert "in `app.crud.InvoiceRepository.all_unpaid_invoices`" in messages[34]


def test_fastapi_pagination_and_functions_that_are_not_endpoints() -> None:
    assert _found(_run(FIXTURES / "negatives_paginators.py")) == set()


def test_a_method_is_not_guessed_when_two_classes_define_its_name(tmp_path: Path) -> None:
    root = _write(tmp_path / "svc", {
        "app/__init__.py": "",
        "app/repos.py": """
            from sqlalchemy import select

            from app.models import Order, Tag


            class Orders:
                def all(self, session):
                    return session.scalars(select(Order)).all()

                def listing(self, session):
                    return session.scalars(select(Order)).all()


            class Tags:
                def listing(self, session):
                    return session.scalars(select(Tag).limit(50)).all()
        """,
        "app/routes.py": """
            from fastapi import APIRouter

            router = APIRouter()


            @router.get("/tags")
            def tags(repo, session):
                return repo.listing(session)
        """,
    })
    assert _found(_run(root)) == set()


def test_raw_sql_fetches_without_limit_and_scoped_ones_in_a_service_that_pages_nothing(tmp_path: Path) -> None:
    root = _write(tmp_path / "svc", {
        "app/__init__.py": "",
        "app/routes.py": """
            from fastapi import APIRouter

            from app.db import database

            router = APIRouter()


            @router.get("/notes")
            async def notes():
                return await database.fetch_all("SELECT id, body FROM notes ORDER BY id")


            @router.get("/notes/recent")
            async def recent_notes():
                return await database.fetch_all("SELECT id, body FROM notes ORDER BY id DESC LIMIT 20")


            @router.get("/users/{user_id}/notes")
            async def user_notes(user_id: int):
                return await database.fetch_all("SELECT id FROM notes WHERE user_id = :user_id", {"user_id": user_id})


            @router.get("/notes/count")
            async def count_notes():
                return await database.fetch_all("SELECT COUNT(*) FROM notes")
        """,
    })
    assert _found(_run(root)) == {("app/routes.py", 10, "RVW931")}


def test_page_bound_says_what_leaves_an_endpoint_unbounded() -> None:
    """The rule-agnostic summary the endpoint records carry (survives pickling, as the cache does)."""
    root = FIXTURES / "store_app"
    rules = [rule for rule in RULES if rule.checklist == "pagination"]
    options = {rule.code: dict(rule.options) for rule in rules}
    summaries = [
        analyze(path.relative_to(root).as_posix(), path.read_bytes(), rules, options).summary
        for path in sorted(root.rglob("*.py"))
    ]
    repo = RepoContext(rules[0], pickle.loads(pickle.dumps(summaries)), {})
    index = repo.facts(ListingFacts)
    bounds = {e.function.name: page_bound(index, e) for e in index.endpoints.endpoints}
    assert bounds == {
        "customers": None,  # never paged in this application: nothing says it is large
        "invoices": "`limit` has no upper bound (app.crud.list_invoices)",
        "unpaid": "every row of `select(Invoice)` (app.crud.InvoiceRepository.all_unpaid_invoices)",
        "bounded_invoices": None,
        "customer_invoices": None,
        "paged_invoices": None,
    }


def test_a_page_size_passed_by_keyword_is_followed_into_methods_of_its_name(tmp_path: Path) -> None:
    """`app.SERVICE.list_runs(limit=limit)`: the service and the repository both define
    `list_runs`; the page size reaches `.limit()` in the repository."""
    root = _write(tmp_path / "svc", {
        "app/__init__.py": "",
        "app/service.py": """
            class RunService:
                async def list_runs(self, org, limit):
                    return await self.repo.list_runs(org=org, limit=limit)
        """,
        "app/repository.py": """
            from sqlalchemy import select

            from app.models import Run


            class RunRepository:
                async def list_runs(self, org, limit):
                    stmt = select(Run).where(Run.org == org).limit(limit)
                    return (await self.session.scalars(stmt)).all()
        """,
        "app/routes.py": """
            from fastapi import APIRouter, Query

            from app import state

            router = APIRouter()


            @router.get("/runs")
            async def runs(org: str, limit: int = Query(10, ge=1)):
                return await state.SERVICE.list_runs(org=org, limit=limit)


            @router.get("/bounded-runs")
            async def bounded_runs(org: str, limit: int = Query(10, ge=1, le=100)):
                return await state.SERVICE.list_runs(org=org, limit=limit)
        """,
    })
    assert _found(_run(root)) == {("app/routes.py", 10, "RVW932")}
