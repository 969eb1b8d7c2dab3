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
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reviewer import lazy_cst as cst


class Level(enum.IntEnum):
    TRUSTED = 0
    UNKNOWN = 1
    UNTRUSTED = 2


USER = "user-controlled"
CALLER = "caller-supplied"
EXTERNAL = "externally sourced"


@dataclass(frozen=True)
class Step:
    """One step of an untrusted value's way, for messages and fixes: where it came from (a
    parameter, a request read), a name it was assigned to, or the sink it reached."""

    what: str  # `route parameter `sort``, `assigned to `query``, `reaches `subprocess.run``
    node: cst.CSTNode  # where: the parameter, the call, the statement


@dataclass(frozen=True)
class Trust:
    level: Level
    origin: str = ""
    # The way an untrusted value came, first step first. It does not take part in comparisons:
    # two values of the same trust are the same to the analysis however they came.
    steps: tuple[Step, ...] = field(default=(), compare=False, repr=False)

    def __or__(self, other: Trust) -> Trust:
        return self if self.level >= other.level else other

    @property
    def untrusted(self) -> bool:
        return self.level is Level.UNTRUSTED

    def via(self, what: str, node: cst.CSTNode | None) -> Trust:
        """This trust, one step further (an untrusted value's steps only are kept)."""
        if not self.untrusted or node is None:
            return self
        return replace(self, steps=(*self.steps, Step(what, node)))


def untrusted(origin: str, what: str, node: cst.CSTNode) -> Trust:
    """An untrusted value's trust, at its source."""
    return Trust(Level.UNTRUSTED, origin, (Step(what, node),))


TRUSTED = Trust(Level.TRUSTED)
UNKNOWN = Trust(Level.UNKNOWN)


def worst(trusts: Iterable[Trust]) -> Trust:
    result = TRUSTED
    for trust in trusts:
        result = result | trust
    return result
