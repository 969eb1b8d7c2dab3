"""What an endpoint's response carries: the schema it declares, the values its handler returns,
and which ORM columns hold credentials.

Per file (modules that mention FastAPI, SQLAlchemy/SQLModel or a hashing/secrets library),
`ResponseFacts` records plain `ModuleResponses`:

- for every function, the *shapes* of the values it returns (`Shape`): an instance of a class
  (`User(...)`, `session.get(User, id)`, the rows of `select(User)`), the result of a call to
  another function, a parameter, a serialisation of a value (`obj.__dict__`, `obj.model_dump()`,
  `jsonable_encoder(obj)`), a dict literal of values; locals are followed to their assignments;
- the callees of each function's returned expressions (a wrapper such as `get_password_hash`
  returns what `pwd_context.hash(...)` makes);
- writes of computed values to named attributes or fields (`user.hashed_password = hash(...)`,
  `User(api_key=secrets.token_urlsafe())`, `update={"hashed_password": hashed}`), by the callees
  that produce the value;
- the annotated fields of every class (a response model's fields).

Over the repository, `ResponseModel` (`repo.facts(ResponseFacts)`) answers:

- `credential_columns(cls)`: the mapped columns of an ORM class that hold credentials, with why:
  the column is written from a hashing, secret-generating or encrypting call (through repository
  wrappers, a few calls deep), or its name is an unambiguous credential (`hashed_password`,
  `api_key`, `client_secret`, ...);
- `leaks(endpoint)`: the credential columns the endpoint's response can carry, after the response
  model it declares (`response_model=`, or a return annotation FastAPI uses as one) filters them;
- `response_schema(index, endpoint)`: the declared response model's name, or None (module-level).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.semantics.fastapi.annotations import type_ref
from reviewer.semantics.fastapi.collector import ROUTING_TEXT, FastAPIFacts
from reviewer.semantics.fastapi.records import TypeRef
from reviewer.semantics.orm import OrmFacts, query_of, runs_query
from reviewer.syntax import keyword, string_value
from reviewer.traversal import descendants

if TYPE_CHECKING:
    from reviewer.facts import RepositoryView
    from reviewer.rule import FileContext
    from reviewer.semantics.fastapi.index import Endpoint, EndpointIndex

FACTS_KEY = "responses"
_ACTIVE_TEXT = re.compile(
    r"fastapi|sqlalchemy|sqlmodel|passlib|bcrypt|argon2|pwdlib|hashlib|secrets|cryptography|encrypt")
# Field names a credential write is recorded for (the decision still needs a producing call).
_CREDENTIAL_WORDS = re.compile(r"pass|hash|secret|token|key|cred|salt|otp|pin|cipher|encrypt|digest", re.IGNORECASE)

# Column names that say by themselves the column holds a credential.
CREDENTIAL_NAMES = frozenset({
    "hashed_password", "password_hash", "password", "passwd", "encrypted_password", "api_key", "hashed_api_key",
    "api_key_hash", "secret", "secret_key", "client_secret", "access_token", "refresh_token", "private_key",
    "totp_secret", "otp_secret", "mfa_secret",
})
# Calls whose result is a password hash, a digest, a generated secret or a ciphertext.
PRODUCER_PACKAGES = ("passlib.", "bcrypt.", "argon2.", "pwdlib.", "hashlib.", "cryptography.", "nacl.")
PRODUCER_FUNCTIONS = frozenset({
    "secrets.token_urlsafe", "secrets.token_hex", "secrets.token_bytes", "werkzeug.security.generate_password_hash",
    "crypt.crypt", "hmac.new", "hmac.digest",
})
HASHING_PACKAGES = ("passlib.", "bcrypt.", "argon2.", "pwdlib.", "hashlib.", "werkzeug.security.", "crypt.", "hmac.")
PRODUCER_METHODS = frozenset({"hash", "hashpw", "encrypt", "hash_password", "generate_password_hash"})
HASHING_METHODS = frozenset({"hash", "hashpw", "hash_password", "generate_password_hash"})
JSON_ENCODERS = frozenset({"fastapi.encoders.jsonable_encoder"})
DUMP_METHODS = frozenset({"model_dump", "dict"})
VALIDATORS = frozenset({"model_validate", "from_orm", "parse_obj", "model_construct", "construct"})
ONE_ROW = frozenset({"first", "one", "one_or_none", "scalar_one", "scalar_one_or_none", "scalar"})
SECRET_TYPES = frozenset({
    "pydantic.SecretStr", "pydantic.SecretBytes", "pydantic.types.SecretStr", "pydantic.types.SecretBytes",
    "pydantic.v1.SecretStr",
})
RESPONSE_CLASSES = frozenset({
    "starlette.responses.Response", "fastapi.Response", "fastapi.responses.Response",
})
_MAX_DEPTH = 4


@dataclass(frozen=True, slots=True)
class Shape:
    """A value a function returns, as far as the module tells.

    kind: `instance` (of class `name`), `call` (the result of calling `name`: a class or a
    function, resolved over the repository), `param` (parameter `name`), `dump` (a serialisation of
    `inner`, `excluded` fields left out), `dict` (a dict literal of `inner` values), `other`."""

    kind: str
    name: str | None = None
    many: bool = False
    fresh: bool = False  # made in the function itself (`User(...)`, `create_user(...)`)
    inner: tuple[Shape, ...] = ()
    excluded: tuple[str, ...] = ()


OTHER = Shape("other")


@dataclass
class ModuleResponses:
    returns: dict[str, tuple[Shape, ...]] = field(default_factory=dict)  # function -> returned shapes
    annotations: dict[str, TypeRef] = field(default_factory=dict)  # function -> return annotation
    return_calls: dict[str, tuple[str, ...]] = field(default_factory=dict)  # function -> callees it returns
    writes: list[tuple[str | None, str, tuple[str, ...]]] = field(default_factory=list)  # (class, field, callees)
    fields: dict[str, tuple[str, ...]] = field(default_factory=dict)  # class -> annotated fields
    functions: set[str] = field(default_factory=set)  # every function read
    # function -> what each return gives: `response` (a Response object), `value`, or the repository
    # function whose result it returns (`call:app.auth.success_response`)
    return_kinds: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class _Function:
    qualname: str
    params: set[str]
    locals: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    returned: list[cst.BaseExpression] = field(default_factory=list)
    writes: list[tuple[str | None, str, cst.BaseExpression]] = field(default_factory=list)


class ResponseFacts(Facts):
    """Records what functions return, credential writes and class fields (see the module doc)."""

    requires: ClassVar[tuple[type[Facts], ...]] = (FastAPIFacts, OrmFacts)

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self.active = bool(_ACTIVE_TEXT.search(context.source))
        self._mentions_secret_types = "Secret" in context.source
        # The FastAPI model records return annotations of modules with routing code itself.
        self._annotated_elsewhere = bool(ROUTING_TEXT.search(context.source))
        self.module = ModuleResponses()
        self._functions: list[_Function] = []
        self._scope: list[str] = []
        self._class_depth: list[bool] = []
        if self.active:
            context.summary.extras[FACTS_KEY] = self.module

    def get_visitors(self) -> Mapping[str, Callable]:
        return super().get_visitors() if self.active else {}

    def qualify(self, node: cst.BaseExpression) -> str | None:
        return self.context.qualify(node)

    def _qualname(self, name: str) -> str:
        return ".".join(p for p in (self.context.module, *self._scope, name) if p)

    # classes and functions --------------------------------------------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        qualname = self._qualname(node.name.value)
        if isinstance(node.body, cst.IndentedBlock):
            names = []
            for statement in node.body.body:
                if isinstance(statement, cst.SimpleStatementLine):
                    for small in statement.body:
                        if (isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name)
                                and not self._masked(small.annotation.annotation)):
                            names.append(small.target.value)
            if names:
                self.module.fields[qualname] = tuple(names)
        self._scope.append(node.name.value)
        self._class_depth.append(True)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._scope.pop()
        self._class_depth.pop()

    def _masked(self, annotation: cst.BaseExpression) -> bool:
        """A field Pydantic serialises masked (`SecretStr`, `SecretStr | None`)."""
        return self._mentions_secret_types and any(
            isinstance(node, (cst.Name, cst.Attribute)) and self.qualify(node) in SECRET_TYPES
            for node in descendants(annotation))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        qualname = self._qualname(node.name.value)
        params = {p.name.value for p in (*node.params.posonly_params, *node.params.params, *node.params.kwonly_params)}
        self._functions.append(_Function(qualname, params))
        if node.returns is not None and not self._annotated_elsewhere:
            self.module.annotations[qualname] = type_ref(node.returns.annotation, self.qualify)
        self._scope.append(node.name.value)
        self._class_depth.append(False)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        state = self._functions.pop()
        self.module.functions.add(state.qualname)
        self._scope.pop()
        self._class_depth.pop()
        reader = _Reader(state, self.qualify)
        per_value = [reader.shapes(value, 0) for value in state.returned]
        shapes = [shape for found in per_value for shape in found]
        if shapes:
            self.module.returns[state.qualname] = tuple(dict.fromkeys(shapes))
        callees = tuple(dict.fromkeys(c for value in state.returned for c in reader.callees(value, 0)))
        if callees:
            self.module.return_calls[state.qualname] = callees
        if state.returned:
            self.module.return_kinds[state.qualname] = tuple(dict.fromkeys(
                reader.return_kind(value, 0, found) for value, found in zip(state.returned, per_value, strict=True)))
        for cls, name, value in state.writes:
            found = tuple(dict.fromkeys(reader.callees(value, 0)))
            if found:
                self.module.writes.append((cls, name, found))

    # statements -------------------------------------------------------------------------------

    def visit_Return(self, node: cst.Return) -> None:
        value = node.value
        if self._functions and value is not None and not (isinstance(value, cst.Name) and value.value == "None"):
            self._functions[-1].returned.append(value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._assign(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._assign(node.target, node.value)

    def _assign(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if not self._functions:
            return
        state = self._functions[-1]
        if isinstance(target, cst.Name):
            state.locals.setdefault(target.value, []).append(value)
        elif isinstance(target, cst.Attribute) and _CREDENTIAL_WORDS.search(target.attr.value):
            state.writes.append((None, target.attr.value, value))

    def visit_Call(self, node: cst.Call) -> None:
        if not self._functions:
            return
        made: str | None = ""
        for arg in node.args:
            if arg.keyword is not None and _CREDENTIAL_WORDS.search(arg.keyword.value):
                if made == "":
                    made = self.qualify(node.func) if isinstance(node.func, (cst.Name, cst.Attribute)) else None
                self._functions[-1].writes.append((made, arg.keyword.value, arg.value))

    def visit_DictElement(self, node: cst.DictElement) -> None:
        if self._functions:
            key = string_value(node.key)
            if key and _CREDENTIAL_WORDS.search(key):
                self._functions[-1].writes.append((None, key, node.value))

    @classmethod
    def repository(cls, repo: RepositoryView) -> ResponseModel:
        modules = [s.extras[FACTS_KEY] for s in repo.summaries
                   if isinstance(s.extras.get(FACTS_KEY), ModuleResponses) and not s.is_test_file]
        model = ResponseModel(modules, repo)
        index = repo.facts(FastAPIFacts)
        index.annotate("response_model", lambda endpoint: response_schema(index, endpoint))
        return model


class _Reader:
    """Reads returned expressions of one function into shapes, following its locals."""

    def __init__(self, state: _Function, qualify: Callable[[cst.BaseExpression], str | None]) -> None:
        self.state = state
        self.qualify = qualify

    def lookup(self, name: str) -> list[tuple[cst.BaseExpression, None]]:
        return [(value, None) for value in self.state.locals.get(name, ())]

    def shapes(self, expr: cst.BaseExpression, depth: int, bound: Mapping[str, Shape] | None = None) -> list[Shape]:
        if depth > _MAX_DEPTH:
            return [OTHER]
        bound = bound or {}
        if isinstance(expr, cst.Await):
            return self.shapes(expr.expression, depth, bound)
        if isinstance(expr, cst.Name):
            if expr.value in bound:
                return [bound[expr.value]]
            if expr.value in self.state.locals:
                found = [s for value in self.state.locals[expr.value] for s in self.shapes(value, depth + 1)]
                return found or [OTHER]
            if expr.value in self.state.params:
                return [Shape("param", expr.value)]
            return [OTHER]
        if isinstance(expr, cst.Attribute) and expr.attr.value == "__dict__":
            return [Shape("dump", inner=tuple(self.shapes(expr.value, depth + 1, bound)))]
        if isinstance(expr, cst.Dict):
            inner = [s for e in expr.elements if isinstance(e, cst.DictElement)
                     for s in self.shapes(e.value, depth + 1, bound)]
            return [Shape("dict", inner=tuple(inner))]
        if isinstance(expr, (cst.List, cst.Tuple)):
            return [_many(s) for e in expr.elements for s in self.shapes(e.value, depth + 1, bound)] or [OTHER]
        if isinstance(expr, (cst.ListComp, cst.GeneratorExp)):
            comp = expr.for_in
            if isinstance(comp.target, cst.Name) and comp.inner_for_in is None:
                items = [_one(s) for s in self.shapes(comp.iter, depth + 1, bound)]
                found = []
                for item in items:
                    found += [_many(s) for s in self.shapes(expr.elt, depth + 1, {**bound, comp.target.value: item})]
                return found or [OTHER]
            return [OTHER]
        if isinstance(expr, cst.Call):
            return self.call_shapes(expr, depth, bound)
        return [OTHER]

    def call_shapes(self, call: cst.Call, depth: int, bound: Mapping[str, Shape]) -> list[Shape]:
        func = call.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method in DUMP_METHODS and not call.args or method == "model_dump":
                return [Shape("dump", inner=tuple(self.shapes(func.value, depth + 1, bound)),
                              excluded=_excluded(call))]
            if method in ONE_ROW:
                query = query_of(func.value, self.lookup, self.qualify)
                if query is not None and query.entity_name and (query.scalars or method.startswith("scalar")):
                    return [Shape("instance", query.entity_name)]
                if query is not None:
                    return [OTHER]
            if method in VALIDATORS and isinstance(func.value, (cst.Name, cst.Attribute)):
                made = self.qualify(func.value)
                return [Shape("instance", made, fresh=True)] if made else [OTHER]
        query = runs_query(call, self.lookup, self.qualify) if isinstance(func, cst.Attribute) else None
        if query is None and isinstance(func, cst.Attribute) and func.attr.value in ("all", "fetchall", "unique"):
            query = query_of(call, self.lookup, self.qualify)
            if query is not None and query.entity_name and query.scalars:
                return [Shape("instance", query.entity_name, many=True)]
        if query is not None:
            if query.entity_name and query.scalars:
                return [Shape("instance", query.entity_name, many=func.attr.value != "get")]  # type: ignore[union-attr]
            return [OTHER]
        if not isinstance(func, (cst.Name, cst.Attribute)):
            return [OTHER]
        callee = self.qualify(func)
        if callee in JSON_ENCODERS and call.args:
            return [Shape("dump", inner=tuple(self.shapes(call.args[0].value, depth + 1, bound)),
                          excluded=_excluded(call))]
        if callee in ("builtins.vars", "builtins.dict") and len(call.args) == 1 and call.args[0].keyword is None:
            return [Shape("dump", inner=tuple(self.shapes(call.args[0].value, depth + 1, bound)))]
        if callee in ("builtins.list", "builtins.tuple") and len(call.args) == 1:
            return [_many(s) for s in self.shapes(call.args[0].value, depth + 1, bound)]
        if callee is None or callee.startswith("builtins."):
            return [OTHER]
        return [Shape("call", callee, fresh=True)]

    def callees(self, expr: cst.BaseExpression, depth: int) -> list[str]:
        """The calls that make a value: qualified callees (and `.method` for a method) at the head
        of the expression (`pwd_context.hash(pw)`, `hashlib.sha256(k).hexdigest()`, `"sk-" +
        secrets.token_urlsafe()`), through the locals it is read from; never the calls in the
        arguments, which only feed the value (`generate_jwk(secrets.token_urlsafe())`)."""
        if depth > 3:
            return []
        if isinstance(expr, cst.Await):
            return self.callees(expr.expression, depth)
        if isinstance(expr, cst.Name):
            return [c for value in self.state.locals.get(expr.value, ()) if value is not expr
                    for c in self.callees(value, depth + 1)]
        if isinstance(expr, cst.BinaryOperation):
            return self.callees(expr.left, depth + 1) + self.callees(expr.right, depth + 1)
        if isinstance(expr, cst.FormattedString):
            return [c for part in expr.parts if isinstance(part, cst.FormattedStringExpression)
                    for c in self.callees(part.expression, depth + 1)]
        if not isinstance(expr, cst.Call) or not isinstance(expr.func, (cst.Name, cst.Attribute)):
            return []
        found = []
        name = self.qualify(expr.func)
        if name and not name.startswith("builtins."):
            found.append(name)
        if isinstance(expr.func, cst.Attribute):
            found.append(f".{expr.func.attr.value}")
            if isinstance(expr.func.value, (cst.Call, cst.Await)):
                found += self.callees(expr.func.value, depth + 1)  # `hashlib.sha256(k).hexdigest()`
        return found

    def return_kind(self, expr: cst.BaseExpression, depth: int = 0, shapes: list[Shape] | None = None) -> str:
        if self.is_response(expr, 0):
            return "response"
        if _constant(expr):
            return "constant"  # `{"status": "ok"}`, `"OK"`: a fixed acknowledgement
        if isinstance(expr, cst.Name) and self.state.locals.get(expr.value) and depth < 3:
            # A local once bound to a Response (and handed through helpers) is one.
            kinds = [self.return_kind(value, depth + 1) for value in self.state.locals[expr.value]]
            if "response" in kinds:
                return "response"
            if "value" in kinds or "constant" in kinds:
                return "value"  # a literal bound to a local may be filled in later (`output["x"] = ...`)
            return next((kind for kind in kinds if kind.startswith("call:")), "unknown")
        if any(shape.kind in ("instance", "dump", "dict") for shape in shapes or self.shapes(expr, 0)):
            return "value"  # rows of a query, a serialisation, a dict
        if isinstance(expr, cst.Await):
            expr = expr.expression
        if isinstance(expr, cst.Call):
            callee = self.qualify(expr.func) if isinstance(expr.func, (cst.Name, cst.Attribute)) else None
            if callee and not callee.startswith("builtins."):
                return f"call:{callee}"
            return "value" if callee else "unknown"  # `node.connect_peer(uri)`: anything
        return "value"

    def is_response(self, expr: cst.BaseExpression, depth: int) -> bool:
        """A returned value that is a response object (`RedirectResponse(...)`,
        `templates.TemplateResponse(...)`), possibly through a local."""
        if isinstance(expr, cst.Await):
            expr = expr.expression
        if isinstance(expr, cst.Name) and expr.value in self.state.locals and depth < 3:
            values = self.state.locals[expr.value]
            return bool(values) and all(self.is_response(v, depth + 1) for v in values)
        if isinstance(expr, cst.Call) and isinstance(expr.func, (cst.Name, cst.Attribute)):
            # A class named `...Response` of the repository may be a Pydantic model
            # (`TaskResponse`): the repository pass decides those (`call:` kinds).
            name = self.qualify(expr.func) or ""
            method = expr.func.attr.value if isinstance(expr.func, cst.Attribute) else None
            return name.startswith(("starlette.responses.", "fastapi.responses.")) or name in RESPONSE_CLASSES or (
                method == "TemplateResponse")
        return False


def _constant(expr: cst.BaseExpression) -> bool:
    """A literal made of literals only: `{"status": "ok"}`, `"OK"`, `True`."""
    if isinstance(expr, (cst.SimpleString, cst.Integer, cst.Float)):
        return True
    if isinstance(expr, cst.Name):
        return expr.value in ("True", "False")
    if isinstance(expr, cst.Dict):
        return all(isinstance(e, cst.DictElement) and _constant(e.key) and _constant(e.value) for e in expr.elements)
    if isinstance(expr, (cst.List, cst.Tuple)):
        return all(_constant(e.value) for e in expr.elements)
    return False


def _many(shape: Shape) -> Shape:
    return Shape(shape.kind, shape.name, True, shape.fresh, shape.inner, shape.excluded)


def _one(shape: Shape) -> Shape:
    return Shape(shape.kind, shape.name, False, shape.fresh, shape.inner, shape.excluded)


def _excluded(call: cst.Call) -> tuple[str, ...]:
    arg = keyword(call, "exclude")
    if arg is None or not isinstance(arg.value, (cst.Set, cst.List, cst.Tuple, cst.Dict)):
        return ()
    keys = [e.key if isinstance(e, cst.DictElement) else getattr(e, "value", None) for e in arg.value.elements]
    return tuple(name for name in (string_value(k) for k in keys if k is not None) if name)


# repository ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credential:
    cls: str  # the mapped class, qualified
    column: str
    reason: str  # `written from pwd_context.hash(...)`, `named like a credential`
    hashed: bool  # a hash (never exempt on creation) rather than a secret returned once


@dataclass(frozen=True)
class Leak:
    credential: Credential
    through: str  # how the response carries it: `returns User`, `response model UserOut includes it`
    fresh: bool  # the returned object was made by the endpoint


class ResponseModel:
    """The repository side: credential columns and what endpoints' responses carry."""

    def __init__(self, modules: list[ModuleResponses], repo: RepositoryView) -> None:
        self.repo = repo
        self.orm = repo.facts(OrmFacts)
        self.index: EndpointIndex = repo.facts(FastAPIFacts)
        self.returns: dict[str, tuple[Shape, ...]] = {}
        self.annotations: dict[str, TypeRef] = {}
        self.return_calls: dict[str, tuple[str, ...]] = {}
        self.fields: dict[str, tuple[str, ...]] = {}
        self.return_kinds: dict[str, tuple[str, ...]] = {}
        self.functions: set[str] = set()
        writes: list[tuple[str | None, str, tuple[str, ...]]] = []
        for module in modules:
            self.returns.update(module.returns)
            self.annotations.update(module.annotations)
            self.return_calls.update(module.return_calls)
            self.fields.update(module.fields)
            self.return_kinds.update(module.return_kinds)
            self.functions |= module.functions
            writes.extend(module.writes)
        self._producer_memo: dict[str, str | None] = {}
        # field -> (class written to or None, the producing call, is a hash)
        self.written: dict[str, list[tuple[str | None, str, bool]]] = {}
        for cls, name, callees in writes:
            for callee in callees:
                kind = self.producer(callee, 0)
                if kind is not None:
                    target = self.repo.index.canonical(cls) if cls else None
                    self.written.setdefault(name, []).append((target, callee.lstrip("."), kind == "hash"))
                    break
        self._credentials_memo: dict[str, list[Credential]] = {}

    def answers(self, function: str) -> str | None:
        """What the function returns: `value` (some return gives a value FastAPI encodes),
        `constant` (only fixed literals: `{"status": "ok"}`),
        `response` (only Response objects, also through repository helpers that build them:
        `return success_response(...)`), `unknown` (what library calls return), None (nothing)."""
        if function not in self.return_kinds:
            return None
        return self._answers(function, 0) or "unknown"

    def _answers(self, function: str, depth: int) -> str | None:
        """`value` (some return gives a value FastAPI encodes), `response` (only Response
        objects), or None (returns nothing, or only what the model cannot tell)."""
        kinds = self.return_kinds.get(function)
        if kinds is None:
            return None
        found = {self._call_answer(kind[5:], depth) if kind.startswith("call:") else kind for kind in kinds}
        for answer in ("value", "constant", "response"):
            if answer in found:
                return answer
        return None

    def annotation(self, function: str) -> TypeRef | None:
        """A repository function's return annotation, aliases resolved."""
        entry = self.index.functions.get(function)
        return self.index.type_of(entry[0].returns if entry is not None else self.annotations.get(function))

    def _call_answer(self, callee: str, depth: int) -> str | None:
        """What returning `callee(...)` gives: a repository function's answer, a class's instance
        (a Response or a value), or None for a call into a library the model cannot tell."""
        target = self.canonical(callee) or callee
        annotation = self.annotation(target)
        if annotation is not None and annotation.kind == "name" and annotation.name and is_response_class(
                self.index, annotation.name):
            return "response"
        if annotation is not None and annotation.kind == "none":
            return None  # `-> None`
        if target in self.return_kinds:
            return self._answers(target, depth + 1) if depth < 3 else None
        if target in self.functions:
            return None  # read, and it returns nothing
        if target.rpartition(".")[2].endswith("Response") and not self.index.bases(target):
            return "response"  # a library's response class (`EventSourceResponse`)
        if is_response_class(self.index, target):
            return "response"
        if annotation is not None or self.index.bases(target) or self.index.is_model(target):
            return "value"
        return "value" if self.repo.index.function(target) is not None else None

    def canonical(self, name: str | None) -> str | None:
        if not name:
            return None
        resolved = self.index.resolve(name) or name
        return self.repo.index.canonical(resolved)

    # credentials ------------------------------------------------------------------------------

    def producer(self, callee: str, depth: int) -> str | None:
        """`hash` or `secret` when the call makes a password hash/digest or a secret/ciphertext:
        a library call, or a repository function that returns one (a few calls deep)."""
        if callee.startswith("."):
            method = callee[1:]
            return "hash" if method in HASHING_METHODS else "secret" if method in PRODUCER_METHODS else None
        if callee in PRODUCER_FUNCTIONS or callee.startswith(PRODUCER_PACKAGES):
            return "hash" if callee.startswith(HASHING_PACKAGES) else "secret"
        owner, _, method = callee.rpartition(".")
        if method in PRODUCER_METHODS and owner and self.repo.index.module(owner) is None:
            # `pwd_context.hash` (a method of an object), qualified through the module that made it
            return "hash" if method in HASHING_METHODS else "secret"
        if depth >= 3:
            return None
        target = self.canonical(callee) or callee
        if target in self._producer_memo:
            return self._producer_memo[target]
        self._producer_memo[target] = None
        kinds = [self.producer(inner, depth + 1) for inner in self.return_calls.get(target, ())]
        found = "hash" if "hash" in kinds else "secret" if "secret" in kinds else None
        self._producer_memo[target] = found
        return found

    def credential_columns(self, cls: str) -> list[Credential]:
        """The mapped columns of class `cls` (its bases' included) that hold credentials."""
        key = self.canonical(cls) or cls
        if key in self._credentials_memo:
            return self._credentials_memo[key]
        found: list[Credential] = []
        lineage = self._lineage(key)
        columns = {column for record in lineage for column in record.columns}
        names = {record.qualname for record in lineage}
        for column in sorted(columns):
            writes = [w for w in self.written.get(column, ()) if w[0] is None or w[0] in names]
            if writes:
                hashed = any(w[2] for w in writes)
                found.append(Credential(key, column, f"written from `{writes[0][1]}(...)`", hashed))
            elif column.lower() in CREDENTIAL_NAMES:
                hashed = "hash" in column.lower() or "password" in column.lower()
                found.append(Credential(key, column, "named like a credential", hashed))
        self._credentials_memo[key] = found
        return found

    def _lineage(self, name: str) -> list[Any]:
        """The ORM records of a class and its bases (mapped ones only)."""
        return [record for current in self._ancestors(name) if (record := self.orm.mapped(current)) is not None]

    def _ancestors(self, name: str) -> list[str]:
        """A class and its bases through the repository, canonical names, at most 32."""
        if not hasattr(self, "_bases_memo"):
            self._bases_memo = {n: list(b) for s in self.repo.summaries for n, b in s.classes.items()}
        bases = self._bases_memo
        seen: list[str] = []
        pending = [name]
        while pending and len(seen) < 32:
            current = pending.pop()
            if current in seen:
                continue
            seen.append(current)
            pending.extend(self.repo.index.canonical(base) for base in bases.get(current, ()))
        return seen

    def is_mapped(self, cls: str | None) -> bool:
        return bool(cls) and any(r.tablename for r in self._lineage(self.canonical(cls) or ""))

    def model_fields(self, cls: str) -> set[str] | None:
        """The fields of a model class the repository defines (its bases' included), or None."""
        key = self.canonical(cls) or cls
        found: set[str] = set()
        known = False
        for current in self._ancestors(key):
            if current in self.fields or current in self._bases_memo:
                known = known or current == key
                found.update(self.fields.get(current, ()))
        return found if known else None

    # responses --------------------------------------------------------------------------------

    def declared_model(self, endpoint: Endpoint) -> TypeRef | None:
        """The response model FastAPI uses for the endpoint: `response_model=`, else the return
        annotation unless it is a Response class; None when neither (or `response_model=None`)."""
        declared = endpoint.response.model
        if declared is not None:
            return None if declared.kind == "none" else self.index.type_of(declared)
        returns = self.index.type_of(endpoint.function.returns)
        if returns is None or returns.kind == "none" or self._is_response_type(returns):
            return None
        return returns

    def _is_response_type(self, ref: TypeRef) -> bool:
        if ref.kind == "union":
            return any(self._is_response_type(arg) for arg in ref.args if arg.kind != "none")
        if ref.kind != "name" or not ref.name:
            return False
        return is_response_class(self.index, ref.name)

    def leaks(self, endpoint: Endpoint) -> list[Leak]:
        """The credential columns the endpoint's response can carry."""
        model = self.declared_model(endpoint)
        response_class = endpoint.response.response_class
        if response_class and not is_json_response(response_class):
            return []
        found: dict[tuple[str, str], Leak] = {}
        if model is not None:
            for cls in _model_classes(model):
                if self.is_mapped(cls):
                    for credential in self.credential_columns(cls):
                        if _kept(credential.column, endpoint):
                            found.setdefault((credential.cls, credential.column), Leak(
                                credential, f"its response model `{_short(cls)}` is the ORM class", False))
                    continue
                fields = self.model_fields(cls)
                if fields is None:
                    continue
        for shape in self.returns.get(endpoint.function.qualname, ()):
            for credential, fresh, carrier in self._carried(shape, endpoint, 0):
                if not _kept(credential.column, endpoint):
                    continue
                if model is not None and not self._model_keeps(model, credential.column, credential.hashed):
                    continue
                through = f"it returns {carrier}"
                if model is not None and not _model_classes(model):
                    through += f" and its declared type `{_describe(model)}` filters nothing"
                elif model is not None:
                    through += f" and its response model `{_describe(model)}` includes `{credential.column}`"
                found.setdefault((credential.cls, credential.column), Leak(credential, through, fresh))
        return list(found.values())

    def _model_keeps(self, model: TypeRef, column: str, hashed: bool) -> bool:
        """Whether the response model lets field `column` through (unknown models are trusted). A
        schema that lists a secret or token field by name shows it on purpose (to its owner, to an
        admin); a hash has no reader, so a schema listing it is a mistake."""
        classes = _model_classes(model)
        if not classes:
            return True  # `dict[str, Any]`, `Any`: nothing filters the value
        for cls in classes:
            if self.is_mapped(cls):
                return True
            fields = self.model_fields(cls)
            if fields is not None and column in fields and hashed:
                return True
        return False

    def _carried(self, shape: Shape, endpoint: Endpoint, depth: int) -> list[tuple[Credential, bool, str]]:
        if depth > _MAX_DEPTH:
            return []
        if shape.kind == "instance" and shape.name:
            if not self.is_mapped(shape.name):
                return []
            what = f"`{_short(shape.name)}` ORM object{'s' if shape.many else ''}"
            return [(c, shape.fresh, what) for c in self.credential_columns(shape.name)]
        if shape.kind == "dump":
            found = []
            for inner in shape.inner:
                for credential, fresh, what in self._carried(inner, endpoint, depth + 1):
                    if credential.column not in shape.excluded:
                        found.append((credential, fresh, f"a serialisation of {what}"))
            return found
        if shape.kind == "dict":
            return [(c, f, f"a dict holding {w}") for inner in shape.inner for c, f, w in
                    self._carried(inner, endpoint, depth + 1)]
        if shape.kind == "call" and shape.name:
            target = self.canonical(shape.name) or shape.name
            if self.is_mapped(target):
                return self._carried(Shape("instance", target, shape.many, True), endpoint, depth + 1)
            inner_shapes = self.returns.get(target)
            found = []
            if inner_shapes:
                for inner in inner_shapes:
                    if inner.kind == "param":
                        continue
                    fresh = inner.fresh
                    for credential, _, what in self._carried(inner, endpoint, depth + 1):
                        found.append((credential, fresh, what))
                return found
            annotation = self.annotation(target)
            for cls in _model_classes(annotation) if annotation is not None else ():
                found += self._carried(Shape("instance", cls, shape.many), endpoint, depth + 1)
            return found
        if shape.kind == "param" and shape.name:
            for param in endpoint.function.params:
                if param.name != shape.name:
                    continue
                annotation, marker = self.index.markers_of(param)
                classes = _model_classes(annotation) if annotation is not None else []
                found = []
                for cls in classes:
                    found += self._carried(Shape("instance", cls), endpoint, depth + 1)
                if not classes and marker is not None and marker.dependency:
                    found += self._carried(Shape("call", marker.dependency), endpoint, depth + 1)
                return [(c, False, w) for c, _, w in found]
        return []


def _kept(column: str, endpoint: Endpoint) -> bool:
    """`response_model_exclude`/`response_model_include` let the field through."""
    response = endpoint.response
    if response.exclude is not None and column in response.exclude:
        return False
    return response.include is None or column in response.include


def _model_classes(ref: TypeRef | None) -> list[str]:
    """The classes a response type names: `User`, `list[User]`, `User | None`, `Page[User]`."""
    if ref is None:
        return []
    if ref.kind == "name" and ref.name and not ref.name.startswith(("builtins.", "typing.")):
        return [ref.name]
    if ref.kind in ("generic", "union", "annotated"):
        return [cls for arg in ref.args for cls in _model_classes(arg)]
    return []


def _short(name: str) -> str:
    return name.rpartition(".")[2]


def _describe(ref: TypeRef) -> str:
    if ref.kind == "name" and ref.name:
        return _short(ref.name)
    if ref.kind == "generic" and ref.name:
        return f"{_short(ref.name)}[{', '.join(_describe(a) for a in ref.args)}]"
    if ref.kind == "union":
        return " | ".join(_describe(a) for a in ref.args)
    if ref.kind == "annotated" and ref.args:
        return _describe(ref.args[0])
    if ref.kind == "none":
        return "None"
    return "..."


# Response classes FastAPI encodes as JSON (a model's fields go through them).
JSON_RESPONSES = frozenset({
    "fastapi.responses.JSONResponse", "starlette.responses.JSONResponse", "fastapi.responses.ORJSONResponse",
    "fastapi.responses.UJSONResponse", "fastapi.JSONResponse",
})


def is_json_response(name: str) -> bool:
    return name in JSON_RESPONSES or _short(name) in ("JSONResponse", "ORJSONResponse", "UJSONResponse")


def is_response_class(index: EndpointIndex, name: str, depth: int = 0) -> bool:
    """A Starlette/FastAPI `Response` class or a repository subclass of one."""
    resolved = index.resolve(name) or name
    if resolved.startswith(("starlette.responses.", "fastapi.responses.")) or resolved in RESPONSE_CLASSES:
        return True
    if depth > 8:
        return False
    return any(is_response_class(index, base, depth + 1) for base in index.bases(resolved))


def response_schema(index: EndpointIndex, endpoint: Endpoint) -> str | None:
    """The name of the response model FastAPI documents for the endpoint (`UserPublic`,
    `list[UserPublic]`): `response_model=`, else a return annotation that is not a Response
    class; None when it declares none."""
    declared = endpoint.response.model
    if declared is not None:
        return None if declared.kind == "none" else _describe(index.type_of(declared) or declared)
    returns = index.type_of(endpoint.function.returns)
    if returns is None or returns.kind == "none":
        return None
    members = [a for a in returns.args if a.kind != "none"] if returns.kind == "union" else [returns]
    if any(m.kind == "name" and m.name and is_response_class(index, m.name) for m in members):
        return None
    return _describe(returns)
