"""`print()` in code the application runs while serving."""

from __future__ import annotations

import re

from reviewer import lazy_cst as cst
from reviewer.model import Finding, Severity
from reviewer.rule import RepoContext
from reviewer.summary import ModuleSummary
from reviewer.syntax import keyword
from rules.structured_logging._sites import SiteRule, withdraw_one_shot

TERMINAL_PACKAGES = frozenset({"colorama", "termcolor", "rich", "tabulate", "questionary", "prompt_toolkit", "blessed"})
APPLICATION_CLASSES = frozenset({"fastapi.FastAPI", "fastapi.applications.FastAPI", "starlette.applications.Starlette"})
TO_STDERR = "structured-logging-stderr"  # summary extras: findings whose prints all go to stderr
NEVER_LOGS = "structured-logging-never-logs"  # summary extras: the module imports no logger
STANDARD_STREAMS = frozenset({"sys.stderr", "sys.stdout", "sys.__stderr__", "sys.__stdout__"})
LOGGING_PACKAGES = frozenset({"logging", "structlog", "loguru", "logfire"})
_LOGGER = re.compile(r"^_*(?:\w+_)?(?:logger|log|LOG|LOGGER|get_logger|getLogger)$")
PRINTING_FUNCTIONS = ("print", "display", "show", "dump", "echo", "pprint", "render")
_TERMINAL_CLASS = re.compile(r"CLI|Cli[A-Z]|Console|Terminal|Repl")


def _needs_serving(summary: ModuleSummary, finding: Finding) -> bool:
    """A module that never logs, or prints only to `sys.stderr` (which a worker or sandbox may
    collect as its log): reported only where serving code is known to run it."""
    return bool(summary.extras.get(NEVER_LOGS)) or (
        (finding.span.line, finding.span.column) in summary.extras.get(TO_STDERR, ()))


class PrintInApplicationCode(SiteRule):
    """`print()` in application code, where a logger belongs.

    ## What it does
    Flags calls of the builtin `print` in functions of application modules. Not flagged: tests,
    migrations, examples, seeds and fixtures; code at module level or in a `__main__` block;
    functions that only command-line programs, scripts or start-up run (click/typer commands,
    `asyncio.run(main())`, modules of `scripts/`, `tools/`, `bin/` the application does not
    import; see `reviewer.semantics.serving`); functions of a module that is a program itself
    (it parses a command line or has a `__main__` block) unless serving code reaches them; a
    `print(..., file=...)` that writes to a file or buffer it names (and one to `sys.stderr`
    unless serving code reaches it), or
    `print(..., end="")` that builds a terminal line; functions whose name says that printing is
    what they are for (`print_summary`,
    `display_table`), methods of classes made for a terminal (`CLIInterface`, `ConsoleReporter`),
    modules that style their output for a terminal (they import `colorama`, `rich`, `tabulate`);
    application factories (a function that builds the `FastAPI` app runs once, at start-up); in
    a module that never imports a logger, functions that serving code is not known to reach (a
    module of printing helpers may be a tool whose output is its printed text, such as an agent's
    sandbox skill). The prints of one function are one finding, at the first of them.

    ## Why is this bad?
    `print` writes to stdout without a level, a timestamp, a logger name or request context: it
    cannot be filtered, shipped or correlated, it is lost (or interleaved) under process managers,
    and debugging prints left in request paths leak data into container logs.

    ## Example
    ```python
    @router.post("/orders")
    async def create_order(order: OrderIn):
        print("creating order", order.id)
    ```

    ## Use instead
    ```python
    logger = logging.getLogger(__name__)

    @router.post("/orders")
    async def create_order(order: OrderIn):
        logger.info("creating order %s", order.id)
    ```

    ## Known problems
    Whether a function serves requests comes from the repository's call graph: a function that
    no route reaches and no program runs (a library helper called only through a registry) is
    treated as application code, and one in a module that never imports a logger is not reported
    unless a route or a task reaches it. A module run by a `console_scripts` entry point without
    `argparse`/`click`/`typer` is not recognised as a program. Functions are recognised as made
    for printing by their name (`print_*`, `show_*`, `display_*`, `dump_*`).
    """

    code = "RVW901"
    name = "print-in-application-code"
    checklist = "structured-logging"
    severity = Severity.WARNING
    prefilter_packages = ("print(",)

    def __init__(self, context, options) -> None:  # noqa: ANN001
        super().__init__(context, options)
        table = context.summary.imports.aliases
        aliases = table.values()
        # A module that styles its output for a terminal writes to a terminal by design.
        self._terminal = any(full.split(".")[0] in TERMINAL_PACKAGES for full in aliases)
        # A module that logs elsewhere chose logging: its prints are strays. One that never logs
        # may be a tool whose printed output is its interface (a sandbox skill, a report).
        if not any(full.split(".")[0] in LOGGING_PACKAGES or _LOGGER.match(full.rpartition(".")[2])
                   or _LOGGER.match(local) for local, full in table.items()):
            context.summary.extras[NEVER_LOGS] = True
        self._classes: list[str] = []
        # Per function being walked: its prints, with their statements.
        self._pending: list[list[tuple[cst.Call, cst.CSTNode | None]]] = []
        self._factories: list[bool] = []  # per function: it builds the application (start-up)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        super().visit_ClassDef(node)
        self._classes.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        super().leave_ClassDef(original_node)
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        super().visit_FunctionDef(node)
        self._pending.append([])
        self._factories.append(False)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        prints, factory = self._pending.pop(), self._factories.pop()
        if prints and not factory:
            # One finding per function, at its first print: the prints of one function are one fix.
            call, statement = prints[0]
            more = f" (and {len(prints) - 1} more)" if len(prints) > 1 else ""
            to_stderr = all(keyword(c, "file") is not None for c, _ in prints)
            self.report_site(call, f"`print()` in `{original_node.name.value}`{more}: use a logger "
                                   "(`logging.getLogger(__name__)`) so the output has a level and context",
                             statement)
            if to_stderr:
                span = self.findings[-1].span
                self.context.summary.extras.setdefault(TO_STDERR, set()).add((span.line, span.column))
        super().leave_FunctionDef(original_node)

    def visit_Call(self, node: cst.Call) -> None:
        if not self.applies or not self.in_function_body() or self._terminal:
            return
        qualified = self.qualify(node.func)
        if qualified in APPLICATION_CLASSES:
            self._factories[-1] = True  # an application factory runs once, at start-up
        if qualified != "builtins.print":
            return
        stream = keyword(node, "file")
        if (stream is not None and self.qualify(stream.value) not in STANDARD_STREAMS) or keyword(node, "end"):
            return  # written to a file or buffer it names, or a terminal line built piece by piece
        name = self.function.name.value.lower().lstrip("_")
        if any(word in name for word in PRINTING_FUNCTIONS):
            return
        if any(_TERMINAL_CLASS.search(cls) for cls in self._classes):
            return
        self._pending[-1].append((node, self.context.current_statement()))

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        withdraw_one_shot(repo, needs_serving=_needs_serving)
