"""The groupings results can compare, each a function from a member's whole answer to one
question (a profile) to a level.

Every choice question is a grouping; a multi-choice question becomes one yes/no grouping
per option (plus "any of these" when it has a "none" option and few enough options to
model); numbers are binned; and the questionnaire file's derived groups answer its own
questions (for the bundled one: receding vs diffuse, Norwood stage groups). The bins and
derived groups are declared in the file (bot/survey/groupings.py). Counting happens in SQL
on whole answers (bot/storage/results.py); member input only ever picks a grouping by id
from this table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from bot.survey.groupings import Bin, has_any_grouping
from bot.survey.questionnaire import Kind, Questionnaire

# One member's answer to one question: the chosen choice ids (sorted) for a choice
# question, the bin for a number.
Profile = tuple[str, ...]
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


def number_bin(bins: tuple[Bin, ...], number: int) -> str | None:
    """The level id ("b0", "b1", …) a number answer falls in."""
    for index, found in enumerate(bins):
        if found.low <= number <= found.high:
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
            others = [c.id for c in question.choices if not c.exclusive]
            if has_any_grouping(question):
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
            bins = questionnaire.results.bins_for(question)
            add(
                Variable(
                    question.id,
                    short(question.prompt),
                    tuple((f"b{i}", found.label) for i, found in enumerate(bins)),
                    question.id,
                )
            )

    for group in questionnaire.results.groups:
        add(
            Variable(
                group.id,
                group.label,
                tuple((level.id, level.label) for level in group.levels),
                group.question,
                group.level_of,
            )
        )
    return found
