"""Configuration: [tool.reviewer] is found, applied, and every mistake names its key and file."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewer.config import ConfigError, find_config, load_config, rule_options
from reviewer.model import Severity
from reviewer.registry import load_rules

DEBUG_APP = "from fastapi import FastAPI\napp = FastAPI(debug=True)\n"
ECHO = "from sqlalchemy import create_engine\nengine = create_engine('sqlite://', echo=True)\n"


def pyproject(body: str) -> str:
    return "[project]\nname = 'svc'\n\n[tool.reviewer]\n" + body


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("selekt = ['RVW5']\n", "tool.reviewer.selekt"),
        ("fail-on = 'fatal'\n", "tool.reviewer.fail-on"),
        ("select = 'RVW5'\nignore = [1]\n", "tool.reviewer.ignore"),
        ("max-file-size = 'huge'\n", "tool.reviewer.max-file-size"),
        ("select = ['RVW0']\n", "tool.reviewer.select: 'RVW0'"),
        ("[tool.reviewer.rules.RVW501]\nverbose = true\n", "tool.reviewer.rules.RVW501: unknown option 'verbose'"),
        ("[tool.reviewer.rules.RVW501]\nseverity = 'loud'\n", "tool.reviewer.rules.RVW501.severity"),
        ("[tool.reviewer.rules.no-such-rule]\nseverity = 'info'\n", "tool.reviewer.rules.no-such-rule"),
        ("[tool.reviewer.per-file-ignores]\n'tests/*' = ['RVW5000']\n", "per-file-ignores.tests/*"),
    ],
)
def test_a_bad_key_or_value_exits_2_naming_key_and_file(write, cli, body: str, named: str) -> None:
    write({"pyproject.toml": pyproject(body), "app/main.py": DEBUG_APP})
    code, out, err = cli("check", ".")
    assert code == 2
    assert named in err
    assert "pyproject.toml" in err
    assert out == ""


def test_invalid_toml_and_missing_config_file_exit_2(write, cli) -> None:
    write({"pyproject.toml": "[tool.reviewer\nselect = [", "app/main.py": DEBUG_APP})
    code, _, err = cli("check", ".")
    assert code == 2 and "invalid TOML" in err
    code, _, err = cli("check", ".", "--config", "nope.toml")
    assert code == 2 and "nope.toml" in err
    code, _, err = cli("check", ".", "--config", "nope.toml", "--select", "RVW0")
    assert code == 2 and "nope.toml" in err
    write({"pyproject.toml": pyproject("")})
    code, _, err = cli("check", ".", "--select", "RVW0")
    assert code == 2 and "--select: 'RVW0'" in err


def test_nearest_pyproject_with_a_reviewer_table_is_used(write, tmp_path: Path) -> None:
    write(
        {
            "pyproject.toml": pyproject("fail-on = 'warning'\n"),
            "services/api/pyproject.toml": "[project]\nname = 'api'\n",
            "services/api/app/main.py": "x = 1\n",
        }
    )
    found = find_config(tmp_path / "services" / "api" / "app" / "main.py")
    assert found == tmp_path / "pyproject.toml"
    assert load_config(found).fail_on is Severity.WARNING


def test_select_ignore_fail_on_and_per_file_ignores_apply(write, check_json) -> None:
    write(
        {
            "pyproject.toml": pyproject(
                "ignore = ['sql-echo-enabled']\nfail-on = 'warning'\n"
                "[tool.reviewer.per-file-ignores]\n'scripts/**' = ['RVW501']\n"
            ),
            "app/main.py": DEBUG_APP + ECHO,
            "scripts/dev.py": DEBUG_APP,
        }
    )
    code, report = check_json(".")
    assert [(f["path"], f["code"]) for f in report["findings"]] == [("app/main.py", "RVW501")]
    assert code == 1
    echo = next(item for item in report["checklist"] if item["id"] == "production-config")
    assert "RVW502" not in echo["rules"]


def test_a_monorepo_configuration_applies_relative_to_its_own_directory(write, check_json, cli) -> None:
    write(
        {
            "backend/pyproject.toml": pyproject(
                "exclude = ['scripts/', '/app/generated.py']\n"
                "[tool.reviewer.per-file-ignores]\n'app/legacy/**' = ['RVW501']\n"
            ),
            "backend/app/main.py": DEBUG_APP,
            "backend/app/generated.py": DEBUG_APP,
            "backend/app/legacy/old.py": DEBUG_APP,
            "backend/scripts/dev.py": DEBUG_APP,
            "frontend/scripts/build.py": DEBUG_APP,
        }
    )
    _, report = check_json("backend")
    assert [(f["path"], f["code"]) for f in report["findings"]] == [("backend/app/main.py", "RVW501")]
    assert {(s["path"], s["reason"]) for s in report["skipped"]} == {
        ("backend/app/generated.py", "excluded by configuration"),
        ("backend/scripts", "excluded by configuration"),
    }
    # The file's patterns say nothing about what lies outside its directory; `--exclude` is
    # read relative to the working directory.
    _, report = check_json("backend", "frontend", "--config", "backend/pyproject.toml")
    assert [f["path"] for f in report["findings"]] == ["backend/app/main.py", "frontend/scripts/build.py"]
    _, report = check_json("backend", "frontend", "--config", "backend/pyproject.toml", "--exclude", "/frontend/")
    assert [f["path"] for f in report["findings"]] == ["backend/app/main.py"]


def test_command_line_overrides_configuration(write, check_json) -> None:
    write({"pyproject.toml": pyproject("select = ['RVW501']\n"), "app/main.py": DEBUG_APP + ECHO})
    _, report = check_json(".")
    assert [f["code"] for f in report["findings"]] == ["RVW501"]
    code, report = check_json(".", "--select", "production-config", "--fail-on", "error", "--ignore", "RVW501")
    assert [f["code"] for f in report["findings"]] == ["RVW502"]
    assert code == 0, "a warning does not fail the run when fail-on is error"


def test_rule_options_are_typed_and_severity_is_configurable(write, check_json) -> None:
    write(
        {
            "pyproject.toml": pyproject("[tool.reviewer.rules.debug-mode-enabled]\nseverity = 'info'\n"),
            "app/main.py": DEBUG_APP,
        }
    )
    code, report = check_json(".")
    assert code == 0
    assert report["findings"][0]["severity"] == "info"


def test_rule_option_type_mismatch_is_rejected() -> None:
    from reviewer.config import Config
    from reviewer.rule import Rule

    class WithOptions(Rule):
        """Has options."""

        code, name, checklist = "RVW990", "with-options", "production-config"
        options = {"names": ["password"], "limit": 3}

    rules = [*load_rules(), WithOptions]
    config = Config(rules={"RVW990": {"names": ["secret", "token"], "limit": 5}})
    assert rule_options(config, rules)["RVW990"] == {"names": ["secret", "token"], "limit": 5}
    with pytest.raises(ConfigError, match=r"RVW990.names: expected a list of strings"):
        rule_options(Config(rules={"RVW990": {"names": "secret"}}), rules)
    with pytest.raises(ConfigError, match=r"with-options.limit: expected an integer"):
        rule_options(Config(rules={"with-options": {"limit": "many"}}), rules)
