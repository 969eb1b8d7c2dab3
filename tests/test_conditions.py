"""Branch conditions the repository weighs: settings flags, environment variables, arguments;
and the settings model that says what a default deployment runs."""

from __future__ import annotations

import libcst as cst
import pytest

from reviewer.semantics.calls import ModuleIndex
from reviewer.semantics.conditions import (
    argument_holds,
    branch_conditions,
    condition_of,
    holds,
    literal_kind,
    negated,
    result_conditions,
)
from reviewer.semantics.constants import Constants, ModuleConstants, literal_members
from reviewer.semantics.names import ImportTable
from reviewer.semantics.settings import SettingsDefaults, SettingsModule
from reviewer.summary import ModuleSummary


def _index(*modules: str) -> ModuleIndex:
    return ModuleIndex([ModuleSummary(f"{m.replace('.', '/')}.py", m, False, ImportTable(m, False)) for m in modules])


def condition(test: str) -> tuple | None:
    imports = {"settings": "app.config.settings", "os": "os", "flags": "app.flags", "TRACE": "app.flags.TRACE"}

    def qualify(node: cst.BaseExpression) -> str | None:
        if isinstance(node, cst.Name):
            return imports.get(node.value)
        if isinstance(node, cst.Attribute):
            base = qualify(node.value)
            return None if base is None else f"{base}.{node.attr.value}"
        return None

    def module_object(node: cst.BaseExpression) -> str | None:
        head = node
        while isinstance(head, cst.Attribute):
            head = head.value
        return qualify(node) if isinstance(head, cst.Name) and head.value != "local" else None

    return condition_of(cst.parse_expression(test), {"path", "resolve_dns"}, module_object, qualify, KNOWN)


KNOWN = {
    "dump_dir": ("environment", "DUMP_DIR", False, True),
    "mode": ("setting", "app.config.settings", "browser", True),
    "root": ("result", "app.flags.dump_root", "truth", True),
}


@pytest.mark.parametrize(("test", "expected"), [
    ("settings.debug", ("setting", "app.config.settings", "debug", True)),
    ("not settings.bundle_assets", ("setting", "app.config.settings", "bundle_assets", False)),
    ("not not settings.debug", ("setting", "app.config.settings", "debug", True)),
    ("path", ("argument", "path", "truth", True)),
    ("not resolve_dns", ("argument", "resolve_dns", "truth", False)),
    ("path is None", ("argument", "path", "none", False)),
    ("path is not None", ("argument", "path", "none", True)),
    ("not path is not None", ("argument", "path", "none", False)),
    ('os.environ.get("DUMP_DIR")', ("environment", "DUMP_DIR", False, True)),
    ('os.getenv("FAST_PATH", "1")', ("environment", "FAST_PATH", True, True)),
    ('"TRACE" in os.environ', ("environment", "TRACE", False, True)),
    ('"TRACE" not in os.environ', ("environment", "TRACE", False, False)),
    ("os.environ.get(DUMP_ENV)", ("environment", "DUMP_ENV", False, True)),
    ('settings.browser == "cdp"', ("setting-in", "app.config.settings", "browser", ("cdp",), True)),
    ('settings.browser != "cdp"', ("setting-in", "app.config.settings", "browser", ("cdp",), False)),
    ('not settings.port in (80, 443)', ("setting-in", "app.config.settings", "port", (80, 443), False)),
    ('mode == "cdp"', ("setting-in", "app.config.settings", "browser", ("cdp",), True)),
    ('settings.browser == other', None),
    ("not dump_dir", ("environment", "DUMP_DIR", False, False)),
    ("not TRACE", ("setting", "app.flags", "TRACE", False)),
    ('TRACE == "disk"', ("setting-in", "app.flags", "TRACE", ("disk",), True)),
    ("flags.dump_root()", ("result", "app.flags.dump_root", "truth", True)),
    ("not flags.dump_root()", ("result", "app.flags.dump_root", "truth", False)),
    ("flags.dump_root() is None", ("result", "app.flags.dump_root", "none", False)),
    ("root is not None", ("result", "app.flags.dump_root", "none", True)),
    ("root is None", ("result", "app.flags.dump_root", "none", False)),
    ("not root", ("result", "app.flags.dump_root", "truth", False)),
    ("local.debug", ("field", "debug", "truth", True)),
    ("not local.state.traces_dir", ("field", "traces_dir", "truth", False)),
    ("local.state.traces_dir is not None", ("field", "traces_dir", "none", True)),
    ("local.traces_dir is None", ("field", "traces_dir", "none", False)),
    # what no repository-wide fact decides
    ("local.traces_dir == None", None),
    ("local.state.traces_dir()", None),
    ("local.state().traces_dir", None),
    ("settings.debug and path", None),
    ("settings.level < 3", None),
    ("settings.token is None", None),
    ("other", None),
    ('os.getenv("MODE", mode)', None),
    ("path == None", None),
    ("local.dump_root()", None),
    ("dump_dir is None", None),
    ("root == None", None),
])
def test_conditions_an_if_test_states(test: str, expected: tuple | None) -> None:
    assert condition(test) == expected


@pytest.mark.parametrize(("value", "test", "want", "expected"), [
    ("none", "truth", True, False),
    ("falsy", "truth", True, False),
    ("truthy", "truth", True, True),
    ("falsy", "none", True, True),  # `False is not None`
    ("none", "none", True, False),
    ("none", "none", False, True),
    (None, "truth", True, True),  # unknown: may hold
    (None, "none", False, True),
])
def test_an_argument_condition_holds_by_the_value_passed(value, test, want, expected) -> None:  # noqa: ANN001
    assert argument_holds(("argument", "p", test, want), value) is expected


DEBUG = ("setting", "app.config.settings", "debug", True)
PATH = ("argument", "path", "truth", True)


@pytest.mark.parametrize(("test", "body", "orelse"), [
    ("settings.debug and path", (DEBUG, PATH), ()),
    ("settings.debug or path", (), (negated(DEBUG), negated(PATH))),
    ("not (settings.debug or other)", (negated(DEBUG),), ()),
    ("settings.debug and other", (DEBUG,), ()),
    ("settings.debug", (DEBUG,), (negated(DEBUG),)),
])
def test_and_or_split_between_the_body_and_the_else(test: str, body: tuple, orelse: tuple) -> None:
    imports = {"settings": "app.config.settings"}
    qualify = lambda node: imports.get(node.value) if isinstance(node, cst.Name) else None  # noqa: E731
    module_object = lambda node: imports.get(node.value) if isinstance(node, cst.Name) else None  # noqa: E731
    assert branch_conditions(cst.parse_expression(test), {"path"}, module_object, qualify) == (body, orelse)


def test_literal_kinds() -> None:
    kinds = [literal_kind(cst.parse_expression(code)) for code in ("None", "False", "0", "''", "[]", "1", "'x'", "x")]
    assert kinds == ["none", "falsy", "falsy", "falsy", "falsy", "truthy", "truthy", None]


def test_a_result_holds_by_what_its_function_returns_under() -> None:
    unset = ("environment", "DUMP_DIR", False, True)
    debug = ("setting", "app.config.settings", "debug", True)
    known = {("app.flags.dump_root", "none"): (unset,), ("app.flags.dump_root", "truth"): (unset,),
             ("app.flags.spool_root", "none"): (), ("app.flags.candidates", "truth"): (debug,),
             ("app.flags.candidates", "none"): ()}

    def results(function: str, test: str) -> tuple | None:
        return known.get((function, test))

    assert not holds([("result", "app.flags.dump_root", "none", True)], None, results=results)
    assert not holds([("result", "app.flags.dump_root", "truth", True)], None, results=results)
    assert holds([("result", "app.flags.dump_root", "none", False)], None, results=results)
    assert holds([("result", "app.flags.spool_root", "none", True)], None, results=results)
    assert holds([("result", "app.flags.unknown", "none", True)], None, results=results)
    assert holds([("result", "app.flags.dump_root", "none", True)], None)
    # `return []` unless a flag is on: empty by default, but never None
    config = SettingsModule(
        bases={"app.config.Settings": ["pydantic_settings.BaseSettings"]},
        defaults={"app.config.Settings": {"debug": False}},
        instances={"app.config.settings": "app.config.Settings"},
    )
    settings = SettingsDefaults([config], _index("app.config"))
    assert not holds([("result", "app.flags.candidates", "truth", True)], settings, results=results)
    assert holds([("result", "app.flags.candidates", "none", True)], settings, results=results)
    # the values a function returns share only what every one of them is returned under
    assert result_conditions([(unset, debug), (debug, unset)]) == (unset, debug)
    assert result_conditions([(unset,), (debug,)]) == ()
    assert result_conditions([(unset, ("argument", "path", "truth", True))]) == (unset,)
    assert result_conditions([(unset,), ()]) == ()


def test_settings_defaults_follow_bases_and_import_names() -> None:
    config = SettingsModule(
        bases={
            "backend.app.config.Features": ["pydantic_settings.BaseSettings"],
            "backend.app.config.Settings": ["app.config.Features"],
            "backend.app.config.Plain": ["builtins.object"],
        },
        defaults={
            "backend.app.config.Features": {"bundle_assets": True, "debug": False, "browser": "chromium", "dir": ""},
            "backend.app.config.Settings": {"debug": True},
            "backend.app.config.Plain": {"debug": False},
        },
        instances={"backend.app.config.settings": "app.config.Settings", "backend.app.config.plain": "Plain"},
    )
    defaults = SettingsDefaults([config], _index("backend.app.config", "backend.app.main"))
    assert defaults.truth("app.config.settings", "bundle_assets") is True
    assert defaults.truth("app.config.settings", "debug") is True  # the subclass's own default wins
    assert defaults.truth("app.config.settings", "missing") is None
    assert defaults.truth("backend.app.config.plain", "debug") is None  # not settings
    assert defaults.truth("app.config.settings", "dir") is None  # configuration, not a flag
    assert defaults.value("app.config.settings", "browser") == (True, "chromium")
    assert holds([("setting-in", "app.config.settings", "browser", ("cdp",), True)], defaults) is False
    assert holds([("setting-in", "app.config.settings", "browser", ("cdp", "chromium"), True)], defaults) is True
    assert holds([("setting-in", "app.config.settings", "missing", ("cdp",), True)], defaults) is True

    bundled = ("setting", "app.config.settings", "bundle_assets", True)
    assert holds([bundled], defaults) is True
    assert holds([negated(bundled)], defaults) is False
    assert holds([("environment", "DUMP_DIR", False, True)], defaults) is False
    assert holds([("argument", "path", "truth", True)], defaults, {"path": "none"}) is False
    assert holds([("argument", "path", "truth", True)], defaults) is True


def test_names_read_from_the_environment_are_settings_of_their_module_or_class() -> None:
    flags = SettingsModule(
        environment={"app.flags.TRACE": False, "app.flags.MODE": "inline", "app.config.Config.QUEUE": "memory"},
        instances={"app.config.config": "app.config.Config"},
    )
    defaults = SettingsDefaults([flags], _index("app.flags", "app.config"))
    assert defaults.truth("app.flags", "TRACE") is False
    assert defaults.truth("app.flags", "MODE") is None  # configuration, not a flag
    assert defaults.value("app.config.config", "QUEUE") == (True, "memory")
    assert defaults.value("app.config.Config", "QUEUE") == (True, "memory")
    assert defaults.value("app.flags", "OTHER") == (False, None)
    assert holds([("setting", "app.flags", "TRACE", True)], defaults) is False
    assert holds([("setting", "app.flags", "TRACE", False)], defaults) is True
    assert holds([("setting-in", "app.config.config", "QUEUE", ("redis",), True)], defaults) is False
    assert holds([("setting-in", "app.flags", "MODE", ("inline",), True)], defaults) is True


@pytest.mark.parametrize(("code", "members"), [
    ('{"a": 1, "b": 2}', frozenset({"a", "b"})),
    ('{"a", "b"}', frozenset({"a", "b"})),
    ('("a",)', frozenset({"a"})),
    ('frozenset({"a"})', frozenset({"a"})),
    ("{}", frozenset()),
    ('{"a": 1, **more}', None),
    ('{"a": 1, key: 2}', None),
    ('["a", *more]', None),
])
def test_constant_collections_hold_their_literal_members(code: str, members: frozenset | None) -> None:
    assert literal_members(cst.parse_expression(code)) == members


def test_membership_in_a_constant_collection_decides_a_key_argument() -> None:
    constants = Constants([ModuleConstants({"app.prompts.PROMPTS": frozenset({"summary"})})], _index("app.prompts"))
    condition = ("argument-in", "key", "app.prompts.PROMPTS", False)  # the rest of `if key in PROMPTS: return`
    assert holds([condition], None, {"key": ("literal", "summary")}, constants) is False
    assert holds([condition], None, {"key": ("literal", "other")}, constants) is True
    assert holds([condition], None, {"key": None}, constants) is True
    assert holds([("argument-in", "key", "app.prompts.UNKNOWN", False)], None, {"key": ("literal", "x")}, constants)
