"""The functions of one module as the JWT rules need them: where each function sits (its
enclosing functions and class), which names resolve to functions of this module, who calls a
function here, whether a function serves requests, and the names it resolves through imports
(the module's and its own)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.semantics.fastapi.annotations import marker_of
from reviewer.semantics.fastapi.records import REQUEST_TYPES, WEBSOCKET_TYPES
from reviewer.semantics.flow.syntax import body_of, calls_in, directly_in_class, is_route
from reviewer.semantics.names import NameResolver, dotted_name
from reviewer.syntax import params_of

if TYPE_CHECKING:
    from reviewer.rule import FileContext

# Framework classes whose methods run for a request: an authentication backend, a middleware,
# a security scheme called as a dependency.
REQUEST_CLASSES = frozenset(
    {
        "starlette.authentication.AuthenticationBackend",
        "starlette.middleware.base.BaseHTTPMiddleware",
        "fastapi.security.HTTPBearer",
        "fastapi.security.http.HTTPBearer",
        "fastapi.security.OAuth2PasswordBearer",
        "fastapi.security.oauth2.OAuth2PasswordBearer",
        "fastapi.security.OAuth2",
        "fastapi.security.APIKeyHeader",
        "fastapi.security.APIKeyCookie",
        "fastapi.security.base.SecurityBase",
    }
)
REQUEST_MARKERS = frozenset({"Depends", "Security", "Header", "Cookie"})
CONNECTION_TYPES = REQUEST_TYPES | WEBSOCKET_TYPES | frozenset({"fastapi.requests.HTTPConnection"})


@dataclass(frozen=True)
class Place:
    """Where a function is: its enclosing functions (outermost first, itself last) and the class
    it is a method of (empty when it is not one)."""

    functions: tuple[cst.FunctionDef, ...]
    classes: tuple[cst.ClassDef, ...]

    @property
    def function(self) -> cst.FunctionDef:
        return self.functions[-1]

    @property
    def owner(self) -> cst.ClassDef | None:
        return self.classes[-1] if self.classes else None


@dataclass(frozen=True)
class CallSite:
    caller: cst.FunctionDef
    call: cst.Call
    statement: cst.CSTNode


def argument_of(call: cst.Call, function: cst.FunctionDef, param: cst.Param) -> cst.Arg | None:
    """The argument a call passes for `param`, by keyword or position; a method called on an
    object (`self.check(token)`) is passed its first parameter by the call's receiver."""
    name = param.name.value
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    positional = [p.name.value for p in (*function.params.posonly_params, *function.params.params)]
    if positional and positional[0] in ("self", "cls") and isinstance(call.func, cst.Attribute):
        positional = positional[1:]
    if name not in positional:
        return None
    index = positional.index(name)
    plain = [a for a in call.args if a.keyword is None]
    if any(a.star for a in plain[: index + 1]):
        return None
    return plain[index] if index < len(plain) else None


def _is_method(function: cst.FunctionDef, place: Place) -> bool:
    params = params_of(function)
    return place.owner is not None and bool(params) and params[0].name.value in ("self", "cls")


class ModuleFunctions:
    """Every function of one module, indexed once per file that reads a token."""

    def __init__(self, context: FileContext) -> None:
        self.context = context
        self.places: dict[int, Place] = {}
        self.qualnames: dict[int, str] = {}  # as module summaries name functions
        self.module_functions: dict[str, cst.FunctionDef] = {}
        self.methods: dict[int, dict[str, cst.FunctionDef]] = {}  # class -> its methods by name
        self.classes: dict[str, cst.ClassDef] = {}
        self.nested: dict[int, dict[str, cst.FunctionDef]] = {}  # function -> functions defined in it
        self.dependencies: set[str] = set()  # names given to Depends()/Security() here
        self._resolvers: dict[int, NameResolver] = {}
        self._call_sites: dict[int, list[CallSite]] | None = None
        self._index(context.tree.body, (), (), ())

    # Index ---------------------------------------------------------------------------------

    def _index(self, body: Sequence[cst.CSTNode], functions: tuple, classes: tuple, names: tuple) -> None:
        for statement in body:
            if isinstance(statement, cst.FunctionDef):
                owner = classes[-1:] if classes and directly_in_class(statement, classes[-1]) else ()
                place = Place((*functions, statement), tuple(owner))
                self.places[id(statement)] = place
                inner = (*names, statement.name.value)
                self.qualnames[id(statement)] = ".".join(p for p in (self.context.module, *inner) if p)
                if owner:
                    self.methods.setdefault(id(owner[0]), {})[statement.name.value] = statement
                elif functions:
                    self.nested.setdefault(id(functions[-1]), {})[statement.name.value] = statement
                else:
                    self.module_functions[statement.name.value] = statement
                self._note_dependencies(statement)
                self._index(body_of(statement), (*functions, statement), (), inner)
            elif isinstance(statement, cst.ClassDef):
                if not functions and not classes:
                    self.classes[statement.name.value] = statement
                self._index(body_of(statement), functions, (*classes, statement), (*names, statement.name.value))
            else:
                for block in _blocks(statement):
                    if isinstance(block, cst.If):
                        self._index((block,), functions, classes, names)
                    elif isinstance(block, cst.IndentedBlock):
                        self._index(block.body, functions, classes, names)

    def _note_dependencies(self, function: cst.FunctionDef) -> None:
        resolver = NameResolver(self.context.summary.imports)
        for param in params_of(function):
            for node in (param.default, _annotated_marker(param)):
                if node is None:
                    continue
                marker = marker_of(node, resolver.qualify)
                if marker is not None and marker.injects and isinstance(node, cst.Call):
                    target = node.args[0].value if node.args else None
                    name = dotted_name(target) if target is not None else None
                    if name:
                        self.dependencies.add(name.rpartition(".")[2])

    @cached_property
    def module_values(self) -> dict[str, list[cst.BaseExpression]]:
        """Each name the module body assigns, and the values assigned to it."""
        found: dict[str, list[cst.BaseExpression]] = {}
        for statement in self.context.tree.body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Assign) and len(small.targets) == 1:
                        target = small.targets[0].target
                        if isinstance(target, cst.Name):
                            found.setdefault(target.value, []).append(small.value)
                    elif isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name) and small.value:
                        found.setdefault(small.target.value, []).append(small.value)
        return found

    # Names ---------------------------------------------------------------------------------

    def resolver(self, function: cst.FunctionDef | None) -> NameResolver:
        """Resolves names as they read inside `function` (its imports and its enclosing ones')."""
        key = id(function)
        found = self._resolvers.get(key)
        if found is None:
            found = NameResolver(self.context.summary.imports)
            place = self.places.get(id(function)) if function is not None else None
            for enclosing in place.functions if place else ():
                found.visit_FunctionDef(enclosing)
                for small in imports_in(body_of(enclosing)):
                    if isinstance(small, cst.Import):
                        found.visit_Import(small)
                    else:
                        found.visit_ImportFrom(small)
            self._resolvers[key] = found
        return found

    def qualify(self, node: cst.BaseExpression, function: cst.FunctionDef | None) -> str | None:
        return self.resolver(function).qualify(node)

    def local_function(self, func: cst.BaseExpression, within: cst.FunctionDef) -> cst.FunctionDef | None:
        """The function of this module a callee names from inside `within`: a function nested in
        an enclosing one, a module-level function, or a method of the class (`self.m`, `cls.m`,
        `Class.m`)."""
        place = self.places.get(id(within))
        if isinstance(func, cst.Name):
            for enclosing in reversed(place.functions if place else ()):
                found = self.nested.get(id(enclosing), {}).get(func.value)
                if found is not None:
                    return found
            return self.module_functions.get(func.value)
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name):
            receiver = func.value.value
            if place is not None and place.owner is not None and _is_method(within, place):
                if receiver == params_of(within)[0].name.value:
                    return self.methods.get(id(place.owner), {}).get(func.attr.value)
            cls = self.classes.get(receiver)
            if cls is not None:
                return self.methods.get(id(cls), {}).get(func.attr.value)
        return None

    def is_class(self, func: cst.BaseExpression, within: cst.FunctionDef | None) -> bool:
        """A callee that makes an object: a class of this module, or a name spelled as Python
        spells classes (`TokenData`, `models.User`), which is how other modules' classes read."""
        name = dotted_name(func)
        if name is None:
            return False
        last = name.rpartition(".")[2]
        if name in self.classes:
            return True
        qualified = self.qualify(func, within) or ""
        if qualified.startswith("builtins."):
            return False
        return last[:1].isupper() and not last.isupper()

    # Calls ---------------------------------------------------------------------------------

    def call_sites(self, function: cst.FunctionDef) -> list[CallSite]:
        """Calls of `function` from other functions of this module."""
        if self._call_sites is None:
            sites: dict[int, list[CallSite]] = {}
            for place in self.places.values():
                caller = place.function
                for statement, header in statements_of(body_of(caller)):
                    for call in calls_in(header):
                        target = self.local_function(call.func, caller)
                        if target is not None and target is not caller:
                            sites.setdefault(id(target), []).append(CallSite(caller, call, statement))
            self._call_sites = sites
        return self._call_sites.get(id(function), [])

    # Serving -------------------------------------------------------------------------------

    def serves_requests(self, function: cst.FunctionDef) -> bool:
        """A route, a dependency (it takes `Depends()`/`Header()` parameters or a request, or this
        module hands it to `Depends()`), or a method of an authentication backend, a middleware or
        a security scheme."""
        if is_route(function) or function.name.value in self.dependencies:
            return True
        resolver = self.resolver(function)
        for param in params_of(function):
            if request_parameter(param, resolver):
                return True
        place = self.places.get(id(function))
        if place is not None and place.owner is not None:
            for base in place.owner.bases:
                if resolver.qualify(base.value) in REQUEST_CLASSES:
                    return True
        return False


def request_parameter(param: cst.Param, resolver: NameResolver) -> bool:
    """A parameter FastAPI fills from the request: `Depends()`, `Security()`, `Header()`,
    `Cookie()` (as a default or in `Annotated`), or the request or websocket itself."""
    for node in (param.default, _annotated_marker(param)):
        if node is not None:
            marker = marker_of(node, resolver.qualify)
            if marker is not None and marker.kind in REQUEST_MARKERS:
                return True
    annotation = param.annotation.annotation if param.annotation is not None else None
    if isinstance(annotation, (cst.Name, cst.Attribute)):
        return resolver.qualify(annotation) in CONNECTION_TYPES
    return False


def dependency_of(param: cst.Param) -> cst.BaseExpression | None:
    """What `Depends(x)` / `Security(x)` names for a parameter, as written (`x`)."""
    for node in (param.default, _annotated_marker(param)):
        if isinstance(node, cst.Call) and dotted_name(node.func) in ("Depends", "Security", "fastapi.Depends",
                                                                     "fastapi.Security") and node.args:
            return node.args[0].value
    return None


def _annotated_marker(param: cst.Param) -> cst.BaseExpression | None:
    """The marker of `x: Annotated[str, Depends(scheme)]`."""
    annotation = param.annotation.annotation if param.annotation is not None else None
    if isinstance(annotation, cst.Subscript) and dotted_name(annotation.value) in ("Annotated", "typing.Annotated"):
        extras = [e.slice.value for e in annotation.slice[1:] if isinstance(e.slice, cst.Index)]
        return next((e for e in extras if isinstance(e, cst.Call)), None)
    return None


def _blocks(statement: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The blocks of a compound statement other than a function or class: suites, or an `elif`."""
    for name in ("body", "orelse", "finalbody"):
        part = getattr(statement, name, None)
        if isinstance(part, cst.If):
            yield part
        elif isinstance(part, (cst.Else, cst.Finally)):
            yield part.body
        elif isinstance(part, cst.BaseSuite):
            yield part
    for handler in getattr(statement, "handlers", ()):
        yield handler.body
    for case in getattr(statement, "cases", ()):
        yield case.body


def statements_of(body: Sequence[cst.CSTNode]) -> Iterator[tuple[cst.CSTNode, cst.CSTNode]]:
    """Each statement of a body (through compound statements, not into nested functions or
    classes), with the part of it that runs as that statement: a simple statement whole, a
    compound statement's header (its test, iterable, context managers or subject), and the small
    statements of a one-line suite (`if x: return y`) with the compound statement they sit in."""
    for statement in body:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            continue
        if isinstance(statement, cst.SimpleStatementLine):
            yield statement, statement
            continue
        for header in header_parts(statement):
            yield statement, header
        for block in _blocks(statement):
            if isinstance(block, cst.If):
                yield from statements_of((block,))
            elif isinstance(block, cst.IndentedBlock):
                yield from statements_of(block.body)
            elif isinstance(block, cst.SimpleStatementSuite):
                for small in block.body:
                    yield statement, small


def header_parts(statement: cst.CSTNode) -> Iterator[cst.CSTNode]:
    if isinstance(statement, (cst.If, cst.While)):
        yield statement.test
    elif isinstance(statement, cst.For):
        yield statement.iter
    elif isinstance(statement, cst.With):
        for item in statement.items:
            yield item.item
    elif isinstance(statement, cst.Match):
        yield statement.subject


def imports_in(body: Sequence[cst.CSTNode]) -> Iterator[cst.Import | cst.ImportFrom]:
    for _, part in statements_of(body):
        smalls = part.body if isinstance(part, cst.SimpleStatementLine) else (part,)
        for small in smalls:
            if isinstance(small, (cst.Import, cst.ImportFrom)):
                yield small
