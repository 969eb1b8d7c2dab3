"""The secrets rules' fix: a hardcoded secret becomes an environment read, where that is mechanical.

- a module constant, `API_KEY = "..."` (also wrapped: `SecretStr("...")`, `"...".encode()`),
  reads the variable of its name: `API_KEY = os.environ["API_KEY"]`;
- a field of a Pydantic settings class, `secret_key: str = "..."` (or `SecretStr("...")`), loses
  its default: pydantic-settings then requires it and reads it from the environment;
- an environment read with a fallback, `os.getenv("SECRET_KEY", "...")`, loses the fallback:
  `os.environ["SECRET_KEY"]`.

Anywhere else (a literal inside a call, a dict, a function, under an `if`) the right place for
the value is a decision, not a codemod, and no fix is offered. Every one of these fixes is unsafe:
where the variable is not set, the program now stops (`KeyError`, a settings `ValidationError`)
instead of running with the committed value.
"""

from __future__ import annotations

from reviewer import lazy_cst as cst
from reviewer.codemods import module_reference
from reviewer.model import Edit, Fix, Span
from reviewer.rule import Rule
from reviewer.semantics.settings import SETTINGS_BASES
from rules.secrets_not_hardcoded._literals import VALUE_WRAPPERS, is_plain_literal, literal_text, unwrap_value

ENV_READERS_WITH_FALLBACK = frozenset({"os.getenv", "os.environ.get"})
# Memo in `FileContext.shared`: the module's top-level settings classes, by name.
_SETTINGS_CLASSES = "secrets-settings-classes"


def environment_fix(rule: Rule, literal: cst.BaseExpression, *, reader: cst.Call | None = None) -> Fix | None:
    """The fix that takes the secret `literal` out of the code, when the walk is on a binding
    that allows one mechanically (see the module's documentation); `reader` is the environment
    read whose fallback `literal` is, if it is one."""
    if _is_bytes(literal):
        return None  # an environment variable is text: `b"..."` would change type
    if reader is not None:
        return _without_fallback(rule, reader)
    statements = rule.context.statements
    if not statements or not isinstance(statements[-1], cst.SimpleStatementLine):
        return None
    binding = _binding_of(statements[-1], literal, rule)
    if binding is None:
        return None
    name, node = binding
    if len(statements) == 1:
        return _environment_constant(rule, name, literal)
    if len(statements) == 2 and isinstance(statements[0], cst.ClassDef) and _is_settings_class(rule, statements[0]):
        return _required_field(rule, name, node, literal, statements[-1])
    return None


def _is_bytes(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.SimpleString):
        return "b" in node.prefix.lower()
    if isinstance(node, cst.ConcatenatedString):
        return _is_bytes(node.left)
    return False


def _binding_of(
    line: cst.SimpleStatementLine, literal: cst.BaseExpression, rule: Rule
) -> tuple[str, cst.Assign | cst.AnnAssign] | None:
    """The name a statement of `line` binds to a value that is `literal` (or carries it)."""
    for small in line.body:
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            target, value = small.targets[0].target, small.value
        elif isinstance(small, cst.AnnAssign) and small.value is not None:
            target, value = small.target, small.value
        else:
            continue
        if isinstance(target, cst.Name) and (value is literal or unwrap_value(value, rule.qualify) is literal):
            return target.value, small
    return None


def _environment_constant(rule: Rule, name: str, literal: cst.BaseExpression) -> Fix | None:
    variable = name.upper()
    if not variable.isascii() or not variable.isidentifier():
        return None
    reference = module_reference(rule.context, "os")
    if reference is None:
        return None
    os_name, imports = reference
    return Fix(
        description=f'read `{name}` from the environment: `{os_name}.environ["{variable}"]`',
        edits=(*imports, Edit(rule.context.span(literal), f'{os_name}.environ["{variable}"]')),
        safe=False,
    )


def _required_field(
    rule: Rule,
    name: str,
    node: cst.Assign | cst.AnnAssign,
    literal: cst.BaseExpression,
    statement: cst.SimpleStatementLine,
) -> Fix | None:
    if not isinstance(node, cst.AnnAssign) or node.value is None:
        return None  # a settings field is annotated; a plain assignment is a class attribute
    value = node.value
    wrapped = (
        isinstance(value, cst.Call)
        and rule.qualify(value.func) in VALUE_WRAPPERS
        and len(value.args) == 1
        and value.args[0].value is literal
    )
    if value is not literal and not wrapped:
        return None  # `Field("...", description=...)`: removing the default takes more with it
    context = rule.context
    start = context.span(node.annotation, statement)
    end = context.span(value, statement)
    span = Span(start.end_line, start.end_column, end.end_line, end.end_column)
    return Fix(
        description=f"remove the default of settings field `{name}`, so it is required and read from the environment",
        edits=(Edit(span, ""),),
        safe=False,
    )


def _without_fallback(rule: Rule, reader: cst.Call) -> Fix | None:
    if rule.qualify(reader.func) not in ENV_READERS_WITH_FALLBACK or len(reader.args) != 2 or reader.lpar:
        return None
    key, fallback = reader.args
    if key.keyword is not None or key.star or fallback.star:
        return None
    if fallback.keyword is not None and fallback.keyword.value != "default":
        return None
    reference = module_reference(rule.context, "os")
    if reference is None:
        return None
    os_name, imports = reference
    key_code = rule.context.tree.code_for_node(key.value)
    variable = literal_text(key.value) if is_plain_literal(key.value) else None
    return Fix(
        description=f"read `{variable or key_code}` from the environment without a fallback: "
        f"`{os_name}.environ[{key_code}]`",
        edits=(*imports, Edit(rule.context.span(reader), f"{os_name}.environ[{key_code}]")),
        safe=False,
    )


def _is_settings_class(rule: Rule, node: cst.ClassDef) -> bool:
    """A top-level class deriving from pydantic's `BaseSettings`, directly or through classes
    of the same module."""
    found = rule.context.shared.get(_SETTINGS_CLASSES)
    if found is None:
        found = rule.context.shared[_SETTINGS_CLASSES] = set()
        for statement in rule.context.tree.body:
            if isinstance(statement, cst.ClassDef) and any(
                base.keyword is None
                and (
                    rule.qualify(base.value) in SETTINGS_BASES
                    or (isinstance(base.value, cst.Name) and base.value.value in found)
                )
                for base in statement.bases
            ):
                found.add(statement.name.value)
    return node.name.value in found and any(node is statement for statement in rule.context.tree.body)
