"""A schedule typed in words (the opt-in form in DMs has text boxes, not menus): weekday,
hour and time zone, each refused with a message that says what would work."""

from __future__ import annotations

import re
from datetime import datetime

from bot.checkins.zones import is_known_zone, search_zones
from bot.i18n import N_, _
from bot.schedule import INTERVALS_WEEKS

# Shown through `_()`; typed names are read in English and in the member's language.
WEEKDAYS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)
_HOUR = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")


class ScheduleInputError(ValueError):
    """The typed value cannot be used; the message says what to type instead."""


def parse_weekday(text: str) -> int:
    word = text.strip().casefold().rstrip(".")
    names = [(i, name.casefold()) for i, day in enumerate(WEEKDAYS) for name in (day, _(day))]
    # A whole name first: Turkish "Pazar" (Sunday) also begins "Pazartesi" (Monday).
    exact = {i for i, name in names if name == word}
    found = sorted(exact or {i for i, name in names if len(word) >= 2 and name.startswith(word)})
    if len(found) != 1:
        raise ScheduleInputError(
            # Translators: {typed} is what the member typed as the day of the week.
            _("“{typed}” is not a day I know; type e.g. Monday.").format(typed=text.strip()[:20])
        )
    return found[0]


def parse_hour(text: str) -> int:
    match = _HOUR.match(text.strip().casefold())
    if match is None or (match[2] not in (None, "00")):
        raise ScheduleInputError(_("Type a whole hour from 0 to 23, like 9, 18 or 6pm."))
    hour, suffix = int(match[1]), (match[3] or "").replace(".", "")
    if suffix and not 1 <= hour <= 12:
        raise ScheduleInputError(_("With am or pm, the hour is 1 to 12, like 6pm."))
    if suffix:
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if not 0 <= hour <= 23:
        raise ScheduleInputError(_("Type a whole hour from 0 to 23, like 9, 18 or 6pm."))
    return hour


def parse_interval(text: str) -> int:
    cleaned = text.strip().casefold().removesuffix("weeks").removesuffix("w").strip()
    if not cleaned.isdecimal() or int(cleaned) not in INTERVALS_WEEKS:
        raise ScheduleInputError(_("Check-ins come every 2, 4 or 8 weeks; type one of those."))
    return int(cleaned)


def resolve_zone(text: str, at: datetime) -> str:
    """The best time zone for a city, zone name or UTC offset typed by the member."""
    cleaned = text.strip()
    if is_known_zone(cleaned):
        return cleaned
    found = search_zones(cleaned, at=at) if cleaned else []
    if not found:
        raise ScheduleInputError(
            # Translators: {typed} is what the member typed as their time zone.
            _(
                "I could not find a time zone for “{typed}”; try a big city near you "
                "(e.g. Berlin) or an offset like UTC+5:30."
            ).format(typed=cleaned[:40])
        )
    return found[0].name
