"""tests-present: which endpoints the test suite requests, read from the tests' source."""

from __future__ import annotations

import shutil
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "tests-present"


def item(report: dict) -> tuple[str, str]:
    found = next(entry for entry in report["checklist"] if entry["id"] == "tests-present")
    return found["verdict"], found["note"]


def untested(report: dict) -> set[tuple[str, int, str]]:
    return {(f["path"], f["line"], f["message"]) for f in report["findings"] if f["code"] == "RVW911"}


def test_the_note_gives_the_share_of_endpoints_tests_exercise(tmp_path, check_json, monkeypatch) -> None:
    shutil.copytree(FIXTURES / "shop_app", tmp_path / "shop_app")
    monkeypatch.chdir(tmp_path / "shop_app")
    _, report = check_json(".", "--select", "RVW911")
    assert item(report) == ("warn", "14 of 18 endpoints are requested or called by a test")
    assert untested(report) == {
        ("shop/admin/app.py", 13, "no test requests POST /admin/users/{user_id}/ban (ban_user): "
         "add a test that calls it through a test client"),
        ("shop/routes/items.py", 23, "no test requests PUT /api/v1/items/{item_id} (update_item): "
         "add a test that calls it through a test client"),
        ("shop/routes/orders.py", 16, "no test requests GET /api/v1/orders/summary (orders_summary): "
         "add a test that calls it through a test client"),
        ("shop/routes/users.py", 13, "no test requests GET /api/v1/users/export (export_users): "
         "add a test that calls it through a test client"),
    }


def test_prefixes_named_by_constants_are_part_of_the_endpoints_paths(tmp_path, check_json, monkeypatch) -> None:
    shutil.copytree(FIXTURES / "shop_app", tmp_path / "shop_app")
    monkeypatch.chdir(tmp_path / "shop_app")
    _, report = check_json(".", "--select", "RVW911")
    paths = {(e["method"], e["path"]) for e in report["endpoints"]}
    assert {
        ("GET", "/health"),  # on the app itself
        ("GET", "/api/v1/items/{item_id}"),  # `prefix=settings.API_V1_STR`: a settings field's default
        ("GET", "/api/v1/orders/{order_id}"),  # `prefix=orders.PREFIX`: a module constant
        ("GET", "/api/v1/analytics/reports/daily"),  # `prefix=f"{SECTION}/reports"`
        ("GET", "/admin/users/{user_id}/ban"),  # an application mounted in the app
    } <= paths
    assert all(e.get("prefix_known", True) for e in report["endpoints"])


def test_without_tests_nothing_is_reported_and_the_note_says_why(write, check_json) -> None:
    write({
        "service/app.py": "from fastapi import FastAPI\n\napp = FastAPI()\n\n\n@app.get('/items')\ndef items():\n"
                          "    return []\n",
        # A script named like a test module, shipped in a package: it defines no test.
        "service/test_live.py": "import httpx\n\n\ndef main():\n    httpx.get('http://localhost:8000/items')\n",
        # A package's own unit tests, shipped beside its code: not the suite that requests endpoints.
        "service/names_test.py": "def test_upper():\n    assert 'a'.upper() == 'A'\n",
    })
    _, report = check_json(".", "--select", "RVW911")
    assert untested(report) == set()
    assert item(report) == (
        "not-applicable",
        "no test is among the reviewed files (1 endpoint): "
        "review the tests with the code to measure which endpoints they exercise",
    )


APP = """from fastapi import FastAPI

app = FastAPI()


@app.get("/items/{item_id}")
def read_item(item_id: int):
    return {}


@app.post("/items")
def create_item():
    return {}
"""


def test_a_schemathesis_run_requests_every_operation(write, check_json) -> None:
    write({
        "service/app.py": APP,
        "tests/test_api.py": "import schemathesis\n\nfrom service.app import app\n\n"
                             "schema = schemathesis.openapi.from_asgi('/openapi.json', app)\n\n\n"
                             "@schema.parametrize()\ndef test_api(case):\n    case.call_and_validate()\n",
    })
    _, report = check_json(".", "--select", "RVW911")
    assert untested(report) == set()
    assert item(report) == ("pass", "2 of 2 endpoints are requested or called by a test")


def test_methods_must_agree_and_mentions_fill_only_parameters(write, check_json) -> None:
    write({
        "service/app.py": APP.replace('@app.post("/items")', '@app.get("/items/latest")'),
        "tests/test_api.py": "def test_read(client):\n    client.post('/items/1')\n\n\n"
                             "ROUTES = [f'/items/{1}', '/items']\n",
    })
    _, report = check_json(".", "--select", "RVW911")
    # `POST /items/1` is not `GET /items/{item_id}`, but the mention of `/items/{...}` is (any
    # method); a hole in a mention stands for a parameter, never for the literal `latest`.
    assert {(path, line) for path, line, _ in untested(report)} == {("service/app.py", 12)}


def test_a_helper_handed_the_method_and_the_path_requests_below_any_base(write, check_json) -> None:
    write({
        "service/app.py": APP.replace('@app.post("/items")', '@app.post("/v1/items")'),
        # A fixture that puts the deployment's base URL before the path it is handed: `/items`
        # ends `/v1/items`. The method must still agree: `DELETE /items/1` is not `GET`.
        "tests/test_api.py": "def test_create(authed_api):\n    authed_api('POST', '/items', json={})\n\n\n"
                             "def test_delete(authed_api):\n    authed_api('DELETE', f'/items/{1}')\n",
    })
    _, report = check_json(".", "--select", "RVW911")
    assert {(path, line) for path, line, _ in untested(report)} == {("service/app.py", 7)}


def test_a_helper_handed_a_path_after_a_base_url_requests_it(write, check_json) -> None:
    write({
        "service/app.py": APP,
        # `f"{BASE}/items/{1}"` after the method: the base URL is a hole, the path ends the request.
        "tests/test_api.py": "BASE = 'http://localhost:8000'\n\n\n"
                             "def test_read(call):\n    call('GET', f'{BASE}/items/{1}')\n",
    })
    _, report = check_json(".", "--select", "RVW911")
    assert {(path, line) for path, line, _ in untested(report)} == {("service/app.py", 12)}


def test_an_endpoint_method_called_on_a_router_object_the_test_builds_is_exercised(write, check_json) -> None:
    write({
        "service/__init__.py": "",
        "service/items.py": "from fastapi import APIRouter\n\n\nclass ItemsRouter:\n"
                            "    def __init__(self):\n        self.router = APIRouter()\n"
                            "        self.router.add_api_route('/items', self.create_item, methods=['POST'])\n"
                            "        self.router.add_api_route('/items/{item_id}', self.delete_item,"
                            " methods=['DELETE'])\n\n"
                            "    async def create_item(self):\n        return {}\n\n"
                            "    async def delete_item(self, item_id: int):\n        return None\n",
        "service/app.py": "from fastapi import FastAPI\n\nfrom service.items import ItemsRouter\n\n"
                          "app = FastAPI()\nitems = ItemsRouter()\napp.include_router(items.router)\n",
        # The test builds the router object and calls one endpoint method on it; a method of the
        # same name on another object is not that endpoint.
        "tests/test_items.py": "from service.items import ItemsRouter\n\n\n"
                               "async def test_create():\n    router = ItemsRouter()\n"
                               "    await router.create_item()\n\n\n"
                               "async def test_cache(cache):\n    await cache.delete_item(1)\n",
    })
    _, report = check_json(".", "--select", "RVW911")
    assert {(path, line) for path, line, _ in untested(report)} == {("service/items.py", 13)}


def test_a_suite_that_exercises_no_endpoint_gets_one_finding(write, check_json) -> None:
    write({
        "service/app.py": APP,
        "tests/test_units.py": "from service.app import app\n\n\ndef test_title():\n    assert app.title\n",
    })
    _, report = check_json(".", "--select", "RVW911")
    assert untested(report) == {(
        "service/app.py", 7,
        "no test among the reviewed files requests or calls any of the 2 endpoints (this one, "
        "GET /items/{item_id}, among them): add tests that call the API through a test client",
    )}
    assert item(report) == ("warn", "0 of 2 endpoints are requested or called by a test")
