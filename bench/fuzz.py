"""Fuzz `reviewer check` with hostile repositories: 0 crashes, 0 hangs, 0 lost files.

    python bench/fuzz.py --seconds 600                       # generated and mutated programs
    python bench/fuzz.py --seconds 600 --corpus ../apps      # also mutate the .py files found there
    python bench/fuzz.py --rounds 8 --seed 3                 # a fixed, short run (the test suite's)

Each round writes a repository of about 40 Python files into a temporary directory, then runs
`reviewer check --format json --no-cache` on it in a process of its own, with a time limit:

- programs generated from fragments of Python (real syntax, Python 3.12 syntax, broken syntax,
  secrets, SQL, routes, blocking calls), and real files (the project's own sources and fixtures,
  and any `--corpus`) mutated: lines cut, repeated or shuffled, bytes inserted (NUL, form feed,
  CR, escape sequences, lone surrogates, non-UTF-8 bytes, a BOM, a coding cookie), brackets
  nested past the parser's limit, long chains of operators, calls and attributes, long lines;
- hostile trees: non-UTF-8 and control-character file names, FIFOs and device links named
  `*.py`, symbolic links in and out of the tree and in loops, an empty `pyvenv.cfg`, a
  `.gitignore` of patterns that backtrack, a nested `pyproject.toml`.

A round fails if the reviewer exits with anything but 0 or 1 (2 is allowed only where the round
planted a bad configuration), prints a traceback, does not finish in time, prints a report that
is not JSON, or loses a file: every regular Python file written must be counted as scanned, and
every entry that is not (a link out of the tree) must be listed as skipped. Failing repositories
are kept under `--keep` for a reproduction. Exit status 1 if any round failed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FRAGMENTS = [
    "from fastapi import FastAPI, Request\napp = FastAPI(debug=True)\n",
    "import time\nasync def handler():\n    time.sleep(1)\n",
    "from sqlalchemy import text\ndef q(s, name):\n"
    "    return s.execute(text(f\"SELECT * FROM t WHERE n = '{name}'\"))\n",
    'API_KEY = "sk_live_51HqLyjWDarjtT1zdp7dcXYZ"\n',
    'TOKEN = "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"\n',
    "DSN = 'postgresql://user:s3cr3t-Pa55@db.internal/app'\n",
    "@app.post('/x')\nasync def x(body: dict, request: Request):\n    return await request.json()\n",
    "class A[T]:\n    def f[U](self, x: U) -> T: ...\n",
    "type Alias = list[int]\n",
    "match x:\n    case {'a': 1, **rest}:\n        pass\n    case [1, *_]:\n        pass\n",
    "print(f\"{'nested' + f'{1:>{2}}'}\")\n",
    "x: int\n(y): int = 3\n",
    "def (:\n",
    "if True:\n  x = 1\n    y = 2\n",
    "lambda: (yield)\n",
    "with (open('a') as f, open('b') as g):\n    pass\n",
    "async def g():\n    return [x async for x in y if await x]\n",
    "x = '''unterminated\n",
    "# reviewer: ignore\n",
    "y = 1  # noqa: RVW501\n",
    "\\\n",
]
INSERTIONS = [
    "\x00", "\x0c", "\r", "\r\n", "\x1b[31m", "\x1b]8;;http://x\x07", "\ufeff", "\u202e", "\u2028",
    "\\udcff", "\udcff", "é", "\U0001f600", "::error::x", "%0A", "\t", " " * 50,
]


@dataclass
class Round:
    number: int
    directory: Path
    python_files: set[str] = field(default_factory=set)  # regular files that must be scanned
    outside_links: set[str] = field(default_factory=set)  # links that must be listed as skipped
    other_entries: set[str] = field(default_factory=set)  # FIFOs, loops, devices: counted either way
    bad_config: bool = False


def corpus_files(extra: list[Path]) -> list[Path]:
    found = sorted((ROOT / "reviewer").rglob("*.py")) + sorted((ROOT / "rules").rglob("*.py"))
    found += sorted((ROOT / "fixtures").rglob("*.py"))
    for directory in extra:
        found += sorted(p for p in directory.rglob("*.py") if p.is_file() and ".git" not in p.parts)
    return found


def generated(rng: random.Random) -> bytes:
    parts = [rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 8))]
    text = "".join(parts)
    kind = rng.random()
    if kind < 0.1:
        depth = rng.choice([150, 199, 201, 400])
        text += "x = " + "(" * depth + "1" + ")" * depth + "\n"
    elif kind < 0.2:
        link = rng.choice([".filter(a)", "[0]", ".a", " + b", "()"])
        text += "x = q" + link * rng.choice([50, 400, 600, 3000]) + "\n"
    elif kind < 0.25:
        text += "x = [" + "1, " * rng.choice([1000, 50_000]) + "]\n"
    return text.encode("utf-8", "surrogatepass")


def mildly_mutated(rng: random.Random, source: bytes) -> bytes:
    """A real file kept parseable, so the rules see it: valid fragments appended, odd characters
    put into comments."""
    lines = source.decode("utf-8", "surrogateescape").splitlines(keepends=True)
    for _ in range(rng.randint(1, 5)):
        if lines and rng.random() < 0.5:
            at = rng.randrange(len(lines))
            insertion = rng.choice([i for i in INSERTIONS if i not in ("\r", "\r\n", "\x00", "\u2028")])
            lines[at] = lines[at].rstrip("\r\n") + f"  # {insertion}\n"
        else:
            lines.append(rng.choice(FRAGMENTS[:12]))
    return "".join(lines).encode("utf-8", "surrogateescape")


def mutated(rng: random.Random, source: bytes) -> bytes:
    """A real file damaged: lines cut, repeated, shuffled, bytes inserted, cut short."""
    text = source.decode("utf-8", "surrogateescape")
    lines = text.splitlines(keepends=True) or [""]
    for _ in range(rng.randint(1, 4)):
        operation = rng.randrange(7)
        at = rng.randrange(len(lines))
        if operation == 0:
            del lines[at : at + rng.randint(1, 20)]
        elif operation == 1:
            lines[at:at] = lines[at : at + rng.randint(1, 10)] * rng.randint(2, 5)
        elif operation == 2:
            segment = lines[at : at + 30]
            rng.shuffle(segment)
            lines[at : at + 30] = segment
        elif operation == 3:
            line = lines[at] if lines else ""
            cut = rng.randint(0, len(line))
            lines[at] = line[:cut] + rng.choice(INSERTIONS) + line[cut:]
        elif operation == 4:
            lines = lines[: rng.randint(0, len(lines))]
        elif operation == 5:
            lines.insert(at, rng.choice(FRAGMENTS))
        else:
            lines[at:at] = ["    " * rng.randint(0, 40) + rng.choice(lines or ["pass\n"]).lstrip()]
        lines = lines or [""]
    data = "".join(lines).encode("utf-8", "surrogateescape")
    choice = rng.random()
    if choice < 0.05:
        data = b"# -*- coding: latin-1 -*-\n" + data
    elif choice < 0.08:
        data = b"\xef\xbb\xbf" + data
    elif choice < 0.1:
        data = data.replace(b"\n", b"\r")
    elif choice < 0.12:
        data = data[: rng.randint(0, len(data))] + bytes([rng.randrange(256)]) + data[rng.randint(0, len(data)) :]
    return data


def build_round(number: int, rng: random.Random, corpus: list[Path], base: Path) -> Round:
    directory = base / f"round-{number:04}"
    (directory / "app").mkdir(parents=True)
    current = Round(number, directory)
    for index in range(40):
        folder = rng.choice(["app", "app/api", "services/billing", "env", "build", "dist", "scripts", "."])
        name = rng.choice([f"m{index}.py", f"m{index}.py", f"\u202e{index}.py", f"-{index}.py", f"a b {index}.py"])
        path = directory / folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        kind = rng.random()
        if kind < 0.4:
            data = mildly_mutated(rng, rng.choice(corpus).read_bytes())
        elif kind < 0.7:
            data = mutated(rng, rng.choice(corpus).read_bytes())
        else:
            data = generated(rng)
        path.write_bytes(data)
        current.python_files.add(path.relative_to(directory).as_posix())
    odd = rng.random()
    if odd < 0.3:
        weird = os.fsdecode(b"app/\xff\xfe" + str(number).encode() + b".py")
        (directory / weird).write_bytes(generated(rng))
        current.python_files.add(weird)
    if odd < 0.5:
        os.mkfifo(directory / "app" / "pipe.py")
        current.other_entries.add("app/pipe.py")
    if rng.random() < 0.4:
        os.symlink("/dev/zero", directory / "zero.py")
        os.symlink("/", directory / "everything")
        current.outside_links |= {"zero.py", "everything"}
    if rng.random() < 0.3:
        os.symlink("loop.py", directory / "loop.py")
        current.other_entries.add("loop.py")
    if rng.random() < 0.3:
        os.symlink("app", directory / "zzz")
    if rng.random() < 0.2:
        (directory / "app" / "pyvenv.cfg").write_text("")
    if rng.random() < 0.2:
        (directory / ".gitignore").write_text("**/a/" * 12 + "b\n" + "**/x/\n" * 1000)
    if rng.random() < 0.1:
        (directory / "pyproject.toml").write_text("[tool.reviewer]\nx = " + "[" * 3000 + "]" * 3000 + "\n")
        current.bad_config = True
    return current


def check_round(current: Round, timeout: float) -> str | None:
    """Why the round failed, or None."""
    command = [sys.executable, "-c", "from reviewer.cli import main; main()", "check", "--format", "json", "--no-cache"]
    command.append(".")
    try:
        result = subprocess.run(
            command, cwd=current.directory, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        return f"hang: no answer within {timeout:g} s"
    stderr = result.stderr.decode("utf-8", "replace")
    if current.bad_config:
        if result.returncode == 2 and "Traceback" not in stderr:
            return None
        return f"crash: a bad configuration gave exit {result.returncode}: {stderr[-500:]}"
    if result.returncode not in (0, 1) or "Traceback" in stderr or "internal error" in stderr:
        return f"crash: exit {result.returncode}: {stderr[-2000:]}"
    try:
        report = json.loads(result.stdout)
    except ValueError as error:
        return f"crash: the report is not JSON ({error})"
    skipped = {entry["path"] for entry in report["skipped"]}
    internal = [e for e in report["errors"] if e["kind"] == "internal-error"]
    if internal:
        return f"crash: {internal[0]['message']}"
    lost = current.outside_links - skipped
    scanned = report["files_scanned"]
    low = len(current.python_files)
    high = low + len(current.other_entries)
    if lost or not low <= scanned <= high:
        return f"lost files: {scanned} scanned of {low}..{high}; links not listed as skipped: {sorted(lost)}"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=0, help="run rounds until this much time has passed")
    parser.add_argument("--rounds", type=int, default=0, help="run this many rounds (default: until --seconds)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=300, help="seconds a round may take before it is a hang")
    parser.add_argument("--corpus", type=Path, action="append", default=[], help="more .py files to mutate")
    parser.add_argument("--keep", type=Path, help="copy failing rounds here")
    options = parser.parse_args()
    if not options.seconds and not options.rounds:
        options.rounds = 10
    rng = random.Random(options.seed)
    corpus = corpus_files(options.corpus)
    started = time.monotonic()
    failures = []
    number = 0
    with tempfile.TemporaryDirectory(prefix="reviewer-fuzz-") as scratch:
        while True:
            if options.rounds and number >= options.rounds:
                break
            if options.seconds and time.monotonic() - started > options.seconds:
                break
            current = build_round(number, rng, corpus, Path(scratch))
            problem = check_round(current, options.timeout)
            if problem is not None:
                failures.append((number, problem))
                print(f"round {number}: {problem}", flush=True)
                if options.keep:
                    shutil.copytree(current.directory, options.keep / current.directory.name, symlinks=True)
            shutil.rmtree(current.directory, ignore_errors=True)
            number += 1
    files = number * 40
    kinds = {kind: sum(problem.startswith(kind) for _, problem in failures) for kind in ("crash", "hang", "lost")}
    print(
        f"{number} rounds, about {files} files, {time.monotonic() - started:.0f} s: "
        f"{kinds['crash']} crashes, {kinds['hang']} hangs, {kinds['lost']} rounds with lost files"
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
