"""The `no-internal-error-leak` rules (RVW801-RVW802): which exceptions carry internal detail,
how their text is followed into responses, and the look-alikes of real code that must stay quiet."""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

from reviewer import engine
from reviewer.analysis import analyze
from reviewer.config import Config
from reviewer.model import Finding
from reviewer.registry import load_rules
from reviewer.rule import RepoContext
from reviewer.semantics.fastapi import FastAPIFacts
from reviewer.semantics.fastapi.guards import GuardFacts
from reviewer.semantics.fastapi.guards.holders import admits_only_holders

RULES = load_rules()


def _findings(root: Path, files: dict[str, str]) -> list[Finding]:
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content.lstrip("\n"), encoding="utf-8")
    return engine.run([root], Config(select=["no-internal-error-leak"]), RULES, jobs=1, use_cache=False,
                      cwd=root).findings


def check(root: Path, files: dict[str, str]) -> set[tuple[str, int, str]]:
    return {(f.path, f.span.line, f.code) for f in _findings(root, files)}


HEADER = """
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from app.auth import require_admin, require_user
from app.errors import NotFound

router = APIRouter()
app = FastAPI()
"""


def test_broad_library_and_own_exceptions_are_told_apart(tmp_path: Path) -> None:
    source = HEADER + textwrap.dedent('''
    @router.get("/a")
    async def a():
        try:
            return await work()
        except Exception as e:
            raise HTTPException(500, detail=f"failed: {e}")


    @router.get("/b")
    async def b():
        try:
            return await work()
        except SQLAlchemyError as e:
            raise HTTPException(500, detail=e.args[0])


    @router.get("/c")
    async def c():
        try:
            return await work()
        except NotFound as e:
            raise HTTPException(404, detail=str(e))
        except (ValueError, KeyError) as e:
            raise HTTPException(400, detail=str(e))


    @router.get("/d")
    async def d():
        try:
            return await work()
        except Exception as e:
            raise HTTPException(500, detail=type(e).__name__)
    ''')
    assert check(tmp_path, {"app/api.py": source}) == {("app/api.py", 16, "RVW801"), ("app/api.py", 24, "RVW801")}


def test_detail_is_followed_through_names_containers_and_module_helpers(tmp_path: Path) -> None:
    source = HEADER + textwrap.dedent('''
    import traceback


    def describe(error):
        return "{}: {}".format(type(error).__name__, error)


    def fail(exc, status_code=500):
        return JSONResponse(status_code=status_code, content={"error": repr(exc)})


    @router.get("/a")
    async def a():
        problems = []
        try:
            await work()
        except OSError as e:
            problems.append(describe(e))
            trace = "".join(traceback.format_exception(e))
            return {"problems": problems, "trace": trace}


    @router.get("/b")
    async def b():
        try:
            return await work()
        except Exception as e:
            return fail(e)
    ''')
    assert check(tmp_path, {"app/api.py": source}) == {
        ("app/api.py", 19, "RVW801"),  # fail()'s response, reached from b()
        ("app/api.py", 30, "RVW802"),  # the traceback wins the return value's detail
    }


def test_exception_handlers_are_judged_by_what_they_are_registered_for(tmp_path: Path) -> None:
    source = HEADER + textwrap.dedent('''
    async def on_database(request: Request, exc: Exception):
        return JSONResponse(status_code=500, content={"detail": str(exc)})


    async def on_not_found(request: Request, exc: Exception):
        return JSONResponse(status_code=404, content={"detail": str(exc)})


    async def on_status(request: Request, exc: Exception):
        return JSONResponse(status_code=exc.status_code, content={"detail": str(exc)})


    def install(application: FastAPI) -> None:
        application.exception_handler(SQLAlchemyError)(on_database)
        application.add_exception_handler(NotFound, on_not_found)
        application.add_exception_handler(404, on_status)
    ''')
    assert check(tmp_path, {"app/handlers.py": source}) == {("app/handlers.py", 12, "RVW801")}


def test_client_errors_around_parsing_and_admin_routes_are_not_reported(tmp_path: Path) -> None:
    source = HEADER + textwrap.dedent('''
    @router.post("/parse")
    async def parse(payload: dict):
        try:
            return decode(payload["data"])
        except Exception as e:
            raise HTTPException(400, detail=str(e))


    @router.post("/parse-and-store")
    async def parse_and_store(payload: dict):
        try:
            return await store(decode(payload["data"]))
        except Exception as e:
            raise HTTPException(400, detail=str(e))


    @router.post("/parse-or-crash")
    async def parse_or_crash(payload: dict):
        try:
            return decode(payload["data"])
        except Exception as e:
            raise HTTPException(500, detail=str(e))


    @router.post("/admin/reindex", dependencies=[Depends(require_admin)])
    async def reindex():
        try:
            return await work()
        except Exception as e:
            raise HTTPException(500, detail=str(e))


    @router.post("/user/reindex", dependencies=[Depends(require_user)])
    async def user_reindex():
        try:
            return await work()
        except Exception as e:
            raise HTTPException(500, detail=str(e))
    ''')
    assert check(tmp_path, {"app/api.py": source}) == {
        ("app/api.py", 24, "RVW801"),  # awaits the store: not only parsing
        ("app/api.py", 32, "RVW801"),  # a server error says nothing about the input
        ("app/api.py", 48, "RVW801"),  # not an administrator's route
    }


def test_an_administrator_check_behind_a_type_alias_of_another_module_makes_an_administrators_route(
        tmp_path: Path) -> None:
    """`current: AdminUser` with `AdminUser = Annotated[User, Depends(require_admin)]` in the
    authentication module: FastAPI runs the check for the route as it does for `Depends(...)` in
    place. An alias of an ordinary user's dependency changes nothing."""
    auth = textwrap.dedent('''
    from typing import Annotated

    from fastapi import Depends, HTTPException


    class User:
        is_admin: bool


    def current_user() -> User:
        return User()


    def require_admin(user: Annotated[User, Depends(current_user)]) -> User:
        if not user.is_admin:
            raise HTTPException(403)
        return user


    AdminUser = Annotated[User, Depends(require_admin)]
    CurrentUser = Annotated[User, Depends(current_user)]
    ''')
    routes = textwrap.dedent('''
    from fastapi import APIRouter, HTTPException

    from app.auth import AdminUser, CurrentUser
    from app.packs import install

    router = APIRouter()


    @router.post("/packs")
    async def install_pack(source: str, current: AdminUser):
        try:
            return await install(source)
        except Exception as e:
            raise HTTPException(500, detail=str(e))


    @router.post("/packs/mine")
    async def install_own_pack(source: str, current: CurrentUser):
        try:
            return await install(source)
        except Exception as e:
            raise HTTPException(500, detail=str(e))
    ''')
    app = ("from fastapi import FastAPI\n\nfrom app.routes import router\n\n"
           "app = FastAPI()\napp.include_router(router)\n")
    assert check(tmp_path, {"app/__init__.py": "", "app/auth.py": auth, "app/routes.py": routes,
                            "app/main.py": app}) == {("app/routes.py", 22, "RVW801")}


def test_a_generator_defined_in_the_route_and_streamed_with_the_text_is_followed(tmp_path: Path) -> None:
    """`async def error_text(message): yield ...` in the `except` block, then
    `StreamingResponse(error_text(str(e)))`: the text is streamed to the client. Not when the
    generator streams a fixed sentence and only logs what it is given, nor when one of the same name,
    in another route, is handed a fixed sentence."""
    source = textwrap.dedent('''
    import logging

    from fastapi import APIRouter
    from fastapi.responses import StreamingResponse

    from app.llm import complete

    router = APIRouter()
    logger = logging.getLogger(__name__)


    @router.post("/chat")
    async def chat(prompt: str):
        try:
            return StreamingResponse(await complete(prompt))
        except Exception as e:

            async def error_text(message):
                yield f"data:{message}\\n\\n"

            return StreamingResponse(error_text(str(e)))


    @router.post("/chat/quiet")
    async def quiet_chat(prompt: str):
        try:
            return StreamingResponse(await complete(prompt))
        except Exception as e:

            async def apology(message):
                logger.error("chat failed: %s", message)
                yield "data:the model is unavailable\\n\\n"

            return StreamingResponse(apology(str(e)))


    @router.post("/chat/fixed")
    async def fixed_chat(prompt: str):
        try:
            return StreamingResponse(await complete(prompt))
        except Exception:

            async def error_text(message):
                yield f"data:{message}\\n\\n"

            return StreamingResponse(error_text("the model is unavailable"))
    ''')
    assert check(tmp_path, {"app/api.py": source}) == {("app/api.py", 21, "RVW801")}


def test_the_errors_of_parsers_and_decoders_and_a_closed_connection_carry_no_internal_detail(tmp_path: Path) -> None:
    caught = ["xml.etree.ElementTree.ParseError", "xml.parsers.expat.ExpatError", "defusedxml.DefusedXmlException",
              "lxml.etree.XMLSyntaxError", "email.errors.MessageError", "decimal.InvalidOperation",
              "ipaddress.AddressValueError", "re.error", "gzip.BadGzipFile", "struct.error",
              "google.protobuf.message.DecodeError",
              # A peer that closed the connection: a fixed sentence of the operating system's.
              "BrokenPipeError", "ConnectionResetError",
              # What an upstream answered, the file system, and a refused connection (its text names
              # the address tried) are not the client's data.
              "requests.JSONDecodeError", "OSError", "xml.dom.NotFoundErr", "ConnectionRefusedError"]
    imports = "\n".join(f"import {name.rpartition('.')[0]}" for name in caught if "." in name)
    routes = "\n".join(textwrap.dedent(f'''
        @router.post("/r{number}")
        async def r{number}(request: Request):
            try:
                return await handle(request)
            except {name} as e:
                raise HTTPException(400, detail=str(e))
        ''') for number, name in enumerate(caught))
    source = HEADER + imports + "\n" + routes
    lines = source.lstrip("\n").splitlines()
    reported = {lines[line - 2].strip().removeprefix("except ").removesuffix(" as e:")
                for _, line, _ in check(tmp_path, {"app/api.py": source})}
    assert reported == {"requests.JSONDecodeError", "OSError", "xml.dom.NotFoundErr", "ConnectionRefusedError"}


def test_a_wrapped_exception_of_a_method_that_only_validates_its_parameter_is_not_reported(tmp_path: Path) -> None:
    params = textwrap.dedent('''
    import httpx
    from jsonschema import validate


    class Param:
        def __init__(self, value: object, schema: dict) -> None:
            self.value = value
            self.schema = schema

        def resolve(self) -> object:
            validate(self.value, self.schema)
            return self.value

        def fetch_default(self) -> object:
            return httpx.get(self.schema["default_url"]).json()
    ''')
    api = HEADER + textwrap.dedent('''
    from app.params import Param


    class InvalidParam(Exception):
        def __init__(self, message: str) -> None:
            super().__init__(message)
            self.message = message


    class MissingDefault(Exception):
        def __init__(self, message: str) -> None:
            super().__init__(message)
            self.message = message


    @app.exception_handler(InvalidParam)
    async def on_invalid(request: Request, exc: InvalidParam):
        return JSONResponse({"detail": exc.message}, status_code=400)


    @app.exception_handler(MissingDefault)
    async def on_missing(request: Request, exc: MissingDefault):
        return JSONResponse({"detail": exc.message}, status_code=400)


    def resolved(param: Param) -> object:
        # The method of the parameter's class only validates the value against its schema.
        try:
            return param.resolve()
        except Exception as e:
            raise InvalidParam(f"Invalid param: {e}") from None


    def defaulted(param: Param) -> object:
        try:
            return param.fetch_default()
        except Exception as e:
            raise MissingDefault(f"No default: {e}") from None


    @router.post("/params")
    async def check_param(value: str):
        return {"value": resolved(Param(value, {"type": "string"}))}


    @router.post("/defaults")
    async def default_param(value: str):
        return {"value": defaulted(Param(value, {"default_url": "http://defaults.internal/"}))}
    ''')
    assert check(tmp_path, {"app/params.py": params, "app/api.py": api}) == {("app/api.py", 33, "RVW801")}


def test_logging_tests_and_scripts_are_not_reported(tmp_path: Path) -> None:
    route = HEADER + textwrap.dedent('''
    import logging

    logger = logging.getLogger(__name__)


    @router.get("/a")
    async def a():
        try:
            return await work()
        except Exception as e:
            logger.exception("failed: %s", e)
            raise HTTPException(500, detail="Internal error")
    ''')
    leaking = HEADER + textwrap.dedent('''
    @router.get("/a")
    async def a():
        try:
            return await work()
        except Exception as e:
            raise HTTPException(500, detail=str(e))
    ''')
    assert check(tmp_path, {"app/api.py": route, "tests/test_api.py": leaking, "scripts/run.py": leaking}) == set()


def test_a_helper_of_another_module_that_raises_a_librarys_http_error_only_computes(tmp_path: Path) -> None:
    names = textwrap.dedent('''
    from fastapi import HTTPException


    def check_name(name: str) -> str:
        if not name.strip():
            raise HTTPException(400, detail="A name is required")
        return name.lower()


    def load_name(name: str) -> str:
        with open(f"/var/lib/app/names/{name.strip()}") as stored:
            return stored.read()
    ''')
    source = HEADER + textwrap.dedent('''
    from app.names import check_name, load_name


    @router.get("/names/check")
    async def check(name: str):
        try:
            return {"name": check_name(name)}
        except Exception as e:
            raise HTTPException(500, detail=str(e))


    @router.get("/names/load")
    async def load(name: str):
        try:
            return {"name": load_name(name)}
        except Exception as e:
            raise HTTPException(500, detail=str(e))
    ''')
    assert check(tmp_path, {"app/api.py": source, "app/names.py": names}) == {
        ("app/api.py", 27, "RVW801"),  # reads a file: its error names the path
    }


def test_a_plain_route_may_block_on_its_session_so_its_client_errors_are_still_reported(tmp_path: Path) -> None:
    source = HEADER + textwrap.dedent('''
    @router.post("/items")
    def create_item(payload: dict, db=Depends(get_db)):
        try:
            db.add(payload)
            db.commit()
        except Exception as e:
            raise HTTPException(400, detail=str(e))


    async def get_db():
        yield None
    ''')
    assert check(tmp_path, {"app/api.py": source}) == {("app/api.py", 17, "RVW801")}


def test_a_coroutine_handing_its_injected_session_to_a_plain_call_does_io(tmp_path: Path) -> None:
    source = HEADER + textwrap.dedent('''
    @router.post("/items")
    async def create_item(payload: dict, db=Depends(get_db)):
        try:
            return save(db, payload)
        except Exception as e:
            raise HTTPException(400, detail=str(e))


    async def get_db():
        yield None


    def save(db, payload):
        return payload
    ''')
    assert check(tmp_path, {"app/api.py": source}) == {("app/api.py", 16, "RVW801")}


def test_routes_only_the_deployments_own_callers_reach_say_what_admits_them() -> None:
    """The guard model tells the guards that admit only holders of a configured secret or local
    callers (the repository pass takes their leaks back) from keys compared with other values."""
    root = Path(__file__).resolve().parent.parent / "fixtures" / "no-internal-error-leak" / "internal_services"
    rules = [rule for rule in RULES if rule.checklist == "no-internal-error-leak"]
    summaries = [
        analyze(path.relative_to(root).as_posix(), path.read_bytes(), rules, {}).summary
        for path in sorted(root.rglob("*.py"))
    ]
    repo = RepoContext(rules[0], pickle.loads(pickle.dumps(summaries)), {})
    model = repo.facts(GuardFacts)
    admits = {e.function.name: admits_only_holders(model, e) for e in repo.facts(FastAPIFacts).endpoints}
    assert admits == {
        "sync": None,  # a key compared with one of the tenant table
        "maintenance": None,  # a setting compared with a literal
        "reindex": "`internal_caller` admits only holders of `internal_api_key`",
        "snapshot": "`_verify` admits only holders of `_public_key()`",
        "view": "`view` turns away callers from other machines",
        "run": "`verify_key` admits only holders of `WORKER_KEY`",
        "summarize": "`dispatch` admits only holders of `password`",
        "export": None,  # a user's token is checked too: the users are its callers
        "build_hook": "`verify_signature` admits only holders of `WEBHOOK_SECRET`",  # an HMAC keyed with it
        "deploy_hook": None,  # an HMAC keyed with what the caller sends
        "retry_build": None,  # an HMAC of the user's id: a session token users hold
        "node_status": "`_require_internal` admits only holders of a key read from the environment",
        "heartbeat": None,  # the predicate also answers yes while the token is unset
        "claim": None,  # the predicate compares with a key stored per user
        # handlers a function defines and registers with `add_api_route`
        "assignment_status": "`_require_internal` admits only holders of a key read from the environment",
        "lease": None,
        "drain": None,  # the predicate also answers yes in debug mode
        # a way in, then a refusal of everyone else
        "file_size": "`worker_auth` admits only holders of `token`",  # tokens the server's state holds
        "file_exists": None,  # one of them is a key stored per user
        "file_lines": None,  # another way in lets any signed-in user through
        "file_head": None,  # the way in also opens in debug mode
        # a rejection read with its `and`s and `or`s
        "reindex_with_both": "`both_keys` admits only holders of `internal_api_key`",
        "reindex_with_key": "`present_key` admits only holders of `internal_api_key`",
        "reindex_with_either": "`either_setting` admits only holders of `internal_api_key`",
        "reindex_for_users": None,  # the user's own key lets them pass too
        # an HMAC of the request that a signing function of the module computes
        "sync_members": "`verify_gateway` admits only holders of `gateway_secret`",
        "refresh_member": None,  # the same kind of function signs a user's id: a token users hold
        "flush_relay": "`require_relay` admits only holders of `key`",  # a section of the settings
        # configuration loaded from a file; refused with an error code's exception
        "import_members": "`verify_sync` admits only holders of `hmac_secret`",
        "export_members": None,  # an object built by a call that parses no file is no configuration
    }


def test_tests_that_let_only_administrators_past_are_told_from_others() -> None:
    from reviewer import lazy_cst as cst
    from reviewer.semantics.error_paths.admin import requires_admin

    local = {"user", "auth"}.__contains__
    cases = {
        "not user.is_superuser": True,
        "not auth.user.is_admin": True,
        "not is_admin(user)": True,
        "not await user.has_admin_role()": True,
        'user.role != "admin"': True,
        "Role.ADMIN != user.role": True,
        "Role.ADMIN not in user.roles": True,
        "user.role not in (Role.ADMIN, Role.SUPERUSER)": True,
        "user is None or not user.is_superuser": True,
        "not user.is_superuser and not user.is_admin": True,
        # Owners, members and anyone else pass some of these.
        "not user.is_superuser and item.owner_id != user.id": False,
        "user.role not in (Role.ADMIN, Role.OWNER)": False,
        "user.is_superuser": False,
        'user.role == "admin"': False,
        # Switches of the deployment, and attributes of the object serving the request.
        "not settings.ADMIN_ENABLED": False,
        "not self.is_admin": False,
        "not is_admin_enabled()": False,
    }
    assert {text: requires_admin(cst.parse_expression(text), local) for text in cases} == cases


def test_a_service_module_is_read_but_makes_the_item_apply_only_beside_a_fastapi_module(tmp_path: Path) -> None:
    service = '''
    import httpx


    def fetch(url: str) -> dict:
        try:
            return httpx.get(url, timeout=3).json()
        except httpx.HTTPError as e:
            return {"error": str(e)}
    '''
    (tmp_path / "svc.py").write_text(textwrap.dedent(service), encoding="utf-8")
    run = engine.run([tmp_path], Config(select=["no-internal-error-leak"]), RULES, jobs=1, use_cache=False,
                     cwd=tmp_path)
    assert run.findings == []
    assert next(i for i in run.checklist if i.item.id == "no-internal-error-leak").verdict.value == "not-applicable"

    routes = '''
    from fastapi import APIRouter

    from svc import fetch

    router = APIRouter()


    @router.get("/upstream")
    def upstream():
        return fetch("http://upstream.internal/status")
    '''
    (tmp_path / "routes.py").write_text(textwrap.dedent(routes), encoding="utf-8")
    run = engine.run([tmp_path], Config(select=["no-internal-error-leak"]), RULES, jobs=1, use_cache=False,
                     cwd=tmp_path)
    assert {(f.path, f.span.line, f.code) for f in run.findings} == {("svc.py", 9, "RVW801")}
    assert next(i for i in run.checklist if i.item.id == "no-internal-error-leak").verdict.value == "warn"


def test_a_wrapped_exception_is_reported_where_its_handler_sends_it_with_each_raise_related(tmp_path: Path) -> None:
    files = {
        "app/errors.py": """
class StorageError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
""",
        "app/storage.py": """
from botocore.exceptions import ClientError

from app.errors import StorageError


def put(client, key: str, body: bytes) -> None:
    try:
        client.put_object(Bucket="files", Key=key, Body=body)
    except ClientError as e:
        raise StorageError(f"could not store {key}: {e}") from e


def delete(client, key: str) -> None:
    try:
        client.delete_object(Bucket="files", Key=key)
    except ClientError as e:
        raise StorageError(str(e)) from e
""",
        "app/main.py": """
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from app import storage
from app.errors import StorageError

app = FastAPI()


@app.exception_handler(StorageError)
async def on_storage_error(request: Request, exc: StorageError) -> JSONResponse:
    return JSONResponse({"message": exc.message}, status_code=502)


@app.put("/files/{key}")
def put_file(key: str, body: bytes) -> dict:
    storage.put(None, key, body)
    return {"stored": key}


@app.delete("/files/{key}")
def delete_file(key: str) -> dict:
    storage.delete(None, key)
    return {"deleted": key}
""",
    }
    (finding,) = _findings(tmp_path, files)
    assert (finding.path, finding.span.line, finding.span.column, finding.code) == ("app/main.py", 12, 37, "RVW801")
    assert "`StorageError`'s `message` (raised with it in app/storage.py:10, and 1 more)" in finding.message
    assert [(place.path, place.span.line, place.span.column, place.message) for place in finding.related] == [
        ("app/storage.py", 10, 28, "`StorageError` is raised with `e`"),
        ("app/storage.py", 17, 28, "`StorageError` is raised with `str(e)`"),
    ]


def test_a_returned_field_is_reported_where_the_route_reads_it_with_the_return_related(tmp_path: Path) -> None:
    (finding,) = _findings(tmp_path, {
        "app/moderation.py": """
from dataclasses import dataclass

import httpx


@dataclass
class Verdict:
    allowed: bool
    note: str | None = None


def check(text: str) -> Verdict:
    try:
        httpx.post("http://moderation.internal/check", json={"text": text}, timeout=2).raise_for_status()
    except httpx.HTTPError as exc:
        return Verdict(allowed=True, note=f"moderation skipped: {exc}")
    return Verdict(allowed=True)
""",
        "app/main.py": """
from fastapi import FastAPI, HTTPException

from app.moderation import check

app = FastAPI()


@app.post("/messages")
def post_message(text: str) -> dict:
    verdict = check(text)
    if verdict.note:
        raise HTTPException(status_code=502, detail=verdict.note)
    return {"posted": True}
""",
    })
    assert (finding.path, finding.span.line, finding.span.column) == ("app/main.py", 12, 53)
    assert "what route `post_message` sends here, from the return value of `check` (app/moderation.py:16)" in (
        finding.message)
    assert [(place.path, place.span.line, place.message) for place in finding.related] == [
        ("app/moderation.py", 16, "`check` returns `exc`")]


def test_a_helper_handed_the_exception_is_reported_where_it_builds_the_frame(tmp_path: Path) -> None:
    (finding,) = _findings(tmp_path, {
        "app/frames.py": """
def error_frame(code: str, exc: BaseException) -> dict:
    return {"type": "error", "code": code, "detail": str(exc)}
""",
        "app/main.py": """
import httpx
from fastapi import FastAPI, WebSocket

from app.frames import error_frame

app = FastAPI()


@app.websocket("/feed")
async def feed(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        httpx.get("http://feed.internal/items", timeout=5).raise_for_status()
    except httpx.HTTPError as exc:
        await websocket.send_json(error_frame("upstream", exc))
""",
    })
    assert (finding.path, finding.span.line, finding.span.column) == ("app/frames.py", 2, 54)
    assert [(place.path, place.span.line, place.message) for place in finding.related] == [
        ("app/main.py", 15, "`error_frame` is handed the exception here")]
