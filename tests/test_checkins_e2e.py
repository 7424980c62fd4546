"""Check-ins end to end through the real client and the double, with time on a ManualClock:
opt in → four weeks pass → the reminder → a check-in answered by clicks and by typing →
`/checkin history` draws what the database holds; pause, stop and erasure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.checkins.history import read_series
from bot.clock import ManualClock
from bot.settings import Settings
from tests.checkin_driver import enable_checkins, field_select, opt_in, run_until
from tests.conftest import BotStarter
from tests.double import DiscordDouble, Message, User
from tests.survey_driver import click_through, rows, start_survey, step_of

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # a Monday morning in Berlin
BERLIN = ZoneInfo("Europe/Berlin")


async def finish_survey(double: DiscordDouble, member: User) -> Message:
    question = await start_survey(double, member)
    summary, _ = await click_through(double, member, question)  # finasteride, ketoconazole
    return (await double.click(member, summary, "Done")).message


def enrolment(database: Path, user: User) -> tuple[str, str, str | None]:
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
    double: DiscordDouble, settings: Settings, start_bot: BotStarter
) -> None:
    clock = ManualClock(START)
    database = settings.database_path
    async with start_bot(settings, clock=clock):
        await enable_checkins(double)
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
        assert regimen == [
            ("finasteride", None, None),
            ("ketoconazole", None, first.strftime("%Y-%m")),
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
