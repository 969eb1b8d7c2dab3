"""auth-on-endpoints: GETs with side effects (RVW921) and GETs that return one owner's rows
(RVW923), and guards made by factories whose checker depends on another checker."""

from __future__ import annotations

from pathlib import Path

from reviewer.analysis import analyze
from reviewer.registry import load_rules
from reviewer.rule import RepoContext
from reviewer.semantics.fastapi import FastAPIFacts
from reviewer.semantics.fastapi.guards import GuardFacts
from tests.test_auth_on_endpoints import _found, _run, _write

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "auth-on-endpoints"
RULES = load_rules()
ITEM_RULES = [rule for rule in RULES if rule.checklist == "auth-on-endpoints"]
SHOP = "shop/api/shop.py"


def _repo(root: Path) -> RepoContext:
    options = {rule.code: dict(rule.options) for rule in ITEM_RULES}
    summaries = [
        analyze(path.relative_to(root).as_posix(), path.read_bytes(), ITEM_RULES, options).summary
        for path in sorted(root.rglob("*.py"))
    ]
    return RepoContext(ITEM_RULES[0], summaries, {})


def test_unguarded_gets_that_write_or_read_one_owners_rows() -> None:
    assert _found(_run(FIXTURES / "shop_reads")) == {
        (SHOP, 25, "RVW923"),  # `Order.user_id == user_id` in a helper the path parameter is handed to
        (SHOP, 31, "RVW923"),  # `filter_by(tenant_id=tenant)` from a query parameter, by keyword
        (SHOP, 37, "RVW923"),  # the filter in the handler itself
        (SHOP, 70, "RVW921"),  # `db.add` in a helper
        (SHOP, 77, "RVW921"),  # `db.delete` in the handler
        (SHOP, 117, "RVW921"),  # mail sent by a helper
    }


def test_messages_carry_the_evidence_chain() -> None:
    messages = {(f.span.line, f.code): f.message for f in _run(FIXTURES / "shop_reads").findings}
    assert messages[(25, "RVW923")].startswith(
        "`GET /users/{user_id}/orders` (`list_user_orders`) returns `Order` rows selected by "
        "`Order.user_id == user_id` in `orders_of` from its path parameter `user_id`: one owner's data"
    )
    assert "`Invoice.tenant_id == tenant_id` in `invoices_of` from its query parameter `tenant_id`" in messages[
        (31, "RVW923")]
    assert messages[(70, "RVW921")].startswith(
        "`GET /track` (`track`) writes through a database session (`db.add` in `record_visit`) although it is a read"
    )
    assert messages[(117, "RVW921")].startswith(
        "`GET /orders/{order_id}/receipt` (`email_receipt`) sends mail (`smtp.sendmail` in `send_receipt`)"
    )


def test_factories_whose_checker_depends_on_an_authenticator_guard() -> None:
    repo = _repo(FIXTURES / "shop_reads")
    model = repo.facts(GuardFacts)
    index = repo.facts(FastAPIFacts)
    guards = {e.function.name: model.guard(e) for e in index.endpoints}
    assert guards["order_history"] == "`Depends(ScopeAuthorizer(...))`"
    assert guards["order_totals"] == "`Depends(OwnerGuard(...))`"
    assert guards["list_user_orders"] is None


def test_guard_is_worked_out_once_per_endpoint() -> None:
    repo = _repo(FIXTURES / "shop_reads")
    model = repo.facts(GuardFacts)
    index = repo.facts(FastAPIFacts)
    endpoint = next(e for e in index.endpoints if e.function.name == "order_history")
    calls = []
    original = model._guard
    model._guard = lambda e: calls.append(e) or original(e)
    for _ in range(3):
        assert model.guard(endpoint) == "`Depends(ScopeAuthorizer(...))`"
    assert len(calls) == 1


def test_a_get_in_an_application_that_authenticates_nobody_is_not_reported(tmp_path) -> None:
    root = _write(tmp_path, {
        "app/__init__.py": "",
        "app/main.py": """
            from fastapi import Depends, FastAPI
            from sqlalchemy import Integer, select
            from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

            class Base(DeclarativeBase):
                pass

            class Order(Base):
                __tablename__ = "orders"
                id: Mapped[int] = mapped_column(Integer, primary_key=True)
                user_id: Mapped[int] = mapped_column(Integer)

            app = FastAPI()

            def get_db() -> Session: ...

            @app.get("/users/{user_id}/orders")
            def orders(user_id: int, db: Session = Depends(get_db)) -> list:
                return list(db.scalars(select(Order).where(Order.user_id == user_id)))
        """,
    })
    assert _found(_run(root)) == set()


def test_a_column_of_a_class_that_is_not_mapped_is_no_evidence(tmp_path) -> None:
    root = _write(tmp_path, {
        "app/__init__.py": "",
        "app/main.py": """
            from fastapi import Depends, FastAPI, HTTPException
            from fastapi.security import OAuth2PasswordBearer
            from sqlalchemy import select

            oauth2 = OAuth2PasswordBearer(tokenUrl="token")
            app = FastAPI()

            class OrderFilter:
                user_id: int = 0

            def get_user(token: str = Depends(oauth2)) -> str:
                return token

            @app.get("/orders")
            def orders(user: str = Depends(get_user)) -> list:
                return []

            @app.get("/users/{user_id}/matches")
            def matches(user_id: int) -> bool:
                return OrderFilter.user_id == user_id
        """,
    })
    assert _found(_run(root)) == set()


def test_a_403_in_the_body_counts_as_a_check_only_with_a_credential_read(tmp_path) -> None:
    root = _write(tmp_path, {
        "app/__init__.py": "",
        "app/main.py": """
            import hmac

            from fastapi import Depends, FastAPI, Header, HTTPException
            from fastapi.security import OAuth2PasswordBearer

            oauth2 = OAuth2PasswordBearer(tokenUrl="token")
            app = FastAPI()
            store = {}

            def save(pool: dict) -> None:
                store.insert(pool)

            @app.post("/pools")
            def create_pool(pool: dict, token: str = Depends(oauth2)) -> dict:
                save(pool)
                return pool

            @app.post("/reserved-pools")
            def create_reserved_pool(pool: dict) -> dict:
                if pool["name"].startswith("system"):
                    raise HTTPException(status_code=403, detail="reserved name")
                save(pool)
                return pool

            @app.post("/partner/cards")
            def partner_cards(card: dict, partner_signature: str = Header(...)) -> dict:
                if partner_signature != "expected":
                    raise HTTPException(status_code=403)
                save(card)
                return card
        """,
    })
    repo = _repo(root)
    model = repo.facts(GuardFacts)
    guards = {e.function.name: model.guard(e) for e in repo.facts(FastAPIFacts).endpoints}
    assert guards == {
        "create_pool": "`OAuth2PasswordBearer`",
        "create_reserved_pool": None,  # a rule about names, not about who calls
        "partner_cards": "check in `partner_cards` (HTTPException(403))",  # a signature header read
    }
    assert _found(_run(root)) == {("app/main.py", 20, "RVW921")}
