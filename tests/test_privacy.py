"""Small-group suppression: no count under k is shown, nor derivable from the total."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.privacy import masked, suppressed


def test_masked() -> None:
    assert [masked(n, 5) for n in (0, 1, 4, 5, 12)] == ["0", "<5", "<5", "5", "12"]


def test_a_lone_small_cell_gets_a_complementary_mask() -> None:
    assert suppressed([10, 3, 7, 0], 5) == ["10", "<5", "≥5", "0"]
    assert suppressed([10, 3, 2, 0], 5) == ["10", "<5", "<5", "0"]
    assert suppressed([10, 8, 7], 5) == ["10", "8", "7"]


@given(
    st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=8),
    st.integers(min_value=3, max_value=10),
)
def test_no_small_count_can_be_recovered_by_subtraction(counts: list[int], k: int) -> None:
    shown = suppressed(counts, k)
    hidden = [i for i, text in enumerate(shown) if not text.isdigit()]
    for i, n in enumerate(counts):
        if 0 < n < k:
            assert i in hidden  # never shown exactly
    # with the total known, one hidden cell would be total minus the rest
    assert len(hidden) != 1 or sum(1 for n in counts if n > 0) == 1
