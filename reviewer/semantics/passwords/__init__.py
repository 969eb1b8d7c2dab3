"""Passwords: where a password-equivalent value comes from, and where it goes (a fast hash, a
PBKDF2 derivation, a column, a comparison).

Per file, `PasswordFacts` (collector.py) reads each module that can handle passwords and follows
every function body (flow.py), recording the sinks it meets with the values that reach them, the
calls that pass values on, and each class's fields and columns (records.py). Over the repository,
`PasswordModel` (model.py) joins them into chains of evidence from a request (through the FastAPI
model) or an account lookup to each sink, across modules.

A rule reads it by requiring it: `requires = (PasswordFacts,)`, then `repo.facts(PasswordFacts)`
in `check_repo` is the `PasswordModel`.
"""

from reviewer.semantics.passwords.collector import PasswordFacts
from reviewer.semantics.passwords.model import Located, PasswordModel
from reviewer.semantics.passwords.records import Sink, Source

__all__ = ["Located", "PasswordFacts", "PasswordModel", "Sink", "Source"]
