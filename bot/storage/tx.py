"""A unit of work's view of the database: the one way repositories run SQL.

Repositories are plain synchronous code over a `Tx`, run by `Database.run` (writes) and
`Database.read` (reads) as one unit in the database's own thread: one hand-off per use
case however many statements it takes, and the same repository code for every backend.
SQL is written once with `?` or `:name` placeholders and `RETURNING` for new ids; a
backend's `Tx` adapts it to its driver.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from bot.storage.dialect import SQLITE, SQLDialect

Params = Sequence[Any] | dict[str, Any]
Row = Sequence[Any]


class Tx(Protocol):
    dialect: SQLDialect

    def rows(self, sql: str, params: Params = ()) -> list[Row]:
        """Every row of a query."""
        ...

    def row(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query, or None."""
        ...

    def value(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None."""
        ...

    def run(self, sql: str, params: Params = ()) -> int:
        """A statement that changes rows; returns how many."""
        ...

    def run_many(self, sql: str, rows: Iterable[Params]) -> None:
        """The same statement for each of `rows`."""
        ...

    def script(self, sql: str) -> None:
        """Several statements separated by semicolons (migrations)."""
        ...

    def holder_alive(self, key: str) -> bool:
        """Whether another process that took `key` with `Database.hold` is still running
        (its claims are in flight, not abandoned)."""
        ...


class SQLiteTx:
    """`Tx` over a `sqlite3.Connection` (the connection's own thread only)."""

    __slots__ = ("conn",)
    dialect: SQLDialect = SQLITE

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def rows(self, sql: str, params: Params = ()) -> list[Row]:
        return self.conn.execute(sql, params).fetchall()

    def row(self, sql: str, params: Params = ()) -> Row | None:
        found: Row | None = self.conn.execute(sql, params).fetchone()
        return found

    def value(self, sql: str, params: Params = ()) -> Any:
        found = self.conn.execute(sql, params).fetchone()
        return None if found is None else found[0]

    def run(self, sql: str, params: Params = ()) -> int:
        return self.conn.execute(sql, params).rowcount

    def run_many(self, sql: str, rows: Iterable[Params]) -> None:
        self.conn.executemany(sql, rows)

    def script(self, sql: str) -> None:
        self.conn.executescript(sql)

    def holder_alive(self, key: str) -> bool:
        return False  # an SQLite database is served by one process: any other holder is gone


Outcome = tuple[bool, Any]  # (True, the unit's value) or (False, the exception it raised)


def in_savepoints(
    execute: Callable[[str], object],
    tx: Tx,
    works: Iterable[Callable[[Tx], Any]],
    *,
    connection_lost: Callable[[], bool] = lambda: False,
) -> list[Outcome]:
    """Run a batch of units inside the transaction the caller began (and will commit), each
    in its own savepoint: a unit that raises takes back only its own writes. If the
    connection itself was lost, nothing of the batch can be kept: that error propagates."""
    outcomes: list[Outcome] = []
    for work in works:
        execute("SAVEPOINT unit")
        try:
            value = work(tx)
        except Exception as exc:
            if connection_lost():
                raise
            execute("ROLLBACK TO SAVEPOINT unit")
            execute("RELEASE SAVEPOINT unit")
            outcomes.append((False, exc))
        else:
            execute("RELEASE SAVEPOINT unit")
            outcomes.append((True, value))
    return outcomes
