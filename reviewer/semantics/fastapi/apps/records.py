"""The vocabulary of the application model (application classes, security headers, names that
say a thing throttles) and its plain records: `AppDecl` (an application created), `MiddlewareUse`
(a middleware registered), `AppModuleFacts` (what `AppFacts` records per file, stored in the
module summary and pickled with it) and `App` (an application over the repository).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from reviewer.model import Span

FACTS_KEY = "apps"
HSTS = "Strict-Transport-Security"
CSP = "Content-Security-Policy"
XCTO = "X-Content-Type-Options"
XFO = "X-Frame-Options"
SECURITY_HEADERS = (HSTS, CSP, XCTO, XFO)
ALL_HEADERS = frozenset(SECURITY_HEADERS)
# Packages that set security headers for an application (`secure.Secure().framework.fastapi(...)`).
HEADER_PACKAGES = ("secure.", "fastapi_security_headers.", "starlette_securityheaders.", "fastapi_security_middleware.")
# A name that says it limits request rates (a limiter, a throttle, a rate-limit exception).
THROTTLE_NAME = re.compile(r"rate_?limit|throttl|too_?many_?requests|limiter\b|limiter$|slowapi", re.IGNORECASE)
MAX_HOPS = 2  # calls followed from a middleware or endpoint for headers set, throttling or effects


@dataclass(frozen=True)
class AppDecl:
    key: str  # the variable holding it (`pkg.main.app`, `pkg.main.create_app.<locals>.app`)
    factory: str
    path: str
    span: Span
    statement_lines: tuple[int, int] | None
    middleware: tuple[str, ...] = ()  # classes of `middleware=[Middleware(Cls), ...]`


@dataclass(frozen=True)
class MiddlewareUse:
    owner: str | None  # the application (or a parameter `param:<function>:<position>`), None: unknown
    kind: str  # class, function
    target: str  # qualified class or function
    path: str


@dataclass
class AppModuleFacts:
    module: str
    path: str
    apps: list[AppDecl] = field(default_factory=list)
    middleware: list[MiddlewareUse] = field(default_factory=list)
    # (callee, position, owner): an application handed to a function (`setup(app)`).
    handoffs: list[tuple[str, int, str]] = field(default_factory=list)
    returns: dict[str, str] = field(default_factory=dict)  # function -> the application it returns
    made_by: dict[str, str] = field(default_factory=dict)  # `app = create_app()`: key -> callee
    headers: dict[str, frozenset[str]] = field(default_factory=dict)  # function or class -> headers named
    constants: dict[str, frozenset[str]] = field(default_factory=dict)  # module constant -> headers in it
    constant_reads: dict[str, tuple[str, ...]] = field(default_factory=dict)  # function -> constants it reads
    throttles: set[str] = field(default_factory=set)  # functions or classes with evidence of throttling
    limiters: dict[str, bool] = field(default_factory=dict)  # slowapi Limiter -> has default limits
    fastapi_users: list[tuple[str | None, str, Span, tuple[int, int] | None]] = field(default_factory=list)
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)  # class -> credential-like fields
    html: bool = False  # renders templates or HTML responses, or serves static files



@dataclass(frozen=True)
class App:
    decl: AppDecl
    mounted_in: tuple[str, ...]  # applications it is mounted in (`parent.mount(path, app)`)
    mounted_unknown: bool  # mounted under something the model does not resolve


def header_names(headers: Iterable[str]) -> list[str]:
    """Headers in the order the checklist names them."""
    wanted = set(headers)
    return [name for name in SECURITY_HEADERS if name in wanted]

