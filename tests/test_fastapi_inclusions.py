"""Routers included through helper functions and loops (reviewer/semantics/fastapi/inclusions.py):
the endpoints' full paths, whether the prefix is known, and which application serves them."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

from reviewer.analysis import analyze
from reviewer.registry import load_rules
from reviewer.semantics.fastapi import EndpointIndex

RULES = [rule for rule in load_rules() if rule.checklist == "input-validation"]


def _index(root: Path) -> EndpointIndex:
    options = {rule.code: dict(rule.options) for rule in RULES}
    summaries = [
        analyze(path.relative_to(root).as_posix(), path.read_bytes(), RULES, options).summary
        for path in sorted(root.rglob("*.py"))
    ]
    return EndpointIndex([summary for summary in summaries if summary is not None])


def _apps_above(index: EndpointIndex, key: str, seen: frozenset[str] = frozenset()) -> set[str]:
    """The FastAPI applications a router reaches through the resolved inclusions."""
    router = index.router(key)
    if router is None or key in seen:
        return set()
    found = {key} if index.resolve(router.factory) == "fastapi.FastAPI" else set()
    for inclusion in index.inclusions:
        child = index.resolve(inclusion.child) or ""
        if (child == key) if not inclusion.child_is_call else key.startswith(f"{child}.<locals>."):
            parent = index.router(inclusion.parent)
            if parent is not None:
                found |= _apps_above(index, parent.key, seen | {key})
    return found


def _paths(index: EndpointIndex) -> set[tuple[str, str, bool]]:
    return {(e.function.name, e.path, e.prefix_known) for e in index.endpoints}


def _files(write, files: dict[str, str]) -> Path:
    return write({name: dedent(text) for name, text in files.items()})


USERS = """
    from fastapi import APIRouter
    router = APIRouter(prefix="/users")
    @router.get("/{user_id}")
    def read_user(user_id: int):
        return {}
"""
ITEMS = """
    from fastapi import APIRouter
    router = APIRouter()
    @router.get("/items")
    def list_items():
        return []
"""


def test_helper_taking_the_app_and_a_router_across_modules(write) -> None:
    root = _files(
        write,
        {
            "svc/__init__.py": "",
            "svc/users.py": USERS,
            "svc/items.py": ITEMS,
            "svc/wiring.py": """
                from fastapi import APIRouter, FastAPI
                def include_versioned(application: FastAPI, router: APIRouter, prefix: str = "") -> None:
                    application.include_router(router, prefix="/v1" + prefix)
                def include_public(application: FastAPI, router: APIRouter) -> None:
                    include_versioned(application, router, prefix="/public")
            """,
            "svc/main.py": """
                from fastapi import FastAPI
                from svc import items, users
                from svc.wiring import include_public, include_versioned
                def create_app() -> FastAPI:
                    application = FastAPI()
                    include_versioned(application, users.router)
                    include_public(application, items.router)
                    return application
            """,
        },
    )
    index = _index(root)
    # The prefix the helper builds from its parameter is not read: unknown, and left out.
    assert _paths(index) == {("read_user", "/users/{user_id}", False), ("list_items", "/items", False)}
    app = "svc.main.create_app.<locals>.application"
    assert _apps_above(index, "svc.users.router") == {app}
    assert _apps_above(index, "svc.items.router") == {app}


def test_helper_passes_a_literal_prefix_on(write) -> None:
    root = _files(
        write,
        {
            "svc/__init__.py": "",
            "svc/users.py": USERS,
            "svc/main.py": """
                from fastapi import FastAPI
                from svc import users
                def mount_router(parent, router, prefix):
                    parent.include_router(router, prefix=prefix)
                app = FastAPI()
                mount_router(app, users.router, "/api")
            """,
        },
    )
    index = _index(root)
    assert _paths(index) == {("read_user", "/api/users/{user_id}", True)}
    assert _apps_above(index, "svc.users.router") == {"svc.main.app"}


def test_register_routes_in_another_module(write) -> None:
    root = _files(
        write,
        {
            "svc/__init__.py": "",
            "svc/users.py": USERS,
            "svc/routes.py": """
                from fastapi import FastAPI
                from svc.users import router as users_router
                API_PREFIX = "/api"
                def register_routes(app: FastAPI) -> None:
                    app.include_router(users_router, prefix=API_PREFIX)
            """,
            "svc/main.py": """
                from fastapi import FastAPI
                from svc.routes import register_routes
                app = FastAPI()
                register_routes(app)
            """,
        },
    )
    index = _index(root)
    assert _paths(index) == {("read_user", "/api/users/{user_id}", True)}
    assert _apps_above(index, "svc.users.router") == {"svc.main.app"}


def test_local_router_included_into_the_application_parameter(write) -> None:
    root = _files(
        write,
        {
            "svc/__init__.py": "",
            "svc/debug.py": """
                from fastapi import APIRouter, FastAPI
                def add_debug_routes(api: FastAPI) -> None:
                    debug_router = APIRouter(prefix="/debug")
                    @debug_router.get("/stats")
                    def stats():
                        return {}
                    api.include_router(debug_router)
            """,
            "svc/main.py": """
                from fastapi import FastAPI
                from svc.debug import add_debug_routes
                app = FastAPI()
                add_debug_routes(app)
            """,
        },
    )
    index = _index(root)
    assert _paths(index) == {("stats", "/debug/stats", True)}
    assert _apps_above(index, "svc.debug.add_debug_routes.<locals>.debug_router") == {"svc.main.app"}


def test_loop_over_a_literal_tuple_of_routers(write) -> None:
    root = _files(
        write,
        {
            "svc/__init__.py": "",
            "svc/users.py": USERS,
            "svc/items.py": ITEMS,
            "svc/main.py": """
                from fastapi import FastAPI
                from svc import items, users
                def create_app() -> FastAPI:
                    app = FastAPI()
                    for router in (users.router, items.router):
                        app.include_router(router, prefix="/api")
                    return app
            """,
        },
    )
    index = _index(root)
    assert _paths(index) == {("read_user", "/api/users/{user_id}", True), ("list_items", "/api/items", True)}


def test_loop_over_a_module_list_of_routers_in_another_module(write) -> None:
    root = _files(
        write,
        {
            "svc/__init__.py": "",
            "svc/users.py": USERS,
            "svc/items.py": ITEMS,
            "svc/api/__init__.py": """
                from svc.items import router as items_router
                from svc.users import router as users_router
                ROUTERS = [users_router, items_router]
            """,
            "svc/constants.py": 'API_PREFIX = "/v1"\n',
            "svc/main.py": """
                from fastapi import FastAPI
                from svc.api import ROUTERS as v1_routes
                from svc.constants import API_PREFIX
                app = FastAPI()
                for route in v1_routes:
                    app.include_router(route, prefix=API_PREFIX)
                    app.include_router(route, prefix="/latest", include_in_schema=False)
            """,
        },
    )
    index = _index(root)
    assert _paths(index) == {
        ("read_user", "/v1/users/{user_id}", True),
        ("read_user", "/latest/users/{user_id}", True),
        ("list_items", "/v1/items", True),
        ("list_items", "/latest/items", True),
    }
    assert {e.path for e in index.endpoints if not e.in_schema} == {"/latest/users/{user_id}", "/latest/items"}


def test_loop_over_routers_and_prefixes(write) -> None:
    root = _files(
        write,
        {
            "svc/__init__.py": "",
            "svc/users.py": USERS,
            "svc/items.py": ITEMS,
            "svc/main.py": """
                from fastapi import FastAPI
                from svc import items, users
                from svc.settings import SHOP
                ROUTES = ((users.router, "/accounts"), (items.router, SHOP))
                def create_app() -> FastAPI:
                    app = FastAPI()
                    for router, prefix in ROUTES:
                        app.include_router(router, prefix=prefix)
                    return app
            """,
            "svc/settings.py": "import os\nSHOP = os.environ['SHOP_PREFIX']\n",
        },
    )
    index = _index(root)
    # SHOP is not a string constant the model reads: its prefix stays unknown.
    assert _paths(index) == {("read_user", "/accounts/users/{user_id}", True), ("list_items", "/items", False)}


def test_loop_over_a_local_list_inside_a_helper(write) -> None:
    root = _files(
        write,
        {
            "svc/__init__.py": "",
            "svc/users.py": USERS,
            "svc/items.py": ITEMS,
            "svc/routes.py": """
                from fastapi import FastAPI
                from svc import items, users
                async def setup(app: FastAPI) -> None:
                    routers = [users.router, items.router]
                    for router in routers:
                        app.include_router(router, prefix="/api")
            """,
            "svc/main.py": """
                from fastapi import FastAPI
                from svc.routes import setup
                app = FastAPI()
                async def startup() -> None:
                    await setup(app)
            """,
        },
    )
    index = _index(root)
    assert _paths(index) == {("read_user", "/api/users/{user_id}", True), ("list_items", "/api/items", True)}
    assert _apps_above(index, "svc.items.router") == {"svc.main.app"}


def test_keyword_arguments_passed_through_leave_the_prefix_unknown(write) -> None:
    root = _files(
        write,
        {
            "svc/__init__.py": "",
            "svc/users.py": USERS,
            "svc/main.py": """
                from typing import Any
                from fastapi import FastAPI
                from svc import users
                GLOBAL = "/api"
                def include(application: FastAPI, router, **kwargs: Any) -> None:
                    options = {**kwargs, "tags": ["x"]}
                    application.include_router(router, **options)
                app = FastAPI()
                include(app, users.router, prefix="/v2")
            """,
        },
    )
    assert _paths(_index(root)) == {("read_user", "/users/{user_id}", False)}


# look-alikes -----------------------------------------------------------------------------------


def test_helper_that_takes_a_router_without_including_it(write) -> None:
    root = _files(
        write,
        {
            "svc/__init__.py": "",
            "svc/users.py": USERS,
            "svc/main.py": """
                import logging
                from fastapi import APIRouter, FastAPI
                from svc import users
                log = logging.getLogger(__name__)
                def describe(application: FastAPI, router: APIRouter) -> None:
                    log.info("%s has %d routes", application.title, len(router.routes))
                def include(application: FastAPI, router: APIRouter) -> None:
                    application.include_router(router, prefix="/api")
                app = FastAPI()
                describe(app, users.router)
            """,
        },
    )
    index = _index(root)
    # Never included: its own prefix only, and no application reached.
    assert _paths(index) == {("read_user", "/users/{user_id}", True)}
    assert _apps_above(index, "svc.users.router") == set()


def test_loop_over_something_that_is_not_routers(write) -> None:
    root = _files(
        write,
        {
            "svc/__init__.py": "",
            "svc/users.py": USERS,
            "svc/main.py": """
                from fastapi import FastAPI
                from svc import users
                from svc.plugins import load_plugins
                MIDDLEWARES = ["a", "b"]
                app = FastAPI()
                for name in MIDDLEWARES:
                    app.include_router(name)
                for plugin in load_plugins():
                    app.include_router(plugin.router, prefix="/plugins")
            """,
            "svc/plugins.py": "def load_plugins():\n    return []\n",
        },
    )
    index = _index(root)
    assert _paths(index) == {("read_user", "/users/{user_id}", True)}
    assert _apps_above(index, "svc.users.router") == set()
    assert all(not inclusion.is_template for inclusion in index.inclusions)


def test_parameter_shadowing_a_module_router_is_the_parameter(write) -> None:
    """`app` the parameter, not the module's `app`: the call passes another application."""
    root = _files(
        write,
        {
            "svc/__init__.py": "",
            "svc/users.py": USERS,
            "svc/main.py": """
                from fastapi import FastAPI
                from svc import users
                app = FastAPI()
                admin = FastAPI()
                def register(app: FastAPI) -> None:
                    app.include_router(users.router, prefix="/admin")
                register(admin)
                app.mount("/internal", admin)
            """,
        },
    )
    index = _index(root)
    assert _paths(index) == {("read_user", "/internal/admin/users/{user_id}", True)}
    assert _apps_above(index, "svc.users.router") == {"svc.main.admin", "svc.main.app"}


def test_routers_included_from_the_lifespan_the_application_calls(write) -> None:
    root = _files(
        write,
        {
            "svc/__init__.py": "",
            "svc/users.py": USERS,
            "svc/core.py": """
                from fastapi import FastAPI
                from svc.users import router
                def init_core_routers(app: FastAPI):
                    app.include_router(router)
            """,
            "svc/main.py": """
                from contextlib import asynccontextmanager
                from fastapi import FastAPI
                from svc.core import init_core_routers
                async def startup(app: FastAPI):
                    init_core_routers(app)
                @asynccontextmanager
                async def lifespan(app: FastAPI):
                    await startup(app)
                    yield
                def create_app() -> FastAPI:
                    app = FastAPI(lifespan=lifespan)
                    return app
            """,
        },
    )
    index = _index(root)
    assert _paths(index) == {("read_user", "/users/{user_id}", True)}
    assert _apps_above(index, "svc.users.router") == {"svc.main.create_app.<locals>.app"}


def test_helper_that_includes_into_the_router_it_is_given_and_returns_it(write) -> None:
    root = _files(
        write,
        {
            "svc/__init__.py": "",
            "svc/users.py": USERS,
            "svc/main.py": """
                from fastapi import APIRouter, FastAPI
                from svc.users import router as users_router
                def include_routers(router: APIRouter) -> APIRouter:
                    router.include_router(users_router, prefix="/api")
                    return router
                default_router = include_routers(APIRouter())
                tenant_router = include_routers(APIRouter(prefix="/{tenant}"))
                app = FastAPI()
                app.include_router(default_router)
                app.include_router(tenant_router)
            """,
        },
    )
    index = _index(root)
    assert _paths(index) == {
        ("read_user", "/api/users/{user_id}", True),
        ("read_user", "/{tenant}/api/users/{user_id}", True),
    }
    assert _apps_above(index, "svc.users.router") == {"svc.main.app"}


def test_router_built_by_a_factory_and_bound_to_a_name_before_inclusion(write) -> None:
    root = _files(
        write,
        {
            "svc/__init__.py": "",
            "svc/users.py": USERS,
            "svc/tenants.py": """
                from fastapi import APIRouter
                from svc.users import router as users_router
                def build_router() -> APIRouter:
                    router = APIRouter(prefix="/tenants")
                    router.include_router(users_router)
                    return router
                router = build_router()
            """,
            "svc/main.py": """
                from fastapi import FastAPI
                from svc.tenants import router as tenants_router
                app = FastAPI()
                app.include_router(tenants_router, prefix="/api")
            """,
        },
    )
    index = _index(root)
    assert _paths(index) == {("read_user", "/api/tenants/users/{user_id}", True)}
    assert _apps_above(index, "svc.users.router") == {"svc.main.app"}


def test_routes_registered_on_the_application_a_helper_is_given(write) -> None:
    root = _files(
        write,
        {
            "svc/__init__.py": "",
            "svc/health.py": """
                from fastapi import FastAPI
                def add_health_endpoints(app: FastAPI) -> None:
                    @app.get("/alive")
                    async def alive():
                        return {"status": "ok"}
                    app.add_api_route("/ready", ready, methods=["GET"])
                async def ready():
                    return {}
                def unused_registration(api: FastAPI) -> None:
                    @api.get("/never")
                    async def never():
                        return {}
            """,
            "svc/main.py": """
                from fastapi import APIRouter, FastAPI
                from svc.health import add_health_endpoints
                app = FastAPI()
                internal = APIRouter(prefix="/internal")
                add_health_endpoints(internal)
                app.include_router(internal)
            """,
        },
    )
    index = _index(root)
    # `unused_registration` is never called: what it registers on is not known, no endpoint.
    assert _paths(index) == {("alive", "/internal/alive", True), ("ready", "/internal/ready", True)}


def test_factory_that_returns_a_module_router(write) -> None:
    root = _files(
        write,
        {
            "svc/__init__.py": "",
            "svc/auth.py": """
                from fastapi import APIRouter
                router = APIRouter()
                def setup_auth_router(password: str) -> APIRouter:
                    @router.post("/auth")
                    def authenticate(payload: dict):
                        return {}
                    return router
            """,
            "svc/main.py": """
                from fastapi import FastAPI
                from svc.auth import setup_auth_router
                app = FastAPI()
                app.include_router(setup_auth_router("x"), prefix="/api")
            """,
        },
    )
    index = _index(root)
    assert _paths(index) == {("authenticate", "/api/auth", True)}
    assert _apps_above(index, "svc.auth.router") == {"svc.main.app"}


def test_router_included_into_an_application_held_by_an_object(write) -> None:
    """`self.configure(self.app)` then `app.include_router(...)` in the method: the application
    cannot be named, but the inclusion's prefix and dependencies still apply."""
    root = _files(
        write,
        {
            "bot/__init__.py": "",
            "bot/items.py": ITEMS,
            "bot/auth.py": """
                from fastapi import Header, HTTPException
                def require_token(x_token: str = Header()) -> None:
                    if x_token != "expected":
                        raise HTTPException(status_code=401)
            """,
            "bot/server.py": """
                from fastapi import Depends, FastAPI
                class ApiServer:
                    def __init__(self) -> None:
                        self.app = FastAPI()
                        self.configure(self.app)
                    def configure(self, app: FastAPI) -> None:
                        from bot.auth import require_token
                        from bot.items import router
                        app.include_router(router, prefix="/api/v1", dependencies=[Depends(require_token)])
            """,
        },
    )
    index = _index(root)
    assert _paths(index) == {("list_items", "/api/v1/items", True)}
    assert [e.dependencies for e in index.endpoints] == [("bot.auth.require_token",)]


def test_handlers_a_helper_defines_and_registers_by_name(write) -> None:
    root = _files(
        write,
        {
            "svc/__init__.py": "",
            "svc/nodes.py": """
                from fastapi import APIRouter
                def register_node_routes(router: APIRouter) -> None:
                    async def heartbeat(node_id: str):
                        return {}
                    router.add_api_route("/nodes/{node_id}/heartbeat", heartbeat, methods=["POST"])
                    router.add_api_route("/nodes/status", status, methods=["GET"])
                async def status():
                    return {}
                async def heartbeat():
                    return {}
            """,
            "svc/main.py": """
                from fastapi import APIRouter, FastAPI
                from svc.nodes import register_node_routes
                app = FastAPI()
                internal = APIRouter(prefix="/internal")
                register_node_routes(internal)
                app.include_router(internal)
            """,
        },
    )
    index = _index(root)
    # the nested `heartbeat` is registered, not the module-level one of the same name
    assert {(e.function.qualname, e.path) for e in index.endpoints} == {
        ("svc.nodes.register_node_routes.heartbeat", "/internal/nodes/{node_id}/heartbeat"),
        ("svc.nodes.status", "/internal/nodes/status"),
    }


def test_routers_objects_keep_and_the_methods_they_register(write) -> None:
    """`self.router = APIRouter()` in `__init__`, routes added on it with a method as endpoint,
    the router included as an attribute of a module-level instance."""
    root = _files(
        write,
        {
            "api/__init__.py": "",
            "api/traces.py": """
                from fastapi import APIRouter
                class TracesRouter:
                    def __init__(self, service) -> None:
                        self.service = service
                        self.router = APIRouter()
                        self.router.add_api_route("/traces", self.list_traces, methods=["GET"])
                        self.router.add_api_route("/traces/{trace_id}", self.fetch_trace, methods=["GET"])
                    async def list_traces(self):
                        return []
                    async def fetch_trace(self, trace_id: str):
                        return {}
                    async def export(self):
                        return []
            """,
            "api/extensions.py": """
                from fastapi import APIRouter
                domains = APIRouter()
                @domains.post("/domains")
                def create_domain():
                    return {}
                def extend_app(app):
                    app.include_router(domains, prefix="/organizations")
                    return app
            """,
            "api/main.py": """
                from fastapi import FastAPI
                from api.extensions import extend_app
                from api.traces import TracesRouter
                app = FastAPI()
                app = extend_app(app)  # the same application, extended: routers still go into it
                traces = TracesRouter(service=None)
                app.include_router(router=traces.router, prefix="/preview")
            """,
        },
    )
    index = _index(root)
    assert _paths(index) == {
        ("list_traces", "/preview/traces", True),
        ("fetch_trace", "/preview/traces/{trace_id}", True),
        ("create_domain", "/organizations/domains", True),
    }
    # the call extending the application includes its router into that application
    assert _apps_above(index, "api.extensions.domains") == {"api.main.app"}


def test_routes_each_subclass_adds_to_the_router_its_base_makes(write) -> None:
    """The base's `__init__` makes `self.router`; each subclass decorates functions nested in its
    own method with `@self.router.post(...)`. The routers are included where the analysis cannot
    follow (handed out through a getter): their prefix is unknown."""
    root = _files(
        write,
        {
            "core/__init__.py": "",
            "core/base.py": """
                from fastapi import APIRouter
                class BaseRouter:
                    def __init__(self) -> None:
                        self.router = APIRouter()
                        self._setup_routes()
                    def get_router(self):
                        return self.router
            """,
            "core/chunks.py": """
                from core.base import BaseRouter
                class ChunksRouter(BaseRouter):
                    def _setup_routes(self):
                        @self.router.post("/chunks/search")
                        async def search_chunks():
                            return []
            """,
            "core/prompts.py": """
                from core.base import BaseRouter
                class PromptsRouter(BaseRouter):
                    def _setup_routes(self):
                        @self.router.get("/prompts")
                        async def list_prompts():
                            return []
            """,
            "core/app.py": """
                from fastapi import FastAPI
                from core.chunks import ChunksRouter
                from core.prompts import PromptsRouter
                class App:
                    def __init__(self, chunks: ChunksRouter, prompts: PromptsRouter) -> None:
                        self.app = FastAPI()
                        self.app.include_router(chunks, prefix="/v3")
                        self.app.include_router(prompts, prefix="/v3")
                def build() -> App:
                    return App(ChunksRouter().get_router(), PromptsRouter().get_router())
            """,
        },
    )
    index = _index(root)
    assert {(e.function.qualname, e.path, e.prefix_known) for e in index.endpoints} == {
        ("core.chunks.ChunksRouter._setup_routes.search_chunks", "/chunks/search", False),
        ("core.prompts.PromptsRouter._setup_routes.list_prompts", "/prompts", False),
    }


def test_routes_registered_on_the_router_of_an_object_a_function_is_given(write) -> None:
    """`register_routes(api: "RESTfulAPI")` adds the object's own methods to `api._router`, with
    the deployment's check given only when it authenticates; the object includes its router into
    the application it keeps."""
    root = _files(
        write,
        {
            "svc/__init__.py": "",
            "svc/auth.py": """
                from fastapi import HTTPException, Request
                class AuthService:
                    async def __call__(self, request: Request) -> None:
                        if not request.headers.get("authorization"):
                            raise HTTPException(status_code=401)
            """,
            "svc/restful_api.py": """
                from fastapi import APIRouter, FastAPI
                from svc.auth import AuthService
                class RESTfulAPI:
                    def __init__(self, authenticated: bool) -> None:
                        self._authenticated = authenticated
                        self._auth = AuthService()
                        self._auth_service = self._auth
                        self._router = APIRouter()
                        self._app = FastAPI()
                    def is_authenticated(self) -> bool:
                        return self._authenticated
                    def serve(self) -> None:
                        from svc.routes import register_routes
                        register_routes(self)
                        self._app.include_router(self._router, prefix="/api")
                    async def list_models(self):
                        return []
                    async def create_message(self):
                        return {}
            """,
            "svc/routes.py": """
                from typing import TYPE_CHECKING
                from fastapi import Security
                from svc.auth import AuthService
                if TYPE_CHECKING:
                    from svc.restful_api import RESTfulAPI
                async def get_status():
                    return {}
                async def reveal_key(key_id: str):
                    return {}
                def register_routes(api: "RESTfulAPI") -> None:
                    router = api._router
                    auth = api._auth_service
                    keys: AuthService = api._app.state.keys
                    is_auth = api.is_authenticated()
                    router.add_api_route("/status", get_status, methods=["GET"])
                    router.add_api_route(
                        "/v1/models", api.list_models, methods=["GET"],
                        dependencies=([Security(auth, scopes=["models:list"])] if is_auth else None),
                    )
                    router.add_api_route("/v1/keys/{key_id}", reveal_key, dependencies=[Security(keys)])
                    for path in ("/v1/messages", "/anthropic/v1/messages"):
                        router.add_api_route(path, api.create_message, methods=["POST"])
            """,
        },
    )
    index = _index(root)
    assert {(e.function.qualname, e.path, e.prefix_known) for e in index.endpoints} == {
        ("svc.routes.get_status", "/api/status", True),
        ("svc.restful_api.RESTfulAPI.list_models", "/api/v1/models", True),
        ("svc.routes.reveal_key", "/api/v1/keys/{key_id}", True),
        # one route per path of the literal the loop runs over
        ("svc.restful_api.RESTfulAPI.create_message", "/api/v1/messages", True),
        ("svc.restful_api.RESTfulAPI.create_message", "/api/anthropic/v1/messages", True),
    }
    guards = {e.function.name: [d.function.qualname for d in index.dependencies(e)] for e in index.endpoints}
    assert guards == {
        "get_status": [],
        "list_models": ["svc.auth.AuthService.__call__"],
        "reveal_key": ["svc.auth.AuthService.__call__"],
        "create_message": [],
    }


def test_router_included_into_an_application_an_object_was_handed(write) -> None:
    """`self.app = app` from a parameter, then `self.app.include_router(...)`: the application
    cannot be named, but the inclusion's prefix still applies."""
    root = _files(
        write,
        {
            "bot/__init__.py": "",
            "bot/items.py": ITEMS,
            "bot/server.py": """
                from fastapi import FastAPI
                from bot.items import router
                class ApiServer:
                    def __init__(self, app: FastAPI) -> None:
                        self.app = app
                    def configure(self) -> None:
                        self.app.include_router(router, prefix="/api/v1")
            """,
        },
    )
    assert _paths(_index(root)) == {("list_items", "/api/v1/items", True)}


def test_a_name_resolves_to_the_router_a_subclass_keeps_once_it_is_found(write) -> None:
    """`resolve` keeps its answers, but the router a subclass keeps is found late (when a router
    is looked up): a name asked for before then is answered again, through the module found by
    its suffix (`views` for `app.views`)."""
    root = _files(
        write,
        {
            "app/__init__.py": "",
            "app/views.py": """
                from fastapi import APIRouter
                class BaseViews:
                    def __init__(self) -> None:
                        self.router = APIRouter()
                class ItemViews(BaseViews):
                    pass
            """,
        },
    )
    index = _index(root)
    assert index.resolve("views.ItemViews.router") == "views.ItemViews.router"
    assert index.router("app.views.ItemViews.router") is not None
    assert index.resolve("views.ItemViews.router") == "app.views.ItemViews.router"


def test_the_parameters_a_named_dependency_fills(write) -> None:
    """`EndpointIndex.injected`: `Depends(dep)` and `Security(dep, ...)`, in a default or in
    `Annotated[...]`; not `Depends()` (the class of the annotation is the dependency), nor the
    markers of request data."""
    root = _files(
        write,
        {
            "app/__init__.py": "",
            "app/main.py": """
                from typing import Annotated
                from fastapi import Depends, FastAPI, Query, Security
                from app.auth import User, current_user, scheme
                app = FastAPI()
                class Pager:
                    def __init__(self, page: int = 1) -> None:
                        self.page = page
                @app.get("/items")
                def items(user: User = Depends(current_user), q: str = Query(""),
                          token: Annotated[str, Security(scheme, scopes=["items"])] = "",
                          pager: Pager = Depends()):
                    return []
            """,
            "app/auth.py": """
                class User: ...
                def current_user() -> User: ...
                def scheme() -> str: ...
            """,
        },
    )
    index = _index(root)
    function, _ = index.functions["app.main.items"]
    assert [(param.name, annotation.name if annotation else None, dependency)
            for param, annotation, dependency in index.injected(function)] == [
        ("user", "app.auth.User", "app.auth.current_user"),
        ("token", "builtins.str", "app.auth.scheme"),
    ]
