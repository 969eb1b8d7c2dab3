"""The `cors-restrictive` rules (RVW621-RVW623): what a deployment gets by default, across modules;
the item's verdict; the origin patterns an attacker can serve a page from; cached runs."""

from __future__ import annotations

import pytest

from rules.cors_restrictive.origin_regex_matches_any import matching_attacker_origin

CONFIG = '''
import os

from pydantic import Field
from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    cors_origins: list[str] = ["*"]
    cors_credentials: bool = True
    trusted_origins: list[str] = Field(default=["https://app.example.com"])
    origin_pattern: str = r"https://.*"


settings = Settings()
ORIGINS_FROM_ENV = [origin.strip() for origin in os.getenv("CORS_ORIGINS", "*").split(",")]
'''

MAIN = '''
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from app.config import ORIGINS_FROM_ENV, settings

app = FastAPI()
app.add_middleware(
    CORSMiddleware,
    allow_origins=settings.cors_origins,
    allow_credentials=settings.cors_credentials,
)
app.add_middleware(CORSMiddleware, allow_origins=settings.trusted_origins, allow_credentials=True)
app.add_middleware(CORSMiddleware, allow_origins=ORIGINS_FROM_ENV, allow_credentials=True)
app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins)
app.add_middleware(CORSMiddleware, allow_origin_regex=settings.origin_pattern, allow_credentials=True)
'''


def _run(check_json, *args: str) -> tuple[set[tuple[str, int, str]], dict]:
    _, report = check_json("--select", "cors-restrictive", *args, ".")
    return {(f["path"], f["line"], f["code"]) for f in report["findings"]}, report


def _verdict(report: dict) -> str:
    return next(item["verdict"] for item in report["checklist"] if item["id"] == "cors-restrictive")


def test_settings_defaults_and_environment_fallbacks_in_other_modules(write, check_json) -> None:
    write({"app/__init__.py": "", "app/config.py": CONFIG, "app/main.py": MAIN})
    found, report = _run(check_json)
    assert found == {("app/main.py", 8, "RVW621"), ("app/main.py", 14, "RVW621"), ("app/main.py", 16, "RVW622")}
    messages = {f["line"]: f["message"] for f in report["findings"]}
    assert 'which is ["*"] by default (field `Settings.cors_origins`)' in messages[8]
    assert "allow_credentials=settings.cors_credentials, which is True by default" in messages[8]
    assert "https://attacker.example" in messages[16]
    assert _verdict(report) == "fail"


def test_a_subclass_of_cors_middleware_is_judged(write, check_json) -> None:
    write({
        "app/__init__.py": "",
        "app/cors.py": "from starlette.middleware.cors import CORSMiddleware\n\n\nclass PathCors(CORSMiddleware):\n"
                       "    pass\n",
        "app/main.py": "from fastapi import FastAPI\n\nfrom app.cors import PathCors\n\napp = FastAPI()\n"
                       "app.add_middleware(PathCors, allow_origins=['*'], allow_credentials=True)\n"
                       "app.add_middleware(GZip, minimum_size=1000)\n",
    })
    found, _ = _run(check_json)
    assert found == {("app/main.py", 6, "RVW621")}


@pytest.mark.parametrize(
    ("files", "verdict"),
    [
        ({"app.py": "from fastapi import FastAPI\n\napp = FastAPI()\n"}, "not-applicable"),
        (
            {"app.py": "from fastapi import FastAPI\nfrom fastapi.middleware.cors import CORSMiddleware\n\n"
                       "app = FastAPI()\napp.add_middleware(CORSMiddleware, allow_origins=['https://a.example.com'],"
                       " allow_credentials=True)\n"},
            "pass",
        ),
        (
            {"app.py": "from fastapi import FastAPI, Request\n\napp = FastAPI()\n\n\n@app.middleware('http')\n"
                       "async def cors(request: Request, call_next):\n    response = await call_next(request)\n"
                       "    response.headers['Access-Control-Allow-Origin'] = 'https://a.example.com'\n"
                       "    return response\n"},
            "pass",
        ),
    ],
)
def test_the_item_is_decided_where_cors_is_configured(write, check_json, files, verdict) -> None:
    write(files)
    found, report = _run(check_json)
    assert found == set()
    assert _verdict(report) == verdict


def test_reflected_origin_needs_credentials_and_no_check(write, check_json) -> None:
    write({"app.py": '''
from fastapi import FastAPI, Request

app = FastAPI()
ALLOWED = {"https://app.example.com"}


@app.middleware("http")
async def reflect(request: Request, call_next):
    response = await call_next(request)
    origin = request.headers.get("origin")
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers["Access-Control-Allow-Credentials"] = "true"
    return response


@app.middleware("http")
async def checked(request: Request, call_next):
    response = await call_next(request)
    origin = request.headers.get("origin")
    if origin in ALLOWED:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Credentials"] = "true"
    return response
'''})
    found, _ = _run(check_json)
    assert found == {("app.py", 12, "RVW623")}


def test_test_code_is_not_checked(write, check_json) -> None:
    write({"tests/test_app.py": "from fastapi import FastAPI\nfrom fastapi.middleware.cors import CORSMiddleware\n\n"
                                "app = FastAPI()\napp.add_middleware(CORSMiddleware, allow_origins=['*'], "
                                "allow_credentials=True)\n"})
    found, _ = _run(check_json)
    assert found == set()


def test_a_cached_run_finds_the_same(write, cli) -> None:
    import json

    write({"app/__init__.py": "", "app/config.py": CONFIG, "app/main.py": MAIN})
    runs = []
    for _ in range(2):
        code, out, _ = cli("check", "--format", "json", "--select", "cors-restrictive", ".")
        assert code == 1
        runs.append({(f["path"], f["line"], f["code"]) for f in json.loads(out)["findings"]})
    assert runs[0] == runs[1] and len(runs[0]) == 3


@pytest.mark.parametrize(
    ("pattern", "attacker"),
    [
        (".*", "https://attacker.example"),
        (r"https?://.*", "https://attacker.example"),
        (r"^https://.+$", "https://attacker.example"),
        (r"https://.*\.vercel\.app", "https://attacker-site.vercel.app"),
        (r"https://([a-z0-9-]+\.)?example\.com", None),
        (r"https://.*\.example\.com", None),
        (r"http://(localhost|127\.0\.0\.1):\d+", None),
        ("[unbalanced", None),
    ],
)
def test_patterns_an_attacker_can_match(pattern: str, attacker: str | None) -> None:
    assert matching_attacker_origin(pattern) == attacker
