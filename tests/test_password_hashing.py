"""The password-hashing rules beyond their fixtures: chains across modules, what callers pass,
the look-alikes real applications are full of, options, test code, and the analysis's records."""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

import pytest

from reviewer import engine
from reviewer.analysis import analyze
from reviewer.config import Config
from reviewer.model import Finding
from reviewer.registry import load_rules
from reviewer.semantics.passwords import knowledge
from reviewer.semantics.passwords.records import FACTS_KEY, ModulePasswords

RULES = load_rules()
PASSWORD_RULES = [rule for rule in RULES if rule.checklist == "password-hashing"]


def review(root: Path, files: dict[str, str], rules: dict | None = None) -> list[Finding]:
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(content), encoding="utf-8")
    config = Config(select=["password-hashing"], rules=rules or {})
    run = engine.run([root], config, RULES, jobs=1, use_cache=False, cwd=root)
    assert not run.errors, run.errors
    return run.findings


def found(findings: list[Finding]) -> set[tuple[str, int, str]]:
    return {(f.path, f.span.line, f.code) for f in findings}


SCHEMAS = """\
from pydantic import BaseModel


class SignUp(BaseModel):
    email: str
    password: str
"""

ROUTES = """\
from fastapi import APIRouter

from app.schemas import SignUp
from app.services import register

router = APIRouter()


@router.post("/signup")
def signup(body: SignUp):
    return register(body)
"""

SERVICES = """\
from app.security import hash_password


def register(payload):
    return {"email": payload.email, "password_hash": hash_password(payload.password)}
"""

SECURITY = """\
import hashlib


def hash_password(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()
"""


def test_a_request_password_is_followed_through_modules_to_the_helper_that_hashes_it(tmp_path: Path) -> None:
    findings = review(tmp_path, {
        "app/__init__.py": "",
        "app/schemas.py": SCHEMAS,
        "app/routes.py": ROUTES,
        "app/services.py": SERVICES,
        "app/security.py": SECURITY,
    })
    assert found(findings) == {("app/security.py", 5, "RVW601")}
    message = findings[0].message
    assert "request field `body.password` of `POST /signup signup`" in message
    assert "`register(payload)` -> `hash_password(password)`" in message


def test_a_helper_nothing_calls_with_a_password_is_not_judged_by_its_name(tmp_path: Path) -> None:
    findings = review(tmp_path, {
        "app/__init__.py": "",
        "app/security.py": SECURITY,
        "app/tokens.py": """\
            import secrets

            from app.security import hash_password


            def issue_token() -> tuple[str, str]:
                token = secrets.token_urlsafe(32)
                return token, hash_password(token)
        """,
    })
    assert found(findings) == set()


def test_the_same_helper_is_reported_once_however_many_endpoints_call_it(tmp_path: Path) -> None:
    findings = review(tmp_path, {
        "app/__init__.py": "",
        "app/security.py": SECURITY,
        "app/routes.py": """\
            from fastapi import APIRouter, Form

            from app.security import hash_password

            router = APIRouter()


            @router.post("/signup")
            def signup(email: str = Form(...), password: str = Form(...)):
                return hash_password(password)


            @router.post("/password")
            def change(new_password: str = Form(...)):
                return hash_password(new_password)
        """,
    })
    assert found(findings) == {("app/security.py", 5, "RVW601")}


def test_what_callers_pass_decides_whether_a_stored_password_is_plain(tmp_path: Path) -> None:
    files = {
        "app/__init__.py": "",
        "app/models.py": """\
            from sqlalchemy import Column, Integer, String
            from sqlalchemy.orm import DeclarativeBase


            class Base(DeclarativeBase):
                pass


            class User(Base):
                __tablename__ = "users"
                id = Column(Integer, primary_key=True)
                email = Column(String)
                password = Column(String)
        """,
        "app/crud.py": """\
            from app.models import User


            def create_user(db, email: str, password: str) -> User:
                user = User(email=email, password=password)
                db.add(user)
                return user


            def get_user(db, email: str) -> User:
                return db.query(User).filter(User.email == email).first()
        """,
        "app/routes.py": """\
            import bcrypt
            from fastapi import APIRouter, Depends, Form

            from app import crud
            from app.models import User

            router = APIRouter()


            def current_user() -> User: ...


            @router.post("/signup")
            def signup(email: str = Form(...), password: str = Form(...)):
                return crud.create_user(None, email, bcrypt.hashpw(password.encode(), bcrypt.gensalt()))


            @router.get("/me")
            def me(user: User = Depends(current_user)):
                return user.email
        """,
    }
    assert found(review(tmp_path, files)) == set()
    files["app/admin.py"] = """\
        from fastapi import APIRouter, Form

        from app import crud

        router = APIRouter()


        @router.post("/admin/users")
        def add_user(email: str = Form(...), password: str = Form(...)):
            return crud.create_user(None, email, password)
    """
    assert found(review(tmp_path, files)) == {("app/crud.py", 5, "RVW603")}


DIGESTS = """\
import base64
import hashlib

import bcrypt
import httpx
from fastapi import APIRouter, Form

router = APIRouter()


@router.post("/prehash")
def prehash(password: str = Form(...)):
    digest = base64.b64encode(hashlib.sha256(password.encode()).digest())
    return bcrypt.hashpw(digest, bcrypt.gensalt())


@router.post("/breached")
def breached(password: str = Form(...)):
    digest = hashlib.sha1(password.encode()).hexdigest().upper()
    return httpx.get(f"https://api.pwnedpasswords.com/range/{digest[:5]}").text


@router.post("/fingerprint")
def fingerprint(password: str = Form(...)):
    return hashlib.md5(password.encode(), usedforsecurity=False).hexdigest()


@router.post("/weak")
def weak(password: str = Form(...)):
    return hashlib.md5(password.encode()).hexdigest()
"""


def test_pre_hashes_prefixes_and_non_security_digests_of_passwords_are_not_reported(tmp_path: Path) -> None:
    findings = review(tmp_path, {"app/__init__.py": "", "app/digests.py": DIGESTS})
    assert found(findings) == {("app/digests.py", 30, "RVW601")}


PBKDF2 = """\
import hashlib
import os

from fastapi import APIRouter, Form

router = APIRouter()
ROUNDS = 50_000


@router.post("/signup")
def signup(password: str = Form(...)):
    return hashlib.pbkdf2_hmac("sha256", password.encode(), os.urandom(16), ROUNDS).hex()
"""


def test_the_pbkdf2_floor_is_an_option(tmp_path: Path) -> None:
    files = {"app/__init__.py": "", "app/routes.py": PBKDF2}
    findings = review(tmp_path, files)
    assert found(findings) == {("app/routes.py", 12, "RVW602")}
    assert "only 50,000 PBKDF2 iterations; OWASP asks for 600,000 with sha256" in findings[0].message
    assert found(review(tmp_path, files, rules={"RVW602": {"min-iterations": 10_000}})) == set()


def test_test_code_is_not_reviewed(tmp_path: Path) -> None:
    findings = review(tmp_path, {
        "tests/__init__.py": "",
        "tests/test_login.py": """\
            import hashlib

            from fastapi import APIRouter, Form

            router = APIRouter()


            @router.post("/login")
            def login(password: str = Form(...)):
                return hashlib.md5(password.encode()).hexdigest()
        """,
    })
    assert found(findings) == set()


def test_a_validator_that_hashes_the_field_makes_the_payload_safe_to_store(tmp_path: Path) -> None:
    """A Pydantic validator that returns a hash: the field no longer holds what the client sent."""
    findings = review(tmp_path, {
        "app/__init__.py": "",
        "app/models.py": """\
            import bcrypt
            from pydantic import BaseModel, field_validator
            from sqlalchemy import Column, Integer, LargeBinary, String
            from sqlalchemy.orm import DeclarativeBase


            class Base(DeclarativeBase):
                pass


            class User(Base):
                __tablename__ = "users"
                id = Column(Integer, primary_key=True)
                email = Column(String)
                password = Column(LargeBinary)


            class Invite(BaseModel):
                email: str
                password: str

                @field_validator("password")
                @classmethod
                def check(cls, value: str) -> str:
                    if not value:
                        raise ValueError("empty")
                    return value


            class Registration(BaseModel):
                email: str
                password: str

                @field_validator("password", mode="before")
                @classmethod
                def hash_it(cls, value: str) -> bytes:
                    return bcrypt.hashpw(value.encode(), bcrypt.gensalt())
        """,
        "app/routes.py": """\
            from fastapi import APIRouter, Depends

            from app.models import Invite, Registration, User

            router = APIRouter()


            def current_user() -> User: ...


            def create(db, user_in: Invite | Registration) -> User:
                return User(email=user_in.email, password=user_in.password)


            @router.post("/register")
            def register(body: Registration, me: User = Depends(current_user)):
                return create(None, body)


            @router.post("/invite")
            def invite(body: Invite, me: User = Depends(current_user)):
                return create(None, body)
        """,
    })
    assert found(findings) == {("app/routes.py", 12, "RVW603")}
    assert "request field `body.password` of `POST /invite invite`" in findings[0].message


def test_a_password_hashed_fast_is_one_finding_not_a_plaintext_one_too(tmp_path: Path) -> None:
    findings = review(tmp_path, {
        "app/__init__.py": "",
        "app/routes.py": """\
            import hashlib

            from fastapi import APIRouter, Depends
            from pydantic import BaseModel
            from sqlalchemy import Column, Integer, String
            from sqlalchemy.orm import DeclarativeBase

            router = APIRouter()


            class Base(DeclarativeBase):
                pass


            class User(Base):
                __tablename__ = "users"
                id = Column(Integer, primary_key=True)
                password = Column(String)


            class SignUp(BaseModel):
                password: str


            def current_user() -> User: ...


            @router.post("/signup")
            def signup(body: SignUp, me: User = Depends(current_user)):
                return User(password=hashlib.sha256(body.password.encode()).hexdigest())
        """,
    })
    assert found(findings) == {("app/routes.py", 30, "RVW601")}


@pytest.mark.parametrize(
    ("name", "password", "password_hash"),
    [
        ("password", True, False),
        ("new_password", True, False),
        ("plainPassword", True, False),
        ("user_pin", True, False),
        ("pin_code", True, False),
        ("user_pass", True, False),
        ("passwd", True, False),
        ("password_hash", False, True),
        ("hashed_password", False, True),
        ("pin_hash", False, True),
        ("password_reset_token", False, False),
        ("is_password_set", False, False),
        ("password_min_length", False, False),
        ("pin_memory", False, False),
        ("pin_saved_session_ip", False, False),
        ("api_key", False, False),
    ],
)
def test_password_names(name: str, password: bool, password_hash: bool) -> None:
    assert knowledge.is_password_name(name) is password
    assert knowledge.is_password_hash_name(name) is password_hash


def test_only_modules_that_can_handle_passwords_are_followed_and_their_records_pickle() -> None:
    source = textwrap.dedent(SECURITY).encode()
    result = analyze("app/security.py", source, PASSWORD_RULES, {})
    module = result.summary.extras[FACTS_KEY]
    assert isinstance(module, ModulePasswords)
    assert [sink.kind for sink in module.functions["app.security.hash_password"].sinks] == ["fast-hash"]
    assert pickle.loads(pickle.dumps(module)) == module
    items = b"def total(items):\n    return sum(i.price for i in items)\n"
    unrelated = analyze("app/items.py", items, PASSWORD_RULES, {})
    assert FACTS_KEY not in unrelated.summary.extras


@pytest.mark.parametrize(
    ("source", "followed"),
    [
        ("def check(user):\n    return user.PassWord\n", True),
        ("def unlock(PIN):\n    return PIN\n", True),
        ("def unlock(card_pin):\n    return card_pin\n", True),
        ("from Cryptodome.Hash import SHA256\n", True),
        ("from typing import Mapping\n\ndef spin(mapping: Mapping):\n    return mapping\n", False),
        ("def loop(items):\n    for item in items:\n        pass\n", False),
    ],
)
def test_a_module_is_read_for_passwords_when_it_names_one_in_any_case(source: str, followed: bool) -> None:
    result = analyze("app/module.py", source.encode(), PASSWORD_RULES, {})
    assert (FACTS_KEY in result.summary.extras) is followed


def test_functions_that_name_no_password_or_hashing_api_are_not_followed() -> None:
    source = textwrap.dedent("""\
        import hashlib


        def checksum(data: bytes) -> str:
            return hashlib.sha256(data).hexdigest()


        def total(items):
            return sum(item.price for item in items)
    """).encode()
    module = analyze("app/util.py", source, PASSWORD_RULES, {}).summary.extras[FACTS_KEY]
    assert "app.util.total" not in module.functions
    assert [sink.api for sink in module.functions["app.util.checksum"].sinks] == ["hashlib.sha256"]


@pytest.mark.parametrize("rule", PASSWORD_RULES, ids=lambda rule: rule.code)
def test_every_rule_documents_itself(rule: type) -> None:
    documentation = rule.documentation()
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Known problems"):
        assert section in documentation
