"""A per-file result cache in `.reviewer_cache/` (or the directory `--cache-dir` names), so an
unchanged re-run parses nothing.

An entry is keyed by the file's path and content, the tool version, the effective configuration
and the rule set (with the rules' own source files, so editing a rule invalidates it). Entries are
pickles; since the cache sits inside the reviewed repository, where anyone who can open a pull
request can plant files, every entry is signed with a key kept outside the repository
(`$XDG_CACHE_HOME/backend-reviewer/cache-key`) and an entry that fails its signature, is
truncated, or was written by another version is ignored and rewritten, never loaded. A cache
directory that is a symbolic link is neither read through nor written through.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import pickle
import secrets
import tempfile
from pathlib import Path

from reviewer.model import FileResult
from reviewer.source_text import read_regular_file

MAGIC = b"RVWC1"
DIGEST_SIZE = 32
MAX_ENTRY_BYTES = 256 * 1024 * 1024


def _user_key() -> bytes:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "backend-reviewer"
    key_file = base / "cache-key"
    try:
        key = key_file.read_bytes()
        if len(key) >= 32:
            return key
    except OSError:
        pass
    key = secrets.token_bytes(32)
    try:
        base.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(key)
    except OSError:
        pass  # an unwritable home still works: entries are then valid for this run only
    return key


class Cache:
    def __init__(self, directory: Path, salt: str) -> None:
        self.directory = directory
        self.salt = salt.encode()
        self._key = _user_key()
        self.hits = 0
        # A cache directory that is a symbolic link (which a pull request could commit, pointing
        # anywhere) is not used at all.
        self.usable = not directory.is_symlink()
        self.writable = self.usable

    def key_for(self, relpath: str, module: str, is_test: bool, data: bytes) -> str:
        digest = hashlib.sha256(self.salt)
        digest.update(relpath.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(module.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(b"test\0" if is_test else b"code\0")
        digest.update(data)
        return digest.hexdigest()

    def _entry(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.pickle"

    def get(self, key: str) -> FileResult | None:
        if not self.usable:
            return None
        try:
            blob = read_regular_file(self._entry(key), MAX_ENTRY_BYTES)
        except OSError:
            return None
        header = len(MAGIC) + DIGEST_SIZE
        if len(blob) <= header or not blob.startswith(MAGIC):
            return None
        signature, payload = blob[len(MAGIC):header], blob[header:]
        expected = hmac.new(self._key, key.encode() + payload, hashlib.sha256).digest()
        if not hmac.compare_digest(signature, expected):
            return None
        try:
            result = pickle.loads(payload)
        except Exception:  # noqa: BLE001 - a damaged entry is a miss
            return None
        if not isinstance(result, FileResult):
            return None
        self.hits += 1
        return result

    def put(self, key: str, result: FileResult, pickled: bytes | None = None) -> None:
        """Keep `result`; `pickled`, when given, is it already pickled (as a worker sent it)."""
        if not self.writable:
            return
        payload = pickled if pickled is not None else pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        signature = hmac.new(self._key, key.encode() + payload, hashlib.sha256).digest()
        target = self._entry(key)
        try:
            if not self.directory.exists():
                self.directory.mkdir(parents=True)
                _write_new(self.directory / ".gitignore", b"# written by backend-reviewer\n*\n")
            if target.parent.is_symlink():
                return
            if not target.parent.exists():
                target.parent.mkdir()
            _write_new(target, MAGIC + signature + payload)
        except OSError:
            self.writable = False  # a read-only checkout still gets its review


def _write_new(target: Path, data: bytes) -> None:
    """Write `target` whole, by renaming a temporary file over it (which replaces a symbolic
    link rather than following it); the temporary file never outlives an interruption."""
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
