"""Outcomes over time: who is counted (on real SQLite files), what the small-group rule
leaves visible, how it looks in Discord and the report, and a disclosure audit.

The audit works like tests/test_disclosure_audit.py: for generated servers (k = 3 and 5)
it lays side by side everything shown about one treatment (the survey's report and the
outcomes at both horizons), turns each shown number into a linear constraint on the
unknown number of members with each possible whole set of answers, and asks linear
programming how far each count kept back can be narrowed. The reader is the worst case
the model assumes: it knows the cohort sizes and, when both horizons are shown, how many
members are read at one check-in for both, at two, or at the short horizon only.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from scipy.optimize import linprog
from scipy.sparse import csr_matrix

from bot.checkins.outcomes import (
    HORIZONS,
    SHEDDING,
    SIDE_EFFECTS,
    HorizonOutcomes,
    OutcomesReport,
    protected_outcomes,
    started_treatments,
    treatment_outcomes,
)
from bot.results.report import build_report
from bot.results.service import ResultsService
from bot.storage import Database
from bot.storage.checkin_outcomes import Trajectory, trajectories
from bot.storage.checkins import CheckinRepository
from bot.storage.clock import stamp
from bot.storage.guilds import GuildSettingsRepository
from bot.storage.responses import checkin_tables
from bot.storage.tx import Tx
from bot.survey.answers import Answer
from bot.survey.questionnaire import CHECKIN_BUNDLED, load_questionnaire
from bot.treatments.knowledge import load_knowledge_base
from bot.treatments.service import CommunityReport, TreatmentService
from cogs.treatments.render import FIELD_LIMIT, OUTCOMES, outcomes_text, treatment_embed
from tests.survey_driver import seed_response, treatment_answers

GUILD, OTHER_GUILD = 1, 2
FIN = "finasteride"
NOW = datetime(2025, 12, 1, tzinfo=UTC)
# The survey's answers to "what did it do" (scalp-v1.toml), for the report beside outcomes.
EFFECT_ANSWERS = ("better", "no_change", "worse", "not_sure")


async def set_k(db: Database, guild_id: int, k: int) -> None:
    def unit(tx: Tx) -> None:
        settings = GuildSettingsRepository(tx)
        settings.save(replace(settings.of(guild_id), min_group_size=k))

    await db.run(unit)


async def check_in(
    db: Database,
    user_id: int,
    at: datetime,
    shedding: str | None = "same",
    effects: dict[str, tuple[str, ...]] | None = None,
    *,
    guild_id: int = GUILD,
    completed: bool = True,
) -> int:
    """A check-in answered and completed at `at`, through the repository."""

    def unit(tx: Tx) -> int:
        responses = checkin_tables(lambda: stamp(at)).on(tx)
        response = responses.create(guild_id, user_id, 1, "dm")
        if shedding is not None:
            responses.save_answer(response.id, ("shedding", ""), Answer(choices=(shedding,)))
        for treatment, chosen in (effects or {}).items():
            responses.save_answer(
                response.id, ("regimen.side_effects", treatment), Answer(choices=chosen)
            )
        if completed:
            responses.update(response.id, position=None, completed=True)
        return response.id

    return await db.run(unit)


async def start_treatment(
    db: Database, guild_id: int, user_id: int, treatment: str, month: str | None
) -> None:
    await db.run(
        lambda tx: CheckinRepository(tx).start_treatments(
            guild_id, user_id, [(treatment, month)], NOW
        )
    )


async def start(db: Database, user_id: int, month: str | None, guild_id: int = GUILD) -> None:
    await start_treatment(db, guild_id, user_id, FIN, month)


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


async def found(db: Database, treatment: str = FIN) -> dict[Trajectory, int]:
    return await db.read(
        lambda tx: trajectories(tx, GUILD, treatment, SHEDDING, SIDE_EFFECTS, *HORIZONS)
    )


# -- who is counted ----------------------------------------------------------------------------


async def test_the_first_checkin_late_enough_is_read_with_side_effects_since_the_start(
    db: Database,
) -> None:
    await start(db, 10, "2025-01")
    await check_in(db, 10, at("2024-12-20T10:00"), "more", {FIN: ("unwanted_hair",)})  # before
    await check_in(db, 10, at("2025-03-31T23:59"), "more", {FIN: ("sexual",)})  # too early
    await check_in(db, 10, at("2025-04-01T00:00"), "less", {FIN: ("mood",)})  # 3 months
    await check_in(db, 10, at("2025-05-15T12:00"), "same", {FIN: ("none",)})
    await check_in(db, 10, at("2025-07-01T08:00"), "more", {FIN: ("skin_irritation",)})  # 6
    await check_in(db, 10, at("2025-08-01T08:00"), "less", {FIN: ("other",)})  # after: ignored
    assert await found(db) == {
        Trajectory(
            "less",
            frozenset({"sexual", "mood"}),
            "more",
            frozenset({"sexual", "mood", "skin_irritation"}),
            one_checkin=False,
        ): 1
    }


async def test_a_long_standing_member_is_read_at_one_checkin_for_both_horizons(
    db: Database,
) -> None:
    await start(db, 11, "2023-06")
    await check_in(db, 11, at("2025-04-02T09:00"), "same", {FIN: ("sexual",)})
    await check_in(db, 11, at("2025-05-02T09:00"), "less", {FIN: ("mood",)})
    assert await found(db) == {
        Trajectory("same", frozenset({"sexual"}), "same", frozenset({"sexual"}), True): 1
    }


async def test_who_is_left_out(db: Database) -> None:
    await start(db, 20, None)  # start month unknown
    await check_in(db, 20, at("2025-09-01T09:00"))
    await start(db, 21, "2025-01")  # the only late check-in is unfinished
    await check_in(db, 21, at("2025-02-01T09:00"))
    await check_in(db, 21, at("2025-05-01T09:00"), completed=False)
    await start(db, 22, "2025-06")  # not yet 3 months on
    await check_in(db, 22, at("2025-08-31T09:00"))
    await start(db, 23, "2025-01", guild_id=OTHER_GUILD)  # another server
    await check_in(db, 23, at("2025-06-01T09:00"), guild_id=OTHER_GUILD)
    await start_treatment(db, GUILD, 24, "minoxidil_topical", "2025-01")
    await check_in(db, 24, at("2025-06-01T09:00"), effects={FIN: ("sexual",)})  # another one
    assert await found(db) == {}
    assert await found(db, "minoxidil_topical") == {Trajectory("same", frozenset()): 1}
    assert await started_treatments(db, GUILD) == [FIN, "minoxidil_topical"]
    assert await started_treatments(db, OTHER_GUILD) == [FIN]
    assert await started_treatments(db, 3) == []


async def test_a_restart_counts_from_the_first_start_and_a_skipped_shedding_is_passed_over(
    db: Database,
) -> None:
    # written as plain SQL: a stopped and restarted treatment, and a check-in whose shedding
    # question was skipped (the engine stores no choice for it)
    def unit(tx: Tx) -> None:
        tx.run_many(
            "INSERT INTO regimen_entries (guild_id, user_id, treatment_id, started_month,"
            " stopped_month, source, updated_at) VALUES (?, ?, ?, ?, ?, 'member', ?)",
            [
                (GUILD, 30, FIN, "2024-05", "2024-09", stamp(NOW)),
                (GUILD, 30, FIN, "2025-06", None, stamp(NOW)),
            ],
        )
        response_id = tx.value(
            "INSERT INTO checkin_responses (guild_id, user_id, questionnaire_version, status,"
            " started_at, updated_at, completed_at) VALUES (?, ?, 1, 'completed', ?, ?, ?)"
            " RETURNING id",
            (GUILD, 30, *(stamp(at("2024-09-10T10:00")),) * 3),
        )
        tx.run(
            "INSERT INTO checkin_answers (response_id, question_id, item, skipped, answered_at)"
            " VALUES (?, 'shedding', '', 1, ?)",
            (response_id, stamp(at("2024-09-10T10:00"))),
        )

    await db.run(unit)
    await check_in(db, 30, at("2024-10-10T10:00"), "more", {FIN: ("mood",)})  # 5 months on
    assert await found(db) == {Trajectory("more", frozenset({"mood"})): 1}


def test_the_counted_answers_are_the_checkin_questionnaires() -> None:
    checkin = load_questionnaire(CHECKIN_BUNDLED)
    assert tuple(c.id for c in checkin["shedding"].choices) == SHEDDING
    (side_effects,) = [f for f in checkin["regimen"].fields if f.id == "side_effects"]
    assert tuple(c.id for c in side_effects.choices if not c.exclusive) == SIDE_EFFECTS
    survey = {c.id for c in load_questionnaire(None)["treatments"].choices}
    assert survey == {c.id for c in checkin["current"].choices}  # the same treatment ids


# -- what the small-group rule leaves -------------------------------------------------------


def trajectory(
    first: str,
    later: str | None = None,
    *,
    effects: tuple[str, ...] = (),
    later_effects: tuple[str, ...] = (),
    one: bool = False,
) -> Trajectory:
    if one:
        later, later_effects = first, effects
    return Trajectory(first, frozenset(effects), later, frozenset(later_effects), one)


def test_nothing_is_shown_below_k() -> None:
    report = protected_outcomes(FIN, {trajectory("less", "less", one=True): 4}, 5)
    assert not report.shown
    assert not report.refused
    assert [h.months for h in report.horizons] == list(HORIZONS)
    assert "appear once at least 5 members" in outcomes_text(report)
    assert "<5" not in outcomes_text(report)


def test_the_long_horizon_waits_for_its_own_k() -> None:
    report = protected_outcomes(
        FIN,
        {
            trajectory("less"): 3,
            trajectory("same"): 3,
            trajectory("less", "same"): 2,
            trajectory("more", "more", one=True): 1,
        },
        5,
    )
    short, long = report.horizons
    assert short.shown
    assert short.cohort == "9"
    assert short.shedding == {"less": "5", "same": "<5", "more": "<5"}
    assert not long.shown
    text = outcomes_text(report)
    assert "**6+ months after starting**: shown once at least 5" in text
    assert "· 9 members" in text


def test_zeros_and_everyone_reporting_a_side_effect_are_both_protected() -> None:
    k = 5
    members = {
        trajectory("less", effects=("sexual",)): 7,
        trajectory("same", effects=("sexual",)): 6,
    }
    report = protected_outcomes(FIN, members, k)
    (short, _) = report.horizons
    # "more" is 0: shown as <5, and 13 - 7 - 6 would give it away, so one more is hidden
    assert short.shedding == {"less": "7", "same": "–", "more": "<5"}
    # all 13 reported it: "13" would say every one of them did
    assert short.side_effects["sexual"] == "–"
    assert {short.side_effects[e] for e in SIDE_EFFECTS if e != "sexual"} == {"<5"}


def test_subtraction_between_the_horizons_is_stopped() -> None:
    # Ten long-standing members read at one check-in for both horizons and one newer
    # member: 3-month counts minus 6-month counts would be that member's answer.
    members = {
        trajectory("less", one=True): 6,
        trajectory("same", one=True): 4,
        trajectory("more", effects=("mood",)): 1,
    }
    report = protected_outcomes(FIN, members, 3)
    short, long = report.horizons
    assert short.shown
    assert long.shown
    assert (short.cohort, long.cohort) == ("11", "10")
    for level in SHEDDING:  # both exact: their difference would be the newer member's
        assert not (short.shedding[level].isdigit() and long.shedding[level].isdigit()), level
    assert short.side_effects["mood"] == "<3"


def test_an_impossible_trajectory_is_refused_loudly() -> None:
    with pytest.raises(ValueError, match="impossible"):
        protected_outcomes(FIN, {Trajectory("less", frozenset(), "more", frozenset(), True): 9}, 3)


# -- how it looks -----------------------------------------------------------------------------


def full(months: int, text: str) -> HorizonOutcomes:
    return HorizonOutcomes(
        months, True, "1234", dict.fromkeys(SHEDDING, text), dict.fromkeys(SIDE_EFFECTS, text)
    )


def test_every_entry_stays_within_discords_limits_with_both_reports() -> None:
    kb = load_knowledge_base()
    outcomes = OutcomesReport(FIN, 100, (full(3, "<100"), full(6, "<100")))
    report = CommunityReport(
        FIN,
        100,
        hidden=False,
        tried="1234",
        effects={f: dict.fromkeys(EFFECT_ANSWERS, "<100") for f in ("shedding", "sensations")},
    )
    for treatment in kb.treatments:
        embed = treatment_embed(treatment, kb, report, outcomes)
        assert len(embed) <= 6000
        assert all(len(field.value or "") <= FIELD_LIMIT for field in embed.fields)
        # kept whole, never clipped by the trimming
        assert outcomes_text(outcomes) in [f.value for f in embed.fields], treatment.id
        assert OUTCOMES not in [f.name for f in treatment_embed(treatment, kb, report).fields]


async def test_the_report_gains_outcomes_over_time(db: Database) -> None:
    await set_k(db, GUILD, 3)
    for user, shedding in enumerate(SHEDDING * 3):
        await start(db, 100 + user, "2025-01")
        await check_in(db, 100 + user, at("2025-04-10T10:00"), shedding, {FIN: ("none",)})
    await start_treatment(db, GUILD, 200, "prp", "2025-01")
    await check_in(db, 200, at("2025-04-10T10:00"), "more")
    page = await build_report(ResultsService(db, load_questionnaire(None)), GUILD)
    section = page[page.index("<h2>Outcomes over time</h2>") :]
    assert "<caption>Finasteride</caption>" in section
    assert "<td>3+ months after starting</td><td>9</td><td>3</td><td>3</td><td>3</td>" in section
    assert section.count("<td>&lt;3</td>") == len(SIDE_EFFECTS)
    assert "Shown once at least 3 members" in section  # the 6-month row
    assert "PRP" not in section  # one member: nothing at all

    await set_k(db, GUILD, 10)
    page = await build_report(ResultsService(db, load_questionnaire(None)), GUILD)
    assert "No treatment has 10 or more members" in page
    assert "<caption>" not in page[page.index("<h2>Outcomes over time</h2>") :]


# -- the audit ----------------------------------------------------------------------------------

LAUNCH = datetime(2025, 3, 3, 9, tzinfo=UTC)  # check-ins began
SUBSETS = [
    frozenset(c for bit, c in enumerate(SIDE_EFFECTS) if mask >> bit & 1)
    for mask in range(2 ** len(SIDE_EFFECTS))
]


def months_after(month: str, months: int) -> datetime:
    year, number = map(int, month.split("-"))
    index = year * 12 + number - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Member:
    user_id: int
    start: str | None
    checkins: tuple[tuple[datetime, str, frozenset[str]], ...]
    survey: tuple[str, str] | None  # finasteride's effects in the survey, or not taken


def generate(seed: int, k: int) -> list[Member]:
    """A server around k: long-standing users (one check-in reads both horizons), newer
    starters, members who never said when they started, rare side effects."""
    rng = random.Random(seed * 100 + k)
    members = []
    # some servers are mostly long-standing users, some mostly newer starters
    old_share = rng.choice((0.5, 2, 5))
    for index in range(rng.randint(2 * k, 7 * k)):
        kind = rng.choices(("old", "new", "unknown"), weights=(old_share, 5, 1))[0]
        if kind == "old":
            month: str | None = f"{rng.randint(2022, 2024)}-{rng.randint(1, 12):02d}"
        elif kind == "new":
            month = f"2025-{rng.randint(2, 7):02d}"
        else:
            month = None
        first = LAUNCH + timedelta(days=rng.randint(0, 70), hours=rng.randint(0, 12))
        checkins = []
        for number in range(rng.randint(1, 10)):
            when = first + timedelta(weeks=4 * number)
            if when >= NOW:
                break
            shedding = rng.choices(SHEDDING, weights=(4, 5, 2))[0]
            effects = frozenset(
                rng.sample(("sexual", "sexual", "mood", "skin_irritation", "other"), 1)
                if rng.random() < 0.2
                else ()
            )
            checkins.append((when, shedding, effects))
        survey = None
        if rng.random() < 0.6:
            survey = (rng.choice(EFFECT_ANSWERS), rng.choice(EFFECT_ANSWERS))
        members.append(Member(5000 + index, month, tuple(checkins), survey))
    return members


async def seed(db: Database, members: list[Member]) -> None:
    """Plain SQL inserts, the shape the check-in engine writes (thousands of rows fast)."""

    def unit(tx: Tx) -> None:
        for member in members:
            tx.run(
                "INSERT INTO regimen_entries (guild_id, user_id, treatment_id, started_month,"
                " source, updated_at) VALUES (?, ?, ?, ?, 'checkin', ?)",
                (GUILD, member.user_id, FIN, member.start, stamp(NOW)),
            )
            for when, shedding, effects in member.checkins:
                response_id = tx.value(
                    "INSERT INTO checkin_responses (guild_id, user_id, questionnaire_version,"
                    " status, started_at, updated_at, completed_at)"
                    " VALUES (?, ?, 1, 'completed', ?, ?, ?) RETURNING id",
                    (GUILD, member.user_id, stamp(when), stamp(when), stamp(when)),
                )
                answers = [("shedding", "", (shedding,)), ("current", "", (FIN,))]
                answers.append(("regimen.side_effects", FIN, tuple(effects) or ("none",)))
                for question, item, choices in answers:
                    tx.run(
                        "INSERT INTO checkin_answers (response_id, question_id, item,"
                        " answered_at) VALUES (?, ?, ?, ?)",
                        (response_id, question, item, stamp(when)),
                    )
                    tx.run_many(
                        "INSERT INTO checkin_answer_choices (response_id, question_id, item,"
                        " choice_id) VALUES (?, ?, ?, ?)",
                        [(response_id, question, item, choice) for choice in choices],
                    )

    await db.run(unit)
    for member in members:
        if member.survey is not None:
            await seed_response(db, GUILD, member.user_id, treatment_answers(FIN, *member.survey))
        else:
            await seed_response(db, GUILD, member.user_id, {("treatments", ""): Answer(("none",))})


def expected(member: Member) -> Trajectory | None:
    """The definition, worked out again in Python from the generated check-ins."""
    if member.start is None:
        return None
    begin = months_after(member.start, 0)
    since = sorted(c for c in member.checkins if c[0] >= begin)
    read = []
    for months in HORIZONS:
        late = [c for c in since if c[0] >= months_after(member.start, months)]
        read.append(late[0] if late else None)
    if read[0] is None:
        return None

    def effects_until(when: datetime) -> frozenset[str]:
        return frozenset().union(*(c[2] for c in since if c[0] <= when))

    later = read[1]
    return Trajectory(
        read[0][1],
        effects_until(read[0][0]),
        later[1] if later else None,
        effects_until(later[0]) if later else frozenset(),
        later is not None and later[0] == read[0][0],
    )


@dataclass(frozen=True)
class Unknown:
    """Members of one group with one whole set of answers (one answer per horizon)."""

    group: str
    shedding: tuple[str, ...]
    effects: tuple[frozenset[str], ...]


def unknowns(both: bool) -> list[Unknown]:
    if not both:
        return [Unknown("cohort", (s,), (e,)) for s in SHEDDING for e in SUBSETS]
    found = [Unknown("short_only", (s,), (e,)) for s in SHEDDING for e in SUBSETS]
    found += [Unknown("one", (s, s), (e, e)) for s in SHEDDING for e in SUBSETS]
    found += [
        Unknown("two", pair, (a, b))
        for pair in itertools.product(SHEDDING, repeat=2)
        for a, b in itertools.product(SUBSETS, repeat=2)
        if a <= b
    ]
    return found


def group_of(t: Trajectory, both: bool) -> str:
    if not both:
        return "cohort"
    return "short_only" if t.later is None else ("one" if t.one_checkin else "two")


SURVEY = [(a, b) for a in EFFECT_ANSWERS for b in EFFECT_ANSWERS] + [None]  # None: not taken
SURVEY_FIELDS = ("shedding", "sensations")
Cell = tuple[str, str] | None


@dataclass
class Reader:
    """What a reader has learnt, as constraints on the unknowns: the outcome profiles, then
    the survey's cells (members who answered the survey, a population of its own)."""

    k: int
    columns: list[Unknown]
    exact: list[tuple[list[float], int]] = field(default_factory=list)
    small: list[list[float]] = field(default_factory=list)
    _matrices: Any = None  # built once the constraints are all in

    def row(self, test: Callable[[Unknown], bool]) -> list[float]:
        return [float(test(u)) for u in self.columns] + [0.0] * len(SURVEY)

    def survey_row(self, test: Callable[[Cell], bool]) -> list[float]:
        return [0.0] * len(self.columns) + [float(test(cell)) for cell in SURVEY]

    def shown(self, sums: list[float], text: str) -> None:
        if text.isdigit():
            self.exact.append((sums, int(text)))
        elif text == f"<{self.k}":
            self.small.append(sums)
        else:
            assert text == "–", text

    def range_of(self, objective: list[float]) -> tuple[int, float]:
        """The smallest and largest whole value the sum can take given everything seen."""
        if self._matrices is None or self._matrices[0] != (len(self.exact), len(self.small)):
            self._matrices = (
                (len(self.exact), len(self.small)),
                csr_matrix(self.small) if self.small else None,
                csr_matrix([sums for sums, _ in self.exact]),
            )
        _, small, exact = self._matrices
        ends = []
        for sign in (1.0, -1.0):
            result = linprog(
                [sign * c for c in objective],
                A_ub=small,
                b_ub=[self.k - 1.0] * len(self.small) if self.small else None,
                A_eq=exact,
                b_eq=[float(v) for _, v in self.exact],
                bounds=(0, None),
                method="highs",
            )
            assert result.status in (0, 3), result.message  # what was shown is consistent
            ends.append(math.inf if result.status == 3 else sign * result.fun)
        high = math.floor(ends[1] + 1e-6) if math.isfinite(ends[1]) else math.inf
        return math.ceil(ends[0] - 1e-6), high


@dataclass(frozen=True)
class Question:
    """One answer at one horizon: how to read it from a trajectory and from an unknown."""

    name: str
    of_trajectory: Callable[[str, frozenset[str]], bool]
    of_unknown: Callable[[str, frozenset[str]], bool]


QUESTIONS = [
    Question(f"shedding={lv}", lambda s, e, lv=lv: s == lv, lambda s, e, lv=lv: s == lv)
    for lv in SHEDDING
] + [
    Question(
        f"{ef}={'yes' if yes else 'no'}",
        lambda s, e, ef=ef, yes=yes: (ef in e) == yes,
        lambda s, e, ef=ef, yes=yes: (ef in e) == yes,
    )
    for ef in SIDE_EFFECTS
    for yes in (True, False)
]


def answer_at(t: Trajectory, horizon: int) -> tuple[str, frozenset[str]] | None:
    if horizon == 0:
        return t.first, t.first_effects
    return None if t.later is None else (t.later, t.later_effects)


def read_outcomes(reader: Reader, outcomes: OutcomesReport, sizes: dict[str, int]) -> None:
    """The worst-case reader's knowledge (every group's size) and the shown outcomes."""
    for group, size in sizes.items():
        reader.exact.append((reader.row(lambda u, g=group: u.group == g), size))
    for h, shown in enumerate(outcomes.horizons):
        if not shown.shown:
            continue
        reached = [u.group for u in reader.columns if len(u.shedding) > h]
        reader.shown(reader.row(lambda u, r=reached: u.group in r), shown.cohort)
        for level, text in shown.shedding.items():
            reader.shown(
                reader.row(lambda u, h=h, lv=level: len(u.shedding) > h and u.shedding[h] == lv),
                text,
            )
        for effect, text in shown.side_effects.items():
            reader.shown(
                reader.row(lambda u, h=h, e=effect: len(u.shedding) > h and e in u.effects[h]),
                text,
            )


def read_survey(reader: Reader, survey: CommunityReport, respondents: int) -> None:
    reader.exact.append((reader.survey_row(lambda c: True), respondents))
    if survey.hidden:
        reader.small.append(reader.survey_row(lambda c: c is not None))
        return
    reader.shown(reader.survey_row(lambda c: c is not None), survey.tried)
    for position, name in enumerate(SURVEY_FIELDS):
        for answer, text in survey.effects.get(name, {}).items():
            reader.shown(
                reader.survey_row(lambda c, a=answer, p=position: c is not None and c[p] == a),
                text,
            )


def narrowed(
    reader: Reader, truth: Counter[Trajectory], outcomes: OutcomesReport, both: bool
) -> tuple[list[str], int]:
    """Every answer count kept back, in every horizon's cohort and every group the reader
    can tell apart: a group under k must keep its whole range, a count under k (zero
    included) k values. Returns what fails and how many counts were checked."""
    k, found, checked = reader.k, [], 0
    groups = {group_of(t, both) for t in truth} | ({"short_only", "one", "two"} if both else set())
    for h, shown in enumerate(outcomes.horizons):
        if not shown.shown:
            continue
        scopes = [("all", groups)] + ([(g, {g}) for g in sorted(groups)] if both else [])
        for scope, within in scopes:
            members = [
                (answer, n)
                for t, n in truth.items()
                if group_of(t, both) in within and (answer := answer_at(t, h)) is not None
            ]
            size = sum(n for _, n in members)
            for question in QUESTIONS:
                count = sum(n for answer, n in members if question.of_trajectory(*answer))
                low, high = reader.range_of(
                    reader.row(
                        lambda u, w=within, q=question, h=h: (
                            u.group in w
                            and len(u.shedding) > h
                            and q.of_unknown(u.shedding[h], u.effects[h])
                        )
                    )
                )
                label = f"{HORIZONS[h]}m {scope} {question.name} (truly {count} of {size})"
                if 0 < size < k:
                    checked += 1
                    if (low, high) != (0, size):
                        found.append(f"{label}: a small group narrowed to {low}-{high}")
                elif size and count < k:
                    checked += 1
                    if high - low + 1 < k:
                        found.append(f"{label}: could only be {low}-{high}")
    return found, checked


@dataclass(frozen=True)
class Published:
    """One generated server: its members, what the definition says of them, what is shown."""

    members: list[Member]
    truth: Counter[Trajectory]
    outcomes: OutcomesReport
    survey: CommunityReport


async def publish(tmp_path: Path, seed_number: int, k: int) -> Published:
    members = generate(seed_number, k)
    truth = Counter(t for t in map(expected, members) if t is not None)
    kb = load_knowledge_base()
    async with await Database.open(tmp_path / f"audit-{seed_number}-{k}.db") as db:
        await set_k(db, GUILD, k)
        await seed(db, members)
        assert await found(db) == dict(truth)  # the SQL counts what the definition says
        outcomes = await treatment_outcomes(db, GUILD, FIN)
        survey = await TreatmentService(db, kb).community_report(GUILD, kb.by_id[FIN])
    return Published(members, truth, outcomes, survey)


def survey_narrowed(reader: Reader, survey: CommunityReport) -> list[str]:
    """The survey report's own small counts, beside the outcomes."""
    found = []
    for position, name in enumerate(SURVEY_FIELDS):
        for answer, text in survey.effects.get(name, {}).items():
            if text != f"<{reader.k}":
                continue
            low, high = reader.range_of(
                reader.survey_row(lambda c, a=answer, p=position: c is not None and c[p] == a)
            )
            if high - low + 1 < reader.k:
                found.append(f"survey {name}={answer}: could only be {low}-{high}")
    return found


@pytest.mark.parametrize(("seed_number", "k"), [(s, k) for s in range(6) for k in (3, 5)])
async def test_no_shown_number_narrows_a_kept_back_count(
    tmp_path: Path, seed_number: int, k: int
) -> None:
    server = await publish(tmp_path, seed_number, k)
    truth, outcomes = server.truth, server.outcomes
    assert not outcomes.refused
    both = sum(n for t, n in truth.items() if t.later is not None) >= k
    for h, shown in enumerate(outcomes.horizons):
        reached = sum(n for t, n in truth.items() if answer_at(t, h) is not None)
        assert shown.shown == (reached >= k and (h == 0 or both)), (h, reached)
        assert not shown.shown or shown.cohort == str(reached)
    sizes = dict.fromkeys(["short_only", "one", "two"] if both else ["cohort"], 0)
    for t, n in truth.items():
        sizes[group_of(t, both)] += n
    reader = Reader(k, unknowns(both))
    read_outcomes(reader, outcomes, sizes)
    read_survey(reader, server.survey, len(server.members))
    narrow, checked = narrowed(reader, truth, outcomes, both)
    narrow += survey_narrowed(reader, server.survey) if not server.survey.hidden else []
    assert narrow == [], "\n".join(narrow)
    assert checked > 0 or not outcomes.shown


async def test_the_generated_servers_show_a_bit_of_everything(tmp_path: Path) -> None:
    """The audit is not of trivially hidden tables: across its servers some show both
    horizons, some only the first, some nothing, with exact numbers beside masked ones."""
    servers = [await publish(tmp_path, s, k) for s in range(6) for k in (3, 5)]
    shown = [tuple(h.shown for h in server.outcomes.horizons) for server in servers]
    assert {(True, True), (True, False), (False, False)} <= set(shown)
    texts = [
        text
        for server in servers
        for h in server.outcomes.horizons
        if h.shown
        for text in (*h.shedding.values(), *h.side_effects.values())
    ]
    assert {"<3", "<5", "–"} <= set(texts)
    assert sum(text.isdigit() for text in texts) >= 5


CRAFTED = {
    "newer member beside long-standing ones": (
        {
            trajectory("less", one=True): 6,
            trajectory("same", one=True): 4,
            trajectory("more", effects=("mood",)): 1,
        },
        3,
    ),
    "everyone reported it": (
        {
            trajectory("less", effects=("sexual",)): 7,
            trajectory("same", effects=("sexual",)): 6,
        },
        5,
    ),
    "three small groups": (
        {
            trajectory("less"): 2,
            trajectory("same", one=True, effects=("mood",)): 3,
            trajectory("more", "less", later_effects=("other",)): 2,
        },
        3,
    ),
    "two check-ins each, side effects appearing later": (
        {
            trajectory("less", "less", later_effects=("sexual",)): 4,
            trajectory("same", "less", effects=("sexual",), later_effects=("sexual",)): 3,
            trajectory("more", "same"): 5,
            trajectory("same"): 1,
        },
        5,
    ),
}


@pytest.mark.parametrize("case", CRAFTED)
def test_crafted_tables_pass_the_audit(case: str) -> None:
    truth, k = CRAFTED[case]
    outcomes = protected_outcomes(FIN, truth, k)
    assert outcomes.horizons[0].shown
    both = outcomes.horizons[1].shown
    sizes = dict.fromkeys(["short_only", "one", "two"] if both else ["cohort"], 0)
    for t, n in truth.items():
        sizes[group_of(t, both)] += n
    reader = Reader(k, unknowns(both))
    read_outcomes(reader, outcomes, sizes)
    narrow, checked = narrowed(reader, Counter(truth), outcomes, both)
    assert narrow == [], "\n".join(narrow)
    assert checked > 0
