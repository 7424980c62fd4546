"""Releases of community results: claims, parts, and the changes waiting for the next one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from bot.storage.tx import Tx

# Releases kept per server: the newest (read by every command) and the one before it (what
# the next one is audited against; both were public anyway).
KEEP = 2


@dataclass(frozen=True, slots=True)
class ReleaseRecord:
    guild_id: int
    number: int
    status: str  # "building" or "ready"
    claimed_at: str
    as_of: str | None
    respondents: int
    joined: int
    left: int
    k: int

    @property
    def claimed_on(self) -> date:
        """The day (UTC) it was counted: the date readers are told its numbers are "as of"."""
        return datetime.fromisoformat(self.claimed_at).date()


@dataclass(frozen=True, slots=True)
class Pending:
    """What changed since the latest release's snapshot (its `as_of`)."""

    completions: int  # survey completions, retakes included
    retakes: int  # completions by members already counted
    checkins: int  # completed check-ins
    repeat_checkins: int  # check-ins replacing a member's earlier latest one
    erasures: int
    last_change: str | None  # the newest of them

    @property
    def changes(self) -> int:
        return self.completions + self.checkins + self.erasures

    @property
    def joined(self) -> int:
        """Members who may have entered a cell of the next release."""
        return self.completions + self.checkins

    @property
    def left(self) -> int:
        """Members who may have left a cell: erased, retaken, or a newer check-in."""
        return self.erasures + self.retakes + self.repeat_checkins


_COLUMNS = "guild_id, number, status, claimed_at, as_of, respondents, joined, left_count, k"


class ReleaseRepository:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    def latest(self, guild_id: int, *, ready: bool = True) -> ReleaseRecord | None:
        status = " AND status = 'ready'" if ready else ""
        row = self.tx.row(
            f"SELECT {_COLUMNS} FROM releases WHERE guild_id = ?{status}"
            " ORDER BY number DESC LIMIT 1",
            (guild_id,),
        )
        return ReleaseRecord(*row) if row is not None else None

    def claim(self, guild_id: int, number: int, now: str, stale_before: str) -> bool:
        """Take the making of release `number`: True for exactly one process. A claim left
        by a process that died before `stale_before` is taken over."""
        taken = self.tx.run(
            "INSERT INTO releases (guild_id, number, status, claimed_at)"
            " VALUES (?, ?, 'building', ?)"
            " ON CONFLICT (guild_id, number) DO NOTHING",
            (guild_id, number, now),
        )
        if taken:
            return True
        return bool(
            self.tx.run(
                "UPDATE releases SET claimed_at = ? WHERE guild_id = ? AND number = ?"
                " AND status = 'building' AND claimed_at < ?",
                (now, guild_id, number, stale_before),
            )
        )

    def unclaim(self, guild_id: int, number: int) -> None:
        """Give a claimed release number back: it was not made."""
        self.tx.run(
            "DELETE FROM releases WHERE guild_id = ? AND number = ? AND status = 'building'",
            (guild_id, number),
        )

    def publish(
        self,
        record: ReleaseRecord,
        parts: Iterable[tuple[str, str]],
    ) -> None:
        """Store a built release's parts and make it the one commands read."""
        self.tx.run(
            "DELETE FROM release_parts WHERE guild_id = ? AND number = ?",
            (record.guild_id, record.number),
        )
        self.tx.run_many(
            "INSERT INTO release_parts (guild_id, number, key, body) VALUES (?, ?, ?, ?)",
            ((record.guild_id, record.number, key, body) for key, body in parts),
        )
        self.tx.run(
            "UPDATE releases SET status = 'ready', as_of = ?, respondents = ?, joined = ?,"
            " left_count = ?, k = ? WHERE guild_id = ? AND number = ?",
            (
                record.as_of,
                record.respondents,
                record.joined,
                record.left,
                record.k,
                record.guild_id,
                record.number,
            ),
        )
        self.tx.run(
            "DELETE FROM release_parts WHERE guild_id = ? AND number <= ?",
            (record.guild_id, record.number - KEEP),
        )
        self.tx.run(
            "DELETE FROM releases WHERE guild_id = ? AND number <= ?",
            (record.guild_id, record.number - KEEP),
        )

    def part(self, guild_id: int, number: int, key: str) -> str | None:
        found = self.tx.value(
            "SELECT body FROM release_parts WHERE guild_id = ? AND number = ? AND key = ?",
            (guild_id, number, key),
        )
        return None if found is None else str(found)

    def parts(self, guild_id: int, number: int) -> dict[str, str]:
        return {
            str(key): str(body)
            for key, body in self.tx.rows(
                "SELECT key, body FROM release_parts WHERE guild_id = ? AND number = ?",
                (guild_id, number),
            )
        }

    def add_part(self, guild_id: int, number: int, key: str, body: str) -> None:
        """A part made after the release (a chart drawn on first request): the first one
        stored wins, so every process shows the same picture."""
        self.tx.run(
            "INSERT INTO release_parts (guild_id, number, key, body) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (guild_id, number, key) DO NOTHING",
            (guild_id, number, key, body),
        )

    # -- what changed since ---------------------------------------------------------------------

    def record_erasure(self, guild_id: int, at: str) -> None:
        self.tx.run(
            "INSERT INTO release_changes (guild_id, at, kind) VALUES (?, ?, 'erasure')",
            (guild_id, at),
        )

    def pending(self, guild_id: int, since: str | None) -> Pending:
        after = since or ""
        params = {"guild": guild_id, "after": after}
        completions, retakes, last_survey = self.tx.row(
            "SELECT count(*), coalesce(sum(CASE WHEN EXISTS (SELECT 1 FROM responses e"
            " WHERE e.guild_id = r.guild_id AND e.user_id = r.user_id"
            " AND e.status = 'completed' AND e.completed_at <= :after) THEN 1 ELSE 0 END), 0),"
            " max(r.completed_at) FROM responses r WHERE r.guild_id = :guild"
            " AND r.status = 'completed' AND r.completed_at > :after",
            params,
        ) or (0, 0, None)
        checkins, repeats, last_checkin = self.tx.row(
            "SELECT count(*), coalesce(sum(CASE WHEN EXISTS (SELECT 1 FROM checkin_responses e"
            " WHERE e.guild_id = c.guild_id AND e.user_id = c.user_id"
            " AND e.status = 'completed' AND e.completed_at <= :after) THEN 1 ELSE 0 END), 0),"
            " max(c.completed_at) FROM checkin_responses c WHERE c.guild_id = :guild"
            " AND c.status = 'completed' AND c.completed_at > :after",
            params,
        ) or (0, 0, None)
        erasures, last_erasure = self.tx.row(
            "SELECT count(*), max(at) FROM release_changes WHERE guild_id = :guild AND at > :after",
            params,
        ) or (0, None)
        last = max((t for t in (last_survey, last_checkin, last_erasure) if t), default=None)
        return Pending(
            int(completions),
            int(retakes),
            int(checkins),
            int(repeats),
            int(erasures),
            last,
        )

    def guilds_with_answers(self) -> list[int]:
        """Servers that may need a release: some completed survey or check-in, or an erasure."""
        rows = self.tx.rows(
            "SELECT guild_id FROM responses WHERE status = 'completed'"
            " UNION SELECT guild_id FROM checkin_responses WHERE status = 'completed'"
            " UNION SELECT guild_id FROM release_changes"
        )
        return sorted(int(row[0]) for row in rows)
