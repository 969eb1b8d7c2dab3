"""The per-file side of the FastAPI model: `FastAPIFacts` joins the engine's walk of every module
that can hold routing code or helpers that validate what they are given (a cheap text test first)
and fills the module's `ModuleFacts`, following client input inside functions with
`input_tracking.InputTracking`; a module that cannot is read for its classes and module-level
names only, enough to tell what its names are (models, router classes, type aliases, re-exports)."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.semantics.fastapi.annotations import (
    dependencies_in,
    hidden_from_schema,
    literal_path,
    made_marker,
    marker_of,
    names_in,
    path_parts,
    response_decl,
    source_of,
    type_ref,
)
from reviewer.semantics.fastapi.index import EndpointIndex
from reviewer.semantics.fastapi.input_tracking import FunctionState, InputTracking
from reviewer.semantics.fastapi.module_level import (
    is_type_alias,
    record_class,
    record_module_binding,
    record_module_level,
    record_router,
    record_string_binding,
    sequence_items,
    value_as_written,
    value_of,
)
from reviewer.semantics.fastapi.records import (
    DICT_TYPES,
    FACTS_KEY,
    HTTP_DECORATORS,
    ROUTER_CLASSES,
    WEBSOCKET,
    FunctionFacts,
    HelperCall,
    Inclusion,
    ModuleFacts,
    Parameter,
    RouteDecl,
    Slot,
    TypeRef,
    Value,
)
from reviewer.semantics.names import NameResolver, decorator_name
from reviewer.syntax import argument, keyword, string_value
from reviewer.traversal import BatchedVisitor

if TYPE_CHECKING:
    from reviewer.facts import RepositoryView
    from reviewer.rule import FileContext

# Files that can hold routing code, or helpers that validate what they are given: cheap text
# test before the extra walk.
ROUTING_TEXT = re.compile(
    r"fastapi|starlette|include_router|add_api_route|add_api_websocket_route|"
    r"@[\w.]+\.(?:get|post|put|patch|delete|options|head|trace|api_route|websocket|route)\(|"
    r"model_validate|parse_obj|validate_python|TypeAdapter|__init__\(\*\*"
)


class FastAPIFacts(Facts):
    """What one module declares to FastAPI (`ModuleFacts`, stored in the module's summary), and,
    over the repository, the endpoints of every application (`EndpointIndex`)."""

    summary_key = FACTS_KEY

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        summary = context.summary
        self.module = ModuleFacts(module=summary.module, path=summary.path)
        summary.extras[FACTS_KEY] = self.module
        self._collector: _Collector | None = None
        if ROUTING_TEXT.search(context.source):
            self._collector = _Collector(self.module, context.resolver, context)
        else:
            record_module_level(context.tree.body, self.module, context.resolver, summary.module)

    def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], None]]:
        if self._collector is None:
            return {}
        return self._collector.get_visitors()

    @classmethod
    def repository(cls, repo: RepositoryView) -> EndpointIndex:
        return EndpointIndex(repo.summaries, repo.index)

    @classmethod
    def report_fields(cls, model: EndpointIndex) -> dict[str, Any]:
        return {"endpoints": model.records()}


class _Collector(InputTracking, BatchedVisitor):
    """Walks one module (after the NameResolver in the same batch) and fills ModuleFacts."""

    def __init__(self, facts: ModuleFacts, resolver: NameResolver, context: FileContext) -> None:
        super().__init__()
        self.facts = facts
        self.resolver = resolver
        self.context = context
        self._scope: list[str] = []
        self._classes: list[bool] = []  # per scope entry: is it a class
        self._functions: list[FunctionState] = []
        self._statements: list[cst.CSTNode] = []
        self._awaited: dict[int, cst.Await] = {}  # id(awaited expression) -> the await
        # Per `for` being walked: loop variable -> (the elements of a literal it runs over, or the
        # qualified name of a sequence, position in the element or -1).
        self._loops: list[dict[str, tuple[tuple[tuple[Value, ...], ...] | str, int]]] = []
        self._local_sequences: dict[tuple[str, str], tuple[tuple[Value, ...], ...]] = {}

    # names ------------------------------------------------------------------------------------

    def qualify(self, node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.Name):
            for state in reversed(self._functions):
                if node.value in state.routers:
                    return state.routers[node.value]
                if node.value in state.held:
                    return state.held[node.value]
        return self.resolver.qualify(node)

    def _qualname(self, name: str) -> str:
        return ".".join(p for p in (self.facts.module, *self._scope, name) if p)

    # statements -------------------------------------------------------------------------------

    def visit_SimpleStatementLine(self, node: cst.SimpleStatementLine) -> None:
        self._statements.append(node)

    def leave_SimpleStatementLine(self, original_node: cst.SimpleStatementLine) -> None:
        self._statements.pop()

    def visit_For(self, node: cst.For) -> None:
        self._statements.append(node)
        self._loops.append(self._loop_variables(node))

    def visit_For_body(self, node: cst.For) -> None:
        self._bind(node.target, node.iter)

    def leave_For(self, original_node: cst.For) -> None:
        self._statements.pop()
        self._loops.pop()

    def _loop_variables(self, node: cst.For) -> dict[str, tuple[tuple[tuple[Value, ...], ...] | str, int]]:
        """`for router in (a.router, b.router)`, `for router, prefix in ROUTERS`: what each loop
        variable takes (a literal's elements, a sequence's name, a local literal's elements)."""
        source: tuple[tuple[Value, ...], ...] | str | None = None
        iterated = node.iter
        if isinstance(iterated, (cst.List, cst.Tuple)):
            source = sequence_items(iterated, self.qualify) or None
        elif isinstance(iterated, cst.Name) and self._functions:
            local = self._local_sequences.get((self._functions[-1].facts.qualname, iterated.value))
            if local is not None:
                source = local
            elif iterated.value not in self._functions[-1].params:
                source = self.resolver.qualify(iterated)
        elif isinstance(iterated, (cst.Name, cst.Attribute)):
            source = self.resolver.qualify(iterated)
        if source is None:
            return {}
        target = node.target
        if isinstance(target, cst.Name):
            return {target.value: (source, -1)}
        if isinstance(target, (cst.Tuple, cst.List)):
            return {
                element.value.value: (source, position)
                for position, element in enumerate(target.elements)
                if isinstance(element.value, cst.Name)
            }
        return {}

    def visit_While(self, node: cst.While) -> None:
        self._statements.append(node)

    def leave_While(self, original_node: cst.While) -> None:
        self._statements.pop()

    def visit_If(self, node: cst.If) -> None:
        self._statements.append(node)

    def leave_If(self, original_node: cst.If) -> None:
        self._statements.pop()

    def visit_With(self, node: cst.With) -> None:
        self._statements.append(node)

    def leave_With(self, original_node: cst.With) -> None:
        self._statements.pop()

    def _statement_lines(self) -> tuple[int, int] | None:
        return self.context.statement_lines(self._statements[-1]) if self._statements else None

    # classes and functions --------------------------------------------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        record_class(self.facts, self.qualify, self._qualname(node.name.value), node)
        self._scope.append(node.name.value)
        self._classes.append(True)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._scope.pop()
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        in_class = bool(self._classes) and self._classes[-1]
        is_static = any(
            isinstance(d.decorator, cst.Name) and d.decorator.value == "staticmethod" for d in node.decorators
        )
        params = []
        all_params = [*node.params.posonly_params, *node.params.params, *node.params.kwonly_params]
        for position, param in enumerate(all_params):
            annotation = param.annotation.annotation if param.annotation is not None else None
            params.append(
                Parameter(
                    name=param.name.value,
                    annotation=type_ref(annotation, self.qualify) if annotation is not None else None,
                    annotation_text=source_of(annotation) if annotation is not None else None,
                    marker=marker_of(param.default, self.qualify) or made_marker(param.default, self.qualify)
                    if param.default is not None else None,
                    has_default=param.default is not None,
                    is_receiver=in_class and position == 0 and not is_static,
                )
            )
        qualname = self._qualname(node.name.value)
        decorators = [decorator_name(decorator, self.qualify) or "" for decorator in node.decorators]
        function = FunctionFacts(
            qualname=qualname,
            name=node.name.value,
            is_async=node.asynchronous is not None,
            span=self.context.span(node.name),
            statement_lines=self.context.statement_lines(node),
            params=params,
            returns=type_ref(node.returns.annotation, self.qualify) if node.returns is not None else None,
            decorators=tuple(decorators),
        )
        self.facts.functions[qualname] = function
        for decorator in node.decorators:
            self._route_decorator(decorator.decorator, qualname)
        self._functions.append(FunctionState(function))
        self._scope.append(node.name.value)
        self._classes.append(False)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        state = self._functions.pop()
        if any(_may_be_untyped_body(param) for param in state.facts.params):
            used = set(names_in(original_node.body))
            state.facts.unused_params = tuple(sorted(state.params - used))
        self._finish_reads(state, original_node.body)
        self._scope.pop()
        self._classes.pop()

    def _route_decorator(self, decorator: cst.BaseExpression, function: str) -> None:
        if not isinstance(decorator, cst.Call) or not isinstance(decorator.func, cst.Attribute):
            return
        method = decorator.func.attr.value
        if method in HTTP_DECORATORS:
            methods = HTTP_DECORATORS[method]
        elif method in ("api_route", "route"):
            methods = _methods_of(keyword(decorator, "methods"))
        elif method in ("websocket", "websocket_route"):
            methods = (WEBSOCKET,)
        else:
            return
        path = argument(decorator, 0, "path")
        if path is None:
            return
        self.facts.routes.extend(
            self._on_parameter(
                RouteDecl(
                    owner=self._owner(decorator.func.value),
                    methods=methods,
                    path=text,
                    function=function,
                    dependencies=dependencies_in(value_of(keyword(decorator, "dependencies")), self.qualify),
                    response=response_decl(decorator, self.qualify),
                ),
                decorator.func.value,
            )
            for text in self._path_texts(path.value)
        )

    def _path_texts(self, node: cst.BaseExpression) -> list[str | None]:
        """A route's path as written, or each path of a literal the loop around it runs over
        (`for path in ("/v1/messages", "/anthropic/v1/messages"): router.add_api_route(path, ...)`);
        None for a path the analysis cannot read."""
        text = string_value(node)
        looped = self._loop_variable(node) if text is None else None
        if looped is None or isinstance(looped[0], str):
            return [text]
        texts = [value[1] for element in looped[0] if (value := _at(element, looped[1]))[0] == "str"]
        return texts or [None]

    def _on_parameter(self, route: RouteDecl, owner: cst.BaseExpression) -> RouteDecl:
        """A route registered on a parameter of the function being walked."""
        route.owner_param = self._parameter(owner)
        if route.owner_param is not None:
            route.scope = self._functions[-1].facts.qualname
        return route

    # module-level bindings --------------------------------------------------------------------

    # Bindings are handled on leaving, after the calls on their right-hand side were seen.
    def leave_Assign(self, original_node: cst.Assign) -> None:
        for target in original_node.targets:
            self._assign(target.target, original_node.value)

    def leave_AnnAssign(self, original_node: cst.AnnAssign) -> None:
        node = original_node
        if node.value is None:
            return
        if is_type_alias(node, self.qualify) and isinstance(node.target, cst.Name) and not self._functions:
            self.facts.type_aliases[self._qualname(node.target.value)] = type_ref(node.value, self.qualify)
            return
        self._assign(node.target, node.value)
        if isinstance(node.target, cst.Name) and self._functions and node.target.value not in self._functions[-1].held:
            named = _class_named(type_ref(node.annotation.annotation, self.qualify))
            if named is not None:
                # `auth: AuthService = app.state.auth`: an instance of the class (`Security(auth)` calls it).
                self._functions[-1].held[node.target.value] = f"{named}()"

    def visit_TypeAlias(self, node: cst.TypeAlias) -> None:
        if not self._functions:
            self.facts.type_aliases[self._qualname(node.name.value)] = type_ref(node.value, self.qualify)

    def _assign(self, target: cst.BaseAssignTargetExpression, value: cst.BaseExpression) -> None:
        if not isinstance(target, cst.Name):
            held = self._held(target)
            if held is not None:
                self._hold(held, value)
            elif isinstance(target, (cst.Tuple, cst.List)):
                for element in target.elements:
                    self._bind(element.value, value)
            elif isinstance(target, cst.Subscript) and isinstance(target.value, cst.Name) and self._functions:
                self._fill(self._functions[-1], target.value.value, value)  # `values[key] = value`
            return
        name = target.value
        self._bind(target, value)
        if self._functions:
            held = self._held(value)
            if held is not None:
                self._functions[-1].held[name] = held  # `router = api._router`
            elif isinstance(value, cst.Call):
                key = f"{self._functions[-1].facts.qualname}.<locals>.{name}"
                self._helper_call(value, assigned=key)
                if self._record_router(key, value):
                    self._functions[-1].routers[name] = key
            elif isinstance(value, (cst.List, cst.Tuple)):
                items = sequence_items(value, self.qualify)
                if items:
                    self._local_sequences[(self._functions[-1].facts.qualname, name)] = items
            return
        if not self._classes:
            record_string_binding(self.facts, self.facts.module, target, value)
            if isinstance(value, cst.Call):
                self._helper_call(value, assigned=self._qualname(name))
            record_module_binding(self.facts, self.qualify, self._qualname(name), value)

    def _hold(self, key: str, value: cst.BaseExpression) -> None:
        """`self.router = APIRouter()`, `self.auth = AuthService(...)` in a method: what the class's
        instances keep, as a module-level binding is recorded; `self.auth = self._advanced_auth`:
        an alias of another attribute."""
        if isinstance(value, cst.Call):
            record_module_binding(self.facts, self.qualify, key, value)
        elif (aliased := self._held(value)) is not None:
            self.facts.assignments[key] = aliased

    def _record_router(self, key: str, call: cst.Call) -> bool:
        return record_router(self.facts, self.qualify, key, call)

    # calls ------------------------------------------------------------------------------------

    def visit_Await(self, node: cst.Await) -> None:
        self._awaited[id(node.expression)] = node

    def leave_Return(self, original_node: cst.Return) -> None:
        """On leaving, so that a read made in the returned expression is known."""
        if self._functions and original_node.value is not None:
            state = self._functions[-1]
            returned = self._parameter(original_node.value)
            if returned and returned not in state.facts.returned_params:
                state.facts.returned_params += (returned,)
            elif (
                isinstance(original_node.value, cst.Name)
                and not returned
                and original_node.value.value not in state.params
                and original_node.value.value not in state.routers
            ):
                # A module-level name (a router the factory registers routes on and hands back).
                name = self.resolver.qualify(original_node.value)
                if name and not name.startswith("builtins.") and name not in state.facts.returned_names:
                    state.facts.returned_names += (name,)
            for read_id in self._reads_in(state, original_node.value):
                state.reads[read_id].returned = True
            marker = marker_of(original_node.value, self.qualify)
            if marker is not None and marker.injects and marker.dependency:
                nested = f"{state.facts.qualname}.{marker.dependency}"
                given = nested if nested in self.facts.functions else marker.dependency
                state.facts.returned_dependencies += (given,)

    def leave_Call(self, original_node: cst.Call) -> None:
        """On leaving, so that reads nested in a call's arguments are known before the call."""
        node = original_node
        if isinstance(node.func, cst.Attribute):
            method = node.func.attr.value
            if method == "include_router":
                self._include(node, argument(node, 0, "router"), keyword(node, "prefix"))
            elif method == "mount":
                # A FastAPI sub-application mounted under a path serves its routes below it.
                self._include(node, argument(node, 1, "app"), argument(node, 0, "path"), mounts_app=True)
            elif method in ("add_api_route", "add_api_websocket_route", "add_websocket_route"):
                self._add_route(node, websocket=method != "add_api_route")
            else:
                self._helper_call(node)
        else:
            self._helper_call(node)
        if self._functions:
            self._track_input(node)

    def _include(
        self, node: cst.Call, child_arg: cst.Arg | None, prefix_arg: cst.Arg | None, *, mounts_app: bool = False
    ) -> None:
        assert isinstance(node.func, cst.Attribute)
        child = value_of(child_arg)
        is_call = isinstance(child, cst.Call)
        if isinstance(child, cst.Call):
            child = child.func
        prefix_node = value_of(prefix_arg)
        prefix, known = literal_path(prefix_node)
        if prefix_node is None and not mounts_app and any(arg.star == "**" for arg in node.args):
            known = False  # `include_router(router, **kwargs)`: a prefix may be among them
        inclusion = Inclusion(
            parent=self._owner(node.func.value),
            child=self._owner(child) if child is not None else None,
            prefix=prefix,
            prefix_known=known,
            prefix_parts=path_parts(prefix_node, self.qualify),
            child_is_call=is_call,
            mounts_app=mounts_app,
            dependencies=dependencies_in(value_of(keyword(node, "dependencies")), self.qualify),
            in_schema=not hidden_from_schema(node),
        )
        if self._functions:
            inclusion.scope = self._functions[-1].facts.qualname
            inclusion.parent_param = self._parameter(node.func.value)
            inclusion.child_param = self._parameter(child) if not is_call else None
            inclusion.prefix_param = self._parameter(prefix_node)
            if not inclusion.parent_param and not inclusion.child_param and not inclusion.prefix_param:
                inclusion.scope = None
        self.facts.inclusions.extend(self._over_loops(inclusion, None if is_call else child, prefix_node))

    def _parameter(self, node: cst.BaseExpression | None) -> str | None:
        """The parameter of the function being walked that `node` names (not rebound to a router)."""
        if not isinstance(node, cst.Name) or not self._functions:
            return None
        state = self._functions[-1]
        if node.value not in state.params or node.value in state.routers or self._loop_variable(node):
            return None
        return node.value

    def _loop_variable(self, node: cst.BaseExpression | None) -> tuple[tuple[tuple[Value, ...], ...] | str, int] | None:
        if not isinstance(node, cst.Name):
            return None
        for loop in reversed(self._loops):
            if node.value in loop:
                return loop[node.value]
        return None

    def _over_loops(
        self, inclusion: Inclusion, child: cst.BaseExpression | None, prefix: cst.BaseExpression | None
    ) -> list[Inclusion]:
        """An inclusion whose child (or prefix) is a loop variable: one per element of a literal
        the loop runs over, or one the repository pass fills from the sequence it names."""
        child_source = self._loop_variable(child)
        prefix_source = self._loop_variable(prefix)
        if child_source is None and prefix_source is None:
            return [inclusion]
        sources = {found[0] for found in (child_source, prefix_source) if found is not None}
        if len(sources) > 1:
            return [inclusion]  # from two loops
        source = next(iter(sources))
        if isinstance(source, str):
            inclusion.child_item = (source, child_source[1]) if child_source else None
            inclusion.prefix_item = (source, prefix_source[1]) if prefix_source else None
            return [inclusion]
        found = []
        for element in source:
            made = copy.copy(inclusion)
            if child_source is not None:
                value = _at(element, child_source[1])
                if value[0] not in ("name", "call"):
                    continue
                made.child, made.child_is_call = value[1], value[0] == "call"
            if prefix_source is not None:
                value = _at(element, prefix_source[1])
                made.prefix, made.prefix_known = (value[1], True) if value[0] == "str" else ("", False)
                made.prefix_parts = ((True, value[1]),) if value[0] == "name" else ()
            found.append(made)
        return found

    def _helper_call(self, node: cst.Call, assigned: str | None = None) -> None:
        """A call made as a statement, or bound to a name (`assigned`, its key), with names among
        its arguments: it may hand an application or a router to a function that includes
        routers on its parameters (or returns the one it was given)."""
        if assigned is None:
            statement = self._statements[-1] if self._statements else None
            if not isinstance(statement, cst.SimpleStatementLine) or not any(
                isinstance(small, cst.Expr) and (small.value is node or self._awaited.get(id(node)) is small.value)
                for small in statement.body
            ):
                return
        callee = self.resolver.qualify(node.func)
        if callee is None or callee.startswith("builtins.") or callee in ROUTER_CLASSES:
            return
        args: list[tuple[Slot, Value]] = []
        position = 0
        made_routers = False
        for arg in node.args[:MAX_HELPER_ARGUMENTS]:
            if arg.star:
                break
            slot: Slot = arg.keyword.value if arg.keyword is not None else position
            if arg.keyword is None:
                position += 1
            parameter = self._parameter(arg.value)
            value = ("param", parameter) if parameter else value_as_written(arg.value, self.qualify)
            made = isinstance(arg.value, cst.Call) and self.qualify(arg.value.func) in ROUTER_CLASSES
            if assigned is not None and made:
                # `tenant_router = include_routers(APIRouter(prefix="/{tenant}"))`: the router made
                # in the argument, under a key of its own.
                key = f"{assigned}.<{slot}>"
                self._record_router(key, arg.value)
                value = ("name", key)
                made_routers = True
            if value[0] != "other":
                args.append((slot, value))
        if assigned is not None and not made_routers and (0, ("name", assigned)) not in args:
            # `x = helper(...)` is read for a router made in its arguments only, and `app =
            # extend_app(app)` as the call it is: the application goes on being `app`.
            return
        if any(kind in ("name", "param") for _, (kind, _) in args):
            caller = self._functions[-1].facts.qualname if self._functions else None
            self.facts.helper_calls.append(HelperCall(callee, caller, tuple(args), assigned))

    def _add_route(self, node: cst.Call, *, websocket: bool) -> None:
        assert isinstance(node.func, cst.Attribute)
        path = argument(node, 0, "path")
        endpoint = argument(node, 1, "endpoint")
        if path is None or endpoint is None:
            return
        methods = (WEBSOCKET,) if websocket else _methods_of(keyword(node, "methods"))
        function = self._local_function(endpoint.value) or self._held(endpoint.value) or self.qualify(endpoint.value)
        self.facts.routes.extend(
            self._on_parameter(
                RouteDecl(
                    owner=self._owner(node.func.value),
                    methods=methods,
                    path=text,
                    function=function,
                    dependencies=dependencies_in(value_of(keyword(node, "dependencies")), self.qualify),
                    response=response_decl(node, self.qualify),
                ),
                node.func.value,
            )
            for text in self._path_texts(path.value)
        )

    def _owner(self, node: cst.BaseExpression) -> str | None:
        """The router or application a registration is made on, or a router included: also one
        an object holds (`self.router`, `api._router`, a local bound to one)."""
        return self._held(node) or self.qualify(node)

    def _held(self, node: cst.BaseExpression) -> str | None:
        """What an attribute of an object names, as `Class.attribute`: `self.router` in a method of
        a class, or in a function nested in one (a router the class keeps, `self.router =
        APIRouter()`; a method it registers, `add_api_route(path, self.create_trace)`), and
        `api._router` with `api: RESTfulAPI` a parameter annotated with the class."""
        if not (isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name)) or not self._functions:
            return None
        name = node.value.value
        for param in self._functions[-1].facts.params:
            if param.name == name and not param.is_receiver:
                named = _class_named(param.annotation)
                return f"{named}.{node.attr.value}" if named is not None else None
        for state in reversed(self._functions):
            params = state.facts.params
            if params and params[0].is_receiver:
                if params[0].name != name:
                    return None
                return f"{state.facts.qualname.rpartition('.')[0]}.{node.attr.value}"
        return None

    def _local_function(self, node: cst.BaseExpression) -> str | None:
        """A function defined inside the one being walked, by its name there (`async def handler(...)`
        then `router.add_api_route(path, handler)` in a function that registers routes)."""
        if not isinstance(node, cst.Name) or not self._functions:
            return None
        qualname = f"{self._functions[-1].facts.qualname}.{node.value}"
        return qualname if qualname in self.facts.functions else None


MAX_HELPER_ARGUMENTS = 8


def _at(element: tuple[Value, ...], position: int) -> Value:
    """A loop variable's value for one element: the element itself, or a position of a tuple."""
    if position == -1:
        return element[0] if len(element) == 1 else ("other", "")
    return element[position] if position < len(element) else ("other", "")


def _class_named(annotation: TypeRef | None) -> str | None:
    """The qualified class an annotation names (`RESTfulAPI`, also as `"RESTfulAPI"`), if it names one."""
    return annotation.name if annotation is not None and annotation.kind == "name" and annotation.name and (
        "." in annotation.name) else None


def _may_be_untyped_body(param: Parameter) -> bool:
    """A parameter the untyped-body rule may ask about: no annotation, or not a plain class."""
    annotation = param.annotation
    return not param.is_receiver and (annotation is None or annotation.kind != "name" or annotation.name in DICT_TYPES
                                      or annotation.name == "typing.Any")


def _methods_of(arg: cst.Arg | None) -> tuple[str, ...]:
    if arg is None or not isinstance(arg.value, (cst.List, cst.Tuple, cst.Set)):
        return ("GET",)
    methods = [string_value(e.value) for e in arg.value.elements]
    return tuple(m.upper() for m in methods if m) or ("GET",)
