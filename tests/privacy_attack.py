"""The differencing attack on releases, and how useful releases stay (shared by
tests/audits/test_release_attack.py and bench/privacy.py).

The attacker is the strongest one the batch rule must resist: they read every public number
of two consecutive releases (the overview, every comparison either way round, every
treatment report) and know exactly who joined, left, retook the survey or checked in
between them. Inference is sound only (nothing guessed): for each number read in both
releases, the change it can have had is what both readings allow (`change_bounds`), within
what the batch could do; then each table's own sums (a row's cells add up to the row, a
single-choice panel's bars to its n) tighten those ranges until nothing moves. A change
pinned to "all of the batch" or "none of it" says the same thing of every member of the
batch: that member's answer is revealed. The generator is a server of plausible members
answering the bundled questionnaires.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from bot.results import audit
from bot.results.members import Member, Snapshot
from bot.results.release import NOT_AN_ANSWER, AuditFailed, Part, build, pair_key
from bot.results.rounding import Published, Rounder, Tally, change_bounds
from bot.results.service import ResultsService
from bot.storage.checkin_outcomes import Trajectory  # noqa: F401  (documented shape)
from bot.survey.questionnaire import Kind, load_questionnaire

KINDS = ("completions", "erasures", "retakes", "checkins")


def service(questionnaire: Path | None = None) -> ResultsService:
    """A results service for its spec only (no database is touched)."""
    return ResultsService(None, load_questionnaire(questionnaire))  # type: ignore[arg-type]


# -- a server of plausible members ---------------------------------------------------------


@dataclass
class World:
    """One server's answer habits: each question's choice weights and each option's rate,
    drawn once per server so servers differ as communities do."""

    rng: random.Random
    results: ResultsService
    weights: dict[str, list[float]] = field(default_factory=dict)
    rates: dict[str, list[float]] = field(default_factory=dict)
    next_id: int = 1

    def __post_init__(self) -> None:
        for source in self.results.sources.values():
            question = source.question
            if question.kind is Kind.SINGLE:
                raw = [self.rng.random() ** 2 + 0.02 for _ in question.choices]
                self.weights[question.id] = raw
            elif question.kind is Kind.MULTI:
                self.rates[question.id] = [self.rng.uniform(0.03, 0.5) for _ in question.choices]
            else:
                self.weights[question.id] = [self.rng.random() + 0.2 for _ in source.bins]
        # most members of hair-loss servers are men
        self.weights["sex"] = [0.82, 0.14, 0.02, 0.02]

    def _single(self, question_id: str) -> tuple[str, ...]:
        source = self.results.sources[question_id]
        question = source.question
        if question.kind is Kind.SINGLE:
            ids = [c.id for c in question.choices]
        else:
            ids = [f"b{i}" for i in range(len(source.bins))]
        return (self.rng.choices(ids, weights=self.weights[question_id])[0],)

    def _multi(self, question_id: str) -> tuple[str, ...]:
        question = self.results.sources[question_id].question
        chosen = [
            c.id
            for c, rate in zip(question.choices, self.rates[question_id], strict=True)
            if not c.exclusive and self.rng.random() < rate
        ]
        if not chosen:
            none = [c.id for c in question.choices if c.exclusive]
            return tuple(none)
        return tuple(sorted(chosen))

    def member(self, *, checked_in: bool | None = None) -> Member:
        answers: dict[str, tuple[str, ...]] = {}
        for source_id, source in self.results.sources.items():
            if source.checkin:
                continue
            if source.question.kind is Kind.MULTI:
                answers[source_id] = self._multi(source_id)
            else:
                answers[source_id] = self._single(source_id)
        female = answers["sex"] == ("female",)
        answers.pop("norwood" if female else "ludwig")
        if answers["sensations"] == ("none",):
            for follow_up in ("sensation_areas", "intensity", "sensation_shedding"):
                answers.pop(follow_up, None)
        if self.rng.random() < 0.1:
            answers.pop("onset_age", None)  # optional
        effects = {
            t: {
                "shedding": self.rng.choice(["better", "better", "no_change", "worse", "not_sure"]),
                "sensations": self.rng.choice(["better", "no_change", "no_change", "not_sure"]),
            }
            for t in answers.get("treatments", ())
            if t not in ("none", "other")
        }
        checked = self.rng.random() < 0.5 if checked_in is None else checked_in
        member = Member(self.next_id, answers, effects, False)
        self.next_id += 1
        return self.check_in(member) if checked else member

    def check_in(self, member: Member) -> Member:
        """The member's answers after a (new) latest check-in."""
        answers = dict(member.answers)
        for source_id, source in self.results.sources.items():
            if source.checkin:
                answers[source_id] = self._single(source_id)
        return replace(member, answers=answers, checked_in=True)

    def retake(self, member: Member) -> Member:
        fresh = self.member(checked_in=member.checked_in)
        checkins = {k: v for k, v in member.answers.items() if k.startswith("checkin_")}
        return replace(fresh, user_id=member.user_id, answers={**fresh.answers, **checkins})


# -- releases --------------------------------------------------------------------------------


SECRET = b"attack-suite-secret-not-known-to-the-attacker"


class ExactCounts(Rounder):
    """The baseline before releases: every count of k or more published as it is."""

    def publish(self, tally: Tally, *, flip: bool = False) -> Published:
        return None if tally.count < self.k else tally.count

    def bounds(self, value: Published) -> tuple[int, int]:
        return (0, self.k - 1) if value is None else (value, value)


def release(
    results: ResultsService,
    members: list[Member],
    k: int,
    previous: dict[str, Part] | None = None,
    *,
    joined: int = 0,
    left: int = 0,
    statistics: bool = False,
    exact: bool = False,
) -> dict[str, Part]:
    rounder = ExactCounts(SECRET, k) if exact else Rounder(SECRET, k)
    return build(
        results.spec,
        Snapshot(members, {}),
        rounder,
        previous,
        joined=joined,
        left=left,
        statistics=statistics,
    )


@dataclass
class Trial:
    kind: str
    size: int  # members counted in the first release
    batch: int
    revealed: int  # facts about the batch's members known for certain
    facts: list[str]
    held: bool = False  # the audit held the release back until more changes

    @property
    def answers(self) -> list[str]:
        """The facts about one question's answer (not about two answers together)."""
        return [f for f in self.facts if " and " not in f]


def run_trial(
    seed: int,
    kind: str,
    low: int,
    high: int,
    k: int = 5,
    *,
    live: bool = False,
    results: ResultsService | None = None,
) -> Trial:
    """Two releases around one batch of `kind`, read by the attacker. `live`: the design
    before releases, for comparison: exact counts, read again after one member's change.
    `results`: another questionnaire's service, for releases the audit holds back only (the
    attacker reads the bundled questionnaire)."""
    rng = random.Random(seed)
    own = results is not None
    results = results or _SERVICE
    world = World(rng, results)
    members = [world.member() for _ in range(rng.randint(low, high))]
    # a release waits for at least 2k changes
    batch = 1 if live else 2 * k + rng.choice((0, 0, 0, 1, 2, 3))
    before = release(results, members, k, exact=live)
    after_members = list(members)
    joined = left = 0
    movers = rng.sample(range(len(members)), min(batch, len(members)))
    if kind == "completions":
        after_members += [world.member() for _ in range(batch)]
        joined = batch
    elif kind == "erasures":
        gone = set(movers)
        after_members = [m for i, m in enumerate(members) if i not in gone]
        left = len(gone)
    elif kind == "retakes":
        for i in movers:
            after_members[i] = world.retake(members[i])
        joined = left = len(movers)
    else:  # check-ins: a first one joins the check-in tables, a later one replaces it
        for i in movers:
            after_members[i] = world.check_in(members[i])
        joined = len(movers)
        left = sum(1 for i in movers if members[i].checked_in)
    try:
        after = release(
            results,
            after_members,
            k,
            None if live else before,
            joined=joined,
            left=left,
            exact=live,
        )
    except AuditFailed:  # no release this time: it waits for more changes
        return Trial(kind, len(members), max(joined, left), 0, [], held=True)
    if own:
        raise ValueError("the attacker reads the bundled questionnaire's releases only")
    facts = infer(before, after, k, joined, left, exact=live)
    return Trial(kind, len(members), max(joined, left), len(facts), facts)


_SERVICE = service()


# -- the attacker ------------------------------------------------------------------------------


def infer(
    before: dict[str, Part],
    after: dict[str, Part],
    k: int,
    joined: int,
    left: int,
    *,
    exact: bool = False,
) -> list[str]:
    """The facts about the batch's members that two releases pin down: the sound interval
    reasoning of `bot.results.audit` (the same a release is audited with), over every number
    both releases show and every sum a reader knows."""
    questionnaire = _SERVICE.questionnaire

    def single(question_id: str) -> bool:
        question = questionnaire.question(question_id)
        return question is not None and question.kind is Kind.SINGLE

    change = exact_change_bounds if exact else change_bounds
    found, _ = audit.ranges(before, after, k, k, joined, left, single, change)
    facts = []
    for path in audit.pinned(found, joined, left):
        low = found[path][0]
        every = "every" if low != 0 else "no"
        if about := _describe(after, path):
            facts.append(f"{every} member of the batch: {about}")
    return sorted(set(facts))


def _describe(parts: dict[str, Part], path: tuple[Any, ...]) -> str:
    """The attribute a pinned number is about, e.g. "sensations=itch"."""
    key, *rest = path
    part = parts[key]
    if key == "overview":
        panel = part["panels"][rest[0]]
        if rest[1] == "n":
            question = _SERVICE.questionnaire.question(panel["question"])
            if question is not None and question.required and question.when is None:
                return ""  # everyone answers it: nothing learned
            return f"answered {panel['question']}"
        return f"{panel['question']}={panel['bars'][rest[1]][0]}"
    if key.startswith("pair:"):
        a = f"{part['a']}={part['a_levels'][rest[1]]}" if rest[0] in ("cell", "a") else ""
        if rest[0] == "a":
            return a
        b_index = rest[2] if rest[0] == "cell" else rest[1]
        b = f"{part['b']}={part['b_levels'][b_index]}"
        return f"{a} and {b}" if a else b
    return f"{key} {rest}"


def exact_change_bounds(before: Published, after: Published, k: int, _: int) -> range:
    """What two readings of exact counts allow (the design before releases)."""
    low_before, high_before = (0, k - 1) if before is None else (before, before)
    low_after, high_after = (0, k - 1) if after is None else (after, after)
    return range(low_after - high_before, high_after - low_before + 1)


# -- usefulness -------------------------------------------------------------------------------


@dataclass
class Usefulness:
    cells: int  # cells of the ready-made comparisons with k or more members
    shown: int  # of them, shown as a number
    blank_charts: int


def usefulness(seed: int, size: int, k: int = 5) -> Usefulness:
    """Of the ready-made comparisons' cells with at least k members, how many a release
    shows as a number; and how many charts it would send with nothing drawn."""
    from bot.results import charts
    from bot.results.published import comparison_from
    from bot.results.service import comparison_chart
    from bot.storage.releases import ReleaseRecord

    rng = random.Random(seed)
    results = _SERVICE
    world = World(rng, results)
    members = [world.member() for _ in range(size)]
    parts = release(results, members, k)
    record = ReleaseRecord(1, 1, "ready", "", None, size, 0, 0, k)
    cells = shown = blank = 0
    for question_id, by_id, _ in results.ready_made():
        question, by = results.variables[question_id], results.variables[by_id]
        part = parts[pair_key(question_id, by_id)]
        comparison = comparison_from(part, question, by, record)
        shown_cells = {
            (g.label, level): value
            for g in comparison.groups
            for (level, _), value in zip(comparison.levels, g.cells, strict=True)
        }
        for group_id, group_label in results.spec.levels(by):
            for level_id, _ in results.spec.levels(question):
                true = sum(
                    1
                    for m in members
                    if _level(results, by, m) == group_id
                    and _level(results, question, m) == level_id
                )
                if true < k:
                    continue
                cells += 1
                if shown_cells.get((group_label, level_id)) is not None:
                    shown += 1
        png = comparison_chart(comparison) if len(comparison.groups) >= 2 else None
        if png is not None:
            drawn = charts.read_drawn(png)
            bars = [c for g in drawn["groups"] for c in g["cells"] if c["drawn"] == "bar"]
            blank += not bars
    return Usefulness(cells, shown, blank)


def _level(results: ResultsService, variable: Any, member: Member) -> str | None:
    profile = member.answers.get(variable.question_id)
    if not profile:
        return None
    level = variable.level_of(profile)
    return None if level in NOT_AN_ANSWER else level


# -- storing generated members ------------------------------------------------------------------


def stored_answers(member: Member) -> dict[tuple[str, str], Any]:
    """A generated member's answers as the survey stores them (numbers drawn inside their
    bin), for benchmarks and tests that go through the database."""
    from bot.survey.flow import Answer

    rng = random.Random(member.user_id)
    found: dict[tuple[str, str], Any] = {}
    for source_id, profile in member.answers.items():
        source = _SERVICE.sources[source_id]
        if source.checkin:
            continue
        if source.question.kind in (Kind.NUMBER, Kind.SCALE):
            low_high = source.bins[int(profile[0][1:])]
            found[(source_id, "")] = Answer(number=rng.randint(low_high.low, low_high.high))
        else:
            found[(source_id, "")] = Answer(choices=profile)
    for treatment, effects in member.effects.items():
        for effect, answer in effects.items():
            found[(f"effects.{effect}", treatment)] = Answer(choices=(answer,))
    return found
