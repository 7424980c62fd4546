"""Which servers one process serves when the bot is split over several (Discord's sharding).

Discord sends a server's events to shard `(guild_id >> 22) % shard_count`; a process holds
some shards and knows only their servers. Work chosen from the database (check-in
reminders) is filtered the same way, so each process takes only what it can carry out.
"""

from __future__ import annotations

from dataclasses import dataclass


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
