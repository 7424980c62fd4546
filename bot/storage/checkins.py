"""The check-in aggregate: a member's enrolment, regimen and reminder log.

`CheckinRepository` is plain synchronous code over a unit of work's `Tx`, run by
`Database.run` (writes) or `Database.read` (reads); its records are defined here, as every
repository's are. It reads and writes rows and decides nothing about them: which reminder
is owed after downtime is the scheduler's call (`bot.checkins.scheduler.claim_due`), made
in the unit of work that writes its claim, so a claim is recorded before anything is sent.
Check-in answers are responses of their own tables (`bot.storage.responses.checkin_tables`),
the survey's engine and SQL. Instants are stored as fixed-width ISO-8601 UTC text
(`clock.stamp`), so SQL compares them as strings.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from bot.schedule import Due, Schedule, ScheduleError, first_due, next_due
from bot.shards import ShardScope
from bot.storage.clock import stamp, utc_now
from bot.storage.responses import checkin_tables
from bot.storage.tx import Tx


class EnrolmentStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    STOPPED = "stopped"


class PauseReason(StrEnum):
    MEMBER = "member"  # the member asked
    DM_CLOSED = "dm_closed"  # Discord error 50007: tell them next time they use a command
    GONE = "gone"  # no longer shares a server with the bot


class ReminderState(StrEnum):
    CLAIMED = "claimed"
    SENT = "sent"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class Enrolment:
    id: int
    guild_id: int
    user_id: int
    schedule: Schedule
    anchor_date: date
    status: EnrolmentStatus
    pause_reason: PauseReason | None
    next_due: datetime | None

    @property
    def active(self) -> bool:
        return self.status is EnrolmentStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class Reminder:
    """A claimed reminder, handed to the send callback. `attempt` > 1 means an earlier run
    claimed it and stopped before recording the outcome: it may already have gone out."""

    id: int
    enrolment_id: int
    guild_id: int
    user_id: int
    period: str
    due_at: datetime
    attempt: int


@dataclass(frozen=True, slots=True)
class ReminderLogEntry:
    id: int
    enrolment_id: int
    guild_id: int
    user_id: int
    period: str
    due_at: datetime
    state: ReminderState
    reason: str | None
    attempts: int
    claimed_at: datetime
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class RegimenEntry:
    id: int
    guild_id: int
    user_id: int
    treatment_id: str
    started_month: str | None  # 'YYYY-MM'
    stopped_month: str | None
    dose_changed_month: str | None
    source: str

    @property
    def current(self) -> bool:
        return self.stopped_month is None


@dataclass(frozen=True, slots=True)
class RegimenChanges:
    started: tuple[tuple[str, str | None], ...] = ()  # (treatment, 'YYYY-MM' or unknown)
    stopped: tuple[tuple[str, str], ...] = ()
    dose_changed: tuple[tuple[str, str], ...] = ()


def _within(scope: ShardScope | None, column: str) -> str:
    """A WHERE clause's extra condition keeping to the servers of `scope` (all if None)."""
    return "" if scope is None else f" AND {scope.sql(column)}"


def _instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


@dataclass(frozen=True, slots=True)
class ErasedCheckins:
    enrolments: int
    reminders: int
    regimen_entries: int
    responses: int


_ENROLMENT_COLUMNS = (
    "id, guild_id, user_id, interval_weeks, weekday, hour, time_zone, anchor_date, status,"
    " pause_reason, next_due_utc"
)
_LOG_COLUMNS = (
    "id, enrolment_id, guild_id, user_id, period, due_utc, state, reason, attempts, claimed_at,"
    " finished_at"
)
_REGIMEN_COLUMNS = (
    "id, guild_id, user_id, treatment_id, started_month, stopped_month, dose_changed_month, source"
)
# The claim: a log row per (enrolment, period), never two; the insert that wins IS the claim.
_CLAIM_SQL = (
    "INSERT INTO checkin_reminders (enrolment_id, guild_id, user_id, period, due_utc, state,"
    " attempts, run_id, claimed_at) VALUES (?, ?, ?, ?, ?, 'claimed', 1, ?, ?)"
    " ON CONFLICT (enrolment_id, period) DO NOTHING RETURNING id"
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


def _enrolment(row: Sequence[Any]) -> Enrolment:
    (id_, guild, user, interval, weekday, hour, zone, anchor, status, reason, due) = row
    return Enrolment(
        id_,
        guild,
        user,
        Schedule(interval, weekday, hour, zone),
        date.fromisoformat(anchor),
        EnrolmentStatus(status),
        None if reason is None else PauseReason(reason),
        _instant(due),
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
        _instant(finished),
    )


class CheckinRepository:
    """Everything stored about members' check-ins except their answers, in one unit of work."""

    __slots__ = ("tx",)

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    # -- enrolment --------------------------------------------------------------------------

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
            f" RETURNING {_ENROLMENT_COLUMNS}",
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
        return _enrolment(row)

    def enrolment(self, guild_id: int, user_id: int) -> Enrolment | None:
        row = self.tx.row(
            f"SELECT {_ENROLMENT_COLUMNS} FROM checkin_enrolments"
            " WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        return None if row is None else _enrolment(row)

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
            f" WHERE id = ? AND status = 'paused' RETURNING {_ENROLMENT_COLUMNS}",
            (stamp(due.at), stamp(now), enrolment.id),
        )
        return None if row is None else _enrolment(row)

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
            " WHERE status = 'active'" + _within(scope, "guild_id")
        )
        if row is None:
            return None
        instants = [_instant(value) for value in row if value is not None]
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

    # -- reminders ----------------------------------------------------------------------------
    # The steps of a claim, a statement or two each: `bot.checkins.scheduler.claim_due`
    # decides which to take and takes them in one unit of work.

    def due_enrolments(
        self, now: datetime, limit: int, scope: ShardScope | None = None
    ) -> tuple[list[Enrolment], list[int]]:
        """Up to `limit` active enrolments whose due time has come (of the servers in
        `scope`, when the bot is split over processes), earliest first and locked for this
        unit; apart, the ids of those whose stored schedule no longer reads (a zone a tzdata
        update removed)."""
        rows = self.tx.rows(
            f"SELECT {_ENROLMENT_COLUMNS} FROM checkin_enrolments"
            " WHERE status = 'active' AND next_due_utc <= ?"
            + _within(scope, "guild_id")
            + " ORDER BY next_due_utc, id LIMIT ?"
            + self.tx.dialect.skip_locked,
            (stamp(now), limit),
        )
        due: list[Enrolment] = []
        unusable: list[int] = []
        for row in rows:
            try:
                due.append(_enrolment(row))
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
            + _within(scope, "guild_id")
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
            + _within(scope, "r.guild_id")
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

    # -- regimen ------------------------------------------------------------------------------

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

    # -- erasure ------------------------------------------------------------------------------

    def erase_member(self, guild_id: int, user_id: int) -> ErasedCheckins:
        """Delete every check-in row about the member in this server, answers included;
        returns what went. Part of the caller's unit, so `/survey delete` is one commit."""
        counts: dict[str, int] = {}
        # Reminders first: they would cascade with their enrolment, but are counted apart.
        for table in ("checkin_reminders", "checkin_enrolments", "regimen_entries"):
            counts[table] = self.tx.run(
                f"DELETE FROM {table} WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
            )
        # a response's answers and choices cascade with it
        responses, _ = checkin_tables(utc_now).on(self.tx).erase_member(guild_id, user_id)
        return ErasedCheckins(
            enrolments=counts["checkin_enrolments"],
            reminders=counts["checkin_reminders"],
            regimen_entries=counts["regimen_entries"],
            responses=responses,
        )
