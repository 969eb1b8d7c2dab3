"""A signing or encryption key whose default is a placeholder the application really signs with."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.model import Related, Severity, Span
from reviewer.rule import RepoContext, Rule
from reviewer.semantics.defaults import Defaults, DefaultsFacts, Symbol
from reviewer.semantics.names import decorator_name
from reviewer.semantics.signing import SIGNING_SINKS, signing_key_argument
from reviewer.syntax import argument, keyword, string_value
from reviewer.traversal import push_children
from rules.secrets_not_hardcoded._formats import matches_token_format
from rules.secrets_not_hardcoded._policy import (
    is_label,
    is_placeholder,
    is_plain_words,
    looks_generated,
    secret_kind_of_name,
)
from rules.secrets_not_hardcoded._words import value_segments

ENUM_BASES = ("enum.", "strenum.")
FIELD_VALIDATORS = frozenset({
    "pydantic.field_validator", "pydantic.validator", "pydantic.functional_validators.field_validator",
    "pydantic.v1.validator",
})
MODEL_VALIDATORS = frozenset({
    "pydantic.model_validator", "pydantic.root_validator", "pydantic.functional_validators.model_validator",
    "pydantic.v1.root_validator",
})
ENVIRONMENT_READS = frozenset({"os.getenv", "os.environ.get", "os.environ.setdefault", "decouple.config"})
SECRET_WRAPPERS = frozenset({"pydantic.SecretStr", "pydantic.SecretBytes", "pydantic.types.SecretStr"})
# fastapi-users' user manager signs reset and verification tokens with these class attributes.
USER_MANAGERS = frozenset({"fastapi_users.BaseUserManager", "fastapi_users.manager.BaseUserManager"})
USER_MANAGER_KEYS = frozenset({"reset_password_token_secret", "verification_token_secret"})
# fastapi-jwt-auth (and its forks) read the key from the settings a `load_config` callback returns.
AUTHJWT_CONFIG = "AuthJWT.load_config"
AUTHJWT_KEY = "authjwt_secret_key"
# Secrets a person may choose (the secrets rules report words for these).
HUMAN_CHOSEN = ("password", "passphrase", "passcode", "credentials")
# The last names of signing calls (`encode` of `jwt.encode`), and the call that adds a middleware.
SIGNING_NAMES = frozenset({name.rsplit(".", 1)[-1] for name in SIGNING_SINKS} | {"add_middleware"})
# Words of a default that stands in for a key, and placeholders that announce themselves.
KEY_WORDS = frozenset({"key", "jwt", "hmac", "sign", "signing", "insecure"})
PLACEHOLDER_INFIXES = (
    "changeme", "change_me", "change-me", "changethis", "change_this", "change-this", "placeholder", "replaceme",
    "fillmein", "fill_me_in", "fill-me-in", "notasecret", "insecure",
)
MAX_KEY_LENGTH = 128
# Parts of names that may hold a key: only tests of such names are kept as refusals.
_NAME_WORDS = re.compile(r"secret|key|token|pass|pwd|cred|auth|jwt|sign|hmac|salt", re.IGNORECASE)
# A project template's field (`"{{ cookiecutter.secret_key }}"`), filled in before the code exists.
_RENDERED_TEMPLATE = re.compile(r"\{\{.*\}\}|\{%.*%\}")
# Classes whose name says they configure tests or development.
_NOT_PRODUCTION = re.compile(r"(?:^|[a-z_])(?:Test|Testing|Dev|Development|Local|Mock|Fake|Example)(?:[A-Z_]|$)")


@dataclass(frozen=True)
class Candidate:
    """A string literal a key may come from: a class field's default, a module-level environment
    read's fallback, a module constant."""

    place: tuple  # ("field", class, name) or ("binding", qualified name)
    name: str
    constant: bool  # a module constant written as the literal, not a default the environment may replace
    value: str
    span: Span
    statement_lines: tuple[int, int] | None


@dataclass(frozen=True)
class KeyUse:
    """A key argument of a signing call, or an argument of a call to a repository function."""

    symbol: Symbol
    what: str  # "JWT signing key of `jwt.encode`"
    guarded: bool
    span: Span | None  # where the key is passed (None for a call to a repository function)
    callee: str = ""  # for a call to a repository function: the function, and which argument
    slot: int | str = ""


@dataclass(frozen=True)
class Wrapper:
    """A repository function that passes one of its parameters to a signing call as the key."""

    function: str
    param: str
    position: int
    what: str
    guarded: bool


@dataclass
class FileRecord:
    """What one file contributes to the repository pass (plain, picklable)."""

    candidates: list[Candidate]
    uses: list[KeyUse]
    wrappers: list[Wrapper]
    # Field names a validator of a class refuses or reads: class -> names.
    validated: dict[str, set[str]]
    # Tests of a name or attribute against literals: (short name, how, values), how being "eq"
    # (`==`, `!=`, `in (...)`), "contains" (`"x" in name`), "starts"/"ends" (`name.startswith("x")`)
    # or "any" (compared with another name: `name == DEFAULT_SECRET`).
    comparisons: list[tuple[str, str, tuple]]
    # Length checks, `len(name) < n`: (short name, operator, n).
    lengths: list[tuple[str, str, int]]


@dataclass
class _Class:
    qualname: str
    fields_checked: bool  # fields are candidates (not an Enum)
    user_manager: bool


def reported_by_secret_rules(name: str, value: str) -> bool:
    """Whether RVW101/RVW102 report `value` bound to `name` (their placeholder policy), so that a
    settings default is reported once, as a hardcoded secret, not also here."""
    text = value.strip()
    if matches_token_format(text):
        return True
    kind = secret_kind_of_name(name)
    if kind is None or len(text) < 3 or is_placeholder(text) or is_label(text, name):
        return False
    return not (is_plain_words(text) and not any(word in kind for word in HUMAN_CHOSEN))


def could_be_key(name: str, value: str) -> bool:
    """Whether a default is worth following to a signing call: short, not a URL or path, and its
    name says it holds a secret, or its value is an obvious placeholder (`"changeme"`), speaks of a
    secret or key (`"super secret jwt secret"`, `"dev-signing-key"`) or looks generated. Other
    strings (`__tablename__ = "accounts"`, a description) are not followed, which keeps the walk of
    every model and schema class cheap."""
    text = value.strip()
    if len(text) > MAX_KEY_LENGTH or "://" in text or text.startswith("/"):
        return False
    lowered = text.lower()
    if any(word in lowered for word in PLACEHOLDER_INFIXES):
        return True
    if any("secret" in word or word in KEY_WORDS for word in value_segments(text)):
        return True
    return secret_kind_of_name(name) is not None or looks_generated(text)


def looks_made_up(value: str) -> bool:
    """A placeholder, a label or plain words: shown as is (anything else is masked)."""
    text = value.strip()
    return len(text) < 3 or is_placeholder(text) or is_label(text) or is_plain_words(text)


class InsecureDefaultSecret(Rule):
    """A signing or encryption key defaults to a placeholder that the application really uses.

    ## What it does
    Follows a chain across the repository: a settings field (of any class: Pydantic
    `BaseSettings`, a config class) or a module-level environment read has a string default
    (`SECRET_KEY: str = "changeme"`, `Field(default="PLACEHOLDER")`,
    `os.getenv("JWT_SECRET", "secret")`), or a module constant is one (`SECRET = "SECRET"`, as
    in fastapi-users' documentation); the value is used as a key, as a deployment that sets
    nothing gets it: passed to `jwt.encode`/`jwt.decode` (PyJWT, python-jose, authlib, joserfc),
    `hmac.new`, itsdangerous serializers, `Fernet`, Starlette's `SessionMiddleware`,
    fastapi-users' `JWTStrategy` or user manager secrets, directly or through a repository
    function that passes one of its parameters to one of these (`def create_token(data, secret):
    return jwt.encode(data, secret)`, called with `settings.SECRET_KEY`); and nothing refuses the
    default: no field or model validator of the class reads the field, and no comparison anywhere
    tests it against the default (`if settings.SECRET_KEY == "changeme": raise ...`) or its length. The finding is at
    the default.

    Defaults that the secrets rules already report as hardcoded secrets (RVW101, RVW102) are
    left to them: this rule reports the rest, the placeholders and words they deliberately skip
    (`"changeme"`, `"PLACEHOLDER"`, `"secret"`, `"super secret jwt secret"`).

    ## Why is this bad?
    A deployment that forgets one environment variable runs with a key everyone can read in the
    source: anyone can then mint session cookies, access tokens and password-reset links that the
    application accepts, or decrypt what it encrypted.

    ## Example
    ```python
    class Settings(BaseSettings):
        SECRET_KEY: str = "changeme"

    def create_access_token(subject: str) -> str:
        return jwt.encode({"sub": subject}, settings.SECRET_KEY, algorithm="HS256")
    ```

    ## Use instead
    ```python
    class Settings(BaseSettings):
        SECRET_KEY: SecretStr  # required: the application does not start without it
    ```
    or refuse the placeholder at start-up:
    ```python
        @field_validator("SECRET_KEY")
        @classmethod
        def _not_placeholder(cls, value: str) -> str:
            if value == "changeme":
                raise ValueError("set SECRET_KEY")
            return value
    ```

    ## Known problems
    A key used only under a condition on other configuration (`if settings.is_production():` ...
    `else: Fernet(settings.LOCAL_KEY)`) is not judged: the code chooses per deployment. Empty
    defaults (`""`, often "feature off") are not reported, nor are keys read into objects'
    attributes (`self.key = key`) or passed through more than one function, nor one passed to a
    function under a name that does not say it holds a key or secret. A default is followed
    only when its name says it holds a secret or its value is a placeholder, speaks of a secret or
    key (`"dev-signing-key"`) or looks generated; any validator that reads the field counts as
    refusing it.
    Classes named for tests or development (`TestSettings`, `DevConfig`) and test code are not
    checked.
    """

    code = "RVW505"
    name = "insecure-default-secret"
    checklist = "production-config"
    severity = Severity.ERROR
    requires: ClassVar[tuple[type[Facts], ...]] = (DefaultsFacts,)

    def __init__(self, context, options) -> None:  # noqa: ANN001
        super().__init__(context, options)
        self._record = FileRecord([], [], [], {}, [], [])
        if not context.is_test_file:
            context.summary.extras[self.code] = self._record
        self._classes: list[_Class] = []
        self._functions: list[str] = []
        package = context.module.split(".", 1)[0]
        self._own_packages = {package} if package else set()

    def leave_Module(self, original_node: cst.Module) -> None:
        record = self._record
        if not any((record.candidates, record.uses, record.wrappers, record.validated, record.comparisons,
                    record.lengths)):
            self.context.summary.extras.pop(self.code, None)  # most files: nothing to carry

    # --- where the walk is ---

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        bases = [self.qualify(base.value) or "" for base in node.bases if base.keyword is None]
        outer = self._classes[-1].qualname if self._classes else self.context.module
        qualname = f"{outer}.{node.name.value}" if outer else node.name.value
        self._classes.append(_Class(
            qualname=qualname,
            fields_checked=bool(bases) and not self._functions and not any(b.startswith(ENUM_BASES) for b in bases),
            user_manager=bool(set(bases) & USER_MANAGERS),
        ))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._functions.append(node.name.value)
        if self.context.is_test_file or not node.decorators:
            return
        if self._classes and len(self._functions) == 1:
            refused = self._refused_by_validator(node)
            if refused:
                self._record.validated.setdefault(self._classes[-1].qualname, set()).update(refused)
        elif any((decorator_name(d, self.qualify) or "").endswith(AUTHJWT_CONFIG) for d in node.decorators):
            self._authjwt_config(node)

    def _authjwt_config(self, node: cst.FunctionDef) -> None:
        """`@AuthJWT.load_config def get_config(): return Settings()`: fastapi-jwt-auth signs with
        the `authjwt_secret_key` of the settings the function returns."""
        facts = self.context.facts(DefaultsFacts)
        for current in _descendants(node.body):
            if isinstance(current, cst.Return) and current.value is not None:
                returned = facts.symbol(current.value)
                if returned is not None:
                    self._record.uses.append(KeyUse(
                        ("attr", returned, AUTHJWT_KEY), f"JWT signing key of fastapi-jwt-auth (`{AUTHJWT_KEY}`)",
                        False, self.context.span(node.name),
                    ))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._functions.pop()

    def _refused_by_validator(self, node: cst.FunctionDef) -> set[str]:
        """The fields a validator method refuses: those a field validator names, when it can raise;
        those a model validator reads (`self.SECRET_KEY`, `values["SECRET_KEY"]`)."""
        for decorator in node.decorators:
            call = decorator.decorator
            written = call.func if isinstance(call, cst.Call) else call
            last = written.attr.value if isinstance(written, cst.Attribute) else getattr(written, "value", "")
            if not isinstance(last, str) or "validator" not in last:
                continue
            name = decorator_name(decorator, self.qualify) or ""
            if name in FIELD_VALIDATORS and isinstance(call, cst.Call):
                if not _raises(node.body):
                    return set()
                return {value for arg in call.args if arg.keyword is None
                        and (value := string_value(arg.value)) is not None}
            if name in MODEL_VALIDATORS:
                return _mentioned(node.body)
        return set()

    # --- defaults ---

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None and isinstance(node.target, cst.Name):
            self._binding(node.target.value, node.value)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                self._binding(target.target.value, node.value)

    def _binding(self, name: str, value: cst.BaseExpression) -> None:
        if self.context.is_test_file or self._functions:
            return
        in_class = bool(self._classes)
        if in_class:
            cls = self._classes[-1]
            if cls.user_manager and name in USER_MANAGER_KEYS:
                self._use(value, "token secret of the fastapi-users user manager")
            if not cls.fields_checked:
                return
        literal = self._default_literal(value, in_class)
        if literal is None:
            return
        text = string_value(literal) or ""
        if not text.strip() or _RENDERED_TEMPLATE.search(text) or not could_be_key(name, text):
            return
        if reported_by_secret_rules(name, text):
            return
        statement = self.context.current_statement()
        place = ("field", self._classes[-1].qualname, name) if in_class else (
            "binding", f"{self.context.module}.{name}" if self.context.module else name)
        self._record.candidates.append(Candidate(
            place=place,
            name=name,
            constant=not in_class and literal is value,
            value=text,
            span=self.context.span(literal),
            statement_lines=self.context.statement_lines(statement) if statement is not None else None,
        ))

    def _default_literal(self, value: cst.BaseExpression, in_class: bool) -> cst.BaseExpression | None:
        """The string literal a default is: written as the value, inside `Field(...)` or
        `SecretStr(...)` (in a class), as the fallback of an environment read (`os.getenv`,
        decouple's `config`, a Starlette `Config` or environs `Env` of the module), or after `or`."""
        if isinstance(value, (cst.SimpleString, cst.ConcatenatedString)):
            return value
        if isinstance(value, cst.BooleanOperation) and isinstance(value.operator, cst.Or):
            right = value.right
            return right if isinstance(right, (cst.SimpleString, cst.ConcatenatedString)) else None
        if not isinstance(value, cst.Call):
            return None
        callee = self.qualify(value.func) or ""
        if in_class and (callee.rsplit(".", 1)[-1] == "Field" or callee in SECRET_WRAPPERS):
            inner = argument(value, 0, "default")
            return self._default_literal(inner.value, in_class) if inner is not None else None
        position = 1 if callee in ENVIRONMENT_READS else self._reader_default_position(value.func)
        if position is None:
            return None
        fallback = keyword(value, "default") or argument(value, position, "default")
        if fallback is not None and isinstance(fallback.value, (cst.SimpleString, cst.ConcatenatedString)):
            return fallback.value
        return None

    def _reader_default_position(self, func: cst.BaseExpression) -> int | None:
        """Where a module-level environment reader takes its fallback: `config("KEY", cast, default)`
        (Starlette's `Config`), `env.str("KEY", default)` (environs)."""
        readers = self.context.facts(DefaultsFacts).module.readers
        if isinstance(func, cst.Name) and readers.get(func.value) == "starlette":
            return 2
        if isinstance(func, cst.Name) and readers.get(func.value) == "decouple":
            return 1
        if isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.attr.value == "str":
            return 1 if readers.get(func.value.value) == "environs" else None
        return None

    # --- keys ---

    def visit_Call(self, node: cst.Call) -> None:
        if self.context.is_test_file:
            return
        self._string_test(node)
        found = signing_key_argument(node, self.qualify) if self._may_sign(node.func) else None
        if found is not None:
            callee, sink, arg = found
            if arg is not None:
                self._use(arg.value, f"{sink.kind} of `{callee}`")
            return
        self._call(node)

    def _use(self, value: cst.BaseExpression, what: str) -> None:
        """A key argument: a use of what it reads, or, when it is a parameter of the function, a
        wrapper that signs with what its callers pass."""
        facts = self.context.facts(DefaultsFacts)
        symbol = facts.symbol(value)
        if symbol is None or symbol[0] == "lit":
            return  # unknown, or a literal at the call (RVW103's)
        guarded = bool(facts.configuration_guards() - _configuration_read(facts, value))
        if symbol[0] == "param":
            if len(self._functions) == 1:
                outer = self._classes[-1].qualname if self._classes else self.context.module
                function = ".".join(p for p in (outer, self._functions[0]) if p)
                self._record.wrappers.append(Wrapper(function, symbol[1], symbol[2], what, guarded))
            return
        self._record.uses.append(KeyUse(symbol, what, guarded, self.context.span(value)))

    def _call(self, node: cst.Call) -> None:
        """A call to a repository function passing configuration whose name may hold a key
        (`encode(data, secret=settings.SECRET)`), kept in case the function signs with it."""
        if not any(isinstance(arg.value, (cst.Name, cst.Attribute)) for arg in node.args):
            return
        if not self._calls_own_function(node.func):
            return
        facts = self.context.facts(DefaultsFacts)
        passed = [(position, arg) for position, arg in enumerate(node.args)
                  if not arg.star and isinstance(arg.value, (cst.Name, cst.Attribute))
                  and _names_key(_last_name(arg.value)) and facts.may_be_configuration(arg.value)]
        if not passed:
            return
        callee = self.qualify(node.func)
        if callee is None:
            return
        for position, arg in passed:
            symbol = facts.symbol(arg.value)
            if symbol is None or symbol[0] not in ("name", "attr"):
                continue
            slot: int | str = arg.keyword.value if arg.keyword is not None else position
            guarded = bool(facts.configuration_guards() - _chain_read(facts, arg.value))
            self._record.uses.append(KeyUse(symbol, "", guarded, None, callee, slot))

    def _may_sign(self, func: cst.BaseExpression) -> bool:
        """Cheaply: whether a callee may be a signing call (its name, or what it was imported as,
        ends like one), before resolving it."""
        if isinstance(func, cst.Attribute):
            return func.attr.value in SIGNING_NAMES
        if isinstance(func, cst.Name):
            if func.value in SIGNING_NAMES:
                return True
            imported = self.context.resolver.table.aliases.get(func.value)
            return imported is not None and imported.rsplit(".", 1)[-1] in SIGNING_NAMES
        return False

    def _calls_own_function(self, func: cst.BaseExpression) -> bool:
        """Whether a callee is imported from this repository's package or defined in the module
        (`encode(...)`, `jwt_utils.encode(...)`), not a library's."""
        head = func
        while isinstance(head, cst.Attribute):
            head = head.value
        if not isinstance(head, cst.Name):
            return False
        table = self.context.resolver.table
        imported = table.aliases.get(head.value)
        if imported is not None:
            return imported.split(".", 1)[0] in self._own_packages
        return head.value in table.defined

    # --- refusals ---

    def visit_Comparison(self, node: cst.Comparison) -> None:
        if self.context.is_test_file or len(node.comparisons) != 1:
            return
        target = node.comparisons[0]
        left, right = node.left, target.comparator
        operator = type(target.operator).__name__
        if isinstance(left, cst.Call) and _is_len(left, self.qualify) and isinstance(right, cst.Integer):
            name = _compared_name(left.args[0].value)
            if name is not None and operator in ("LessThan", "LessThanEqual", "GreaterThan", "GreaterThanEqual"):
                self._record.lengths.append((name, operator, int(right.value.replace("_", ""), 0)))
            return
        if operator not in ("Equal", "NotEqual", "In", "NotIn"):
            return
        membership = operator in ("In", "NotIn")
        for named, other, how in ((left, right, "eq"), (right, left, "contains" if membership else "eq")):
            name = _compared_name(named)
            if name is None:
                continue
            values = _literals(other)
            if not values and isinstance(other, (cst.Name, cst.Attribute)) and how == "eq":
                if _names_key(name):
                    self._record.comparisons.append((name, "any", ()))
                continue
            if values and (_names_key(name) or any(is_placeholder(v) for v in values)):
                self._record.comparisons.append((name, how, values))

    def _string_test(self, node: cst.Call) -> None:
        """`settings.SECRET_KEY.startswith("change")`: a test of the value against a literal."""
        func = node.func
        if not isinstance(func, cst.Attribute) or func.attr.value not in ("startswith", "endswith") or not node.args:
            return
        name = _compared_name(func.value)
        values = _literals(node.args[0].value)
        if name is not None and values and _names_key(name):
            self._record.comparisons.append((name, "starts" if func.attr.value == "startswith" else "ends", values))

    # --- the repository ---

    @classmethod
    def check_repo(cls, repo: RepoContext) -> None:
        defaults: Defaults = repo.facts(DefaultsFacts)
        files = [(s, s.extras[cls.code]) for s in repo.summaries if isinstance(s.extras.get(cls.code), FileRecord)]
        candidates = {c.place: (summary.path, c) for summary, facts in files for c in facts.candidates}
        if not candidates:
            return
        wrappers: dict[str, list[Wrapper]] = {}
        for _, facts in files:
            for wrapper in facts.wrappers:
                wrappers.setdefault(wrapper.function, []).append(wrapper)
        refusals = _Refusals(files)
        first_use: dict[tuple, tuple[str, KeyUse, str]] = {}
        uses: dict[tuple, int] = {}
        for summary, facts in files:
            for use in facts.uses:
                how = cls._how(use, wrappers, repo)
                if how is None or use.guarded:
                    continue
                value, place = defaults.evaluate(use.symbol)
                if place is None or not isinstance(value, str):
                    continue
                key = place[:3] if place[0] == "field" else place
                if key not in candidates or (place[0] == "field" and _not_production(place)):
                    continue
                uses[key] = uses.get(key, 0) + 1
                known = first_use.get(key)
                if known is None or _rank(summary.path, use, how) < _rank(known[0], known[1], known[2]):
                    first_use[key] = (summary.path, use, how)
        for key, (path, use, how) in sorted(first_use.items(), key=lambda item: candidates[item[0]][0]):
            file, candidate = candidates[key]
            if refusals.refused(candidate, defaults):
                continue
            owner = f"`{key[1].rsplit('.', 1)[-1]}.{key[2]}`" if key[0] == "field" else f"`{candidate.name}`"
            shown = f'"{candidate.value}"' if looks_made_up(candidate.value) else "a hardcoded value"
            others = uses[key] - 1
            used_as = f"{how}, and in {others} other place{'s' if others > 1 else ''}" if others else how
            if candidate.constant:
                message = (
                    f"{owner} is {shown} and is used as the {used_as}: every deployment signs "
                    "with a key anyone can read here; read the key from settings or the environment, with no default"
                )
            else:
                message = (
                    f"{owner} defaults to {shown} and is used as the {used_as}: a deployment that does not set it "
                    "signs with a key anyone can read here, and nothing refuses it at start-up; make the setting "
                    "required (no default) or reject the default in a validator"
                )
            repo.report(
                file,
                candidate.span,
                message,
                statement_lines=candidate.statement_lines,
                secret="" if looks_made_up(candidate.value) else candidate.value,
                related=(Related(path, use.span, f"used as the {how}"),) if use.span is not None else (),
            )

    @staticmethod
    def _how(use: KeyUse, wrappers: dict[str, list[Wrapper]], repo: RepoContext) -> str | None:
        """What a use makes of the value: the key of a signing call, or an argument a repository
        function passes on as one; None for other arguments."""
        if not use.callee:
            return use.what
        function = repo.index.canonical(use.callee)
        for wrapper in wrappers.get(function, ()):
            if wrapper.guarded:
                continue
            if use.slot == wrapper.param or use.slot == wrapper.position:
                return f"{wrapper.what} (passed as `{wrapper.param}` to `{function}`, which signs with it)"
        return None


class _Refusals:
    """What refuses a default: validators, comparisons with it, length checks."""

    def __init__(self, files: list[tuple[Any, FileRecord]]) -> None:
        self.validated: dict[str, set[str]] = {}
        self.comparisons: dict[str, list[tuple[str, tuple]]] = {}
        self.lengths: dict[str, list[tuple[str, int]]] = {}
        for _, facts in files:
            for cls, names in facts.validated.items():
                self.validated.setdefault(cls, set()).update(names)
            for name, how, values in facts.comparisons:
                self.comparisons.setdefault(name, []).append((how, values))
            for name, operator, bound in facts.lengths:
                self.lengths.setdefault(name, []).append((operator, bound))

    def refused(self, candidate: Candidate, defaults: Defaults) -> bool:
        name, value = candidate.name, candidate.value
        if candidate.place[0] == "field" and self._validated(candidate.place[1], name, defaults):
            return True
        if any(_matches(value, how, values) for how, values in self.comparisons.get(name, ())):
            return True
        return any(_too_short(len(value), operator, bound) for operator, bound in self.lengths.get(name, ()))

    def _validated(self, cls: str, name: str, defaults: Defaults, depth: int = 0) -> bool:
        """A validator of the class or of a class it derives from reads the field; or a class that
        derives from it does (a production subclass validating the base's field)."""
        if name in self.validated.get(cls, ()):
            return True
        if depth < 8 and any(self._validated(base, name, defaults, depth + 1) for base in defaults.bases(cls)):
            return True
        return depth == 0 and any(
            name in names and defaults.derives_from(subclass, frozenset({cls}))
            for subclass, names in self.validated.items()
        )


def _rank(path: str, use: KeyUse, how: str) -> tuple:
    """Which use a finding names: a signing call itself before a call to a wrapper, signing tokens
    before other uses, then by place."""
    return (use.span is None, "JWT" not in how, path, use.span.line if use.span is not None else 0)


def _raises(node: cst.CSTNode) -> bool:
    return any(isinstance(current, cst.Raise) for current in _descendants(node))


def _mentioned(node: cst.CSTNode) -> set[str]:
    """Attribute names and identifier-like strings in a function body."""
    found: set[str] = set()
    for current in _descendants(node):
        if isinstance(current, cst.Attribute):
            found.add(current.attr.value)
        elif isinstance(current, cst.SimpleString):
            value = string_value(current)
            if value is not None and value.isidentifier():
                found.add(value)
    return found


def _descendants(node: cst.CSTNode):
    pending = [node]
    while pending:
        current = pending.pop()
        yield current
        push_children(current, pending)


def _last_name(node: cst.Name | cst.Attribute) -> str:
    return node.attr.value if isinstance(node, cst.Attribute) else node.value


def _names_key(name: str) -> bool:
    """Whether a tested name may hold a key (`SECRET_KEY`, `jwt_signing`): only such tests are kept
    as evidence of a refusal, which keeps summaries small."""
    return _NAME_WORDS.search(name) is not None


def _matches(value: str, how: str, values: tuple) -> bool:
    """Whether a test of the kind `how` against `values` singles out `value`."""
    if how == "any":
        return True
    if how == "eq":
        return value in values
    if how == "contains":
        return any(part in value for part in values)
    if how == "starts":
        return value.startswith(values)
    return value.endswith(values)


def _too_short(length: int, operator: str, bound: int) -> bool:
    """Whether `len(value) <operator> bound` marks `value` as too short (`len(key) < 32`) or long
    enough (`len(key) >= 32`) so that the check refuses it."""
    if operator == "LessThan":
        return length < bound
    if operator == "LessThanEqual":
        return length <= bound
    if operator == "GreaterThanEqual":
        return length < bound
    return length <= bound  # GreaterThan


def _not_production(place: tuple) -> bool:
    return any(_NOT_PRODUCTION.search(cls.rsplit(".", 1)[-1]) for cls in (place[1], place[3]))


def _compared_name(node: cst.BaseExpression) -> str | None:
    """The name or attribute a comparison tests (`settings.SECRET_KEY.strip()` -> `SECRET_KEY`)."""
    while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute) and not node.args:
        node = node.func.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Subscript) and len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        return string_value(node.slice[0].slice.value)  # `values["SECRET_KEY"]`
    return None


def _literals(node: cst.BaseExpression) -> tuple[str, ...]:
    value = string_value(node)
    if value is not None:
        return (value,)
    if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
        values = [string_value(element.value) for element in node.elements]
        return tuple(v for v in values if v is not None)
    return ()


def _is_len(call: cst.Call, qualify: Any) -> bool:
    return qualify(call.func) == "builtins.len" and len(call.args) == 1


def _chain_read(facts: DefaultsFacts, node: cst.Name | cst.Attribute) -> set[str]:
    """The configuration a name or attribute chain reads: itself and the objects it goes through."""
    found = set()
    while isinstance(node, (cst.Name, cst.Attribute)):
        name = facts.configuration_name(node)
        if name is not None:
            found.add(name)
        node = node.value if isinstance(node, cst.Attribute) else None
    return found


def _configuration_read(facts: DefaultsFacts, node: cst.CSTNode) -> set[str]:
    """The configuration a key argument reads: a test of the key itself is no condition on other
    configuration."""
    return {name for current in _descendants(node) if isinstance(current, (cst.Name, cst.Attribute))
            and (name := facts.configuration_name(current)) is not None}
