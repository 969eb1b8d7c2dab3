"""response-schemas: credential columns in responses (RVW961) and undeclared response schemas (RVW962)."""

from __future__ import annotations

import shutil
from pathlib import Path

from reviewer import engine
from reviewer.config import Config
from reviewer.rule import rules_in
from reviewer.semantics.fastapi.responses import ResponseFacts, ResponseModel, response_schema

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "response-schemas"


def findings(report: dict, code: str) -> set[tuple[str, int]]:
    return {(f["path"], f["line"]) for f in report["findings"] if f["code"] == code}


def item(report: dict) -> tuple[str, str]:
    found = next(entry for entry in report["checklist"] if entry["id"] == "response-schemas")
    return found["verdict"], found["note"]


def test_orm_objects_with_a_hashed_column_are_flagged_where_no_model_filters_it(
        tmp_path, check_json, monkeypatch) -> None:
    shutil.copytree(FIXTURES / "sqlmodel_app", tmp_path / "sqlmodel_app")
    monkeypatch.chdir(tmp_path / "sqlmodel_app")
    _, report = check_json(".", "--select", "RVW961")
    assert findings(report, "RVW961") == {
        ("app/api/users.py", 30), ("app/api/users.py", 36), ("app/api/users.py", 42), ("app/api/users.py", 48),
        ("app/api/users.py", 55), ("app/api/users.py", 62), ("app/api/users.py", 68),
    }
    messages = {f["line"]: f["message"] for f in report["findings"]}
    assert messages[30] == (
        "`GET /api/v1/users/ list_users` can send credential column `User.pw_digest` (written from "
        "`app.core_security.get_password_hash(...)`) to the client: it returns `User` ORM objects; declare a "
        "response model without it"
    )
    assert "its response model `UserWithDigest` includes `pw_digest`" in messages[62]
    assert "a serialisation of `User` ORM object" in messages[48]


def test_a_column_is_a_credential_by_how_it_is_written_not_by_an_ordinary_name(
        tmp_path, check_json, monkeypatch) -> None:
    """Without the write from a hashing call, `pw_digest` is an ordinary column."""
    shutil.copytree(FIXTURES / "sqlmodel_app", tmp_path / "sqlmodel_app")
    crud = tmp_path / "sqlmodel_app" / "app" / "crud.py"
    crud.write_text(crud.read_text().replace('update={"pw_digest": get_password_hash(user_create.password)}',
                                             'update={"full_name": user_create.email}'))
    monkeypatch.chdir(tmp_path / "sqlmodel_app")
    _, report = check_json(".", "--select", "RVW961")
    assert findings(report, "RVW961") == set()


def test_secrets_are_shown_once_at_creation_but_not_listed_later(tmp_path, check_json, monkeypatch) -> None:
    shutil.copytree(FIXTURES / "api_keys_app", tmp_path / "api_keys_app")
    monkeypatch.chdir(tmp_path)
    _, report = check_json("api_keys_app", "--select", "RVW961")
    assert findings(report, "RVW961") == {("api_keys_app/routes.py", 46), ("api_keys_app/routes.py", 68)}
    messages = sorted(f["message"] for f in report["findings"])
    assert "`ApiKey.key` (written from `api_keys_app.models.new_key(...)`)" in messages[0]
    assert "`Webhook.secret` (named like a credential)" in messages[1]


def test_undeclared_schemas_are_reported_per_route_when_most_routes_declare_one(
        tmp_path, check_json, monkeypatch) -> None:
    shutil.copytree(FIXTURES / "schemas_app", tmp_path / "schemas_app")
    monkeypatch.chdir(tmp_path / "schemas_app")
    _, report = check_json(".", "--select", "RVW962")
    assert findings(report, "RVW962") == {("main.py", 44)}
    assert item(report) == ("warn", "4 of 6 JSON endpoints declare a response schema")


def test_one_finding_says_how_many_when_most_routes_declare_none(tmp_path, check_json, monkeypatch) -> None:
    shutil.copytree(FIXTURES / "api_keys_app", tmp_path / "api_keys_app")
    monkeypatch.chdir(tmp_path)
    _, report = check_json("api_keys_app", "--select", "RVW962")
    assert [(f["path"], f["line"], f["severity"], f["message"]) for f in report["findings"]] == [
        ("api_keys_app/routes.py", 37, "info",
         "4 of 6 JSON endpoints declare no response schema (first: `POST /keys/ create_key`): OpenAPI documents "
         "nothing of their responses; add `response_model=` or return annotations"),
    ]


def test_response_schema_names_the_declared_model(monkeypatch) -> None:
    captured: list[ResponseModel] = []
    build = ResponseFacts.repository.__func__  # type: ignore[attr-defined]

    def spy(cls, repo):
        captured.append(build(cls, repo))
        return captured[-1]

    monkeypatch.setattr(ResponseFacts, "repository", classmethod(spy))
    import rules

    root = FIXTURES / "schemas_app"
    engine.run([root], Config(select=["RVW962"]), rules_in([rules]), jobs=1, use_cache=False, cwd=FIXTURES)
    index = captured[0].index
    schemas = {e.function.name: response_schema(index, e) for e in index.endpoints}
    assert schemas["list_items"] == "list[Item]"
    assert schemas["read_item"] == "Item"
    assert schemas["count_items"] == "int"
    assert schemas["stats"] is None
    assert schemas["raw"] is None
    assert schemas["go"] is None
