"""Which functions run while the application serves a request, and which run once.

Serving code is what a request runs: routes and their dependencies (the FastAPI model), exception
handlers, middleware, background tasks a request starts, and everything they call. One-shot code
runs apart from requests: start-up and shutdown (`lifespan`, `on_event("startup")`), command-line
programs (click and typer commands, `asyncio.run(main())`, `if __name__ == "__main__":`), and the
modules of `scripts/`, `tools/` and `bin/` directories that the application does not import (an
agent's `tools` package is application code), and of a distribution inside the repository (a
directory with a `pyproject.toml` of its own) that declares command-line programs and serves
nothing, as far as the application does not import them (a benchmark or an administration
command line that ships beside the service). Code that never runs is not serving either: a module
file shadowed by a package of the same name (`reviewer.packages.shadowed_files`).

Per file, `EntryPointFacts` records where such roots are registered and which functions a function
hands on as callbacks (`add_task(send_email)`); over the repository, `ServingPaths` follows the
call graph (`reviewer.semantics.calls`) from each kind of root. A function is *not serving* only
with evidence: a one-shot root reaches it through calls the analysis resolves (a method of a
typed object, inherited or overridden in a subclass, or a method call whose name only one class
defines), and no serving root reaches it even through the calls it can only guess by method
name. Anything else is serving or unknown, and a rule treats it as it always has. Apart from
those kinds, `ServingPaths` names the background tasks requests start (`add_task(send_email)`,
which run after the response is sent) and the functions a task queue's decorator registers
(`@shared_task`, `@celery_app.task` with `celery_app = Celery(...)`), or any decorator registers
taking a task queue's context (a workflow step `async def parse(self, context: hatchet_sdk.Context)`),
which its workers run.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, ClassVar

from reviewer import lazy_cst as cst
from reviewer.discovery import EXAMPLE_DIRS
from reviewer.facts import Facts
from reviewer.packages import shadowed_files
from reviewer.semantics.fastapi import FastAPIFacts
from reviewer.semantics.fastapi.handlers import handler_mapping
from reviewer.semantics.names import dotted_name
from reviewer.syntax import argument, is_main_guard, string_value

if TYPE_CHECKING:
    from reviewer.facts import RepositoryView
    from reviewer.rule import FileContext
    from reviewer.semantics.calls import ModuleIndex
    from reviewer.summary import CallSite, FunctionSummary, ModuleSummary

FACTS_KEY = "entrypoints"
# Programs a developer or operator runs by hand: scripts and tools, and examples and samples (the
# demo apps a package ships, run to try it), which are judged as such.
ONE_SHOT_DIRECTORIES = frozenset({"scripts", "tools", "bin"}) | EXAMPLE_DIRS
ONE_SHOT_MODULES = frozenset({"__main__.py", "example.py", "examples.py"})
# Packages that serve requests or run a task queue's tasks (their clients' modules left out:
# `aiohttp` is also an HTTP client, `mcp` also an MCP client).
SERVER_PACKAGES = ("fastapi", "starlette", "flask", "django", "aiohttp.web", "mcp.server", "fastmcp", "uvicorn",
                   "hypercorn", "gunicorn", "sanic", "litestar", "quart", "tornado.web", "socketio", "falcon",
                   "bottle", "celery", "dramatiq", "rq", "arq", "temporalio.worker", "hatchet_sdk", "grpc.aio")
# Classes a build backend runs while it builds the package (a hatch build hook, a setuptools
# command): a module defining one runs at build time, not while serving.
BUILD_HOOK_BASES = (
    "hatchling.builders.hooks.plugin.interface.BuildHookInterface",
    "hatchling.metadata.plugin.interface.MetadataHookInterface",
    "setuptools.Command",
    "setuptools.command.",
    "distutils.cmd.Command",
    "distutils.command.",
)
EVENT_LOOP_RUNNERS = frozenset({"asyncio.run", "uvloop.run", "anyio.run", "trio.run", "asyncer.runnify"})
BACKGROUND_TASKS = frozenset({"starlette.background.BackgroundTask", "fastapi.BackgroundTasks"})
# Task queues and workflow engines: a function one of their decorators registers runs in a worker,
# apart from any request (`@shared_task`, `@celery_app.task` with `celery_app = Celery(...)`).
TASK_QUEUE_PACKAGES = frozenset({"celery", "dramatiq", "huey", "rq", "arq", "taskiq", "hatchet_sdk", "temporalio",
                                 "procrastinate", "saq", "apscheduler"})
MIDDLEWARE_WRAPPERS = frozenset({"starlette.middleware.Middleware", "fastapi.middleware.Middleware"})
CLI_PACKAGES = ("click.", "typer.", "asyncclick.")
# A Modal application (`app = modal.App(...)`): what its `@app.function()` or `@app.local_entrypoint()`
# registers runs in Modal's containers, one input at a time, or on the developer's machine; not
# where its decorators or a keyword let it serve the web or take inputs concurrently.
MODAL_APPS = frozenset({"modal.App", "modal.Stub"})
MODAL_PROGRAM_DECORATORS = frozenset({"function", "local_entrypoint"})
MODAL_SERVING = frozenset({"modal.asgi_app", "modal.wsgi_app", "modal.fastapi_endpoint", "modal.web_endpoint",
                           "modal.web_server", "modal.concurrent"})
# An object method called on something the analysis cannot type is followed by name, from
# serving code to every method of that name unless there are more of them than this (a name too
# common to tell), from one-shot code only to the one method of that name.
MAX_GUESSES = 12
MAX_LINEAGE = 32  # base classes followed for an inherited method
PLAIN_DECORATORS = frozenset({"staticmethod", "classmethod"})


@dataclass
class EntryPoints:
    """What one module registers (plain, picklable: it travels in the module summary)."""

    serving: list[str] = field(default_factory=list)
    one_shot: list[str] = field(default_factory=list)
    references: dict[str, list[str]] = field(default_factory=dict)  # function -> callbacks it hands on
    # Coroutines a call of the module hands to an event loop (`asyncio.run(main())`): one-shot roots
    # that the repository's own calls run, not entry points.
    loop_runs: list[str] = field(default_factory=list)
    one_shot_module: bool = False
    # Background tasks a request starts (`background_tasks.add_task(send_email, ...)`), which run
    # after its response is sent (also in `serving`).
    background: list[str] = field(default_factory=list)
    # Functions a decorator registers -> the classes their parameters are annotated with: one that
    # takes a task queue's context (`@provider.step()` on `async def parse(self, context:
    # hatchet_sdk.Context)`) is run by its workers.
    registered_taking: dict[str, list[str]] = field(default_factory=dict)


def _of_task_queue(name: str) -> bool:
    """A name whose package is named as a task queue's (`celery`, `hatchet_sdk`)."""
    head = name.partition(".")[0]
    return head in TASK_QUEUE_PACKAGES or head.partition("_")[0] in TASK_QUEUE_PACKAGES


def is_one_shot_path(path: str) -> bool:
    """A module of a `scripts/`, `tools/`, `bin/`, `examples/` or `samples/` directory, a package's
    `__main__`, or an `example.py`."""
    pure = PurePosixPath(path)
    return pure.name in ONE_SHOT_MODULES or any(part in ONE_SHOT_DIRECTORIES for part in pure.parts[:-1])


def is_one_shot_module(summary: ModuleSummary) -> bool:
    """A module of a program run by hand (`is_one_shot_path`) or by the build backend (it defines
    a build hook)."""
    entry = summary.extras.get(FACTS_KEY)
    return is_one_shot_path(summary.path) or (isinstance(entry, EntryPoints) and entry.one_shot_module)


class EntryPointFacts(Facts):
    """Records the roots a module registers and the callbacks its functions hand on."""

    requires: ClassVar[tuple[type[Facts], ...]] = (FastAPIFacts,)  # routes and dependencies are roots

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self.entry = EntryPoints(one_shot_module=is_one_shot_path(context.path))
        context.summary.extras[FACTS_KEY] = self.entry
        self._scope: list[str] = []
        self._functions: list[str] = []
        self._classes: list[str] = []  # the classes being walked, innermost last
        self._owners: list[str | None] = []  # per function: the class it is a method of
        self._main_guards = 0
        self._cli_objects: set[str] = set()
        self._modal_apps: set[str] = set()

    # --- names ------------------------------------------------------------------------------

    def _qualname(self, name: str) -> str:
        return ".".join(p for p in (self.context.module, *self._scope, name) if p)

    def _target(self, node: cst.BaseExpression) -> str | None:
        """The function an expression names: through imports, a name defined here, or a method
        of the class being walked (`self._handle_connection`)."""
        if isinstance(node, cst.Name) and self._functions:
            nested = f"{self._functions[-1]}.{node.value}"
            return self.context.qualify(node) or nested
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value in ("self", "cls"):
            owner = next((owner for owner in reversed(self._owners) if owner), None)
            if owner is not None:
                return f"{owner}.{node.attr.value}"
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Call):
            made = self._target(node.value.func)  # `Daemon().serve`: a method of what is made
            return f"{made}.{node.attr.value}" if made else None
        return self.context.qualify(node) or dotted_name(node)

    # --- scopes -----------------------------------------------------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes.append(self._qualname(node.name.value))
        self._scope.append(node.name.value)
        if any((self.context.qualify(base.value) or "").startswith(BUILD_HOOK_BASES) for base in node.bases):
            self.entry.one_shot_module = True  # run by the build backend when the package is built

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._scope.pop()
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        qualname = self._qualname(node.name.value)
        for decorator in node.decorators:
            self._decorated(qualname, decorator.decorator)
        if self._modal_apps and self._runs_on_modal(node):
            self.entry.one_shot.append(qualname)
        if node.decorators:
            params = (*node.params.params, *node.params.kwonly_params)
            annotations = [name for param in params if param.annotation is not None
                           and (name := self.context.qualify(param.annotation.annotation)) and _of_task_queue(name)]
            if annotations:
                self.entry.registered_taking[qualname] = annotations
        enclosing = ".".join(p for p in (self.context.module, *self._scope) if p)
        in_class = bool(self._classes) and enclosing == self._classes[-1]
        self._owners.append(self._classes[-1] if in_class else None)
        self._scope.append(node.name.value)
        self._functions.append(qualname)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._scope.pop()
        self._functions.pop()
        self._owners.pop()

    def visit_If(self, node: cst.If) -> None:
        if not self._functions and is_main_guard(node):
            self._main_guards += 1

    def leave_If(self, original_node: cst.If) -> None:
        if not self._functions and is_main_guard(original_node):
            self._main_guards -= 1

    def _decorated(self, qualname: str, decorator: cst.BaseExpression) -> None:
        call = decorator if isinstance(decorator, cst.Call) else None
        func = call.func if call is not None else decorator
        method = func.attr.value if isinstance(func, cst.Attribute) else None
        qualified = self.context.qualify(func) or dotted_name(func) or ""
        if method in ("exception_handler", "middleware"):
            self.entry.serving.append(qualname)
        elif method == "on_event" and call is not None and _event(call) in ("startup", "shutdown"):
            self.entry.one_shot.append(qualname)
        elif qualified.startswith(CLI_PACKAGES) or (
            method in ("command", "group", "callback") and isinstance(func, cst.Attribute)
            and dotted_name(func.value) in self._cli_objects
        ):
            self.entry.one_shot.append(qualname)

    def _runs_on_modal(self, node: cst.FunctionDef) -> bool:
        """A function a Modal application of the module runs as a program of its own."""
        registered = False
        for decorator in node.decorators:
            call = decorator.decorator if isinstance(decorator.decorator, cst.Call) else None
            func = call.func if call is not None else decorator.decorator
            if self.context.qualify(func) in MODAL_SERVING:
                return False
            if (isinstance(func, cst.Attribute) and func.attr.value in MODAL_PROGRAM_DECORATORS
                    and dotted_name(func.value) in self._modal_apps):
                if call is not None and any(arg.keyword is not None and arg.keyword.value == "allow_concurrent_inputs"
                                            for arg in call.args):
                    return False
                registered = True
        return registered

    # --- registrations ----------------------------------------------------------------------

    def visit_Assign(self, node: cst.Assign) -> None:
        if not isinstance(node.value, cst.Call):
            return
        made = self.context.qualify(node.value.func) or ""
        objects = (self._cli_objects if made.startswith(CLI_PACKAGES)
                   else self._modal_apps if made in MODAL_APPS and not self._functions else None)
        if objects is not None:
            for target in node.targets:
                name = dotted_name(target.target)
                if name:
                    objects.add(name)

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        method = func.attr.value if isinstance(func, cst.Attribute) else None
        qualified = self.context.qualify(func) or ""
        first = argument(node, 0, "")
        if method == "add_exception_handler":
            self._add(self.entry.serving, argument(node, 1, "handler"))
        elif method == "add_middleware" or qualified in MIDDLEWARE_WRAPPERS:
            self._add_middleware(first)
        elif method == "add_task" or qualified in BACKGROUND_TASKS:
            self._add(self.entry.serving, first)
            self._add(self.entry.background, first)
        elif method == "add_event_handler" and _event(node) in ("startup", "shutdown"):
            self._add(self.entry.one_shot, argument(node, 1, "func"))
        elif qualified in EVENT_LOOP_RUNNERS or method == "run_until_complete":
            self._add_run(first)
        for arg in node.args:
            keyword = arg.keyword.value if arg.keyword is not None else None
            if keyword == "lifespan":
                self._add(self.entry.one_shot, arg)
            elif keyword in ("on_startup", "on_shutdown") and isinstance(arg.value, (cst.List, cst.Tuple)):
                for element in arg.value.elements:
                    self._add_expression(self.entry.one_shot, element.value)
            elif keyword == "exception_handlers" and (mapping := handler_mapping(arg.value, self.context.tree)):
                for element in mapping.elements:
                    if isinstance(element, cst.DictElement):
                        self._add_expression(self.entry.serving, element.value)
            elif self._functions and isinstance(arg.value, (cst.Name, cst.Attribute)):
                target = self._target(arg.value)
                if target:
                    self.entry.references.setdefault(self._functions[-1], []).append(target)
        if self._main_guards and not self._functions:
            target = self._target(func)
            if target:
                self.entry.one_shot.append(target)

    def _add(self, into: list[str], arg: cst.Arg | None) -> None:
        if arg is not None:
            self._add_expression(into, arg.value)

    def _add_expression(self, into: list[str], node: cst.BaseExpression) -> None:
        if isinstance(node, cst.BooleanOperation):  # `lifespan=lifespan_override or lifespan`
            self._add_expression(into, node.left)
            self._add_expression(into, node.right)
        elif isinstance(node, cst.IfExp):
            self._add_expression(into, node.body)
            self._add_expression(into, node.orelse)
        elif isinstance(node, (cst.Name, cst.Attribute)):
            target = self._target(node)
            if target:
                into.append(target)

    def _add_middleware(self, arg: cst.Arg | None) -> None:
        if arg is not None and isinstance(arg.value, (cst.Name, cst.Attribute)):
            cls = self._target(arg.value)
            if cls:
                self.entry.serving += [f"{cls}.dispatch", f"{cls}.__call__"]

    def _add_run(self, arg: cst.Arg | None) -> None:
        """`asyncio.run(main())` runs `main`; `anyio.run(main)` too, as a callback."""
        if arg is None:
            return
        if isinstance(arg.value, cst.Call):
            self._add_expression(self.entry.loop_runs, arg.value.func)
        else:
            self._add_expression(self.entry.one_shot, arg.value)

    @classmethod
    def repository(cls, repo: RepositoryView) -> ServingPaths:
        endpoints = repo.facts(FastAPIFacts)
        roots = [handler.function.qualname for handler in endpoints.handlers()]
        return ServingPaths(repo.summaries, roots, repo.index, repo.distributions)


def _imported_by_application(summaries: Sequence[ModuleSummary], index: ModuleIndex, programs: set[str]) -> set[str]:
    """The modules the application imports, directly or through each other, starting from the
    modules outside one-shot directories, programs' distributions (`programs`) and tests: a
    `tools/` or `scripts/` package the application imports (an agent's `tools`) is part of the
    application."""
    found: set[str] = set()
    pending = [summary for summary in summaries if not summary.is_test_file
               and not is_one_shot_path(summary.path) and summary.module not in programs]
    while pending:
        summary = pending.pop()
        for full in set(summary.imports.aliases.values()):
            parts = full.split(".")
            for cut in range(len(parts), 0, -1):
                module = index.module(".".join(parts[:cut]))
                if module is not None:
                    if module.module not in found and not module.is_test_file:
                        found.add(module.module)
                        if is_one_shot_path(module.path) or module.module in programs:
                            pending.append(module)
                    break
    return found


_NOTHING_REGISTERED = EntryPoints()  # a module whose analysis recorded nothing


def _imports_a_server(summary: ModuleSummary) -> bool:
    """Whether a module imports what serves requests or runs a queue's tasks (`fastapi`,
    `mcp.server`, `celery`): a program of its distribution may be a server."""
    return any(full == package or full.startswith(f"{package}.")
               for full in summary.imports.aliases.values() for package in SERVER_PACKAGES)


def _distribution_of(path: str, distributions: Iterable[str]) -> str | None:
    """The innermost of the distributions inside the repository that holds a file."""
    inside = [directory for directory in distributions if path.startswith(f"{directory}/")]
    return max(inside, key=len) if inside else None


def _event(call: cst.Call) -> str | None:
    found = argument(call, 0, "event_type")
    return string_value(found.value) if found is not None else None


class ServingPaths:
    """The functions serving code reaches, and those only one-shot code reaches."""

    def __init__(self, summaries: Sequence, endpoint_handlers: Iterable[str], index: ModuleIndex,
                 distributions: Mapping[str, bool] | None = None) -> None:
        self.index = index
        self._resolved: dict[str, list[str]] = {}
        self._subclasses: dict[str, list[str]] | None = None
        self.functions: dict[str, FunctionSummary] = {}
        self.classes: dict[str, list[str]] = {}
        entries: list[EntryPoints] = []
        in_modules: list[tuple[ModuleSummary, EntryPoints]] = []
        shadowed = shadowed_files(summary.path for summary in summaries)
        never_run: set[str] = set()
        for summary in summaries:
            if summary.path in shadowed:
                never_run.update(summary.functions)
                continue
            if summary.is_test_file:
                continue
            self.functions.update(summary.functions)
            self.classes.update(summary.classes)
            entry = summary.extras.get(FACTS_KEY)
            if isinstance(entry, EntryPoints):
                entries.append(entry)
            in_modules.append((summary, entry if isinstance(entry, EntryPoints) else _NOTHING_REGISTERED))
        self.references: dict[str, list[str]] = defaultdict(list)
        for entry in entries:
            for function, targets in entry.references.items():
                self.references[function].extend(targets)
        # Methods by name, for calls on objects of unknown type (`page.screenshot()` may be any
        # class's `screenshot`, never a module's function of that name).
        modules = {summary.module for summary in summaries}
        # Every part of every module's name: a name whose first part is none of them is not the
        # repository's (modules are also found by a suffix of their name).
        self._heads = {part for module in modules for part in module.split(".")}
        self._packages = {module.partition(".")[0] for module in modules}  # the repository's top-level names
        self._methods: dict[str, list[str]] = defaultdict(list)
        for qualname, function in self.functions.items():
            owner = qualname.rpartition(".")[0]
            if owner not in modules and owner not in self.functions:
                self._methods[function.name].append(qualname)
        serving_roots = [*endpoint_handlers, *(name for entry in entries for name in entry.serving)]
        self.serving = self._reach(serving_roots, guesses=MAX_GUESSES)
        # What a task queue's decorator registers, to run in its workers.
        # Also what a decorator registers that takes a task queue's context: whatever registers it
        # hands it to the queue's workers.
        decorated = frozenset(qualname for qualname, function in self.functions.items()
                              if any(self._queues(decorator) for decorator in function.decorators))
        taking = frozenset(name for entry in entries for name, taken in entry.registered_taking.items()
                           if any(map(self._of_task_queue, taken)))
        self.queued = decorated | taking
        roots = {name for root in serving_roots for name in self._resolve(root)}
        programs = self._programs(in_modules, distributions or {}, roots)
        imported = self.imported = _imported_by_application(summaries, index, programs)  # what the app imports
        one_shot_modules = [name for summary, entry in in_modules
                            if (entry.one_shot_module or summary.module in programs) and summary.module not in imported
                            for name in summary.functions]
        # Serving code reaches a program's modules the application does not import only by a guess
        # of a method by its name (`arm.answer()`): the guess is wrong.
        self.serving = self.serving - {name for summary, _ in in_modules
                                       if summary.module in programs and summary.module not in imported
                                       for name in summary.functions}
        one_shot_roots = [*one_shot_modules, *(name for entry in entries for name in entry.one_shot)]
        loop_runs = [name for entry in entries for name in entry.loop_runs]
        self.one_shot = self._reach([*one_shot_roots, *loop_runs], guesses=1)
        # Functions of a module file a package shadows: Python never imports them.
        self.never_run = frozenset(never_run - self.functions.keys())
        # What a framework or a callback runs, not (only) a call the repository writes.
        callbacks = [name for targets in self.references.values() for target in targets
                     for name in self._resolve(target)]
        self._roots = frozenset(roots.union(name for root in one_shot_roots for name in self._resolve(root)))
        self.entry_points = self._roots | frozenset(callbacks)
        # What runs after a response is sent: nothing it raises reaches the client.
        self.background = frozenset(name for entry in entries for root in entry.background
                                    for name in self._resolve(root))
        self._handed_on = Counter(callbacks)
        self._calls_named: dict[str, list[tuple[int, tuple[str, ...]] | None]] | None = None
        self._wrappers: dict[str, bool] = {}

    def _programs(self, in_modules: list[tuple[ModuleSummary, EntryPoints]],
                  distributions: Mapping[str, bool], roots: set[str]) -> set[str]:
        """The modules of the distributions inside the repository that are programs run by hand
        (`packages/admin-cli/` with a `pyproject.toml` of its own): it declares command-line
        programs (`[project.scripts]`), and nothing of it serves: no route, middleware, handler or
        callback a request runs (`roots`), no task a queue's workers run, no module that imports a
        server or a task queue (an MCP server's tools, which its framework registers)."""
        by_distribution: dict[str, list[tuple[ModuleSummary, EntryPoints]]] = defaultdict(list)
        for summary, entry in in_modules:
            found = _distribution_of(summary.path, distributions)
            if found is not None:
                by_distribution[found].append((summary, entry))
        programs: set[str] = set()
        for directory, members in by_distribution.items():
            if not distributions[directory]:
                continue  # a library, though a module of it may run a demo under `__main__`
            serves = any(entry.serving or entry.background or not roots.isdisjoint(summary.functions)
                         or not self.queued.isdisjoint(summary.functions) or _imports_a_server(summary)
                         for summary, entry in members)
            if not serves:
                programs.update(summary.module for summary, _ in members)
        return programs

    def _queues(self, decorator: str) -> bool:
        """Whether a decorator is a task queue's: of its package (`celery.shared_task`), or a method
        of a module's instance of one of its classes (`celery_app.task`)."""
        made = [decorator, *filter(None, self.index.fills(decorator.rpartition(".")[0]))]
        return any(map(self._of_task_queue, made))

    def _of_task_queue(self, name: str) -> bool:
        """A name of a task queue's package (`celery.shared_task`, `hatchet_sdk.Context`), not the
        repository's."""
        return name.partition(".")[0] not in self._packages and _of_task_queue(name)

    def runs_only_where_called(self, qualname: str) -> bool:
        """Whether only the repository's own calls run a function: no entry point (a route, a
        dependency, a callback handed on, a start-up hook), and no decorator but `staticmethod`,
        `classmethod` or one of the repository's `functools.wraps` wrappers (a framework's decorator
        registers it to be called from elsewhere)."""
        return qualname not in self.entry_points and self._plainly_decorated(qualname)

    def called_by_framework(self, qualname: str) -> bool:
        """Whether a framework calls a function with arguments it makes itself: a route or a
        dependency (from the request), a command, a start-up hook, a task queue's task; not a
        function the repository's code only hands on (`partial(RealBrowserState, ...)`)."""
        return qualname in self._roots or qualname in self.queued

    def _plainly_decorated(self, qualname: str) -> bool:
        """A function of the repository whose decorators register it nowhere."""
        function = self.functions.get(qualname)
        return function is not None and all(
            decorator.rpartition(".")[2] in PLAIN_DECORATORS or self.is_wrapper(decorator)
            for decorator in function.decorators)

    def handed_on(self, qualname: str) -> int:
        """How often the repository's functions hand a function on by reference
        (`run_task(check_schedules)`), when that is all that makes it an entry point; 0 when a
        framework or a root runs it, or nothing hands it on."""
        if qualname in self._roots or not self._plainly_decorated(qualname):
            return 0
        return self._handed_on.get(qualname, 0)

    def is_wrapper(self, decorator: str) -> bool:
        """Whether a decorator of the repository wraps what it decorates with `functools.wraps`
        (`@traced`): the wrapper runs where the function is called, no framework calls it."""
        known = self._wrappers.get(decorator)
        if known is None:
            known = self._wrappers[decorator] = any(
                (qualname == defined or qualname.startswith(f"{defined}."))
                and "functools.wraps" in function.decorators
                for defined in self._resolve(decorator)
                for qualname, function in self.functions.items()
            )
        return known

    def calls_named(self, name: str) -> int:
        """How many calls in the repository's functions (tests aside) name a function or method
        `name` (`save(...)`, `self.store.save(...)`)."""
        return len(self._named_calls().get(name, ()))

    def may_pass(self, name: str, parameter: str, position: int | None) -> bool:
        """Whether some call that `calls_named` counts for `name` may pass `parameter`: by its
        keyword, by position (`position`: its place among the positional parameters, `self` left
        out; None for a keyword-only one), or through `*` or `**`."""
        for shape in self._named_calls().get(name, ()):
            if shape is None:
                return True
            count, keywords = shape
            if parameter in keywords or (position is not None and count > position):
                return True
        return False

    def _named_calls(self) -> dict[str, list[tuple[int, tuple[str, ...]] | None]]:
        """The calls in the repository's functions (tests aside), by the name they call, each as
        what it passes (`CallSite.shape`)."""
        if self._calls_named is None:
            found: dict[str, list[tuple[int, tuple[str, ...]] | None]] = defaultdict(list)
            for function in self.functions.values():
                for call in function.calls:
                    if call.text:
                        found[call.text.rpartition(".")[2]].append(call.shape)
            self._calls_named = found
        return self._calls_named

    def is_serving(self, qualname: str) -> bool | None:
        """True: serving code reaches it. False: only one-shot code does, or nothing can (its
        module is shadowed). None: neither is known."""
        if qualname in self.serving:
            return True
        if qualname in self.one_shot or qualname in self.never_run:
            return False
        return None

    def _resolve(self, name: str) -> list[str]:
        """The functions a root or a callback names: a function, or a class (its `__init__` and
        `__call__`), as imported (through re-exports, `reviewer.semantics.calls.ModuleIndex`) or
        as defined."""
        known = self._resolved.get(name)
        if known is None:
            if name in self.functions:
                known = [name]
            elif name.partition(".")[0] not in self._heads:
                known = []  # `logging.getLogger`: no module of the repository
            else:
                defined = self.index.canonical(name)
                candidates = (defined, f"{defined}.__init__", f"{defined}.__call__")
                known = [defined] if defined in self.functions else [c for c in candidates[1:] if c in self.functions]
            self._resolved[name] = known
        return known

    def _callees(self, caller: str, guesses: int) -> Iterable[str]:
        function = self.functions.get(caller)
        if function is not None:
            for call in function.calls:
                yield from self._called(caller, call, guesses)
        for reference in self.references.get(caller, ()):
            yield from self._resolve(reference)

    def _called(self, caller: str, call: CallSite, guesses: int) -> Iterable[str]:
        if call.target:
            if call.target.partition(".")[0] not in self._heads:
                return  # `requests.get`, `session.delete` on an `AsyncSession`: not the repository's
            found = self._resolve(call.target) or self._inherited(call.target)
            if found is not None:
                yield from found
                yield from self._overrides(found)  # the object may be of any subclass
                return
        text = call.text or ""
        head, _, method = text.rpartition(".")
        if not head:
            nested = f"{caller}.{text}"  # a function defined inside the caller
            if nested in self.functions:
                yield nested
            return
        owner = caller.rpartition(".")[0]
        if head in ("self", "cls") and f"{owner}.{method}" in self.functions:
            yield f"{owner}.{method}"
            return
        candidates = self._methods.get(method, ())
        if len(candidates) <= guesses:
            yield from candidates

    def _inherited(self, target: str) -> list[str] | None:
        """A method called on an object of a repository class (`repository.delete(...)` with
        `repository: ClientRepository`) that the class inherits: the first base that defines it;
        none when only a base from outside the repository can (no guessing by name)."""
        owner, _, method = target.rpartition(".")
        if not owner or owner.partition(".")[0] not in self._heads:
            return None
        cls = self.index.canonical(owner)
        if cls not in self.classes:
            return None
        seen: set[str] = set()
        lineage = [cls]
        while lineage:
            current = lineage.pop(0)
            if current in seen or len(seen) > MAX_LINEAGE:
                continue
            seen.add(current)
            if f"{current}.{method}" in self.functions:
                return [f"{current}.{method}"]
            lineage.extend(self.index.canonical(base) for base in self.classes.get(current, ()))
        return []

    def _overrides(self, methods: list[str]) -> Iterable[str]:
        """The methods of subclasses that override these (`S3Storage.save` for `Storage.save`)."""
        if self._subclasses is None:
            self._subclasses = defaultdict(list)
            for cls, bases in self.classes.items():
                for base in bases:
                    self._subclasses[self.index.canonical(base)].append(cls)
        for method in methods:
            cls, _, name = method.rpartition(".")
            pending, seen = list(self._subclasses.get(cls, ())), set()
            while pending and len(seen) <= MAX_LINEAGE:
                sub = pending.pop()
                if sub in seen:
                    continue
                seen.add(sub)
                if f"{sub}.{name}" in self.functions:
                    yield f"{sub}.{name}"
                pending.extend(self._subclasses.get(sub, ()))

    def _reach(self, roots: Iterable[str], *, guesses: int) -> frozenset[str]:
        seen: set[str] = set()
        queue = deque(qualname for root in roots for qualname in self._resolve(root))
        while queue:
            current = queue.popleft()
            if current in seen:
                continue
            seen.add(current)
            queue.extend(callee for callee in self._callees(current, guesses) if callee not in seen)
        return frozenset(seen)
