"""The groupings results can compare, each a function from a member's whole answer to one
question (a profile) to a level.

Every choice question is a grouping; a multi-choice question becomes one yes/no grouping
per option (plus "any of these" when it has a "none" option and few enough options to
model); numbers are binned; and the questionnaire file's derived groups answer its own
questions (for the bundled one: receding vs diffuse, Norwood stage groups). The bins and
derived groups are declared in the file (bot/survey/groupings.py). Counting happens in SQL
on whole answers (bot/storage/results.py); member input only ever picks a grouping by id
from this table.

The check-in questionnaire's single-choice and number questions are groupings too,
answered by each member's latest completed check-in: they live under their own ids
("checkin_shedding") so a check-in question never meets the survey question of the same
name, and are built from whatever the check-in file asks rather than from a list of ids.
Its multi-choice questions (the treatments in use) are not: they restate the survey's
treatments almost one for one, and two near-identical groupings let a reader rebuild
small cells of a three-way table from the two-way ones (the disclosure audit found it).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace

from bot.i18n import N_, _
from bot.survey.groupings import Bin, has_any_grouping
from bot.survey.questionnaire import Kind, Question, Questionnaire

# One member's answer to one question: the chosen choice ids (sorted) for a choice
# question, the bin for a number.
Profile = tuple[str, ...]
YES_NO = (
    # Translators: the group of members who chose an option (or any option of a question).
    ("yes", N_("Yes")),
    # Translators: the group of members who did not choose an option.
    ("no", N_("No")),
)
# Check-in questions and groups are compared under this prefix and labelled with CHECKIN_LABEL.
CHECKIN_PREFIX = "checkin_"
# Translators: names a grouping by members' answer in their latest check-in; {question} is
# the check-in question (or a group made from it), e.g. "Compared with last time, …".
CHECKIN_LABEL = N_("Latest check-in: {question}")
_COMPARABLE = (Kind.SINGLE, Kind.MULTI, Kind.NUMBER, Kind.SCALE)
_NUMBERS = (Kind.NUMBER, Kind.SCALE)
_CHECKIN_COMPARABLE = (Kind.SINGLE, Kind.NUMBER, Kind.SCALE)


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


# In a multi question's profile, a choice the member's questionnaire version never offered
# (Choice.since): unknown for that choice, so not counted as "no" (bot/results/members.py).
NOT_OFFERED = "~"


def not_offered(choice: str) -> str:
    return NOT_OFFERED + choice


def _has_choice(choice: str) -> Callable[[Profile], str | None]:
    unasked = not_offered(choice)

    def level(profile: Profile) -> str | None:
        if unasked in profile:
            return None
        return "yes" if choice in profile else "no"

    return level


def number_bin(bins: tuple[Bin, ...], number: int) -> str | None:
    """The level id ("b0", "b1", …) a number answer falls in."""
    for index, found in enumerate(bins):
        if found.low <= number <= found.high:
            return f"b{index}"
    return None


def short(prompt: str, limit: int = 60) -> str:
    prompt = prompt.rstrip("?")
    return prompt if len(prompt) <= limit else prompt[: limit - 1] + "…"


@dataclass(frozen=True, slots=True)
class Source:
    """A comparable question under its results id, and where its answers are kept: the
    survey's latest completed response, or (`checkin`) the latest completed check-in."""

    question: Question  # its `id` is the results id ("checkin_shedding" for a check-in)
    stored_id: str  # the question id its answers are stored under ("shedding")
    bins: tuple[Bin, ...]  # for a number or scale question
    checkin: bool = False

    def labelled(self, text: str) -> str:
        """`text` (the prompt, or a shortened one) as labels name it, in the current
        language: "Latest check-in: …" for a check-in's question."""
        return _(CHECKIN_LABEL).format(question=text) if self.checkin else text

    @property
    def room(self) -> int:
        """The characters `labelled` adds, given back to a shortened prompt."""
        return len(self.labelled(""))


def question_variables(source: Source) -> list[Variable]:
    """The groupings of one question: itself, one yes/no per option of a multi question
    (plus "any of these"), or its number bins; labelled in the current language."""
    question = source.question
    # the check-in's prefix gets room of its own: a label stays as readable as a survey one
    label = source.labelled(short(question.prompt, 60 + source.room))
    if question.kind is Kind.SINGLE:
        levels = tuple((c.id, c.label) for c in question.choices)
        return [Variable(question.id, label, levels, question.id)]
    if question.kind in (Kind.NUMBER, Kind.SCALE):
        # a number question's answer profiles are its bins already (see number_bin)
        levels = tuple((f"b{i}", found.label) for i, found in enumerate(source.bins))
        return [Variable(question.id, label, levels, question.id)]
    if question.kind is not Kind.MULTI:
        return []
    stem = source.labelled(short(question.prompt, 50 + source.room))
    yes_no = tuple((level, _(text)) for level, text in YES_NO)
    found = []
    if has_any_grouping(question):
        others = frozenset(c.id for c in question.choices if not c.exclusive)
        # Translators: a grouping of members by whether they chose any option of a
        # multi-choice question; {question} is the question.
        any_label = _("{question}: any").format(question=stem)
        found.append(
            Variable(f"{question.id}:any", any_label, yes_no, question.id, _any_of(others))
        )
    for choice in question.choices:
        if not choice.exclusive:
            found.append(
                Variable(
                    f"{question.id}:{choice.id}",
                    f"{stem}: {choice.label}",
                    yes_no,
                    question.id,
                    _has_choice(choice.id),
                )
            )
    return found


def survey_sources(questionnaire: Questionnaire) -> dict[str, Source]:
    return {
        q.id: Source(q, q.id, questionnaire.results.bins_for(q) if q.kind in _NUMBERS else ())
        for q in questionnaire.questions
        if q.kind in _COMPARABLE
    }


def checkin_sources(checkin: Questionnaire, taken: Collection[str]) -> dict[str, Source]:
    """The check-in's comparable questions under "checkin_" ids: its single-choice and
    number questions that every check-in asks (required, unconditional), so that exactly
    the members with a check-in answer each; the privacy model relies on it. An id the
    survey already uses (a question or group of that name) is left out, not shadowed."""
    found = {}
    for question in checkin.questions:
        results_id = CHECKIN_PREFIX + question.id
        asked_always = question.required and question.when is None
        if question.kind not in _CHECKIN_COMPARABLE or not asked_always or results_id in taken:
            continue
        bins = checkin.results.bins_for(question) if question.kind in _NUMBERS else ()
        renamed = replace(question, id=results_id)
        found[results_id] = Source(renamed, question.id, bins, True)
    return found


def build_variables(questionnaire: Questionnaire) -> dict[str, Variable]:
    found: dict[str, Variable] = {}
    for source in survey_sources(questionnaire).values():
        found.update((v.id, v) for v in question_variables(source))
    for group in questionnaire.results.groups:
        found[group.id] = Variable(
            group.id,
            group.label,
            tuple((level.id, level.label) for level in group.levels),
            group.question,
            group.level_of,
        )
    return found


def build_checkin_variables(
    checkin: Questionnaire, sources: dict[str, Source], taken: Collection[str]
) -> dict[str, Variable]:
    """The groupings of the check-in `sources`, and the derived groups the check-in file
    declares for them, under "checkin_" ids (those the survey uses are left out)."""
    found: dict[str, Variable] = {}
    for source in sources.values():
        found.update((v.id, v) for v in question_variables(source))
    for group in checkin.results.groups:
        group_id, question_id = CHECKIN_PREFIX + group.id, CHECKIN_PREFIX + group.question
        if question_id in sources and group_id not in taken and group_id not in found:
            found[group_id] = Variable(
                group_id,
                _(CHECKIN_LABEL).format(question=group.label),
                tuple((level.id, level.label) for level in group.levels),
                question_id,
                group.level_of,
            )
    return found
