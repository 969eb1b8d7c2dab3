"""Where reports go: checked before the review starts, written without following symbolic links.

A report is usually written inside the reviewed checkout (the Action's `backend-reviewer.html`),
where a pull request may have committed a symbolic link of that name, or a directory link on the
way to it, pointing anywhere the CI user can write. So a report is written to a temporary file
beside its target and renamed over it (a rename replaces a link, it does not follow it), and a
path that passes through a symbolic link inside the reviewed tree is refused. Text that cannot be
encoded (a file name that is not UTF-8 reaches Python as lone surrogates) is written escaped
(`\\udcff`) rather than crashing the run.

A target that is no file but a device or a pipe (`-o /dev/null`, `-o /dev/stdout`, a named pipe)
is written into as it is: renamed over, `/dev/null` would become a file holding the report, for
every program of the machine.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path


class OutputError(Exception):
    """A report cannot be written where it was asked for; the message names the path."""


@dataclass(frozen=True)
class ReportTarget:
    """Where a report goes, as `check_target` found it: an absolute path, and whether it is a
    device or a pipe to write into rather than a file to replace."""

    path: Path
    stream: bool = False


def check_target(path: Path, tree: Path) -> ReportTarget:
    """Where to write `path`, checked: its directory exists and a file can be
    created in it (tried, not guessed from permission bits: root passes every permission check
    and a read-only or virtual file system refuses anyway), it is not a directory, and no
    symbolic link inside `tree` lies on the way to it; or it is a device or a pipe, which
    `write_report` writes into."""
    target = Path(os.path.abspath(path))
    parent = target.parent
    if not parent.is_dir():
        problem = "is not a directory" if parent.exists() else "does not exist"
        raise OutputError(f"{path}: cannot write the report: {parent} {problem}")
    if target.is_dir() and not target.is_symlink():
        raise OutputError(f"{path}: cannot write the report: it is a directory")
    tree = tree.resolve()
    if _is_stream(target, tree):
        return ReportTarget(target, stream=True)
    for directory in (parent, *parent.parents):
        if not (directory == tree or tree in directory.parents):
            break
        if directory.is_symlink():
            raise OutputError(f"{path}: refusing to write the report through the symbolic link {directory}")
    try:
        descriptor, probe = tempfile.mkstemp(dir=parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as error:
        raise OutputError(f"{path}: cannot write the report in {parent}: {error.strerror or error}") from None
    os.close(descriptor)
    with contextlib.suppress(OSError):
        os.unlink(probe)
    return ReportTarget(target)


def _is_stream(target: Path, tree: Path) -> bool:
    """Whether the target is a device or a pipe (`/dev/null`; `/dev/stdout`, a link to one outside
    the reviewed tree) to be written into rather than replaced; not a file, or a path to be one."""
    inside = tree == target.parent or tree in target.parents
    try:  # a link inside the reviewed tree is replaced, never followed
        mode = (os.lstat(target) if inside else os.stat(target)).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def utf8(text: str) -> bytes:
    """`text` as a report file holds it: UTF-8, with what UTF-8 cannot encode escaped."""
    return text.encode("utf-8", "backslashreplace")


def write_report(destination: ReportTarget, text: str) -> None:
    """Write `text` to a destination `check_target` found: whole or not at all, never through a link."""
    data = utf8(text)
    target = destination.path
    if destination.stream:
        try:
            with open(target, "wb") as stream:
                stream.write(data)
        except OSError as error:
            raise OutputError(f"{target}: cannot write the report: {error.strerror or error}") from None
        return
    try:
        descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as error:
        raise OutputError(f"{target}: cannot write the report: {error.strerror or error}") from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, target)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise OutputError(f"{target}: cannot write the report: {error.strerror or error}") from None
        raise


def printable_for(stream: object, text: str) -> str:
    """`text` as `stream` can encode it: what it cannot is written as a backslash escape."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    return text.encode(encoding, "backslashreplace").decode(encoding)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
