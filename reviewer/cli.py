"""The `reviewer` command line: check, rules, explain.

Exit codes (contract): 0 no failing findings, 1 failing findings (or file errors under
`--strict`), 2 usage or configuration error, 3 internal error (the review did not complete; the
reports say so), 130 and 143 interrupted by SIGINT or SIGTERM (no report is written).
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from reviewer import __version__
from reviewer.config import Config, ConfigError, check_patterns, find_config, load_config, parse_seconds, parse_size
from reviewer.escaping import printable
from reviewer.model import Severity
from reviewer.output import OutputError, ReportTarget, check_target, printable_for, write_report
from reviewer.registry import RegistryError, find_rule, load_rules
from reviewer.wording import plural

if TYPE_CHECKING:
    from reviewer.fixes import FixOutcome

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_INTERRUPTED, EXIT_TERMINATED = 128 + signal.SIGINT, 128 + signal.SIGTERM
REPORT_FORMATS = ("text", "json", "sarif", "github", "markdown", "html")


def _codes(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [code.strip() for code in value.split(",") if code.strip()]


def _use_color(stream) -> bool:  # noqa: ANN001 - any text stream
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def _load_rules_or_exit():  # noqa: ANN202
    try:
        return load_rules()
    except RegistryError as error:
        _fail_usage(f"cannot load the rules: {error}")


class _Progress:
    """A one-line progress bar on stderr, shown only on a terminal and only for long scans."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total < 50:
            return
        width = 30
        filled = width * done // max(total, 1)
        sys.stderr.write(f"\rreviewing [{'#' * filled}{'.' * (width - filled)}] {done}/{total} files")
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r" + " " * 70 + "\r")
            sys.stderr.flush()


def _review_options(command):  # noqa: ANN001, ANN202 - a click command
    """The options of every command that reviews: which rules and paths, how, with which configuration."""
    options = [
        click.option(
            "--select", help="Comma-separated rule codes, code prefixes, rule names or checklist items to run."
        ),
        click.option("--ignore", help="Comma-separated rule codes, names or checklist items to skip."),
        click.option("--exclude", multiple=True, help="Glob (gitignore syntax) of paths to skip; repeatable."),
        click.option("--jobs", "-j", type=click.IntRange(min=1), help="Worker processes (default: CPU count)."),
        click.option("--no-cache", is_flag=True, help="Neither read nor write .reviewer_cache/."),
        click.option(
            "--cache-dir",
            type=click.Path(file_okay=False, path_type=Path),
            metavar="DIR",
            help="Keep the per-file cache in DIR instead of .reviewer_cache/ in the reviewed directory.",
        ),
        click.option(
            "--config",
            "config_file",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Configuration file (default: nearest pyproject.toml with [tool.reviewer]).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _checked_paths(paths: tuple[Path, ...]) -> list[Path]:
    """The paths to review (default: .), each one that exists and is a directory or Python file."""
    from reviewer.discovery import problem_with_given_path

    targets = list(paths) or [Path(".")]
    for target in targets:
        problem = problem_with_given_path(target)
        if problem is not None:
            _fail_usage(problem)
    return targets


def _configuration(config_file: Path | None, first_path: Path) -> Config:
    """The configuration file given, or the nearest one to the first reviewed path."""
    if config_file is not None and not config_file.is_file():
        raise ConfigError(f"{config_file}: configuration file not found")
    return load_config(config_file or find_config(first_path))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reviewer")
def main() -> None:
    """Review a FastAPI/SQLAlchemy backend against a quality checklist, without running it."""


def command() -> None:
    """The `reviewer` program: `main`, in a process that ends after its one run. Python's cycle
    collector stays off for all of it. The engine pauses the collector while it builds what lives
    until the report (every file's summary and findings); turned back on, the collector traced
    all of that once more just before the process exits (a tenth of a warm run on a 100k-line
    repository). Tests and other callers of `main` keep the collector as they have it."""
    gc.disable()
    main()


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "--output-format",
    "output_format",
    default="text",
    show_default=True,
    help="Report format.",
    type=click.Choice(REPORT_FORMATS),
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write the report to FILE.")
@click.option(
    "--report",
    "extra_reports",
    multiple=True,
    metavar="FORMAT:FILE",
    help="Also write the same run as FORMAT to FILE, e.g. sarif:review.sarif; repeatable.",
)
@_review_options
@click.option("--fail-on", type=click.Choice([s.label for s in Severity]), help="Lowest severity that fails the run.")
@click.option("--max-file-size", help="Skip (and report) files larger than this, e.g. 2MB.")
@click.option("--file-timeout", help="Time budget per file in seconds (default 120); a file over it is reported.")
@click.option("--file-memory", help="Memory budget per file, e.g. 3GB (the default); a file over it is reported.")
@click.option(
    "--companion",
    "companions",
    multiple=True,
    type=click.Choice(["ruff", "bandit", "mypy", "pyright", "types"]),
    help="Also run a companion engine (ruff: lint-clean, bandit: security-scan; mypy, pyright, or types: "
    "type-checked, where types is the project's type checker: pyright if it configures pyright and not mypy, "
    "else mypy); repeatable.",
)
@click.option("--strict", is_flag=True, help="Files that could not be reviewed fail the run too.")
@click.option(
    "--stdin-filename",
    type=click.Path(path_type=Path),
    help="With PATH `-`: review standard input as this file (its path in reports and configuration).",
)
@click.option(
    "--exit-zero", is_flag=True, help="Exit 0 even when findings fail the run (usage and internal errors still do not)."
)
@click.option("--fix", is_flag=True, help="Apply the safe fixes (checked before writing); report what is left.")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix or --diff: also apply fixes that may change behaviour.")
@click.option(
    "--diff", "show_diff", is_flag=True, help="Print the fixes as a unified diff in place of the report; write nothing."
)
@click.option(
    "--statistics", is_flag=True, help="Count findings per rule and item instead of listing them (text format)."
)
@click.option("--show-source", is_flag=True, help="Show each finding's source line, marked (text format).")
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the text report (auto: on a terminal, unless NO_COLOR is set).",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only findings and the summary line (text format).")
@click.option("--verbose", "-v", is_flag=True, help="Also list the paths not reviewed, and why (text format).")
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Report only findings not recorded in this baseline file (`reviewer baseline` writes one).",
)
@click.option("--no-baseline", is_flag=True, help="Ignore the configured baseline: report every finding.")
@click.option(
    "--diff-base",
    metavar="REF",
    help="Pull-request mode: report only findings whose evidence the change from REF's merge base touches.",
)
def check(
    paths: tuple[Path, ...],
    output_format: str,
    output: Path | None,
    extra_reports: tuple[str, ...],
    select: str | None,
    ignore: str | None,
    exclude: tuple[str, ...],
    jobs: int | None,
    no_cache: bool,
    cache_dir: Path | None,
    fail_on: str | None,
    config_file: Path | None,
    max_file_size: str | None,
    file_timeout: str | None,
    file_memory: str | None,
    companions: tuple[str, ...],
    strict: bool,
    stdin_filename: Path | None,
    exit_zero: bool,
    fix: bool,
    unsafe_fixes: bool,
    show_diff: bool,
    statistics: bool,
    show_source: bool,
    color: str,
    quiet: bool,
    verbose: bool,
    baseline_file: Path | None,
    no_baseline: bool,
    diff_base: str | None,
) -> None:
    """Review PATHS (default: the current directory) and report findings and the checklist."""
    from reviewer import engine
    from reviewer.discovery import NothingToReview, scan_root
    from reviewer.narrowing import NarrowingError, prepare_narrowing
    from reviewer.reporters import RenderOptions, reporters

    targets = list(paths) or [Path(".")]
    stdin = None
    if Path("-") in targets:
        if len(targets) > 1:
            _fail_usage("`-` (standard input) cannot be reviewed together with other paths")
        targets = [stdin_filename or Path("stdin.py")]
        if not targets[0].name.endswith(".py"):
            _fail_usage(f"--stdin-filename {targets[0]}: not a Python file name (.py)")
        stdin = sys.stdin.buffer.read()
    elif stdin_filename is not None:
        _fail_usage("--stdin-filename is for reviewing standard input: give `-` as the path")
    if stdin is not None and (fix or show_diff):
        _fail_usage("--fix and --diff change files: they cannot be used with `-` (standard input)")
    if stdin is None:
        targets = _checked_paths(tuple(targets))
    started = time.perf_counter()
    reports = [(output_format, output), *(_report_target(value) for value in extra_reports)]
    try:
        config = _configuration(config_file, targets[0])
        _apply_overrides(config, select, ignore, exclude, fail_on, max_file_size, file_timeout, file_memory)
        config.strict = config.strict or strict
        config.companions = _companions(config.companions, companions)
        tree = scan_root(targets, Path.cwd().resolve())
        destinations = [(fmt, None if path is None else check_target(path, tree)) for fmt, path in reports]
        baseline_path = None if no_baseline else baseline_file or config.baseline
        narrowing = prepare_narrowing(baseline_path, diff_base, tree)
    except ConfigError as error:
        _fail_usage(f"configuration error: {error}")
    except (OutputError, NarrowingError) as error:
        _fail_usage(str(error))
    all_rules = _load_rules_or_exit()
    progress = _Progress(sys.stderr.isatty() and not quiet)
    internal_error = False
    fixed = None
    try:
        with _signals_as_exceptions():
            run = engine.run(
                targets, config, all_rules, jobs=jobs, use_cache=not no_cache, cache_dir=cache_dir,
                progress=progress, stdin=stdin,
            )
            run = narrowing.apply(run)
            if (fix or show_diff) and not run.stopped:
                from reviewer.fixes import fix_run

                def rerun() -> engine.Run:
                    # The fixes moved lines: the change is read again, from the files as they are now.
                    after = narrowing
                    if narrowing.changes is not None:
                        after = prepare_narrowing(baseline_path, diff_base, tree)
                    return after.apply(
                        engine.run(targets, config, all_rules, jobs=jobs, use_cache=not no_cache, cache_dir=cache_dir)
                    )

                run, fixed = fix_run(run, all_rules, unsafe=unsafe_fixes, write=not show_diff, jobs=jobs, rerun=rerun)
    except ConfigError as error:
        progress.close()
        _fail_usage(f"configuration error: {error}")
    except NothingToReview as error:
        progress.close()
        _fail_usage(str(error))
    except (KeyboardInterrupt, Terminated) as stop:
        progress.close()
        code = EXIT_TERMINATED if isinstance(stop, Terminated) else EXIT_INTERRUPTED
        click.echo("reviewer: stopped before the review was complete; no report was written", err=True)
        sys.exit(code)
    except Exception as error:  # noqa: BLE001 - a bug of ours: reported, never read as findings
        progress.close()
        _echo_error(f"internal error: the review stopped: {error!r}\n{traceback.format_exc()}")
        run = engine.stopped_run(targets, config, all_rules, error)
    progress.close()

    if fixed is not None:
        destinations = _show_fixes(fixed, destinations, show_diff)
    colored = output is None and (color == "always" or (color == "auto" and _use_color(sys.stdout)))
    options = RenderOptions(
        color=colored,
        seconds=time.perf_counter() - started,
        quiet=quiet,
        verbose=verbose,
        statistics=statistics,
        show_source=show_source,
    )
    for report_format, target in destinations:
        try:
            report = reporters()[report_format](run, options if target is None else replace(options, color=False))
        except Exception as error:  # noqa: BLE001 - one report's bug does not lose the others
            _echo_error(f"internal error: the {report_format} report failed: {error!r}\n{traceback.format_exc()}")
            internal_error = True
            continue
        if target is None:
            click.echo(printable_for(sys.stdout, report), nl=False, color=colored)
            continue
        try:
            write_report(target, report)
        except OutputError as error:
            _fail_usage(str(error))
        if not quiet:
            click.echo(f"reviewer: wrote {report_format} report to {printable(str(target.path))}", err=True)
    if internal_error:
        sys.exit(EXIT_INTERNAL)
    code = run.outcome.exit_code
    sys.exit(EXIT_OK if exit_zero and code == EXIT_FINDINGS else code)


def _show_fixes(fixed: FixOutcome, destinations: list[tuple[str, ReportTarget | None]], show_diff: bool):  # noqa: ANN202
    """Say what `--fix` or `--diff` did (the diff goes to standard output, in place of the report
    there); returns the reports still to write."""
    for item in fixed.not_applied:
        click.echo(f"reviewer: not fixed: {printable_for(sys.stderr, item.line())}", err=True)
    if show_diff:
        click.echo(printable_for(sys.stdout, fixed.diff()), nl=False)
        destinations = [(fmt, target) for fmt, target in destinations if target is not None]
    if not any(fmt == "text" and target is None for fmt, target in destinations):
        click.echo(f"reviewer: {fixed.headline()}", err=True)
    return destinations


class Terminated(BaseException):
    """SIGTERM arrived: the review stops as on Ctrl-C, killing its workers and engines."""


@contextlib.contextmanager
def _signals_as_exceptions() -> Iterator[None]:
    def terminate(signum: int, frame: object) -> None:
        raise Terminated

    try:
        previous = signal.signal(signal.SIGTERM, terminate)
    except ValueError:  # not the main thread: leave signals to whoever runs us
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _echo_error(message: str) -> None:
    click.echo(f"reviewer: {printable_for(sys.stderr, message)}", err=True)


def _fail_usage(message: str) -> NoReturn:
    click.echo(f"reviewer: {printable(message)}", err=True)
    sys.exit(EXIT_USAGE)


def _toml_value(value: object) -> str:
    """An option's default as it would be written in [tool.reviewer.rules.CODE]."""
    if isinstance(value, Severity):
        return json.dumps(value.label)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, str) else str(value)


def _report_target(value: str) -> tuple[str, Path]:
    """`FORMAT:FILE` of --report (split at the first colon, so FILE may hold colons)."""
    report_format, _, file = value.partition(":")
    if report_format not in REPORT_FORMATS or not file:
        raise click.BadParameter(
            f"{value!r}: expected FORMAT:FILE with FORMAT one of {', '.join(REPORT_FORMATS)}", param_hint="--report"
        )
    return report_format, Path(file)


def _companions(configured: list[str], given: tuple[str, ...]) -> list[str]:
    """The companions of a run: the configuration's and the command line's, where a type checker
    given on the command line replaces a configured one (one engine decides type-checked)."""
    from reviewer.companions import TYPE_CHECKERS

    checkers = sorted(set(given) & set(TYPE_CHECKERS))
    if len(checkers) > 1:
        raise ConfigError(f"command line: --companion {' and '.join(checkers)} both decide type-checked: give one")
    kept = [name for name in configured if not (checkers and name in TYPE_CHECKERS)]
    return sorted({*kept, *given})


def _apply_overrides(
    config: Config,
    select: str | None,
    ignore: str | None,
    exclude: tuple[str, ...],
    fail_on: str | None,
    max_file_size: str | None,
    file_timeout: str | None,
    file_memory: str | None,
) -> None:
    if select is not None:
        config.select = _codes(select) or []
        config.from_command_line.add("select")
    if ignore is not None:
        config.ignore = [*config.ignore, *(_codes(ignore) or [])]
        config.from_command_line.add("ignore")
    check_patterns(exclude, lambda problem: ConfigError(f"command line: --exclude: {problem}"))
    config.command_line_exclude.extend(exclude)
    if fail_on is not None:
        config.fail_on = Severity.parse(fail_on)
    if max_file_size is not None:
        config.max_file_size = parse_size(
            max_file_size, lambda problem: ConfigError(f"command line: --max-file-size: {problem}")
        )
    if file_timeout is not None:
        config.file_timeout = parse_seconds(
            file_timeout, lambda problem: ConfigError(f"command line: --file-timeout: {problem}")
        )
    if file_memory is not None:
        config.file_memory = parse_size(
            file_memory, lambda problem: ConfigError(f"command line: --file-memory: {problem}")
        )


@main.command("rules")
@click.option("--format", "output_format", default="text", type=click.Choice(["text", "json"]), show_default=True)
def list_rules(output_format: str) -> None:
    """List every installed rule: code, name, checklist item, severity, summary."""
    rules = _load_rules_or_exit()
    if output_format == "json":
        data = [
            {
                "code": r.code,
                "name": r.name,
                "checklist": r.checklist,
                "severity": r.severity.label,
                "summary": r.summary_line(),
            }
            for r in rules
        ]
        click.echo(json.dumps(data, indent=2))
        return
    for rule in rules:
        click.echo(f"{rule.code}  {rule.name:<32} {rule.checklist:<24} {rule.severity.label:<8} {rule.summary_line()}")


@main.command()
@click.argument("code")
def explain(code: str) -> None:
    """Show a rule's documentation: what it flags, why it matters, how to fix it."""
    rules = _load_rules_or_exit()
    rule = find_rule(rules, code)
    if rule is None:
        click.echo(f"reviewer: no rule {code!r}; `reviewer rules` lists them", err=True)
        sys.exit(EXIT_USAGE)
    header = f"{rule.code} {rule.name} [{rule.checklist}] (default severity: {rule.severity.label})"
    click.echo(f"{header}\n{'=' * len(header)}\n\n{rule.documentation()}")
    if rule.options:
        click.echo("\nOptions ([tool.reviewer.rules." + rule.code + "]):")
        for name, default in rule.options.items():
            click.echo(f"  {name} = {_toml_value(default)}")


@main.command("baseline")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the baseline (default: the configured `baseline`, else reviewer-baseline.json).",
)
@click.option(
    "--update",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Drop from FILE the findings no longer found (fixed), adding none; written back to FILE unless -o.",
)
@_review_options
def baseline(
    paths: tuple[Path, ...],
    output: Path | None,
    update: Path | None,
    select: str | None,
    ignore: str | None,
    exclude: tuple[str, ...],
    jobs: int | None,
    no_cache: bool,
    cache_dir: Path | None,
    config_file: Path | None,
) -> None:
    """Record the findings of PATHS (default: .) in a baseline file, for `reviewer check --baseline`."""
    from reviewer import engine
    from reviewer.baseline import DEFAULT_FILE, Baseline, BaselineError
    from reviewer.discovery import NothingToReview, scan_root
    from reviewer.narrowing import shown_path

    targets = _checked_paths(paths)
    try:
        config = _configuration(config_file, targets[0])
        _apply_overrides(config, select, ignore, exclude, None, None, None, None)
        config.companions = []  # their items hold no findings to record
        previous = Baseline.load(update) if update is not None else None
        destination = check_target(output or update or config.baseline or Path(DEFAULT_FILE),
                                   scan_root(targets, Path.cwd().resolve()))
    except ConfigError as error:
        _fail_usage(f"configuration error: {error}")
    except (BaselineError, OutputError) as error:
        _fail_usage(str(error))
    all_rules = _load_rules_or_exit()
    try:
        with _signals_as_exceptions():
            run = engine.run(targets, config, all_rules, jobs=jobs, use_cache=not no_cache, cache_dir=cache_dir)
            recorded = Baseline.of(run) if previous is None else Baseline(previous.match(run).updated)
    except ConfigError as error:
        _fail_usage(f"configuration error: {error}")
    except NothingToReview as error:
        _fail_usage(str(error))
    except (KeyboardInterrupt, Terminated) as stop:
        click.echo("reviewer: stopped before the review was complete; no baseline was written", err=True)
        sys.exit(EXIT_TERMINATED if isinstance(stop, Terminated) else EXIT_INTERRUPTED)
    except Exception as error:  # noqa: BLE001 - a bug of ours: no baseline rather than a wrong one
        _echo_error(f"internal error: the review stopped: {error!r}\n{traceback.format_exc()}")
        sys.exit(EXIT_INTERNAL)
    try:
        write_report(destination, recorded.render())
    except OutputError as error:
        _fail_usage(str(error))
    where = printable(shown_path(output or update or destination.path))
    count = sum(recorded.entries.values())
    if previous is None:
        click.echo(f"reviewer: recorded {plural(count, 'finding')} in {where}", err=True)
    else:
        dropped = sum(previous.entries.values()) - count
        click.echo(f"reviewer: dropped {plural(dropped, 'fixed finding')}; {count} remain in {where}", err=True)
    if run.errors:
        click.echo(f"reviewer: {len(run.errors)} file(s) not fully reviewed; their findings may be missing "
                   "(`reviewer check` lists them)", err=True)
