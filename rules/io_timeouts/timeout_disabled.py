"""A client's timeout switched off: `timeout=None`, `httpx.Timeout(None)`, `ClientTimeout(total=None)`."""

from __future__ import annotations

from typing import Any, ClassVar

from rules.io_timeouts._scan import DISABLED, TimeoutScan


class TimeoutDisabled(TimeoutScan):
    """An outbound call or client has its timeout switched off, so it can wait forever.

    ## What it does
    Flags, in application code, the places where a timeout is explicitly turned off:
    - `httpx.Client(timeout=None)` / `httpx.AsyncClient(timeout=None)`: reported once, at the
      construction, not at each request of the client;
    - `httpx.Timeout(None)` or any `httpx.Timeout` whose read timeout is `None`
      (`Timeout(None, connect=5)`);
    - `aiohttp.ClientTimeout(...)` bounding neither `total` nor `sock_read` (in aiohttp 3 every
      field defaults to `None`: `ClientTimeout(connect=10)` bounds only the connection);
    - `timeout=None` (or a `(connect, None)` tuple) passed to an API that has no default
      timeout anyway: `requests` functions and sessions, `urllib.request.urlopen`, the stdlib
      socket clients (`smtplib.SMTP`, `http.client`...).

    Not reported: httpx's default (5 s) and aiohttp's session default (300 s total), which are
    timeouts (`aiohttp.ClientSession(timeout=None)` keeps the default); a single httpx or aiohttp
    call passing `timeout=None`, which opts out of its client's default on purpose (a long poll,
    a payment that must not be abandoned midway, usually bounded by its caller); and a client
    made with `timeout=None` whose every request is a stream (`client.stream(...)`,
    `client.send(request, stream=True)`: a proxy or an event stream, whose silences are
    legitimate). Test code, one-shot code and import-time calls are not reported (see RVW411).

    ## Why is this bad?
    A request without a timeout waits forever on an upstream that accepts the connection and
    never answers, or stops sending halfway. The task or thread waiting on it never finishes;
    enough of them exhaust the worker's connections, threads or memory.

    ## Example
    ```python
    client = httpx.AsyncClient(timeout=None)
    session_timeout = aiohttp.ClientTimeout(total=None)
    ```

    ## Use instead
    ```python
    client = httpx.AsyncClient(timeout=httpx.Timeout(30.0, connect=5.0))
    session_timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=60)
    ```
    A long-lived stream (server-sent events, a change feed) still deserves a read timeout: a
    little above the interval of the server's keep-alive messages, so that a dead connection is
    noticed and reopened.

    ## Known problems
    Only a literal `None` is recognised: a variable, setting or parameter whose value is `None`
    is not followed. `client.timeout = None` set after construction is not reported. A call that
    opts out of an httpx or aiohttp default is not reported even where nothing bounds it.
    """

    code = "RVW412"
    name = "timeout-disabled"
    kinds: ClassVar[frozenset[str]] = frozenset({DISABLED})
    options: ClassVar[dict[str, Any]] = {}
