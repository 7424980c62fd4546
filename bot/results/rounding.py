"""How a count becomes a public number: fewer than k members are never given as a number,
and every other count is rounded at random to a neighbouring multiple of 5.

Why rounding, and why this kind. A release is compared with the one before it by readers
who know who joined in between; exact counts turn that difference into each newcomer's
answers. Statistical offices publishing flexible tables round or perturb every cell
(Statistics New Zealand's random rounding, the ABS cell-key method). Here:

- A count c ≥ k is published as 5·⌊c/5⌋ or 5·⌊c/5⌋ + 5, rounding up with probability
  (c mod 5)/5, so on average the published number is the count (no bias in shares).
- The coin is a *cell key*: the sum of the secret record keys of the members counted
  (ABS method). The same members always give the same number, in every table and every
  release, so asking again or slicing the same group two ways averages nothing away.
  Record keys are an HMAC of the member's id with the server's secret: a reader cannot
  compute them.
- A reader who sees x knows only that the count lies in x-4..x+4 (and is at least k), so
  the difference of two releases is uncertain by ±8, whatever the batch.

`flip` rounds a count the other way, for the release-to-release audit (`bot.results.audit`):
the result is still a neighbouring multiple, so nothing a reader can tell apart.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

BASE = 5
_KEY_BITS = 32
_KEY_MOD = 1 << _KEY_BITS

Published = int | None  # a rounded count, or None for "fewer than k"


@dataclass(slots=True)
class Tally:
    """A count and the cell key of the members in it."""

    count: int = 0
    key: int = 0

    def add(self, record_key: int) -> None:
        self.count += 1
        self.key = (self.key + record_key) % _KEY_MOD


class Rounder:
    """Publishes counts for one server's release."""

    def __init__(self, secret: bytes, k: int) -> None:
        self.secret = secret
        self.k = k
        self.floor = -(-k // BASE) * BASE  # the smallest number shown: a multiple of 5 ≥ k

    def record_key(self, member: int | str) -> int:
        digest = hmac.new(self.secret, f"record:{member}".encode(), hashlib.sha256).digest()
        return int.from_bytes(digest[:4], "big")

    def keyed(self, count: int, name: str) -> Tally:
        """A tally for a count whose members are not at hand (check-in outcomes): its key is
        a keyed hash of what the cell is, so the same cell and count give the same number."""
        return Tally(count, self.record_key(f"{name}={count}"))

    def publish(self, tally: Tally, *, flip: bool = False) -> Published:
        if tally.count < self.k:
            return None
        low = tally.count - tally.count % BASE
        up = tally.key * BASE < (tally.count % BASE) * _KEY_MOD  # key/2^32 < (c mod 5)/5
        if tally.count % BASE and flip:
            up = not up
        return max(self.floor, low + BASE if up else low)

    def bounds(self, value: Published) -> tuple[int, int]:
        """What a reader can know of the count behind a published value."""
        return bounds(value, self.k)


def bounds(value: Published, k: int) -> tuple[int, int]:
    if value is None:
        return 0, k - 1
    return max(k, value - BASE + 1), value + BASE - 1


def change_bounds(before: Published, after: Published, k_before: int, k_after: int) -> range:
    """The changes of one count a reader can still believe, reading two releases."""
    low_before, high_before = bounds(before, k_before)
    low_after, high_after = bounds(after, k_after)
    return range(low_after - high_before, high_after - low_before + 1)
