"""What a function's names hold for a response it sends after the statement that bound them: the
body an `except` block binds (`body = {"error": "failed"}`, or the keys it sets in a dict:
`result["error"] = "failed"`) for a `return body` after the `try`, and the number a name holds for
a response's status (`status_code = 200`, the function's one binding of it).

The walk of one function (`Walk`) keeps a `HeldBodies`: it notes each assignment as it walks, saves
and restores what is held around the blocks that leave the function, and asks, at a `return`, what
the name it returns holds."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.semantics.error_paths.bodies import response_status
from reviewer.semantics.error_paths.records import RESPONSE_CLASSES
from reviewer.syntax import argument, params_of, string_value
from reviewer.traversal import descendants

if TYPE_CHECKING:
    from collections.abc import Callable

    Qualify = Callable[[cst.BaseExpression], str | None]
    # Of a value an `except` block binds: (whether the block catches any exception, whether the
    # value carries the caught exception or its detail).
    HandledFacts = Callable[[cst.BaseExpression], tuple[bool, bool]]


@dataclass(frozen=True)
class BuiltInExcept:
    """A value an `except` block bound to a name, with that block's facts."""

    value: cst.BaseExpression
    catches_all: bool
    carries_exception: bool
    status_set: list[bool]  # the `except` block's: whether it set `response.status_code`, as it runs
    keys_set: bool = False  # `value` holds the keys the block set in the name's dict, not a value bound


class HeldBodies:
    """The names of one function that hold an `except` block's body, and the numbers it binds once."""

    def __init__(self, function: cst.FunctionDef, qualify: Qualify) -> None:
        self.function = function
        self.qualify = qualify
        self.built: dict[str, BuiltInExcept] = {}

    def note(self, small: cst.Assign | cst.AnnAssign, in_except: bool, status_set: list[bool],
             handled: HandledFacts) -> None:
        """Note what an assignment binds for a later `return name`: a value built in an `except`
        block, or, anywhere else, something else (the name no longer holds it)."""
        targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
        for target in targets:
            value = small.value
            if isinstance(target, cst.Subscript) and in_except and value is not None:
                # `result["error"] = "failed"`: the keys the block sets, as a body of their own.
                key = target.slice[0].slice if len(target.slice) == 1 else None
                if not (isinstance(target.value, cst.Name) and isinstance(key, cst.Index)
                        and string_value(key.value) is not None):
                    continue
                name = target.value.value
                held = self.built.get(name)
                elements = list(held.value.elements) if held is not None and held.keys_set else []
                value = cst.Dict([*elements, cst.DictElement(key.value, value)])
                target = target.value
            elif not isinstance(target, cst.Name):
                continue
            elif not in_except or value is None:
                self.built.pop(target.value, None)
                continue
            catches_all, carries = handled(value)
            self.built[target.value] = BuiltInExcept(value, catches_all, carries, status_set,
                                                     keys_set=small.value is not value)

    def returned(self, value: cst.BaseExpression | None) -> BuiltInExcept | None:
        """What an `except` block bound to the name a return sends as its body."""
        name = self.body_name(value)
        return self.built.get(name.value) if name is not None else None

    def body_name(self, value: cst.BaseExpression | None) -> cst.Name | None:
        """The name a return sends as its body: itself (`return body`), or the content of a response
        built around it without an error status (`JSONResponse(body)`, `JSONResponse(body,
        status_code=status_code)` after `status_code = 200`, the function's one binding of it)."""
        if isinstance(value, cst.Name):
            return value
        if not (isinstance(value, cst.Call) and self.qualify(value.func) in RESPONSE_CLASSES):
            return None
        content = argument(value, 0, "content")
        if content is None or not isinstance(content.value, cst.Name):
            return None
        given, status = response_status(value, self.qualify)
        status = status if status is not None else self.status(value)
        return content.value if not given or status is not None and status < 400 else None

    def status(self, value: cst.BaseExpression | None) -> int | None:
        """The number a name given as a response's status holds (`JSONResponse(..., status_code=code)`
        after `code = 200`), where the function binds it once."""
        written = argument(value, 1, "status_code") if isinstance(value, cst.Call) and self.qualify(
            value.func) in RESPONSE_CLASSES else None
        return self.numbers.get(written.value.value) if written is not None and isinstance(
            written.value, cst.Name) else None

    @functools.cached_property
    def numbers(self) -> dict[str, int]:
        """Names the function binds once, to a number (`status_code = 200`); a parameter is bound
        by the call."""
        bound: dict[str, list[cst.BaseExpression | None]] = {param.name.value: [None] for param in params_of(
            self.function)}
        for node in descendants(self.function.body):
            if isinstance(node, cst.Assign):
                for target in node.targets:
                    for name in descendants(target.target):
                        if isinstance(name, cst.Name):
                            bound.setdefault(name.value, []).append(
                                node.value if target.target is name and len(node.targets) == 1 else None)
            elif isinstance(node, (cst.AnnAssign, cst.AugAssign, cst.NamedExpr, cst.For, cst.AsName)):
                target = node.name if isinstance(node, cst.AsName) else node.target
                for name in descendants(target):
                    if isinstance(name, cst.Name):
                        bound.setdefault(name.value, []).append(
                            node.value if isinstance(node, cst.AnnAssign) and target is name else None)
        return {name: int(values[0].evaluated_value) for name, values in bound.items()
                if len(values) == 1 and isinstance(values[0], cst.Integer)}
