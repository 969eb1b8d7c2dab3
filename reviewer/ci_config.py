"""What the project's CI does, read from its GitHub Actions workflows (`.github/workflows/*.yml`).

Rule-agnostic: it answers "which steps run a type checker, and does a failure of theirs fail the
build?". A step runs one when its `run:` invokes mypy or pyright (directly, `python -m`, through
`uv run`, `poetry run`, `pdm run`, `pipenv run`, `hatch run`, `rye run`, `npx`, or `pre-commit run`
/ `prek run` with such a hook), or it `uses:` an action named for one (`jakebailey/pyright-action`,
`pre-commit/action` with such a hook). Task runners (`make typecheck`, `task lint`, `tox -e`)
are not followed.

A step does not block when it or its job has `continue-on-error: true` (unless a later step of the
job fails on its `steps.<id>.outcome`), when the command's failure is swallowed (`|| true`,
`|| echo ...`), or when it is piped into another command under GitHub's default shell, which has
no `pipefail`. Workflows are untrusted input: read size-limited with YAML's safe loader, and one
that does not parse, or has an unexpected shape, is ignored.
"""

from __future__ import annotations

import functools
import os
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewer.source_text import read_regular_file

MAX_WORKFLOW_BYTES = 512 * 1024
MAX_STEPS = 5000  # steps read in one workflow
MAX_LATER_STEPS = 100  # steps after a non-blocking one searched for a step that fails on its outcome

MYPY = frozenset({"mypy", "dmypy"})
PYRIGHT = frozenset({"pyright", "basedpyright"})
_RUNNERS = frozenset({"uv", "poetry", "pdm", "pipenv", "hatch", "rye", "uvx", "pipx", "npx", "pnpx", "bunx"})
_VALUE_OPTIONS = frozenset({
    "--with", "--python", "-p", "--group", "--extra", "--package", "--env-file", "--directory", "--project",
    "--from", "--index", "--env", "-e",
})
_PRE_COMMIT_VALUE_OPTIONS = frozenset({
    "-c", "--config", "--from-ref", "--to-ref", "--source", "--origin", "-s", "-o", "--hook-stage",
    "--remote-branch", "--local-branch", "--remote-name", "--remote-url", "--commit-msg-filename",
})
_PYTHON = re.compile(r"^python(\d+(\.\d+)?)?$")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_FAILS = re.compile(r"^\s*(exit\s+[1-9]\d*|false)\s*$")


@dataclass(frozen=True)
class TypeCheckStep:
    tool: str  # mypy or pyright
    workflow: str  # the workflow file, from the repository's top: .github/workflows/ci.yml
    blocking: bool
    how: str = ""  # why a failure does not fail the build: "continue-on-error", "`|| true`"
    # Where and how it runs, when the command says (paths from the repository's top, `/`-separated;
    # '' for the top): its working directory, the configuration file it names, the paths it checks.
    directory: str = ""
    config: str = ""
    targets: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Invocation:
    tool: str
    arguments: tuple[str, ...] = ()
    directory: str = ""  # relative to the top


# Options of mypy and pyright that take a value as the next word.
_CHECKER_VALUE_OPTIONS = frozenset({
    "--config-file", "--cache-dir", "--python-version", "--python-executable", "--platform", "--exclude", "-n",
    "--num-workers", "--always-true", "--always-false", "--enable-error-code", "--disable-error-code",
    "--junit-xml", "--junit-format", "--shadow-file", "--custom-typeshed-dir", "--package-root", "--cache-map",
    "--untyped-calls-exclude", "--deprecated-calls-exclude", "--enable-incomplete-feature", "--output", "-O",
    "--find-occurrences", "-p", "--project", "--pythonpath", "--pythonversion", "--pythonplatform", "--level",
    "--venvpath", "-t", "--typeshedpath", "--threads", "--verifytypes",
})
_MODULE_OPTIONS = frozenset({"-m", "--module", "--package", "-c", "--command"})


def type_check_steps(top: Path) -> list[TypeCheckStep]:
    """Every workflow step under `top` that runs a type checker, in file order."""
    directory = top / ".github" / "workflows"
    if directory.is_symlink() or not directory.is_dir():
        return []
    try:
        paths = sorted(p for p in directory.iterdir() if p.suffix in (".yml", ".yaml"))
    except OSError:
        return []
    found: list[TypeCheckStep] = []
    _read.cache_clear()
    for path in paths:
        data = _load_yaml(path)
        if isinstance(data, dict):
            found.extend(_workflow(data, f".github/workflows/{path.name}", top))
    return found


def _load_yaml(path: Path) -> Any:
    try:
        import yaml
    except ImportError:
        return None
    try:
        text = read_regular_file(path, MAX_WORKFLOW_BYTES).decode("utf-8")
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        return yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError, ValueError, TypeError):
        return None


@functools.lru_cache(maxsize=16)
def _read(path: Path) -> Any:
    """A pre-commit configuration, read once however many steps run pre-commit."""
    return _load_yaml(path)


def _true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _mapping(value: Any) -> dict[Any, Any]:
    return value if isinstance(value, dict) else {}


def _workflow(data: dict[Any, Any], name: str, top: Path) -> Iterator[TypeCheckStep]:
    seen = 0
    workflow_shell = _mapping(_mapping(data.get("defaults")).get("run")).get("shell")
    for job in _mapping(data.get("jobs")).values():
        if not isinstance(job, dict) or not isinstance(job.get("steps"), list):
            continue
        job_run = _mapping(_mapping(job.get("defaults")).get("run"))
        steps = [step for step in job["steps"] if isinstance(step, dict)]
        for index, step in enumerate(steps):
            seen += 1
            if seen > MAX_STEPS:
                return
            shell = step.get("shell") or job_run.get("shell") or workflow_shell
            directory = step.get("working-directory") or job_run.get("working-directory")
            base = _joined("", directory) if isinstance(directory, str) else ""
            found = _step_checker(step, shell, base, top)
            if found is None:
                continue
            invocation, how = found
            if _true(step.get("continue-on-error")) or _true(job.get("continue-on-error")):
                step_id = step.get("id")
                if not (isinstance(step_id, str) and _fails_later(step_id, steps[index + 1 :])):
                    how = how or "continue-on-error"
            config, targets = _arguments(invocation)
            yield TypeCheckStep(
                invocation.tool, name, blocking=not how, how=how, directory=invocation.directory,
                config=config, targets=targets,
            )


def _joined(directory: str, path: str) -> str:
    """`path` (relative, or `./x`) from `directory`, both from the top; '..' past the top stays out."""
    parts = [part for part in directory.split("/") if part]
    for part in path.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return "/".join(parts)


def _arguments(invocation: _Invocation) -> tuple[str, tuple[str, ...]]:
    """The configuration file and the paths a checker's command line names (from the top);
    no paths when it checks modules or packages (`-p`, `-m`) or takes pre-commit's file list."""
    config = ""
    targets: list[str] = []
    words = list(invocation.arguments)
    index = 0
    while index < len(words):
        word = words[index]
        option, equals, value = word.partition("=")
        if option in ("--config-file", "--project", "-p") and (equals or index + 1 < len(words)):
            given = value if equals else words[index + 1]
            if option != "--config-file" and invocation.tool == "mypy":
                return config, ()  # mypy's -p is a package
            config = _joined(invocation.directory, given)
        elif option in _MODULE_OPTIONS:
            return config, ()
        if word.startswith("-"):
            index += 2 if option in _CHECKER_VALUE_OPTIONS and not equals else 1
            continue
        if "$" not in word and "*" not in word:
            targets.append(_joined(invocation.directory, word))
        index += 1
    return config, tuple(targets)


def _fails_later(step_id: str, later: list[dict[Any, Any]]) -> bool:
    """A later step fails the job when this one failed (`if: steps.ID.outcome == 'failure'`)."""
    for step in later[:MAX_LATER_STEPS]:
        condition, run = step.get("if"), step.get("run")
        if isinstance(condition, str) and f"steps.{step_id}.outcome" in condition and isinstance(run, str):
            if _FAILS.match(run):
                return True
    return False


def _step_checker(step: dict[Any, Any], shell: Any, directory: str, top: Path) -> tuple[_Invocation, str] | None:
    """(what runs, how its failure is lost or '') for a step that runs a type checker."""
    uses = step.get("uses")
    if isinstance(uses, str):
        action = uses.split("@", 1)[0].lower()
        last = action.rstrip("/").rsplit("/", 1)[-1]
        if "pyright" in last:
            return _Invocation("pyright", directory=directory), ""
        if "mypy" in last:
            return _Invocation("mypy", directory=directory), ""
        if action == "pre-commit/action":
            arguments = _mapping(step.get("with")).get("extra_args")
            words = ["pre-commit", "run", *_split(arguments)] if isinstance(arguments, str) else ["pre-commit", "run"]
            found = _pre_commit_checker(words, directory, top)
            return (found, "") if found else None
    run = step.get("run")
    if not isinstance(run, str):
        return None
    pipefail = (isinstance(shell, str) and shell.strip().split()[0] == "bash") or "pipefail" in run
    return _script_checker(run, pipefail, directory, top)


def _split(text: str) -> list[str]:
    try:
        return shlex.split(text, comments=True)
    except ValueError:
        return text.split()


def _commands(script: str) -> Iterator[tuple[list[str], str]]:
    """Each simple command of a shell script with the operator after it ('' at a line's end)."""
    for line in script.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
        lexer.whitespace_split = True
        try:
            tokens = list(lexer)
        except ValueError:
            tokens = line.split()
        words: list[str] = []
        for token in tokens:
            if token in ("&&", "||", "|", ";", "&", ";;", "|&"):
                yield words, token
                words = []
            else:
                words.append(token)
        yield words, ""


def _script_checker(script: str, pipefail: bool, directory: str, top: Path) -> tuple[_Invocation, str] | None:
    commands = list(_commands(script))
    for index, (words, operator) in enumerate(commands):
        if len(words) == 2 and words[0] == "cd":
            directory = _joined(directory, words[1])
            continue
        tool = _invoked(words, directory, top)
        if tool is None:
            continue
        how = ""
        if operator == "||":
            rest = " ".join(commands[index + 1][0]) if index + 1 < len(commands) else ""
            if not _FAILS.match(rest):
                how = f"`|| {rest}`" if rest else "`||`"
        elif operator in ("|", "|&") and not pipefail:
            how = "its exit status lost in a pipe (the default shell has no pipefail)"
        return tool, how
    return None


def _invoked(words: list[str], directory: str, top: Path, nested: bool = False) -> _Invocation | None:
    """The type checker this simple command runs, if it runs one (`nested`: a pre-commit hook's entry)."""
    index = 0
    while index < len(words):
        if _ASSIGNMENT.match(words[index]):
            index += 1
            continue
        word = os.path.basename(words[index])
        following = words[index + 1] if index + 1 < len(words) else ""
        if word in MYPY or word in PYRIGHT:
            arguments = words[index + 1 :]
            if word == "dmypy":
                arguments = arguments[arguments.index("--") + 1 :] if "--" in arguments else []
            return _Invocation("mypy" if word in MYPY else "pyright", tuple(arguments), directory)
        if word in ("pre-commit", "prek") and following == "run":
            if nested:
                return None
            return _pre_commit_checker(words[index:], directory, top)
        if _PYTHON.match(word) and following == "-m":
            module = words[index + 2] if index + 2 < len(words) else ""
            if module not in MYPY and module not in PYRIGHT:
                return None
            return _Invocation("mypy" if module in MYPY else "pyright", tuple(words[index + 3 :]), directory)
        if word in _RUNNERS or word in ("time", "exec", "env"):
            index += 2 if following in ("run", "exec", "x") else 1
            while index < len(words) and words[index].startswith("-"):
                takes_value = words[index] in _VALUE_OPTIONS
                index += 2 if takes_value else 1
            continue
        return None
    return None


def _pre_commit_checker(words: list[str], directory: str, top: Path) -> _Invocation | None:
    """The type checker a `pre-commit run [HOOK]` runs: the hook named, or among every hook of
    the configuration it reads."""
    hooks: list[str] = []
    config = ".pre-commit-config.yaml"
    index = 2
    while index < len(words):
        word = words[index]
        if word == "--files":
            break
        if word in _PRE_COMMIT_VALUE_OPTIONS:
            if word in ("-c", "--config") and index + 1 < len(words):
                config = words[index + 1]
            index += 2
            continue
        if word.startswith("--config="):
            config = word.split("=", 1)[1]
        elif not word.startswith("-"):
            hooks.append(word)
        index += 1
    path = (top / _joined(directory, config)).resolve()
    data = _read(path) if path == top.resolve() or top.resolve() in path.parents else None
    for repo in data.get("repos", []) if isinstance(data, dict) else []:
        for hook in _mapping(repo).get("hooks", []) or []:
            hook = _mapping(hook)
            stages = hook.get("stages")
            if isinstance(stages, list) and stages and all(stage == "manual" for stage in stages):
                continue
            hook_id, entry, arguments = hook.get("id"), hook.get("entry"), hook.get("args")
            if hooks and hook_id not in hooks:
                continue
            extra = tuple(str(a) for a in arguments) if isinstance(arguments, list) else ()
            # pre-commit runs every hook at the repository's top, whatever the working directory.
            if isinstance(entry, str):
                found = _invoked(_split(entry), "", top, nested=True)
                if found:
                    # pre-commit appends the files it selected unless `pass_filenames: false`.
                    listed = hook.get("pass_filenames") is False
                    return _Invocation(found.tool, found.arguments + extra if listed else ())
            if hook_id in MYPY or hook_id in PYRIGHT:
                return _Invocation("mypy" if hook_id in MYPY else "pyright")
    for hook in hooks:  # a hook named on the command line, its configuration unread
        if "mypy" in hook or "pyright" in hook:
            return _Invocation("mypy" if "mypy" in hook else "pyright")
    return None
