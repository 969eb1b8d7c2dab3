"""The engine's own walk and positions give libcst's answers: the same visit events in the same
order as `visit_batched`, and the same ranges as `PositionProvider`, on every fixture file and on
layouts chosen to trip a statement-by-statement position finder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

from reviewer.analysis import parse_unvalidated
from reviewer.positions import Positions
from reviewer.traversal import BatchedVisitor, atoms, descendants, nodes_of_type, trivia, visit, visit_batched

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted((ROOT / "fixtures").rglob("*.py"))

TRICKY = {
    "decorated": '''\
import functools

# leading comment

@functools.cache
# between decorators
@app.get(
    "/items",
)

async def items(a: int = 1, *, b=f"{x!r:>{w}}") -> list[int]:
    """Doc."""
    # a comment at the body's indentation
    return [await fetch(i) for i in range(a)]
''',
    "compound": """\
if a:
    x = call(1,
             2)
elif b:  # trailing
    y = 2; z = call()
else:
    pass
for i in items: print(i)
while cond(): break
else: done()
try:
    risky()
except (ValueError, KeyError) as error:
    handle(error)
else:
    fine()
finally:
    close()
with open(p) as f, lock():
    data = f.read()
class C(Base, metaclass=Meta):
    attr: int = field(default=1)

    def method(self): return self.attr
""",
    "strings_and_tabs": 'def f():\n\tquery = """\n\tSELECT *\n  FROM t""".format(x)\n\treturn run(query)\n'
    "x = {'a': [1, (2, 3)], **rest}\n"
    "y = lambda q: q + 1\n",
    "crlf_and_formfeed": "import os\r\n\x0c\r\ndef g():\r\n    return os.getenv('A')\r\n\r\nz = g()\r\n",
    "match": "match command:\n    case {'go': where}:\n        move(where)\n    case _:\n        stay()\n",
    "one_line_suites": "if x: a = call()\nelse: b = other()\ndef h(): return 1\nclass D: pass\n",
    "backslash": "value = first + \\\n    second(3)\nassert value, \\\n    'message'\n"
    "def \\\n    spaced(a):\n    return a\n"
    "class   Wide  (Base): pass\n"
    "async\tdef  coro(): pass\n",
    "calls": "@app.get(path('/x'))\nasync def é(a=default(), *b: hint()) -> ret():\n"
    "    label = 'ünï' + str(f'{fmt(a)!r:>{width()}}')\n"
    "    table = {key(1): value(2), **spread(3)}; other((wrapped(4)))\n"
    "    return call(x, *more(), k=kw(), **rest())(after())[index()].method(chained())\n"
    "with open_it(1) as h, second() as j:\n    pass\nfor item in rows(q()):\n    pass\n",
    "fstrings": 'x = ("a" f"{one()}"\n     f"b{two(1)}c" "d")\ny = f"""\nline {three()}\n  {four(f"{five()}")}\n"""\n'
    "z = f\"{six():>{seven()}}\" + f'{eight()!r}'\nw = call(f\"{nine()}\", \"é\", f\"é{ten()}\")\n",
}


def _text(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


def _sources() -> list[tuple[str, str]]:
    found = [(path.relative_to(ROOT).as_posix(), _text(path)) for path in FIXTURES]
    return found + sorted(TRICKY.items())


SOURCES = _sources()


def _parse(source: str) -> cst.Module | None:
    try:
        return cst.parse_module(source)
    except cst.ParserSyntaxError:
        return None


class _Recorder(cst.BatchableCSTVisitor):
    """Records every visit and leave event, for every node type (or only the ones given)."""

    def __init__(self, kinds: set[str]) -> None:
        super().__init__()
        self.events: list[tuple[str, str, int]] = []
        self.kinds = kinds

    def get_visitors(self):
        visitors = {}
        for kind in self.kinds:
            visitors[f"visit_{kind}"] = self._event("visit", kind)
            visitors[f"leave_{kind}"] = self._event("leave", kind)
        visitors["visit_For_body"] = self._event("visit-attr", "For.body")
        visitors["leave_Call_func"] = self._event("leave-attr", "Call.func")
        return visitors

    def _event(self, what: str, kind: str):
        def record(node: cst.CSTNode) -> None:
            self.events.append((what, kind, id(node)))

        return record


NODE_KINDS = {
    kind.__name__
    for kind in vars(cst).values()
    if isinstance(kind, type) and issubclass(kind, cst.CSTNode) and not kind.__name__.startswith("Base")
}


@pytest.mark.parametrize(("name", "source"), SOURCES, ids=[name for name, _ in SOURCES])
def test_walk_visits_what_libcst_visits_in_the_same_order(name, source):
    tree = _parse(source)
    if tree is None:
        assert name.startswith("fixtures/bad_input") or "syntax" in name, name
        return
    for kinds in (NODE_KINDS - {kind.__name__ for kind in trivia()}, NODE_KINDS):
        ours, our_hooks = _events(visit_batched, tree, kinds)
        theirs, their_hooks = _events(cst.visit_batched, tree, kinds)
        assert ours == theirs
        assert len(ours) > 0
        if kinds == NODE_KINDS:  # with a method for whitespace, nothing is skipped
            assert our_hooks == their_hooks
        else:
            assert our_hooks == [event for event in their_hooks if event[1] in kinds]


@pytest.mark.parametrize(("name", "source"), SOURCES[-len(TRICKY) :], ids=sorted(TRICKY))
def test_a_walk_that_handles_no_atoms_skips_them_and_misses_nothing_else(name, source):
    tree = cst.parse_module(source)
    kinds = NODE_KINDS - {kind.__name__ for kind in trivia() | atoms()}
    ours, theirs = _Recorder(kinds), _Recorder(kinds)
    visit_batched(tree, [ours])
    cst.visit_batched(tree, [theirs])
    assert ours.events == theirs.events and len(ours.events) > 10


@pytest.mark.parametrize(("name", "source"), SOURCES[-len(TRICKY) :], ids=sorted(TRICKY))
def test_hooks_can_follow_some_node_types_only(name, source):
    tree = cst.parse_module(source)
    ours: list[tuple[str, int]] = []
    visit_batched(
        tree,
        [],
        before_visit=lambda node: ours.append(("before", id(node))),
        after_leave=lambda node: ours.append(("after", id(node))),
        hooked=lambda kind: issubclass(kind, cst.BaseStatement),
    )
    _, theirs = _events(cst.visit_batched, tree, set())
    statements = [(what, node) for what, kind, node in theirs if issubclass(getattr(cst, kind), cst.BaseStatement)]
    assert ours == statements and len(ours) > 2


def _events(walk, tree: cst.Module, kinds: set[str]) -> tuple[list, list]:
    recorder = _Recorder(kinds)
    hooks: list[tuple[str, str, int]] = []
    walk(
        tree,
        [recorder],
        before_visit=lambda node: hooks.append(("before", type(node).__name__, id(node))),
        after_leave=lambda node: hooks.append(("after", type(node).__name__, id(node))),
    )
    return recorder.events, hooks


class _Statements(cst.CSTVisitor):
    """Every node with the statements around it, innermost first."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[cst.CSTNode] = []
        self.nodes: list[tuple[cst.CSTNode, tuple[cst.CSTNode, ...]]] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        if isinstance(node, cst.BaseStatement):
            self.stack.append(node)
        self.nodes.append((node, tuple(reversed(self.stack))))
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        if isinstance(original_node, cst.BaseStatement):
            self.stack.pop()


@pytest.mark.parametrize(("name", "source"), SOURCES, ids=[name for name, _ in SOURCES])
def test_positions_match_libcst_for_every_node(name, source):
    tree = _parse(source)
    if tree is None:
        return
    expected = MetadataWrapper(tree, unsafe_skip_copy=True).resolve(PositionProvider)
    collected = _Statements()
    tree.visit(collected)
    positions = Positions(tree, source)
    for node, statements in collected.nodes:
        if node in expected and not isinstance(node, cst.Module):
            assert positions.range(node, statements) == expected[node], (name, type(node).__name__)
    for node, _ in collected.nodes:
        if isinstance(node, cst.BaseStatement):
            lines = positions.statement_lines(node)
            assert lines is not None, (name, type(node).__name__)
            assert lines[0] == expected[node].start.line
            if isinstance(node, cst.SimpleStatementLine):
                assert lines[1] == expected[node].end.line


@pytest.mark.parametrize(("name", "source"), SOURCES, ids=[name for name, _ in SOURCES])
def test_calls_are_placed_from_ast_as_libcst_places_them(name, source):
    """The path a walk takes for calls (spans of calls are most of what rules ask for): each asked
    for alone, with the statements around it; a parenthesized call is left to libcst."""
    tree = _parse(source)
    if tree is None:
        return
    expected = MetadataWrapper(tree, unsafe_skip_copy=True).resolve(PositionProvider)
    collected = _Statements()
    tree.visit(collected)
    positions = Positions(tree, source)
    calls = [(node, statements) for node, statements in collected.nodes if type(node) is cst.Call]
    for node, statements in calls:
        assert positions.range(node, statements) == expected[node], name
    if name == "calls":
        assert len(calls) == 26 and not positions._whole_module
        assert positions._generated == {tree.body[0].body.body[1]}  # `(wrapped(4))`


def test_statement_positions_cost_one_statement_not_the_module():
    source = TRICKY["compound"] * 20
    tree = cst.parse_module(source)
    positions = Positions(tree, source)
    last = tree.body[-1]
    call = last.body.body[0].body[0].value
    assert positions.range(call, (last.body.body[0], last)).start.line == source.count("\n") - 2
    assert not positions._whole_module


def test_a_node_of_a_small_statement_is_placed_through_its_statement_line():
    """Rules keep a `return` or a `raise` rather than the line around it; what sits in one is placed
    from that line, not from the whole module's code."""
    source = "def f(e):\n    if e:\n        x = 1; return {'detail': str(e)}\n    return None\n"
    tree = cst.parse_module(source)
    expected = MetadataWrapper(tree, unsafe_skip_copy=True).resolve(PositionProvider)
    positions = Positions(tree, source)
    line = tree.body[0].body.body[0].body.body[0]
    returned = line.body[1]
    detail = returned.value.elements[0].value
    assert positions.range(detail, (returned,)) == expected[detail]
    assert positions.range(detail.args[0].value, (returned,)) == expected[detail.args[0].value]
    assert not positions._whole_module


def test_the_line_of_a_compound_statement_needs_no_code_generated():
    from reviewer.rule import FileContext
    from reviewer.semantics.names import ImportTable, NameResolver
    from reviewer.summary import ModuleSummary

    source = "import x\n\n\n@decorated\ndef f():\n    try:\n        x.go()\n    except ValueError:\n        pass\n"
    tree = cst.parse_module(source)
    table = ImportTable.of(tree, "m", False)
    summary = ModuleSummary(path="m.py", module="m", is_test_file=False, imports=table)
    context = FileContext(path="m.py", source=source, tree=tree, resolver=NameResolver(table), summary=summary,
                          is_test_file=False, statements=[])
    function = tree.body[1]
    assert context.line(function) == 5
    assert context.line(function.body.body[0]) == 6
    assert not context._positions._whole_module


def test_positions_fall_back_to_the_module_when_ast_reads_it_differently():
    source = "type Alias = list[int]\nx = call()\n"  # PEP 695: libcst parses it, ast before 3.12 does not
    tree = cst.parse_module(source)
    positions = Positions(tree, source)
    call = tree.body[1].body[0].value
    assert positions.range(call, (tree.body[1],)).start.line == 2
    assert positions._whole_module


@pytest.mark.parametrize(("name", "source"), SOURCES, ids=[name for name, _ in SOURCES])
def test_unvalidated_parse_builds_the_same_tree(name, source):
    tree = _parse(source)
    if tree is None:
        with pytest.raises(cst.ParserSyntaxError):
            parse_unvalidated(source)
    else:
        assert parse_unvalidated(source).deep_equals(tree)
    with pytest.raises(cst.CSTValidationError):  # nodes made after a parse are checked again
        cst.Name("not a name")


def test_statement_starts_come_without_warnings_about_the_code():
    import warnings

    source = 'PATTERN = "\\d+"\nclass C:\n    x = call("\\w")\n'
    tree = cst.parse_module(source)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        starts = Positions(tree, source).starts()
    assert len(starts) == 3


class _Reader(cst.CSTVisitor):
    """Records every call libcst makes on a visitor; prunes lambdas and every other block."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, str, int]] = []
        self.blocks = 0

    def on_visit(self, node: cst.CSTNode) -> bool:
        self.events.append(("visit", type(node).__name__, id(node)))
        if isinstance(node, cst.IndentedBlock):
            self.blocks += 1
            return self.blocks % 2 == 1
        return not isinstance(node, cst.Lambda)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.events.append(("leave", type(original_node).__name__, id(original_node)))

    def visit_Call_func(self, node: cst.Call) -> None:
        self.events.append(("attribute", "Call.func", id(node)))


@pytest.mark.parametrize(("name", "source"), SOURCES, ids=[name for name, _ in SOURCES])
def test_read_only_visit_calls_a_visitor_as_libcst_does(name, source):
    tree = _parse(source)
    if tree is None:
        return
    ours, theirs = _Reader(), _Reader()
    visit(tree, ours)
    tree.visit(theirs)
    kinds = {kind.__name__ for kind in trivia()}
    assert ours.events == [event for event in theirs.events if event[1] not in kinds]


def test_walk_asks_libcst_for_child_fields_when_their_source_reads_differently(monkeypatch):
    import re

    from reviewer import traversal

    monkeypatch.setattr(traversal, "_VISITED_FIELD", re.compile(r"(?!)"))  # finds no field at all
    monkeypatch.setattr(traversal, "_CHILD_FIELDS", {})
    tree = cst.parse_module(TRICKY["compound"])
    kinds = NODE_KINDS - {kind.__name__ for kind in trivia()}
    ours, _ = _events(visit_batched, tree, kinds)
    theirs, _ = _events(cst.visit_batched, tree, kinds)
    assert ours == theirs and len(ours) > 100


class _Events(BatchedVisitor):
    """Records what it is called for; raises at the call named `fail_at`."""

    def __init__(self, fail_at: str | None = None, stoppable: bool = True) -> None:
        self.events: list[str] = []
        self.fail_at = fail_at
        self.stopped: list[str] = []
        if stoppable:
            self.walk_failed = lambda error: self.stopped.append(str(error))

    def visit_Call(self, node: cst.Call) -> None:
        self.events.append(f"call {node.func.value}")
        if node.func.value == self.fail_at:
            raise ValueError(f"bug at {self.fail_at}")

    def leave_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.events.append(f"leave {node.name.value}")


WALKED = "def f():\n    a()\n    b()\n    c()\n\ndef g():\n    d()\n"


def test_a_visitor_that_raises_is_stopped_and_the_others_walk_on() -> None:
    tree = cst.parse_module(WALKED)
    failing, other = _Events(fail_at="b"), _Events()
    visit_batched(tree, [failing, other])
    assert failing.events == ["call a", "call b"]  # not even the leave of the function it failed in
    assert failing.stopped == ["bug at b"]
    assert other.events == ["call a", "call b", "call c", "leave f", "call d", "leave g"]


@pytest.mark.parametrize("error", [ValueError("bug at b"), RecursionError("deep")])
def test_an_error_a_visitor_cannot_be_stopped_for_ends_the_walk(error: Exception) -> None:
    class Raising(_Events):
        def visit_Call(self, node: cst.Call) -> None:
            if node.func.value == "b":
                raise error

    stoppable = isinstance(error, RecursionError)  # the file's limits end the walk all the same
    with pytest.raises(type(error)):
        visit_batched(cst.parse_module(WALKED), [Raising(stoppable=stoppable)])


def test_nodes_of_type_finds_what_descendants_holds_of_every_kind_names_included() -> None:
    tree = parse_unvalidated((ROOT / "reviewer" / "positions.py").read_text())
    kinds = {type(node) for node in descendants(tree)}
    assert {cst.Name, cst.Call, cst.SimpleString, cst.FunctionDef} <= kinds
    for kind in kinds:
        assert nodes_of_type(tree, kind) == [node for node in descendants(tree) if type(node) is kind], kind


# Run in a fresh interpreter: the changes are process-wide, and this process keeps libcst as shipped.
_NODE_CLASSES = """
import inspect, json, sys
import libcst as cst
from reviewer.analysis import parse_unvalidated
from reviewer.node_classes import direct_initialisers, plain_class_checks

def node_classes():
    found, pending = [], [cst.CSTNode]
    while pending:
        kind = pending.pop()
        if kind not in found:
            found.append(kind)
            pending.extend(kind.__subclasses__())
    return sorted(found, key=lambda kind: f"{kind.__module__}.{kind.__qualname__}")

def walk(node):
    yield node
    for child in node.children:
        yield from walk(child)

def answers(kinds):
    nodes = list(walk(cst.parse_module(open(sys.argv[1]).read())))
    return ([[issubclass(a, b) for b in kinds] for a in kinds],
            [[isinstance(node, kind) for kind in kinds] for node in nodes])

def signatures(kinds):
    return [[(p.name, p.kind, p.default is inspect.Parameter.empty)
             for p in inspect.signature(kind.__init__).parameters.values()] for kind in kinds]

kinds = node_classes()
sources = [open(path).read() for path in sys.argv[1:]]
before, shipped_trees, shipped_signatures = answers(kinds), [parse_unvalidated(s) for s in sources], signatures(kinds)
plain_class_checks()
direct_initialisers()
class Later(cst.Name):
    pass
trees = [parse_unvalidated(s) for s in sources]
try:
    cst.Name("not a name")
    validated = False
except cst.CSTValidationError:
    validated = True
print(json.dumps({
    "same answers": answers(kinds) == before,
    "same trees": all(a.deep_equals(b) and a.code == s for a, b, s in zip(trees, shipped_trees, sources)),
    "same signatures": signatures(kinds) == shipped_signatures,
    "defaults": [cst.Name("x").lpar, cst.Call(func=cst.Name("f")).args, cst.AssignEqual().whitespace_before.value],
    "validated after the parse": validated,
    # Of the classes libcst's modules hold (not those `dataclass(slots=True)` replaced).
    "metaclasses": sorted({type(kind).__name__ for kind in kinds
                           if getattr(sys.modules[kind.__module__], kind.__name__, None) is kind}),
    "later": [type(Later).__name__, isinstance(Later("x"), cst.BaseExpression), isinstance(cst.Name("x"), Later)],
}))
try:
    cst.BaseExpression()
except TypeError:
    print("abstract")
"""


def test_node_classes_made_cheaper_answer_and_build_as_shipped() -> None:
    # Modules with most kinds of statement and expression, and every fixture.
    sources = [ROOT / "reviewer" / "positions.py", ROOT / "reviewer" / "traversal.py", *FIXTURES]
    completed = subprocess.run([sys.executable, "-c", _NODE_CLASSES, *map(str, sources)],
                               capture_output=True, text=True, cwd=ROOT)
    assert completed.returncode == 0, completed.stderr
    outcome, abstract = completed.stdout.splitlines()
    assert json.loads(outcome) == {
        "same answers": True,
        "same trees": True,
        "same signatures": True,
        "defaults": [[], [], " "],
        "validated after the parse": True,
        "metaclasses": ["_NodeClass"],
        "later": ["_NodeClass", True, False],
    }
    assert abstract == "abstract"
