"""The `type-checked` item: decided by mypy or pyright when enabled, with what CI does said beside;
and a reviewed repository never gets its code run by the type checker."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from reviewer import companions, type_checkers
from reviewer.ci_config import TypeCheckStep, type_check_steps

ONE_ERROR = "def name(user_id: int) -> str:\n    return user_id\n"
CLEAN = "def name(user_id: int) -> str:\n    return str(user_id)\n"
MARKER_CODE = """\
import pathlib
pathlib.Path({where!r}).write_text("ran")

def plugin(version):
    from mypy.plugin import Plugin
    return Plugin
"""


def type_checked(report: dict) -> tuple[str, str]:
    item = next(item for item in report["checklist"] if item["id"] == "type-checked")
    return item["verdict"], item["note"]


PIPE = "its exit status lost in a pipe (the default shell has no pipefail)"


def workflow(run: str, extra: str = "") -> str:
    return (
        "name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
        f"      - name: types\n        run: {run}\n{extra}"
    )


# --- mypy decides the item ----------------------------------------------------------------------


def test_mypy_counts_errors_and_never_writes_into_the_tree(write, check_json, tmp_path) -> None:
    write({"app/users.py": ONE_ERROR, "app/clean.py": CLEAN})
    code, report = check_json(".", "--companion", "mypy")
    assert type_checked(report) == ("warn", "mypy: 1 error in 1 file")
    assert code == 0, "a companion never changes the exit code"
    assert not list(tmp_path.rglob(".mypy_cache")), "mypy's cache goes to the reviewer's cache directory"


def test_clean_code_passes_and_the_project_configuration_decides_what_is_checked(write, check_json) -> None:
    write({
        "app/users.py": CLEAN,
        "scripts/legacy.py": ONE_ERROR,
        "tools/old.py": ONE_ERROR,
        "pyproject.toml": "[tool.mypy]\nexclude = ['^scripts/']\n",
        "tools/mypy.ini": "[mypy]\n",
    })
    _, report = check_json(".", "--companion", "types")
    assert type_checked(report) == ("warn", "mypy: 1 error in 1 file"), "tools/ is checked, scripts/ excluded"
    write({"pyproject.toml": "[tool.mypy]\nfiles = ['app']\n"})
    _, report = check_json(".", "--companion", "mypy")
    assert type_checked(report) == ("pass", "mypy: no errors"), "the configuration's files= is what it checks"


def test_a_configuration_mypy_refuses_is_a_skipped_item_with_its_reason(write, check_json) -> None:
    write({"app/users.py": CLEAN, "mypy.ini": "[mypy]\npython_version = 2.7\n"})
    code, report = check_json(".", "--companion", "mypy")
    verdict, note = type_checked(report)
    assert (verdict, code) == ("skipped", 0)
    assert note.startswith("mypy failed: ") and "Python 2" in note


def test_not_enabled_or_not_installed_is_skipped_with_the_reason(write, check_json, monkeypatch) -> None:
    write({"app/users.py": CLEAN})
    _, report = check_json(".")
    assert type_checked(report) == ("skipped", "not enabled (add --companion mypy)")
    monkeypatch.setattr(type_checkers, "mypy_interpreter", lambda root, installed: None)
    _, report = check_json(".", "--companion", "mypy")
    assert type_checked(report) == ("skipped", "mypy is not installed")


def test_one_type_checker_decides_the_item(write, cli, check_json, monkeypatch) -> None:
    write({"app/users.py": CLEAN, "pyproject.toml": "[tool.reviewer]\ncompanions = ['mypy', 'pyright']\n"})
    code, _, err = cli("check", ".")
    assert code == 2 and "mypy and pyright both decide type-checked" in err
    write({"pyproject.toml": "[tool.reviewer]\ncompanions = ['mypy']\n"})
    code, _, err = cli("check", ".", "--companion", "mypy", "--companion", "pyright")
    assert code == 2 and "give one" in err
    monkeypatch.setattr(companions, "installed_executable", lambda name, root: None)
    _, report = check_json(".", "--companion", "pyright")
    assert type_checked(report) == ("skipped", "pyright is not installed"), "the command line replaces the file"


# --- CI: a type checker that cannot fail the build does not make the item pass -----------------


def test_ci_that_does_not_block_on_type_errors_keeps_the_item_from_passing(write, check_json) -> None:
    write({
        "app/users.py": CLEAN,
        ".github/workflows/ci.yml": workflow("uv run mypy app", "        continue-on-error: true\n"),
    })
    code, report = check_json(".", "--companion", "mypy")
    assert type_checked(report) == (
        "warn",
        "mypy: no errors; CI runs mypy with continue-on-error in .github/workflows/ci.yml: "
        "type errors do not fail the build",
    )
    assert code == 0


def test_what_ci_runs_is_said_when_the_companion_is_not_enabled(write, check_json) -> None:
    write({"app/users.py": CLEAN, ".github/workflows/ci.yml": workflow("poetry run mypy app")})
    _, report = check_json(".")
    expected = "not enabled (add --companion mypy); CI runs mypy in .github/workflows/ci.yml"
    assert type_checked(report) == ("skipped", expected)


@pytest.mark.parametrize(
    ("run", "extra", "expected"),
    [
        ("mypy .", "", ("mypy", True, "")),
        ("uv run --frozen mypy src", "", ("mypy", True, "")),
        ("python -m mypy src || true", "", ("mypy", False, "`|| true`")),
        ("mypy src || exit 1", "", ("mypy", True, "")),
        ("npx --yes pyright", "", ("pyright", True, "")),
        ("mypy src | tee mypy.log", "", ("mypy", False, PIPE)),
        ("mypy src | tee mypy.log", "        shell: bash\n", ("mypy", True, "")),
        ("pre-commit run mypy --all-files", "", ("mypy", True, "")),
        ("pytest", "", None),
        ("echo mypy", "", None),
    ],
)
def test_type_checking_steps_in_workflows(tmp_path, run, extra, expected) -> None:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text(workflow(run, extra))
    found = type_check_steps(tmp_path)
    assert [(s.tool, s.blocking, s.how) for s in found] == ([expected] if expected else [])


def test_continue_on_error_followed_by_a_step_failing_on_its_outcome_still_blocks(tmp_path) -> None:
    steps = (
        "        id: types\n        continue-on-error: true\n"
        "      - name: fail on types\n        if: steps.types.outcome == 'failure'\n        run: exit 1\n"
    )
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text(workflow("pre-commit run --all-files", steps))
    (tmp_path / ".pre-commit-config.yaml").write_text(
        "repos:\n  - repo: local\n    hooks:\n      - id: types\n"
        "        entry: uv run mypy app\n        language: system\n"
    )
    assert type_check_steps(tmp_path) == [TypeCheckStep("mypy", ".github/workflows/ci.yml", blocking=True)]


def test_job_level_continue_on_error_actions_and_broken_workflows(tmp_path) -> None:
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / "a.yml").write_text(
        "jobs:\n  types:\n    continue-on-error: true\n    steps:\n      - uses: jakebailey/pyright-action@v2\n"
    )
    (folder / "b.yaml").write_text("jobs: [unclosed\n")
    (folder / "c.yml").write_text("- just\n- a list\n")
    (folder / "notes.txt").write_text("run: mypy .\n")
    assert type_check_steps(tmp_path) == [
        TypeCheckStep("pyright", ".github/workflows/a.yml", blocking=False, how="continue-on-error")
    ]


# --- pyright --------------------------------------------------------------------------------------

FAKE_PYRIGHT = """#!{python}
import json, sys
diagnostics = [
    {{"file": "/x/app/a.py", "severity": "error", "message": "one"}},
    {{"file": "/x/app/a.py", "severity": "error", "message": "two"}},
    {{"file": "/x/app/b.py", "severity": "warning", "message": "three"}},
]
assert "--outputjson" in sys.argv
print(json.dumps({{"generalDiagnostics": diagnostics, "summary": {{"errorCount": 2}}}}))
sys.exit(1)
"""


def test_the_project_type_checker_is_pyright_when_it_configures_pyright(
    write, check_json, tmp_path_factory, monkeypatch
) -> None:
    tools = tmp_path_factory.mktemp("tools")
    (tools / "pyright").write_text(FAKE_PYRIGHT.format(python=sys.executable))
    (tools / "pyright").chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}{os.pathsep}{os.environ['PATH']}")
    write({"app/a.py": CLEAN, "pyrightconfig.json": "{}\n"})
    _, report = check_json(".", "--companion", "types")
    assert type_checked(report) == ("warn", "pyright: 2 errors in 1 file")
    (tools / "pyright").write_text("#!/bin/sh\necho 'Config file could not be parsed' >&2\nexit 3\n")
    _, report = check_json(".", "--companion", "pyright")
    assert type_checked(report) == ("skipped", "pyright failed: Config file could not be parsed")


def test_types_picks_what_the_project_configures() -> None:
    assert type_checkers.choose("types", {"pyright"}, []) == "pyright"
    assert type_checkers.choose("types", {"pyright", "mypy"}, []) == "mypy"
    assert type_checkers.choose("types", set(), [TypeCheckStep("pyright", "ci.yml", True)]) == "pyright"
    assert type_checkers.choose("types", set(), []) == "mypy"
    assert type_checkers.choose("pyright", {"mypy"}, []) == "pyright"


# --- a hostile repository: mypy runs, its code never does ------------------------------------------


def test_a_repository_cannot_plant_mypy_or_its_plugins_or_settings(write, check_json, tmp_path) -> None:
    marker = str(tmp_path / "EXECUTED")
    write({
        "mypy.py": MARKER_CODE.format(where=marker + "-mypy.py"),
        "evil.py": MARKER_CODE.format(where=marker + "-path-plugin"),
        "localplugin.py": MARKER_CODE.format(where=marker + "-module-plugin"),
        "python.sh": f"#!/bin/sh\ntouch {marker}-python-executable\n",
        "mypy.ini": (
            "[mypy]\nplugins = evil.py, localplugin\npython_executable = python.sh\n"
            "html_report = report-out\nlinecount_report = report-out\njunit_xml = junit.xml\n"
            "num_workers = 2\n"
        ),
        "pyproject.toml": "[tool.reviewer]\ncompanions = ['mypy']\n",
        "app/users.py": ONE_ERROR,
    })
    (tmp_path / "python.sh").chmod(0o755)
    _, report = check_json(".")
    assert sorted(p.name for p in tmp_path.glob("EXECUTED*")) == []
    assert not (tmp_path / "report-out").exists() and not (tmp_path / "junit.xml").exists()
    assert type_checked(report) == (
        "warn",
        "mypy: 1 error in 1 file; plugins inside the reviewed tree not loaded: evil.py; "
        "plugins not installed, not loaded: localplugin; settings not applied: reports",
    )


def test_a_module_plugin_an_editable_install_maps_into_the_tree_is_not_loaded(
    write, check_json, tmp_path, tmp_path_factory, monkeypatch
) -> None:
    """The reviewed project is installed editable in the environment mypy runs in (as CI does):
    its module plugin resolves, but inside the tree, so it is not imported."""
    environment = tmp_path_factory.mktemp("env") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(environment)], check=True)
    python = environment / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()
    # mypy from the reviewer's environment; the reviewed tree as an editable install would add it.
    Path(purelib, "editable.pth").write_text(f"{sysconfig.get_path('purelib')}\n{tmp_path}\n")
    marker = tmp_path / "EXECUTED-module-plugin"
    outside = tmp_path_factory.mktemp("plugins")
    loaded = outside / "LOADED"
    (outside / "trusted_plugin.py").write_text(MARKER_CODE.format(where=str(loaded)))
    write({
        "mypy/__init__.py": MARKER_CODE.format(where=str(marker)),
        "mypy/__main__.py": MARKER_CODE.format(where=str(marker)),
        "project_plugin/__init__.py": MARKER_CODE.format(where=str(marker)),
        "project_plugin/mypy.py": MARKER_CODE.format(where=str(marker)),
        "mypy.ini": f"[mypy]\nplugins = project_plugin.mypy, {outside / 'trusted_plugin.py'}\n",
        "app/users.py": CLEAN,
    })
    monkeypatch.setattr(type_checkers, "mypy_interpreter", lambda root, installed: str(python))
    _, report = check_json(".", "--companion", "mypy")
    assert not marker.exists()
    assert type_checked(report) == (
        "pass", "mypy: no errors; plugins inside the reviewed tree not loaded: project_plugin.mypy"
    )
    assert loaded.exists(), "a plugin outside the tree is loaded"


# --- where CI names the configuration and the paths, the review checks as CI does -----------------


def test_the_configuration_and_paths_a_ci_step_names_are_used_when_none_is_found(write, check_json) -> None:
    write({
        "dev_config/python/mypy.ini": "[mypy]\ndisallow_untyped_defs = True\n",
        ".github/workflows/lint.yml": workflow("mypy --config-file dev_config/python/mypy.ini app/"),
        "app/users.py": "def name(user_id):\n    return user_id\n",
        "evaluation/broken.py": "def (:\n",
    })
    _, report = check_json(".", "--companion", "mypy")
    assert type_checked(report) == (
        "warn",
        "mypy: 1 error in 1 file; checked as .github/workflows/lint.yml runs it (dev_config/python/mypy.ini, app)",
    ), "the untyped def fails under CI's configuration; evaluation/ is not what CI checks"


def test_ci_steps_name_their_configuration_and_paths(tmp_path) -> None:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    run = "cd backend && uv run mypy --config-file=../mypy.ini -n 2 app tests"
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text(workflow(run, "        working-directory: ./svc\n"))
    (step,) = type_check_steps(tmp_path)
    assert (step.directory, step.config) == ("svc/backend", "svc/mypy.ini")
    assert step.targets == ("svc/backend/app", "svc/backend/tests")


def test_launcher_helpers() -> None:
    from reviewer import _mypy_launcher as launcher

    assert launcher._excluded("scripts/old/x.py", ["^scripts/"])
    assert launcher._excluded("app/migrations/v1.py", ["/migrations/$"])
    assert not launcher._excluded("app/x.py", ["^scripts/", "(unbalanced"])
    assert launcher._parse_message('app/x.py:3: error: Bad thing  [assignment]') == (
        "app/x.py", "error", "app/x.py:3: error: Bad thing  [assignment]", "assignment"
    )
    assert launcher._parse_message("app/x.py:3: note: see here")[1] == "note"
    assert launcher.plugin_locations("no_such_plugin_module_anywhere", None) is None
    assert launcher.plugin_locations("json", None) and launcher.trusted(
        launcher.plugin_locations("json", None)[0], ["/nonexistent"], launcher._installation()
    )


def test_mypy_output_that_is_not_a_report_is_a_failure_with_its_last_line() -> None:
    assert type_checkers.parse_mypy(b"", b"Traceback...\nKeyError: 'x'\n").status == "mypy failed: KeyError: 'x'"
    blocked = type_checkers.parse_mypy(b'{"status": "blocked", "message": "app/x.py:1: invalid syntax"}\n', b"")
    assert blocked.status == "mypy stopped on an error it cannot check past: app/x.py:1: invalid syntax"


def test_a_hostile_workflow_costs_little_and_reads_nothing_outside(tmp_path) -> None:
    import time

    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    steps = "".join(f"    - {{id: s{i}, run: 'mypy .', continue-on-error: true}}\n" for i in range(300))
    jobs = "".join(f"  j{i}: *job\n" for i in range(2000))
    (folder / "bomb.yml").write_text(f"defs:\n  job: &job\n   steps:\n{steps}jobs:\n{jobs}")
    (folder / "device.yml").symlink_to("/dev/zero")
    os.mkfifo(folder / "fifo.yml")
    started = time.perf_counter()
    found = type_check_steps(tmp_path)
    assert time.perf_counter() - started < 10
    assert 0 < len(found) <= 5000 and not any(step.blocking for step in found)


def test_a_pyright_program_inside_the_tree_is_not_run(write, check_json, tmp_path, monkeypatch) -> None:
    write({"app/a.py": CLEAN, "pyrightconfig.json": "{}\n", "bin/pyright": "#!/bin/sh\ntouch EXECUTED-pyright\n"})
    (tmp_path / "bin" / "pyright").chmod(0o755)
    monkeypatch.setattr(companions.sysconfig, "get_path", lambda *args: str(tmp_path / "nowhere"))
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}bin")
    _, report = check_json(".", "--companion", "types")
    assert type_checked(report) == ("skipped", "pyright is not installed")
    assert not list(tmp_path.rglob("EXECUTED-*"))
