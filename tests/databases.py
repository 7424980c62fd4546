"""Each test's own database, on either backend, and a backend-neutral way to look inside it.

A test that takes the `db_location` fixture (or `settings`, which uses it) runs twice: on a
fresh SQLite file and on a fresh PostgreSQL schema. Tests read what the bot stored with
`rows(location, sql)`, written in SQLite's placeholders as the repositories are.
"""

from __future__ import annotations

import contextlib
import secrets
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psycopg

from bot.storage.dialect import to_pyformat
from bot.storage.location import DatabaseLocation, PostgresLocation, SQLiteLocation

POSTGRES_ENV = "ANAGEN_TEST_POSTGRES"
# What a broken constraint raises, whichever backend the test runs on.
INTEGRITY_ERRORS = (sqlite3.IntegrityError, psycopg.IntegrityError)
# Tables Anagen keeps for itself rather than for members' data.
BOOKKEEPING = frozenset({"anagen_schema"})


def fresh_schema(server_url: str, prefix: str = "t") -> PostgresLocation:
    """A new, empty schema on the server, and a URL whose search_path points at it (tests and
    benchmarks give each database of theirs one)."""
    name = f"{prefix}_{secrets.token_hex(6)}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name}")
    separator = "&" if "?" in server_url else "?"
    return PostgresLocation(f"{server_url}{separator}options={quote(f'-csearch_path={name}')}")


def drop_schema(server_url: str, location: PostgresLocation) -> None:
    name = location.url.rsplit("search_path%3D", 1)[-1]
    with contextlib.suppress(psycopg.Error), psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def env_value(location: DatabaseLocation | Path) -> str:
    """What to put in ANAGEN_DATABASE for a bot process to use `location`."""
    if isinstance(location, Path):
        return str(location)
    return location.url if isinstance(location, PostgresLocation) else str(location.path)


@contextlib.contextmanager
def _connection(location: DatabaseLocation | Path) -> Iterator[Any]:
    if isinstance(location, PostgresLocation):
        with psycopg.connect(location.url, autocommit=True) as conn:
            yield conn
        return
    path = location if isinstance(location, Path) else location.path
    file = sqlite3.connect(path)
    try:
        yield file
    finally:
        file.close()


def rows(
    location: DatabaseLocation | Path, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()
) -> list[tuple[Any, ...]]:
    """Every row of a query, run outside the bot (its own connection, committed data only)."""
    with _connection(location) as conn:
        if isinstance(location, PostgresLocation):
            return [tuple(r) for r in conn.execute(to_pyformat(sql), params).fetchall()]
        return conn.execute(sql, params).fetchall()


def run(location: DatabaseLocation | Path, sql: str, params: tuple[Any, ...] = ()) -> int:
    """A statement run outside the bot, committed at once; returns the rows it changed."""
    with _connection(location) as conn:
        if isinstance(location, PostgresLocation):
            return int(conn.execute(to_pyformat(sql), params).rowcount)
        with conn:
            return int(conn.execute(sql, params).rowcount)


def table_names(location: DatabaseLocation | Path) -> list[str]:
    """Anagen's tables (not the database's own), sorted."""
    if isinstance(location, PostgresLocation):
        found = rows(
            location, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        )
    else:
        found = rows(
            location,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
    return sorted(name for (name,) in found if name not in BOOKKEEPING)


def location_of(location: DatabaseLocation | Path) -> DatabaseLocation:
    return SQLiteLocation(location) if isinstance(location, Path) else location


def sqlite_path(location: DatabaseLocation | Path) -> Path:
    """The SQLite file of `location`; skips the test on PostgreSQL (for what only a file has:
    its online backup, its lock, its bytes)."""
    import pytest

    if isinstance(location, PostgresLocation):
        pytest.skip("about the SQLite file itself")
    return location if isinstance(location, Path) else location.path


def columns(location: DatabaseLocation | Path, table: str) -> list[str]:
    """A table's column names, in order."""
    if isinstance(location, PostgresLocation):
        found = rows(
            location,
            "SELECT column_name FROM information_schema.columns WHERE table_schema ="
            " current_schema() AND table_name = ? ORDER BY ordinal_position",
            (table,),
        )
        return [name for (name,) in found]
    return [row[1] for row in rows(location, f'PRAGMA table_info("{table}")')]
