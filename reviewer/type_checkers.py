"""The type checker companion: mypy or pyright decides `type-checked`.

`--companion mypy`, `--companion pyright`, or `--companion types` (the project's type checker:
pyright when the project configures pyright and not mypy, or configures neither and its CI runs
only pyright; mypy otherwise). It runs in the directory of the project's type checker
configuration (the nearest at or above the reviewed files, up to the repository's top; when there
is none, the one a CI step names with `--config-file`, run from that step's directory; else the
reviewed directory). It checks what a CI step of it names (`mypy app tests`), among the reviewed
files; else what the configuration names (mypy's `files`, `packages` or `modules`); else the
reviewed files, less the configuration's `exclude`: what the project's own run checks. The item
is `warn` with the count of errors, or `pass`, and never `pass` when the only CI steps that
type-check cannot fail the build (`reviewer.ci_config`).

mypy runs through `reviewer._mypy_launcher` under `python -I`, which refuses plugins and settings
that would run or write something of the repository's choosing; its cache goes to the reviewer's
user cache directory, never into the reviewed tree. pyright (a Node program) runs from its
installed executable with `--outputjson`, with a `PATH` of trusted entries only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from reviewer.ci_config import TypeCheckStep, type_check_steps
from reviewer.packages import project_root

TYPE_CHECKERS = ("mypy", "pyright", "types")  # `types`: the one the project uses
ENGINE = "types"  # the key of the `type-checked` item's result
LAUNCHER = Path(__file__).with_name("_mypy_launcher.py")
_SETUP_CFG_MYPY = re.compile(r"^\s*\[mypy(-[^\]]*)?\]\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Launch:
    """A companion process to start, and how to read what it printed."""

    command: list[str]
    cwd: Path
    parse: Callable[[bytes, bytes], Counted]
    env: dict[str, str] | None = None


@dataclass
class Plan:
    """What `type-checked` will be decided by: a process to start, or a result already known."""

    tool: str
    launch: Launch | None = None
    status: str = ""  # why nothing is launched
    remarks: list[str] = field(default_factory=list)  # what CI does, said beside the result
    doubt: bool = False  # CI does not fail on type errors: the item cannot pass


def configured(directory: Path) -> set[str]:
    """The type checkers `directory` holds a configuration of."""
    found = set()
    if (directory / "mypy.ini").is_file() or (directory / ".mypy.ini").is_file():
        found.add("mypy")
    if (directory / "pyrightconfig.json").is_file():
        found.add("pyright")
    pyproject = directory / "pyproject.toml"
    if pyproject.is_file():
        from reviewer.config import ConfigError, read_toml

        try:
            tool = read_toml(pyproject).get("tool", {})
        except ConfigError:
            tool = {}
        if isinstance(tool, dict):
            found |= {name for name in ("mypy", "pyright") if name in tool}
    setup_cfg = directory / "setup.cfg"
    if "mypy" not in found and setup_cfg.is_file():
        try:
            if _SETUP_CFG_MYPY.search(setup_cfg.read_text(encoding="utf-8", errors="replace")[:1_000_000]):
                found.add("mypy")
        except OSError:
            pass
    return found


def configuration_directory(root: Path, files: Sequence[str] = ()) -> tuple[Path, set[str]]:
    """The nearest directory that configures a type checker, and which: looked for from the
    directory holding every reviewed file (`backend/` when only it is reviewed from the top) up
    to the repository's top; (`root`, empty) when none does."""
    top = project_root(root)
    start = root
    parents = {PurePosixPath(name).parent for name in files}
    if parents:
        common = os.path.commonpath([str(parent) for parent in parents])
        if common not in ("", "."):
            start = root / common
    for directory in (start, *start.parents):
        found = configured(directory)
        if found:
            return directory, found
        if directory == top:
            break
    return root, set()


def choose(requested: str, configures: set[str], steps: Sequence[TypeCheckStep]) -> str:
    if requested != "types":
        return requested
    if "pyright" in configures and "mypy" not in configures:
        return "pyright"
    if not configures and {step.tool for step in steps} == {"pyright"}:
        return "pyright"
    return "mypy"


def ci_remark(steps: Sequence[TypeCheckStep], tool: str | None = None) -> tuple[str, bool]:
    """What CI does about types, as a note says it, and whether its type-checking steps all
    fail to block the build. `tool`: only that checker's steps (a review that runs mypy is not
    vouched for by a pyright step)."""
    relevant = [step for step in steps if tool is None or step.tool == tool] or list(steps)
    if not relevant:
        return "", False
    blocking = [step for step in relevant if step.blocking]
    if blocking:
        tools = " and ".join(sorted({step.tool for step in blocking}))
        return f"CI runs {tools} in {', '.join(dict.fromkeys(step.workflow for step in blocking))}", False
    tools = " and ".join(sorted({step.tool for step in relevant}))
    hows = " or ".join(dict.fromkeys(step.how for step in relevant))
    where = ", ".join(dict.fromkeys(step.workflow for step in relevant))
    return f"CI runs {tools} with {hows} in {where}: type errors do not fail the build", True


def plan(
    enabled: Sequence[str], root: Path, files: Sequence[str], installed: Callable[[str, Path], str | None]
) -> Plan:
    """How `type-checked` is decided in this review. `installed` finds an engine's executable
    (`companions.installed_executable`)."""
    requested = [name for name in TYPE_CHECKERS if name in enabled]
    top = project_root(root)
    directory, configures = configuration_directory(root, files)
    steps = type_check_steps(top)
    if not requested:
        tool = choose("types", configures, steps)
        remark, _ = ci_remark(steps)
        return Plan(tool, status=f"not enabled (add --companion {tool})", remarks=[remark] if remark else [])
    tool = choose(requested[0], configures, steps)
    remark, doubt = ci_remark(steps, tool)
    result = Plan(tool, remarks=[remark] if doubt else [], doubt=doubt)
    scope = ci_scope(steps, tool, top, [_from_top(root, name, top) for name in files])
    config_file = None
    if scope is not None and scope.config and not configures:
        directory, config_file = top / scope.directory, top / scope.config
    selected = list(files)
    if scope is not None and scope.targets:
        selected = [name for name in files if _under(_from_top(root, name, top), scope.targets)]
    if scope is not None and (config_file is not None or len(selected) < len(files)):
        named = ", ".join(filter(None, (scope.config if config_file else "", *scope.targets)))
        result.remarks.insert(0, f"checked as {scope.workflow} runs it ({named})")
    relative = _relative(selected, root, directory)
    trees = sorted({str(root.resolve()), str(top.resolve())})
    if tool == "mypy":
        python = mypy_interpreter(root, installed)
        if python is None:
            result.status = "mypy is not installed"
            return result
        command = [python, "-I", str(LAUNCHER)]
        for tree in trees:
            command += ["--tree", tree]
        if config_file is not None:
            command += ["--config-file", str(config_file)]
        if scope is not None and scope.targets:
            command += ["--explicit", "yes"]  # what CI names, not the configuration's `files`
        command += ["--cache-dir", str(mypy_cache_dir(directory, trees)), "--", *relative]
        result.launch = Launch(command, directory, parse_mypy, env=trusted_environment(root))
        return result
    executable = installed("pyright", root)
    if executable is None:
        result.status = "pyright is not installed"
        return result
    command = [executable, "--outputjson", "--pythonpath", sys.executable]
    if config_file is not None:
        command += ["--project", str(config_file)]
    result.launch = Launch([*command, *relative], directory, parse_pyright, env=trusted_environment(root))
    return result


def _from_top(root: Path, name: str, top: Path) -> str:
    return (root / name).relative_to(top).as_posix() if root != top else name


def _under(path: str, targets: Sequence[str]) -> bool:
    return any(not target or path == target or path.startswith(target.rstrip("/") + "/") for target in targets)


def ci_scope(steps: Sequence[TypeCheckStep], tool: str, top: Path, reviewed: Sequence[str]) -> TypeCheckStep | None:
    """The CI step of `tool` whose run the review reproduces: the first (blocking ones first) that
    names the paths it checks, some of them reviewed, or names a configuration file that exists;
    its `targets` then are those of every such step with the same configuration and directory."""
    candidates = [s for s in steps if s.tool == tool and s.blocking] or [s for s in steps if s.tool == tool]
    for step in candidates:
        if step.config and not (top / step.config).is_file():
            continue
        if not (top / step.directory).is_dir():
            continue
        if step.targets and not any(_under(path, step.targets) for path in reviewed):
            continue
        if step.targets or step.config:
            alike = [s for s in candidates if (s.config, s.directory) == (step.config, step.directory)]
            if any(not s.targets for s in alike):
                targets: tuple[str, ...] = ()
            else:
                targets = tuple(dict.fromkeys(target for s in alike for target in s.targets))
            return replace(step, targets=targets)
    return None


def _relative(files: Sequence[str], root: Path, directory: Path) -> list[str]:
    """The reviewed files (relative to `root`) as seen from `directory`, where the checker runs."""
    if directory == root:
        return list(files)
    return [os.path.relpath(root / name, directory).replace(os.sep, "/") for name in files]


def _inside(path: Path, tree: Path) -> bool:
    return path == tree or tree in path.parents


def trusted_environment(root: Path) -> dict[str, str]:
    """This process's environment with a `PATH` of absolute entries outside the reviewed tree:
    what the type checker starts by name (pyright's `node` and `python`) cannot be planted."""
    trees = {root.resolve(), project_root(root).resolve()}
    entries = []
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        if not entry or not os.path.isabs(entry):
            continue
        resolved = Path(entry).resolve()
        if any(_inside(resolved, tree) for tree in trees) and resolved != Path(sys.executable).parent.resolve():
            continue
        entries.append(entry)
    return {**os.environ, "PATH": os.pathsep.join(entries)}


def mypy_interpreter(root: Path, installed: Callable[[str, Path], str | None]) -> str | None:
    """The Python that imports mypy from an installation: this one, when mypy is installed
    beside the reviewer; else the interpreter of an installed `mypy` program (its `#!` line)."""
    from importlib.machinery import PathFinder

    trees = {root.resolve(), project_root(root).resolve()}
    search = [
        entry for entry in sys.path
        if entry and os.path.isabs(entry) and not any(_inside(Path(entry).resolve(), tree) for tree in trees)
    ]
    if PathFinder.find_spec("mypy", search) is not None:
        return sys.executable
    executable = installed("mypy", root)
    if executable is None:
        return None
    try:
        with open(executable, "rb") as handle:
            head = handle.read(512).decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    candidates = []
    if head and head[0].startswith("#!"):
        candidates.append(head[0][2:].strip().split(" ")[0])
    # pip's launcher for long interpreter paths: `#!/bin/sh` then `'''exec' "/path/python" "$0" "$@"`
    for line in head[1:3]:
        match = re.match(r"""^'''exec' "?([^"]+?)"? "\$0" "\$@"$""", line.strip())
        if match:
            candidates.append(match.group(1))
    for candidate in candidates:
        path = Path(candidate)
        if path.is_absolute() and re.match(r"^python", path.name) and path.exists():
            if not any(_inside(path.resolve(), tree) for tree in trees):
                return str(path)
    return None


def mypy_cache_dir(directory: Path, trees: Sequence[str]) -> str:
    """mypy's cache for this project, in the reviewer's user cache directory (never the tree)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "backend-reviewer" / "mypy"
    resolved = base.resolve()
    if any(_inside(resolved, Path(tree)) for tree in trees):
        return os.devnull  # a home inside the reviewed tree: no cache rather than one there
    key = hashlib.sha256(str(directory.resolve()).encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return str(base / key)


@dataclass(frozen=True)
class Counted:
    """What a type checker's output came to: `status` 'ran' or why not, and what to say beside."""

    status: str
    errors: int = 0
    files: int = 0
    remarks: tuple[str, ...] = ()


def _last_line(out: bytes, err: bytes) -> str:
    lines = [line.strip() for line in (err or out).decode("utf-8", "replace").splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def parse_mypy(out: bytes, err: bytes) -> Counted:
    try:
        data = json.loads(out.decode("utf-8", "replace").strip().splitlines()[-1])
    except (ValueError, IndexError):
        data = None
    if not isinstance(data, dict):
        return Counted(f"mypy failed: {_last_line(out, err)}")
    status = data.get("status")
    remarks = []
    if data.get("refused"):
        remarks.append(f"plugins inside the reviewed tree not loaded: {', '.join(map(str, data['refused']))}")
    if data.get("missing"):
        remarks.append(f"plugins not installed, not loaded: {', '.join(map(str, data['missing']))}")
    unresolved = data.get("unresolved_imports")
    if isinstance(unresolved, int) and unresolved:
        remarks.append(
            f"{unresolved} of them {'are imports' if unresolved != 1 else 'is an import'} it cannot find: "
            "review where the project's dependencies are installed"
        )
    if data.get("settings"):
        remarks.append(f"settings not applied: {', '.join(map(str, data['settings']))}")
    if status == "not-installed":
        return Counted("mypy is not installed")
    if status == "blocked":
        return Counted(f"mypy stopped on an error it cannot check past: {data.get('message')}", remarks=tuple(remarks))
    if status != "ran":
        return Counted(f"mypy failed: {data.get('message') or 'no output'}", remarks=tuple(remarks))
    errors, files = data.get("errors"), data.get("files")
    if not isinstance(errors, int) or not isinstance(files, int):
        return Counted("mypy printed a report in an unexpected shape")
    return Counted("ran", errors, files, tuple(remarks))


def parse_pyright(out: bytes, err: bytes) -> Counted:
    try:
        data = json.loads(out or b"null")
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("generalDiagnostics"), list):
        return Counted(f"pyright failed: {_last_line(out, err)}")
    errors = [d for d in data["generalDiagnostics"] if isinstance(d, dict) and d.get("severity") == "error"]
    return Counted("ran", len(errors), len({d.get("file") for d in errors}))
