"""The reminder scheduler on a real database and a manual clock: no test waits on real time.

The send callback stands in for Discord: it records when (on the clock) each reminder
went out, which is what the rate-limit and exactly-once assertions read.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest

from bot.checkins.pacing import TokenBucket
from bot.checkins.scheduler import Outcome, Pacing, ReminderScheduler
from bot.clock import ManualClock
from bot.schedule import Schedule
from bot.storage import Database
from bot.storage.checkins import (
    CheckinRepository,
    EnrolmentStatus,
    PauseReason,
    Reminder,
    ReminderState,
)
from bot.storage.location import DatabaseLocation

T = TypeVar("T")

GUILD = 1
T0 = datetime(2025, 1, 7, 10, tzinfo=UTC)  # a Tuesday
MONDAY_9 = Schedule(4, 0, 9, "UTC")
FIRST_DUE = datetime(2025, 2, 3, 9, tzinfo=UTC)  # first_due(MONDAY_9, T0)
STEP_TIMEOUT = 30  # real seconds the code under test may take to park on the clock


class FakeDiscord:
    """Records each delivery with the clock time; answers with a chosen outcome."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.sent: list[tuple[int, str, datetime]] = []
        self.outcome: Callable[[Reminder], Outcome] = lambda _: Outcome.SENT

    async def send(self, reminder: Reminder) -> Outcome:
        await asyncio.sleep(0)  # a real send suspends: a stop() can land here
        outcome = self.outcome(reminder)
        if outcome is Outcome.SENT:
            self.sent.append((reminder.user_id, reminder.period, self.clock.now()))
        return outcome

    def per_member(self) -> Counter[tuple[int, str]]:
        return Counter((user, period) for user, period, _ in self.sent)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


async def unit(db: Database, work: Callable[[CheckinRepository], T]) -> T:
    """`work` on the check-in repository, as one unit of work."""
    return await db.run(lambda tx: work(CheckinRepository(tx)))


async def enrol(db: Database, members: range, schedule: Schedule = MONDAY_9) -> None:
    await asyncio.gather(
        *(unit(db, lambda r, u=user: r.enrol(GUILD, u, schedule, T0)) for user in members)
    )


async def run_until(
    clock: ManualClock, instant: datetime, *, stop_when: Callable[[], bool] = lambda: False
) -> None:
    """Move the clock sleeper by sleeper (waking each at its own deadline) up to `instant`.

    Returns once the next sleeper would wake after `instant` (the scheduler is idle), or
    as soon as `stop_when()` holds."""
    while not stop_when():
        await asyncio.wait_for(clock.wait_for_sleepers(), STEP_TIMEOUT)
        deadline = clock.next_deadline
        assert deadline is not None
        if deadline > instant:
            clock.set(instant)
            return
        clock.advance_to_next()


def scheduler(
    db: Database, discord: FakeDiscord, clock: ManualClock, **kwargs: object
) -> ReminderScheduler:
    kwargs.setdefault("poll_seconds", 6 * 3600)  # weeks pass in these tests: poll rarely
    return ReminderScheduler(
        db,
        discord.send,
        clock=clock,
        rng=random.Random(12),
        **kwargs,  # type: ignore[arg-type]
    )


def max_requests_in_any_second(times: list[datetime], per_send: int) -> int:
    ordered = sorted(times)
    most, start = 0, 0
    for end, instant in enumerate(ordered):
        while ordered[start] <= instant - timedelta(seconds=1):
            start += 1
        most = max(most, (end - start + 1) * per_send)
    return most


@pytest.mark.slow
async def test_a_burst_of_10000_is_paced_and_sent_exactly_once(
    db: Database, clock: ManualClock
) -> None:
    await enrol(db, range(10_000))
    discord = FakeDiscord(clock)
    reminders = scheduler(db, discord, clock, batch_size=500)
    reminders.start()
    try:
        await run_until(clock, FIRST_DUE + timedelta(hours=1))
    finally:
        await reminders.stop()

    assert len(discord.sent) == 10_000
    assert set(discord.per_member().values()) == {1}
    times = [at for _, _, at in discord.sent]
    assert min(times) >= FIRST_DUE
    pacing = Pacing()
    limit, cost = pacing.max_requests_per_second, pacing.requests_per_reminder
    assert max_requests_in_any_second(times, per_send=cost) <= limit
    # Paced, not dribbled: close to the rate allowed (the bucket's steady rate per reminder).
    assert max(times) - FIRST_DUE < timedelta(seconds=10_000 * cost / (limit - cost) + 60)
    assert await unit(db, lambda r: r.reminder_counts()) == {ReminderState.SENT: 10_000}


async def test_a_crash_between_claim_and_send_never_duplicates_or_loses(
    db_location: DatabaseLocation, clock: ManualClock
) -> None:
    path = db_location
    discord = FakeDiscord(clock)
    members = range(300)
    async with await Database.open(path) as db:
        await enrol(db, members)
        first = scheduler(db, discord, clock, batch_size=100)
        first.start()
        await run_until(
            clock, FIRST_DUE + timedelta(hours=1), stop_when=lambda: len(discord.sent) >= 120
        )
        await first.stop()  # mid-batch: claims are held, some sends were in flight
        counts = await unit(db, lambda r: r.reminder_counts())
        assert counts[ReminderState.CLAIMED] > 0
        assert counts[ReminderState.SENT] == len(discord.sent) < 300

    async with await Database.open(path) as db:  # "restart": a new process, a new run
        second = scheduler(db, discord, clock, batch_size=100)
        second.start()
        try:
            await run_until(clock, FIRST_DUE + timedelta(hours=2))
        finally:
            await second.stop()
        assert discord.per_member() == Counter(
            {(m, FIRST_DUE.date().isoformat()): 1 for m in members}
        )
        assert await unit(db, lambda r: r.reminder_counts()) == {ReminderState.SENT: 300}
        retried = await db.read(
            lambda tx: tx.value("SELECT count(*) FROM checkin_reminders WHERE attempts = 2")
        )
        assert retried > 0


async def test_downtime_of_three_periods_sends_one_reminder(
    db: Database, clock: ManualClock
) -> None:
    fortnightly = Schedule(2, 0, 9, "UTC")
    await unit(db, lambda r: r.enrol(GUILD, 7, fortnightly, T0))
    first = datetime(2025, 1, 20, 9, tzinfo=UTC)
    clock.set(first + timedelta(weeks=4, hours=5))  # the bot was down for three periods
    discord = FakeDiscord(clock)
    reminders = scheduler(db, discord, clock)
    reminders.start()
    try:
        await run_until(clock, first + timedelta(weeks=5))
        assert [(u, p) for u, p, _ in discord.sent] == [(7, "2025-02-17")]
        await run_until(clock, first + timedelta(weeks=6, hours=1))  # the next period
    finally:
        await reminders.stop()
    assert [p for _, p, _ in discord.sent] == ["2025-02-17", "2025-03-03"]
    log = {e.period: (e.state, e.reason) for e in await unit(db, lambda r: r.reminder_log(GUILD))}
    assert log == {
        "2025-01-20": (ReminderState.SKIPPED, "superseded"),
        "2025-02-03": (ReminderState.SKIPPED, "superseded"),
        "2025-02-17": (ReminderState.SENT, None),
        "2025-03-03": (ReminderState.SENT, None),
    }


@pytest.mark.parametrize(
    ("outcome", "reason"),
    [(Outcome.DM_CLOSED, PauseReason.DM_CLOSED), (Outcome.GONE, PauseReason.GONE)],
)
async def test_closed_dms_or_a_departed_member_pause_the_schedule(
    db: Database, clock: ManualClock, outcome: Outcome, reason: PauseReason
) -> None:
    await enrol(db, range(2))
    discord = FakeDiscord(clock)
    discord.outcome = lambda r: outcome if r.user_id == 0 else Outcome.SENT
    reminders = scheduler(db, discord, clock)
    reminders.start()
    try:
        await run_until(clock, FIRST_DUE + timedelta(weeks=9))  # two more periods pass
    finally:
        await reminders.stop()
    paused = await unit(db, lambda r: r.enrolment(GUILD, 0))
    assert paused is not None
    assert (paused.status, paused.pause_reason) == (EnrolmentStatus.PAUSED, reason)
    [entry] = await unit(
        db, lambda r: r.reminder_log(GUILD, user_id=0)
    )  # tried once, not every period
    assert (entry.state, entry.reason) == (ReminderState.FAILED, outcome.value)
    assert await unit(db, lambda r: r.take_pause_notice(GUILD, 0)) is reason
    assert (
        len(await unit(db, lambda r: r.reminder_log(GUILD, user_id=1))) == 3
    )  # the other member carries on


async def test_a_false_condition_skips_and_logs_without_sending(
    db: Database, clock: ManualClock
) -> None:
    await enrol(db, range(3))
    discord = FakeDiscord(clock)
    enabled = False
    checked: list[int] = []

    async def checkins_enabled(reminder: Reminder) -> bool:
        checked.append(reminder.user_id)
        return enabled

    reminders = scheduler(db, discord, clock, should_send=checkins_enabled)
    reminders.start()
    try:
        await run_until(clock, FIRST_DUE + timedelta(hours=1))
        assert discord.sent == []
        assert sorted(checked) == [0, 1, 2]
        log = await unit(db, lambda r: r.reminder_log(GUILD))
        assert {(e.state, e.reason) for e in log} == {(ReminderState.SKIPPED, "condition")}
        enabled = True  # a moderator switches check-ins back on
        await run_until(clock, FIRST_DUE + timedelta(weeks=4, hours=1))
    finally:
        await reminders.stop()
    assert sorted(u for u, _, _ in discord.sent) == [0, 1, 2]
    still = await unit(db, lambda r: r.enrolment(GUILD, 0))
    assert still is not None
    assert still.active


async def test_a_member_who_stopped_after_the_claim_is_not_reminded(
    db: Database, clock: ManualClock
) -> None:
    await enrol(db, range(2))

    async def member_one_stops_meanwhile(reminder: Reminder) -> bool:
        if reminder.user_id == 1:  # e.g. /checkin stop, between the claim and the send
            now = clock.now()
            await unit(db, lambda r: r.stop(GUILD, 1, now))
        return True

    discord = FakeDiscord(clock)
    reminders = scheduler(db, discord, clock, should_send=member_one_stops_meanwhile)
    reminders.start()
    try:
        await run_until(clock, FIRST_DUE + timedelta(hours=1))
    finally:
        await reminders.stop()
    assert [u for u, _, _ in discord.sent] == [0]
    [entry] = await unit(db, lambda r: r.reminder_log(GUILD, user_id=1))
    assert (entry.state, entry.reason) == (ReminderState.SKIPPED, "not_active")


async def test_a_send_that_raises_is_logged_as_failed_and_the_loop_goes_on(
    db: Database, clock: ManualClock
) -> None:
    await enrol(db, range(3))
    discord = FakeDiscord(clock)

    def explode_for_one(reminder: Reminder) -> Outcome:
        if reminder.user_id == 1:
            raise RuntimeError("HTTP 500")
        return Outcome.SENT

    discord.outcome = explode_for_one
    reminders = scheduler(db, discord, clock)
    reminders.start()
    try:
        await run_until(clock, FIRST_DUE + timedelta(hours=1))
    finally:
        await reminders.stop()
    assert sorted(u for u, _, _ in discord.sent) == [0, 2]
    [entry] = await unit(db, lambda r: r.reminder_log(GUILD, user_id=1))
    assert (entry.state, entry.reason) == (ReminderState.FAILED, "send_failed")
    assert reminders.counts == Counter({"sent": 2, "failed": 1})


async def test_the_scheduler_sleeps_until_the_next_due_time(
    db: Database, clock: ManualClock
) -> None:
    reminders = scheduler(db, FakeDiscord(clock), clock, poll_seconds=600)
    reminders.start()
    try:
        await asyncio.wait_for(clock.wait_for_sleepers(), STEP_TIMEOUT)
        assert clock.next_deadline == T0 + timedelta(seconds=600)  # nothing enrolled: poll
        await enrol(db, range(1))
        clock.advance_to_next()
        await asyncio.wait_for(clock.wait_for_sleepers(), STEP_TIMEOUT)
        assert clock.next_deadline == T0 + timedelta(seconds=1200)
        assert reminders.running
    finally:
        await reminders.stop()
    assert not reminders.running


async def test_the_token_bucket_never_exceeds_the_limit_in_any_second() -> None:
    clock = ManualClock(T0)
    bucket = TokenBucket.per_second(clock, limit=10, cost=2)
    taken: list[datetime] = []

    async def taker() -> None:
        for _ in range(50):
            await bucket.take(2)
            taken.append(clock.now())

    task = asyncio.create_task(taker())
    while not task.done():
        await asyncio.sleep(0)
        clock.advance_to_next()
    assert max_requests_in_any_second(taken, per_send=2) <= 10
    with pytest.raises(ValueError, match="less than the limit"):
        TokenBucket.per_second(clock, limit=2, cost=2)
