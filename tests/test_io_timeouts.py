"""The io-timeouts rules beyond their fixtures: exact findings, the timeout fix, what the repository
decides (one-shot code, socket defaults, session classes in other modules), options, caching."""

from __future__ import annotations

import ast
import pickle
import textwrap
from pathlib import Path

import pytest

from reviewer import engine
from reviewer.config import Config
from reviewer.model import Finding
from reviewer.registry import load_rules
from rules.io_timeouts._scan import FACTS_KEY, TimeoutFacts

RULES = load_rules()
IO_TIMEOUTS = [rule for rule in RULES if rule.checklist == "io-timeouts"]
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "io-timeouts"


def check(root: Path, select: str = "io-timeouts", rules: dict | None = None, use_cache: bool = False,
          paths: list[Path] | None = None) -> list[Finding]:
    config = Config(select=[select], rules=rules or {})
    return engine.run(paths or [root], config, RULES, jobs=1, use_cache=use_cache, cwd=root).findings


def found(findings: list[Finding]) -> set[tuple[str, int, str]]:
    return {(f.path, f.span.line, f.code) for f in findings}


def write(root: Path, files: dict[str, str]) -> Path:
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


def apply(source: str, finding: Finding) -> str:
    """The source with a finding's fix applied (edits are 1-based, end-exclusive)."""
    assert finding.fix is not None
    lines = source.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    text = source
    for edit in sorted(finding.fix.edits, key=lambda e: (e.span.line, e.span.column), reverse=True):
        start = offsets[edit.span.line - 1] + edit.span.column - 1
        end = offsets[edit.span.end_line - 1] + edit.span.end_column - 1
        text = text[:start] + edit.replacement + text[end:]
    return text


def test_requests_calls_are_reported_at_each_call_and_the_session_kinds_are_named(tmp_path: Path) -> None:
    write(tmp_path, {"app/clients.py": """\
        import requests


        class Billing:
            def __init__(self):
                self.session = requests.Session()

            def invoice(self, invoice_id):
                return self.session.get(f"https://billing/{invoice_id}")

            def refund(self, invoice_id):
                requests.post("https://billing/refunds", json={"id": invoice_id})
                return self.session.post("https://billing/refunds", timeout=5)
        """})
    findings = check(tmp_path)
    assert found(findings) == {("app/clients.py", 9, "RVW411"), ("app/clients.py", 12, "RVW411")}
    messages = {f.span.line: f.message for f in findings}
    assert messages[9].startswith("`self.session.get` (a `requests.Session`) has no timeout")
    assert messages[12].startswith("`requests.post` has no timeout: requests has no default timeout")


def test_the_fix_adds_the_configured_timeout_as_the_last_argument(tmp_path: Path) -> None:
    source = textwrap.dedent("""\
        import smtplib

        import requests


        def notify(url, payload):
            requests.post(url, json=payload)
            requests.post(
                url,
                json=payload,  # the body
            )
            server = smtplib.SMTP()
            server.quit()
        """)
    (tmp_path / "notify.py").write_text(source, encoding="utf-8")
    findings = sorted(check(tmp_path, rules={"RVW411": {"default-timeout": 10}}), key=lambda f: f.span.line)
    assert found(findings) == {("notify.py", 7, "RVW411"), ("notify.py", 8, "RVW411"), ("notify.py", 12, "RVW413")}
    one_line, multi_line, smtp = findings
    assert one_line.fix is not None and not one_line.fix.safe
    assert "requests.post(url, json=payload, timeout=10)" in apply(source, one_line)
    assert "    json=payload, timeout=10,  # the body\n" in apply(source, multi_line)
    assert "smtplib.SMTP(timeout=30)" in apply(source, smtp)  # RVW413 keeps its own default
    for finding in findings:
        ast.parse(apply(source, finding))


def test_no_fix_where_the_call_cannot_take_a_timeout_or_is_wrapped(tmp_path: Path) -> None:
    write(tmp_path, {"download.py": """\
        from urllib.request import urlretrieve


        def download(url, path):
            urlretrieve(url, path)
        """})
    (finding,) = check(tmp_path)
    assert (finding.code, finding.span.line) == ("RVW411", 5)
    assert finding.fix is None
    assert "cannot take a timeout" in finding.message


def test_kwargs_positional_timeouts_and_httpx_defaults_are_not_reported(tmp_path: Path) -> None:
    write(tmp_path, {"calls.py": """\
        import urllib.request

        import httpx
        import requests


        def calls(url, session: requests.Session, **options):
            requests.get(url, **options)
            session.request("GET", url, None, None, None, None, None, None, 5)
            urllib.request.urlopen(url, None, 5)
            httpx.get(url)
            with httpx.Client() as client:
                client.get(url)
        """})
    assert check(tmp_path) == []


def test_disabled_timeouts_are_reported_where_they_are_turned_off(tmp_path: Path) -> None:
    write(tmp_path, {"feed.py": """\
        import aiohttp
        import httpx
        import requests

        LONG = aiohttp.ClientTimeout(total=None, sock_read=60)


        def feed(url):
            client = httpx.Client(timeout=None)
            client.get(url)
            client.get(url)
            requests.get(url, timeout=None)
            return aiohttp.ClientTimeout(connect=5), httpx.Timeout(None)
        """})
    findings = check(tmp_path)
    assert found(findings) == {("feed.py", 9, "RVW412"), ("feed.py", 12, "RVW412"), ("feed.py", 13, "RVW412")}
    columns = sorted(f.span.column for f in findings if f.span.line == 13)
    assert columns == [12, 46]  # each of the two objects on the line
    assert all(f.fix is None for f in findings)


def test_one_shot_code_and_tests_are_not_reported_but_serving_code_is() -> None:
    findings = check(FIXTURES / "one_shot_app")
    assert found(findings) == {
        ("app/services/upstream.py", 9, "RVW411"),
        ("app/services/upstream.py", 25, "RVW411"),
        ("app/services/mailer.py", 8, "RVW413"),
        ("app/connectors/crm.py", 13, "RVW411"),
    }


def test_a_socket_default_covers_urllib_and_smtplib_but_not_requests() -> None:
    assert found(check(FIXTURES / "socket_default_app")) == {("app/mail.py", 20, "RVW411")}


def test_a_socket_default_only_counts_outside_tests(tmp_path: Path) -> None:
    write(tmp_path, {
        "app/mail.py": "import smtplib\n\n\ndef send(host):\n    return smtplib.SMTP(host)\n",
        "tests/conftest.py": "import socket\n\nsocket.setdefaulttimeout(5)\n",
    })
    assert found(check(tmp_path)) == {("app/mail.py", 5, "RVW413")}


def test_session_subclasses_and_adapters_in_other_modules_decide_the_findings() -> None:
    findings = check(FIXTURES / "session_classes_app")
    assert found(findings) == {("app/clients/crm.py", 18, "RVW411"), ("app/clients/tickets.py", 15, "RVW411")}
    messages = {f.path: f.message for f in findings}
    assert messages["app/clients/crm.py"].startswith("`self.plain.get` (made by `app.http.PlainSession`)")


def test_a_session_subclass_without_injection_is_reported_through_self(tmp_path: Path) -> None:
    write(tmp_path, {"api.py": """\
        import requests


        class ApiSession(requests.Session):
            def fetch(self, path):
                return self.get(f"https://api.example.com/{path}")


        class Plain:
            def get(self, key):
                return key

            def fetch(self, key):
                return self.get(key)
        """})
    (finding,) = check(tmp_path)
    assert (finding.path, finding.span.line, finding.code) == ("api.py", 6, "RVW411")
    assert finding.message.startswith("`self.get` (a `ApiSession`) has no timeout")


def test_handed_in_sessions_are_reported_only_when_the_project_never_injects_a_timeout(tmp_path: Path) -> None:
    write(tmp_path, {"app/export.py": """\
        import requests


        def export(session: requests.Session):
            return session.get("https://crm.example.com/export")
        """})
    assert found(check(tmp_path)) == {("app/export.py", 5, "RVW411")}
    write(tmp_path, {"app/http.py": """\
        import functools

        import requests


        def make_session():
            session = requests.Session()
            session.request = functools.partial(session.request, timeout=10)
            return session
        """})
    assert check(tmp_path) == []


def test_a_rule_selected_alone_reports_what_it_reports_with_its_siblings() -> None:
    together = check(FIXTURES, paths=[FIXTURES / "stdlib_clients.py"])
    for rule in IO_TIMEOUTS:
        alone = check(FIXTURES, select=rule.code, paths=[FIXTURES / "stdlib_clients.py"])
        assert found(alone) == {item for item in found(together) if item[2] == rule.code}


def test_summaries_carry_picklable_facts_only_where_there_is_something_to_tell(tmp_path: Path) -> None:
    from reviewer.analysis import analyze
    from reviewer.config import rule_options

    options = rule_options(Config(), RULES)
    quiet = analyze("quiet.py", b"import requests\n\nX = 1\n", IO_TIMEOUTS, options)
    assert FACTS_KEY not in quiet.summary.extras
    source = (FIXTURES / "requests_calls.py").read_bytes()
    loud = analyze("requests_calls.py", source, IO_TIMEOUTS, options)
    facts = loud.summary.extras[FACTS_KEY]
    assert isinstance(facts, TimeoutFacts) and facts.sites
    assert pickle.loads(pickle.dumps(facts)) == facts


@pytest.mark.parametrize("fixture", ["one_shot_app", "session_classes_app", "socket_default_app"])
def test_cached_run_reports_the_same_repository_findings(tmp_path: Path, fixture: str) -> None:
    app = tmp_path / fixture
    for file in (FIXTURES / fixture).rglob("*.py"):
        target = app / file.relative_to(FIXTURES / fixture)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(file.read_bytes())
    cold = check(app, use_cache=True)
    warm = check(app, use_cache=True)
    assert cold and [(f.path, f.span, f.message) for f in cold] == [(f.path, f.span, f.message) for f in warm]


@pytest.mark.parametrize("rule", IO_TIMEOUTS, ids=lambda rule: rule.code)
def test_every_rule_documents_the_required_sections(rule: type) -> None:
    doc = rule.documentation()
    for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Known problems"):
        assert section in doc
    assert ("## Fix safety" in doc) == (rule.code != "RVW412")


def test_a_tools_package_the_application_imports_is_application_code(tmp_path: Path) -> None:
    write(tmp_path, {
        "app/__init__.py": "",
        "app/tools/__init__.py": "",
        "app/tools/registry.py": "from app.tools.search import search\n\nTOOLS = {'search': search}\n",
        "app/tools/search.py": """\
            import requests


            def search(query):
                return requests.get("https://search.example.com", params={"q": query}).json()
            """,
        "app/chat.py": "from app.tools.registry import TOOLS\n\n\ndef answer(q):\n    return TOOLS['search'](q)\n",
        "tools/release.py": """\
            import requests


            def publish():
                requests.post("https://releases.example.com")
            """,
    })
    assert found(check(tmp_path)) == {("app/tools/search.py", 5, "RVW411")}


def test_a_lifespan_chosen_by_an_expression_is_start_up_code(tmp_path: Path) -> None:
    write(tmp_path, {"app/main.py": """\
        from contextlib import asynccontextmanager

        import requests
        from fastapi import FastAPI


        def load_keys():
            return requests.get("https://auth.example.com/jwks").json()


        @asynccontextmanager
        async def lifespan(app):
            app.state.keys = load_keys()
            yield


        def create_app(override=None):
            return FastAPI(lifespan=override or lifespan)
        """})
    assert check(tmp_path) == []
