"""`Reader`: reads the returned expressions of one function (`FunctionState`, what the walk gathered
of it; its locals followed) into `Shape`s, the callees that make a value, and what each return
gives (`response`, `constant`, `value`, or the repository function it returns the result of); with
the small helpers on shapes it uses.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from reviewer import lazy_cst as cst
from reviewer.semantics.fastapi.responses.records import MAX_DEPTH, OTHER, RESPONSE_CLASSES, Shape
from reviewer.semantics.orm import query_of, runs_query
from reviewer.syntax import keyword, string_value

JSON_ENCODERS = frozenset({"fastapi.encoders.jsonable_encoder"})
DUMP_METHODS = frozenset({"model_dump", "dict"})
VALIDATORS = frozenset({"model_validate", "from_orm", "parse_obj", "model_construct", "construct"})
ONE_ROW = frozenset({"first", "one", "one_or_none", "scalar_one", "scalar_one_or_none", "scalar"})


@dataclass
class FunctionState:
    """What `ResponseFacts` gathers of one function while walking it: its parameters, the values
    bound to each local, the expressions it returns and its writes to credential-like fields."""

    qualname: str
    params: set[str]
    locals: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    returned: list[cst.BaseExpression] = field(default_factory=list)
    writes: list[tuple[str | None, str, cst.BaseExpression]] = field(default_factory=list)


class Reader:
    """Reads returned expressions of one function into shapes, following its locals."""

    def __init__(self, state: FunctionState, qualify: Callable[[cst.BaseExpression], str | None]) -> None:
        self.state = state
        self.qualify = qualify

    def lookup(self, name: str) -> list[tuple[cst.BaseExpression, None]]:
        return [(value, None) for value in self.state.locals.get(name, ())]

    def shapes(self, expr: cst.BaseExpression, depth: int, bound: Mapping[str, Shape] | None = None) -> list[Shape]:
        if depth > MAX_DEPTH:
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
