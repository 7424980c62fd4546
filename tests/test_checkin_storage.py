"""The check-in repository on a real SQLite file: enrolment, claims, regimen, answers, erasure."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot.checkins.schedule import Schedule, occurrence
from bot.storage import Database
from bot.storage.checkins import (
    CheckinRepository,
    EnrolmentStatus,
    PauseReason,
    ReminderState,
    erase_member,
)
from bot.survey.flow import Answer

GUILD, OTHER_GUILD = 1, 2
T0 = datetime(2025, 1, 7, 10, tzinfo=UTC)
FORTNIGHTLY = Schedule(2, 0, 9, "Europe/Berlin")

CHECKIN_TABLES = (
    "checkin_enrolments",
    "checkin_reminders",
    "regimen_entries",
    "checkin_responses",
)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with await Database.open(tmp_path / "a.db") as database:
        yield database


async def test_enrolment_starts_active_about_one_interval_ahead(db: Database) -> None:
    repo = CheckinRepository(db)
    enrolment = await repo.enrol(GUILD, 10, FORTNIGHTLY, T0)
    assert enrolment.active
    assert enrolment.next_due == datetime(2025, 1, 20, 8, tzinfo=UTC)  # Monday 09:00 CET
    assert enrolment.anchor_date == date(2025, 1, 20)
    assert await repo.enrolment(GUILD, 10) == enrolment
    assert await repo.enrolment(OTHER_GUILD, 10) is None


async def test_pause_resume_stop_and_the_pause_notice(db: Database) -> None:
    repo = CheckinRepository(db)
    enrolment = await repo.enrol(GUILD, 10, FORTNIGHTLY, T0)
    assert await repo.pause(GUILD, 10, T0, PauseReason.DM_CLOSED)
    paused = await repo.enrolment(GUILD, 10)
    assert paused is not None
    assert (paused.status, paused.pause_reason, paused.next_due) == (
        EnrolmentStatus.PAUSED,
        PauseReason.DM_CLOSED,
        None,
    )
    assert await repo.take_pause_notice(GUILD, 10) is PauseReason.DM_CLOSED
    assert await repo.take_pause_notice(GUILD, 10) is None  # told once
    later = T0 + timedelta(weeks=5)
    resumed = await repo.resume(GUILD, 10, later)
    assert resumed is not None
    assert resumed.active
    assert resumed.anchor_date == enrolment.anchor_date  # same rhythm
    assert resumed.next_due is not None
    assert resumed.next_due > later
    assert await repo.stop(GUILD, 10, later)
    stopped = await repo.enrolment(GUILD, 10)
    assert stopped is not None
    assert stopped.status is EnrolmentStatus.STOPPED
    assert await repo.resume(GUILD, 10, later) is None  # stopped is not paused
    assert not await repo.pause(GUILD, 10, later)


async def test_a_claim_is_recorded_once_per_period(db: Database) -> None:
    repo = CheckinRepository(db)
    enrolment = await repo.enrol(GUILD, 10, FORTNIGHTLY, T0)
    assert enrolment.next_due is not None
    assert await repo.claim_due(enrolment.next_due - timedelta(seconds=1), "run", 10) == []
    [claim] = await repo.claim_due(enrolment.next_due, "run", 10)
    assert (claim.period, claim.attempt) == ("2025-01-20", 1)
    assert await repo.claim_due(enrolment.next_due, "run", 10) == []  # moved on already
    moved = await repo.enrolment(GUILD, 10)
    assert moved is not None
    assert moved.next_due == occurrence(FORTNIGHTLY, enrolment.anchor_date, 1).at
    # Even a schedule change landing on the same day cannot claim that period again.
    await repo.enrol(GUILD, 10, Schedule(2, 0, 9, "Europe/Berlin"), T0)
    assert await repo.claim_due(enrolment.next_due, "run", 10) == []
    with pytest.raises(sqlite3.IntegrityError):
        await db.execute(
            "INSERT INTO checkin_reminders (enrolment_id, guild_id, user_id, period, due_utc,"
            " state, claimed_at) VALUES (?, ?, ?, ?, '', 'claimed', '')",
            (enrolment.id, GUILD, 10, claim.period),
        )


async def test_downtime_of_three_periods_claims_one_reminder(db: Database) -> None:
    repo = CheckinRepository(db)
    enrolment = await repo.enrol(GUILD, 10, FORTNIGHTLY, T0)
    anchor = enrolment.anchor_date
    back = occurrence(FORTNIGHTLY, anchor, 2).at + timedelta(hours=3)  # three periods due
    [claim] = await repo.claim_due(back, "run", 10)
    assert claim.period == occurrence(FORTNIGHTLY, anchor, 2).period
    log = await repo.reminder_log(GUILD)
    assert sorted((e.period, e.state, e.reason) for e in log) == [
        (occurrence(FORTNIGHTLY, anchor, 0).period, ReminderState.SKIPPED, "superseded"),
        (occurrence(FORTNIGHTLY, anchor, 1).period, ReminderState.SKIPPED, "superseded"),
        (claim.period, ReminderState.CLAIMED, None),
    ]
    moved = await repo.enrolment(GUILD, 10)
    assert moved is not None
    assert moved.next_due == occurrence(FORTNIGHTLY, anchor, 3).at


async def test_finishing_records_the_outcome_and_can_pause(db: Database) -> None:
    repo = CheckinRepository(db)
    enrolment = await repo.enrol(GUILD, 10, FORTNIGHTLY, T0)
    assert enrolment.next_due is not None
    [claim] = await repo.claim_due(enrolment.next_due, "run", 10)
    await repo.finish(claim, ReminderState.FAILED, T0, reason="gone", pause=PauseReason.GONE)
    [entry] = await repo.reminder_log(GUILD, user_id=10)
    assert (entry.state, entry.reason, entry.finished_at) == (ReminderState.FAILED, "gone", T0)
    paused = await repo.enrolment(GUILD, 10)
    assert paused is not None
    assert paused.pause_reason is PauseReason.GONE
    # A second outcome for the same claim changes nothing: the first one stands.
    await repo.finish(claim, ReminderState.SENT, T0)
    assert (await repo.reminder_log(GUILD))[0].state is ReminderState.FAILED


async def test_interrupted_claims_are_taken_over_once_then_closed(db: Database) -> None:
    repo = CheckinRepository(db)
    enrolment = await repo.enrol(GUILD, 10, FORTNIGHTLY, T0)
    assert enrolment.next_due is not None
    now = enrolment.next_due
    [claim] = await repo.claim_due(now, "crashed-run", 10)
    assert await repo.reclaim_interrupted(now, "crashed-run") == []  # its own claims
    [again] = await repo.reclaim_interrupted(now, "new-run")
    assert (again.id, again.attempt) == (claim.id, 2)
    assert await repo.reclaim_interrupted(now, "new-run") == []
    [third] = await repo.reclaim_interrupted(now, "newer-run")
    assert third.attempt == 3
    assert await repo.reclaim_interrupted(now, "newest-run", max_attempts=3) == []
    [entry] = await repo.reminder_log(GUILD)
    assert (entry.state, entry.reason) == (ReminderState.FAILED, "interrupted")


async def test_old_interrupted_claims_expire(db: Database) -> None:
    repo = CheckinRepository(db)
    enrolment = await repo.enrol(GUILD, 10, FORTNIGHTLY, T0)
    assert enrolment.next_due is not None
    await repo.claim_due(enrolment.next_due, "crashed-run", 10)
    later = enrolment.next_due + timedelta(days=2)
    assert await repo.reclaim_interrupted(later, "new-run") == []
    assert (await repo.reminder_log(GUILD))[0].reason == "expired"


async def test_regimen_tracks_starts_stops_and_dose_changes(db: Database) -> None:
    repo = CheckinRepository(db)
    added = await repo.start_treatments(
        GUILD, 10, [("finasteride", "2024-06"), ("ketoconazole", None)], T0, source="survey"
    )
    assert added == 2
    assert await repo.start_treatments(GUILD, 10, [("finasteride", "2025-01")], T0) == 0
    assert await repo.change_dose(GUILD, 10, "finasteride", "2025-01", T0)
    assert await repo.stop_treatment(GUILD, 10, "ketoconazole", "2025-01", T0)
    assert not await repo.stop_treatment(GUILD, 10, "ketoconazole", "2025-02", T0)
    assert await repo.start_treatments(GUILD, 10, [("ketoconazole", "2025-03")], T0) == 1
    regimen = await repo.regimen(GUILD, 10)
    assert [(e.treatment_id, e.current) for e in regimen] == [
        ("finasteride", True),
        ("ketoconazole", True),
        ("ketoconazole", False),
    ]
    assert regimen[0].dose_changed_month == "2025-01"
    assert regimen[0].source == "survey"
    with pytest.raises(sqlite3.IntegrityError):
        await repo.stop_treatment(GUILD, 10, "finasteride", "January", T0)


async def test_check_in_answers_round_trip(db: Database) -> None:
    repo = CheckinRepository(db)
    response = await repo.create_response(GUILD, 10, 1, T0, period="2025-01-20")
    given = {
        ("current", ""): Answer(("finasteride", "ketoconazole")),
        ("regimen.status", "finasteride"): Answer(("still_using",)),
        ("itch", ""): Answer(number=3),
        ("note", ""): Answer(skipped=True),
    }
    for key, answer in given.items():
        await repo.save_answer(response.id, key, answer, T0)
    await repo.save_answer(response.id, ("itch", ""), Answer(number=4), T0)  # changed
    assert await repo.answers(response.id) == {**given, ("itch", ""): Answer(number=4)}
    await repo.complete_response(response.id, T0)
    [stored] = await repo.responses(GUILD, 10)
    assert stored.completed
    assert stored.period == "2025-01-20"


async def _rows_about(db: Database, guild_id: int, user_id: int) -> dict[str, int]:
    counts = {}
    for table in CHECKIN_TABLES:
        row = await db.fetchone(
            f"SELECT count(*) FROM {table} WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
        assert row is not None
        counts[table] = row[0]
    for table in ("checkin_answers", "checkin_answer_choices"):
        row = await db.fetchone(f"SELECT count(*) FROM {table}")
        assert row is not None
        counts[table] = row[0]
    return counts


async def test_erasure_leaves_nothing_about_the_member(db: Database) -> None:
    repo = CheckinRepository(db)
    for guild in (GUILD, OTHER_GUILD):
        enrolment = await repo.enrol(guild, 10, FORTNIGHTLY, T0)
        assert enrolment.next_due is not None
        back = enrolment.next_due + timedelta(weeks=5)
        await repo.claim_due(back, "run", 10)
        await repo.start_treatments(guild, 10, [("finasteride", "2024-06")], T0)
    response = await repo.create_response(GUILD, 10, 1, T0, period=None)
    await repo.save_answer(response.id, ("current", ""), Answer(("finasteride",)), T0)

    erased = await repo.erase_member(GUILD, 10)
    assert (erased.enrolments, erased.regimen_entries, erased.responses) == (1, 1, 1)
    assert erased.reminders == 3
    assert set((await _rows_about(db, GUILD, 10)).values()) == {0}
    other = await _rows_about(db, OTHER_GUILD, 10)  # the other server keeps its own
    assert other["checkin_enrolments"] == other["regimen_entries"] == 1


async def test_erasure_joins_the_callers_transaction(db: Database) -> None:
    repo = CheckinRepository(db)
    await repo.enrol(GUILD, 10, FORTNIGHTLY, T0)

    async def erase_then_fail() -> None:
        async with db.transaction() as conn:
            await erase_member(conn, GUILD, 10)
            raise RuntimeError("the survey part of /survey delete failed")

    with pytest.raises(RuntimeError):
        await erase_then_fail()
    assert await repo.enrolment(GUILD, 10) is not None  # all or nothing


def test_the_check_in_questionnaire_loads_and_speaks_the_surveys_treatment_ids() -> None:
    from bot.survey.flow import applicable_steps
    from bot.survey.questionnaire import BUNDLED, load_questionnaire

    checkin = load_questionnaire(BUNDLED.parent / "checkin-v1.toml")
    survey = load_questionnaire(BUNDLED)
    treatment_ids = {c.id for c in survey["treatments"].choices}
    assert {c.id for c in checkin["current"].choices} == treatment_ids
    assert {c.id for c in checkin["started"].choices} == treatment_ids
    answers = {
        ("current", ""): Answer(("finasteride", "ketoconazole")),
        ("started", ""): Answer(("prp",)),
    }
    assert [s.key for s in applicable_steps(checkin, answers)] == [
        "current",
        "regimen/finasteride",
        "regimen/ketoconazole",
        "started",
        "started_when/prp",
        "shedding",
        "itch",
        "burning",
        "satisfaction",
        "note",
    ]
