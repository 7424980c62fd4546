"""Finding a member's IANA time zone from what they type in an autocomplete.

Members type a city ("Berlin", "new york"), a zone name ("Europe/Berlin") or an offset
("UTC+5:30", "+05:30", "GMT-3"). Offsets are answered with real zones that have that
offset at the moment of the search (Asia/Kolkata for +05:30), populous ones first, and
the fixed `Etc/GMT±N` zone for whole hours (so an offset no city uses still works).
Nothing here raises on any input: junk simply finds nothing.

It runs on the event loop at every keystroke, so a search is a lookup in tables built
once: the zones' searchable names (at first use) and which zones have which UTC offset
(once per UTC hour, `offset_table`), never a pass over all ~440 zones.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from rapidfuzz import fuzz, process

from bot.i18n import _

MAX_RESULTS = 25  # Discord's autocomplete limit
MAX_QUERY = 64
_REGIONS = frozenset(
    {"Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian",
     "Pacific"}
)  # fmt: skip
# Zones many people live in, tried first when an offset matches several zones.
_POPULAR = (
    "UTC", "Europe/London", "Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/Rome",
    "Europe/Amsterdam", "Europe/Warsaw", "Europe/Athens", "Europe/Istanbul", "Europe/Moscow",
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
    "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/Toronto",
    "America/Vancouver", "America/Mexico_City", "America/Bogota", "America/Lima",
    "America/Sao_Paulo", "America/Argentina/Buenos_Aires", "America/Santiago",
    "America/Halifax", "America/St_Johns", "Africa/Lagos", "Africa/Cairo",
    "Africa/Johannesburg", "Africa/Nairobi", "Asia/Dubai", "Asia/Tehran", "Asia/Karachi",
    "Asia/Kolkata", "Asia/Kathmandu", "Asia/Dhaka", "Asia/Bangkok", "Asia/Jakarta",
    "Asia/Shanghai", "Asia/Singapore", "Asia/Manila", "Asia/Seoul", "Asia/Tokyo",
    "Australia/Perth", "Australia/Adelaide", "Australia/Brisbane", "Australia/Sydney",
    "Pacific/Auckland",
)  # fmt: skip
# Places people type that are not the city a zone is named after.
_ALIASES = {
    "india": "Asia/Kolkata", "mumbai": "Asia/Kolkata", "delhi": "Asia/Kolkata",
    "new delhi": "Asia/Kolkata", "bangalore": "Asia/Kolkata", "bengaluru": "Asia/Kolkata",
    "calcutta": "Asia/Kolkata", "munich": "Europe/Berlin", "germany": "Europe/Berlin",
    "hamburg": "Europe/Berlin", "frankfurt": "Europe/Berlin", "cologne": "Europe/Berlin",
    "washington": "America/New_York", "boston": "America/New_York",
    "miami": "America/New_York", "atlanta": "America/New_York",
    "philadelphia": "America/New_York", "san francisco": "America/Los_Angeles",
    "seattle": "America/Los_Angeles", "las vegas": "America/Los_Angeles",
    "texas": "America/Chicago", "dallas": "America/Chicago", "houston": "America/Chicago",
    "beijing": "Asia/Shanghai", "china": "Asia/Shanghai", "hong kong": "Asia/Hong_Kong",
    "japan": "Asia/Tokyo", "korea": "Asia/Seoul", "uk": "Europe/London",
    "england": "Europe/London", "scotland": "Europe/London", "france": "Europe/Paris",
    "spain": "Europe/Madrid", "italy": "Europe/Rome", "netherlands": "Europe/Amsterdam",
    "poland": "Europe/Warsaw", "turkey": "Europe/Istanbul", "brazil": "America/Sao_Paulo",
    "melbourne": "Australia/Melbourne", "canberra": "Australia/Sydney",
    "gmt": "Etc/GMT", "utc": "UTC", "z": "UTC", "zulu": "UTC",
}  # fmt: skip
_MINUS = "\N{MINUS SIGN}"  # what some keyboards and copied text use for "-"
_OFFSET_RE = re.compile(
    r"^(?:utc|gmt)?\s*([+\-" + _MINUS + r"])\s*(\d{1,2})(?:\s*[:.h]?\s*(\d{2}))?$"
)


@dataclass(frozen=True, slots=True)
class ZoneChoice:
    """One autocomplete result: the IANA name to store and a label to show (≤100 chars)."""

    name: str
    label: str


@cache
def known_zones() -> tuple[str, ...]:
    """IANA zones worth offering: the regional ones, UTC and the fixed Etc/GMT±N."""
    zones = {
        name
        for name in available_timezones()
        if name.split("/", 1)[0] in _REGIONS or re.fullmatch(r"Etc/GMT([+-]\d{1,2})?", name)
    }
    return tuple(sorted(zones | {"UTC"}))


@cache
def _known_set() -> frozenset[str]:
    return frozenset(known_zones())


@cache
def _zone_infos() -> dict[str, ZoneInfo]:
    """Every known zone, loaded once and kept: ZoneInfo itself keeps only the last few
    alive, so a pass over all zones read most of them from disk again."""
    return {name: ZoneInfo(name) for name in known_zones()}


def _zone(name: str) -> ZoneInfo:
    return _zone_infos().get(name) or ZoneInfo(name)


@cache
def _city_names() -> dict[str, str]:
    """Zone name -> the searchable place part, e.g. "America/New_York" -> "new york"."""
    return {name: _normalise(name.rsplit("/", 1)[-1]) for name in known_zones()}


@cache
def _name_index() -> tuple[tuple[str, str, str], ...]:
    """(zone, its place part, its whole name) for every known zone, normalised once."""
    return tuple((name, city, _normalise(name)) for name, city in _city_names().items())


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[_/,]+", " ", text.casefold()).split())


def is_known_zone(name: str) -> bool:
    return name in _known_set()


def utc_offset(name: str, at: datetime) -> timedelta:
    return at.astimezone(_zone(name)).utcoffset() or timedelta(0)


def format_offset(offset: timedelta) -> str:
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def choice(name: str, at: datetime) -> ZoneChoice:
    local = at.astimezone(_zone(name))
    offset = format_offset(local.utcoffset() or timedelta(0))
    # Translators: a time zone offered as you type: "Europe/Berlin (UTC+01:00, now 09:30)".
    label = _("{zone} ({offset}, now {time})").format(
        zone=name.replace("_", " "), offset=offset, time=f"{local:%H:%M}"
    )
    return ZoneChoice(name, label[:100])


def parse_offset(text: str) -> timedelta | None:
    """Parse "UTC+5:30", "+05:30", "gmt-3" or "+0530"; None if it is not an offset."""
    match = _OFFSET_RE.match(text)
    if match is None:
        return None
    sign, hours, minutes = match[1], int(match[2]), int(match[3] or 0)
    if hours > 14 or minutes >= 60:
        return None
    offset = timedelta(hours=hours, minutes=minutes)
    return -offset if sign in ("-", _MINUS) else offset


def _in_order(matching: set[str], offset: timedelta) -> tuple[str, ...]:
    """Zones with `offset`: popular ones, then the fixed Etc/GMT±N one, then the rest."""
    popular = [name for name in _POPULAR if name in matching]
    fixed: list[str] = []
    whole_hours, remainder = divmod(int(offset.total_seconds()), 3600)
    if remainder == 0:  # POSIX sign convention: Etc/GMT-5 is UTC+05:00
        etc = "Etc/GMT" if whole_hours == 0 else f"Etc/GMT{-whole_hours:+d}"
        fixed = [etc] if etc in matching else []
    rest = sorted(matching - set(popular) - set(fixed), key=lambda n: (n.startswith("Etc/"), n))
    return (*popular, *fixed, *rest)


@dataclass(frozen=True, slots=True)
class OffsetTable:
    """Which zones have which UTC offset throughout one UTC hour (`by_offset`, in the
    order offered), and the few zones whose offset changes within it (`changing`,
    checked at the instant of each search)."""

    by_offset: dict[timedelta, tuple[str, ...]]
    changing: tuple[str, ...]


_HOUR = timedelta(hours=1)


@lru_cache(maxsize=8)
def offset_table(hour: datetime) -> OffsetTable:
    """The table for the UTC hour starting at `hour`: built once per hour (two offsets
    per zone, a few ms), shared by every search in it. A zone with the same offset at the
    hour's first and last instant keeps it all hour (no zone changes twice in an hour)."""
    last = hour + _HOUR - timedelta(microseconds=1)
    found: dict[timedelta, set[str]] = {}
    changing: list[str] = []
    for name in known_zones():
        offset = utc_offset(name, hour)
        if utc_offset(name, last) != offset:
            changing.append(name)
        else:
            found.setdefault(offset, set()).add(name)
    by_offset = {offset: _in_order(names, offset) for offset, names in found.items()}
    return OffsetTable(by_offset, tuple(changing))


def _zones_with_offset(offset: timedelta, at: datetime) -> tuple[str, ...]:
    table = offset_table(at.astimezone(UTC).replace(minute=0, second=0, microsecond=0))
    steady = table.by_offset.get(offset, ())
    moved = {name for name in table.changing if utc_offset(name, at) == offset}
    return _in_order({*steady, *moved}, offset) if moved else steady


def _zones_by_name(query: str) -> list[str]:
    exact, prefix, contains = [], [], []
    alias = _ALIASES.get(query)
    if alias is not None:
        exact.append(alias)
    for name, city, full in _name_index():
        if query in (city, full):
            exact.append(name)
        elif city.startswith(query) or full.startswith(query):
            prefix.append(name)
        elif query in full:
            contains.append(name)
    found = [*exact, *prefix, *contains]
    if len(found) < MAX_RESULTS and len(query) >= 3:  # typos: "berln", "new yrok"
        taken = set(found)
        for city_match in process.extract(
            query, {n: c for n, c in _city_names().items() if n not in taken},
            scorer=fuzz.ratio, score_cutoff=75, limit=MAX_RESULTS,
        ):  # fmt: skip
            found.append(city_match[2])
    return found


def search_zones(query: str, *, at: datetime | None = None) -> list[ZoneChoice]:
    """Zones matching `query`, best first, at most 25; popular zones for an empty query."""
    at = at or datetime.now(UTC)
    try:
        cleaned = _normalise(str(query)[:MAX_QUERY])
        names: Iterable[str]
        if not cleaned:
            names = _POPULAR
        elif (offset := parse_offset(cleaned.replace(" ", ""))) is not None:
            names = _zones_with_offset(offset, at)
        else:
            names = _zones_by_name(cleaned)
        unique = list(dict.fromkeys(n for n in names if is_known_zone(n)))
        return [choice(name, at) for name in unique[:MAX_RESULTS]]
    except (ValueError, ZoneInfoNotFoundError, OverflowError):  # pragma: no cover - defensive
        return []
