"""When a member's check-ins are due: plain calendar arithmetic, with no storage and no
Discord, so the check-in repository (`bot.storage.checkins`) and the check-in domain
(`bot.checkins`) both stand on it.

A schedule is "every N weeks on a weekday at an hour, in the member's own time zone".
Occurrences are counted in local calendar days from an *anchor* (the local date of the
first check-in), so they stay on the chosen weekday and hour across daylight-saving
changes; each is stored as a UTC instant.

Local hours that do not exist or exist twice resolve deterministically (PEP 495
`fold=0`): a skipped hour (spring forward) becomes the first instant after the gap, e.g.
02:00 in Berlin on the last Sunday of March is 03:00 CEST; a repeated hour (fall back)
is its first occurrence, e.g. 02:00 CEST rather than 02:00 CET.

Each occurrence has a *period key*, its local date ("2025-03-31"): the reminder log is
unique per (enrolment, period), which is what makes sending idempotent. After downtime
the missed occurrences collapse into the latest one: one reminder, not one per period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.i18n import _

INTERVALS_WEEKS = (2, 4, 8)
DEFAULT_INTERVAL_WEEKS = 4
# Look this many occurrences around an estimate: a DST shift moves an instant by hours,
# never by a whole interval, so the true neighbour is always among them.
_NEIGHBOURS = (-1, 0, 1, 2)


class ScheduleError(ValueError):
    """The schedule cannot be used; the message says which part and why."""


@dataclass(frozen=True, slots=True)
class Schedule:
    interval_weeks: int
    weekday: int  # 0 = Monday … 6 = Sunday, as date.weekday()
    hour: int  # local hour, 0-23
    zone: str  # an IANA name such as "Europe/Berlin"

    def __post_init__(self) -> None:
        if self.interval_weeks not in INTERVALS_WEEKS:
            raise ScheduleError(
                _("The interval must be one of {weeks} weeks.").format(
                    weeks=", ".join(map(str, INTERVALS_WEEKS))
                )
            )
        if not 0 <= self.weekday <= 6:
            raise ScheduleError(_("The weekday must be 0 (Monday) to 6 (Sunday)."))
        if not 0 <= self.hour <= 23:
            raise ScheduleError(_("The hour must be 0 to 23."))
        zone_info(self.zone)  # raises ScheduleError for an unknown zone

    @property
    def tz(self) -> ZoneInfo:
        return zone_info(self.zone)

    @property
    def step(self) -> timedelta:
        return timedelta(weeks=self.interval_weeks)


@dataclass(frozen=True, slots=True, order=True)
class Due:
    """One occurrence: when it is due (aware UTC) and the period it stands for."""

    at: datetime
    period: str


def zone_info(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ScheduleError(_("“{zone}” is not a time zone I know.").format(zone=name)) from exc


def local_instant(day: date, hour: int, tz: ZoneInfo) -> datetime:
    """The UTC instant of `hour` o'clock on local `day`, resolving DST gaps and overlaps."""
    return datetime.combine(day, time(hour), tzinfo=tz).replace(fold=0).astimezone(UTC)


def occurrence(schedule: Schedule, anchor: date, index: int) -> Due:
    day = anchor + index * schedule.step
    return Due(local_instant(day, schedule.hour, schedule.tz), day.isoformat())


def first_due(schedule: Schedule, enrolled_at: datetime) -> Due:
    """The first check-in of a new enrolment: the first chosen weekday and hour that is
    more than (interval - 1) weeks away, so it comes after roughly one interval."""
    earliest = enrolled_at + schedule.step - timedelta(weeks=1)
    local_day = earliest.astimezone(schedule.tz).date()
    day = local_day + timedelta(days=(schedule.weekday - local_day.weekday()) % 7)
    for candidate in (day, day + timedelta(weeks=1)):
        due = Due(local_instant(candidate, schedule.hour, schedule.tz), candidate.isoformat())
        if due.at > earliest:
            return due
    raise AssertionError("unreachable: a week later is always later")  # pragma: no cover


def _estimate(schedule: Schedule, anchor: date, instant: datetime) -> int:
    days = (instant.astimezone(schedule.tz).date() - anchor).days
    return days // (7 * schedule.interval_weeks)


def latest_due(schedule: Schedule, anchor: date, instant: datetime) -> Due | None:
    """The last occurrence at or before `instant`; None before the first one."""
    estimate = _estimate(schedule, anchor, instant)
    found = [
        due
        for offset in _NEIGHBOURS
        if estimate + offset >= 0
        and (due := occurrence(schedule, anchor, estimate + offset)).at <= instant
    ]
    return max(found) if found else None


def next_due(schedule: Schedule, anchor: date, instant: datetime) -> Due:
    """The first occurrence strictly after `instant` (the anchor itself if still ahead)."""
    estimate = max(0, _estimate(schedule, anchor, instant))
    return min(
        due
        for offset in _NEIGHBOURS
        if estimate + offset >= 0
        and (due := occurrence(schedule, anchor, estimate + offset)).at > instant
    )


@dataclass(frozen=True, slots=True)
class CatchUp:
    """What to do for an enrolment whose due time has passed."""

    owed: Due  # the one reminder to send now: the latest missed occurrence
    missed: tuple[Due, ...]  # earlier occurrences it replaces (logged as skipped)
    following: Due  # when the one after that is due


def catch_up(
    schedule: Schedule, anchor: date, due_since: datetime, now: datetime, *, max_missed: int = 26
) -> CatchUp | None:
    """Collapse every occurrence in [due_since, now] into one owed reminder.

    `due_since` is the stored due time; None when nothing is due yet. At most
    `max_missed` superseded occurrences are listed, so a year offline stays cheap."""
    owed = latest_due(schedule, anchor, now)
    if owed is None or now < due_since:
        return None
    missed: list[Due] = []
    cursor = next_due(schedule, anchor, due_since - timedelta(microseconds=1))
    while cursor < owed and len(missed) < max_missed:
        missed.append(cursor)
        cursor = next_due(schedule, anchor, cursor.at)
    return CatchUp(owed, tuple(missed), next_due(schedule, anchor, now))
