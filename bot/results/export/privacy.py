"""What keeps an export's rows from pointing at a member: a pseudonymous id in place of
their Discord id, and every time cut to the day it fell on (UTC)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime


def utc_day(instant: str | None) -> str:
    """A stored instant (`bot.storage.clock.stamp` text) as its UTC date, `YYYY-MM-DD`;
    empty for none."""
    if not instant:
        return ""
    parsed = datetime.fromisoformat(instant)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC)
    return parsed.date().isoformat()


def pseudonym(secret: bytes, user_id: int) -> str:
    """A member's id in a server's exports: HMAC-SHA256 of their Discord id with the
    server's secret, stable within the server and meaningless outside."""
    return hmac.new(secret, str(user_id).encode(), hashlib.sha256).hexdigest()[:20]
