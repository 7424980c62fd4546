"""The check-in aggregate: a member's enrolment, regimen and reminder log.

`CheckinRepository` is plain synchronous code over a unit of work's `Tx`, run by
`Database.run` (writes) or `Database.read` (reads). It reads and writes rows and decides
nothing about them: which reminder is owed after downtime is the scheduler's call
(`bot.checkins.scheduler.claim_due`), made in the unit of work that writes its claim, so a
claim is recorded before anything is sent. Check-in answers are responses of their own
tables (`bot.storage.responses.checkin_tables`), the survey's engine and SQL. Instants are
stored as fixed-width ISO-8601 UTC text (`clock.stamp`), so SQL compares them as strings.

The repository is put together here from its parts, one module each: the enrolment row
(`checkin_enrolments`), the reminder log and its claim steps (`checkin_reminders`) and the
regimen (`checkin_regimen`); erasing a member spans them all, so it stands here. The
records stand in `checkin_records` and are handed on from here, the aggregate's one door.
"""

from __future__ import annotations

from bot.storage.checkin_enrolments import EnrolmentRows
from bot.storage.checkin_records import (
    Enrolment,
    EnrolmentStatus,
    ErasedCheckins,
    PauseReason,
    RegimenChanges,
    RegimenEntry,
    Reminder,
    ReminderLogEntry,
    ReminderState,
)
from bot.storage.checkin_regimen import RegimenRows
from bot.storage.checkin_reminders import ReminderRows
from bot.storage.clock import utc_now
from bot.storage.responses import checkin_tables
from bot.storage.tx import Tx

__all__ = [
    "CheckinRepository",
    "Enrolment",
    "EnrolmentStatus",
    "ErasedCheckins",
    "PauseReason",
    "RegimenChanges",
    "RegimenEntry",
    "Reminder",
    "ReminderLogEntry",
    "ReminderState",
]


class CheckinRepository(EnrolmentRows, ReminderRows, RegimenRows):
    """Everything stored about members' check-ins except their answers, in one unit of work."""

    __slots__ = ("tx",)

    def __init__(self, tx: Tx) -> None:
        self.tx = tx

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
