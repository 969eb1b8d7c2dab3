"""auth-on-endpoints: what authenticates the caller of each endpoint, and the endpoints nothing does."""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

from reviewer import engine
from reviewer.analysis import analyze
from reviewer.config import Config
from reviewer.registry import load_rules
from reviewer.rule import RepoContext
from reviewer.semantics.fastapi import FastAPIFacts
from reviewer.semantics.fastapi.guards import GuardFacts, auth_guard

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "auth-on-endpoints"
RULES = load_rules()
ITEM_RULES = [rule for rule in RULES if rule.checklist == "auth-on-endpoints"]


def _run(root: Path) -> engine.Run:
    return engine.run([root], Config(select=["auth-on-endpoints"]), RULES, jobs=1, use_cache=False, cwd=root)


def _found(run: engine.Run) -> set[tuple[str, int, str]]:
    return {(f.path, f.span.line, f.code) for f in run.findings}


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def _guards(root: Path) -> dict[str, str | None]:
    """Endpoint function -> `auth_guard`, from pickled summaries (as a cached run has them)."""
    options = {rule.code: dict(rule.options) for rule in ITEM_RULES}
    summaries = [
        analyze(path.relative_to(root).as_posix(), path.read_bytes(), ITEM_RULES, options).summary
        for path in sorted(root.rglob("*.py"))
    ]
    repo = RepoContext(ITEM_RULES[0], pickle.loads(pickle.dumps(summaries)), {})
    repo.facts(GuardFacts)
    index = repo.facts(FastAPIFacts)
    return {e.function.name: auth_guard(index, e) for e in index.endpoints}


def test_unguarded_endpoints_of_an_application_that_authenticates() -> None:
    found = _found(_run(FIXTURES / "notes_app"))
    assert found == {
        ("notes/api/notes.py", 35, "RVW921"),  # no dependency at all
        ("notes/api/notes.py", 41, "RVW921"),  # an optional user nobody checks
        ("notes/api/notes.py", 47, "RVW921"),  # HTTPBearer(auto_error=False), unchecked
        ("notes/api/notes.py", 60, "RVW921"),  # `dependencies=[...]` in the signature: FastAPI ignores it
    }


def test_the_message_names_the_endpoint_and_the_write() -> None:
    messages = {f.span.line: f.message for f in _run(FIXTURES / "notes_app").findings}
    assert messages[35].startswith(
        "`DELETE /notes/{note_id}` (`delete_one`) changes data (`session.execute`) and nothing authenticates its caller"
    )


def test_auth_guard_names_what_authenticates_each_endpoint() -> None:
    guards = _guards(FIXTURES / "notes_app")
    assert guards == {
        "create_note": "`OAuth2PasswordBearer`",
        "replace_note": "`user` required in `require_user` (`Depends(get_optional_user)`)",
        "patch_note": "`user` required (`Depends(get_optional_user)`)",
        "delete_one": None,
        "archive_note": None,
        "pin_note": None,
        "star_note": "`HTTPBearer`",
        "copy_note": None,
        "preview_note": None,
        "choose_theme": None,
        "purge_note": "`OAuth2PasswordBearer`",
        "import_note": "`Depends(verify_api_key)`",
        "seed_note": None,
        "restore_note": "`OAuth2PasswordBearer`",
        "login": None,
        "sign_up": None,
        "stripe_webhook": None,
        "signed_webhook": None,
    }


def test_a_dependency_a_factory_returns_is_named_by_the_factory() -> None:
    # `Annotated[Role, RoleACL(...)]` and `role: Role = RoleACL(...)`: FastAPI runs the checker
    # `RoleACL` returns, whichever of its nested functions that is.
    guards = _guards(FIXTURES / "roles_app")
    assert guards == {
        "create_item": "`Depends(RoleACL(...))`",
        "remove_item": "`Depends(RoleACL(...))`",
        "export_items": None,
        "discover": None,
        "claim": None,
        "authorize": None,  # no guard: a public flow (see below), not an authenticated endpoint
        "register_client": None,
    }


def test_an_application_without_any_authentication_is_reported_once() -> None:
    run = _run(FIXTURES / "local_tool")
    assert _found(run) == {("tool/server.py", 16, "RVW922")}
    assert "and 1 other endpoint change data" in run.findings[0].message


def test_middleware_that_rejects_anonymous_requests_guards_its_application() -> None:
    assert _found(_run(FIXTURES / "gateway_app_ok")) == set()
    assert _guards(FIXTURES / "gateway_app_ok") == {
        "create_event": "middleware `BearerTokenMiddleware`",
        "replace_event": "middleware `check_session`",
    }


def test_a_middleware_that_blocks_addresses_is_no_authentication(tmp_path) -> None:
    assert _found(_run(FIXTURES / "mixed_apps")) == {("services/api.py", 20, "RVW921")}
    assert _guards(FIXTURES / "mixed_apps")["update_profile"] == "`Depends(get_user)`"


def test_a_middleware_function_registered_by_a_call_guards_its_application(tmp_path) -> None:
    """`app.middleware("http")(auth_middleware)`: the decorator applied by hand. The middleware
    reads the credential through a helper it calls, which turns away a caller without one; the
    other applications' middleware, written alike, turns away large bodies and reads no
    credential, or reads one through a helper and goes on without it."""
    root = _write(tmp_path, {
        "svc/__init__.py": "",
        "svc/auth.py": """
            from fastapi import HTTPException, Request
            from fastapi.responses import JSONResponse

            async def _check_token(request: Request) -> None:
                if not request.headers.get("authorization"):
                    raise HTTPException(status_code=401)

            async def auth_middleware(request: Request, call_next):
                try:
                    await _check_token(request)
                except HTTPException:
                    return JSONResponse(status_code=401, content={"detail": "Unauthorized"})
                return await call_next(request)

            async def _check_size(request: Request) -> None:
                if int(request.headers.get("content-length", "0")) > 1_000_000:
                    raise HTTPException(status_code=401)

            async def size_middleware(request: Request, call_next):
                try:
                    await _check_size(request)
                except HTTPException:
                    return JSONResponse(status_code=401, content={"detail": "Too large"})
                return await call_next(request)

            def _extract_token(request: Request) -> str | None:
                return request.headers.get("authorization")

            async def tenant_middleware(request: Request, call_next):
                token = _extract_token(request)
                if token and token.endswith("disabled"):
                    return JSONResponse(status_code=403, content={"detail": "Tenant disabled"})
                return await call_next(request)
        """,
        "svc/main.py": """
            from fastapi import FastAPI
            from svc.auth import auth_middleware, size_middleware, tenant_middleware

            app = FastAPI()
            app.middleware("http")(auth_middleware)
            uploads = FastAPI()
            uploads.middleware("http")(size_middleware)
            tenants = FastAPI()
            tenants.middleware("http")(tenant_middleware)
            NOTES = []

            @app.post("/notes")
            def create_note(note: dict):
                NOTES.append(note)

            @uploads.post("/uploads")
            def upload(data: dict):
                NOTES.append(data)

            @tenants.post("/tenants")
            def create_tenant(data: dict):
                NOTES.append(data)
        """,
    })
    # The tenants' middleware reads the token through a helper, but goes on without one.
    assert _guards(root) == {"create_note": "middleware `auth_middleware`", "upload": None, "create_tenant": None}


def test_a_middleware_function_registered_by_a_call_is_found_under_the_name_its_importer_spells(tmp_path) -> None:
    """A service whose sources sit in a directory of the repository (`api/`) imports its modules
    relative to it (`from core.auth import auth_middleware`), while the repository's modules are
    named from its root (`api.core.auth`): the middleware registered by hand with the imported
    name is the function that module defines, and it guards every endpoint of the application."""
    root = _write(tmp_path, {
        "api/core/__init__.py": "",
        "api/core/auth.py": """
            from fastapi import HTTPException, Request
            from fastapi.responses import JSONResponse

            async def _check_token(request: Request) -> None:
                if not request.headers.get("authorization"):
                    raise HTTPException(status_code=401)

            async def auth_middleware(request: Request, call_next):
                try:
                    await _check_token(request)
                except HTTPException as exc:
                    return JSONResponse(status_code=exc.status_code, content={"detail": exc.detail})
                return await call_next(request)
        """,
        "api/routes/__init__.py": "",
        "api/routes/notes.py": """
            from fastapi import APIRouter

            router = APIRouter()
            NOTES = []

            @router.post("/notes")
            def create_note(note: dict):
                NOTES.append(note)
        """,
        "api/main.py": """
            from fastapi import FastAPI
            from core.auth import auth_middleware
            from routes.notes import router as notes_router

            app = FastAPI()
            app.include_router(notes_router)
            app.middleware("http")(auth_middleware)
        """,
    })
    assert _guards(root) == {"create_note": "middleware `auth_middleware`"}
    assert _found(_run(root)) == set()


def test_the_application_middleware_guards_routers_objects_keep_and_helpers_include(tmp_path) -> None:
    """A router a module-level object keeps (`app.include_router(notes.router)`), and one a helper
    includes into the application it is handed (`app = extend_app(app)`), are served by the
    application whose middleware authenticates."""
    root = _write(tmp_path, {
        "svc/__init__.py": "",
        "svc/auth.py": """
            from fastapi import HTTPException, Request

            async def auth_middleware(request: Request, call_next):
                if not request.headers.get("authorization"):
                    raise HTTPException(status_code=401)
                return await call_next(request)
        """,
        "svc/notes.py": """
            from fastapi import APIRouter

            NOTES = []

            class NotesRouter:
                def __init__(self) -> None:
                    self.router = APIRouter()
                    self.router.add_api_route("/notes", self.create_note, methods=["POST"])

                async def create_note(self, note: dict):
                    NOTES.append(note)
        """,
        "svc/extensions.py": """
            from fastapi import APIRouter

            domains = APIRouter()
            DOMAINS = []

            @domains.post("/domains")
            def create_domain(domain: dict):
                DOMAINS.append(domain)

            def extend_app(app):
                app.include_router(domains, prefix="/organizations")
                return app
        """,
        "svc/main.py": """
            from fastapi import FastAPI
            from svc.auth import auth_middleware
            from svc.extensions import extend_app
            from svc.notes import NotesRouter

            app = FastAPI()
            app.middleware("http")(auth_middleware)
            notes = NotesRouter()
            app.include_router(notes.router)
            app = extend_app(app)
        """,
    })
    assert _guards(root) == {"create_note": "middleware `auth_middleware`",
                             "create_domain": "middleware `auth_middleware`"}
    assert _found(_run(root)) == set()


def test_a_permission_factory_guards_through_the_user_dependency_it_picks(tmp_path) -> None:
    """`Depends(require(Permission.X))`: the factory's checker depends on `base`, a local naming
    one user dependency or another (`optional if anonymous else current`). It guards when each
    it may name turns callers away, not when one of them lets a caller without a session in."""
    root = _write(tmp_path, {
        "svc/__init__.py": "",
        "svc/db.py": "from sqlalchemy.orm import Session\n\nsession = Session()\n",
        "svc/users.py": """
            from fastapi import HTTPException, Request

            async def current_user(request: Request) -> dict:
                if not request.cookies.get("session"):
                    raise HTTPException(status_code=401)
                return {"id": 1}

            async def chat_user(request: Request) -> dict:
                if not request.cookies.get("chat_session"):
                    raise HTTPException(status_code=401)
                return {"id": 2}

            async def optional_user(request: Request) -> dict | None:
                return {"id": 3} if request.cookies.get("session") else None
        """,
        "svc/permissions.py": """
            from fastapi import Depends

            def require(permission: str, *, allow_chat: bool = False):
                from svc.users import chat_user, current_user

                base = chat_user if allow_chat else current_user

                async def dependency(user: dict = Depends(base)) -> dict:
                    return user

                return dependency

            def require_lenient(permission: str, *, allow_anonymous: bool = False):
                from svc.users import current_user, optional_user

                base = optional_user if allow_anonymous else current_user

                async def dependency(user: dict | None = Depends(base)) -> dict | None:
                    return user

                return dependency
        """,
        "svc/main.py": """
            from fastapi import Depends, FastAPI
            from svc.db import session
            from svc.permissions import require, require_lenient

            app = FastAPI()

            @app.post("/notes")
            def create_note(note: dict, user: dict = Depends(require("notes:write"))):
                session.add(note)

            @app.post("/drafts")
            def create_draft(note: dict, user: dict | None = Depends(require_lenient("notes:write"))):
                session.add(note)
        """,
    })
    assert _guards(root) == {"create_note": "`Depends(require(...))`", "create_draft": None}
    assert _found(_run(root)) == {("svc/main.py", 13, "RVW921")}


def test_an_application_error_raised_with_a_refusal_code_turns_the_caller_away(tmp_path) -> None:
    root = _write(tmp_path, {
        "svc/__init__.py": "",
        "svc/db.py": "from sqlalchemy.orm import Session\n\nsession = Session()\n",
        "svc/errors.py": """
            from enum import Enum

            class ErrorCode(Enum):
                UNAUTHORIZED = ("UNAUTHORIZED", 401)
                NOT_FOUND = ("NOT_FOUND", 404)

            class AppError(Exception):
                def __init__(self, code: ErrorCode, message: str) -> None:
                    self.code = code
                    self.message = message
        """,
        "svc/main.py": """
            from fastapi import FastAPI, Request
            from svc.db import session
            from svc.errors import AppError, ErrorCode

            app = FastAPI()
            KEYS = {"k1"}

            @app.post("/notes")
            def create_note(note: dict, request: Request):
                if request.headers.get("x-api-key") not in KEYS:
                    raise AppError(ErrorCode.UNAUTHORIZED, "a valid key is required")
                session.add(note)

            @app.post("/drafts")
            def create_draft(note: dict, request: Request):
                if not note:
                    raise AppError(ErrorCode.NOT_FOUND, "nothing to save")
                session.add(note)
        """,
    })
    assert _guards(root) == {"create_note": "check in `create_note` (raise AppError(ErrorCode.UNAUTHORIZED))",
                             "create_draft": None}
    assert _found(_run(root)) == {("svc/main.py", 16, "RVW921")}


def test_what_an_endpoint_hands_to_a_thread_runs_for_it(tmp_path) -> None:
    """`await run_in_threadpool(discover, email)`: a token the function issues shows a sign-in
    step, public by design; a write it makes is the endpoint's write."""
    root = _write(tmp_path, {
        "svc/__init__.py": "",
        "svc/db.py": "from sqlalchemy.orm import Session\n\nsession = Session()\n",
        "svc/main.py": """
            from fastapi import Depends, FastAPI, HTTPException, Request
            from fastapi.concurrency import run_in_threadpool
            from fastapi_users.jwt import generate_jwt
            from svc.db import session

            app = FastAPI()
            ATTEMPTS = {}

            def current_user(request: Request) -> dict:
                if not request.cookies.get("session"):
                    raise HTTPException(status_code=401)
                return {"id": 1}

            @app.get("/me")
            def me(user: dict = Depends(current_user)):
                return user

            def discover(email: str) -> list[str]:
                return ["sso", generate_jwt({"email": email}, "secret", 60)]

            def remember(email: str) -> None:
                session.add({"email": email})

            @app.post("/sso/discover")
            async def discover_providers(email: str):
                ATTEMPTS.update({email: 1})
                return await run_in_threadpool(discover, email)

            @app.post("/subscribe")
            async def subscribe(email: str):
                await run_in_threadpool(remember, email)
        """,
    })
    assert _found(_run(root)) == {("svc/main.py", 31, "RVW921")}


def test_a_method_named_for_a_change_of_the_standard_librarys_objects_changes_no_data(tmp_path) -> None:
    """`asyncio.create_task(...)` and `ContextVar.set(...)` (a module-level name holding one)
    change the process, not the application's data. The look-alikes, a method of the same name
    of an object the analysis cannot type (`flags.set(...)`), a call named for a change
    (`store.save_tag(...)`) and one of the standard library's that moves a file (`shutil.move`),
    count as the change they name."""
    root = _write(tmp_path, {
        "svc/__init__.py": "",
        "svc/state.py": """
            from contextvars import ContextVar

            from storekit import connect

            bypass_filter: ContextVar[bool] = ContextVar("bypass_filter", default=False)
            flags = connect()
            store = connect()
        """,
        "svc/main.py": """
            import asyncio
            import shutil

            from fastapi import Depends, FastAPI, HTTPException, Request
            from svc.state import bypass_filter, flags, store

            app = FastAPI()

            def current_user(request: Request) -> dict:
                if not request.cookies.get("session"):
                    raise HTTPException(status_code=401)
                return {"id": 1}

            @app.get("/me")
            def me(user: dict = Depends(current_user)):
                return user

            async def answer(question: str) -> str:
                return question

            @app.post("/search")
            def search(query: str):
                bypass_filter.set(True)
                return {"query": query}

            @app.post("/ask")
            async def ask(question: str):
                return await asyncio.create_task(answer(question))

            @app.post("/flags")
            def flag(name: str):
                flags.set(name, True)

            @app.post("/tags")
            def tag(name: str):
                store.save_tag(name)

            @app.post("/archive")
            def archive(name: str):
                shutil.move(name, "/archive")
        """,
    })
    assert _found(_run(root)) == {("svc/main.py", 32, "RVW921"), ("svc/main.py", 36, "RVW921"),
                                  ("svc/main.py", 40, "RVW921")}


def test_what_a_with_item_opens_is_no_change_the_block_shows_the_change(tmp_path) -> None:
    """`with db.create_session() as session:` opens the session a block uses, in a helper of any
    module: a read in the block changes nothing, a `session.add` in it does. The look-alike calls
    the same method outside a `with`, where its name is all that tells."""
    root = _write(tmp_path, {
        "svc/__init__.py": "",
        "svc/chunks.py": """
            from storekit import db

            def find_chunks(query: str) -> list:
                with db.create_session() as session:
                    return session.query(query).all()

            def save_chunk(text: str) -> None:
                with db.create_session() as session:
                    session.add(text)

            def open_named(name: str) -> None:
                db.create_session(name)
        """,
        "svc/main.py": """
            from fastapi import Depends, FastAPI, HTTPException, Request
            from svc.chunks import find_chunks, open_named, save_chunk

            app = FastAPI()

            def current_user(request: Request) -> dict:
                if not request.cookies.get("session"):
                    raise HTTPException(status_code=401)
                return {"id": 1}

            @app.get("/me")
            def me(user: dict = Depends(current_user)):
                return user

            @app.post("/chunks/search")
            def search_chunks(query: str):
                return find_chunks(query)

            @app.post("/chunks")
            def add_chunk(text: str):
                save_chunk(text)

            @app.post("/sessions")
            def open_session(name: str):
                open_named(name)
        """,
    })
    assert _found(_run(root)) == {("svc/main.py", 21, "RVW921"), ("svc/main.py", 25, "RVW921")}


def test_a_registry_a_getter_fills_where_its_lookup_missed_is_filled_once(tmp_path) -> None:
    """`try: return registry.get_instance("db") except KeyError: registry.register_context(...)` in
    a function that takes nothing starts a service once per process: no change of data. The
    look-alikes fill the registry for a key the caller gives (a get-or-create per key), or after
    any error, not a miss."""
    root = _write(tmp_path, {
        "svc/__init__.py": "",
        "svc/context.py": """
            from storekit import Database, registry

            def database():
                try:
                    return registry.get_instance("db")
                except KeyError:
                    registry.register_context(Database())
                    return registry.get_instance("db")

            def store_for(name: str):
                try:
                    return registry.get_instance(name)
                except KeyError:
                    registry.register_context(name)
                    return registry.get_instance(name)

            def cache():
                try:
                    return registry.get_instance("cache")
                except Exception:
                    registry.register_context(Database())
                    return registry.get_instance("cache")
        """,
        "svc/main.py": """
            from fastapi import Depends, FastAPI, HTTPException, Request
            from svc.context import cache, database, store_for

            app = FastAPI()

            def current_user(request: Request) -> dict:
                if not request.cookies.get("session"):
                    raise HTTPException(status_code=401)
                return {"id": 1}

            @app.get("/me")
            def me(user: dict = Depends(current_user)):
                return user

            @app.post("/chunks/search")
            def search_chunks(query: str):
                return database().find(query)

            @app.post("/stores")
            def open_store(name: str):
                return store_for(name).find(name)

            @app.post("/cached/search")
            def search_cached(query: str):
                return cache().find(query)
        """,
    })
    assert _found(_run(root)) == {("svc/main.py", 21, "RVW921"), ("svc/main.py", 25, "RVW921")}


def test_a_container_a_function_holds_under_a_local_name_stores_nothing(tmp_path) -> None:
    """`params = {...}; params.update(...)` builds a value: a `POST` that only computes with one
    changes no data. The look-alikes update a dict an object holds (`self.workers`) or a
    module-level registry: the store of an application that keeps its data in memory."""
    root = _write(tmp_path, {
        "svc/__init__.py": "",
        "svc/main.py": """
            from fastapi import Depends, FastAPI, HTTPException, Request

            app = FastAPI()
            REGISTRY: dict = {}

            class Workers:
                def __init__(self) -> None:
                    self.workers: dict = {}

                def register(self, name: str) -> None:
                    self.workers.update({name: True})

            workers = Workers()

            def current_user(request: Request) -> dict:
                if not request.cookies.get("session"):
                    raise HTTPException(status_code=401)
                return {"id": 1}

            @app.get("/me")
            def me(user: dict = Depends(current_user)):
                return user

            @app.post("/completions")
            def complete(prompt: str, best_of: int | None = None):
                params = {"prompt": prompt}
                params.update({"best_of": best_of})
                return params

            @app.post("/workers")
            def register_worker(name: str):
                workers.register(name)

            @app.post("/registry")
            def register(name: str):
                REGISTRY.update({name: True})
        """,
    })
    assert _found(_run(root)) == {("svc/main.py", 32, "RVW921"), ("svc/main.py", 36, "RVW921")}


def test_a_token_decoded_on_every_call_turns_a_caller_without_one_away(tmp_path) -> None:
    """`jwt.decode` raises on a missing or forged token: a dependency that decodes the request's
    token every time, letting the error through, authenticates; also as a class method a subclass
    inherits (`Depends(UserPayload.get_login_user)`). One that decodes only when a token came, or
    swallows the error, lets a caller without one in."""
    root = _write(tmp_path, {
        "svc/__init__.py": "",
        "svc/db.py": "from sqlalchemy.orm import Session\n\nsession = Session()\n",
        "svc/auth.py": """
            import jwt
            from fastapi import Depends, Request

            SECRET = "change-me"

            class TokenError(Exception):
                pass

            class AuthJwt:
                def __init__(self, request: Request) -> None:
                    self.request = request

                def subject(self) -> dict:
                    return self.decode(self.request.cookies.get("access_token"))

                def decode(self, token: str) -> dict:
                    try:
                        return jwt.decode(token, SECRET, algorithms=["HS256"])
                    except Exception as error:
                        raise TokenError(str(error))

            class LoginUser:
                @classmethod
                async def get_login_user(cls, auth_jwt: AuthJwt = Depends()) -> dict:
                    return auth_jwt.subject()

            class UserPayload(LoginUser):
                pass

            def optional_user(request: Request) -> dict | None:
                token = request.cookies.get("access_token")
                if token:
                    return jwt.decode(token, SECRET, algorithms=["HS256"])
                return None

            def lenient_user(request: Request) -> dict | None:
                try:
                    return jwt.decode(request.cookies.get("access_token"), SECRET, algorithms=["HS256"])
                except jwt.PyJWTError:
                    return None
        """,
        "svc/main.py": """
            from fastapi import Depends, FastAPI
            from svc.auth import UserPayload, lenient_user, optional_user
            from svc.db import session

            app = FastAPI()

            @app.post("/notes")
            def create_note(note: dict, user: dict = Depends(UserPayload.get_login_user)):
                session.add(note)

            @app.post("/drafts")
            def create_draft(note: dict, user: dict | None = Depends(optional_user)):
                session.add(note)

            @app.post("/comments")
            def create_comment(note: dict, user: dict | None = Depends(lenient_user)):
                session.add(note)
        """,
    })
    assert _guards(root) == {"create_note": "`Depends(get_login_user)`", "create_draft": None, "create_comment": None}
    assert _found(_run(root)) == {("svc/main.py", 13, "RVW921"), ("svc/main.py", 17, "RVW921")}


def test_a_middleware_that_decodes_a_token_only_when_one_came_authenticates_nobody(tmp_path) -> None:
    """A helper that decodes whatever token it is handed raises on a bad one; a middleware that
    calls it only when the request has a token, and swallows what it raises, to refresh a session
    cookie, turns nobody away."""
    middleware = """
        import jwt
        from fastapi import FastAPI, Request
        from starlette.middleware.base import BaseHTTPMiddleware
        from svc.db import session

        SECRET = "change-me"

        class TokenManager:
            def decode(self, token: str) -> dict:
                return jwt.decode(token, SECRET, algorithms=["HS256"])

        class SessionMiddleware(BaseHTTPMiddleware):
            async def dispatch(self, request: Request, call_next):
                manager: TokenManager = request.app.state.tokens
                token = request.cookies.get("session")
                {check}
                return await call_next(request)

        app = FastAPI()
        app.add_middleware(SessionMiddleware)

        @app.post("/notes")
        def create_note(note: dict):
            session.add(note)
    """
    refreshing = "if token:\n                    try:\n                        manager.decode(token)\n" \
                 "                    except jwt.PyJWTError:\n                        pass"
    found = {}
    for name, check in (("refreshing", refreshing), ("checking", "request.state.user = manager.decode(token)")):
        root = _write(tmp_path / name, {
            "svc/__init__.py": "",
            "svc/db.py": "from sqlalchemy.orm import Session\n\nsession = Session()\n",
            "svc/main.py": middleware.replace("{check}", check),
        })
        found[name] = {code for _, _, code in _found(_run(root))}
    assert found == {"refreshing": {"RVW922"}, "checking": set()}


def test_a_refusal_only_when_a_credential_came_turns_away_a_wrong_one_not_a_missing_one(tmp_path) -> None:
    """A middleware whose helper refuses a token it cannot find (`if token is not None: ... raise
    InvalidTokenError()`) and lets a request without one through as anonymous authenticates nobody,
    nor does a dependency that compares an API key only when one was sent. Their look-alikes
    refuse a request without the credential too, or compare it whenever the deployment configures
    a key: without one, the deployment chose to let everyone in."""
    helper = """
        import os

        from fastapi import Header, HTTPException, Request

        API_KEY = os.environ.get("API_KEY")

        class InvalidTokenError(Exception):
            pass

        def get_subject(request: Request) -> str:
            token = request.headers.get("authorization")
            {check}
            return "anonymous"

        def require_key(x_api_key: str | None = Header(default=None)) -> None:
            {key_check}
    """
    main = """
        from fastapi import Depends, FastAPI, Request
        from fastapi.responses import JSONResponse
        from svc.auth import InvalidTokenError, get_subject, require_key

        NOTES = []

        class SubjectMiddleware:
            def __init__(self, app):
                self.app = app

            async def __call__(self, scope, receive, send):
                try:
                    scope["state"]["subject"] = get_subject(scope["request"])
                except InvalidTokenError:
                    response = JSONResponse(status_code=401, content={"detail": "invalid token"})
                    return await response(scope, receive, send)
                await self.app(scope, receive, send)

        app = FastAPI()
        app.add_middleware(SubjectMiddleware)
        keys = FastAPI()

        @app.post("/notes")
        def create_note(note: dict):
            NOTES.append(note)

        @keys.post("/keys", dependencies=[Depends(require_key)])
        def create_key(data: dict):
            NOTES.append(data)
    """
    when_sent = ("if token is not None:\n                if token != 'secret':\n"
                 "                    raise InvalidTokenError()\n                return 'user'",
                 "if x_api_key is not None and x_api_key != 'secret':\n"
                 "                raise HTTPException(status_code=401)")
    always = ("if token != 'secret':\n                raise InvalidTokenError()",
              "if x_api_key != 'secret':\n                raise HTTPException(status_code=401)")
    configured = (always[0], "if API_KEY and x_api_key != API_KEY:\n"
                  "                raise HTTPException(status_code=401)")
    # A key configured, and a token sent: both must be there for the refusal to run.
    sent_with_key = ("if API_KEY and token:\n                if token != API_KEY:\n"
                     "                    raise InvalidTokenError()", when_sent[1])
    found = {}
    for name, (check, key_check) in (("when sent", when_sent), ("always", always), ("configured", configured),
                                     ("sent with a key", sent_with_key)):
        root = _write(tmp_path / name.replace(" ", "_"), {
            "svc/__init__.py": "",
            "svc/auth.py": helper.replace("{check}", check).replace("{key_check}", key_check),
            "svc/main.py": main,
        })
        found[name] = _guards(root)
    assert found == {
        "when sent": {"create_note": None, "create_key": None},
        "always": {"create_note": "middleware `SubjectMiddleware`", "create_key": "`Depends(require_key)`"},
        "configured": {"create_note": "middleware `SubjectMiddleware`", "create_key": "`Depends(require_key)`"},
        "sent with a key": {"create_note": None, "create_key": None},
    }


def test_an_endpoint_the_credential_in_its_request_authenticates_is_public_by_design(tmp_path) -> None:
    """A change that whoever holds a credential of the request may make: a secret in the path
    (`/checkouts/{client_secret}`), a token in the body the endpoint reads (`claim.invitation_token`,
    `body.get("refresh_token")` of the request's JSON),
    an OAuth token request authlib's server answers (it authenticates the client), a sign-in that
    sets the caller's session cookie. The look-alikes name a row by its id, read a field of the
    body that is no credential, or a secret of the application's settings."""
    root = _write(tmp_path, {
        "svc/__init__.py": "",
        "svc/main.py": """
            from fastapi import Depends, FastAPI, HTTPException, Request, Response
            from pydantic import BaseModel
            from sqlalchemy.orm import Session

            app = FastAPI()
            session = Session()

            class SeatClaim(BaseModel):
                invitation_token: str
                email: str

            class Settings(BaseModel):
                webhook_secret: str = ""

            def get_settings() -> Settings:
                return Settings()

            def current_user(request: Request) -> dict:
                if not request.cookies.get("session"):
                    raise HTTPException(status_code=401)
                return {"id": 1}

            @app.get("/me")
            def me(user: dict = Depends(current_user)):
                return user

            @app.patch("/checkouts/client/{client_secret}")
            def update_checkout(client_secret: str, data: dict):
                session.add({"secret": client_secret, **data})

            @app.patch("/checkouts/{checkout_id}")
            def update_checkout_by_id(checkout_id: int, data: dict):
                session.add({"id": checkout_id, **data})

            @app.post("/seats/claim")
            def claim_seat(claim: SeatClaim):
                session.add({"token": claim.invitation_token})

            @app.post("/seats")
            def add_seat(claim: SeatClaim):
                session.add({"email": claim.email})

            @app.post("/hooks")
            def register_hook(data: dict, settings: Settings = Depends(get_settings)):
                session.add({"secret": settings.webhook_secret, **data})

            @app.post("/oauth2/token")
            def token(request: Request):
                session.commit()
                return request.app.state.authorization_server.create_token_response(request)

            @app.post("/auth/start")
            def start(response: Response):
                session.add({"started": True})
                response.set_cookie("auth_session", "value", httponly=True)

            @app.post("/auth/logout")
            async def logout(request: Request):
                body = await request.json()
                session.delete(body.get("refresh_token"))

            @app.post("/names")
            async def rename(request: Request):
                body = await request.json()
                session.add(body["name"])
        """,
    })
    assert _found(_run(root)) == {("svc/main.py", 33, "RVW921"), ("svc/main.py", 41, "RVW921"),
                                  ("svc/main.py", 45, "RVW921"), ("svc/main.py", 64, "RVW921")}


def test_an_endpoint_that_acts_as_a_principal_the_code_chooses_is_public_by_design(tmp_path) -> None:
    """An integration surface that runs every call as a configured operator: the endpoint gets the
    application's principal (what its guard hands signed-in endpoints) from a function that takes
    nothing the caller sends and turns nobody away, called or as a dependency. The look-alikes
    let the caller name who acts, may hand no principal, hand an object of another class, or make
    a principal as the endpoint's own answer."""
    root = _write(tmp_path, {
        "svc/__init__.py": "",
        "svc/settings.py": """
            from pydantic_settings import BaseSettings

            class Settings(BaseSettings):
                default_operator_id: int = 1

            settings = Settings()
        """,
        "svc/principal.py": """
            from fastapi import HTTPException, Request
            from svc.settings import Settings, settings

            class Principal:
                def __init__(self, user_id: int) -> None:
                    self.user_id = user_id

            def current_principal(request: Request) -> Principal:
                token = request.headers.get("Authorization")
                if not token:
                    raise HTTPException(status_code=401)
                return Principal(int(token))

            def default_operator() -> Principal:
                return Principal(settings.default_operator_id)

            def acting_as(user_id: int) -> Principal:
                return Principal(user_id)

            def optional_principal(request: Request) -> Principal | None:
                token = request.headers.get("Authorization")
                return Principal(int(token)) if token else None

            def current_settings() -> Settings:
                return settings
        """,
        "svc/main.py": """
            from fastapi import Depends, FastAPI
            from sqlalchemy.orm import Session
            from svc.principal import (Principal, acting_as, current_principal, current_settings,
                                       default_operator, optional_principal)
            from svc.settings import Settings

            app = FastAPI()
            session = Session()

            @app.get("/me")
            def me(principal: Principal = Depends(current_principal)):
                return principal

            @app.post("/open/notes")
            def open_note(note: dict):
                operator = default_operator()
                session.add({"owner": operator.user_id, **note})

            @app.post("/open/files")
            def open_file(data: dict, operator: Principal = Depends(default_operator)):
                session.add({"owner": operator.user_id, **data})

            @app.post("/notes/as/{user_id}")
            def note_as(user_id: int, note: dict):
                operator = acting_as(user_id)
                session.add({"owner": operator.user_id, **note})

            @app.post("/notes")
            def add_note(note: dict, principal: Principal | None = Depends(optional_principal)):
                session.add(note)

            @app.post("/stamps")
            def stamp(note: dict, settings: Settings = Depends(current_settings)):
                session.add({"by": settings.default_operator_id, **note})

            @app.post("/principals")
            def add_principal(settings: Settings = Depends(current_settings)) -> Principal:
                principal = Principal(settings.default_operator_id)
                session.add(principal)
                return principal
        """,
    })
    assert _found(_run(root)) == {("svc/main.py", 25, "RVW921"), ("svc/main.py", 30, "RVW921"),
                                  ("svc/main.py", 34, "RVW921"), ("svc/main.py", 38, "RVW921")}


def test_a_fastapi_users_dependency_optional_by_the_deployments_choice_guards(tmp_path) -> None:
    """`current_user(optional=not REQUIRE_AUTHENTICATION)` leaves it to the deployment, read as the
    deployment's check; `optional=True` lets a caller without a session in."""
    root = _write(tmp_path, {
        "svc/__init__.py": "",
        "svc/db.py": "from sqlalchemy.orm import Session\n\nsession = Session()\n",
        "svc/users.py": """
            import os

            from fastapi_users import FastAPIUsers

            REQUIRE_AUTHENTICATION = os.environ.get("REQUIRE_AUTHENTICATION", "true") == "true"
            fastapi_users = FastAPIUsers(get_user_manager=None, auth_backends=[])
            required_user = fastapi_users.current_user(active=True, optional=not REQUIRE_AUTHENTICATION)
            anyone = fastapi_users.current_user(active=True, optional=True)
        """,
        "svc/main.py": """
            from fastapi import Depends, FastAPI
            from svc.db import session
            from svc.users import anyone, required_user

            app = FastAPI()

            @app.post("/notes")
            def create_note(note: dict, user=Depends(required_user)):
                session.add(note)

            @app.post("/drafts")
            def create_draft(note: dict, user=Depends(anyone)):
                session.add(note)
        """,
    })
    assert _guards(root) == {"create_note": "`fastapi_users.current_user`", "create_draft": None}
    assert _found(_run(root)) == {("svc/main.py", 13, "RVW921")}


def test_routers_never_included_in_an_application_are_not_reported(tmp_path) -> None:
    root = _write(tmp_path, {
        "app/__init__.py": "",
        "app/deps.py": """
            from fastapi import HTTPException

            def get_user(token: str):
                raise HTTPException(status_code=401)
        """,
        "app/routes.py": """
            from fastapi import APIRouter, Depends, FastAPI
            from app.deps import get_user

            app = FastAPI()
            router = APIRouter()
            orphan = APIRouter()

            @router.post("/items")
            def create_item(item: dict, user=Depends(get_user)):
                save_item(item)

            @orphan.post("/things")
            def create_thing(thing: dict):
                save_item(thing)

            def save_item(item):
                ...

            app.include_router(router)
        """,
    })
    assert _found(_run(root)) == set()


def test_dependencies_the_analysis_cannot_read_are_not_taken_for_none(tmp_path) -> None:
    root = _write(tmp_path, {
        "app/__init__.py": "",
        "app/main.py": """
            from fastapi import APIRouter, Depends, FastAPI, HTTPException

            def get_user(token: str):
                raise HTTPException(status_code=401)

            def get_dependencies():
                return [Depends(get_user)]

            app = FastAPI()
            router = APIRouter(dependencies=get_dependencies())
            admin = APIRouter()

            @router.post("/items")
            def create_item(item: dict):
                save_item(item)

            @admin.post("/admin/items")
            def admin_item(item: dict, user=Depends(get_user)):
                save_item(item)

            def save_item(item):
                ...

            app.include_router(router)
            app.include_router(admin)
        """,
    })
    assert _found(_run(root)) == set()
    assert _guards(root)["create_item"] == "`dependencies=get_dependencies(...)` (not resolved)"


def test_dependencies_an_inclusion_gives_a_router_imported_relative_to_its_directory(tmp_path) -> None:
    """`include_router(notes_router, dependencies=get_dependencies())` where the service imports
    its modules relative to its directory of the repository (`from routes.notes import router`):
    the router included is the one `api/routes/notes.py` defines."""
    root = _write(tmp_path, {
        "api/routes/__init__.py": "",
        "api/routes/notes.py": """
            from fastapi import APIRouter

            router = APIRouter()
            NOTES = []

            @router.post("/notes")
            def create_note(note: dict):
                NOTES.append(note)
        """,
        "api/main.py": """
            from fastapi import Depends, FastAPI, HTTPException
            from routes.notes import router as notes_router

            def get_user(token: str):
                raise HTTPException(status_code=401)

            def get_dependencies():
                return [Depends(get_user)]

            app = FastAPI()
            app.include_router(notes_router, dependencies=get_dependencies())
        """,
    })
    assert _guards(root) == {"create_note": "`dependencies=get_dependencies(...)` (not resolved)"}
    assert _found(_run(root)) == set()


GUARDED_APP = """from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.security import OAuth2PasswordBearer
from pydantic import BaseModel
from slowapi import Limiter
from slowapi.util import get_remote_address

limiter = Limiter(key_func=get_remote_address)
oauth2 = OAuth2PasswordBearer(tokenUrl="token")
app = FastAPI()


class Note(BaseModel):
    text: str


def current_user(token: str = Depends(oauth2)) -> str:
    if token != "secret-token":
        raise HTTPException(status_code=401)
    return token


router = APIRouter(dependencies=[Depends(current_user)])


@router.post("/notes", response_model=Note)
def add_note(note: Note):
    return note


@app.post("/token")
@limiter.limit("5/minute")
def token(request: Request):
    return {"access_token": "..."}


app.include_router(router)
"""


def test_endpoint_records_carry_what_guards_them(write, check_json) -> None:
    write({"service/main.py": GUARDED_APP})
    _, report = check_json(".")
    records = {(e["method"], e["path"]): e for e in report["endpoints"]}
    notes, issued = records[("POST", "/notes")], records[("POST", "/token")]
    assert (notes["auth"], notes["rate_limit"], notes["response_model"]) == ("`OAuth2PasswordBearer`", None, "Note")
    assert (issued["auth"], issued["rate_limit"], issued["response_model"]) == (None, "limiter.limit", None)
