"""The trust of an expression, and what a test proves trusted (sanitizers: allow-lists, equality
with a trusted value, full-match regular expressions, `isdigit()`, `isinstance` to a number)."""

from __future__ import annotations

from reviewer import lazy_cst as cst
from reviewer.semantics.flow.knowledge import (
    EXTERNAL_ATTRIBUTES,
    REQUEST_GLOBALS,
    REQUEST_READ_METHODS,
    SAFE_ATTRIBUTES,
    SAFE_RESULT_METHODS,
    STRING_METHODS,
    TYPE_CONSTRAINING_CALLS,
    USER_INPUT_CALLS,
)
from reviewer.semantics.flow.strings import strings_trust
from reviewer.semantics.flow.syntax import body_of, comprehensions
from reviewer.semantics.flow.trust import EXTERNAL, TRUSTED, UNKNOWN, USER, Level, Trust, untrusted, worst
from reviewer.semantics.flow.values import Env, Value
from reviewer.semantics.names import dotted_name
from reviewer.syntax import string_value


class TrustFlow:
    """Trust of expressions, and the names a test proves trusted. A part of `FunctionFlow`,
    which defines the state these methods share."""

    def _sanitized_by(self, test: cst.BaseExpression, env: Env) -> tuple[set[str], set[str]]:
        """Names a test proves trusted when it is true, and when it is false."""
        if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
            when_true, when_false = self._sanitized_by(test.expression, env)
            return when_false, when_true
        if isinstance(test, cst.BooleanOperation):
            left_true, left_false = self._sanitized_by(test.left, env)
            right_true, right_false = self._sanitized_by(test.right, env)
            if isinstance(test.operator, cst.And):
                return left_true | right_true, left_false & right_false
            return left_true & right_true, left_false | right_false
        if isinstance(test, cst.Name):
            # False, the value is empty (`None`, `""`, `[]`): nothing to splice. True, a row a
            # lookup found proves what it was found by to be stored data.
            found = env.get(test.value)
            proven = set(found.found_by) if found is not None and found.found_by else set()
            return proven, {test.value}
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
            comparison = test.comparisons[0]
            if (
                isinstance(comparison.operator, cst.IsNot)
                and isinstance(comparison.comparator, cst.Name)
                and comparison.comparator.value == "None"
                and isinstance(test.left, cst.Call)
            ):
                return self._sanitized_by(test.left, env)  # `re.fullmatch(...) is not None`
            target = dotted_name(test.left)
            if target is None:
                return set(), set()
            operator, other = comparison.operator, comparison.comparator
            if isinstance(operator, (cst.In, cst.NotIn)) and self._is_allow_list(other, env):
                return ({target}, set()) if isinstance(operator, cst.In) else (set(), {target})
            if isinstance(operator, (cst.Equal, cst.NotEqual)) and self.trust(other, env).level is Level.TRUSTED:
                return ({target}, set()) if isinstance(operator, cst.Equal) else (set(), {target})
            return set(), set()
        if isinstance(test, cst.Call):
            func = test.func
            if isinstance(func, cst.Attribute) and func.attr.value in (
                "isdigit",
                "isdecimal",
                "isnumeric",
                "isalnum",
                "isidentifier",
                "isalpha",
            ):
                target = dotted_name(func.value)
                return ({target}, set()) if target else (set(), set())
            name = self.qualify(func)
            if name == "builtins.bool" and len(test.args) == 1:
                return self._sanitized_by(test.args[0].value, env)
            if isinstance(func, cst.Name) and name == self._module_name(func.value):
                position = self.analysis.validators().get(func.value)
                if position is not None and len(test.args) > position and test.args[position].keyword is None:
                    target = dotted_name(test.args[position].value)
                    return ({target}, set()) if target else (set(), set())
            if name in ("re.fullmatch", "re.match") and len(test.args) >= 2:
                pattern = string_value(test.args[0].value)
                target = dotted_name(test.args[1].value)
                if target and _anchored(name.rpartition(".")[2], pattern):
                    return {target}, set()
            if (
                isinstance(func, cst.Attribute)
                and isinstance(func.value, cst.Name)
                and func.attr.value in ("fullmatch", "match")
                and len(test.args) == 1
                and not self.local_names & {func.value.value}
            ):
                pattern = self.analysis.compiled_patterns().get(func.value.value)
                target = dotted_name(test.args[0].value)
                if target and _anchored(func.attr.value, pattern):
                    return {target}, set()
            if name == "builtins.isinstance" and len(test.args) == 2:
                target = dotted_name(test.args[0].value)
                kinds = (
                    [self.qualify(e.value) for e in test.args[1].value.elements]
                    if isinstance(test.args[1].value, cst.Tuple)
                    else [self.qualify(test.args[1].value)]
                )
                if target and all(k in ("builtins.int", "builtins.float", "builtins.bool", "uuid.UUID") for k in kinds):
                    return {target}, set()
        return set(), set()

    def _module_name(self, name: str) -> str:
        """What a name defined at this module's level qualifies to."""
        module = self.analysis.context.module
        return f"{module}.{name}" if module else name

    def _is_allow_list(self, node: cst.BaseExpression, env: Env) -> bool:
        """A constant collection, not a string: `sort in "name,email"` is a substring test."""
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)):
            return False
        if isinstance(node, (cst.List, cst.Tuple, cst.Set, cst.Dict)):
            return self.trust(node, env).level is Level.TRUSTED
        if (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value in ("keys", "values")
        ):
            return self._is_allow_list(node.func.value, env)
        value = self._lookup(node, env)
        if value is not None:
            return value.constant_collection
        return self.trust(node, env).level is Level.TRUSTED and not self._is_local_string(node, env)

    def _is_local_string(self, node: cst.BaseExpression, env: Env) -> bool:
        value = self._lookup(node, env)
        return value is not None and value.strings is not None

    def trust(self, node: cst.BaseExpression, env: Env) -> Trust:
        if isinstance(node, (cst.SimpleString, cst.Integer, cst.Float, cst.Imaginary)):
            return TRUSTED
        if isinstance(node, (cst.ConcatenatedString, cst.FormattedString)):
            strings = self.strings(node, env)
            return strings_trust(strings) if strings is not None else UNKNOWN
        if isinstance(node, cst.Await):
            return self.trust(node.expression, env)
        if isinstance(node, cst.Name):
            return self._name_trust(node, env)
        if isinstance(node, cst.Attribute):
            return self._attribute_trust(node, env)
        if isinstance(node, cst.Subscript):
            base = self._lookup(node.value, env)
            if base is not None and base.constant_collection:
                return TRUSTED
            base_trust = self.trust(node.value, env)
            if base is not None and base.elements is not None and base_trust.level is not Level.UNTRUSTED:
                return base.elements
            return base_trust
        if isinstance(node, cst.Call):
            return self._call_trust(node, env)
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            return worst(self.trust(e.value, env) for e in node.elements)
        if isinstance(node, cst.Dict):
            return worst(
                self.trust(e.value, env) | self.trust(e.key, env)
                for e in node.elements
                if isinstance(e, cst.DictElement)
            )
        if isinstance(node, cst.BinaryOperation):
            if isinstance(node.operator, (cst.Add, cst.Modulo)):
                strings = self.strings(node, env)
                if strings is not None:
                    return strings_trust(strings)
                return self.trust(node.left, env) | self.trust(node.right, env)
            return TRUSTED  # arithmetic yields a number
        if isinstance(node, cst.UnaryOperation):
            return TRUSTED
        if isinstance(node, (cst.Comparison,)):
            return TRUSTED
        if isinstance(node, cst.BooleanOperation):
            return self.trust(node.left, env) | self.trust(node.right, env)
        if isinstance(node, cst.IfExp):
            when_true, when_false = self._sanitized_by(node.test, env)
            return self.trust(node.body, self._trust_names(dict(env), when_true)) | self.trust(
                node.orelse, self._trust_names(dict(env), when_false)
            )
        if isinstance(node, (cst.GeneratorExp, cst.ListComp, cst.SetComp, cst.DictComp)):
            inner = dict(env)
            for comp in comprehensions(node.for_in):
                self._bind_target(
                    comp.target, Value(trust=self._element_trust(comp.iter, inner)), inner, iterable=comp.iter
                )
            if isinstance(node, cst.DictComp):
                # `{new: old for old, new in RENAMES.items()}` is constant; a mix of keys and values
                # of different trust has no one trust (`.keys()` and `[key]` differ).
                both = self.trust(node.key, inner) | self.trust(node.value, inner)
                return TRUSTED if both.level is Level.TRUSTED else UNKNOWN
            return self.trust(node.elt, inner)
        return UNKNOWN

    def _is_module_constant(self, node: cst.BaseExpression, env: Env) -> bool:
        key = dotted_name(node)
        return key is not None and key not in env

    def _name_trust(self, node: cst.Name, env: Env) -> Trust:
        if node.value in env:
            return env[node.value].trust
        if node.value in ("None", "True", "False"):
            return TRUSTED
        table = self.analysis.context.summary.imports
        if node.value in table.aliases or node.value in table.defined:
            qualified = self.qualify(node)
            return untrusted(USER, f"`{qualified}`", node) if qualified in REQUEST_GLOBALS else TRUSTED
        qualified = self.qualify(node)
        if qualified is not None:
            return TRUSTED
        return UNKNOWN

    def _attribute_trust(self, node: cst.Attribute, env: Env) -> Trust:
        key = dotted_name(node)
        if key is not None and key in env:
            return env[key].trust
        if key is not None and key in self.globals:
            return self.globals[key].trust
        qualified = self.qualify(node)
        if qualified in EXTERNAL_ATTRIBUTES:
            return untrusted(EXTERNAL, f"`{qualified}`", node)
        if node.attr.value in SAFE_ATTRIBUTES or node.attr.value == "name" and self._is_enumish(node.value, env):
            return TRUSTED
        base = self._lookup(node.value, env)
        if base is not None:
            if base.model is not None and self._field_kind(base.model, node.attr.value) == "constrained":
                return TRUSTED
            if base.attributes is not None:
                return base.attributes
            return base.trust if base.trust.untrusted else UNKNOWN
        root = node.value
        while isinstance(root, (cst.Attribute, cst.Subscript, cst.Call)):
            root = root.value if not isinstance(root, cst.Call) else root.func
        if isinstance(root, cst.Name) and root.value in ("self", "cls"):
            return UNKNOWN
        base_trust = self.trust(node.value, env)
        return base_trust if base_trust.level is not Level.TRUSTED else TRUSTED

    def _field_kind(self, model: cst.ClassDef, field_name: str) -> str | None:
        """How a field of a model class in this module is annotated (`sort: Literal[...]`)."""
        for statement in body_of(model):
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if (
                        isinstance(small, cst.AnnAssign)
                        and isinstance(small.target, cst.Name)
                        and small.target.value == field_name
                    ):
                        return self._classify_annotation(small.annotation.annotation)
        return None

    def _is_enumish(self, node: cst.BaseExpression, env: Env) -> bool:
        value = self._lookup(node, env)
        return value is not None and value.trust.level is Level.TRUSTED

    def _call_trust(self, node: cst.Call, env: Env) -> Trust:
        func = node.func
        name = self.qualify(func)
        args = [a.value for a in node.args]
        if name in self.domain.source_calls:
            return untrusted(self.domain.source_calls[name], f"`{name}()`", node)
        if name in TYPE_CONSTRAINING_CALLS or name in self.domain.sanitizing_calls:
            return TRUSTED
        if name in USER_INPUT_CALLS:
            return untrusted(USER, f"`{name.removeprefix('builtins.')}()`", node)
        if isinstance(func, cst.Name) and func.value in self.analysis.constrained_results():
            return TRUSTED  # `remaining_ms(deadline)`, declared `-> int` in this module
        if name in ("builtins.str", "builtins.repr", "builtins.format", "json.dumps", "builtins.bytes") and args:
            return self.trust(args[0], env)
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            receiver = func.value
            if method in self.domain.sanitizing_methods or self.domain.sanitizes(node):
                return TRUSTED
            if method in SAFE_RESULT_METHODS:
                return TRUSTED
            if method == "get":
                holder = self._lookup(receiver, env)
                if holder is not None and holder.constant_collection:
                    default = args[1] if len(args) > 1 else None
                    return TRUSTED if default is None else self.trust(default, env)
                if holder is None and self._is_module_constant(receiver, env) and self.trust(receiver, env) == TRUSTED:
                    default = args[1] if len(args) > 1 else None
                    return TRUSTED if default is None else self.trust(default, env)
                return self._derived(receiver, env)
            if method in STRING_METHODS:
                return self.trust(receiver, env)
            if method == "join" and args:
                return self.trust(receiver, env) | self._element_trust(args[0], env)
            if method in ("split", "splitlines", "partition", "keys", "values", "items", "copy", "getlist", "pop"):
                return self._derived(receiver, env)
            receiver_trust = self.trust(receiver, env)
            if method in REQUEST_READ_METHODS and receiver_trust.untrusted:
                return receiver_trust.via(f"read with `.{method}()`", node)
            if method == "json":
                return untrusted(EXTERNAL, "an HTTP response's `json()`", node)
        return UNKNOWN

    def _derived(self, receiver: cst.BaseExpression, env: Env) -> Trust:
        trust = self.trust(receiver, env)
        return trust if trust.untrusted else UNKNOWN if trust.level is Level.UNKNOWN else TRUSTED

    def _element_trust(self, node: cst.BaseExpression, env: Env) -> Trust:
        """What iterating over `node` yields."""
        if isinstance(node, cst.Await):
            node = node.expression
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            return worst(self.trust(e.value, env) for e in node.elements)
        if isinstance(node, cst.Dict):
            return worst(self.trust(e.key, env) for e in node.elements if isinstance(e, cst.DictElement))
        if isinstance(node, cst.Call):
            name = self.qualify(node.func)
            if name in ("builtins.range", "builtins.len"):
                return TRUSTED
            if (
                name
                in (
                    "builtins.enumerate",
                    "builtins.sorted",
                    "builtins.reversed",
                    "builtins.list",
                    "builtins.set",
                    "builtins.tuple",
                )
                and node.args
            ):
                return self._element_trust(node.args[0].value, env)
            if name == "builtins.zip":
                return worst(self._element_trust(a.value, env) for a in node.args)
            if isinstance(node.func, cst.Attribute):
                method = node.func.attr.value
                if method in ("keys", "values", "items"):
                    holder = self._lookup(node.func.value, env)
                    if holder is not None and holder.constant_collection:
                        return TRUSTED
                    if method == "keys":
                        return self._element_trust(node.func.value, env)
                    return self._derived(node.func.value, env)
        value = self._lookup(node, env)
        if value is not None:
            if value.constant_collection:
                return TRUSTED
            if value.items is not None:
                return strings_trust(value.items)
            if value.elements is not None:
                return value.elements
            return value.trust if value.trust.untrusted else UNKNOWN
        trust = self.trust(node, env)
        return trust if trust.level is not Level.TRUSTED else TRUSTED


def _anchored(method: str, pattern: str | None) -> bool:
    """Whether matching `pattern` this way (`fullmatch`, `match`) checks the whole value, and the
    pattern cannot let a quote through."""
    return bool(pattern) and (method == "fullmatch" or pattern.endswith(("$", r"\Z"))) and "'" not in pattern
