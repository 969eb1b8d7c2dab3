"""How endpoints list rows: which functions return every row of a query, and which take a page size.

Per file, `ListingFacts` (`collector`) reads each function's body for what a list endpoint's
answer is made of, as plain records (`FunctionListing`, `records`), read by `FunctionReader`
(`reader`):

- `whole_reads`: rows fetched whole (`.all()`, `scalars().all()`, SQLModel `exec(...).all()`,
  `list(session.scalars(...))`, `fetchall()`/`fetch_all()`/`fetch()` of a literal `SELECT`) from
  a query with no `.limit(...)`/`.slice(...)`/`LIMIT`, when the rows reach what the function
  returns (directly, through its variables, or through a loop that appends them);
- `returned_calls`: calls whose result reaches what the function returns, with the function's
  own parameters each call is handed (so a page size is followed into a repository helper);
- `limit_params`: parameters that reach a `.limit(...)`; `clamped`: parameters bounded in the
  body (`min(limit, MAX)`, `if limit > MAX: raise ...`); `bounded_params`: parameters declared
  with an upper bound (`Query(le=...)`, `Field(lt=...)`, `conint(le=...)`, `Literal[...]`);
- `paginates`: the function hands its query to a paginator (fastapi-pagination's `paginate`).

Over the repository, `ListingIndex` (`index`, `repo.facts(ListingFacts)`) follows an endpoint's
returned calls across modules and answers `unbounded_rows(endpoint)` and `unbounded_limit(endpoint)`;
`page_bound(index, endpoint)` is the rule-agnostic summary of both for reports.
"""

from reviewer.semantics.fastapi.listing.collector import ListingFacts
from reviewer.semantics.fastapi.listing.index import ListingIndex, Unbounded, page_bound
from reviewer.semantics.fastapi.listing.records import FACTS_KEY, FunctionListing, ReturnedCall, WholeRead

__all__ = [
    "FACTS_KEY",
    "FunctionListing",
    "ListingFacts",
    "ListingIndex",
    "ReturnedCall",
    "Unbounded",
    "WholeRead",
    "page_bound",
]
