"""The SQLite store: migrations, identity, transactions and backups on real files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.storage import Database, StorageError
from bot.storage.meta import MetaRepository
from bot.storage.migrations import Migration, load_migrations
from bot.storage.tx import Tx


def test_bundled_migrations_are_numbered_without_gaps() -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))


async def test_fresh_database_is_configured_and_migrated(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "a.db") as db:
        assert await db.schema_version() == len(load_migrations())
        assert await db.read(lambda tx: tx.value("PRAGMA journal_mode")) == "wal"
        assert await db.read(lambda tx: tx.value("PRAGMA foreign_keys")) == 1
        assert await db.read(lambda tx: tx.value("PRAGMA synchronous")) == 1  # NORMAL
        assert await db.pending_migrations() == []


async def test_migrations_apply_in_order_once(tmp_path: Path) -> None:
    base = load_migrations()
    extra = [
        *base,
        Migration(len(base) + 1, "things", "CREATE TABLE things (id INTEGER PRIMARY KEY);"),
    ]
    path = tmp_path / "a.db"
    async with await Database.open(path, migrations=base) as db:
        assert await db.schema_version() == len(base)
    async with await Database.open(path, migrations=extra) as db:
        assert await db.schema_version() == len(extra)
        assert await db.migrate(extra) == 0  # nothing left to do


async def test_failed_migration_leaves_the_previous_version(tmp_path: Path) -> None:
    base = load_migrations()
    broken = [
        *base,
        Migration(len(base) + 1, "broken", "CREATE TABLE t (x);\nSELECT nonsense FROM nowhere;"),
    ]
    path = tmp_path / "a.db"
    async with await Database.open(path, migrations=base):
        pass
    with pytest.raises(StorageError):
        await Database.open(path, migrations=broken)
    async with await Database.open(path, migrations=base) as db:
        assert await db.schema_version() == len(base)
        found = await db.read(lambda tx: tx.row("SELECT name FROM sqlite_master WHERE name = 't'"))
        assert found is None


async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    async with await Database.open(path):
        pass
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 999")
    conn.close()
    with pytest.raises(StorageError, match="newer Anagen"):
        await Database.open(path)


async def test_corrupt_file_is_an_error_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    garbage = b"this is not a database" * 100
    path.write_bytes(garbage)
    with pytest.raises(StorageError, match="not a readable SQLite database"):
        await Database.open(path)
    assert path.read_bytes() == garbage


async def test_a_unit_rolls_back_on_error(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "a.db") as db:
        await db.run(lambda tx: MetaRepository(tx).remember("kept", "1"))

        def failing_write(tx: Tx) -> None:
            MetaRepository(tx).remember("lost", "2")
            raise RuntimeError("boom")

        with pytest.raises(RuntimeError):
            await db.run(failing_write)
        assert await db.read(lambda tx: MetaRepository(tx).value("kept")) == "1"
        assert await db.read(lambda tx: MetaRepository(tx).value("lost")) is None


async def test_backup_is_a_consistent_copy(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "a.db") as db:
        await db.run(
            lambda tx: tx.run_many(
                "INSERT INTO meta (key, value) VALUES (?, ?)",
                [(f"k{i}", str(i)) for i in range(100)],
            )
        )
        await db.backup_to(tmp_path / "copy.db")
    async with await Database.open(tmp_path / "copy.db", readonly=True) as copy:
        assert len(await copy.read(lambda tx: tx.rows("SELECT * FROM meta"))) == 100
        assert await copy.integrity_problems() == []


async def test_concurrent_units_commit_together_but_fail_alone(tmp_path: Path) -> None:
    import asyncio

    async with await Database.open(tmp_path / "a.db") as db:

        def write(key: str, fail: bool = False):  # type: ignore[no-untyped-def]
            def unit(tx: Tx) -> str:
                tx.run("INSERT INTO meta (key, value) VALUES (?, 'v')", (key,))
                if fail:
                    raise ValueError(key)
                return key

            return unit

        results = await asyncio.gather(
            *(db.run(write(f"k{i}", fail=i % 5 == 0)) for i in range(50)),
            return_exceptions=True,
        )
        failed = [r for r in results if isinstance(r, ValueError)]
        assert len(failed) == 10
        stored = {row[0] for row in await db.read(lambda tx: tx.rows("SELECT key FROM meta"))}
        assert stored == {f"k{i}" for i in range(50) if i % 5}
