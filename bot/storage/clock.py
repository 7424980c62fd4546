"""How storage writes an instant: fixed-width ISO-8601 UTC text, so SQL orders it as time."""

from __future__ import annotations

from datetime import UTC, datetime


def stamp(instant: datetime) -> str:
    """'2025-03-30T01:00:00.000000+00:00' for an aware instant."""
    if instant.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


def utc_now() -> str:
    return stamp(datetime.now(UTC))
