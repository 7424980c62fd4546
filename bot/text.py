"""Cleaning text members type, before it is stored or echoed."""

from __future__ import annotations

import unicodedata


def clean_text(text: str) -> str:
    """Control, format (zero-width) and private-use characters removed; lines kept."""
    return "".join(
        c for c in text if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cf", "Co", "Cs")
    ).strip()
