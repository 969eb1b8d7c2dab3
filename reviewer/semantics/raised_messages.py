"""The messages an application writes into the exceptions it raises.

`raise NotFoundError(f"Attachment {attachment_id} not found")` says "attachment … not found": code
that later finds the phrase "not found" in a caught exception's text recognises a message of the
application's own, where a phrase no `raise` of the application writes ("duplicate key value")
can only be recognised in a library's or a driver's text. Per file, `RaisedMessagesFacts` keeps
the literal parts of what each `raise` passes its exception (lowercased); over the repository,
`RaisedMessages.writes(phrase)` tells whether a message of the application (not of its tests)
holds the phrase.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from reviewer import lazy_cst as cst
from reviewer.facts import Facts

if TYPE_CHECKING:
    from reviewer.facts import RepositoryView
    from reviewer.rule import FileContext

FACTS_KEY = "raised-messages"
_MESSAGE_KEYWORDS = frozenset({"message", "msg", "detail", "reason", "description"})


class RaisedMessagesFacts(Facts):
    """Records the literal text of what each `raise` of the file passes its exception."""

    summary_key = FACTS_KEY

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self.active = "raise" in context.source
        self.texts: list[str] = []

    def visit_Raise(self, node: cst.Raise) -> None:
        call = node.exc
        if not isinstance(call, cst.Call):
            return
        for arg in call.args:
            if arg.keyword is None or arg.keyword.value in _MESSAGE_KEYWORDS:
                self.texts.extend(part.lower() for part in _literal_parts(arg.value))

    def leave_Module(self, original_node: cst.Module) -> None:
        if self.texts:
            self.context.summary.extras[FACTS_KEY] = self.texts

    @classmethod
    def repository(cls, repo: RepositoryView) -> RaisedMessages:
        return RaisedMessages(summary.extras[FACTS_KEY] for summary in repo.summaries
                              if not summary.is_test_file and FACTS_KEY in summary.extras)


def _literal_parts(node: cst.BaseExpression) -> Iterator[str]:
    """The literal text of a string expression: a string, the parts of an f-string or of a
    concatenation, the format string of `"...".format(...)`."""
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        if isinstance(value, str):
            yield value
    elif isinstance(node, cst.FormattedString):
        yield from (part.value for part in node.parts if isinstance(part, cst.FormattedStringText))
    elif isinstance(node, cst.ConcatenatedString):
        yield from _literal_parts(node.left)
        yield from _literal_parts(node.right)
    elif isinstance(node, cst.BinaryOperation):
        yield from _literal_parts(node.left)
        yield from _literal_parts(node.right)
    elif isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and node.func.attr.value == "format":
        yield from _literal_parts(node.func.value)


class RaisedMessages:
    """The application's raised messages, over the repository."""

    def __init__(self, modules: Iterable[list[str]]) -> None:
        self._text = "\n".join(text for texts in modules for text in texts)

    def writes(self, phrase: str) -> bool:
        """Whether a message the application raises holds `phrase` (in any case)."""
        return phrase.lower() in self._text
