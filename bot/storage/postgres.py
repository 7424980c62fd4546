"""PostgreSQL, for a public instance: several bot processes over one database.

psycopg 3's synchronous connection runs in one thread of its own, so the repository units
written for SQLite run here unchanged: one hand-off per use case, units queued meanwhile
sharing a transaction (each in a savepoint) and its COMMIT. A connection lost between
units (PostgreSQL restarted) is replaced before the next one; a batch that failed before
its COMMIT was sent is run once more on the new connection, so nothing is half-applied
and nothing confirmed is lost.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Self, TypeVar

import psycopg
from psycopg.adapt import Dumper, Loader
from psycopg.postgres import types as pg_types

from bot.storage.dialect import POSTGRESQL, SQLDialect, to_pyformat
from bot.storage.errors import StorageError
from bot.storage.location import PostgresLocation
from bot.storage.migrations import Migration
from bot.storage.tx import Outcome, Params, Row, Tx, in_savepoints

log = logging.getLogger(__name__)

T = TypeVar("T")

# Advisory locks are taken in Anagen's own namespace ("ANAG", as SQLite's application_id).
LOCK_NAMESPACE = 0x414E4147
_SCHEMA_LOCK = 0  # held while the schema is created or migrated, so processes take turns
CONNECT_TIMEOUT_S = 10


class _NumericLoader(Loader):
    """`sum()` and `avg()` answer NUMERIC: read as int or float, as SQLite gives them,
    rather than Decimal."""

    def load(self, data: Any) -> int | float:
        text = bytes(data).decode()
        try:
            return int(text)
        except ValueError:
            return float(text)


class _BoolAsInt(Dumper):
    """Flags are 0/1 INTEGER columns in both dialects; Python's True binds as 1."""

    oid = pg_types["int2"].oid

    def dump(self, obj: Any) -> bytes:
        return b"1" if obj else b"0"


def lock_key(key: str) -> int:
    """A text key as the signed 32-bit number advisory locks take."""
    return int.from_bytes(hashlib.blake2b(key.encode(), digest_size=4).digest(), "big", signed=True)


class PostgresTx:
    """`Tx` over a psycopg connection (its thread only). Statements are rewritten to psycopg's
    placeholders once (cached); psycopg prepares the ones that repeat."""

    __slots__ = ("conn", "cursor")
    dialect: SQLDialect = POSTGRESQL

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn
        self.cursor = conn.cursor()

    def rows(self, sql: str, params: Params = ()) -> list[Row]:
        return self.cursor.execute(to_pyformat(sql), params).fetchall()

    def row(self, sql: str, params: Params = ()) -> Row | None:
        found: Row | None = self.cursor.execute(to_pyformat(sql), params).fetchone()
        return found

    def value(self, sql: str, params: Params = ()) -> Any:
        found = self.cursor.execute(to_pyformat(sql), params).fetchone()
        return None if found is None else found[0]

    def run(self, sql: str, params: Params = ()) -> int:
        return self.cursor.execute(to_pyformat(sql), params).rowcount

    def run_many(self, sql: str, rows: Iterable[Params]) -> None:
        batch = list(rows)
        if batch:
            self.cursor.executemany(to_pyformat(sql), batch)

    def script(self, sql: str) -> None:
        self.cursor.execute(sql)

    def holder_alive(self, key: str) -> bool:
        """Try the holder's session lock: free means its process (its connection) is gone.
        Never ask about a key this process holds itself (a session may re-take its own)."""
        got = self.cursor.execute(
            "SELECT pg_try_advisory_lock(%s, %s)", (LOCK_NAMESPACE, lock_key(key))
        ).fetchone()
        if got is not None and got[0]:
            self.cursor.execute(
                "SELECT pg_advisory_unlock(%s, %s)", (LOCK_NAMESPACE, lock_key(key))
            )
            return False
        return True


class PostgresBackend:
    dialect: SQLDialect = POSTGRESQL

    def __init__(self, location: PostgresLocation, *, readonly: bool) -> None:
        self.location = location
        self.readonly = readonly
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="anagen-pg")
        self._conn: psycopg.Connection[Any] | None = None
        self._held: set[str] = set()

    @classmethod
    async def open(cls, location: PostgresLocation, *, readonly: bool) -> Self:
        backend = cls(location, readonly=readonly)
        try:
            await backend._call(backend._verify_identity)
        except BaseException:
            await backend.close()
            raise
        return backend

    async def close(self) -> None:
        def close(_: object = None) -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        await asyncio.get_running_loop().run_in_executor(self._executor, close)
        self._executor.shutdown(wait=True)

    # -- the connection -----------------------------------------------------------------------

    async def _call(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: work(self._connection()))

    def _connection(self) -> psycopg.Connection[Any]:
        conn = self._conn
        if conn is not None and not conn.closed and not conn.broken:
            return conn
        if conn is not None:
            log.warning("The PostgreSQL connection was lost; reconnecting")
            conn.close()
        self._conn = conn = self._connect()
        return conn

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(
                self.location.url,
                autocommit=True,  # transactions are explicit: one per batch of units
                connect_timeout=CONNECT_TIMEOUT_S,
                application_name="anagen",
            )
        except psycopg.Error as exc:
            error = StorageError(
                f"cannot connect to PostgreSQL at {self.location}: "
                f"{self.location.scrub(_first_line(exc))}"
            )
            # The driver's words may hold a piece of the password (see `scrub`): a traceback
            # shows them only when they do not.
            if self.location.scrub(str(exc)) == str(exc):
                raise error from exc
            raise error from None
        conn.adapters.register_loader("numeric", _NumericLoader)
        conn.adapters.register_dumper(bool, _BoolAsInt)
        if self.readonly:
            conn.execute("SET default_transaction_read_only = on")
        for key in self._held:  # session locks died with the old connection
            conn.execute("SELECT pg_advisory_lock(%s, %s)", (LOCK_NAMESPACE, lock_key(key)))
        return conn

    # -- identity and schema ------------------------------------------------------------------

    def _verify_identity(self, conn: psycopg.Connection[Any]) -> None:
        """Anagen's schema is marked by its `anagen_schema` table. An empty schema becomes
        Anagen's; one holding other tables is refused, never migrated into."""
        with conn.transaction():
            if not self.readonly:
                conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_NAMESPACE, _SCHEMA_LOCK))
            found = conn.execute("SELECT current_schema()").fetchone()
            schema = found[0] if found else None
            if schema is None:
                raise StorageError(
                    f"{self.location}: its search_path names no existing schema; create the "
                    "schema or fix the URL's options."
                )
            tables = [
                row[0]
                for row in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                )
            ]
            if "anagen_schema" in tables:
                marker = conn.execute("SELECT application FROM anagen_schema").fetchone()
                if marker is not None and marker[0] == "anagen":
                    return
            elif not tables:
                if not self.readonly:
                    conn.execute(
                        "CREATE TABLE anagen_schema (application TEXT NOT NULL,"
                        " version INTEGER NOT NULL)"
                    )
                    conn.execute("INSERT INTO anagen_schema VALUES ('anagen', 0)")
                return
            raise StorageError(
                f"{self.location} belongs to another application (schema {schema} holds "
                f"{len(tables)} tables and no Anagen marker); point ANAGEN_DATABASE at an "
                "empty database or at Anagen's own."
            )

    async def schema_version(self) -> int:
        def version(conn: psycopg.Connection[Any]) -> int:
            if conn.execute("SELECT to_regclass('anagen_schema')").fetchone() == (None,):
                return 0  # an empty schema opened read-only
            found = conn.execute("SELECT version FROM anagen_schema").fetchone()
            return int(found[0]) if found else 0

        return await self._call(version)

    async def apply(self, migration: Migration) -> None:
        """Statements and version bump in one transaction (PostgreSQL's DDL is
        transactional), under the schema lock: processes starting together apply each
        migration once."""

        def apply(conn: psycopg.Connection[Any]) -> None:
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_NAMESPACE, _SCHEMA_LOCK))
                found = conn.execute("SELECT version FROM anagen_schema").fetchone()
                if found is not None and found[0] >= migration.version:
                    return  # another process applied it while this one waited
                conn.execute(migration.sql.encode())
                conn.execute("UPDATE anagen_schema SET version = %s", (migration.version,))

        await self._call(apply)

    # -- units of work ------------------------------------------------------------------------

    def try_now(self, work: Callable[[Tx], Any]) -> Outcome | None:
        """Never: a statement is a network round trip, always done in the thread."""
        return None

    async def transact(self, works: list[Callable[[Tx], Any]]) -> list[Outcome]:
        def transact(conn: psycopg.Connection[Any]) -> list[Outcome]:
            try:
                return _transact(conn, works)
            except psycopg.OperationalError as exc:
                if not conn.broken or getattr(exc, "_anagen_commit_sent", False):
                    raise
                # Lost before COMMIT was sent: nothing of the batch is stored; run it again
                # on a new connection rather than failing every member in it.
                return _transact(self._connection(), works)

        return await self._call(transact)

    async def snapshot(self, work: Callable[[Tx], T]) -> T:
        def snapshot(conn: psycopg.Connection[Any]) -> T:
            try:
                return _read(conn, work)
            except psycopg.OperationalError:
                if not conn.broken:
                    raise
                return _read(self._connection(), work)  # a read is always safe to repeat

        return await self._call(snapshot)

    async def hold(self, key: str) -> None:
        """Take `key` as a session lock for as long as this process is connected; other
        processes' `Tx.holder_alive(key)` then answers True."""

        def hold(conn: psycopg.Connection[Any]) -> None:
            conn.execute("SELECT pg_advisory_lock(%s, %s)", (LOCK_NAMESPACE, lock_key(key)))
            self._held.add(key)

        await self._call(hold)

    # -- maintenance --------------------------------------------------------------------------

    async def forget_erased(self) -> None:
        """Erased rows are dead tuples until (auto)vacuum reuses their space; the README says
        so. Nothing to do at once."""

    async def integrity_problems(self) -> list[str]:
        return []  # PostgreSQL checks its own pages; there is no quick_check to run


def _read(conn: psycopg.Connection[Any], work: Callable[[Tx], T]) -> T:
    conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    try:
        return work(PostgresTx(conn))
    finally:
        if not conn.broken:
            conn.execute("COMMIT")


def _transact(conn: psycopg.Connection[Any], works: list[Callable[[Tx], Any]]) -> list[Outcome]:
    """One transaction for a batch of units, each in its own savepoint."""
    conn.execute("BEGIN")
    try:
        outcomes = in_savepoints(
            conn.execute, PostgresTx(conn), works, connection_lost=lambda: conn.broken
        )
    except BaseException:
        if not conn.broken:
            conn.execute("ROLLBACK")
        raise
    try:
        conn.execute("COMMIT")
    except psycopg.OperationalError as exc:
        exc._anagen_commit_sent = True  # type: ignore[attr-defined]
        raise
    return outcomes


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
