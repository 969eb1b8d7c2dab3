"""What the password-hashing rules share: they read the password model (`reviewer.semantics.passwords`)
in `check_repo`, and their item applies to a repository that handles passwords."""

from __future__ import annotations

from typing import ClassVar

from reviewer.facts import Facts
from reviewer.rule import RepoContext, Rule
from reviewer.semantics.passwords import Located, PasswordFacts, PasswordModel
from reviewer.semantics.passwords.records import ASSIGN, COMPARE, FAST_HASH, HMAC, PBKDF2, SPREAD, SQL_WRITE, STORE

# How many steps of a chain a message shows: its source and the last hops.
SHOWN_HOPS = 3
# Sinks a password reaches only through a chain of evidence.
CHAINED = (FAST_HASH, HMAC, PBKDF2, STORE, ASSIGN, SPREAD, SQL_WRITE, COMPARE)


class PasswordRule(Rule):
    """Base of the password-hashing rules: they judge the repository's password sinks."""

    always_applicable = False
    requires: ClassVar[tuple[type[Facts], ...]] = (PasswordFacts,)


def password_model(repo: RepoContext) -> PasswordModel:
    """The repository's password model; the item applies when the code hashes or takes passwords."""
    model: PasswordModel = repo.facts(PasswordFacts)
    if model.uses_password_library or any(
        model.sink_evidence(located.function, located.sink) for located in model.sinks(*CHAINED)
    ):
        repo.mark_applicable()
    return model


def describe(chain: tuple[str, ...]) -> str:
    """`request field `body.password` of `POST /users register` -> `hash_password(password)``."""
    if len(chain) <= SHOWN_HOPS + 1:
        return " -> ".join(chain)
    return " -> ".join((chain[0], "...", *chain[-SHOWN_HOPS:]))


def report(repo: RepoContext, located: Located, message: str) -> None:
    sink = located.sink
    repo.report(located.path, sink.span, message, statement_lines=sink.statement_lines)

