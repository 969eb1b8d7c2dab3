"""The GitHub Action (action.yml): its steps run here as the runner would run them, with bash and
the GITHUB_* environment, against a copy of the sample app."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
SAMPLE_APP = REPO / "fixtures" / "sample_app"
SCHEMA_FILE = REPO / "tests" / "data" / "sarif-schema-2.1.0.json"  # the official OASIS schema
ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
_EXPRESSION = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


class Runner:
    """Just enough of a runner for a composite action: inputs, step outputs, environment files."""

    def __init__(self, tmp: Path, inputs: dict[str, str] | None = None, action_path: Path = REPO) -> None:
        self.tmp = tmp
        self.action_path = action_path
        tmp.mkdir(parents=True, exist_ok=True)
        self.workspace = tmp / "workspace"
        self.runner_temp = tmp / "runner-temp"
        self.summary = tmp / "step-summary.md"
        shutil.copytree(SAMPLE_APP, self.workspace)
        self.runner_temp.mkdir()
        self.inputs = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
        self.inputs.update(inputs or {})
        self.outputs: dict[str, dict[str, str]] = {}

    def evaluate(self, expression: str) -> str:
        context, _, rest = expression.partition(".")
        if context == "inputs":
            return self.inputs[rest]
        if expression == "github.action_path":
            return str(self.action_path)
        if expression == "github.workspace":
            return str(self.workspace)
        if context == "steps":
            step, outputs, name = rest.split(".")
            assert outputs == "outputs"
            return self.outputs.get(step, {}).get(name, "")
        raise AssertionError(f"the test runner does not know ${{{{ {expression} }}}}")

    def substitute(self, value: object) -> str:
        return _EXPRESSION.sub(lambda match: self.evaluate(match[1]), str(value))

    def run_step(self, step: dict, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        output_file = self.tmp / f"output-{step['id']}"
        output_file.write_text("")
        env = {
            **os.environ,
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(self.workspace),
            "GITHUB_ACTION_PATH": str(REPO),
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "GITHUB_REPOSITORY": "acme/orders",
            "GITHUB_SHA": "0" * 40,
            "RUNNER_TEMP": str(self.runner_temp),
            "XDG_CACHE_HOME": str(self.tmp / "xdg-cache"),
            # A push unless a test says otherwise, also when the suite itself runs on a pull request.
            "GITHUB_EVENT_NAME": "push",
            "GITHUB_BASE_REF": "",
            **{name: self.substitute(value) for name, value in step.get("env", {}).items()},
            **(extra_env or {}),
        }
        # `shell: bash` runs as `bash --noprofile --norc -eo pipefail {0}` on a runner.
        script = self.tmp / f"step-{step['id']}.sh"
        script.write_text(step["run"], encoding="utf-8")
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.substitute(step.get("working-directory", "${{ github.workspace }}")),
            env=env, capture_output=True, text=True, timeout=600,
        )
        self.outputs[step["id"]] = dict(
            line.split("=", 1) for line in output_file.read_text().splitlines() if "=" in line
        )
        return result


def planted_findings(app: Path) -> list[tuple[str, str, int]]:
    """What the reviewer reports on the sample app, by its markers: (code, path, line)."""
    planted = []
    for source in sorted(app.rglob("*.py")):
        lines = source.read_text(encoding="utf-8").splitlines()
        for number, text in enumerate(lines, start=1):
            marker = re.match(r"^\s*#\s*(?:expect|known-false-positive):\s*(.+?)\s*$", text)
            if marker:
                for code in marker[1].split(","):
                    planted.append((code.strip(), source.relative_to(app).as_posix(), number + 1))
    return sorted(planted)


def workflow_commands(log: str) -> list[str]:
    """The workflow commands a runner would act on in a step's log: lines starting with `::`,
    except between `::stop-commands::TOKEN` and `::TOKEN::`."""
    commands, stopped_by = [], None
    for line in log.splitlines():
        if stopped_by is not None:
            if line == f"::{stopped_by}::":
                stopped_by = None
            continue
        if line.startswith("::stop-commands::"):
            stopped_by = line.removeprefix("::stop-commands::")
        elif line.startswith("::"):
            commands.append(line)
    assert stopped_by is None, "commands were stopped and never resumed"
    return commands


def step(step_id: str) -> dict:
    return next(s for s in ACTION["runs"]["steps"] if s["id"] == step_id)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The install step, run once for real: a fresh virtualenv with the action's checkout in it.
    The checkout is a copy: pip builds in the source tree, and the tests leave the repository as
    they found it."""
    checkout = tmp_path_factory.mktemp("action") / "checkout"
    shutil.copytree(REPO, checkout, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "fixtures", "bench"))
    runner = Runner(tmp_path_factory.mktemp("install"), {"python": sys.executable}, action_path=checkout)
    result = runner.run_step(step("install"))
    assert result.returncode == 0, result.stderr
    reviewer = runner.outputs["install"]["reviewer"]
    assert Path(reviewer).is_file() and reviewer.startswith(str(runner.runner_temp))
    return reviewer


def review(tmp_path: Path, installed: str, **inputs: str) -> tuple[Runner, subprocess.CompletedProcess[str]]:
    runner = Runner(tmp_path, inputs)
    runner.outputs["install"] = {"reviewer": installed}
    return runner, runner.run_step(step("review"))


def test_the_action_is_composite_and_never_substitutes_inputs_into_scripts() -> None:
    assert ACTION["runs"]["using"] == "composite"
    assert {"paths", "fail-on", "formats", "args", "sarif-file", "html-file", "mode", "base"} <= set(ACTION["inputs"])
    scripts = [s for s in ACTION["runs"]["steps"] if "run" in s]
    for action_step in scripts:
        assert action_step["shell"] == "bash"
        assert "${{" not in action_step["run"], f"step {action_step['id']} interpolates into its script"
    assert set(ACTION["outputs"]) == {"exit-code", "sarif-file", "html-file"}
    used = [(s.get("id", s["name"]), s["uses"]) for s in ACTION["runs"]["steps"] if "run" not in s]
    assert used == [("restore-cache", "actions/cache/restore@v4"), ("Save the review cache", "actions/cache/save@v4")]


def test_the_cache_is_kept_outside_the_checkout_with_its_signing_key(tmp_path: Path, installed: str) -> None:
    """What the cache steps restore and save (`runner.temp`/backend-reviewer-cache, under one key
    per commit) is where the review keeps its entries and the key that signs them."""
    restore, save = (s for s in ACTION["runs"]["steps"] if "uses" in s)
    kept = "${{ runner.temp }}/backend-reviewer-cache"
    assert restore["with"]["path"] == save["with"]["path"] == kept
    assert restore["with"]["key"] == save["with"]["key"] == "backend-reviewer-${{ runner.os }}-${{ github.sha }}"
    assert restore["with"]["restore-keys"] == "backend-reviewer-${{ runner.os }}-"
    assert "always()" in save["if"] and "inputs.cache == 'true'" in restore["if"]
    runner, result = review(tmp_path / "kept", installed)
    assert result.returncode == 1, result.stderr
    kept_dir = runner.runner_temp / "backend-reviewer-cache"
    assert (kept_dir / "home" / "backend-reviewer" / "cache-key").is_file()
    entries = {path: path.stat().st_mtime_ns for path in (kept_dir / "files").rglob("*.pickle")}
    assert len(entries) == len(list(runner.workspace.rglob("*.py")))
    assert not (runner.workspace / ".reviewer_cache").exists()
    again = runner.run_step(step("review"))  # as the next workflow run, once the cache is restored
    assert again.returncode == 1 and workflow_commands(again.stdout) == workflow_commands(result.stdout)
    assert {path: path.stat().st_mtime_ns for path in (kept_dir / "files").rglob("*.pickle")} == entries
    runner, result = review(tmp_path / "off", installed, cache="false")
    assert result.returncode == 1 and not (runner.runner_temp / "backend-reviewer-cache").exists()
    _, result = review(tmp_path / "bad", installed, cache="yes")
    assert result.returncode == 2 and "cache must be true or false" in result.stdout


def test_default_run_annotates_summarises_writes_reports_and_fails_on_errors(tmp_path: Path, installed: str) -> None:
    runner, result = review(tmp_path, installed)
    assert result.returncode == 1, result.stderr
    annotations = workflow_commands(result.stdout)
    expected = planted_findings(runner.workspace)
    assert len(annotations) == len(expected) > 0
    for code, path, line in expected:
        assert any(f"file={path},line={line}," in a and f"title={code} " in a for a in annotations), (code, path, line)
    assert all(re.match(r"^::(error|warning|notice) file=[^:]*::", line) for line in annotations)
    assert any(line.startswith("::error ") for line in annotations)
    summary = runner.summary.read_text(encoding="utf-8")
    assert summary.startswith("## Backend review: ❌") and "| ❌ | `production-config`" in summary
    outputs = runner.outputs["review"]
    assert outputs["exit-code"] == "1"
    sarif_file = runner.workspace / outputs["sarif-file"]
    log = json.loads(sarif_file.read_text(encoding="utf-8"))
    jsonschema.validate(log, json.loads(SCHEMA_FILE.read_text(encoding="utf-8")), cls=jsonschema.Draft4Validator)
    results = log["runs"][0]["results"]
    assert sorted(
        (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
         r["locations"][0]["physicalLocation"]["region"]["startLine"])
        for r in results
    ) == sorted(expected)
    page = (runner.workspace / outputs["html-file"]).read_text(encoding="utf-8")
    assert "Backend review" in page and all(path in page for _, path, _ in expected)


def test_fail_on_never_reports_but_passes(tmp_path: Path, installed: str) -> None:
    runner, result = review(tmp_path, installed, **{"fail-on": "never", "formats": "github"})
    assert result.returncode == 0, result.stderr
    assert runner.outputs["review"] == {"exit-code": "1"}
    assert any(line.startswith("::error file=") for line in workflow_commands(result.stdout))
    assert not (runner.workspace / "backend-reviewer.sarif").exists()


def test_fail_on_warning_with_paths_and_extra_arguments(tmp_path: Path, installed: str) -> None:
    runner, result = review(
        tmp_path, installed,
        **{"fail-on": "warning", "paths": "app  migrations", "args": "--select RVW502 --jobs 1",
           "formats": "sarif, html"},
    )
    assert result.returncode == 0, result.stderr  # RVW502 finds nothing in the sample app
    log = json.loads((runner.workspace / "backend-reviewer.sarif").read_text(encoding="utf-8"))
    assert [d["id"] for d in log["runs"][0]["tool"]["driver"]["rules"]] == ["RVW502"]
    assert log["runs"][0]["properties"]["failOn"] == "warning"
    assert not runner.summary.exists()


def test_a_monorepo_reviewed_from_the_root_keeps_its_configuration_and_every_path(
    tmp_path: Path, installed: str
) -> None:
    """`backend/pyproject.toml` sets fail-on and an exclude; `paths` is a YAML block, one per line.
    The inputs left empty defer to the configuration, and the second line is reviewed too."""
    runner = Runner(tmp_path, {"paths": "backend\nworker\n", "formats": "github", "args": "--jobs 1\n--no-cache\n"})
    runner.outputs["install"] = {"reviewer": installed}
    echo = 'from sqlalchemy import create_engine\n\nengine = create_engine("postgresql://db/orders", echo=True)\n'
    files = {
        "backend/pyproject.toml": '[tool.reviewer]\nfail-on = "warning"\nexclude = ["scripts/"]\n',
        "backend/app/db.py": echo,
        "backend/scripts/dev.py": echo,
        "worker/db.py": echo,
    }
    for name, content in files.items():
        (runner.workspace / name).parent.mkdir(parents=True, exist_ok=True)
        (runner.workspace / name).write_text(content, encoding="utf-8")
    result = runner.run_step(step("review"))
    assert result.returncode == 1, result.stdout + result.stderr
    annotated = [re.search(r"file=([^,]*),", line)[1] for line in workflow_commands(result.stdout) if "file=" in line]
    assert annotated == ["backend/app/db.py", "worker/db.py"]
    assert runner.outputs["review"]["exit-code"] == "1"


@pytest.mark.parametrize("paths", ["app/*.py", "app\nmissing"])
def test_a_path_that_reviews_nothing_fails_the_step(tmp_path: Path, installed: str, paths: str) -> None:
    runner, result = review(tmp_path, installed, paths=paths, formats="github")
    assert result.returncode == 2
    assert "no such file or directory" in result.stdout + result.stderr
    assert runner.outputs["review"]["exit-code"] == "2"


HOSTILE_FILE = "::error title=pwned::gotcha.py"
HOSTILE_CONFIG = '[tool.reviewer]\n"x\\n::error title=pwned::key" = 1\n'


@pytest.mark.parametrize("formats", ["sarif", "github,sarif"])
def test_reviewed_code_cannot_issue_workflow_commands(tmp_path: Path, installed: str, formats: str) -> None:
    runner = Runner(tmp_path)
    runner.outputs["install"] = {"reviewer": installed}
    (runner.workspace / HOSTILE_FILE).write_text(
        "from fastapi import FastAPI\napp = FastAPI(debug=True)  # ::warning::pwned too\n", encoding="utf-8"
    )
    runner.inputs["formats"] = formats
    result = runner.run_step(step("review"))
    assert result.returncode == 1, result.stderr
    commands = workflow_commands(result.stdout + result.stderr)
    assert not [command for command in commands if "pwned" in command and "file=" not in command]
    if formats.startswith("github"):
        assert any("file=%3A%3Aerror title=pwned%3A%3Agotcha.py" in command for command in commands)
    else:
        assert f"\n{HOSTILE_FILE}:2:" in result.stdout, "the file was reviewed and its finding printed"


def test_a_hostile_configuration_cannot_issue_workflow_commands(tmp_path: Path, installed: str) -> None:
    runner = Runner(tmp_path)
    runner.outputs["install"] = {"reviewer": installed}
    (runner.workspace / "pyproject.toml").write_text(HOSTILE_CONFIG, encoding="utf-8")
    result = runner.run_step(step("review"))
    assert result.returncode == 2
    assert workflow_commands(result.stdout + result.stderr) == []


def test_bad_inputs_stop_the_step_with_a_usage_error(tmp_path: Path, installed: str) -> None:
    _, result = review(tmp_path, installed, **{"fail-on": "sometimes"})
    assert result.returncode == 2 and "fail-on must be error, warning, info, never, or empty" in result.stdout
    _, result = review(tmp_path / "second", installed, formats="github,pdf")
    assert result.returncode == 2 and "unknown format" in result.stdout


BLOCKING_ROUTE = """\
import time

from fastapi import APIRouter

router = APIRouter()


@router.get("/reports/daily")
async def daily_report():
    time.sleep(2)
    return {"ok": True}
"""


def pull_request(runner: Runner) -> None:
    """The sample app committed as `origin/main`, and a branch on it that adds a blocking route."""
    # Git's own variables from the calling environment (a hook's `GIT_DIR`, `GIT_INDEX_FILE`) would
    # point these commands at another repository.
    env = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
    env.update({"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
                "GIT_AUTHOR_NAME": "Dev", "GIT_AUTHOR_EMAIL": "dev@example.com",
                "GIT_COMMITTER_NAME": "Dev", "GIT_COMMITTER_EMAIL": "dev@example.com"})

    def git(*args: str) -> None:
        done = subprocess.run(["git", *args], cwd=runner.workspace, env=env, capture_output=True, text=True)
        assert done.returncode == 0, f"git {' '.join(args)} in {runner.workspace}: {done.stderr}"

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("commit", "-q", "-m", "base")
    git("update-ref", "refs/remotes/origin/main", "HEAD")
    git("checkout", "-q", "-b", "feature")
    (runner.workspace / "app" / "api" / "routes" / "reports.py").write_text(BLOCKING_ROUTE, encoding="utf-8")
    git("add", "-A")
    git("commit", "-q", "-m", "daily report")


PULL_REQUEST = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_BASE_REF": "main"}


def test_on_a_pull_request_only_the_change_is_annotated_and_code_scanning_gets_everything(
    tmp_path: Path, installed: str
) -> None:
    runner = Runner(tmp_path)
    runner.outputs["install"] = {"reviewer": installed}
    pull_request(runner)
    result = runner.run_step(step("review"), PULL_REQUEST)
    assert result.returncode == 1, result.stdout + result.stderr
    annotations = workflow_commands(result.stdout)
    # The new route blocks the event loop, and no test requests it.
    assert [annotation.split(",col=")[0] for annotation in annotations] == [
        "::error file=app/api/routes/reports.py,line=10",
        "::notice file=app/api/routes/reports.py,line=9",
    ]
    summary = runner.summary.read_text(encoding="utf-8")
    assert summary.startswith("## Backend review: ❌ 1 checklist item failing in this change")
    assert "1 finding in this change" in summary and "more in unchanged code" in summary
    assert "1 of 7 endpoints is requested or called by a test; 1 finding in this change; 5 more" in summary
    outputs = runner.outputs["review"]
    assert outputs["exit-code"] == "1"
    log = json.loads((runner.workspace / outputs["sarif-file"]).read_text(encoding="utf-8"))
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert {path for _, path, _ in planted_findings(SAMPLE_APP)} | {"app/api/routes/reports.py"} == uris
    page = (runner.workspace / outputs["html-file"]).read_text(encoding="utf-8")
    assert "failing in this change" in page


def test_mode_full_reviews_everything_on_a_pull_request(tmp_path: Path, installed: str) -> None:
    runner = Runner(tmp_path, {"mode": "full", "formats": "github"})
    runner.outputs["install"] = {"reviewer": installed}
    pull_request(runner)
    result = runner.run_step(step("review"), PULL_REQUEST)
    assert result.returncode == 1
    # The pull request's route adds two: it blocks the event loop, and no test requests it.
    assert len(workflow_commands(result.stdout)) == len(planted_findings(SAMPLE_APP)) + 2
    assert "in this change" not in runner.summary.read_text(encoding="utf-8")


def test_a_pull_request_without_its_base_fetched_is_a_usage_error_with_a_hint(tmp_path: Path, installed: str) -> None:
    runner = Runner(tmp_path, {"formats": "github"})
    runner.outputs["install"] = {"reviewer": installed}
    pull_request(runner)
    result = runner.run_step(step("review"), {**PULL_REQUEST, "GITHUB_BASE_REF": "release"})
    assert result.returncode == 2
    assert "--diff-base origin/release: no such commit" in result.stderr
    assert "fetch-depth: 0" in result.stdout
    assert runner.outputs["review"]["exit-code"] == "2"
    _, result = review(tmp_path / "second", installed, mode="partial")
    assert result.returncode == 2 and "mode must be changes, full, or empty" in result.stdout


def test_pre_commit_hook_runs_the_reviewer() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = hooks
    assert hook["id"] == "backend-reviewer" and hook["language"] == "python"
    assert hook["entry"].split()[:2] == ["reviewer", "check"]
    assert hook["types"] == ["python"] and hook["pass_filenames"] is False
