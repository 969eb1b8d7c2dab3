"""Time `reviewer check` against bandit and ruff on generated repositories.

    python bench/run.py                       # 20k, 100k and 300k lines, 5 runs each
    python bench/run.py --sizes 20000 --runs 3 --json bench/results.json
    python bench/run.py --sizes 300000 --runs 1 --merge bench/results.json --json bench/results-all.json

For every size it generates the repository (bench/generate.py, fixed seed), primes the cache,
then repeats, interleaved so that load changes hit every tool alike:

    reviewer cold        --no-cache, default --jobs (one worker per CPU)
    reviewer cold -j1    --no-cache --jobs 1
    reviewer warm        cache primed, nothing changed
    reviewer warm+touch  cache primed, one file's content changed since the last run
    bandit               bandit -r
    ruff                 ruff check --select S,ASYNC,FAST --no-cache

Each measurement records wall time, CPU time (user + system of the process and its workers,
the figure that stays meaningful on a loaded machine) and peak RSS (of the largest single
process of the tree). The table shows medians with reviewer/bandit and reviewer/ruff ratios and
throughput, and the targets of issue 8 as met or not; `--json` writes everything, runs included.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate  # noqa: E402 - the generator sits next to this script

BIN = Path(sys.executable).parent
TOUCHED = "app/main.py"


@dataclass
class Sample:
    wall: float
    cpu: float
    rss_mb: float
    exit_code: int


def _tool(name: str) -> str:
    found = BIN / name
    if found.exists():
        return str(found)
    located = shutil.which(name)
    if located is None:
        sys.exit(f"bench: `{name}` is not installed; `pip install -e '.[bench]'` installs bandit and ruff")
    return located


def commands(report: Path) -> dict[str, list[str]]:
    reviewer = [_tool("reviewer"), "check", ".", "--format", "json", "-o", str(report), "-q"]
    return {
        "reviewer cold": [*reviewer, "--no-cache"],
        "reviewer cold -j1": [*reviewer, "--no-cache", "--jobs", "1"],
        "reviewer warm": reviewer,
        "reviewer warm+touch": reviewer,
        "bandit": [_tool("bandit"), "-r", ".", "-q", "-f", "json", "-o", os.devnull],
        "ruff": [_tool("ruff"), "check", "--select", "S,ASYNC,FAST", "--no-cache", "--exit-zero", "-q", "."],
    }


def measure(command: list[str], cwd: Path, report: Path | None = None) -> Sample:
    """Run `command` once. Exit code 1 means "findings" for every tool here, so a reviewer run
    also has to leave a complete JSON report in `report` to count: a crash exits 1 too."""
    if report is not None:
        report.unlink(missing_ok=True)
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1) or (report is not None and not _complete(report)):
            errors.seek(0)
            detail = errors.read().decode(errors="replace")
            sys.exit(f"bench: {' '.join(command)} failed with exit code {code}:\n{detail}")
    # ru_maxrss is in KiB on Linux; the waited-for child's figure covers its reaped workers too.
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, code)


def _complete(report: Path) -> bool:
    try:
        return "files_scanned" in json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False


def touch(repo: Path, run: int) -> None:
    """Change one file's content (not just its mtime: the cache is keyed by content)."""
    target = repo / TOUCHED
    lines = target.read_text(encoding="utf-8").splitlines()
    lines = [line for line in lines if not line.startswith("# bench touch")]
    target.write_text("\n".join([*lines, f"# bench touch {run}", ""]), encoding="utf-8")


def bench_size(lines: int, runs: int, workdir: Path, seed: int) -> dict:
    repo = workdir / f"repo-{lines}"
    counts = generate(repo, lines, seed)
    report = workdir / f"report-{lines}.json"
    cmds = commands(report)
    measure(cmds["reviewer warm"], repo, report)  # primes .reviewer_cache/
    samples: dict[str, list[Sample]] = {name: [] for name in cmds}
    for run in range(runs):
        for name, command in cmds.items():
            if name == "reviewer warm+touch":
                touch(repo, run)
            samples[name].append(measure(command, repo, report if name.startswith("reviewer") else None))
            print(f"  {lines} lines, run {run + 1}/{runs}: {name:<20} {samples[name][-1].wall:7.2f} s", file=sys.stderr)
    medians = {
        name: {
            "wall": statistics.median(s.wall for s in got),
            "cpu": statistics.median(s.cpu for s in got),
            "rss_mb": max(s.rss_mb for s in got),
        }
        for name, got in samples.items()
    }
    return {
        "lines": counts["lines"],
        "files": counts["files"],
        "medians": medians,
        "runs": {name: [asdict(s) for s in got] for name, got in samples.items()},
    }


def machine() -> dict:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": model or platform.processor(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_start": os.getloadavg(),
    }


def targets(results: dict[int, dict]) -> list[tuple[str, str, bool | None]]:
    """Issue 8's targets against the measured medians; None where the size was not run."""

    def median(size: int, name: str, key: str = "wall") -> float | None:
        return results[size]["medians"][name][key] if size in results else None

    checks: list[tuple[str, str, bool | None]] = []
    cold, bandit = median(100_000, "reviewer cold"), median(100_000, "bandit")
    warm, touched = median(100_000, "reviewer warm"), median(100_000, "reviewer warm+touch")
    ruff = median(100_000, "ruff")
    if cold is not None and bandit is not None and warm is not None and touched is not None and ruff is not None:
        checks += [
            ("cold <= 1.0x bandit (100k)", f"{cold / bandit:.2f}x", cold <= bandit),
            ("warm <= 0.1x bandit (100k)", f"{warm / bandit:.2f}x", warm <= 0.1 * bandit),
            ("warm <= 5x ruff (100k)", f"{warm / ruff:.1f}x", warm <= 5 * ruff),
            ("warm+touch <= 0.15x bandit (100k)", f"{touched / bandit:.2f}x", touched <= 0.15 * bandit),
        ]
    if 300_000 in results:
        rss = max(m["rss_mb"] for name, m in results[300_000]["medians"].items() if name.startswith("reviewer"))
        checks.append(("peak RSS <= 300 MB (300k)", f"{rss:.0f} MB", rss <= 300))
        if 100_000 in results:
            ratio = median(300_000, "reviewer cold") / median(100_000, "reviewer cold")
            checks.append(("300k cold <= 3.3x 100k cold", f"{ratio:.2f}x", ratio <= 3.3))
    return checks


def table(results: dict[int, dict]) -> str:
    rows = [
        f"{'size':>8} {'tool':<20} {'wall s':>8} {'cpu s':>8} {'/bandit':>8} {'/ruff':>8} "
        f"{'files/s':>9} {'lines/s':>10} {'RSS MB':>7}"
    ]
    for size, result in results.items():
        medians = result["medians"]
        bandit, ruff = medians["bandit"]["wall"], medians["ruff"]["wall"]
        for name, m in medians.items():
            rows.append(
                f"{size:>8} {name:<20} {m['wall']:>8.2f} {m['cpu']:>8.2f} {m['wall'] / bandit:>7.2f}x "
                f"{m['wall'] / ruff:>7.1f}x {result['files'] / m['wall']:>9.0f} {result['lines'] / m['wall']:>10.0f} "
                f"{m['rss_mb']:>7.0f}"
            )
        rows.append("")
    for name, value, met in targets(results):
        verdict = "met" if met else "NOT met"
        rows.append(f"target: {name:<36} {value:>9}  {verdict}")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark reviewer against bandit and ruff.")
    parser.add_argument("--sizes", default="20000,100000,300000", help="comma-separated line counts")
    parser.add_argument("--runs", type=int, default=5, help="measurements per tool and size (median reported)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "backend-reviewer-bench",
                        help="where the repositories are generated (replaced on every run)")
    parser.add_argument("--json", dest="json_path", type=Path, default=Path("bench/results.json"))
    parser.add_argument("--merge", type=Path, help="an earlier results JSON whose sizes join the table and targets")
    args = parser.parse_args()

    info = machine()
    results: dict[int, dict] = {}
    if args.merge is not None:
        earlier = json.loads(args.merge.read_text(encoding="utf-8"))
        results.update({int(size): result for size, result in earlier["results"].items()})
    for size in (int(s) for s in args.sizes.split(",") if s.strip()):
        results[size] = bench_size(size, args.runs, args.workdir.resolve(), args.seed)
    results = dict(sorted(results.items()))
    info["load_average_at_end"] = os.getloadavg()
    report = table(results)
    print(f"machine: {info['cpu']}, {info['cpus']} CPUs, Python {info['python']}, "
          f"load {info['load_average_at_start'][0]:.1f} -> {info['load_average_at_end'][0]:.1f}")
    print(report)
    payload = {
        "machine": info,
        "merged_from": str(args.merge) if args.merge else None,
        "runs": args.runs,
        "seed": args.seed,
        "results": {str(size): result for size, result in results.items()},
        "targets": [{"target": n, "value": v, "met": m} for n, v, m in targets(results)],
    }
    args.json_path.parent.mkdir(parents=True, exist_ok=True)
    args.json_path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.json_path}", file=sys.stderr)


if __name__ == "__main__":
    main()
