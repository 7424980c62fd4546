"""Security review F10: the time-zone autocomplete runs on the event loop at every
keystroke, so each search must be a lookup in tables built once, not a pass over every
zone. Work is counted (zone conversions, names normalised, tables built), never timed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.checkins import zones
from bot.checkins.zones import MAX_RESULTS, known_zones, parse_offset, search_zones

AT = datetime(2025, 1, 15, 12, tzinfo=UTC)


class _Counter:
    def __init__(self, wrapped: Callable[..., Any]) -> None:
        self.wrapped, self.calls = wrapped, 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.wrapped(*args, **kwargs)


@pytest.fixture
def conversions(monkeypatch: pytest.MonkeyPatch) -> _Counter:
    """Counts every conversion of an instant to a zone's UTC offset."""
    counter = _Counter(zones.utc_offset)
    monkeypatch.setattr(zones, "utc_offset", counter)
    return counter


def _keystrokes(text: str) -> list[str]:
    return [text[: i + 1] for i in range(len(text))]


def test_the_offset_table_is_built_once_per_hour(conversions: _Counter) -> None:
    zones.offset_table.cache_clear()
    for second in range(100):  # the bot's clock moves between keystrokes
        search_zones("UTC+5:30", at=AT + timedelta(seconds=second * 7))
    assert zones.offset_table.cache_info().misses == 1
    assert zones.offset_table.cache_info().hits == 99
    search_zones("UTC+5:30", at=AT + timedelta(hours=1))
    assert zones.offset_table.cache_info().misses == 2


def test_an_offset_search_converts_only_the_zones_it_shows(conversions: _Counter) -> None:
    search_zones("UTC+1", at=AT)  # builds this hour's table
    for typed in ("UTC+5:30", "+05:30", "UTC-3", "GMT+5:45", "utc+1", "UTC-12"):
        for query in _keystrokes(typed):
            before = conversions.calls
            found = search_zones(query, at=AT + timedelta(minutes=20))
            # one conversion per label shown, none for the hundreds of zones searched
            assert conversions.calls - before <= len(found) <= MAX_RESULTS, query


def test_a_name_search_normalises_only_the_query(monkeypatch: pytest.MonkeyPatch) -> None:
    search_zones("Berlin", at=AT)  # builds the name index
    counter = _Counter(zones._normalise)
    monkeypatch.setattr(zones, "_normalise", counter)
    for typed in ("Berlin", "new yrok", "São Paulo", "america", "e"):
        for query in _keystrokes(typed):
            before = counter.calls
            search_zones(query, at=AT)
            assert counter.calls - before == 1, query


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Berlin", "Europe/Berlin"),
        ("berln", "Europe/Berlin"),
        ("new yrok", "America/New_York"),
        ("New York", "America/New_York"),
        ("UTC+5:30", "Asia/Kolkata"),
        ("GMT+5:45", "Asia/Kathmandu"),
        ("Mumbai", "Asia/Kolkata"),
        ("UTC", "UTC"),
    ],
)
def test_results_are_unchanged(query: str, expected: str) -> None:
    assert search_zones(query, at=AT)[0].name == expected


def _every_zone_with(offset: timedelta, at: datetime) -> set[str]:
    return {n for n in known_zones() if at.astimezone(ZoneInfo(n)).utcoffset() == offset}


# Instants around offset changes, including ones in the middle of a UTC hour
# (Newfoundland changes at 02:00 local, i.e. 05:30 UTC; Lord Howe by half an hour).
_INSTANTS = [
    AT,
    datetime(2025, 7, 1, 12, tzinfo=UTC),
    datetime(2025, 3, 9, 5, 29, 59, tzinfo=UTC),
    datetime(2025, 3, 9, 5, 30, tzinfo=UTC),
    datetime(2025, 3, 30, 0, 59, 59, tzinfo=UTC),
    datetime(2025, 3, 30, 1, 0, tzinfo=UTC),
    datetime(2025, 4, 5, 14, 59, 59, tzinfo=UTC),
    datetime(2025, 4, 5, 15, 0, tzinfo=UTC),
    datetime(2025, 11, 2, 3, 30, tzinfo=UTC),
]


@pytest.mark.parametrize("at", _INSTANTS, ids=str)
@pytest.mark.parametrize(
    "typed", ["UTC-3:30", "UTC-2:30", "UTC+10:30", "UTC+11", "UTC+1", "UTC+2", "UTC+5:30",
              "UTC-4", "UTC-5", "UTC+0", "UTC-12", "UTC+14"]
)  # fmt: skip
def test_offset_results_are_exactly_the_zones_with_that_offset_then(
    at: datetime, typed: str
) -> None:
    offset = parse_offset(typed.lower())
    assert offset is not None
    every = _every_zone_with(offset, at)
    found = [c.name for c in search_zones(typed, at=at)]
    assert len(found) == len(set(found)) == min(len(every), MAX_RESULTS)
    assert set(found) <= every


def test_newfoundland_changes_offset_in_the_middle_of_an_hour() -> None:
    before = datetime(2025, 3, 9, 5, 29, 59, tzinfo=UTC)
    after = datetime(2025, 3, 9, 5, 30, tzinfo=UTC)
    assert "America/St_Johns" in [c.name for c in search_zones("UTC-3:30", at=before)]
    assert "America/St_Johns" not in [c.name for c in search_zones("UTC-3:30", at=after)]
    assert "America/St_Johns" in [c.name for c in search_zones("UTC-2:30", at=after)]
    assert "UTC-02:30" in search_zones("St Johns", at=after)[0].label
