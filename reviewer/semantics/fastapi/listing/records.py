"""What the listing analysis records of a function, kept in the file's summary."""

from __future__ import annotations

from dataclasses import dataclass, field

from reviewer.pickling import pickled_by_fields

FACTS_KEY = "listing"


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class WholeRead:
    """Rows fetched whole from a query with no bound, and returned."""

    text: str  # the call as written, shortened: `session.exec(statement).all()`
    query: str  # what it selects: `select(Item)`, `SELECT * FROM items`
    line: int
    by_key: bool  # filtered by a value the caller gives (`X.owner_id == owner_id`, `WHERE tag = :tag`)
    entity: str | None = None  # the mapped class selected, qualified through the imports


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ReturnedCall:
    callee: str | None  # qualified through the imports, when it can be
    text: str | None  # as written: `crud.get_items`, `self.repo.list`
    arguments: tuple[tuple[int | str, str], ...]  # (position or keyword, own parameter it passes)


@dataclass(slots=True)
class FunctionListing:
    qualname: str
    params: tuple[str, ...]  # receiver left out
    whole_reads: list[WholeRead] = field(default_factory=list)
    returned_calls: list[ReturnedCall] = field(default_factory=list)
    limit_params: tuple[str, ...] = ()
    clamped: tuple[str, ...] = ()
    bounded_params: tuple[str, ...] = ()
    paginates: bool = False
    # Mapped classes this function queries a page of (`.limit(size)`/`.offset(start)` from a value).
    paged_entities: tuple[str, ...] = ()
    limit_texts: dict[str, str] = field(default_factory=dict)  # parameter -> `.limit(limit)` as written
