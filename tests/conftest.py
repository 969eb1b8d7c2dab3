from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reviewer.cli import main


@pytest.fixture(autouse=True)
def _isolated_cache_key(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache signing key lives outside the repository; keep the tests' key out of $HOME."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.getbasetemp() / "xdg-cache"))


@pytest.fixture
def write(tmp_path: Path):
    """Write files under tmp_path: write({"app/main.py": "..."}) (str or bytes contents)."""

    def _write(files: dict[str, str | bytes]) -> Path:
        for name, content in files.items():
            target = tmp_path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8")
        return tmp_path

    return _write


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run `reviewer ARGS` in tmp_path; returns (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)

    def _cli(*args: str) -> tuple[int, str, str]:
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return _cli


@pytest.fixture
def check_json(cli):
    """Run `reviewer check --format json ARGS` and parse the report."""

    def _check(*args: str) -> tuple[int, dict]:
        code, out, err = cli("check", "--format", "json", "--no-cache", *args)
        assert code in (0, 1), err
        return code, json.loads(out)

    return _check
