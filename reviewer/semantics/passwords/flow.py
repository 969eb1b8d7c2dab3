"""Where values go inside one function body, for the password analysis: `PasswordFlow`.

It follows each value in statement order as a set of items: `Source` (a parameter, a field of
one, or a request form/JSON field, kept through re-encoding and string building: `salt +
password.encode()`), `Derived` (what an unknown call made of a source: `hash_password(password)`),
`Hashed` (the digest of a fast hash, PBKDF2 or HMAC made here, and its hash object), `RequestObject`
/ `RequestBody` (a request and what `await request.form()` returns). On the way it records, in the
function's `FunctionRecord`, the sinks (hashes, derivations, stores and comparisons) with the
sources that reach them, the calls that pass sources on, and whether the function keeps a value
in a password field or looks accounts up: the local half of a chain the repository pass completes.

Branches are followed separately and merged; loops once. A value the flow cannot see into (an
attribute of an object it did not make, the result of a call it does not know) carries nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.semantics.fastapi.records import REQUEST_BODY_READS
from reviewer.semantics.names import NameResolver, dotted_name
from reviewer.semantics.passwords import knowledge as k
from reviewer.semantics.passwords.records import (
    ASSIGN,
    COMPARE,
    FAST_HASH,
    HMAC,
    PBKDF2,
    PBKDF2_ROUNDS,
    SPREAD,
    SQL_WRITE,
    STORE,
    WEAK_SCHEME,
    Edge,
    FunctionRecord,
    Sink,
    Source,
)
from reviewer.syntax import argument, keyword, string_value

if TYPE_CHECKING:
    from reviewer.semantics.passwords.collector import ModuleCollector


@dataclass(frozen=True, slots=True)
class Derived:
    """What a call the flow does not know made of a source (`hash_password(password)`)."""

    source: Source


@dataclass(frozen=True, slots=True)
class Hashed:
    """A hash object or digest made here, by the index of its sink in the function's record."""

    sink: int


@dataclass(frozen=True, slots=True)
class Returned:
    """What a call of a repository function returned: if it is a digest made there, what this
    function does with it decides whether it was a stored hash (`bcrypt.hashpw(peppered(pw))`)."""

    target: str


@dataclass(frozen=True, slots=True)
class RequestObject:
    """A parameter holding the request (`request: Request`)."""

    param: str


@dataclass(frozen=True, slots=True)
class RequestBody:
    """What `await request.form()` / `.json()` returned."""

    kind: str  # form, json


# A value is the frozenset of the items above it carries; a name maps to its value.
EMPTY: frozenset = frozenset()
Env = dict[str, frozenset]

_INSERT = re.compile(r"(?is)^\s*insert\s+into\s+[\"`\[]?([\w.]+)[\"`\]]?\s*\(([^)]*)\)\s*values\s*\((.*)\)")
_UPDATE_SET = re.compile(r"(?is)^\s*update\s+[\"`\[]?([\w.]+)[\"`\]]?\s+set\s+(.*?)(?:\bwhere\b|$)")
_NAMED_PLACEHOLDER = re.compile(r"^(?::(\w+)|%\((\w+)\)s)$")
_POSITIONAL_PLACEHOLDER = re.compile(r"^(?:%s|\?|\$(\d+))$")
_CHAIN_QUERIES = frozenset({"query", "get", "get_or_none", "find_one", "select", "get_by_id", "filter_by_id"})
_SQL_METHODS = frozenset({"execute", "executemany", "exec_driver_sql", "fetch", "fetchrow", "fetchval"})
_HTTP_METHODS = frozenset({"get", "post", "put", "patch", "request", "send"})
_HTTP_RECEIVER = re.compile(r"(?i)client|session|http|requests")
_CREATE_METHODS = frozenset({"create", "get_or_create", "update_or_create"})
_SPREAD_FACTORIES = frozenset({"model_validate", "parse_obj", "from_orm", "model_construct", "construct",
                               "validate", "from_dict"})
# Node types by kind, read from libcst on first use (it is imported lazily).
_ATOMS: frozenset[type] = frozenset()
_SEQUENCES: frozenset[type] = frozenset()
_COMPREHENSIONS: frozenset[type] = frozenset()


def _load_node_kinds() -> None:
    global _ATOMS, _SEQUENCES, _COMPREHENSIONS
    if not _ATOMS:
        _ATOMS = frozenset({cst.Integer, cst.Float, cst.Imaginary, cst.Ellipsis, cst.Lambda})
        _SEQUENCES = frozenset({cst.List, cst.Tuple, cst.Set})
        _COMPREHENSIONS = frozenset({cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp})


def _sources(items: Iterable[object]) -> list[Source]:
    return [item for item in items if isinstance(item, Source)]


def _underlying(items: Iterable[object]) -> list[Source]:
    """Sources, also those an unknown call made something of."""
    found = []
    for item in items:
        if isinstance(item, Source):
            found.append(item)
        elif isinstance(item, Derived):
            found.append(item.source)
    return found


def _hashed(items: Iterable[object]) -> list[int]:
    return [item.sink for item in items if isinstance(item, Hashed)]


def _class_like(name: str | None) -> bool:
    return bool(name) and name.rsplit(".", 1)[-1][:1].isupper()


def literal_int(node: cst.BaseExpression, known: dict[str, int]) -> int | None:
    """The value of an integer constant: `1000`, `10_000 * 6`, a name bound to one."""
    kind = type(node)
    if kind is cst.Integer:
        return int(node.evaluated_value)
    if kind is cst.Name or kind is cst.Attribute:
        key = dotted_name(node)
        return known.get(key) if key is not None else None
    if kind is cst.BinaryOperation:
        left, right = literal_int(node.left, known), literal_int(node.right, known)
        if left is None or right is None:
            return None
        if isinstance(node.operator, cst.Multiply):
            return left * right
        if isinstance(node.operator, cst.Add):
            return left + right
        if isinstance(node.operator, cst.Power) and right < 16:
            return left**right
    return None


def _strings(node: cst.BaseExpression) -> list[str] | None:
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        values = [string_value(e.value) for e in node.elements if isinstance(e, cst.Element)]
        return [v for v in values if v is not None] if all(v is not None for v in values) else None
    return None


class PasswordFlow:
    """Follows one function body (or a module or class body) and fills its `FunctionRecord`."""

    def __init__(
        self,
        collector: ModuleCollector,
        record: FunctionRecord,
        *,
        function: cst.FunctionDef | None,
        receiver: str | None,
        owner_attributes: dict[str, str],
        constants: dict[str, int],
    ) -> None:
        _load_node_kinds()
        self.collector = collector
        self.context = collector.context
        self.record = record
        self.function = function
        self.receiver = receiver
        self.owner_attributes = owner_attributes
        self.ints = dict(constants)
        self.resolver = NameResolver(collector.context.summary.imports)
        if function is not None:
            self.resolver.visit_FunctionDef(function)
        self.statement: cst.CSTNode | None = None
        self.locals: set[str] = set()
        self.hints: dict[str, tuple[str, str, bool]] = {}  # local -> (kind, name, named for accounts)
        self.keeps: set[Source] = set()
        self.popped: dict[str, set[str]] = {}  # dicts that had these keys removed: `data.pop("password")`
        self._pending: list[tuple[cst.CSTNode, cst.CSTNode | None]] = []
        # What each expression was found to carry: an expression is followed once, where it runs,
        # and a sink inside it is recorded once however often its value is asked for.
        self._values: dict[int, frozenset] = {}

    # names -----------------------------------------------------------------------------------

    def _root(self, node: cst.BaseExpression) -> cst.BaseExpression:
        while True:
            kind = type(node)
            if kind is cst.Call:
                node = node.func
            elif kind is cst.Attribute or kind is cst.Subscript:
                node = node.value
            else:
                return node

    def qualify(self, node: cst.BaseExpression) -> str | None:
        kind = type(node)
        if kind is not cst.Name and kind is not cst.Attribute:
            return None
        root = self._root(node)
        if type(root) is cst.Name and (root.value in self.locals or root.value == self.receiver):
            return None
        return self.resolver.qualify(node)

    def callee(self, func: cst.BaseExpression) -> str | None:
        """The function a call runs, as far as this module can name it (`app.crud.get_user`,
        `app.services.Auth.login` for `self.login` or `service.login` with `service: Auth`)."""
        if isinstance(func, cst.Attribute):
            base, method = func.value, func.attr.value
            if isinstance(base, cst.Name):
                if base.value == self.receiver and self.record.owner:
                    return f"{self.record.owner}.{method}"
                hint = self.hints.get(base.value)
                if hint is not None and hint[0] == "class":
                    return f"{hint[1]}.{method}"
                annotated = self.record.annotations.get(base.value)
                if annotated is not None and base.value not in self.locals - set(self.record.params):
                    return f"{annotated}.{method}"
            elif (
                isinstance(base, cst.Attribute)
                and isinstance(base.value, cst.Name)
                and base.value.value == self.receiver
                and base.attr.value in self.owner_attributes
            ):
                return f"{self.owner_attributes[base.attr.value]}.{method}"
        return self.qualify(func)

    # sinks -----------------------------------------------------------------------------------

    def _sink(self, kind: str, api: str, node: cst.CSTNode, sources: Iterable[Source] = (), **details: object) -> int:
        sink = Sink(kind, api, None, None, list(dict.fromkeys(sources)), **details)  # type: ignore[arg-type]
        self.record.sinks.append(sink)
        self._pending.append((node, self.statement))
        return len(self.record.sinks) - 1

    def finish(self) -> None:
        """Keep the sinks a password can reach, located; forget the rest."""
        kept = []
        for sink, (node, statement) in zip(self.record.sinks, self._pending, strict=True):
            needs_sources = sink.kind not in (WEAK_SCHEME, PBKDF2_ROUNDS)
            if needs_sources and not sink.sources and not sink.ldap:
                continue
            sink.span = self.context.span(node, statement)
            sink.statement_lines = self.context.statement_lines(statement) if statement is not None else None
            kept.append(sink)
        self.record.sinks = kept
        self.record.keeps = tuple(dict.fromkeys(self.keeps))

    def _add_sources(self, sinks: Iterable[int], items: Iterable[object], node: cst.CSTNode) -> None:
        """`hasher.update(password)`, `kdf.derive(password)`: the sink is where the password goes in."""
        for index in sinks:
            sink = self.record.sinks[index]
            added = [source for source in _sources(items) if source not in sink.sources]
            if added and not sink.sources:
                self._pending[index] = (node, self.statement)
            sink.sources.extend(added)

    def _kept(self, items: Iterable[object], field: str, *, compared: bool = False) -> None:
        """The values behind a hash that goes into a password field, or is compared with one: what
        a fast hash here was given (`user.pw_hash = md5(password)`), what a call made of a source
        when the field is named for a hash (`User(hashed_password=hash_password(password))`). A
        value kept as it came, or rendered by some call, says nothing: a client keeps the password
        it logs in with."""
        hash_field = compared or k.is_password_hash_name(field)
        for item in items:
            if isinstance(item, Derived) and hash_field:
                self.keeps.add(item.source)
            elif isinstance(item, Hashed):
                self.keeps.update(self.record.sinks[item.sink].sources)

    # statements ------------------------------------------------------------------------------

    def run(self, body: Sequence[cst.CSTNode], env: Env) -> Env:
        for statement in body:
            env = self._statement(statement, env)
        return env

    def run_suite(self, suite: cst.BaseSuite, env: Env) -> Env:
        """A function's body."""
        return self._suite(suite, env)

    def _suite(self, suite: cst.BaseSuite | None, env: Env) -> Env:
        if isinstance(suite, cst.IndentedBlock):
            return self.run(suite.body, env)
        if isinstance(suite, cst.SimpleStatementSuite):
            return self._smalls(suite.body, env, suite)
        return env

    def _statement(self, statement: cst.CSTNode, env: Env) -> Env:
        self.statement = statement
        if type(statement) is cst.SimpleStatementLine:
            return self._smalls(statement.body, env, statement)
        if isinstance(statement, cst.If):
            self.ev(statement.test, env)
            body = self._suite(statement.body, dict(env))
            if isinstance(statement.orelse, cst.If):
                other = self._statement(statement.orelse, dict(env))
            elif isinstance(statement.orelse, cst.Else):
                other = self._suite(statement.orelse.body, dict(env))
            else:
                other = env
            return _merge(body, other)
        if isinstance(statement, cst.For):
            items = self.ev(statement.iter, env)
            inner = dict(env)
            self._bind(statement.target, items, inner, statement.iter)
            after = _merge(env, self._suite(statement.body, inner))
            return self._suite(statement.orelse.body, after) if statement.orelse else after
        if isinstance(statement, cst.While):
            self.ev(statement.test, env)
            after = _merge(env, self._suite(statement.body, dict(env)))
            return self._suite(statement.orelse.body, after) if statement.orelse else after
        if isinstance(statement, cst.With):
            inner = dict(env)
            for item in statement.items:
                items = self.ev(item.item, env)
                if item.asname is not None:
                    self._bind(item.asname.name, items, inner, item.item)
            return self._suite(statement.body, inner)
        if isinstance(statement, (cst.Try, cst.TryStar)):
            body = self._suite(statement.body, dict(env))
            merged = _merge(env, body)
            outcomes = [self._suite(statement.orelse.body, body) if statement.orelse else body]
            outcomes += [self._suite(handler.body, dict(merged)) for handler in statement.handlers]
            out = outcomes[0]
            for other in outcomes[1:]:
                out = _merge(out, other)
            return self._suite(statement.finalbody.body, out) if statement.finalbody else out
        if isinstance(statement, cst.Match):
            self.ev(statement.subject, env)
            out = env
            for case in statement.cases:
                out = _merge(out, self._suite(case.body, dict(env)))
            return out
        return env  # nested functions and classes are followed on their own

    def _smalls(self, body: Sequence[cst.BaseSmallStatement], env: Env, statement: cst.CSTNode) -> Env:
        self.statement = statement
        for small in body:
            kind = type(small)
            if kind is cst.Assign:
                items = self.ev(small.value, env)
                for target in small.targets:
                    self._bind(target.target, items, env, small.value)
            elif kind is cst.AnnAssign:
                if small.value is not None:
                    self._bind(small.target, self.ev(small.value, env), env, small.value)
                if isinstance(small.target, cst.Name):
                    annotated = self.collector.annotated_class(small.annotation.annotation, self.resolver)
                    if annotated is not None:
                        self.hints[small.target.value] = ("class", annotated, k.speaks_of_users(annotated))
            elif kind is cst.AugAssign:
                items = self.ev(small.value, env)
                key = dotted_name(small.target)
                if key is not None:
                    env[key] = env.get(key, EMPTY) | items
            elif kind is cst.Return and small.value is not None:
                for index in _hashed(self.ev(small.value, env)):
                    self.record.sinks[index].returned = True
            elif kind is cst.Expr:
                self.ev(small.value, env)
            elif isinstance(small, cst.Assert):
                self.ev(small.test, env)
            elif isinstance(small, cst.Raise) and small.exc is not None:
                self.ev(small.exc, env)
            elif kind is cst.Del:
                self._deleted(small.target)
            elif isinstance(small, cst.Import):
                self.resolver.visit_Import(small)
            elif isinstance(small, cst.ImportFrom):
                self.resolver.visit_ImportFrom(small)
        return env

    def _bind(self, target: cst.BaseExpression, items: frozenset, env: Env, value: cst.BaseExpression | None) -> None:
        if type(target) is cst.Name:
            env[target.value] = items
            self.locals.add(target.value)
            hint = self._hint(value) if value is not None else None
            if hint is not None:
                self.hints[target.value] = hint
            else:
                self.hints.pop(target.value, None)
            if value is not None and type(value) is cst.Integer:
                self.ints[target.value] = int(value.evaluated_value)
            return
        if isinstance(target, cst.Attribute):
            key = dotted_name(target)
            if key is not None:
                env[key] = items
            name = target.attr.value
            if k.is_password_field(name):
                self._kept(items, name)
                sources = _sources(items)
                if sources and isinstance(target.value, cst.Name):
                    model, call, named = self._record_of(target.value)
                    if model or call or named:
                        self._sink(ASSIGN, f"{target.value.value}.{name} = ...", target, sources,
                                   column=name, model=model, model_call=call, user_lookup=named)
            return
        if isinstance(target, cst.Subscript):
            key = _subscript_key(target)
            if key is not None and k.is_password_field(key):
                self._kept(items, key)
            return
        if isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                inner = element.value
                self._bind(inner.value if isinstance(inner, cst.StarredElement) else inner, items, env, None)

    def _deleted(self, target: cst.BaseExpression) -> None:
        """`del data["password"]`."""
        if type(target) is cst.Tuple:
            for element in target.elements:
                self._deleted(element.value)
            return
        key = _subscript_key(target)
        if key is not None and type(target.value) is cst.Name:
            self.popped.setdefault(target.value.value, set()).add(key)

    def _record_of(self, node: cst.Name) -> tuple[str | None, str | None, bool]:
        """What a name holds as a record: (class, call that returned it, named for accounts)."""
        if node.value == self.receiver and self.record.owner:
            return self.record.owner, None, False
        hint = self.hints.get(node.value)
        if hint is not None:
            kind, name, named = hint
            return (name, None, named) if kind == "class" else (None, name, named)
        annotated = self.record.annotations.get(node.value)
        return annotated, None, False

    def _hint(self, node: cst.BaseExpression) -> tuple[str, str, bool] | None:
        """What a value assigned to a name is: an instance or a row of a class this module names
        (`User(...)`, `db.get(User, id)`, `select(User)...`), or what a call returned."""
        if type(node) is cst.Await:
            node = node.expression
        if type(node) is cst.Name:
            return self.hints.get(node.value)
        if type(node) is not cst.Call:
            return None
        model = self._queried_model(node)
        if model is not None:
            return ("class", model, k.speaks_of_users(model))
        func = node.func
        qualified = self.qualify(func)
        if _class_like(qualified):
            return ("class", qualified, k.speaks_of_users(qualified))  # type: ignore[arg-type]
        target = self.callee(func)
        text = dotted_name(func) or target
        if target is not None or text is not None:
            return ("call", target or "", k.speaks_of_users(text or ""))
        return None

    def _queried_model(self, node: cst.BaseExpression) -> str | None:
        """The class whose rows a query chain reads: `db.query(User).filter(...).first()`,
        `session.scalar(select(User).where(...))`, `await User.get(id)`, `result.scalar_one()`."""
        for _ in range(12):
            if isinstance(node, cst.Await):
                node = node.expression
            if isinstance(node, cst.Name):
                hint = self.hints.get(node.value)
                return hint[1] if hint is not None and hint[0] == "class" else None
            if isinstance(node, cst.Attribute):
                node = node.value
                continue
            if not isinstance(node, cst.Call):
                return None
            func = node.func
            qualified = self.qualify(func)
            first = node.args[0].value if node.args else None
            if qualified in k.MODEL_QUERIES or qualified in k.MODEL_WRITES:
                return self._model_name(first)
            if isinstance(func, cst.Attribute):
                if func.attr.value in _CHAIN_QUERIES and first is not None:
                    model = self._model_name(first)
                    if model is not None:
                        return model
                for arg in node.args:  # `session.execute(select(User).where(...))`
                    if type(arg.value) is cst.Call:
                        model = self._queried_model(arg.value)
                        if model is not None:
                            return model
                receiver = self.qualify(func.value)
                if _class_like(receiver):
                    return receiver
                node = func.value
                continue
            return None
        return None

    def _model_name(self, node: cst.BaseExpression | None) -> str | None:
        if node is None:
            return None
        qualified = self.qualify(node)
        return qualified if _class_like(qualified) else None

    # expressions -----------------------------------------------------------------------------

    def ev(self, node: cst.BaseExpression, env: Env) -> frozenset:
        known = self._values.get(id(node))
        if known is None:
            known = self._values[id(node)] = self._evaluate(node, env)
        return known

    def _evaluate(self, node: cst.BaseExpression, env: Env) -> frozenset:
        kind = type(node)  # libcst's classes are ABCs: `type(...) is` is far cheaper than isinstance
        if kind is cst.Name:
            return env.get(node.value, EMPTY)
        if kind is cst.Attribute:
            key = dotted_name(node)
            if key is not None and key in env:
                return env[key]
            return _member(self.ev(node.value, env), node.attr.value)
        if kind is cst.Call:
            return self._call(node, env)
        if kind is cst.SimpleString:
            if k.USER_TABLE_SQL.search(node.value):
                self.record.looks_up_users = True
            return EMPTY
        if kind in _ATOMS:
            return EMPTY
        if kind is cst.Await:
            return self.ev(node.expression, env)
        if kind is cst.Subscript:
            return self._subscript(node, env)
        if kind is cst.BinaryOperation:
            left, right = self.ev(node.left, env), self.ev(node.right, env)
            if type(node.operator) in (cst.Add, cst.Modulo):
                self._note_ldap(node.left, right)
                return left | right
            return EMPTY
        if kind is cst.FormattedString:
            found: frozenset = EMPTY
            for part in node.parts:
                if type(part) is cst.FormattedStringExpression:
                    found |= self.ev(part.expression, env)
            first = node.parts[0] if node.parts else None
            if type(first) is cst.FormattedStringText:
                if first.value.startswith(k.LDAP_FAST_PREFIXES):
                    self._mark_ldap(found)
                if k.USER_TABLE_SQL.search(first.value):
                    self.record.looks_up_users = True
            return found
        if kind is cst.ConcatenatedString:
            self.ev(node.left, env)
            self.ev(node.right, env)
            return EMPTY
        if kind is cst.Comparison:
            self._comparison(node, env)
            return EMPTY
        if kind is cst.BooleanOperation:
            return self.ev(node.left, env) | self.ev(node.right, env)
        if kind is cst.IfExp:
            self.ev(node.test, env)
            return self.ev(node.body, env) | self.ev(node.orelse, env)
        if kind in _SEQUENCES:
            found = EMPTY
            for element in node.elements:
                found |= self.ev(element.value, env)
            return found
        if kind is cst.Dict:
            found = EMPTY
            for element in node.elements:
                if type(element) is cst.DictElement:
                    self.ev(element.key, env)
                found |= self.ev(element.value, env)
            return found
        if kind in _COMPREHENSIONS:
            inner = dict(env)
            comp: cst.CompFor | None = node.for_in
            while comp is not None:
                self._bind(comp.target, self.ev(comp.iter, inner), inner, None)
                for condition in comp.ifs:
                    self.ev(condition.test, inner)
                comp = comp.inner_for_in
            if kind is cst.DictComp:
                self.ev(node.key, inner)
                return self.ev(node.value, inner)
            return self.ev(node.elt, inner)
        if kind is cst.NamedExpr:
            items = self.ev(node.value, env)
            self._bind(node.target, items, env, node.value)
            return items
        if kind is cst.UnaryOperation:
            self.ev(node.expression, env)
            return EMPTY
        if kind is cst.StarredElement or kind is cst.Element:
            return self.ev(node.value, env)
        if kind is cst.Yield and node.value is not None and type(node.value) is not cst.From:
            return self.ev(node.value, env)
        return EMPTY

    def _subscript(self, node: cst.Subscript, env: Env) -> frozenset:
        base = self.ev(node.value, env)
        key: str | None = None
        sliced = False
        for element in node.slice:
            if isinstance(element.slice, cst.Index):
                key = string_value(element.slice.value)
                if key is None:
                    self.ev(element.slice.value, env)
            else:
                sliced = True
                for part in (element.slice.lower, element.slice.upper, element.slice.step):
                    if isinstance(part, cst.BaseExpression):
                        self.ev(part, env)
        if sliced:
            self._consumed(_hashed(base), [item.target for item in base if isinstance(item, Returned)], "truncated")
            return base
        return _member(base, key) if key is not None else base

    def _note_ldap(self, left: cst.BaseExpression, right: frozenset) -> None:
        text = string_value(left)
        if text is not None and text.startswith(k.LDAP_FAST_PREFIXES):
            self._mark_ldap(right)

    def _mark_ldap(self, items: frozenset) -> None:
        for index in _hashed(items):
            sink = self.record.sinks[index]
            if sink.kind == FAST_HASH:
                sink.ldap = True

    # comparisons -----------------------------------------------------------------------------

    def _comparison(self, node: cst.Comparison, env: Env) -> None:
        left_node, left = node.left, self.ev(node.left, env)
        for target in node.comparisons:
            right = self.ev(target.comparator, env)
            if isinstance(target.operator, (cst.Equal, cst.NotEqual)):
                self._compared(left_node, left, target.comparator, right)
            left_node, left = target.comparator, right

    def _compared(self, a: cst.BaseExpression, a_items: frozenset, b: cst.BaseExpression, b_items: frozenset) -> None:
        for value, value_items, stored, stored_items in ((a, a_items, b, b_items), (b, b_items, a, a_items)):
            name = stored.attr.value if isinstance(stored, cst.Attribute) else _subscript_key(stored)
            if name is None or not k.is_password_field(name):
                continue
            self._kept(value_items, name, compared=True)
            sources = _sources(value_items)
            if not sources or _sources(stored_items) or not k.is_password_name(name):
                continue
            holder = stored.value
            if isinstance(holder, cst.Name):
                model, call, named = self._record_of(holder)
                if model is None and call is None and holder.value not in self.locals:
                    column_of = self.qualify(holder)  # `User.password == password` in a query
                    model = column_of if _class_like(column_of) else None
                if model or named:
                    self._sink(COMPARE, self._code(stored), value, sources, column=name, model=model,
                               model_call=call, user_lookup=named)

    def _code(self, node: cst.CSTNode) -> str:
        text = " ".join(self.context.tree.code_for_node(node).split())
        return text if len(text) <= 60 else text[:57] + "..."

    # calls -----------------------------------------------------------------------------------

    def _call(self, node: cst.Call, env: Env) -> frozenset:
        func = node.func
        attribute = type(func) is cst.Attribute
        method = func.attr.value if attribute else None
        receiver = self.ev(func.value, env) if attribute else EMPTY
        values = [self.ev(arg.value, env) for arg in node.args]
        qualified = self.qualify(func)
        if not self.record.looks_up_users:
            self._note_accounts(func, qualified, node)
        known = self._library_call(node, qualified, method, receiver, values)
        if known is not None:
            return known
        arguments = [item for items in values for item in items]
        self._digest_handed_on(node, qualified, method, arguments)
        self._stores(node, func, qualified, method, values, env)
        target = self.callee(func)
        if target is not None:
            self._edges(node, target, values, env)
        self._kept_by_keyword(node, values, env)
        if method in k.SAME_VALUE_METHODS:
            return receiver
        if method in ("format", "join"):
            return receiver | frozenset(arguments)
        if method == "pop" and node.args and type(func.value) is cst.Name:
            key = string_value(node.args[0].value)
            if key is not None:
                self.popped.setdefault(func.value.value, set()).add(key)
        if method == "get" and node.args:
            key = string_value(node.args[0].value)
            if key is not None:
                return _member(receiver, key)
        if method in REQUEST_BODY_READS and any(isinstance(i, RequestObject) for i in receiver):
            return frozenset({RequestBody(method)})
        if method in ("dict", "model_dump", "to_dict", "copy", "items", "values"):
            return frozenset(i for i in receiver if isinstance(i, Source))
        if qualified in k.ENCODINGS and values:
            return values[0]
        made: set[object] = {Derived(source) for source in _underlying((*receiver, *arguments))}
        if target is not None and not target.startswith("builtins."):
            made.add(Returned(target))
        return frozenset(made)

    def _note_accounts(self, func: cst.BaseExpression, qualified: str | None, node: cst.Call) -> None:
        """A call named for accounts (`get_user_by_email`, `crud.user.get`) or reading a model named
        so (`db.query(User)`): the function looks accounts up."""
        text = dotted_name(func) or qualified or ""
        if text and k.speaks_of_users(text):
            self.record.looks_up_users = True
            return
        for arg in node.args:
            if type(arg.value) is cst.Name or type(arg.value) is cst.Attribute:
                named = self.qualify(arg.value)
                if _class_like(named) and k.speaks_of_users(named):  # type: ignore[arg-type]
                    self.record.looks_up_users = True
                    return

    def _library_call(
        self, node: cst.Call, qualified: str | None, method: str | None, receiver: frozenset, values: list[frozenset]
    ) -> frozenset | None:
        """The hashing and comparison APIs: the sinks are recorded here, and what they return."""
        if method == "update" and _hashed(receiver):
            self._add_sources(_hashed(receiver), [item for items in values for item in items], node)
            return EMPTY
        if method in ("derive", "verify") and _hashed(receiver):
            derivations = [i for i in _hashed(receiver) if self.record.sinks[i].kind == PBKDF2]
            if derivations and values:
                self._add_sources(derivations, values[0], node)
                return frozenset(Hashed(i) for i in derivations)
        if qualified is None:
            return None
        if qualified in k.COMPARISONS and len(node.args) >= 2:
            self._compared(node.args[0].value, values[0], node.args[1].value, values[1])
            return EMPTY
        if qualified in k.FAST_HASHES or qualified == k.HASHLIB_NEW or qualified == k.CRYPTOGRAPHY_HASH:
            return self._fast_hash(node, qualified, values)
        if qualified in k.HMACS:
            key, message = argument(node, 0, "key"), argument(node, 1, "msg")
            digest = argument(node, 2, "digest" if qualified == "hmac.digest" else "digestmod")
            given = [self._value_of(arg, node, values) for arg in (key, message) if arg is not None]
            sources = [source for items in given for source in _sources(items)]
            algorithm = _digest_name(digest.value) if digest is not None else None
            return frozenset({Hashed(self._sink(HMAC, qualified, node, sources, algorithm=algorithm))})
        if qualified == k.PBKDF2_HMAC:
            password, iterations = argument(node, 1, "password"), argument(node, 3, "iterations")
            name = argument(node, 0, "hash_name")
            sources = _sources(self._value_of(password, node, values)) if password is not None else []
            rounds = literal_int(iterations.value, self.ints) if iterations is not None else None
            algorithm = string_value(name.value) if name is not None else None
            return frozenset({Hashed(self._sink(PBKDF2, qualified, node, sources, algorithm=algorithm,
                                                iterations=rounds))})
        if qualified in k.PBKDF2_CLASSES:
            iterations, algorithm = argument(node, 3, "iterations"), argument(node, 0, "algorithm")
            rounds = literal_int(iterations.value, self.ints) if iterations is not None else None
            name = _digest_name(algorithm.value) if algorithm is not None else None
            api = qualified.rsplit(".", 1)[-1]
            return frozenset({Hashed(self._sink(PBKDF2, api, node, (), algorithm=name, iterations=rounds))})
        scheme = self._password_library(node, qualified)
        if scheme is not None:
            return scheme
        return None

    def _value_of(self, arg: cst.Arg, node: cst.Call, values: list[frozenset]) -> frozenset:
        for index, candidate in enumerate(node.args):
            if candidate is arg:
                return values[index]
        return EMPTY

    def _fast_hash(self, node: cst.Call, qualified: str, values: list[frozenset]) -> frozenset:
        used_for_security = keyword(node, "usedforsecurity")
        if used_for_security is not None and dotted_name(used_for_security.value) == "False":
            return EMPTY
        if qualified == k.HASHLIB_NEW:
            name_arg = argument(node, 0, "name")
            algorithm = string_value(name_arg.value) if name_arg is not None else None
            if algorithm is None or algorithm.lower().replace("-", "_") not in k.FAST_HASH_NAMES:
                return EMPTY
            data = argument(node, 1, "data") or keyword(node, "string")
            algorithm = algorithm.lower()
        elif qualified == k.CRYPTOGRAPHY_HASH:
            digest = argument(node, 0, "algorithm")
            algorithm = _digest_name(digest.value) if digest is not None else None
            data = None
        else:
            data = argument(node, 0, "data") or keyword(node, "string")
            parts = qualified.split(".")
            algorithm = (parts[-2] if parts[-1] == "new" else parts[-1]).lower()
        sources = _sources(self._value_of(data, node, values)) if data is not None else []
        api = f"hashlib.new({algorithm!r})" if qualified == k.HASHLIB_NEW else qualified
        return frozenset({Hashed(self._sink(FAST_HASH, api, node, sources, algorithm=algorithm))})

    def _password_library(self, node: cst.Call, qualified: str) -> frozenset | None:
        """passlib, werkzeug and django password hashing configured with a weak scheme or few
        rounds: no chain needed, these APIs hash passwords by definition."""
        if qualified == k.PASSLIB_CONTEXT:
            schemes_arg = argument(node, 0, "schemes")
            schemes = _strings(schemes_arg.value) if schemes_arg is not None else None
            default_arg = keyword(node, "default")
            default = string_value(default_arg.value) if default_arg is not None else None
            default = default or (schemes[0] if schemes else None)
            if default in k.WEAK_PASSLIB_SCHEMES:
                self._sink(WEAK_SCHEME, "CryptContext", default_arg or schemes_arg or node, algorithm=default)
            for arg in node.args:
                name = arg.keyword.value if arg.keyword is not None else ""
                handler, _, setting = name.partition("__")
                if setting in ("rounds", "default_rounds") and handler in k.PBKDF2_HANDLERS | {"all"}:
                    if handler == "all" and (default not in k.PBKDF2_HANDLERS):
                        continue
                    rounds = literal_int(arg.value, self.ints)
                    if rounds is not None:
                        scheme = default if handler == "all" else handler
                        self._sink(PBKDF2_ROUNDS, "CryptContext", arg, algorithm=scheme, iterations=rounds)
            return EMPTY
        if qualified.startswith(k.PASSLIB_HANDLERS):
            handler, _, method = qualified[len(k.PASSLIB_HANDLERS):].partition(".")
            if handler in k.WEAK_PASSLIB_SCHEMES and method in k.PASSLIB_HASHING_METHODS:
                self._sink(WEAK_SCHEME, f"passlib.hash.{handler}.{method}", node, algorithm=handler)
            elif handler in k.PBKDF2_HANDLERS and method == "using":
                rounds_arg = keyword(node, "rounds") or keyword(node, "default_rounds")
                rounds = literal_int(rounds_arg.value, self.ints) if rounds_arg is not None else None
                if rounds is not None:
                    self._sink(PBKDF2_ROUNDS, f"passlib.hash.{handler}.using", rounds_arg or node,
                               algorithm=handler, iterations=rounds)
            return EMPTY
        context, _, method = qualified.rpartition(".")
        if context in k.WEAK_PASSLIB_CONTEXTS and method in k.PASSLIB_HASHING_METHODS:
            self._sink(WEAK_SCHEME, qualified, node, algorithm=k.WEAK_PASSLIB_CONTEXTS[context])
            return EMPTY
        if qualified == k.WERKZEUG_HASH:
            method_arg = argument(node, 1, "method")
            value = string_value(method_arg.value) if method_arg is not None else None
            if value is not None:
                parts = value.split(":")
                if parts[0] == "plain" or (len(parts) == 1 and parts[0] in k.FAST_HASH_NAMES):
                    self._sink(WEAK_SCHEME, "generate_password_hash", method_arg, algorithm=f"method={value!r}")
                elif parts[0] == "pbkdf2" and len(parts) == 3 and parts[2].isdigit():
                    self._sink(PBKDF2_ROUNDS, "generate_password_hash", method_arg, algorithm=f"pbkdf2:{parts[1]}",
                               iterations=int(parts[2]))
            return EMPTY
        if qualified == k.DJANGO_MAKE_PASSWORD:
            hasher_arg = argument(node, 2, "hasher")
            value = string_value(hasher_arg.value) if hasher_arg is not None else None
            if value in k.WEAK_DJANGO_HASHERS:
                self._sink(WEAK_SCHEME, "make_password", hasher_arg, algorithm=f"hasher={value!r}")
            return EMPTY
        return None

    def _digest_handed_on(self, node: cst.Call, qualified: str | None, method: str | None, items: list) -> None:
        """A digest handed to a slow password hash (a pre-hash), or sent over HTTP (a protocol);
        for one a called function returned, noted for that function's sinks (`consumes`)."""
        hashed = _hashed(items)
        returned = [item.target for item in items if isinstance(item, Returned)]
        if not hashed and not returned:
            return
        strong = bool(qualified) and (qualified.startswith(k.STRONG_PACKAGES) or qualified in k.STRONG_CALLS)
        if not strong and method in k.STRONG_METHODS and isinstance(node.func, cst.Attribute):
            holder = self.qualify(node.func.value)
            strong = holder is not None and holder in self.collector.strong_hashers
        sent = not strong and bool(qualified) and qualified.startswith(k.HTTP_PACKAGES)
        if not strong and not sent and method in _HTTP_METHODS and isinstance(node.func, cst.Attribute):
            sent = bool(_HTTP_RECEIVER.search(dotted_name(node.func.value) or ""))
        if strong or sent:
            self._consumed(hashed, returned, "prehashed" if strong else "sent")

    def _consumed(self, hashed: list[int], returned: list[str], how: str) -> None:
        for index in hashed:
            setattr(self.record.sinks[index], how, True)
        for target in returned:
            known = self.record.consumes.get(target, ())
            if how not in known:
                self.record.consumes[target] = (*known, how)

    def _kept_by_keyword(self, node: cst.Call, values: list[frozenset], env: Env) -> None:
        """`User(hashed_password=hash(password))`, `db.insert({"password": ...})`: the values go to a
        password field."""
        for arg, items in zip(node.args, values, strict=True):
            if arg.keyword is not None and k.is_password_field(arg.keyword.value):
                self._kept(items, arg.keyword.value)
            if isinstance(arg.value, cst.Dict):
                for element in arg.value.elements:
                    if isinstance(element, cst.DictElement):
                        key = string_value(element.key)
                        if key is not None and k.is_password_field(key):
                            self._kept(self.ev(element.value, env), key)

    def _edges(self, node: cst.Call, target: str, values: list[frozenset], env: Env) -> None:
        if target.startswith("builtins."):
            return
        position = 0
        for arg, items in zip(node.args, values, strict=True):
            if arg.star:
                if arg.star == "*":
                    break
                continue
            slot: int | str = arg.keyword.value if arg.keyword is not None else position
            if arg.keyword is None:
                position += 1
            sources = tuple(dict.fromkeys(_sources(items)))
            if sources:
                name = dotted_name(arg.value)
                replaced = tuple(sorted(self._replaced(name, env))) if name else ()
                self.record.edges.append(Edge(target, slot, sources, replaced))

    def _replaced(self, name: str, env: Env) -> set[str]:
        """Fields of an object this function has set to something other than what came in
        (`payload.password = hash(payload.password)`), or taken out of a dict (`data.pop("password")`)."""
        prefix = f"{name}."
        found = {key[len(prefix):] for key, items in env.items() if key.startswith(prefix) and not _sources(items)}
        return found | self.popped.get(name, set())

    # stores ----------------------------------------------------------------------------------

    def _stores(
        self,
        node: cst.Call,
        func: cst.BaseExpression,
        qualified: str | None,
        method: str | None,
        values: list[frozenset],
        env: Env,
    ) -> None:
        model = qualified if _class_like(qualified) else None
        if method == "values" and isinstance(func, cst.Attribute):
            model = self._queried_model(func.value)
        elif method in _CREATE_METHODS and type(func) is cst.Attribute:
            # `User.create(...)` (Tortoise, peewee), `User.objects.create(...)` (Django)
            owner = func.value.value if type(func.value) is cst.Attribute and func.value.attr.value == "objects" \
                else func.value
            owner_name = self.qualify(owner)
            model = owner_name if _class_like(owner_name) else model
        for arg, items in zip(node.args, values, strict=True):
            if arg.keyword is not None and model is not None and k.is_password_field(arg.keyword.value):
                sources = _sources(items)
                if sources:
                    self._sink(STORE, f"{model.rsplit('.', 1)[-1]}({arg.keyword.value}=...)", arg, sources,
                               column=arg.keyword.value, model=model)
            elif arg.star == "**" and model is not None:
                self._spread(arg.value, items, model, node, env)
        if method in _SPREAD_FACTORIES and isinstance(func, cst.Attribute) and node.args:
            factory = self.qualify(func.value)
            if _class_like(factory):
                update = keyword(node, "update")
                replaced = tuple(_dict_keys(update.value)) if update is not None else ()
                self._spread(node.args[0].value, values[0], factory, node, env, replaced)  # type: ignore[arg-type]
        if method in k.DOCUMENT_WRITES and isinstance(func, cst.Attribute):
            collection = dotted_name(func.value) or self._code(func.value)
            for arg in node.args:
                self._document_fields(arg.value, env, collection)
        if (method in _SQL_METHODS or qualified in ("sqlalchemy.text", "sqlalchemy.sql.text")) and node.args:
            self._sql_write(node, values, env)

    def _spread(
        self,
        expression: cst.BaseExpression,
        items: frozenset,
        model: str,
        node: cst.Call,
        env: Env,
        replaced: tuple[str, ...] = (),
    ) -> None:
        """`User(**payload.model_dump())`: every field of the payload becomes a column."""
        # Only a payload whose class is known can be judged: which of its fields hold passwords.
        whole = [s for s in _sources(items) if not s.attrs and s.local is None and s.param in self.record.annotations]
        if not whole:
            return
        excluded = set(replaced)
        inner = expression.expression if isinstance(expression, cst.Await) else expression
        if isinstance(inner, cst.Call):
            exclude = keyword(inner, "exclude")
            if exclude is not None:
                excluded.update(_dict_keys(exclude.value))
                excluded.update(_strings(exclude.value) or ())
        for source in whole:
            excluded.update(self._replaced(source.param or "", env))
        name = dotted_name(inner)
        if name is not None:
            excluded.update(self._replaced(name, env))
        self._sink(SPREAD, self._code(node), node, whole, model=model,
                   excluded=tuple(sorted(excluded)))

    def _document_fields(self, node: cst.BaseExpression, env: Env, collection: str) -> None:
        if not isinstance(node, cst.Dict):
            return
        for element in node.elements:
            if not isinstance(element, cst.DictElement):
                continue
            key = string_value(element.key)
            if key == "$set":
                self._document_fields(element.value, env, collection)
            elif key is not None and k.is_password_name(key):
                sources = _sources(self.ev(element.value, env))
                if sources:
                    self._sink(STORE, f"{collection}.{key}", element, sources, column=key, principal=collection)

    def _sql_write(self, node: cst.Call, values: list[frozenset], env: Env) -> None:
        """`INSERT INTO users (email, password) VALUES (%s, %s)` with the password bound."""
        first = node.args[0].value
        if type(first) is cst.Call and first.args:
            first = first.args[0].value  # `text("...")`
        spliced: list[cst.BaseExpression] = []  # an f-string's values, by the index its placeholder holds
        if type(first) is cst.FormattedString:
            sql = _template(first, spliced)
        else:
            sql = string_value(first)
        if sql is None:
            return
        bound: list[tuple[str, str]] = []  # (column, placeholder)
        table = None
        insert = _INSERT.match(sql)
        if insert:
            table = insert.group(1)
            columns = [c.strip().strip('"`[]') for c in insert.group(2).split(",")]
            placeholders = [p.strip() for p in _split_top(insert.group(3))]
            bound = list(zip(columns, placeholders, strict=False))
        else:
            update = _UPDATE_SET.match(sql)
            if update:
                table = update.group(1)
                for assignment in _split_top(update.group(2)):
                    column, _, placeholder = assignment.partition("=")
                    bound.append((column.strip().strip('"`[]'), placeholder.strip()))
        if table is None:
            self._sql_match(node, values, env, sql, spliced)
            return
        position = 0
        for column, placeholder in bound:
            index = position
            position += 1 if _POSITIONAL_PLACEHOLDER.match(placeholder) else 0
            if not k.is_password_name(column):
                continue
            inline = _SPLICED.fullmatch(placeholder.strip("'\""))
            if inline is not None:
                value = self.ev(spliced[int(inline.group(1))], env)
            else:
                value = self._bound_value(node, values, env, placeholder, index)
            sources = _sources(value)
            if sources:
                self._sink(SQL_WRITE, f"{table}.{column}", node, sources, column=column, principal=table)

    def _sql_match(
        self, node: cst.Call, values: list[frozenset], env: Env, sql: str, spliced: list[cst.BaseExpression]
    ) -> None:
        """`SELECT ... FROM users WHERE email = %s AND password = %s` with the password bound: the
        column holds what users type."""
        match = _SQL_FROM.search(sql)
        where = _SQL_WHERE.search(sql)
        if match is None or where is None:
            return
        for condition in _SQL_CONDITION.finditer(sql, where.end()):
            column, placeholder = condition.group(1), condition.group(2)
            if not k.is_password_name(column):
                continue
            inline = _SPLICED.fullmatch(placeholder.strip("'\""))
            if inline is not None:
                value = self.ev(spliced[int(inline.group(1))], env)
            else:
                index = len(_POSITIONAL_IN_SQL.findall(sql, 0, condition.start(2)))
                value = self._bound_value(node, values, env, placeholder, index)
            sources = _sources(value)
            if sources:
                self._sink(COMPARE, f"{match.group(1)}.{column}", node, sources, column=column,
                           principal=match.group(1))

    def _bound_value(
        self, node: cst.Call, values: list[frozenset], env: Env, placeholder: str, index: int
    ) -> frozenset:
        """What a call binds to one placeholder: `:password` / `%(password)s` by name (keywords or a
        dict), `%s` / `?` by position in the tuple after the SQL, `$2` by position among the call's
        arguments (asyncpg)."""
        named = _NAMED_PLACEHOLDER.match(placeholder)
        if named:
            name = named.group(1) or named.group(2)
            for arg in node.args[1:]:
                if arg.keyword is not None and arg.keyword.value == name:
                    return self._value_of(arg, node, values)
                if isinstance(arg.value, cst.Dict):
                    for element in arg.value.elements:
                        if isinstance(element, cst.DictElement) and string_value(element.key) == name:
                            return self.ev(element.value, env)
            return EMPTY
        match = _POSITIONAL_PLACEHOLDER.match(placeholder)
        if not match:
            return EMPTY
        if match.group(1):
            number = int(match.group(1))
            return values[number] if number < len(values) else EMPTY
        if len(node.args) > 1 and isinstance(node.args[1].value, (cst.Tuple, cst.List)):
            elements = node.args[1].value.elements
            if index < len(elements):
                return self.ev(elements[index].value, env)
        return EMPTY


_SQL_FROM = re.compile(r"(?is)\bfrom\s+[\"`\[]?([\w.]+)")
_SQL_WHERE = re.compile(r"(?is)\bwhere\b")
_SQL_CONDITION = re.compile(
    r"(?is)[\"`\[]?(\w+)[\"`\]]?\s*=\s*('?\x00\d+\x00'?|%s|\?|\$\d+|:\w+|%\(\w+\)s)"
)
_POSITIONAL_IN_SQL = re.compile(r"%s|\?")
_SPLICED = re.compile("\x00(\\d+)\x00")


def _template(node: cst.FormattedString, spliced: list[cst.BaseExpression]) -> str:
    """An f-string's text, each `{expression}` replaced by a marker of its index in `spliced`."""
    parts = []
    for part in node.parts:
        if type(part) is cst.FormattedStringText:
            parts.append(part.value)
        else:
            parts.append(f"\x00{len(spliced)}\x00")
            spliced.append(part.expression)
    return "".join(parts)


def _split_top(text: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts, depth, current = [], 0, []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _member(items: frozenset, name: str) -> frozenset:
    """A field of a value: `payload.password`, `data["password"]`, `form.get("password")`."""
    found = set()
    for item in items:
        if isinstance(item, Source) and item.local is None and len(item.attrs) < 2:
            found.add(Source(item.param, (*item.attrs, name)))
        elif isinstance(item, RequestBody) and k.is_password_name(name):
            found.add(Source(None, (), f"request {item.kind} field `{name}`"))
    return frozenset(found)


def _subscript_key(node: cst.BaseExpression) -> str | None:
    if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        return string_value(node.slice[0].slice.value)
    return None


def _dict_keys(node: cst.BaseExpression) -> list[str]:
    if isinstance(node, cst.Dict):
        return [key for e in node.elements if isinstance(e, cst.DictElement) and (key := string_value(e.key))]
    if isinstance(node, cst.Set):
        return [v for e in node.elements if (v := string_value(e.value))]
    return []


def _digest_name(node: cst.BaseExpression) -> str | None:
    """`hashlib.sha256` / `"sha256"` / `hashes.SHA256()` -> `sha256`."""
    text = string_value(node)
    if text is not None:
        return text.lower()
    if isinstance(node, cst.Call):
        node = node.func
    name = dotted_name(node)
    return name.rsplit(".", 1)[-1].lower() if name else None


def _merge(a: Env, b: Env) -> Env:
    if a is b:
        return a
    merged = dict(a)
    for key, value in b.items():
        merged[key] = merged.get(key, EMPTY) | value
    return merged
