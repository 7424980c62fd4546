"""The reminder log: the steps of a claim, taking over interrupted claims, and the outcomes.

One part of `CheckinRepository` (`bot.storage.checkins`). Each step is a statement or two:
`bot.checkins.scheduler.claim_due` decides which to take and takes them in one unit of
work, so a claim is recorded before anything is sent. Apart from the enrolment part
because this is where PostgreSQL's several processes meet (row locks, run ids).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.schedule import Due, ScheduleError
from bot.shards import ShardScope
from bot.storage.checkin_enrolments import (
    ENROLMENT_COLUMNS,
    enrolment_from_row,
    instant_from_text,
    within,
)
from bot.storage.checkin_records import (
    Enrolment,
    PauseReason,
    Reminder,
    ReminderLogEntry,
    ReminderState,
)
from bot.storage.clock import stamp
from bot.storage.tx import Tx

_LOG_COLUMNS = (
    "id, enrolment_id, guild_id, user_id, period, due_utc, state, reason, attempts, claimed_at,"
    " finished_at"
)
# The claim: a log row per (enrolment, period), never two; the insert that wins IS the claim.
_CLAIM_SQL = (
    "INSERT INTO checkin_reminders (enrolment_id, guild_id, user_id, period, due_utc, state,"
    " attempts, run_id, claimed_at) VALUES (?, ?, ?, ?, ?, 'claimed', 1, ?, ?)"
    " ON CONFLICT (enrolment_id, period) DO NOTHING RETURNING id"
)


def _log_entry(row: Sequence[Any]) -> ReminderLogEntry:
    (id_, enrolment, guild, user, period, due, state, reason, attempts, claimed, finished) = row
    return ReminderLogEntry(
        id_,
        enrolment,
        guild,
        user,
        period,
        datetime.fromisoformat(due),
        ReminderState(state),
        reason,
        attempts,
        datetime.fromisoformat(claimed),
        instant_from_text(finished),
    )


class ReminderRows:
    """Claiming reminders, recording how they went and reading the log back."""

    __slots__ = ()
    tx: Tx

    def due_enrolments(
        self, now: datetime, limit: int, scope: ShardScope | None = None
    ) -> tuple[list[Enrolment], list[int]]:
        """Up to `limit` active enrolments whose due time has come (of the servers in
        `scope`, when the bot is split over processes), earliest first and locked for this
        unit; apart, the ids of those whose stored schedule no longer reads (a zone a tzdata
        update removed)."""
        rows = self.tx.rows(
            f"SELECT {ENROLMENT_COLUMNS} FROM checkin_enrolments"
            " WHERE status = 'active' AND next_due_utc <= ?"
            + within(scope, "guild_id")
            + " ORDER BY next_due_utc, id LIMIT ?"
            + self.tx.dialect.skip_locked,
            (stamp(now), limit),
        )
        due: list[Enrolment] = []
        unusable: list[int] = []
        for row in rows:
            try:
                due.append(enrolment_from_row(row))
            except ScheduleError:
                unusable.append(row[0])
        return due, unusable

    def stop_unusable(self, enrolment_id: int, now: datetime) -> None:
        """Stop an enrolment whose schedule no longer reads."""
        self.tx.run(
            "UPDATE checkin_enrolments SET status = 'stopped', next_due_utc = NULL,"
            " updated_at = ? WHERE id = ?",
            (stamp(now), enrolment_id),
        )

    def log_superseded(self, enrolment: Enrolment, missed: Iterable[Due], now: datetime) -> None:
        """Log periods that will get no reminder of their own, each at most once."""
        base = (enrolment.id, enrolment.guild_id, enrolment.user_id)
        self.tx.run_many(
            "INSERT INTO checkin_reminders (enrolment_id, guild_id, user_id, period,"
            " due_utc, state, reason, claimed_at, finished_at) VALUES (?, ?, ?, ?, ?,"
            " 'skipped', 'superseded', ?, ?) ON CONFLICT (enrolment_id, period) DO NOTHING",
            [(*base, due.period, stamp(due.at), stamp(now), stamp(now)) for due in missed],
        )

    def claim(self, enrolment: Enrolment, due: Due, run_id: str, now: datetime) -> Reminder | None:
        """Claim the reminder of one period for this run; None if that period was claimed
        before (the insert that wins is the claim)."""
        base = (enrolment.id, enrolment.guild_id, enrolment.user_id)
        reminder_id = self.tx.value(
            _CLAIM_SQL, (*base, due.period, stamp(due.at), run_id, stamp(now))
        )
        return None if reminder_id is None else Reminder(reminder_id, *base, due.period, due.at, 1)

    def move_due(self, enrolment_id: int, at: datetime, now: datetime) -> None:
        """Set when the enrolment is due next."""
        self.tx.run(
            "UPDATE checkin_enrolments SET next_due_utc = ?, updated_at = ? WHERE id = ?",
            (stamp(at), stamp(now), enrolment_id),
        )

    def claim_snoozed(
        self, now: datetime, run_id: str, limit: int, scope: ShardScope | None = None
    ) -> list[Reminder]:
        """Claim the put-off reminders that have come due, clearing the snooze as it is taken."""
        rows = self.tx.rows(
            "SELECT id, guild_id, user_id, snooze_period, snooze_until_utc FROM checkin_enrolments"
            " WHERE snooze_until_utc <= ? AND status = 'active'"
            + within(scope, "guild_id")
            + " ORDER BY snooze_until_utc, id LIMIT ?"
            + self.tx.dialect.skip_locked,
            (stamp(now), limit),
        )
        claimed: list[Reminder] = []
        for enrolment_id, guild, user, period, until in rows:
            due = datetime.fromisoformat(until)
            key = f"{period}+{due.date().isoformat()}"
            reminder_id = self.tx.value(
                _CLAIM_SQL, (enrolment_id, guild, user, key, until, run_id, stamp(now))
            )
            if reminder_id is not None:
                claimed.append(Reminder(reminder_id, enrolment_id, guild, user, key, due, 1))
            self.tx.run(
                "UPDATE checkin_enrolments SET snooze_period = NULL, snooze_until_utc = NULL"
                " WHERE id = ?",
                (enrolment_id,),
            )
        return claimed

    def reclaim_interrupted(
        self,
        now: datetime,
        run_id: str,
        *,
        max_attempts: int = 3,
        max_delay: timedelta = timedelta(days=1),
        scope: ShardScope | None = None,
    ) -> list[Reminder]:
        """Take over claims a run that is gone left unfinished (it stopped mid-send).

        A claim of another run whose process still holds its run id (`Database.hold`, with
        PostgreSQL's several processes) is in flight, not abandoned, and is left alone.
        Claims past `max_attempts`, older than `max_delay` or of enrolments no longer
        active are closed instead (failed / skipped) so they are never retried forever."""
        rows = self.tx.rows(
            "SELECT r.id, r.enrolment_id, r.guild_id, r.user_id, r.period, r.due_utc, r.attempts,"
            " e.status, r.run_id FROM checkin_reminders r"
            " JOIN checkin_enrolments e ON e.id = r.enrolment_id"
            " WHERE r.state = 'claimed' AND (r.run_id IS NULL OR r.run_id != ?)"
            + within(scope, "r.guild_id")
            + " ORDER BY r.id"
            + self.tx.dialect.skip_locked,
            (run_id,),
        )
        alive: dict[str, bool] = {}
        reclaimed: list[Reminder] = []
        for id_, enrolment_id, guild, user, period, due, attempts, status, holder in rows:
            if holder is not None:
                if holder not in alive:
                    alive[holder] = self.tx.holder_alive(holder)
                if alive[holder]:
                    continue
            due_at = datetime.fromisoformat(due)
            closed = (
                ("skipped", "not_active")
                if status != "active"
                else ("failed", "interrupted")
                if attempts >= max_attempts
                else ("skipped", "expired")
                if due_at < now - max_delay
                else None
            )
            if closed is not None:
                self.tx.run(
                    "UPDATE checkin_reminders SET state = ?, reason = ?, finished_at = ?"
                    " WHERE id = ?",
                    (*closed, stamp(now), id_),
                )
                continue
            self.tx.run(
                "UPDATE checkin_reminders SET run_id = ?, attempts = attempts + 1, claimed_at = ?"
                " WHERE id = ?",
                (run_id, stamp(now), id_),
            )
            reclaimed.append(Reminder(id_, enrolment_id, guild, user, period, due_at, attempts + 1))
        return reclaimed

    def finish(
        self,
        reminder: Reminder,
        state: ReminderState,
        now: datetime,
        *,
        reason: str | None = None,
        pause: PauseReason | None = None,
    ) -> None:
        """Record a claimed reminder's outcome (the first one stands), pausing the enrolment
        if asked."""
        # coalesce: a member may press "Skip this one" before the send is recorded.
        self.tx.run(
            "UPDATE checkin_reminders SET state = ?, reason = coalesce(?, reason),"
            " finished_at = ? WHERE id = ? AND state = 'claimed'",
            (state.value, reason, stamp(now), reminder.id),
        )
        if pause is not None:
            self.tx.run(
                "UPDATE checkin_enrolments SET status = 'paused', pause_reason = ?,"
                " pause_notice = 1, next_due_utc = NULL, snooze_period = NULL,"
                " snooze_until_utc = NULL, updated_at = ? WHERE id = ? AND status = 'active'",
                (pause.value, stamp(now), reminder.enrolment_id),
            )

    def reminder_log(
        self, guild_id: int, *, user_id: int | None = None, limit: int = 100
    ) -> list[ReminderLogEntry]:
        """The server's reminder log, newest first (what `anagen checkins log` prints)."""
        params: dict[str, Any] = {"guild": guild_id, "limit": limit}
        member = ""
        if user_id is not None:
            member, params["user"] = " AND user_id = :user", user_id
        rows = self.tx.rows(
            f"SELECT {_LOG_COLUMNS} FROM checkin_reminders WHERE guild_id = :guild{member}"
            " ORDER BY claimed_at DESC, id DESC LIMIT :limit",
            params,
        )
        return [_log_entry(row) for row in rows]

    def reminder_counts(self) -> dict[ReminderState, int]:
        rows = self.tx.rows("SELECT state, count(*) FROM checkin_reminders GROUP BY state")
        return {ReminderState(state): count for state, count in rows}
