"""`anagen db backup` and `anagen db copy`: a consistent SQLite snapshot while the bot runs,
and every table copied between SQLite and PostgreSQL."""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from bot.cli.database import absolute, database_or_exit
from bot.cli.output import EXIT_FAILURE, EXIT_OK, error
from bot.storage import Database, SQLiteLocation, StorageError


def _sidecars(path: Path) -> list[Path]:
    """The files SQLite keeps beside a database: its WAL, shared memory and rollback
    journal."""
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


async def _backup(source: Path, destination: Path) -> None:
    """The copy is one self-contained file (rollback journal mode), owner-only (0600) like
    the database; nothing is left beside it, whether it succeeds or fails."""
    partial = destination.with_name(destination.name + ".partial")
    for stale in (partial, *_sidecars(partial)):  # SQLite would replay a stale WAL into it
        stale.unlink(missing_ok=True)
    try:
        async with await Database.open(source, readonly=True, migrate=False) as db:
            await db.backup_to(partial)
        async with await Database.open(partial, readonly=True, migrate=False) as copy:
            if problems := await copy.integrity_problems():
                raise StorageError(f"the copy failed its integrity check: {problems[0]}")
        for leftover in _sidecars(partial):  # a read-only open may leave an empty -shm behind
            leftover.unlink(missing_ok=True)
        # The files beside a database being overwritten (--force) are its own: SQLite would
        # apply them to the copy.
        for stale in _sidecars(destination):
            stale.unlink(missing_ok=True)
        os.replace(partial, destination)
    except BaseException:
        for leftover in (partial, *_sidecars(partial)):
            leftover.unlink(missing_ok=True)
        raise


def _backup_target(path: Path) -> Path:
    """An existing folder gets a dated file, as backup scripts want (one a day)."""
    if path.is_dir():
        return path / f"anagen-{datetime.now(UTC).astimezone().date().isoformat()}.db"
    return path


def command_backup(args: argparse.Namespace) -> int:
    settings = database_or_exit(args)
    if isinstance(settings, int):
        return settings
    source = settings.database
    if not isinstance(source, SQLiteLocation):
        error(
            f"{source} is PostgreSQL: back it up with pg_dump, or copy it into an SQLite file "
            "with `anagen db copy`."
        )
        return EXIT_FAILURE
    destination = _backup_target(args.path)
    if not destination.parent.is_dir():
        error(
            f"the folder {absolute(destination.parent)} does not exist; create it or choose "
            "another path. Nothing was written."
        )
        return EXIT_FAILURE
    if destination.exists() and not args.force:
        error(f"{destination} already exists; choose another path or pass --force.")
        return EXIT_FAILURE
    if destination.resolve() == source.path.resolve():
        error("the backup path is the database itself; choose another path.")
        return EXIT_FAILURE
    try:
        asyncio.run(_backup(source.path, destination))
    except (StorageError, OSError, sqlite3.Error) as exc:
        error(f"backup failed: {exc}. Nothing was written to {destination}.")
        return EXIT_FAILURE
    print(f"Backed up {absolute(source.path)} to {destination}.")
    return EXIT_OK


def command_db_copy(args: argparse.Namespace) -> int:
    from bot.storage.copy import copy_database

    errors: tuple[type[Exception], ...] = (StorageError, sqlite3.Error, OSError)
    try:
        import psycopg

        errors = (*errors, psycopg.Error)
    except ImportError:  # SQLite to SQLite; a PostgreSQL side says how to install psycopg
        pass
    try:
        report = asyncio.run(copy_database(args.source, args.target))
    except errors as exc:
        lines = str(exc).strip().splitlines()
        error(f"error: copy failed: {lines[0] if lines else type(exc).__name__}")
        return EXIT_FAILURE
    width = max(len(name) for name in (*report.counts, "total"))
    print(f"Copied {report.source} to {report.target} (one snapshot of the source):")
    print(f"  {'table':{width}}  {'rows':>9}")
    for name, count in report.counts.items():
        print(f"  {name:{width}}  {count:>9}")
    print(f"  {'total':{width}}  {report.total:>9}")
    print(
        f"Done: {report.total} rows in {len(report.counts)} tables; every table's row count "
        "in the target matches the source's snapshot."
    )
    return EXIT_OK
