"""What only PostgreSQL has to prove: several processes over one database, a server that
restarts under a running bot, and an operator told in one line when it is unreachable or
not Anagen's. (Everything else runs on both backends through the `db_location` fixture.)"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.checkins.scheduler import claim_due
from bot.cli import main
from bot.schedule import Schedule
from bot.storage import Database, StorageError
from bot.storage.checkins import CheckinRepository, Reminder, ReminderState
from bot.storage.location import PostgresLocation
from bot.storage.meta import MetaRepository
from tests import pg_cluster
from tests.databases import fresh_schema, rows, run

GUILD = 1
T0 = datetime(2025, 1, 6, 12, tzinfo=UTC)
DUE = T0 + timedelta(weeks=5)
MEMBERS = 200


@pytest.fixture
def schema(postgres: str) -> PostgresLocation:
    return fresh_schema(postgres)


@contextlib.asynccontextmanager
async def process(location: PostgresLocation) -> AsyncIterator[Database]:
    """A bot process's view of the database: its own connection and database thread."""
    async with await Database.open(location) as db:
        yield db


async def enrol_due(db: Database, members: int) -> None:
    schedule = Schedule(2, T0.weekday(), T0.hour, "UTC")

    def unit(tx: object) -> None:
        repo = CheckinRepository(tx)  # type: ignore[arg-type]
        for user in range(1, members + 1):
            repo.enrol(GUILD, user, schedule, T0)

    await db.run(unit)


async def claim_all(db: Database, run_id: str) -> list[Reminder]:
    """Claim due reminders in small batches until none is left, as a scheduler does."""
    claimed: list[Reminder] = []
    while batch := await db.run(lambda tx: claim_due(CheckinRepository(tx), DUE, run_id, 7)):
        claimed += batch
        await asyncio.sleep(0)
    return claimed


async def test_two_processes_claim_each_due_reminder_exactly_once(
    schema: PostgresLocation,
) -> None:
    async with process(schema) as first, process(schema) as second:
        await enrol_due(first, MEMBERS)
        a, b = await asyncio.gather(claim_all(first, "run-a"), claim_all(second, "run-b"))
    users = sorted(r.user_id for r in [*a, *b])
    assert users == list(range(1, MEMBERS + 1))  # every member once, none twice
    assert a, "the second process took everything: the claims never ran side by side"
    assert b, "the first process took everything: the claims never ran side by side"
    claims = "SELECT count(*) FROM checkin_reminders WHERE state = 'claimed'"
    assert rows(schema, claims) == [(MEMBERS,)]


async def test_claims_of_a_live_process_are_left_alone_and_taken_over_once_it_is_gone(
    schema: PostgresLocation,
) -> None:
    async with process(schema) as survivor:
        await survivor.hold("run-survivor")  # as each process's scheduler does on start
        await enrol_due(survivor, 5)
        async with process(schema) as doomed:
            await doomed.hold("run-doomed")
            claimed = await doomed.run(
                lambda tx: claim_due(CheckinRepository(tx), DUE, "run-doomed", 10)
            )
            assert len(claimed) == 5
            now = max(r.due_at for r in claimed)  # retried the same day they were due
            # Still running: its claims are in flight, not abandoned.
            taken = await survivor.run(
                lambda tx: CheckinRepository(tx).reclaim_interrupted(now, "run-survivor")
            )
            assert taken == []
        # Its connection is gone (as with SIGKILL): the claims are retried, once. The server
        # ends the closed session's backend, and frees its lock, a moment after the client
        # hangs up: ask again until it has (the scheduler simply asks on its next round).
        taken = []
        for _attempt in range(200):
            taken = await survivor.run(
                lambda tx: CheckinRepository(tx).reclaim_interrupted(now, "run-survivor")
            )
            if taken:
                break
            await asyncio.sleep(0.05)
        assert sorted(r.user_id for r in taken) == [1, 2, 3, 4, 5]
        assert all(r.attempt == 2 for r in taken)
        async with process(schema) as third:
            again = await third.run(
                lambda tx: CheckinRepository(tx).reclaim_interrupted(now, "run-third")
            )
        assert again == []  # the survivor's claims are now the ones in flight
        for reminder in taken:
            await survivor.run(
                lambda tx, r=reminder: CheckinRepository(tx).finish(r, ReminderState.SENT, now)
            )
    sent = "SELECT user_id FROM checkin_reminders WHERE state = 'sent' ORDER BY user_id"
    assert rows(schema, sent) == [(1,), (2,), (3,), (4,), (5,)]
    assert rows(schema, "SELECT count(*) FROM checkin_reminders WHERE state = 'claimed'") == [(0,)]


@pytest.fixture
def own_cluster(postgres: str) -> Iterator[Path]:
    """A cluster of this test's own, so restarting it disturbs no other test."""
    folder = Path(tempfile.mkdtemp(prefix="anagen-pg-restart-"))
    try:
        pg_cluster.start(folder)
        yield folder
    finally:
        pg_cluster.stop(folder)


async def test_a_postgres_restart_costs_no_committed_data_and_the_store_reconnects(
    own_cluster: Path,
) -> None:
    port = int((own_cluster / "port").read_text())
    location = PostgresLocation(pg_cluster.url(own_cluster, port))
    async with await Database.open(location) as db:
        await db.run(lambda tx: MetaRepository(tx).remember("before", "1"))
        await asyncio.to_thread(pg_cluster.restart, own_cluster)  # immediate stop: a crash
        assert await db.read(lambda tx: MetaRepository(tx).value("before")) == "1"
        await asyncio.to_thread(pg_cluster.restart, own_cluster)
        await db.run(lambda tx: MetaRepository(tx).remember("after", "2"))
        assert await db.read(lambda tx: MetaRepository(tx).value("before")) == "1"
        assert await db.read(lambda tx: MetaRepository(tx).value("after")) == "2"


def test_check_names_an_unreachable_postgres_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    monkeypatch.setenv(
        "ANAGEN_DATABASE", f"postgresql://anagen:s3cret@/anagen?host={tmp_path}&port=1"
    )
    assert main(["--env-file", "/dev/null", "check"]) == 1
    out = capsys.readouterr().out
    [line] = [line for line in out.splitlines() if "PostgreSQL" in line]
    assert line.startswith("PROBLEM  database: cannot connect to PostgreSQL at postgresql://")
    assert "s3cret" not in out  # the password is never printed


def test_check_refuses_a_foreign_postgres_database_and_leaves_it_alone(
    schema: PostgresLocation,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    run(schema, "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total INTEGER)")
    run(schema, "INSERT INTO invoices VALUES (1, 100)")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ANAGEN_DATABASE", schema.url)
    assert main(["--env-file", "/dev/null", "check"]) == 1
    out = capsys.readouterr().out
    [line] = [line for line in out.splitlines() if "another application" in line]
    assert line.startswith("PROBLEM  database: ")
    assert rows(schema, "SELECT total FROM invoices") == [(100,)]


async def test_check_reports_a_healthy_postgres(
    schema: PostgresLocation,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    async with await Database.open(schema):
        pass
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ANAGEN_DATABASE", schema.url)
    await asyncio.to_thread(main, ["--env-file", "/dev/null", "check"])
    out = capsys.readouterr().out
    assert "reachable, up to date" in out


async def test_processes_starting_together_migrate_once(postgres: str) -> None:
    location = fresh_schema(postgres)
    opened = await asyncio.gather(*(Database.open(location) for _ in range(4)))
    try:
        versions = {await db.schema_version() for db in opened}
    finally:
        for db in opened:
            await db.close()
    assert len(versions) == 1


async def test_a_readonly_open_cannot_write(schema: PostgresLocation) -> None:
    async with await Database.open(schema):
        pass
    async with await Database.open(schema, readonly=True) as db:
        with pytest.raises(StorageError, match="read-only"):
            await db.run(lambda tx: MetaRepository(tx).remember("x", "y"))
