"""Which files a run reviews."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer.discovery import discover, is_test_path
from reviewer.patterns import AnchoredPatterns
from reviewer.semantics.serving import is_one_shot_path

DEBUG_APP = "from fastapi import FastAPI\napp = FastAPI(debug=True)\n"


def relpaths(root: Path, *paths: Path, exclude: tuple[str, ...] = ()) -> list[str]:
    return [f.relpath for f in discover(list(paths) or [root], root, [AnchoredPatterns(root, exclude)]).files]


def test_gitignore_at_every_level_and_default_skips(write, tmp_path: Path) -> None:
    write({
        ".gitignore": "generated/\n*_pb2.py\n",
        "app/main.py": "",
        "app/orders_pb2.py": "",
        "generated/client.py": "",
        "services/billing/.gitignore": "legacy.py\n!keep_pb2.py\n",
        "services/billing/legacy.py": "",
        "services/billing/api.py": "",
        "services/billing/keep_pb2.py": "",
        ".venv/pyvenv.cfg": "home = /usr\n",
        ".venv/bin/python": "",
        ".venv/lib/python3.12/site-packages/x.py": "",
        "env2/pyvenv.cfg": "home = /usr\n",
        "env2/Lib/site-packages/x.py": "",
        "node_modules/pkg/x.py": "",
        "build/lib/app.py": "",
        "build/bdist.linux-x86_64/app.py": "",
        "app/__pycache__/main.cpython-311.py": "",
        "docs/notes.md": "",
        "scripts/tool.pyw": "",
    })
    found = discover([tmp_path], tmp_path)
    reviewed = [f.relpath for f in found.files]
    assert reviewed == ["app/main.py", "services/billing/api.py", "services/billing/keep_pb2.py"]
    assert [(s.path, s.reason) for s in found.skipped] == [
        (".venv", "a virtualenv"),
        ("app/orders_pb2.py", "ignored by .gitignore"),
        ("build", "build output"),
        ("env2", "a virtualenv"),
        ("generated", "ignored by .gitignore"),
        ("node_modules", "tool or version-control metadata"),
        ("services/billing/legacy.py", "ignored by .gitignore"),
    ]


def test_directories_are_skipped_for_what_they_are_not_for_their_names(write, tmp_path: Path) -> None:
    write({
        "env/settings.py": "",
        "build/handlers.py": "",
        "dist/routes.py": "",
        "venv/models.py": "",
        "app/pyvenv.cfg": "home = /usr\n",
        "app/main.py": "",
    })
    assert relpaths(tmp_path) == [
        "app/main.py", "build/handlers.py", "dist/routes.py", "env/settings.py", "venv/models.py"
    ]


def test_a_gitignore_above_the_scanned_folder_still_applies(write, tmp_path: Path) -> None:
    write({".gitignore": "migrations/\n", "svc/app/main.py": "", "svc/migrations/env.py": ""})
    assert relpaths(tmp_path, tmp_path / "svc") == ["svc/app/main.py"]


def test_excludes_and_explicit_files(write, tmp_path: Path) -> None:
    write({"app/main.py": "", "app/tests/test_main.py": "", "scripts/seed.py": ""})
    assert relpaths(tmp_path, exclude=("tests/", "scripts/*.py")) == ["app/main.py"]
    explicit = relpaths(tmp_path, tmp_path / "scripts" / "seed.py", exclude=("scripts/*.py",))
    assert explicit == ["scripts/seed.py"], "a file named on the command line is reviewed"


def test_order_is_deterministic_and_paths_are_posix(write, tmp_path: Path) -> None:
    write({name: "" for name in ["b/z.py", "a/y.py", "a/b/x.py", "c.py"]})
    assert relpaths(tmp_path) == ["a/b/x.py", "a/y.py", "b/z.py", "c.py"]


def test_directories_below_the_root_with_a_project_file_are_distributions(write, tmp_path: Path) -> None:
    write({
        "pyproject.toml": "[project.scripts]\nserve = 'app.main:run'\n",
        "app/main.py": "",
        "packages/cli/pyproject.toml": "[project]\nname = 'cli'\n[project.scripts]\nbench = 'cli.run:main'\n",
        "packages/cli/cli/run.py": "",
        "packages/poetry/pyproject.toml": "[tool.poetry.scripts]\nadmin = 'admin:main'\n",
        "packages/lib/pyproject.toml": "[project]\nname = 'lib'\n",
        "packages/lib/setup.cfg": "[metadata]\nname = lib\n",
        "packages/old/setup.cfg": "[options.entry_points]\nconsole_scripts =\n    old = old.cli:main\n",
        "packages/broken/pyproject.toml": "[project.scripts\n",
        "docs/pyproject.toml/readme.py": "",
    })
    found = discover([tmp_path], tmp_path)
    assert found.distributions == {"packages/broken": False, "packages/cli": True, "packages/lib": False,
                                   "packages/old": True, "packages/poetry": True}


def test_paths_are_relative_to_the_working_directory(write, cli) -> None:
    write({"services/api/app/main.py": DEBUG_APP})
    code, out, _ = cli("check", "services/api", "--no-cache", "-q")
    assert code == 1
    assert out.startswith("services/api/app/main.py:2:")


def test_a_path_that_reviews_nothing_is_a_usage_error(write, cli) -> None:
    write({"app/main.py": DEBUG_APP, "README.md": "# orders\n", "docs/index.md": "# docs\n", "bin/manage": "x\n"})
    write({"scripts/migrate": "#!/usr/bin/env python3\n" + DEBUG_APP, "legacy/old.py": DEBUG_APP})
    assert cli("check", "app", "missing", "--no-cache") == (2, "", "reviewer: missing: no such file or directory\n")
    code, out, err = cli("check", "app/*.py", "--no-cache")
    assert (code, out) == (2, "")
    unexpanded = "a glob is not expanded here: name the files or directories"
    assert err == f"reviewer: app/*.py: no such file or directory ({unexpanded})\n"
    code, _, err = cli("check", "README.md", "--no-cache")
    not_python = "not a Python file (only .py files and Python scripts are reviewed)"
    assert (code, err) == (2, f"reviewer: README.md: {not_python}\n")
    code, _, err = cli("check", "docs", "--no-cache")
    assert (code, err) == (2, "reviewer: no Python file to review under docs\n")
    code, _, err = cli("check", "legacy", "--no-cache", "--exclude", "legacy/")
    left_out = "1 path left out: --verbose lists them"
    assert (code, err) == (2, f"reviewer: no Python file to review under legacy ({left_out})\n")
    code, out, _ = cli("check", "scripts/migrate", "--no-cache", "-q")
    assert code == 1 and out.startswith("scripts/migrate:3:")




@pytest.mark.parametrize(
    ("path", "is_test"),
    [
        ("tests/test_api.py", True),
        ("app/api_test.py", True),
        ("backend/conftest.py", True),
        ("cypress/e2e/login/main.py", True),  # the application a browser-driven spec starts
        ("server/tests/e2e/test_checkout.py", True),
        ("e2e/app.py", True),
        ("app/testing_utils.py", False),
        ("app/e2e_encryption.py", False),
        ("examples/chat/main.py", False),
    ],
)
def test_test_code_is_told_by_its_module_name_or_its_directory(path: str, is_test: bool) -> None:
    assert is_test_path(path) is is_test


@pytest.mark.parametrize(
    ("path", "one_shot"),
    [
        ("scripts/seed.py", True),
        ("app/__main__.py", True),
        ("examples/chat/main.py", True),  # examples are run by hand, and judged as such
        ("backend/chainlit/sample/hello.py", True),
        ("backend/report_type/deep_research/example.py", True),
        ("app/api/examples_router.py", False),
        ("app/services/sampler.py", False),
    ],
)
def test_programs_run_by_hand_are_told_by_their_directory_or_module(path: str, one_shot: bool) -> None:
    assert is_one_shot_path(path) is one_shot
