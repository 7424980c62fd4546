"""The check-in domain's nouns: an enrolment and its schedule's state, a reminder and its
log, a regimen entry. Defined here, below the storage that reads and writes them, so the
core and the cogs use them without importing the storage layer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from bot.checkins.schedule import Schedule


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
