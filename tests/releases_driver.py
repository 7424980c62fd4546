"""Publishing releases in tests: time is moved, never waited for.

A release waits for a quiet minute after the last answer and comes at most once a day.
`publish` hands the releases a `ManualClock` set past both (from the real time the
database stamped the answers with), then makes the release as the background task would.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.clock import ManualClock
from bot.results.releases import QUIET, SPACING, Releases
from bot.storage.releases import ReleaseRecord


async def publish(releases: Releases, guild_id: int) -> ReleaseRecord:
    """Make the server's next release now; fails when it is not due for another reason
    than time (too few changes)."""
    latest = await releases.latest(guild_id)
    now = datetime.now(UTC) + QUIET + timedelta(seconds=1)
    if latest is not None:
        now = max(now, datetime.fromisoformat(latest.claimed_at) + SPACING + timedelta(seconds=1))
    if isinstance(releases.clock, ManualClock) and releases.clock.now() >= now:
        now = releases.clock.now()
    releases.clock = ManualClock(now)
    record = await releases.make(guild_id)
    if record is None:
        status = await releases.status(guild_id)
        raise AssertionError(f"no release was due: {status}")
    return record
