"""The io-timeouts rules over the whole repository: which per-file findings stand.

A finding is taken back when the repository shows that the call does not wait forever in code
that serves requests:
- it runs only in one-shot code (a command-line program, a script, start-up; see
  `reviewer.semantics.serving`), in a `scripts/`-like module or a migration, or in a function of
  a program (a module run as `__main__`, or a script whose top-level code calls its functions)
  that only that top-level code calls, or nothing at all; or in a module only tests import that
  registers nothing (a helper of the test suite);
- it waits on the process-wide socket default, and the project sets one
  (`socket.setdefaulttimeout(...)` outside tests);
- it is made on an instance of a repository class that is no `requests.Session` subclass, or one
  that injects a default timeout (an override of `request`/`send` that handles `timeout`, a
  `partial` bound to `self.request`, or an injecting adapter mounted on itself);
- its session has an adapter mounted that injects a default timeout;
- its session was handed in (a parameter) and the project has a way to inject timeouts into
  sessions: the code that made it may have used it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import PurePosixPath

from reviewer.model import Finding
from reviewer.rule import RepoContext
from reviewer.semantics.migrations import is_migration
from reviewer.semantics.serving import FACTS_KEY as ENTRY_POINTS
from reviewer.semantics.serving import EntryPointFacts, EntryPoints, ServingPaths, is_one_shot_path
from reviewer.summary import ModuleSummary
from rules.io_timeouts._apis import HTTP_ADAPTERS, SESSION_BASES
from rules.io_timeouts._scan import FACTS_KEY, MAX_RESOLUTION_DEPTH, Site, TimeoutFacts

SHARED_KEY = "io-timeouts-model"
# Decorators that register nothing: the function still runs only where it is called.
PLAIN_DECORATORS = frozenset({"staticmethod", "classmethod", "property", "cached_property", "abstractmethod"})


class TimeoutModel:
    """What the repository says about the io-timeouts findings, built once per run."""

    def __init__(self, repo: RepoContext) -> None:
        self.serving: ServingPaths = repo.facts(EntryPointFacts)
        self.index = repo.index
        self.sites: dict[tuple[str, str, int, int], Site] = {}
        self.classes: dict[str, list[str]] = {}
        self.injecting: set[str] = set()
        self.class_adapters: dict[str, list[str]] = defaultdict(list)
        self.factories: dict[str, tuple[str | None, tuple[str, ...], bool]] = {}
        self.sets_socket_default = False
        self.migrations: set[str] = set()
        self.unreferenced: set[str] = set()
        partial_injection = False
        for summary in repo.summaries:
            if summary.is_test_file:
                continue
            self.classes.update(summary.classes)
            facts = summary.extras.get(FACTS_KEY)
            if not isinstance(facts, TimeoutFacts):
                continue
            self.sets_socket_default = self.sets_socket_default or facts.sets_socket_default
            if facts.sites and is_migration(summary.path, summary.imports):
                self.migrations.add(summary.path)
            self.unreferenced.update(facts.unreferenced)
            partial_injection = partial_injection or facts.partial_injection
            self.injecting.update(facts.injecting)
            self.factories.update(facts.factories)
            for cls, adapters in facts.class_adapters.items():
                self.class_adapters[cls].extend(adapters)
            for (code, line, column), site in facts.sites.items():
                self.sites[(summary.path, code, line, column)] = site
        self.test_support = self._test_support(repo.summaries)
        self._lineages: dict[str, tuple[list[str], bool]] = {}
        # Whether the project injects default timeouts into sessions anywhere: then a session
        # handed in may be one of those.
        self.injects_somewhere = partial_injection or any(
            self._derives(cls, SESSION_BASES | HTTP_ADAPTERS) for cls in self.injecting) or any(
            self.adapter_injects(adapter) for adapters in self.class_adapters.values() for adapter in adapters)

    def _test_support(self, summaries: Sequence[ModuleSummary]) -> set[str]:
        """Modules with findings that only test modules import, with one of them in the same
        directory or the one above (the helper sits in the test suite's tree), and that register
        nothing (no route, task, command or other decorated function): helpers of the test suite.
        A module that only tests import elsewhere may be loaded by name (a connector registry)."""
        with_sites = {path for path, _, _, _ in self.sites}
        importers: dict[str, list[ModuleSummary]] = defaultdict(list)
        for summary in summaries:
            for full in set(summary.imports.aliases.values()):
                parts = full.split(".")
                for cut in range(len(parts), 0, -1):
                    module = self.index.module(".".join(parts[:cut]))
                    if module is not None:
                        if module.path in with_sites and module.path != summary.path:
                            importers[module.path].append(summary)
                        break
        found = set()
        for summary in summaries:
            users = importers.get(summary.path, [])
            home = PurePosixPath(summary.path).parent
            if (users and all(user.is_test_file for user in users)
                    and any(PurePosixPath(user.path).parent in (home, home.parent) for user in users)
                    and self._registers_nothing(summary)):
                found.add(summary.path)
        return found

    def _registers_nothing(self, summary: ModuleSummary) -> bool:
        """No function of the module is a serving root or carries a decorator that registers it
        (a route, a task); a `__main__` block that runs it by hand is no registration."""
        entry = summary.extras.get(ENTRY_POINTS)
        if isinstance(entry, EntryPoints) and entry.serving:
            return False
        return all(decorator.rpartition(".")[2] in PLAIN_DECORATORS or self.serving.is_wrapper(decorator)
                   for function in summary.functions.values() for decorator in function.decorators)

    @classmethod
    def of(cls, repo: RepoContext) -> TimeoutModel:
        model = repo.shared.get(SHARED_KEY)
        if not isinstance(model, TimeoutModel):
            model = repo.shared[SHARED_KEY] = cls(repo)
        return model

    def lineage(self, cls: str) -> tuple[list[str], bool]:
        """A repository class and its repository bases, nearest first; and whether the lineage
        reaches beyond the repository to a class it does not define."""
        known = self._lineages.get(cls)
        if known is not None:
            return known
        order: list[str] = []
        outside = False
        pending = [self.index.canonical(cls)]
        while pending and len(order) <= 4 * MAX_RESOLUTION_DEPTH:
            current = pending.pop(0)
            if current in order:
                continue
            if current not in self.classes:
                outside = True
                order.append(current)
                continue
            order.append(current)
            pending.extend(self.index.canonical(base) for base in self.classes[current])
        self._lineages[cls] = known = (order, outside)
        return known

    def _derives(self, cls: str, bases: frozenset[str]) -> bool:
        return any(name in bases for name in self.lineage(cls)[0])

    def class_injects(self, cls: str) -> bool:
        """A session class that injects a default timeout into its own requests."""
        for name in self.lineage(cls)[0]:
            if name in SESSION_BASES:
                return False
            if name in self.injecting or any(self.adapter_injects(a) for a in self.class_adapters.get(name, ())):
                return True
        return False

    def adapter_injects(self, adapter: str) -> bool:
        """An adapter class of the repository whose `send` handles `timeout`."""
        for name in self.lineage(adapter)[0]:
            if name in HTTP_ADAPTERS:
                return False
            if name in self.injecting:
                return True
        return False

    def plain_session(self, made_by: str, depth: int = 0) -> bool:
        """Whether what a class or a function makes is a session without a default timeout."""
        factory = self.factories.get(self.index.canonical(made_by))
        if factory is None:
            return self._derives(made_by, SESSION_BASES) and not self.class_injects(made_by)
        cls, adapters, injected = factory
        if injected or any(self.adapter_injects(adapter) for adapter in adapters):
            return False
        return cls is None or (depth < MAX_RESOLUTION_DEPTH and self.plain_session(cls, depth + 1))

    def keeps(self, finding: Finding) -> bool:
        site = self.sites.get((finding.path, finding.code, finding.span.line, finding.span.column))
        if site is None:
            return True
        if site.socket_default and self.sets_socket_default:
            return False
        if site.session_class is not None and not self.plain_session(site.session_class):
            return False
        if any(self.adapter_injects(adapter) for adapter in site.adapters):
            return False
        if site.origin_unknown and self.injects_somewhere:
            return False
        return self.runs_while_serving(finding.path, site)

    def runs_while_serving(self, path: str, site: Site) -> bool:
        """Whether the call may run in code that serves requests or in a long-lived worker:
        not only in one-shot code, as far as the repository shows."""
        if path in self.migrations or path in self.test_support:
            return False
        if not site.functions:
            return not is_one_shot_path(path)
        for function in site.functions:
            verdict = self.serving.is_serving(function)
            if verdict is not None:
                return verdict
        # A function of a program (a script, a module run as `__main__`) that only the module's
        # own top-level code calls, or nothing at all, runs once or never.
        innermost = site.functions[0]
        return not (innermost in self.unreferenced and self.serving.runs_only_where_called(innermost)
                    and not self.serving.calls_named(innermost.rpartition(".")[2]))
