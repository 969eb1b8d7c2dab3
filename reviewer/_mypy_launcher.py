"""Runs mypy for the `type-checked` companion: started by `reviewer.type_checkers` as
`python -I <this file> --tree DIR ... --cache-dir DIR [--config-file FILE] [--explicit yes] -- FILE ...`,
in the directory of the project's mypy configuration (or of the CI step whose run it reproduces).

The reviewed repository's configuration chooses mypy's options, and mypy executes some of what an
option names: the plugins (`plugins = ./evil.py`, or a module), the Python interpreter it asks for
site-packages (`python_executable`), the reports and timing files it writes, its parallel
workers (started as `python -m mypy.build_worker` from the working directory). So this launcher
never calls mypy's `main`: it reads the options as mypy does (`process_options`), then takes out
of them what would run or write anything of the repository's choosing, and builds.

- `-I`: neither the working directory, this file's directory, `PYTHONPATH` nor the user's site is
  on `sys.path`, so a `mypy.py` or `mypy/` committed at the repository's root is never imported.
- a plugin is loaded only when it resolves (without importing anything) to a file of this
  interpreter's installation or outside the reviewed tree; one inside the tree (a path plugin,
  or a module an editable install maps into it) or one that cannot be found is dropped and named.
- the interpreter mypy asks for site-packages is this one; no reports, JUnit or timing files, no
  `--install-types`, no parallel workers; the cache goes where the reviewer says.

It imports only the standard library and mypy, and prints one JSON object on its standard output
(mypy's own messages are counted, not printed):
`{"status": "ran", "errors": N, "files": N, "checked": N, "from_config": bool, "refused": [...],
"missing": [...], "settings": [...]}`, or `{"status": "blocked" | "failed" | "not-installed",
"message": ...}`.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import sysconfig

_TEXT_MESSAGE = re.compile(r"^(?P<file>.*?):(?:\d+:)*\s*(?P<severity>error|note|warning): (?P<message>.*)$")


def _inside(path: str, directory: str) -> bool:
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def _installation() -> list[str]:
    """The directories of this interpreter's own installation: trusted wherever they are (a
    virtualenv inside the reviewed tree is the one running the reviewer)."""
    paths = sysconfig.get_paths()
    keys = ("stdlib", "platstdlib", "purelib", "platlib")
    return sorted({os.path.realpath(paths[key]) for key in keys if key in paths})


def trusted(location: str, trees: list[str], installation: list[str]) -> bool:
    real = os.path.realpath(location)
    if any(_inside(real, directory) for directory in installation):
        return True
    return not any(_inside(real, tree) for tree in trees)


def plugin_locations(entry: str, config_file: str | None) -> list[str] | None:
    """The files and directories that loading plugin `entry` (as mypy names it in `plugins`)
    would execute, found without importing anything; None if it cannot be found."""
    from importlib.machinery import PathFinder
    from importlib.util import find_spec

    name = entry.rsplit(":", 1)[0] if ":" in os.path.basename(entry) else entry
    if name.endswith(".py"):
        path = os.path.join(os.path.dirname(config_file or ""), name)
        return [os.path.abspath(path)] if os.path.isfile(path) else None
    if re.search(r"[\\/]", name) or not name:
        return None
    parts = name.split(".")
    locations: list[str] = []
    search: list[str] | None = None
    for index in range(len(parts)):
        prefix = ".".join(parts[: index + 1])
        try:
            # The top-level name through every finder (an editable install's own finder too),
            # submodules through the parent's locations: neither imports anything.
            spec = find_spec(prefix) if index == 0 else PathFinder.find_spec(prefix, search)
        except (ImportError, ValueError):
            return None
        if spec is None:
            return None
        if spec.origin and spec.origin not in ("built-in", "frozen"):
            locations.append(spec.origin)
        search = list(spec.submodule_search_locations or [])
        locations.extend(search)
        if index < len(parts) - 1 and not search:
            return None
    return locations


def _excluded(path: str, patterns: list[str]) -> bool:
    """mypy's `exclude` as its own discovery applies it: to every directory on the way, and the file."""
    parts = path.replace(os.sep, "/").split("/")
    candidates = ["/".join(parts[: i + 1]) + "/" for i in range(len(parts) - 1)] + ["/".join(parts)]
    for pattern in patterns:
        try:
            if any(re.search(pattern, candidate) for candidate in candidates):
                return True
        except re.error:
            continue
    return False


def _parse_message(message: str) -> tuple[str, str, str, str] | None:
    """(file, severity, text, error code) of one of mypy's messages, JSON (`--output json`) or text."""
    try:
        data = json.loads(message)
    except ValueError:
        data = None
    if isinstance(data, dict):
        line = data.get("line")
        where = f"{data.get('file')}:{line}" if line not in (None, -1) else str(data.get("file"))
        code = data.get("code") or ""
        return str(data.get("file")), str(data.get("severity")), f"{where}: {data.get('message')}", str(code)
    match = _TEXT_MESSAGE.match(message)
    if match is None:
        return None
    code = re.search(r"\[([a-z-]+)\]$", message)
    return match["file"], match["severity"], message, code.group(1) if code else ""


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def run(arguments: list[str], captured: io.StringIO) -> dict[str, object]:
    trees: list[str] = []
    cache_dir = os.devnull
    config_file: list[str] = []
    explicit = False
    files: list[str] = []
    index = 0
    while index < len(arguments):
        argument = arguments[index]
        if argument == "--":
            files = arguments[index + 1 :]
            break
        if argument == "--tree":
            trees.append(os.path.realpath(arguments[index + 1]))
        elif argument == "--cache-dir":
            cache_dir = arguments[index + 1]
        elif argument == "--config-file":
            config_file = ["--config-file", arguments[index + 1]]
        elif argument == "--explicit":
            explicit = True
        index += 2

    try:
        from mypy import build
        from mypy.errors import CompileError
        from mypy.fscache import FileSystemCache
        from mypy.main import process_options
    except ImportError as error:
        return {"status": "not-installed", "message": str(error)}

    fscache = FileSystemCache()
    flags = ["--python-executable", sys.executable, "--cache-dir", cache_dir, *config_file]
    try:
        # The configuration's own `files`/`packages`/`modules`, when it names them and CI names
        # no paths (`explicit`): what the project's `mypy` checks; else the files given, less
        # the configuration's `exclude`.
        sources, options = process_options(flags, captured, captured, require_targets=False, fscache=fscache)
        from_config = bool(sources) and not explicit
        if not from_config:
            kept = [path for path in files if not _excluded(path, list(options.exclude))]
            if not kept:
                return {"status": "ran", "errors": 0, "files": 0, "checked": 0, "from_config": False}
            fscache = FileSystemCache()
            sources, options = process_options([*flags, "--", *kept], captured, captured, fscache=fscache)
    except SystemExit:
        return {"status": "failed", "message": _last_line(captured.getvalue())}

    installation = _installation()
    refused: list[str] = []
    missing: list[str] = []
    plugins = []
    for entry in options.plugins:
        locations = plugin_locations(entry, options.config_file)
        if locations is None:
            missing.append(entry)
        elif all(trusted(location, trees, installation) for location in locations):
            plugins.append(entry)
        else:
            refused.append(entry)
    options.plugins = plugins
    settings = []
    if options.python_executable not in (None, sys.executable):
        options.python_executable = sys.executable
        settings.append("python_executable")
    if options.report_dirs or options.junit_xml:
        settings.append("reports")
    options.report_dirs = {}
    options.junit_xml = None
    options.timing_stats = None
    options.line_checking_stats = None
    options.install_types = False
    options.non_interactive = False
    options.cache_dir = cache_dir
    if getattr(options, "num_workers", 0):
        options.num_workers = 0
    options.pretty = False
    options.color_output = False
    options.error_summary = False
    options.fast_exit = False
    options.pdb = False
    if hasattr(options, "output"):
        options.output = "json"

    try:
        result = build.build(sources, options, fscache=fscache, stdout=captured, stderr=captured)
        messages, blocked = list(result.errors), False
    except CompileError as error:
        messages, blocked = list(error.messages), True
    parsed = [found for found in map(_parse_message, messages) if found is not None]
    errors = [(file, text, code) for file, severity, text, code in parsed if severity == "error"]
    if blocked:
        first = errors[0][1] if errors else _last_line("\n".join(messages) or captured.getvalue())
        return {"status": "blocked", "message": first, "refused": refused, "missing": missing}
    return {
        "status": "ran",
        "errors": len(errors),
        "files": len({file for file, _, _ in errors}),
        "unresolved_imports": sum(code == "import-not-found" for _, _, code in errors),
        "checked": len(sources),
        "from_config": from_config,
        "refused": refused,
        "missing": missing,
        "settings": settings,
    }


def main() -> None:
    out = sys.stdout
    captured = io.StringIO()
    sys.stdout = sys.stderr = captured  # mypy's prints must not mix into the one JSON line
    try:
        report = run(sys.argv[1:], captured)
    except BaseException as error:  # noqa: BLE001 - a crash of mypy is a status, never the review's
        said = captured.getvalue()
        report = {"status": "failed", "message": _last_line(said) if said.strip() else repr(error)}
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    out.write(json.dumps(report) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
