"""`ResponseFacts`: the per-file walk that records, as plain `ModuleResponses` in the module summary,
what each function returns (read by `Reader`), its return annotation, writes of computed values to
credential-like fields, and the annotated fields of every class. Its repository answer is the
`ResponseModel`.
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, ClassVar

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.semantics.fastapi.annotations import type_ref
from reviewer.semantics.fastapi.collector import ROUTING_TEXT, FastAPIFacts
from reviewer.semantics.fastapi.responses.model import ResponseModel
from reviewer.semantics.fastapi.responses.reader import FunctionState, Reader
from reviewer.semantics.fastapi.responses.records import FACTS_KEY, ModuleResponses
from reviewer.semantics.fastapi.responses.schemas import response_schema
from reviewer.semantics.orm import OrmFacts
from reviewer.syntax import string_value
from reviewer.traversal import descendants

if TYPE_CHECKING:
    from reviewer.facts import RepositoryView
    from reviewer.rule import FileContext

_ACTIVE_TEXT = re.compile(
    r"fastapi|pydantic|sqlalchemy|sqlmodel|passlib|bcrypt|argon2|pwdlib|hashlib|secrets|cryptography|encrypt")
# Field names a credential write is recorded for (the decision still needs a producing call).
_CREDENTIAL_WORDS = re.compile(r"pass|hash|secret|token|key|cred|salt|otp|pin|cipher|encrypt|digest", re.IGNORECASE)
SECRET_TYPES = frozenset({
    "pydantic.SecretStr", "pydantic.SecretBytes", "pydantic.types.SecretStr", "pydantic.types.SecretBytes",
    "pydantic.v1.SecretStr",
})


@functools.lru_cache(maxsize=8192)
def _credential_word(name: str) -> bool:
    """Whether a field name may hold a credential (asked once per name: code repeats its names)."""
    return bool(_CREDENTIAL_WORDS.search(name))


class ResponseFacts(Facts):
    """Records what functions return, credential writes and class fields (see the package doc)."""

    requires: ClassVar[tuple[type[Facts], ...]] = (FastAPIFacts, OrmFacts)

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self.active = bool(_ACTIVE_TEXT.search(context.source))
        self._mentions_secret_types = "Secret" in context.source
        # The FastAPI model records return annotations of modules with routing code itself.
        self._annotated_elsewhere = bool(ROUTING_TEXT.search(context.source))
        self.module = ModuleResponses()
        self._functions: list[FunctionState] = []
        self._scope: list[str] = []
        if self.active:
            context.summary.extras[FACTS_KEY] = self.module

    def qualify(self, node: cst.BaseExpression) -> str | None:
        return self.context.qualify(node)

    def _qualname(self, name: str) -> str:
        return ".".join(p for p in (self.context.module, *self._scope, name) if p)

    # classes and functions --------------------------------------------------------------------

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        qualname = self._qualname(node.name.value)
        if isinstance(node.body, cst.IndentedBlock):
            names = []
            for statement in node.body.body:
                if isinstance(statement, cst.SimpleStatementLine):
                    for small in statement.body:
                        if (isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name)
                                and not self._masked(small.annotation.annotation)):
                            names.append(small.target.value)
            if names:
                self.module.fields[qualname] = tuple(names)
        self._scope.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._scope.pop()

    def _masked(self, annotation: cst.BaseExpression) -> bool:
        """A field Pydantic serialises masked (`SecretStr`, `SecretStr | None`)."""
        return self._mentions_secret_types and any(
            isinstance(node, (cst.Name, cst.Attribute)) and self.qualify(node) in SECRET_TYPES
            for node in descendants(annotation))

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        qualname = self._qualname(node.name.value)
        params = {p.name.value for p in (*node.params.posonly_params, *node.params.params, *node.params.kwonly_params)}
        self._functions.append(FunctionState(qualname, params))
        if node.returns is not None and not self._annotated_elsewhere:
            self.module.annotations[qualname] = type_ref(node.returns.annotation, self.qualify)
        self._scope.append(node.name.value)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        state = self._functions.pop()
        self.module.functions.add(state.qualname)
        self._scope.pop()
        reader = Reader(state, self.qualify)
        per_value = [reader.shapes(value, 0) for value in state.returned]
        shapes = [shape for found in per_value for shape in found]
        if shapes:
            self.module.returns[state.qualname] = tuple(dict.fromkeys(shapes))
        callees = tuple(dict.fromkeys(c for value in state.returned for c in reader.callees(value, 0)))
        if callees:
            self.module.return_calls[state.qualname] = callees
        if state.returned:
            self.module.return_kinds[state.qualname] = tuple(dict.fromkeys(
                reader.return_kind(value, 0, found) for value, found in zip(state.returned, per_value, strict=True)))
        for cls, name, value in state.writes:
            found = tuple(dict.fromkeys(reader.callees(value, 0)))
            if found:
                self.module.writes.append((cls, name, found))

    # statements -------------------------------------------------------------------------------

    def visit_Return(self, node: cst.Return) -> None:
        value = node.value
        if self._functions and value is not None and not (isinstance(value, cst.Name) and value.value == "None"):
            self._functions[-1].returned.append(value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._assign(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._assign(node.target, node.value)

    def _assign(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if not self._functions:
            return
        state = self._functions[-1]
        if isinstance(target, cst.Name):
            state.locals.setdefault(target.value, []).append(value)
        elif isinstance(target, cst.Attribute) and _credential_word(target.attr.value):
            state.writes.append((None, target.attr.value, value))

    def visit_Call(self, node: cst.Call) -> None:
        if not self._functions:
            return
        made: str | None = ""
        for arg in node.args:
            if arg.keyword is not None and _credential_word(arg.keyword.value):
                if made == "":
                    made = self.qualify(node.func) if isinstance(node.func, (cst.Name, cst.Attribute)) else None
                self._functions[-1].writes.append((made, arg.keyword.value, arg.value))

    def visit_DictElement(self, node: cst.DictElement) -> None:
        if self._functions:
            key = string_value(node.key)
            if key and _credential_word(key):
                self._functions[-1].writes.append((None, key, node.value))

    @classmethod
    def repository(cls, repo: RepositoryView) -> ResponseModel:
        modules = [s.extras[FACTS_KEY] for s in repo.summaries
                   if isinstance(s.extras.get(FACTS_KEY), ModuleResponses) and not s.is_test_file]
        model = ResponseModel(modules, repo)
        index = repo.facts(FastAPIFacts)
        index.annotate("response_model", lambda endpoint: response_schema(index, endpoint))
        return model
