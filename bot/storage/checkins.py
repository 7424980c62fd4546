"""The check-in aggregate: a member's enrolment, regimen, check-in answers and reminder log.

Writes that the scheduler depends on run as one synchronous unit in the database thread
(`Database.run`): claiming a due reminder inserts its log row and moves the enrolment's
due time on in the same transaction, so a claim is recorded before anything is sent.
Instants are stored as fixed-width ISO-8601 UTC text, so SQL compares them as strings.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

import aiosqlite

from bot.checkins.schedule import Schedule, ScheduleError, catch_up, first_due, next_due
from bot.storage.database import Database
from bot.storage.responses import answers_from
from bot.survey.flow import Answer, AnswerKey

log = logging.getLogger(__name__)


def stamp(instant: datetime) -> str:
    """Fixed-width UTC text ("2025-03-30T01:00:00.000000+00:00") that sorts as time does."""
    if instant.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return instant.astimezone(UTC).isoformat(timespec="microseconds")


def _instant(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


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
class CheckinResponse:
    id: int
    guild_id: int
    user_id: int
    period: str | None
    questionnaire_version: int
    status: str
    position: str | None
    started_at: str
    completed_at: str | None

    @property
    def completed(self) -> bool:
        return self.status == "completed"


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
_RESPONSE_COLUMNS = (
    "id, guild_id, user_id, period, questionnaire_version, status, position, started_at,"
    " completed_at"
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


# -- scheduler units (synchronous, run in the database thread) -----------------------------


def _claim_due(conn: sqlite3.Connection, now: datetime, run_id: str, limit: int) -> list[Reminder]:
    rows = conn.execute(
        f"SELECT {_ENROLMENT_COLUMNS} FROM checkin_enrolments"
        " WHERE status = 'active' AND next_due_utc <= ? ORDER BY next_due_utc, id LIMIT ?",
        (stamp(now), limit),
    ).fetchall()
    claimed: list[Reminder] = []
    for row in rows:
        try:
            enrolment = _enrolment(row)
        except ScheduleError:  # e.g. a zone a tzdata update removed: never block the queue
            log.warning("Stopping check-in enrolment %s: its schedule is unusable", row[0])
            conn.execute(
                "UPDATE checkin_enrolments SET status = 'stopped', next_due_utc = NULL,"
                " updated_at = ? WHERE id = ?",
                (stamp(now), row[0]),
            )
            continue
        assert enrolment.next_due is not None
        plan = catch_up(enrolment.schedule, enrolment.anchor_date, enrolment.next_due, now)
        if plan is None:  # the stored due time is not an occurrence that has come yet
            following = next_due(enrolment.schedule, enrolment.anchor_date, now)
        else:
            following = plan.following
            base = (enrolment.id, enrolment.guild_id, enrolment.user_id)
            conn.executemany(
                "INSERT INTO checkin_reminders (enrolment_id, guild_id, user_id, period, due_utc,"
                " state, reason, claimed_at, finished_at) VALUES (?, ?, ?, ?, ?, 'skipped',"
                " 'superseded', ?, ?) ON CONFLICT (enrolment_id, period) DO NOTHING",
                [(*base, due.period, stamp(due.at), stamp(now), stamp(now)) for due in plan.missed],
            )
            cursor = conn.execute(
                "INSERT INTO checkin_reminders (enrolment_id, guild_id, user_id, period, due_utc,"
                " state, attempts, run_id, claimed_at) VALUES (?, ?, ?, ?, ?, 'claimed', 1, ?, ?)"
                " ON CONFLICT (enrolment_id, period) DO NOTHING",
                (*base, plan.owed.period, stamp(plan.owed.at), run_id, stamp(now)),
            )
            if cursor.rowcount == 1 and cursor.lastrowid is not None:
                claimed.append(Reminder(cursor.lastrowid, *base, plan.owed.period, plan.owed.at, 1))
        conn.execute(
            "UPDATE checkin_enrolments SET next_due_utc = ?, updated_at = ? WHERE id = ?",
            (stamp(following.at), stamp(now), enrolment.id),
        )
    return claimed


def _claim_snoozed(
    conn: sqlite3.Connection, now: datetime, run_id: str, limit: int
) -> list[Reminder]:
    """Claim the put-off reminders that have come due, clearing the snooze as it is taken."""
    rows = conn.execute(
        "SELECT id, guild_id, user_id, snooze_period, snooze_until_utc FROM checkin_enrolments"
        " WHERE snooze_until_utc <= ? AND status = 'active' ORDER BY snooze_until_utc, id"
        " LIMIT ?",
        (stamp(now), limit),
    ).fetchall()
    claimed: list[Reminder] = []
    for enrolment_id, guild, user, period, until in rows:
        due = datetime.fromisoformat(until)
        key = f"{period}+{due.date().isoformat()}"
        cursor = conn.execute(
            "INSERT INTO checkin_reminders (enrolment_id, guild_id, user_id, period, due_utc,"
            " state, attempts, run_id, claimed_at) VALUES (?, ?, ?, ?, ?, 'claimed', 1, ?, ?)"
            " ON CONFLICT (enrolment_id, period) DO NOTHING",
            (enrolment_id, guild, user, key, until, run_id, stamp(now)),
        )
        if cursor.rowcount == 1 and cursor.lastrowid is not None:
            claimed.append(Reminder(cursor.lastrowid, enrolment_id, guild, user, key, due, 1))
        conn.execute(
            "UPDATE checkin_enrolments SET snooze_period = NULL, snooze_until_utc = NULL"
            " WHERE id = ?",
            (enrolment_id,),
        )
    return claimed


def _reclaim_interrupted(
    conn: sqlite3.Connection, now: datetime, run_id: str, max_attempts: int, max_delay: timedelta
) -> list[Reminder]:
    rows = conn.execute(
        "SELECT r.id, r.enrolment_id, r.guild_id, r.user_id, r.period, r.due_utc, r.attempts,"
        " e.status FROM checkin_reminders r JOIN checkin_enrolments e ON e.id = r.enrolment_id"
        " WHERE r.state = 'claimed' AND (r.run_id IS NULL OR r.run_id != ?) ORDER BY r.id",
        (run_id,),
    ).fetchall()
    reclaimed: list[Reminder] = []
    for id_, enrolment_id, guild, user, period, due, attempts, status in rows:
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
            conn.execute(
                "UPDATE checkin_reminders SET state = ?, reason = ?, finished_at = ? WHERE id = ?",
                (*closed, stamp(now), id_),
            )
            continue
        conn.execute(
            "UPDATE checkin_reminders SET run_id = ?, attempts = attempts + 1, claimed_at = ?"
            " WHERE id = ?",
            (run_id, stamp(now), id_),
        )
        reclaimed.append(Reminder(id_, enrolment_id, guild, user, period, due_at, attempts + 1))
    return reclaimed


def _finish(
    conn: sqlite3.Connection,
    reminder: Reminder,
    state: ReminderState,
    reason: str | None,
    now: datetime,
    pause: PauseReason | None,
) -> None:
    conn.execute(
        "UPDATE checkin_reminders SET state = ?, reason = ?, finished_at = ?"
        " WHERE id = ? AND state = 'claimed'",
        (state.value, reason, stamp(now), reminder.id),
    )
    if pause is not None:
        conn.execute(
            "UPDATE checkin_enrolments SET status = 'paused', pause_reason = ?, pause_notice = 1,"
            " next_due_utc = NULL, snooze_period = NULL, snooze_until_utc = NULL, updated_at = ?"
            " WHERE id = ? AND status = 'active'",
            (pause.value, stamp(now), reminder.enrolment_id),
        )


# -- regimen changes (take the caller's transaction, so a check-in's completion and what it
#    says about the regimen are committed together) -----------------------------------------


@dataclass(frozen=True, slots=True)
class RegimenChanges:
    started: tuple[tuple[str, str | None], ...] = ()  # (treatment, 'YYYY-MM' or unknown)
    stopped: tuple[tuple[str, str], ...] = ()
    dose_changed: tuple[tuple[str, str], ...] = ()


async def apply_regimen_changes(
    conn: aiosqlite.Connection,
    guild_id: int,
    user_id: int,
    changes: RegimenChanges,
    now: datetime,
    *,
    source: str = "checkin",
) -> None:
    member = (guild_id, user_id)
    await conn.executemany(
        "UPDATE regimen_entries SET stopped_month = ?, updated_at = ? WHERE guild_id = ?"
        " AND user_id = ? AND treatment_id = ? AND stopped_month IS NULL",
        [(month, stamp(now), *member, treatment) for treatment, month in changes.stopped],
    )
    await conn.executemany(
        "UPDATE regimen_entries SET dose_changed_month = ?, updated_at = ? WHERE guild_id = ?"
        " AND user_id = ? AND treatment_id = ? AND stopped_month IS NULL",
        [(month, stamp(now), *member, treatment) for treatment, month in changes.dose_changed],
    )
    await conn.executemany(
        "INSERT INTO regimen_entries (guild_id, user_id, treatment_id, started_month, source,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [(*member, treatment, month, source, stamp(now)) for treatment, month in changes.started],
    )


async def current_treatments(conn: aiosqlite.Connection, guild_id: int, user_id: int) -> list[str]:
    rows = await conn.execute_fetchall(
        "SELECT treatment_id FROM regimen_entries WHERE guild_id = ? AND user_id = ?"
        " AND stopped_month IS NULL ORDER BY treatment_id",
        (guild_id, user_id),
    )
    return [row[0] for row in rows]


# -- erasure (takes the caller's transaction, so /survey delete erases in one commit) -------


async def erase_member(conn: aiosqlite.Connection, guild_id: int, user_id: int) -> ErasedCheckins:
    """Delete every check-in row about the member in this server; returns what went."""
    counts: dict[str, int] = {}
    # Reminders first: they would cascade with their enrolment, but are counted apart.
    for table in (
        "checkin_reminders",
        "checkin_enrolments",
        "regimen_entries",
        "checkin_responses",
    ):
        cursor = await conn.execute(
            f"DELETE FROM {table} WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
        counts[table] = cursor.rowcount  # a response's answers and choices cascade with it
    return ErasedCheckins(
        enrolments=counts["checkin_enrolments"],
        reminders=counts["checkin_reminders"],
        regimen_entries=counts["regimen_entries"],
        responses=counts["checkin_responses"],
    )


class CheckinRepository:
    """Everything stored about members' check-ins, behind one object for the services."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # -- enrolment --------------------------------------------------------------------------

    async def enrol(
        self, guild_id: int, user_id: int, schedule: Schedule, now: datetime
    ) -> Enrolment:
        """Opt in (or change the schedule of an existing enrolment, which re-activates it).
        The first check-in comes about one interval from now."""
        first = first_due(schedule, now)

        def unit(conn: sqlite3.Connection) -> Enrolment:
            conn.execute(
                "INSERT INTO checkin_enrolments (guild_id, user_id, interval_weeks, weekday,"
                " hour, time_zone, anchor_date, status, pause_reason, pause_notice, next_due_utc,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'active', NULL, 0, ?, ?, ?)"
                " ON CONFLICT (guild_id, user_id) DO UPDATE SET"
                " interval_weeks = excluded.interval_weeks, weekday = excluded.weekday,"
                " hour = excluded.hour, time_zone = excluded.time_zone,"
                " anchor_date = excluded.anchor_date, status = 'active', pause_reason = NULL,"
                " pause_notice = 0, next_due_utc = excluded.next_due_utc, snooze_period = NULL,"
                " snooze_until_utc = NULL,"
                " updated_at = excluded.updated_at",
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
            row = conn.execute(
                f"SELECT {_ENROLMENT_COLUMNS} FROM checkin_enrolments"
                " WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            ).fetchone()
            return _enrolment(row)

        return await self._db.run(unit)

    async def enrolment(self, guild_id: int, user_id: int) -> Enrolment | None:
        row = await self._db.fetchone(
            f"SELECT {_ENROLMENT_COLUMNS} FROM checkin_enrolments"
            " WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        return None if row is None else _enrolment(row)

    async def is_active(self, enrolment_id: int) -> bool:
        row = await self._db.fetchone(
            "SELECT status = 'active' FROM checkin_enrolments WHERE id = ?", (enrolment_id,)
        )
        return bool(row and row[0])

    async def pause(
        self, guild_id: int, user_id: int, now: datetime, reason: PauseReason = PauseReason.MEMBER
    ) -> bool:
        """Pause an active enrolment; False if there was none active."""
        changed = await self._db.execute(
            "UPDATE checkin_enrolments SET status = 'paused', pause_reason = ?, pause_notice = ?,"
            " next_due_utc = NULL, snooze_period = NULL, snooze_until_utc = NULL, updated_at = ?"
            " WHERE guild_id = ? AND user_id = ?"
            " AND status = 'active'",
            (reason.value, int(reason is not PauseReason.MEMBER), stamp(now), guild_id, user_id),
        )
        return changed == 1

    async def resume(self, guild_id: int, user_id: int, now: datetime) -> Enrolment | None:
        """Re-activate a paused enrolment on its old rhythm: the next occurrence after now."""
        enrolment = await self.enrolment(guild_id, user_id)
        if enrolment is None or enrolment.status is not EnrolmentStatus.PAUSED:
            return None
        due = next_due(enrolment.schedule, enrolment.anchor_date, now)
        await self._db.execute(
            "UPDATE checkin_enrolments SET status = 'active', pause_reason = NULL,"
            " pause_notice = 0, next_due_utc = ?, updated_at = ?"
            " WHERE id = ? AND status = 'paused'",
            (stamp(due.at), stamp(now), enrolment.id),
        )
        return await self.enrolment(guild_id, user_id)

    async def stop(self, guild_id: int, user_id: int, now: datetime) -> bool:
        changed = await self._db.execute(
            "UPDATE checkin_enrolments SET status = 'stopped', pause_reason = NULL,"
            " pause_notice = 0, next_due_utc = NULL, snooze_period = NULL, snooze_until_utc = NULL,"
            " updated_at = ?"
            " WHERE guild_id = ? AND user_id = ? AND status != 'stopped'",
            (stamp(now), guild_id, user_id),
        )
        return changed == 1

    async def take_pause_notice(self, guild_id: int, user_id: int) -> PauseReason | None:
        """Why the bot paused the member's check-ins, once: the flag is cleared as it is read."""
        async with self._db.transaction() as conn:
            found = await conn.execute_fetchall(
                "UPDATE checkin_enrolments SET pause_notice = 0 WHERE guild_id = ? AND user_id = ?"
                " AND pause_notice = 1 RETURNING pause_reason",
                (guild_id, user_id),
            )
        rows = list(found)
        return PauseReason(rows[0][0]) if rows and rows[0][0] else None

    async def next_due_at(self) -> datetime | None:
        """The earliest due time of any active enrolment (for the scheduler's sleep)."""
        row = await self._db.fetchone(
            "SELECT min(next_due_utc), (SELECT min(snooze_until_utc) FROM checkin_enrolments"
            " WHERE status = 'active') FROM checkin_enrolments WHERE status = 'active'"
        )
        if row is None:
            return None
        instants = [_instant(value) for value in row if value is not None]
        return min((i for i in instants if i is not None), default=None)

    async def snooze(self, guild_id: int, user_id: int, period: str, until: datetime) -> bool:
        """Remind the member once more about `period` at `until` ("remind me tomorrow")."""
        base = period.split("+", 1)[0]  # putting off a put-off reminder keeps its period
        changed = await self._db.execute(
            "UPDATE checkin_enrolments SET snooze_period = ?, snooze_until_utc = ?"
            " WHERE guild_id = ? AND user_id = ? AND status = 'active'",
            (base, stamp(until), guild_id, user_id),
        )
        return changed == 1

    async def note_member_skipped(self, guild_id: int, user_id: int, period: str) -> None:
        """The member chose "skip this one": say so in the log and drop any put-off reminder."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "UPDATE checkin_reminders SET reason = 'member_skipped' WHERE guild_id = ?"
                " AND user_id = ? AND period = ?",
                (guild_id, user_id, period),
            )
            await conn.execute(
                "UPDATE checkin_enrolments SET snooze_period = NULL, snooze_until_utc = NULL"
                " WHERE guild_id = ? AND user_id = ?",
                (guild_id, user_id),
            )

    async def has_pause_notice(self, guild_id: int, user_id: int) -> bool:
        """A cheap read before `take_pause_notice`'s write, done on every command."""
        row = await self._db.fetchone(
            "SELECT 1 FROM checkin_enrolments WHERE guild_id = ? AND user_id = ?"
            " AND pause_notice = 1",
            (guild_id, user_id),
        )
        return row is not None

    # -- reminders ----------------------------------------------------------------------------

    async def claim_due(self, now: datetime, run_id: str, limit: int) -> list[Reminder]:
        """Claim up to `limit` due reminders, logging and re-scheduling in one transaction."""

        def unit(conn: sqlite3.Connection) -> list[Reminder]:
            claimed = _claim_due(conn, now, run_id, limit)
            return claimed + _claim_snoozed(conn, now, run_id, limit - len(claimed))

        return await self._db.run(unit)

    async def reclaim_interrupted(
        self,
        now: datetime,
        run_id: str,
        *,
        max_attempts: int = 3,
        max_delay: timedelta = timedelta(days=1),
    ) -> list[Reminder]:
        """Take over claims an earlier run left unfinished (it stopped mid-send).

        Claims past `max_attempts`, older than `max_delay` or of enrolments no longer
        active are closed instead (failed / skipped) so they are never retried forever."""
        return await self._db.run(
            lambda conn: _reclaim_interrupted(conn, now, run_id, max_attempts, max_delay)
        )

    async def finish(
        self,
        reminder: Reminder,
        state: ReminderState,
        now: datetime,
        *,
        reason: str | None = None,
        pause: PauseReason | None = None,
    ) -> None:
        """Record a claimed reminder's outcome, pausing the enrolment if asked, atomically."""
        await self._db.run(lambda conn: _finish(conn, reminder, state, reason, now, pause))

    async def reminder_log(
        self, guild_id: int, *, user_id: int | None = None, limit: int = 100
    ) -> list[ReminderLogEntry]:
        """The server's reminder log, newest first (what `anagen checkins log` prints)."""
        member = "" if user_id is None else " AND user_id = :user"
        rows = await self._db.fetchall(
            f"SELECT {_LOG_COLUMNS} FROM checkin_reminders WHERE guild_id = :guild{member}"
            " ORDER BY claimed_at DESC, id DESC LIMIT :limit",
            {"guild": guild_id, "user": user_id, "limit": limit},
        )
        return [_log_entry(row) for row in rows]

    async def reminder_counts(self) -> dict[ReminderState, int]:
        rows = await self._db.fetchall(
            "SELECT state, count(*) FROM checkin_reminders GROUP BY state"
        )
        return {ReminderState(state): count for state, count in rows}

    # -- regimen ------------------------------------------------------------------------------

    async def regimen(self, guild_id: int, user_id: int) -> list[RegimenEntry]:
        """Every treatment the member is on or was on, current ones first."""
        rows = await self._db.fetchall(
            f"SELECT {_REGIMEN_COLUMNS} FROM regimen_entries WHERE guild_id = ? AND user_id = ?"
            " ORDER BY stopped_month IS NOT NULL, treatment_id, id",
            (guild_id, user_id),
        )
        return [RegimenEntry(*row) for row in rows]

    async def start_treatments(
        self,
        guild_id: int,
        user_id: int,
        treatments: Iterable[tuple[str, str | None]],
        now: datetime,
        *,
        source: str = "member",
    ) -> int:
        """Add (treatment id, started month) pairs; a treatment already current is kept."""
        rows = [
            (guild_id, user_id, treatment, month, source, stamp(now))
            for treatment, month in treatments
        ]
        async with self._db.transaction() as conn:
            before = conn.total_changes
            await conn.executemany(
                "INSERT INTO regimen_entries (guild_id, user_id, treatment_id, started_month,"
                " source, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                rows,
            )
            return conn.total_changes - before

    async def stop_treatment(
        self, guild_id: int, user_id: int, treatment_id: str, month: str, now: datetime
    ) -> bool:
        changed = await self._db.execute(
            "UPDATE regimen_entries SET stopped_month = ?, updated_at = ? WHERE guild_id = ?"
            " AND user_id = ? AND treatment_id = ? AND stopped_month IS NULL",
            (month, stamp(now), guild_id, user_id, treatment_id),
        )
        return changed == 1

    async def change_dose(
        self, guild_id: int, user_id: int, treatment_id: str, month: str, now: datetime
    ) -> bool:
        changed = await self._db.execute(
            "UPDATE regimen_entries SET dose_changed_month = ?, updated_at = ? WHERE guild_id = ?"
            " AND user_id = ? AND treatment_id = ? AND stopped_month IS NULL",
            (month, stamp(now), guild_id, user_id, treatment_id),
        )
        return changed == 1

    async def forget_treatment(self, guild_id: int, user_id: int, treatment_id: str) -> bool:
        """Remove a treatment entered by mistake (its open entry); stopping it is different."""
        changed = await self._db.execute(
            "DELETE FROM regimen_entries WHERE guild_id = ? AND user_id = ? AND treatment_id = ?"
            " AND stopped_month IS NULL",
            (guild_id, user_id, treatment_id),
        )
        return changed == 1

    # -- check-in responses -------------------------------------------------------------------

    async def create_response(
        self, guild_id: int, user_id: int, version: int, now: datetime, *, period: str | None
    ) -> CheckinResponse:
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO checkin_responses (guild_id, user_id, period, questionnaire_version,"
                " started_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                (guild_id, user_id, period, version, stamp(now), stamp(now)),
            )
            found = await conn.execute_fetchall(
                f"SELECT {_RESPONSE_COLUMNS} FROM checkin_responses WHERE id = ?",
                (cursor.lastrowid,),
            )
        return CheckinResponse(*next(iter(found)))

    async def responses(self, guild_id: int, user_id: int) -> list[CheckinResponse]:
        rows = await self._db.fetchall(
            f"SELECT {_RESPONSE_COLUMNS} FROM checkin_responses WHERE guild_id = ? AND user_id = ?"
            " ORDER BY id",
            (guild_id, user_id),
        )
        return [CheckinResponse(*row) for row in rows]

    async def save_answer(
        self, response_id: int, key: AnswerKey, answer: Answer, now: datetime
    ) -> None:
        question_id, item = key
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO checkin_answers (response_id, question_id, item, number, text,"
                " skipped, answered_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT"
                " (response_id, question_id, item) DO UPDATE SET number = excluded.number,"
                " text = excluded.text, skipped = excluded.skipped,"
                " answered_at = excluded.answered_at",
                (response_id, question_id, item, answer.number, answer.text,
                 int(answer.skipped), stamp(now)),
            )  # fmt: skip
            await conn.execute(
                "DELETE FROM checkin_answer_choices WHERE response_id = ? AND question_id = ?"
                " AND item = ?",
                (response_id, question_id, item),
            )
            await conn.executemany(
                "INSERT INTO checkin_answer_choices (response_id, question_id, item, choice_id)"
                " VALUES (?, ?, ?, ?)",
                [(response_id, question_id, item, choice) for choice in answer.choices],
            )

    async def answers(self, response_id: int) -> dict[AnswerKey, Answer]:
        rows = await self._db.fetchall(
            "SELECT a.question_id, a.item, a.number, a.text, a.skipped, c.choice_id"
            " FROM checkin_answers a LEFT JOIN checkin_answer_choices c"
            " ON c.response_id = a.response_id AND c.question_id = a.question_id"
            " AND c.item = a.item WHERE a.response_id = ? ORDER BY a.question_id, a.item,"
            " c.choice_id",
            (response_id,),
        )
        return answers_from(rows)  # the survey's rows, the same shape

    async def complete_response(self, response_id: int, now: datetime) -> None:
        await self._db.execute(
            "UPDATE checkin_responses SET status = 'completed', position = NULL, updated_at = ?,"
            " completed_at = ? WHERE id = ?",
            (stamp(now), stamp(now), response_id),
        )

    # -- erasure ------------------------------------------------------------------------------

    async def erase_member(self, guild_id: int, user_id: int) -> ErasedCheckins:
        async with self._db.transaction() as conn:
            return await erase_member(conn, guild_id, user_id)
