"""Which Python files git tracks, read from the repository's index file.

Discovery honours `.gitignore` as git does, and git ignores only untracked files: a committed
`.gitignore` that matches committed code must not make that code vanish from the review. So the
tracked files are read from `$GIT_DIR/index` (gitformat-index(5), versions 2 to 4, SHA-1 and
SHA-256 repositories, sparse directory entries) without running git, since running git in an
untrusted checkout would obey that checkout's own configuration (`core.fsmonitor` and the like).

Anything unexpected (no repository, a split index, a damaged or unknown format) answers None,
and discovery then decides by `.gitignore` alone.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path

from reviewer.source_text import read_regular_file

MAX_INDEX_BYTES = 512 * 1024 * 1024
_HEADER = struct.Struct(">4sII")
_STAT_FIELDS = 40  # ctime, mtime (seconds and nanoseconds), dev, ino, mode, uid, gid, size
_MODE = struct.Struct(">I")
_FLAGS = struct.Struct(">H")
_EXTENDED = 0x4000
_NAME_MASK = 0x0FFF
_DIRECTORY_MODE = 0o040000
_OBJECT_FORMAT = re.compile(rb"^\s*objectformat\s*=\s*sha256\s*$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class TrackedFiles:
    """Tracked Python files and the directories that hold them, relative to `top`."""

    top: Path
    files: frozenset[str]
    directories: frozenset[str]

    def tracks(self, path: Path, is_dir: bool) -> bool:
        try:
            relative = path.relative_to(self.top).as_posix()
        except ValueError:
            return False
        return relative in (self.directories if is_dir else self.files)


def tracked_python_files(start: Path) -> TrackedFiles | None:
    """What the git repository holding `start` tracks, or None if that cannot be known."""
    located = _repository(start)
    if located is None:
        return None
    top, git_dir = located
    try:
        data = read_regular_file(git_dir / "index", MAX_INDEX_BYTES)
        config = read_regular_file(git_dir / "config", 1024 * 1024) if (git_dir / "config").exists() else b""
    except OSError:
        return None
    hash_size = 32 if _OBJECT_FORMAT.search(config) else 20
    try:
        paths = _index_paths(data, hash_size)
    except (struct.error, ValueError, IndexError):
        return None
    if paths is None:
        return None
    files: set[str] = set()
    directories: set[str] = set()
    for raw, mode in paths:
        path = raw.decode("utf-8", "surrogateescape")
        if mode == _DIRECTORY_MODE:  # a sparse index's directory entry: all of it is tracked
            path = path.rstrip("/")
            directories.add(path)
        elif path.endswith(".py"):
            files.add(path)
            path = path.rpartition("/")[0]
        else:
            continue
        while path and path not in directories:
            directories.add(path)
            path = path.rpartition("/")[0]
    directories.add("")
    return TrackedFiles(top, frozenset(files), frozenset(directories))


def _repository(start: Path) -> tuple[Path, Path] | None:
    """(work tree top, git directory) of the repository holding `start`."""
    for directory in (start, *start.parents):
        marker = directory / ".git"
        try:
            if marker.is_dir():
                return directory, marker
            if marker.is_file():  # a worktree or submodule: `gitdir: <path>`
                text = read_regular_file(marker, 64 * 1024).decode("utf-8", "surrogateescape")
                if not text.startswith("gitdir:"):
                    return None
                return directory, (directory / text[len("gitdir:") :].strip()).resolve()
        except OSError:
            return None
    return None


def _index_paths(data: bytes, hash_size: int) -> list[tuple[bytes, int]] | None:
    """(path, mode) of every entry; None for an index this reader cannot trust."""
    signature, version, count = _HEADER.unpack_from(data, 0)
    if signature != b"DIRC" or version not in (2, 3, 4):
        return None
    offset = _HEADER.size
    fixed = _STAT_FIELDS + hash_size + _FLAGS.size
    entries: list[tuple[bytes, int]] = []
    previous = b""
    for _ in range(count):
        start = offset
        (mode,) = _MODE.unpack_from(data, offset + 24)
        (flags,) = _FLAGS.unpack_from(data, offset + _STAT_FIELDS + hash_size)
        offset += fixed
        if flags & _EXTENDED:
            offset += 2
        if version == 4:
            strip, offset = _varint(data, offset)
            if strip > len(previous):
                raise ValueError("bad path prefix")
            end = data.index(b"\0", offset)
            path = previous[: len(previous) - strip] + data[offset:end]
            offset = end + 1
        else:
            length = flags & _NAME_MASK
            end = offset + length if length < _NAME_MASK else data.index(b"\0", offset)
            path = data[offset:end]
            if data[end : end + 1] != b"\0":
                raise ValueError("unterminated path")
            offset = start + ((end - start) // 8 + 1) * 8  # padded with NULs to a multiple of 8
        entries.append((path, mode))
        previous = path
    if _has_extension(data, offset, hash_size, b"link"):
        return None  # a split index: these entries are only the changes to a shared index
    return entries


def _varint(data: bytes, offset: int) -> tuple[int, int]:
    """git's offset encoding (varint.c): big-endian groups of 7 bits, each continuation adding 1."""
    byte = data[offset]
    offset += 1
    value = byte & 0x7F
    while byte & 0x80:
        byte = data[offset]
        offset += 1
        value = ((value + 1) << 7) | (byte & 0x7F)
    return value, offset


def _has_extension(data: bytes, offset: int, hash_size: int, name: bytes) -> bool:
    end = len(data) - hash_size
    while offset + 8 <= end:
        signature = data[offset : offset + 4]
        (size,) = struct.unpack_from(">I", data, offset + 4)
        if signature == name:
            return True
        offset += 8 + size
    return False
