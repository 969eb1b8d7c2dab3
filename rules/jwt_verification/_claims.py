"""Where a token's claims go: whether they decide who the caller is or what they may do.

A decode's result is followed through one function in statement order (`ClaimsWalk`), and
through this module's functions it hands the claims to, or that return them to their callers.
What is followed is either the claims whole (`WHOLE`: the mapping, or an object made from it:
`TokenPayload(**payload)`) or a value read from them (`VALUE`: `payload["sub"]`,
`payload.get("email")`, `data.sub`, and what is computed from such a value: `int(sub)`,
`f"user:{sub}"`, `role == "admin"`). Claims that only say how to check the token (`exp`, `iss`,
`aud`, `kid`, ...) are not followed: reading them is how a token is checked, or a key picked.

An identity use (`Use`) is where a value, or the claims whole, is
- passed to a call that is not logging, not a conversion or a string or container method, and not
  a class being built: a lookup (`session.get(User, sub)`, `select(User).where(User.id == sub)`,
  `get_user(email)`, `cache.get(sub)`),
- compared (`role == "admin"`, `"admin" in roles`, `owner_id != sub`), outside `assert`,
- stored on a parameter or on `self` (`request.state.user_id = sub`),
- returned by a function that serves requests (a route, a dependency, an authentication backend
  or middleware method), or returned to a caller in this module that makes one of these uses.

Returned to callers the module does not show (a public helper nobody here calls) is no use
here (`Outcome.unresolved`): what those callers do is not known in this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.semantics.flow.syntax import body_of, calls_in
from reviewer.semantics.names import dotted_name
from reviewer.syntax import params_of, string_value
from reviewer.traversal import children_of, descendants
from rules.jwt_verification._api import CHECKING_CLAIMS, HEADER_FIELDS
from rules.jwt_verification._module import argument_of

if TYPE_CHECKING:
    from rules.jwt_verification._module import ModuleFunctions

WHOLE = "whole"
VALUE = "value"
MAX_DEPTH = 4

LOG_METHODS = frozenset(
    {"debug", "info", "warning", "warn", "error", "exception", "critical", "fatal", "log", "msg", "bind",
     "set_attribute", "set_attributes", "add_event", "set_tag", "set_context"}
)
NEUTRAL_PREFIXES = ("logging.", "warnings.", "structlog.", "loguru.", "sentry_sdk.", "opentelemetry.")
# Standard-library modules whose functions compute a value from their arguments.
COMPUTING_PREFIXES = (
    "builtins.", "datetime.", "time.", "json.", "uuid.", "re.", "base64.", "hashlib.", "hmac.", "urllib.parse.",
    "math.", "decimal.", "copy.", "itertools.", "functools.", "operator.", "string.", "textwrap.", "html.",
    "orjson.", "ujson.", "typing.", "pydantic.", "dataclasses.",
)
# Builtins that act rather than compute.
ACTING_BUILTINS = frozenset({"builtins.setattr", "builtins.open", "builtins.exec", "builtins.eval"})
CONTAINER_METHODS = frozenset({"append", "add", "extend", "update", "insert", "setdefault"})
STRING_METHODS = frozenset(
    {"format", "join", "startswith", "endswith", "split", "lower", "upper", "strip", "replace", "encode",
     "decode", "issubset", "issuperset", "intersection", "union", "difference", "count", "index",
     # a compiled pattern's
     "fullmatch", "match", "search", "findall", "finditer", "sub"}
)
CONSTANT_MAKERS = frozenset(
    {"re.compile", "builtins.frozenset", "builtins.set", "builtins.dict", "builtins.tuple", "builtins.list",
     "types.MappingProxyType"}
)
WHOLE_METHODS = frozenset({"copy", "decode", "model_dump", "dict", "to_dict", "json"})
WHOLE_KEEPERS = frozenset(
    {"builtins.dict", "json.loads", "orjson.loads", "ujson.loads", "copy.copy", "copy.deepcopy"}
)


@dataclass(frozen=True)
class Claims:
    """What a name or expression holds: the claims whole or a value read from them, of which
    part of the token (`claims`, `header`, `complete`, `token`), and which claim a value is."""

    kind: str
    part: str = "claims"
    key: str | None = None

    @property
    def identity(self) -> bool:
        """Says who the token speaks for: a value read from it, or the claims whole."""
        return self.kind == VALUE or self.part == "claims"


@dataclass(frozen=True)
class Use:
    """Where claims decide identity: the node, its statement, and how (`` `get_user()` ``)."""

    node: cst.CSTNode
    statement: cst.CSTNode
    what: str
    claim: str | None
    whole: bool = False

    @property
    def subject(self) -> str:
        """`claim `sub` reaches`, `the claims reach`, as a message says it."""
        if self.whole:
            return "the claims reach"
        return f"claim `{self.claim}` reaches" if self.claim else "a claim reaches"


@dataclass
class Outcome:
    uses: list[Use] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)  # claims read by name
    validated: bool = False  # handed to a `validate()` (Authlib, joserfc)
    returned: Claims | None = None
    # Functions that return the claims to callers outside the module, with what they return.
    unresolved: list[tuple[cst.FunctionDef, Claims]] = field(default_factory=list)

    def merge(self, other: Outcome) -> None:
        self.uses.extend(other.uses)
        self.unresolved.extend(other.unresolved)
        self.keys |= other.keys
        self.validated |= other.validated


def _merge(a: Claims | None, b: Claims | None) -> Claims | None:
    if a is None or b is None or a == b:
        return a or b
    return a if a.kind == VALUE else b


Env = dict[str, Claims]


def _merge_envs(*envs: Env) -> Env:
    merged: Env = {}
    for env in envs:
        for name, claims in env.items():
            merged[name] = _merge(merged.get(name), claims)
    return merged


class ClaimsTracker:
    """Follows one token's claims through the module, memoising each function followed."""

    def __init__(self, functions: ModuleFunctions) -> None:
        self.functions = functions
        self._followed: dict[tuple, Outcome] = {}
        self._in_progress: set[tuple] = set()

    def from_call(self, function: cst.FunctionDef, call: cst.Call, claims: Claims) -> Outcome:
        """Where the claims `call` returns go, from `function` on (and back to its callers)."""
        outcome = ClaimsWalk(self, function, {id(call): claims}, {}, 0).run()
        self._returned(function, outcome, outcome.returned, 0)
        return outcome

    def _returned(self, function: cst.FunctionDef, outcome: Outcome, returned: Claims | None, depth: int) -> None:
        if returned is None or not returned.identity or depth > MAX_DEPTH:
            return
        if self.functions.serves_requests(function):
            outcome.uses.append(
                Use(function.name, function, f"the value `{function.name.value}` returns (it serves requests)",
                    returned.key, returned.kind == WHOLE)
            )
            return
        sites = self.functions.call_sites(function)
        if not sites:
            outcome.unresolved.append((function, returned))
        for site in sites:
            found = ClaimsWalk(self, site.caller, {id(site.call): returned}, {}, depth + 1).run()
            outcome.merge(found)
            self._returned(site.caller, outcome, found.returned, depth + 1)

    def follow(self, function: cst.FunctionDef, seeds: dict[str, Claims], depth: int) -> Outcome | None:
        """What a function of this module does with the claims passed for its parameters."""
        key = (id(function), tuple(sorted(seeds.items(), key=lambda item: item[0])))
        if key in self._followed:
            return self._followed[key]
        if key in self._in_progress or depth > MAX_DEPTH:
            return None
        self._in_progress.add(key)
        try:
            outcome = ClaimsWalk(self, function, {}, seeds, depth).run()
        finally:
            self._in_progress.discard(key)
        self._followed[key] = outcome
        return outcome


class ClaimsWalk:
    """One function body, in statement order, with what each local name holds of the claims."""

    def __init__(
        self,
        tracker: ClaimsTracker,
        function: cst.FunctionDef,
        node_seeds: dict[int, Claims],
        param_seeds: dict[str, Claims],
        depth: int,
    ) -> None:
        self.tracker = tracker
        self.functions = tracker.functions
        self.function = function
        self.node_seeds = node_seeds
        self.param_seeds = param_seeds
        self.depth = depth
        self.outcome = Outcome()
        self.results: dict[int, Claims | None] = {}  # calls of this module's functions: what they return
        self.params = {p.name.value for p in params_of(function)} | {"self", "cls"}

    def run(self) -> Outcome:
        self._block(body_of(self.function), dict(self.param_seeds))
        return self.outcome

    # Statements ----------------------------------------------------------------------------

    def _block(self, statements, env: Env) -> Env:  # noqa: ANN001 - a sequence of statements
        for statement in statements:
            env = self._statement(statement, env)
        return env

    def _suite(self, suite: cst.BaseSuite | None, env: Env, statement: cst.CSTNode) -> Env:
        if isinstance(suite, cst.IndentedBlock):
            return self._block(suite.body, env)
        if isinstance(suite, cst.SimpleStatementSuite):
            return self._smalls(suite.body, env, statement)
        return env

    def _statement(self, statement: cst.CSTNode, env: Env) -> Env:
        if isinstance(statement, cst.SimpleStatementLine):
            return self._smalls(statement.body, env, statement)
        if isinstance(statement, cst.If):
            self._scan(statement.test, env, statement)
            body = self._suite(statement.body, dict(env), statement)
            orelse = statement.orelse
            if isinstance(orelse, cst.If):
                other = self._statement(orelse, dict(env))
            elif isinstance(orelse, cst.Else):
                other = self._suite(orelse.body, dict(env), statement)
            else:
                other = env
            return _merge_envs(body, other)
        if isinstance(statement, (cst.For, cst.While)):
            inner = dict(env)
            if isinstance(statement, cst.For):
                self._scan(statement.iter, env, statement)
                element = self.claims_of(statement.iter, env)
                self._bind(statement.target, element if element and element.kind == VALUE else None, inner, statement)
            else:
                self._scan(statement.test, env, statement)
            after = self._suite(statement.body, inner, statement)
            after = self._suite(statement.body, _merge_envs(inner, after), statement)  # values carried round
            merged = _merge_envs(env, after)
            if statement.orelse is not None:
                merged = self._suite(statement.orelse.body, merged, statement)
            return merged
        if isinstance(statement, cst.With):
            inner = dict(env)
            for item in statement.items:
                self._scan(item.item, env, statement)
                if item.asname is not None:
                    self._bind(item.asname.name, self.claims_of(item.item, env), inner, statement)
            return self._suite(statement.body, inner, statement)
        if isinstance(statement, (cst.Try, cst.TryStar)):
            after = self._suite(statement.body, dict(env), statement)
            started = _merge_envs(env, after)
            results = [after]
            for handler in statement.handlers:
                results.append(self._suite(handler.body, dict(started), statement))
            if statement.orelse is not None:
                results[0] = self._suite(statement.orelse.body, after, statement)
            out = _merge_envs(*results)
            if statement.finalbody is not None:
                out = self._suite(statement.finalbody.body, out, statement)
            return out
        if isinstance(statement, cst.Match):
            self._scan(statement.subject, env, statement)
            cases = [self._suite(case.body, dict(env), statement) for case in statement.cases]
            return _merge_envs(env, *cases)
        return env

    def _smalls(self, smalls, env: Env, statement: cst.CSTNode) -> Env:  # noqa: ANN001
        for small in smalls:
            if isinstance(small, (cst.Assign, cst.AnnAssign)):
                if small.value is None:
                    continue
                self._scan(small.value, env, statement)
                claims = self.claims_of(small.value, env)
                targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
                for target in targets:
                    self._bind(target, claims, env, statement, small.value)
            elif isinstance(small, cst.AugAssign):
                self._scan(small.value, env, statement)
                claims = self.claims_of(small.value, env)
                if isinstance(small.target, cst.Name) and claims is not None:
                    env[small.target.value] = _merge(env.get(small.target.value), claims)
            elif isinstance(small, cst.Return):
                if small.value is not None:
                    self._scan(small.value, env, statement)
                    self._return(self.claims_of(small.value, env))
            elif isinstance(small, cst.Expr):
                self._scan(small.value, env, statement)
                value = small.value.expression if isinstance(small.value, cst.Await) else small.value
                if isinstance(value, cst.Yield) and isinstance(value.value, cst.BaseExpression):
                    self._return(self.claims_of(value.value, env))
                elif isinstance(value, cst.Call):
                    self._mutation(value, env)
            elif isinstance(small, (cst.Assert, cst.Raise)):
                # An assert is a sanity check, an exception a message: their calls still run.
                for part in (getattr(small, "test", None), getattr(small, "exc", None)):
                    if part is not None:
                        self._scan(part, env, statement, comparisons=False)
        return env

    def _return(self, claims: Claims | None) -> None:
        if claims is not None and claims.identity:
            self.outcome.returned = _merge(self.outcome.returned, claims)

    def _bind(
        self,
        target: cst.BaseExpression,
        claims: Claims | None,
        env: Env,
        statement: cst.CSTNode,
        value: cst.BaseExpression | None = None,
    ) -> None:
        if isinstance(target, cst.Name):
            if claims is None:
                env.pop(target.value, None)
            else:
                env[target.value] = claims
            return
        if isinstance(target, (cst.Tuple, cst.List)):
            values = value.elements if isinstance(value, (cst.Tuple, cst.List)) else None
            for index, element in enumerate(target.elements):
                inner = element.value
                if values is not None and len(values) == len(target.elements):
                    self._bind(inner, self.claims_of(values[index].value, env), env, statement)
                else:
                    self._bind(inner, claims if claims is not None and claims.kind == VALUE else None, env, statement)
            return
        if claims is None or not claims.identity:
            return
        root = target
        while isinstance(root, (cst.Attribute, cst.Subscript)):
            root = root.value
        if isinstance(root, cst.Name) and root.value in self.params:
            code = self.functions.context.tree.code_for_node(target)
            self._use(target, statement, f"`{code}`", claims)
        elif isinstance(root, cst.Name):
            env[root.value] = Claims(VALUE, claims.part, claims.key)  # a local container now holds it

    def _mutation(self, call: cst.Call, env: Env) -> None:
        """`roles.append(role)`: the local container now holds a value of the claims."""
        func = call.func
        if not isinstance(func, cst.Attribute) or not isinstance(func.value, cst.Name):
            return
        if func.attr.value in CONTAINER_METHODS:
            for arg in call.args:
                claims = self.claims_of(arg.value, env)
                if claims is not None and claims.kind == VALUE:
                    env[func.value.value] = claims

    # Uses ----------------------------------------------------------------------------------

    def _use(self, node: cst.CSTNode, statement: cst.CSTNode, what: str, claims: Claims) -> None:
        self.outcome.uses.append(Use(node, statement, what, claims.key, claims.kind == WHOLE))

    def _scan(self, node: cst.CSTNode, env: Env, statement: cst.CSTNode, *, comparisons: bool = True) -> None:
        """The calls of an expression (inner ones first), the names it binds (`:=`) and its
        comparisons."""
        for call in reversed(calls_in(node)):
            self._call(call, env, statement)
        for inner in descendants(node):
            if isinstance(inner, cst.NamedExpr):
                self._bind(inner.target, self.claims_of(inner.value, env), env, statement)
        if comparisons:
            for inner in descendants(node):
                if isinstance(inner, cst.Comparison):
                    self._comparison(inner, env, statement)

    def _comparison(self, node: cst.Comparison, env: Env, statement: cst.CSTNode) -> None:
        if all(isinstance(c.operator, (cst.Is, cst.IsNot)) for c in node.comparisons):
            return  # `sub is None`: whether the claim is there, not what it says
        for operand in (node.left, *(c.comparator for c in node.comparisons)):
            claims = self.claims_of(operand, env)
            if claims is not None and claims.kind == VALUE:
                code = self.functions.context.tree.code_for_node(node)
                self._use(node, statement, f"the check `{_short(code)}`", claims)
                return

    def _call(self, call: cst.Call, env: Env, statement: cst.CSTNode) -> None:
        func = call.func
        receiver = self.claims_of(func.value, env) if isinstance(func, cst.Attribute) else None
        method = func.attr.value if isinstance(func, cst.Attribute) else None
        passed = [(arg, self.claims_of(arg.value, env)) for arg in call.args]
        passed = [(arg, claims) for arg, claims in passed if claims is not None]
        if method == "validate" and (
            (receiver is not None and receiver.kind == WHOLE) or any(c.kind == WHOLE for _, c in passed)
        ):
            self.outcome.validated = True
            return
        target = self.functions.local_function(func, self.function)
        if target is not None:
            self._into(target, call, passed)
            return
        if receiver is not None or not passed:
            return
        if passive(self.functions, func, self.function):
            return
        identity = [claims for _, claims in passed if claims.identity]
        if identity:
            callee = dotted_name(func) or _short(self.functions.context.tree.code_for_node(func), 40)
            self._use(call, statement, f"`{callee}()`", identity[0])

    def _into(self, target: cst.FunctionDef, call: cst.Call, passed: list) -> None:  # noqa: ANN001
        seeds: dict[str, Claims] = {}
        for param in params_of(target):
            arg = argument_of(call, target, param)
            for given, claims in passed:
                if arg is given:
                    seeds[param.name.value] = claims
        if not seeds:
            return
        outcome = self.tracker.follow(target, seeds, self.depth + 1)
        if outcome is not None:
            self.outcome.merge(outcome)
            self.results[id(call)] = outcome.returned

    # What an expression holds --------------------------------------------------------------

    def claims_of(self, node: cst.BaseExpression, env: Env) -> Claims | None:
        seeded = self.node_seeds.get(id(node))
        if seeded is not None:
            return seeded
        if id(node) in self.results:
            return self.results[id(node)]
        if isinstance(node, cst.Await):
            return self.claims_of(node.expression, env)
        if isinstance(node, cst.NamedExpr):
            return self.claims_of(node.value, env)
        if isinstance(node, cst.Name):
            return env.get(node.value)
        if isinstance(node, cst.Attribute):
            base = self.claims_of(node.value, env)
            if base is None:
                return None
            return self._read(base, node.attr.value) if base.kind == WHOLE else base
        if isinstance(node, cst.Subscript):
            base = self.claims_of(node.value, env)
            if base is not None and base.kind == WHOLE:
                key = string_value(node.slice[0].slice.value) if (
                    len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index)
                ) else None
                return self._read(base, key)
            if base is not None:
                return base
            return self._any_value(node.slice, env)
        if isinstance(node, cst.Call):
            return self._call_result(node, env)
        if isinstance(node, (cst.BooleanOperation, cst.IfExp)):
            parts = (node.left, node.right) if isinstance(node, cst.BooleanOperation) else (node.body, node.orelse)
            found = [self.claims_of(part, env) for part in parts]
            values = [c for c in found if c is not None and c.kind == VALUE]
            return values[0] if values else next((c for c in found if c is not None), None)
        if isinstance(node, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
            iterated = self.claims_of(node.for_in.iter, env)
            if iterated is not None:
                return iterated if iterated.kind == VALUE else Claims(WHOLE, iterated.part)
            return self._any_value(node, env)
        if isinstance(node, (cst.Lambda, cst.SimpleString, cst.Integer, cst.Float)):
            return None
        return self._any_value(node, env)

    def _any_value(self, node: cst.CSTNode, env: Env) -> Claims | None:
        """A value computed from others (an operation, an f-string, a literal collection): one of
        the claims' values if any of its parts is one."""
        children = node if isinstance(node, (list, tuple)) else children_of(node)
        for child in children:
            if isinstance(child, cst.BaseExpression):
                claims = self.claims_of(child, env)
            elif isinstance(child, (cst.Element, cst.DictElement, cst.Arg, cst.FormattedStringExpression,
                                    cst.SubscriptElement, cst.ComparisonTarget, cst.Index, cst.StarredElement)):
                claims = self._any_value(child, env)
            else:
                continue
            if claims is not None and claims.kind == VALUE:
                return claims
        return None

    def _read(self, claims: Claims, key: str | None) -> Claims | None:
        """A claim (or a part of the token) read from the whole by key or attribute."""
        if claims.part == "complete":
            return Claims(WHOLE, "claims") if key == "payload" else Claims(WHOLE, "header") if key == "header" else None
        if claims.part == "token":
            return Claims(WHOLE, "claims") if key == "claims" else Claims(WHOLE, "header") if key == "header" else None
        if key is None:
            return Claims(VALUE, claims.part)
        self.outcome.keys.add(key)
        checking = HEADER_FIELDS if claims.part == "header" else CHECKING_CLAIMS
        return None if key in checking else Claims(VALUE, claims.part, key)

    def _call_result(self, call: cst.Call, env: Env) -> Claims | None:
        func = call.func
        args = [self.claims_of(arg.value, env) for arg in call.args]
        whole = next((c for c in args if c is not None and c.kind == WHOLE), None)
        value = next((c for c in args if c is not None and c.kind == VALUE), None)
        if isinstance(func, cst.Attribute):
            receiver = self.claims_of(func.value, env)
            method = func.attr.value
            if receiver is not None and receiver.kind == WHOLE:
                if method in ("get", "pop") and call.args:
                    return self._read(receiver, string_value(call.args[0].value))
                if method in WHOLE_METHODS:
                    return receiver
                return None
            if receiver is not None:
                return receiver
            if self.functions.is_class(func.value, self.function):
                return whole or value  # `TokenPayload.model_validate(payload)`
            if value is not None and computes(self.functions, func, None, method):
                return value
        name = self.functions.qualify(func, self.function)
        if whole is not None and (name in WHOLE_KEEPERS or self.functions.is_class(func, self.function)):
            return whole
        if value is not None and (
            self.functions.is_class(func, self.function)
            or (name is not None and name.startswith(COMPUTING_PREFIXES) and name not in ACTING_BUILTINS)
        ):
            return value
        return None


def passive(functions: ModuleFunctions, func: cst.BaseExpression, within: cst.FunctionDef) -> bool:
    """A call that does not act on what it is given: it logs it, computes a value from it, or
    builds an object holding it."""
    name = functions.qualify(func, within)
    method = func.attr.value if isinstance(func, cst.Attribute) else None
    if name == "builtins.print" or (name or "").startswith(NEUTRAL_PREFIXES) or method in LOG_METHODS:
        return True
    if computes(functions, func, name, method):
        return True
    return functions.is_class(func, within) or (
        isinstance(func, cst.Attribute) and functions.is_class(func.value, within)
    )


def computes(functions: ModuleFunctions, func: cst.BaseExpression, name: str | None, method: str | None) -> bool:
    """A conversion, a string or container method, or a method of a module constant (a mapping
    looked up, a compiled pattern matched): it computes a value, it does not act on one."""
    if name is not None and name.startswith(COMPUTING_PREFIXES) and name not in ACTING_BUILTINS:
        return True
    if method in STRING_METHODS or method in CONTAINER_METHODS:
        return True
    return method is not None and isinstance(func, cst.Attribute) and _module_constant(functions, func.value)


def _module_constant(functions: ModuleFunctions, node: cst.BaseExpression) -> bool:
    """A module-level name bound to a literal or a compiled pattern, not to a client."""
    if not isinstance(node, cst.Name):
        return False
    values = functions.module_values.get(node.value, [])
    if len(values) != 1:
        return False
    value = values[0]
    if isinstance(value, (cst.Dict, cst.List, cst.Tuple, cst.Set, cst.SimpleString, cst.ConcatenatedString)):
        return True
    if isinstance(value, cst.Call):
        return functions.qualify(value.func, None) in CONSTANT_MAKERS
    return False


def _short(code: str, limit: int = 60) -> str:
    code = " ".join(code.split())
    return code if len(code) <= limit else code[: limit - 3] + "..."
