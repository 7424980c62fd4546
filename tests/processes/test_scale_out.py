"""Scale-out end to end: two bot processes, shards 0 and 1 of 2, over one PostgreSQL database
and the Discord double.

Members of a server on each shard take the survey: `/survey start` reaches the process of
their server's shard, the DMs that follow reach shard 0's process (as on Discord), and both
write the same response. Shard 0's process is killed with SIGKILL mid-survey and restarted:
every answer a member saw confirmed is stored, nothing twice, and everyone finishes.
Check-in reminders due meanwhile, for members of both servers, go out exactly once each,
each sent by the process that serves the member's server.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.schedule import Schedule
from bot.storage import Database
from bot.storage.checkins import CheckinRepository
from bot.storage.clock import stamp
from bot.storage.guilds import GuildSettings, GuildSettingsRepository
from bot.storage.location import PostgresLocation
from bot.storage.tx import Tx
from tests.databases import fresh_schema, rows
from tests.double import DiscordDouble, Message, User
from tests.double.model import Guild
from tests.processes.test_crash_safety import answer_until_killed, launch
from tests.survey_driver import click_through, stored_steps

# Processes killed with SIGKILL: the slow lane (README, "run the tests").
pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL"),
    pytest.mark.slow,
]

SURVEYORS = 4  # per server
DUE = 8  # members per server with a check-in reminder due


async def seed_reminders(database: PostgresLocation, due: dict[int, list[User]]) -> None:
    """Check-ins on in both servers; `due` members enrolled and due at the top of this hour."""
    now = datetime.now(UTC)
    at = now.replace(minute=0, second=0, microsecond=0)
    schedule = Schedule(4, at.weekday(), at.hour, "UTC")

    def unit(tx: Tx) -> None:
        for guild_id, members in due.items():
            GuildSettingsRepository(tx).save(GuildSettings(guild_id, checkins_enabled=True))
            for member in members:
                CheckinRepository(tx).enrol(guild_id, member.id, schedule, now)
        tx.run(
            "UPDATE checkin_enrolments SET anchor_date = ?, next_due_utc = ?",
            (at.date().isoformat(), stamp(at)),
        )

    async with await Database.open(database) as db:
        await db.run(unit)


async def begin(double: DiscordDouble, member: User, guild: Guild) -> Message:
    """`/survey start` in the member's server, then Start in the DM it sends."""
    await double.slash(member, "survey start", guild=guild)
    consent = await double.wait_for_dm(member, 1, timeout=15)
    return (await double.click(member, consent, "Start the survey")).message


async def test_two_processes_one_database_survive_a_kill(
    double: DiscordDouble, postgres: str, tmp_path: Path
) -> None:
    database = fresh_schema(postgres)
    zero = double.add_guild("Shard zero", shard=(0, 2))
    one = double.add_guild("Shard one", shard=(1, 2))
    surveyors = [
        (double.add_member(f"survey-{guild.name}-{i}", guild=guild), guild)
        for guild in (zero, one)
        for i in range(SURVEYORS)
    ]
    due = {
        guild.id: [double.add_member(f"due-{guild.name}-{i}", guild=guild) for i in range(DUE)]
        for guild in (zero, one)
    }
    await seed_reminders(database, due)
    logs = [tmp_path / "shard0.log", tmp_path / "shard1.log"]

    async def start(shard: int) -> asyncio.subprocess.Process:
        return await launch(
            double, database, logs[shard], "--shards", str(shard), "--shard-count", "2"
        )

    first = await start(0)
    second = await start(1)
    await double.wait_shards_ready([0, 1], timeout=60)
    processes = [first, second]
    try:
        # Every survey starts in its server (either process) and continues in DMs (shard 0).
        members = surveyors
        firsts = [await begin(double, m, g) for m, g in members]

        confirmed: dict[int, list[str]] = {}
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(answer_until_killed(double, m, f, confirmed, stop))
            for (m, _), f in zip(members, firsts, strict=True)
        ]
        await double.wait_until(
            lambda: sum(map(len, confirmed.values())) >= 2 * len(members), timeout=60
        )
        processes[0].send_signal(signal.SIGKILL)
        await processes[0].wait()
        stop.set()
        last = await asyncio.gather(*tasks)
        double.rejections.clear()  # interactions sent to the dead process were never answered

        processes[0] = await start(0)
        await double.wait_shards_ready([0, 1], timeout=60)

        for (member, _), message in zip(members, last, strict=True):
            rid = int(next(c for c in message.custom_ids() if c.startswith("sv:")).split(":")[2])
            stored = stored_steps(database, rid)
            assert set(confirmed.get(member.id, [])) <= stored, member.name
            summary, _ = await click_through(double, member, message)
            done = await double.click(member, summary, "Done")
            assert "Thank you" in done.message.text

        everyone = [m for ms in due.values() for m in ms]
        await double.wait_until(lambda: all(len(double.dms(m)) >= 1 for m in everyone), timeout=60)
        await double.wait_until(
            lambda: (
                rows(database, "SELECT count(*) FROM checkin_reminders WHERE state = 'sent'")
                == [(len(everyone),)]
            ),
            timeout=30,
        )
    finally:
        for process in processes:
            if process.returncode is None:
                process.terminate()
                await process.wait()

    # Surveys: one response per member, in the server they started from, all completed.
    responses = rows(database, "SELECT guild_id, user_id, status FROM responses ORDER BY user_id")
    assert sorted(responses) == sorted((g.id, m.id, "completed") for m, g in surveyors)
    # Reminders: exactly one DM per due member, one 'sent' row each.
    assert {m.name: len(double.dms(m)) for m in everyone} == {m.name: 1 for m in everyone}
    sent = rows(database, "SELECT user_id FROM checkin_reminders WHERE state = 'sent'")
    assert sorted(u for (u,) in sent) == sorted(m.id for m in everyone)
    # Commands were synced once, by shard 0's process: restarted, it found them unchanged
    # (the tree's hash is kept in the shared database).
    assert double.count("PUT", r"/applications/\d+/commands") == 1
    for log in logs:
        assert "Traceback" not in log.read_text(errors="replace"), log.name
