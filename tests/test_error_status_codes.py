"""The `error-status-codes` rules (RVW811-RVW813): exceptions returned instead of raised, success
statuses on errors, error bodies sent as 200, and the look-alikes that must stay quiet."""

from __future__ import annotations

import textwrap
from pathlib import Path

from reviewer import engine
from reviewer.config import Config
from reviewer.registry import load_rules

RULES = load_rules()

HEADER = """from http import HTTPStatus

from fastapi import APIRouter, FastAPI, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse

router = APIRouter()
app = FastAPI()
"""


def check(root: Path, files: dict[str, str]) -> set[tuple[str, int, str]]:
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(HEADER + textwrap.dedent(content), encoding="utf-8")
    result = engine.run([root], Config(select=["error-status-codes"]), RULES, jobs=1, use_cache=False, cwd=root)
    return {(f.path, f.span.line, f.code) for f in result.findings}


def test_returned_exceptions_are_reported_where_they_are_taken_for_a_result(tmp_path: Path) -> None:
    # A factory's callers raise what it builds; a route that returns it sends it as a 200.
    source = '''
    def not_found(what):
        return HTTPException(404, f"{what} not found")


    def current_user(token: str):
        if not token:
            return HTTPException(401)
        return {"token": token}


    @router.get("/a")
    def a(item_id: int):
        if item_id < 0:
            return not_found("item")
        raise not_found("item")
    '''
    assert check(tmp_path, {"app/api.py": source}) == {("app/api.py", 15, "RVW811"), ("app/api.py", 22, "RVW811")}


def test_success_statuses_on_exceptions_but_not_accepted_or_redirects(tmp_path: Path) -> None:
    source = '''
    @router.get("/a")
    def a(item_id: int):
        if item_id == 1:
            raise HTTPException(status_code=HTTPStatus.OK, detail="done")
        if item_id == 2:
            raise HTTPException(status.HTTP_202_ACCEPTED, "still running")
        if item_id == 3:
            raise HTTPException(307, headers={"Location": "/b"})
        raise HTTPException(status_code=200)
    '''
    assert check(tmp_path, {"app/api.py": source}) == {("app/api.py", 12, "RVW812"), ("app/api.py", 17, "RVW812")}


def test_error_bodies_need_an_error_status(tmp_path: Path) -> None:
    source = '''
    @router.get("/a")
    async def a(item_id: int, response: Response, warning: str | None = None):
        if item_id == 1:
            return {"error": "not found"}
        if item_id == 2:
            return JSONResponse({"status": "error", "message": "bad"}, status_code=400)
        if item_id == 3:
            response.status_code = 404
            return {"error": "not found"}
        if item_id == 4:
            return {"status": "ERROR", "reason": "LNURL says no"}
        if item_id == 5:
            return {"paid": False, "status": "failed"}
        try:
            return await load(item_id)
        except LookupError:
            return {"detail": "gone"}
        return {"detail": "created", "errors": [], "error": warning}


    async def load(item_id):
        return item_id
    '''
    assert check(tmp_path, {"app/api.py": source}) == {("app/api.py", 12, "RVW813"), ("app/api.py", 25, "RVW813")}


def test_exception_handler_responses_need_a_status(tmp_path: Path) -> None:
    source = '''
    class Gone(Exception):
        pass


    @app.exception_handler(Gone)
    async def gone(request: Request, exc: Gone):
        return JSONResponse({"detail": "gone"})


    async def gone_with_status(request: Request, exc: Gone):
        return JSONResponse({"detail": "gone"}, status_code=410)


    app.add_exception_handler(Gone, gone_with_status)
    '''
    assert check(tmp_path, {"app/api.py": source}) == {("app/api.py", 15, "RVW813")}
