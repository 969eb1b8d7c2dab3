"""Functions of a module that sign what they are given with an HMAC keyed with one of their
parameters: `def compute_signature(method, path, body, secret): message = method.encode() + body;
return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()`. A guard that
compares the signature a request carries with what such a function returns for the request's
body, keyed with a configured secret, admits only who holds the secret (`holders.CompareReader`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reviewer import lazy_cst as cst
from reviewer.syntax import own_returns, params_of
from reviewer.traversal import descendants

HMAC_CALLS = frozenset({"hmac.new", "hmac.digest", "hmac.HMAC"})
# Methods whose result is the text of their receiver, re-encoded or trimmed: a key or a secret
# given through one (`secret.encode("utf-8")`, `key.strip()`) is the same value.
SAME_TEXT_METHODS = frozenset({"encode", "decode", "strip", "lstrip", "rstrip", "lower", "upper"})


@dataclass(frozen=True)
class Signer:
    """What a signing function's HMAC is keyed with and computed over, by parameter name."""

    key: str
    message: frozenset[str]


def signer_of(function: cst.FunctionDef, qualify: Callable[[cst.BaseExpression], str | None]) -> Signer | None:
    """The parameters a function returns an HMAC of: keyed with one (`secret.encode()`), over a
    message built from others (directly, or through locals it assigns once)."""
    params = {param.name.value for param in params_of(function)}
    once = _locals_assigned_once(function)
    for returned in (node.value for node in own_returns(function) if node.value is not None):
        for value in (returned, *(once[name] for name in _names_in(returned) if name in once)):
            for node in descendants(value):
                if not (isinstance(node, cst.Call) and qualify(node.func) in HMAC_CALLS and len(node.args) >= 2):
                    continue
                key = _parameter_of(node.args[0].value, params, once)
                message = _parameters_in(node.args[1].value, params, once) - {key}
                if key is not None and message:
                    return Signer(key, frozenset(message))
    return None


def _locals_assigned_once(function: cst.FunctionDef) -> dict[str, cst.BaseExpression]:
    """The locals a function assigns exactly once, by a plain assignment, with the value."""
    values: dict[str, list[cst.BaseExpression]] = {}
    for node in descendants(function.body):
        if isinstance(node, cst.Assign):
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    values.setdefault(target.target.value, []).append(node.value)
        elif isinstance(node, (cst.AugAssign, cst.AnnAssign)) and isinstance(node.target, cst.Name):
            values.setdefault(node.target.value, []).extend([node.value, node.value] if node.value else [])
    return {name: assigned[0] for name, assigned in values.items() if len(assigned) == 1}


def _names_in(node: cst.BaseExpression) -> set[str]:
    return {found.value for found in descendants(node) if isinstance(found, cst.Name)}


def _parameter_of(node: cst.BaseExpression, params: set[str],
                  once: dict[str, cst.BaseExpression]) -> str | None:
    """The parameter a value is, as given or through a text method (`secret.encode("utf-8")`) or
    a local assigned once from it."""
    for _ in range(4):
        if (isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute)
                and node.func.attr.value in SAME_TEXT_METHODS):
            node = node.func.value
        elif isinstance(node, cst.Name) and node.value not in params and node.value in once:
            node = once[node.value]
        else:
            break
    return node.value if isinstance(node, cst.Name) and node.value in params else None


def _parameters_in(node: cst.BaseExpression, params: set[str], once: dict[str, cst.BaseExpression]) -> set[str]:
    """The parameters a value is built from, also through locals assigned once (two steps)."""
    names = _names_in(node)
    for _ in range(2):
        names |= {inner for name in names - params if name in once for inner in _names_in(once[name])}
    return names & params
