"""What a reader can work out from two releases side by side, knowing who changed between
them: the audit a new release passes before it is stored, and the attack the test suite
measures (tests/privacy_attack.py).

Every count read in both releases changed by an amount the two readings bound
(`rounding.change_bounds`), within what the batch could do (`joined` members may have
entered a cell, `left` may have left it). The sums a reader knows tighten those ranges:
a row's cells add up to the row, a column's to the column, a single-choice panel's bars to
its n. Ranges are narrowed until nothing moves (sound interval reasoning: a true change
always stays inside). A change pinned to "every member of the batch" or "none of them"
says the same of each member of the batch: that is what a release must never allow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from bot.results.rounding import Published, change_bounds

Path = tuple[Any, ...]
Part = dict[str, Any]
_ROUNDS = 20


def numbers(part: Part, key: str) -> Iterator[tuple[Path, Any]]:
    """(path, value) of every count in a part: a published number, or a tally before
    publishing (the same paths either way)."""
    if key == "overview":
        for index, panel in enumerate(part["panels"]):
            yield (key, index, "n"), panel["n"]
            for bar, entry in enumerate(panel["bars"]):
                yield (key, index, bar), entry[2]
    elif key.startswith("pair:"):
        for i, row in enumerate(part["cells"]):
            for j, value in enumerate(row):
                yield (key, "cell", i, j), value
        for i, value in enumerate(part["a_totals"]):
            yield (key, "a", i), value
        for j, value in enumerate(part["b_totals"]):
            yield (key, "b", j), value
    elif key.startswith("treatment:"):
        yield (key, "tried"), part["tried"]
        for effect, answers in part["effects"].items():
            for answer, value in answers.items():
                yield (key, effect, answer), value
    elif key.startswith("outcomes:"):
        for index, horizon in enumerate(part["horizons"]):
            yield (key, index, "cohort"), horizon["cohort"]
            for group in ("shedding", "side_effects"):
                for answer, value in horizon[group].items():
                    yield (key, index, group, answer), value


def sums(
    part: Part, key: str, single_choice: Callable[[str], bool]
) -> Iterator[tuple[Path, list[Path]]]:
    """(total, the paths adding up to it) that a reader knows, within one part."""
    if key == "overview":
        for index, panel in enumerate(part["panels"]):
            if single_choice(panel["question"]):
                yield (key, index, "n"), [(key, index, b) for b in range(len(panel["bars"]))]
    elif key.startswith("pair:"):
        rows, columns = len(part["a_totals"]), len(part["b_totals"])
        for i in range(rows):
            yield (key, "a", i), [(key, "cell", i, j) for j in range(columns)]
        for j in range(columns):
            yield (key, "b", j), [(key, "cell", i, j) for i in range(rows)]
    elif key.startswith("outcomes:"):
        for index, horizon in enumerate(part["horizons"]):
            shedding = [(key, index, "shedding", answer) for answer in horizon["shedding"]]
            yield (key, index, "cohort"), shedding


def same_cells(old: Part, new: Part) -> bool:
    """Whether two releases' parts count the same cells (same groupings and levels)."""
    plain = ("a", "b", "a_levels", "b_levels", "choice")
    if any(old.get(name) != new.get(name) for name in plain):
        return False
    if "panels" in new:
        return [p["question"] for p in old["panels"]] == [p["question"] for p in new["panels"]]
    return True


def ranges(
    before: Mapping[str, Part],
    after: Mapping[str, Part],
    k_before: int,
    k_after: int,
    joined: int,
    left: int,
    single_choice: Callable[[str], bool],
    change: Callable[[Published, Published, int, int], range] = change_bounds,
) -> tuple[dict[Path, list[int]], list[tuple[Path, list[Path]]]]:
    """Each shared count's possible change, narrowed by every known sum, and those sums.
    `change`: what two readings of one count allow (the benchmarks pass exact counts')."""
    found: dict[Path, list[int]] = {}
    for key, part in after.items():
        if key not in before or not same_cells(before[key], part):
            continue
        old: dict[Path, Published] = dict(numbers(before[key], key))
        for path, value in numbers(part, key):
            if path in old:
                possible = change(old[path], value, k_before, k_after)
                found[path] = [max(possible.start, -left), min(possible.stop - 1, joined)]
    known = [
        (total, members)
        for key, part in after.items()
        if key in before and same_cells(before[key], part)
        for total, members in sums(part, key, single_choice)
        if total in found and all(m in found for m in members)
    ]
    for _ in range(_ROUNDS):
        moved = False
        for total, members in known:
            low = sum(found[m][0] for m in members)
            high = sum(found[m][1] for m in members)
            whole = found[total]
            if low > whole[0] or high < whole[1]:
                whole[0], whole[1] = max(whole[0], low), min(whole[1], high)
                moved = True
            for member in members:
                own = found[member]
                new_low = max(own[0], whole[0] - (high - own[1]))
                new_high = min(own[1], whole[1] - (low - own[0]))
                if (new_low, new_high) != (own[0], own[1]):
                    own[0], own[1] = new_low, new_high
                    moved = True
        if not moved:
            break
    return found, known


def pinned(found: Mapping[Path, list[int]], joined: int, left: int) -> list[Path]:
    """The counts whose change is pinned to something true of every member of the batch."""
    one_sided = joined == 0 or left == 0
    return [
        path
        for path, (low, high) in found.items()
        if low == high and low in (-left, joined) and (low != 0 or one_sided)
    ]
