"""The one place that owns the database connection's life, and the one entry point for
units of work.

Every use case runs its repository calls as one synchronous unit in the connection's own
thread: `run` for writes (atomic, committed before it returns, so an answer is durable
before a member is told; units queued meanwhile share one COMMIT), `read` for a
consistent snapshot. One thread runs everything, in order, so no lock is needed.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self, TypeVar

import aiosqlite

from bot.storage.migrations import Migration, load_migrations
from bot.storage.tx import SQLiteTx, Tx

log = logging.getLogger(__name__)

# "ANAG": marks a file as Anagen's, so a foreign SQLite file is never migrated into.
APPLICATION_ID = 0x414E4147
BUSY_TIMEOUT_MS = 5_000

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
        result: T = await self._execute(lambda: work(self._conn))
        return result


def _connect(location: str, *, uri: bool = False) -> _Connection:
    def connector() -> sqlite3.Connection:
        return sqlite3.connect(location, uri=uri, isolation_level=None, check_same_thread=False)

    return _Connection(connector, 64)


class Database:
    def __init__(self, path: Path, connection: _Connection) -> None:
        self.path = path
        self._conn = connection
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
            connection = _connect(f"file:{path}?mode=ro", uri=True)
        else:
            connection = _connect(str(path))
        await connection  # opens it in its thread
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
        await self._conn.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _configure(self, *, readonly: bool) -> None:
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
        for migration in pending:
            log.info("Applying migration %04d_%s", migration.version, migration.name)
            script = (
                f"BEGIN IMMEDIATE;\n{migration.sql}\n"
                f"PRAGMA user_version = {migration.version};\nCOMMIT;"
            )
            await self._conn.run_in_thread(functools.partial(_apply_script, script=script))
        return len(pending)

    # -- queries ----------------------------------------------------------------------------

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

        return await self._conn.run_in_thread(snapshot)

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending, []
            transact = functools.partial(_transact, works=[work for work, _ in batch])
            try:
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

    async def _scalar(self, sql: str) -> Any:
        async with self._conn.execute(sql) as cursor:
            row = await cursor.fetchone()
        return None if row is None else row[0]

    # -- maintenance --------------------------------------------------------------------------

    async def integrity_problems(self) -> list[str]:
        """`PRAGMA quick_check` findings; empty when the file is sound."""
        rows = await self.read(lambda tx: [row[0] for row in tx.rows("PRAGMA quick_check")])
        return [] if rows == ["ok"] else rows

    async def backup_to(self, destination: Path) -> None:
        """Copy with SQLite's online backup API: consistent even while others write."""
        target = sqlite3.connect(destination)
        try:
            await self._conn.backup(target)
        finally:
            target.close()


def _apply_script(conn: sqlite3.Connection, script: str) -> None:
    """A migration: its statements and the version bump commit together or not at all."""
    try:
        conn.executescript(script)
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


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
