"""The `secrets-not-hardcoded` rules (RVW101-RVW104): masking in every report, severity in test
code, the placeholder policy, and the options that extend names and placeholders.

Credentials used here are assembled at run time so that this file does not itself hold one."""

from __future__ import annotations

import json
import pathlib

import pytest

from reviewer.redaction import mask
from reviewer.registry import find_rule, load_rules
from rules.secrets_not_hardcoded._formats import TOKEN_FORMATS, find_tokens
from rules.secrets_not_hardcoded._policy import is_label, is_placeholder, looks_generated, secret_kind_of_name
from rules.secrets_not_hardcoded._urls import credentials_in

STRIPE_LIVE_KEY = "sk_" + "live_" + "iS2G8NPRVdD53X83RZJzzzzg"
DB_PASSWORD = "Kp9x2LmQ7vRt"
SIGNING_KEY = "f0e1d2c3-hmac-" + "b4a59687"
SETTINGS_SECRET = "r3d1s-" + "Pr0d-2024"
GENERATED_TOKEN = "Zq3vR8mK2x" + "T7pL9wN4bY6cH1"

LEAKY_MODULE = f'''
import hmac
import hashlib

import stripe
from pydantic_settings import BaseSettings
from sqlalchemy import create_engine

stripe.api_key = "{STRIPE_LIVE_KEY}"
engine = create_engine("postgresql://orders:{DB_PASSWORD}@db.prod.internal:5432/orders")


class Settings(BaseSettings):
    redis_password: str = "{SETTINGS_SECRET}"


def sign(body: bytes) -> str:
    return hmac.new(b"{SIGNING_KEY}", body, hashlib.sha256).hexdigest()
'''
SECRETS = (STRIPE_LIVE_KEY, DB_PASSWORD, SIGNING_KEY, SETTINGS_SECRET)


def _findings(check_json, *args: str) -> list[dict]:
    _, report = check_json("--select", "secrets-not-hardcoded", *args, ".")
    return report["findings"]


# --- masking --------------------------------------------------------------------------------


def test_text_report_names_the_kind_and_never_prints_a_secret(write, cli) -> None:
    write({"app/leaky.py": LEAKY_MODULE})
    code, out, _ = cli("check", "--select", "secrets-not-hardcoded", "--no-cache", ".")
    assert code == 1
    for secret in SECRETS:
        assert secret not in out
        assert secret[4:12] not in out  # not even a middle part
    assert "Stripe secret key" in out and "sk_live_****" in out
    assert "password in DSN `postgresql://orders:Kp9****@db.prod.internal`" in out
    assert "HMAC key" in out and "password hardcoded in `redis_password`" in out


def test_json_report_never_prints_a_secret(write, cli) -> None:
    write({"app/leaky.py": LEAKY_MODULE})
    _, out, _ = cli("check", "--select", "secrets-not-hardcoded", "--format", "json", "--no-cache", ".")
    for secret in SECRETS:
        assert secret not in out
    findings = json.loads(out)["findings"]
    assert sorted(f["code"] for f in findings) == ["RVW101", "RVW102", "RVW103", "RVW104"]
    assert all("****" in f["message"] for f in findings)


@pytest.mark.parametrize(
    ("value", "prefix", "expected"),
    [
        ("hunter22", "", "hu****"),
        ("abc", "", "****"),
        ("a" * 40, "", "aaaa****"),
        ("sk_live_0123456789abcdef01234567", "sk_live_", "sk_live_****"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIE", "-----BEGIN ", "-----BEGIN ****"),
    ],
)
def test_mask_shows_at_most_a_public_prefix_or_a_short_head(value: str, prefix: str, expected: str) -> None:
    assert mask(value, prefix) == expected


def test_finding_points_at_the_literal_not_at_its_use(write, check_json) -> None:
    write(
        {
            "app/tokens.py": (
                "import hmac, hashlib\n"
                f'WEBHOOK_KEY = b"{SIGNING_KEY}"\n'
                f'KEY = b"{SIGNING_KEY}x"\n'
                "\n"
                "def sign(body):\n"
                "    return hmac.new(KEY, body, hashlib.sha256).hexdigest()\n"
            )
        }
    )
    lines = sorted((f["code"], f["line"]) for f in _findings(check_json))
    assert lines == [("RVW102", 2), ("RVW103", 3)]


def test_suppression_on_the_assignment_silences_a_finding_reported_through_a_use(write, check_json) -> None:
    write(
        {
            "app/tokens.py": (
                "import hmac, hashlib\n"
                f'KEY = b"{SIGNING_KEY}"  # reviewer: ignore[RVW103]\n'
                "\n"
                "def sign(body):\n"
                "    return hmac.new(KEY, body, hashlib.sha256).hexdigest()\n"
            )
        }
    )
    assert _findings(check_json) == []


# --- the token-format table ----------------------------------------------------------------------

_BODY = "Zq3vR8mK2xT7pL9wN4bY6cH1dF5gJ0sQ"  # 32 mixed characters
_HEX = "8f14e45fceea167a5a36dedd4bea2543"
TOKEN_SAMPLES = {
    "AWS access key id": "AKIA" + "UJZDEGXDNCF32EPF",
    "AWS secret access key": "aws_secret_access_key = " + _BODY + "Ab1/Cd2+",
    "GitHub token": "ghp_" + _BODY + "Wx9z",
    "GitHub fine-grained token": "github_pat_" + _BODY[:22] + "_" + (_BODY * 2)[:59],
    "GitLab token": "glpat-" + _BODY[:20],
    "Stripe secret key": "sk_" + "live_" + _BODY[:24],
    "Stripe restricted key": "rk_" + "live_" + _BODY[:24],
    "Stripe webhook signing secret": "whsec_" + _BODY,
    "Slack token": "xoxb-" + "39525032759-7621182009372-" + _BODY[:24],
    "Slack app token": "xapp-1-A0" + "KD83HS12-4829103847-" + _HEX,
    "Slack webhook URL": "https://hooks.slack.com/services/TK7BN7XJ8/BB7TFQ7XKWO/" + _BODY[:24],
    "Discord webhook URL": "https://discord.com/api/webhooks/804981773402918734/" + _BODY * 2,
    "SendGrid API key": "SG." + _BODY[:22] + "." + (_BODY * 2)[:43],
    "Twilio API key": "SK" + _HEX,
    "Twilio auth token": "TWILIO_AUTH_TOKEN=" + _HEX,
    "Mailgun API key": "key-" + _HEX,
    "Google API key": "AIza" + (_BODY * 2)[:35],
    "Google OAuth client secret": "GOCSPX-" + _BODY[:28],
    "Anthropic API key": "sk-ant-api03-" + (_BODY * 3)[:90],
    "OpenAI API key": "sk-proj-" + (_BODY * 2)[:48],
    "OpenAI-style API key": "sk-" + (_BODY * 2)[:48],
    "Hugging Face token": "hf_" + "ZqvRmKxTpLwNbYcHdFgJsQaWuEoRtIyUpM",
    "npm token": "npm_" + (_BODY * 2)[:36],
    "PyPI token": "pypi-AgEIcHlwaS5vcmc" + (_BODY * 2)[:60],
    "Shopify access token": "shpat_" + _HEX,
    "Telegram bot token": "7204981773:AA" + (_BODY * 2)[:33],
    "Azure storage account key": "AccountKey=" + (_BODY * 3)[:86] + "==",
    "PEM private key": "-----BEGIN EC PRIVATE KEY-----\n" + _BODY * 2 + "\n-----END EC PRIVATE KEY-----",
    "JSON Web Token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcmRlcnMtc3ZjIn0." + _BODY,
}


def test_every_token_format_has_a_sample() -> None:
    assert {token_format.kind for token_format in TOKEN_FORMATS} == set(TOKEN_SAMPLES)


@pytest.mark.parametrize("kind", sorted(TOKEN_SAMPLES))
def test_token_format_is_found_inside_a_longer_string(kind: str) -> None:
    text = f"config: {TOKEN_SAMPLES[kind]} # deployed"
    assert kind in {token.kind for token in find_tokens(text)}


@pytest.mark.parametrize("kind", sorted(TOKEN_SAMPLES))
def test_token_format_with_an_example_marker_is_a_placeholder(kind: str) -> None:
    sample = TOKEN_SAMPLES[kind]
    fake = sample[: len(sample) - 7] + "EXAMPLE" if "PEM" not in kind else sample.replace(_BODY, "EXAMPLE" * 5, 1)
    assert kind not in {token.kind for token in find_tokens(fake)}


# --- test code --------------------------------------------------------------------------------


def test_test_code_reports_at_info_by_default(write, check_json) -> None:
    write({"app/leaky.py": LEAKY_MODULE, "tests/test_leaky.py": LEAKY_MODULE})
    severities = {(f["path"].split("/")[0], f["severity"]) for f in _findings(check_json)}
    assert severities == {("app", "error"), ("tests", "info")}


def test_seed_data_modules_count_as_test_code(write, check_json) -> None:
    """By the module's own name; a directory's name (`fixtures/`, `demo_data/`) says nothing of
    what its files are."""
    seed = f'DEMO = {{"email": "ada@orders.local", "password": "ada-lovelace"}}\nKEY = "{STRIPE_LIVE_KEY}"\n'
    write({"scripts/seeds.py": seed, "app/user_factories.py": seed, "fixtures/demo/app/users.py": seed})
    findings = _findings(check_json)
    assert sorted((f["path"], f["code"], f["severity"], f["line"]) for f in findings) == [
        ("app/user_factories.py", "RVW101", "info", 2),
        ("fixtures/demo/app/users.py", "RVW101", "error", 2),
        ("fixtures/demo/app/users.py", "RVW102", "error", 1),
        ("scripts/seeds.py", "RVW101", "info", 2),
    ]


def test_test_code_is_decided_the_same_wherever_the_review_starts(write, cli, tmp_path, monkeypatch) -> None:
    write({".git/HEAD": "ref: refs/heads/main\n", "tests/api/helpers.py": LEAKY_MODULE, "app/leaky.py": LEAKY_MODULE})
    severities = {}
    for start, target in ((tmp_path, "."), (tmp_path / "tests", "api"), (tmp_path / "tests" / "api", "helpers.py")):
        monkeypatch.chdir(start)
        code, out, _ = cli("check", target, "--no-cache", "--format", "json")
        findings = json.loads(out)["findings"]
        severities[str(start)] = {(f["path"], f["severity"]) for f in findings if f["code"] == "RVW101"}
    assert severities == {
        str(tmp_path): {("tests/api/helpers.py", "info"), ("app/leaky.py", "error")},
        str(tmp_path / "tests"): {("api/helpers.py", "info")},
        str(tmp_path / "tests" / "api"): {("helpers.py", "info")},
    }


def test_test_severity_is_configurable(write, check_json) -> None:
    options = "\n".join(f'[tool.reviewer.rules.{code}]\ntest-severity = "warning"' for code in ("RVW101", "RVW104"))
    write({"tests/conftest.py": LEAKY_MODULE, "pyproject.toml": f"[tool.reviewer]\n{options}\n"})
    by_code = {f["code"]: f["severity"] for f in _findings(check_json)}
    assert by_code["RVW101"] == "warning" and by_code["RVW104"] == "warning"


def test_made_up_test_credentials_are_not_reported_but_generated_ones_are(write, check_json) -> None:
    write(
        {
            "tests/test_auth.py": (
                "def test_login(client):\n"
                '    client.post("/login", data={"username": "ada", "password": "s3cret!"})\n'
                '    payload = {"access_token": "the-access-token", "refresh_token": "rt_123"}\n'
                f'    partner = {{"client_secret": "{GENERATED_TOKEN}"}}\n'
                '    url = "postgresql://postgres:postgres@localhost:5432/test"\n'
            )
        }
    )
    assert [(f["code"], f["line"]) for f in _findings(check_json)] == [("RVW102", 4)]


def test_test_container_dsns_are_quiet_only_in_test_code() -> None:
    dsn = "postgresql://app:" + "Ap9-xK2m" + "@db:5432/app"
    assert credentials_in(dsn, in_tests=True) == []
    assert [c.kind for c in credentials_in(dsn, in_tests=False)] == ["password in DSN"]


# --- placeholder policy -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "", "   ", "***", "!", "xxxxxxxx", "changeme", "changethis", "your-api-key", "<token>", "${SECRET_KEY}",
        "{{ secret }}", "{password}", "%(password)s", "sk_test_placeholder", "test-secret-key", "testpass",
        "dummy", "REPLACE_WITH_KEY", "sk_live_", "xoxb-valid", "polar_pat_", "123", "abcdef",
        "pk_live_51HxQmPLfGqsJ8Kd9vX", "-----BEGIN PUBLIC KEY-----\nMIIB", "ssh-ed25519 AAAAC3Nza deploy@ci",
        "$2b$12$KIXQJ1o3N0vA1q6rZ9W2UuQ0g7bY5y1eYH9m3cHnW2Zr6f5t4kP8a", "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
    ],
)
def test_placeholders_by_policy(value: str) -> None:
    assert is_placeholder(value)


@pytest.mark.parametrize(
    "value",
    ["hunter22", "09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7", "Xq7!pLm2#rT9", "MyPassword",
     "polar123456789", "supersecret", "mysecretkey", "super_secure_fintech_jwt_secret_for_app", "ai-radio-secret-key"],
)
def test_real_looking_values_are_not_placeholders(value: str) -> None:
    assert not is_placeholder(value) and not is_label(value)


WORDS_SETTINGS = """\
from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    JWT_SECRET: str = "super secret jwt secret"
    SIGNING_KEY: str = "mysecretkey"
    API_TOKEN: str = "ai-radio-secret-key"
    ENCRYPTION_KEY: str = "r3d1s-Pr0d-2024-k3y"
    DATABASE_PASSWORD: str = "supersecret"
    SMTP_PASSWORD: str = "letmein"
"""


def test_keys_and_tokens_made_of_words_are_not_leaked_secrets_but_passwords_may_be(write, check_json) -> None:
    """A key or token is generated, so one made of plain words is a name or a placeholder (a
    default that works live is an insecure configuration, not a leaked credential); a password is
    chosen by a person and may be plain words."""
    write({"app/settings.py": WORDS_SETTINGS})
    _, report = check_json(".")
    assert sorted((f["line"], f["code"]) for f in report["findings"]) == [(8, "RVW102"), (9, "RVW102"), (10, "RVW102")]


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (".types", "Foo_AzureSecret"),
        ("..client.types", "BearerToken"),
        (r"[!#$%&'*+.^_`|~A-Za-z0-9-]+", "TOKEN_PATTERN"),
        (r"^\\d{6}$", "otp_token"),
        ("DONE!", "termination_token"),
        ("Checking saved credentials", "list_credentials"),
    ],
)
def test_module_paths_regular_expressions_sentinels_and_text_are_labels(value: str, name: str) -> None:
    assert is_label(value, name)


LABEL_TABLES = """\
ROLES = {"text": "textbox", "email": "textbox", "password": "textbox", "submit": "button"}
RESPONSE_MODES = {"code": "query", "code id_token": "fragment", "code token": "fragment"}
SECRETS = {"username": "admin", "password": "Xq7!pLm2#rT9"}
POSTHOG_API_KEY = "phc_OcwKamvVT5QCgASAkv6Sk1vnvBCovXCDKJPukNApioW"
ENCRYPTOR_AES_SECRET_KEY = "fillmein"
"""


def test_label_tables_public_keys_and_self_described_placeholders_are_not_secrets(write, check_json) -> None:
    write({"app/tables.py": LABEL_TABLES})
    _, report = check_json(".")
    assert [(f["line"], f["code"]) for f in report["findings"]] == [(3, "RVW102")]


@pytest.mark.parametrize(
    "value",
    ["bearer", "X-API-Key", "Authorization", "SECRET_KEY", "access_token", "client_secret", "vault_client_secret",
     "orders:write", "/reset-password", "https://auth.example.com/token", "Incorrect email or password", "LDAP",
     "accessToken"],
)
def test_labels_are_not_secrets(value: str) -> None:
    assert is_label(value)


def test_placeholder_policy_is_documented_in_explain(cli) -> None:
    for code in ("RVW102", "RVW104"):
        _, out, _ = cli("explain", code)
        assert "Placeholder policy" in out
    _, out, _ = cli("explain", "RVW101")
    assert "placeholder policy" in out and "AKIAIOSFODNN7EXAMPLE" in out


def test_extra_placeholders_option(write, check_json) -> None:
    source = 'ORDERS_API_KEY = "orders-dev-" + "x"\nSMTP_PASSWORD = "acme-default-9931"\n'
    write({"app/settings.py": source})
    assert [f["line"] for f in _findings(check_json)] == [2]
    write({"pyproject.toml": '[tool.reviewer.rules.RVW102]\nextra-placeholders = ["acme-default"]\n'})
    assert _findings(check_json) == []


# --- secret names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("password", "password"),
        ("DB_PWD", "password"),
        ("OPENAI_API_KEY", "OpenAI API key"),
        ("openaiApiKey", "OpenAI API key"),
        ("AWS_SECRET_ACCESS_KEY", "AWS secret access key"),
        ("jwtSecret", "JWT secret"),
        ("client_secret", "client secret"),
        ("TWILIO_AUTH_TOKEN", "Twilio auth token"),
        ("refreshToken", "refresh token"),
        ("SECRET_KEY_B64", "secret key"),
        ("ENCRYPTION_LOCAL_KEY", "encryption key"),
        ("apikey", "API key"),
        ("Authorization", "Authorization header credential"),
        ("smtp_credentials", "credentials"),
    ],
)
def test_secret_bearing_names(name: str, kind: str) -> None:
    assert secret_kind_of_name(name) == kind


@pytest.mark.parametrize(
    "name",
    ["token_type", "PASSWORD_RESET_URL", "password_min_length", "TOKEN_PREFIX", "API_KEY_HEADER", "hashed_password",
     "next_token", "public_key", "client_id", "access_key_id", "SESSION_COOKIE_KEY", "max_tokens", "eos_token",
     "tokenizer", "monkey", "primary_key", "revision", "passthrough", "secrets_dir", "cache_key"],
)
def test_names_that_hold_no_secret(name: str) -> None:
    assert secret_kind_of_name(name) is None


def test_extra_secret_names_option(write, check_json) -> None:
    write({"app/licensing.py": 'LICENSE_CODE = "LX-4f9a-8b7c-6d5e"\n'})
    assert _findings(check_json) == []
    write({"pyproject.toml": '[tool.reviewer.rules.RVW102]\nextra-secret-names = ["license_code"]\n'})
    findings = _findings(check_json)
    assert [(f["code"], f["line"]) for f in findings] == [("RVW102", 1)]
    assert findings[0]["message"].startswith("license code hardcoded in `LICENSE_CODE`")
    assert secret_kind_of_name("PARTNER_LICENSE_CODE", ["license_code"]) == "license code"
    assert secret_kind_of_name("hashed_license_code", ["license_code"]) is None


def test_extra_secret_names_must_be_a_list_of_strings(write, cli) -> None:
    write({"pyproject.toml": '[tool.reviewer.rules.RVW102]\nextra-secret-names = "license_code"\n', "a.py": ""})
    code, _, err = cli("check", "--no-cache", ".")
    assert code == 2 and "extra-secret-names" in err


def test_generated_value_heuristic() -> None:
    assert looks_generated(GENERATED_TOKEN)
    assert not looks_generated("the-access-token-for-tests")
    assert not looks_generated("short1")


def test_rules_share_the_checklist_item_and_options() -> None:
    rules = load_rules()
    for code in ("RVW101", "RVW102", "RVW103", "RVW104"):
        rule = find_rule(rules, code)
        assert rule is not None and rule.checklist == "secrets-not-hardcoded"
        assert "test-severity" in rule.options and "extra-placeholders" in rule.options
    assert "extra-secret-names" in find_rule(rules, "RVW102").options


def test_the_demo_shows_its_secrets_as_users_will_see_them(monkeypatch) -> None:
    """The sample app lives under `fixtures/`; that folder's name does not make it test data."""
    from reviewer import engine
    from reviewer.config import Config
    from reviewer.registry import load_rules

    sample_app = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "sample_app"
    seen = []
    for cwd in (sample_app.parent.parent, sample_app):
        run = engine.run([sample_app], Config(select=["secrets-not-hardcoded"]), load_rules(), jobs=1,
                         use_cache=False, cwd=cwd)
        found = [(f.path.removeprefix("fixtures/sample_app/"), f.code, f.severity.label) for f in run.findings]
        seen.append(sorted(found))
        assert [item.verdict.value for item in run.checklist if item.item.id == "secrets-not-hardcoded"] == ["fail"]
    assert seen[0] == seen[1] == [
        ("app/core/config.py", "RVW102", "error"),
        ("app/core/config.py", "RVW104", "error"),
        ("app/core/integrations.py", "RVW101", "error"),
    ]
