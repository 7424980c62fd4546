"""A token bucket on an injected clock: how reminders stay under Discord's global rate limit.

A bucket holding at most `capacity` tokens and refilled at `rate` per second lets through
at most `capacity + rate` tokens in any one-second window. `TokenBucket.per_second`
picks the split so that sum is the limit: the smallest capacity that admits one
request group (a DM channel opened and a message sent), the rest as steady rate.
"""

from __future__ import annotations

import asyncio
import math

from bot.clock import Clock

_EPSILON = 1e-9  # float dust from refills; far below one request


class TokenBucket:
    def __init__(self, clock: Clock, *, rate: float, capacity: float) -> None:
        if rate <= 0 or capacity <= 0:
            raise ValueError("rate and capacity must be positive")
        self._clock = clock
        self.rate = rate
        self.capacity = capacity
        self._tokens = capacity
        self._updated = clock.now()
        self._lock = asyncio.Lock()

    @classmethod
    def per_second(cls, clock: Clock, limit: int, cost: int) -> TokenBucket:
        """At most `limit` tokens in any one-second window, taken `cost` at a time."""
        if not 0 < cost < limit:
            raise ValueError("each take must cost at least 1 and less than the limit")
        return cls(clock, rate=limit - cost, capacity=cost)

    def _refill(self) -> None:
        now = self._clock.now()
        elapsed = (now - self._updated).total_seconds()
        if elapsed > 0:
            self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
            self._updated = now

    async def take(self, tokens: float) -> None:
        """Wait (on the clock) until `tokens` are available, then spend them."""
        if tokens > self.capacity:
            raise ValueError("cannot take more tokens than the bucket holds")
        async with self._lock:  # first come, first served
            while True:
                self._refill()
                if self._tokens + _EPSILON >= tokens:
                    self._tokens -= tokens
                    return
                wait = (tokens - self._tokens) / self.rate
                # Round up to whole microseconds, the clock's resolution, so a wake-up is
                # never a hair early (which would let a window see one request too many).
                await self._clock.sleep(math.ceil(wait * 1_000_000) / 1_000_000)
