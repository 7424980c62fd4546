"""A member's turns in a survey, and what the engine makes of each: the answers that a typed
text or a skip stands for, the note that reads an answer back, where Back, Change and Done
lead, and the screen that shows where the member stands.

Pure rules over a questionnaire and one response's answers: `SurveyService` runs them inside
its transactions, so nothing here reads or writes storage.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.i18n import _, current_language
from bot.i18n.words import plain, words_for
from bot.storage.responses import AnswerKey, Response
from bot.survey.flow import (
    Answer,
    Answers,
    InvalidAnswer,
    Step,
    applicable_steps,
    find_step,
    next_step,
    previous_step,
    skip_answer,
    text_answer,
)
from bot.survey.questionnaire import Kind, Questionnaire
from bot.survey.replies import clean_text, interpret
from bot.survey.screens import (
    Note,
    QuestionScreen,
    Screen,
    SummaryScreen,
    Tone,
    describe,
    step_prompt,
    summary_rows,
)
from bot.survey.service_types import Resolver

SUMMARY = "summary"  # the position of a response whose member is on its summary

# -- where the member stands ------------------------------------------------------------------


def screen_for(
    questionnaire: Questionnaire, response: Response, answers: Answers, note: Note | None = None
) -> Screen:
    """What the member sees, from the response and its answers already in hand."""
    if response.completed:
        rows = summary_rows(questionnaire, answers)
        return SummaryScreen(response.id, rows, completed=True, note=note)
    steps = applicable_steps(questionnaire, answers)
    step = None
    if response.position != SUMMARY:
        step = next((s for s in steps if s.key == response.position), None)
        step = step or next_step(questionnaire, answers)
    if step is None:
        return SummaryScreen(response.id, summary_rows(questionnaire, answers), note=note)
    current = {
        (key[0].split(".", 1)[1] if "." in key[0] else ""): answers[key]
        for key in step.answer_keys()
        if key in answers
    }
    return QuestionScreen(
        response_id=response.id,
        step=step,
        prompt=step_prompt(questionnaire, step, answers),
        number=steps.index(step) + 1,
        total=len(steps),
        current=current,
        note=note,
        can_go_back=steps.index(step) > 0,
        prompt_message_id=response.prompt_message_id,
    )


def answer_key(step: Step, field_id: str) -> AnswerKey:
    """Where the answer to `step` (to one field of it, for a group) is stored."""
    return (f"{step.question.id}.{field_id}", step.item) if field_id else (step.question.id, "")


def position_after(questionnaire: Questionnaire, step: Step, answers: Answers) -> str:
    """Where a response goes once `step` was answered: the next step that applies, the
    summary after the last one, or `step` again while a group has parts still to answer."""
    if all(key in answers for key in step.answer_keys()):
        following = next_step(questionnaire, answers)
        return following.key if following else SUMMARY
    return step.key  # a group with parts still to answer


# -- answering --------------------------------------------------------------------------------


def typed_answers(step: Step, raw: str) -> dict[str, Answer]:
    """The answers a modal submission for a number or text question stands for."""
    if step.question.kind is Kind.TEXT:
        return {"": text_answer(step, clean_text(raw))}
    if step.question.kind in (Kind.NUMBER, Kind.SCALE):
        reply = interpret(step, raw)
        if reply.answers is None:
            raise InvalidAnswer(_("Please type a number."))
        return reply.answers
    raise InvalidAnswer(_("This question is answered with the buttons or the menu."))


def not_done(raw: str) -> Note | None:
    """A message typed on the summary: None when it says Done, or else what to do instead."""
    if plain(raw) in words_for(current_language()).done:
        return None
    return Note(
        _("You have answered everything. Press Done to submit, or Change an answer."),
        Tone.CORRECTION,
    )


def skipped(step: Step) -> dict[str, Answer]:
    """The answers that skipping `step` stands for; a group's parts cannot be skipped."""
    if step.question.kind is Kind.GROUP:
        raise InvalidAnswer(_("Please answer both parts; choose Not sure if you do not know."))
    return {"": skip_answer(step)}


def resolved(
    resolvers: dict[str, Resolver], step: Step, given: dict[str, Answer]
) -> tuple[dict[str, Answer], Note | None]:
    """A typed name resolved against what the bot knows ("nutrafol" -> "Nutrafol")."""
    resolver = resolvers.get(step.question.id)
    answer = given.get("")
    if resolver is None or answer is None or answer.text is None:
        return given, None
    found = resolver(answer.text)
    if found is None:
        return given, None
    name, note = found
    return {"": Answer(text=name)}, Note(note, Tone.SAVED)


def saved_note(
    questionnaire: Questionnaire,
    step: Step,
    given: dict[str, Answer],
    echo: bool,
    answers: Answers | None = None,
) -> Note:
    """The answer read back: as understood from a typed reply (`echo`), or as saved."""
    question = step.question
    said = "; ".join(describe(question, answer, field_id) for field_id, answer in given.items())
    prompt = step_prompt(questionnaire, step, answers)
    # Translators: a typed reply, read back: "Understood: <question> → <answer>".
    understood = _("Understood: {question} → {answer}")
    # Translators: a clicked answer, confirmed: "Saved: <question> → <answer>".
    saved = _("Saved: {question} → {answer}")
    return Note((understood if echo else saved).format(question=prompt, answer=said), Tone.SAVED)


# -- moving -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Move:
    """A button that moves the member without answering: pressed on `origin` (a step's key, or
    the summary), it leads to the position `target` gives for their answers or, where that
    is None, nowhere, with `refusal` said instead."""

    origin: str
    target: Callable[[Questionnaire, Answers], str | None]
    refusal: str | None = None

    def refused(self) -> str:
        return self.refusal or _("You cannot go there.")


def back(step_key: str) -> Move:
    """Back from the step `step_key`, or from the summary to the last step."""

    def target(questionnaire: Questionnaire, answers: Answers) -> str | None:
        if step_key == SUMMARY:
            steps = applicable_steps(questionnaire, answers)
            return steps[-1].key if steps else None
        previous = previous_step(questionnaire, answers, step_key)
        return previous.key if previous else None

    return Move(step_key, target, _("This is the first question; there is nothing before it."))


def change(target_key: str) -> Move:
    """From the summary, reopen one answered question."""

    def target(questionnaire: Questionnaire, answers: Answers) -> str | None:
        step = find_step(questionnaire, answers, target_key)
        return step.key if step else None

    return Move(SUMMARY, target, _("That question does not apply to your answers any more."))


def unfinished(questionnaire: Questionnaire, answers: Answers) -> Note | None:
    """Why Done cannot complete the response yet: None once every question is answered."""
    if next_step(questionnaire, answers) is None:
        return None
    return Note(_("A few questions still need an answer first."), Tone.CORRECTION)
