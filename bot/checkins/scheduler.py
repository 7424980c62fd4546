"""The background task that sends due check-in reminders.

Claiming comes first: `claim_due`, run as one unit of work, logs the period and moves the
enrolment on in one transaction, so a period is claimed at most once, and a crash between
claim and send leaves a claim the next run takes over (`reclaim_interrupted`) instead of a
period that is forgotten or sent twice. It is also where missed reminders are decided: after
downtime the periods that came and went collapse into one reminder, for the latest. After
that, each reminder:

1. is checked again just before sending (enrolment still active, the Discord side's
   `should_send` predicate: check-ins still on in the server, and so on); if not, it is
   logged as skipped;
2. waits for the token bucket, which keeps the bot's own reminder traffic under
   `max_requests_per_second` (opening a DM channel and sending the message count as two)
   with room left for everything else the bot does under Discord's global 50/s;
3. is handed to `send`, and its outcome recorded: a closed DM or a member who left every
   shared server pauses the enrolment instead of failing again each period.

Claimed batches are shuffled and start after a random delay (jitter), so a burst
(everyone picked Monday 09:00) is spread out and nobody is always last. Sends run
concurrently up to `max_in_flight`; the loop awaits between steps and yields between
batches, so the event loop stays free for interactions during a burst.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.checkins.pacing import TokenBucket
from bot.clock import Clock
from bot.schedule import catch_up, next_due
from bot.shards import ShardScope
from bot.storage import Database
from bot.storage.checkins import CheckinRepository, PauseReason, Reminder, ReminderState

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    """What the Discord side reports after trying to deliver a reminder."""

    SENT = "sent"
    DM_CLOSED = "dm_closed"  # Discord error 50007
    GONE = "gone"  # the member shares no server with the bot any more
    FAILED = "failed"  # anything else; the next period tries again


SendReminder = Callable[[Reminder], Awaitable[Outcome]]
ShouldSend = Callable[[Reminder], Awaitable[bool]]

_RECORDS: dict[Outcome, tuple[ReminderState, str | None, PauseReason | None]] = {
    Outcome.SENT: (ReminderState.SENT, None, None),
    Outcome.DM_CLOSED: (ReminderState.FAILED, "dm_closed", PauseReason.DM_CLOSED),
    Outcome.GONE: (ReminderState.FAILED, "gone", PauseReason.GONE),
    Outcome.FAILED: (ReminderState.FAILED, "send_failed", None),
}


async def _always(_: Reminder) -> bool:
    return True


def claim_due(
    checkins: CheckinRepository,
    now: datetime,
    run_id: str,
    limit: int,
    scope: ShardScope | None = None,
) -> list[Reminder]:
    """Claim up to `limit` due reminders (of the servers in `scope`, when the bot is split
    over processes), in the caller's unit of work: each claim's log row and its enrolment's
    next due time are written together, so a period is claimed at most once.

    The missed-reminder policy: an enrolment whose due time passed while the bot was down
    gets one reminder, for the latest period that has come; the earlier ones are logged as
    superseded. One whose schedule no longer reads is stopped, so it never blocks the rest."""
    due, unusable = checkins.due_enrolments(now, limit, scope)
    for enrolment_id in unusable:
        log.warning("Stopping check-in enrolment %s: its schedule is unusable", enrolment_id)
        checkins.stop_unusable(enrolment_id, now)
    claimed: list[Reminder] = []
    for enrolment in due:
        assert enrolment.next_due is not None
        plan = catch_up(enrolment.schedule, enrolment.anchor_date, enrolment.next_due, now)
        if plan is None:  # the stored due time is not an occurrence that has come yet
            following = next_due(enrolment.schedule, enrolment.anchor_date, now)
        else:
            following = plan.following
            checkins.log_superseded(enrolment, plan.missed, now)
            if (reminder := checkins.claim(enrolment, plan.owed, run_id, now)) is not None:
                claimed.append(reminder)
        checkins.move_due(enrolment.id, following.at, now)
    return claimed + checkins.claim_snoozed(now, run_id, limit - len(claimed), scope)


@dataclass(frozen=True, slots=True)
class Pacing:
    # Discord allows 50/s globally and the bot paces all its requests to 45 (bot/app.py);
    # reminders keep to 36 of those, so lookups and survey DMs still get through.
    max_requests_per_second: int = 36
    requests_per_reminder: int = 2  # open the DM channel, send the message
    max_in_flight: int = 10
    batch_jitter_seconds: float = 1.0


class ReminderScheduler:
    def __init__(
        self,
        db: Database,
        send: SendReminder,
        *,
        clock: Clock,
        should_send: ShouldSend = _always,
        pacing: Pacing = Pacing(),
        scope: Callable[[], ShardScope | None] = lambda: None,
        batch_size: int = 200,
        poll_seconds: float = 60.0,
        rng: random.Random | None = None,
    ) -> None:
        self._db = db
        self._send = send
        self._should_send = should_send
        self._clock = clock
        self._pacing = pacing
        # The servers this process serves (asked each pass: known once Discord said how
        # many shards there are); a process sends only the reminders it can check.
        self._scope = scope
        self._bucket = TokenBucket.per_second(
            clock, pacing.max_requests_per_second, pacing.requests_per_reminder
        )
        self._slots = asyncio.Semaphore(pacing.max_in_flight)
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._rng = rng or random.Random()
        self._task: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        # Names this run's claims; a claim held by another run id was interrupted.
        self.run_id = uuid.uuid4().hex
        self.counts: Counter[str] = Counter()  # sent / skipped / failed, for logs and benches

    # -- life -------------------------------------------------------------------------------

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="checkin-reminders")

    async def stop(self) -> None:
        """Cancel the loop and any sends in flight; their claims are retried next run."""
        tasks = [t for t in (self._task, *self._in_flight) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._task = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _run(self) -> None:
        held = False
        while True:
            try:
                if not held:  # other processes now see this run's claims as in flight
                    await self._db.hold(self.run_id)
                    held = True
                # First, what a run that is gone left claimed (an earlier run of this
                # process, or another process that was killed).
                await self.resume_interrupted()
                await self.run_once()
                delay = await self._idle_seconds()
            except Exception:  # a database hiccup must not end reminders for good
                log.exception("Check-in reminder pass failed; retrying after the poll interval")
                delay = self._poll_seconds
            await self._clock.sleep(delay)

    async def _idle_seconds(self) -> float:
        scope = self._scope()
        due = await self._db.read(lambda tx: CheckinRepository(tx).next_due_at(scope))
        if due is None:
            return self._poll_seconds
        until = (due - self._clock.now()).total_seconds()
        return min(self._poll_seconds, until) if until > 0 else 1.0

    # -- one pass ---------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim and send everything due now; returns how many reminders were claimed."""
        claimed = 0
        while batch := await self._claim_due():
            claimed += len(batch)
            await self._dispatch(batch)
            await asyncio.sleep(0)  # let interactions in between batches
        await self._settle()
        return claimed

    async def _claim_due(self) -> list[Reminder]:
        now, run_id, limit, scope = self._clock.now(), self.run_id, self._batch_size, self._scope()
        return await self._db.run(
            lambda tx: claim_due(CheckinRepository(tx), now, run_id, limit, scope)
        )

    async def resume_interrupted(self) -> int:
        """Send the claims an earlier run left unfinished; returns how many were taken over."""
        now, run_id, scope = self._clock.now(), self.run_id, self._scope()
        reclaimed = await self._db.run(
            lambda tx: CheckinRepository(tx).reclaim_interrupted(now, run_id, scope=scope)
        )
        await self._dispatch(reclaimed, jitter=False)
        await self._settle()
        return len(reclaimed)

    async def _dispatch(self, batch: list[Reminder], *, jitter: bool = True) -> None:
        if not batch:
            return
        self._rng.shuffle(batch)
        if jitter and self._pacing.batch_jitter_seconds > 0:
            await self._clock.sleep(self._rng.uniform(0, self._pacing.batch_jitter_seconds))
        for reminder in batch:
            await self._slots.acquire()
            try:
                if not await self._still_wanted(reminder):
                    self._slots.release()
                    continue
                # Tokens last, then straight to sending: the bucket's timing is the send's.
                await self._bucket.take(self._pacing.requests_per_reminder)
            except BaseException:
                self._slots.release()
                raise
            task = asyncio.create_task(self._deliver(reminder))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def _settle(self) -> None:
        """Wait for the sends in flight (and their records) to finish."""
        while self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def _still_wanted(self, reminder: Reminder) -> bool:
        try:
            # The Discord-side check may be slow (fetching a member), the database one is
            # not: the latter goes last, nearest the send.
            if not await self._should_send(reminder):
                reason = "condition"
            elif not await self._db.read(
                lambda tx: CheckinRepository(tx).is_active(reminder.enrolment_id)
            ):
                reason = "not_active"
            else:
                return True
        except Exception:
            log.exception("Checking reminder %s failed; skipping it", reminder.id)
            reason = "check_failed"
        await self._record(reminder, ReminderState.SKIPPED, reason, None)
        return False

    async def _deliver(self, reminder: Reminder) -> None:
        try:
            outcome = await self._send(reminder)
        except Exception:
            log.exception("Sending check-in reminder %s failed", reminder.id)
            outcome = Outcome.FAILED
        finally:
            self._slots.release()
        state, reason, pause = _RECORDS[Outcome(outcome)]
        # Shielded: once Discord took the message, a stop() must not lose the record of it.
        await asyncio.shield(self._record(reminder, state, reason, pause))

    async def _record(
        self,
        reminder: Reminder,
        state: ReminderState,
        reason: str | None,
        pause: PauseReason | None,
    ) -> None:
        self.counts[state.value] += 1
        now = self._clock.now()
        await self._db.run(
            lambda tx: CheckinRepository(tx).finish(
                reminder, state, now, reason=reason, pause=pause
            )
        )
