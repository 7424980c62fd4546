"""Cleaning text members type, before it is stored or echoed."""

from __future__ import annotations

import unicodedata

from rapidfuzz.distance import OSA, Indel, Levenshtein


def clean_text(text: str) -> str:
    """Control, format (zero-width) and private-use characters removed; lines kept."""
    return "".join(
        c for c in text if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cf", "Co", "Cs")
    ).strip()


def similarity(a: str, b: str) -> float:
    """How alike two spellings are, 0-100 on the scale of rapidfuzz's `fuzz.ratio`, except
    that swapping two neighbouring letters counts as one slip, not two.

    `fuzz.ratio` charges a swap twice, which is harsh on short words: "mael" scores 75
    against "male" while "burnin" scores 92 against "burning". Each transposition the optimal
    string alignment distance finds (Levenshtein minus OSA) is refunded once."""
    indel = Indel.distance(a, b)
    swaps = Levenshtein.distance(a, b) - OSA.distance(a, b)
    total = len(a) + len(b)
    return 100.0 * (1 - max(indel - swaps, 0) / total) if total else 100.0
