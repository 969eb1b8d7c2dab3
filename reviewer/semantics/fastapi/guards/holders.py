"""Guards that admit only the deployment's own callers: those that hold a secret of its
configuration, or call from the machine itself.

An internal service (a sandbox daemon, a runtime in a container, a worker that the application's
server calls) and a self-hosted tool behind one password both authenticate by comparing what the
request carries with a value the deployment configures: `if key != SESSION_API_KEY: raise
HTTPException(403)` where `SESSION_API_KEY = os.environ.get(...)`, `compare_digest(password,
settings.admin_password)`, a signature checked with a key read from the environment
(`public_key().verify(signature, body)` in a `try` whose handler rejects), an HMAC of the request
keyed with one compared with the signature sent (a webhook; also computed by a signing function of
the module, `signers`), or a test that the caller's address
is a loopback one; also a function that lets the caller through early where its key is one of
those (`if token in [worker_token, settings.registration_token]: return`) and refuses everyone
after. Whoever passes holds the deployment's secret: its own services and its operators. A value
of the application's state (`request.app.state.token`) counts as configured: it is set once for
the whole process as the deployment starts, never per caller.

Per function, `GuardFacts` records what each rejecting `if` or `try` compares (`CompareReader`,
the operands qualified: `os.environ` for a read of the environment, `f()` for what a call returns,
`Class.attribute` for `self.attribute`), read with its `and`s, `or`s and `not`s as what a caller
it lets pass has matched (`key != KEY or token != TOKEN`: both; `key != KEY and key !=
user_key`: either, so a user's own key passes too; `KEY and key != KEY`: the key where the
deployment configured it), the functions whose answer it tests (`if not
is_internal(token): raise`, where every `return` of `is_internal` is such a comparison or `False`)
and whether it tests for a loopback caller; per module,
what names and attributes hold (`SESSION_API_KEY` -> `os.environ`, `Auth.password` ->
`pkg.get_secret()`). Over the repository, `admits_only_holders(model, endpoint)` tells whether
the endpoint, a dependency FastAPI runs for it, a middleware of its applications, or a helper
one of them calls, is such a check, and the operand a configured value: read from the
environment (directly, through a name or attribute, through a function that reads it) or a
field of a settings object, or of a section of one (`settings.relay.key`), also of one a module
builds from a configuration file (`settings = ConfigService.load_from_yaml(path)`). A block that
raises when a constant-time comparison fails (`if not hmac.compare_digest(expected, signature):
raise SignatureInvalid.http_exception()`) rejects, whatever the status of what it raises.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.semantics.defaults import ENVIRONMENT_READS
from reviewer.semantics.fastapi.guards.records import Comparisons
from reviewer.semantics.fastapi.guards.signers import HMAC_CALLS, SAME_TEXT_METHODS, Signer, signer_of
from reviewer.semantics.fastapi.guards.vocabulary import MAX_CALL_DEPTH
from reviewer.semantics.flow.syntax import argument_for
from reviewer.semantics.names import dotted_name
from reviewer.syntax import params_of, string_value
from reviewer.traversal import descendants

if TYPE_CHECKING:
    from reviewer.semantics.fastapi.guards.model import AuthModel
    from reviewer.semantics.fastapi.index import Endpoint

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
_MAX_CASES = 16  # cases of one test told apart
_UNSET = ""  # a comparison `(_UNSET, value)`: the case where the value is unset (empty, None)
_MAX_STEPS = 16  # attributes and locals followed back from a compared value
_MAX_SECTIONS = 2  # sections of a settings object a configured field may sit in


class CompareReader:
    """Reads, in one module, what a test compares and what an expression holds."""

    def __init__(self, qualify: Callable[[cst.BaseExpression], str | None],
                 functions: Callable[[], Mapping[str, cst.FunctionDef]] | None = None) -> None:
        self.qualify = qualify
        self._functions = functions  # the module's functions by name, made when first asked
        self._signers: dict[int, Signer | None] = {}

    def passes_only(self, test: cst.BaseExpression, made: Mapping[str, str], in_class: str | None,
                    assigned: Mapping[str, list[cst.BaseExpression]] | None = None,
                    value: bool = False) -> Comparisons:
        """What a caller that a rejection under `test` lets pass has matched (the test is False
        for it; `value`: what the test is for it, under a `not`): the cases it may be in, each the
        comparisons that then hold, as `compared` names their values. `a != KEY or b != SECRET`
        passes one case, both matched; `a != KEY and a != user_key` two, either matched; a part
        that compares nothing (`not token`) says nothing of the caller."""
        assigned = assigned or {}
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            return self.passes_only(test.expression, made, in_class, assigned, not value)
        if isinstance(test, cst.BooleanOperation):
            left = self.passes_only(test.left, made, in_class, assigned, value)
            right = self.passes_only(test.right, made, in_class, assigned, value)
            if isinstance(test.operator, cst.Or) != value:
                # False of an `or`, true of an `and`: both sides hold for the caller.
                cases = tuple(one + other for one in left for other in right)
            else:
                cases = left + right  # either side may be the one that holds
            return cases if len(cases) <= _MAX_CASES else ((),)  # too many to tell: it says nothing
        operand = self.operand(test, made, in_class) if isinstance(test, (cst.Name, cst.Attribute)) else None
        if not value and operand:
            # `if KEY and key != KEY: raise` lets everyone pass where the value is unset: a
            # deployment that leaves its key unset (if the value is its configuration) asks for that.
            return (((_UNSET, operand),),)
        compared = self.compared(test, made, in_class, assigned) if self.matches_only(test) == value else ()
        return ((compared,),) if compared else ((),)

    def compared(self, test: cst.BaseExpression, made: Mapping[str, str], in_class: str | None,
                 assigned: Mapping[str, list[cst.BaseExpression]] | None = None) -> tuple[str, ...]:
        """What a test compares a value with: both sides of `a != b` and `a == b` (neither a
        literal), the arguments of `compare_digest`, through `and`/`or`/`not`; for a side that is
        an HMAC of the request (`hmac.new(SECRET.encode(), body, sha256).hexdigest()`, also through
        a local assigned it once: `assigned`), the key it is keyed with. `made` maps the function's
        locals to the callee that made them, `in_class` is the class it is a method of."""
        if isinstance(test, cst.BooleanOperation):
            return (self.compared(test.left, made, in_class, assigned)
                    + self.compared(test.right, made, in_class, assigned))
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            return self.compared(test.expression, made, in_class, assigned)
        sides: list[cst.BaseExpression] = []
        if self.compares_digest(test):
            sides = [arg.value for arg in test.args[:2]]
        elif (isinstance(test, cst.Comparison) and len(test.comparisons) == 1
                and isinstance(test.comparisons[0].operator, (cst.NotEqual, cst.Equal))):
            sides = [test.left, test.comparisons[0].comparator]
        elif (isinstance(test, cst.Comparison) and len(test.comparisons) == 1
              and isinstance(test.comparisons[0].operator, (cst.In, cst.NotIn))
              and isinstance(test.comparisons[0].comparator, (cst.List, cst.Tuple, cst.Set))):
            # `token in [worker_token, registration_token]`: equal to one of them
            elements = test.comparisons[0].comparator.elements
            if any(isinstance(element, cst.StarredElement) for element in elements):
                return ()
            sides = [test.left, *(element.value for element in elements)]
        if len(sides) < 2 or any(_is_literal(side) for side in sides):
            return ()
        keys = [key for side in sides if (key := self._hmac_key(side, assigned or {})) is not None]
        return tuple(name for side in (keys or sides)
                     if (name := self._app_state(side, assigned or {}) or self.operand(side, made, in_class)))

    def matches_only(self, test: cst.BaseExpression) -> bool:
        """`a == b`, `a in [b, c]`, `compare_digest(a, b)`: a test that holds only where a value
        equals another (not `a != b`, nor `a == b or debug`)."""
        if isinstance(test, cst.Comparison):
            return len(test.comparisons) == 1 and isinstance(test.comparisons[0].operator, (cst.Equal, cst.In))
        return self.compares_digest(test)

    def compares_digest(self, test: cst.BaseExpression) -> bool:
        """`hmac.compare_digest(a, b)`, `secrets.compare_digest(a, b)`: a constant-time comparison."""
        return isinstance(test, cst.Call) and (self.qualify(test.func) or "").endswith(".compare_digest")

    def _app_state(self, node: cst.BaseExpression, assigned: Mapping[str, list[cst.BaseExpression]]) -> str | None:
        """`app.state.<name>` for a value of the application's state (`request.app.state.token`,
        also through locals assigned once: `config = request.app.state.config` then
        `config.token`): set once for the whole process, as the deployment starts, never per
        caller."""
        trail: list[str] = []
        for _ in range(_MAX_STEPS):
            if isinstance(node, cst.Attribute):
                trail.append(node.attr.value)
                node = node.value
            elif (value := _assigned_once(node, assigned)) is not node:
                node = value
            else:
                break
        if isinstance(node, cst.Name):
            trail.append(node.value)
        trail.reverse()
        for at in range(len(trail) - 2):
            if trail[at:at + 2] == ["app", "state"]:
                return ".".join(["app.state", *trail[at + 2:]])
        return None

    def _hmac_key(self, side: cst.BaseExpression,
                  assigned: Mapping[str, list[cst.BaseExpression]]) -> cst.BaseExpression | None:
        """The key of an HMAC of the request's body a compared value is, or is assigned once from
        (`expected = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()` after `body =
        await request.body()`): only who holds the key can sign a body. An HMAC of anything else
        (a user's id, a session) is a token the application hands out, which its users hold."""
        side = _assigned_once(side, assigned)
        for node in descendants(side):
            if not isinstance(node, cst.Call):
                continue
            if (self.qualify(node.func) in HMAC_CALLS and len(node.args) >= 2
                    and _reads_body(_assigned_once(node.args[1].value, assigned))):
                return node.args[0].value
            key = self._signed_key(node, assigned)
            if key is not None:
                return key
        return None

    def _signed_key(self, call: cst.Call,
                    assigned: Mapping[str, list[cst.BaseExpression]]) -> cst.BaseExpression | None:
        """The key a call of a signing function of the module is given, where it is given the
        request's body to sign (`compute_signature(request.method, path, raw, secret)` after
        `raw = await request.body()`: `signers`)."""
        function = self._functions().get(call.func.value) if (
            self._functions is not None and isinstance(call.func, cst.Name)) else None
        if function is None:
            return None
        if id(function) not in self._signers:
            self._signers[id(function)] = signer_of(function, self.qualify)
        signer = self._signers[id(function)]
        if signer is None:
            return None
        params = {param.name.value: param for param in params_of(function)}
        signed = [argument_for(call, function, params[name]) for name in signer.message]
        if not any(arg is not None and _reads_body(_assigned_once(arg.value, assigned)) for arg in signed):
            return None
        key = argument_for(call, function, params[signer.key])
        return _assigned_once(key.value, assigned) if key is not None else None

    def operand(self, node: cst.BaseExpression, made: Mapping[str, str], in_class: str | None) -> str | None:
        """A compared value, qualified: `os.environ` for a read of the environment (also through
        a local assigned from one), `f()` for what a call returns, `f().key`, `Class.attribute`
        for `self.attribute` in a method; a text method's result is its receiver's value
        (`self.password.encode()`)."""
        if self.reads_environment(node):
            return "os.environ"
        if (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
                and node.func.attr.value in SAME_TEXT_METHODS):
            return self.operand(node.func.value, made, in_class)
        if (isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self"
                and in_class):
            return f"{in_class}.{node.attr.value}"
        if isinstance(node, cst.Call):
            callee = self.qualify(node.func) or dotted_name(node.func)
            return f"{callee}()" if callee else None
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Call):
            inner = self.operand(node.value, made, in_class)
            return f"{inner}.{node.attr.value}" if inner else None
        if isinstance(node, cst.Name) and node.value in made:
            return "os.environ" if made[node.value] in ENVIRONMENT_READS else None
        return self.qualify(node) or dotted_name(node)

    def reads_environment(self, node: cst.BaseExpression) -> bool:
        """`os.environ.get("KEY")`, `os.getenv("KEY", "")`, `os.environ["KEY"]`, also behind
        `or` and a method of the value read (`os.environ.get("KEY", "").strip()`)."""
        if isinstance(node, cst.BooleanOperation):
            return self.reads_environment(node.left) or self.reads_environment(node.right)
        if isinstance(node, cst.Subscript):
            return self.qualify(node.value) == "os.environ"
        if isinstance(node, cst.Call):
            if self.qualify(node.func) in ENVIRONMENT_READS:
                return True
            return isinstance(node.func, cst.Attribute) and self.reads_environment(node.func.value)
        return False


def _assigned_once(node: cst.BaseExpression, assigned: Mapping[str, list[cst.BaseExpression]]) -> cst.BaseExpression:
    """A local's value where the function assigns it once, else the node itself."""
    if isinstance(node, cst.Name) and len(assigned.get(node.value, ())) == 1:
        return assigned[node.value][0]
    return node


def _reads_body(node: cst.BaseExpression) -> bool:
    """`await request.body()`, `request.body()`: the request's raw body."""
    return any(isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and call.func.attr.value == "body"
               for call in descendants(node))


def tests_loopback(test: cst.BaseExpression) -> bool:
    """`host not in ("127.0.0.1", "localhost")`, `host != "127.0.0.1"`: a test that holds for a
    caller from any address but a loopback one."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    comparison = test.comparisons[0]
    if isinstance(comparison.operator, cst.NotIn) and isinstance(comparison.comparator, (cst.List, cst.Tuple, cst.Set)):
        values = {string_value(element.value) for element in comparison.comparator.elements}
        return bool(values) and values <= _LOOPBACK
    return isinstance(comparison.operator, cst.NotEqual) and string_value(comparison.comparator) in _LOOPBACK


def _is_literal(node: cst.BaseExpression) -> bool:
    return isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString, cst.Integer,
                             cst.Float)) or (isinstance(node, cst.Name) and node.value in ("None", "True", "False"))


def admits_only_holders(model: AuthModel, endpoint: Endpoint) -> str | None:
    """What lets in only callers that hold a secret of the deployment's configuration, or that call
    from the machine itself, if something does (see the module docstring); not where a dependency
    also authenticates a user (a frontend holding the key and passing its users' requests on, each
    with the user's own token)."""
    check = _HolderCheck(model)
    dependencies = [d.function.qualname for d in model.index.dependencies(endpoint)]
    for name in dependencies:
        record = model.functions.get(name)
        if (record is not None and (record.reads_credentials or model.rejects(name))
                and not model.calls.through_calls(name, check)):
            return None
    functions = [endpoint.function.qualname, *dependencies, *model.middleware_handlers(endpoint)]
    return next(filter(None, (model.calls.through_calls(name, check) for name in functions)), None)


class _HolderCheck:
    """Evidence, in one function's own record, that it admits only holders (a `through_calls`
    evidence: called with the function and its depth)."""

    def __init__(self, model: AuthModel) -> None:
        self.model = model

    def __call__(self, qualname: str, depth: int) -> str | None:
        record = self.model.functions.get(qualname)
        if record is None:
            return None
        name = qualname.rsplit(".", 1)[-1]
        if record.loopback_only:
            return f"`{name}` turns away callers from other machines"
        answers = [answer for tested in record.tests_answer_of
                   if (answerer := self.model.functions.get(self.model.index.resolve(tested) or tested))
                   for answer in answerer.answers_compared]
        held = next(filter(None, map(self._matched, record.compared_with)), None) or next(
            (operand for operand in (*answers, *self._admitting(record.admitted_by)) if self.configured(operand)), None)
        if held is None:
            return None
        held = "a key read from the environment" if held == "os.environ" else f"`{held.rsplit('.', 1)[-1]}`"
        return f"`{name}` admits only holders of {held}"

    def _matched(self, passing: Comparisons) -> str | None:
        """A configured value every caller that a rejection lets pass has matched: in each case it
        may be in, a comparison of the request's value with configured values alone."""
        found = None
        for case in passing:
            if any(compared[0] == _UNSET and self.configured(compared[1]) for compared in case):
                continue  # where the deployment left its key unset
            matched = next((held[0] for compared in case
                            if compared[0] != _UNSET
                            and (held := [operand for operand in compared if self.configured(operand)])
                            and len(compared) - len(held) <= 1), None)
            if matched is None:
                return None
            found = found or matched
        return found

    def _admitting(self, ways_in: tuple[tuple[str, ...], ...]) -> tuple[str, ...]:
        """The configured values that ways in compare with, when each compares the request's value
        with them alone (every value it compares but one is configured); none otherwise."""
        configured: list[str] = []
        for compared in ways_in:
            held = [operand for operand in compared if self.configured(operand)]
            if not held or len(compared) - len(held) > 1:
                return ()
            configured += held
        return tuple(configured)

    def configured(self, operand: str, depth: int = 0) -> bool:
        """Whether a compared value is the deployment's configuration."""
        model = self.model
        if operand == "os.environ" or operand.startswith("app.state."):
            return True
        held = model.configured_as.get(model.index.resolve(operand) or operand)
        if held is not None and depth < MAX_CALL_DEPTH:
            return self.configured(held, depth + 1)
        if operand.endswith("()"):
            target = model.index.resolve(operand[:-2]) or operand[:-2]
            record = model.functions.get(target)
            summary = model.calls.summary(target)
            return (record is not None and record.reads_environment) or (
                summary is not None and any(call.target in ENVIRONMENT_READS for call in summary.calls))
        head = operand.rpartition(".")[0]
        settings = model.settings
        if head.endswith("()"):  # `get_settings().api_key`
            factory = model.index.resolve(head[:-2]) or head[:-2]
            entry = model.index.functions.get(factory)
            returns = entry[0].returns if entry else None
            return bool(returns and returns.name and settings is not None
                        and settings.is_settings_class(model.index.resolve(returns.name) or returns.name))
        # A field of a settings object, or of a section of one (`settings.relay.key`).
        for _ in range(_MAX_SECTIONS + 1):
            if not head or settings is None:
                return False
            if settings.is_configuration(model.index.resolve(head) or head):
                return True
            head = head.rpartition(".")[0]
        return False
