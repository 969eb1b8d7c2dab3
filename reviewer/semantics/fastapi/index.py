"""The repository side of the FastAPI model: `EndpointIndex` resolves decorator owners through
assignments and imports to `FastAPI()`/`APIRouter()` instances (or instances of repo classes derived
from them, and the routers objects keep: `self.router = APIRouter()`, `Class.router`), combines
`include_router` and mount prefixes where they are literals, follows `Depends(...)`/`Security(...)`
into the repository's dependency functions, and lists every endpoint with the handlers (endpoint
and dependency functions) that run for it."""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from reviewer.discovery import is_example_path
from reviewer.semantics.calls import ModuleIndex
from reviewer.semantics.fastapi.inclusions import InclusionResolver
from reviewer.semantics.fastapi.records import (
    APPLICATION_CLASSES,
    DICT_TYPES,
    FACTS_KEY,
    FRAMEWORK_TYPES,
    MADE,
    MODEL_BASES,
    REQUEST_TYPES,
    ROUTER_CLASSES,
    SEQUENCE_TYPES,
    WEBSOCKET_TYPES,
    FunctionFacts,
    HelperCall,
    Inclusion,
    Marker,
    ParamCall,
    Parameter,
    RawRead,
    ResponseDecl,
    RouteDecl,
    RouterDecl,
    Slot,
    TypeRef,
    Value,
)
from reviewer.summary import ModuleSummary

_PATH_PARAMETER = re.compile(r"{(\w+)(?::\w+)?}")
MAX_HELPER_DEPTH = 4  # helpers followed into for a parameter's validation
MAX_HELD_DEPTH = 6  # bases and instances followed to the router an object keeps


@dataclass(frozen=True, order=True)
class Mount:
    prefix: str  # literal parts only
    prefix_known: bool
    dependencies: tuple[str, ...]  # of the routers and `include_router` calls above the routes
    app_prefix: str = ""  # the part of `prefix` below the innermost application mounted (`mount`)
    in_schema: bool = True  # no router or inclusion above leaves the routes out of OpenAPI


@dataclass(frozen=True)
class Endpoint:
    methods: tuple[str, ...]
    path: str
    prefix_known: bool  # False: a prefix was not a literal and is missing from `path`
    function: FunctionFacts
    file: str
    dependencies: tuple[str, ...]  # from the decorator, the routers and the include_router calls
    # The path within the application mounted innermost (`app.mount("/admin", admin_app)`): what
    # a client of that application alone requests. Equal to `path` when no application is mounted.
    app_path: str = ""
    response: ResponseDecl = ResponseDecl()  # what the route declares of its response
    in_schema: bool = True  # in the OpenAPI document: no route, router or inclusion leaves it out

    @property
    def label(self) -> str:
        """`POST /items create_item`: how messages name an endpoint."""
        return f"{'/'.join(self.methods)} {self.path or '/'} {self.function.name}"

    def to_json(self, described: Mapping[str, object] | None = None) -> list[dict[str, object]]:
        """One record per method; `described` adds what other analyses say of the endpoint."""
        return [
            {
                "method": method,
                "path": self.path or "/",
                "function": self.function.qualname,
                "file": self.file,
                "line": self.function.span.line,
                **({} if self.prefix_known else {"prefix_known": False}),
                **(described or {}),
            }
            for method in self.methods
        ]


@dataclass(frozen=True)
class Dependency:
    """A function FastAPI calls for an endpoint, reached through Depends/Security."""

    function: FunctionFacts
    file: str


def path_parameters(path: str | None) -> list[str]:
    """The parameters a route's path names: `item_id` of `/items/{item_id}`, `file` of `{file:path}`."""
    return _PATH_PARAMETER.findall(path or "")


class EndpointIndex:
    """Every endpoint of the scanned repository, resolved across modules."""

    def __init__(self, summaries: Sequence[ModuleSummary], modules: ModuleIndex | None = None) -> None:
        self._modules = modules or ModuleIndex(summaries)
        # The applications of tests and of demo programs are not the repository's.
        self._facts = [s.extras[FACTS_KEY] for s in summaries
                       if FACTS_KEY in s.extras and not s.is_test_file and not is_example_path(s.path)]
        self.functions: dict[str, tuple[FunctionFacts, str]] = {}
        self._classes: dict[str, tuple[str, ...]] = {}
        self._dataclasses: set[str] = set()
        self._aliases: dict[str, TypeRef] = {}
        self._assignments: dict[str, str] = {}
        self._called: set[str] = set()
        self._handed_first: dict[str, str] = {}
        self._strings: dict[str, str] = {}
        self._routers: dict[str, RouterDecl] = {}
        # What `resolve` answered: the tables it reads do not change once filled (but for routers
        # found kept by objects, which clear it).
        self._resolved: dict[str, str] = {}
        inclusions: list[Inclusion] = []
        helper_calls: list[HelperCall] = []
        sequences: dict[str, tuple[tuple[Value, ...], ...]] = {}
        for facts in self._facts:
            for qualname, function in facts.functions.items():
                self.functions[qualname] = (function, facts.path)
            self._classes.update(facts.classes)
            self._dataclasses |= facts.dataclasses
            self._aliases.update(facts.type_aliases)
            self._assignments.update(facts.assignments)
            self._called |= facts.called
            self._handed_first.update(facts.handed_first)
            self._strings.update(facts.strings)
            for router in facts.routers:
                self._routers[router.key] = router
            inclusions.extend(facts.inclusions)
            helper_calls.extend(facts.helper_calls)
            sequences.update(facts.sequences)
        self._router_class_memo: dict[str, bool] = {}
        # Every `include_router`/`mount`, those made through helper functions and loops resolved
        # (`inclusions.py`): what analyses of router chains should read.
        self._inclusion_resolver = InclusionResolver(self.functions, helper_calls, sequences, self.resolve)
        self.inclusions = self._inclusion_resolver.resolve_all(inclusions)
        self.inclusions += self._built_routers_included(self.inclusions)
        self._included: dict[tuple[str, bool], list[Inclusion]] | None = None
        self._mounts_memo: dict[str, set[Mount]] = {}
        self._handlers: list[Handler] | None = None
        self._consumers_memo: dict[str, list[tuple[FunctionFacts, str]]] | None = None
        # The index does not change once built: what several analyses ask of every endpoint
        # (its dependencies, each function's direct ones) is worked out once.
        self._dependencies_memo: dict[tuple[int, tuple[str, ...]], tuple[Dependency, ...]] = {}
        self._direct_memo: dict[int, tuple[str, ...]] = {}
        self._markers_memo: dict[int, tuple[Parameter, TypeRef | None, Marker | None]] = {}
        self.endpoints = self._find_endpoints()
        # What analyses built on this index say of each endpoint, for its report record:
        # field -> how it is told (`annotate`).
        self._descriptions: dict[str, Callable[[Endpoint], object]] = {}

    # names ------------------------------------------------------------------------------------

    @property
    def modules(self) -> ModuleIndex:
        """The repository's modules the index was built from."""
        return self._modules

    def resolve(self, name: str | None) -> str | None:
        """The defining name of `name`, through imports, re-exports and plain `x = y` aliases.
        A name the repository does not define (`fastapi.APIRouter`) comes back unchanged."""
        if name is None:
            return None
        found = self._resolved.get(name)
        if found is None:
            found = self._resolved[name] = self._resolve(name, 0)
        return found

    def _resolve(self, name: str, depth: int) -> str:
        if depth > 10:
            return name
        if name in self._assignments and name not in self._called:
            return self._resolve(self._assignments[name], depth + 1)
        if self._defines(name):
            return name
        parts = name.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            summary = self._modules.module(".".join(parts[:cut]))
            if summary is None:
                continue
            head, rest = parts[cut], parts[cut + 1 :]
            target = summary.imports.exported(head)
            if target is not None:
                candidate = ".".join([target, *rest])
            else:
                candidate = ".".join(p for p in (summary.module, head, *rest) if p)
            if candidate == name:
                return name
            resolved = self._resolve(candidate, depth + 1)
            if target is not None or self._defines(resolved) or resolved in self._assignments:
                return resolved
            return name
        return name

    def _defines(self, name: str | None) -> bool:
        return bool(name) and (
            name in self.functions or name in self._classes or name in self._routers or name in self._aliases
        )

    def is_router_class(self, name: str | None, depth: int = 0) -> bool:
        name = self.resolve(name)
        if name is None or depth > 10:
            return False
        if name in ROUTER_CLASSES:
            return True
        if name not in self._router_class_memo:
            self._router_class_memo[name] = False
            found = False
            if name in self._classes:
                found = any(self.is_router_class(base, depth + 1) for base in self._classes[name])
            elif name in self._called:
                found = self._returns_router(self._assignments[name], depth, as_class=True)
            self._router_class_memo[name] = found
        return self._router_class_memo[name]

    def _returns_router(self, factory: str, depth: int, *, as_class: bool) -> bool:
        """A function annotated to return a router (`-> APIRouter`) or a router class
        (`-> type[APIRouter]`)."""
        entry = self.functions.get(self.resolve(factory) or "")
        returns = entry[0].returns if entry else None
        if returns is None:
            return False
        if as_class:
            if returns.kind == "generic" and returns.name in ("builtins.type", "typing.Type") and returns.args:
                return returns.args[0].kind == "name" and self.is_router_class(returns.args[0].name, depth + 1)
            return False
        return returns.kind == "name" and self.is_router_class(returns.name, depth + 1)

    def router(self, name: str | None) -> RouterDecl | None:
        """The router held by `name`, if it is a FastAPI app or router."""
        key = self._router_key(name)
        router = self._routers.get(key or "")
        if router is None:
            return None
        if self.is_router_class(router.factory) or self._returns_router(router.factory or "", 0, as_class=False):
            return router
        return None

    def _router_key(self, name: str | None) -> str | None:
        """The key of what `name` holds: through imports and aliases, and for an attribute of an
        object, the router its class keeps (`Class.router`, also set in a base's `__init__`;
        `tracing.router` with `tracing = TracingRouter(...)` at module level)."""
        key = self.resolve(name)
        if key is None or key in self._routers:
            return key
        return self._held_router(key, 0) or key

    def _held_router(self, key: str, depth: int) -> str | None:
        """`Class.attribute` for `key`, when the class, a base of it, or the class of the
        module-level instance `key` names an attribute of, keeps a router under that attribute."""
        if key in self._routers:
            return key
        owner, _, attribute = key.rpartition(".")
        if not owner or depth > MAX_HELD_DEPTH:
            return None
        if owner not in self._classes:
            made = self.resolve(self._assignments.get(owner)) if owner in self._called else None
            return self._held_router(f"{made}.{attribute}", depth + 1) if made in self._classes else None
        for base in self._classes[owner]:
            inherited = f"{self.resolve(base)}.{attribute}"
            found = inherited if inherited in self._routers else self._held_router(inherited, depth + 1)
            if found is not None:
                # Each class's instances keep a router of their own, made as the base makes it.
                self._routers[key] = dataclasses.replace(self._routers[found], key=key)
                self._resolved.clear()  # a name may now resolve to the router it defines
                return key
        return None

    def _held_unincluded(self, router: RouterDecl) -> bool:
        """A router an object keeps (`Class.router`) that no inclusion the analysis reads takes
        in: it is included somewhere (`app.include_router(builder.build().get_router())`), under
        a prefix the analysis does not know. An application is served at its root."""
        return self._of_class(router.key) and not self.is_application_class(router.factory)

    def _of_class(self, name: str) -> bool:
        """Whether a name is an attribute of a class of the repository (`Class.router`): what an
        object of it keeps."""
        return name.rpartition(".")[0] in self._classes

    def is_application_class(self, name: str | None, depth: int = 0) -> bool:
        """FastAPI, Starlette, or a class of the repository derived from one."""
        name = self.resolve(name)
        if name is None or depth > MAX_HELD_DEPTH:
            return False
        return name in APPLICATION_CLASSES or any(
            self.is_application_class(base, depth + 1) for base in self._classes.get(name, ()))

    def bases(self, name: str | None) -> tuple[str, ...]:
        """The bases of a class the repository defines (qualified as written), or ()."""
        return self._classes.get(self.resolve(name) or "", ())

    def is_model(self, name: str | None, depth: int = 0) -> bool:
        """A Pydantic/SQLModel model or a dataclass: FastAPI validates it."""
        name = self.resolve(name)
        if name is None or depth > 10:
            return False
        if name in MODEL_BASES or name in self._dataclasses:
            return True
        return any(self.is_model(base, depth + 1) for base in self._classes.get(name, ()))

    def type_of(self, ref: TypeRef | None, depth: int = 0) -> TypeRef | None:
        """`ref` with module-level type aliases replaced by what they stand for."""
        if ref is None or depth > 10:
            return ref
        if ref.kind == "name":
            target = self.resolve(ref.name)
            if target in self._aliases:
                return self.type_of(self._aliases[target], depth + 1)
            return TypeRef("name", target)
        if ref.kind in ("generic", "union", "annotated"):
            name = self.resolve(ref.name) if ref.name else None
            return TypeRef(ref.kind, name, tuple(self.type_of(a, depth + 1) for a in ref.args), ref.markers)  # type: ignore[misc]
        return ref

    # endpoints --------------------------------------------------------------------------------

    def _mounts(self, key: str, seen: frozenset[str]) -> set[Mount]:
        """Where router `key` serves: every chain of `include_router`/`mount` above it, with its
        own prefix and dependencies included."""
        if not seen and key in self._mounts_memo:
            return self._mounts_memo[key]
        router = self._routers[key]
        mounts: set[Mount] = set()
        for inclusion in self._inclusions_of(key):
            parent = self.router(inclusion.parent)
            prefix, prefix_known = self._prefix(inclusion)
            if parent is None and inclusion.parent_param is None and (
                    inclusion.parent is None or self._of_class(inclusion.parent)):
                # Included into what the analysis cannot name (an application a method is given,
                # `self.app.include_router(...)` after `self.app = app`): taken as an
                # application's root, with the inclusion's own prefix and dependencies.
                mounts.add(Mount(prefix, prefix_known, inclusion.dependencies, "" if inclusion.mounts_app else prefix,
                                 inclusion.in_schema))
                continue
            if parent is None or parent.key in seen:
                continue
            for above in self._mounts(parent.key, seen | {key}):
                mounts.add(
                    Mount(
                        _join(above.prefix, prefix),
                        above.prefix_known and prefix_known,
                        (*above.dependencies, *inclusion.dependencies),
                        "" if inclusion.mounts_app else _join(above.app_prefix, prefix),
                        # A mounted application has an OpenAPI document of its own.
                        (inclusion.mounts_app or above.in_schema) and inclusion.in_schema,
                    )
                )
        if not mounts:
            mounts.add(Mount("", not self._held_unincluded(router), ()))
        prefix, prefix_known = self._prefix(router)
        found = {
            Mount(
                _join(mount.prefix, prefix),
                mount.prefix_known and prefix_known,
                (*mount.dependencies, *router.dependencies),
                _join(mount.app_prefix, prefix),
                mount.in_schema and router.in_schema,
            )
            for mount in mounts
        }
        if not seen:
            self._mounts_memo[key] = found
        return found

    def _prefix(self, declared: RouterDecl | Inclusion) -> tuple[str, bool]:
        """A router's or an inclusion's prefix: a literal, or a string constant it names (a
        module's `PREFIX = "/recipes"`, a settings class's `API_V1_STR: str = "/api/v1"` through
        `settings = Settings()`)."""
        if declared.prefix_known or not declared.prefix_parts:
            return declared.prefix, declared.prefix_known
        texts = [self._string(text) if is_name else text for is_name, text in declared.prefix_parts]
        if any(text is None for text in texts):
            return declared.prefix, declared.prefix_known
        return "".join(texts), True  # type: ignore[arg-type]

    def _string(self, name: str) -> str | None:
        """The value of a string constant: a module's, a class's, or an attribute of an instance
        made at module level (`settings = Settings()`, `settings.API_V1_STR`)."""
        resolved = self.resolve(name)
        if resolved in self._strings:
            return self._strings[resolved]
        owner, _, attribute = (resolved or "").rpartition(".")
        made = self.resolve(owner)
        if made in self._called and self._assignments.get(made):
            return self._strings.get(f"{self.resolve(self._assignments[made])}.{attribute}")
        return None

    def _built_routers_included(self, inclusions: list[Inclusion]) -> list[Inclusion]:
        """`router = build_router()` then `app.include_router(router)`: the router the factory
        builds (one of its locals) is included as by `app.include_router(build_router())`; and
        `app.include_router(make_router())` includes the module router the factory returns."""
        found = []
        for inclusion in inclusions:
            child = self.resolve(inclusion.child)
            if inclusion.child_is_call:
                # `include_router(make_router())` where the factory returns a module's router.
                entry = self.functions.get(child or "")
                for name in entry[0].returned_names if entry is not None else ():
                    found.append(dataclasses.replace(inclusion, child=name, child_is_call=False))
                continue
            if child not in self._called or child not in self._assignments:
                continue
            factory = self.resolve(self._assignments[child])
            if factory in self.functions:
                found.append(dataclasses.replace(inclusion, child=factory, child_is_call=True))
        return found

    def _inclusions_of(self, key: str) -> list[Inclusion]:
        """The `include_router` calls that include router `key`: by name, or, for a router a
        factory function builds and returns, by a call of the factory (the router is one of its
        locals)."""
        if self._included is None:
            self._included = {}
            for inclusion in self.inclusions:
                child = self._router_key(inclusion.child)
                if child is not None:
                    self._included.setdefault((child, inclusion.child_is_call), []).append(inclusion)
        found = list(self._included.get((key, False), ()))
        marker = ".<locals>."
        start = key.find(marker)
        while start != -1:
            found += self._included.get((key[:start], True), ())
            start = key.find(marker, start + 1)
        return found

    def _find_endpoints(self) -> list[Endpoint]:
        endpoints = []
        for facts in self._facts:
            for route in facts.routes:
                target = self.resolve(route.function)
                if target not in self.functions:
                    continue
                function, file = self.functions[target]
                mounts: set[Mount] = set()
                for owner in self.route_owners(route):
                    router = self.router(owner)
                    if router is not None:
                        mounts |= self._mounts(router.key, frozenset())
                for mount in sorted(mounts):
                    endpoints.append(
                        Endpoint(
                            methods=route.methods,
                            path=_join(mount.prefix, route.path or ""),
                            prefix_known=mount.prefix_known and route.path is not None,
                            function=function,
                            file=file,
                            dependencies=(*mount.dependencies, *route.dependencies),
                            app_path=_join(mount.app_prefix, route.path or ""),
                            response=route.response,
                            in_schema=mount.in_schema and route.response.in_schema,
                        )
                    )
        # A function served at several paths is named by a documented one first (an undocumented
        # alias such as `include_router(r, prefix="/latest", include_in_schema=False)` after it).
        endpoints.sort(key=lambda e: (e.file, e.function.span.line, not e.in_schema, e.path, e.methods))
        return endpoints

    def route_owners(self, route: RouteDecl) -> list[str | None]:
        """What a route is registered on: its owner, or for a route registered on a function's
        parameter, the routers and applications the function's calls pass to it."""
        if route.owner_param and route.scope:
            owners = self._inclusion_resolver.owners(route.scope, route.owner_param)
            if owners:
                return list(owners)
        return [route.owner]

    def annotate(self, field: str, describe: Callable[[Endpoint], object]) -> None:
        """Have every endpoint's report record carry `field`, as `describe` tells it: what guards
        the endpoint (`auth`, `rate_limit`), its `response_model`. An analysis built on this
        index calls it when it is built, so a record carries what the run's analyses found."""
        self._descriptions[field] = describe

    def records(self) -> list[dict[str, object]]:
        """The endpoints as report records (method, path, function, file, line, and what the
        analyses built on the index say of them), sorted."""
        records = []
        for endpoint in self.endpoints:
            described = {field: describe(endpoint) for field, describe in self._descriptions.items()}
            records += endpoint.to_json(described)
        return sorted(records, key=lambda r: (str(r["file"]), int(r["line"]), str(r["path"]), str(r["method"])))  # type: ignore[call-overload]

    # parameters and dependencies --------------------------------------------------------------

    def markers_of(self, param: Parameter) -> tuple[TypeRef | None, Marker | None]:
        """The parameter's type (aliases resolved, `Annotated` unwrapped) and its FastAPI marker."""
        known = self._markers_memo.get(id(param))
        if known is not None and known[0] is param:
            return known[1], known[2]
        annotation = self.type_of(param.annotation)
        marker = self._made(param.marker) if param.marker is not None else None
        while annotation is not None and annotation.kind == "annotated":
            marker = marker or next(filter(None, map(self._made, annotation.markers)), None)
            annotation = annotation.args[0] if annotation.args else None
        self._markers_memo[id(param)] = (param, annotation, marker)
        return annotation, marker

    def injected(self, function: FunctionFacts) -> Iterator[tuple[Parameter, TypeRef | None, str]]:
        """The parameters FastAPI fills by running a dependency the code names (`user: User =
        Depends(current_user)`), each with its type and that dependency, qualified as written."""
        for param in function.params:
            annotation, marker = self.markers_of(param)
            if marker is not None and marker.injects and marker.dependency:
                yield param, annotation, marker.dependency

    def _made(self, marker: Marker) -> Marker | None:
        """A marker as FastAPI reads it: a call in `Annotated[...]` counts when the function called
        returns a dependency (`def RoleACL(...): ... return Depends(role_dependency)`)."""
        if marker.kind != MADE:
            return marker
        entry = self.functions.get(self.resolve(marker.dependency or "") or marker.dependency or "")
        returned = entry[0].returned_dependencies if entry else ()
        return Marker("Depends", dependency=returned[0]) if returned else None

    def dependencies(self, endpoint: Endpoint) -> tuple[Dependency, ...]:
        """Every repo function FastAPI runs for the endpoint through Depends/Security, transitively."""
        # What they are depends on the function and the dependencies declared above it alone (an
        # analysis may ask of a copy of the endpoint with more of them).
        key = (id(endpoint.function), endpoint.dependencies)
        known = self._dependencies_memo.get(key)
        if known is not None:
            return known
        found: dict[str, Dependency] = {}
        pending = [*endpoint.dependencies, *self._direct_dependencies(endpoint.function)]
        while pending:
            name = pending.pop()
            entry = self._dependency_function(name)
            if entry is None or entry.function.qualname in found:
                continue
            found[entry.function.qualname] = entry
            pending.extend(self._direct_dependencies(entry.function))
        known = tuple(sorted(found.values(), key=lambda d: (d.file, d.function.span.line)))
        self._dependencies_memo[key] = known
        return known

    def _direct_dependencies(self, function: FunctionFacts) -> tuple[str, ...]:
        known = self._direct_memo.get(id(function))
        if known is not None:
            return known
        names = []
        for param in function.params:
            annotation, marker = self.markers_of(param)
            if marker is None or not marker.injects:
                continue
            if marker.dependency:
                names.append(marker.dependency)
            elif annotation is not None and annotation.kind == "name" and annotation.name:
                names.append(annotation.name)
        known = tuple(names)
        self._direct_memo[id(function)] = known
        return known

    def _dependency_function(self, name: str) -> Dependency | None:
        if name.endswith("()"):
            # An instance made in the marker (`Depends(Getter(...))`): its class's `__call__`.
            cls = self.resolve(name[:-2]) if name[:-2] else None
            entry = self.functions.get(f"{cls}.__call__") if cls in self._classes else None
            return Dependency(entry[0], entry[1]) if entry else None
        target = self.resolve(name)
        if target is None:
            return None
        if target in self._called and target in self._assignments:
            # `checker = RoleChecker(...)`: FastAPI calls the instance, i.e. `RoleChecker.__call__`.
            cls = self.resolve(self._assignments[target])
            target = f"{cls}.__call__" if cls in self._classes else self._copied(target, cls)
        elif target in self._classes:
            if self.is_model(target):
                return None
            target = f"{target}.__init__"
        entry = self.functions.get(target or "") or self.functions.get(self._inherited(target) or "")
        return Dependency(entry[0], entry[1]) if entry else None

    def _inherited(self, name: str | None) -> str | None:
        """`Class.method` where a base class of the repository defines the method the class does
        not (`Depends(UserPayload.get_login_user)`, a class method `LoginUser` defines)."""
        cls, _, method = (name or "").rpartition(".")
        pending, seen = [cls], set()
        while pending and len(seen) <= MAX_HELD_DEPTH:
            owner = self.resolve(pending.pop(0)) or ""
            if owner in seen or owner not in self._classes:
                continue
            seen.add(owner)
            if owner != cls and f"{owner}.{method}" in self.functions:
                return f"{owner}.{method}"
            pending.extend(self._classes[owner])
        return None

    def _copied(self, name: str, made_by: str | None) -> str | None:
        """The function of the repository a module-level name is a copy of (`verify_prod =
        copy_func(verify)`, `functools.partial(verify, scopes=[...])`): the call that made it is
        handed the function first, and its callee defines no function of its own to return (what
        a factory defines is what it makes)."""
        copied = self.resolve(self._handed_first.get(name))
        if copied not in self.functions or made_by is None:
            return None
        return None if made_by in self._function_owners else copied

    @functools.cached_property
    def _function_owners(self) -> frozenset[str]:
        """What defines a function of the repository: its module, its class, or the function it is
        nested in."""
        return frozenset(qualname.rpartition(".")[0] for qualname in self.functions)

    def parameter_source(self, param: Parameter, endpoint_path: str | None) -> str:
        """Where FastAPI takes the parameter from: `body`, `query`, `path`, `header`, `cookie`,
        `form`, `file`, `dependency`, `framework` (Request, Response, ...) or `receiver` (self)."""
        if param.is_receiver:
            return "receiver"
        annotation, marker = self.markers_of(param)
        if marker is not None:
            return "dependency" if marker.injects else marker.kind.lower()
        if annotation is not None and annotation.kind == "name" and annotation.name in FRAMEWORK_TYPES:
            return "framework"
        if endpoint_path is not None and param.name in set(path_parameters(endpoint_path)):
            return "path"
        return "body" if annotation is not None and self._is_complex(annotation) else "query"

    def _is_complex(self, ref: TypeRef) -> bool:
        """FastAPI reads a parameter of this type from the body when no marker says otherwise."""
        if ref.kind == "union":
            return any(self._is_complex(arg) for arg in ref.args)
        if ref.kind == "annotated":
            return bool(ref.args) and self._is_complex(ref.args[0])
        if ref.kind in ("name", "generic"):
            return ref.name in DICT_TYPES or ref.name in SEQUENCE_TYPES or self.is_model(ref.name)
        return False

    @functools.cached_property
    def endpoints_by_function(self) -> dict[str, list[Endpoint]]:
        """The endpoints each function serves (one per path and method it is registered for), by
        the function's qualified name."""
        found: dict[str, list[Endpoint]] = {}
        for endpoint in self.endpoints:
            found.setdefault(endpoint.function.qualname, []).append(endpoint)
        return found

    def handlers(self) -> list[Handler]:
        """Every function that runs on a request: endpoints, then the dependencies they use, each
        once, with the endpoints it serves. Computed once per index: rules must not change it."""
        if self._handlers is not None:
            return self._handlers
        by_function: dict[str, Handler] = {}
        served: set[tuple[str, int]] = set()  # (function, id of an endpoint it serves)
        for endpoint in self.endpoints:
            qualname = endpoint.function.qualname
            handler = by_function.setdefault(
                qualname, Handler(endpoint.function, endpoint.file, [], is_dependency=False)
            )
            handler.endpoints.append(endpoint)
            served.add((qualname, id(endpoint)))
        for endpoint in self.endpoints:
            for dependency in self.dependencies(endpoint):
                qualname = dependency.function.qualname
                handler = by_function.setdefault(
                    qualname, Handler(dependency.function, dependency.file, [], is_dependency=True)
                )
                if (qualname, id(endpoint)) not in served:
                    served.add((qualname, id(endpoint)))
                    handler.endpoints.append(endpoint)
        self._handlers = sorted(by_function.values(), key=lambda h: (h.file, h.function.span.line))
        return self._handlers

    def parameter_type(self, param: Parameter) -> TypeRef | None:
        return self.markers_of(param)[0]

    def is_request(self, function: FunctionFacts, name: str) -> bool:
        return self._parameter_has_type(function, name, REQUEST_TYPES)

    def is_websocket(self, function: FunctionFacts, name: str) -> bool:
        return self._parameter_has_type(function, name, WEBSOCKET_TYPES)

    def _parameter_has_type(self, function: FunctionFacts, name: str, types: frozenset[str]) -> bool:
        for param in function.params:
            if param.name == name:
                annotation = self.parameter_type(param)
                return annotation is not None and annotation.kind == "name" and annotation.name in types
        return False

    def validated(self, read: RawRead, function: FunctionFacts | None = None) -> bool:
        """Handed to a validating call, or used to build a model (`Item(**data)`); sent on whole
        to the service it is for (a proxy); or returned by the dependency `function` to consumers
        that each validate it."""
        if read.validated or read.forwarded or any(self.is_model(name) for name in read.constructors):
            return True
        if any(self._helper_validates(call, 0) for call in read.calls):
            return True
        if not read.returned or function is None:
            return False
        consumers = self._consumers(function.qualname)
        return bool(consumers) and all(self.validates_parameter(*consumer) for consumer in consumers)

    def _consumers(self, dependency: str) -> list[tuple[FunctionFacts, str]]:
        """The functions, and their parameters, that FastAPI gives `dependency`'s result to."""
        if self._consumers_memo is None:
            self._consumers_memo = {}
            for function, _ in self.functions.values():
                for param, _, named in self.injected(function):
                    target = self.resolve(named)
                    if target:
                        self._consumers_memo.setdefault(target, []).append((function, param.name))
        return self._consumers_memo.get(dependency, [])

    def validates_parameter(self, function: FunctionFacts, name: str, depth: int = 0) -> bool:
        """Whether `function` validates what its parameter `name` gets: itself, by building a
        model from it, or by handing it to a helper of the repository that does (also with the
        model class the call passes: `dict_to_model(values, Settings)`)."""
        if name in function.validated_params or any(
                self.is_model(callee) for callee in function.param_constructors.get(name, ())):
            return True
        return depth < MAX_HELPER_DEPTH and any(
            self._helper_validates(call, depth) for call in function.param_calls.get(name, ()))

    def _helper_validates(self, call: ParamCall, depth: int) -> bool:
        """Whether the repository function a call hands data to validates the argument it fills:
        itself, or through the calls it hands that argument to whole (a module without routing
        code has only its summary: `dict_to_settings(values)` -> `dict_to_model(values, Settings)`)."""
        callee, slot, classes = call
        resolved = self.resolve(callee) or ""
        entry = self.functions.get(resolved)
        helper = entry[0] if entry is not None else None
        if helper is None:
            summary = self._modules.function(resolved)
            if summary is None or depth >= MAX_HELPER_DEPTH:
                return False
            parameter = slot if isinstance(slot, str) else (
                summary.params[slot] if slot < len(summary.params) else None)
            return any(self._helper_validates(forward, depth + 1) for forward in summary.forwards.get(parameter, ()))
        parameter = _parameter_at(helper, slot)
        if parameter is None:
            return False
        if self.validates_parameter(helper, parameter, depth + 1):
            return True
        model_parameters = helper.validated_by.get(parameter, ())
        return any(_parameter_at(helper, where) in model_parameters and self.is_model(cls) for where, cls in classes)


def _parameter_at(function: FunctionFacts, slot: Slot) -> str | None:
    """The parameter an argument fills: by keyword, or by position after `self`/`cls`."""
    if isinstance(slot, str):
        return slot if any(param.name == slot for param in function.params) else None
    positional = [param.name for param in function.params if not param.is_receiver]
    return positional[slot] if slot < len(positional) else None


def _join(prefix: str, path: str) -> str:
    """`/api` + `/items`; a mount at `/` adds no second slash."""
    if prefix.endswith("/") and path.startswith("/"):
        return prefix + path[1:]
    return prefix + path


@dataclass
class Handler:
    """A function that runs on requests: an endpoint, or a dependency of some endpoints."""

    function: FunctionFacts
    file: str
    endpoints: list[Endpoint]
    is_dependency: bool

    @property
    def dependency_name(self) -> str:
        """`get_payload`; for a class dependency `Filters` (its `__init__`) or `Checker.__call__`."""
        parts = self.function.qualname.split(".")
        if self.function.name == "__init__" and len(parts) > 1:
            return parts[-2]
        if self.function.name == "__call__" and len(parts) > 1:
            return f"{parts[-2]}.__call__"
        return self.function.name

    def describe(self) -> str:
        """`POST /items create_item`, or `dependency get_payload of POST /items create_item`."""
        first = self.endpoints[0]
        others = {e.function.qualname for e in self.endpoints} - {first.function.qualname}
        more = f" (and {len(others)} more endpoint{'s' if len(others) > 1 else ''})" if others else ""
        if self.is_dependency:
            return f"dependency `{self.dependency_name}` of `{first.label}`{more}"
        return f"`{first.label}`"
