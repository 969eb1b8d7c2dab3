"""How the semantic layer joins the engine's walk: `Facts`, what one analysis learns of one file.

A rule names the analyses it reads (`Rule.requires = (FastAPIFacts,)`), as a libcst visitor names
its metadata providers. For each file, the engine makes one instance of every analysis that an enabled
rule names, adds it to the single walk ahead of the rules (so what it has seen so far is there
when a rule visits a node), and hands it to rules as `context.facts(FastAPIFacts)`. What an
analysis must carry to the repository pass it records in the module summary (`summary.extras`),
and its `repository` side builds, once per run, the model over every module (`repo.facts(...)`).

The engine names no analysis, and an analysis knows no rule: a rule of any checklist item may
read any analysis.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from reviewer.traversal import BatchedVisitor

if TYPE_CHECKING:
    from reviewer import lazy_cst as cst
    from reviewer.rule import FileContext
    from reviewer.semantics.calls import ModuleIndex
    from reviewer.summary import ModuleSummary


class RepositoryView(Protocol):
    """What a repository model is built from (the engine's `RepoContext` is one)."""

    summaries: Sequence[ModuleSummary]
    index: ModuleIndex
    distributions: Mapping[str, bool]  # directories holding a project file: whether it declares programs

    def facts(self, kind: type[Facts]) -> Any: ...


class FactsUnavailable(Exception):
    """The analysis failed on this file; rules that read it cannot judge the file."""


class Facts(BatchedVisitor):
    """Base of an analysis of one file that joins the engine's walk.

    Subclasses define `visit_*`/`leave_*` methods as a rule does (or none, computing lazily from
    `context.tree` when asked), and may override `repository` and `report_fields`. An analysis
    whose repository model reads another's (`repo.facts(OtherFacts)`) names it in `requires`, so
    that a rule requiring it alone still gets the other collected.

    An analysis that can tell from the file's text that it has nothing to find sets `active` to
    False, and joins no walk. One that carries its facts under `summary_key` in the summary's
    extras has them dropped if it fails: half-collected facts would tell the repository pass wrong
    things."""

    requires: ClassVar[tuple[type[Facts], ...]] = ()
    summary_key: ClassVar[str | None] = None

    def __init__(self, context: FileContext) -> None:
        super().__init__()
        self.context = context
        self.failure: Exception | None = None  # what the analysis raised on this file, if it did
        self.active = True  # False: the file holds nothing the analysis looks for

    def get_visitors(self) -> Mapping[str, Callable[[cst.CSTNode], None]]:
        return super().get_visitors() if self.active else {}

    def walk_failed(self, error: Exception) -> None:
        """One of the analysis's visit methods raised (the walk calls this): it stops for this file,
        and the rules that read it get `FactsUnavailable`."""
        self.fail(error)

    def fail(self, error: Exception) -> None:
        self.failure = error
        self.context.analyses[type(self)] = None
        if self.summary_key is not None:
            self.context.summary.extras.pop(self.summary_key, None)

    @classmethod
    def repository(cls, repo: RepositoryView) -> Any:
        """The analysis over the whole repository, from the facts its files recorded in their
        summaries (`repo.summaries`, `repo.index`); built once per run, when a rule's
        `check_repo` first asks for it. It may build on another analysis's model:
        `repo.facts(OtherFacts)`."""
        return None

    @classmethod
    def report_fields(cls, model: Any) -> dict[str, Any]:
        """Fields the run's reports carry when the repository model was built (the JSON report's
        `endpoints`, say), by report key."""
        return {}
