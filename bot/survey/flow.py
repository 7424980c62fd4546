"""Skip logic and answer rules: which step comes next, and what counts as a valid answer.

A *step* is one message to the member: a question, or one repetition of a group
question for one chosen item. Answers are keyed by `(question id, item)`, where a
group's fields are stored under `"<group>.<field>"`; everything here is pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bot.i18n import _, formats
from bot.storage.responses import Answer, AnswerKey, Answers
from bot.survey.questionnaire import Field, Kind, Question, Questionnaire


class InvalidAnswer(ValueError):
    """The answer cannot be accepted; the message is a friendly correction for the member."""


class Refused(Exception):
    """The answer ends the survey (under Discord's minimum age); the message says so kindly."""


@dataclass(frozen=True, slots=True)
class Step:
    question: Question
    item: str = ""
    # A group's fields that apply to this item and these answers (None: all of them).
    parts: tuple[Field, ...] | None = None

    @property
    def key(self) -> str:
        """A short stable pointer, used in custom_ids and the response's current position."""
        return f"{self.question.id}/{self.item}" if self.item else self.question.id

    @property
    def fields(self) -> tuple[Field, ...]:
        return self.question.fields if self.parts is None else self.parts

    def answer_keys(self) -> list[AnswerKey]:
        if self.question.kind is Kind.GROUP:
            return [(f"{self.question.id}.{f.id}", self.item) for f in self.fields]
        return [(self.question.id, "")]


def chosen(answers: Answers, question_id: str) -> frozenset[str] | None:
    answer = answers.get((question_id, ""))
    if answer is None or answer.skipped:
        return None
    return frozenset(answer.choices)


# Which steps apply depends only on the answers the questionnaire's conditions and repeated
# groups look at, so it is worked out once per questionnaire and such answers, not on every
# click (several times per click: pruning, the next step, the screen).
_STEPS: dict[int, tuple[Questionnaire, tuple[str, ...], dict[tuple[Any, ...], tuple[Step, ...]]]]
_STEPS = {}
_STEPS_PER_QUESTIONNAIRE = 4096


def applicable_steps(questionnaire: Questionnaire, answers: Answers) -> list[Step]:
    """Every step the member is asked given their answers so far, in order."""
    entry = _STEPS.get(id(questionnaire))
    if entry is None or entry[0] is not questionnaire:
        if len(_STEPS) >= 16:  # questionnaires come and go only in tests and previews
            _STEPS.clear()
        gating = {q.when.question for q in questionnaire.questions if q.when is not None}
        gating |= {q.repeat_for for q in questionnaire.questions if q.repeat_for is not None}
        gating |= {
            f.when.question for q in questionnaire.questions for f in q.fields if f.when is not None
        }
        entry = _STEPS[id(questionnaire)] = (questionnaire, tuple(sorted(gating)), {})
    _, gating_ids, known = entry
    key = tuple(chosen(answers, question_id) for question_id in gating_ids)
    steps = known.get(key)
    if steps is None:
        if len(known) >= _STEPS_PER_QUESTIONNAIRE:
            known.clear()
        steps = known[key] = tuple(_work_out_steps(questionnaire, answers))
    return list(steps)


def _work_out_steps(questionnaire: Questionnaire, answers: Answers) -> list[Step]:
    steps: list[Step] = []
    for question in questionnaire.questions:
        if question.when is not None and not question.when.holds(
            chosen(answers, question.when.question)
        ):
            continue
        if question.kind is Kind.GROUP:
            assert question.repeat_for is not None
            source = questionnaire[question.repeat_for]
            picked = chosen(answers, source.id) or frozenset()
            for choice in source.choices:
                if choice.id not in picked or choice.exclusive:
                    continue
                parts = tuple(
                    f
                    for f in question.fields
                    if f.applies(choice.id, chosen(answers, f.when.question) if f.when else None)
                )
                steps.append(Step(question, choice.id, parts))
        else:
            steps.append(Step(question))
    return steps


def is_answered(step: Step, answers: Answers) -> bool:
    return all(key in answers for key in step.answer_keys())


def next_step(questionnaire: Questionnaire, answers: Answers) -> Step | None:
    """The first applicable step without an answer; None when the survey is complete."""
    return next(
        (s for s in applicable_steps(questionnaire, answers) if not is_answered(s, answers)), None
    )


def find_step(questionnaire: Questionnaire, answers: Answers, key: str) -> Step | None:
    return next((s for s in applicable_steps(questionnaire, answers) if s.key == key), None)


def previous_step(questionnaire: Questionnaire, answers: Answers, key: str) -> Step | None:
    steps = applicable_steps(questionnaire, answers)
    index = next((i for i, s in enumerate(steps) if s.key == key), len(steps))
    return steps[index - 1] if index > 0 else None


def orphaned_keys(questionnaire: Questionnaire, answers: Answers) -> list[AnswerKey]:
    """Answers that no longer apply after an earlier answer changed (e.g. 'none' chosen)."""
    live = {k for s in applicable_steps(questionnaire, answers) for k in s.answer_keys()}
    return [key for key in answers if key not in live]


def prune(questionnaire: Questionnaire, answers: dict[AnswerKey, Answer]) -> list[AnswerKey]:
    """Drop orphaned answers until stable (removing one can orphan another)."""
    removed: list[AnswerKey] = []
    while orphans := orphaned_keys(questionnaire, answers):
        for key in orphans:
            del answers[key]
        removed.extend(orphans)
    return removed


# -- answer rules ---------------------------------------------------------------------------


def choice_answer(step: Step, values: Iterable[str], field_id: str | None = None) -> Answer:
    """Validate choice ids from a click, a select or a parsed reply."""
    question = step.question
    picked = list(dict.fromkeys(values))  # de-duplicate, keep order
    if question.kind is Kind.GROUP:
        group_field = next((f for f in step.fields if f.id == field_id), None)
        if group_field is None:
            raise InvalidAnswer(_("That part of the question does not exist."))
        options, multiple = group_field.choices, group_field.multi
    elif field_id:
        raise InvalidAnswer(_("That part of the question does not exist."))
    elif question.is_choice:
        options, multiple = question.choices, question.kind is Kind.MULTI
    elif question.kind is Kind.SCALE and len(picked) == 1:
        return number_answer(step, picked[0])
    else:
        raise InvalidAnswer(_("This question is not answered with a choice."))
    by_id = {c.id: c for c in options}
    if not picked:
        raise InvalidAnswer(_("Please choose at least one option."))
    if any(value not in by_id for value in picked):
        raise InvalidAnswer(_("That is not one of the options for this question."))
    if not multiple and len(picked) > 1:
        raise InvalidAnswer(_("Please choose just one option for this question."))
    exclusive = [by_id[v] for v in picked if by_id[v].exclusive]
    if exclusive and len(picked) > 1:
        raise InvalidAnswer(
            _(
                "“{choice}” cannot be combined with other options; choose it alone or leave it out."
            ).format(choice=exclusive[0].label)
        )
    order = [c.id for c in options]
    return Answer(choices=tuple(sorted(picked, key=order.index)))


def number_answer(step: Step, raw: str | int) -> Answer:
    question = step.question
    assert question.min is not None
    assert question.max is not None
    if isinstance(raw, str):
        cleaned = raw.strip()
        if not cleaned.lstrip("-").isdecimal() or len(cleaned) > 6:
            raise InvalidAnswer(
                _("Please answer with a whole number from {low} to {high}.").format(
                    low=question.min, high=question.max
                )
            )
        raw = int(cleaned)
    if raw < question.min and question.below_min_refuses:
        raise Refused(question.refusal or _("Sorry, this survey is not for you."))
    if not question.min <= raw <= question.max:
        raise InvalidAnswer(
            _(
                "{number} is outside the range for this question: please answer with a whole "
                "number from {low} to {high}."
            ).format(number=raw, low=question.min, high=question.max)
        )
    return Answer(number=raw)


def text_answer(step: Step, raw: str) -> Answer:
    limit = step.question.max_length or 0
    text = raw.strip()
    if not text:
        raise InvalidAnswer(_("That answer is empty; type a few words, or skip this question."))
    if len(text) > limit:
        raise InvalidAnswer(
            _(
                "That is {length} characters; this question takes at most {limit}. Please "
                "shorten it and send it again."
            ).format(length=formats.number(len(text)), limit=formats.number(limit))
        )
    return Answer(text=text)


def check_against(step: Step, given: dict[str, Answer], answers: Answers) -> None:
    """Rules between answers: the age hair loss started is not above the member's age."""
    question = step.question
    answer = given.get("")
    if question.at_most is None or answer is None or answer.number is None:
        return
    limit = answers.get((question.at_most, ""))
    if limit is not None and limit.number is not None and answer.number > limit.number:
        raise InvalidAnswer(
            _(
                "You told me you are {age}, so this can be at most {age}. Please check the "
                "number, or go back and correct your age."
            ).format(age=limit.number)
            if question.at_most == "age"
            else _("This can be at most {number}, your earlier answer.").format(number=limit.number)
        )


def skip_answer(step: Step) -> Answer:
    if step.question.required:
        raise InvalidAnswer(_("This question needs an answer; it cannot be skipped."))
    return Answer(skipped=True)
