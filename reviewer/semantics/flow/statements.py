"""Following values through statements: assignments, augmented assignments, branches (with what a
test proves: `if sort in ALLOWED:`), loops, `with`, `try`, `match`; branches merge where they meet."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from reviewer import lazy_cst as cst
from reviewer.semantics.flow.strings import BuiltString, concat, dedupe, strings_trust
from reviewer.semantics.flow.syntax import always_exits, exits_function
from reviewer.semantics.flow.trust import TRUSTED
from reviewer.semantics.flow.values import Env, Value, merge_envs
from reviewer.semantics.names import dotted_name
from reviewer.syntax import string_value

# Calls that fetch one row (or nothing): what their result's truth says of the values they bind.
ONE_ROW_FETCHES = frozenset({
    "fetchone", "fetchrow", "fetchval", "fetch_one", "fetch_val", "first", "one_or_none", "scalar",
    "scalar_one_or_none",
})
# A constant query that looks rows up by bound parameters.
SQL_LOOKUP = re.compile(r"(?is)\bselect\b.*\bwhere\b.*(:\w+|%s|%\(\w+\)s|\$\d|\?)")


class StatementFlow:
    """Statements, in the order they run. A part of `FunctionFlow`, which defines the state
    these methods share."""

    def run(self, body: Sequence[cst.BaseStatement]) -> Env:
        env: Env = dict(self.globals)
        if self.function is not None:
            env.update(self._parameters(self.function))
        return self._block(body, env)

    def _block(self, statements: Sequence[cst.BaseStatement], env: Env) -> Env:
        for statement in statements:
            env = self._statement(statement, env)
        return env

    def _suite(self, suite: cst.BaseSuite | None, env: Env) -> Env:
        if suite is None:
            return env
        if isinstance(suite, cst.IndentedBlock):
            return self._block(suite.body, env)
        if isinstance(suite, cst.SimpleStatementSuite):
            return self._small_statements(suite.body, env, suite)
        return env

    def _statement(self, statement: cst.BaseStatement, env: Env) -> Env:
        self.statement = statement
        if isinstance(statement, cst.SimpleStatementLine):
            return self._small_statements(statement.body, env, statement)
        if isinstance(statement, cst.If):
            return self._if(statement, env)
        if isinstance(statement, (cst.For,)):
            self._sinks_in(statement.iter, env)
            loop_env = dict(env)
            self._bind_target(
                statement.target,
                Value(trust=self._element_trust(statement.iter, env)),
                loop_env,
                iterable=statement.iter,
            )
            after = self._suite(statement.body, loop_env)
            merged = merge_envs(env, after)
            validated = self._validated_collection(statement, loop_env)
            if validated is not None:
                merged = self._trust_names(merged, [validated])
            return self._suite(statement.orelse.body, merged) if statement.orelse else merged
        if isinstance(statement, cst.While):
            self._sinks_in(statement.test, env)
            after = self._suite(statement.body, dict(env))
            merged = merge_envs(env, after)
            return self._suite(statement.orelse.body, merged) if statement.orelse else merged
        if isinstance(statement, cst.With):
            inner = dict(env)
            for item in statement.items:
                self._sinks_in(item.item, env)
                if item.asname is not None:
                    value = self.value(item.item, env)
                    receiver = self._constructed_receiver(item.item)
                    if receiver:
                        value = replace(value, receiver=receiver)
                    self._bind_target(item.asname.name, value, inner)
            return self._suite(statement.body, inner)
        if isinstance(statement, (cst.Try, cst.TryStar)):
            after_body = self._suite(statement.body, dict(env))
            merged = merge_envs(env, after_body)
            results = [after_body]
            for handler in statement.handlers:
                results.append(self._suite(handler.body, dict(merged)))
            if statement.orelse is not None:
                results[0] = self._suite(statement.orelse.body, after_body)
            out = results[0]
            for other in results[1:]:
                out = merge_envs(out, other)
            if statement.finalbody is not None:
                out = self._suite(statement.finalbody.body, out)
            return out
        if isinstance(statement, cst.Match):
            self._sinks_in(statement.subject, env)
            out: Env | None = None
            for case in statement.cases:
                case_env = self._suite(case.body, dict(env))
                out = case_env if out is None else merge_envs(out, case_env)
            return merge_envs(env, out) if out is not None else env
        return env

    def _if(self, statement: cst.If, env: Env) -> Env:
        self._sinks_in(statement.test, env)
        when_true, when_false = self._sanitized_by(statement.test, env)
        body_env = self._trust_names(dict(env), when_true)
        else_env = self._trust_names(dict(env), when_false)
        after_body = self._suite(statement.body, body_env)
        if isinstance(statement.orelse, cst.If):
            after_else = self._if(statement.orelse, else_env)
        elif isinstance(statement.orelse, cst.Else):
            after_else = self._suite(statement.orelse.body, else_env)
        else:
            after_else = else_env
        body_exits = always_exits(statement.body)
        else_exits = isinstance(statement.orelse, cst.Else) and always_exits(statement.orelse.body)
        if body_exits and not else_exits:
            return after_else
        if else_exits and not body_exits:
            return after_body
        return merge_envs(after_body, after_else)

    def _validated_collection(self, loop: cst.For, env: Env) -> str | None:
        """The collection a loop checks element by element, leaving the function on the first
        that fails (`for field in fields: if not VALID.fullmatch(field): raise ...`): past the
        loop, every element has passed."""
        target, collection = dotted_name(loop.target), dotted_name(loop.iter)
        if target is None or collection is None or not isinstance(loop.body, cst.IndentedBlock):
            return None
        for statement in loop.body.body:
            if isinstance(statement, cst.If) and statement.orelse is None and exits_function(statement.body):
                _, when_false = self._sanitized_by(statement.test, env)
                if target in when_false:
                    return collection
        return None

    def _lookup_keys(self, node: cst.BaseExpression, env: Env) -> frozenset[str] | None:
        """The names a one-row lookup binds (`fetchone("SELECT ... WHERE db = :id", {"id": ext_id})`,
        `execute(text("SELECT ..."), {...}).first()`): the query is constant, the names are bound."""
        if isinstance(node, cst.Await):
            node = node.expression
        if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)):
            return None
        method = node.func.attr.value
        if method not in ONE_ROW_FETCHES:
            return None
        if not node.args and isinstance(node.func.value, cst.Call):
            node = node.func.value  # `session.execute(text(...), {...}).first()`
        if not node.args:
            return None
        first = node.args[0].value
        if isinstance(first, cst.Call) and first.args:
            first = first.args[0].value  # `text("SELECT ...")`
        query = string_value(first)
        if query is None or not SQL_LOOKUP.search(query):
            return None
        bound = [
            element.value
            for arg in node.args[1:]
            if isinstance(arg.value, cst.Dict)
            for element in arg.value.elements
            if isinstance(element, cst.DictElement)
        ] + [arg.value for arg in node.args[1:] if arg.keyword is not None or isinstance(arg.value, cst.Name)]
        names = frozenset(name for name in map(dotted_name, bound) if name)
        return names or None

    def _trust_names(self, env: Env, names: Iterable[str]) -> Env:
        for name in names:
            previous = env.get(name, Value())
            env[name] = replace(previous, trust=TRUSTED, elements=TRUSTED, attributes=TRUSTED)
        return env

    def _small_statements(self, body: Sequence[cst.BaseSmallStatement], env: Env, statement: cst.CSTNode) -> Env:
        self.statement = statement
        for small in body:
            self._sinks_in(small, env)
            if isinstance(small, cst.Assign):
                value = self.value(small.value, env)
                found_by = self._lookup_keys(small.value, env)
                if found_by:
                    value = replace(value, found_by=found_by)
                for target in small.targets:
                    self._bind_target(target.target, value, env)
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                value = self.value(small.value, env)
                found_by = self._lookup_keys(small.value, env)
                if found_by:
                    value = replace(value, found_by=found_by)
                self._bind_target(small.target, value, env)
            elif isinstance(small, cst.AugAssign):
                self._augment(small, env)
            elif isinstance(small, cst.Expr) and isinstance(small.value, cst.Call):
                self._list_mutation(small.value, env)
            elif isinstance(small, cst.Assert):
                self._trust_names(env, self._sanitized_by(small.test, env)[0])
            elif isinstance(small, cst.Import):
                self.resolver.visit_Import(small)
            elif isinstance(small, cst.ImportFrom):
                self.resolver.visit_ImportFrom(small)
        return env

    def _bind_target(
        self, target: cst.BaseExpression, value: Value, env: Env, iterable: cst.BaseExpression | None = None
    ) -> None:
        key = dotted_name(target)
        if isinstance(target, cst.Name) or (key and key.startswith(("self.", "cls."))):
            if key:
                if value.trust.untrusted:
                    value = replace(value, trust=value.trust.via(f"assigned to `{key}`", self.statement))
                env[key] = value
                self.local_names.add(key)
            return
        if isinstance(target, (cst.Tuple, cst.List)):
            elements = [e.value for e in target.elements]
            if iterable is not None and isinstance(iterable, cst.Call):
                func = self.qualify(iterable.func)
                if func == "builtins.enumerate" and len(elements) == 2:
                    self._bind_target(elements[0], Value(trust=TRUSTED), env)
                    self._bind_target(elements[1], value, env)
                    return
            for element in elements:
                if isinstance(element, cst.StarredElement):
                    element = element.value
                self._bind_target(element, Value(trust=value.trust, attributes=value.trust, elements=value.trust), env)

    def _augment(self, node: cst.AugAssign, env: Env) -> None:
        key = dotted_name(node.target)
        if key is None:
            return
        current = env.get(key) or self._global(key) or Value()
        if isinstance(node.operator, cst.AddAssign):
            if current.items is not None and isinstance(node.value, (cst.List, cst.Tuple)):
                added = self._strings_of_elements(node.value, env)
                env[key] = replace(current, items=dedupe(current.items + added))
                return
            right = self._strings_or_hole(node.value, env, builder=node, how="+= concatenation")
            if current.strings is not None:
                strings = concat(current.strings, right)
                env[key] = Value(trust=current.trust | strings_trust(right), strings=strings)
                return
        env[key] = Value(trust=current.trust | self.trust(node.value, env))

    def _list_mutation(self, call: cst.Call, env: Env) -> None:
        func = call.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in ("append", "extend", "insert"):
            return
        key = dotted_name(func.value)
        if key is None or key not in env or env[key].items is None:
            return
        current = env[key]
        args = [a.value for a in call.args]
        if func.attr.value == "append" and args:
            added = self._strings_or_hole(args[0], env, builder=None, how="append()")
        elif func.attr.value == "insert" and len(args) == 2:
            added = self._strings_or_hole(args[1], env, builder=None, how="insert()")
        elif func.attr.value == "extend" and args and isinstance(args[0], (cst.List, cst.Tuple)):
            added = self._strings_of_elements(args[0], env)
        else:
            env[key] = replace(
                current,
                items=dedupe(current.items + (((self._hole(args[0], env, call, "extend()")),),))
                if args
                else current.items,
            )
            return
        env[key] = replace(current, items=dedupe(current.items + added), trust=current.trust | strings_trust(added))

    def _strings_of_elements(self, node: cst.List | cst.Tuple | cst.Set, env: Env) -> tuple[BuiltString, ...]:
        found: list[BuiltString] = []
        for element in node.elements:
            found.extend(self._strings_or_hole(element.value, env, builder=None, how="a list element"))
        return tuple(found)
