"""A member's enrolment row: opting in, the schedule, pausing, resuming and putting off.

One part of `CheckinRepository` (`bot.storage.checkins`), apart because the enrolment row
is the one every other part reads: its columns and how a row reads back as an `Enrolment`
stand here, with the two small readers the reminder steps share (`within`,
`instant_from_text`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from bot.schedule import Schedule, first_due, next_due
from bot.shards import ShardScope
from bot.storage.checkin_records import Enrolment, EnrolmentStatus, PauseReason
from bot.storage.clock import stamp
from bot.storage.tx import Tx

ENROLMENT_COLUMNS = (
    "id, guild_id, user_id, interval_weeks, weekday, hour, time_zone, anchor_date, status,"
    " pause_reason, next_due_utc"
)


def within(scope: ShardScope | None, column: str) -> str:
    """A WHERE clause's extra condition keeping to the servers of `scope` (all if None)."""
    return "" if scope is None else f" AND {scope.sql(column)}"


def instant_from_text(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def enrolment_from_row(row: Sequence[Any]) -> Enrolment:
    """An `Enrolment` from a row of `ENROLMENT_COLUMNS`; `ScheduleError` if its schedule
    no longer reads."""
    (id_, guild, user, interval, weekday, hour, zone, anchor, status, reason, due) = row
    return Enrolment(
        id_,
        guild,
        user,
        Schedule(interval, weekday, hour, zone),
        date.fromisoformat(anchor),
        EnrolmentStatus(status),
        None if reason is None else PauseReason(reason),
        instant_from_text(due),
    )


class EnrolmentRows:
    """The member-facing changes to an enrolment, in the repository's unit of work."""

    __slots__ = ()
    tx: Tx

    def enrol(self, guild_id: int, user_id: int, schedule: Schedule, now: datetime) -> Enrolment:
        """Opt in, or change the schedule: active again, first due about one interval on."""
        first = first_due(schedule, now)
        row = self.tx.row(
            "INSERT INTO checkin_enrolments (guild_id, user_id, interval_weeks, weekday,"
            " hour, time_zone, anchor_date, status, pause_reason, pause_notice, next_due_utc,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'active', NULL, 0, ?, ?, ?)"
            " ON CONFLICT (guild_id, user_id) DO UPDATE SET"
            " interval_weeks = excluded.interval_weeks, weekday = excluded.weekday,"
            " hour = excluded.hour, time_zone = excluded.time_zone,"
            " anchor_date = excluded.anchor_date, status = 'active', pause_reason = NULL,"
            " pause_notice = 0, next_due_utc = excluded.next_due_utc, snooze_period = NULL,"
            " snooze_until_utc = NULL, updated_at = excluded.updated_at"
            f" RETURNING {ENROLMENT_COLUMNS}",
            (
                guild_id,
                user_id,
                schedule.interval_weeks,
                schedule.weekday,
                schedule.hour,
                schedule.zone,
                first.period,
                stamp(first.at),
                stamp(now),
                stamp(now),
            ),
        )
        assert row is not None
        return enrolment_from_row(row)

    def enrolment(self, guild_id: int, user_id: int) -> Enrolment | None:
        row = self.tx.row(
            f"SELECT {ENROLMENT_COLUMNS} FROM checkin_enrolments"
            " WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        return None if row is None else enrolment_from_row(row)

    def is_active(self, enrolment_id: int) -> bool:
        return bool(
            self.tx.value(
                "SELECT 1 FROM checkin_enrolments WHERE id = ? AND status = 'active'",
                (enrolment_id,),
            )
        )

    def pause(
        self, guild_id: int, user_id: int, now: datetime, reason: PauseReason = PauseReason.MEMBER
    ) -> bool:
        """Pause an active enrolment; False if there was none active."""
        changed = self.tx.run(
            "UPDATE checkin_enrolments SET status = 'paused', pause_reason = ?, pause_notice = ?,"
            " next_due_utc = NULL, snooze_period = NULL, snooze_until_utc = NULL, updated_at = ?"
            " WHERE guild_id = ? AND user_id = ? AND status = 'active'",
            (reason.value, int(reason is not PauseReason.MEMBER), stamp(now), guild_id, user_id),
        )
        return changed == 1

    def resume(self, guild_id: int, user_id: int, now: datetime) -> Enrolment | None:
        """Re-activate a paused enrolment on its old rhythm: the next occurrence after now."""
        enrolment = self.enrolment(guild_id, user_id)
        if enrolment is None or enrolment.status is not EnrolmentStatus.PAUSED:
            return None
        due = next_due(enrolment.schedule, enrolment.anchor_date, now)
        row = self.tx.row(
            "UPDATE checkin_enrolments SET status = 'active', pause_reason = NULL,"
            " pause_notice = 0, next_due_utc = ?, updated_at = ?"
            f" WHERE id = ? AND status = 'paused' RETURNING {ENROLMENT_COLUMNS}",
            (stamp(due.at), stamp(now), enrolment.id),
        )
        return None if row is None else enrolment_from_row(row)

    def stop(self, guild_id: int, user_id: int, now: datetime) -> bool:
        changed = self.tx.run(
            "UPDATE checkin_enrolments SET status = 'stopped', pause_reason = NULL,"
            " pause_notice = 0, next_due_utc = NULL, snooze_period = NULL, snooze_until_utc = NULL,"
            " updated_at = ? WHERE guild_id = ? AND user_id = ? AND status != 'stopped'",
            (stamp(now), guild_id, user_id),
        )
        return changed == 1

    def has_pause_notice(self, guild_id: int, user_id: int) -> bool:
        """A cheap read before `take_pause_notice`'s write, done on every command."""
        return (
            self.tx.value(
                "SELECT 1 FROM checkin_enrolments WHERE guild_id = ? AND user_id = ?"
                " AND pause_notice = 1",
                (guild_id, user_id),
            )
            is not None
        )

    def take_pause_notice(self, guild_id: int, user_id: int) -> PauseReason | None:
        """Why the bot paused the member's check-ins, once: the flag is cleared as it is read."""
        reason = self.tx.value(
            "UPDATE checkin_enrolments SET pause_notice = 0 WHERE guild_id = ? AND user_id = ?"
            " AND pause_notice = 1 RETURNING pause_reason",
            (guild_id, user_id),
        )
        return PauseReason(reason) if reason else None

    def next_due_at(self, scope: ShardScope | None = None) -> datetime | None:
        """The earliest due time of any active enrolment (for the scheduler's sleep)."""
        row = self.tx.row(
            "SELECT min(next_due_utc), min(snooze_until_utc) FROM checkin_enrolments"
            " WHERE status = 'active'" + within(scope, "guild_id")
        )
        if row is None:
            return None
        instants = [instant_from_text(value) for value in row if value is not None]
        return min((i for i in instants if i is not None), default=None)

    def snooze(self, guild_id: int, user_id: int, period: str, until: datetime) -> bool:
        """Remind the member once more about `period` at `until` ("remind me tomorrow")."""
        base = period.split("+", 1)[0]  # putting off a put-off reminder keeps its period
        changed = self.tx.run(
            "UPDATE checkin_enrolments SET snooze_period = ?, snooze_until_utc = ?"
            " WHERE guild_id = ? AND user_id = ? AND status = 'active'",
            (base, stamp(until), guild_id, user_id),
        )
        return changed == 1

    def note_member_skipped(self, guild_id: int, user_id: int, period: str) -> None:
        """The member chose "skip this one": say so in the log and drop any put-off reminder."""
        self.tx.run(
            "UPDATE checkin_reminders SET reason = 'member_skipped' WHERE guild_id = ?"
            " AND user_id = ? AND period = ?",
            (guild_id, user_id, period),
        )
        self.tx.run(
            "UPDATE checkin_enrolments SET snooze_period = NULL, snooze_until_utc = NULL"
            " WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
