"""Check-ins end to end through the real client and the double, with time on a ManualClock:
opt in → four weeks pass → the reminder → a check-in answered by clicks and by typing →
`/checkin history` draws what the database holds; pause, stop and erasure."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.checkins.history import read_series
from bot.checkins.service import month_of
from bot.clock import ManualClock
from bot.settings import Settings
from bot.storage.location import DatabaseLocation
from tests.checkin_driver import enable_checkins, field_select, opt_in, run_until
from tests.conftest import BotStarter
from tests.double import DiscordDouble, Message, User
from tests.survey_driver import click_through, rows, start_survey, step_of

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # a Monday morning in Berlin
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
async def clock(settings: Settings, start_bot: BotStarter) -> AsyncIterator[ManualClock]:
    """The bot, running on a clock only the test moves."""
    manual = ManualClock(START)
    async with start_bot(settings, clock=manual):
        yield manual


@pytest.fixture
async def checkins_on(double: DiscordDouble, clock: ManualClock) -> ManualClock:
    await enable_checkins(double)
    return clock


@pytest.fixture
def database(settings: Settings) -> DatabaseLocation:
    return settings.database


async def finish_survey(double: DiscordDouble, member: User) -> Message:
    question = await start_survey(double, member)
    summary, _ = await click_through(double, member, question)  # finasteride, ketoconazole
    return (await double.click(member, summary, "Done")).message


def enrolment(database: DatabaseLocation, user: User) -> tuple[str, str, str | None]:
    [row] = rows(
        database,
        "SELECT time_zone, status, next_due_utc FROM checkin_enrolments WHERE user_id = ?",
        (user.id,),
    )
    return row


async def answer_checkin(double: DiscordDouble, member: User, question: Message) -> Message:
    """Clicks for most questions, typed replies for two; returns the summary."""
    assert step_of(question) == "regimen/finasteride"  # `current` came from the regimen
    assert "Question 2 of" in question.content
    question = (
        await double.select(member, question, field_select(question, "status"), ["still_using"])
    ).message
    question = (
        await double.select(
            member, question, field_select(question, "side_effects"), ["sexual", "mood"]
        )
    ).message
    assert step_of(question) == "regimen/ketoconazole"
    sent = len(double.dms(member))
    await double.dm(member, "stopped, none")  # typed: a group answer with two parts
    question = await double.wait_for_dm(member, sent + 1)
    assert "Understood" in question.content
    assert step_of(question) == "started"
    question = (
        await double.select(member, question, field_select(question, ""), ["minoxidil_topical"])
    ).message
    assert step_of(question) == "started_when/minoxidil_topical"
    question = (
        await double.select(member, question, field_select(question, "month"), ["last_month"])
    ).message
    question = (await double.click(member, question, "Less")).message
    assert step_of(question) == "itch"
    sent = len(double.dms(member))
    await double.dm(member, "3")
    question = await double.wait_for_dm(member, sent + 1)
    question = (await double.click(member, question, "1")).message  # burning
    question = (await double.click(member, question, "Satisfied")).message
    assert step_of(question) == "note"
    return (await double.click(member, question, "Skip")).message


async def test_opt_in_reminder_check_in_and_history(
    double: DiscordDouble, checkins_on: ManualClock, database: DatabaseLocation
) -> None:
    clock = checkins_on
    member = double.add_member("alex")
    thanks = await finish_survey(double, member)
    assert "check-ins" in thanks.text
    confirmation = await opt_in(double, member, thanks)
    assert "What is stored" in confirmation.text
    assert "Finasteride" in confirmation.text  # the regimen came from the survey
    zone, status, due = enrolment(database, member)
    assert (zone, status) == ("Europe/Berlin", "active")
    assert due is not None
    first = datetime.fromisoformat(due).astimezone(BERLIN)
    assert (first.weekday(), first.hour) == (0, 9)
    assert timedelta(weeks=3) < first - START < timedelta(weeks=5)

    # Nothing before it is due; then the clock passes the due time.
    before = len(double.dms(member))
    clock.set(first - timedelta(minutes=1))
    await run_until(clock, lambda: clock.sleeping)
    assert len(double.dms(member)) == before
    clock.set(first + timedelta(seconds=30))
    reminder = await run_until(
        clock, lambda: len(double.dms(member)) > before and double.dms(member)[-1]
    )
    assert "Time for your check-in" in reminder.content
    assert {"Start now", "Remind me tomorrow", "Skip this one", "Stop check-ins"} <= {
        c.get("label") for c in reminder.components[0]["components"]
    }
    question = (await double.click(member, reminder, "Start now")).message
    summary = await answer_checkin(double, member, question)
    done = (await double.click(member, summary, "Done")).message
    assert "check-in is saved" in done.content

    [(period, state)] = rows(database, "SELECT period, state FROM checkin_reminders")
    assert (period, state) == (first.date().isoformat(), "sent")
    regimen = rows(
        database,
        "SELECT treatment_id, started_month, stopped_month FROM regimen_entries"
        " ORDER BY treatment_id",
    )
    # the survey said both were started 6 to 12 months before it was completed
    [(completed,)] = rows(database, "SELECT completed_at FROM responses")
    about = month_of(datetime.fromisoformat(completed).date(), 9)
    assert regimen == [
        ("finasteride", about, None),
        ("ketoconazole", about, first.strftime("%Y-%m")),
        ("minoxidil_topical", "2026-01", None),
    ]

    history = await double.slash(member, "checkin history")
    reply = await double.wait_until(lambda: history.followups and history.followups[0])
    [attachment] = reply.attachments
    series = read_series(attachment.data)
    [(completed_at, shedding, itch, burning)] = rows(
        database,
        "SELECT r.completed_at, s.choice_id, i.number, b.number FROM checkin_responses r"
        " JOIN checkin_answer_choices s ON s.response_id = r.id AND s.question_id = 'shedding'"
        " JOIN checkin_answers i ON i.response_id = r.id AND i.question_id = 'itch'"
        " JOIN checkin_answers b ON b.response_id = r.id AND b.question_id = 'burning'",
    )
    assert [p["level"] for p in series["shedding"]] == [shedding] == ["less"]
    assert [p["value"] for p in series["itch"]] == [itch] == [3]
    assert [p["value"] for p in series["burning"]] == [burning] == [1]
    assert series["shedding"][0]["at"] == datetime.fromisoformat(completed_at).isoformat()
    assert {(m["treatment"], m["kind"]) for m in series["marks"]} >= {
        ("ketoconazole", "stopped"),
        ("minoxidil_topical", "started"),
    }
    assert "less" in reply.content.casefold()


async def enrol_by_command(double: DiscordDouble, member: User, **options: object) -> str:
    reply = await double.slash(
        member,
        "checkin start",
        weekday=options.get("weekday", 0),
        hour=options.get("hour", 9),
        time_zone=options.get("time_zone", "Europe/Berlin"),
    )
    return reply.message.text


def due_of(database: DatabaseLocation, member: User) -> datetime:
    _, _, due = enrolment(database, member)
    assert due is not None
    return datetime.fromisoformat(due)


def log_of(database: DatabaseLocation, member: User) -> list[tuple[str, str, str | None]]:
    return rows(
        database,
        "SELECT period, state, reason FROM checkin_reminders WHERE user_id = ? ORDER BY id",
        (member.id,),
    )


async def next_reminder(double: DiscordDouble, clock: ManualClock, member: User, at: datetime):
    before = len(double.dms(member))
    clock.set(at)
    return await run_until(
        clock, lambda: len(double.dms(member)) > before and double.dms(member)[-1]
    )


async def test_remind_me_tomorrow_skip_and_stop(
    double: DiscordDouble, checkins_on: ManualClock, database: DatabaseLocation
) -> None:
    clock = checkins_on
    member = double.add_member("alex")
    assert "Check-ins every 4 weeks on Monday at 09:00" in await enrol_by_command(double, member)
    first = due_of(database, member)
    reminder = await next_reminder(double, clock, member, first + timedelta(seconds=5))
    put_off = (await double.click(member, reminder, "Remind me tomorrow")).message
    assert "remind you again on" in put_off.content
    assert not put_off.components
    again = await next_reminder(double, clock, member, first + timedelta(days=1, seconds=10))
    assert "Time for your check-in" in again.content
    skipped = (await double.click(member, again, "Skip this one")).message
    assert "Skipped" in skipped.content
    period = first.astimezone(BERLIN).date().isoformat()
    tomorrow = (first + timedelta(days=1, seconds=5)).date().isoformat()
    assert log_of(database, member) == [
        (period, "sent", None),
        (f"{period}+{tomorrow}", "sent", "member_skipped"),
    ]
    second = due_of(database, member)
    assert second - first == timedelta(weeks=4)
    reminder = await next_reminder(double, clock, member, second + timedelta(seconds=5))
    stopped = (await double.click(member, reminder, "Stop check-ins")).message
    assert "Check-ins stopped" in stopped.content
    assert enrolment(database, member)[1:] == ("stopped", None)
    sent = len(double.dms(member))
    clock.set(second + timedelta(weeks=9))
    await run_until(clock, lambda: clock.sleeping)
    assert len(double.dms(member)) == sent
    status = await double.slash(member, "checkin status")
    assert "stopped" in status.message.text


async def test_closed_dms_pause_and_the_member_is_told_once(
    double: DiscordDouble, checkins_on: ManualClock, database: DatabaseLocation
) -> None:
    clock = checkins_on
    member, leaver = double.add_member("alex"), double.add_member("blair")
    await enrol_by_command(double, member)
    await enrol_by_command(double, leaver)
    double.close_dms(member)
    double.remove_member(leaver)
    clock.set(due_of(database, member) + timedelta(seconds=5))

    def settled() -> bool:
        both = log_of(database, member) + log_of(database, leaver)
        return len(both) == 2 and all(state != "claimed" for _, state, _ in both)

    await run_until(clock, settled)
    assert [r[1:] for r in log_of(database, member)] == [("failed", "dm_closed")]
    assert [r[1:] for r in log_of(database, leaver)] == [("failed", "gone")]
    assert enrolment(database, member)[1:] == ("paused", None)
    assert enrolment(database, leaver)[1:] == ("paused", None)

    status = await double.slash(member, "checkin status")
    notice = await double.wait_until(lambda: status.followups and status.followups[0])
    assert "DMs are closed" in notice.content
    again = await double.slash(member, "checkin status")
    assert "paused" in again.message.text
    assert not again.followups  # told once
    double.open_dms(member)
    resumed = await double.slash(member, "checkin resume")
    assert "Next:" in resumed.message.text
    assert enrolment(database, member)[1] == "active"


async def test_downtime_sends_one_reminder_and_switching_off_skips(
    double: DiscordDouble, checkins_on: ManualClock, database: DatabaseLocation
) -> None:
    clock = checkins_on
    member = double.add_member("alex")
    await enrol_by_command(double, member)
    first = due_of(database, member)
    await next_reminder(double, clock, member, first + timedelta(weeks=12, hours=1))
    # the DM can arrive a moment before its 'sent' record is written
    await run_until(
        clock, lambda: all(state != "claimed" for _, state, _ in log_of(database, member))
    )
    states = [state for _, state, _ in log_of(database, member)]
    assert states.count("sent") == 1  # three periods missed: one reminder
    assert states.count("skipped") == 3
    moderator = double.add_member("mod2", admin=True)
    await double.slash(moderator, "survey-admin settings", checkins=False)
    sent = len(double.dms(member))
    clock.set(due_of(database, member) + timedelta(seconds=5))
    await run_until(clock, lambda: log_of(database, member)[-1][1:] == ("skipped", "condition"))
    assert len(double.dms(member)) == sent
    refused = await double.slash(member, "checkin now")
    assert "switched off" in refused.message.text


async def test_survey_delete_leaves_nothing_of_check_ins(
    double: DiscordDouble, checkins_on: ManualClock, database: DatabaseLocation
) -> None:
    clock = checkins_on
    member = double.add_member("alex")
    thanks = await finish_survey(double, member)
    await opt_in(double, member, thanks)
    reminder = await next_reminder(
        double, clock, member, due_of(database, member) + timedelta(seconds=5)
    )
    question = (await double.click(member, reminder, "Start now")).message
    summary = await answer_checkin(double, member, question)
    await double.click(member, summary, "Done")
    tables = (
        "checkin_enrolments",
        "checkin_reminders",
        "regimen_entries",
        "checkin_responses",
        "responses",
    )
    assert all(rows(database, f"SELECT count(*) FROM {t}")[0][0] for t in tables)
    confirm = await double.slash(member, "survey delete")
    assert "check-ins" in confirm.message.text
    erased = (await double.click(member, confirm.message, "Erase my answers")).message
    assert "check-in" in erased.content
    for table in (*tables, "checkin_answers", "checkin_answer_choices", "answers"):
        assert rows(database, f"SELECT count(*) FROM {table}") == [(0,)], table


async def test_schedule_input_and_regimen_corrections(
    double: DiscordDouble, clock: ManualClock
) -> None:
    member = double.add_member("alex")
    off = await double.slash(member, "checkin start", weekday=0, hour=9, time_zone="Berlin")
    assert "switched off" in off.message.text
    await enable_checkins(double)
    offered = await double.autocomplete(member, "checkin start", "time_zone", time_zone="UTC+5:30")
    assert "Asia/Kolkata" in [c["value"] for c in offered]
    offered = await double.autocomplete(member, "checkin start", "time_zone", time_zone="new yrok")
    assert offered[0]["value"] == "America/New_York"
    unknown = await enrol_by_command(double, member, time_zone="Atlantis")
    assert "could not find a time zone" in unknown
    assert "Check-ins every 4 weeks" in await enrol_by_command(double, member, time_zone="Berlin")
    added = await double.slash(
        member, "checkin regimen", action="add", treatment="finasteride", month="2025-11"
    )
    assert "Finasteride**: since 2025-11, current" in added.message.text
    bad = await double.slash(
        member, "checkin regimen", action="stop", treatment="finasteride", month="Nov 2025"
    )
    assert "like 2026-03" in bad.message.text
    stopped = await double.slash(
        member, "checkin regimen", action="stop", treatment="finasteride", month="2026-01"
    )
    assert "stopped 2026-01" in stopped.message.text
    unknown_treatment = await double.slash(
        member, "checkin regimen", action="add", treatment="snake_oil"
    )
    assert "from the list" in unknown_treatment.message.text
    paused = await double.slash(member, "checkin pause")
    assert "Paused" in paused.message.text
    status = await double.slash(member, "checkin status")
    assert "paused" in status.message.text
