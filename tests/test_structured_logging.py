"""The structured-logging rules beyond their fixtures: exact findings, and what the repository
decides (prints and swallowed errors that only one-shot code reaches are taken back)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from reviewer import engine
from reviewer.config import Config
from reviewer.model import Finding
from reviewer.registry import load_rules

RULES = load_rules()


def check(root: Path, select: str = "structured-logging") -> list[Finding]:
    return engine.run([root], Config(select=[select]), RULES, jobs=1, use_cache=False, cwd=root).findings


def found(findings: list[Finding]) -> set[tuple[str, int, str]]:
    return {(f.path, f.span.line, f.code) for f in findings}


def write(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


ROUTES = '''
import logging

from fastapi import APIRouter

from app.services import notify, report

logger = logging.getLogger(__name__)
router = APIRouter()


@router.post("/orders")
async def create_order(order_id: int) -> dict:
    notify(order_id)
    return {"id": order_id}
'''

SERVICES = '''
import logging

logger = logging.getLogger(__name__)


def notify(order_id: int) -> None:
    print("notifying", order_id)
    try:
        send_email(order_id)
    except Exception:
        pass


def report(rows: list) -> None:
    print("rows", len(rows))


def send_email(order_id: int) -> None:
    logger.info("email for %s", order_id)
'''

CLI = '''
import logging

import click

from app.services import report

logger = logging.getLogger(__name__)


def _summarise(rows: list) -> None:
    print("summary", len(rows))
    try:
        update_cache(rows)
    except Exception:
        pass


@click.command()
def main() -> None:
    _summarise([])
    report([])


def update_cache(rows: list) -> None:
    logger.info("cached %d", len(rows))
'''


def test_serving_code_is_reported_and_one_shot_code_is_not(tmp_path: Path) -> None:
    write(tmp_path, {"app/__init__.py": "", "app/routes.py": ROUTES, "app/services.py": SERVICES,
                     "app/cli.py": CLI})
    findings = check(tmp_path)
    assert found(findings) == {
        ("app/services.py", 8, "RVW901"),
        ("app/services.py", 11, "RVW903"),
        # `report` (line 16) and `_summarise` only run for the command.
    }
    messages = {f.span.line: f.message for f in findings}
    assert "`notify`" in messages[8]
    assert "`send_email()`" in messages[11]


def test_prints_of_one_function_are_one_finding(tmp_path: Path) -> None:
    write(tmp_path, {"app/jobs.py": '''
        import logging

        logger = logging.getLogger(__name__)


        def sync(rows: list) -> None:
            print("start")
            for row in rows:
                print(row)
        '''})
    findings = check(tmp_path, "RVW901")
    assert found(findings) == {("app/jobs.py", 8, "RVW901")}
    assert "(and 1 more)" in findings[0].message


def test_modules_that_never_log_report_only_what_serving_code_reaches(tmp_path: Path) -> None:
    write(tmp_path, {
        "app/__init__.py": "",
        "app/skills.py": '''
            def open_file(path: str) -> None:
                print(open(path).read())
            ''',
        "app/routes.py": '''
            from fastapi import APIRouter

            router = APIRouter()


            @router.delete("/items/{item_id}")
            async def delete_item(item_id: int) -> None:
                print("deleting", item_id)
            ''',
    })
    assert found(check(tmp_path, "RVW901")) == {("app/routes.py", 9, "RVW901")}


def test_tests_scripts_examples_and_migrations_are_not_application_code(tmp_path: Path) -> None:
    body = '''
        import logging

        logger = logging.getLogger(__name__)


        def run(client) -> None:
            print("run")
            try:
                client.save()
            except Exception:
                pass
        '''
    write(tmp_path, {"tests/test_run.py": body, "scripts/backfill.py": body, "examples/demo.py": body,
                     "migrations/versions/0001_init.py": "revision = '1'\n\ndef upgrade():\n    pass\n" + body})
    assert check(tmp_path) == []


def test_credentials_are_followed_through_names_and_cleaned_by_masking(tmp_path: Path) -> None:
    write(tmp_path, {"app/mw.py": '''
        import logging

        from fastapi import Request

        logger = logging.getLogger(__name__)


        async def audit(request: Request) -> None:
            headers = request.headers
            copied = dict(headers)
            logger.info("headers %s", copied)
            for name, value in request.headers.items():
                logger.debug("%s=%s", name, value)
            token = headers.get("authorization", "")
            logger.info("token prefix %s", token[:6])
            logger.info("has token %s", token is not None)
            logger.info("token %s", token)
            token = "redacted"
            logger.info("token %s", token)
        '''})
    findings = check(tmp_path, "RVW902")
    assert found(findings) == {("app/mw.py", 12, "RVW902"), ("app/mw.py", 14, "RVW902"),
                               ("app/mw.py", 18, "RVW902")}
    by_line = {f.span.line: f.message for f in findings}
    assert by_line[12].startswith("The whole set of request headers reaches `logger.info`")
    assert by_line[18].startswith("`authorization` of the whole set of request headers")
