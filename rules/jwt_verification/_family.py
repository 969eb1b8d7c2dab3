"""The analysis the jwt-verification rules share, once per file that reads a token.

During the walk the first rule of the family created for a file notes every call of a JWT
library (and every base64 decode); the others register with it. After the walk, the notes are
read as the libraries read them (`_api`), tokens decoded by hand are recognised, and each
reading is placed in its function. Each rule then asks what it needs: where a reading's claims
go (`_claims`), where its token comes from (`_provenance`), whether its signature is checked
around the read after all (`_checked`: a peek at the issuer or key id before the verified
decode, a read after it), and whether the server holds the token itself (a stored API key or
refresh token, looked up as such).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar

from reviewer import lazy_cst as cst
from reviewer.rule import Rule
from reviewer.semantics.flow.syntax import body_of, calls_in
from reviewer.traversal import descendants
from rules.jwt_verification._api import (
    AUTHLIB_CLASSES,
    AUTHLIB_DECODE,
    BASE64_DECODERS,
    ENCODERS,
    GOOGLE_DECODE,
    JOSE_CLAIMS,
    JOSE_DECODE,
    JOSE_HEADER,
    JOSERFC_DECODE,
    PYJWT_DECODE,
    PYJWT_DECODE_COMPLETE,
    PYJWT_HEADER,
    JwtCall,
    Switch,
    jwt_call,
)
from rules.jwt_verification._checked import SignatureChecks, core
from rules.jwt_verification._claims import WHOLE, Claims, ClaimsTracker, Outcome, passive
from rules.jwt_verification._module import ModuleFunctions, argument_of, statements_of
from rules.jwt_verification._provenance import Provenance

if TYPE_CHECKING:
    from reviewer.rule import FileContext

KNOWN = (
    PYJWT_DECODE | PYJWT_DECODE_COMPLETE | PYJWT_HEADER | JOSE_DECODE | JOSE_CLAIMS | JOSE_HEADER | AUTHLIB_DECODE
    | JOSERFC_DECODE | GOOGLE_DECODE | AUTHLIB_CLASSES | BASE64_DECODERS | ENCODERS
)
SHARED_KEY = "jwt-verification"


@dataclass(frozen=True)
class Noted:
    """A call noted during the walk: its callee's qualified name and the statements around it."""

    call: cst.Call
    name: str
    scope: tuple[cst.CSTNode, ...]

    @property
    def statement(self) -> cst.CSTNode:
        return self.scope[-1]

    @property
    def function(self) -> cst.FunctionDef | None:
        return next((s for s in reversed(self.scope) if isinstance(s, cst.FunctionDef)), None)


@dataclass
class Reading:
    """A call that reads a token, placed in its function."""

    jwt: JwtCall
    noted: Noted

    @property
    def function(self) -> cst.FunctionDef | None:
        return self.noted.function

    @property
    def statement(self) -> cst.CSTNode:
        return self.noted.statement


class JwtFile:
    """What the family knows of one file."""

    def __init__(self, context: FileContext) -> None:
        self.context = context
        self.noted: list[Noted] = []
        self.rules: list[JwtRule] = []  # the family's rules on this file, the noting one first

    def note(self, call: cst.Call, name: str | None, scope: tuple[cst.CSTNode, ...]) -> None:
        if name is not None and (name in KNOWN or name.endswith(".decode")):
            self.noted.append(Noted(call, name, scope))

    # Readings ------------------------------------------------------------------------------

    @cached_property
    def functions(self) -> ModuleFunctions:
        return ModuleFunctions(self.context)

    @cached_property
    def authlib_objects(self) -> list[Noted]:
        return [n for n in self.noted if n.name in AUTHLIB_CLASSES]

    @cached_property
    def readings(self) -> list[Reading]:
        instances = set()
        module = self.context.module
        for noted in self.authlib_objects:
            statement = noted.statement
            if isinstance(statement, cst.SimpleStatementLine) and noted.function is None:
                for small in statement.body:
                    if isinstance(small, cst.Assign) and small.value is noted.call:
                        for target in small.targets:
                            if isinstance(target.target, cst.Name):
                                instances.add(f"{module}.{target.target.value}" if module else target.target.value)
        found = []
        for noted in self.noted:
            if noted.name in BASE64_DECODERS:
                reading = self._by_hand(noted)
            else:
                resolve = self.resolver(noted.function)
                reading = jwt_call(noted.call, noted.name, resolve, instances)
            if reading is not None:
                found.append(Reading(reading, noted))
        return found

    def resolver(self, function: cst.FunctionDef | None):  # noqa: ANN202 - a Resolve
        def resolve(node: cst.BaseExpression) -> cst.BaseExpression:
            if not isinstance(node, cst.Name):
                return node
            values = self.provenance.assignments(function).get(node.value, []) if function is not None else []
            if len(values) == 1:
                return values[0]
            if not values:
                module_values = self.functions.module_values.get(node.value, [])
                if len(module_values) == 1:
                    return module_values[0]
            return node

        return resolve

    def _by_hand(self, noted: Noted) -> JwtCall | None:
        """`base64.urlsafe_b64decode(token.split(".")[1] + padding)`: a segment of a token,
        decoded without any check; the payload (1) is the claims, the first (0) the header."""
        function = noted.function
        if function is None or not noted.call.args:
            return None
        found = self._segment(noted.call.args[0].value, function, 0)
        if found is None:
            return None
        token, index = found
        part = "claims" if index == 1 else "header"
        api = noted.name.rpartition(".")[2]
        return JwtCall(noted.call, api, "base64", part, token, unverified=Switch(noted.call, "decoded by hand"))

    def _segment(
        self, node: cst.BaseExpression, function: cst.FunctionDef, depth: int
    ) -> tuple[cst.BaseExpression, int] | None:
        if depth > 6:
            return None
        if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
            index = node.slice[0].slice.value
            if isinstance(index, cst.Integer) and index.evaluated_value in (0, 1):
                token = self._split_receiver(node.value, function, depth + 1)
                return (token, index.evaluated_value) if token is not None else None
            return None
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            return self._segment(node.left, function, depth + 1)
        if isinstance(node, cst.FormattedString):
            first = next((p for p in node.parts if isinstance(p, cst.FormattedStringExpression)), None)
            return self._segment(first.expression, function, depth + 1) if first is not None else None
        if isinstance(node, cst.Call):
            if isinstance(node.func, cst.Attribute):
                return self._segment(node.func.value, function, depth + 1)
            return self._segment(node.args[0].value, function, depth + 1) if node.args else None
        if isinstance(node, cst.Name):
            unpacked = self._unpacked(node.value, function, depth)
            if unpacked is not None:
                return unpacked
            values = self.provenance.assignments(function).get(node.value, [])
            if len(values) == 1:
                return self._segment(values[0], function, depth + 1)
        return None

    def _unpacked(self, name: str, function: cst.FunctionDef, depth: int) -> tuple[cst.BaseExpression, int] | None:
        """`header, payload, signature = token.split(".")`: the segment a name unpacks."""
        for _, part in statements_of(body_of(function)):
            for small in part.body if isinstance(part, cst.SimpleStatementLine) else ():
                if not isinstance(small, cst.Assign) or len(small.targets) != 1:
                    continue
                target = small.targets[0].target
                if not isinstance(target, (cst.Tuple, cst.List)):
                    continue
                for index, element in enumerate(target.elements):
                    if isinstance(element.value, cst.Name) and element.value.value == name and index in (0, 1):
                        token = self._split_receiver(small.value, function, depth + 1)
                        if token is not None:
                            return token, index
        return None

    def _split_receiver(
        self, node: cst.BaseExpression, function: cst.FunctionDef, depth: int
    ) -> cst.BaseExpression | None:
        if depth > 6:
            return None
        if (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value == "split"
            and node.args
            and isinstance(node.args[0].value, cst.SimpleString)
            and node.args[0].value.evaluated_value == "."
        ):
            return node.func.value
        if isinstance(node, cst.Name):
            values = self.provenance.assignments(function).get(node.value, [])
            if len(values) == 1:
                return self._split_receiver(values[0], function, depth + 1)
        return None

    # Facts the rules share -----------------------------------------------------------------

    @cached_property
    def provenance(self) -> Provenance:
        return Provenance(self.functions, self._vouches, self._verifies_in)

    @cached_property
    def tracker(self) -> ClaimsTracker:
        return ClaimsTracker(self.functions)

    def _vouches(self, call: cst.Call, function: cst.FunctionDef) -> bool:
        name = self.functions.qualify(call.func, function)
        if name in ENCODERS:
            return True
        reading = self._reading_of(call)
        return reading is not None and reading.jwt.verifies_signature

    def _verifies_in(self, function: cst.FunctionDef) -> bool:
        return any(r.function is function and r.jwt.verifies_signature for r in self.readings)

    def _reading_of(self, call: cst.Call) -> Reading | None:
        return self.readings_by_call.get(id(call))

    @cached_property
    def readings_by_call(self) -> dict[int, Reading]:
        return {id(r.jwt.call): r for r in self.readings}

    def code(self, node: cst.CSTNode) -> str:
        return " ".join(self.context.tree.code_for_node(node).split())

    @cached_property
    def checks(self) -> SignatureChecks:
        return SignatureChecks(self)

    def peeked(self, reading: Reading) -> bool:
        """The token's signature is checked where it is read unverified (`_checked`), or, for a
        token a parameter brings, by every caller in this module before or after the call."""
        token = reading.jwt.token
        function = reading.function
        if token is None or function is None:
            return False
        if self.checks.around(function, reading.statement, token):
            return True
        params = [root for root in self.provenance.roots(token, function) if isinstance(root, cst.Param)]
        sites = self.functions.call_sites(function) if params else []
        return bool(sites) and all(
            any(
                (arg := argument_of(site.call, function, param)) is not None
                and self.checks.around(site.caller, site.statement, arg.value)
                for param in params
            )
            for site in sites
        )

    def held_server_side(self, reading: Reading) -> bool:
        """The token itself is looked up or compared in the function (`Session.token == token`,
        `store.validate(token=token)`): whatever its claims say, it counts only if the server
        holds it, as a stored API key or refresh token does."""
        token = reading.jwt.token
        function = reading.function
        if token is None or function is None:
            return False
        text = self.code(core(token))
        for _, part in statements_of(body_of(function)):
            for node in descendants(part):
                if isinstance(node, cst.Comparison) and self._compares(node, text):
                    return True
            for call in calls_in(part):
                if id(call) in self.readings_by_call or self.functions.qualify(call.func, function) in KNOWN:
                    continue
                if not any(self.code(core(arg.value)) == text for arg in call.args):
                    continue
                if self.functions.local_function(call.func, function) is None and not passive(
                    self.functions, call.func, function
                ):
                    return True
        return False

    def _compares(self, node: cst.Comparison, text: str) -> bool:
        operands = [node.left, *(c.comparator for c in node.comparisons)]
        if all(isinstance(c.operator, (cst.Is, cst.IsNot)) for c in node.comparisons):
            return False
        if not any(self.code(core(operand)) == text for operand in operands):
            return False
        return any(not _constant(o) for o in operands if self.code(core(o)) != text)

    def origin(self, reading: Reading) -> str | None:
        if reading.jwt.token is None or reading.function is None:
            return None
        return self.provenance.of(reading.jwt.token, reading.function)

    def claims_outcome(self, reading: Reading) -> Outcome:
        memo = self.__dict__.setdefault("_outcomes", {})
        key = id(reading.jwt.call)
        if key not in memo:
            memo[key] = self.tracker.from_call(reading.function, reading.jwt.call, Claims(WHOLE, reading.jwt.part))
        return memo[key]


def _constant(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.Name):
        return node.value in ("None", "True", "False")
    return isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.Integer, cst.Float))


class JwtRule(Rule):
    """A rule of the jwt-verification family: notes JWT calls during the walk (the first rule of
    the family in a file does it for all), reports after it."""

    checklist = "jwt-verification"
    prefilter_packages: ClassVar[tuple[str, ...]] = ("jwt", "jose", "authlib", "joserfc", "b64decode", "google.auth")

    def __init__(self, context: FileContext, options: Any) -> None:
        super().__init__(context, options)
        shared = context.shared.get(SHARED_KEY)
        self._notes = shared is None
        if shared is None:
            shared = context.shared[SHARED_KEY] = JwtFile(context)
        self.file: JwtFile = shared
        shared.rules.append(self)

    def walks_for(self) -> Sequence[Rule]:
        return self.file.rules[1:] if self._notes else ()

    def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], None]]:
        visitors = dict(super().get_visitors())
        if not self._notes:
            visitors.pop("visit_Call", None)  # the first rule of the family notes for all
        return visitors

    def visit_Call(self, node: cst.Call) -> None:
        self.file.note(node, self.qualify(node.func), tuple(self.context.statements))

    def leave_Module(self, original_node: cst.Module) -> None:
        if self.context.is_test_file or not self.file.noted:
            return
        self.check(self.file)

    def check(self, file: JwtFile) -> None:
        raise NotImplementedError

    def describe(self, reading: Reading) -> str:
        jwt = reading.jwt
        if jwt.library == "base64":
            return f"`{jwt.api}()` of the token's {'payload' if jwt.part == 'claims' else 'header'} segment"
        if jwt.unverified is not None and jwt.unverified.node is not jwt.call:
            return f"`{jwt.api}(..., {jwt.unverified.text})`"
        return f"`{jwt.api}()`"
