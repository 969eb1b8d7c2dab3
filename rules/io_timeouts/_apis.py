"""What each HTTP and socket client library does when no timeout is given: data, by qualified name.

- requests has no default timeout at all: `requests.get(url)` and `Session().get(url)` wait
  forever, and `socket.setdefaulttimeout` does not help (requests hands urllib3 an explicit
  "no timeout"). A `Session` has no timeout setting (`session.timeout = 5` does nothing); only
  code that injects one does: a subclass overriding `request`/`send`, a mounted `HTTPAdapter`
  subclass overriding `send`, or `session.request = functools.partial(session.request, timeout=...)`.
  A plain `HTTPAdapter(max_retries=...)` sets retries, not timeouts.
- urllib.request and the stdlib socket clients (smtplib, http.client, ftplib, imaplib, poplib,
  `socket.create_connection`) use the process-wide socket default, which is "wait forever"
  unless the program calls `socket.setdefaulttimeout`.
- httpx has a 5 s default; only `timeout=None` (or a `Timeout` whose read timeout is `None`)
  turns it off, on the client or on one call.
- aiohttp 3 bounds a session at 300 s total; `timeout=None` on one call, or a `ClientTimeout`
  with neither `total` nor `sock_read` (its fields default to `None`), turns it off.
"""

from __future__ import annotations

HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")

# requests' functions: `timeout` is a keyword argument only (they take `**kwargs`).
REQUESTS_FUNCTIONS = frozenset(
    {f"requests.{verb}" for verb in HTTP_VERBS} | {f"requests.api.{verb}" for verb in HTTP_VERBS}
)

REQUESTS_SESSION = "requests.Session"
HTTPX_CLIENT = "httpx.Client"
AIOHTTP_SESSION = "aiohttp.ClientSession"
URLLIB_OPENER = "urllib.request.OpenerDirector"

# Calling one of these makes a client object of the type named.
CONSTRUCTORS: dict[str, str] = {
    "requests.Session": REQUESTS_SESSION,
    "requests.session": REQUESTS_SESSION,
    "requests.sessions.Session": REQUESTS_SESSION,
    "requests.sessions.session": REQUESTS_SESSION,
    "httpx.Client": HTTPX_CLIENT,
    "httpx.AsyncClient": HTTPX_CLIENT,
    "aiohttp.ClientSession": AIOHTTP_SESSION,
    "aiohttp.client.ClientSession": AIOHTTP_SESSION,
    "urllib.request.build_opener": URLLIB_OPENER,
    "urllib.request.OpenerDirector": URLLIB_OPENER,
}
# Annotations naming a client type (`session: requests.Session`).
ANNOTATIONS: dict[str, str] = {
    "requests.Session": REQUESTS_SESSION,
    "requests.sessions.Session": REQUESTS_SESSION,
    "httpx.Client": HTTPX_CLIENT,
    "httpx.AsyncClient": HTTPX_CLIENT,
    "aiohttp.ClientSession": AIOHTTP_SESSION,
    "aiohttp.client.ClientSession": AIOHTTP_SESSION,
    "urllib.request.OpenerDirector": URLLIB_OPENER,
}
# `requests.Session` and the libraries' subclasses of it that add no default timeout: a class
# deriving from one of them (or an instance of one) is a session.
SESSION_BASES = frozenset({
    "requests.Session", "requests.sessions.Session",
    "requests_oauthlib.OAuth2Session", "requests_oauthlib.oauth2_session.OAuth2Session",
    "requests_oauthlib.OAuth1Session", "requests_oauthlib.oauth1_session.OAuth1Session",
    "requests_toolbelt.sessions.BaseUrlSession", "requests_cache.CachedSession",
    "requests_cache.session.CachedSession",
})
HTTP_ADAPTERS = frozenset({"requests.adapters.HTTPAdapter", "requests.HTTPAdapter"})
# Methods of a session subclass (or an adapter subclass) through which every request passes: an
# override that handles `timeout` injects a default.
INJECTING_METHODS = frozenset({"request", "send"})

# Each client type's methods that make a request, and the position `timeout` may be passed at
# (None: keyword only).
REQUEST_METHODS: dict[str, dict[str, int | None]] = {
    REQUESTS_SESSION: {**dict.fromkeys(HTTP_VERBS[:-1]), "request": 8, "send": None},
    HTTPX_CLIENT: {**dict.fromkeys(HTTP_VERBS), "stream": None, "build_request": None},
    AIOHTTP_SESSION: dict.fromkeys(HTTP_VERBS),
    URLLIB_OPENER: {"open": 2},
}
HTTPX_FUNCTIONS = frozenset({f"httpx.{verb}" for verb in (*HTTP_VERBS, "stream")})
AIOHTTP_FUNCTIONS = frozenset({"aiohttp.request", "aiohttp.client.request"})
HTTPX_TIMEOUTS = frozenset({"httpx.Timeout", "httpx._config.Timeout"})
AIOHTTP_TIMEOUTS = frozenset({"aiohttp.ClientTimeout", "aiohttp.client.ClientTimeout"})

# urllib.request: the position of `timeout`; `urlretrieve` takes none at all.
URLLIB_FUNCTIONS: dict[str, int | None] = {
    "urllib.request.urlopen": 2,
    "urllib.request.urlretrieve": None,
}

# Stdlib clients that connect on construction (or keep the timeout for `connect()`), and the
# position of `timeout` in the oldest signature still supported (3.10): more positional
# arguments than that pass one.
CONNECTIONS: dict[str, int] = {
    "smtplib.SMTP": 3,
    "smtplib.SMTP_SSL": 5,
    "smtplib.LMTP": 4,
    "http.client.HTTPConnection": 2,
    "http.client.HTTPSConnection": 4,
    "ftplib.FTP": 4,
    "ftplib.FTP_TLS": 7,
    "imaplib.IMAP4": 2,
    "imaplib.IMAP4_SSL": 5,
    "poplib.POP3": 2,
    "poplib.POP3_SSL": 4,
    "socket.create_connection": 1,
}

SET_SOCKET_DEFAULT = "socket.setdefaulttimeout"
PARTIAL = frozenset({"functools.partial"})

# The packages a file must mention for any of these rules to find something in it.
PACKAGES = ("requests", "httpx", "aiohttp", "urllib", "smtplib", "http.client", "from http import", "ftplib",
            "imaplib", "poplib", "socket")
