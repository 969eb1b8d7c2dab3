"""A short, fixed run of the fuzz job (bench/fuzz.py): hostile repositories, generated and
mutated programs; no crash, no hang, no lost file. Longer runs are a benchmark (bench/README.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FUZZ = Path(__file__).resolve().parent.parent / "bench" / "fuzz.py"


def test_a_short_fuzz_run_finds_no_crash_hang_or_lost_file(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(FUZZ), "--rounds", "8", "--seed", "7", "--timeout", "120", "--keep", str(tmp_path)],
        capture_output=True, text=True, timeout=900,
    )
    summary = result.stdout.strip().splitlines()[-1]
    assert result.returncode == 0, result.stdout + result.stderr
    assert summary.startswith("8 rounds") and summary.endswith("0 crashes, 0 hangs, 0 rounds with lost files")
