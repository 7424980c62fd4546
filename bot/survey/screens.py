"""What the member should see next, independent of how it is drawn (Discord, terminal)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.i18n import N_, _
from bot.survey.flow import Answer, Answers, Step, applicable_steps
from bot.survey.questionnaire import Choice, Kind, Question, Questionnaire


class Tone(StrEnum):
    SAVED = "saved"  # the previous answer was stored
    CORRECTION = "correction"  # the answer was not accepted; the same question again
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Note:
    text: str
    tone: Tone = Tone.INFO


@dataclass(frozen=True, slots=True)
class QuestionScreen:
    response_id: int
    step: Step
    prompt: str
    number: int  # 1-based position among the steps that apply
    total: int
    current: dict[str, Answer]  # field id ("" for plain questions) -> stored answer
    note: Note | None = None
    can_go_back: bool = True
    prompt_message_id: int | None = None  # the DM message showing the question, if known


@dataclass(frozen=True, slots=True)
class SummaryRow:
    step_key: str
    prompt: str
    answer: str


@dataclass(frozen=True, slots=True)
class SummaryScreen:
    response_id: int
    rows: tuple[SummaryRow, ...]
    completed: bool = False
    note: Note | None = None


class NoticeKind(StrEnum):
    PAUSED = "paused"
    FINISHED = "finished"
    REFUSED = "refused"
    GONE = "gone"  # deleted, or never existed


@dataclass(frozen=True, slots=True)
class Advice:
    """Something the member's own answers should make them read, privately, on finishing:
    a caution or a "see a doctor when" line, each sentence whole, with where it comes from."""

    title: str
    lines: tuple[str, ...]
    sources: tuple[tuple[str, str | None], ...] = ()  # (label, link or None)
    urgent_help: bool = False  # add where to find urgent help (thoughts of self-harm)


@dataclass(frozen=True, slots=True)
class NoticeScreen:
    kind: NoticeKind
    text: str
    response_id: int | None = None
    note: Note | None = field(default=None)
    advice: tuple[Advice, ...] = ()  # on FINISHED: what the answers should prompt them to read


Screen = QuestionScreen | SummaryScreen | NoticeScreen


def step_prompt(questionnaire: Questionnaire, step: Step, answers: Answers | None = None) -> str:
    if not step.item:
        return step.question.prompt
    source = questionnaire[step.question.repeat_for or ""]
    choice = source.choice(step.item)
    return step.question.prompt.replace("{item}", item_label(choice, step.item, answers))


def item_label(choice: Choice | None, item: str, answers: Answers | None) -> str:
    """How a repeated item is named: "Finasteride", or for "Other" what the member typed."""
    if choice is None:
        return item
    if choice.detail and answers is not None:
        said = answers.get((choice.detail, ""))
        if said is not None and said.text:
            return said.text
    return choice.label


NOT_ANSWERED = N_("not answered")


def describe(question: Question, answer: Answer, field_id: str = "") -> str:
    """An answer in words, as the member would recognise it."""
    if answer.skipped:
        return _("skipped")
    if answer.number is not None:
        return (
            f"{answer.number}/{question.max}" if question.kind is Kind.SCALE else str(answer.number)
        )
    if answer.text is not None:
        return answer.text
    field = question.field(field_id) if field_id else None
    options = field.choices if field is not None else question.choices
    labels = {c.id: c.label for c in options}
    return ", ".join(labels.get(c, c) for c in answer.choices)


def describe_step(step: Step, answers: Answers) -> str:
    if step.question.kind is Kind.GROUP:
        parts = []
        for group_field, key in zip(step.fields, step.answer_keys(), strict=True):
            if (answer := answers.get(key)) is not None:
                said = describe(step.question, answer, group_field.id)
                parts.append(f"{group_field.prompt.lower()}: {said}")
        return "; ".join(parts) or _(NOT_ANSWERED)
    answer = answers.get(step.answer_keys()[0])
    return _(NOT_ANSWERED) if answer is None else describe(step.question, answer)


def summary_rows(questionnaire: Questionnaire, answers: Answers) -> tuple[SummaryRow, ...]:
    return tuple(
        SummaryRow(
            step.key, step_prompt(questionnaire, step, answers), describe_step(step, answers)
        )
        for step in applicable_steps(questionnaire, answers)
    )
