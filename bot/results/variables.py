"""The groupings results can compare, each a function from a member's whole answer to one
question (a profile) to a level.

Every choice question is a grouping; a multi-choice question becomes one yes/no grouping
per option (plus "any of these" when it has a "none" option and few enough options to
model); numbers are binned; and a few derived groupings answer the thread's own questions
(receding vs diffuse, Norwood stage groups). Counting happens in SQL on whole answers
(bot/storage/results.py); member input only ever picks a grouping by id from this table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.survey.questionnaire import Kind, Question, Questionnaire

# One member's answer to one question: the chosen choice ids (sorted) for a choice
# question, the bin for a number.
Profile = tuple[str, ...]
# A multi-choice question with more options than this has too many answer combinations to
# model one by one; its "any of these" grouping is not offered (see bot/results/protection).
MAX_PROFILE_OPTIONS = 10

SCALE_BINS = ((0, 3, "0-3 (mild)"), (4, 6, "4-6 (moderate)"), (7, 10, "7-10 (strong)"))
NUMBER_BINS = {
    "age": ((13, 24, "13-24"), (25, 34, "25-34"), (35, 44, "35-44"), (45, 100, "45+")),
    "onset_age": ((5, 19, "under 20"), (20, 29, "20-29"), (30, 100, "30+")),
}
NORWOOD_GROUPS = (
    ("early", "Norwood 1-2A", ("nw1", "nw2", "nw2a")),
    ("middle", "Norwood 3-4A", ("nw3", "nw3v", "nw3a", "nw4", "nw4a")),
    ("advanced", "Norwood 5-7", ("nw5", "nw5a", "nw6", "nw7")),
)
YES_NO = (("yes", "Yes"), ("no", "No"))


def first_choice(profile: Profile) -> str | None:
    return profile[0] if profile else None


@dataclass(frozen=True, slots=True)
class Variable:
    id: str
    label: str
    levels: tuple[tuple[str, str], ...]  # (level id, label), in display order
    question_id: str  # the question it comes from, for grouping in menus
    # The level an answer profile of the question falls in (None: not in this grouping).
    level_of: Callable[[Profile], str | None] = field(
        default=first_choice, compare=False, repr=False
    )

    def level_label(self, level: str) -> str:
        return dict(self.levels).get(level, level)


def _any_of(options: frozenset[str]) -> Callable[[Profile], str | None]:
    return lambda profile: "yes" if options.intersection(profile) else "no"


def _has_choice(choice: str) -> Callable[[Profile], str | None]:
    return lambda profile: "yes" if choice in profile else "no"


def _stage_group(profile: Profile) -> str | None:
    return next((level for level, _, ids in NORWOOD_GROUPS if profile and profile[0] in ids), None)


def _loss_pattern(profile: Profile) -> str | None:
    return "diffuse" if "diffuse" in profile else "receding" if "hairline" in profile else None


def number_bins(question: Question) -> tuple[tuple[int, int, str], ...]:
    assert question.min is not None
    assert question.max is not None
    if question.kind is Kind.SCALE:
        return SCALE_BINS
    middle = (question.min + question.max) // 2
    return NUMBER_BINS.get(
        question.id,
        (
            (question.min, middle, f"{question.min}-{middle}"),
            (middle + 1, question.max, f"{middle + 1}-{question.max}"),
        ),
    )


def number_bin(question: Question, number: int) -> str | None:
    """The level id ("b0", "b1", …) a number answer falls in."""
    for index, (low, high, _) in enumerate(number_bins(question)):
        if low <= number <= high:
            return f"b{index}"
    return None


def short(prompt: str, limit: int = 60) -> str:
    prompt = prompt.rstrip("?")
    return prompt if len(prompt) <= limit else prompt[: limit - 1] + "…"


def build_variables(questionnaire: Questionnaire) -> dict[str, Variable]:
    found: dict[str, Variable] = {}

    def add(variable: Variable) -> None:
        found[variable.id] = variable

    for question in questionnaire.questions:
        if question.kind is Kind.SINGLE:
            add(
                Variable(
                    question.id,
                    short(question.prompt),
                    tuple((c.id, c.label) for c in question.choices),
                    question.id,
                )
            )
        elif question.kind is Kind.MULTI:
            exclusive = [c.id for c in question.choices if c.exclusive]
            others = [c.id for c in question.choices if not c.exclusive]
            if exclusive and len(others) <= MAX_PROFILE_OPTIONS:
                add(
                    Variable(
                        f"{question.id}:any",
                        f"{short(question.prompt, 50)}: any",
                        YES_NO,
                        question.id,
                        _any_of(frozenset(others)),
                    )
                )
            for choice in question.choices:
                if not choice.exclusive:
                    add(
                        Variable(
                            f"{question.id}:{choice.id}",
                            f"{short(question.prompt, 50)}: {choice.label}",
                            YES_NO,
                            question.id,
                            _has_choice(choice.id),
                        )
                    )
        elif question.kind in (Kind.NUMBER, Kind.SCALE):
            # a number question's answer profiles are its bins already (see number_bin)
            bins = number_bins(question)
            add(
                Variable(
                    question.id,
                    short(question.prompt),
                    tuple((f"b{i}", label) for i, (_, _, label) in enumerate(bins)),
                    question.id,
                )
            )

    if questionnaire.question("norwood") is not None:
        add(
            Variable(
                "stage_group",
                "Norwood stage group",
                tuple((level, label) for level, label, _ in NORWOOD_GROUPS),
                "norwood",
                _stage_group,
            )
        )
    if questionnaire.question("areas") is not None:
        add(
            Variable(
                "loss_pattern",
                "Receding or diffuse",
                (("receding", "Receding (hairline or temples)"), ("diffuse", "Diffuse thinning")),
                "areas",
                _loss_pattern,
            )
        )
    return found


# The thread's own questions, offered first in /survey compare.
READY_MADE: tuple[tuple[str, str, str], ...] = (
    (
        "sensations:any",
        "loss_pattern",
        "Do receders feel itch or burning more than diffuse thinners?",
    ),
    ("sensations:any", "stage_group", "Scalp sensations by Norwood stage"),
    ("sensations:itch", "shedding", "Does itch come with more shedding?"),
    ("oiliness", "stage_group", "Does the scalp get oilier as hair is lost?"),
)
