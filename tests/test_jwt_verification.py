"""The jwt-verification rules (RVW611-RVW614) beyond the fixtures: exact findings on small
services written here, the messages, where the claims are followed (helpers, callers, other
modules), and the look-alikes that must stay quiet."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from reviewer import engine
from reviewer.config import Config
from reviewer.registry import find_rule, load_rules
from rules.jwt_verification._api import jwt_call

RULES = load_rules()
HEADER = """
import base64
import json

import jwt
from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.security import OAuth2PasswordBearer
from jose import jwt as jose_jwt
from sqlalchemy.orm import Session

from app.db import get_db
from app.models import User

app = FastAPI()
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")
"""


def _run(root: Path) -> engine.Run:
    return engine.run([root], Config(select=["jwt-verification"]), RULES, jobs=1, use_cache=False, cwd=root)


def _findings(write, files: dict[str, str]) -> set[tuple[str, int, str]]:
    root = write({name: textwrap.dedent(text) for name, text in files.items()})
    return {(f.path, f.span.line, f.code) for f in _run(root).findings}


def _messages(write, files: dict[str, str]) -> list[str]:
    root = write({name: textwrap.dedent(text) for name, text in files.items()})
    return [f.message for f in _run(root).findings]


def test_a_dependency_that_looks_the_user_up_by_an_unverified_claim_is_an_error(write) -> None:
    source = HEADER + """
def current_user(token: str = Depends(oauth2_scheme), db: Session = Depends(get_db)):
    payload = jwt.decode(token, options={"verify_signature": False})
    return db.get(User, payload["sub"])
"""
    root = write({"app/deps.py": source})
    run = _run(root)
    assert {(f.path, f.span.line, f.code) for f in run.findings} == {("app/deps.py", 18, "RVW611")}
    finding = run.findings[0]
    assert finding.severity.label == "error"
    assert finding.message == (
        '`jwt.decode(..., options={"verify_signature": False})` reads a token from the request without '
        "checking its signature, and claim `sub` reaches `db.get()` (line 19): anyone can forge that token; "
        "decode it with the verification key and pinned `algorithms`"
    )


def test_the_claims_are_followed_into_helpers_and_back_to_the_callers_of_this_module(write) -> None:
    source = HEADER + """
def _claims(token: str) -> dict:
    return jose_jwt.get_unverified_claims(token)


def _is_admin(claims: dict) -> bool:
    return claims.get("role") == "admin"


def require_admin(token: str = Depends(oauth2_scheme)) -> None:
    if not _is_admin(_claims(token)):
        raise HTTPException(status_code=403)
"""
    messages = _messages(write, {"app/deps.py": source})
    assert len(messages) == 1
    assert "claim `role` reaches the check `claims.get(\"role\") == \"admin\"` (line 22)" in messages[0]
    assert "reads a token from the request" in messages[0]


@pytest.mark.parametrize(
    "body",
    [
        # logged only
        'payload = jwt.decode(token, options={"verify_signature": False})\n    print(payload)',
        # only a checking claim is read
        'return jwt.decode(token, options={"verify_signature": False})["exp"] < 0',
        # a peek at the issuer, then the verified decode of the same token
        'iss = jose_jwt.get_unverified_claims(token)["iss"]\n'
        '    return jwt.decode(token, iss, algorithms=["RS256"])["sub"]',
        # presence only
        'if "sub" not in jwt.decode(token, options={"verify_signature": False}):\n        raise HTTPException(401)',
    ],
)
def test_unverified_reads_that_decide_nothing_are_not_reported(write, body: str) -> None:
    source = HEADER + f"""
def current(token: str = Depends(oauth2_scheme)):
    {body}
"""
    assert _findings(write, {"app/deps.py": source}) == set()


def test_a_token_from_a_token_endpoint_or_from_verified_claims_is_vouched_for(write) -> None:
    source = HEADER + """
import httpx


async def callback(code: str, db: Session = Depends(get_db)):
    async with httpx.AsyncClient(timeout=5) as client:
        tokens = (await client.post("https://idp/token", data={"code": code})).json()
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    return db.query(User).filter(User.email == claims["email"]).first()


def nested(request: Request, db: Session = Depends(get_db)):
    outer = jwt.decode(request.cookies["session"], "secret", algorithms=["HS256"])
    inner = jwt.decode(outer["access_token"], options={"verify_signature": False})
    return db.get(User, inner["sub"])
"""
    assert _findings(write, {"app/auth.py": source}) == set()


def test_a_helper_returning_a_claim_to_another_modules_dependency_is_reported_at_the_read(write) -> None:
    findings = _findings(
        write,
        {
            "app/__init__.py": "",
            "app/security.py": """
                from jose import jwt


                def user_id_of(token: str) -> str:
                    return jwt.get_unverified_claims(token)["sub"]
            """,
            "app/deps.py": """
                from fastapi import Depends
                from fastapi.security import OAuth2PasswordBearer

                from app.security import user_id_of

                oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")


                def current_user_id(token: str = Depends(oauth2_scheme)) -> str:
                    return user_id_of(token)
            """,
            "app/main.py": """
                from fastapi import Depends, FastAPI

                from app.deps import current_user_id

                app = FastAPI()


                @app.get("/me")
                def me(user_id: str = Depends(current_user_id)) -> dict:
                    return {"id": user_id}
            """,
        },
    )
    assert findings == {("app/security.py", 6, "RVW611")}


def test_the_same_helper_without_a_dependency_calling_it_is_not_reported(write) -> None:
    findings = _findings(
        write,
        {
            "app/security.py": """
                from jose import jwt


                def user_id_of(token: str) -> str:
                    return jwt.get_unverified_claims(token)["sub"]
            """,
        },
    )
    assert findings == set()


def test_expiry_switched_off_is_reported_unless_exp_is_checked_by_hand(write) -> None:
    source = HEADER + """
import time


def lax(token: str = Depends(oauth2_scheme), db: Session = Depends(get_db)):
    payload = jwt.decode(token, "secret", algorithms=["HS256"], options={"verify_exp": False})
    return db.get(User, payload["sub"])


def by_hand(token: str = Depends(oauth2_scheme), db: Session = Depends(get_db)):
    payload = jwt.decode(token, "secret", algorithms=["HS256"], options={"verify_exp": False})
    if payload["exp"] < time.time() - 3600:
        raise HTTPException(status_code=401)
    return db.get(User, payload["sub"])
"""
    root = write({"app/deps.py": source})
    run = _run(root)
    assert {(f.path, f.span.line, f.code) for f in run.findings} == {("app/deps.py", 21, "RVW614")}
    assert run.findings[0].severity.label == "warning"
    assert run.findings[0].message.startswith(
        '`jwt.decode(..., options={"verify_exp": False})` never checks expiry and nothing reads `exp`, '
        "yet for a token from the request claim `sub` reaches `db.get()` (line 22)"
    )


def test_none_and_unpinned_algorithms(write) -> None:
    source = """
        import jwt
        from jose import jwt as jose_jwt

        SECRET = "s"


        def a(token):
            return jwt.decode(token, SECRET, algorithms=["HS256", "none"])


        def b(token):
            return jose_jwt.decode(token, SECRET)


        def c(token):
            return jwt.decode(token, SECRET, algorithms=["HS256"])
    """
    assert _findings(write, {"app/tokens.py": source}) == {
        ("app/tokens.py", 9, "RVW612"),
        ("app/tokens.py", 13, "RVW613"),
    }


def test_test_code_is_not_checked(write) -> None:
    source = """
        import jwt


        def test_claims(token):
            assert jwt.decode(token, options={"verify_signature": False})["sub"] == "1"
            assert jwt.decode(token, "s", algorithms=["none"])
    """
    assert _findings(write, {"tests/test_tokens.py": source}) == set()


@pytest.mark.parametrize(
    ("call", "unverified", "exp_off", "needs_algorithms"),
    [
        ('jwt.decode(t, "k", algorithms=["HS256"])', False, False, True),
        ('jwt.decode(t, options={"verify_signature": False})', True, False, False),
        ('jwt.decode(t, "k", False)', True, False, False),  # PyJWT 1: verify
        ('jwt.decode(t, "k", ["HS256"])', False, False, True),  # PyJWT 2: algorithms
        ('jwt.decode(t, "k", verify_expiration=False, algorithms=["HS256"])', False, True, True),
        ('jwt.decode(t, "k", algorithms=["HS256"], options={"verify_exp": False})', False, True, True),
    ],
)
def test_what_pyjwt_checks(call: str, unverified: bool, exp_off: bool, needs_algorithms: bool) -> None:
    import libcst

    node = libcst.parse_expression(call)
    found = jwt_call(node, "jwt.decode", lambda n: n, set())
    assert (found.unverified is not None, found.exp_off is not None, found.algorithms_needed) == (
        unverified,
        exp_off,
        needs_algorithms,
    )


def test_every_rule_documents_the_sections_reviewers_read() -> None:
    for code in ("RVW611", "RVW612", "RVW613", "RVW614"):
        rule = find_rule(RULES, code)
        doc = rule.documentation()
        assert rule.checklist == "jwt-verification"
        for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Known problems"):
            assert section in doc, (code, section)
