"""What a branch depends on, when the repository can tell whether it is taken.

An `if` guards its body with a condition and its `else` with the opposite; an `if` that leaves the
function (`if not resolve_dns: return False`) guards the rest of the function with the opposite.
A local assigned such a value (`dump_dir = os.environ.get("DUMP_DIR")`) states the same condition.
Six kinds of condition are weighed over the repository rather than in the file:

- a settings flag, `("setting", object, flag, want)`: `if settings.debug:` wants the flag true,
  `if not settings.bundle_assets:` false, where `settings` is a module-level object (or a module,
  for a module-level name read from the environment: `if not ENABLE_DEBUGGING:`); a default
  deployment takes the branch when the flag's default (`reviewer.semantics.settings`) says so;
  a setting compared with constants, `("setting-in", object, field, values, want)`:
  `if settings.browser_type == "cdp-connect":` runs when the default is one of the values;
- an environment variable, `("environment", variable, default, want)`: `if os.environ.get("X"):`
  or `if "X" in os.environ:`; unset, as it is by default, it is its default value's truth;
- a module being importable, `("installed", module, want)`: `if not importlib.util.find_spec(m):`
  (install it on the fly, fall back) is not taken where the application is installed with its
  dependencies, and once it has run it never is again;
- an argument, `("argument", parameter, test, want)`: `if path:` (test "truth") or
  `if path is not None:` (test "none"), on a parameter of the function; or its membership in a
  module's constant collection, `("argument-in", parameter, collection, want)`: `if key in
  PROMPTS:` (`reviewer.semantics.constants`). Which value the parameter has is a property of each
  call: a literal the call passes, the parameter's default when it passes nothing, or whatever
  its own caller passed when it forwards a parameter;
- an attribute of an object the function holds, `("field", attribute, test, want)`:
  `if artifacts.traces_dir:` (test "truth") or `if self.dump_dir is not None:` (test "none");
  where no code of the repository gives that attribute a value (`reviewer.semantics.fields`),
  it is `None` and the branch is not taken;
- what a repository function returns, `("result", function, test, want)`: `root = dump_root()`
  then `if root is None: return` (test "none"), `if root:` or `for path in candidates():` (test
  "truth"); when every value other than `None` (or, for "truth", other than a falsy literal such
  as `[]`) the function returns is returned under settings or environment conditions
  (`return Path(d) if d else None` after `d = os.environ.get("DUMP_DIR")`; `if not
  settings.template_dir: return []`), a default deployment gets no value when those do not hold.

`holds` decides conditions; anything it cannot decide counts as taken, so a condition only ever
removes work that is shown not to run.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from reviewer import lazy_cst as cst
from reviewer.semantics.defaults import ENVIRONMENT_GETS
from reviewer.semantics.names import dotted_name
from reviewer.syntax import argument, string_value

if TYPE_CHECKING:
    from reviewer.semantics.constants import Constants
    from reviewer.semantics.settings import SettingsDefaults

Condition = tuple  # see the module's docstring
# What an argument is known to be: a literal's kind ("none", "falsy", "truthy"), "some" for a value
# its type says is never `None`, None when unknown.
Value = str | None
# Calls that tell whether a module can be imported.
IMPORT_PROBES = frozenset({"importlib.util.find_spec", "pkgutil.find_loader", "importlib.find_loader"})
MAX_KEPT_LITERAL = 64  # longer strings a call passes are kept as "truthy" (summaries stay small)


def literal_kind(node: cst.BaseExpression | None) -> Value:
    """`None` -> "none"; `False`, `0`, `""`, `[]` -> "falsy"; `True`, `1`, `"x"` -> "truthy"."""
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return {"True": "truthy", "False": "falsy", "None": "none"}[node.value]
    if isinstance(node, cst.Integer):
        return "falsy" if node.value.replace("_", "") in ("0", "0x0", "0o0", "0b0") else "truthy"
    if isinstance(node, cst.SimpleString):
        return "truthy" if node.raw_value else "falsy"
    if isinstance(node, (cst.List, cst.Tuple, cst.Set, cst.Dict)):
        return "truthy" if node.elements else "falsy"
    return None


def excludes_none(annotation: cst.BaseExpression | None, default: cst.BaseExpression | None) -> bool:
    """Whether a parameter's annotation says it is never `None` (`content: str`, `path: Path`):
    not `Optional[...]`, `X | None`, `Any` or `object`, and no `None` default."""
    if annotation is None or literal_kind(default) == "none":
        return False
    if isinstance(annotation, (cst.SimpleString, cst.ConcatenatedString)):
        return False  # a string annotation is not read
    for node in annotation_parts(annotation):
        if isinstance(node, cst.Name) and node.value in ("None", "Optional", "Any", "object"):
            return False
        if isinstance(node, cst.Attribute) and node.attr.value in ("Optional", "Any"):
            return False
    return True


def annotation_parts(annotation: cst.BaseExpression) -> list[cst.BaseExpression]:
    """The names, attributes and strings (annotations written as text) an annotation is made of."""
    parts: list[cst.BaseExpression] = []
    pending = [annotation]
    while pending:
        node = pending.pop()
        if isinstance(node, (cst.Name, cst.Attribute, cst.SimpleString, cst.ConcatenatedString)):
            parts.append(node)
        elif isinstance(node, cst.BinaryOperation):
            pending += [node.left, node.right]
        elif isinstance(node, cst.Subscript):
            pending.append(node.value)
            pending += [element.slice.value for element in node.slice if isinstance(element.slice, cst.Index)]
    return parts


def literal_value(node: cst.BaseExpression | None) -> tuple[bool, Any]:
    """(whether it is one, the value) of a constant: `True`, `None`, `"cdp"`, `3`."""
    if isinstance(node, cst.Name) and node.value in ("True", "False", "None"):
        return True, {"True": True, "False": False, "None": None}[node.value]
    if isinstance(node, cst.SimpleString) and "b" not in node.prefix.lower():
        return True, node.evaluated_value
    if isinstance(node, cst.Integer):
        return True, int(node.value.replace("_", ""), 0)
    return False, None


def literal_truth(node: cst.BaseExpression | None) -> bool | None:
    """The truth of a literal; None for anything that is not one."""
    kind = literal_kind(node)
    return None if kind is None else kind == "truthy"


def parameter_defaults(params: cst.Parameters) -> dict[str, Value]:
    """Every parameter's default, as a literal kind (None: no default, or not a literal)."""
    return {
        param.name.value: literal_kind(param.default) if param.default is not None else None
        for param in (*params.posonly_params, *params.params, *params.kwonly_params)
    }


def module_object(node: cst.BaseExpression, qualify: Callable[[cst.BaseExpression], str | None],
                  is_local: Callable[[str], bool]) -> str | None:
    """The qualified name of a module-level object an expression names (`settings.DEBUG`, `FLAG`),
    the `module_object` the readings below take; None when a name of the function heads it (a
    local, as `is_local` tells, or `self`/`cls`)."""
    head = node
    while isinstance(head, cst.Attribute):
        head = head.value
    if not isinstance(head, cst.Name) or head.value in ("self", "cls") or is_local(head.value):
        return None
    return qualify(node)


def branch_conditions(
    test: cst.BaseExpression,
    parameters: Collection[str],
    module_object: Callable[[cst.BaseExpression], str | None],
    qualify: Callable[[cst.BaseExpression], str | None],
    known: Mapping[str, Condition] | None = None,
) -> tuple[tuple[Condition, ...], tuple[Condition, ...]]:
    """The conditions an `if` test puts on its body and on its `else`: `A and B` gives the body
    both (and the `else` neither), `A or B` gives the `else` the negation of both. `parameters` are
    the function's own, `module_object` qualifies a module-level object (None for locals),
    `qualify` any name through the imports, `known` maps a local to the condition its value states
    (`enabled = settings.debug`)."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        body, orelse = branch_conditions(test.expression, parameters, module_object, qualify, known)
        return orelse, body
    if isinstance(test, cst.BooleanOperation):
        left = branch_conditions(test.left, parameters, module_object, qualify, known)
        right = branch_conditions(test.right, parameters, module_object, qualify, known)
        if isinstance(test.operator, cst.And):
            return left[0] + right[0], ()
        return (), left[1] + right[1]
    condition = condition_of(test, parameters, module_object, qualify, known)
    return ((condition,), (negated(condition),)) if condition is not None else ((), ())


def condition_of(
    test: cst.BaseExpression,
    parameters: Collection[str],
    module_object: Callable[[cst.BaseExpression], str | None],
    qualify: Callable[[cst.BaseExpression], str | None],
    known: Mapping[str, Condition] | None = None,
) -> Condition | None:
    """The condition one test states (no `and`/`or`), when it is one of the kinds above."""
    want = True
    while isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        test, want = test.expression, not want
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        result = _result_comparison(test, module_object, known)
        if result is not None:
            return result if want else negated(result)
        setting = _setting_of(test.left, module_object, known)
        if setting is not None:
            return _setting_comparison(test, setting, want)
        return _comparison(test, want, parameters, module_object, qualify)
    if isinstance(test, cst.Name) and test.value in parameters:
        return ("argument", test.value, "truth", want)
    if isinstance(test, cst.Name) and known and test.value in known:
        found = known[test.value]
        return found if want else negated(found)
    if isinstance(test, cst.Call):
        variable = _environment_read(test, qualify)
        if variable is not None:
            return ("environment", *variable, want)
        if qualify(test.func) in IMPORT_PROBES and test.args:
            return ("installed", string_value(test.args[0].value) or dotted_name(test.args[0].value) or "", want)
        function = _repository_call(test, module_object)
        return None if function is None else ("result", function, "truth", want)
    setting = _setting_of(test, module_object, None)
    if setting is not None:
        return ("setting", *setting, want)
    attribute = _field_of(test, module_object)
    return ("field", attribute, "truth", want) if attribute is not None else None


def _field_of(node: cst.BaseExpression, module_object: Callable[[cst.BaseExpression], str | None]) -> str | None:
    """`traces_dir` of `artifacts.traces_dir` or `self.state.traces_dir`: an attribute of an
    object the function holds (not a module-level one: that is a setting)."""
    if isinstance(node, cst.Attribute) and dotted_name(node.value) is not None and module_object(node.value) is None:
        return node.attr.value
    return None


def _repository_call(call: cst.Call, module_object: Callable[[cst.BaseExpression], str | None]) -> str | None:
    """The qualified name of the module-level function a call names (`dump_root()`,
    `paths.dump_root()`); None for builtins, methods and locals."""
    function = module_object(call.func)
    if function is None or "." not in function or function in ENVIRONMENT_GETS or function.startswith("builtins."):
        return None
    return function


def _result_comparison(
    test: cst.Comparison,
    module_object: Callable[[cst.BaseExpression], str | None],
    known: Mapping[str, Condition] | None,
) -> Condition | None:
    """`root is None` / `root is not None`, where `root` holds a function's result or is the call
    itself: the function's `("result", function, "none", ...)` condition (wanting a value for
    `is not None`)."""
    target = test.comparisons[0]
    comparator = target.comparator
    if not (isinstance(comparator, cst.Name) and comparator.value == "None"):
        return None
    if not isinstance(target.operator, (cst.Is, cst.IsNot)):
        return None
    left = test.left
    if isinstance(left, cst.Name) and known:
        found = known.get(left.value)
        result = ("result", found[1], "none", found[3]) if found is not None and found[0] == "result" else None
    elif isinstance(left, cst.Call):
        function = _repository_call(left, module_object)
        result = ("result", function, "none", True) if function is not None else None
    else:
        result = None
    if result is None:
        return None
    return result if isinstance(target.operator, cst.IsNot) else negated(result)


def _setting_of(
    node: cst.BaseExpression,
    module_object: Callable[[cst.BaseExpression], str | None],
    known: Mapping[str, Condition] | None,
) -> tuple[str, str] | None:
    """(object, field) of `settings.field`, of a module-level name (`DEBUG`, imported or not: its
    module is the object), or of a local assigned one."""
    if isinstance(node, cst.Attribute) and dotted_name(node.value) is not None:
        owner = module_object(node.value)
        return (owner, node.attr.value) if owner is not None else None
    if isinstance(node, cst.Name) and not (known and node.value in known):
        owner, _, name = (module_object(node) or "").rpartition(".")
        if owner and not owner.startswith("builtins"):
            return owner, name
    if isinstance(node, cst.Name) and known:
        found = known.get(node.value)
        if found is not None and found[0] == "setting" and found[3]:
            return found[1], found[2]
    return None


def _setting_comparison(test: cst.Comparison, setting: tuple[str, str], want: bool) -> Condition | None:
    """`settings.mode == "cdp"`, `!= "cdp"`, `in ("a", "b")`: `("setting-in", object, field,
    values, want)`. An identity test (`settings.token is None`) states none."""
    target = test.comparisons[0]
    found = None if isinstance(target.operator, (cst.Is, cst.IsNot)) else compared_literals(target)
    if found is None:
        return None
    values, among = found
    return ("setting-in", *setting, values, want if among else not want)


def compared_literals(comparison: cst.ComparisonTarget) -> tuple[tuple[Any, ...], bool] | None:
    """The literals a comparison tests a value against, and whether being among them makes it
    hold: `== "cdp"`, `!= "cdp"`, `in ("a", "b")`, `not in (...)`, `is None`, `is not None`; None
    for anything else."""
    operator, right = comparison.operator, comparison.comparator
    if isinstance(operator, (cst.In, cst.NotIn)):
        if not isinstance(right, (cst.Tuple, cst.List, cst.Set)):
            return None
        found = [literal_value(element.value) for element in right.elements]
        if not all(known for known, _ in found):
            return None
        return tuple(value for _, value in found), isinstance(operator, cst.In)
    if isinstance(operator, (cst.Equal, cst.NotEqual, cst.Is, cst.IsNot)):
        known, value = literal_value(right)
        return ((value,), isinstance(operator, (cst.Equal, cst.Is))) if known else None
    return None


def _comparison(
    test: cst.Comparison,
    want: bool,
    parameters: Collection[str],
    module_object: Callable[[cst.BaseExpression], str | None],
    qualify: Callable[[cst.BaseExpression], str | None],
) -> Condition | None:
    target = test.comparisons[0]
    operator, right = target.operator, target.comparator
    if (
        isinstance(operator, (cst.In, cst.NotIn))
        and isinstance(test.left, cst.Name)
        and test.left.value in parameters
        and isinstance(right, (cst.Name, cst.Attribute))
    ):
        container = module_object(right)
        if container is not None and container != "os.environ":
            return ("argument-in", test.left.value, container, want if isinstance(operator, cst.In) else not want)
    if isinstance(operator, (cst.In, cst.NotIn)) and qualify(right) == "os.environ":
        variable = string_value(test.left)
        if variable is None:
            return None
        return ("environment", variable, False, want if isinstance(operator, cst.In) else not want)
    if not (isinstance(right, cst.Name) and right.value == "None" and isinstance(operator, (cst.Is, cst.IsNot))):
        return None
    attribute = _field_of(test.left, module_object)
    if attribute is not None:
        return ("field", attribute, "none", want if isinstance(operator, cst.IsNot) else not want)
    if not isinstance(test.left, cst.Name):
        return None
    if test.left.value not in parameters:
        return None
    if isinstance(operator, cst.Is):
        return ("argument", test.left.value, "none", not want)
    if isinstance(operator, cst.IsNot):
        return ("argument", test.left.value, "none", want)
    return None


def _environment_read(call: cst.Call, qualify: Callable[[cst.BaseExpression], str | None]) -> tuple[str, bool] | None:
    """`os.environ.get("X")` / `os.getenv("X", default)`: the variable and its default's truth."""
    if qualify(call.func) not in ENVIRONMENT_GETS:
        return None
    name = argument(call, 0, "key")
    if name is None:
        return None
    # Unset by default whatever its name: a constant naming it (`DUMP_ENV`) identifies it as well,
    # and so does a name built from a parameter (`f"{name}_FILE"`, a secret file's optional path).
    variable = string_value(name.value) or dotted_name(name.value) or _template_text(name.value)
    if variable is None:
        return None
    default = argument(call, 1, "default")
    truth = literal_truth(default.value) if default is not None else False
    return None if truth is None else (variable, truth)


def _template_text(node: cst.BaseExpression) -> str | None:
    """`f"{name}_FILE"` as written, holes and all."""
    if not isinstance(node, cst.FormattedString):
        return None
    return "".join(part.value if isinstance(part, cst.FormattedStringText) else "{...}" for part in node.parts)


def negated(condition: Condition) -> Condition:
    return (*condition[:-1], not condition[-1])


def argument_holds(condition: Condition, value: Value, constants: Constants | None = None) -> bool:
    """Whether an argument condition may hold when the parameter is `value`."""
    if value is None:
        return True
    if condition[0] == "argument-in":
        _, _, container, want = condition
        members = constants.members(container) if constants is not None and isinstance(value, tuple) else None
        return members is None or (value[1] in members) == want
    _, _, test, want = condition
    if isinstance(value, tuple):  # a string the call passes
        value = "truthy" if value[1] else "falsy"
    if value == "some":  # not `None`, but its truth is not known
        return test == "truth" or want
    is_true = value == "truthy" if test == "truth" else value != "none"
    return is_true == want


# What the repository knows of a function's result, for a test ("none" or "truth"): the conditions
# every value other than `None` (or other than a falsy literal) it returns is returned under
# (None: nothing is known).
Results = Callable[[str, str], "tuple[Condition, ...] | None"]
RESULT_KINDS = frozenset({"setting", "setting-in", "environment", "installed"})  # what a result may depend on


def result_conditions(returns: Iterable[tuple[Condition, ...]]) -> tuple[Condition, ...]:
    """The settings and environment conditions all of a function's value returns share."""
    shared: list[Condition] | None = None
    for conditions in returns:
        mine = [condition for condition in conditions if condition[0] in RESULT_KINDS]
        shared = mine if shared is None else [condition for condition in shared if condition in mine]
        if not shared:
            return ()
    return tuple(shared or ())


def holds(
    conditions: Iterable[Condition],
    settings: SettingsDefaults | None,
    arguments: Mapping[str, Value] | None = None,
    constants: Constants | None = None,
    results: Results | None = None,
    unset: Callable[[str], bool] | None = None,
) -> bool:
    """Whether code under `conditions` may run: in a default deployment (settings' defaults,
    environment variables unset), for a call whose parameters are `arguments` (None: any call),
    with the repository's constant collections as they are written, functions' results as
    `results` knows them, and `None` in the attributes `unset` names."""
    for condition in conditions:
        kind = condition[0]
        if kind == "result":
            required = results(condition[1], condition[2]) if results is not None and condition[3] else None
            if required and not holds(required, settings):
                return False
        if kind == "setting":
            default = settings.truth(condition[1], condition[2]) if settings is not None else None
            if default is not None and default != condition[3]:
                return False
        elif kind == "setting-in":
            known, default = settings.value(condition[1], condition[2]) if settings is not None else (False, None)
            if known and (default in condition[3]) != condition[4]:
                return False
        elif kind == "environment":
            if condition[2] != condition[3]:
                return False
        elif kind == "installed":
            if not condition[2]:
                return False
        elif kind == "field":
            if condition[3] and unset is not None and unset(condition[1]):
                return False
        elif kind in ("argument", "argument-in") and arguments is not None:
            if not argument_holds(condition, arguments.get(condition[1]), constants):
                return False
    return True


def parameters_tested(conditions: Iterable[Condition]) -> set[str]:
    """The parameters `conditions` depend on."""
    return {condition[1] for condition in conditions if condition[0] in ("argument", "argument-in")}


def argument_value(node: cst.BaseExpression, parameters: Collection[str]) -> Any:
    """What a call passes: a literal's kind, `("literal", text)` for a short string, or
    `("from", name)` when it forwards one of the calling function's `parameters`."""
    if isinstance(node, cst.Name) and node.value in parameters:
        return ("from", node.value)
    if isinstance(node, cst.SimpleString) and "b" not in node.prefix.lower():
        text = node.evaluated_value
        if isinstance(text, str) and len(text) <= MAX_KEPT_LITERAL:
            return ("literal", text)
    return literal_kind(node)
