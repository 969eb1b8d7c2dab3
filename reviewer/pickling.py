"""How the small records that summaries hold by the thousand are pickled.

A summary crosses from a worker to the parent and sits in the cache, and a warm run unpickles every
cached summary before a rule runs. `dataclasses` gives a frozen dataclass with slots a
`__setstate__` that looks the class's fields up again for each instance it rebuilds (about 10 µs
each; a warm run over 100k lines rebuilt 45,000 of them); its `__init__` takes a microsecond or two.
A dataclass with slots that is not frozen is pickled with its field names; as values alone, it
leaves them out of the cache.
"""

from __future__ import annotations

import dataclasses
import operator
from typing import Any, TypeVar

T = TypeVar("T")


def pickled_by_fields(cls: type[T]) -> type[T]:
    """Pickle the instances of a dataclass with slots as its field values in order, rebuilt
    by calling the class (every field must be an argument of `__init__`, and nothing may happen
    after it: no `__post_init__`). A class derived from it needs its own."""
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if any(not f.init for f in fields) or hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__qualname__}: rebuilt by __init__ alone only if it takes every field "
                        "and has no __post_init__")
    names = [f.name for f in fields]
    values = operator.attrgetter(*names)

    if len(names) == 1:
        def __reduce__(self: Any) -> tuple[type[T], tuple[Any, ...]]:
            return cls, (values(self),)
    else:
        def __reduce__(self: Any) -> tuple[type[T], tuple[Any, ...]]:
            return cls, values(self)

    cls.__reduce__ = __reduce__  # type: ignore[method-assign,assignment]
    return cls
