"""A stdlib socket client (SMTP, HTTP, FTP, IMAP, POP3, a socket) made without a timeout."""

from __future__ import annotations

from typing import ClassVar

from rules.io_timeouts._scan import CONNECTION, TimeoutScan


class ConnectionWithoutTimeout(TimeoutScan):
    """A stdlib network client is created without a timeout, so connecting and each command can wait forever.

    ## What it does
    Flags, in application code, `smtplib.SMTP`, `SMTP_SSL` and `LMTP`,
    `http.client.HTTPConnection` and `HTTPSConnection`, `ftplib.FTP` and `FTP_TLS`,
    `imaplib.IMAP4` and `IMAP4_SSL`, `poplib.POP3` and `POP3_SSL`, and
    `socket.create_connection`, created without a `timeout` (by keyword or by position), unless
    the project calls `socket.setdefaulttimeout`. The construction is reported, not each command
    sent through the client: the timeout given there applies to all of them.

    Test code, one-shot code (command-line programs, scripts, `if __name__ == "__main__":`
    blocks, start-up hooks) and migrations are not reported (see RVW411).

    ## Why is this bad?
    These clients take their timeout from the process-wide socket default, which is "none". A
    mail server that accepts the connection and never answers (a greylisting relay, a full
    queue) holds the request or worker sending the mail forever.

    ## Example
    ```python
    def send_reset_email(message):
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port) as server:
            server.send_message(message)
    ```

    ## Use instead
    ```python
    def send_reset_email(message):
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as server:
            server.send_message(message)
    ```

    ## Known problems
    A timeout set after construction (`server.timeout = 10` before `connect()`) and a project's
    own subclasses of these clients are not followed.

    ## Fix safety
    Adds `timeout=<default-timeout>` as the call's last argument. Unsafe: a slow but working
    server now fails with a timeout error its caller may not handle.

    ## Options
    `default-timeout` (seconds, default 30): the timeout the fix adds.
    """

    code = "RVW413"
    name = "connection-without-timeout"
    kinds: ClassVar[frozenset[str]] = frozenset({CONNECTION})
