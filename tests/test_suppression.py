"""Inline suppression: on the flagged line, or on any line of a multi-line statement."""

from __future__ import annotations


def codes_and_lines(report: dict) -> list[tuple[str, int]]:
    return [(f["code"], f["line"]) for f in report["findings"]]


def test_reviewer_ignore_and_noqa_silence_only_the_named_codes(write, check_json) -> None:
    write({"app/main.py": (
        "from fastapi import FastAPI\n"
        "a = FastAPI(debug=True)  # reviewer: ignore[RVW501]\n"
        "b = FastAPI(debug=True)  # noqa: RVW501\n"
        "c = FastAPI(debug=True)  # reviewer: ignore[RVW502]\n"
        "d = FastAPI(debug=True)  # noqa\n"
        "e = FastAPI(debug=True)  # noqa: E501, RVW501\n"
        "f = FastAPI(debug=True)  # reviewer: ignore\n"
        "g = FastAPI(debug=True)  # reviewer: ignore[RVW502, RVW501]\n"
    )})
    _, report = check_json(".")
    assert codes_and_lines(report) == [("RVW501", 4), ("RVW501", 5)]


def test_comment_on_any_line_of_a_multi_line_statement_counts(write, check_json) -> None:
    write({"app/db.py": (
        "from sqlalchemy import create_engine\n"
        "engine = create_engine(  # reviewer: ignore[RVW502]\n"
        "    'postgresql://db/orders',\n"
        "    echo=True,\n"
        ")\n"
        "other = create_engine(\n"
        "    'postgresql://db/orders',\n"
        "    echo=True,\n"
        ")  # noqa: RVW502\n"
        "third = create_engine(\n"
        "    'postgresql://db/orders',\n"
        "    echo=True,\n"
        ")\n"
        "# reviewer: ignore[RVW502]\n"
        "fourth = create_engine('postgresql://db/orders', echo=True)\n"
    )})
    _, report = check_json(".")
    assert codes_and_lines(report) == [("RVW502", 12), ("RVW502", 15)]


def test_a_compound_statement_header_counts_but_not_its_body(write, check_json) -> None:
    write({"app/main.py": (
        "import uvicorn\n"
        "def serve(\n"
        "    app,  # reviewer: ignore[RVW503]\n"
        "):\n"
        "    uvicorn.run(app, reload=True)\n"
    )})
    _, report = check_json(".")
    assert codes_and_lines(report) == [("RVW503", 5)]


def test_a_marker_inside_a_string_is_not_a_comment_on_another_line(write, check_json) -> None:
    write({"app/main.py": (
        "from fastapi import FastAPI\n"
        "HELP = 'add # reviewer: ignore[RVW501] to silence'\n"
        "app = FastAPI(debug=True)\n"
    )})
    _, report = check_json(".")
    assert codes_and_lines(report) == [("RVW501", 3)]
