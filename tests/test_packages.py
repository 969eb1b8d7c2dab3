"""Module names come from packages, not from where the review starts: the same repository gives
the same findings whatever path is given."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reviewer import lazy_cst as cst
from reviewer.cli import main
from reviewer.packages import ModuleNames, path_module_name, project_root, shadowed_files
from reviewer.semantics.calls import ModuleIndex
from reviewer.semantics.names import ImportTable
from reviewer.summary import ModuleSummary

ROUTE = """\
from fastapi import APIRouter

from {package}.services import build

router = APIRouter()


@router.get("/reports/{{report_id}}")
async def get_report(report_id: int) -> dict[str, object]:
    return build(report_id)
"""
SERVICE = """\
import requests


def build(report_id):
    return requests.get(f"https://reports.example.com/{report_id}", timeout=5).json()
"""


def review(cwd: Path, *paths: str) -> set[tuple[str, str, int, str]]:
    """(code, path relative to the repository, line, message) of every finding."""
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)
        result = CliRunner().invoke(main, ["check", "--no-cache", "--format", "json", *paths], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert report["errors"] == []
    return {(f["code"], f["path"], f["line"], f["message"]) for f in report["findings"]}


def relocated(findings: set[tuple[str, str, int, str]], prefix: str) -> set[tuple[str, str, int, str]]:
    return {(code, prefix + path, line, message) for code, path, line, message in findings}


def test_a_package_reviewed_from_inside_resolves_its_own_absolute_imports(write) -> None:
    root = write({
        "shop/__init__.py": "",
        "shop/api/__init__.py": "",
        "shop/api/reports.py": ROUTE.format(package="shop"),
        "shop/services.py": SERVICE,
    })
    from_root = review(root, "shop")
    chain = (
        "RVW403",
        "shop/api/reports.py",
        10,
        "`get_report -> shop.services.build -> requests.get` blocks the event loop in async route "
        "`get_report`: call the helper with `await run_in_threadpool(...)` or make the chain async",
    )
    assert chain in from_root
    assert relocated(review(root / "shop", "."), "shop/") == from_root
    assert relocated(review(root / "shop" / "api", ".."), "shop/") == from_root


def test_a_namespace_package_is_named_from_the_repository_root(write) -> None:
    root = write({
        ".git/HEAD": "ref: refs/heads/main\n",
        "backend/app/api.py": ROUTE.format(package="app"),
        "backend/app/services.py": SERVICE,
    })
    from_root = review(root, ".")
    assert {(code, path, line) for code, path, line, _ in from_root} == {("RVW403", "backend/app/api.py", 10)}
    assert relocated(review(root / "backend" / "app", "."), "backend/app/") == from_root


def test_src_layouts_drop_src_and_packages_name_their_files() -> None:
    assert path_module_name("src/dispatch/auth/service.py") == "dispatch.auth.service"
    assert path_module_name("app/api/__init__.py") == "app.api"
    assert path_module_name("main.py") == "main"


def test_module_names_follow_the_init_chain_above_the_scan_root(write) -> None:
    root = write({
        "site/shop/__init__.py": "",
        "site/shop/api/__init__.py": "",
        "site/shop/api/routes.py": "",
        "site/src/tool/__init__.py": "",
        "site/src/tool/cli.py": "",
    })
    names = ModuleNames(root / "site" / "shop" / "api")
    paths = [
        root / "site/shop/api/routes.py",
        root / "site/shop/api/__init__.py",
        root / "site/src/tool/cli.py",
    ]
    assert names.names(paths) == ["shop.api.routes", "shop.api", "tool.cli"]


def test_a_directory_without_init_inside_a_package_is_part_of_it(write) -> None:
    root = write({
        "src/dispatch/__init__.py": "",
        "src/dispatch/data/__init__.py": "",
        "src/dispatch/data/source/models.py": "",
        "src/dispatch/data/source/data_format/__init__.py": "",
        "src/dispatch/data/source/data_format/views.py": "",
        "scripts/seed.py": "",
    })
    names = ModuleNames(root).names([
        root / "src/dispatch/data/source/data_format/views.py",
        root / "src/dispatch/data/source/models.py",
        root / "scripts/seed.py",
    ])
    assert names == ["dispatch.data.source.data_format.views", "dispatch.data.source.models", "scripts.seed"]


def test_two_package_trees_with_one_name_keep_path_names(write) -> None:
    root = write({
        ".git/HEAD": "ref: refs/heads/main\n",
        "services/billing/app/__init__.py": "",
        "services/billing/app/main.py": "",
        "services/search/app/__init__.py": "",
        "services/search/app/main.py": "",
        "tools/report/__init__.py": "",
        "tools/report/run.py": "",
    })
    names = ModuleNames(root).names([
        root / "services/billing/app/main.py",
        root / "services/search/app/main.py",
        root / "tools/report/run.py",
    ])
    assert names == ["services.billing.app.main", "services.search.app.main", "report.run"]


def test_a_module_file_beside_a_package_of_its_name_is_shadowed() -> None:
    paths = ["app/providers.py", "app/providers/__init__.py", "app/providers/ollama.py", "app/main.py",
             "tools.py", "tools/cli.py", "__init__.py", "app/__init__.py"]
    # `tools/` has no `__init__.py`: a namespace package never shadows a module
    assert shadowed_files(paths) == {"app/providers.py"}


def _summary(path: str, module: str, imports: dict[str, str] | None = None) -> ModuleSummary:
    return ModuleSummary(path, module, path.startswith("tests/"), ImportTable(module, False, dict(imports or {})))


def test_a_bare_name_several_modules_end_with_is_the_outermost_one_above_its_importers() -> None:
    """`server/` run as the working directory: `from auth import ...` is `server/auth.py` for
    `server/main.py` and `server/routers/keys.py` alike, not `server/routers/auth.py`; a test
    suite beside the service says nothing either way."""
    index = ModuleIndex([
        _summary("server/main.py", "server.main", {"verify": "auth.verify"}),
        _summary("server/auth.py", "server.auth"),
        _summary("server/routers/__init__.py", "routers"),
        _summary("server/routers/auth.py", "routers.auth", {"verify": "auth.verify"}),
        _summary("server/routers/keys.py", "routers.keys", {"verify": "auth.verify"}),
        _summary("tests/test_keys.py", "tests.test_keys", {"verify": "auth.verify"}),
    ])
    assert index.canonical("auth.verify") == "server.auth.verify"
    assert index.canonical("routers.auth.login") == "routers.auth.login"


def test_importers_that_disagree_leave_a_bare_name_unresolved() -> None:
    index = ModuleIndex([
        _summary("billing/main.py", "billing.main", {"verify": "auth.verify"}),
        _summary("billing/auth.py", "billing.auth"),
        _summary("search/main.py", "search.main", {"verify": "auth.verify"}),
        _summary("search/auth.py", "search.auth"),
    ])
    assert index.canonical("auth.verify") == "auth.verify"


def test_a_name_a_module_takes_from_one_star_import_resolves_to_that_module() -> None:
    """`from pydantic import *` in a compatibility module: `compat.BaseModel` is pydantic's; a
    name the module defines, or one it imports by name, is its own; two star imports say nothing."""
    compat = ImportTable.of(cst.parse_module(
        "from pydantic import *\nfrom pydantic.fields import FieldInfo as Info\nVERSION = 2\n"), "app.compat", False)
    mixed = ImportTable.of(cst.parse_module("from pydantic import *\nfrom typing import *\n"), "app.mixed", False)
    index = ModuleIndex([ModuleSummary("app/compat.py", "app.compat", False, compat),
                         ModuleSummary("app/mixed.py", "app.mixed", False, mixed)])
    assert compat.stars == ["pydantic"]
    assert index.canonical("app.compat.BaseModel") == "pydantic.BaseModel"
    assert index.canonical("app.compat.Info") == "pydantic.fields.FieldInfo"
    assert index.canonical("app.compat.VERSION") == "app.compat.VERSION"
    assert index.canonical("app.compat._private") == "app.compat._private"
    assert index.canonical("app.mixed.BaseModel") == "app.mixed.BaseModel"


def test_outside_a_repository_the_project_file_marks_the_root(write) -> None:
    # an archive of a project, unpacked: no `.git`, a `pyproject.toml` at its top
    root = write({
        "onyx-main/backend/pyproject.toml": "[project]\nname = 'onyx'\n",
        "onyx-main/backend/onyx/tools/api.py": "",
        "onyx-main/backend/onyx/main.py": "",
        "onyx-main/backend/onyx/setup.py": "",  # a module, no project file
        "onyx-main/backend/onyx/db/__init__.py": "",
        "onyx-main/backend/onyx/db/pyproject.toml": "",  # in a package: not the project's
    })
    names = ModuleNames(root / "onyx-main" / "backend" / "onyx" / "db")
    assert names.names([
        root / "onyx-main/backend/onyx/tools/api.py",
        root / "onyx-main/backend/onyx/main.py",
    ]) == ["onyx.tools.api", "onyx.main"]
    assert project_root(root / "onyx-main" / "backend" / "onyx") == root / "onyx-main" / "backend"


def test_a_repository_is_the_root_before_a_project_file_inside_it(write) -> None:
    root = write({
        ".git/HEAD": "ref: refs/heads/main\n",
        "backend/pyproject.toml": "[project]\nname = 'onyx'\n",
        "backend/onyx/main.py": "",
    })
    assert project_root(root / "backend" / "onyx") == root
    assert ModuleNames(root / "backend" / "onyx").names([root / "backend/onyx/main.py"]) == ["backend.onyx.main"]
