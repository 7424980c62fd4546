"""Copy one Anagen database into another: SQLite into PostgreSQL when a community outgrows
one process, and back (`anagen db copy SOURCE TARGET`).

The source is opened read-only and read in one snapshot (`Database.read`), so a bot writing
to it meanwhile cannot make the copy inconsistent; what it writes after the snapshot is not
copied. The target is created and migrated if needed, must hold no Anagen data, and gets
every row in one write unit (all or nothing), parents before children so foreign keys hold.
Each table's row count in the target is then compared with the snapshot's.

The whole snapshot is held in memory between the read and the write: fine for a
community's database (megabytes to a few hundred), not meant for more.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.storage.database import Database
from bot.storage.errors import StorageError
from bot.storage.location import DatabaseLocation, PostgresLocation, as_location
from bot.storage.tx import Tx

log = logging.getLogger(__name__)

# Every table of Anagen's data, parents before the tables whose foreign keys point at them.
# A new migration's table must be added here: tests/storage/test_db_copy.py compares this list with
# the tables the migrations create, and the order with their foreign keys.
TABLES: tuple[str, ...] = (
    "meta",
    "guild_settings",
    "guild_secrets",
    "treatment_suggestions",
    "responses",
    "answers",
    "answer_choices",
    "imported_replies",
    "checkin_enrolments",
    "checkin_reminders",
    "regimen_entries",
    "checkin_responses",
    "checkin_answers",
    "checkin_answer_choices",
    "releases",
    "release_parts",
    "release_changes",
    "member_languages",
)
# Kept by the storage layer itself, not copied: each database records its own version
# (SQLite keeps it in `PRAGMA user_version`, outside any table).
BOOKKEEPING = frozenset({"anagen_schema"})


@dataclass(frozen=True, slots=True)
class CopyReport:
    source: DatabaseLocation
    target: DatabaseLocation
    counts: dict[str, int] = field(default_factory=dict)  # rows per table, in copy order

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class _Table:
    name: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]


async def copy_database(
    source: DatabaseLocation | Path | str, target: DatabaseLocation | Path | str
) -> CopyReport:
    """Copy every Anagen table of `source` into the empty `target`; see the module's doc.

    Raises `StorageError` with a one-line reason when the copy is refused or fails; the
    target then holds no copied row."""
    source_at, target_at = as_location(source), as_location(target)
    if _same(source_at, target_at):
        raise StorageError(f"the source and the target are the same database ({source_at}).")
    async with await Database.open(source_at, readonly=True, migrate=False) as origin:
        await _require_latest(origin)
        async with await Database.open(target_at) as destination:
            columns = await destination.read(_columns_of_every_table)
            await destination.read(_require_empty)
            snapshot = await origin.read(lambda tx: _read_snapshot(tx, columns))
            await destination.run(lambda tx: _write(tx, snapshot))
            counts = await destination.read(_counts)
    report = CopyReport(source_at, target_at, {table.name: len(table.rows) for table in snapshot})
    for name, expected in report.counts.items():
        if counts[name] != expected:
            raise StorageError(
                f"after the copy, {target_at} has {counts[name]} rows in {name} but the "
                f"source's snapshot had {expected}; do not use the target."
            )
    log.info("Copied %d rows from %s to %s", report.total, source_at, target_at)
    return report


def _same(a: DatabaseLocation, b: DatabaseLocation) -> bool:
    if isinstance(a, PostgresLocation) or isinstance(b, PostgresLocation):
        return a == b
    return a.path.expanduser().resolve() == b.path.expanduser().resolve()


async def _require_latest(db: Database) -> None:
    version, latest = await db.schema_version(), len(db.known_migrations())
    if version > latest:
        raise StorageError(
            f"{db.location} has schema version {version} but this Anagen knows only {latest}: "
            "it was written by a newer Anagen; upgrade Anagen before copying it."
        )
    if version < latest:
        raise StorageError(
            f"{db.location} has schema version {version}, older than this Anagen's {latest}: "
            "start the bot (this version) on it once so it migrates, then copy it."
        )


# -- units of work (each runs in its database's thread) ------------------------------------


def _table_names(tx: Tx) -> set[str]:
    if tx.dialect.name == "postgresql":
        sql = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    return {str(name) for (name,) in tx.rows(sql)} - BOOKKEEPING


def _columns(tx: Tx, table: str) -> tuple[str, ...]:
    if tx.dialect.name == "postgresql":
        found = tx.rows(
            "SELECT column_name FROM information_schema.columns WHERE table_schema ="
            " current_schema() AND table_name = ? ORDER BY ordinal_position",
            (table,),
        )
        return tuple(str(name) for (name,) in found)
    return tuple(str(row[1]) for row in tx.rows(f'PRAGMA table_info("{table}")'))


def _require_known_tables(tx: Tx, where: str) -> None:
    """Every table must be one this copy knows, and every one it knows must be there."""
    found = _table_names(tx)
    if unknown := sorted(found - set(TABLES)):
        raise StorageError(
            f"{where} has a table this Anagen does not know ({unknown[0]}); copy it with the "
            "Anagen version that created it."
        )
    if missing := [table for table in TABLES if table not in found]:
        raise StorageError(f"{where} has no {missing[0]} table; is its schema complete?")


def _columns_of_every_table(tx: Tx) -> dict[str, tuple[str, ...]]:
    _require_known_tables(tx, "the target")
    return {table: _columns(tx, table) for table in TABLES}


def _require_empty(tx: Tx) -> None:
    for table in TABLES:
        if tx.value(f"SELECT 1 FROM {table} LIMIT 1") is not None:
            raise StorageError(
                f"the target already holds data (table {table} has rows); copy into a new, "
                "empty database."
            )


def _read_snapshot(tx: Tx, target_columns: dict[str, tuple[str, ...]]) -> list[_Table]:
    """Every table in the target's column order; one read transaction, so one moment."""
    _require_known_tables(tx, "the source")
    snapshot: list[_Table] = []
    for table in TABLES:
        columns = target_columns[table]
        mine = _columns(tx, table)
        if sorted(mine) != sorted(columns):
            raise StorageError(
                f"table {table} has columns ({', '.join(mine)}) in the source but "
                f"({', '.join(columns)}) in the target; both must be at the same schema version."
            )
        names = ", ".join(columns)
        rows = tx.rows(f"SELECT {names} FROM {table}")
        snapshot.append(_Table(table, columns, [_plain(row) for row in rows]))
    return snapshot


def _plain(row: Any) -> tuple[Any, ...]:
    # BLOB/BYTEA arrive as bytes from sqlite3, bytes or memoryview from psycopg.
    return tuple(bytes(value) if isinstance(value, memoryview) else value for value in row)


def _write(tx: Tx, snapshot: list[_Table]) -> None:
    """All rows in one unit: the target ends with all of them or none."""
    _require_empty(tx)  # again, inside the transaction that writes
    for table in snapshot:
        names = ", ".join(table.columns)
        marks = ", ".join("?" * len(table.columns))
        try:
            tx.run_many(f"INSERT INTO {table.name} ({names}) VALUES ({marks})", table.rows)
        except Exception as exc:
            raise StorageError(
                f"copying table {table.name} failed, nothing was copied: {_first_line(exc)}"
            ) from exc
    if tx.dialect.name == "postgresql":
        _move_identities_past_copied_ids(tx)


def _move_identities_past_copied_ids(tx: Tx) -> None:
    """Identity columns take their next value from a sequence that the copied rows (with
    their ids) did not advance: move each past the largest id, so new rows don't collide."""
    for table, column in tx.rows(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND is_identity = 'YES'"
        " ORDER BY table_name"
    ):
        if table not in TABLES:
            continue
        tx.value(
            f"SELECT setval(pg_get_serial_sequence(?, ?), coalesce(max({column}), 1),"
            f" max({column}) IS NOT NULL) FROM {table}",
            (table, column),
        )


def _counts(tx: Tx) -> dict[str, int]:
    return {table: int(tx.value(f"SELECT count(*) FROM {table}") or 0) for table in TABLES}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
