"""`anagen checkins log`: the operator reads a server's reminder log from the database."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.checkins.scheduler import claim_due
from bot.cli import main
from bot.schedule import Schedule
from bot.storage import Database
from bot.storage.checkins import CheckinRepository, PauseReason, ReminderState
from bot.storage.location import DatabaseLocation
from bot.storage.tx import Tx
from tests.databases import env_value
from tests.unit.test_cli import run_anagen

GUILD, OTHER_GUILD = 111, 222
NOW = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


async def seed(path: DatabaseLocation) -> None:
    def unit(tx: Tx) -> None:
        repo = CheckinRepository(tx)
        schedule = Schedule(2, 0, 9, "Europe/Berlin")
        for guild, user in ((GUILD, 1), (GUILD, 2), (OTHER_GUILD, 3)):
            repo.enrol(guild, user, schedule, NOW - timedelta(weeks=3))
        claimed = claim_due(repo, NOW, "run-1", 10)
        assert len(claimed) == 3
        for reminder in claimed:
            if reminder.user_id == 1:
                repo.finish(reminder, ReminderState.SENT, NOW)
            elif reminder.user_id == 2:
                repo.finish(
                    reminder, ReminderState.FAILED, NOW, reason="dm_closed",
                    pause=PauseReason.DM_CLOSED,
                )  # fmt: skip

    async with await Database.open(path) as db:
        await db.run(unit)


async def test_the_log_shows_one_server_newest_first(
    db_location: DatabaseLocation,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    database = db_location
    await seed(database)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ANAGEN_DATABASE", env_value(database))
    assert await _main(["checkins", "log", "--guild", str(GUILD)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("claimed (UTC)")
    body = lines[1:]
    assert len(body) == 2  # the other server's reminder is not shown
    assert {line.split()[2] for line in body} == {"1", "2"}
    assert any("failed" in line and "dm_closed" in line for line in body)
    assert any(" sent " in line for line in body)

    assert await _main(["checkins", "log", "--guild", str(GUILD), "--user", "1"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2
    assert await _main(["checkins", "log", "--guild", str(GUILD), "--user", "3"]) == 0
    assert f"No check-in reminders logged for member 3 in server {GUILD}" in (
        capsys.readouterr().out
    )
    # a server the database does not know is a mistyped id: said, with the servers it knows
    assert await _main(["checkins", "log", "--guild", "999"]) == 1
    err = capsys.readouterr().err
    assert "server 999 is not in the database" in err
    assert str(GUILD) in err
    assert str(OTHER_GUILD) in err

    assert await _main(["checkins", "log", "--guild", str(GUILD), "--json"]) == 0
    logged = json.loads(capsys.readouterr().out)
    assert {entry["user_id"] for entry in logged} == {"1", "2"}  # strings: snowflakes
    failed = next(entry for entry in logged if entry["state"] == "failed")
    assert (failed["reason"], failed["attempts"]) == ("dm_closed", 1)


async def _main(argv: list[str]) -> int:
    """The CLI runs its own event loop, so call it from a worker thread."""
    return await asyncio.to_thread(main, argv)


def test_help_and_a_missing_database() -> None:
    for command in (["checkins"], ["checkins", "log"]):
        result = run_anagen(*command, "--help")
        assert result.returncode == 0, command
        assert "usage: anagen" in result.stdout
    missing = run_anagen("checkins", "log", "--guild", "1", env={"ANAGEN_DATABASE": "/nope/x.db"})
    assert missing.returncode == 2  # a database that is not there, named in one line
    assert "Traceback" not in missing.stderr
    assert missing.stderr.count("\n") == 1
    assert "no database at /nope/x.db: the folder /nope does not exist" in missing.stderr
