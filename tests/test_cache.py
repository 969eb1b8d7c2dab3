"""The cache: an unchanged re-run parses nothing; anything doubtful is a miss and rewritten."""

from __future__ import annotations

import pickle
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from reviewer import analysis, engine, pool
from reviewer.config import Config
from reviewer.pickling import pickled_by_fields
from reviewer.registry import load_rules

DEBUG_APP = "from fastapi import FastAPI\napp = FastAPI(debug=True)\n"
RULES = load_rules()


def review(root: Path, config: Config | None = None) -> engine.Run:
    return engine.run([root], config or Config(), RULES, jobs=1, use_cache=True, cwd=root)


def entries(root: Path) -> list[Path]:
    return sorted((root / ".reviewer_cache").rglob("*.pickle"))


def test_second_run_reads_everything_from_the_cache(write, tmp_path: Path) -> None:
    write({"app/main.py": DEBUG_APP, "app/util.py": "x = 1\n", "app/broken.py": "def (:\n"})
    first = review(tmp_path)
    assert first.cache_hits == 0
    second = review(tmp_path)
    assert second.cache_hits == 3
    assert second.findings == first.findings
    assert second.errors == first.errors
    assert (tmp_path / ".reviewer_cache" / ".gitignore").read_text().strip().endswith("*")


def test_a_fresh_result_is_kept_as_its_worker_pickled_it(
    write, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write({"app/main.py": DEBUG_APP, "app/util.py": "x = 1\n"})
    kept: dict[str, bytes | None] = {}
    put = engine.Cache.put

    def spy(self, key: str, result, pickled: bytes | None = None) -> None:
        kept[result.path] = pickled
        put(self, key, result, pickled)

    monkeypatch.setattr(engine.Cache, "put", spy)
    first = review(tmp_path)
    assert sorted(kept) == ["app/main.py", "app/util.py"]
    for path, pickled in kept.items():
        assert pickled is not None
        assert pickle.loads(pickled).path == path  # noqa: S301
    stored = sorted(entry.read_bytes() for entry in entries(tmp_path))
    assert [[blob.endswith(pickled) for pickled in kept.values()] for blob in stored] in (
        [[True, False], [False, True]], [[False, True], [True, False]])
    second = review(tmp_path)
    assert second.cache_hits == 2
    assert second.findings == first.findings


def test_a_changed_file_or_configuration_is_reviewed_again(write, tmp_path: Path) -> None:
    write({"app/main.py": DEBUG_APP, "app/util.py": "x = 1\n"})
    review(tmp_path)
    (tmp_path / "app" / "util.py").write_text("from fastapi import FastAPI\nweb = FastAPI(debug=True)\n")
    run = review(tmp_path)
    assert run.cache_hits == 1
    assert sorted(f.path for f in run.findings) == ["app/main.py", "app/util.py"]
    assert review(tmp_path, Config(select=["RVW501"])).cache_hits == 0


def test_corrupt_truncated_and_foreign_entries_are_ignored_and_rewritten(
    write, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write({"app/a.py": DEBUG_APP, "app/b.py": DEBUG_APP, "app/c.py": DEBUG_APP})
    review(tmp_path)
    a, b, c = entries(tmp_path)
    a.write_bytes(b"garbage")
    b.write_bytes(b.read_bytes()[:-10])
    blob = bytearray(c.read_bytes())
    blob[10] ^= 0xFF  # a signature that does not match, as from a cache planted by someone else
    c.write_bytes(bytes(blob))
    run = review(tmp_path)
    assert run.cache_hits == 0
    assert len(run.findings) == 3
    assert review(tmp_path).cache_hits == 3, "the damaged entries were rewritten"


def test_an_entry_signed_with_another_key_is_never_loaded(
    write, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write({"app/a.py": DEBUG_APP})
    review(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "someone-else"))
    assert review(tmp_path).cache_hits == 0


def test_no_cache_neither_reads_nor_writes(write, cli, tmp_path: Path) -> None:
    write({"app/a.py": DEBUG_APP})
    cli("check", ".", "--no-cache")
    assert not (tmp_path / ".reviewer_cache").exists()


def test_cache_dir_keeps_the_cache_outside_the_reviewed_tree(write, cli, tmp_path: Path) -> None:
    """As CI keeps it between runs (the Action's `cache` input): a directory of its own, created
    with its parents, that every run given it reads."""
    write({"repo/app/main.py": DEBUG_APP, "repo/app/util.py": "x = 1\n"})
    kept = tmp_path / "ci" / "reviewer"
    for hits in ("", " (2 cached)"):
        code, out, _ = cli("check", "repo", "--cache-dir", str(kept), "-q")
        assert code == 1 and out.splitlines()[-1].endswith(f"s{hits}")
    assert len(list(kept.rglob("*.pickle"))) == 2
    assert not (tmp_path / "repo" / ".reviewer_cache").exists() and not (tmp_path / ".reviewer_cache").exists()


def test_unchanged_rerun_does_not_parse(write, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write({"app/a.py": DEBUG_APP})
    review(tmp_path)

    def fail(*args: object) -> None:
        raise AssertionError("parsed a cached file")

    monkeypatch.setattr(pool.WorkerPool, "review", fail)
    monkeypatch.setattr(analysis, "analyze", fail)
    assert review(tmp_path).cache_hits == 1


@pytest.mark.parametrize("module", ["reviewer/syntax.py", "reviewer/positions.py", "rules/async_io/_scan.py"])
def test_editing_engine_or_rule_code_invalidates_the_cache(write, tmp_path: Path, module: str) -> None:
    """A helper the rules import, a module only the workers load, a rule family's shared code."""
    import os

    write({"app/a.py": DEBUG_APP})
    review(tmp_path)
    assert review(tmp_path).cache_hits == 1
    helper = Path(__file__).resolve().parent.parent / module
    before = helper.stat()
    os.utime(helper, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
    try:
        assert review(tmp_path).cache_hits == 0
    finally:
        os.utime(helper, ns=(before.st_atime_ns, before.st_mtime_ns))


ROUTES = """\
from typing import Annotated
from fastapi import APIRouter, Depends, Query
import time

router = APIRouter()

def current_user(token: str = Query(...)) -> str:
    return token

@router.get("/items/{item_id}", response_model=list[int], status_code=200)
async def read_item(item_id: int, user: Annotated[str, Depends(current_user)], limit: int = 10):
    time.sleep(1)
    return load_items(item_id, limit)

def load_items(item_id: int, limit: int) -> list[int]:
    return [item_id] * limit
"""


def test_a_summary_comes_back_from_the_cache_as_it_was_written() -> None:
    """The records summaries hold by the thousand are pickled as their values alone
    (`reviewer.pickling`): each comes back equal to what the per-file pass made."""
    result = analysis.analyze("app/items.py", ROUTES.encode(), RULES, {r.code: dict(r.options) for r in RULES})
    data = pickle.dumps(result.summary)
    assert pickle.loads(data) == result.summary
    # Field names stay out of the cache: `annotation_text` is a field of a parameter's record,
    # `offloader` one of the call records the async-io scan keeps, pickled by its values.
    assert b"annotation_text" in data and b"offloader" not in data


def test_a_record_rebuilt_by_more_than_its_init_is_refused() -> None:
    @dataclass(frozen=True, slots=True)
    class Derived:
        base: int
        double: int = field(init=False, default=0)

    @dataclass(frozen=True, slots=True)
    class Checked:
        value: int

        def __post_init__(self) -> None:
            object.__setattr__(self, "value", abs(self.value))

    for cls in (Derived, Checked):
        with pytest.raises(TypeError, match="takes every field"):
            pickled_by_fields(cls)


def test_a_record_of_one_field_round_trips() -> None:
    @pickled_by_fields
    @dataclass(frozen=True, slots=True)
    class Single:
        name: str

    assert Single.__reduce__(Single("x")) == (Single, ("x",))
