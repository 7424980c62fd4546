"""The survey's use cases: start, answer, navigate, review, retake, delete.

Every change runs in one database transaction that re-reads the response, checks the
member owns it and that the question they answered is the one they are on, and only
then writes; so answers are committed before anything is confirmed, double clicks and
stale buttons are harmless, and one member can never touch another's survey.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from bot.i18n import N_, TRANSLATED, _, current_language
from bot.i18n.words import plain, words_for
from bot.storage import Database
from bot.storage.guilds import GuildSettingsRepository
from bot.storage.responses import SURVEY, Response, ResponseTables
from bot.storage.tx import Tx
from bot.survey.flow import (
    Answer,
    Answers,
    InvalidAnswer,
    Refused,
    Step,
    applicable_steps,
    check_against,
    choice_answer,
    find_step,
    next_step,
    previous_step,
    prune,
    skip_answer,
    text_answer,
)
from bot.survey.questionnaire import Kind, Questionnaire
from bot.survey.replies import Command, clean_text, interpret
from bot.survey.screens import (
    Advice,
    Note,
    NoticeKind,
    NoticeScreen,
    QuestionScreen,
    Screen,
    SummaryScreen,
    Tone,
    describe,
    step_prompt,
    summary_rows,
)
from bot.survey.translations import Translated

log = logging.getLogger(__name__)

SUMMARY = "summary"
STALE = N_("That question was already answered; here is where you are now.")
PAUSED = N_(
    "Paused. Your answers so far are saved. Press Continue below, or run /survey start "
    "in the server, whenever you want to carry on."
)
FINISHED = N_(
    "Thank you! Your answers are saved and counted in the community results (only ever as "
    "part of groups). See them with /survey mine; erase them with /survey delete."
)
ALREADY_DONE = N_(
    "You have already completed this survey. /survey mine shows your answers and "
    "/survey retake starts a new response."
)
CLOSED = N_(
    "The survey is closed to new responses in this server for now; nothing was stored. "
    "Results stay available with /survey results."
)
GONE = N_(
    "This survey no longer exists (it may have been deleted). Run /survey start to begin again."
)


class NotYourSurvey(Exception):
    """A member used a control of someone else's survey."""


class StartState(StrEnum):
    NEW = "new"  # show the consent message
    RESUME = "resume"  # a survey is in progress
    COMPLETED = "completed"  # finished before; offer review or retake


@dataclass(frozen=True, slots=True)
class Status:
    state: StartState
    answered: int = 0
    total: int = 0
    started_at: str | None = None
    completed_at: str | None = None


AnswerBuilder = Callable[[Step], dict[str, Answer]]
# Runs inside the transaction that completes a response, so whatever it records (a
# check-in's regimen changes) is committed together with the completion, or not at all.
FinishHook = Callable[[Tx, Response, Answers], None]
# What a completed response should prompt the member to read: given its answers and those of
# the member's previous completed response (None for a first), so a repeat is not re-sent.
AdviceHook = Callable[[Answers, Answers | None], tuple[Advice, ...]]
# A typed name -> (the name to store, what to tell the member), or None when not recognised.
Resolver = Callable[[str], tuple[str, str] | None]
OpenCheck = Callable[[Tx, int], bool]
# Whether a member still belongs to a server (Discord knows: the shell answers). Answers are
# stored for a server only while the member is in it.
MembershipCheck = Callable[[int, int], Awaitable[bool]]
NOT_A_MEMBER = N_(
    "You are no longer a member of that server, so Anagen cannot take answers for it: "
    "nothing was stored. If you want what it holds about you there erased, use /forget-me."
)


@dataclass(frozen=True, slots=True)
class EngineTexts:
    """What the engine says that depends on which questionnaire it runs."""

    paused: str = PAUSED
    finished: str = FINISHED
    already_done: str = ALREADY_DONE
    closed: str = CLOSED
    gone: str = GONE


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
        texts: EngineTexts = EngineTexts(),
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
        if response.completed:
            rows = summary_rows(self.questionnaire, answers)
            return SummaryScreen(response.id, rows, completed=True, note=note)
        steps = applicable_steps(self.questionnaire, answers)
        step = None
        if response.position != SUMMARY:
            step = next((s for s in steps if s.key == response.position), None)
            step = step or next_step(self.questionnaire, answers)
        if step is None:
            return SummaryScreen(response.id, summary_rows(self.questionnaire, answers), note=note)
        current = {
            (key[0].split(".", 1)[1] if "." in key[0] else ""): answers[key]
            for key in step.answer_keys()
            if key in answers
        }
        return QuestionScreen(
            response_id=response.id,
            step=step,
            prompt=step_prompt(self.questionnaire, step, answers),
            number=steps.index(step) + 1,
            total=len(steps),
            current=current,
            note=note,
            can_go_back=steps.index(step) > 0,
            prompt_message_id=response.prompt_message_id,
        )

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

        def build(step: Step) -> dict[str, Answer]:
            if step.question.kind is Kind.TEXT:
                return {"": text_answer(step, clean_text(raw))}
            if step.question.kind in (Kind.NUMBER, Kind.SCALE):
                reply = interpret(step, raw)
                if reply.answers is None:
                    raise InvalidAnswer(_("Please type a number."))
                return reply.answers
            raise InvalidAnswer(_("This question is answered with the buttons or the menu."))

        return await self._apply(response_id, user_id, step_key, build)

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
            if plain(raw) in words_for(current_language()).done:
                return await self.finish(response.id, user_id)
            return await self.screen(
                response.id,
                user_id,
                Note(
                    _("You have answered everything. Press Done to submit, or Change an answer."),
                    Tone.CORRECTION,
                ),
            )
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
        def build(step: Step) -> dict[str, Answer]:
            if step.question.kind is Kind.GROUP:
                raise InvalidAnswer(
                    _("Please answer both parts; choose Not sure if you do not know.")
                )
            return {"": skip_answer(step)}

        return await self._apply(response_id, user_id, step_key, build)

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
                given, resolved = self._resolve(step, given)
            except InvalidAnswer as exc:
                return self._screen_for(response, answers, Note(str(exc), Tone.CORRECTION))
            except Refused as exc:
                store.delete_response(response.id)
                return NoticeScreen(NoticeKind.REFUSED, str(exc))
            updated = dict(answers)
            for field_id, answer in given.items():
                key = (
                    (f"{step.question.id}.{field_id}", step.item)
                    if field_id
                    else (step.question.id, "")
                )
                updated[key] = answer
                store.save_answer(response.id, key, answer)
            if removed := prune(self.questionnaire, updated):
                store.delete_answers(response.id, removed)
            if all(key in updated for key in step.answer_keys()):
                following = next_step(self.questionnaire, updated)
                position = following.key if following else SUMMARY
            else:
                position = step.key  # a group with parts still to answer
            store.update(response.id, position=position)
            moved = replace(response, position=position)
            note = resolved or self._saved_note(step, given, echo, updated)
            return self._screen_for(moved, updated, note)

        return await self.db.run(unit)

    def _resolve(
        self, step: Step, given: dict[str, Answer]
    ) -> tuple[dict[str, Answer], Note | None]:
        """A typed name resolved against what the bot knows ("nutrafol" -> "Nutrafol")."""
        resolver = self.resolvers.get(step.question.id)
        answer = given.get("")
        if resolver is None or answer is None or answer.text is None:
            return given, None
        found = resolver(answer.text)
        if found is None:
            return given, None
        name, note = found
        return {"": Answer(text=name)}, Note(note, Tone.SAVED)

    def _saved_note(
        self, step: Step, given: dict[str, Answer], echo: bool, answers: Answers | None = None
    ) -> Note:
        question = step.question
        said = "; ".join(describe(question, answer, field_id) for field_id, answer in given.items())
        prompt = step_prompt(self.questionnaire, step, answers)
        # Translators: a typed reply, read back: "Understood: <question> → <answer>".
        understood = _("Understood: {question} → {answer}")
        # Translators: a clicked answer, confirmed: "Saved: <question> → <answer>".
        saved = _("Saved: {question} → {answer}")
        return Note(
            (understood if echo else saved).format(question=prompt, answer=said), Tone.SAVED
        )

    async def _refuse(self, response_id: int, text: str) -> Screen:
        await self.db.run(lambda tx: self.tables.on(tx).delete_response(response_id))
        return NoticeScreen(NoticeKind.REFUSED, text)

    # -- navigation -------------------------------------------------------------------------

    async def _move(
        self,
        response_id: int,
        user_id: int,
        step_key: str | None,
        target: Callable[[Response, dict], str | None],
        note: str | None = None,
    ) -> Screen:

        def unit(tx: Tx) -> Screen:
            response = self._owned(tx, response_id, user_id)
            if response is None:
                return NoticeScreen(NoticeKind.GONE, _(self.texts.gone))
            answers = self.tables.on(tx).answers(response.id)
            if response.completed:
                return self._screen_for(response, answers, Note(_(self.texts.already_done)))
            current = self._screen_for(response, answers)
            here = current.step.key if isinstance(current, QuestionScreen) else SUMMARY
            if step_key is not None and here != step_key:
                return self._screen_for(response, answers, Note(_(STALE)))
            position = target(response, answers)
            if position is None:
                return self._screen_for(response, answers, Note(note or _("You cannot go there.")))
            self.tables.on(tx).update(response.id, position=position)
            return self._screen_for(replace(response, position=position), answers)

        return await self.db.run(unit)

    async def back(self, response_id: int, user_id: int, step_key: str) -> Screen:
        def target(response: Response, answers: dict) -> str | None:
            if step_key == SUMMARY:
                steps = applicable_steps(self.questionnaire, answers)
                return steps[-1].key if steps else None
            previous = previous_step(self.questionnaire, answers, step_key)
            return previous.key if previous else None

        return await self._move(
            response_id,
            user_id,
            step_key,
            target,
            _("This is the first question; there is nothing before it."),
        )

    async def change(self, response_id: int, user_id: int, target_key: str) -> Screen:
        """From the summary, reopen one answered question."""

        def target(response: Response, answers: dict) -> str | None:
            step = find_step(self.questionnaire, answers, target_key)
            return step.key if step else None

        return await self._move(
            response_id,
            user_id,
            SUMMARY,
            target,
            _("That question does not apply to your answers any more."),
        )

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
            if next_step(self.questionnaire, answers) is not None:
                return self._screen_for(
                    response,
                    answers,
                    Note(_("A few questions still need an answer first."), Tone.CORRECTION),
                )
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
