"""A file's text as every part of the tool reads it: decoded once, split into lines one way.

The parser, `ast`, positions, suppression comments, line counts and the HTML excerpts all number
lines alike: a line ends at `\\n`, `\\r\\n` or `\\r`, and nowhere else. (`str.splitlines` also
splits at form feeds, vertical tabs and Unicode separators, which Python code may contain and
the parser does not count: a suppression or an excerpt numbered that way lands beside its line.)
Imports no libcst: reporters use it too.
"""

from __future__ import annotations

import errno
import io
import os
import re
import stat
import tokenize
from pathlib import Path

from reviewer.model import ErrorKind, FileError

LINE_BREAK = re.compile(r"\r\n?|\n")
_SUPPRESSION = re.compile(r"#\s*(?:reviewer:\s*ignore(?:\[(?P<codes>[^\]]*)\])?|noqa:\s*(?P<noqa>[A-Za-z0-9_,\s-]+))")


def split_lines(text: str) -> list[str]:
    """The lines of `text`, without their line breaks; a final line break ends the last line."""
    lines = LINE_BREAK.split(text)
    if lines[-1] == "":
        lines.pop()
    return lines


def count_lines(text: str) -> int:
    return len(split_lines(text))


def decode(path: str, data: bytes) -> tuple[str | None, FileError | None]:
    """A source file's text, decoded as Python decodes it (a coding cookie, else UTF-8; a BOM
    dropped), or why it cannot be."""
    if b"\x00" in data:
        return None, FileError(path, ErrorKind.BINARY, "contains NUL bytes; not a Python source file")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        if "encoding problem" in str(error.msg) or "unknown encoding" in str(error.msg):
            return None, FileError(path, ErrorKind.DECODE, f"bad encoding declaration: {error.msg}")
        encoding = "utf-8"  # undecodable first lines: let the decode below say where
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        line = None
        if isinstance(error, UnicodeDecodeError):
            line = len(LINE_BREAK.findall(data[: error.start].decode("latin-1"))) + 1
        return None, FileError(path, ErrorKind.DECODE, f"cannot decode as {encoding}: {error}", line)
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, None


def suppressions_in(text: str) -> dict[int, frozenset[str]]:
    """Line -> codes silenced there. `*` stands for every rule (a bare `# reviewer: ignore`).
    A bare `# noqa` is other tools' business and silences nothing of ours."""
    found: dict[int, frozenset[str]] = {}
    if "#" not in text:
        return found
    for number, line in enumerate(split_lines(text), start=1):
        if "#" not in line:
            continue
        codes: set[str] = set()
        for match in _SUPPRESSION.finditer(line):
            if match.group("noqa") is not None:
                codes.update(c for c in re.split(r"[\s,]+", match.group("noqa")) if c)
            elif match.group("codes") is not None:
                codes.update(c.strip() for c in match.group("codes").split(",") if c.strip())
            else:
                codes.add("*")
        if codes:
            found[number] = frozenset(codes)
    return found


class FileTooLarge(OSError):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size} bytes is over the limit of {limit} bytes")
        self.size = size
        self.limit = limit


def read_regular_file(path: Path, max_size: int) -> bytes:
    """The bytes of a regular file of at most `max_size` bytes.

    Opened without blocking and checked on the open descriptor, so a FIFO, a device (a link to
    `/dev/zero` or `/dev/stdin`) or a socket named like a source file is refused instead of
    hanging or filling memory, and a file swapped for one of them after discovery is refused too.
    Raises OSError (`FileTooLarge` for size) with the reason."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags)
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        if status.st_size > max_size:
            raise FileTooLarge(status.st_size, max_size)
        chunks = []
        left = max_size + 1  # one byte more than allowed tells a file that grew since
        while left > 0:
            chunk = os.read(descriptor, min(left, max(status.st_size + 1, 64 * 1024)))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(descriptor)
    data = b"".join(chunks)
    if len(data) > max_size:
        raise FileTooLarge(len(data), max_size)
    return data
