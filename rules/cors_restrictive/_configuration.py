"""What the CORS configuration rules share: finding `CORSMiddleware` configurations in a file
(`app.add_middleware(CORSMiddleware, ...)`, `Middleware(CORSMiddleware, ...)`,
`CORSMiddleware(app, ...)`), recording how their `allow_origins`, `allow_origin_regex` and
`allow_credentials` are computed (`reviewer.semantics.defaults` symbols), and judging them over the
repository, where constants, settings defaults and subclasses of `CORSMiddleware` are known."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.model import Severity, Span
from reviewer.rule import RepoContext, Rule
from reviewer.semantics.defaults import UNKNOWN, Defaults, DefaultsFacts, Instance, Symbol
from reviewer.semantics.settings import SettingsFacts
from reviewer.traversal import push_children

CHECKLIST_ITEM = "cors-restrictive"
CORS_MIDDLEWARE = frozenset({
    "starlette.middleware.cors.CORSMiddleware",
    "fastapi.middleware.cors.CORSMiddleware",
})
MIDDLEWARE_WRAPPERS = frozenset({"starlette.middleware.Middleware", "fastapi.middleware.Middleware"})
# Where CORSMiddleware takes each option when passed by position (after the app, or after the class
# in `add_middleware(cls, ...)` and `Middleware(cls, ...)`).
POSITIONS = {"allow_origins": 1, "allow_credentials": 4, "allow_origin_regex": 5}
# Starlette's defaults for options a configuration does not pass.
OPTION_DEFAULTS: dict[str, Symbol] = {
    "allow_origins": ("seq", ()), "allow_credentials": ("lit", False), "allow_origin_regex": ("lit", None),
}
MAX_SHOWN = 60
_LITERAL = re.compile(r"""^(?:[rRbBuU]{0,2}["']|[\[({]|True\b|False\b|-?\d)""")
SHARED_KEY = "cors-configurations"


@dataclass(frozen=True)
class CorsConfiguration:
    """One CORS middleware configured in a file (plain, picklable)."""

    middleware: str  # qualified class
    span: Span
    statement_lines: tuple[int, int] | None
    options: tuple[tuple[str, Symbol, str], ...]  # (option, symbol, the argument as written)
    guarded: bool  # configured only under a condition on other configuration


class CorsConfigurationRule(Rule):
    """Base of the rules that judge `CORSMiddleware` options: records every configuration of the
    file for `check_repo`, which subclasses implement with `judge`."""

    checklist = CHECKLIST_ITEM
    severity = Severity.ERROR
    always_applicable = False
    requires: ClassVar[tuple[type[Facts], ...]] = (DefaultsFacts, SettingsFacts)
    # Every configuration `visit_Call` records spells one of these (the class, an alias imported
    # from a name ending in it, or `add_middleware`).
    prefilter_packages: ClassVar[tuple[str, ...]] = ("Middleware", "add_middleware")

    def __init__(self, context, options) -> None:  # noqa: ANN001
        super().__init__(context, options)
        self._found: list[CorsConfiguration] = []
        context.summary.extras[self.code] = self._found

    def leave_Module(self, original_node: cst.Module) -> None:
        if not self._found:
            self.context.summary.extras.pop(self.code, None)  # most files configure no CORS

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if isinstance(func, cst.Attribute):
            if func.attr.value != "add_middleware" and not func.attr.value.endswith("Middleware"):
                return
        elif not isinstance(func, cst.Name) or (
                not func.value.endswith("Middleware") and not self._imported_as_middleware(func)):
            return
        if self.context.is_test_file or not node.args:
            return
        # RVW621 and RVW622 read the same configurations: the first to meet a call records it.
        seen = self.context.shared.setdefault(SHARED_KEY, {})
        if id(node) not in seen:
            seen[id(node)] = self._configuration(node)
        found = seen[id(node)]
        if found is not None:
            self._found.append(found)

    def _configuration(self, node: cst.Call) -> CorsConfiguration | None:
        func = node.func
        first = node.args[0]
        if isinstance(func, cst.Attribute) and func.attr.value == "add_middleware":
            middleware = self.qualify(first.value) if first.keyword is None else None
            return self._record(node, middleware, 0) if middleware is not None else None
        callee = self.qualify(func)
        if callee in MIDDLEWARE_WRAPPERS:
            middleware = self.qualify(first.value) if first.keyword is None else None
            return self._record(node, middleware, 0) if middleware is not None else None
        if callee in CORS_MIDDLEWARE:
            app_by_keyword = any(arg.keyword is not None and arg.keyword.value == "app" for arg in node.args)
            return self._record(node, callee, 1 if app_by_keyword else 0)
        return None

    def _imported_as_middleware(self, func: cst.BaseExpression) -> bool:
        """`Cors(...)` where `from starlette.middleware.cors import CORSMiddleware as Cors`."""
        if not isinstance(func, cst.Name):
            return False
        imported = self.context.resolver.table.aliases.get(func.value, "")
        return imported.endswith("Middleware")

    def _record(self, node: cst.Call, middleware: str, shift: int) -> CorsConfiguration:
        """Records a configuration; `shift` is 1 when the app is passed by keyword (`app=app`), so
        that the options passed by position start one place earlier."""
        facts = self.context.facts(DefaultsFacts)
        spread = any(arg.star == "**" for arg in node.args)
        options: list[tuple[str, Symbol, str]] = []
        read: set[str] = set()
        for option, position in POSITIONS.items():
            arg = _option(node, option, position - shift)
            if arg is None:
                options.append((option, None if spread else OPTION_DEFAULTS[option], ""))
                continue
            options.append((option, facts.symbol(arg.value), _shown(self.context.tree.code_for_node(arg.value))))
            read |= _configuration_read(facts, arg.value)
        statement = self.context.current_statement()
        return CorsConfiguration(
            middleware=middleware,
            span=self.context.span(node),
            statement_lines=self.context.statement_lines(statement) if statement is not None else None,
            options=tuple(options),
            guarded=bool(facts.configuration_guards() - read),
        )

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        defaults: Defaults = repo.facts(DefaultsFacts)
        for summary in repo.summaries:
            for configuration in summary.extras.get(cls.code, ()):
                if not defaults.derives_from(configuration.middleware, CORS_MIDDLEWARE):
                    continue
                repo.mark_applicable()
                if configuration.guarded:
                    continue
                values = {
                    option: (*defaults.evaluate(symbol), written)
                    for option, symbol, written in configuration.options
                }
                message = cls.judge(values)
                if message is not None:
                    repo.report(summary.path, configuration.span, message,
                                statement_lines=configuration.statement_lines)

    @classmethod
    def judge(cls, values: dict[str, tuple[Any, Any, str]]) -> str | None:
        """The finding's message for a configuration whose options are `values` (option ->
        (default value, where it is written, the argument as written)), or None."""
        raise NotImplementedError


def _option(call: cst.Call, name: str, position: int) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    plain = [arg for arg in call.args if arg.keyword is None and not arg.star]
    return plain[position] if position < len(plain) else None


def _configuration_read(facts: DefaultsFacts, node: cst.CSTNode) -> set[str]:
    """Configuration an argument reads (`settings.cors_origins` in `[str(o) for o in
    settings.cors_origins]`): a test of it is no condition on other configuration."""
    found: set[str] = set()
    pending = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, (cst.Name, cst.Attribute)):
            name = facts.configuration_name(current)
            if name is not None:
                found.add(name)
        push_children(current, pending)
    return found | facts.configuration_in(node) if isinstance(node, cst.BaseExpression) else found


def _shown(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_SHOWN else text[: MAX_SHOWN - 1] + "…"


def allows_credentials(value: Any) -> bool:
    return value is not UNKNOWN and not isinstance(value, Instance) and bool(value)


def any_origin(value: Any) -> bool:
    """Whether Starlette reads an `allow_origins` value as every origin: `"*"` among the origins
    (or anywhere in a single string, which Starlette tests with `in`)."""
    if isinstance(value, str):
        return "*" in value
    return isinstance(value, tuple) and "*" in value


def render(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(render(element) for element in value) + "]"
    if value is UNKNOWN:
        return "…"
    return repr(value) if not isinstance(value, str) else f'"{value}"'


def described(option: str, value: Any, place: Any, written: str) -> str:
    """`allow_origins=ORIGINS, which is ["*"] by default (`app.config.ORIGINS`)`: an option as
    written and, when it is not a literal there, the default it has and where that is written."""
    if written == render(value) or place is None and _LITERAL.match(written):
        return f"{option}={written}"
    where = ""
    if place is not None and place[0] == "field":
        where = f" (field `{place[1].rsplit('.', 1)[-1]}.{place[2]}`)"
    elif place is not None and place[0] == "binding" and not written.endswith(place[1].rsplit(".", 1)[-1]):
        where = f" (`{place[1]}`)"
    return f"{option}={written}, which is {render(value)} by default{where},"
