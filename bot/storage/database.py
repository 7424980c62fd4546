"""The one place that owns the database connection's life, and the one entry point for
units of work, whichever database holds the data (SQLite or PostgreSQL).

Every use case runs its repository calls as one synchronous unit in the connection's own
thread: `run` for writes (atomic, committed before it returns, so an answer is durable
before a member is told; units queued meanwhile share one COMMIT), `read` for a
consistent snapshot. One thread runs everything, in order, so no lock is needed.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, Self, TypeVar

from bot.storage.dialect import SQLDialect
from bot.storage.errors import StorageError
from bot.storage.location import DatabaseLocation, PostgresLocation, as_location
from bot.storage.migrations import Migration, load_migrations
from bot.storage.tx import Tx

log = logging.getLogger(__name__)

T = TypeVar("T")
# Writes run at once on the caller's thread (no hand-off) yield to the event loop every so
# often, so a caller writing in a loop cannot starve other tasks (the WAL checkpoint too).
YIELD_EVERY = 16

__all__ = ["Database", "StorageError"]


class Backend(Protocol):
    """What a database brings: its connection's thread, its identity check and migrations."""

    dialect: SQLDialect

    async def close(self) -> None: ...
    def try_now(self, work: Callable[[Tx], Any]) -> tuple[bool, Any] | None: ...
    async def schema_version(self) -> int: ...
    async def apply(self, migration: Migration) -> None: ...
    async def transact(self, works: list[Callable[[Tx], Any]]) -> list[tuple[bool, Any]]: ...
    async def snapshot(self, work: Callable[[Tx], T]) -> T: ...
    async def hold(self, key: str) -> None: ...
    async def integrity_problems(self) -> list[str]: ...
    async def forget_erased(self) -> None: ...


class Database:
    def __init__(self, location: DatabaseLocation, backend: Backend) -> None:
        self.location = location
        self._backend = backend
        self._readonly = False
        # Units that arrive while others run are committed together (group commit): one
        # hop and one COMMIT for the batch, each unit isolated in its own SAVEPOINT.
        self._pending: list[tuple[Callable[[Tx], Any], asyncio.Future[Any]]] = []
        self._drainer: asyncio.Task[None] | None = None
        self._unyielding = 0  # writes done at once in a row, without giving others a turn

    # -- life -------------------------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        target: DatabaseLocation | Path | str,
        *,
        readonly: bool = False,
        migrate: bool = True,
        migrations: list[Migration] | None = None,
        exclusive: bool = False,
    ) -> Self:
        """Open (creating if needed), verify it is Anagen's, and apply pending migrations.

        `exclusive`: this process is the bot, and an SQLite file refuses a second one
        (PostgreSQL is made for several)."""
        location = as_location(target)
        backend: Backend
        if isinstance(location, PostgresLocation):
            try:
                from bot.storage.postgres import PostgresBackend  # psycopg only when used
            except ImportError as exc:
                raise StorageError(
                    "ANAGEN_DATABASE is a PostgreSQL URL, but psycopg is not installed: "
                    "install Anagen with its PostgreSQL extra, pip install 'anagen[postgresql]'"
                ) from exc

            backend = await PostgresBackend.open(location, readonly=readonly)
        else:
            from bot.storage.sqlite import SQLiteBackend

            backend = await SQLiteBackend.open(location, readonly=readonly, exclusive=exclusive)
        db = cls(location, backend)
        db._readonly = readonly
        try:
            if migrate and not readonly:
                await db.migrate(migrations)
        except BaseException:
            await db.close()
            raise
        return db

    async def close(self) -> None:
        if self._drainer is not None and not self._drainer.done():
            await self._drainer  # let queued units commit before the connection goes
        await self._backend.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def path(self) -> Path:
        """The SQLite file (for the tools that only make sense on one)."""
        location = self.location
        if isinstance(location, PostgresLocation):
            raise StorageError(f"{location} is a PostgreSQL database, not a file.")
        return location.path

    @property
    def dialect(self) -> SQLDialect:
        return self._backend.dialect

    # -- migrations ---------------------------------------------------------------------------

    async def schema_version(self) -> int:
        return await self._backend.schema_version()

    def known_migrations(self) -> list[Migration]:
        return load_migrations(self.dialect.name)

    async def pending_migrations(
        self, migrations: list[Migration] | None = None
    ) -> list[Migration]:
        migrations = self.known_migrations() if migrations is None else migrations
        current = await self.schema_version()
        if current > len(migrations):
            raise StorageError(
                f"{self.location} has schema version {current} but this Anagen knows only "
                f"{len(migrations)}: it was written by a newer Anagen; upgrade before using it."
            )
        return migrations[current:]

    async def migrate(self, migrations: list[Migration] | None = None) -> int:
        """Apply pending migrations, each atomically with its version bump."""
        pending = await self.pending_migrations(migrations)
        for migration in pending:
            log.info("Applying migration %04d_%s", migration.version, migration.name)
            await self._backend.apply(migration)
        return len(pending)

    # -- queries ----------------------------------------------------------------------------

    async def run(self, work: Callable[[Tx], T]) -> T:
        """Run `work` atomically in the database thread; returns once it is committed.

        For every write: `work` is plain synchronous code (repository calls and the pure
        rules around them), so a unit costs one thread hop, and units queued meanwhile
        share the next hop and COMMIT; when the database is idle a backend may run it at
        once on this thread instead (SQLite: `SQLiteBackend.try_now`). If `work` raises,
        only its own writes are rolled back and the exception reaches the caller."""
        if self._readonly:
            raise StorageError(f"{self.location} is open read-only.")
        work = _in_callers_context(work)
        if not self._pending:  # nothing queued ahead of it: maybe no hand-off is needed
            outcome = self._backend.try_now(work)
            if outcome is not None:
                # A loop of such writes never waits: let others run now and then.
                self._unyielding = (self._unyielding + 1) % YIELD_EVERY
                if not self._unyielding:
                    await asyncio.sleep(0)
                ok, value = outcome
                if ok:
                    return value
                raise value
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append((work, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())
        return await future

    async def read(self, work: Callable[[Tx], T]) -> T:
        """Run `work`'s queries in one read transaction (one consistent snapshot, one hop)."""
        return await self._backend.snapshot(_in_callers_context(work))

    async def hold(self, key: str) -> None:
        """Mark `key` as held by this process while it lives (see `Tx.holder_alive`)."""
        await self._backend.hold(key)

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            try:
                outcomes = await self._backend.transact([work for work, _ in batch])
            except BaseException as exc:  # the batch could not commit: every unit failed
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if isinstance(exc, asyncio.CancelledError):
                    raise
                continue
            for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                if future.done():  # the caller gave up waiting; the work is committed anyway
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)

    # -- maintenance --------------------------------------------------------------------------

    async def forget_erased(self) -> None:
        """After an erasure: what the database keeps on disk of deleted rows is let go
        (SQLite: the WAL is checkpointed and emptied)."""
        await self._backend.forget_erased()

    async def integrity_problems(self) -> list[str]:
        """SQLite's `PRAGMA quick_check` findings; empty when sound (PostgreSQL: always)."""
        return await self._backend.integrity_problems()

    async def backup_to(self, destination: Path) -> None:
        """A consistent copy of an SQLite file, even while others write: one self-contained
        file (no -wal or -shm beside it), readable by its owner only."""
        from bot.storage.sqlite import SQLiteBackend

        if not isinstance(self._backend, SQLiteBackend):
            raise StorageError(
                f"{self.location} is PostgreSQL: back it up with pg_dump, or copy it into an "
                "SQLite file with `anagen db copy`."
            )
        await self._backend.backup_to(destination)


def _in_callers_context(work: Callable[[Tx], T]) -> Callable[[Tx], T]:
    """`work` as it would run where it was handed over: the database thread sees the
    caller's context variables (the language of the member being answered, read by the
    rules a unit of work applies), not the thread's own."""
    context = contextvars.copy_context()
    return lambda tx: context.run(work, tx)
