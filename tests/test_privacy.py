"""The small-group rule: counts under k are masked, and more numbers are hidden until no
masked count can be narrowed down from the ones that stay visible."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.privacy import HIDDEN, Disclosure


def test_masked_hides_zero_too() -> None:
    # "<5" must mean any of 0-4: a shown 0 would tell the reader the others are not 0
    disclosure = Disclosure(5)
    shown = [disclosure.publish([disclosure.cell()], n) for n in (0, 1, 4, 5, 12)]
    disclosure.protect()
    assert [disclosure.shown(i) for i in shown] == ["<5", "<5", "<5", "5", "12"]


def shown_parts(counts: list[int], k: int) -> tuple[list[str], str]:
    """Parts that add up to a total, both published: the overview's single-choice bars."""
    disclosure = Disclosure(k)
    cells = [disclosure.cell() for _ in counts]
    total = disclosure.publish(cells, sum(counts))
    parts = [disclosure.publish([c], n) for c, n in zip(cells, counts, strict=True)]
    disclosure.protect()
    assert not disclosure.refused  # parts of a total can always be protected
    return [disclosure.shown(i) for i in parts], disclosure.shown(total)


def test_a_lone_small_count_gets_a_complement() -> None:
    parts, total = shown_parts([10, 3, 7, 8], 5)
    assert parts.count("<5") == 1
    assert HIDDEN in parts or total == HIDDEN  # 28 - 10 - 7 - 8 would give the 3 away
    assert shown_parts([10, 8, 7], 5) == (["10", "8", "7"], "25")


def brute_force_range(parts: list[str], total: str, k: int, cap: int) -> dict[int, range]:
    """Every value each masked part can take, by trying every assignment (no LP)."""
    options = []
    for text in parts:
        if text.isdigit():
            options.append([int(text)])
        elif text == f"<{k}":
            options.append(list(range(k)))
        else:
            options.append(list(range(cap + 1)))
    seen: dict[int, set[int]] = {i: set() for i, t in enumerate(parts) if not t.isdigit()}
    for values in itertools.product(*options):
        if total.isdigit() and sum(values) != int(total):
            continue
        for i in seen:
            seen[i].add(values[i])
    return {i: range(min(v), max(v) + 1) for i, v in seen.items() if v}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=2, max_size=4), st.integers(2, 5))
def test_no_masked_count_can_be_narrowed_below_k_values(counts: list[int], k: int) -> None:
    parts, total = shown_parts(counts, k)
    for index, count in enumerate(counts):
        if count < k:
            assert parts[index] == f"<{k}"
    for index, values in brute_force_range(parts, total, k, sum(counts) + k).items():
        if parts[index] == f"<{k}":
            assert len(values) >= k, (counts, k, parts, total)
