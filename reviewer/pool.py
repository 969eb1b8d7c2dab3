"""The per-file pass in worker processes: batches, budgets, and surviving what kills a worker.

Parsing always happens in workers, even with `--jobs 1`: libcst's native parser can crash or
exhaust the process on pathological input. So that one such file costs only itself:

- every worker notes on a board (a private temporary directory, one small file per worker,
  rewritten in place) which file it is on and since when;
- a file over its time budget gets its worker killed, and is reported as over budget; a worker is
  given an address-space limit (its memory budget), so a file that needs more fails there;
- when a worker dies, the pool breaks and every unfinished batch fails with it: the files the
  board shows in progress are the suspects, each re-run alone (a file that kills its lone worker
  too is reported), and every other file goes back into a fresh pool, in parallel;
- an interrupted review (Ctrl-C, SIGTERM, an error) kills its workers before it returns, and a
  worker dies with the review process (Linux's parent-death signal) if that is killed outright.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import gc
import os
import pickle
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewer.model import ErrorKind, FileError, FileResult
from reviewer.node_classes import direct_initialisers, plain_class_checks
from reviewer.rule import Rule

# (path relative to the scan root, the file's bytes, its module name, whether it is test code)
Item = tuple[str, bytes, str, bool]
Progress = Callable[[int, int], None]

# A worker holds a batch's results until the batch is done, and they travel back as one pickle:
# capping a batch's source size keeps that memory bounded on a large repository.
MAX_BATCH_BYTES = 512 * 1024
# Each batch takes this share of the source left per worker (1 / (2 * workers) with this 2):
# early batches are few and large, and they shrink as the work runs out.
SHARE_OF_REST = 2
# ... down to this fraction of a worker's share of the whole source: below it a batch costs more
# to hand over than it saves in idling.
SMALLEST_BATCH = 1 / 32
# What a file costs besides its size, in bytes of source (its rules and analyses start, its
# tables are built): a batch of a hundred small files takes longer than its bytes say.
FILE_OVERHEAD_BYTES = 1000
# How often the review checks the board for a file over its time budget.
POLL_SECONDS = 0.25
_PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Budget:
    """What one file may cost: wall-clock seconds, and memory (bytes of address space a worker
    may add to what it had when it started)."""

    seconds: float
    memory: int


@dataclass(frozen=True)
class _WorkerSetup:
    rules: Sequence[type[Rule]]
    options: Mapping[str, Mapping[str, Any]]
    board: str
    memory: int


_setup: _WorkerSetup | None = None
_note_descriptor: int | None = None


def _init_worker(setup: _WorkerSetup) -> None:
    global _setup, _note_descriptor
    _setup = setup
    _note_descriptor = os.open(os.path.join(setup.board, str(os.getpid())), os.O_WRONLY | os.O_CREAT, 0o600)
    # A file's tree and its analysis live exactly as long as the file's review, and whatever
    # of it is cyclic garbage is collected when the file is done (`_analyze_batch`). Python's
    # automatic collections, meanwhile, would traverse the growing tree again and again.
    gc.disable()
    # A forked worker starts with the review process's objects (after a cache read, every cached
    # file's summary and findings), never garbage here: the collections after each file must not
    # traverse them, nor write to their pages.
    gc.freeze()
    plain_class_checks()
    direct_initialisers()
    # The review process handles Ctrl-C and SIGTERM for its workers (it kills them).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    _limit_memory(setup.memory)


def _die_with_parent() -> None:
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _limit_memory(budget: int) -> None:
    try:
        import resource

        with open("/proc/self/statm", encoding="ascii") as statm:
            in_use = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = in_use + budget
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, OSError, ValueError):
        pass  # not Linux: the time budget still bounds a runaway file


def _note(relpath: str | None) -> None:
    """Tell the review which file this worker is on (None: none). One write at the start of
    the worker's note, ended by a NUL: cheaper than a file per note, which was a tenth of a
    cold run on some file systems."""
    assert _note_descriptor is not None
    text = "" if relpath is None else f"{time.time()}\n{relpath}"
    os.pwrite(_note_descriptor, text.encode("utf-8", "surrogateescape") + b"\0", 0)


def _analyze_batch(batch: Sequence[Item]) -> list[bytes]:
    """Each file's result, pickled: the form it travels back in, and the form the cache stores,
    so the review process does not pickle it a second time to keep it."""
    from reviewer.analysis import analyze

    assert _setup is not None
    results = []
    for relpath, data, module, is_test in batch:
        _note(relpath)
        try:
            result = analyze(relpath, data, _setup.rules, _setup.options, module, is_test)
        except MemoryError:
            result = _failed(relpath, ErrorKind.OVER_BUDGET, "needed more memory than its budget per file")
        except Exception as error:  # noqa: BLE001 - an engine bug costs one file, not the run
            result = _failed(relpath, ErrorKind.INTERNAL, f"internal error: {error!r}")
        try:
            results.append(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
        except Exception as error:  # noqa: BLE001 - a result that cannot travel back costs its file
            failed = _failed(relpath, ErrorKind.INTERNAL, f"internal error: its result cannot be kept: {error!r}")
            results.append(pickle.dumps(failed, protocol=pickle.HIGHEST_PROTOCOL))
        del result  # its pickle is what travels: freed now, the collection below need not look at it
        gc.collect(0)
    _note(None)
    gc.collect(1)
    return results


def _failed(relpath: str, kind: ErrorKind, message: str) -> FileResult:
    result = FileResult(path=relpath)
    result.errors.append(FileError(relpath, kind, message))
    return result


def chunks(items: Sequence[Item], jobs: int) -> list[list[Item]]:
    """Batches for `jobs` workers: the largest files first, and batches that shrink as the work
    runs out, each taking a share of what is left. The workers pull them in order, so they run
    out of work together, within a small batch's time of each other, and a large file is never
    the last thing one of them starts."""
    if not items:
        return []
    ordered = sorted(items, key=lambda item: len(item[1]), reverse=True)
    rest = sum(len(item[1]) + FILE_OVERHEAD_BYTES for item in ordered)
    smallest = max(1, int(rest / jobs * SMALLEST_BATCH))
    batches: list[list[Item]] = []
    target = size = 0
    for item in ordered:
        if not batches or size >= target:
            batches.append([])
            target = max(smallest, min(MAX_BATCH_BYTES, rest // (SHARE_OF_REST * jobs)))
            size = 0
        batches[-1].append(item)
        size += len(item[1]) + FILE_OVERHEAD_BYTES
        rest -= len(item[1]) + FILE_OVERHEAD_BYTES
    return batches


def _read_board(board: Path) -> dict[int, tuple[float, str]]:
    """Worker pid -> (since when, which file) for every worker that is on a file."""
    found: dict[int, tuple[float, str]] = {}
    for entry in board.iterdir():
        try:
            data = entry.read_bytes()
        except OSError:
            continue
        since, _, relpath = data.partition(b"\0")[0].decode("utf-8", "surrogateescape").partition("\n")
        if relpath:
            with contextlib.suppress(ValueError):
                found[int(entry.name)] = (float(since), relpath)
    return found


def _stop(pool: concurrent.futures.ProcessPoolExecutor) -> None:
    """End the pool now: its workers are killed, not awaited, and gone when this returns."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    kill = getattr(pool, "kill_workers", None)  # Python 3.14
    if kill is not None:
        kill()
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AttributeError, AssertionError):
            process.join(timeout=5)


@dataclass
class _Round:
    """What one pool made of its batches."""

    results: list[FileResult]
    retry: list[Item]  # bystanders of a broken pool: not to blame, to be reviewed again
    suspects: list[Item]  # in progress when the pool broke
    timed_out: set[str]


class WorkerPool:
    def __init__(
        self,
        jobs: int,
        rules: Sequence[type[Rule]],
        options: Mapping[str, Mapping[str, Any]],
        budget: Budget,
        progress: Progress | None = None,
    ) -> None:
        self.jobs = jobs
        self.rules = rules
        self.options = options
        self.budget = budget
        self.progress = progress
        self.done = 0
        self.total = 0
        # Each result a worker made, by path, as the worker pickled it: what the cache stores.
        self.pickled: dict[str, bytes] = {}

    def review(self, items: Sequence[Item], done: int = 0, total: int | None = None) -> list[FileResult]:
        self.done, self.total = done, len(items) if total is None else total
        results: list[FileResult] = []
        pending = list(items)
        while pending:
            outcome = self._round(chunks(pending, self.jobs), self.jobs)
            results += outcome.results
            if not outcome.suspects and outcome.retry:
                # The pool broke with no file in progress (a worker failed to start, say):
                # review each of the rest alone rather than loop.
                outcome.suspects, outcome.retry = outcome.retry, []
            for item in outcome.suspects:
                results.append(self._isolated(item))
            pending = outcome.retry
        return results

    def _isolated(self, item: Item) -> FileResult:
        outcome = self._round([[item]], 1)
        if outcome.results:
            return outcome.results[0]
        relpath = item[0]
        if relpath in outcome.timed_out:
            return self._count(self._over_time(relpath))
        return self._count(
            _failed(
                relpath,
                ErrorKind.PARSER_CRASH,
                "the review process died on this file (a parser crash, or more memory than the budget "
                f"of {self.budget.memory // (1024 * 1024)} MB per file); the file was not reviewed",
            )
        )

    def _unpickled(self, payload: bytes) -> FileResult:
        result: FileResult = pickle.loads(payload)  # noqa: S301 - our own worker's, over a pipe it holds
        self.pickled[result.path] = payload
        return result

    def _over_time(self, relpath: str) -> FileResult:
        return _failed(
            relpath,
            ErrorKind.OVER_BUDGET,
            f"not reviewed within the time budget of {self.budget.seconds:g} s per file (file-timeout)",
        )

    def _count(self, result: FileResult) -> FileResult:
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total)
        return result

    def _round(self, batches: list[list[Item]], workers: int) -> _Round:
        outcome = _Round([], [], [], set())
        if not batches:
            return outcome
        with _board() as board:
            setup = _WorkerSetup(self.rules, self.options, str(board), self.budget.memory)
            pool = concurrent.futures.ProcessPoolExecutor(
                max(1, min(workers, len(batches))), initializer=_init_worker, initargs=(setup,)
            )
            try:
                clean = self._drive(pool, board, batches, outcome)
            except BaseException:
                _stop(pool)
                raise
            if clean:
                pool.shutdown(wait=True)
            else:
                _stop(pool)
        return outcome

    def _drive(
        self,
        pool: concurrent.futures.ProcessPoolExecutor,
        board: Path,
        batches: list[list[Item]],
        outcome: _Round,
    ) -> bool:
        """Run the batches; False if the pool broke (a worker died or was killed)."""
        futures: dict[concurrent.futures.Future[list[bytes]], list[Item]] = {}
        for position, batch in enumerate(batches):
            try:
                futures[pool.submit(_analyze_batch, batch)] = batch
            except BrokenProcessPool:
                outcome.retry += [item for rest in batches[position:] for item in rest]
                break
        broken = bool(outcome.retry)
        collected: set[concurrent.futures.Future[list[bytes]]] = set()
        waiting = set(futures)
        while waiting and not broken:
            finished, waiting = concurrent.futures.wait(
                waiting, timeout=POLL_SECONDS, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in finished:
                try:
                    batch_results = [self._unpickled(payload) for payload in future.result()]
                except BrokenProcessPool:
                    broken = True
                    continue
                except Exception as error:  # noqa: BLE001 - results that cannot travel back, say
                    message = f"internal error: {error!r}"
                    batch_results = [_failed(relpath, ErrorKind.INTERNAL, message) for relpath, *_ in futures[future]]
                collected.add(future)
                outcome.results += [self._count(result) for result in batch_results]
            if not broken:
                self._enforce_time_budget(board, outcome)
        if not broken:
            return True
        # The pool broke: a worker's last note names the file it died on (or was killed on, or
        # was stopped on when the pool went down). Those files are suspects; the rest of every
        # unfinished batch goes round again.
        in_progress = {relpath for _, relpath in _read_board(board).values()}
        for future, batch in futures.items():
            if future in collected:
                continue
            for item in batch:
                if item[0] in outcome.timed_out:
                    outcome.results.append(self._count(self._over_time(item[0])))
                elif item[0] in in_progress:
                    outcome.suspects.append(item)
                else:
                    outcome.retry.append(item)
        return False

    def _enforce_time_budget(self, board: Path, outcome: _Round) -> None:
        now = time.time()
        for pid, (since, relpath) in _read_board(board).items():
            if now - since > self.budget.seconds and relpath not in outcome.timed_out:
                outcome.timed_out.add(relpath)
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def _board() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="reviewer-board-"))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)
