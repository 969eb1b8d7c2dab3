"""Trust: how far a value can be believed, and where an untrusted one comes from.

Every value the flow analysis follows has a trust level: trusted (constants, configuration,
values checked against an allow-list or constrained by their type), unknown (anything the
analysis cannot see into: an attribute of `self`, the result of an application function, rows
read back from the application's own database) or untrusted, with its origin: user-controlled
(route parameters and request data), caller-supplied (parameters of a helper), externally sourced
(HTTP responses, `input()`, `sys.argv`). Unknown is never reported: rules report what they can show.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass


class Level(enum.IntEnum):
    TRUSTED = 0
    UNKNOWN = 1
    UNTRUSTED = 2


USER = "user-controlled"


CALLER = "caller-supplied"


EXTERNAL = "externally sourced"


@dataclass(frozen=True)
class Trust:
    level: Level
    origin: str = ""

    def __or__(self, other: Trust) -> Trust:
        return self if self.level >= other.level else other

    @property
    def untrusted(self) -> bool:
        return self.level is Level.UNTRUSTED


TRUSTED = Trust(Level.TRUSTED)


UNKNOWN = Trust(Level.UNKNOWN)


def worst(trusts: Iterable[Trust]) -> Trust:
    result = TRUSTED
    for trust in trusts:
        result = result | trust
    return result
