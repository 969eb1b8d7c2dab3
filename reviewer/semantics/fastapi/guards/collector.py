"""`GuardFacts`: per file, how each function can turn a caller away (see the package docstring)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.semantics.defaults import ENVIRONMENT_READS
from reviewer.semantics.error_paths import status_value
from reviewer.semantics.fastapi.annotations import marker_of
from reviewer.semantics.fastapi.collector import FastAPIFacts
from reviewer.semantics.fastapi.guards.holders import CompareReader, tests_loopback
from reviewer.semantics.fastapi.guards.model import AuthModel
from reviewer.semantics.fastapi.guards.records import Comparisons, GuardFunction, ModuleGuards, Scheme
from reviewer.semantics.fastapi.guards.registrations import opaque_dependencies, record_registration
from reviewer.semantics.fastapi.guards.request_credentials import (
    credential_present_test,
    holds_request_value,
    is_credential_store,
    is_header_or_cookie,
    is_none,
    missing_test,
)
from reviewer.semantics.fastapi.guards.vocabulary import (
    _AUTH_EXCEPTION,
    _AUTH_WORDS,
    _CREDENTIAL_NAME,
    _STATUS_SPELLING,
    CREDENTIAL_FIELD,
    FACTS_KEY,
    HTTP_EXCEPTIONS,
    PASSWORD_FORMS,
    TOKEN_VERIFIERS,
    flow_of_call,
    scheme_class,
)
from reviewer.semantics.fastapi.records import REQUEST_BODY_READS
from reviewer.semantics.names import dotted_name
from reviewer.semantics.orm.queries import RUNNERS, runs_query
from reviewer.semantics.settings import SettingsFacts
from reviewer.syntax import argument, is_true, keyword, string_value

if TYPE_CHECKING:
    from reviewer.facts import RepositoryView
    from reviewer.rule import FileContext


@dataclass
class _State:
    qualname: str
    params: set[str]
    record: GuardFunction
    in_class: str | None  # the class it is a method of
    objects: dict[str, str] = field(default_factory=dict)  # local name -> the class it was made from
    made: dict[str, str] = field(default_factory=dict)  # local name -> the callee of `name = callee(...)`
    nests: bool = False  # it defines a function (a factory of dependencies)
    rejections: int = 0  # the authentication rejections walked in it so far
    assigned: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)  # local name -> values
    answers: list[str] = field(default_factory=list)  # what its `return` statements compare
    answers_otherwise: bool = False  # a `return` of something else than a comparison or a refusal
    entry_conditions: int = 0  # the `if` statements around its `def`
    returned_early: bool = False  # a `return` under an `if` was walked: what follows may not run
    # Per `if` walked that lets the caller through by returning: what it compares (empty: a test of
    # something else, `if user.is_staff: return`).
    admissions: list[tuple[str, ...]] = field(default_factory=list)
    # The branches being walked that run only when the request brought a credential (`if token:`):
    # a refusal there turns away a wrong credential, never a missing one.
    with_credential: int = 0

    def lookup(self, name: str) -> list[tuple[cst.BaseExpression, None]]:
        """What the function assigned to a local name (`stmt = select(Org)`), for `runs_query`."""
        return [(value, None) for value in self.assigned.get(name, ())]


class GuardFacts(Facts):
    """Records how the functions of one module turn callers away (see the module docstring)."""

    requires: ClassVar[tuple[type[Facts], ...]] = (FastAPIFacts, SettingsFacts)
    summary_key = FACTS_KEY

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self.guards = ModuleGuards()
        self.active = context.mentions(_AUTH_WORDS)
        if self.active:
            context.summary.extras[FACTS_KEY] = self.guards
        self._scope: list[str] = []
        self._classes: list[str | None] = []  # per scope entry: the class qualname, or None
        self._functions: list[_State] = []
        self._conditions = 0  # `if` statements around the node being walked
        # Per `if`/`try` being walked: what it compares a request's value with, what a caller it
        # lets pass has then matched, the functions whose answer it tests, whether it tests for a
        # loopback caller, and the rejections walked before it; kept when it rejects a caller.
        self._checks: list[tuple[tuple[str, ...], Comparisons, tuple[str, ...], bool, int]] = []
        self._compare = CompareReader(context.qualify, functools.cache(lambda: {
            statement.name.value: statement for statement in context.tree.body
            if isinstance(statement, cst.FunctionDef)}))
        # Per `try` body being walked, in which function, and whether each of its handlers raises
        # again: a token verifier's error a handler swallows lets the caller through.
        self._tries: list[tuple[_State, bool]] = []
        # Per `if` body being walked: whether it runs only when the request brought a credential.
        self._with_credential: list[bool] = []

    @classmethod
    def repository(cls, repo: RepositoryView) -> AuthModel:
        index = repo.facts(FastAPIFacts)
        model = AuthModel(repo.summaries, index, repo.facts(SettingsFacts))
        index.annotate("auth", model.guard)
        return model

    # scopes -----------------------------------------------------------------------------------

    def _qualname(self, name: str) -> str:
        return ".".join(p for p in (self.context.module, *self._scope, name) if p)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(self._qualname(node.name.value))
        self._scope.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._scope.pop()
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        qualname = self._qualname(node.name.value)
        params = [*node.params.posonly_params, *node.params.params, *node.params.kwonly_params]
        record = GuardFunction()
        for param in params:
            if _CREDENTIAL_NAME.search(param.name.value) and is_header_or_cookie(param, self.context.qualify):
                record.reads_credentials = True
            annotation = dotted_name(param.annotation.annotation) if param.annotation is not None else None
            if annotation and annotation.rsplit(".", 1)[-1] in PASSWORD_FORMS:
                record.flow = "takes a password form (`OAuth2PasswordRequestForm`)"
        names = {param.name.value for param in params}
        if {"code", "state"} <= names and record.flow is None:
            record.flow = "takes an OAuth authorization `code` and `state`"
        if {"response_type", "client_id", "redirect_uri"} <= names and record.flow is None:
            # RFC 6749's authorization endpoint: the start of a sign-in, before any credential.
            record.flow = "is an OAuth authorization endpoint (`response_type`, `client_id`, `redirect_uri`)"
        for decorator in node.decorators:
            expr = decorator.decorator
            if (isinstance(expr, cst.Call) and isinstance(expr.func, cst.Attribute)
                    and expr.func.attr.value == "middleware" and expr.args
                    and string_value(expr.args[0].value) == "http"):
                record.http_middleware = self._receiver(expr.func.value)
        in_class = self._classes[-1] if self._classes else None
        self._functions.append(_State(qualname, names, record, in_class, entry_conditions=self._conditions))
        self._scope.append(node.name.value)
        self._classes.append(None)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._scope.pop()
        self._classes.pop()
        state = self._functions.pop()
        record = state.record
        if state.answers and not state.answers_otherwise:
            record.answers_compared = tuple(state.answers)
        self.guards.functions[state.qualname] = record
        if state.nests:
            # `_auth = Authenticator(...)` in a factory whose nested dependency `Depends(_auth)`.
            for name, made in state.made.items():
                self.guards.made_by[f"{state.qualname}.<locals>.{name}"] = made
            for name, values in state.assigned.items():
                choices = [self._choices(value) for value in values]
                if all(choices):
                    self.guards.local_choices[f"{state.qualname}.<locals>.{name}"] = tuple(
                        dict.fromkeys(choice for found in choices for choice in found))
        if self._functions:
            self._functions[-1].nests = True
            outer = self._functions[-1].record
            outer.nested_rejects = outer.nested_rejects or record.rejects or record.nested_rejects
        elif state.in_class and original_node.name.value in ("dispatch", "__call__"):
            self.guards.middleware_candidates[state.in_class] = state.qualname
        if record.http_middleware is not None:
            self.guards.middleware_candidates[state.qualname] = state.qualname
            self.guards.registered_middleware.setdefault(state.qualname, set()).add(record.http_middleware)

    def _choices(self, value: cst.BaseExpression) -> list[str]:
        """The functions or objects a value names, qualified: `current_user`, or both branches of
        `optional_user if anonymous else current_user`; empty if it names anything else."""
        if isinstance(value, cst.IfExp):
            body, orelse = self._choices(value.body), self._choices(value.orelse)
            return body + orelse if body and orelse else []
        if isinstance(value, (cst.Name, cst.Attribute)):
            qualified = self.context.qualify(value)
            return [qualified] if qualified and not qualified.startswith("builtins.") else []
        return []

    # module-level schemes ---------------------------------------------------------------------

    def _class_attribute(self, value: cst.BaseExpression | None) -> None:
        if value is None or self._functions or not self._classes or self._classes[-1] is None:
            return
        marker = marker_of(value, self.context.qualify)
        if marker is not None and marker.injects and marker.dependency:
            cls = self._classes[-1]
            self.guards.class_dependencies[cls] = (*self.guards.class_dependencies.get(cls, ()), marker.dependency)

    def visit_Assign(self, node: cst.Assign) -> None:
        self._class_attribute(node.value)
        if self._functions and self._functions[-1].in_class:
            # `self.password = get_secret_from_env("APP_PASSWORD")` in a method of a class.
            state = self._functions[-1]
            for target in node.targets:
                attribute = target.target
                if (isinstance(attribute, cst.Attribute) and isinstance(attribute.value, cst.Name)
                        and attribute.value.value == "self"):
                    value = self._compare.operand(node.value, state.made, state.in_class)
                    if value:
                        self.guards.configured_as[f"{state.in_class}.{attribute.attr.value}"] = value
        if self._functions:
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    self._functions[-1].assigned.setdefault(target.target.value, []).append(node.value)
        elif (not self._classes and isinstance(node.value, cst.Subscript)
              and self._compare.reads_environment(node.value)):
            for target in node.targets:  # `SECRET = os.environ["SECRET"]`
                if isinstance(target.target, cst.Name):
                    self.guards.configured_as[self._qualname(target.target.value)] = "os.environ"
        if not isinstance(node.value, cst.Call):
            return
        if self._functions:
            made = self.context.qualify(node.value.func)
            for target in node.targets:
                if isinstance(target.target, cst.Name) and made:
                    self._functions[-1].objects[target.target.value] = made
                    self._functions[-1].made[target.target.value] = made
            return
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self._scheme(self._qualname(target.target.value), node.value)
                if not self._classes and self._compare.reads_environment(node.value):
                    self.guards.configured_as[self._qualname(target.target.value)] = "os.environ"

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self._class_attribute(node.value)
        if self._functions and isinstance(node.target, cst.Name):
            made = self.context.qualify(node.annotation.annotation)
            if made:
                self._functions[-1].objects[node.target.value] = made
            if node.value is not None:  # `config: Config = request.app.state.config`
                self._functions[-1].assigned.setdefault(node.target.value, []).append(node.value)
            return
        if not self._functions and not self._classes and isinstance(node.target, cst.Name) and isinstance(
                node.value, cst.Call):
            self._scheme(self._qualname(node.target.value), node.value)

    def _scheme(self, qualname: str, call: cst.Call) -> None:
        given = opaque_dependencies(call)
        if given:
            self.guards.opaque_dependencies[qualname] = given
        callee = self.context.qualify(call.func)
        if callee:
            self.guards.made_by[qualname] = callee
        made = scheme_class(callee)
        if made is not None:
            auto_error = keyword(call, "auto_error")
            self.guards.schemes[qualname] = Scheme(made, not _is_false(auto_error))
            return
        func = call.func
        uses_fastapi_users = "fastapi_users" in self.context.source
        if isinstance(func, cst.Attribute) and func.attr.value == "current_user" and uses_fastapi_users:
            # `optional=True` lets a caller without a session in; `optional=not REQUIRE_AUTH` leaves
            # it to the deployment, read as the deployment's check, as `auto_error=` is.
            optional = keyword(call, "optional")
            described = dotted_name(func) or "current_user"
            self.guards.schemes[qualname] = Scheme(described, not (optional is not None and is_true(optional.value)))

    # rejections, flows and credentials --------------------------------------------------------

    def visit_Raise(self, node: cst.Raise) -> None:
        if not self._functions or node.exc is None:
            return
        exc = node.exc
        func = exc.func if isinstance(exc, cst.Call) else exc
        name = self.context.qualify(func) or dotted_name(func) or ""
        short = name.rsplit(".", 1)[-1]
        if name not in ("builtins.PermissionError",) and _AUTH_EXCEPTION.search(short):
            self._reject(f"raise {short}")
        elif name not in HTTP_EXCEPTIONS and isinstance(exc, cst.Call) and exc.args and isinstance(
                code := exc.args[0].value, cst.Attribute) and _AUTH_EXCEPTION.search(code.attr.value):
            # The application's error raised with an error code of a refusal (`raise
            # AppError(ErrorCode.UNAUTHORIZED, ...)`), which its handler answers with that status.
            self._reject(f"raise {short}({dotted_name(code) or code.attr.value})")

    def visit_Call(self, node: cst.Call) -> None:
        if not self._functions:
            record_registration(node, self.guards, self.context.qualify, self._receiver, self._conditions > 0)
            return
        state = self._functions[-1]
        qualified = self.context.qualify(node.func)
        if qualified in ENVIRONMENT_READS:
            state.record.reads_environment = True
        self._verifies_token(qualified)
        record_registration(node, self.guards, self.context.qualify, self._receiver, self._conditions > 0)
        func = node.func
        object_call = None
        if isinstance(func, cst.Name) and func.value in state.objects:
            object_call = f"{state.objects[func.value]}.__call__"
        elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value in state.objects:
            object_call = f"{state.objects[func.value.value]}.{func.attr.value}"
        if object_call is not None:
            state.record.object_calls = (*state.record.object_calls, object_call)
        if not self._every_time(state):
            texts = (dotted_name(node.func), object_call)
            state.record.conditional_calls = (*state.record.conditional_calls, *filter(None, texts))
        status = keyword(node, "status_code") or keyword(node, "status")
        if status is None and qualified in HTTP_EXCEPTIONS:
            status = argument(node, 0, "status_code")
        elif status is None and isinstance(node.func, (cst.Name, cst.Attribute)):
            if (dotted_name(node.func) or "").endswith("Response"):
                status = argument(node, 1, "status_code")
        if status is not None:
            value = self._status(status.value)
            if value in (401, 403):
                callee = dotted_name(node.func) or "response"
                self._reject(f"{callee.rsplit('.', 1)[-1]}({value})")
        method = node.func.attr.value if isinstance(node.func, cst.Attribute) else (
            node.func.value if isinstance(node.func, cst.Name) else None)
        if method in RUNNERS and runs_query(node, state.lookup, self.context.qualify) is not None:
            state.record.read_runs = (*state.record.read_runs, dotted_name(node.func) or method)
        flow = flow_of_call(qualified, dotted_name(node.func) or method)
        if flow is None and method == "verify" and isinstance(node.func, cst.Attribute):
            receiver = (dotted_name(node.func.value) or "").lower()
            if any(word in receiver for word in ("webhook", "wh", "pwd", "password", "hasher", "crypt", "signature")):
                flow = f"verifies a signature or password (`{dotted_name(node.func)}`)"
        if flow and state.record.flow is None:
            state.record.flow = flow
        if method == "get" and isinstance(node.func, cst.Attribute) and node.args:
            source = dotted_name(node.func.value) or ""
            key = string_value(node.args[0].value) or ""
            if is_credential_store(source) or (
                    source.endswith(".headers") and _CREDENTIAL_NAME.search(key) and "csrf" not in key.lower()):
                state.record.reads_credentials = True
            self._body_field(node.func.value, key)

    def visit_Attribute(self, node: cst.Attribute) -> None:
        """`request.cookies` read in any way (`"session" in request.cookies`); a parameter's field
        named for a credential (`body.invitation_token`)."""
        if not self._functions:
            return
        record = self._functions[-1].record
        if is_credential_store(dotted_name(node) or ""):
            record.reads_credentials = True
        if (isinstance(node.value, cst.Name) and node.value.value in self._functions[-1].params
                and CREDENTIAL_FIELD.search(node.attr.value)):
            record.credential_fields = (*record.credential_fields, (node.value.value, node.attr.value))

    def visit_Subscript(self, node: cst.Subscript) -> None:
        if not self._functions:
            return
        if self.context.qualify(node.value) == "os.environ":
            self._functions[-1].record.reads_environment = True
        source = dotted_name(node.value) or ""
        if is_credential_store(source) or (
            source.endswith(".headers") and node.slice
            and isinstance(node.slice[0].slice, cst.Index)
            and _CREDENTIAL_NAME.search(string_value(node.slice[0].slice.value) or "")
            and "csrf" not in (string_value(node.slice[0].slice.value) or "").lower()
        ):
            self._functions[-1].record.reads_credentials = True
        if node.slice and isinstance(node.slice[0].slice, cst.Index):
            self._body_field(node.value, string_value(node.slice[0].slice.value) or "")

    def _body_field(self, holder: cst.BaseExpression, key: str) -> None:
        """A field named for a credential of the body a parameter's request holds, read by its key
        (`body.get("refresh_token")`, `body["token"]` after `body = await request.json()`)."""
        state = self._functions[-1]
        if not (key and isinstance(holder, cst.Name) and CREDENTIAL_FIELD.search(key)):
            return
        for value in state.assigned.get(holder.value, ()):
            call = value.expression if isinstance(value, cst.Await) else value
            if (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
                    and call.func.attr.value in REQUEST_BODY_READS and isinstance(call.func.value, cst.Name)
                    and call.func.value.value in state.params):
                state.record.credential_fields = (*state.record.credential_fields, (call.func.value.value, key))
                return

    def visit_Dict(self, node: cst.Dict) -> None:
        """An ASGI middleware's `{"type": "http.response.start", "status": 401}`."""
        if not self._functions:
            return
        for element in node.elements:
            if isinstance(element, cst.DictElement) and string_value(element.key) == "status":
                value = self._status(element.value)
                if value in (401, 403):
                    self._reject(f"response status {value}")

    def leave_If(self, original_node: cst.If) -> None:
        self._conditions -= 1
        if self._functions:
            way_in = original_node.orelse is None and _returns_nothing(original_node.body)
            self._keep_check(way_in, self._compare.matches_only(original_node.test))

    def visit_If(self, node: cst.If) -> None:
        self._conditions += 1
        if not self._functions:
            return
        state = self._functions[-1]
        compared = self._compare.compared(node.test, state.made, state.in_class, state.assigned)
        passing = self._compare.passes_only(node.test, state.made, state.in_class, state.assigned)
        self._checks.append((compared, passing, self._answers_tested(node.test, state), tests_loopback(node.test),
                             state.rejections))
        test = node.test
        if (isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)
                and self._compare.compares_digest(test.expression) and _raises(node.body)):
            # `if not hmac.compare_digest(expected, signature): raise SignatureError.http_exception()`:
            # a constant-time comparison is made of secrets, and whatever the block raises, with
            # whatever status an error class of another module carries, the caller is turned away.
            self._reject("raise when `compare_digest` fails")
        tested = missing_test(node.test)
        if tested is None or tested not in state.params:
            return
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
        for statement in body:
            smalls = statement.body if isinstance(statement, cst.SimpleStatementLine) else ()
            for small in smalls:
                if isinstance(small, cst.Raise):
                    state.record.refuses_without = (*state.record.refuses_without, tested)
                elif isinstance(small, cst.Return) and (small.value is None or is_none(small.value)):
                    state.record.lets_missing_through = True

    def visit_If_body(self, node: cst.If) -> None:
        state = self._functions[-1] if self._functions else None
        present = state is not None and any(holds_request_value(name, state.params, state.assigned)
                                            for name in credential_present_test(node.test))
        self._with_credential.append(present)
        if present:
            state.with_credential += 1

    def leave_If_body(self, node: cst.If) -> None:
        if self._with_credential.pop():
            self._functions[-1].with_credential -= 1

    def _answers_tested(self, test: cst.BaseExpression, state: _State) -> tuple[str, ...]:
        """The function a test refuses on the answer of: `not is_internal(token)`,
        `not self._authorized(request)`, also awaited."""
        if not (isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)):
            return ()
        call = test.expression.expression if isinstance(test.expression, cst.Await) else test.expression
        if not isinstance(call, cst.Call):
            return ()
        func = call.func
        if (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "self"
                and state.in_class):
            return (f"{state.in_class}.{func.attr.value}",)
        callee = self.context.qualify(func)
        return (callee,) if callee else ()

    def visit_Return(self, node: cst.Return) -> None:
        """What a function that answers a test compares: `return compare_digest(token, expected)`;
        `return False` refuses and is no other answer. An answer that may hold without the
        comparison (`return token == expected or settings.debug`) is another answer."""
        if not self._functions:
            return
        state = self._functions[-1]
        state.returned_early |= self._conditions > state.entry_conditions
        if node.value is None or isinstance(node.value, cst.Name) and node.value.value in ("False", "None"):
            return
        compared = () if _has_or(node.value) else self._compare.compared(
            node.value, state.made, state.in_class, state.assigned)
        if compared:
            state.answers.extend(compared)
        else:
            state.answers_otherwise = True

    def visit_Try(self, node: cst.Try) -> None:
        """`try: key.verify(signature, body)`: the key, kept if a handler rejects the caller."""
        if not self._functions:
            return
        state = self._functions[-1]
        keys: list[str] = []
        for statement in node.body.body:
            for small in statement.body if isinstance(statement, cst.SimpleStatementLine) else ():
                value = getattr(small, "value", None)
                call = value.expression if isinstance(value, cst.Await) else value
                if (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
                        and call.func.attr.value == "verify"):
                    key = self._compare.operand(call.func.value, state.made, state.in_class)
                    if key:
                        keys.append(key)
        self._checks.append((tuple(keys), (tuple((key,) for key in keys),), (), False, state.rejections))

    def leave_Try(self, original_node: cst.Try) -> None:
        if self._functions:
            self._keep_check()

    def visit_Try_body(self, node: cst.Try) -> None:
        if self._functions:
            self._tries.append((self._functions[-1], all(_raises(handler.body) for handler in node.handlers)))

    def leave_Try_body(self, node: cst.Try) -> None:
        if self._functions:
            self._tries.pop()

    def _every_time(self, state: _State) -> bool:
        """Whether the call being walked runs on every call of the function, what it raises reaching
        the caller: under no `if` of its own, after no `return` under one, and in no `try` with a
        handler that does not raise again."""
        return (self._conditions == state.entry_conditions and not state.returned_early
                and all(raises for owner, raises in self._tries if owner is state))

    def _verifies_token(self, qualified: str | None) -> None:
        """`payload = jwt.decode(token, key, ...)` on every call, with nothing around it that
        swallows what it raises: a caller without a valid token gets an error, whatever its status."""
        if qualified not in TOKEN_VERIFIERS:
            return
        state = self._functions[-1]
        if self._every_time(state):
            state.record.verifies_token = f"`{qualified}` raises without a valid token"

    def _keep_check(self, way_in: bool = False, matching: bool = False) -> None:
        """An `if` or `try` left: what it compared counts if a rejection was walked inside it; an
        `if` that returns and rejects nothing is a way in, which lets only holders through when
        its test holds only for a value `matching` what it compares."""
        compared, passing, tested, loopback, before = self._checks.pop()
        state = self._functions[-1]
        if way_in and state.rejections == before:
            state.admissions.append(compared if matching else ())
        if state.rejections > before:
            if any(passing):
                state.record.compared_with = (*state.record.compared_with, passing)
            state.record.tests_answer_of = (*state.record.tests_answer_of, *tested)
            state.record.loopback_only |= loopback

    def _receiver(self, node: cst.BaseExpression) -> str:
        """The application a middleware is registered with, named as the FastAPI model names it:
        a local of a factory function is `create_app.<locals>.app`; "" when unknown."""
        if isinstance(node, cst.Name) and self._functions and node.value in self._functions[-1].objects:
            return f"{self._functions[-1].qualname}.<locals>.{node.value}"
        return self.context.qualify(node) or ""

    def _status(self, node: cst.BaseExpression) -> int | None:
        """`401`, `status.HTTP_401_UNAUTHORIZED` (also re-exported by a compatibility module),
        `HTTPStatus.FORBIDDEN`."""
        value = status_value(node, self.context.qualify)
        if value is None and isinstance(node, cst.Attribute):
            match = _STATUS_SPELLING.search(dotted_name(node) or "")
            if match:
                value = 401 if match.group(1) == "401" or match.group(2) == "UNAUTHORIZED" else 403
        return value

    def _reject(self, how: str) -> None:
        if self._functions[-1].with_credential:
            return  # `if token is not None: ... raise InvalidTokenError()`: one without a token gets in
        state = self._functions[-1]
        state.rejections += 1
        record = state.record
        if record.rejects is None:
            record.rejects = how
        if state.admissions and self._conditions == state.entry_conditions and not record.admitted_by:
            record.admitted_by = tuple(state.admissions)  # every caller the ways in before let pass is refused



def _raises(block: cst.BaseSuite) -> bool:
    """Whether a block raises in its own statements (`except JWTError: raise HTTPException(401)`)."""
    statements = block.body if isinstance(block, cst.IndentedBlock) else (block,)
    return any(isinstance(small, cst.Raise) for statement in statements
               if isinstance(statement, (cst.SimpleStatementLine, cst.SimpleStatementSuite))
               for small in statement.body)


def _returns_nothing(block: cst.BaseSuite) -> bool:
    """Whether a block is a bare `return` (or `return None`): an `if` that lets the caller through."""
    statements = block.body if isinstance(block, cst.IndentedBlock) else (block,)
    if len(statements) != 1 or not isinstance(statements[0], (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
        return False
    smalls = statements[0].body
    return (len(smalls) == 1 and isinstance(smalls[0], cst.Return)
            and (smalls[0].value is None or is_none(smalls[0].value)))


def _has_or(node: cst.BaseExpression) -> bool:
    """`a or b`, also inside `and`/`not`: a test that holds on either side."""
    if isinstance(node, cst.UnaryOperation):
        return _has_or(node.expression)
    if isinstance(node, cst.BooleanOperation):
        return isinstance(node.operator, cst.Or) or _has_or(node.left) or _has_or(node.right)
    return False


def _is_false(arg: cst.Arg | None) -> bool:
    return arg is not None and isinstance(arg.value, cst.Name) and arg.value.value == "False"
