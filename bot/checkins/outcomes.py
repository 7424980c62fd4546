"""Outcomes over time: what members who started a treatment report months later.

What is counted, for a treatment T in one server and a horizon of 3 and of 6 months:

- The cohort is the members with a regimen entry for T whose start month is known (the
  earliest, when T was stopped and started again) and who completed a check-in at least
  that many months after the first day of the start month (UTC). Whether they still use T
  does not matter: the question is what happened to the people who started it.
- Each member is read at their first such check-in that answered the shedding question
  (every completed check-in does: it is required). Shedding there is less / the same /
  more *than at their previous check-in*, not than before starting.
- A side effect counts when the member reported it for T in any check-in from the start
  month up to and including that one.

What may be shown: every count goes through the small-group rule of `bot.privacy` with the
server's k, in one linear model per treatment whose unknowns are members with each
combination of answers. Less + same + more is the cohort; each side effect splits the
cohort into reported / not reported, and both sides are protected (zero included: "all 9
reported it" singles out as much as "0 did"). The cohort sizes are public. The 6-month
cohort lies inside the 3-month one, and for a member who started long before check-ins
began both horizons read the same check-in; a reader who knows when check-ins began can
guess that, so the model assumes the worst: it treats as known how many members are read
at one check-in for both, at two, or at the short horizon only, and protects the answers
within each of those groups too (a group under k must not be narrowed at all). Below k
members at a horizon nothing of it is shown. The survey's report beside it counts other
answers of another population (survey responses, not check-ins) and shares no total with
this one, so no sum across the two can be formed.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from bot.privacy import Disclosure
from bot.storage import Database, checkin_outcomes
from bot.storage.checkin_outcomes import Trajectory
from bot.storage.guilds import GuildSettingsRepository
from bot.storage.tx import Tx

HORIZONS = (3, 6)  # months after the start
# The check-in's answers, as ids in checkin-v1.toml ("none" of the side effects is not one).
SHEDDING = ("less", "same", "more")
SIDE_EFFECTS = ("sexual", "mood", "skin_irritation", "unwanted_hair", "other")
YES, NO = "yes", "no"

# The groups of members a worst-case reader can tell apart (see the module docstring):
# the whole cohort when only the short horizon is shown, else three groups by which
# horizons they reached and whether one check-in answers for both.
COHORT, SHORT_ONLY, ONE_CHECKIN, TWO_CHECKINS = "cohort", "short_only", "one", "two"
_REACHES = {COHORT: 1, SHORT_ONLY: 1, ONE_CHECKIN: 2, TWO_CHECKINS: 2}

Answers = tuple[str, ...]  # one answer per horizon the member reached


@dataclass(frozen=True, slots=True)
class HorizonOutcomes:
    """One horizon as the public may see it; every text is "12", "<k" or "–"."""

    months: int
    shown: bool = False  # False: fewer than k members have reached it
    cohort: str = ""
    shedding: dict[str, str] = field(default_factory=dict)  # less/same/more -> text
    side_effects: dict[str, str] = field(default_factory=dict)  # side effect -> text


@dataclass(frozen=True, slots=True)
class OutcomesReport:
    treatment: str  # the survey's / check-in's treatment choice id
    min_group_size: int
    horizons: tuple[HorizonOutcomes, ...]
    refused: bool = False  # enough members, but no suppression protects everyone

    @property
    def shown(self) -> bool:
        return any(horizon.shown for horizon in self.horizons)


@dataclass(frozen=True, slots=True)
class _Attribute:
    """One thing asked at each horizon: shedding, or one side effect (reported or not)."""

    name: str
    levels: tuple[str, ...]
    published: tuple[str, ...]  # the levels printed (the rest only follow from the cohort)
    answer: Callable[[Trajectory, int], str]  # the member's level at horizon 0 or 1
    possible: Callable[[str, str], bool]  # can a member move from one level to the other?


def _attributes() -> list[_Attribute]:
    def shedding(t: Trajectory, horizon: int) -> str:
        return t.first if horizon == 0 else t.later or ""

    def side_effect(effect: str) -> Callable[[Trajectory, int], str]:
        def answer(t: Trajectory, horizon: int) -> str:
            return YES if effect in (t.first_effects if horizon == 0 else t.later_effects) else NO

        return answer

    found = [_Attribute("shedding", SHEDDING, SHEDDING, shedding, lambda a, b: True)]
    for effect in SIDE_EFFECTS:
        # reported by the earlier check-in means reported by the later one, which looks
        # back over every check-in since the start
        found.append(
            _Attribute(
                effect, (NO, YES), (YES,), side_effect(effect), lambda a, b: (a, b) != (YES, NO)
            )
        )
    return found


def _group_of(trajectory: Trajectory, both: bool) -> str:
    if not both:
        return COHORT
    if trajectory.later is None:
        return SHORT_ONLY
    return ONE_CHECKIN if trajectory.one_checkin else TWO_CHECKINS


def _possible_answers(group: str, attribute: _Attribute) -> list[Answers]:
    if _REACHES[group] == 1:
        return [(level,) for level in attribute.levels]
    if group == ONE_CHECKIN:
        return [(level, level) for level in attribute.levels]
    return [
        (a, b) for a, b in itertools.product(attribute.levels, repeat=2) if attribute.possible(a, b)
    ]


def _protect_within(
    disclosure: Disclosure, cells: list[int], count: int, size: int, key: str
) -> None:
    """An answer count inside a group whose size a reader knows: a group under k must not
    be narrowed at all; otherwise a count under k (zero included) needs k possible values.
    (`Disclosure.guard` leaves zeros out, so the zero case is added here.)"""
    if size == 0:
        return
    if size < disclosure.k:
        disclosure.keep_range(cells, 0, size, key=key)
    elif count < disclosure.k:
        disclosure.guarded.append((key, frozenset(cells)))


def _model(
    trajectories: Mapping[Trajectory, int], k: int, both: bool
) -> tuple[Disclosure, dict[tuple[int, str, str], int]]:
    """The disclosure model for one treatment, and the index of each printed count by
    (horizon, attribute, level). Each attribute has its own cells: with every group's size
    public, a model per attribute is the whole joint one seen through its margins."""
    disclosure = Disclosure(k)
    printed: dict[tuple[int, str, str], int] = {}
    groups = [SHORT_ONLY, ONE_CHECKIN, TWO_CHECKINS] if both else [COHORT]
    for attribute in _attributes():
        cells = {
            (group, answers): disclosure.cell()
            for group in groups
            for answers in _possible_answers(group, attribute)
        }
        counts: dict[tuple[str, Answers], int] = {}
        for trajectory, n in trajectories.items():
            group = _group_of(trajectory, both)
            place = (group, tuple(attribute.answer(trajectory, h) for h in range(_REACHES[group])))
            if place not in cells:  # e.g. one check-in read with two answers
                raise ValueError(f"impossible trajectory {trajectory}")
            counts[place] = counts.get(place, 0) + n
        size = {g: sum(n for (group, _), n in counts.items() if group == g) for g in groups}
        for group in groups:
            members = [cell for (g, _), cell in cells.items() if g == group]
            disclosure.publish(members, size[group], fixed=True, key=f"{attribute.name}|{group}")
        for horizon in range(2 if both else 1):
            reached = [g for g in groups if _REACHES[g] > horizon]
            # the horizon's whole cohort, then each group a worst-case reader tells apart
            scopes = [("all", reached)] + ([(g, [g]) for g in reached] if both else [])
            for level in attribute.levels:
                at_level = {
                    place: cell
                    for place, cell in cells.items()
                    if len(place[1]) > horizon and place[1][horizon] == level
                }
                name = f"{attribute.name}={level}|{HORIZONS[horizon]}m"
                if level in attribute.published:
                    printed[(horizon, attribute.name, level)] = disclosure.publish(
                        at_level.values(), sum(counts.get(p, 0) for p in at_level), key=name
                    )
                for scope, within in scopes:
                    places = [p for p in at_level if p[0] in within]
                    _protect_within(
                        disclosure,
                        [at_level[p] for p in places],
                        sum(counts.get(p, 0) for p in places),
                        sum(size[g] for g in within),
                        f"{name}|{scope}",
                    )
    return disclosure, printed


def protected_outcomes(
    treatment: str, trajectories: Mapping[Trajectory, int], k: int
) -> OutcomesReport:
    """The report's numbers after the small-group rule (pure; runs in a worker thread).
    Remembered until a check-in or k changes them: every lookup of the same treatment
    between two check-ins asks the same question."""
    asked = (treatment, frozenset(trajectories.items()), k)
    report = _KNOWN.get(asked)
    if report is None:
        report = _protected(*asked)
        if len(_KNOWN) >= 64:
            _KNOWN.clear()
        _KNOWN[asked] = report
    return report


_KNOWN: dict[tuple[str, frozenset[tuple[Trajectory, int]], int], OutcomesReport] = {}


def _protected(treatment: str, items: frozenset[tuple[Trajectory, int]], k: int) -> OutcomesReport:
    trajectories = dict(items)
    sizes = (
        sum(trajectories.values()),
        sum(n for t, n in trajectories.items() if t.later is not None),
    )
    hidden = tuple(HorizonOutcomes(months) for months in HORIZONS)
    if sizes[0] < k:
        return OutcomesReport(treatment, k, hidden)
    both = sizes[1] >= k
    disclosure, printed = _model(trajectories, k, both)
    disclosure.protect()
    if disclosure.refused:
        return OutcomesReport(treatment, k, hidden, refused=True)
    horizons = []
    for horizon, months in enumerate(HORIZONS):
        if horizon == 1 and not both:
            horizons.append(HorizonOutcomes(months))
            continue
        horizons.append(
            HorizonOutcomes(
                months,
                shown=True,
                cohort=str(sizes[horizon]),
                shedding={
                    level: disclosure.shown(printed[(horizon, "shedding", level)])
                    for level in SHEDDING
                },
                side_effects={
                    effect: disclosure.shown(printed[(horizon, effect, YES)])
                    for effect in SIDE_EFFECTS
                },
            )
        )
    return OutcomesReport(treatment, k, tuple(horizons))


async def treatment_outcomes(db: Database, guild_id: int, treatment_choice: str) -> OutcomesReport:
    """Outcomes over time for one treatment choice in one server, as the public may see them."""

    def unit(tx: Tx) -> tuple[int, dict[Trajectory, int]]:
        k = GuildSettingsRepository(tx).of(guild_id).min_group_size
        found = checkin_outcomes.trajectories(
            tx, guild_id, treatment_choice, SHEDDING, SIDE_EFFECTS, *HORIZONS
        )
        return k, found

    k, found = await db.read(unit)
    if sum(found.values()) < k:  # nothing to protect: no thread, no solver
        return protected_outcomes(treatment_choice, {}, k)
    known = _KNOWN.get((treatment_choice, frozenset(found.items()), k))
    if known is not None:  # no hand-off to a thread for what is already known
        return known
    return await asyncio.to_thread(protected_outcomes, treatment_choice, found, k)


async def started_treatments(db: Database, guild_id: int) -> list[str]:
    """Treatment choices that some member of the server has a known start month for."""
    return await db.read(lambda tx: checkin_outcomes.started_treatments(tx, guild_id))
