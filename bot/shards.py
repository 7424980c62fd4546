"""Which servers one process serves when the bot is split over several (Discord's sharding).

Discord sends a server's events to shard `(guild_id >> 22) % shard_count`; a process holds
some shards and knows only their servers. Work chosen from the database (check-in
reminders) is filtered the same way, so each process takes only what it can carry out.
The shard settings (`ANAGEN_SHARDS`, `ANAGEN_SHARD_COUNT`, `anagen run --shards`) are read
here too, with one readable line per problem as for every setting.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol


class Location(Protocol):
    """What the shard checks read of the database's location (`bot.storage.location`'s):
    its dialect, and its text for the message. Named here so that the storage, which keeps
    its queries to a `ShardScope`, stands on this module and not the other way round."""

    @property
    def dialect(self) -> str: ...


@dataclass(frozen=True, slots=True)
class ShardScope:
    ids: tuple[int, ...]
    count: int

    @classmethod
    def of(cls, ids: tuple[int, ...] | list[int] | None, count: int | None) -> ShardScope | None:
        """The scope of a process holding `ids` of `count` shards; None when it holds every
        shard (or has not been told how many there are: then it is the only process)."""
        if ids is None or count is None or set(ids) >= set(range(count)):
            return None
        return cls(tuple(sorted(set(ids))), count)

    def holds(self, guild_id: int) -> bool:
        return (guild_id >> 22) % self.count in self.ids

    def sql(self, column: str) -> str:
        """A condition on `column` (a server id) true for this scope's servers only. The
        numbers are this scope's own integers, never user input."""
        ids = ", ".join(str(int(i)) for i in self.ids)
        return f"(({column} >> 22) % {int(self.count)}) IN ({ids})"

    @property
    def share(self) -> float:
        """This process's part of the bot, for splitting bot-wide limits between processes."""
        return len(self.ids) / self.count


def share_of(scope: ShardScope | None) -> float:
    return 1.0 if scope is None else scope.share


# -- reading the shard settings --------------------------------------------------------

SHARDS_FORMAT = (
    "write a range such as 0-3, a list such as 0,2,5, or one id such as 4 (empty: every shard)"
)
_SHARD_ITEM_RE = re.compile(r"^(\d+)(?:-(\d+))?$")


def _parse_shard_ranges(name: str, raw: str, problems: list[str]) -> list[tuple[int, int]] | None:
    """`0-3,8` as [(0, 3), (8, 8)]; None (and a problem) if it does not read as shard ids."""
    ranges: list[tuple[int, int]] = []
    for item in (part.strip() for part in raw.split(",")):
        if match := _SHARD_ITEM_RE.match(item.replace(" ", "")):
            first, last = int(match[1]), int(match[2] or match[1])
            if first > last:
                problems.append(
                    f"{name}={raw!r}: the range {item} runs backwards; write {last}-{first}."
                )
                return None
            ranges.append((first, last))
        elif re.match(r"^-\s*\d", item):
            problems.append(f"{name}={raw!r}: shard ids start at 0; {item} is negative.")
            return None
        else:
            problems.append(f"{name}={raw!r} is not a set of shard ids: {SHARDS_FORMAT}.")
            return None
    return ranges


def _parse_shard_count(name: str, raw: str, problems: list[str]) -> int | None:
    value = raw.strip()
    if value.isdecimal() and int(value) >= 1:
        return int(value)
    problems.append(
        f"{name}={raw!r} is not a number of shards: give a whole number of 1 or more, the "
        "shards of all processes together (empty: the number Discord recommends)."
    )
    return None


def read_shards(
    raw_ids: str,
    raw_count: str,
    database: Location,
    problems: list[str],
    *,
    ids_name: str = "ANAGEN_SHARDS",
    count_name: str = "ANAGEN_SHARD_COUNT",
) -> tuple[tuple[int, ...] | None, int | None]:
    """The shards one process holds and the shard count, from their text (the environment's
    or the command line's: `ids_name` and `count_name` say which, in the problems).

    Empty ids mean every shard; an empty count means Discord's recommended one. Returns
    (None, None) for whatever is invalid, with one line per problem appended."""
    shard_count = None
    if raw_count.strip():
        shard_count = _parse_shard_count(count_name, raw_count, problems)
        if shard_count is None:
            return None, None
    if not raw_ids.strip():
        return None, shard_count
    ranges = _parse_shard_ranges(ids_name, raw_ids, problems)
    if ranges is None:
        return None, None
    if shard_count is None:
        problems.append(
            f"{ids_name}={raw_ids!r} needs {count_name} as well: the number of shards of all "
            f"processes together, so that every process splits servers the same way "
            f"(ids run from 0 to {count_name} - 1)."
        )
        return None, None
    highest = max(last for _, last in ranges)
    if highest >= shard_count:
        problems.append(
            f"{ids_name}={raw_ids!r}: shard {highest} does not exist with "
            f"{count_name}={shard_count} (ids run from 0 to {shard_count - 1})."
        )
        return None, None
    shard_ids = tuple(sorted({i for first, last in ranges for i in range(first, last + 1)}))
    if problem := shard_problem(shard_ids, shard_count, database, ids_name, count_name):
        problems.append(problem)
        return None, None
    return shard_ids, shard_count


def shard_problem(
    shard_ids: tuple[int, ...] | None,
    shard_count: int | None,
    database: Location,
    ids_name: str = "ANAGEN_SHARDS",
    count_name: str = "ANAGEN_SHARD_COUNT",
) -> str | None:
    """Why this process cannot hold these shards on this database, or None if it can:
    an SQLite file serves one process, so that process must hold every shard."""
    if shard_ids is None or shard_count is None or database.dialect != "sqlite":
        return None  # ids without a count: discord.py refuses them itself
    if shard_count is not None and set(shard_ids) >= set(range(shard_count)):
        return None
    return (
        f"{ids_name}={format_shard_ids(shard_ids)} of {count_name}={shard_count} leaves the "
        f"other shards to other processes, but ANAGEN_DATABASE={str(database)!r} is an SQLite "
        f"file, which serves one process only: leave {ids_name} empty to hold every shard in "
        "this process, or use PostgreSQL (ANAGEN_DATABASE=postgresql://…) to run several; see "
        "'Running at scale' in README.md."
    )


def format_shard_ids(shard_ids: tuple[int, ...]) -> str:
    """(0, 1, 2, 3, 8) as '0-3,8', the way ANAGEN_SHARDS is written."""
    parts: list[str] = []
    ordered = sorted(set(shard_ids))
    start = 0
    for index, shard in enumerate(ordered):
        if index + 1 < len(ordered) and ordered[index + 1] == shard + 1:
            continue
        first = ordered[start]
        parts.append(str(first) if first == shard else f"{first}-{shard}")
        start = index + 1
    return ",".join(parts)
