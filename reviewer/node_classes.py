"""libcst's node classes, made cheaper to test and to build for the per-file pass.

Both changes are to libcst's classes for the whole process, so they are applied where the reviewer
owns the process: the workers of the per-file pass (`reviewer.pool`). Neither changes an answer
or a tree; tests compare both with libcst as shipped.

- **isinstance.** Every node class derives from `abc.ABC`, so `isinstance(node, cst.Call)` that is
  not an exact match goes through `ABCMeta.__instancecheck__`, a Python-level call that looks for
  virtual subclasses registered with `ABC.register`. libcst registers none, and the rules ask
  millions of these questions (a wrong type is the usual answer): on an application of 84k lines
  they cost about 7% of the rules' walk. Each node class gets a metaclass that answers from
  the class's own bases, as `type` does; the abstract classes stay abstract, and classes derived
  later get the same metaclass.
- **Construction.** The parser builds every node through its frozen dataclass's `__init__`, which
  sets each field with `object.__setattr__(self, "name", value)`: a lookup of the field's slot by
  name for every field of every node. Each node class gets an `__init__` with the same parameters
  and defaults that sets each slot through its descriptor and then calls `__post_init__`, as the
  dataclass's does: about a fifth of the parse.
"""

from __future__ import annotations

import abc
import dataclasses
import sys
import types
from collections.abc import Callable, Iterator


class _NodeClass(abc.ABCMeta):
    """ABCMeta that answers instance and subclass checks from the class's bases alone."""

    __instancecheck__ = type.__instancecheck__
    __subclasscheck__ = type.__subclasscheck__


def plain_class_checks() -> None:
    """Give every libcst node class the metaclass above (once per process)."""
    for kind in _node_classes():
        if type(kind) is abc.ABCMeta:
            kind.__class__ = _NodeClass


def direct_initialisers() -> None:
    """Give every libcst node dataclass the `__init__` above (once per process)."""
    for kind in _node_classes():
        initialiser = _direct_initialiser(kind)
        if initialiser is not None:
            kind.__init__ = initialiser


def _node_classes() -> Iterator[type]:
    """libcst's node classes, each once; not the class objects `dataclass(slots=True)` replaced
    (they linger in `__subclasses__` but are no longer the module's)."""
    from libcst import CSTNode

    seen: set[type] = set()
    pending: list[type] = [CSTNode]
    while pending:
        kind = pending.pop()
        if kind in seen:
            continue
        seen.add(kind)
        pending.extend(kind.__subclasses__())
        if getattr(sys.modules.get(kind.__module__), kind.__name__, None) is kind:
            yield kind


def _direct_initialiser(kind: type) -> Callable[..., None] | None:
    """The dataclass's own `__init__` for `kind`, setting slots through their descriptors; None
    for a class that defines no `__init__` of its own or whose fields are not plain slots."""
    if not dataclasses.is_dataclass(kind) or "__init__" not in vars(kind):
        return None
    fields = dataclasses.fields(kind)
    if any(not field.init or field.kw_only for field in fields):
        return None
    names: dict[str, object] = {"_MISSING": dataclasses.MISSING}
    parameters: list[str] = []
    body: list[str] = []
    for position, field in enumerate(fields):
        slot = getattr(kind, field.name, None)
        if not isinstance(slot, types.MemberDescriptorType):
            return None
        names[f"_set{position}"] = slot.__set__
        if field.default is not dataclasses.MISSING:
            names[f"_default{position}"] = field.default
            parameters.append(f"{field.name}=_default{position}")
        elif field.default_factory is not dataclasses.MISSING:
            names[f"_factory{position}"] = field.default_factory
            parameters.append(f"{field.name}=_MISSING")
            body.append(f" if {field.name} is _MISSING: {field.name} = _factory{position}()")
        else:
            parameters.append(field.name)
        body.append(f" _set{position}(self, {field.name})")
    body.append(" self.__post_init__()")
    source = f"def __init__(self, {', '.join(parameters)}):\n" + "\n".join(body) + "\n"
    defined: dict[str, Callable[..., None]] = {}
    exec(source, names, defined)  # noqa: S102 - built from the dataclass's own field names
    initialiser = defined["__init__"]
    initialiser.__qualname__ = f"{kind.__qualname__}.__init__"
    return initialiser
