"""The per-file side of the password analysis: `PasswordFacts` reads a module that can handle
passwords (a cheap text test first) once the walk has finished with it, and records its
`ModulePasswords` in the module summary: each class's fields and whether it is a table, and each
function's sinks and edges (`flow.PasswordFlow`)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, ClassVar

from reviewer import lazy_cst as cst
from reviewer.facts import Facts
from reviewer.semantics.fastapi import FastAPIFacts
from reviewer.semantics.names import NameResolver, decorator_name
from reviewer.semantics.passwords import knowledge as k
from reviewer.semantics.passwords.flow import Env, PasswordFlow, RequestObject, literal_int
from reviewer.semantics.passwords.records import FACTS_KEY, ClassRecord, FunctionRecord, ModulePasswords, Source
from reviewer.syntax import is_true, own_returns, string_value

if TYPE_CHECKING:
    from reviewer.facts import RepositoryView
    from reviewer.rule import FileContext
    from reviewer.semantics.passwords.model import PasswordModel

# A module that can take, hash or store a password names one of these words, in any case (looked
# for in the lower-cased source: a case-insensitive expression over every file cost more than the
# password analysis itself), or a PIN.
_RELEVANT_WORDS = ("passw", "passphrase", "passcode", "pwd", "hashlib", "hmac", "passlib", "pbkdf2", "secretstr",
                   "make_password", "crypto.hash", "cryptodome.hash")
_PIN = re.compile(r"\bpins?\b|_pin\b|\bpin_")
# ...and a function worth following names one of these (or a hashing API the module imported, or
# spreads a value into a call: `User(**payload.model_dump())`).
_WORTH_FOLLOWING = re.compile(
    r"(?i)passw|passphrase|passcode|pwd|^pins?$|_pins?$|^pin_|hashlib|hmac|passlib|pbkdf2|secretstr|make_password|"
    r"^model_validate$|^from_orm$|^parse_obj$"
)
_HASHING_MODULES = ("hashlib", "hmac", "passlib", "werkzeug.security", "django.contrib.auth.hashers", "Crypto.",
                    "Cryptodome.", "cryptography.hazmat.primitives")
_PASSWORD_LIBRARIES = ("bcrypt", "argon2", "passlib", "pwdlib", "fastapi_users", "werkzeug.security",
                       "django.contrib.auth.hashers", "nacl.pwhash")
_ANNOTATION_WRAPPERS = frozenset({"typing.Optional", "typing.Annotated", "typing_extensions.Annotated",
                                  "sqlalchemy.orm.Mapped", "typing.Union", "typing.ClassVar"})
_FIELD_PACKAGES = ("django.db.models.", "tortoise.fields.", "peewee.", "mongoengine.", "ormar.", "piccolo.columns.")


def _relevant(context: FileContext) -> bool:
    lowered = context.lowered_source
    return context.mentions(_RELEVANT_WORDS) or ("pin" in lowered and _PIN.search(lowered) is not None)


class PasswordFacts(Facts):
    """What one module does with passwords (`ModulePasswords`, in its summary), and, over the
    repository, the chains from a request to a hash, a store or a comparison (`PasswordModel`)."""

    requires: ClassVar[tuple[type[Facts], ...]] = (FastAPIFacts,)
    summary_key = FACTS_KEY

    def __init__(self, context: FileContext) -> None:
        super().__init__(context)
        self.module: ModulePasswords | None = None
        self.active = not context.is_test_file and _relevant(context)
        # During the walk: the functions that name a password or a hashing API (only those are
        # followed once the walk is over), and the functions being walked.
        self._worth: set[int] = set()
        self._functions: list[int] = []
        self._nested: dict[int, list[cst.FunctionDef]] = {}  # function -> the functions defined in it
        self._hashing_names = frozenset(
            local for local, target in context.summary.imports.aliases.items() if target.startswith(_HASHING_MODULES)
        ) if self.active else frozenset()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        if self._functions:
            self._nested.setdefault(self._functions[-1], []).append(node)
        self._functions.append(id(node))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._functions.pop()

    def visit_Name(self, node: cst.Name) -> None:
        if self._functions and (node.value in self._hashing_names or _worth_following(node.value)):
            self._worth.add(self._functions[-1])

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if self._functions and _worth_following(node.value.strip("\"'bBrRuU")):
            self._worth.add(self._functions[-1])

    def visit_Arg(self, node: cst.Arg) -> None:
        if self._functions and node.star == "**":
            self._worth.add(self._functions[-1])

    def leave_Module(self, original_node: cst.Module) -> None:
        self.module = ModuleCollector(self.context, self._worth, self._nested).collect()
        self.context.summary.extras[FACTS_KEY] = self.module

    @classmethod
    def repository(cls, repo: RepositoryView) -> PasswordModel:
        from reviewer.semantics.passwords.model import PasswordModel

        return PasswordModel(repo)


class ModuleCollector:
    """Reads one module's classes and functions into `ModulePasswords`."""

    def __init__(
        self, context: FileContext, worth_following: set[int], nested: dict[int, list[cst.FunctionDef]]
    ) -> None:
        self.context = context
        self.worth_following = worth_following
        self.nested = nested
        self.resolver = NameResolver(context.summary.imports)
        summary = context.summary
        self.module = ModulePasswords(module=summary.module, path=summary.path)
        self.module.uses_password_library = any(
            target.startswith(_PASSWORD_LIBRARIES) for target in summary.imports.aliases.values()
        )
        self.strong_hashers: set[str] = set()  # module-level names bound to CryptContext(...) and the like
        self.constants: dict[str, int] = {}

    def _qualname(self, scope: list[str], name: str) -> str:
        return ".".join(p for p in (self.module.module, *scope, name) if p)

    def collect(self) -> ModulePasswords:
        body = self.context.tree.body
        self._module_level(body)
        self._record_classes(body, [])
        self._follow_body(body, [], None, self.constants)
        return self.module

    # module level ------------------------------------------------------------------------------

    def _module_level(self, body: tuple[cst.BaseStatement, ...] | list[cst.BaseStatement]) -> None:
        declarative = set()
        for statement in body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if not isinstance(small, (cst.Assign, cst.AnnAssign)) or small.value is None:
                    continue
                targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
                names = [t.value for t in targets if isinstance(t, cst.Name)]
                number = literal_int(small.value, self.constants)
                if number is not None:
                    self.constants.update(dict.fromkeys(names, number))
                if not isinstance(small.value, cst.Call):
                    continue
                made = self.resolver.qualify(small.value.func)
                for name in names:
                    qualified = self._qualname([], name)
                    if made in k.DECLARATIVE_FACTORIES:
                        declarative.add(qualified)
                    elif made in k.STRONG_FACTORIES or (made or "").startswith(k.STRONG_PACKAGES):
                        self.strong_hashers.add(qualified)
                    elif made is not None and made.rsplit(".", 1)[-1][:1].isupper():
                        self.module.instances[qualified] = made
        self.module.declarative = frozenset(declarative)

    def annotated_class(self, node: cst.BaseExpression | None, resolver: NameResolver | None = None) -> str | None:
        """The class an annotation names: `User`, `User | None`, `Optional[User]`, `Mapped[str]`
        (`builtins.str`), `Annotated[Form, Depends()]`."""
        resolver = resolver or self.resolver
        kind = type(node)
        if kind is cst.Name or kind is cst.Attribute:
            return resolver.qualify(node)
        if node is None:
            return None
        if kind is cst.BinaryOperation and type(node.operator) is cst.BitOr:
            sides = [s for s in (node.left, node.right) if not (isinstance(s, cst.Name) and s.value == "None")]
            return self.annotated_class(sides[0], resolver) if len(sides) == 1 else None
        if kind is cst.Subscript:
            base = resolver.qualify(node.value)
            elements = [e.slice.value for e in node.slice if isinstance(e.slice, cst.Index)]
            if base in _ANNOTATION_WRAPPERS and elements:
                inner = [e for e in elements if not (isinstance(e, cst.Name) and e.value == "None")]
                if base == "typing.Union" and len(inner) != 1:
                    return None
                return self.annotated_class(inner[0], resolver)
            return None
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            text = string_value(node)
            if text and text.isidentifier():
                return self.annotated_class(cst.Name(text), resolver)
            return None
        if isinstance(node, (cst.Name, cst.Attribute)):
            return resolver.qualify(node)
        return None

    def union_members(self, node: cst.BaseExpression) -> tuple[str, ...]:
        """The classes of `A | B` (also in parentheses or `Union[A, B]`)."""
        if type(node) is cst.BinaryOperation and type(node.operator) is cst.BitOr:
            return (*self.union_members(node.left), *self.union_members(node.right))
        if type(node) is cst.Subscript and self.resolver.qualify(node.value) == "typing.Union":
            return tuple(m for e in node.slice if type(e.slice) is cst.Index for m in self.union_members(e.slice.value))
        annotated = self.annotated_class(node)
        return (annotated,) if annotated is not None and annotated != "builtins.None" else ()

    # classes -----------------------------------------------------------------------------------

    def _record_classes(self, body, scope: list[str]) -> None:  # noqa: ANN001 - statements of a module or class
        for statement in body:
            if isinstance(statement, cst.ClassDef):
                self._record_class(statement, scope)
            elif isinstance(statement, (cst.If, cst.Try)):
                inner = statement.body.body if isinstance(statement.body, cst.IndentedBlock) else ()
                self._record_classes(inner, scope)

    def _record_class(self, node: cst.ClassDef, scope: list[str]) -> None:
        qualname = self._qualname(scope, node.name.value)
        bases = []
        table = any(arg.keyword is not None and arg.keyword.value == "table" and is_true(arg.value)
                    for arg in node.keywords)  # SQLModel's `class User(SQLModel, table=True)`
        for base in node.bases:
            expression = base.value.value if isinstance(base.value, cst.Subscript) else base.value
            name = self.resolver.qualify(expression)
            if name:
                bases.append(name)
        record = ClassRecord(qualname=qualname, bases=tuple(bases), table=table)
        columns: set[str] = set()
        setters: set[str] = set()
        body = node.body.body if isinstance(node.body, cst.IndentedBlock) else ()
        for statement in body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    self._class_field(small, record, columns)
            elif isinstance(statement, cst.FunctionDef):
                if statement.name.value == "__init__":
                    record.custom_init = True
                    self._init_attributes(statement, record)
                setters.update(self._rewritten_fields(statement))
            elif isinstance(statement, cst.ClassDef):
                self._record_class(statement, [*scope, node.name.value])
        record.columns = frozenset(columns)
        record.setters = frozenset(setters)
        self.module.classes[qualname] = record

    def _class_field(self, small: cst.BaseSmallStatement, record: ClassRecord, columns: set[str]) -> None:
        if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
            name = small.target.value
            annotation = small.annotation.annotation
            record.fields[name] = self.annotated_class(annotation) or ""
            outer = annotation.value if isinstance(annotation, cst.Subscript) else annotation
            if self.resolver.qualify(outer) in k.MAPPED or self._is_column(small.value):
                columns.add(name)
            annotated = record.fields[name]
            if annotated and not annotated.startswith("builtins.") and annotated.rsplit(".", 1)[-1][:1].isupper():
                record.attributes[name] = annotated
        elif type(small) is cst.Assign and len(small.targets) == 1 and type(small.targets[0].target) is cst.Name:
            name = small.targets[0].target.value
            if name in ("__tablename__", "__table__", "__collection__"):
                record.table = True
            elif self._is_column(small.value):
                record.fields[name] = ""
                columns.add(name)

    def _is_column(self, value: cst.BaseExpression | None) -> bool:
        if not isinstance(value, cst.Call):
            return False
        made = self.resolver.qualify(value.func) or ""
        return made in k.COLUMN_CALLS or made.startswith(_FIELD_PACKAGES)

    def _init_attributes(self, init: cst.FunctionDef, record: ClassRecord) -> None:
        """`self.hasher = Sha256Hasher()` / `self.repo = repo` with `repo: UserRepo`."""
        params = [*init.params.posonly_params, *init.params.params, *init.params.kwonly_params]
        if not params:
            return
        receiver = params[0].name.value
        annotated = {p.name.value: self.annotated_class(p.annotation.annotation) for p in params[1:] if p.annotation}
        body = init.body.body if isinstance(init.body, cst.IndentedBlock) else ()
        for statement in body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if not isinstance(small, cst.Assign) or len(small.targets) != 1:
                    continue
                target = small.targets[0].target
                if not (isinstance(target, cst.Attribute) and isinstance(target.value, cst.Name)
                        and target.value.value == receiver):
                    continue
                made = None
                if isinstance(small.value, cst.Call):
                    made = self.resolver.qualify(small.value.func)
                elif isinstance(small.value, cst.Name):
                    made = annotated.get(small.value.value)
                if made and made.rsplit(".", 1)[-1][:1].isupper():
                    record.attributes[target.attr.value] = made

    def _rewritten_fields(self, function: cst.FunctionDef) -> set[str]:
        """Fields a method rewrites when they are set: `@validates("password")`, `@password.setter`,
        a Pydantic `@field_validator("password")` that returns something else than its value (one
        that only checks it, `return v`, leaves it as it came)."""
        found = set()
        for decorator in function.decorators:
            expression = decorator.decorator
            if isinstance(expression, cst.Attribute) and expression.attr.value == "setter":
                if isinstance(expression.value, cst.Name):
                    found.add(expression.value.value)
                continue
            if not isinstance(expression, cst.Call):
                continue
            validator = self.resolver.qualify(expression.func)
            position = k.FIELD_VALIDATORS.get(validator or "")
            if position is None or (validator != "sqlalchemy.orm.validates" and _returns_its_value(function, position)):
                continue
            found.update(v for arg in expression.args if (v := string_value(arg.value)))
        return found

    # functions ---------------------------------------------------------------------------------

    def _follow_body(  # noqa: ANN001 - statements of a module or class
        self, body, scope: list[str], owner: ClassRecord | None, constants: dict[str, int]
    ) -> None:
        """Follow the statements of a module or class body, then each function in it that names a
        password or a hashing API."""
        name = "<module>" if owner is None else "<class>"
        record = FunctionRecord(qualname=self._qualname(scope, name), name=name, params=(), owner=None)
        flow = PasswordFlow(self, record, function=None, receiver=None, owner_attributes={},
                            constants=constants)
        flow.run([s for s in body if not isinstance(s, (cst.FunctionDef, cst.ClassDef))], {})
        flow.finish()
        if record.sinks:
            self.module.functions[record.qualname] = record
        for statement in body:
            if isinstance(statement, cst.FunctionDef):
                self._follow_function(statement, scope, owner, constants)
            elif isinstance(statement, cst.ClassDef):
                inner = statement.body.body if isinstance(statement.body, cst.IndentedBlock) else ()
                cls = self.module.classes.get(self._qualname(scope, statement.name.value))
                self._follow_body(inner, [*scope, statement.name.value], cls,
                                  self._class_constants(statement.name.value, inner, constants))

    def _class_constants(self, name: str, body, outer: dict[str, int]) -> dict[str, int]:  # noqa: ANN001
        """The module's integer constants, and the class's own as `self.X`, `cls.X`, `Class.X`."""
        found = dict(outer)
        for statement in body:
            if type(statement) is not cst.SimpleStatementLine:
                continue
            for small in statement.body:
                target = small.target if type(small) is cst.AnnAssign else (
                    small.targets[0].target if type(small) is cst.Assign and len(small.targets) == 1 else None)
                value = literal_int(small.value, outer) if type(target) is cst.Name and small.value else None
                if value is not None:
                    found.update(dict.fromkeys((f"self.{target.value}", f"cls.{target.value}",
                                                f"{name}.{target.value}"), value))
        return found

    def _follow_function(
        self, function: cst.FunctionDef, scope: list[str], owner: ClassRecord | None, constants: dict[str, int]
    ) -> None:
        inner_scope = [*scope, function.name.value]
        for inner in self.nested.get(id(function), ()):
            self._follow_function(inner, inner_scope, None, constants)
        if id(function) not in self.worth_following:
            return
        params = [*function.params.posonly_params, *function.params.params, *function.params.kwonly_params]
        decorators = {decorator_name(d, self.resolver.qualify) for d in function.decorators}
        is_static = any(d and d.rsplit(".", 1)[-1] == "staticmethod" for d in decorators)
        receiver = params[0].name.value if owner is not None and params and not is_static else None
        plain = params[1:] if receiver is not None else params
        record = FunctionRecord(
            qualname=self._qualname(scope, function.name.value),
            name=function.name.value,
            params=tuple(p.name.value for p in plain),
            owner=owner.qualname if owner is not None else None,
            looks_up_users=k.signs_in(function.name.value),
        )
        env: Env = {}
        for param in plain:
            annotated = self.annotated_class(param.annotation.annotation) if param.annotation is not None else None
            if annotated is not None:
                record.annotations[param.name.value] = annotated
            elif param.annotation is not None:
                members = self.union_members(param.annotation.annotation)
                if members:
                    record.unions[param.name.value] = members
            if annotated in k.REQUEST_CLASSES:
                env[param.name.value] = frozenset({RequestObject(param.name.value)})
            else:
                env[param.name.value] = frozenset({Source(param.name.value)})
        if function.returns is not None:
            record.returns = self.annotated_class(function.returns.annotation)
        record.validates = self._validated_value(function, [p.name.value for p in plain])
        flow = PasswordFlow(self, record, function=function, receiver=receiver,
                            owner_attributes=owner.attributes if owner is not None else {},
                            constants=constants)
        flow.locals.update(record.params)
        flow.run_suite(function.body, env)
        flow.finish()
        if record.sinks or record.edges or record.keeps or record.validates or record.looks_up_users or record.consumes:
            self.module.functions[record.qualname] = record

    def _validated_value(self, function: cst.FunctionDef, params: list[str]) -> tuple[str, str] | None:
        """(parameter, field) for a validator of a password field, or a password property's setter."""
        for decorator in function.decorators:
            expression = decorator.decorator
            if isinstance(expression, cst.Attribute) and expression.attr.value == "setter":
                if isinstance(expression.value, cst.Name) and k.is_password_name(expression.value.value) and params:
                    return params[0], expression.value.value
                continue
            if not isinstance(expression, cst.Call):
                continue
            position = k.FIELD_VALIDATORS.get(self.resolver.qualify(expression.func) or "")
            if position is None or len(params) <= position:
                continue
            for arg in expression.args:
                field = string_value(arg.value)
                if field and k.is_password_name(field):
                    return params[position], field
        return None


@lru_cache(maxsize=8192)
def _worth_following(text: str) -> bool:
    return bool(_WORTH_FOLLOWING.search(text))


def _returns_its_value(function: cst.FunctionDef, position: int) -> bool:
    """A validator whose every `return` hands back the value it was given (it only checks it)."""
    params = [*function.params.posonly_params, *function.params.params]
    if len(params) <= position + 1:
        return False
    value = params[position + 1].name.value  # after `cls`
    returns = [small for small in own_returns(function) if small.value is not None]
    return bool(returns) and all(type(r.value) is cst.Name and r.value.value == value for r in returns)


