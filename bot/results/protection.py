"""Which level sizes of a question's groupings no output may give away.

A comparison never prints a group's size, but a reader can often add a row up, so a size is
as good as public unless every output keeps it back. Which sizes to keep back is decided
per question, for all its groupings at once ("itch", "any sensation", "Norwood stage group"
and the question itself bound one another), in a model whose unknowns are the members with
each possible whole answer and which knows what /survey results shows. Every comparison
then keeps the same ones back.

Check-in questions are answered by exactly the members with a completed check-in, whose
number is treated as public. Beside one, a survey grouping's level splits in two, members
with and without a check-in, and those sizes too are decided once per survey question
(`kept_by_checkin`) and kept back the same way by every check-in comparison: otherwise the
row totals one comparison shows ("women who checked in") could unmask a cell another hides.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.privacy import Disclosure, InconsistentCounts
from bot.results.variables import Profile, Variable
from bot.survey.groupings import MAX_PROFILE_OPTIONS
from bot.survey.questionnaire import Kind, Question

Joint = dict[tuple[Profile | None, Profile | None], int]


@dataclass(frozen=True, slots=True)
class PanelView:
    """What /survey results shows of one question: its n and a text per choice."""

    answered: str
    bars: dict[str, str]


def answer_profiles(question: Question, bins: tuple[str, ...] = ()) -> tuple[Profile, ...] | None:
    """Every answer a member could have given, or None when there are too many to model."""
    if question.kind is Kind.SINGLE:
        return tuple((c.id,) for c in question.choices)
    if question.kind is Kind.MULTI:
        others = [c.id for c in question.choices if not c.exclusive]
        if len(others) > MAX_PROFILE_OPTIONS:
            return None
        subsets = (
            tuple(sorted(c for bit, c in enumerate(others) if mask >> bit & 1))
            for mask in range(1, 2 ** len(others))
        )
        return (*subsets, *((c.id,) for c in question.choices if c.exclusive))
    return tuple((b,) for b in bins)


def kept_levels(
    question: Question,
    variables: list[Variable],
    profiles: tuple[Profile, ...],
    counts: dict[Profile, int],
    respondents: int,
    panel: PanelView | None,
    k: int,
    everyone: bool,
) -> dict[str, dict[str, tuple[float, float]]]:
    """For each grouping of `question`, the levels whose size must stay unknown: those
    under k, and those hidden beside them so that "respondents minus the rest" cannot single
    them out. `profiles` are the answers a reader must consider possible (for a grouping
    standing alone, its own levels)."""
    disclosure = Disclosure(k)
    cells = {profile: disclosure.cell() for profile in profiles}
    unanswered = [] if everyone else [disclosure.cell()]
    disclosure.publish([*cells.values(), *unanswered], respondents, fixed=True, key="N")

    def where(test: Callable[[Profile], bool]) -> list[int]:
        return [cell for profile, cell in cells.items() if test(profile)]

    if panel is not None:
        disclosure.publish_fixed(where(lambda p: True), panel.answered, key=f"{question.id}:n")
        for choice, text in panel.bars.items():
            chosen = [cell for profile, cell in cells.items() if choice in profile]
            disclosure.publish_fixed(chosen, text, key=f"{question.id}:{choice}")
    index: dict[tuple[str, str], int] = {}
    for variable in variables:
        for level, _ in variable.levels:
            members = [p for p in profiles if variable.level_of(p) == level]
            index[(variable.id, level)] = disclosure.publish(
                [cells[p] for p in members],
                sum(counts.get(p, 0) for p in members),
                key=f"{variable.id}={level}",
            )
    disclosure.protect()
    # A hidden size that the rest gives away anyway (respondents minus a public bar) is
    # public: only those a reader really cannot pin down are kept back everywhere.
    kept: dict[str, dict[str, tuple[float, float]]] = {variable.id: {} for variable in variables}
    for (variable_id, level), number in index.items():
        if disclosure.is_exact(number):
            continue
        try:
            low, high = disclosure.feasible_range(disclosure.numbers[number].cells)
        except InconsistentCounts:
            low, high = 0.0, math.inf  # keep it back: nothing about it is certain
        if math.floor(high + 1e-6) - math.ceil(low - 1e-6) + 1 >= k:
            kept[variable_id][level] = (low, high)
    return kept


# (grouping id, level, with a check-in) -> the range the public numbers allow
CheckinKept = dict[tuple[str, str, bool], tuple[float, float]]


@dataclass(frozen=True, slots=True)
class Axis:
    """One side of a family: a question, the groupings compared from it, and every answer
    a reader must consider possible. `everyone`: every counted member answered it.
    `presence`: exactly the members with a completed check-in answered it (a check-in
    question; its `panel` then holds their number)."""

    question: Question
    variables: tuple[Variable, ...]
    profiles: tuple[Profile, ...]
    everyone: bool
    panel: PanelView | None
    # from kept_levels: the level sizes kept back, with the range the public numbers allow
    kept: dict[str, dict[str, tuple[float, float]]] = field(default_factory=dict)
    presence: bool = False
    # from kept_by_checkin, beside a check-in question: level sizes split by check-in kept back
    by_checkin: CheckinKept = field(default_factory=dict)

    def with_none(self) -> list[Profile | None]:
        return [*self.profiles, *([] if self.everyone else [None])]


def kept_by_checkin(
    side: Axis,
    counts: dict[tuple[Profile | None, bool], int],
    respondents: int,
    checked_in: int,
    k: int,
) -> CheckinKept | None:
    """For each level of a survey question's groupings, whether the members in it with a
    check-in, and those without, may be known: kept back (with the range the public
    numbers allow) when small or when they would give a small one away. `counts`: members
    by whole answer (None: not answered) and whether they have a check-in. None when no
    suppression protects every small count: check-in comparisons of it are refused."""
    disclosure = Disclosure(k)
    cells = {(p, c): disclosure.cell() for p in side.with_none() for c in (True, False)}
    disclosure.publish(cells.values(), respondents, fixed=True, key="N")
    with_one = [cell for (_, c), cell in cells.items() if c]
    disclosure.publish(with_one, checked_in, fixed=True, key="checked in")

    def where(
        choice: str | None = None,
        variable: Variable | None = None,
        level: str = "",
        checked: bool | None = None,
    ) -> list[int]:
        return [
            cell
            for (p, c), cell in cells.items()
            if p is not None
            and (choice is None or choice in p)
            and (variable is None or variable.level_of(p) == level)
            and (checked is None or c == checked)
        ]

    if side.panel is not None:
        disclosure.publish_fixed(where(), side.panel.answered, key=f"{side.question.id}:n")
        for choice, text in side.panel.bars.items():
            disclosure.publish_fixed(where(choice), text, key=f"{side.question.id}:{choice}")
    index: dict[tuple[str, str, bool], int] = {}
    for variable in side.variables:
        for level, _ in variable.levels:
            kept = side.kept.get(variable.id, {})
            if level in kept:
                disclosure.keep_range(
                    where(variable=variable, level=level),
                    *kept[level],
                    key=f"{variable.id}={level}",
                )
            else:
                size = sum(n for (p, _), n in counts.items() if p and variable.level_of(p) == level)
                disclosure.publish(where(variable=variable, level=level), size, fixed=True)
            for checked in (True, False):
                value = sum(
                    n
                    for (p, c), n in counts.items()
                    if p and c == checked and variable.level_of(p) == level
                )
                index[(variable.id, level, checked)] = disclosure.publish(
                    where(variable=variable, level=level, checked=checked),
                    value,
                    key=f"{variable.id}={level}|checked_in={checked}",
                )
    disclosure.protect()
    if disclosure.refused:
        return None
    found: CheckinKept = {}
    for key, number in index.items():
        if disclosure.is_exact(number):
            continue
        try:
            low, high = disclosure.feasible_range(disclosure.numbers[number].cells)
        except InconsistentCounts:
            return None
        if math.floor(high + 1e-6) - math.ceil(low - 1e-6) + 1 >= k:
            found[key] = (low, high)
    return found


@dataclass(frozen=True, slots=True)
class Table:
    """One comparison's shown part: rows × columns with each cell's public text."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    shown: tuple[tuple[str, ...], ...]


def _size(joint: Joint, axis: int, variable: Variable) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for key, n in joint.items():
        profile = key[axis]
        level = variable.level_of(profile) if profile is not None else None
        if level is not None:
            sizes[level] = sizes.get(level, 0) + n
    return sizes


def protect_family(
    first: Axis, second: Axis, joint: Joint, respondents: int, k: int
) -> dict[tuple[str, str], Table] | None:
    """Every comparison between a grouping of `first` (rows) and one of `second` (columns)
    with its public texts, or None when no suppression keeps every small count safe.

    A pair is missing when fewer than two groups or answers reach k, or when its table
    cannot be shown safely beside what is public anyway (a 2×2 whose margins /survey
    results already shows): it is then left out of the family and the rest tried again."""
    dropped: set[tuple[str, str]] = set()
    pairs = {(r.id, c.id) for r in first.variables for c in second.variables}
    while True:
        disclosure, tables = _family_model(first, second, joint, respondents, k, dropped)
        disclosure.protect()
        if not disclosure.refused:
            break
        weak = disclosure.weak_key
        culprit = next(
            (pair for pair in sorted(pairs - dropped) if weak and _names(weak) == set(pair)),
            None,
        )
        if culprit is None:
            return None
        dropped.add(culprit)
    return {
        pair: Table(
            tuple(rows),
            tuple(columns),
            tuple(tuple(disclosure.numbers[index[(r, c)]].value for c in columns) for r in rows),
            tuple(tuple(disclosure.shown(index[(r, c)]) for c in columns) for r in rows),
        )
        for pair, (rows, columns, index) in tables.items()
    }


def _names(key: str) -> set[str]:
    """The groupings a model key speaks of ("sex=male|shedding=heavy" -> sex, shedding)."""
    return {part.split("=", 1)[0] for part in key.split("|")}


TableIndex = dict[tuple[str, str], tuple[list[str], list[str], dict[tuple[str, str], int]]]


def _family_model(
    first: Axis,
    second: Axis,
    joint: Joint,
    respondents: int,
    k: int,
    dropped: set[tuple[str, str]],
) -> tuple[Disclosure, TableIndex]:
    disclosure = Disclosure(k)
    # Two check-in questions are answered together or not at all: one without the other
    # is no possible answer, and a model allowing it would think row totals less telling.
    both = first.presence and second.presence
    cells = {
        (a, b): disclosure.cell()
        for a, b in itertools.product(first.with_none(), second.with_none())
        if not both or (a is None) == (b is None)
    }
    disclosure.publish(cells.values(), respondents, fixed=True, key="N")

    def where(axis: int, test: object) -> list[int]:
        return [c for key, c in cells.items() if key[axis] is not None and test(key[axis])]  # type: ignore[operator]

    # What /survey results shows about either question.
    for axis, side in enumerate((first, second)):
        if side.panel is None:
            continue
        disclosure.publish_fixed(
            where(axis, lambda p: True), side.panel.answered, key=f"{side.question.id}:n"
        )
        for choice, text in side.panel.bars.items():
            disclosure.publish_fixed(
                where(axis, lambda p, c=choice: c in p), text, key=f"{side.question.id}:{choice}"
            )
    # Each grouping's level sizes: public, or kept back by every output.
    for axis, side in enumerate((first, second)):
        for variable in side.variables:
            sizes = _size(joint, axis, variable)
            for level, _ in variable.levels:
                at_level = where(axis, lambda p, v=variable, lv=level: v.level_of(p) == lv)
                kept = side.kept.get(variable.id, {})
                if level in kept:
                    low, high = kept[level]
                    disclosure.keep_range(at_level, low, high, key=f"{variable.id}={level}")
                else:
                    disclosure.publish(at_level, sizes.get(level, 0), fixed=True)
    _publish_by_checkin(disclosure, cells, first, second, joint)

    tables: TableIndex = {}
    for row_var, col_var in itertools.product(first.variables, second.variables):
        if (row_var.id, col_var.id) in dropped:
            continue
        counts: dict[tuple[str, str], int] = {}
        members: dict[tuple[str, str], list[int]] = {}
        for (a, b), cell in cells.items():
            if a is None or b is None:
                continue
            row, column = row_var.level_of(a), col_var.level_of(b)
            if row is None or column is None:
                continue
            counts[(row, column)] = counts.get((row, column), 0) + joint.get((a, b), 0)
            members.setdefault((row, column), []).append(cell)
        row_total = {r: sum(n for (x, _), n in counts.items() if x == r) for r, _ in row_var.levels}
        col_total = {c: sum(n for (_, y), n in counts.items() if y == c) for c, _ in col_var.levels}
        rows = [r for r, _ in row_var.levels if row_total[r] >= k]
        columns = [c for c, _ in col_var.levels if col_total[c] >= k]
        # Leaving a group or an answer out says it has fewer than k members.
        for r, _ in row_var.levels:
            if r not in rows:
                cells_of = [x for (a, _), xs in members.items() if a == r for x in xs]
                disclosure.publish_small(
                    cells_of, row_total[r], key=f"{row_var.id}={r}|{col_var.id}"
                )
        for c, _ in col_var.levels:
            if c not in columns:
                cells_of = [x for (_, b), xs in members.items() if b == c for x in xs]
                disclosure.publish_small(
                    cells_of, col_total[c], key=f"{col_var.id}={c}|{row_var.id}"
                )
        if len(rows) < 2 or len(columns) < 2:
            continue
        index = {
            (r, c): disclosure.publish(
                members.get((r, c), []),
                counts.get((r, c), 0),
                key="|".join(sorted((f"{row_var.id}={r}", f"{col_var.id}={c}"))),
            )
            for r in rows
            for c in columns
        }
        tables[(row_var.id, col_var.id)] = (rows, columns, index)

    return disclosure, tables


def _publish_by_checkin(
    disclosure: Disclosure,
    cells: dict[tuple[Profile | None, Profile | None], int],
    first: Axis,
    second: Axis,
    joint: Joint,
) -> None:
    """Beside a check-in question, a survey grouping's level sizes among members with a
    check-in and without one: public, or kept back as `kept_by_checkin` decided."""
    for axis, side in enumerate((first, second)):
        if side.presence or not (first, second)[1 - axis].presence:
            continue
        for variable in side.variables:
            for level, _ in variable.levels:
                for with_checkin in (True, False):
                    name = f"{variable.id}={level}|checked_in={with_checkin}"
                    part = [
                        cell
                        for key, cell in cells.items()
                        if _in_part(key, axis, variable, level, with_checkin)
                    ]
                    kept = side.by_checkin.get((variable.id, level, with_checkin))
                    if kept is not None:
                        disclosure.keep_range(part, *kept, key=name)
                        continue
                    value = sum(
                        n
                        for key, n in joint.items()
                        if _in_part(key, axis, variable, level, with_checkin)
                    )
                    disclosure.publish(part, value, fixed=True, key=name)


def _in_part(
    key: tuple[Profile | None, Profile | None],
    axis: int,
    variable: Variable,
    level: str,
    with_checkin: bool,
) -> bool:
    """Whether members answering `key` are at `level` of `variable` (on side `axis`) and,
    as `with_checkin` says, have a check-in (answered the other side, a check-in question)."""
    mine, other = key[axis], key[1 - axis]
    return (
        mine is not None
        and variable.level_of(mine) == level
        and (other is not None) == with_checkin
    )
