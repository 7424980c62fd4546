"""Crash safety of check-in reminders: the bot runs as its own process, many members are due
at once, the process is killed with SIGKILL while reminders are going out and restarted.
Every due member must end up with exactly one reminder for the period, and the log must
say so: one row per member, 'sent'.

The double holds back its answer to each message it posts, so the kill can land where it
hurts most: Discord has posted the reminder, the bot has not heard so and has not recorded
it. The restarted bot retries those claims; only the nonce (enforce_nonce) keeps the
member from getting the reminder twice, and the test checks the retry really was sent.
"""

from __future__ import annotations

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
from bot.storage.location import DatabaseLocation
from bot.storage.tx import Tx
from tests.double import DiscordDouble, User
from tests.processes.test_crash_safety import launch
from tests.survey_driver import rows

# Processes killed with SIGKILL: the slow lane (README, "run the tests").
pytestmark = [
    pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL"),
    pytest.mark.slow,
]

MEMBERS = 60
MESSAGES = r"/channels/\d+/messages"
# Each reminder's answer is held back this long after the double has posted it, so several
# reminders are always posted-but-unanswered while the burst goes on (about 11 go out a
# second: the bot's pacing of 36 requests/s at 3 requests each).
HOLD_S = 0.3


async def seed_due(database: DatabaseLocation, guild_id: int, members: list[User]) -> str:
    """Enrol `members` with check-ins on in the server, all due at the top of this hour;
    returns the period they are due for. Nothing earlier is owed, so the log gets one row
    per member."""
    now = datetime.now(UTC)
    due = now.replace(minute=0, second=0, microsecond=0)
    schedule = Schedule(4, due.weekday(), due.hour, "UTC")

    def unit(tx: Tx) -> None:
        for member in members:
            CheckinRepository(tx).enrol(guild_id, member.id, schedule, now)
        tx.run(
            "UPDATE checkin_enrolments SET anchor_date = ?, next_due_utc = ?",
            (due.date().isoformat(), stamp(due)),
        )
        GuildSettingsRepository(tx).save(GuildSettings(guild_id, checkins_enabled=True))

    async with await Database.open(database) as db:
        await db.run(unit)
    return due.date().isoformat()


def reminded(double: DiscordDouble, members: list[User]) -> int:
    """How many members have at least one DM from the bot."""
    return sum(1 for m in members if double.dms(m))


def log_states(database: DatabaseLocation) -> dict[str, int]:
    return dict(rows(database, "SELECT state, count(*) FROM checkin_reminders GROUP BY state"))


def posts_to(double: DiscordDouble, member: User) -> int:
    """Message requests the bot made to `member`'s DM channel (answered or not)."""
    channel = double.dm_channels.get(member.id)
    path = f"/channels/{channel.id}/messages" if channel else None
    return sum(1 for r in double.requests if r.method == "POST" and r.path == path)


async def test_kill_9_mid_burst_sends_each_due_member_one_reminder(
    double: DiscordDouble, db_location: DatabaseLocation, tmp_path: Path
) -> None:
    database, log = db_location, tmp_path / "bot.log"
    members = [double.add_member(f"due{i}") for i in range(MEMBERS)]
    period = await seed_due(database, double.guild.id, members)
    double.delay("POST", MESSAGES, after=HOLD_S)

    process = await launch(double, database, log)
    # Kill once a quarter went out and at least one posted reminder is still unanswered.
    await double.wait_until(
        lambda: reminded(double, members) >= MEMBERS // 4 and double.holding > 0, timeout=60
    )
    process.send_signal(signal.SIGKILL)
    await process.wait()
    at_kill = reminded(double, members)
    assert at_kill < MEMBERS, "the burst was over before the kill: nothing was interrupted"

    # Posted by Discord, not recorded as sent: the case only the nonce protects.
    claimed = rows(database, "SELECT user_id FROM checkin_reminders WHERE state = 'claimed'")
    open_claims = {user for (user,) in claimed}
    unrecorded = [m for m in members if m.id in open_claims and double.dms(m)]
    assert unrecorded, "no reminder was posted but unrecorded at the kill"

    process = await launch(double, database, log)
    try:
        await double.wait_until(
            lambda: log_states(database).get("sent") == MEMBERS and double.holding == 0,
            timeout=60,
        )
    finally:
        process.terminate()
        await process.wait()

    # Exactly one reminder DM per member (a duplicate would be a second message here) ...
    per_member = {m.name: len(double.dms(m)) for m in members}
    assert per_member == {m.name: 1 for m in members}
    # ... though the unrecorded ones were posted again, with the same nonce.
    for member in unrecorded:
        assert posts_to(double, member) >= 2, member.name
    # One log row per member, for the period, sent; the nonce names that row.
    log_rows = rows(database, "SELECT id, user_id, period, state, attempts FROM checkin_reminders")
    assert sorted(u for _, u, _, _, _ in log_rows) == sorted(m.id for m in members)
    assert {(p, s) for _, _, p, s, _ in log_rows} == {(period, "sent")}
    retried = {u for _, u, _, _, attempts in log_rows if attempts > 1}
    assert {m.id for m in unrecorded} <= retried
    nonce_of = {u: f"anagen-r{rid}" for rid, u, _, _, _ in log_rows}
    assert all(double.dms(m)[0].nonce == nonce_of[m.id] for m in members)
    # Nothing was refused: no invalid body, no 429, no closed DM, no unknown member.
    assert double.rejections == []
    assert [r for r in double.requests if r.status >= 400] == []
    if database.dialect == "sqlite":
        assert rows(database, "PRAGMA integrity_check") == [("ok",)]
    assert "Traceback" not in log.read_text(errors="replace")
