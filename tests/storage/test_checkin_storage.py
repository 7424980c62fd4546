"""The check-in repository on a real SQLite file: enrolment, claims, regimen, answers, erasure."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

import pytest

from bot.checkins.scheduler import claim_due
from bot.schedule import Schedule, occurrence
from bot.storage import Database
from bot.storage.checkins import (
    CheckinRepository,
    EnrolmentStatus,
    PauseReason,
    ReminderState,
)
from bot.storage.clock import stamp
from bot.storage.responses import Answer, ResponseRepository, checkin_tables
from bot.storage.tx import Tx
from tests.databases import INTEGRITY_ERRORS

T = TypeVar("T")

GUILD, OTHER_GUILD = 1, 2
T0 = datetime(2025, 1, 7, 10, tzinfo=UTC)
FORTNIGHTLY = Schedule(2, 0, 9, "Europe/Berlin")

CHECKIN_TABLES = (
    "checkin_enrolments",
    "checkin_reminders",
    "regimen_entries",
    "checkin_responses",
)


async def unit(db: Database, work: Callable[[CheckinRepository], T]) -> T:
    """`work` on the check-in repository, as one unit of work."""
    return await db.run(lambda tx: work(CheckinRepository(tx)))


def responses(tx: Tx, at: datetime = T0) -> ResponseRepository:
    """The check-in responses, with `at` as the clock."""
    return checkin_tables(lambda: stamp(at)).on(tx)


async def test_enrolment_starts_active_about_one_interval_ahead(db: Database) -> None:
    enrolment = await unit(db, lambda r: r.enrol(GUILD, 10, FORTNIGHTLY, T0))
    assert enrolment.active
    assert enrolment.next_due == datetime(2025, 1, 20, 8, tzinfo=UTC)  # Monday 09:00 CET
    assert enrolment.anchor_date == date(2025, 1, 20)
    assert await unit(db, lambda r: r.enrolment(GUILD, 10)) == enrolment
    assert await unit(db, lambda r: r.enrolment(OTHER_GUILD, 10)) is None


async def test_pause_resume_stop_and_the_pause_notice(db: Database) -> None:
    enrolment = await unit(db, lambda r: r.enrol(GUILD, 10, FORTNIGHTLY, T0))
    assert await unit(db, lambda r: r.pause(GUILD, 10, T0, PauseReason.DM_CLOSED))
    paused = await unit(db, lambda r: r.enrolment(GUILD, 10))
    assert paused is not None
    assert (paused.status, paused.pause_reason, paused.next_due) == (
        EnrolmentStatus.PAUSED,
        PauseReason.DM_CLOSED,
        None,
    )
    assert await unit(db, lambda r: r.take_pause_notice(GUILD, 10)) is PauseReason.DM_CLOSED
    assert await unit(db, lambda r: r.take_pause_notice(GUILD, 10)) is None  # told once
    later = T0 + timedelta(weeks=5)
    resumed = await unit(db, lambda r: r.resume(GUILD, 10, later))
    assert resumed is not None
    assert resumed.active
    assert resumed.anchor_date == enrolment.anchor_date  # same rhythm
    assert resumed.next_due is not None
    assert resumed.next_due > later
    assert await unit(db, lambda r: r.stop(GUILD, 10, later))
    stopped = await unit(db, lambda r: r.enrolment(GUILD, 10))
    assert stopped is not None
    assert stopped.status is EnrolmentStatus.STOPPED
    assert await unit(db, lambda r: r.resume(GUILD, 10, later)) is None  # stopped is not paused
    assert not await unit(db, lambda r: r.pause(GUILD, 10, later))


async def test_a_claim_is_recorded_once_per_period(db: Database) -> None:
    enrolment = await unit(db, lambda r: r.enrol(GUILD, 10, FORTNIGHTLY, T0))
    due = enrolment.next_due
    assert due is not None
    assert await unit(db, lambda r: claim_due(r, due - timedelta(seconds=1), "run", 10)) == []
    [claim] = await unit(db, lambda r: claim_due(r, due, "run", 10))
    assert (claim.period, claim.attempt) == ("2025-01-20", 1)
    assert await unit(db, lambda r: claim_due(r, due, "run", 10)) == []  # moved on already
    moved = await unit(db, lambda r: r.enrolment(GUILD, 10))
    assert moved is not None
    assert moved.next_due == occurrence(FORTNIGHTLY, enrolment.anchor_date, 1).at
    # Even a schedule change landing on the same day cannot claim that period again.
    await unit(db, lambda r: r.enrol(GUILD, 10, Schedule(2, 0, 9, "Europe/Berlin"), T0))
    assert await unit(db, lambda r: claim_due(r, due, "run", 10)) == []
    with pytest.raises(INTEGRITY_ERRORS):
        await db.run(
            lambda tx: tx.run(
                "INSERT INTO checkin_reminders (enrolment_id, guild_id, user_id, period,"
                " due_utc, state, claimed_at) VALUES (?, ?, ?, ?, '', 'claimed', '')",
                (enrolment.id, GUILD, 10, claim.period),
            )
        )


async def test_downtime_of_three_periods_claims_one_reminder(db: Database) -> None:
    enrolment = await unit(db, lambda r: r.enrol(GUILD, 10, FORTNIGHTLY, T0))
    anchor = enrolment.anchor_date
    back = occurrence(FORTNIGHTLY, anchor, 2).at + timedelta(hours=3)  # three periods due
    [claim] = await unit(db, lambda r: claim_due(r, back, "run", 10))
    assert claim.period == occurrence(FORTNIGHTLY, anchor, 2).period
    log = await unit(db, lambda r: r.reminder_log(GUILD))
    assert sorted((e.period, e.state, e.reason) for e in log) == [
        (occurrence(FORTNIGHTLY, anchor, 0).period, ReminderState.SKIPPED, "superseded"),
        (occurrence(FORTNIGHTLY, anchor, 1).period, ReminderState.SKIPPED, "superseded"),
        (claim.period, ReminderState.CLAIMED, None),
    ]
    moved = await unit(db, lambda r: r.enrolment(GUILD, 10))
    assert moved is not None
    assert moved.next_due == occurrence(FORTNIGHTLY, anchor, 3).at


async def test_finishing_records_the_outcome_and_can_pause(db: Database) -> None:
    enrolment = await unit(db, lambda r: r.enrol(GUILD, 10, FORTNIGHTLY, T0))
    due = enrolment.next_due
    assert due is not None
    [claim] = await unit(db, lambda r: claim_due(r, due, "run", 10))
    await unit(
        db,
        lambda r: r.finish(claim, ReminderState.FAILED, T0, reason="gone", pause=PauseReason.GONE),
    )
    [entry] = await unit(db, lambda r: r.reminder_log(GUILD, user_id=10))
    assert (entry.state, entry.reason, entry.finished_at) == (ReminderState.FAILED, "gone", T0)
    paused = await unit(db, lambda r: r.enrolment(GUILD, 10))
    assert paused is not None
    assert paused.pause_reason is PauseReason.GONE
    # A second outcome for the same claim changes nothing: the first one stands.
    await unit(db, lambda r: r.finish(claim, ReminderState.SENT, T0))
    assert (await unit(db, lambda r: r.reminder_log(GUILD)))[0].state is ReminderState.FAILED


async def test_interrupted_claims_are_taken_over_once_then_closed(db: Database) -> None:
    enrolment = await unit(db, lambda r: r.enrol(GUILD, 10, FORTNIGHTLY, T0))
    now = enrolment.next_due
    assert now is not None
    [claim] = await unit(db, lambda r: claim_due(r, now, "crashed-run", 10))
    assert await unit(db, lambda r: r.reclaim_interrupted(now, "crashed-run")) == []  # its own
    [again] = await unit(db, lambda r: r.reclaim_interrupted(now, "new-run"))
    assert (again.id, again.attempt) == (claim.id, 2)
    assert await unit(db, lambda r: r.reclaim_interrupted(now, "new-run")) == []
    [third] = await unit(db, lambda r: r.reclaim_interrupted(now, "newer-run"))
    assert third.attempt == 3
    assert await unit(db, lambda r: r.reclaim_interrupted(now, "newest-run", max_attempts=3)) == []
    [entry] = await unit(db, lambda r: r.reminder_log(GUILD))
    assert (entry.state, entry.reason) == (ReminderState.FAILED, "interrupted")


async def test_old_interrupted_claims_expire(db: Database) -> None:
    enrolment = await unit(db, lambda r: r.enrol(GUILD, 10, FORTNIGHTLY, T0))
    due = enrolment.next_due
    assert due is not None
    await unit(db, lambda r: claim_due(r, due, "crashed-run", 10))
    later = due + timedelta(days=2)
    assert await unit(db, lambda r: r.reclaim_interrupted(later, "new-run")) == []
    assert (await unit(db, lambda r: r.reminder_log(GUILD)))[0].reason == "expired"


async def test_regimen_tracks_starts_stops_and_dose_changes(db: Database) -> None:
    added = await unit(
        db,
        lambda r: r.start_treatments(
            GUILD, 10, [("finasteride", "2024-06"), ("ketoconazole", None)], T0, source="survey"
        ),
    )
    assert added == 2
    assert (
        await unit(db, lambda r: r.start_treatments(GUILD, 10, [("finasteride", "2025-01")], T0))
        == 0
    )
    assert await unit(db, lambda r: r.change_dose(GUILD, 10, "finasteride", "2025-01", T0))
    assert await unit(db, lambda r: r.stop_treatment(GUILD, 10, "ketoconazole", "2025-01", T0))
    assert not await unit(db, lambda r: r.stop_treatment(GUILD, 10, "ketoconazole", "2025-02", T0))
    assert (
        await unit(db, lambda r: r.start_treatments(GUILD, 10, [("ketoconazole", "2025-03")], T0))
        == 1
    )
    regimen = await unit(db, lambda r: r.regimen(GUILD, 10))
    assert [(e.treatment_id, e.current) for e in regimen] == [
        ("finasteride", True),
        ("ketoconazole", True),
        ("ketoconazole", False),
    ]
    assert regimen[0].dose_changed_month == "2025-01"
    assert regimen[0].source == "survey"
    with pytest.raises(INTEGRITY_ERRORS):
        await unit(db, lambda r: r.stop_treatment(GUILD, 10, "finasteride", "January", T0))


async def test_check_in_answers_round_trip(db: Database) -> None:
    """Check-ins are answered on the survey's response code, in their own tables."""
    given = {
        ("current", ""): Answer(("finasteride", "ketoconazole")),
        ("regimen.status", "finasteride"): Answer(("still_using",)),
        ("itch", ""): Answer(number=3),
        ("note", ""): Answer(skipped=True),
    }
    response = await db.run(
        lambda tx: responses(tx).create(GUILD, 10, 1, "dm", period="2025-01-20")
    )

    def answer(tx: Tx) -> None:
        for key, value in given.items():
            responses(tx).save_answer(response.id, key, value)
        responses(tx).save_answer(response.id, ("itch", ""), Answer(number=4))  # changed

    await db.run(answer)
    stored = await db.read(lambda tx: responses(tx).answers(response.id))
    assert stored == {**given, ("itch", ""): Answer(number=4)}
    await db.run(lambda tx: responses(tx).update(response.id, position=None, completed=True))
    [done] = await db.read(lambda tx: responses(tx).history(GUILD, 10))
    assert done.completed
    period = await db.read(
        lambda tx: tx.value("SELECT period FROM checkin_responses WHERE id = ?", (done.id,))
    )
    assert period == "2025-01-20"


async def _rows_about(db: Database, guild_id: int, user_id: int) -> dict[str, int]:
    def count(tx: Tx) -> dict[str, int]:
        counts = {}
        for table in CHECKIN_TABLES:
            counts[table] = tx.value(
                f"SELECT count(*) FROM {table} WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            )
        for table in ("checkin_answers", "checkin_answer_choices"):
            counts[table] = tx.value(f"SELECT count(*) FROM {table}")
        return counts

    return await db.read(count)


async def test_erasure_leaves_nothing_about_the_member(db: Database) -> None:
    for guild in (GUILD, OTHER_GUILD):
        enrolment = await unit(db, lambda r, g=guild: r.enrol(g, 10, FORTNIGHTLY, T0))
        assert enrolment.next_due is not None
        back = enrolment.next_due + timedelta(weeks=5)
        await unit(db, lambda r, b=back: claim_due(r, b, "run", 10))
        await unit(
            db, lambda r, g=guild: r.start_treatments(g, 10, [("finasteride", "2024-06")], T0)
        )

    def answer(tx: Tx) -> None:
        response = responses(tx).create(GUILD, 10, 1, "dm")
        responses(tx).save_answer(response.id, ("current", ""), Answer(("finasteride",)))

    await db.run(answer)

    erased = await unit(db, lambda r: r.erase_member(GUILD, 10))
    assert (erased.enrolments, erased.regimen_entries, erased.responses) == (1, 1, 1)
    assert erased.reminders == 3
    assert set((await _rows_about(db, GUILD, 10)).values()) == {0}
    other = await _rows_about(db, OTHER_GUILD, 10)  # the other server keeps its own
    assert other["checkin_enrolments"] == other["regimen_entries"] == 1


async def test_erasure_joins_the_callers_transaction(db: Database) -> None:
    await unit(db, lambda r: r.enrol(GUILD, 10, FORTNIGHTLY, T0))

    def erase_then_fail(tx: Tx) -> None:
        CheckinRepository(tx).erase_member(GUILD, 10)
        raise RuntimeError("the survey part of /survey delete failed")

    with pytest.raises(RuntimeError):
        await db.run(erase_then_fail)
    assert await unit(db, lambda r: r.enrolment(GUILD, 10)) is not None  # all or nothing


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
