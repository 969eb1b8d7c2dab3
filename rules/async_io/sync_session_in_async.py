"""A sync database session, engine or connection used in a coroutine."""

from __future__ import annotations

from reviewer.model import Severity
from reviewer.semantics.blocking import SESSION, Blocking
from rules.async_io._records import OPTIONS
from rules.async_io._scan import DirectBlockingRule


class SyncSessionInAsync(DirectBlockingRule):
    """A coroutine uses a sync SQLAlchemy/SQLModel `Session`, `Engine` or `Connection`.

    ## What it does
    Flags method calls that run SQL (`query`, `execute`, `scalars`, `get`, `exec`, `commit`,
    `flush`, `refresh`, ...) on a sync `Session`, `Engine.connect()`/`begin()` and
    `Connection.execute()` inside an `async def`, where the object is known to be sync:
    - by annotation: `db: Session`, `Annotated[Session, Depends(get_db)]`, or an alias such as
      `SessionDep` defined in any module of the repository;
    - by construction: `Session(engine)`, `SessionLocal()` where `SessionLocal = sessionmaker(...)`,
      `engine.connect()` where `engine = create_engine(...)`, also when the factory is imported;
    - by the dependency that provides it: `db = Depends(get_db)` where `get_db` is annotated or
      yields such a session, or is listed in the `session-dependencies` option.
    Each session is reported once per coroutine, at its first use.

    ## Why is this bad?
    Every statement a sync session runs waits on the database on the event loop's thread; under
    load, one slow query stalls every other request of the worker.

    ## Example
    ```python
    @router.get("/users/{user_id}")
    async def read_user(user_id: int, db: Session = Depends(get_db)):
        return db.get(User, user_id)
    ```

    ## Use instead
    ```python
    @router.get("/users/{user_id}")
    async def read_user(user_id: int, db: AsyncSession = Depends(get_async_db)):
        return await db.get(User, user_id)
    ```
    or make the route a plain `def`: FastAPI runs sync routes in a threadpool.

    ## Known problems
    A session reached through an untyped attribute (`request.state.db`) is not followed. A
    session whose methods are also awaited in the same coroutine is taken to be async.
    `sessionmaker(class_=AsyncSession)` is recognised; a custom session class is not.

    ## Options
    `session-dependencies`: dependency functions (qualified, or bare names) that provide a sync
    session, for dependencies whose type cannot be told from the code. `blocking-calls` and
    `blocking-clients`: see RVW401.
    """

    code = "RVW402"
    name = "sync-session-in-async"
    severity = Severity.ERROR
    options = OPTIONS

    @classmethod
    def wants(cls, blocking: Blocking, offloader: str | None) -> bool:
        return offloader is None and blocking.category == SESSION

    @classmethod
    def message(cls, blocking, facts, use) -> str:  # noqa: ANN001
        return (f"`{use.text or blocking.api}` runs SQL through a sync {blocking.object_type or 'Session'} on the "
                f"event loop in {facts.label} `{facts.name}`: use an AsyncSession, or make it a sync `def` "
                f"so FastAPI runs it in a threadpool")
