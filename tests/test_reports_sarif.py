"""The SARIF report: valid against the official 2.1.0 schema, and shaped as GitHub code scanning expects."""

from __future__ import annotations

import gzip
import json
import shutil
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote

import jsonschema
import pytest
from click.testing import CliRunner

from reviewer import engine
from reviewer.cli import main
from reviewer.config import Config
from reviewer.model import Edit, Fix, Related, Severity, Span
from reviewer.registry import load_rules
from reviewer.reporters import RenderOptions, sarif

REPO = Path(__file__).resolve().parent.parent
SCHEMA_FILE = REPO / "tests" / "data" / "sarif-schema-2.1.0.json"  # the official OASIS schema
SAMPLE_APP = REPO / "fixtures" / "sample_app"
RULES = load_rules()

APP = """\
from fastapi import FastAPI
from sqlalchemy import create_engine

engine = create_engine("sqlite://", echo=True)
app = FastAPI(debug=True)
"""


def scan(root: Path, *select: str) -> engine.Run:
    config = Config(select=list(select) or ["production-config"])
    return engine.run([root], config, RULES, jobs=1, use_cache=False, cwd=root)


def write(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(content, encoding="utf-8")
    return root


def sarif_of(run: engine.Run) -> dict:
    log = json.loads(sarif.render(run, RenderOptions()))
    validate(log)
    return log


def validate(log: dict) -> None:
    assert SCHEMA_FILE.is_file(), f"the SARIF schema is expected at {SCHEMA_FILE}"
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.validate(log, schema, cls=jsonschema.Draft4Validator)


def test_sample_app_report_is_valid_sarif_with_one_descriptor_per_enabled_rule() -> None:
    run = scan(SAMPLE_APP, "ALL")
    log = sarif_of(run)
    assert log["version"] == "2.1.0" and log["$schema"].endswith("sarif-2.1.0.json")
    (sarif_run,) = log["runs"]
    driver = sarif_run["tool"]["driver"]
    assert driver["name"] == "backend-reviewer"
    assert [d["id"] for d in driver["rules"]] == sorted(r.code for r in run.rules)
    for descriptor in driver["rules"]:
        rule = next(r for r in run.rules if r.code == descriptor["id"])
        assert descriptor["name"] == rule.name
        assert descriptor["shortDescription"]["markdown"] == rule.summary_line()
        assert descriptor["shortDescription"]["text"] == rule.summary_line().replace("`", "")
        assert 0 < len(descriptor["fullDescription"]["text"]) <= 1024
        assert "`" not in descriptor["fullDescription"]["text"]
        assert descriptor["help"]["markdown"] == rule.documentation()
        assert descriptor["help"]["text"] == rule.documentation()
        assert descriptor["defaultConfiguration"]["level"] == sarif.LEVELS[rule.severity]
        assert descriptor["properties"]["checklist"] == rule.checklist
        assert rule.checklist in descriptor["properties"]["tags"]
        assert len(descriptor["properties"]["tags"]) <= 20
    # The sample app's call chain: the schema holds related locations too.
    assert any("relatedLocations" in result for result in sarif_run["results"])


def test_rule_descriptors_say_how_github_ranks_and_filters_their_alerts() -> None:
    driver = sarif_of(scan(SAMPLE_APP, "ALL"))["runs"][0]["tool"]["driver"]
    ranking = {
        descriptor["id"]: (
            descriptor["properties"]["tags"],
            descriptor["properties"].get("security-severity"),
            descriptor["properties"]["precision"],
            descriptor["properties"]["problem.severity"],
        )
        for descriptor in driver["rules"]
    }
    secrets = (["secrets-not-hardcoded", "security"], "8.8", "high", "error")
    injection = (["parameterized-queries", "security"], "8.8", "high", "error")
    select_star = (["no-select-star"], None, "high", "warning")
    validation = (["input-validation", "security"], "5.5", "very-high", "warning")
    blocking = (["async-io"], None, "high", "error")
    timeouts = (["io-timeouts"], None, "high", "warning")
    assert ranking == {
        "RVW101": secrets, "RVW102": secrets, "RVW103": secrets, "RVW104": secrets,
        "RVW201": injection, "RVW202": injection,
        "RVW210": select_star, "RVW211": select_star,
        "RVW301": validation, "RVW302": validation, "RVW303": validation,
        "RVW401": blocking, "RVW402": blocking, "RVW403": blocking, "RVW404": blocking,
        "RVW411": timeouts, "RVW412": timeouts, "RVW413": timeouts,
        "RVW501": (["production-config", "security"], "7.5", "high", "error"),
        "RVW502": (["production-config", "security"], "5.5", "high", "warning"),
        "RVW503": (["production-config", "security"], "5.5", "high", "warning"),
        "RVW504": (["production-config", "security"], "5.5", "high", "warning"),
        "RVW505": (["production-config", "security"], "7.5", "high", "error"),
        "RVW601": (["password-hashing", "security"], "7.5", "high", "error"),
        "RVW602": (["password-hashing", "security"], "5.5", "high", "warning"),
        "RVW603": (["password-hashing", "security"], "7.5", "high", "error"),
        "RVW604": (["password-hashing", "security"], "7.5", "high", "error"),
        "RVW611": (["jwt-verification", "security"], "8.8", "high", "error"),
        "RVW612": (["jwt-verification", "security"], "8.8", "high", "error"),
        "RVW613": (["jwt-verification", "security"], "5.5", "high", "warning"),
        "RVW614": (["jwt-verification", "security"], "5.5", "high", "warning"),
        "RVW621": (["cors-restrictive", "security"], "7.5", "high", "error"),
        "RVW622": (["cors-restrictive", "security"], "7.5", "high", "error"),
        "RVW623": (["cors-restrictive", "security"], "7.5", "high", "error"),
        "RVW701": (["no-n-plus-one"], None, "high", "warning"),
        "RVW702": (["no-n-plus-one"], None, "high", "warning"),
        **{code: (["reversible-migrations"], None, "high", "warning") for code in ("RVW711", "RVW712", "RVW713")},
        **{code: (["migration-safety"], None, "high", "warning") for code in
           ("RVW721", "RVW722", "RVW723", "RVW724", "RVW725", "RVW726")},
        "RVW801": (["no-internal-error-leak", "security"], "5.5", "high", "warning"),
        "RVW802": (["no-internal-error-leak", "security"], "7.5", "high", "error"),
        **{code: (["error-status-codes"], None, "very-high", "warning") for code in ("RVW811", "RVW812", "RVW813")},
        "RVW901": (["structured-logging"], None, "high", "warning"),
        "RVW902": (["structured-logging"], None, "high", "error"),
        "RVW903": (["structured-logging"], None, "high", "warning"),
        "RVW911": (["tests-present"], None, "high", "recommendation"),
        "RVW921": (["auth-on-endpoints", "security"], "5.5", "high", "warning"),
        "RVW922": (["auth-on-endpoints", "security"], "5.5", "high", "warning"),
        "RVW923": (["auth-on-endpoints", "security"], "5.5", "high", "warning"),
        "RVW931": (["pagination"], None, "high", "warning"),
        "RVW932": (["pagination"], None, "high", "warning"),
        "RVW941": (["rate-limiting", "security"], "5.5", "high", "warning"),
        "RVW951": (["security-headers", "security"], "5.5", "high", "warning"),
        "RVW961": (["response-schemas", "security"], "7.5", "high", "error"),
        "RVW962": (["response-schemas", "security"], "3.0", "high", "recommendation"),
    }


def test_security_severity_and_precision_follow_the_documented_tables() -> None:
    severities = (Severity.ERROR, Severity.WARNING, Severity.INFO)
    assert [sarif.security_severity("cors-restrictive", severity) for severity in severities] == ["7.5", "5.5", "3.0"]
    assert [sarif.security_severity("jwt-verification", severity) for severity in severities] == ["8.8", "5.5", "3.0"]
    items = ("input-validation", "async-io", "no-select-star", "pagination")
    assert [sarif.precision(item) for item in items] == ["very-high", "high", "high", "high"]


def test_descriptions_are_plain_text_with_their_markdown_kept_beside() -> None:
    driver = sarif_of(scan(SAMPLE_APP, "RVW202"))["runs"][0]["tool"]["driver"]
    (descriptor,) = driver["rules"]
    assert descriptor["shortDescription"] == {
        "text": "Untrusted text is used whole as SQL: text(sort), literal_column(column), execute(query).",
        "markdown": "Untrusted text is used whole as SQL: `text(sort)`, `literal_column(column)`, `execute(query)`.",
    }
    assert descriptor["fullDescription"]["text"].startswith(
        "Flags a SQL sink (text(), literal_column(), Session.execute, cursor.execute,")
    assert descriptor["fullDescription"]["markdown"].startswith(
        "Flags a SQL sink (`text()`, `literal_column()`, `Session.execute`, `cursor.execute`,")


def test_results_point_at_their_rule_and_their_region_relative_to_the_source_root(tmp_path: Path) -> None:
    app = shutil.copytree(SAMPLE_APP, tmp_path / "sample_app")  # outside any git repository
    run = scan(app, "ALL")
    (sarif_run,) = sarif_of(run)["runs"]
    descriptors = sarif_run["tool"]["driver"]["rules"]
    assert len(sarif_run["results"]) == len(run.findings) > 0
    assert sarif_run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": app.as_uri() + "/"}}
    for result, finding in zip(sarif_run["results"], run.findings, strict=True):
        assert result["ruleId"] == finding.code
        assert descriptors[result["ruleIndex"]]["id"] == finding.code
        assert result["level"] == sarif.LEVELS[finding.severity]
        if finding.related:
            assert result["message"]["text"].startswith(finding.message + " (see [")
        else:
            assert result["message"]["text"] == finding.message
        assert ("relatedLocations" in result) == bool(finding.related)
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] == {"uri": finding.path, "uriBaseId": "%SRCROOT%"}
        assert not location["artifactLocation"]["uri"].startswith("/")
        assert location["region"] == {
            "startLine": finding.span.line,
            "startColumn": finding.span.column,
            "endLine": finding.span.end_line,
            "endColumn": finding.span.end_column,
        }
        # Not primaryLocationLineHash: upload-sarif computes that one and warns about any other value.
        assert result["partialFingerprints"] == {"backendReviewer/v1": finding.fingerprint}
        assert ("fixes" in result) == (finding.fix is not None)
    (chain,) = [r for r in sarif_run["results"] if r["ruleId"] == "RVW403"]
    assert [
        (place["id"], place["physicalLocation"]["artifactLocation"]["uri"],
         place["physicalLocation"]["region"]["startLine"], place["message"]["text"])
        for place in chain["relatedLocations"]
    ] == [
        (1, "app/services/invoices.py", 6, "`render_invoice` calls `load_template` here"),
        (2, "app/services/templates.py", 7, "`load_template` calls `pathlib.Path.read_text`, which blocks"),
    ]
    assert chain["message"]["text"].endswith(
        " (see [`render_invoice` calls `load_template` here](1); "
        "[`load_template` calls `pathlib.Path.read_text`, which blocks](2))"
    )


def test_checklist_verdicts_are_in_the_run_properties() -> None:
    run = scan(SAMPLE_APP, "ALL")
    (sarif_run,) = sarif_of(run)["runs"]
    properties = sarif_run["properties"]
    assert properties["checklist"] == [item.to_json() for item in run.checklist]
    verdicts = {item["id"]: item["verdict"] for item in properties["checklist"]}
    assert verdicts["production-config"] == "fail"
    assert properties["filesScanned"] == run.files_scanned
    assert sarif_run["invocations"][0]["executionSuccessful"] is True


def test_partial_fingerprints_survive_a_line_shift(tmp_path: Path) -> None:
    write(tmp_path, {"app/main.py": APP})
    before = sarif_of(scan(tmp_path))["runs"][0]["results"]
    write(tmp_path, {"app/main.py": '"""Orders service."""\n\nimport logging\n\n' + APP})
    after = sarif_of(scan(tmp_path))["runs"][0]["results"]
    assert len(before) == len(after) == 2
    for old, new in zip(before, after, strict=True):
        assert new["locations"][0]["physicalLocation"]["region"]["startLine"] == (
            old["locations"][0]["physicalLocation"]["region"]["startLine"] + 4
        )
        assert new["partialFingerprints"] == old["partialFingerprints"]
    assert len({r["partialFingerprints"]["backendReviewer/v1"] for r in after}) == 2


def test_related_places_become_related_locations_that_the_message_links_to(tmp_path: Path) -> None:
    write(tmp_path, {"app/main.py": APP})
    run = scan(tmp_path, "RVW501")
    (finding,) = run.findings
    hops = (
        Related("app/settings.py", Span(3, 5, 3, 17), "`load` reads [DEBUG] here"),
        Related("app/env.py", Span(9, 1, 9, 30), "`os.environ` says \\on"),
    )
    run.findings = [replace(finding, related=hops)]
    (result,) = sarif_of(run)["runs"][0]["results"]
    assert result["relatedLocations"] == [
        {
            "id": 1,
            "physicalLocation": {
                "artifactLocation": {"uri": "app/settings.py", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 3, "startColumn": 5, "endLine": 3, "endColumn": 17},
            },
            "message": {"text": "`load` reads [DEBUG] here"},
        },
        {
            "id": 2,
            "physicalLocation": {
                "artifactLocation": {"uri": "app/env.py", "uriBaseId": "%SRCROOT%"},
                "region": {"startLine": 9, "startColumn": 1, "endLine": 9, "endColumn": 30},
            },
            "message": {"text": "`os.environ` says \\on"},
        },
    ]
    assert result["message"]["text"] == (
        finding.message + " (see [`load` reads \\[DEBUG\\] here](1); [`os.environ` says \\\\on](2))"
    )


def test_a_finding_with_a_fix_carries_it_as_a_sarif_fix(tmp_path: Path) -> None:
    write(tmp_path, {"app/main.py": APP})
    run = scan(tmp_path)
    finding = next(f for f in run.findings if f.code == "RVW501")
    value = Span(finding.span.line, finding.span.end_column - 4, finding.span.line, finding.span.end_column)
    fix = Fix("turn debug off", (Edit(value, "False"),), safe=False)
    run.findings = [replace(f, fix=fix) if f is finding else f for f in run.findings]
    results = sarif_of(run)["runs"][0]["results"]
    (fixed,) = [r for r in results if "fixes" in r]
    assert fixed["ruleId"] == "RVW501"
    (sarif_fix,) = fixed["fixes"]
    assert sarif_fix["description"] == {"text": "turn debug off"}
    (change,) = sarif_fix["artifactChanges"]
    assert change["artifactLocation"]["uri"] == "app/main.py"
    assert change["replacements"] == [{
        "deletedRegion": {"startLine": value.line, "startColumn": value.column, "endLine": value.end_line,
                          "endColumn": value.end_column},
        "insertedContent": {"text": "False"},
    }]
    assert sarif_fix["properties"] == {"safe": False}


def test_files_that_could_not_be_reviewed_become_tool_execution_notifications(tmp_path: Path) -> None:
    write(tmp_path, {"app/main.py": APP, "app/broken.py": "def broken(:\n    pass\n"})
    run = scan(tmp_path)
    invocation = sarif_of(run)["runs"][0]["invocations"][0]
    (notification,) = invocation["toolExecutionNotifications"]
    (error,) = run.errors
    assert notification["level"] == "warning"
    assert notification["descriptor"] == {"id": error.kind.value}
    assert error.message in notification["message"]["text"]
    location = notification["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "app/broken.py", "uriBaseId": "%SRCROOT%"}
    assert invocation["executionSuccessful"] is True


def test_file_names_that_are_not_uri_safe_are_percent_encoded(tmp_path: Path) -> None:
    name = "odd dir/50% #1 </script>?ü.py"
    write(tmp_path, {name: APP})
    results = sarif_of(scan(tmp_path))["runs"][0]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results}
    (uri,) = uris
    assert unquote(uri) == name
    assert not set(uri) & set(" %#<>?ü") - {"%"} and "%25" in uri


@pytest.mark.parametrize("marker", ["directory", "file"])
def test_a_review_started_in_a_subdirectory_names_files_from_the_repository_top(tmp_path: Path, marker: str) -> None:
    repository = tmp_path / "repository"
    backend = write(repository / "backend", {"app/main.py": APP, "app/broken.py": "def broken(:\n    pass\n"})
    if marker == "directory":
        (repository / ".git").mkdir()
    else:  # a worktree or a submodule: the `.git` file points at the git directory
        (repository / ".git").write_text("gitdir: ../main/.git/worktrees/repository\n", encoding="utf-8")
    run = scan(backend)
    debug = next(f for f in run.findings if f.code == "RVW501")
    fix = Fix("turn debug off", (Edit(debug.span, "FastAPI()"),))
    run.findings = [replace(f, fix=fix) if f is debug else f for f in run.findings]
    sarif_run = sarif_of(run)["runs"][0]
    assert sarif_run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": repository.as_uri() + "/"}}
    located = sorted(
        (r["ruleId"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]) for r in sarif_run["results"]
    )
    assert located == [("RVW501", "backend/app/main.py"), ("RVW502", "backend/app/main.py")]
    (fixed,) = [r for r in sarif_run["results"] if "fixes" in r]
    assert fixed["fixes"][0]["artifactChanges"][0]["artifactLocation"]["uri"] == "backend/app/main.py"
    (notification,) = sarif_run["invocations"][0]["toolExecutionNotifications"]
    assert notification["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "backend/app/broken.py", "uriBaseId": "%SRCROOT%"}


def test_without_a_repository_files_are_named_from_the_run_root(tmp_path: Path) -> None:
    backend = write(tmp_path / "backend", {"app/main.py": APP})
    sarif_run = sarif_of(scan(backend))["runs"][0]
    assert sarif_run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": backend.as_uri() + "/"}}
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif_run["results"]} == {
        "app/main.py"}


def test_messages_that_look_like_embedded_links_are_escaped() -> None:
    assert sarif._message("see [the docs](1) and list[0]") == {"text": "see \\[the docs\\](1) and list[0]"}


def test_results_beyond_githubs_limit_are_cut_most_severe_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    write(tmp_path, {"app/main.py": APP})
    run = scan(tmp_path)
    assert sorted(f.severity.label for f in run.findings) == ["error", "warning"]
    monkeypatch.setattr(sarif, "MAX_RESULTS", 1)
    sarif_run = sarif_of(run)["runs"][0]
    assert [r["ruleId"] for r in sarif_run["results"]] == ["RVW501"]
    notes = sarif_run["invocations"][0]["toolExecutionNotifications"]
    assert [n["descriptor"]["id"] for n in notes] == ["results-truncated"]
    assert notes[0]["message"]["text"].startswith("1 less severe")
    assert sarif_run["properties"]["findings"] == 2


def test_the_compressed_file_is_kept_under_githubs_upload_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    write(tmp_path, {f"app/module_{n}.py": APP for n in range(120)})
    run = scan(tmp_path)
    full = sarif.encode(sarif.document(run))
    limit = len(gzip.compress(full.encode())) * 2 // 3
    monkeypatch.setattr(sarif, "MAX_GZIP_BYTES", limit)
    log = sarif_of(run)
    assert len(gzip.compress(sarif.encode(log).encode())) <= limit
    kept = log["runs"][0]["results"]
    assert 0 < len(kept) < len(run.findings)
    errors = sum(f.severity.label == "error" for f in run.findings)
    assert sum(r["level"] == "error" for r in kept) == min(errors, len(kept))
    notes = log["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert notes[-1]["message"]["text"].startswith(f"{len(run.findings) - len(kept)} less severe")


def test_cli_writes_sarif_and_exits_one_on_failing_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"app/main.py": APP})
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["check", "--no-cache", "--select", "production-config", "--format", "sarif",
                                       "-o", "review.sarif"])
    assert result.exit_code == 1, result.output
    log = json.loads((tmp_path / "review.sarif").read_text(encoding="utf-8"))
    validate(log)
    assert {r["ruleId"] for r in log["runs"][0]["results"]} == {"RVW501", "RVW502"}
