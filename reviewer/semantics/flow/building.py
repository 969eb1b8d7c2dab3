"""Following how strings are built: the possible values of a string expression, as pieces and
holes (`reviewer.semantics.flow.strings`)."""

from __future__ import annotations

import re
import string

from reviewer import lazy_cst as cst
from reviewer.semantics.flow.strings import (
    PERCENT_SPEC,
    BuiltString,
    Hole,
    Part,
    Piece,
    concat,
    dedupe,
    has_fstring,
    unescape_braces,
)
from reviewer.semantics.flow.syntax import comprehensions
from reviewer.semantics.flow.trust import Level
from reviewer.semantics.flow.values import Env, Value
from reviewer.syntax import argument, string_value


class StringFlow:
    """The strings expressions build. A part of `FunctionFlow`, which defines the state these
    methods share."""

    def strings(self, node: cst.BaseExpression, env: Env) -> tuple[BuiltString, ...] | None:
        """The possible values of a string expression built from parts we can see, else None."""
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)) and not has_fstring(node):
            value = string_value(node)
            return None if value is None else ((Piece(value, node, self.statement),),)
        if isinstance(node, (cst.FormattedString, cst.ConcatenatedString)):
            return self._fstring(node, env)
        if isinstance(node, cst.Name) or isinstance(node, cst.Attribute):
            value = self._lookup(node, env)
            return value.strings if value is not None else None
        if isinstance(node, cst.BinaryOperation):
            if isinstance(node.operator, cst.Add):
                left, right = self.strings(node.left, env), self.strings(node.right, env)
                if left is None and right is None:
                    return None
                left = left if left is not None else self._hole_strings(node.left, env, node, "+ concatenation")
                right = right if right is not None else self._hole_strings(node.right, env, node, "+ concatenation")
                return concat(left, right)
            if isinstance(node.operator, cst.Modulo):
                template = self.strings(node.left, env)
                if template is not None and len(template) == 1 and all(isinstance(p, Piece) for p in template[0]):
                    return self._percent_format(node, "".join(p.text for p in template[0]), template[0][0], env)
            return None
        if isinstance(node, cst.Call):
            return self._call_strings(node, env)
        if isinstance(node, cst.IfExp):
            when_true, when_false = self._sanitized_by(node.test, env)
            body = self.strings(node.body, self._trust_names(dict(env), when_true))
            orelse = self.strings(node.orelse, self._trust_names(dict(env), when_false))
            if body is None and orelse is None:
                return None
            body = body if body is not None else self._hole_strings(node.body, env, node, "a conditional expression")
            orelse = (
                orelse if orelse is not None else self._hole_strings(node.orelse, env, node, "a conditional expression")
            )
            return dedupe(body + orelse)
        return None

    def _hole(self, node: cst.BaseExpression, env: Env, builder: cst.CSTNode | None, how: str) -> Hole:
        return Hole(node, self.trust(node, env), builder, how, self.statement)

    def _hole_strings(
        self, node: cst.BaseExpression, env: Env, builder: cst.CSTNode | None, how: str
    ) -> tuple[BuiltString, ...]:
        return ((self._hole(node, env, builder, how),),)

    def _strings_or_hole(
        self, node: cst.BaseExpression, env: Env, builder: cst.CSTNode | None, how: str
    ) -> tuple[BuiltString, ...]:
        found = self.strings(node, env)
        return found if found is not None else self._hole_strings(node, env, builder or node, how)

    def _fstring(self, node: cst.BaseExpression, env: Env) -> tuple[BuiltString, ...] | None:
        if isinstance(node, cst.ConcatenatedString):
            left, right = self.strings(node.left, env), self.strings(node.right, env)
            if left is None or right is None:
                return None
            return concat(left, right)
        if isinstance(node, cst.SimpleString):
            return self.strings(node, env)
        assert isinstance(node, cst.FormattedString)
        result: tuple[BuiltString, ...] = ((),)
        for part in node.parts:
            if isinstance(part, cst.FormattedStringText):
                piece = (Piece(unescape_braces(part.value), node, self.statement),)
                result = tuple(s + piece for s in result)
                continue
            spec = (
                "".join(p.value for p in part.format_spec if isinstance(p, cst.FormattedStringText))
                if part.format_spec
                else ""
            )
            if spec and spec[-1:] in "dfeEgGxXob%n":
                result = tuple(s + (Piece("0", node, self.statement),) for s in result)
                continue
            inner = self.strings(part.expression, env) if part.conversion is None else None
            if inner is None:
                inner = self._hole_strings(part.expression, env, node, "an f-string")
            result = concat(result, inner)
        return result

    def _percent_format(
        self, node: cst.BinaryOperation, template: str, first: Piece, env: Env
    ) -> tuple[BuiltString, ...]:
        args = node.right
        positional: list[cst.BaseExpression] = []
        named: dict[str, cst.BaseExpression] = {}
        if isinstance(args, cst.Tuple):
            positional = [e.value for e in args.elements]
        elif isinstance(args, cst.Dict):
            for element in args.elements:
                if isinstance(element, cst.DictElement):
                    key = string_value(element.key)
                    if key is not None:
                        named[key] = element.value
        else:
            positional = [args]
        parts: list[Part] = []
        position = 0
        cursor = 0
        for match in PERCENT_SPEC.finditer(template):
            parts.append(Piece(template[cursor : match.start()], first.node, self.statement))
            cursor = match.end()
            conversion = match.group("conversion")
            if conversion == "%":
                parts.append(Piece("%", first.node, self.statement))
                continue
            name = match.group("name")
            if name is not None:
                target = named.get(name, args)
            elif position < len(positional):
                target = positional[position]
                position += 1
            else:
                target = args
            if conversion in "diouxXeEfFgGc":
                parts.append(Piece("0", first.node, self.statement))
            else:
                parts.append(self._hole(target, env, node, "% formatting"))
        parts.append(Piece(template[cursor:], first.node, self.statement))
        return (tuple(p for p in parts if not (isinstance(p, Piece) and not p.text)),)

    def _call_strings(self, node: cst.Call, env: Env) -> tuple[BuiltString, ...] | None:
        func = node.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method == "format":
                template = self.strings(func.value, env)
                if template is not None and len(template) == 1 and all(isinstance(p, Piece) for p in template[0]):
                    return self._format_method(node, "".join(p.text for p in template[0]), template[0][0], env)
                return None
            if method == "join" and len(node.args) == 1:
                separator = self.strings(func.value, env)
                if separator is None or len(separator) != 1:
                    return None
                return self._join(node, separator[0], node.args[0].value, env)
            if (
                method in ("substitute", "safe_substitute")
                and isinstance(func.value, cst.Call)
                and self.qualify(func.value.func) == "string.Template"
            ):
                template_arg = argument(func.value, 0, "template")
                template = self.strings(template_arg.value, env) if template_arg is not None else None
                if template is not None and len(template) == 1 and all(isinstance(p, Piece) for p in template[0]):
                    return self._template(node, "".join(p.text for p in template[0]), template[0][0], env)
                return None
            if method in ("strip", "lstrip", "rstrip") and not node.args:
                return self.strings(func.value, env)
        name = self.qualify(func)
        if name in ("builtins.str", "textwrap.dedent", "inspect.cleandoc") and len(node.args) == 1:
            return self.strings(node.args[0].value, env)
        return None

    def _format_method(self, node: cst.Call, template: str, first: Piece, env: Env) -> tuple[BuiltString, ...]:
        positional = [a.value for a in node.args if a.keyword is None and not a.star]
        named = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        parts: list[Part] = []
        auto = 0
        try:
            parsed = list(string.Formatter().parse(template))
        except ValueError:
            return ((self._hole(node, env, node, ".format()"),),)
        for literal, field_name, spec, _conversion in parsed:
            if literal:
                parts.append(Piece(literal, first.node, self.statement))
            if field_name is None:
                continue
            head = re.split(r"[.\[]", field_name, maxsplit=1)[0]
            if head == "":
                target = positional[auto] if auto < len(positional) else node
                auto += 1
            elif head.isdigit():
                target = positional[int(head)] if int(head) < len(positional) else node
            else:
                target = named.get(head, node)
            if spec and spec[-1:] in "dfeEgGxXob%n":
                parts.append(Piece("0", first.node, self.statement))
                continue
            inner = self.strings(target, env) if target is not node and head == field_name else None
            if inner is not None and len(inner) == 1:
                parts.extend(inner[0])
            else:
                parts.append(self._hole(target, env, node, ".format()"))
        return (tuple(parts),)

    def _template(self, node: cst.Call, template: str, first: Piece, env: Env) -> tuple[BuiltString, ...]:
        named = {a.keyword.value: a.value for a in node.args if a.keyword is not None}
        mapping = next((a.value for a in node.args if a.keyword is None), None)
        parts: list[Part] = []
        cursor = 0
        for match in string.Template.pattern.finditer(template):
            parts.append(Piece(template[cursor : match.start()], first.node, self.statement))
            cursor = match.end()
            if match.group("escaped") is not None:
                parts.append(Piece("$", first.node, self.statement))
                continue
            key = match.group("named") or match.group("braced")
            target: cst.BaseExpression = named.get(key) if key in named else (mapping or node)
            if isinstance(mapping, cst.Dict):
                for element in mapping.elements:
                    if isinstance(element, cst.DictElement) and string_value(element.key) == key:
                        target = element.value
            parts.append(self._hole(target, env, node, "string.Template"))
        parts.append(Piece(template[cursor:], first.node, self.statement))
        return (tuple(parts),)

    def _join(
        self, node: cst.Call, separator: BuiltString, iterable: cst.BaseExpression, env: Env
    ) -> tuple[BuiltString, ...]:
        if isinstance(iterable, (cst.List, cst.Tuple, cst.Set)):
            result: tuple[BuiltString, ...] = ((),)
            for index, element in enumerate(iterable.elements):
                piece = self._strings_or_hole(element.value, env, builder=node, how="join()")
                result = concat(result, piece if index == 0 else concat((separator,), piece))
            return result
        if isinstance(iterable, (cst.GeneratorExp, cst.ListComp, cst.SetComp)):
            inner = dict(env)
            for comp in comprehensions(iterable.for_in):
                self._bind_target(
                    comp.target, Value(trust=self._element_trust(comp.iter, inner)), inner, iterable=comp.iter
                )
            element = self.strings(iterable.elt, inner)
            if element is None:
                return self._hole_strings(iterable.elt, inner, node, "join()")
            return dedupe([e + separator + e for e in element])
        value = self._lookup(iterable, env)
        if value is not None and value.items is not None:
            if not value.items:
                return ((),)
            joined: list[Part] = []
            for index, item in enumerate(value.items):
                joined.extend((separator if index else ()) + item)
            return (tuple(joined),)
        elements = self._element_trust(iterable, env)
        if elements.level is Level.TRUSTED:
            return ((Piece("x", node, self.statement),),)
        return ((Hole(iterable, elements, node, "join()", self.statement),),)
