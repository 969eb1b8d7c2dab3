"""A reviewed repository is untrusted input: what a hostile pull request must not be able to make
the reviewer do. Each test is built from a reproduction of a defect found by probing the reviewer
as a CI job: print a secret, inject a workflow command or a terminal escape, misplace a
suppression or an excerpt's masking, crash, hang, write outside the tree, or lose a file."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reviewer.reporters import RenderOptions, reporters

TOKEN = "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
FORMATS = ("text", "json", "sarif", "github", "markdown", "html")


def leaked_fragments(text: str, secret: str = TOKEN, shortest: int = 8) -> set[str]:
    """Pieces of `secret` of `shortest` characters or more that appear in `text`."""
    return {secret[i : i + shortest] for i in range(len(secret) - shortest + 1) if secret[i : i + shortest] in text}


def every_report(cli, *args: str) -> dict[str, str]:
    outputs = {}
    for report_format in FORMATS:
        code, out, err = cli("check", "--no-cache", "--format", report_format, *args)
        assert code in (0, 1), err
        outputs[report_format] = out + err
    return outputs


# --- secrets are printed by no rule, in no format ---------------------------------------------

QUOTING_RULES = f'''\
import asyncio
import time
from typing import Annotated

from fastapi import Body, FastAPI
from sqlalchemy import text

app = FastAPI()


@app.post("/items")
async def create(payload: Annotated[dict, Body(description="{TOKEN}")]):
    time.sleep(len("{TOKEN}"))
    return payload


def find(session, name):
    return session.execute(text(f"SELECT id FROM users WHERE name = '{{name.replace('x', '{TOKEN}')}}'"))
'''


def test_a_secret_quoted_by_other_rules_is_masked_in_every_format(write, cli, monkeypatch, tmp_path) -> None:
    write({"app/main.py": QUOTING_RULES})
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "summary.md"))
    outputs = every_report(cli, "app")
    _, out, _ = cli("check", "--no-cache", "--format", "json", "app")
    found = {(f["code"], f["line"]) for f in json.loads(out)["findings"]}
    assert {("RVW301", 12), ("RVW401", 13), ("RVW201", 18)} <= found, "the quoting rules still report"
    fix = next(f["fix"] for f in json.loads(out)["findings"] if f["code"] == "RVW401")
    assert fix is not None and "ghp_****" in fix["edits"][0]["replacement"]
    outputs["step-summary"] = (tmp_path / "summary.md").read_text(encoding="utf-8")
    for name, output in outputs.items():
        assert leaked_fragments(output) == set(), name
        assert "ghp_****" in output, name


def test_a_suppressed_secret_is_still_masked_where_other_rules_quote_it(write, cli) -> None:
    source = QUOTING_RULES.replace(
        'Body(description="', "Body(  # reviewer: ignore[RVW101]\n        description=\""
    )
    write({"app/main.py": source})
    for name, output in every_report(cli, "app").items():
        assert leaked_fragments(output) == set(), name


def test_no_secret_value_is_written_to_the_cache_free_reports_of_a_warm_run(write, cli) -> None:
    write({"app/main.py": QUOTING_RULES})
    cli("check", "app")
    code, out, _ = cli("check", "--format", "json", "app")
    assert code == 1 and leaked_fragments(out) == set() and "ghp_****" in out


# --- HTML excerpts mask by the analysis's own lines, and by value ------------------------------


def html_page(write, cli, files: dict[str, str | bytes]) -> str:
    root = write(files)
    code, _, err = cli("check", "--no-cache", "--format", "html", "-o", "review.html", ".")
    assert code == 1, err
    return (root / "review.html").read_text(encoding="utf-8")


def test_html_masks_the_secret_after_a_form_feed(write, cli) -> None:
    page = html_page(write, cli, {"app/keys.py": f'A = 1  # page\fbreak\n\f\nC = 3\nTOKEN = "{TOKEN}"\nD = 4\n'})
    assert leaked_fragments(page) == set()


def test_html_masks_the_secret_in_a_latin1_file(write, cli) -> None:
    source = f'# -*- coding: latin-1 -*-\nLABEL = "Ã©"; TOKEN = "{TOKEN}"\n'.encode("latin-1")
    page = html_page(write, cli, {"app/keys.py": source})
    assert leaked_fragments(page) == set()
    assert "Ã©" in page, "the excerpt is decoded as the review decoded it"


def test_html_masks_the_same_value_on_a_nearby_line(write, cli) -> None:
    page = html_page(write, cli, {"app/keys.py": f'# the old one was {TOKEN}\nTOKEN = "{TOKEN}"\n'})
    assert leaked_fragments(page) == set()


def test_html_does_not_excerpt_a_file_changed_since_the_review(write, tmp_path, monkeypatch) -> None:
    from reviewer import engine
    from reviewer.config import Config
    from reviewer.registry import load_rules

    write({"app/keys.py": f'TOKEN = "{TOKEN}"\n'})
    monkeypatch.chdir(tmp_path)
    run = engine.run([Path("app")], Config(), load_rules(), jobs=1, use_cache=False)
    (tmp_path / "app" / "keys.py").write_text(f'NEW = "{TOKEN[::-1]}"\nTOKEN = "{TOKEN}"\n', encoding="utf-8")
    page = reporters()["html"](run, RenderOptions())
    assert "the file has changed since it was reviewed" in page
    assert leaked_fragments(page, TOKEN[::-1]) == set()


# --- one line table: suppressions -------------------------------------------------------------


def test_suppressions_count_lines_as_the_parser_does(write, check_json) -> None:
    write({
        "app/keys.py": (
            "\f\n"
            "B = 2  # reviewer: ignore\n"
            f'TOKEN = "{TOKEN}"\n'
            "C = 3  # one\fpage\n"
            f'OTHER = "{TOKEN[:-4]}WXYZ"  # reviewer: ignore[RVW101]\n'
        )
    })
    _, report = check_json(".")
    assert report["errors"] == []
    assert [(f["code"], f["line"]) for f in report["findings"]] == [("RVW101", 3)]


def test_lines_are_counted_alike_for_every_line_ending(write, check_json) -> None:
    write({"cr.py": "A = 1\rB = 2\r", "crlf.py": "A = 1\r\nB = 2\r\n", "ff.py": "A = 1  # \f\n\fB = 2\n"})
    _, report = check_json(".")
    assert report["errors"] == []
    assert report["lines_scanned"] == 6


# --- output cannot inject workflow commands or terminal escapes -------------------------------

HOSTILE_NAME = "::error title=pwned::gotcha\x1b]8;;x\x07\x1b[31m.py"


def test_text_report_escapes_control_characters_in_names_and_messages(write, cli) -> None:
    write({HOSTILE_NAME: "from fastapi import FastAPI\napp = FastAPI(debug=True)\n"})
    _, out, err = cli("check", "--no-cache", "--format", "text", ".")
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert "\\x1b]8;;x\\x07\\x1b[31m.py:2:" in out


def test_markdown_report_escapes_control_characters(write, cli) -> None:
    write({HOSTILE_NAME: "from fastapi import FastAPI\napp = FastAPI(debug=True)\n"})
    _, out, _ = cli("check", "--no-cache", "--format", "markdown", ".")
    assert "\x1b" not in out and "\x07" not in out


def test_a_configuration_key_cannot_inject_a_line_into_stderr(write, cli) -> None:
    write({"pyproject.toml": '[tool.reviewer]\n"x\\n::error::injected" = 1\n', "app.py": "A = 1\n"})
    code, out, err = cli("check", ".")
    assert code == 2
    assert "configuration error" in err
    assert all(not line.startswith("::") for line in (out + err).splitlines())
    assert "\\n::error::injected" in err


@pytest.mark.parametrize("character", ["\u202e", "\u2028", "\x85", "\r"])
def test_other_line_breaking_and_reordering_characters_are_escaped(write, cli, character: str) -> None:
    write({f"a{character}b.py": "from fastapi import FastAPI\napp = FastAPI(debug=True)\n"})
    _, out, _ = cli("check", "--no-cache", "--format", "text", ".")
    assert character not in out
    assert re.search(r"a\\(?:u202e|u2028|x85|r)b\.py:2:", out)
