"""What holds the whole of what a client sent, and where it goes whole.

A webhook's signature is computed over the exact bytes (or, as Twilio signs, every form field):
only a call given the whole body and a request header checks a signature, not one given a field
parsed out of it (`project_id = json.loads(body)["project_id"]` next to an `x-agent-id` header is
an ordinary lookup). A proxy hands the whole body on as the payload of an outbound HTTP request
(`client.post(url, content=body)`): the service it is for validates it.

Data handed to the repository's helpers is followed the same way: a helper that validates what
it is given validates the body, or a body parameter, only when it is given the whole of it.

The whole body is a read call itself (`await request.body()`, `await request.form()`), a variable
bound to one, or one seen through conversions that keep every byte or field: `dict(...)`,
`str(...)`, `bytes(...)`, `.decode()`, `.items()`, `.copy()`, a comprehension over it, a dict
display that unpacks it (`{**defaults, **data}`). A subscript, `.get(...)`, a string built from
it, or a parser's result is a part or a new value, not the body.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from reviewer import lazy_cst as cst

Qualify = Callable[["cst.BaseExpression"], "str | None"]
T = TypeVar("T")

WHOLE_CONVERSIONS = frozenset({"dict", "str", "bytes"})
WHOLE_METHODS = frozenset({"decode", "items", "copy"})
# How an outbound request is sent (`httpx.AsyncClient.post`, `session.request`,
# `client.stream("POST", ...)`), and the keywords that carry its payload.
SENDING_METHODS = frozenset({"post", "put", "patch", "request", "stream", "send", "build_request"})
HTTP_CLIENT_PACKAGES = ("httpx.", "requests.", "aiohttp.")
PAYLOAD_KEYWORDS = frozenset({"content", "data", "json", "body"})


def whole_in(node: cst.BaseExpression, reads: Mapping[int, object], whole: Mapping[str, set[T]]) -> set[T | int]:
    """What `node` holds the whole of: reads (ids of their call nodes, keys of `reads`), and what
    `whole` says each variable holds (reads, or parameters)."""
    while True:
        if isinstance(node, cst.Await):
            node = node.expression
        elif isinstance(node, cst.Name):
            return set(whole.get(node.value, ()))
        elif isinstance(node, (cst.DictComp, cst.ListComp, cst.SetComp, cst.GeneratorExp)):
            found: set[T | int] = set()
            comprehension: cst.CompFor | None = node.for_in
            while comprehension is not None:
                found |= whole_in(comprehension.iter, reads, whole)
                comprehension = comprehension.inner_for_in
            return found
        elif isinstance(node, cst.Dict):
            unpacked: set[T | int] = set()
            for element in node.elements:
                if isinstance(element, cst.StarredDictElement):
                    unpacked |= whole_in(element.value, reads, whole)
            return unpacked
        elif isinstance(node, cst.Call):
            if id(node) in reads:
                return {id(node)}
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value in WHOLE_METHODS:
                node = func.value
            elif node.args and isinstance(func, cst.Name) and func.value in WHOLE_CONVERSIONS:
                node = node.args[0].value
            else:
                return set()
        else:
            return set()


def forwarded_reads(
    call: cst.Call, reads: Mapping[int, object], whole: Mapping[str, set[int]], qualify: Qualify
) -> set[int]:
    """The reads an outbound HTTP request sends on whole as its payload."""
    func = call.func
    callee = qualify(func) or ""
    sends = callee.startswith(HTTP_CLIENT_PACKAGES) or (
        isinstance(func, cst.Attribute) and func.attr.value in SENDING_METHODS)
    if not sends:
        return set()
    found: set[int] = set()
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value in PAYLOAD_KEYWORDS:
            found |= whole_in(arg.value, reads, whole)
    return found
