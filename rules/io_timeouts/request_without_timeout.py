"""An HTTP request made with a library that has no default timeout, without one."""

from __future__ import annotations

from typing import ClassVar

from rules.io_timeouts._scan import MISSING, TimeoutScan


class RequestWithoutTimeout(TimeoutScan):
    """An HTTP request through `requests` or `urllib.request` has no timeout, so it can wait forever.

    ## What it does
    Flags, in application code, HTTP requests made without a timeout through the libraries that
    have no default one:
    - `requests.get/post/put/patch/delete/head/options/request(...)`;
    - the same methods (and `send`) of a `requests.Session`, however it is held: a local, a
      `with` target, a `self.session` attribute set in any method, a module-level session, an
      annotated parameter, what a function of the project returns (in any module); also
      sessions of the project's own `requests.Session` subclasses (in any module) and of
      `requests_oauthlib`/`requests_toolbelt`/`requests_cache` sessions;
    - `urllib.request.urlopen(...)`, an opener's `open(...)` and `urlretrieve(...)` (which cannot
      take a timeout), unless the project calls `socket.setdefaulttimeout`.

    A wrapper that hands its own `**kwargs` to such a request, and never mentions a timeout, is
    reported at that request when some of its calls in the module pass no `timeout=`.

    A session counts as having a timeout when one is injected into it: a subclass overriding
    `request` or `send` with code that handles `timeout`, an `HTTPAdapter` subclass doing so in
    `send` mounted on it, or `session.request = functools.partial(session.request, timeout=...)`.
    A plain `HTTPAdapter(max_retries=...)` sets retries, not a timeout, and `session.timeout = 5`
    sets an attribute requests never reads: such sessions are still reported.

    Not reported: test code (test files, `unittest.TestCase` classes, modules only tests import
    that register nothing), one-shot code (command-line programs, modules of `scripts/`, `tools/`
    and `bin/` directories the application does not import, `if __name__ == "__main__":`
    blocks, start-up hooks, see `reviewer.semantics.serving`), migrations, functions of a script
    that only its top-level code calls, and calls made at import time. A long-lived worker (a
    task queue's job, a connector) is not one-shot: its calls are reported.

    ## Why is this bad?
    requests never times out by default, and `socket.setdefaulttimeout` does not change that. An
    upstream that accepts the connection and never answers holds the calling worker thread or
    request forever; a few of them exhaust the pool and the service stops answering.

    ## Example
    ```python
    def fetch_rates():
        return requests.get(RATES_URL).json()

    class Billing:
        def __init__(self):
            self.session = requests.Session()
            self.session.mount("https://", HTTPAdapter(max_retries=3))

        def invoice(self, invoice_id):
            return self.session.get(f"{BILLING}/invoices/{invoice_id}")
    ```

    ## Use instead
    ```python
    def fetch_rates():
        return requests.get(RATES_URL, timeout=settings.http_timeout).json()

    class Billing:
        def invoice(self, invoice_id):
            return self.session.get(f"{BILLING}/invoices/{invoice_id}", timeout=(3.05, 30))
    ```

    ## Known problems
    A call passing `**kwargs` (or `*args`) may carry the timeout. It is reported only when they
    are its function's own `**kwargs` (a wrapper: `def get(self, url, **kwargs): return
    self.session.get(url, **kwargs)`), the wrapper never mentions a timeout, and some of its
    calls in the same module pass none; its callers in other modules are not followed. A
    session held by an object whose class the module cannot see (an attribute of a parameter)
    is not followed, nor a module that names none of the client libraries (it is not walked,
    for speed: a session it only gets from another module's function is missed there). A
    session handed in as a parameter is reported only when the project injects timeouts into
    no session at all. A timeout variable whose value is `None` is not followed. Start-up code
    the serving model cannot see as such (a class instantiated by name at import time) is
    reported.

    ## Fix safety
    Adds `timeout=<default-timeout>` as the call's last argument, for calls without `**kwargs`
    (a wrapper gets no fix: its default belongs in its `kwargs`).
    Unsafe: a request that legitimately takes longer (a large download, a slow report) now fails
    with a timeout error its caller may not handle.

    ## Options
    `default-timeout` (seconds, default 30): the timeout the fix adds.
    """

    code = "RVW411"
    name = "request-without-timeout"
    kinds: ClassVar[frozenset[str]] = frozenset({MISSING})
