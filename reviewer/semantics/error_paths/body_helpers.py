"""Functions of any module that return an error body on every way out, for the routes of other
modules that return what they build.

`def not_found(what): return {"error": f"{what} not found"}` in `app/responses.py` builds an
error body without a status; a route that does `return responses.not_found("item")` sends it with
a 200. Within one module the error paths see such helpers themselves (`ErrorPaths.error_body_helpers`);
`ErrorBodyHelpersFacts` records, per file (with or without FastAPI imports), the module-level
functions that return such a body (`bodies.error_body` says `ERROR`) on every `return` of their own,
and, over the repository, `ErrorBodyHelpers.builds(qualified)` tells a route's callee apart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.semantics.error_paths.bodies import ERROR, error_body

if TYPE_CHECKING:
    from reviewer.facts import RepositoryView
    from reviewer.rule import FileContext

FACTS_KEY = "error-body-helpers"


class ErrorBodyHelpersFacts(Facts):
    """Records the module-level functions whose every return is an error body."""

    summary_key = FACTS_KEY

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self.active = "return" in context.source and ("error" in context.source or "success" in context.source)
        self.found: set[str] = set()
        self._functions: list[cst.FunctionDef] = []  # the functions being walked, outermost first
        self._classes = 0
        self._returns: list[cst.Return] = []  # of the module-level function being walked

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._classes += 1

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes -= 1

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node)

    def visit_Return(self, node: cst.Return) -> None:
        if len(self._functions) == 1 and not self._classes:
            self._returns.append(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._functions.pop()
        if self._functions or self._classes:
            return
        returns, self._returns = self._returns, []
        local = {name.rsplit(".", 1)[-1] for name in self.found}
        if returns and all(r.value is not None and error_body(r.value, self.context.qualify, local) == ERROR
                           for r in returns):
            module = self.context.module
            self.found.add(f"{module}.{original_node.name.value}" if module else original_node.name.value)
            self.context.summary.extras[FACTS_KEY] = self.found

    @classmethod
    def repository(cls, repo: RepositoryView) -> ErrorBodyHelpers:
        return ErrorBodyHelpers(repo)


class ErrorBodyHelpers:
    """The error-body helpers of the repository (not of its tests)."""

    def __init__(self, repo: RepositoryView) -> None:
        self.index = repo.index
        self._names = {self.index.canonical(name) for summary in repo.summaries if not summary.is_test_file
                       for name in summary.extras.get(FACTS_KEY, ())}

    def builds(self, qualified: str) -> bool:
        """Whether the function a qualified name resolves to returns an error body on every way out."""
        return bool(self._names) and self.index.canonical(qualified) in self._names
