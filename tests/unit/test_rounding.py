"""Published counts: never a number under k, otherwise a neighbouring multiple of 5 chosen
by the members' cell key, so the same members always read the same and the rounding is
unbiased on average."""

from __future__ import annotations

import random

from bot.results.rounding import BASE, Rounder, Tally, bounds, change_bounds


def tally(rounder: Rounder, members: list[int]) -> Tally:
    found = Tally()
    for member in members:
        found.add(rounder.record_key(member))
    return found


def test_under_k_is_never_a_number() -> None:
    rounder = Rounder(b"secret", 5)
    for count in range(5):
        assert rounder.publish(tally(rounder, list(range(count)))) is None
    assert bounds(None, 5) == (0, 4)


def test_a_count_is_rounded_to_a_neighbouring_multiple_of_5() -> None:
    rounder = Rounder(b"secret", 5)
    rng = random.Random(1)
    for _ in range(500):
        members = rng.sample(range(10_000), rng.randint(5, 300))
        value = rounder.publish(tally(rounder, members))
        assert value is not None
        assert value % BASE == 0
        assert abs(value - len(members)) < BASE
        low, high = bounds(value, 5)
        assert low <= len(members) <= high


def test_the_same_members_always_read_the_same_and_others_may_not() -> None:
    rounder = Rounder(b"secret", 5)
    members = list(range(100, 113))  # 13: rounded to 10 or 15
    first = rounder.publish(tally(rounder, members))
    assert first == rounder.publish(tally(rounder, list(reversed(members))))
    seen = {rounder.publish(tally(rounder, list(range(s, s + 13)))) for s in range(0, 400, 13)}
    assert seen == {10, 15}
    assert Rounder(b"another server", 5).record_key(1) != rounder.record_key(1)


def test_rounding_is_unbiased_on_average() -> None:
    rounder = Rounder(b"secret", 5)
    rng = random.Random(2)
    total = published = 0
    for _ in range(4000):
        members = rng.sample(range(100_000), rng.randint(5, 60))
        total += len(members)
        published += rounder.publish(tally(rounder, members)) or 0
    assert abs(published - total) / total < 0.01


def test_the_smallest_number_shown_is_at_least_k() -> None:
    rounder = Rounder(b"secret", 8)
    for count in range(8, 13):
        assert rounder.publish(tally(rounder, list(range(count)))) in (10, 15)
    assert bounds(10, 8) == (8, 14)


def test_two_readings_bound_a_change_and_a_flip_stays_a_neighbour() -> None:
    # 14 read as 10, then 26 read as 30: the change is at least 30-4-(10+4) = 12
    assert change_bounds(10, 30, 5, 5) == range(12, 29)
    assert change_bounds(None, 5, 5, 5) == range(1, 10)
    # a flip never needs more than the other neighbouring multiple
    rounder = Rounder(b"secret", 5)
    cell = Tally(26, 0)
    assert {rounder.publish(cell), rounder.publish(cell, flip=True)} == {25, 30}
