"""Where a function's values start: what each parameter is worth, from its annotation, its default
and whether the function serves a route."""

from __future__ import annotations

from reviewer import lazy_cst as cst
from reviewer.semantics.flow.knowledge import (
    ANNOTATED_TYPES,
    CONTAINER_TYPES,
    DEPENDENCY_MARKERS,
    LITERAL_TYPES,
    REQUEST_TYPES,
    STRING_TYPES,
    UNION_TYPES,
)
from reviewer.semantics.flow.syntax import widest
from reviewer.semantics.flow.trust import CALLER, TRUSTED, UNKNOWN, USER, Trust, untrusted, worst
from reviewer.semantics.flow.values import Env, Value


class ParameterFlow:
    """The parameters of the function being followed. A part of `FunctionFlow`, which defines
    the state these methods share."""

    def _parameters(self, function: cst.FunctionDef) -> Env:
        env: Env = {}
        params = function.params
        all_params = [*params.posonly_params, *params.params, *params.kwonly_params]
        is_method = bool(all_params) and all_params[0].name.value in ("self", "cls")
        for index, param in enumerate(all_params):
            name = param.name.value
            self.local_names.add(name)
            if index == 0 and is_method:
                continue
            if param.annotation is None:
                self.untyped_parameters.add(name)
            env[name] = self._parameter_value(function, param)
        for star in (params.star_arg, params.star_kwarg):
            if isinstance(star, cst.Param):
                self.local_names.add(star.name.value)
                origin = USER if self.is_route else CALLER
                env[star.name.value] = Value(
                    trust=untrusted(origin, f"parameter `{star.name.value}`", star),
                    elements=untrusted(origin, f"parameter `{star.name.value}`", star),
                    attributes=untrusted(origin, f"parameter `{star.name.value}`", star),
                )
        return env

    def _parameter_value(self, function: cst.FunctionDef, param: cst.Param) -> Value:
        annotation = param.annotation.annotation if param.annotation is not None else None
        receiver = self._receiver_class(annotation)
        if receiver is not None:
            return Value(trust=UNKNOWN, receiver=receiver)
        if param.default is not None and isinstance(param.default, cst.Call):
            if self.qualify(param.default.func) in DEPENDENCY_MARKERS:
                return Value(trust=UNKNOWN)
        kind = self._classify_annotation(annotation)
        if kind in ("dependency", "session"):
            return Value(trust=UNKNOWN)
        if self.is_route:
            origin = untrusted(USER, f"route parameter `{param.name.value}`", param)
        elif self.domain.parameter_by_contract(param.name.value):
            return Value(trust=UNKNOWN)
        else:
            origin = self._call_site_trust(function, param) or untrusted(
                CALLER, f"parameter `{param.name.value}`", param
            )
        if kind == "request":
            return Value(trust=origin, elements=origin, attributes=origin)
        if kind == "string":
            return Value(trust=origin, elements=origin, attributes=origin)
        if kind == "constrained":
            return Value(trust=TRUSTED, elements=TRUSTED, attributes=TRUSTED)
        # A class: an Enum (trusted as a value) or a model whose fields a route fills from input.
        filled_from_input = origin.untrusted and origin.origin != CALLER
        return Value(
            trust=TRUSTED,
            elements=UNKNOWN,
            attributes=origin if filled_from_input else UNKNOWN,
            model=self._local_class(annotation),
        )

    def _local_class(self, annotation: cst.BaseExpression | None) -> cst.ClassDef | None:
        name = self.qualify(annotation) if isinstance(annotation, (cst.Name, cst.Attribute)) else None
        module = self.analysis.context.module
        if name is None or not name.startswith(f"{module}."):
            return None
        return self.analysis.classes.get(name[len(module) + 1 :])

    def _call_site_trust(self, function: cst.FunctionDef, param: cst.Param) -> Trust | None:
        """For a function only this module calls: the worst of what its calls pass for `param`,
        each judged in its caller's flow. None when the function may be called from elsewhere.
        A helper of migrations or scripts that its own module does not call is given what the
        revisions and scripts importing it spell, run by their operator: trusted."""
        if not self.analysis.module_private(function):
            return None
        sites = self.analysis.call_sites(function.name.value)
        if not sites:
            return TRUSTED if self.analysis.run_by_operator() and not function.name.value.startswith("_") else None
        return worst(self.analysis.argument_trust(site, function, param) for site in sites)

    def _classify_annotation(self, node: cst.BaseExpression | None) -> str:
        if node is None:
            return "string"
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            return "other"
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
            return widest(self._classify_annotation(node.left), self._classify_annotation(node.right))
        if isinstance(node, cst.Subscript):
            base = self.qualify(node.value)
            inner = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
            if base in LITERAL_TYPES:
                return "constrained"
            if base in ANNOTATED_TYPES and inner:
                for extra in inner[1:]:
                    if isinstance(extra, cst.Call) and self.qualify(extra.func) in DEPENDENCY_MARKERS:
                        return "dependency"
                return self._classify_annotation(inner[0])
            if base in UNION_TYPES:
                return widest(*(self._classify_annotation(i) for i in inner)) if inner else "other"
            if base in CONTAINER_TYPES:
                if base.endswith(("dict", "Dict", "Mapping")):
                    return "string"
                return widest(*(self._classify_annotation(i) for i in inner)) if inner else "string"
            if base in ("builtins.type", "typing.Type"):
                return "constrained"
            return "other"
        name = self.qualify(node)
        if name is None:
            return "other"
        if name in ("builtins.None",) or (isinstance(node, cst.Name) and node.value == "None"):
            return "none"
        if name in STRING_TYPES:
            return "string"
        if name in CONTAINER_TYPES:
            return "string"
        if name in REQUEST_TYPES:
            return "request"
        if self.domain.annotated_object(name) is not None:
            return "session"
        if name.startswith(("builtins.", "uuid.", "datetime.", "decimal.", "ipaddress.", "pydantic.")):
            return "constrained"
        local = (
            self.analysis.classes.get(name.rsplit(".", 1)[-1])
            if name.startswith(self.analysis.context.module + ".")
            else None
        )
        if local is not None and self.analysis.is_enum_class(local):
            return "constrained"
        return "other"

    def _receiver_class(self, annotation: cst.BaseExpression | None) -> str | None:
        if annotation is None:
            return None
        if isinstance(annotation, cst.Subscript):
            for element in annotation.slice:
                if isinstance(element.slice, cst.Index):
                    found = self._receiver_class(element.slice.value)
                    if found:
                        return found
            return None
        return self.domain.annotated_object(self.qualify(annotation) or "")
