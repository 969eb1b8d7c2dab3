"""The per-file pass: read, decode, parse once, walk once with every enabled rule.

Runs inside worker processes. Every way a file can be unreviewable becomes a `FileError` in the
result, so one bad file never stops the run.
"""

from __future__ import annotations

import ast
import re
import sys
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any

import libcst as cst
from libcst._nodes.base import CSTNode

from reviewer.discovery import is_test_path
from reviewer.facts import Facts
from reviewer.model import ErrorKind, FileError, FileResult
from reviewer.packages import path_module_name
from reviewer.rule import FileContext, Rule
from reviewer.semantics.names import ImportTable, NameResolver
from reviewer.source_text import count_lines, decode, suppressions_in
from reviewer.summary import ModuleSummary, SummaryBuilder
from reviewer.traversal import visit_batched

# libcst's native parser crashes the process on deep nesting instead of raising (CPython itself
# refuses more than 200 nested brackets), and parses long operator chains (`a + b + c ...`) in
# quadratic time before crashing at a few thousand operands; long chains of calls, subscripts
# and attributes (`q.filter(a).filter(b)...`) cost it more than quadratic time too. Real code is far below both
# bounds, so files past them are refused with an error instead of reaching the parser.
MAX_NESTING = 200
MAX_OPERATOR_CHAIN = 1000

_ERROR_AT = re.compile(r"error at (\d+):\d+")
_OPERATORS = frozenset("+-*/%|&^@<>~")


def _string_end(text: str, start: int) -> int:
    """Index just past the string literal opening at `start` (or the end of the text)."""
    quote = text[start]
    delimiter = quote * 3 if text.startswith(quote * 3, start) else quote
    index = start + len(delimiter)
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if text.startswith(delimiter, index):
            return index + len(delimiter)
        if char == "\n" and len(delimiter) == 1:
            return index
        index += 1
    return index


# What the shape scan stops at; everything else (names, numbers, spaces) it passes over in one step.
_SIGNIFICANT = re.compile(r"""["'#()\[\]{},;:\n+\-*/%|&^@<>~.]""")


def code_shape(text: str) -> tuple[int, int]:
    """(deepest bracket nesting, longest chain in one expression), on raw text with strings and
    comments skipped. A chain is a run of operators, attribute accesses (`.name`) and calls or
    subscripts of what precedes them (`f(x)`, `q.filter(a).filter(b)`, `a[0][1]`): the parser's
    time grows faster than linearly in each. Commas and brackets end a run, so a long list of
    negative numbers is not a chain. A cheap scan, not a tokenizer: it only has to bound the
    parser's work."""
    depth = deepest = longest = 0
    runs = [0]
    # The last character outside strings, comments and whitespace, as of `settled`: the names and
    # spaces after it are read only where a bracket asks what precedes it.
    last, settled = "", 0
    index, size = 0, len(text)
    while (match := _SIGNIFICANT.search(text, index)) is not None:
        index = match.start()
        char = text[index]
        if char in "\"'":
            index = settled = _string_end(text, index)
            last = char
            continue
        if char in "#([{":
            skipped = text[settled:index].rstrip()
            last = skipped[-1] if skipped else last
        if char == "#":
            newline = text.find("\n", index)
            index = settled = size if newline < 0 else newline
            continue
        if char in "([{":
            if char != "{" and (last in ")]" or last.isalnum() or last == "_"):
                runs[-1] += 1
                longest = max(longest, runs[-1])
            depth += 1
            deepest = max(deepest, depth)
            runs.append(0)
        elif char in ")]}":
            if len(runs) > 1:
                depth -= 1
                runs.pop()
        elif char in ",;:" or (char == "\n" and depth == 0):
            runs[-1] = 0
        elif char in _OPERATORS or (char == "." and _starts_name(text, index + 1)):
            runs[-1] += 1
            longest = max(longest, runs[-1])
        if char != "\n":
            last, settled = char, index + 1
        index += 1
    return deepest, longest


def _starts_name(text: str, index: int) -> bool:
    return index < len(text) and (text[index].isalpha() or text[index] == "_")


def _may_be_too_deep(text: str) -> bool:
    """Whether `code_shape` could find too much: no deeper nesting than there are opening
    brackets, no longer chain than there are operator characters, dots and brackets. Counting is
    a fast scan that clears many files; the character-by-character one is left for the rest."""
    brackets = sum(text.count(bracket) for bracket in "([{")
    return (
        brackets > MAX_NESTING
        or brackets + text.count(".") + sum(text.count(operator) for operator in _OPERATORS) > MAX_OPERATOR_CHAIN
    )


_VALIDATE = CSTNode.__post_init__

def _is_statement_type(kind: type) -> bool:
    return issubclass(kind, cst.BaseStatement)


class _StatementTracker:
    """Keeps the statements being walked, so a finding knows its statement's lines; as the walk's
    `after_leave` hook it also ends the resolver's function scopes (a function is a statement),
    after every visitor has left the function. The walk calls it for statements only."""

    def __init__(self, resolver: NameResolver) -> None:
        self.stack: list[cst.CSTNode] = []
        self.resolver = resolver

    def before_visit(self, node: cst.CSTNode) -> None:
        self.stack.append(node)

    def after_leave(self, node: cst.CSTNode) -> None:
        self.stack.pop()
        self.resolver.after_leave(node)


def _with_metadata(tree: cst.Module, instances: list[Rule], result: FileResult) -> list[Rule]:
    """Resolves the libcst metadata that rules declare (none of the built-in ones does) and hands
    each rule what it asked for; a rule whose metadata cannot be resolved sits this file out."""
    wanting = [rule for rule in instances if rule.metadata_dependencies()]
    if not wanting:
        return instances
    wrapper = cst.MetadataWrapper(tree, unsafe_skip_copy=True)
    resolved: dict[type, Any] = {}
    failed: dict[type, Exception] = {}
    for provider in sorted(frozenset().union(*(r.metadata_dependencies() for r in wanting)), key=repr):
        try:
            resolved[provider] = wrapper.resolve(provider)
        except Exception as error:  # noqa: BLE001 - a provider's failure costs the rules that need it
            failed[provider] = error
    kept = []
    for rule in instances:
        missing = [failed[p] for p in rule.metadata_dependencies() if p in failed]
        if missing:
            result.errors.append(
                FileError(
                    result.path,
                    ErrorKind.INTERNAL,
                    f"{rule.code} ({rule.name}) was not run: its libcst metadata could not be resolved: {missing[0]!r}",
                )
            )
            continue
        rule.metadata = {provider: resolved[provider] for provider in rule.metadata_dependencies()}
        kept.append(rule)
    return kept


def required_analyses(kinds: Iterable[type[Facts]]) -> list[type[Facts]]:
    """The analyses `kinds` name and those they require in turn, each once, a required one first."""
    ordered: dict[type[Facts], None] = {}

    def add(kind: type[Facts], seen: frozenset[type[Facts]]) -> None:
        if kind in ordered or kind in seen:
            return
        for needed in kind.requires:
            add(needed, seen | {kind})
        ordered[kind] = None

    for kind in kinds:
        add(kind, frozenset())
    return list(ordered)


def _start_analyses(context: FileContext, rules: Sequence[type[Rule]], result: FileResult) -> list[Facts]:
    """One instance of every analysis the rules require (`Rule.requires`), in the order required."""
    started: list[Facts] = []
    for kind in required_analyses(kind for rule in rules for kind in rule.requires):
        try:
            analysis = kind(context)
        except Exception as error:  # noqa: BLE001 - an analysis bug costs the rules that read it
            context.analyses[kind] = None
            message = f"{kind.__name__} failed to start: {error!r}"
            result.errors.append(FileError(result.path, ErrorKind.INTERNAL, message))
            continue
        context.analyses[kind] = analysis
        started.append(analysis)
    return started


def _skip_validation(node: cst.CSTNode) -> None:
    return None


def _python_accepts(text: str) -> bool:
    """Whether the running Python parses `text` (compiled, never run): a file the parser rejects
    is then the parser's limit, not the user's syntax error. Asked only after the parser failed."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def parse_unvalidated(text: str) -> cst.Module:
    """`libcst.parse_module` without libcst's check of every node the parser builds.

    libcst validates each node in `CSTNode.__post_init__`, which the native parser calls for every
    node it makes; a parsed tree is valid by construction (libcst's own comment there says the
    check is wasted on parsing), and it was 15% of the parse. Only the parse skips it: nodes
    made afterwards are checked as usual.
    """
    CSTNode.__post_init__ = _skip_validation
    try:
        return cst.parse_module(text)
    finally:
        CSTNode.__post_init__ = _VALIDATE


def analyze(
    path: str,
    data: bytes,
    rules: Sequence[type[Rule]],
    options: Mapping[str, Mapping[str, Any]],
    module: str | None = None,
    is_test: bool | None = None,
) -> FileResult:
    """Review one file's bytes. `path` is relative to the scan root, with `/` separators;
    `module` is the file's dotted module name (`reviewer.packages`; from `path` when not given);
    `is_test` whether it is test code (`reviewer.discovery.is_test_path`; from `path` when not
    given)."""
    result = FileResult(path=path)
    text, error = decode(path, data)
    if error is not None:
        result.errors.append(error)
        return result
    assert text is not None
    result.lines = count_lines(text)
    depth, chain = code_shape(text) if _may_be_too_deep(text) else (0, 0)
    if depth > MAX_NESTING:
        result.errors.append(
            FileError(path, ErrorKind.TOO_DEEP, f"brackets nest {depth} deep (Python allows {MAX_NESTING})")
        )
        return result
    if chain > MAX_OPERATOR_CHAIN:
        result.errors.append(
            FileError(
                path,
                ErrorKind.TOO_DEEP,
                f"an expression chains {chain} operators, calls or attribute accesses "
                f"(the parser takes at most {MAX_OPERATOR_CHAIN})",
            )
        )
        return result
    try:
        tree = parse_unvalidated(text)
    except cst.ParserSyntaxError as error:
        message = error.message.splitlines()[-1] if error.message else str(error)
        # The message's own "error at LINE:COL" is right where `editor_line` can be one past it.
        located = _ERROR_AT.search(message)
        line = int(located.group(1)) if located else error.editor_line
        if _python_accepts(text):
            result.errors.append(
                FileError(
                    path,
                    ErrorKind.UNSUPPORTED,
                    f"not supported by the parser, though Python {sys.version_info.major}.{sys.version_info.minor} "
                    f"accepts it: {message}",
                    line,
                )
            )
        else:
            result.errors.append(FileError(path, ErrorKind.SYNTAX, message, line))
        return result
    except RecursionError:
        result.errors.append(FileError(path, ErrorKind.TOO_DEEP, "too deeply nested for the parser"))
        return result
    walk(result, text, tree, rules, options, module, is_test)
    return result


def walk(
    result: FileResult,
    text: str,
    tree: cst.Module,
    rules: Sequence[type[Rule]],
    options: Mapping[str, Mapping[str, Any]],
    module: str | None = None,
    is_test: bool | None = None,
) -> None:
    path = result.path
    is_package = PurePosixPath(path).name == "__init__.py"
    if module is None:
        module = path_module_name(path)
    table = ImportTable.of(tree, module, is_package)
    if is_test is None:
        is_test = is_test_path(path)
    summary = ModuleSummary(path=path, module=module, is_test_file=is_test, imports=table)
    resolver = NameResolver(table)
    tracker = _StatementTracker(resolver)
    context = FileContext(
        path=path,
        source=text,
        tree=tree,
        resolver=resolver,
        summary=summary,
        is_test_file=summary.is_test_file,
        statements=tracker.stack,
    )
    builder = SummaryBuilder(summary, resolver, context)
    instances: list[Rule] = []
    for rule_class in rules:
        if rule_class.prefilter_packages and not any(name in text for name in rule_class.prefilter_packages):
            if rule_class.always_applicable:
                context.applicable.add(rule_class.checklist)
            continue
        try:
            rule = rule_class(context, options.get(rule_class.code, {}))
        except Exception as error:  # noqa: BLE001 - a rule bug is reported, not fatal
            result.errors.append(
                FileError(path, ErrorKind.INTERNAL, f"{rule_class.code} ({rule_class.name}) failed to start: {error!r}")
            )
            continue
        instances.append(rule)
    instances = _with_metadata(tree, instances, result)
    # Every enabled rule's analyses run, also where its prefilter skips the rule: its repository
    # pass reads them over every file (the routes and CLIs of modules that never import `requests`).
    analyses = _start_analyses(context, rules, result)
    try:
        visit_batched(
            tree,
            [resolver, builder, *analyses, *instances],
            before_visit=tracker.before_visit,
            after_leave=tracker.after_leave,
            hooked=_is_statement_type,
        )
    except RecursionError:
        result.errors.append(FileError(path, ErrorKind.TOO_DEEP, "too deeply nested to walk"))
        _release(context, resolver, builder, tracker, *analyses, *instances)
        return
    for analysis in analyses:
        if analysis.failure is not None:
            result.errors.append(
                FileError(path, ErrorKind.INTERNAL, f"{type(analysis).__name__} failed: {analysis.failure!r}")
            )
    for rule in instances:
        if rule.crash is not None:
            result.errors.append(FileError(path, ErrorKind.INTERNAL, f"rule crashed: {rule.crash}"))
            continue
        result.findings.extend(rule.findings)
        if rule.always_applicable:
            context.applicable.add(rule.checklist)
    result.applicable = context.applicable
    result.summary = summary
    result.suppressions = suppressions_in(text)
    _release(context, resolver, builder, tracker, *analyses, *instances)


def _release(*done: object) -> None:
    """Let go of what a file's walk made. The rules, the analyses and the file's context refer to
    one another (a rule to the context, the context to its analyses), so without this the file's
    tree waits for the cycle collector, which the per-file pass runs after every file and which
    then traverses every node of it; emptied, most of it goes when the last reference does."""
    for part in done:
        state = getattr(part, "__dict__", None)
        if state is not None:
            state.clear()
