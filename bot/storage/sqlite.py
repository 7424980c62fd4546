"""SQLite, the embedded default: one file, one connection, one process.

The connection lives in aiosqlite's worker thread; a unit of work is queued to that thread
as one function, so a use case costs one hop however many statements it runs.

A write that finds the connection idle does not hop at all (`try_now`): it runs on the
caller's thread, where a survey answer's few statements take tens of microseconds and a
hand-off to the thread and back costs more than they do. What could stall the caller is
kept out of that path: a write lock held by another process makes the attempt give up at
once (busy timeout 0) and the unit goes to the thread, which waits for it; and the WAL is
never checkpointed on commit (that may fsync) but from the thread, every
`CHECKPOINT_EVERY` commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Self, TypeVar

import aiosqlite

from bot.storage.dialect import SQLITE, SQLDialect
from bot.storage.errors import StorageError
from bot.storage.location import SQLiteLocation
from bot.storage.migrations import Migration
from bot.storage.tx import Outcome, SQLiteTx, Tx, in_savepoints

log = logging.getLogger(__name__)

# "ANAG": marks a file as Anagen's, so a foreign SQLite file is never migrated into.
APPLICATION_ID = 0x414E4147
BUSY_TIMEOUT_MS = 5_000
# Commits between two checkpoints of the WAL into the database file (run in the thread).
# SQLite's own default is every 1,000 pages; an answer writes a few.
CHECKPOINT_EVERY = 300

T = TypeVar("T")


class _Connection(aiosqlite.Connection):
    """aiosqlite's connection, which also runs a whole unit of work in its thread.

    `run_in_thread` queues a function of the sqlite3 connection through aiosqlite's own
    queueing method, so units and aiosqlite's own calls are serialised by one thread."""

    async def run_in_thread(self, work: Callable[[sqlite3.Connection], T]) -> T:
        result: T = await self._execute(lambda: work(self._conn))
        return result


def _connect(location: str, *, uri: bool = False) -> _Connection:
    def connector() -> sqlite3.Connection:
        return sqlite3.connect(location, uri=uri, isolation_level=None, check_same_thread=False)

    return _Connection(connector, 64)


class SQLiteBackend:
    dialect: SQLDialect = SQLITE

    def __init__(self, location: SQLiteLocation, connection: _Connection) -> None:
        self.location = location
        self._conn = connection
        self._process_lock: IO[bytes] | None = None
        # Work handed to the connection's thread and not finished yet: while there is
        # any, the connection is not the caller's to use.
        self._in_thread = 0
        self._commits = 0
        self._checkpoint: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, location: SQLiteLocation, *, readonly: bool, exclusive: bool) -> Self:
        path = location.path
        if readonly:
            if not path.exists():
                raise StorageError(f"{path} does not exist.")
            connection = _connect(f"file:{path}?mode=ro", uri=True)
        else:
            _create_owner_only(path)
            connection = _connect(str(path))
        backend = cls(location, connection)
        try:
            if exclusive:
                backend._process_lock = _lock_for_one_process(path)
            await connection  # opens it in its thread
            await backend._configure(readonly=readonly)
            await backend._verify_identity(readonly=readonly)
            await connection.execute("PRAGMA busy_timeout = 0")  # see `_in_own_thread`
        except sqlite3.DatabaseError as exc:
            await backend.close()
            raise StorageError(
                f"{path} is not a readable SQLite database ({exc}); restore it from a backup or "
                "point ANAGEN_DATABASE at another file. Anagen never overwrites it."
            ) from exc
        except BaseException:
            await backend.close()
            raise
        return backend

    async def close(self) -> None:
        if self._checkpoint is not None:
            await self._checkpoint
        with contextlib.suppress(ValueError):  # never opened: aiosqlite has no thread to stop
            await self._conn.close()
        if self._process_lock is not None:
            self._process_lock.close()  # closing the file releases its lock
            self._process_lock = None

    async def _configure(self, *, readonly: bool) -> None:
        await self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await self._conn.execute("PRAGMA foreign_keys = ON")
        # Deleted rows are overwritten, not only unlinked: an erasure leaves no text in the
        # file (SQLite's upstream default is off; some builds turn it on).
        await self._conn.execute("PRAGMA secure_delete = ON")
        if not readonly:
            await self._conn.execute("PRAGMA journal_mode = WAL")
            await self._conn.execute("PRAGMA synchronous = NORMAL")
            await self._conn.execute("PRAGMA wal_autocheckpoint = 0")  # see `_committed`
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
            f"{self.location.path} belongs to another application (SQLite application_id "
            f"{app_id}, {tables} schema objects); point ANAGEN_DATABASE at Anagen's own "
            "database file."
        )

    async def _scalar(self, sql: str) -> Any:
        row = await self._in_own_thread(lambda conn: conn.execute(sql).fetchone())
        return None if row is None else row[0]

    # -- schema -------------------------------------------------------------------------------

    async def schema_version(self) -> int:
        return int(await self._scalar("PRAGMA user_version"))

    async def apply(self, migration: Migration) -> None:
        """The migration's statements and its `user_version` bump commit together or not at
        all."""
        script = (
            f"BEGIN IMMEDIATE;\n{migration.sql}\n"
            f"PRAGMA user_version = {migration.version};\nCOMMIT;"
        )

        def apply(conn: sqlite3.Connection) -> None:
            try:
                conn.executescript(script)
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

        await self._in_own_thread(apply)

    # -- units of work ------------------------------------------------------------------------

    async def _in_own_thread(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work` in the connection's thread, where waiting for another process's lock (up
        to the busy timeout) stalls nobody; on the caller's thread the timeout is 0."""

        def patiently(conn: sqlite3.Connection) -> T:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            try:
                return work(conn)
            finally:
                conn.execute("PRAGMA busy_timeout = 0")

        self._in_thread += 1
        try:
            return await self._conn.run_in_thread(patiently)
        finally:
            self._in_thread -= 1

    def try_now(self, work: Callable[[Tx], Any]) -> Outcome | None:
        """Run one write unit here and now if the connection is idle and the write lock is
        free; None when it must wait its turn in the thread instead."""
        conn = self._conn._conn
        if self._in_thread or conn is None:
            return None
        try:
            conn.execute("BEGIN IMMEDIATE")  # the connection's busy timeout is 0 here
        except sqlite3.OperationalError:  # another process is writing: the thread will wait
            return None
        try:
            value = work(SQLiteTx(conn))
        except Exception as exc:
            conn.execute("ROLLBACK")
            return (False, exc)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        self._committed(1)
        return (True, value)

    async def transact(self, works: list[Callable[[Tx], Any]]) -> list[Outcome]:
        outcomes = await self._in_own_thread(lambda conn: _transact(conn, works))
        self._committed(len(works))
        return outcomes

    async def snapshot(self, work: Callable[[Tx], T]) -> T:
        def snapshot(conn: sqlite3.Connection) -> T:
            conn.execute("BEGIN")
            try:
                return work(SQLiteTx(conn))
            finally:
                conn.execute("COMMIT")

        return await self._in_own_thread(snapshot)

    def _committed(self, units: int) -> None:
        """Checkpoint the WAL now and then, in the thread (a checkpoint may fsync)."""
        self._commits += units
        if self._commits < CHECKPOINT_EVERY or (
            self._checkpoint is not None and not self._checkpoint.done()
        ):
            return
        self._commits = 0

        async def checkpoint() -> None:
            try:
                await self._in_own_thread(
                    lambda conn: conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                )
            except sqlite3.Error:  # a reader in the way: the next one will catch up
                log.warning("WAL checkpoint failed; retrying later", exc_info=True)

        self._checkpoint = asyncio.get_running_loop().create_task(checkpoint())

    async def hold(self, key: str) -> None:
        """Nothing to do: an SQLite database has one process (see `exclusive`)."""

    # -- maintenance --------------------------------------------------------------------------

    async def forget_erased(self) -> None:
        """Copy the WAL into the file and empty it, so erased rows (overwritten there by
        secure_delete) do not live on in the WAL until the next checkpoint."""
        await self._conn.run_in_thread(
            lambda conn: conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        )

    async def integrity_problems(self) -> list[str]:
        rows = await self.snapshot(lambda tx: [row[0] for row in tx.rows("PRAGMA quick_check")])
        return [] if rows == ["ok"] else rows

    async def backup_to(self, destination: Path) -> None:
        """SQLite's online backup API: a consistent copy even while others write. The copy
        is owner-only (0600) and one self-contained file: in rollback-journal mode, so that
        opening it leaves no -wal or -shm beside it (the bot turns WAL on when it opens it)."""
        _create_owner_only(destination)
        target = sqlite3.connect(destination)
        try:
            self._in_thread += 1
            try:
                await self._conn.backup(target)
            finally:
                self._in_thread -= 1
            target.execute("PRAGMA journal_mode = DELETE")
        finally:
            target.close()


def _transact(conn: sqlite3.Connection, works: list[Callable[[Tx], Any]]) -> list[Outcome]:
    """One transaction for a batch of units, each in its own savepoint."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        outcomes = in_savepoints(conn.execute, SQLiteTx(conn), works)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return outcomes


def _create_owner_only(path: Path) -> None:
    """Create the database file, empty, readable and writable by its owner only (0600)
    whatever the umask, unless it exists: it holds members' health answers. SQLite gives the
    -wal and -shm files it creates beside a database the database file's mode, so they are
    owner-only too. An existing file keeps its mode (`anagen check` warns when others can
    read it)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError:  # no such folder, no permission: sqlite3 reports it, as it always did
        return
    try:
        if hasattr(os, "fchmod"):  # POSIX
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def _lock_for_one_process(path: Path) -> IO[bytes]:
    """Refuse a second bot process on the same file: SQLite is the one-process default,
    and two schedulers would each think the other's claims were abandoned."""
    lock_path = path.with_name(path.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)  # owner-only
    handle = open(fd, "a+b")  # noqa: SIM115 (held, and locked, while the process runs)
    try:
        import fcntl
    except ImportError:  # Windows: no advisory file locks; one process is the operator's job
        return handle
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise StorageError(
            f"another Anagen process is already running on {path}. SQLite serves one "
            "process; to run several (shards), use PostgreSQL: see 'Running at scale' in "
            "the README."
        ) from None
    return handle
