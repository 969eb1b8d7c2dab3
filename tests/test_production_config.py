"""RVW505 (`insecure-default-secret`): a placeholder default followed to the call that signs with
it, what refuses it, and how it divides the work with the secrets rules.

Credentials used here are assembled at run time so that this file does not itself hold one."""

from __future__ import annotations

import json

REAL_LOOKING = "Zq3vR8mK2x" + "T7pL9wN4bY6cH1"

SETTINGS = '''
import os

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    SECRET_KEY: str = "changeme"
    RESET_SECRET: str = Field(default="PLACEHOLDER")
    CHECKED_SECRET: str = "changeme"
    LENGTH_CHECKED_KEY: str = "short-signing-key"
    VALIDATED_KEY: str = "insecure-default-key"
    SIGNING_MATERIAL: str = "{real}"
    JWT_SECRET: str = "{real}"

    @field_validator("VALIDATED_KEY")
    @classmethod
    def _set(cls, value: str) -> str:
        if value.startswith("insecure"):
            raise ValueError("set VALIDATED_KEY")
        return value


settings = Settings()
'''.replace("{real}", REAL_LOOKING)

SECURITY = '''
import hashlib
import hmac

import jwt

from app.config import settings

if settings.CHECKED_SECRET == "changeme":
    raise RuntimeError("set CHECKED_SECRET")
if len(settings.LENGTH_CHECKED_KEY) < 32:
    raise RuntimeError("LENGTH_CHECKED_KEY is too short")


def token(subject: str) -> str:
    return jwt.encode({"sub": subject}, settings.SECRET_KEY, algorithm="HS256")


def sign(body: bytes, key: str) -> str:
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def reset_link(email: str) -> str:
    return sign(email.encode(), settings.RESET_SECRET)


def others(body: bytes) -> list[str]:
    return [
        sign(body, settings.CHECKED_SECRET),
        sign(body, settings.LENGTH_CHECKED_KEY),
        sign(body, settings.VALIDATED_KEY),
        sign(body, settings.SIGNING_MATERIAL),
        jwt.encode({}, settings.JWT_SECRET, algorithm="HS256"),
    ]
'''


def _findings(check_json, *select: str) -> list[dict]:
    _, report = check_json("--select", ",".join(select), ".")
    return report["findings"]


def test_defaults_used_as_keys_and_not_refused(write, check_json) -> None:
    write({"app/__init__.py": "", "app/config.py": SETTINGS, "app/security.py": SECURITY})
    findings = _findings(check_json, "RVW505")
    assert {(f["path"], f["line"], f["code"]) for f in findings} == {
        ("app/config.py", 9, "RVW505"),
        ("app/config.py", 10, "RVW505"),
        ("app/config.py", 14, "RVW505"),
    }
    by_line = {f["line"]: f for f in findings}
    assert '`Settings.SECRET_KEY` defaults to "changeme"' in by_line[9]["message"]
    assert by_line[9]["related"][0]["path"] == "app/security.py"
    assert by_line[9]["related"][0]["line"] == 16
    assert "passed as `key` to `app.security.sign`" in by_line[10]["message"]


def test_a_real_looking_default_is_masked_and_left_to_the_secrets_rules_when_they_report_it(
    write, check_json, cli
) -> None:
    write({"app/__init__.py": "", "app/config.py": SETTINGS, "app/security.py": SECURITY})
    findings = _findings(check_json, "RVW505", "RVW102")
    by_place = {(f["line"], f["code"]) for f in findings}
    assert (15, "RVW102") in by_place and (15, "RVW505") not in by_place  # JWT_SECRET: a secret by name
    assert (14, "RVW505") in by_place and (14, "RVW102") not in by_place  # SIGNING_MATERIAL: by use
    code, out, _ = cli("check", "--select", "RVW505", "--no-cache", ".")
    assert code == 1 and REAL_LOOKING not in out
    assert "`Settings.SIGNING_MATERIAL` defaults to a hardcoded value" in out


def test_environment_fallbacks_module_constants_and_test_settings(write, check_json) -> None:
    write({
        "app/__init__.py": "",
        "app/keys.py": 'import os\n\nSESSION_KEY = os.getenv("SESSION_KEY", "dev-session-secret")\n'
                       'AUTH_SECRET = "SECRET"\nEMPTY_SECRET = os.getenv("EMPTY_SECRET", "")\n',
        "app/main.py": "from fastapi import FastAPI\nfrom fastapi_users.authentication import JWTStrategy\n"
                       "from starlette.middleware.sessions import SessionMiddleware\n\n"
                       "from app.keys import AUTH_SECRET, EMPTY_SECRET, SESSION_KEY\n\napp = FastAPI()\n"
                       "app.add_middleware(SessionMiddleware, secret_key=SESSION_KEY)\n"
                       "strategy = JWTStrategy(secret=AUTH_SECRET, lifetime_seconds=60)\n"
                       "other = JWTStrategy(secret=EMPTY_SECRET, lifetime_seconds=60)\n",
        "tests/conftest.py": "import jwt\n\nTEST_KEY = 'changeme'\n\n\ndef token():\n"
                             "    return jwt.encode({}, TEST_KEY)\n",
    })
    findings = _findings(check_json, "RVW505")
    assert {(f["path"], f["line"], f["code"]) for f in findings} == {
        ("app/keys.py", 3, "RVW505"),
        ("app/keys.py", 4, "RVW505"),
    }
    by_line = {f["line"]: f["message"] for f in findings}
    assert "`SESSION_KEY` defaults to" in by_line[3]
    assert '`AUTH_SECRET` is "SECRET"' in by_line[4]


def test_a_key_used_only_under_other_configuration_is_not_judged(write, check_json) -> None:
    write({
        "app/__init__.py": "",
        "app/config.py": "from pydantic_settings import BaseSettings\n\n\nclass Settings(BaseSettings):\n"
                         "    ENV: str = 'development'\n    LOCAL_KEY: str = 'local-encryption-key'\n\n\n"
                         "settings = Settings()\n",
        "app/crypto.py": "from cryptography.fernet import Fernet\n\nfrom app.config import settings\n\n\n"
                         "def cipher():\n    if settings.ENV == 'production':\n"
                         "        raise RuntimeError('use the key service')\n    return Fernet(settings.LOCAL_KEY)\n",
    })
    assert _findings(check_json, "RVW505") == []


def test_a_cached_run_finds_the_same(write, cli) -> None:
    write({"app/__init__.py": "", "app/config.py": SETTINGS, "app/security.py": SECURITY})
    runs = []
    for _ in range(2):
        code, out, _ = cli("check", "--format", "json", "--select", "RVW505", ".")
        assert code == 1
        runs.append({(f["path"], f["line"], f["code"]) for f in json.loads(out)["findings"]})
    assert runs[0] == runs[1] and len(runs[0]) == 3
