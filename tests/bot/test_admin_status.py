"""`/survey-admin status` (issue 21): how many started and finished the survey, and how many
check-in reminders were answered. Exact, live counts for moderators only, never for
members; through the real client and the double, on each database."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.app import AnagenBot
from bot.schedule import Schedule
from bot.storage import Database
from bot.storage.checkins import CheckinRepository
from bot.storage.panels import ParticipationRepository
from bot.storage.tx import Tx
from tests.checkin_driver import store_checkin
from tests.databases import rows
from tests.double import DiscordDouble, User
from tests.survey_driver import seed_response, step_of

GUILD = 4242
LONG_AGO = "2000-01-03T08:00:00.000000+00:00"


async def reminders_due_now(bot: AnagenBot, guild_id: int, members: list[User]) -> None:
    """Enrol `members` with a check-in long overdue, and let the scheduler send them."""
    now = datetime.now(UTC)

    def unit(tx: Tx) -> None:
        for member in members:
            CheckinRepository(tx).enrol(guild_id, member.id, Schedule(4, 0, 9, "UTC"), now)
        tx.run(
            "UPDATE checkin_enrolments SET next_due_utc = ?, anchor_date = '2000-01-03'",
            (LONG_AGO,),
        )

    await bot.db.run(unit)
    await bot.get_cog("CheckIns").scheduler.run_once()  # type: ignore[union-attr]


def period_of(bot: AnagenBot, member: User) -> str:
    [(period,)] = rows(
        bot.settings.database,
        "SELECT period FROM checkin_reminders WHERE user_id = ? AND state = 'sent'",
        (member.id,),
    )
    return str(period)


async def test_moderators_see_started_finished_and_reminders_answered(
    double: DiscordDouble, bot: AnagenBot
) -> None:
    moderator = double.add_member("mod", admin=True)
    guild = double.guild.id
    empty = await double.slash(moderator, "survey-admin status")
    assert empty.message.ephemeral
    assert "Nobody has started the survey yet" in empty.message.text
    assert "Nobody has signed up for check-ins yet" in empty.message.text
    assert "(switched off)" in empty.message.text

    # four completed responses by three members (one retake), one imported reply ...
    for user_id in (9001, 9002, 9003, 9001):
        await seed_response(bot.db, guild, user_id, {})
    imported = await seed_response(bot.db, guild, -1, {})
    await bot.db.run(
        lambda tx: tx.run("UPDATE responses SET imported = 1 WHERE id = ?", (imported,))
    )
    # ... and one started through Discord, not finished
    starter = double.add_member("sam")
    await double.slash(starter, "survey start")
    consent = await double.wait_for_dm(starter, 1)
    assert step_of((await double.click(starter, consent, "Start the survey")).message)

    # check-ins: two reminders delivered, one not (DMs closed: paused)
    await double.slash(moderator, "survey-admin settings", checkins=True)
    answering, ignoring, closed = (double.add_member(n) for n in ("ana", "ivo", "cy"))
    double.close_dms(closed)
    await reminders_due_now(bot, guild, [answering, ignoring, closed])
    # one answered (its check-in stored as if clicked through), one started and left ...
    await store_checkin(
        bot.db, guild, answering.id, {}, at=datetime.now(UTC), period=period_of(bot, answering)
    )
    reminder = await double.wait_for_dm(ignoring, 1)
    await double.click(ignoring, reminder, "Start now")
    # ... and one check-in a member started without a reminder
    await store_checkin(bot.db, guild, 9002, {}, at=datetime.now(UTC))

    status = await double.slash(moderator, "survey-admin status")
    text = status.message.text
    assert status.message.ephemeral
    assert "Started: 5 responses by 4 members (1 retake)" in text
    assert "Finished: 4 (80% of those started)" in text
    assert "In progress: 1 " in text
    assert "Imported from threads: 1 (not counted above)" in text
    assert "**Check-ins**\n" in text  # switched on now
    assert "Members signed up: 2 scheduled, 1 paused" in text
    assert "Reminders sent: 2 for 2 check-ins due" in text
    assert "1 could not be delivered" in text
    assert "Reminders answered: 1 of 2 (50%)" in text
    assert "Check-ins completed: 2 (1 started by members without a reminder); 1 in progress" in text
    assert "Exact, live counts, shown only to you" in text

    # the settings point moderators here
    settings = await double.slash(moderator, "survey-admin settings")
    assert "/survey-admin status" in settings.message.text


async def test_members_never_see_the_exact_counts(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    await seed_response(bot.db, double.guild.id, 9001, {})
    refused = await double.slash(member, "survey-admin status")
    assert refused.message.ephemeral
    assert "Manage Server" in refused.message.text
    assert "Started" not in refused.message.text


async def test_a_put_off_reminder_counts_once_and_an_erased_member_nowhere(db: Database) -> None:
    """ "Remind me tomorrow" sends a second reminder for the same check-in: two sent, one
    check-in due, answered once whichever reminder the member answered."""
    now = datetime.now(UTC)

    def unit(tx: Tx) -> None:
        checkins = CheckinRepository(tx)
        for user_id in (1, 2):
            enrolment = checkins.enrol(GUILD, user_id, Schedule(4, 0, 9, "UTC"), now)
            for period in ("2026-01-05", "2026-01-05+2026-01-06"):
                tx.run(
                    "INSERT INTO checkin_reminders (enrolment_id, guild_id, user_id, period,"
                    " due_utc, state, claimed_at) VALUES (?, ?, ?, ?, ?, 'sent', ?)",
                    (enrolment.id, GUILD, user_id, period, LONG_AGO, LONG_AGO),
                )
        checkins.enrol(GUILD + 1, 1, Schedule(4, 0, 9, "UTC"), now)  # another server

    await db.run(unit)
    await store_checkin(db, GUILD, 1, {}, at=now, period="2026-01-05+2026-01-06")
    counts = await db.read(lambda tx: ParticipationRepository(tx).checkins(GUILD))
    assert (counts.reminders_sent, counts.reminded, counts.answered) == (4, 2, 1)
    assert (counts.active, counts.completed, counts.self_started) == (2, 1, 0)

    await db.run(lambda tx: CheckinRepository(tx).erase_member(GUILD, 1))
    counts = await db.read(lambda tx: ParticipationRepository(tx).checkins(GUILD))
    assert (counts.reminders_sent, counts.reminded, counts.answered, counts.completed) == (
        2,
        1,
        0,
        0,
    )
    survey = await db.read(lambda tx: ParticipationRepository(tx).survey(GUILD))
    assert (survey.started, survey.finished, survey.in_progress, survey.imported) == (0, 0, 0, 0)
