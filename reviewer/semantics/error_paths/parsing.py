"""What only parses what the client sent, so that what it raises describes that data: a `try`
block of a route that awaits nothing but the request and the files it uploaded, or whose every
call decodes or converts a value (`parsed_by`, `only_decodes`), and a coroutine of any module that
waits on nothing but reading what it is given (`reads_only_arguments`: handed the client's files,
`await csv_rows(file)`, it parses them). Also what only validates a value with a Pydantic model
(`only_validates`): what it raises is a validation error, which describes the data validated."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.semantics.defaults import ENVIRONMENT_GETS
from reviewer.semantics.error_paths.syntax import bound_names, calls_in, uses
from reviewer.semantics.log_calls import is_log_call
from reviewer.semantics.names import dotted_name
from reviewer.syntax import params_of, target_names
from reviewer.traversal import descendants, push_children

if TYPE_CHECKING:
    from reviewer.summary import FunctionSummary

    Qualify = Callable[[cst.BaseExpression], str | None]


def parsed_by(body: cst.BaseSuite, qualify: Qualify, uploads: set[str], injected: set[str],
              no_io_unless_awaited: bool) -> tuple[str, ...] | None:
    """Whether a `try` block only parses what the client sent: in a coroutine
    (`no_io_unless_awaited`), it waits on nothing but reading the request or the files it sent
    (`uploads`), and uses no injected dependency; or every call of it decodes or converts a value
    (a parser's or converter's module, `typing.cast`). `()` if so; the functions it awaits,
    handing them only the client's files and constants (`await csv_rows(file)`), qualified, if it
    is so provided that they only parse what they are given, for the repository to tell; None if
    not."""
    if only_decodes(body, qualify):
        return ()
    if not no_io_unless_awaited or uses(body, injected):
        return None
    handed: set[str] = set()
    if _awaits(body, uploads, handed, qualify):
        return None
    return tuple(sorted(handed))


def only_decodes(body: cst.BaseSuite, qualify: Qualify) -> bool:
    """Whether every call of a block decodes or converts the values it is given (`base64`,
    `json.loads`, `int(...)`, `text.encode()`), so that it fails only on what it was given; a block
    that calls nothing decodes nothing."""
    calls = list(calls_in(body))
    return bool(calls) and all(_decodes(call, qualify) for call in calls)


def only_validates(body: cst.BaseSuite, qualify: Qualify) -> bool:
    """Whether a block fails only as a Pydantic validation does, describing the data validated:
    it validates a value with a model (`Summary.model_validate(part.args_as_dict())`,
    `TypeAdapter(Plan).validate_json(text)`), and its other calls decode or convert (`only_decodes`)
    or turn a value into a dict without arguments (`args_as_dict()`, `model_dump()`)."""
    validates = False
    for call in calls_in(body):
        method = call.func.attr.value if isinstance(call.func, cst.Attribute) else None
        if method in _VALIDATIONS:
            validates = True
        elif not (_decodes(call, qualify) or qualify(call.func) in _TYPE_ADAPTERS or (
                method is not None and not call.args and (method in _TO_DICT or method.endswith("_dict")))):
            return False
    return validates


def computed_by(body: cst.BaseSuite, qualify: Qualify,
                resolve: Callable[[cst.Call], str | None] | None = None) -> tuple[str, ...] | None:
    """The functions and classes, qualified, that a `try` block hands its values to, when every
    other call of it decodes or converts (`only_decodes`), is a builtin that touches no file, a log
    call, a method of a text value, or one of a value the block made itself from its other calls
    or a display (`rows = [...]`, then `rows.sort()`; `info.get(...)` for `info` of
    `TABLE.items()`), and what it raises it builds itself: the repository tells
    whether each of them only computes (`reviewer.semantics.error_paths.computing`), so that the
    block fails only with messages the application wrote or errors of the values it was given
    (`utils.convert_value(value=item["value"], target_type=field.type)`). `resolve` names the
    method a call runs where the imports do not: one of a local of a known class (`handler =
    ProviderHandler(...)`, then `handler.fetch(...)`), or of a parameter annotated with one. None
    when a call is of anything else, or there are no such functions."""
    raised = {id(node.exc) for node in descendants(body)
              if isinstance(node, cst.Raise) and isinstance(node.exc, cst.Call)}
    handed: set[str] = set()
    made: set[str] | None = None
    for call in calls_in(body):
        if id(call) in raised or _decodes(call, qualify) or is_log_call(call, qualify):
            continue
        name = qualify(call.func) or (resolve(call) if resolve is not None else None)
        receiver = _receiver_name(call) if name is None else None
        if receiver is not None:
            made = _made_in(body) if made is None else made
            if receiver in made:
                continue  # a method of what the block made from calls it hands on, or a display
        if name is None or name.startswith("builtins."):
            if name is None or name in TOUCHING_BUILTINS:
                return None
            continue
        if not computes_in_memory(name):
            handed.add(name)
    return tuple(sorted(handed)) or None


def summarised_callees(function: FunctionSummary | None) -> Callable[[cst.Call], str | None]:
    """A `resolve` for `computed_by`: what the module's summary resolved a function's calls to, by
    the callee as written (`handler.fetch` -> `ProviderHandler.fetch` after `handler =
    ProviderHandler(...)`, `param.resolve` -> `Param.resolve` for a parameter `param: Param`); None
    for a callee written alike that runs different functions."""
    callees: dict[str, str | None] = {}
    for call in function.calls if function is not None else ():
        if call.text is not None and call.target is not None:
            callees[call.text] = call.target if callees.get(call.text, call.target) == call.target else None

    def callee(call: cst.Call) -> str | None:
        text = dotted_name(call.func)
        return callees.get(text) if text is not None else None

    return callee


def _receiver_name(call: cst.Call) -> str | None:
    """`rows` of `rows.append(...)`, `info` of `info.get(...)`."""
    func = call.func
    return func.value.value if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) else None


def _made_in(body: cst.BaseSuite) -> set[str]:
    """The names a block binds only to what its own calls return or to displays it builds
    (`rows = [...]`, `for name, info in TABLE.items()`, also in a comprehension), walked in order:
    what made them is checked with the block's other calls. A name it also binds to anything
    else (`client = self.client`) is not one of them."""
    made: set[str] = set()
    other: set[str] = set()
    for node in descendants(body):
        if isinstance(node, cst.Assign) and len(node.targets) == 1:
            source, targets = node.value, [node.targets[0].target]
        elif isinstance(node, cst.AnnAssign) and node.value is not None:
            source, targets = node.value, [node.target]
        elif isinstance(node, (cst.For, cst.CompFor)):
            source, targets = node.iter, [node.target]
        elif isinstance(node, (cst.AugAssign, cst.NamedExpr, cst.AsName, cst.Assign)):
            other.update(name.value for name in bound_names(node))
            continue
        else:
            continue
        names = {name.value for target in targets for name in target_names(target)}
        root = source.func if isinstance(source, cst.Call) else source
        while isinstance(root, (cst.Attribute, cst.Call)):
            root = root.func if isinstance(root, cst.Call) else root.value
        if (isinstance(source, cst.Call) or type(source).__name__ in _DISPLAYS) and not (
                isinstance(root, cst.Name) and root.value in ("self", "cls")) or (
                isinstance(source, cst.Name) and source.value in made):
            made |= names
        else:
            other |= names
    return made - other


def computes_in_memory(name: str) -> bool:
    """Whether a qualified function is one of a module that parses, converts or computes in
    memory (`json.loads`, `datetime.datetime.strptime`, `re.match`, `os.getenv`: the environment is
    held in memory; `time.time`: so is the clock; `orders_pb2.PageRequest(...)`: a message class
    protobuf generated, built from the values it is given)."""
    module = name.rpartition(".")[0]
    return name not in _FILE_OPENERS and (name in _DECODERS or name in ENVIRONMENT_GETS or name in _CLOCK_READS
                                          or module in _DECODING_MODULES or module.endswith("_pb2")
                                          or name.split(".", 1)[0] in _PARSING_MODULES)


def _decodes(call: cst.Call, qualify: Qualify) -> bool:
    """A call of a decoder or converter, or a method of a local value that computes from it
    (`state.encode()`), not a function of an imported module."""
    name = qualify(call.func)
    if name is not None:
        return computes_in_memory(name) or name in _TYPING_CASTS
    return isinstance(call.func, cst.Attribute) and call.func.attr.value in PURE_METHODS


# Displays and literals, by the name of their node's class (libcst is not imported until a file is
# parsed).
_DISPLAYS = frozenset({"List", "Tuple", "Set", "Dict", "ListComp", "SetComp", "DictComp", "SimpleString",
                       "FormattedString", "ConcatenatedString"})
# Modules whose functions only decode or convert what they are given (a token, with a key: `jwt`),
# and single such functions.
_DECODING_MODULES = frozenset({"base64", "binascii", "urllib.parse", "ipaddress", "uuid", "unicodedata", "jwt",
                               "jose.jwt"})
_DECODERS = frozenset(
    {"json.loads", "yaml.safe_load", "tomllib.loads", "datetime.datetime.fromisoformat", "datetime.date.fromisoformat",
     "datetime.fromisoformat", "decimal.Decimal", "uuid.UUID", "builtins.int", "builtins.float", "builtins.str",
     "builtins.bytes", "builtins.bool", "builtins.dict", "builtins.list", "builtins.len"}
)
# Reads of the clock, which the process holds in memory and which do not fail.
_CLOCK_READS = frozenset({f"time.{name}{unit}" for name in ("time", "monotonic", "perf_counter", "process_time")
                          for unit in ("", "_ns")} | {"time.gmtime", "time.localtime", "time.strftime"})
# Methods of text and bytes that compute from their receiver.
PURE_METHODS = frozenset(
    {"encode", "decode", "strip", "lstrip", "rstrip", "lower", "upper", "split", "rsplit", "splitlines", "replace",
     "partition", "rpartition", "startswith", "endswith", "removeprefix", "removesuffix",
     # a Pydantic model's own fields, as a dict or JSON text
     "model_dump", "model_dump_json"}
)


# Pydantic's validations (of a model class, v2 and v1, and of a `TypeAdapter`), and what turns a
# value into a dict.
_VALIDATIONS = frozenset({"model_validate", "model_validate_json", "model_validate_strings", "parse_obj", "parse_raw",
                          "validate_python", "validate_json", "validate_strings"})
_TYPE_ADAPTERS = frozenset({"pydantic.TypeAdapter", "pydantic.type_adapter.TypeAdapter"})
_TO_DICT = frozenset({"model_dump", "dict", "_asdict"})


# Awaited reads of what the client sent: waiting on them is not I/O with the application's systems.
_CLIENT_READS = frozenset({"json", "body", "form", "receive_json", "receive_text", "receive_bytes", "receive"})
_UPLOAD_READS = frozenset({"read", "seek"})


def _awaits(body: cst.BaseSuite, uploads: set[str], handed: set[str] | None = None,
            qualify: Qualify | None = None) -> bool:
    """Whether a block waits on I/O other than reading the client's request or the files it sent
    (`await file.read(CHUNK)` on an `UploadFile` parameter): an `await`, `async with` or
    `async for`. Given `handed`, an awaited function of the application handed only those files
    and constants (`await csv_rows(file)`) is collected there, qualified, instead."""
    stack: list[cst.CSTNode] = [body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Await):
            inner = node.expression
            if not (isinstance(inner, cst.Call) and isinstance(inner.func, cst.Attribute)
                    and isinstance(inner.func.value, cst.Name) and (
                        inner.func.attr.value in _CLIENT_READS
                        or inner.func.value.value in uploads and inner.func.attr.value in _UPLOAD_READS)):
                callee = _handed_uploads(inner, uploads, qualify) if handed is not None else None
                if callee is None:
                    return True
                handed.add(callee)
        elif isinstance(node, (cst.With, cst.For)) and node.asynchronous is not None:
            return True
        push_children(node, stack)
    return False


def _handed_uploads(call: cst.BaseExpression, uploads: set[str],
                    qualify: Qualify | None) -> str | None:
    """The qualified function a call hands the client's files to, with nothing else but constants
    (`csv_rows(file)`, `read_rows(csv_file=file, limit=100)`)."""
    if not (uploads and qualify is not None and isinstance(call, cst.Call)
            and isinstance(call.func, (cst.Name, cst.Attribute))):
        return None
    values = [arg.value for arg in call.args]
    if not any(isinstance(value, cst.Name) and value.value in uploads for value in values) or not all(
            isinstance(value, cst.Name) and value.value in uploads or _is_constant(value) for value in values):
        return None
    return qualify(call.func)


def _is_constant(value: cst.BaseExpression) -> bool:
    return isinstance(value, (cst.SimpleString, cst.Integer, cst.Float)) or (
        isinstance(value, cst.Name) and value.value in ("None", "True", "False"))


def reads_only_arguments(function: cst.FunctionDef, qualify: Qualify) -> bool:
    """Whether a coroutine only reads and converts what it is given: it waits on nothing but
    reading its parameters (`await csv_file.read()`; no `async with`, no `async for`), and every
    call it makes is a method of its own values (`data.decode()`, `row.items()`), a builtin that
    touches no file, a function of a module that parses or converts (`csv`, `json`, `io`, ...) or
    a log call; a call of anything else (a client at module level, a function of the application)
    may do I/O."""
    params = {param.name.value for param in params_of(function)}
    if function.asynchronous is None or not params:
        return False
    own = _OwnNames(function, params)
    stack: list[cst.CSTNode] = [function.body]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
            continue
        if isinstance(node, (cst.With, cst.For)) and node.asynchronous is not None:
            return False
        if isinstance(node, cst.Await):
            call = node.expression
            if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
                    and call.func.attr.value in ("read", "seek") and isinstance(call.func.value, cst.Name)
                    and call.func.value.value in params):
                return False
        elif isinstance(node, cst.Call) and not _converts(node, own, qualify):
            return False
        push_children(node, stack)
    return True


# Modules whose functions parse, convert or compute in memory.
_PARSING_MODULES = frozenset({"json", "csv", "io", "orjson", "ujson", "yaml", "tomllib", "base64", "binascii",
                              "codecs", "re", "datetime", "decimal", "uuid", "unicodedata", "string", "itertools",
                              "collections", "functools", "operator", "typing", "math", "ast", "shlex", "textwrap",
                              "hashlib", "hmac", "html", "difflib", "fnmatch", "struct", "copy", "enum",
                              "dataclasses", "statistics", "ipaddress", "zlib", "pydantic", "types", "jsonschema"})
# What opens a file though its module otherwise computes in memory.
_FILE_OPENERS = frozenset({"io.open", "codecs.open"})
# Calls that only tell the type checker what a value is.
_TYPING_CASTS = frozenset({"typing.cast", "typing_extensions.cast"})
TOUCHING_BUILTINS = frozenset({"builtins.open", "builtins.input", "builtins.print", "builtins.exec",
                                "builtins.eval", "builtins.__import__"})


class _OwnNames:
    """The names a function was given or binds itself, found when first asked: most functions
    are told apart before (by what they await)."""

    def __init__(self, function: cst.FunctionDef, params: set[str]) -> None:
        self.function = function
        self.params = params
        self._bound: set[str] | None = None

    def __contains__(self, name: str) -> bool:
        if name in self.params:
            return True
        if self._bound is None:
            self._bound = {bound.value for bound in bound_names(self.function.body)}
        return name in self._bound


def _converts(call: cst.Call, own: _OwnNames, qualify: Qualify) -> bool:
    root = call.func
    while isinstance(root, (cst.Attribute, cst.Subscript, cst.Call)):
        root = root.func if isinstance(root, cst.Call) else root.value
    if isinstance(root, cst.Name) and root.value in own.params:
        return True  # a method of a value it was given
    if isinstance(root, (cst.SimpleString, cst.ConcatenatedString, cst.FormattedString, cst.Dict, cst.List,
                         cst.Tuple, cst.BooleanOperation)):
        return True  # `", ".join(...)`, `(types or {}).items()`
    name = qualify(call.func)
    if name is None:
        return isinstance(root, cst.Name) and root.value in own  # a method of a value of its own
    if name.startswith("builtins."):
        return name not in TOUCHING_BUILTINS
    return name.split(".", 1)[0] in _PARSING_MODULES or is_log_call(call, qualify)
