"""Reading literals out of libcst nodes: the text of a string (also concatenated or wrapped in
`SecretStr(...)`, `bytes.fromhex(...)`), the name it is bound to, the strings that are documentation."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from reviewer import lazy_cst as cst
from reviewer.syntax import argument, keyword, string_value

# Calls that turn a literal into the key bytes: `"k".encode()`, `bytes.fromhex("...")`.
KEY_DECODERS = frozenset(
    {"builtins.bytes.fromhex", "base64.b64decode", "base64.urlsafe_b64decode", "binascii.unhexlify", "builtins.bytes"}
)


# Wrappers whose first argument (or `default=`) is the value itself.
VALUE_WRAPPERS = frozenset(
    {
        "pydantic.SecretStr", "pydantic.SecretBytes", "pydantic.types.SecretStr", "pydantic.types.SecretBytes",
        "pydantic.v1.SecretStr", "starlette.datastructures.Secret", "starlette.config.Secret",
    }
)


FIELD_FUNCTIONS = frozenset(
    {
        "pydantic.Field", "pydantic.fields.Field", "sqlmodel.Field", "dataclasses.field", "attrs.field", "attr.ib",
        "fastapi.Query", "fastapi.Header", "fastapi.Cookie", "fastapi.Body", "fastapi.Form",
        "fastapi.params.Query", "fastapi.params.Header", "fastapi.params.Cookie", "fastapi.params.Body",
    }
)


def literal_text(node: cst.BaseExpression) -> str | None:
    """The text of a string or bytes literal, implicitly concatenated or not; f-string
    expressions become `{}` (so a password that is an expression reads as a template)."""
    if isinstance(node, cst.ConcatenatedString):
        left, right = literal_text(node.left), literal_text(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, cst.FormattedString):
        return "".join(part.value if isinstance(part, cst.FormattedStringText) else "{}" for part in node.parts)
    return string_value(node)


def is_plain_literal(node: cst.BaseExpression) -> bool:
    """A string/bytes literal with no f-string expression in it."""
    if isinstance(node, cst.SimpleString):
        return True
    if isinstance(node, cst.ConcatenatedString):
        return is_plain_literal(node.left) and is_plain_literal(node.right)
    if isinstance(node, cst.FormattedString):
        return all(isinstance(part, cst.FormattedStringText) for part in node.parts)
    return False


def unwrap_value(node: cst.BaseExpression, qualify: Callable[[cst.BaseExpression], str | None]) -> cst.BaseExpression:
    """The literal a value expression carries: `SecretStr("x")`, `Field("x")`, `Field(default="x")`,
    `"x".encode()`, `bytes.fromhex("...")`; otherwise the expression itself."""
    for _ in range(3):
        if not isinstance(node, cst.Call):
            return node
        func = node.func
        if isinstance(func, cst.Attribute) and func.attr.value == "encode" and not node.args:
            node = func.value
            continue
        name = qualify(func)
        if name in VALUE_WRAPPERS or name in KEY_DECODERS:
            first = argument(node, 0, "value")
            if first is None:
                return node
            node = first.value
        elif name in FIELD_FUNCTIONS:
            default = keyword(node, "default") or (
                argument(node, 0, "default") if name.startswith(("pydantic", "sqlmodel", "fastapi")) else None
            )
            if default is None:
                return node
            node = default.value
        else:
            return node
    return node


def target_name(node: cst.BaseExpression) -> str | None:
    """The name a value is bound to: `x`, `self.x`, `config["x"]`, `os.environ["X"]`."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.Subscript) and len(node.slice) == 1:
        index = node.slice[0].slice
        if isinstance(index, cst.Index) and isinstance(index.value, (cst.SimpleString, cst.ConcatenatedString)):
            return literal_text(index.value)
    return None


def expression_statement_strings(body: Iterable[cst.BaseStatement]) -> list[cst.BaseExpression]:
    """String literals that stand alone as statements (docstrings, string comments)."""
    found = []
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                if isinstance(small, cst.Expr) and isinstance(
                    small.value, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString)
                ):
                    found.append(small.value)
    return found
