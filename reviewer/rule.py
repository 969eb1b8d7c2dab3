"""What a rule is: the base class every built-in and third-party rule subclasses.

A rule is a visitor of libcst trees, called as libcst calls a batchable visitor: the engine walks
each file once and calls every enabled rule's `visit_*`/`leave_*` methods during that single walk.
What libcst's metadata providers would give, the file context gives cheaper: `qualify` for the
qualified name a name stands for, `span` for where a node is (a rule that needs a provider anyway
declares it in `METADATA_DEPENDENCIES`, as in libcst). A rule that needs the whole
repository also implements `check_repo`, which runs after every file, over module summaries only.

The class docstring is the rule's documentation, shown by `reviewer explain CODE`: its first line
is the summary, then the sections *What it does*, *Why is this bad?*, *Example*, *Use instead*,
*Known problems*, and, for a rule that attaches fixes (`report(..., fix=)`), *Fix safety*.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import pkgutil
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from reviewer import lazy_cst as cst
from reviewer.facts import Facts, FactsUnavailable
from reviewer.model import Finding, Fix, Related, Severity, Span
from reviewer.syntax import string_value
from reviewer.traversal import BatchedVisitor

if TYPE_CHECKING:
    from reviewer.semantics.names import NameResolver
    from reviewer.summary import ModuleSummary


_NO_DEFAULT = object()
F = TypeVar("F", bound=Facts)
# Where `RepoContext.facts` keeps the repository models of a run, in `RepoContext.shared`.
FACTS_MODELS = "facts-models"


class RuleCrash(Exception):
    """A rule raised while visiting; carries which rule, so the engine can name it."""

    def __init__(self, rule: Rule, error: BaseException) -> None:
        super().__init__(f"{rule.code} ({rule.name}) raised {type(error).__name__}: {error}")
        self.rule = rule
        self.error = error


class FileContext:
    """What a rule may know about the file under review; shared by all rules of one walk."""

    def __init__(
        self,
        *,
        path: str,
        source: str,
        tree: cst.Module,
        resolver: NameResolver,
        summary: ModuleSummary,
        is_test_file: bool,
        statements: Sequence[cst.CSTNode],
    ) -> None:
        self.path = path
        self.source = source
        self.tree = tree
        self.resolver = resolver
        self.summary = summary
        self.is_test_file = is_test_file
        self.applicable: set[str] = set()
        # The statements the walk is in, outermost first (kept up to date by the engine).
        self.statements = statements
        # Rules of one family may share one analysis of the file through this, instead of each
        # walking for the same facts (the async-io rules do). Lives as long as the walk; never
        # stored in the summary or the cache.
        self.shared: dict[str, Any] = {}
        # The semantic analyses of this file that enabled rules require (`Rule.requires`), by type;
        # a type maps to None when its analysis failed on the file.
        self.analyses: dict[type[Facts], Facts | None] = {}
        from reviewer.positions import Positions  # libcst itself: only where files are parsed

        self._positions = Positions(tree, source)

    @property
    def module(self) -> str:
        return self.summary.module

    @functools.cached_property
    def lowered_source(self) -> str:
        """The source in lower case, made once per file: what cheap text gates look for words in
        (a few substring searches cost far less than one case-insensitive regular expression)."""
        return self.source.lower()

    def mentions(self, words: Iterable[str]) -> bool:
        """Does the source spell one of `words` (lower case), in any case?"""
        lowered = self.lowered_source
        return any(word in lowered for word in words)

    def facts(self, kind: type[F]) -> F:
        """This file's analysis of type `kind`, which the rule must declare in `Rule.requires`."""
        if kind not in self.analyses:
            raise KeyError(f"{kind.__name__} is not in the `requires` of any rule running on this file")
        found = self.analyses[kind]
        if found is None:
            raise FactsUnavailable(f"{kind.__name__} failed on this file")
        return found  # type: ignore[return-value]

    def qualify(self, node: cst.BaseExpression) -> str | None:
        """Qualified name of a Name/Attribute chain through this module's imports, else None."""
        return self.resolver.qualify(node)

    def current_statement(self) -> cst.CSTNode | None:
        """The innermost statement the walk is in."""
        return self.statements[-1] if self.statements else None

    def span(self, node: cst.CSTNode, statement: cst.CSTNode | None = None) -> Span:
        """Where `node` is. Cheapest for a node in the statement being walked, or in the
        `statement` given (one a rule saved earlier): see `reviewer.positions`."""
        candidates = reversed(self.statements) if statement is None else (statement, *reversed(self.statements))
        code_range = self._positions.range(node, candidates)
        return Span(
            code_range.start.line,
            code_range.start.column + 1,
            code_range.end.line,
            code_range.end.column + 1,
        )

    def line(self, statement: cst.CSTNode) -> int:
        """The line a statement starts on (a decorated function's `def` line, as its span has it);
        a compound statement's without generating its code."""
        known = self._positions.statement_lines(statement)
        return known[0] if known is not None else self.span(statement, statement).line

    def statement_lines(self, statement: cst.CSTNode) -> tuple[int, int]:
        """Lines a suppression comment may sit on: a simple statement's lines, or a compound
        statement's header (`def f(\\n a,\\n b):` but not its body)."""
        known = self._positions.statement_lines(statement)
        body = getattr(statement, "body", None)
        if isinstance(body, cst.IndentedBlock) and body.body:
            first_inner = self._positions.statement_lines(body.body[0])
            if known is not None and first_inner is not None:
                return known[0], max(known[0], first_inner[0] - 1)
            line = self.span(statement, statement).line
            return line, max(line, self.span(body.body[0], body.body[0]).line - 1)
        if isinstance(body, cst.BaseSuite):
            return self.span(statement, statement).line, self.span(body, statement).line
        if known is not None and known[1] is not None:
            return known[0], known[1]
        span = self.span(statement, statement)
        return span.line, span.end_line


class Rule(BatchedVisitor):
    """Base class of all rules. Subclasses set the class attributes below and a docstring."""

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    checklist: ClassVar[str] = ""
    severity: ClassVar[Severity] = Severity.WARNING
    # Option name -> default value; a configured value must have the default's type.
    options: ClassVar[Mapping[str, Any]] = {}
    # False: the rule marks its item applicable itself (`self.mark_applicable()`) when it meets
    # something it checks (a route, a SQL call); if none does, the item is `not-applicable`.
    always_applicable: ClassVar[bool] = True
    # Optional prefilter, off when empty: words, usually top-level packages (`"requests"`,
    # `"sqlalchemy"`), of which a file must mention at least one for the rule to walk it. The engine
    # tests the file's text (any import spells the package's name), so a file that cannot import
    # any of them, or cannot hold what the rule looks for, skips the rule. Declare it only if the
    # rule finds nothing and records no `summary.extras` in such a file; its `check_repo` then sees
    # no extras from the files it skipped (the analyses it `requires` still run on them).
    prefilter_packages: ClassVar[tuple[str, ...]] = ()
    # True: the flagged text is itself a secret, so reports never show it: code excerpts mask it,
    # and the value (`report(..., secret=...)`) is masked wherever else the run would print it.
    reveals_secret: ClassVar[bool] = False
    # Semantic analyses the rule reads (`reviewer.facts`): each joins the walk ahead of the rules,
    # once per file however many rules require it; `self.context.facts(Kind)` during the walk,
    # `repo.facts(Kind)` in `check_repo`.
    requires: ClassVar[tuple[type[Facts], ...]] = ()
    # libcst metadata providers the rule reads with `self.get_metadata(Provider, node)`, as in a
    # libcst visitor. Resolving them costs a libcst walk or two per file, paid only for files that
    # an enabled rule declaring them reviews; the built-in rules use `qualify` and `context.span`.
    METADATA_DEPENDENCIES: ClassVar[tuple[type, ...]] = ()

    def __init__(self, context: FileContext, options: Mapping[str, Any]) -> None:
        super().__init__()
        self.context = context
        self.config = options
        self.findings: list[Finding] = []
        self.crash: RuleCrash | None = None
        self.metadata: Mapping[type, Mapping[cst.CSTNode, Any]] = {}

    @classmethod
    def summary_line(cls) -> str:
        doc = inspect.getdoc(cls) or ""
        return doc.strip().splitlines()[0] if doc.strip() else ""

    @classmethod
    def documentation(cls) -> str:
        return textwrap.dedent(inspect.getdoc(cls) or "").strip()

    @classmethod
    def metadata_dependencies(cls) -> frozenset[type]:
        """The providers declared by this class and the classes it derives from."""
        return frozenset(p for klass in cls.__mro__ for p in vars(klass).get("METADATA_DEPENDENCIES", ()))

    def get_metadata(self, key: type, node: cst.CSTNode, default: Any = _NO_DEFAULT) -> Any:
        """What provider `key` says of `node` (libcst's `MetadataDependent.get_metadata`)."""
        if key not in self.metadata_dependencies():
            raise KeyError(f"{key.__name__} is not declared in {type(self).__name__}.METADATA_DEPENDENCIES")
        values = self.metadata[key]
        value = values[node] if default is _NO_DEFAULT else values.get(node, default)
        from libcst.metadata.base_provider import LazyValue

        return value() if isinstance(value, LazyValue) else value

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        """Whole-repository checks over module summaries; runs once after the per-file pass."""

    def qualify(self, node: cst.BaseExpression) -> str | None:
        return self.context.qualify(node)

    def mark_applicable(self) -> None:
        self.context.applicable.add(self.checklist)

    def report(
        self,
        node: cst.CSTNode,
        message: str,
        *,
        severity: Severity | None = None,
        fix: Fix | None = None,
        statement: cst.CSTNode | None = None,
        secret: str | None = None,
    ) -> None:
        """Record a finding at `node`. A rule that reports after the walk has moved on (from a
        `leave_Module`, say, or about a module constant seen where it is used) passes the
        `statement` it saved, for suppression comments. A rule that `reveals_secret` passes the
        secret value it found (the flagged literal's value, when it does not)."""
        self.report_in(
            statement or self.context.current_statement(), node, message, severity=severity, fix=fix, secret=secret
        )

    def report_in(
        self,
        statement: cst.CSTNode | None,
        node: cst.CSTNode,
        message: str,
        *,
        severity: Severity | None = None,
        fix: Fix | None = None,
        secret: str | None = None,
    ) -> None:
        """Record a finding at `node`, suppressible on the lines of `statement` (on the node's
        own lines only, when there is none)."""
        if secret is None and self.reveals_secret:
            secret = string_value(node) if isinstance(node, cst.BaseExpression) else None
            if secret is None:
                secret = self.context.tree.code_for_node(node)
        self.findings.append(
            Finding(
                code=self.code,
                name=self.name,
                checklist=self.checklist,
                severity=severity or self.default_severity(),
                path=self.context.path,
                span=self.context.span(node, statement),
                message=message,
                fix=fix,
                statement_lines=self.context.statement_lines(statement) if statement is not None else None,
                secret=secret or "",
            )
        )

    def default_severity(self) -> Severity:
        """The severity of this rule's findings in this file (configurable per rule)."""
        return self.config.get("severity", self.severity)

    def walk_failed(self, error: Exception) -> None:
        """One of the rule's visit methods raised (the walk calls this): the rule is stopped for
        this file only, and reports the crash."""
        self.crash = self.crash or RuleCrash(self, error)
        for rule in self.walks_for():
            rule.crash = rule.crash or RuleCrash(rule, error)

    def walks_for(self) -> Sequence[Rule]:
        """The rules whose analysis this rule's walk builds (rules of one family share one
        walk); a crash of the walk stops them too, and each of them says so."""
        return ()


class RepoContext:
    """What a rule's `check_repo` sees: every module summary, and a way to report."""

    def __init__(
        self,
        rule: type[Rule],
        summaries: Sequence[ModuleSummary],
        options: Mapping[str, Any],
        shared: dict[str, Any] | None = None,
        file_findings: Sequence[Finding] = (),
        distributions: Mapping[str, bool] | None = None,
    ) -> None:
        from reviewer.semantics.calls import ModuleIndex

        self.rule = rule
        self.summaries = summaries
        self.options = options
        # The directories of the review that hold a project file of their own (`packages/cli`),
        # each with whether it declares command-line programs (`reviewer.discovery.Discovery`).
        self.distributions: Mapping[str, bool] = distributions or {}
        self.findings: list[Finding] = []
        self.applicable = False
        self.note = ""  # what the rule measured, for its item's verdict (`describe`)
        # One memo for every rule's repository pass in a run: rules of one family build a shared
        # index once (the endpoint index, the async-io type resolution) instead of once each.
        self.shared: dict[str, Any] = {} if shared is None else shared
        index = self.shared.get("module-index")
        if index is None:
            index = self.shared["module-index"] = ModuleIndex(summaries)
        self.index: ModuleIndex = index
        # Run-level data a rule publishes for reports, keyed by report field.
        self.extras: dict[str, Any] = {}
        # This rule's findings from the per-file pass; one the repository shows to be wrong
        # (in code that never serves a request, say) is withdrawn with `withdraw`.
        self.file_findings: Sequence[Finding] = file_findings
        self.withdrawn: list[Finding] = []

    def facts(self, kind: type[Facts]) -> Any:
        """The repository-wide model of the analysis `kind` (`Facts.repository`), built once per
        run however many rules ask (the engine puts its report fields into the run's reports)."""
        models = self.shared.setdefault(FACTS_MODELS, {})
        if kind not in models:
            models[kind] = kind.repository(self)
        return models[kind]

    def mark_applicable(self) -> None:
        self.applicable = True

    def describe(self, note: str) -> None:
        """Say what the rule measured over the repository (`41 of 57 endpoints are requested by a
        test`): the note of its item's verdict."""
        self.note = note

    def withdraw(self, finding: Finding) -> None:
        """Take back one of this rule's per-file findings (`file_findings`)."""
        self.withdrawn.append(finding)

    def report(
        self,
        path: str,
        span: Span,
        message: str,
        *,
        severity: Severity | None = None,
        statement_lines: tuple[int, int] | None = None,
        secret: str = "",
        related: tuple[Related, ...] = (),
    ) -> None:
        """Record a finding; a rule that `reveals_secret` passes the secret value it found, a rule
        whose evidence spans other places (a call chain's hops) passes them as `related`."""
        rule = self.rule
        self.findings.append(
            Finding(
                code=rule.code,
                name=rule.name,
                checklist=rule.checklist,
                severity=severity or self.options.get("severity", rule.severity),
                path=path,
                span=span,
                message=message,
                statement_lines=statement_lines,
                secret=secret,
                related=related,
            )
        )


def rules_in(objects: Iterable[Any]) -> list[type[Rule]]:
    """Rule classes among `objects`: an entry point may name a rule class, a module of rules, or a
    package, whose modules (all but `_private` ones) are each searched for rules."""
    found: list[type[Rule]] = []
    for obj in objects:
        if inspect.ismodule(obj) and hasattr(obj, "__path__"):
            names = sorted(m.name for m in pkgutil.iter_modules(obj.__path__) if not m.name.startswith("_"))
            found.extend(rules_in(importlib.import_module(f"{obj.__name__}.{name}") for name in names))
        elif inspect.ismodule(obj):
            found.extend(
                member
                for _, member in inspect.getmembers(obj, inspect.isclass)
                if issubclass(member, Rule) and member.code and member.__module__ == obj.__name__
            )
        elif inspect.isclass(obj) and issubclass(obj, Rule) and obj.code:
            found.append(obj)
    return found
