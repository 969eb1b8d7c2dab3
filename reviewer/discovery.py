"""Which files a run reviews: Python files under the given paths, minus what is ignored.

Decided by what a directory or file is, never by its name alone, and every decision to leave
something out is recorded (`Discovery.skipped`, with the reason), so a review never loses code
without a word:

- tool and version-control metadata (`.git`, `__pycache__`, `.tox`, `node_modules`, ...) is
  never source;
- configured excludes leave out what they match;
- a file git tracks is reviewed, and so is every directory holding one, whatever a `.gitignore`
  says (git ignores untracked files only; the tracked set is read from the index, see
  `reviewer.git_index`); otherwise `.gitignore` files at every level apply, as git reads them;
- a virtualenv (a `pyvenv.cfg` beside an interpreter or a `site-packages`) and setuptools' build
  output (`build/lib`, `build/bdist.*`) are not the project's code;
- a symbolic link is followed only inside the reviewed tree, and what it reaches is reported at
  its real path, once.

A file named explicitly on the command line is reviewed even when a pattern would exclude it.
The result is sorted, so runs are deterministic. On the way, the directories below the scan root
that hold a project file of their own (`pyproject.toml`, `setup.cfg`) are noted as distributions
inside the repository, with whether the file declares command-line programs (read as a regular
file of at most 1 MB; one that does not parse declares none).
"""

from __future__ import annotations

import configparser
import errno
import glob
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from reviewer.git_index import TrackedFiles, tracked_python_files
from reviewer.model import ErrorKind, FileError
from reviewer.packages import ModuleNames
from reviewer.patterns import AnchoredPatterns, PathPatterns, any_matches, compile_lenient
from reviewer.source_text import read_regular_file, split_lines

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

# Directories that tools and version control make; they never hold the project's source.
METADATA_DIRS = frozenset({
    ".git", ".hg", ".svn", "__pycache__", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    ".reviewer_cache", ".eggs", "node_modules", "site-packages", ".idea", ".vscode", "htmlcov",
})
# Of those, the ones in every checkout, left out of the record of skipped paths.
_UNREMARKABLE = frozenset({".git", ".hg", ".svn", "__pycache__"})
PYTHON_SUFFIXES = (".py",)
# Files that make a directory a distribution of its own (`setup.py` is reviewed as source too).
PROJECT_FILES = frozenset({"pyproject.toml", "setup.cfg"})
MAX_PROJECT_FILE = 1024 * 1024  # bytes
MAX_GITIGNORE_BYTES = 1024 * 1024

Rules = list[tuple[Path, PathPatterns]]


# Test directories, also of end-to-end suites, whose Python files are the small applications a
# browser-driven spec starts (`cypress/e2e/login/main.py` beside `spec.cy.ts`).
_TEST_DIRS = frozenset({"tests", "test", "testing", "e2e", "cypress"})
# Demo programs a package ships for its users to try (`examples/`, `samples/`): run by hand, and
# judged as tests are; the applications they declare are not the repository's.
EXAMPLE_DIRS = frozenset({"examples", "example", "samples", "sample"})


def is_test_path(path: str) -> bool:
    """Test code by what it is: a test module (`test_*.py`, `*_test.py`), a `conftest.py`, or a
    file in a test directory. `path` is relative to the project (its repository's top), so the
    answer does not depend on where the review was started."""
    pure = PurePosixPath(path)
    name = pure.name
    return (
        any(part in _TEST_DIRS for part in pure.parts[:-1])
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )


def is_example_path(path: str) -> bool:
    """A module of a demo program: a file in an `examples/` or `samples/` directory."""
    return any(part in EXAMPLE_DIRS for part in PurePosixPath(path).parts[:-1])


@dataclass(frozen=True)
class SourceFile:
    path: Path  # absolute
    relpath: str  # relative to the scan root, `/`-separated
    module: str = ""  # its dotted module name (`reviewer.packages`)
    is_test: bool = False  # test code (`is_test_path`)
    # The bytes to review in place of the file's, for source read from standard input.
    content: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Skipped:
    """A directory or Python file that was not reviewed, and why (reports list these)."""

    path: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason}


@dataclass
class Discovery:
    files: list[SourceFile] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    # The directories below the scan root that hold a project file of their own
    # (`packages/admin-cli/pyproject.toml`): distributions of their own inside the repository,
    # each with whether it declares command-line programs (`[project.scripts]`).
    distributions: dict[str, bool] = field(default_factory=dict)


def declares_scripts(path: Path) -> bool:
    """Whether a project file declares command-line programs: `[project.scripts]` or
    `[tool.poetry.scripts]` of a `pyproject.toml`, `console_scripts` of a `setup.cfg`. A file that
    is not a regular one, is larger than a project file is, or does not parse declares none."""
    try:
        text = read_regular_file(path, MAX_PROJECT_FILE).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if path.name == "setup.cfg":
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read_string(text)
        except configparser.Error:
            return False
        return bool(parser.get("options.entry_points", "console_scripts", fallback="").strip())
    try:
        project = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError):
        return False
    scripts = [project.get("project", {}).get("scripts"), project.get("tool", {}).get("poetry", {}).get("scripts")]
    return any(isinstance(found, dict) and found for found in scripts)


def relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()


def scan_root(paths: Sequence[Path], cwd: Path) -> Path:
    """Findings are reported relative to the working directory when every path lies inside it
    (as CI annotations expect), else relative to the paths' common parent."""
    resolved = [p.resolve() for p in paths]
    if all(p == cwd or cwd in p.parents for p in resolved):
        return cwd
    common = Path(os.path.commonpath([str(p) for p in resolved]))
    return common.parent if common.is_file() else common


def _inside(path: Path, directory: Path) -> bool:
    return path == directory or directory in path.parents


class _Walk:
    """One discovery: the state shared while walking every given path."""

    def __init__(self, root: Path, exclude: Sequence[AnchoredPatterns]) -> None:
        self.root = root
        self.found = Discovery()
        self.excluded = exclude
        # What git tracks, per repository holding a given path (read as each is first met).
        self.tracked: dict[Path, TrackedFiles | None] = {}
        self.seen: set[str] = set()
        self.visited: set[tuple[int, int]] = set()
        self.tops: list[Path] = []
        self._gitignores: dict[Path, PathPatterns | None] = {}

    def skip(self, path: Path, reason: str) -> None:
        self.found.skipped.append(Skipped(relative(path, self.root), reason))

    def error(self, path: Path, error: OSError) -> None:
        rel = relative(path, self.root)
        if error.errno == errno.ELOOP:
            self.found.errors.append(FileError(rel, ErrorKind.SYMLINK_LOOP, "symbolic link loop; not followed"))
        elif error.errno == errno.ENOENT and path.is_symlink():
            self.found.errors.append(FileError(rel, ErrorKind.READ, "broken symbolic link"))
        else:
            self.found.errors.append(FileError(rel, ErrorKind.READ, error.strerror or str(error)))

    # --- .gitignore ---------------------------------------------------------------------------

    def gitignore(self, directory: Path) -> PathPatterns | None:
        if directory not in self._gitignores:
            self._gitignores[directory] = self._read_gitignore(directory)
        return self._gitignores[directory]

    def _read_gitignore(self, directory: Path) -> PathPatterns | None:
        path = directory / ".gitignore"
        try:
            if not os.path.lexists(path):
                return None
            text = read_regular_file(path, MAX_GITIGNORE_BYTES).decode("utf-8", errors="replace")
        except OSError as error:
            self.found.errors.append(
                FileError(relative(path, self.root), ErrorKind.READ, f"not applied: {error.strerror or error}")
            )
            return None
        spec, rejected = compile_lenient(split_lines(text))
        for number, line in rejected:
            self.found.errors.append(
                FileError(relative(path, self.root), ErrorKind.READ, f"invalid pattern {line!r} not applied", number)
            )
        return spec

    def gitignores_above(self, directory: Path) -> Rules:
        """`.gitignore` files in the directories from the repository top down to `directory`."""
        chain: Rules = []
        for parent in reversed([directory, *directory.parents]):
            spec = self.gitignore(parent)
            if spec is not None:
                chain.append((parent, spec))
            if os.path.lexists(parent / ".git"):
                chain = [(parent, spec)] if spec is not None else []
        return chain

    # --- decisions ----------------------------------------------------------------------------

    def why_not_directory(self, path: Path, name: str, rules: Rules) -> str | None:
        """Why the directory `path` is not walked, or None if it is."""
        if name in METADATA_DIRS:
            return "tool or version-control metadata"
        if any_matches(self.excluded, path, is_dir=True):
            return "excluded by configuration"
        if self.is_tracked(path, is_dir=True):
            return None
        if _ignored(path, True, rules):
            return "ignored by .gitignore"
        if _is_virtualenv(path):
            return "a virtualenv"
        if _is_build_output(path):
            return "build output"
        return None

    def why_not_file(self, path: Path, rules: Rules) -> str | None:
        if any_matches(self.excluded, path):
            return "excluded by configuration"
        if self.is_tracked(path, is_dir=False):
            return None
        if _ignored(path, False, rules):
            return "ignored by .gitignore"
        return None

    def is_tracked(self, path: Path, is_dir: bool) -> bool:
        return any(tracked is not None and tracked.tracks(path, is_dir) for tracked in self.tracked.values())

    def read_index(self, top: Path) -> None:
        if not any(tracked is not None and _inside(top, tracked.top) for tracked in self.tracked.values()):
            self.tracked[top] = tracked_python_files(top)

    # --- walking ------------------------------------------------------------------------------

    def walk(self, top: Path) -> None:
        stack: list[tuple[Path, Rules]] = [(top, self.gitignores_above(top))]
        while stack:
            directory, inherited = stack.pop()
            try:
                status = directory.stat()
            except OSError as error:
                self.error(directory, error)
                continue
            if (status.st_dev, status.st_ino) in self.visited:
                continue
            self.visited.add((status.st_dev, status.st_ino))
            own = self.gitignore(directory) if directory != top else None
            rules = inherited + [(directory, own)] if own is not None else inherited
            try:
                entries = sorted(os.scandir(directory), key=lambda e: e.name)
            except OSError as error:
                self.error(directory, error)
                continue
            for entry in entries:
                self.visit(Path(entry.path), entry, rules, stack)

    def visit(self, path: Path, entry: os.DirEntry[str], rules: Rules, stack: list[tuple[Path, Rules]]) -> None:
        try:
            is_link = entry.is_symlink()
            is_dir = entry.is_dir()
        except OSError as error:
            self.error(path, error)
            return
        if not is_dir and not entry.name.endswith(PYTHON_SUFFIXES):
            if entry.name in PROJECT_FILES and path.parent != self.root and not is_link:
                directory = relative(path.parent, self.root)
                self.found.distributions[directory] = (self.found.distributions.get(directory, False)
                                                       or declares_scripts(path))
            return
        if is_link:
            self.follow(path, is_dir, stack)
            return
        if is_dir:
            reason = self.why_not_directory(path, entry.name, rules)
            if reason is None:
                stack.append((path, rules))
            elif entry.name not in _UNREMARKABLE:
                self.skip(path, reason)
            return
        reason = self.why_not_file(path, rules)
        if reason is None:
            self.add(path)
        else:
            self.skip(path, reason)

    def follow(self, link: Path, is_dir: bool, stack: list[tuple[Path, Rules]]) -> None:
        """A symbolic link: followed only inside the tree, to the real path of what it reaches."""
        try:
            target = link.resolve(strict=True)
        except (OSError, RuntimeError) as error:
            self.error(link, error if isinstance(error, OSError) else OSError(errno.ELOOP, str(error)))
            return
        if not _inside(target, self.root):
            self.skip(link, "symbolic link to outside the reviewed tree; not followed")
            return
        if not is_dir:
            reason = self.why_not_file(target, self.gitignores_above(target.parent))
            if reason is None:
                self.add(target)
            else:
                self.skip(target, reason)
            return
        if any(_inside(target, top) for top in self.tops):
            self.skip(link, f"symbolic link to {relative(target, self.root)}/, reviewed there")
            return
        rules = self.gitignores_above(target.parent)
        reason = self.why_not_directory(target, target.name, rules)
        if reason is None:
            stack.append((target, rules))
        else:
            self.skip(target, reason)

    def add(self, path: Path, explicit: bool = False) -> None:
        rel = relative(path, self.root)
        if rel in self.seen:
            return
        if explicit:
            try:
                path.stat()
            except OSError as error:
                self.error(path, error)
                return
        self.seen.add(rel)
        self.found.files.append(SourceFile(path=path, relpath=rel))


class NothingToReview(Exception):
    """The given paths hold no Python file to review: a usage error, never a green run."""


def problem_with_given_path(path: Path) -> str | None:
    """Why a path named on the command line cannot be reviewed, or None: it does not exist (a
    glob the shell did not expand is such a path), or it is a file that is not Python (a `.py`
    file, or one whose first line runs a Python interpreter)."""
    if not os.path.lexists(path):
        if glob.has_magic(str(path)):
            return f"{path}: no such file or directory (a glob is not expanded here: name the files or directories)"
        return f"{path}: no such file or directory"
    if path.is_dir() or path.name.endswith(PYTHON_SUFFIXES):
        return None
    if not path.is_file():
        return f"{path}: not a regular file"
    try:
        with open(path, "rb") as handle:
            first_line = handle.readline(256)
    except OSError as error:
        return f"{path}: cannot read: {error.strerror or error}"
    if first_line.startswith(b"#!") and b"python" in first_line:
        return None
    return f"{path}: not a Python file (only .py files and Python scripts are reviewed)"


def discover(paths: Sequence[Path], root: Path, exclude: Sequence[AnchoredPatterns] = ()) -> Discovery:
    walk = _Walk(root, exclude)
    given: list[Path] = []
    for path in paths:
        absolute = Path(os.path.abspath(path))
        if not os.path.lexists(absolute):
            walk.found.errors.append(FileError(relative(absolute, root), ErrorKind.READ, "no such file or directory"))
            continue
        try:
            given.append(absolute.resolve(strict=True))
        except (OSError, RuntimeError) as error:
            walk.error(absolute, error if isinstance(error, OSError) else OSError(errno.ELOOP, str(error)))
    walk.tops = [path for path in given if path.is_dir()]
    for top in walk.tops:
        walk.read_index(top)
    for path in given:
        if path.is_dir():
            walk.walk(path)
        else:
            walk.add(path, explicit=True)
    found = walk.found
    found.files.sort(key=lambda f: f.relpath)
    found.files = _named(found.files, root)
    found.errors.sort(key=lambda e: e.sort_key)
    found.skipped.sort(key=lambda s: (s.path, s.reason))
    return found


def from_stdin(path: Path, content: bytes, root: Path) -> Discovery:
    """Source read from standard input, reviewed as if it were the file `path` (for editors)."""
    absolute = Path(os.path.abspath(path))
    return Discovery(files=_named([SourceFile(path=absolute, relpath=relative(absolute, root), content=content)], root))


def _named(files: list[SourceFile], root: Path) -> list[SourceFile]:
    """`files` with their module names and whether each is test code (read from the project's top)."""
    naming = ModuleNames(root)
    names = naming.names([source.path for source in files])
    return [
        replace(source, module=name, is_test=is_test_path(relative(source.path, naming.project)))
        for source, name in zip(files, names, strict=True)
    ]


def _ignored(path: Path, is_dir: bool, rules: Rules) -> bool:
    """As git decides: the deepest `.gitignore` with a matching pattern (or `!negation`) wins."""
    for base, spec in reversed(rules):
        try:
            rel = path.relative_to(base).as_posix()
        except ValueError:
            continue
        decision = spec.decision(rel + "/" if is_dir else rel)
        if decision is not None:
            return decision
    return False


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:
        return False


def _is_virtualenv(directory: Path) -> bool:
    """A `pyvenv.cfg` beside an interpreter or a `site-packages`: what `venv`, virtualenv and
    uv make. A `pyvenv.cfg` alone is not enough (anyone can commit one beside their code)."""
    if not _exists(directory / "pyvenv.cfg"):
        return False
    if any(_exists(directory / interpreter) for interpreter in ("bin/python", "bin/python3", "Scripts/python.exe")):
        return True
    if _exists(directory / "Lib" / "site-packages"):
        return True
    for lib in ("lib", "lib64"):
        try:
            children = list((directory / lib).glob("python*/site-packages"))
        except OSError:
            continue
        if children:
            return True
    return False


def _is_build_output(directory: Path) -> bool:
    """setuptools' build directory: `build/` holding only `lib`, `lib.*`, `bdist.*`, `temp.*`
    and `scripts-*` directories."""
    if directory.name != "build":
        return False
    try:
        names = [entry.name for entry in os.scandir(directory)]
    except OSError:
        return False
    return bool(names) and all(
        name == "lib" or name.startswith(("lib.", "bdist.", "temp.", "scripts-")) for name in names
    )
