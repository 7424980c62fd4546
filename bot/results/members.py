"""The members a release counts, each as their answers to what results compare.

Read once per release in one unit (a consistent snapshot), then every table of the release
is counted from this list in memory: one read instead of one query per table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.checkins.outcomes import HORIZONS, SHEDDING, SIDE_EFFECTS
from bot.results.variables import Profile, Source, not_offered, number_bin
from bot.storage import checkin_outcomes
from bot.storage.checkin_outcomes import Trajectory
from bot.storage.results import ResultsRepository
from bot.storage.tx import Tx
from bot.survey.questionnaire import Kind

AnswerRow = tuple[str, str, int | None, str | None, int, str | None]


@dataclass(frozen=True, slots=True)
class Member:
    user_id: int
    answers: dict[str, Profile]  # results source id -> profile (skipped: absent)
    # treatment choice -> effects field -> answer, from the survey's "what did it do" group
    effects: dict[str, dict[str, str]] = field(default_factory=dict)
    checked_in: bool = False


@dataclass(frozen=True, slots=True)
class Snapshot:
    members: list[Member]
    # check-in outcomes: treatment choice -> trajectory -> members
    outcomes: dict[str, dict[Trajectory, int]]


def read_snapshot(
    tx: Tx,
    guild_id: int,
    sources: dict[str, Source],
    effects_question: str | None,
    include_imported: bool,
) -> Snapshot:
    """Every counted member (latest completed response) with their latest check-in's answers."""
    counting = ResultsRepository(tx, include_imported)
    base = counting.completed_rows(guild_id)
    survey = counting.answers_for([row[0] for row in base])
    latest = counting.latest_checkins(guild_id)
    checkin_answers = counting.answers_for(list(latest.values()), checkins=True)
    survey_sources = {s.stored_id: s for s in sources.values() if not s.checkin}
    checkin_sources = {s.stored_id: s for s in sources.values() if s.checkin}
    members = []
    for rid, user_id, version, *_ in base:
        answers = _profiles(survey.get(rid, []), survey_sources, version)
        checkin = latest.get(user_id)
        if checkin is not None:
            answers.update(_profiles(checkin_answers.get(checkin, []), checkin_sources))
        effects = _effects(survey.get(rid, []), effects_question)
        members.append(Member(user_id, answers, effects, checkin is not None))
    outcomes = {
        choice: checkin_outcomes.trajectories(
            tx, guild_id, choice, SHEDDING, SIDE_EFFECTS, *HORIZONS
        )
        for choice in checkin_outcomes.started_treatments(tx, guild_id)
    }
    return Snapshot(members, {c: found for c, found in outcomes.items() if found})


def _profiles(
    rows: Iterable[AnswerRow], sources: dict[str, Source], version: int | None = None
) -> dict[str, Profile]:
    """Each question's answer profile. With the response's questionnaire `version`, a multi
    question answered also lists, marked, the choices that version never offered."""
    chosen: dict[str, list[str]] = {}
    found: dict[str, Profile] = {}
    for question_id, item, number, _text, skipped, choice in rows:
        source = sources.get(question_id)
        if source is None or item or skipped:
            continue
        if source.question.kind in (Kind.NUMBER, Kind.SCALE):
            level = number_bin(source.bins, number) if number is not None else None
            if level is not None:
                found[source.question.id] = (level,)
        elif choice is not None:
            chosen.setdefault(source.question.id, []).append(choice)
    if version is not None:
        for question_id, choices in chosen.items():
            offered_later = sources[question_id].question.choices
            choices.extend(not_offered(c.id) for c in offered_later if c.since > version)
    found.update((q, tuple(sorted(choices))) for q, choices in chosen.items())
    return found


def _effects(rows: Iterable[AnswerRow], effects_question: str | None) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    if effects_question is None:
        return found
    for question_id, item, _number, _text, skipped, choice in rows:
        top, _, effect = question_id.partition(".")
        if top == effects_question and effect and item and not skipped and choice is not None:
            found.setdefault(item, {})[effect] = choice
    return found
