"""Tracked files read from git's index without running git (reviewer/git_index.py)."""

from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import pytest

from reviewer.git_index import _index_paths, tracked_python_files


def git(cwd: Path, *arguments: str) -> None:
    subprocess.run(["git", *arguments], cwd=cwd, check=True, capture_output=True)


def repository(tmp_path: Path, *init: str) -> Path:
    for name in ("app/main.py", "app/sub/deep.py", "README.md", "setup.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x = 1\n")
    git(tmp_path, "init", "-q", *init)
    git(tmp_path, "add", "-A")
    return tmp_path


@pytest.mark.parametrize("version", ["2", "3", "4"])
def test_every_index_version_is_read(tmp_path: Path, version: str) -> None:
    repo = repository(tmp_path)
    git(repo, "update-index", "--index-version", version)
    git(repo, "update-index", "--skip-worktree", "app/main.py")  # an extended entry, in version 3 and 4
    tracked = tracked_python_files(repo / "app")
    assert tracked is not None and tracked.top == repo
    assert tracked.files == {"app/main.py", "app/sub/deep.py", "setup.py"}
    assert tracked.directories == {"", "app", "app/sub"}
    assert tracked.tracks(repo / "app" / "sub", is_dir=True) and not tracked.tracks(repo / "docs", is_dir=True)


def test_a_sha256_repository_is_read(tmp_path: Path) -> None:
    repo = repository(tmp_path, "--object-format=sha256")
    tracked = tracked_python_files(repo)
    assert tracked is not None and tracked.files == {"app/main.py", "app/sub/deep.py", "setup.py"}


def test_a_split_index_or_a_damaged_one_is_not_trusted(tmp_path: Path) -> None:
    repo = repository(tmp_path)
    git(repo, "update-index", "--split-index")
    assert tracked_python_files(repo) is None
    git(repo, "update-index", "--no-split-index")
    index = repo / ".git" / "index"
    index.write_bytes(index.read_bytes()[:40])
    assert tracked_python_files(repo) is None
    assert tracked_python_files(tmp_path.parent / "nowhere-near-a-repository") is None


def test_a_name_of_4095_bytes_or_more_is_read_to_its_terminator() -> None:
    long_name = ("d" * 200 + "/") * 25 + "x.py"
    entries = b""
    for name in (b"a.py", long_name.encode()):
        fixed = b"\0" * 24 + struct.pack(">I", 0o100644) + b"\0" * 12 + b"\xab" * 20
        flags = struct.pack(">H", min(len(name), 0xFFF))
        entry = fixed + flags + name + b"\0"
        entries += entry + b"\0" * (-len(entry) % 8)
    data = b"DIRC" + struct.pack(">II", 2, 2) + entries + b"\0" * 20
    assert _index_paths(data, 20) == [(b"a.py", 0o100644), (long_name.encode(), 0o100644)]
