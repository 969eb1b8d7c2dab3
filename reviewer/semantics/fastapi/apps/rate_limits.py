"""`RateLimitModel`, the rate-limit and authentication-endpoint questions, built on `AppModel`:
what limits the rate of requests to an endpoint (`rate_limit`: a slowapi decorator, a throttling
dependency, a function that answers 429, a limiting middleware; `throttling_middleware`), and what
shows an endpoint authenticates a client (`effects` of its functions: issues a token or cookie,
sends an email, verifies a password; `model_fields`, the credential-like fields of its request
model; `on_router_class`; the fastapi-users routers included). `repo.facts(AppFacts)` is one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from reviewer.model import Span
from reviewer.semantics.fastapi.apps.model import AppModel
from reviewer.semantics.fastapi.apps.records import MAX_HOPS, THROTTLE_NAME, MiddlewareUse

if TYPE_CHECKING:
    from reviewer.facts import RepositoryView
    from reviewer.semantics.fastapi.index import Endpoint

SLOWAPI_MIDDLEWARE = frozenset(
    {
        "slowapi.middleware.SlowAPIMiddleware",
        "slowapi.middleware.SlowAPIASGIMiddleware",
        "slowapi.SlowAPIMiddleware",
    }
)
_UNSET = object()  # a memo not filled yet


class RateLimitModel(AppModel):
    """The application model, with what limits the rate of requests to endpoints and what tells
    an authentication endpoint."""

    def __init__(self, repo: RepositoryView) -> None:
        super().__init__(repo)
        self.throttles: set[str] = set()
        self._throttles_memo: dict[str, bool] = {}
        self._owners: dict[str | None, list[str | None]] | None = None
        self._throttling_middleware: object = _UNSET
        self.limiters: dict[str, bool] = {}
        self.fields: dict[str, tuple[str, ...]] = {}
        for facts in self._facts:
            self.throttles |= facts.throttles
            self.limiters.update(facts.limiters)
            self.fields.update(facts.fields)

    # what middleware does -----------------------------------------------------------------------

    def throttles_by(self, use: MiddlewareUse) -> bool:
        target = self._canonical(use.target)
        if target not in self._throttles_memo:
            self._throttles_memo[target] = self._middleware_throttles(target)
        return self._throttles_memo[target]

    def _middleware_throttles(self, target: str) -> bool:
        if target in SLOWAPI_MIDDLEWARE:
            return any(self.limiters.values())
        if target not in self._functions and target not in self._classes:
            return bool(THROTTLE_NAME.search(target.rpartition(".")[2]))
        return bool(self._reached(target, lambda name: frozenset({"429"}) if name in self.throttles else frozenset()))

    def throttling_middleware(self) -> str | None:
        """A middleware, registered anywhere, that limits request rates (a conservative answer
        for every endpoint: which application it wraps is not always known); found once."""
        if self._throttling_middleware is _UNSET:
            self._throttling_middleware = next(
                (use.target.rpartition(".")[2] for use in self.middleware if self.throttles_by(use)), None
            )
        return self._throttling_middleware  # type: ignore[return-value]

    # endpoints ---------------------------------------------------------------------------------

    def rate_limit(self, endpoint: Endpoint) -> str | None:
        """What limits the rate of requests to `endpoint`, named for a report (`slowapi
        @limiter.limit`, `RateLimiter dependency`, `throttle_login`, `RateLimitMiddleware`), or
        None when the code shows nothing (a proxy or gateway may still limit it)."""
        function = endpoint.function
        for decorator in function.decorators:
            head, _, last = decorator.rpartition(".")
            limiter = self._canonical(head) in self.limiters or "limit" in head.lower()
            if last in ("limit", "shared_limit") and limiter:
                return f"{decorator.rsplit('.', 2)[-2] if head else ''}.{last}".lstrip(".")
            if THROTTLE_NAME.search(last):
                return last
        names = [*endpoint.dependencies]
        for param in function.params:
            _, marker = self.index.markers_of(param)
            if marker is not None and marker.dependency:
                names.append(marker.dependency)
        for name in names:
            short = name.rstrip("()").rpartition(".")[2]
            if THROTTLE_NAME.search(name.rstrip("()")):
                return f"{short} dependency"
        for dependency in self.index.dependencies(endpoint):
            if self._throttles(dependency.function.qualname):
                return f"{dependency.function.name} dependency"
        if self._throttles(function.qualname):
            return f"{function.name} (throttles itself)"
        if any(self.limiters.values()) and any(
            self._canonical(use.target) in SLOWAPI_MIDDLEWARE for use in self.middleware
        ):
            return "slowapi default_limits"
        return self.throttling_middleware()

    def _throttles(self, qualname: str) -> bool:
        """Whether a function (or what it calls) answers 429; once per function."""
        key = f"function:{qualname}"
        if key not in self._throttles_memo:
            self._throttles_memo[key] = bool(
                self._reached(qualname, lambda name: frozenset({"429"}) if name in self.throttles else frozenset())
            )
        return self._throttles_memo[key]

    def effects(self, qualname: str) -> set[str]:
        """What a function does that an authentication endpoint does, through the calls it
        makes up to `MAX_HOPS` away: `token` (issues a token or session), `cookie` (sets one),
        `email` (sends a message), `verify` (checks a password or one-time code)."""
        found: set[str] = set()
        frontier, seen = [qualname], {qualname}
        for _ in range(MAX_HOPS + 1):
            following = []
            for name in frontier:
                summary = self._functions.get(name)
                for call in summary.calls if summary is not None else ():
                    found |= _call_effects(call.text or "", call.target or "")
                    if call.target is None:
                        continue
                    callee = self._canonical(call.target)
                    if callee not in seen and callee in self._functions:
                        seen.add(callee)
                        following.append(callee)
            frontier = following
        return found

    def on_router_class(self, endpoint: Endpoint) -> bool:
        """Whether the endpoint is registered on an instance of a router class the repository
        defines (whose `__init__` may add dependencies the model does not see)."""
        if self._owners is None:
            self._owners = {}
            for function, owner in self.routes():
                self._owners.setdefault(function, []).append(owner)
        for owner in self._owners.get(endpoint.function.qualname, ()):
            router = self.index.router(owner)
            if router is not None and router.factory and self._canonical(router.factory) in self._classes:
                return True
        return False

    def model_fields(self, name: str | None, depth: int = 0) -> tuple[str, ...]:
        """The credential-like fields of a class and the classes it derives from."""
        if name is None or depth > 8:
            return ()
        resolved = self._canonical(name)
        own = self.fields.get(resolved, ())
        inherited = tuple(f for base in self._classes.get(resolved, ()) for f in self.model_fields(base, depth + 1))
        return own + inherited

    def fastapi_users_routers(self) -> Iterable[tuple[str, str, Span, tuple[int, int] | None, frozenset[str]]]:
        """fastapi-users routers included: (path, kind, span, statement lines, applications)."""
        served = self.served_routers()
        for facts in self._facts:
            for owner, kind, span, lines in facts.fastapi_users:
                resolved = self.index.resolve(owner) or owner or ""
                yield facts.path, kind, span, lines, frozenset(served.get(resolved, ()))


_TOKEN_CALL = re.compile(
    r"(?:create|generate|issue|encode|make|mint|sign|new)_?\w*(?:token|jwt|session)|jwt\.encode$|\bencode_jwt"
    r"|(?:^|\.)login(?:_user)?$|write_token$",
    re.IGNORECASE,
)
# Checks a credential the client sent: a password against its hash, a one-time code.
_VERIFY_CALL = re.compile(
    r"(?:verify|check)_?(?:password|passwd|otp|totp|mfa|one_time_code)$|authenticate(?:_user)?$", re.IGNORECASE
)
_EMAIL_CALL = re.compile(r"send\w*(?:mail|email|magic|link|reset|verification|otp)", re.IGNORECASE)


def _call_effects(text: str, target: str) -> set[str]:
    found = set()
    last = text.rpartition(".")[2]
    if last == "set_cookie":
        found.add("cookie")
    if _TOKEN_CALL.search(text) or target in ("jwt.encode", "jose.jwt.encode"):
        found.add("token")
    if _EMAIL_CALL.search(last):
        found.add("email")
    if _VERIFY_CALL.match(last):
        found.add("verify")
    return found

