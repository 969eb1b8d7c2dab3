"""What the flow analysis knows of a local name (`Value`), and how two branches' knowledge merges."""

from __future__ import annotations

from dataclasses import dataclass

from reviewer import lazy_cst as cst
from reviewer.semantics.flow.strings import BuiltString, dedupe
from reviewer.semantics.flow.trust import UNKNOWN, Trust


@dataclass(frozen=True)
class Value:
    """What the analysis knows of a local name."""

    trust: Trust = UNKNOWN
    strings: tuple[BuiltString, ...] | None = None  # the string's possible values, when built here
    elements: Trust | None = None  # for collections: the trust of what iterating yields
    attributes: Trust | None = None  # the trust of its attributes (`payload.sort`)
    constant_collection: bool = False  # an allow-list: membership or lookup makes a value trusted
    text_call: cst.Call | None = None  # a `text()` clause holding these strings
    receiver: str | None = None  # display name of a database object (`Session`)
    items: tuple[BuiltString, ...] | None = None  # a list of SQL pieces being accumulated
    model: cst.ClassDef | None = None  # a class of this module the value is an instance of
    # A row looked up by binding these names into a constant query: when it is found, each name
    # is a value the application's own table holds.
    found_by: frozenset[str] | None = None


def merge_values(a: Value, b: Value) -> Value:
    if a is b:
        return a
    strings = None
    if a.strings is not None and b.strings is not None:
        strings = dedupe(a.strings + b.strings)
    items = None
    if a.items is not None and b.items is not None:
        items = dedupe(a.items + b.items)
    elements = None if a.elements is None or b.elements is None else a.elements | b.elements
    attributes = None if a.attributes is None or b.attributes is None else a.attributes | b.attributes
    return Value(
        trust=a.trust | b.trust,
        strings=strings,
        elements=elements,
        attributes=attributes,
        constant_collection=a.constant_collection and b.constant_collection,
        text_call=a.text_call if a.text_call is b.text_call else None,
        receiver=a.receiver if a.receiver == b.receiver else None,
        items=items,
        found_by=a.found_by & b.found_by if a.found_by is not None and b.found_by is not None else None,
    )


Env = dict[str, Value]


def merge_envs(a: Env, b: Env) -> Env:
    merged: Env = {}
    for name in a.keys() | b.keys():
        if name in a and name in b:
            merged[name] = merge_values(a[name], b[name])
        else:
            merged[name] = a[name] if name in a else b[name]
    return merged
