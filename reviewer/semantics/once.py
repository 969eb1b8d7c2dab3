"""Work done once, not per call: lazy initialisation, set-up that returns early once done, caches
filled on disk, state released and cleared.

State that outlives a call is a module global the function declares (`global _client`) or an
attribute of the object (`self._client`). Four shapes run their work once per process (or per
long-lived object, or per artifact) rather than once per call:

- lazy initialisation: `if self._client is None: self._client = connect()` — the test finds the
  state unset and the block assigns it;
- a done-guard: `if self._loaded: return` at the top of the function, with the function
  assigning `self._loaded` further down — everything after the guard runs once;
- a cache fill on disk: `if not archive.is_file(): download(url, archive)` — the block makes the
  file or directory its test finds missing, and later calls find it there;
- a release: `if self._workdir: shutil.rmtree(self._workdir); self._workdir = None` — the mirror
  of lazy initialisation, the block clears the state its test finds set.

Evidence is the assignment, never the name: `if cache is None:` on a local is no lazy initialiser.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

from reviewer import lazy_cst as cst
from reviewer.semantics.names import dotted_name
from reviewer.traversal import Visitor, visit


def _state_names(node: cst.CSTNode, globals_: Collection[str], self_name: str | None) -> set[str]:
    """The long-lived state an expression reads: declared globals, `self.<attribute>`s."""
    reads = _Reads(globals_, self_name)
    visit(node, reads)
    return reads.found


def _assigned(node: cst.CSTNode) -> set[str]:
    """Every name or attribute chain a subtree assigns to (not in nested functions)."""
    writes = _Writes()
    visit(node, writes)
    return writes.found


class _Reads(Visitor):
    def __init__(self, globals_: Collection[str], self_name: str | None) -> None:
        self.globals_ = globals_
        self.self_name = self_name
        self.found: set[str] = set()

    def visit_Name(self, name: cst.Name) -> None:
        if name.value in self.globals_:
            self.found.add(name.value)

    def visit_Attribute(self, attribute: cst.Attribute) -> None:
        if self.self_name and isinstance(attribute.value, cst.Name) and attribute.value.value == self.self_name:
            self.found.add(f"{self.self_name}.{attribute.attr.value}")


class _Writes(Visitor):
    def __init__(self) -> None:
        self.found: set[str] = set()

    def _target(self, expression: cst.BaseExpression) -> None:
        if isinstance(expression, (cst.Tuple, cst.List)):
            for element in expression.elements:
                self._target(element.value)
            return
        name = dotted_name(expression)
        if name:
            self.found.add(name)

    def visit_Assign(self, assign: cst.Assign) -> None:
        for item in assign.targets:
            self._target(item.target)

    def visit_AnnAssign(self, assign: cst.AnnAssign) -> None:
        if assign.value is not None:
            self._target(assign.target)

    def visit_AugAssign(self, assign: cst.AugAssign) -> None:
        self._target(assign.target)

    def visit_FunctionDef(self, function: cst.FunctionDef) -> bool:
        return False


def is_lazy_initialisation(
    node: cst.If, globals_: Collection[str], self_name: str | None, aliases: Mapping[str, str] | None = None
) -> bool:
    """`if <state> is None: <state> = ...`: a block assigning state its test reads. For a declared
    global, any test will do (the declaration says the function keeps state there); an attribute
    must be tested for being unset (`self._x is None`, `not self._x`), since objects change their
    attributes for every other reason too; also through a local that holds it (`service =
    self._service` then `if service is None:`, `aliases` maps the local to `self._service`)."""
    assigned = _assigned(node.body)
    if _state_names(node.test, globals_, None) & assigned:
        return True
    unset = _unset_test(node.test)
    if unset is None:
        return False
    if isinstance(unset, cst.Name) and aliases and unset.value in aliases:
        return aliases[unset.value] in assigned
    return bool(_state_names(unset, (), self_name) & assigned)


def is_release(node: cst.If, globals_: Collection[str], self_name: str | None) -> bool:
    """`if <state>:` (or `<state> is not None`) whose block sets that state to `None` (or another
    falsy literal): it releases what the state held once, later calls find it cleared."""
    test = node.test
    if (isinstance(test, cst.Comparison) and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, cst.IsNot)
            and isinstance(test.comparisons[0].comparator, cst.Name)
            and test.comparisons[0].comparator.value == "None"):
        test = test.left
    if not isinstance(test, (cst.Name, cst.Attribute)):
        return False
    read = _state_names(test, globals_, self_name)
    return bool(read) and bool(read & _cleared(node.body))


def _cleared(node: cst.CSTNode) -> set[str]:
    """The names or attribute chains a subtree assigns `None`, `False`, `""`, `[]`... (not in
    nested functions)."""
    clears = _Clears()
    visit(node, clears)
    return clears.found


class _Clears(Visitor):
    def __init__(self) -> None:
        self.found: set[str] = set()

    def visit_Assign(self, assign: cst.Assign) -> None:
        value = assign.value
        falsy = isinstance(value, cst.Name) and value.value in ("None", "False")
        falsy = falsy or (isinstance(value, cst.SimpleString) and not value.raw_value)
        falsy = falsy or (isinstance(value, (cst.List, cst.Dict, cst.Tuple)) and not value.elements)
        if falsy:
            self.found.update(name for item in assign.targets if (name := dotted_name(item.target)))

    def visit_FunctionDef(self, function: cst.FunctionDef) -> bool:
        return False


def _unset_test(test: cst.BaseExpression) -> cst.BaseExpression | None:
    """What `x is None` and `not x` test for being unset."""
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return test.expression
    if (isinstance(test, cst.Comparison) and len(test.comparisons) == 1
            and isinstance(test.comparisons[0].operator, cst.Is)
            and isinstance(test.comparisons[0].comparator, cst.Name)
            and test.comparisons[0].comparator.value == "None"):
        return test.left
    return None


def leaves_function(node: cst.If, function: cst.FunctionDef) -> bool:
    """`if <test>: return ...` (or `raise`), without `else`, as a statement of `function`'s own
    body: what follows it runs only when the test is false."""
    return _position(node, function) is not None and node.orelse is None and _exits(node.body)


def is_done_guard(node: cst.If, function: cst.FunctionDef, globals_: Collection[str], self_name: str | None) -> bool:
    """An `if <state>: return` that leaves `function`, with the function assigning that state after
    it: what follows runs until the state is set, once."""
    if not leaves_function(node, function):
        return False
    read = _state_names(node.test, globals_, self_name)
    if not read:
        return False
    body = function.body
    assert isinstance(body, cst.IndentedBlock)
    after = body.body[_position(node, function) + 1:]
    return any(read & _assigned(statement) for statement in after)


def _position(node: cst.CSTNode, function: cst.FunctionDef) -> int | None:
    body = function.body
    if not isinstance(body, cst.IndentedBlock):
        return None
    return next((i for i, statement in enumerate(body.body) if statement is node), None)


def _exits(block: cst.BaseSuite) -> bool:
    """A block that always leaves the function: simple statements ending in `return` or `raise`."""
    statements = block.body if isinstance(block, cst.IndentedBlock) else [block]
    simple = (cst.SimpleStatementLine, cst.SimpleStatementSuite)
    if not statements or not all(isinstance(statement, simple) for statement in statements):
        return False
    last = statements[-1].body
    return bool(last) and isinstance(last[-1], (cst.Return, cst.Raise))


_EXISTENCE_METHODS = frozenset({"exists", "is_file", "is_dir"})
_EXISTENCE_FUNCTIONS = frozenset({"os.path.exists", "os.path.isfile", "os.path.isdir"})
_MAKING_METHODS = frozenset({"mkdir", "touch", "write_bytes", "write_text", "open", "symlink_to", "hardlink_to"})


def is_cache_fill(node: cst.If, qualify: Callable[[cst.BaseExpression], str | None]) -> bool:
    """`if not <path>.exists(): <make path>`: the block hands the path it found missing to a call
    (`download(url, path)`, `shutil.copytree(src, path)`, `path.mkdir()`)."""
    test = node.test
    if not (isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not)):
        return False
    checked = _checked_path(test.expression, qualify)
    if checked is None:
        return False
    makes = _Makes(checked)
    visit(node.body, makes)
    return makes.found


class _Makes(Visitor):
    """Whether a block hands the path `checked` to a call, or calls a making method on it."""

    def __init__(self, checked: str) -> None:
        self.checked = checked
        self.found = False

    def visit_Call(self, call: cst.Call) -> None:
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in _MAKING_METHODS:
            self.found = self.found or dotted_name(func.value) == self.checked
        for arg in call.args:
            value = arg.value
            if isinstance(value, cst.Call) and len(value.args) == 1:  # `Path(path)`, `str(path)`
                value = value.args[0].value
            if dotted_name(value) == self.checked:
                self.found = True

    def visit_FunctionDef(self, function: cst.FunctionDef) -> bool:
        return False


def _checked_path(test: cst.BaseExpression, qualify: Callable[[cst.BaseExpression], str | None]) -> str | None:
    """The path an existence test checks: `path.exists()`, `os.path.isdir(path)`."""
    if not isinstance(test, cst.Call):
        return None
    func = test.func
    if isinstance(func, cst.Attribute) and func.attr.value in _EXISTENCE_METHODS and not test.args:
        return dotted_name(func.value)
    if qualify(func) in _EXISTENCE_FUNCTIONS and len(test.args) == 1:
        return dotted_name(test.args[0].value)
    return None
