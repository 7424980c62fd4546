"""Time as an injected dependency.

Code that waits for wall-clock time (the reminder scheduler, its rate limiter) takes a
`Clock` instead of calling `datetime.now` and `asyncio.sleep`, so tests can move time
forward with `ManualClock.advance` instead of sleeping.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Return once `seconds` have passed on this clock (at once when not positive)."""
        ...


class SystemClock:
    """The real clock: what the bot uses."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ManualClock:
    """A clock that only moves when a test says so.

    Sleepers wait on futures ordered by deadline; `advance` wakes every sleeper whose
    deadline has been reached. `wait_for_sleepers` lets a test wait (on an event, not on
    time) until the code under test is parked on the clock, so the test can then move it.
    """

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)
        self._sleepers: list[tuple[datetime, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._changed = asyncio.Event()

    def now(self) -> datetime:
        return self._now

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)  # still a yield point, as asyncio.sleep(0) is
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(
            self._sleepers, (self._now + timedelta(seconds=seconds), next(self._order), future)
        )
        self._changed.set()
        await future

    @property
    def sleeping(self) -> int:
        """How many coroutines are parked on this clock right now."""
        return sum(1 for _, _, future in self._sleepers if not future.done())

    @property
    def next_deadline(self) -> datetime | None:
        self._discard_finished()
        return self._sleepers[0][0] if self._sleepers else None

    def advance(self, delta: timedelta) -> None:
        """Move time forward and wake every sleeper whose deadline has come."""
        if delta < timedelta(0):
            raise ValueError("time only moves forward")
        self.set(self._now + delta)

    def set(self, instant: datetime) -> None:
        """Move time forward to `instant` (aware) and wake sleepers due by then."""
        instant = instant.astimezone(UTC)
        if instant < self._now:
            raise ValueError("time only moves forward")
        self._now = instant
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)

    def advance_to_next(self) -> bool:
        """Jump to the earliest sleeper's deadline and wake it; False if nobody sleeps."""
        deadline = self.next_deadline
        if deadline is None:
            return False
        self.set(max(deadline, self._now))
        return True

    async def wait_for_sleepers(self, count: int = 1) -> None:
        """Wait until at least `count` coroutines sleep on this clock (bound it with a timeout)."""
        while self.sleeping < count:
            self._changed.clear()
            await self._changed.wait()

    def _discard_finished(self) -> None:
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)
