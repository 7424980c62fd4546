"""Check-in schedules in local time (DST included), and the time-zone search."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.checkins.zones import parse_offset, search_zones
from bot.schedule import (
    Schedule,
    ScheduleError,
    catch_up,
    first_due,
    latest_due,
    local_instant,
    next_due,
    occurrence,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


# -- DST -----------------------------------------------------------------------------------


def test_a_skipped_hour_becomes_the_first_instant_after_the_gap() -> None:
    # 2025-03-30 02:00 does not exist in Berlin (clocks jump to 03:00 CEST = 01:00 UTC).
    assert local_instant(date(2025, 3, 30), 2, BERLIN) == utc(2025, 3, 30, 1)
    # 2025-03-09 02:00 does not exist in New York (03:00 EDT = 07:00 UTC).
    assert local_instant(date(2025, 3, 9), 2, NEW_YORK) == utc(2025, 3, 9, 7)


def test_a_repeated_hour_is_its_first_occurrence() -> None:
    # 2025-10-26 02:00 happens twice in Berlin: 02:00 CEST (00:00 UTC) is the one chosen.
    assert local_instant(date(2025, 10, 26), 2, BERLIN) == utc(2025, 10, 26, 0)
    # 2025-11-02 01:00 happens twice in New York: 01:00 EDT (05:00 UTC).
    assert local_instant(date(2025, 11, 2), 1, NEW_YORK) == utc(2025, 11, 2, 5)


def test_occurrences_keep_the_local_hour_across_dst() -> None:
    schedule = Schedule(2, 0, 9, "Europe/Berlin")  # every other Monday at 09:00
    anchor = date(2025, 3, 17)
    before, after = occurrence(schedule, anchor, 0), occurrence(schedule, anchor, 1)
    assert before.at == utc(2025, 3, 17, 8)  # CET
    assert after.at == utc(2025, 3, 31, 7)  # CEST: same wall time, one hour earlier in UTC
    assert after.period == "2025-03-31"
    ny = Schedule(4, 6, 2, "America/New_York")  # Sundays at 02:00, through both changes
    sundays = [occurrence(ny, date(2025, 2, 9), k) for k in range(10)]
    assert [d.period for d in sundays][1] == "2025-03-09"
    assert sundays[1].at == utc(2025, 3, 9, 7)  # the gap: 03:00 EDT
    assert all(a.at < b.at for a, b in itertools.pairwise(sundays))
    assert len({d.period for d in sundays}) == 10


def test_due_times_around_a_transition_are_ordered_and_unique() -> None:
    schedule = Schedule(2, 6, 2, "Europe/Berlin")
    anchor = date(2025, 3, 16)
    gap = occurrence(schedule, anchor, 1)  # 2025-03-30, the spring-forward Sunday
    assert latest_due(schedule, anchor, gap.at) == gap
    assert latest_due(schedule, anchor, gap.at - timedelta(microseconds=1)) == occurrence(
        schedule, anchor, 0
    )
    assert next_due(schedule, anchor, gap.at - timedelta(seconds=1)) == gap
    assert next_due(schedule, anchor, gap.at) == occurrence(schedule, anchor, 2)
    assert latest_due(schedule, anchor, utc(2025, 3, 1)) is None  # before the first one
    assert next_due(schedule, anchor, utc(2025, 3, 1)) == occurrence(schedule, anchor, 0)


ZONES = st.sampled_from(
    ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]
)


@given(
    zone=ZONES,
    interval=st.sampled_from([2, 4, 8]),
    weekday=st.integers(0, 6),
    hour=st.integers(0, 23),
    enrolled=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1)),
    later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=800)),
)
def test_schedules_are_consistent_everywhere(
    zone: str, interval: int, weekday: int, hour: int, enrolled: datetime, later: timedelta
) -> None:
    schedule = Schedule(interval, weekday, hour, zone)
    enrolled_at = enrolled.replace(tzinfo=UTC)
    first = first_due(schedule, enrolled_at)
    assert timedelta(weeks=interval - 1) < first.at - enrolled_at <= timedelta(weeks=interval)
    anchor = date.fromisoformat(first.period)
    assert anchor.weekday() == weekday
    instant = enrolled_at + later
    upcoming = next_due(schedule, anchor, instant)
    assert upcoming.at > instant
    previous = latest_due(schedule, anchor, instant)
    if previous is not None:
        assert previous.at <= instant < upcoming.at
        assert previous.period < upcoming.period
        assert next_due(schedule, anchor, previous.at) == upcoming
    else:
        assert upcoming == first


def test_first_check_in_comes_about_one_interval_after_opting_in() -> None:
    schedule = Schedule(4, 0, 9, "Europe/Berlin")
    due = first_due(schedule, utc(2025, 1, 7, 10))  # a Tuesday
    assert due.at == utc(2025, 2, 3, 8)  # Monday 09:00 CET, 3 weeks and 6 days later
    assert due.period == "2025-02-03"


def test_missed_periods_collapse_into_the_latest() -> None:
    schedule = Schedule(2, 0, 9, "UTC")
    anchor = date(2025, 1, 6)
    due_since = occurrence(schedule, anchor, 0).at
    now = occurrence(schedule, anchor, 3).at + timedelta(hours=5)
    plan = catch_up(schedule, anchor, due_since, now)
    assert plan is not None
    assert plan.owed == occurrence(schedule, anchor, 3)
    assert plan.missed == tuple(occurrence(schedule, anchor, k) for k in range(3))
    assert plan.following == occurrence(schedule, anchor, 4)
    assert catch_up(schedule, anchor, due_since, due_since - timedelta(seconds=1)) is None


@pytest.mark.parametrize(
    ("interval", "weekday", "hour", "zone"),
    [(3, 0, 9, "UTC"), (4, 7, 9, "UTC"), (4, 0, 24, "UTC"), (4, 0, 9, "Mars/Olympus")],
)
def test_bad_schedules_are_refused(interval: int, weekday: int, hour: int, zone: str) -> None:
    with pytest.raises(ScheduleError):
        Schedule(interval, weekday, hour, zone)


# -- zone search ---------------------------------------------------------------------------

AT = utc(2025, 1, 15, 12)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Berlin", "Europe/Berlin"),
        ("berlin", "Europe/Berlin"),
        ("New York", "America/New_York"),
        ("new york", "America/New_York"),
        ("new_york", "America/New_York"),
        ("America/New_York", "America/New_York"),
        ("berln", "Europe/Berlin"),
        ("UTC+5:30", "Asia/Kolkata"),
        ("+05:30", "Asia/Kolkata"),
        ("utc+0530", "Asia/Kolkata"),
        ("GMT+5:45", "Asia/Kathmandu"),
        ("Mumbai", "Asia/Kolkata"),
        ("UTC", "UTC"),
        ("São Paulo", "America/Sao_Paulo"),
    ],
)
def test_zone_search_finds_the_zone_first(query: str, expected: str) -> None:
    assert search_zones(query, at=AT)[0].name == expected


def test_a_whole_hour_offset_offers_the_fixed_zone_too() -> None:
    names = [c.name for c in search_zones("UTC-3", at=AT)]
    assert "Etc/GMT+3" in names  # POSIX sign: Etc/GMT+3 is UTC-03:00
    assert all(ZoneInfo(n).utcoffset(AT) == timedelta(hours=-3) for n in names)
    # No city uses UTC-12; the fixed zone still answers.
    assert [c.name for c in search_zones("UTC-12", at=AT)] == ["Etc/GMT+12"]


def test_offsets_match_the_offset_in_force_at_the_time() -> None:
    summer = utc(2025, 7, 1, 12)
    assert "Europe/Berlin" in [c.name for c in search_zones("UTC+2", at=summer)]
    assert "Europe/Berlin" not in [c.name for c in search_zones("UTC+2", at=AT)]


@pytest.mark.parametrize(
    "junk",
    ["", " ", "x" * 5000, "<@123456789012345678>", "'; DROP TABLE x; --", "\x00\x1f", "+99:99",
     "utc+", "🙂", "../../etc/passwd", "-", "+5:75"],
)  # fmt: skip
def test_zone_search_never_raises_and_stays_under_discords_limits(junk: str) -> None:
    found = search_zones(junk, at=AT)
    assert len(found) <= 25
    assert all(len(c.label) <= 100 and len(c.name) <= 100 for c in found)


def test_common_queries_return_at_most_25_labelled_results() -> None:
    for query in ("a", "america", "utc+1", "europe", "e"):
        found = search_zones(query, at=AT)
        assert 1 <= len(found) <= 25
        assert len({c.name for c in found}) == len(found)
    assert "UTC+01:00" in search_zones("Berlin", at=AT)[0].label


def test_offset_parsing() -> None:
    assert parse_offset("utc+5:30") == timedelta(hours=5, minutes=30)
    assert parse_offset("-03") == timedelta(hours=-3)
    assert parse_offset("gmt\N{MINUS SIGN}4") == timedelta(hours=-4)
    assert parse_offset("berlin") is None
    assert parse_offset("+15") is None
