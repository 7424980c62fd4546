"""The check-in aggregate's records: what its rows mean, apart from the SQL that reads them.

The scheduler, the check-in service and the Discord shell all read these, while only the
repository (`bot.storage.checkins`) writes the rows behind them; kept apart so the records
can be read without walking through statements.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from bot.schedule import Schedule


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


@dataclass(frozen=True, slots=True)
class ErasedCheckins:
    enrolments: int
    reminders: int
    regimen_entries: int
    responses: int
