"""Whether a token's signature is checked where it is read unverified: by a verified decode of
the same token after the read (the read was a peek at the issuer or key id that picks the key),
or before it on every path (verified, then read again without the check), in the same function
or in a function of this module the token is handed to. A signature checked by hand counts:
a `verify(...)` call given the token or parts of it (`key.verify(message, signature)`).

A verification in the `try` whose `except` falls back to the unverified read does not count: it
is exactly the path where the check failed.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.semantics.flow.syntax import body_of, calls_in
from reviewer.syntax import params_of
from rules.jwt_verification._module import argument_of, header_parts, statements_of

if TYPE_CHECKING:
    from rules.jwt_verification._family import JwtFile

MAX_DEPTH = 3


class SignatureChecks:
    def __init__(self, file: JwtFile) -> None:
        self.file = file

    def around(self, function: cst.FunctionDef, statement: cst.CSTNode, token: cst.BaseExpression) -> bool:
        """A check of `token`'s signature runs after `statement`, or before it on every path."""
        text = self.file.code(core(token))
        roots = {id(root) for root in self.file.provenance.roots(token, function)}
        return any(
            self._checks(call, function, text, roots, 0)
            for part in _around(body_of(function), statement)
            for call in calls_in(part)
        )

    def _checks(self, call: cst.Call, function: cst.FunctionDef, text: str, roots: set[int], depth: int) -> bool:
        reading = self.file.readings_by_call.get(id(call))
        if reading is not None:
            token = reading.jwt.token
            return reading.jwt.verifies_signature and token is not None and self._same(token, function, text, roots)
        func = call.func
        name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
        if name == "verify" and any(self._same(arg.value, function, text, roots, parts=True) for arg in call.args):
            return True
        target = self.file.functions.local_function(func, function)
        if target is None or target is function or depth >= MAX_DEPTH:
            return False
        for param in params_of(target):
            arg = argument_of(call, target, param)
            if arg is None or not self._same(arg.value, function, text, roots):
                continue
            if self._verifies(target, param, depth):
                return True
        return False

    def _same(
        self, node: cst.BaseExpression, function: cst.FunctionDef, text: str, roots: set[int], parts: bool = False
    ) -> bool:
        """The same token (as written, give or take an `.encode()`), or, for `parts`, something
        made from it."""
        if self.file.code(core(node)) == text:
            return True
        return parts and any(id(root) in roots for root in self.file.provenance.roots(node, function))

    def _verifies(self, function: cst.FunctionDef, param: cst.Param, depth: int) -> bool:
        """`function` checks the signature of what it is passed for `param`."""
        roots = {id(param)}
        return any(
            self._checks(call, function, param.name.value, roots, depth + 1)
            for _, part in statements_of(body_of(function))
            for call in calls_in(part)
        )


def core(node: cst.BaseExpression) -> cst.BaseExpression:
    """A token without the wrapping that does not change it: `token.encode()`, `str(token)`."""
    while isinstance(node, cst.Call):
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value in ("encode", "decode", "strip") and not node.args:
            node = func.value
        elif isinstance(func, cst.Name) and func.value in ("str", "bytes") and len(node.args) == 1:
            node = node.args[0].value
        else:
            break
    return node


def _around(body: Sequence[cst.CSTNode], statement: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The statement, what follows it in its block, and what runs before it on every path."""
    path = _path(body, statement)
    if path is None:
        return
    block, index = path[-1]
    for _, part in statements_of(block[index:]):
        yield part
    for block, index in path:
        for earlier in block[:index]:
            yield from _always(earlier)


def _always(statement: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The parts of a statement that run whenever it does: a simple statement, a compound
    statement's header, the body of a `try` (up to its first failure) or a `with`."""
    if isinstance(statement, cst.SimpleStatementLine):
        yield statement
        return
    yield from header_parts(statement)
    if isinstance(statement, (cst.Try, cst.With)) and isinstance(statement.body, cst.IndentedBlock):
        for inner in statement.body.body:
            yield from _always(inner)


def _path(body: Sequence[cst.CSTNode], target: cst.CSTNode) -> list[tuple[Sequence[cst.CSTNode], int]] | None:
    """The blocks from `body` down to the one holding `target`, each with the index of the
    statement that leads there."""
    for index, statement in enumerate(body):
        if statement is target:
            return [(body, index)]
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef, cst.SimpleStatementLine)):
            continue
        for block in _inner_blocks(statement):
            found = _path(block, target)
            if found is not None:
                return [(body, index), *found]
    return None


def _inner_blocks(statement: cst.CSTNode) -> Iterator[Sequence[cst.CSTNode]]:
    for name in ("body", "orelse", "finalbody"):
        part = getattr(statement, name, None)
        if isinstance(part, cst.If):
            yield (part,)
        elif isinstance(part, (cst.Else, cst.Finally)) and isinstance(part.body, cst.IndentedBlock):
            yield part.body.body
        elif isinstance(part, cst.IndentedBlock):
            yield part.body
    for inner in (*getattr(statement, "handlers", ()), *getattr(statement, "cases", ())):
        if isinstance(inner.body, cst.IndentedBlock):
            yield inner.body.body
