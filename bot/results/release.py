"""What a release holds: every public number of one server, counted once from one snapshot.

A release is a set of parts, each a small JSON document the commands read as they are:

- ``overview``: the respondent total and the panels of `/survey results`;
- ``pair:<a>|<b>``: one table per pair of groupings that `/survey compare` offers (either
  way round: rows and columns come with their own totals), with its statistic;
- ``treatment:<choice>``: what members who tried a treatment reported (`/treatment lookup`);
- ``outcomes:<choice>``: outcomes over time from check-ins.

Counts go through `bot.results.rounding` (under k: not a number; else rounded to 5 by the
members' cell key). Before that, ``recode``: answers such as "Not sure" are treated as not
answered in comparisons, so one small unsure group never holds a table back. Building is
pure and runs in a worker thread; `bot.results.releases` decides when and stores it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from bot.checkins.outcomes import HORIZONS, SHEDDING, SIDE_EFFECTS
from bot.results import audit
from bot.results.members import Member, Snapshot
from bot.results.rounding import BASE, Published, Rounder, Tally
from bot.results.variables import Profile, Source, Variable, short
from bot.storage.checkin_outcomes import Trajectory
from bot.survey.groupings import TreatmentsSpec
from bot.survey.questionnaire import Kind, Question

# Answers that say nothing about the member's group: left out of comparisons (they stay
# in the overview, where "how many are not sure" is worth knowing).
NOT_AN_ANSWER = frozenset({"not_sure", "undisclosed"})

Part = dict[str, Any]
_AUDIT_ROUNDS = 4


class AuditFailed(Exception):
    """Rounding the other way did not stop this release from pinning what the batch did: it
    is not made, and waits for more changes (which move the counts)."""


# Not public: which members a release counted (record keys and answer digests), for the next
# release's audit. Commands never ask for it (they name the parts they read).
MEMBERS = "private:members"


def pair_key(first: str, second: str) -> str:
    return "pair:" + "|".join(sorted((first, second)))


@dataclass(frozen=True, slots=True)
class ReleaseSpec:
    """What a release covers, worked out once from the questionnaires."""

    overview: tuple[Question, ...]
    variables: Mapping[str, Variable]
    sources: Mapping[str, Source]
    treatments: TreatmentsSpec | None

    def levels(self, variable: Variable) -> tuple[tuple[str, str], ...]:
        return tuple(level for level in variable.levels if level[0] not in NOT_AN_ANSWER)

    def comparable(self, first: Variable, second: Variable) -> bool:
        """Two groupings of different questions, or two options of one multi-choice question
        ("itch" by "burning"); not two of the check-in's (its answers are compared with the
        survey's, and a third face of every survey-by-check-in table adds nothing)."""
        if first.id == second.id:
            return False
        if first.question_id == second.question_id:
            return self.sources[first.question_id].question.kind is Kind.MULTI
        return not (
            self.sources[first.question_id].checkin and self.sources[second.question_id].checkin
        )

    def pairs(self) -> Iterator[tuple[Variable, Variable]]:
        """Every pair `/survey compare` offers."""
        ordered = sorted(self.variables.values(), key=lambda v: v.id)
        for first, second in itertools.combinations(ordered, 2):
            if self.comparable(first, second):
                yield first, second


def build(
    spec: ReleaseSpec,
    snapshot: Snapshot,
    rounder: Rounder,
    previous: Mapping[str, Part] | None = None,
    *,
    joined: int = 0,
    left: int = 0,
    previous_k: int | None = None,
    statistics: bool = True,
) -> dict[str, Part]:
    """Every part of a release. With the `previous` release, a cell whose two readings
    would pin what the batch did is rounded the other way, and AuditFailed is raised when
    that is not enough. Who changed is read from the previous release's MEMBERS part
    (exact, whatever happened: completions, erasures, retakes, a new check-in, a member
    leaving a gated count); `joined` and `left` count it only for a release without one.
    `statistics=False` leaves the tests out (they are computed from published numbers, so
    the privacy benchmarks, which read only those, skip them)."""
    keys = [rounder.record_key(m.user_id) for m in snapshot.members]
    tallied: dict[str, Part] = {"overview": _overview(spec, snapshot.members, keys)}
    tallied["overview"]["k"] = rounder.k
    tallied["overview"]["outcomes"] = sorted(snapshot.outcomes)
    for first, second in spec.pairs():
        tallied[pair_key(first.id, second.id)] = _pair(spec, first, second, snapshot.members, keys)
    if spec.treatments is not None:
        for choice in dict.fromkeys(c for _, c in spec.treatments.entries):
            tallied[f"treatment:{choice}"] = _treatment(
                spec.treatments, choice, snapshot.members, keys
            )
    for choice, trajectories in snapshot.outcomes.items():
        tallied[f"outcomes:{choice}"] = _outcomes(choice, trajectories, rounder)
    flips: set[tuple[int, int]] = set()
    published = _publish_all(tallied, rounder, flips)
    members = _member_digests(snapshot.members, keys)
    if previous:
        # Survey respondents: who changed, exactly, as a reader who knows them would.
        # Check-in outcomes count members by their check-ins (survey respondents or not),
        # so their batch is the check-ins since the last release.
        survey = (joined, left)
        if MEMBERS in previous:
            survey = who_changed(previous[MEMBERS]["members"], members)
        batches = {False: survey, True: (joined, left)}
        published = _audited(
            spec, tallied, published, previous, rounder, flips, batches, previous_k
        )
    for key, part in published.items():
        if key.startswith("pair:"):
            part["test"] = _test(part) if statistics else None
    published[MEMBERS] = {"members": members}
    return published


def _member_digests(members: list[Member], keys: list[int]) -> dict[str, str]:
    """Each counted member's record key and a digest of what the release counts of them:
    the next release compares the two to know exactly who joined, left or changed."""
    found = {}
    for member, key in zip(members, keys, strict=True):
        counted = repr((sorted(member.answers.items()), sorted(member.effects.items())))
        found[str(key)] = hashlib.blake2b(counted.encode(), digest_size=8).hexdigest()
    return found


def who_changed(before: dict[str, str], after: dict[str, str]) -> tuple[int, int]:
    """(members who may have entered a cell, members who may have left one)."""
    joined = sum(1 for key, digest in after.items() if before.get(key) != digest)
    left = sum(1 for key, digest in before.items() if after.get(key) != digest)
    return joined, left


# -- counting ---------------------------------------------------------------------------------


def _overview(spec: ReleaseSpec, members: list[Member], keys: list[int]) -> Part:
    panels = []
    for question in spec.overview:
        answered = Tally()
        bars = {c.id: Tally() for c in question.choices}
        for member, key in zip(members, keys, strict=True):
            profile = member.answers.get(question.id)
            if not profile:
                continue
            answered.add(key)
            for choice in profile:
                if choice in bars:
                    bars[choice].add(key)
        panels.append(
            {
                "question": question.id,
                "title": short(question.prompt, 70),
                "n": answered,
                "bars": [[c.id, c.label, bars[c.id]] for c in question.choices],
            }
        )
    return {"respondents": len(members), "panels": panels}


def _level(spec: ReleaseSpec, variable: Variable, member: Member) -> str | None:
    profile: Profile | None = member.answers.get(variable.question_id)
    if not profile:
        return None
    level = variable.level_of(profile)
    return None if level is None or level in NOT_AN_ANSWER else level


def _pair(
    spec: ReleaseSpec, first: Variable, second: Variable, members: list[Member], keys: list[int]
) -> Part:
    rows, columns = spec.levels(first), spec.levels(second)
    cells = {(r, c): Tally() for (r, _), (c, _) in itertools.product(rows, columns)}
    row_totals = {r: Tally() for r, _ in rows}
    column_totals = {c: Tally() for c, _ in columns}
    for member, key in zip(members, keys, strict=True):
        row, column = _level(spec, first, member), _level(spec, second, member)
        if row is None or column is None or (row, column) not in cells:
            continue
        cells[row, column].add(key)
        row_totals[row].add(key)
        column_totals[column].add(key)
    return {
        "a": first.id,
        "b": second.id,
        "a_levels": [r for r, _ in rows],
        "b_levels": [c for c, _ in columns],
        "cells": [[cells[r, c] for c, _ in columns] for r, _ in rows],
        "a_totals": [row_totals[r] for r, _ in rows],
        "b_totals": [column_totals[c] for c, _ in columns],
    }


def _treatment(spec: TreatmentsSpec, choice: str, members: list[Member], keys: list[int]) -> Part:
    tried = Tally()
    effects = {f.id: {answer: Tally() for answer in f.answers} for f in spec.fields}
    for member, key in zip(members, keys, strict=True):
        if choice not in member.answers.get(spec.question, ()):
            continue
        tried.add(key)
        said = member.effects.get(choice, {})
        for effect_id, answers in effects.items():
            answer = said.get(effect_id)
            if answer in answers:
                answers[answer].add(key)
    return {"choice": choice, "tried": tried, "effects": effects}


def _outcomes(choice: str, trajectories: Mapping[Trajectory, int], rounder: Rounder) -> Part:
    """Check-in outcomes are counted in SQL without member ids, so their cells are keyed by
    what they are (see `Rounder.keyed`)."""
    horizons = []
    for index, months in enumerate(HORIZONS):
        cohort = 0
        shedding = dict.fromkeys(SHEDDING, 0)
        effects = dict.fromkeys(SIDE_EFFECTS, 0)
        for trajectory, n in trajectories.items():
            answer = trajectory.first if index == 0 else trajectory.later
            if answer is None:
                continue  # not yet this far after starting
            cohort += n
            if answer in shedding:
                shedding[answer] += n
            reported = trajectory.first_effects if index == 0 else trajectory.later_effects
            for effect in reported & effects.keys():
                effects[effect] += n
        name = f"outcomes:{choice}:{months}"
        horizons.append(
            {
                "months": months,
                "cohort": rounder.keyed(cohort, f"{name}:cohort"),
                "shedding": {a: rounder.keyed(n, f"{name}:{a}") for a, n in shedding.items()},
                "side_effects": {e: rounder.keyed(n, f"{name}:{e}") for e, n in effects.items()},
            }
        )
    return {"choice": choice, "horizons": horizons}


# -- publishing -------------------------------------------------------------------------------


def _publish_all(
    tallied: dict[str, Part], rounder: Rounder, flips: set[tuple[int, int]]
) -> dict[str, Part]:
    return {
        key: _publish(part, lambda t: rounder.publish(t, flip=(t.count, t.key) in flips))
        for key, part in tallied.items()
    }


def _audited(
    spec: ReleaseSpec,
    tallied: dict[str, Part],
    published: dict[str, Part],
    previous: Mapping[str, Part],
    rounder: Rounder,
    flips: set[tuple[int, int]],
    batches: dict[bool, tuple[int, int]],
    previous_k: int | None,
) -> dict[str, Part]:
    """Where this release beside the previous one would pin what the batch did
    (`bot.results.audit`), the counts of the sums that pinned it are rounded the other way
    (each is still a neighbouring multiple of 5, so nothing a reader can tell apart); the
    members of one cell are flipped together everywhere they are counted. `batches`: who
    joined and left, for the outcomes parts (True) and the rest (False); a batch of no one
    has nothing to give away."""
    single = {q.id for q in spec.overview if q.kind is Kind.SINGLE}
    tallies = {
        path: tally
        for key, part in tallied.items()
        for path, tally in audit.numbers(part, key)
        if isinstance(tally, Tally)
    }
    k_before = previous_k if previous_k is not None else rounder.k
    for _ in range(_AUDIT_ROUNDS):
        bad: set[audit.Path] = set()
        known: list[tuple[audit.Path, list[audit.Path]]] = []
        for outcomes, (joined, left) in batches.items():
            if not joined and not left:
                continue
            subset = {k: p for k, p in published.items() if k.startswith("outcomes:") == outcomes}
            found, sums = audit.ranges(
                previous, subset, k_before, rounder.k, joined, left, single.__contains__
            )
            bad.update(audit.pinned(found, joined, left))
            known += sums
        if not bad:
            return published
        involved = set(bad)
        for total, members in known:
            if total in bad or bad.intersection(members):
                involved.update((total, *members))
        before = len(flips)
        flips.update(
            (tally.count, tally.key)
            for path in involved
            if (tally := tallies.get(path)) is not None and tally.count % BASE
        )
        if len(flips) == before:
            break
        published = _publish_all(tallied, rounder, flips)
    raise AuditFailed(f"{len(bad)} counts would still pin what the batch did")


def _publish(node: Any, publish: Callable[[Tally], Published]) -> Any:
    if isinstance(node, Tally):
        return publish(node)
    if isinstance(node, dict):
        return {key: _publish(value, publish) for key, value in node.items()}
    if isinstance(node, list):
        return [_publish(value, publish) for value in node]
    return node


def _test(part: Part) -> dict[str, Any] | None:
    """The statistic of a table, on its published numbers (a rounded count is all a reader
    has; a test on the true counts could be solved for them). Only when every cell of the
    rows and columns with k or more members is a number."""
    rows = [i for i, total in enumerate(part["a_totals"]) if total is not None]
    columns = [j for j, total in enumerate(part["b_totals"]) if total is not None]
    if len(rows) < 2 or len(columns) < 2:
        return None
    table = [[part["cells"][i][j] for j in columns] for i in rows]
    if any(cell is None for row in table for cell in row):
        return None
    if any(sum(row) == 0 for row in table) or any(
        sum(col) == 0 for col in zip(*table, strict=True)
    ):
        return None
    from bot.results.stats import analyse

    test = analyse(table)
    return {"kind": type(test).__name__, **dataclasses.asdict(test)}
