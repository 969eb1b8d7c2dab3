"""Where a token comes from: the client (a request header or cookie, a parameter FastAPI fills
from the request, a route parameter), the function's caller, or somewhere that vouches for it
(the claims of a token already verified, a token this code just minted, an HTTP response such as
a token endpoint's, the application's own state).

The flow analysis (`reviewer.semantics.flow`) gives the token's trust where the decoding call
receives it: user-controlled, caller-supplied (a parameter of a helper, or what this module's
callers pass a private one) or externally sourced. Two things it leaves unknown are read here
from the function itself: a parameter FastAPI fills through `Depends()`/`Security()` (the bearer
token of a security scheme), and a token taken out of a verified decode's claims or an encoder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.semantics.flow import CALLER, USER
from reviewer.semantics.flow.domain import Domain
from reviewer.semantics.flow.file import flows_for
from reviewer.semantics.flow.syntax import body_of
from reviewer.semantics.flow.trust import Trust
from reviewer.syntax import params_of
from rules.jwt_verification._module import (
    argument_of,
    dependency_of,
    request_parameter,
    statements_of,
)

if TYPE_CHECKING:
    from reviewer.semantics.flow.function import FunctionFlow
    from reviewer.semantics.flow.values import Env
    from rules.jwt_verification._module import ModuleFunctions

REQUEST = "request"
CALLER_SUPPLIED = "caller"


class ArgumentTrust(Domain):
    """A flow domain that notes the trust of every argument, and of every method's receiver,
    of the calls a function makes."""

    def on_call(self, call: cst.Call, env: Env, consumed: set[int]) -> None:
        for arg in call.args:
            self.uses.append((id(arg.value), self.flow.trust(arg.value, env)))
        if isinstance(call.func, cst.Attribute):
            self.uses.append((id(call.func.value), self.flow.trust(call.func.value, env)))


def _argument_trust(flow: FunctionFlow) -> ArgumentTrust:
    return ArgumentTrust(flow)


class Provenance:
    """Token origins in one module."""

    def __init__(
        self,
        functions: ModuleFunctions,
        vouching: Callable[[cst.Call, cst.FunctionDef], bool],
        verifies_in: Callable[[cst.FunctionDef], bool],
    ) -> None:
        self.functions = functions
        # Whether a function verifies a token's signature somewhere in its body.
        self.verifies_in = verifies_in
        # Whether a call yields something that vouches for what is read out of it: a verified
        # decode, an encoder.
        self.vouching = vouching
        self._trusts: dict[int, dict[int, Trust]] = {}
        self._assignments: dict[int, dict[str, list[cst.BaseExpression]]] = {}

    def of(self, token: cst.BaseExpression, function: cst.FunctionDef, depth: int = 0) -> str | None:
        """REQUEST, CALLER_SUPPLIED, or None when something vouches for the token or its origin
        is not known. A token a parameter brings is followed to what this module's callers pass."""
        roots = list(self.roots(token, function))
        if any(isinstance(root, cst.Call) and self.vouching(root, function) for root in roots):
            return None
        resolver = self.functions.resolver(function)
        if any(
            isinstance(root, cst.Param) and request_parameter(root, resolver) and not self._verified_dependency(root)
            for root in roots
        ):
            return REQUEST
        trust = self.trust(token, function)
        if trust is not None and trust.untrusted and trust.origin == USER:
            return REQUEST
        params = [root for root in roots if isinstance(root, cst.Param)]
        if params and depth < 3:
            for site in self.functions.call_sites(function):
                for param in params:
                    arg = argument_of(site.call, function, param)
                    if arg is not None and self.of(arg.value, site.caller, depth + 1) == REQUEST:
                        return REQUEST
        if trust is not None and trust.untrusted and trust.origin == CALLER:
            return CALLER_SUPPLIED
        return None

    def _verified_dependency(self, param: cst.Param) -> bool:
        """`token: str = Depends(verified_token)`, with `verified_token` a function of this module
        that verifies the token it returns."""
        target = dependency_of(param)
        dependency = self.functions.module_functions.get(target.value) if isinstance(target, cst.Name) else None
        return dependency is not None and self.verifies_in(dependency)

    def trust(self, node: cst.BaseExpression, function: cst.FunctionDef) -> Trust | None:
        """The flow analysis's trust of `node`, an argument or a method's receiver in `function`."""
        key = id(function)
        if key not in self._trusts:
            place = self.functions.places.get(key)
            if place is None:
                return None
            flows = flows_for(self.functions.context, _argument_trust)
            self._trusts[key] = dict(flows.function_uses(list(place.functions), list(place.classes)))
        return self._trusts[key].get(id(node))

    def roots(self, node: cst.BaseExpression, function: cst.FunctionDef, depth: int = 0) -> Iterator[cst.CSTNode]:
        """What a value is made from, back through the function's assignments: its parameters
        and the calls whose results it reads."""
        if depth > 8:
            return
        if isinstance(node, cst.Await):
            yield from self.roots(node.expression, function, depth + 1)
        elif isinstance(node, cst.Name):
            for param in params_of(function):
                if param.name.value == node.value:
                    yield param
                    return
            for value in self.assignments(function).get(node.value, ()):
                yield from self.roots(value, function, depth + 1)
        elif isinstance(node, (cst.Attribute, cst.Subscript)):
            yield from self.roots(node.value, function, depth + 1)
        elif isinstance(node, cst.Call):
            yield node
            if isinstance(node.func, cst.Attribute):
                yield from self.roots(node.func.value, function, depth + 1)
            elif (self.functions.qualify(node.func, function) or "").startswith("builtins.") and node.args:
                yield from self.roots(node.args[0].value, function, depth + 1)  # `str(token)`, `list(...)`
        elif isinstance(node, (cst.BinaryOperation, cst.BooleanOperation)):
            yield from self.roots(node.left, function, depth + 1)
            yield from self.roots(node.right, function, depth + 1)
        elif isinstance(node, cst.IfExp):
            yield from self.roots(node.body, function, depth + 1)
            yield from self.roots(node.orelse, function, depth + 1)
        elif isinstance(node, cst.FormattedString):
            for part in node.parts:
                if isinstance(part, cst.FormattedStringExpression):
                    yield from self.roots(part.expression, function, depth + 1)

    def assignments(self, function: cst.FunctionDef) -> dict[str, list[cst.BaseExpression]]:
        """Each local name of `function` and the values assigned to it."""
        key = id(function)
        found = self._assignments.get(key)
        if found is None:
            found = {}
            for statement, part in statements_of(body_of(function)):
                smalls = part.body if isinstance(part, cst.SimpleStatementLine) else (part,)
                for small in smalls:
                    if isinstance(small, cst.Assign):
                        for target in small.targets:
                            _assign(found, target.target, small.value)
                    elif isinstance(small, cst.AnnAssign) and small.value is not None:
                        _assign(found, small.target, small.value)
                if isinstance(statement, cst.With) and part is statement.items[0].item:
                    for item in statement.items:
                        if item.asname is not None:
                            _assign(found, item.asname.name, item.item)
            self._assignments[key] = found
        return found


def _assign(found: dict[str, list[cst.BaseExpression]], target: cst.BaseExpression, value: cst.BaseExpression) -> None:
    if isinstance(target, cst.Name):
        found.setdefault(target.value, []).append(value)
    elif isinstance(target, (cst.Tuple, cst.List)):
        values = value.elements if isinstance(value, (cst.Tuple, cst.List)) else None
        for index, element in enumerate(target.elements):
            if values is not None and len(values) == len(target.elements):
                _assign(found, element.value, values[index].value)
            else:
                _assign(found, element.value, value)
