"""The one place that owns the SQLite connection's life.

Writes go through `transaction()`, which serialises them on a lock and wraps
them in `BEGIN IMMEDIATE … COMMIT`, so an answer is durable before the caller
confirms it to a member. Reads share the same lock so they never observe a
half-finished transaction of another coroutine on this connection.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Self, TypeVar

import aiosqlite

from bot.storage.migrations import Migration, load_migrations
from bot.storage.tx import SQLiteTx, Tx

log = logging.getLogger(__name__)

# "ANAG": marks a file as Anagen's, so a foreign SQLite file is never migrated into.
APPLICATION_ID = 0x414E4147
BUSY_TIMEOUT_MS = 5_000

Params = Sequence[Any] | dict[str, Any]
T = TypeVar("T")


class StorageError(Exception):
    """The database cannot be used; the message says why and what to do, in one line."""


class _Connection(aiosqlite.Connection):
    """aiosqlite's connection, which also runs a whole unit of work in its thread.

    aiosqlite queues each call to its one worker thread; `run_in_thread` queues a function
    of the sqlite3 connection the same way (through aiosqlite's own queueing method), so a
    unit of many statements costs one hop, and units and aiosqlite's own calls are
    serialised by the same thread."""

    async def run_in_thread(self, work: Callable[[sqlite3.Connection], T]) -> T:
        return await self._execute(lambda: work(self._conn))  # type: ignore[no-any-return]


def _connect(location: str, *, uri: bool = False) -> _Connection:
    def connector() -> sqlite3.Connection:
        return sqlite3.connect(location, uri=uri, isolation_level=None, check_same_thread=False)

    return _Connection(connector, 64)


class Database:
    def __init__(self, path: Path, connection: _Connection) -> None:
        self.path = path
        self._conn = connection
        self._lock = asyncio.Lock()
        self._readonly = False
        # Units that arrive while others run are committed together (group commit): one
        # hop and one COMMIT for the batch, each unit isolated in its own SAVEPOINT.
        self._pending: list[tuple[Callable[[Tx], Any], asyncio.Future[Any]]] = []
        self._drainer: asyncio.Task[None] | None = None

    # -- life -------------------------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        path: Path,
        *,
        readonly: bool = False,
        migrate: bool = True,
        migrations: list[Migration] | None = None,
    ) -> Self:
        """Open (creating if needed), verify it is Anagen's, and apply pending migrations."""
        if readonly:
            if not path.exists():
                raise StorageError(f"{path} does not exist.")
            connection = await _connect(f"file:{path}?mode=ro", uri=True)
        else:
            connection = await _connect(str(path))
        db = cls(path, connection)
        db._readonly = readonly
        try:
            await db._configure(readonly=readonly)
            await db._verify_identity(readonly=readonly)
            if migrate and not readonly:
                await db.migrate(load_migrations() if migrations is None else migrations)
        except sqlite3.DatabaseError as exc:
            await db.close()
            raise StorageError(
                f"{path} is not a readable SQLite database ({exc}); restore it from a backup or "
                "point ANAGEN_DATABASE at another file. Anagen never overwrites it."
            ) from exc
        except BaseException:
            await db.close()
            raise
        return db

    async def close(self) -> None:
        if self._drainer is not None and not self._drainer.done():
            await self._drainer  # let queued units commit before the connection goes
        async with self._lock:
            await self._conn.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _configure(self, *, readonly: bool) -> None:
        self._conn.row_factory = sqlite3.Row
        await self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await self._conn.execute("PRAGMA foreign_keys = ON")
        if not readonly:
            await self._conn.execute("PRAGMA journal_mode = WAL")
            await self._conn.execute("PRAGMA synchronous = NORMAL")
        # Reading the schema is what exposes a corrupt or non-SQLite file.
        await self._conn.execute("SELECT count(*) FROM sqlite_master")

    async def _verify_identity(self, *, readonly: bool) -> None:
        app_id = await self._scalar("PRAGMA application_id")
        tables = await self._scalar("SELECT count(*) FROM sqlite_master")
        if app_id == APPLICATION_ID:
            return
        if app_id == 0 and tables == 0:
            if not readonly:
                await self._conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            return
        raise StorageError(
            f"{self.path} belongs to another application (SQLite application_id {app_id}, "
            f"{tables} schema objects); point ANAGEN_DATABASE at Anagen's own database file."
        )

    # -- migrations ---------------------------------------------------------------------------

    async def schema_version(self) -> int:
        return int(await self._scalar("PRAGMA user_version"))

    async def pending_migrations(
        self, migrations: list[Migration] | None = None
    ) -> list[Migration]:
        migrations = load_migrations() if migrations is None else migrations
        current = await self.schema_version()
        if current > len(migrations):
            raise StorageError(
                f"{self.path} has schema version {current} but this Anagen knows only "
                f"{len(migrations)}: it was written by a newer Anagen; upgrade before using it."
            )
        return migrations[current:]

    async def migrate(self, migrations: list[Migration]) -> int:
        """Apply pending migrations, each atomically with its `user_version` bump."""
        pending = await self.pending_migrations(migrations)
        async with self._lock:
            for migration in pending:
                log.info("Applying migration %04d_%s", migration.version, migration.name)
                script = (
                    f"BEGIN IMMEDIATE;\n{migration.sql}\n"
                    f"PRAGMA user_version = {migration.version};\nCOMMIT;"
                )
                try:
                    await self._conn.executescript(script)
                except BaseException:
                    if self._conn.in_transaction:
                        await self._conn.execute("ROLLBACK")
                    raise
        return len(pending)

    # -- queries ----------------------------------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """Run the body's statements as one atomic write, committed on exit."""
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    async def run(self, work: Callable[[Tx], T]) -> T:
        """Run `work` atomically in the database thread; returns once it is committed.

        For every write: `work` is plain synchronous code (repository calls and the pure
        rules around them), so a unit costs one thread hop, and units queued meanwhile
        share the next hop and COMMIT. If `work` raises, only its own writes are rolled
        back and the exception reaches the caller."""
        if self._readonly:
            raise StorageError(f"{self.path} is open read-only.")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append((work, future))
        if self._drainer is None or self._drainer.done():
            self._drainer = asyncio.create_task(self._drain())
        return await future

    async def read(self, work: Callable[[Tx], T]) -> T:
        """Run `work`'s queries in one read transaction (one consistent snapshot, one hop)."""

        def snapshot(conn: sqlite3.Connection) -> T:
            conn.execute("BEGIN")
            try:
                return work(SQLiteTx(conn))
            finally:
                conn.execute("COMMIT")

        async with self._lock:
            return await self._conn.run_in_thread(snapshot)

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            transact = functools.partial(_transact, works=[work for work, _ in batch])
            try:
                async with self._lock:
                    outcomes = await self._conn.run_in_thread(transact)
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

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[aiosqlite.Connection]:
        """The connection for several reads in a row, without another coroutine's writes between."""
        async with self._lock:
            yield self._conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        """One write statement in its own transaction; returns the affected row count."""
        async with self.transaction() as conn:
            cursor = await conn.execute(sql, params)
            return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Params = ()) -> sqlite3.Row | None:
        async with self._lock, self._conn.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def fetchall(self, sql: str, params: Params = ()) -> list[sqlite3.Row]:
        async with self._lock, self._conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def _scalar(self, sql: str) -> Any:
        async with self._conn.execute(sql) as cursor:
            row = await cursor.fetchone()
        return None if row is None else row[0]

    # -- maintenance --------------------------------------------------------------------------

    async def integrity_problems(self) -> list[str]:
        """`PRAGMA quick_check` findings; empty when the file is sound."""
        async with self._lock, self._conn.execute("PRAGMA quick_check") as cursor:
            rows = [row[0] for row in await cursor.fetchall()]
        return [] if rows == ["ok"] else rows

    async def backup_to(self, destination: Path) -> None:
        """Copy with SQLite's online backup API: consistent even while others write."""
        target = sqlite3.connect(destination)
        try:
            async with self._lock:
                await self._conn.backup(target)
        finally:
            target.close()


def _transact(
    conn: sqlite3.Connection, works: list[Callable[[Tx], Any]]
) -> list[tuple[bool, Any]]:
    """One transaction for a batch of units, each in its own savepoint."""
    tx = SQLiteTx(conn)
    outcomes: list[tuple[bool, Any]] = []
    conn.execute("BEGIN IMMEDIATE")
    try:
        for work in works:
            conn.execute("SAVEPOINT unit")
            try:
                value = work(tx)
            except Exception as exc:
                conn.execute("ROLLBACK TO unit")
                conn.execute("RELEASE unit")
                outcomes.append((False, exc))
            else:
                conn.execute("RELEASE unit")
                outcomes.append((True, value))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return outcomes
