"""Endpoint discovery (reviewer/semantics/fastapi) and the input-validation rules beyond the fixtures:
the `endpoints` report key, messages, documentation, and how FastAPI's rules for parameters are
modelled."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from reviewer import engine
from reviewer.analysis import analyze
from reviewer.config import Config
from reviewer.registry import find_rule, load_rules
from reviewer.reporters.json_report import document
from reviewer.semantics.fastapi import FACTS_KEY, EndpointIndex

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "input-validation"
RULES = load_rules()


def _run(root: Path, *, select: tuple[str, ...] = ("input-validation",), jobs: int = 1, use_cache: bool = False):
    cwd = root.parent if root.is_file() else root
    return engine.run([root], Config(select=list(select)), RULES, jobs=jobs, use_cache=use_cache, cwd=cwd)


def _messages(run: engine.Run) -> dict[tuple[str, int], str]:
    return {(f.path, f.span.line): f"{f.code} {f.message}" for f in run.findings}


def test_endpoints_are_listed_with_combined_prefixes_across_modules() -> None:
    run = _run(FIXTURES / "shop_app")
    records = {(e["method"], e["path"], e["function"].rsplit(".", 1)[-1]) for e in run.extras["endpoints"]}
    assert records == {
        ("GET", "/health", "health"),
        ("POST", "/partners/events", "partner_event"),
        ("POST", "/api/v1/orders", "create_order"),
        ("POST", "/api/v1/orders/validated", "create_validated_order"),
        ("POST", "/api/v1/orders/typed", "create_typed_order"),
        ("GET", "/api/v1/orders/{order_id}", "get_order"),
        ("GET", "/api/v1/carts", "list_carts"),
        ("GET", "/api/v1/carts/search", "search_carts"),
        ("PUT", "/api/v1/carts/{cart_id}", "replace_cart"),
        ("POST", "/api/v1/reviews/{product_id}", "add_review"),
        ("POST", "/api/v1/reviews/{product_id}/rating", "rate"),
        ("POST", "/internal/admin/settings", "update_settings"),
        ("POST", "/exports", "create_export"),
        ("WEBSOCKET", "/ws/exports", "export_progress"),
    }


def test_endpoint_records_point_at_the_def_and_are_sorted() -> None:
    records = _run(FIXTURES / "shop_app").extras["endpoints"]
    first = records[0]
    assert first == {
        "method": "POST",
        "path": "/internal/admin/settings",
        "function": "app.api.admin.build_admin_router.update_settings",
        "file": "app/api/admin.py",
        "line": 9,
    }
    assert records == sorted(records, key=lambda r: (r["file"], r["line"], r["path"], r["method"]))


def test_json_report_carries_the_endpoints_key() -> None:
    data = document(_run(FIXTURES / "shop_app"))
    assert [e["function"].rsplit(".", 1)[-1] for e in data["endpoints"] if e["file"] == "app/api/routes/orders.py"] == [
        "create_order",
        "create_validated_order",
        "create_typed_order",
        "get_order",
    ]


def test_endpoint_list_is_the_same_with_parallel_workers_and_from_the_cache(tmp_path: Path) -> None:
    app = tmp_path / "shop_app"
    app.mkdir()
    for source in (FIXTURES / "shop_app").rglob("*.py"):
        target = app / source.relative_to(FIXTURES / "shop_app")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source.read_text())
    serial = _run(app)
    parallel = _run(app, jobs=2)
    cold = _run(app, use_cache=True)
    warm = _run(app, use_cache=True)
    assert warm.cache_hits == warm.files_scanned
    for other in (parallel, cold, warm):
        assert other.extras["endpoints"] == serial.extras["endpoints"]
        assert _messages(other) == _messages(serial)


def test_unknown_prefix_is_left_out_and_said_so(write) -> None:
    root = write(
        {
            "api/main.py": (
                "from fastapi import FastAPI\nfrom api.config import settings\nfrom api import users\n"
                "app = FastAPI()\napp.include_router(users.router, prefix=settings.API_V1_STR)\n"
            ),
            "api/users.py": (
                "from fastapi import APIRouter\nrouter = APIRouter(prefix='/users')\n"
                "@router.get('/{user_id}')\ndef read_user(user_id: int):\n    return {}\n"
            ),
            "api/config.py": "settings = object()\n",
        }
    )
    assert _run(root).extras["endpoints"] == [
        {
            "method": "GET",
            "path": "/users/{user_id}",
            "function": "api.users.read_user",
            "file": "api/users.py",
            "line": 4,
            "prefix_known": False,
        }
    ]


def test_prefixes_that_name_string_constants_are_resolved(write) -> None:
    """A module's constant, an f-string of constants, a settings class's default read through its
    instance, and a mounted application, whose path within itself is kept as `app_path`."""
    root = write(
        {
            "api/config.py": (
                "from pydantic_settings import BaseSettings\n"
                "class Settings(BaseSettings):\n    API_V1_STR: str = '/api/v1'\nsettings = Settings()\n"
            ),
            "api/main.py": (
                "from fastapi import FastAPI\nfrom api.config import settings\nfrom api import users, admin\n"
                "app = FastAPI()\napp.include_router(users.router, prefix=settings.API_V1_STR)\n"
                "app.mount(admin.MOUNT, admin.admin_app)\n"
            ),
            "api/users.py": (
                "from fastapi import APIRouter\nSECTION = '/people'\nrouter = APIRouter(prefix=f'{SECTION}/users')\n"
                "@router.get('/{user_id}')\ndef read_user(user_id: int):\n    return {}\n"
            ),
            "api/admin.py": (
                "from fastapi import FastAPI\nMOUNT = '/admin'\nadmin_app = FastAPI()\n"
                "@admin_app.get('/stats')\ndef stats():\n    return {}\n"
            ),
        }
    )
    run = _run(root)
    assert [(e["method"], e["path"], e.get("prefix_known", True)) for e in run.extras["endpoints"]] == [
        ("GET", "/admin/stats", True),
        ("GET", "/api/v1/people/users/{user_id}", True),
    ]
    rules = [rule for rule in RULES if rule.checklist == "input-validation"]
    options = {rule.code: dict(rule.options) for rule in rules}
    summaries = [
        analyze(path.relative_to(root).as_posix(), path.read_bytes(), rules, options).summary
        for path in sorted(root.rglob("*.py"))
    ]
    index = EndpointIndex([summary for summary in summaries if summary is not None])
    assert {(e.path, e.app_path) for e in index.endpoints} == {
        ("/admin/stats", "/stats"),
        ("/api/v1/people/users/{user_id}", "/api/v1/people/users/{user_id}"),
    }


def test_router_class_made_by_an_annotated_factory_is_a_router(write) -> None:
    """A project's own router class, created by a function returning `type[APIRouter]` in a
    module that never mentions fastapi itself."""
    root = write(
        {
            "svc/kit.py": (
                "from fastapi import APIRouter as _APIRouter\n"
                "def router_class(route_class) -> type[_APIRouter]:\n"
                "    class Custom(_APIRouter):\n        pass\n    return Custom\n"
            ),
            "svc/routing.py": "from svc.kit import router_class\nAPIRouter = router_class(None)\n",
            "svc/items.py": (
                "from svc.routing import APIRouter\nrouter = APIRouter(prefix='/items')\n"
                "@router.post('')\nasync def create_item(payload: dict):\n    return payload\n"
            ),
        }
    )
    run = _run(root)
    assert [(e["method"], e["path"]) for e in run.extras["endpoints"]] == [("POST", "/items")]
    assert _messages(run) == {
        ("svc/items.py", 4): (
            "RVW301 `POST /items create_item` takes body parameter `payload` typed `dict`: "
            "FastAPI accepts any JSON for it; declare a Pydantic model"
        )
    }


def test_decorators_on_objects_that_are_not_routers_make_no_endpoint(write) -> None:
    root = write(
        {
            "jobs.py": (
                "from celery import Celery\nfrom fastapi import Request\nimport httpx\n"
                "queue = Celery('jobs')\nclient = httpx.Client()\n"
                "@queue.get('/x')\ndef not_a_route(payload: dict):\n    return payload\n"
                "@client.post('/y')\nasync def also_not(request: Request):\n    return await request.json()\n"
            )
        }
    )
    run = _run(root)
    assert run.extras["endpoints"] == []
    assert run.findings == []
    assert next(i for i in run.checklist if i.item.id == "input-validation").verdict.value == "not-applicable"


@pytest.mark.parametrize(
    ("parameter", "flagged"),
    [
        ("payload: dict", True),
        ("payload: dict[str, Any] = Body(embed=True)", True),
        ("payload: Mapping[str, Any]", True),
        ("payload: list[dict[str, Any]]", True),
        ("payload: tuple[dict, ...]", True),
        ("payload: dict | None = None", True),
        ("payload: Optional[List[Any]] = None", True),
        ("payload: Any = Body(None)", True),
        ("payload=Body(None)", True),
        # FastAPI reads these from the query string, one scalar each, not from the body.
        ("payload: Any = None", False),
        ("payload=None", False),
        ("payload: str = Body(embed=True)", False),
        ("payload: list[int]", False),
        ("payload: dict[str, Item]", False),
        ("payload: list[Item]", False),
        ("payload: Item | None = None", False),
        ("payload: dict = Depends(parse_payload)", False),
        ("payload: Annotated[dict, Depends(parse_payload)]", False),
        ("payload: str = Form()", False),
    ],
)
def test_body_parameters_follow_fastapi_rules(write, parameter: str, flagged: bool) -> None:
    root = write(
        {
            "app.py": (
                "from typing import Annotated, Any, List, Mapping, Optional\n"
                "from fastapi import Body, Depends, FastAPI, Form\n"
                "from pydantic import BaseModel\n"
                "class Item(BaseModel):\n    name: str\n"
                "def parse_payload() -> dict:\n    return {}\n"
                "app = FastAPI()\n"
                "@app.post('/items')\n"
                f"async def create_item({parameter}):\n    return payload\n"
            )
        }
    )
    assert bool(_run(root).findings) is flagged


def test_dependency_findings_name_the_endpoint_that_uses_them() -> None:
    messages = _messages(_run(FIXTURES / "shop_app"))
    assert messages[("app/api/deps.py", 31)] == (
        "RVW302 dependency `get_order_payload` of `POST /api/v1/orders create_order` reads the JSON body by hand "
        "(`await request.json()`) and never validates it with a Pydantic model"
    )
    assert messages[("app/api/deps.py", 54)].startswith(
        "RVW301 dependency `CartFilters` of `GET /api/v1/carts list_carts`"
    )
    assert messages[("app/api/deps.py", 65)].startswith(
        "RVW302 dependency `RoleChecker.__call__` of `PUT /api/v1/carts/{cart_id} replace_cart`"
    )


def test_hand_parsed_json_messages_name_the_parameter() -> None:
    messages = _messages(_run(FIXTURES / "websocket_and_query_json.py", select=("RVW303",)))
    assert messages[("websocket_and_query_json.py", 58)] == (
        "RVW303 `GET /api/search search` parses query parameter `filters` as JSON by hand (`json.loads(filters)`) "
        "and never validates the result with a Pydantic model"
    )


def test_a_read_used_only_to_prime_a_library_is_not_flagged(write) -> None:
    root = write(
        {
            "oauth.py": (
                "from fastapi import APIRouter, Request\nrouter = APIRouter()\n"
                "@router.post('/token')\nasync def token(request: Request):\n"
                "    await request.form()\n    return server.create_token_response(request)\n"
            )
        }
    )
    assert _run(root).findings == []


def test_module_facts_are_picklable_plain_data() -> None:
    run = _run(FIXTURES / "shop_app")
    assert run.extras["endpoints"]
    from reviewer.analysis import analyze

    source = (FIXTURES / "shop_app" / "app" / "api" / "deps.py").read_bytes()
    rule = find_rule(RULES, "RVW302")
    result = analyze("app/api/deps.py", source, [rule], {rule.code: {}})
    facts = pickle.loads(pickle.dumps(result.summary)).extras[FACTS_KEY]
    assert {"get_order_payload", "__call__", "__init__"} <= {f.name for f in facts.functions.values()}
    index = EndpointIndex([result.summary])
    assert index.endpoints == []


def test_explain_shows_the_model_based_rewrite() -> None:
    for code, model in (
        ("RVW301", "class ItemCreate(BaseModel)"),
        ("RVW302", "class OrderCreate(BaseModel)"),
        ("RVW303", "class ChatMessage(BaseModel)"),
    ):
        rule = find_rule(RULES, code)
        assert rule is not None and rule.checklist == "input-validation"
        documentation = rule.documentation()
        assert "## Use instead" in documentation and model in documentation.split("## Use instead", 1)[1]


def test_check_command_lists_endpoints_in_the_json_report(write, check_json) -> None:
    write(
        {
            "app/main.py": (
                "from fastapi import FastAPI\nfrom app.routes import router\n"
                "app = FastAPI()\napp.include_router(router, prefix='/api')\n"
            ),
            "app/routes.py": (
                "from fastapi import APIRouter, Request\nrouter = APIRouter(prefix='/hooks')\n"
                "@router.api_route('/github', methods=['post', 'put'])\n"
                "async def github(request: Request):\n    return (await request.json())['action']\n"
            ),
        }
    )
    code, report = check_json("--select", "input-validation")
    assert code == 0
    assert report["endpoints"] == [
        {
            "method": method,
            "path": "/api/hooks/github",
            "function": "app.routes.github",
            "file": "app/routes.py",
            "line": 4,
        }
        for method in ("POST", "PUT")
    ]
    assert [(f["code"], f["line"], f["column"]) for f in report["findings"]] == [("RVW302", 5, 13)]


def test_a_crash_in_the_endpoint_analysis_is_reported_and_other_rules_still_report(monkeypatch) -> None:
    from reviewer.analysis import analyze
    from reviewer.semantics.fastapi import collector

    def visit_SimpleStatementLine(self, node) -> None:  # noqa: ANN001, N802 - a visitor method's name
        raise ValueError("collector bug")

    monkeypatch.setattr(collector._Collector, "visit_SimpleStatementLine", visit_SimpleStatementLine)
    source = (
        b"from fastapi import FastAPI\n\napp = FastAPI(debug=True)\n\n\n"
        b"@app.post('/items')\nasync def create(payload: dict):\n    return payload\n"
    )
    rules = load_rules()
    result = analyze("app/main.py", source, rules, {rule.code: dict(rule.options) for rule in rules})
    assert [e.message for e in result.errors] == ["FastAPIFacts failed: ValueError('collector bug')"]
    assert FACTS_KEY not in result.summary.extras, "half-collected facts are not kept for the repository pass"
    assert [f.code for f in result.findings] == ["RVW501"]
