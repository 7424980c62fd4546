"""Small-group suppression shared by every public count (k-anonymity)."""

from __future__ import annotations


def masked(count: int, k: int) -> str:
    """A count as the public may see it: exact from k up, otherwise "<k" (zero stays 0)."""
    if count == 0:
        return "0"
    return str(count) if count >= k else f"<{k}"


def suppressed(counts: list[int], k: int) -> list[str]:
    """Counts that add up to a total the reader also sees, masked so none can be derived.

    Cells under k are masked; if that leaves exactly one masked cell, the total minus the
    others would reveal it, so the smallest other non-zero cell is masked too."""
    hidden = {i for i, n in enumerate(counts) if 0 < n < k}
    if len(hidden) == 1:
        others = [(n, i) for i, n in enumerate(counts) if n > 0 and i not in hidden]
        if others:
            hidden.add(min(others)[1])
    # A complementary cell is shown as "≥k" rather than "<k": true, and still not the count.
    return [
        (f"<{k}" if n < k else f"≥{k}") if i in hidden else str(n) for i, n in enumerate(counts)
    ]
