"""The store on both backends: migrations, identity, transactions; SQLite's files and backups."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.storage import Database, StorageError
from bot.storage.location import DatabaseLocation, PostgresLocation
from bot.storage.meta import MetaRepository
from bot.storage.migrations import DIALECTS, Migration, load_migrations
from bot.storage.tx import Tx
from tests.databases import run, table_names


def test_bundled_migrations_are_numbered_without_gaps() -> None:
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))


async def test_fresh_database_is_migrated(db_location: DatabaseLocation) -> None:
    async with await Database.open(db_location) as db:
        assert await db.schema_version() == len(load_migrations(db_location.dialect))
        assert await db.pending_migrations() == []


def test_both_dialects_have_the_same_migrations() -> None:
    """One schema design written twice: every step exists in both, under the same name."""
    names = {d: [(m.version, m.name) for m in load_migrations(d)] for d in DIALECTS}
    assert names["sqlite"] == names["postgresql"]


async def test_sqlite_is_configured_for_one_writer_and_durability(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "a.db") as db:
        assert await db.read(lambda tx: tx.value("PRAGMA journal_mode")) == "wal"
        assert await db.read(lambda tx: tx.value("PRAGMA foreign_keys")) == 1
        assert await db.read(lambda tx: tx.value("PRAGMA synchronous")) == 1  # NORMAL


async def test_migrations_apply_in_order_once(db_location: DatabaseLocation) -> None:
    base = load_migrations(db_location.dialect)
    extra = [
        *base,
        Migration(len(base) + 1, "things", "CREATE TABLE things (id INTEGER PRIMARY KEY);"),
    ]
    async with await Database.open(db_location, migrations=base) as db:
        assert await db.schema_version() == len(base)
    async with await Database.open(db_location, migrations=extra) as db:
        assert await db.schema_version() == len(extra)
        assert await db.migrate(extra) == 0  # nothing left to do


async def test_failed_migration_leaves_the_previous_version(db_location: DatabaseLocation) -> None:
    base = load_migrations(db_location.dialect)
    broken = [
        *base,
        Migration(
            len(base) + 1, "broken", "CREATE TABLE t (x INTEGER);\nSELECT nonsense FROM nowhere;"
        ),
    ]
    async with await Database.open(db_location, migrations=base):
        pass
    with pytest.raises(Exception, match="nowhere"):
        await Database.open(db_location, migrations=broken)
    async with await Database.open(db_location, migrations=base) as db:
        assert await db.schema_version() == len(base)
    assert "t" not in table_names(db_location)


async def test_newer_schema_is_refused(db_location: DatabaseLocation) -> None:
    async with await Database.open(db_location):
        pass
    if isinstance(db_location, PostgresLocation):
        run(db_location, "UPDATE anagen_schema SET version = 999")
    else:
        run(db_location, "PRAGMA user_version = 999")
    with pytest.raises(StorageError, match="newer Anagen"):
        await Database.open(db_location)


async def test_a_foreign_postgres_schema_is_refused_and_left_alone(
    db_location: DatabaseLocation,
) -> None:
    if not isinstance(db_location, PostgresLocation):
        pytest.skip("SQLite's foreign files are tested in test_cli.py")
    run(db_location, "CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    with pytest.raises(StorageError, match="belongs to another application"):
        await Database.open(db_location)
    assert table_names(db_location) == ["invoices"]


async def test_an_unreachable_postgres_is_one_readable_line(tmp_path: Path) -> None:
    nowhere = f"postgresql://anagen@/anagen?host={tmp_path}&port=1"
    with pytest.raises(StorageError, match="cannot connect to PostgreSQL") as raised:
        await Database.open(nowhere)
    assert "\n" not in str(raised.value)


async def test_corrupt_file_is_an_error_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "a.db"
    garbage = b"this is not a database" * 100
    path.write_bytes(garbage)
    with pytest.raises(StorageError, match="not a readable SQLite database"):
        await Database.open(path)
    assert path.read_bytes() == garbage


async def test_a_unit_rolls_back_on_error(db: Database) -> None:
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


async def test_concurrent_units_commit_together_but_fail_alone(db: Database) -> None:
    import asyncio

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


async def test_the_wal_is_checkpointed_from_the_thread_and_stays_small(tmp_path: Path) -> None:
    """Writes run on the caller's thread never checkpoint (that may fsync); the thread does,
    every few hundred commits, so the WAL file does not grow with every answer."""
    path = tmp_path / "a.db"
    async with await Database.open(path) as db:
        for i in range(3_000):
            await db.run(
                lambda tx, i=i: tx.run(
                    "INSERT INTO meta (key, value) VALUES (?, ?)", (f"k{i}", "x" * 500)
                )
            )
        wal = path.with_name(path.name + "-wal").stat().st_size
        assert await db.read(lambda tx: tx.value("SELECT count(*) FROM meta")) == 3_000
    # Unchecked, these 3,000 commits leave a WAL of about 30 MB.
    assert wal < 8 * 1024 * 1024, wal


async def test_a_release_claim_is_taken_once_and_can_be_given_back(db: Database) -> None:
    from bot.storage.releases import ReleaseRepository

    def claim(tx: Tx) -> bool:
        return ReleaseRepository(tx).claim(1, 1, "2026-01-02T00:00:00.000000+00:00", "")

    assert await db.run(claim)
    assert not await db.run(claim)  # another process's turn: skipped
    await db.run(lambda tx: ReleaseRepository(tx).unclaim(1, 1))
    assert await db.run(claim)
    # a claim older than the stale limit is a dead process's: taken over
    assert await db.run(
        lambda tx: ReleaseRepository(tx).claim(
            1, 1, "2026-01-02T01:00:00.000000+00:00", "2026-01-02T00:30:00.000000+00:00"
        )
    )
