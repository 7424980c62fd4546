"""A member's regimen: the treatments they are on or were on, month by month.

One part of `CheckinRepository` (`bot.storage.checkins`), apart because the regimen is
written from two sides: the member's own edits, and a completed check-in's answers
(`apply_regimen_changes`), which share the same three statements.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.storage.checkin_records import RegimenChanges, RegimenEntry
from bot.storage.clock import stamp
from bot.storage.tx import Tx

_REGIMEN_COLUMNS = (
    "id, guild_id, user_id, treatment_id, started_month, stopped_month, dose_changed_month, source"
)
_STOP_REGIMEN_SQL = (
    "UPDATE regimen_entries SET stopped_month = ?, updated_at = ? WHERE guild_id = ?"
    " AND user_id = ? AND treatment_id = ? AND stopped_month IS NULL"
)
_CHANGE_DOSE_SQL = (
    "UPDATE regimen_entries SET dose_changed_month = ?, updated_at = ? WHERE guild_id = ?"
    " AND user_id = ? AND treatment_id = ? AND stopped_month IS NULL"
)
_START_REGIMEN_SQL = (
    "INSERT INTO regimen_entries (guild_id, user_id, treatment_id, started_month, source,"
    " updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)


class RegimenRows:
    """Reading and changing a member's regimen entries, in the repository's unit of work."""

    __slots__ = ()
    tx: Tx

    def regimen(self, guild_id: int, user_id: int) -> list[RegimenEntry]:
        """Every treatment the member is on or was on, current ones first."""
        rows = self.tx.rows(
            f"SELECT {_REGIMEN_COLUMNS} FROM regimen_entries WHERE guild_id = ? AND user_id = ?"
            " ORDER BY stopped_month IS NOT NULL, treatment_id, id",
            (guild_id, user_id),
        )
        return [RegimenEntry(*row) for row in rows]

    def current_treatments(self, guild_id: int, user_id: int) -> list[str]:
        rows = self.tx.rows(
            "SELECT treatment_id FROM regimen_entries WHERE guild_id = ? AND user_id = ?"
            " AND stopped_month IS NULL ORDER BY treatment_id",
            (guild_id, user_id),
        )
        return [row[0] for row in rows]

    def start_treatments(
        self,
        guild_id: int,
        user_id: int,
        treatments: Iterable[tuple[str, str | None]],
        now: datetime,
        *,
        source: str = "member",
    ) -> int:
        """Add (treatment id, started month) pairs; a treatment already current is kept.
        Returns how many were added."""
        return sum(
            self.tx.run(
                _START_REGIMEN_SQL, (guild_id, user_id, treatment, month, source, stamp(now))
            )
            for treatment, month in treatments
        )

    def stop_treatment(
        self, guild_id: int, user_id: int, treatment_id: str, month: str, now: datetime
    ) -> bool:
        changed = self.tx.run(
            _STOP_REGIMEN_SQL, (month, stamp(now), guild_id, user_id, treatment_id)
        )
        return changed == 1

    def change_dose(
        self, guild_id: int, user_id: int, treatment_id: str, month: str, now: datetime
    ) -> bool:
        changed = self.tx.run(
            _CHANGE_DOSE_SQL, (month, stamp(now), guild_id, user_id, treatment_id)
        )
        return changed == 1

    def forget_treatment(self, guild_id: int, user_id: int, treatment_id: str) -> bool:
        """Remove a treatment entered by mistake (its open entry); stopping it is different."""
        changed = self.tx.run(
            "DELETE FROM regimen_entries WHERE guild_id = ? AND user_id = ? AND treatment_id = ?"
            " AND stopped_month IS NULL",
            (guild_id, user_id, treatment_id),
        )
        return changed == 1

    def apply_regimen_changes(
        self,
        guild_id: int,
        user_id: int,
        changes: RegimenChanges,
        now: datetime,
        *,
        source: str = "checkin",
    ) -> None:
        """What a completed check-in says about the regimen; in the unit that completes it,
        so the two are committed together."""
        member = (guild_id, user_id)
        self.tx.run_many(
            _STOP_REGIMEN_SQL,
            [(month, stamp(now), *member, treatment) for treatment, month in changes.stopped],
        )
        self.tx.run_many(
            _CHANGE_DOSE_SQL,
            [(month, stamp(now), *member, treatment) for treatment, month in changes.dose_changed],
        )
        self.tx.run_many(
            _START_REGIMEN_SQL,
            [
                (*member, treatment, month, source, stamp(now))
                for treatment, month in changes.started
            ],
        )
