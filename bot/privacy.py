"""Small-group suppression shared by every public count (k-anonymity)."""

from __future__ import annotations


def masked(count: int, k: int) -> str:
    """A count as the public may see it: exact from k up, otherwise "<k" (zero stays 0)."""
    if count == 0:
        return "0"
    return str(count) if count >= k else f"<{k}"
