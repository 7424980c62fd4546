"""Check-in use cases: opting in, the schedule, the regimen, answering a check-in, history.

A check-in is answered on the survey's engine (`SurveyService`) with its own questionnaire
and tables; this module adds what only check-ins have: the member's schedule, the regimen
the check-in starts from (its `prefill`) and updates when it is completed, and reminders'
buttons (start now, remind me tomorrow, skip, stop).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.checkins.history import History, member_history
from bot.checkins.zones import is_known_zone
from bot.clock import Clock
from bot.i18n import N_, _
from bot.schedule import Schedule, ScheduleError
from bot.storage import Database
from bot.storage.checkins import (
    CheckinRepository,
    Enrolment,
    PauseReason,
    RegimenChanges,
    RegimenEntry,
)
from bot.storage.clock import stamp
from bot.storage.guilds import GuildSettings, GuildSettingsRepository
from bot.storage.responses import SURVEY, Answer, AnswerKey, Answers, Response, checkin_tables
from bot.storage.tx import Tx
from bot.survey.questionnaire import Questionnaire
from bot.survey.screens import Screen
from bot.survey.service import SurveyService
from bot.survey.service_texts import EngineTexts

log = logging.getLogger(__name__)

# The survey question that names treatments; check-in treatment ids are its choice ids.
SURVEY_TREATMENTS = "treatments"
# How the check-in's "when did you start" answers map to months before the check-in;
# "earlier" is honestly unknown rather than a guess.
MONTHS_AGO = {"this_month": 0, "last_month": 1, "two_months_ago": 2}
# The survey's "when did you start it" (version 2), as months before the survey was done:
# the middle of each range, so a start month is roughly right rather than unknown.
SURVEY_STARTED = "effects.started"
SURVEY_MONTHS_AGO = {"under_3m": 1, "m3_6": 4, "m6_12": 9, "y1_2": 18, "over_2y": 30}

# Translated where the engine shows them (`_(texts.paused)`).
TEXTS = EngineTexts(
    paused=N_(
        "Paused. Your check-in answers so far are saved. Press Continue below, or run "
        "/checkin now in the server, whenever you want to carry on."
    ),
    finished=N_(
        "Thank you! Your check-in is saved. /checkin history shows your trend over time; "
        "the next reminder comes on your usual day."
    ),
    already_done=N_(
        "This check-in is already complete. /checkin history shows it with the earlier ones."
    ),
    closed=N_(
        "Check-ins are switched off in this server for now; nothing was stored. A moderator "
        "can switch them on with /survey-admin settings."
    ),
    gone=N_("This check-in no longer exists (it may have been deleted)."),
)


class CheckinsOff(Exception):
    """The server has not switched check-ins on."""


@dataclass(frozen=True, slots=True)
class CheckinStatus:
    enrolment: Enrolment | None
    regimen: tuple[RegimenEntry, ...]
    completed: int  # check-ins completed in this server
    last_completed: str | None
    in_progress: bool


def month_of(day: date, months_back: int = 0) -> str:
    """'YYYY-MM' of the month `months_back` before the one `day` is in."""
    index = day.year * 12 + day.month - 1 - months_back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def regimen_changes(
    questionnaire: Questionnaire, before: Sequence[str], answers: Answers, day: date
) -> RegimenChanges:
    """What a completed check-in says about the regimen, as of the day it was completed."""
    month = month_of(day)
    current = _chosen(answers, "current")
    status = {item: _first(a) for (qid, item), a in answers.items() if qid == "regimen.status"}
    stopped = [t for t in current if status.get(t) == "stopped"]
    # A treatment the member took off the list they were on is not taken any more.
    stopped += [t for t in before if t not in current]
    started: list[tuple[str, str | None]] = [(t, None) for t in current if t not in before]
    for treatment in _chosen(answers, "started"):
        when = _first(answers.get(("started_when.month", treatment)))
        back = MONTHS_AGO.get(when or "")
        started.append((treatment, None if back is None else month_of(day, back)))
    known = {c.id for c in questionnaire["current"].choices if not c.exclusive}
    return RegimenChanges(
        started=tuple((t, m) for t, m in started if t in known),
        stopped=tuple((t, month) for t in stopped if t in known),
        dose_changed=tuple(
            (t, month) for t in current if status.get(t) == "changed_dose" and t in known
        ),
    )


def _chosen(answers: Answers, question_id: str) -> list[str]:
    answer = answers.get((question_id, ""))
    if answer is None or answer.skipped:
        return []
    return [c for c in answer.choices if c != "none"]


def _first(answer: Answer | None) -> str | None:
    return answer.choices[0] if answer is not None and answer.choices else None


class CheckinService:
    """Check-in use cases, each one unit of work (`Database.run` / `Database.read`)."""

    def __init__(
        self, db: Database, questionnaire: Questionnaire, survey: Questionnaire, clock: Clock
    ) -> None:
        self.db = db
        self.questionnaire = questionnaire
        self.survey = survey
        self.clock = clock
        # Check-in responses: the survey's tables' twins, stamped by the injected clock.
        self.tables = checkin_tables(lambda: stamp(clock.now()))
        self.engine = SurveyService(
            db,
            questionnaire,
            tables=self.tables,
            texts=TEXTS,
            is_open=self._enabled_in,
            on_finish=self._record_regimen,
        )

    # -- the server's switch ----------------------------------------------------------------

    @staticmethod
    def _enabled_in(tx: Tx, guild_id: int) -> bool:
        return GuildSettingsRepository(tx).of(guild_id).checkins_enabled

    async def settings(self, guild_id: int) -> GuildSettings:
        return await self.db.read(lambda tx: GuildSettingsRepository(tx).of(guild_id))

    # -- opting in and out ------------------------------------------------------------------

    async def enrol(
        self,
        guild_id: int,
        user_id: int,
        *,
        weekday: int,
        hour: int,
        zone: str,
        interval_weeks: int | None = None,
    ) -> tuple[Enrolment, list[str]]:
        """Opt in (or change the schedule). Returns the enrolment and the treatments the
        regimen was seeded with from the member's survey (empty when it already existed)."""
        now = self.clock.now()
        # Worded here: a unit may run in a worker thread, which has no language.
        unknown_zone = (
            None
            if is_known_zone(zone)
            else _("“{zone}” is not a time zone I know; pick one from the list.").format(zone=zone)
        )

        def unit(tx: Tx) -> tuple[Enrolment, list[str]]:
            settings = GuildSettingsRepository(tx).of(guild_id)
            if not settings.checkins_enabled:
                raise CheckinsOff
            if unknown_zone is not None:
                raise ScheduleError(unknown_zone)
            weeks = interval_weeks or settings.checkin_interval_weeks
            schedule = Schedule(weeks, weekday, hour, zone)
            enrolment = CheckinRepository(tx).enrol(guild_id, user_id, schedule, now)
            return enrolment, self._seed_regimen(tx, guild_id, user_id, now)

        enrolment, seeded = await self.db.run(unit)
        log.info("Member enrolled in check-ins (every %d weeks)", enrolment.schedule.interval_weeks)
        return enrolment, seeded

    def _seed_regimen(self, tx: Tx, guild_id: int, user_id: int, now: datetime) -> list[str]:
        """A first regimen from the treatments the member named in their latest survey."""
        checkins = CheckinRepository(tx)
        if checkins.regimen(guild_id, user_id):
            return []
        surveys = SURVEY.on(tx)
        done = [r for r in surveys.history(guild_id, user_id) if r.completed]
        answers = surveys.answers(done[-1].id) if done else {}
        tried = _chosen(answers, SURVEY_TREATMENTS)
        known = {c.id for c in self.questionnaire["current"].choices if not c.exclusive}
        seeded = [t for t in tried if t in known]
        answered_on = (
            datetime.fromisoformat(done[-1].completed_at).date()
            if done and done[-1].completed_at
            else now.date()
        )
        starts = []
        for treatment in seeded:
            back = SURVEY_MONTHS_AGO.get(_first(answers.get((SURVEY_STARTED, treatment))) or "")
            starts.append((treatment, None if back is None else month_of(answered_on, back)))
        checkins.start_treatments(guild_id, user_id, starts, now, source="survey")
        return seeded

    async def offer_after_survey(self, response_id: int, user_id: int) -> int | None:
        """The server to offer check-ins for after this survey response, if any: check-ins
        are on there and the member is not already taking them."""

        def unit(tx: Tx) -> int | None:
            response = SURVEY.on(tx).get(response_id)
            if response is None or response.user_id != user_id:
                return None
            if not GuildSettingsRepository(tx).of(response.guild_id).checkins_enabled:
                return None
            enrolment = CheckinRepository(tx).enrolment(response.guild_id, user_id)
            return None if enrolment is not None and enrolment.active else response.guild_id

        return await self.db.read(unit)

    async def enrolment(self, guild_id: int, user_id: int) -> Enrolment | None:
        return await self.db.read(lambda tx: CheckinRepository(tx).enrolment(guild_id, user_id))

    async def status(self, guild_id: int, user_id: int) -> CheckinStatus:
        def unit(tx: Tx) -> tuple[Enrolment | None, list[RegimenEntry], list[Response]]:
            checkins = CheckinRepository(tx)
            return (
                checkins.enrolment(guild_id, user_id),
                checkins.regimen(guild_id, user_id),
                self.tables.on(tx).history(guild_id, user_id),
            )

        enrolment, regimen, responses = await self.db.read(unit)
        done = [r for r in responses if r.completed]
        return CheckinStatus(
            enrolment,
            tuple(regimen),
            len(done),
            done[-1].completed_at if done else None,
            any(not r.completed for r in responses),
        )

    async def pause(self, guild_id: int, user_id: int) -> bool:
        now = self.clock.now()
        return await self.db.run(lambda tx: CheckinRepository(tx).pause(guild_id, user_id, now))

    async def resume(self, guild_id: int, user_id: int) -> Enrolment | None:
        now = self.clock.now()

        def unit(tx: Tx) -> Enrolment | None:
            if not GuildSettingsRepository(tx).of(guild_id).checkins_enabled:
                raise CheckinsOff
            return CheckinRepository(tx).resume(guild_id, user_id, now)

        return await self.db.run(unit)

    async def stop(self, guild_id: int, user_id: int) -> bool:
        now = self.clock.now()
        return await self.db.run(lambda tx: CheckinRepository(tx).stop(guild_id, user_id, now))

    async def pause_notice(self, guild_id: int, user_id: int) -> PauseReason | None:
        """Why the bot paused the member's check-ins, told once (cheap when there is none)."""
        if not await self.db.read(
            lambda tx: CheckinRepository(tx).has_pause_notice(guild_id, user_id)
        ):
            return None
        return await self.db.run(
            lambda tx: CheckinRepository(tx).take_pause_notice(guild_id, user_id)
        )

    # -- reminders' buttons -----------------------------------------------------------------

    async def snooze(self, guild_id: int, user_id: int, period: str) -> datetime | None:
        until = self.clock.now() + timedelta(days=1)
        snoozed = await self.db.run(
            lambda tx: CheckinRepository(tx).snooze(guild_id, user_id, period, until)
        )
        return until if snoozed else None

    async def skip(self, guild_id: int, user_id: int, period: str) -> None:
        await self.db.run(
            lambda tx: CheckinRepository(tx).note_member_skipped(guild_id, user_id, period)
        )

    # -- the regimen ------------------------------------------------------------------------

    async def regimen(self, guild_id: int, user_id: int) -> list[RegimenEntry]:
        return await self.db.read(lambda tx: CheckinRepository(tx).regimen(guild_id, user_id))

    @property
    def shown(self) -> Questionnaire:
        """The check-in in the language of the member being answered, for labels only: the
        same ids as `questionnaire`."""
        return self.engine.questionnaire

    def treatment_choices(self) -> list[tuple[str, str]]:
        """(id, label) of the treatments a regimen can hold."""
        return [(c.id, c.label) for c in self.shown["current"].choices if not c.exclusive]

    def treatment_label(self, treatment_id: str) -> str:
        choice = self.shown["current"].choice(treatment_id)
        return choice.label if choice else treatment_id

    async def add_treatment(
        self, guild_id: int, user_id: int, treatment_id: str, started: str | None
    ) -> bool:
        self._known(treatment_id)
        now = self.clock.now()
        added = await self.db.run(
            lambda tx: CheckinRepository(tx).start_treatments(
                guild_id, user_id, [(treatment_id, started)], now
            )
        )
        return bool(added)

    async def stop_treatment(
        self, guild_id: int, user_id: int, treatment_id: str, stopped: str | None
    ) -> bool:
        self._known(treatment_id)
        now = self.clock.now()
        month = stopped or month_of(now.date())
        return await self.db.run(
            lambda tx: CheckinRepository(tx).stop_treatment(
                guild_id, user_id, treatment_id, month, now
            )
        )

    async def forget_treatment(self, guild_id: int, user_id: int, treatment_id: str) -> bool:
        return await self.db.run(
            lambda tx: CheckinRepository(tx).forget_treatment(guild_id, user_id, treatment_id)
        )

    def _known(self, treatment_id: str) -> None:
        if treatment_id not in dict(self.treatment_choices()):
            raise ValueError("Pick a treatment from the list.")

    # -- answering a check-in ---------------------------------------------------------------

    async def begin(
        self, guild_id: int, user_id: int, *, period: str | None = None, surface: str = "dm"
    ) -> Screen:
        """Start (or resume) a check-in; its first question is answered from the regimen."""
        prefill: dict[AnswerKey, Answer] = {}
        question = self.questionnaire.question("current")
        if question is not None and question.prefill == "regimen":
            current = await self.db.read(
                lambda tx: CheckinRepository(tx).current_treatments(guild_id, user_id)
            )
            if current:
                prefill[("current", "")] = Answer(
                    choices=tuple(c.id for c in question.choices if c.id in current)
                )
        return await self.engine.begin(
            guild_id, user_id, surface=surface, retake=True, prefill=prefill, period=period
        )

    def _record_regimen(self, tx: Tx, response: Response, answers: Answers) -> None:
        """The engine's completion hook: in the unit that completes the check-in."""
        checkins = CheckinRepository(tx)
        before = checkins.current_treatments(response.guild_id, response.user_id)
        now = self.clock.now()
        changes = regimen_changes(self.questionnaire, before, answers, now.date())
        checkins.apply_regimen_changes(response.guild_id, response.user_id, changes, now)

    # -- the member's data ------------------------------------------------------------------

    async def history(self, guild_id: int, user_id: int) -> History:
        """The member's own check-in history in this server (/checkin history)."""
        shown = self.shown  # here: a unit may run in a worker thread, which has no language
        return await self.db.read(
            lambda tx: member_history(tx, self.tables, shown, guild_id, user_id)
        )


__all__ = [
    "CheckinService",
    "CheckinStatus",
    "CheckinsOff",
    "ScheduleError",
    "month_of",
    "regimen_changes",
]
