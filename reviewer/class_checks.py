"""`isinstance` against libcst's node classes at the cost of a plain class's.

Every libcst node class derives from `abc.ABC`, so `isinstance(node, cst.Call)` that is not an
exact match goes through `ABCMeta.__instancecheck__`, a Python-level call that looks for virtual
subclasses registered with `ABC.register`. libcst registers none, and the per-file pass asks
millions of these questions (a wrong type is the usual answer): on an application of 84k lines
they were about a tenth of the rules' walk. Here each node class gets a metaclass that answers
from the class's own bases, as `type` does; what it answers is what `ABCMeta` would, the abstract
classes stay abstract, and classes derived later get the same metaclass.

It changes libcst's classes for the whole process, so it is applied where the reviewer owns the
process: the workers of the per-file pass (`reviewer.pool`).
"""

from __future__ import annotations

import abc


class _NodeClass(abc.ABCMeta):
    """ABCMeta that answers instance and subclass checks from the class's bases alone."""

    __instancecheck__ = type.__instancecheck__
    __subclasscheck__ = type.__subclasscheck__


def plain_class_checks() -> None:
    """Give every libcst node class the metaclass above (once per process)."""
    from libcst import CSTNode

    pending: list[type] = [CSTNode]
    while pending:
        kind = pending.pop()
        if type(kind) is abc.ABCMeta:
            kind.__class__ = _NodeClass
        pending.extend(kind.__subclasses__())
