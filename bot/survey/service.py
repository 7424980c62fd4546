"""The survey's use cases: start, answer, navigate, review, retake, delete.

Every change runs in one database transaction that re-reads the response, checks the
member owns it and that the question they answered is the one they are on, and only
then writes; so answers are committed before anything is confirmed, double clicks and
stale buttons are harmless, and one member can never touch another's survey.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from bot.i18n import TRANSLATED, _, current_language
from bot.storage import Database
from bot.storage.guilds import GuildSettingsRepository
from bot.storage.responses import SURVEY, Response, ResponseTables
from bot.storage.tx import Tx
from bot.survey import service_turns as turns
from bot.survey.flow import (
    Answers,
    InvalidAnswer,
    Refused,
    applicable_steps,
    check_against,
    choice_answer,
    prune,
)
from bot.survey.questionnaire import Questionnaire
from bot.survey.replies import Command, interpret
from bot.survey.screens import (
    Advice,
    Note,
    NoticeKind,
    NoticeScreen,
    QuestionScreen,
    Screen,
    SummaryScreen,
    Tone,
    summary_rows,
)
from bot.survey.service_texts import NOT_A_MEMBER, STALE, SURVEY_TEXTS, EngineTexts
from bot.survey.service_turns import SUMMARY
from bot.survey.service_types import (
    AdviceHook,
    AnswerBuilder,
    FinishHook,
    MembershipCheck,
    NotYourSurvey,
    OpenCheck,
    Resolver,
    StartState,
    Status,
)
from bot.survey.translations import Translated

log = logging.getLogger(__name__)


def _survey_open(tx: Tx, guild_id: int) -> bool:
    return GuildSettingsRepository(tx).of(guild_id).survey_open


class SurveyService:
    """The questionnaire engine. The scalp survey is its first use; check-ins run on the
    same engine with their own questionnaire, tables, texts and completion hook."""

    def __init__(
        self,
        db: Database,
        questionnaire: Questionnaire,
        *,
        tables: ResponseTables = SURVEY,
        texts: EngineTexts = SURVEY_TEXTS,
        is_open: OpenCheck = _survey_open,
        on_finish: FinishHook | None = None,
    ) -> None:
        self.db = db
        self.questionnaires = Translated(questionnaire, TRANSLATED)
        self.tables = tables
        self.texts = texts
        self._is_open = is_open
        self._on_finish = on_finish
        self.membership: MembershipCheck | None = None  # set by the bot
        self.advise: AdviceHook | None = None  # set by Services: safety lines on finishing
        # Text questions whose typed answer is resolved to a known name (by question id).
        self.resolvers: dict[str, Resolver] = {}

    @property
    def questionnaire(self) -> Questionnaire:
        """The questionnaire in the language of the member being answered: the same ids,
        steps and rules in every language, so answers never depend on it."""
        return self.questionnaires.in_language(current_language())

    async def _member(self, guild_id: int, user_id: int) -> bool:
        return self.membership is None or await self.membership(guild_id, user_id)

    # -- starting ---------------------------------------------------------------------------

    async def start_state(self, guild_id: int, user_id: int) -> tuple[StartState, Response | None]:
        return await self.db.read(lambda tx: self._start_state(tx, guild_id, user_id))

    def _start_state(
        self, tx: Tx, guild_id: int, user_id: int
    ) -> tuple[StartState, Response | None]:
        responses = self.tables.on(tx)
        if (open_ := responses.open_response(guild_id, user_id)) is not None:
            return StartState.RESUME, open_
        latest = responses.latest(guild_id, user_id)
        if latest is not None and latest.completed:
            return StartState.COMPLETED, latest
        return StartState.NEW, None

    async def begin(
        self,
        guild_id: int,
        user_id: int,
        *,
        surface: str = "dm",
        retake: bool = False,
        prefill: Answers | None = None,
        period: str | None = None,
    ) -> Screen:
        """The member consented: create the response (or reuse the open one) and ask.

        `prefill` answers questions the bot already knows (a check-in's current treatments)
        in the new response; the member lands after them and can go back to correct them."""
        if not await self._member(guild_id, user_id):
            return NoticeScreen(NoticeKind.GONE, _(NOT_A_MEMBER))

        def unit(tx: Tx) -> Screen:
            responses = self.tables.on(tx)
            response = responses.open_response(guild_id, user_id)
            if response is None:
                latest = responses.latest(guild_id, user_id)
                if latest is not None and latest.completed and not retake:
                    return NoticeScreen(NoticeKind.FINISHED, _(self.texts.already_done), latest.id)
                if not self._is_open(tx, guild_id):
                    # e.g. a consent button from before a moderator closed the survey
                    return NoticeScreen(NoticeKind.GONE, _(self.texts.closed))
                response = responses.create(
                    guild_id, user_id, self.questionnaire.version, surface, period=period
                )
                for key, answer in (prefill or {}).items():
                    responses.save_answer(response.id, key, answer)
            elif response.surface != surface:
                responses.set_prompt(response.id, None, None, surface)
            return self._screen_for(response, responses.answers(response.id))

        return await self.db.run(unit)

    async def status(self, guild_id: int, user_id: int) -> Status:
        def unit(tx: Tx) -> tuple[StartState, Response | None, Answers]:
            state, response = self._start_state(tx, guild_id, user_id)
            answers = {} if response is None else self.tables.on(tx).answers(response.id)
            return state, response, answers

        state, response, answers = await self.db.read(unit)
        if response is None:
            return Status(state)
        steps = applicable_steps(self.questionnaire, answers)
        answered = sum(all(k in answers for k in s.answer_keys()) for s in steps)
        return Status(state, answered, len(steps), response.started_at, response.completed_at)

    # -- the current screen -----------------------------------------------------------------

    async def screen(self, response_id: int, user_id: int, note: Note | None = None) -> Screen:
        def unit(tx: Tx) -> Screen:
            response = self._owned(tx, response_id, user_id)
            if response is None:
                return NoticeScreen(NoticeKind.GONE, _(self.texts.gone))
            return self._screen(tx, response, note)

        return await self.db.read(unit)

    def _owned(self, tx: Tx, response_id: int, user_id: int) -> Response | None:
        response = self.tables.on(tx).get(response_id)
        if response is not None and response.user_id != user_id:
            raise NotYourSurvey
        return response

    def _screen(self, tx: Tx, response: Response, note: Note | None = None) -> Screen:
        return self._screen_for(response, self.tables.on(tx).answers(response.id), note)

    def _screen_for(self, response: Response, answers: Answers, note: Note | None = None) -> Screen:
        """What the member sees, from the response and its answers already in hand."""
        return turns.screen_for(self.questionnaire, response, answers, note)

    # -- answering --------------------------------------------------------------------------

    async def choose(
        self, response_id: int, user_id: int, step_key: str, values: list[str], field_id: str = ""
    ) -> Screen:
        """A button click or a select choice."""
        return await self._apply(
            response_id,
            user_id,
            step_key,
            lambda step: {field_id: choice_answer(step, values, field_id or None)},
        )

    async def submit_text(self, response_id: int, user_id: int, step_key: str, raw: str) -> Screen:
        """A modal submission for a number or text question."""
        return await self._apply(
            response_id, user_id, step_key, lambda step: turns.typed_answers(step, raw)
        )

    async def dm_activity(self, user_id: int) -> datetime | None:
        """When the member last touched a DM response of this engine (None: has none)."""
        response = await self.db.read(lambda tx: self.tables.on(tx).active_in_dms(user_id))
        return None if response is None else datetime.fromisoformat(response.updated_at)

    async def reply(self, user_id: int, raw: str) -> Screen | None:
        """A message typed in DMs; None when the member has no survey in progress there."""
        response = await self.db.read(lambda tx: self.tables.on(tx).active_in_dms(user_id))
        if response is None:
            return None
        if response.position == SUMMARY:
            if (reminder := turns.not_done(raw)) is None:
                return await self.finish(response.id, user_id)
            return await self.screen(response.id, user_id, reminder)
        screen = await self.screen(response.id, user_id)
        if not isinstance(screen, QuestionScreen):
            return screen
        step = screen.step
        try:
            understood = interpret(step, raw)
        except InvalidAnswer as exc:
            return await self.screen(response.id, user_id, Note(str(exc), Tone.CORRECTION))
        except Refused as exc:
            return await self._refuse(response.id, str(exc))
        match understood.command:
            case Command.BACK:
                return await self.back(response.id, user_id, step.key)
            case Command.SKIP:
                return await self.skip(response.id, user_id, step.key)
            case Command.PAUSE:
                return await self.pause(response.id, user_id)
        answers = understood.answers or {}
        return await self._apply(response.id, user_id, step.key, lambda _: answers, echo=True)

    async def skip(self, response_id: int, user_id: int, step_key: str) -> Screen:
        return await self._apply(response_id, user_id, step_key, turns.skipped)

    async def _apply(
        self,
        response_id: int,
        user_id: int,
        step_key: str,
        build: AnswerBuilder,
        *,
        echo: bool = False,
    ) -> Screen:
        def unit(tx: Tx) -> Screen:
            # Runs in the database thread as one transaction: every answer costs one hop.
            store = self.tables.on(tx)
            response = store.get(response_id)
            if response is None:
                return NoticeScreen(NoticeKind.GONE, _(self.texts.gone))
            if response.user_id != user_id:
                raise NotYourSurvey
            answers = store.answers(response.id)
            if response.completed:
                return self._screen_for(response, answers, Note(_(self.texts.already_done)))
            current = self._screen_for(response, answers)
            if not isinstance(current, QuestionScreen) or current.step.key != step_key:
                return self._screen_for(response, answers, Note(_(STALE)))
            step = current.step
            resolved: Note | None = None
            try:
                given = build(step)
                check_against(step, given, answers)
                given, resolved = turns.resolved(self.resolvers, step, given)
            except InvalidAnswer as exc:
                return self._screen_for(response, answers, Note(str(exc), Tone.CORRECTION))
            except Refused as exc:
                store.delete_response(response.id)
                return NoticeScreen(NoticeKind.REFUSED, str(exc))
            updated = dict(answers)
            for field_id, answer in given.items():
                key = turns.answer_key(step, field_id)
                updated[key] = answer
                store.save_answer(response.id, key, answer)
            if removed := prune(self.questionnaire, updated):
                store.delete_answers(response.id, removed)
            position = turns.position_after(self.questionnaire, step, updated)
            store.update(response.id, position=position)
            moved = replace(response, position=position)
            note = resolved or turns.saved_note(self.questionnaire, step, given, echo, updated)
            return self._screen_for(moved, updated, note)

        return await self.db.run(unit)

    async def _refuse(self, response_id: int, text: str) -> Screen:
        await self.db.run(lambda tx: self.tables.on(tx).delete_response(response_id))
        return NoticeScreen(NoticeKind.REFUSED, text)

    # -- navigation -------------------------------------------------------------------------

    async def _move(self, response_id: int, user_id: int, move: turns.Move) -> Screen:

        def unit(tx: Tx) -> Screen:
            response = self._owned(tx, response_id, user_id)
            if response is None:
                return NoticeScreen(NoticeKind.GONE, _(self.texts.gone))
            answers = self.tables.on(tx).answers(response.id)
            if response.completed:
                return self._screen_for(response, answers, Note(_(self.texts.already_done)))
            current = self._screen_for(response, answers)
            here = current.step.key if isinstance(current, QuestionScreen) else SUMMARY
            if here != move.origin:
                return self._screen_for(response, answers, Note(_(STALE)))
            position = move.target(self.questionnaire, answers)
            if position is None:
                return self._screen_for(response, answers, Note(move.refused()))
            self.tables.on(tx).update(response.id, position=position)
            return self._screen_for(replace(response, position=position), answers)

        return await self.db.run(unit)

    async def back(self, response_id: int, user_id: int, step_key: str) -> Screen:
        return await self._move(response_id, user_id, turns.back(step_key))

    async def change(self, response_id: int, user_id: int, target_key: str) -> Screen:
        """From the summary, reopen one answered question."""
        return await self._move(response_id, user_id, turns.change(target_key))

    async def pause(self, response_id: int, user_id: int) -> Screen:
        response = await self.db.read(lambda tx: self._owned(tx, response_id, user_id))
        if response is None:
            return NoticeScreen(NoticeKind.GONE, _(self.texts.gone))
        if response.completed:
            return await self.screen(response_id, user_id)
        return NoticeScreen(NoticeKind.PAUSED, _(self.texts.paused), response_id)

    async def finish(self, response_id: int, user_id: int) -> Screen:
        owned = await self.db.read(lambda tx: self._owned(tx, response_id, user_id))
        if owned is not None and not await self._member(owned.guild_id, user_id):
            return NoticeScreen(NoticeKind.GONE, _(NOT_A_MEMBER))

        def unit(tx: Tx) -> Screen:
            response = self._owned(tx, response_id, user_id)
            if response is None:
                return NoticeScreen(NoticeKind.GONE, _(self.texts.gone))
            if response.completed:
                return NoticeScreen(NoticeKind.FINISHED, _(self.texts.finished), response.id)
            responses = self.tables.on(tx)
            answers = responses.answers(response.id)
            if (unfinished := turns.unfinished(self.questionnaire, answers)) is not None:
                return self._screen_for(response, answers, unfinished)
            responses.update(response.id, position=SUMMARY, completed=True)
            if self._on_finish is not None:
                self._on_finish(tx, response, answers)
            advice: tuple[Advice, ...] = ()
            if self.advise is not None:
                earlier = [
                    r
                    for r in responses.history(response.guild_id, user_id)
                    if r.completed and r.id != response.id
                ]
                previous = responses.answers(earlier[-1].id) if earlier else None
                advice = self.advise(answers, previous)
            return NoticeScreen(
                NoticeKind.FINISHED, _(self.texts.finished), response_id, advice=advice
            )

        return await self.db.run(unit)

    async def use_surface(
        self,
        response_id: int,
        user_id: int,
        surface: str,
        channel_id: int | None = None,
        message_id: int | None = None,
    ) -> None:
        """Remember where the live question message is, so the next one can replace it."""

        def unit(tx: Tx) -> None:
            if self._owned(tx, response_id, user_id) is not None:
                self.tables.on(tx).set_prompt(response_id, channel_id, message_id, surface)

        await self.db.run(unit)

    async def prompt_message(self, response_id: int) -> tuple[int | None, int | None]:
        response = await self.db.read(lambda tx: self.tables.on(tx).get(response_id))
        return (
            (None, None)
            if response is None
            else (response.prompt_channel_id, response.prompt_message_id)
        )

    # -- the member's data ------------------------------------------------------------------

    async def mine(self, guild_id: int, user_id: int) -> list[tuple[Response, SummaryScreen]]:

        def unit(tx: Tx) -> list[tuple[Response, Answers]]:
            responses = self.tables.on(tx)
            return [(r, responses.answers(r.id)) for r in responses.history(guild_id, user_id)]

        found = []
        for response, answers in await self.db.read(unit):
            rows = summary_rows(self.questionnaire, answers)
            found.append((response, SummaryScreen(response.id, rows, response.completed)))
        return found
