"""What every part of the loader reads the same way: the data files bundled beside the
package, and the plain values (a list of strings, a date) of a parsed TOML table, which
the validator cannot take on trust."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any


def bundled(*parts: str) -> Traversable:
    """A file or folder of ``bot/treatments/data``, shipped with the package."""
    return resources.files("bot.treatments").joinpath("data", *parts)


def as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def str_list(value: Any) -> list[str] | None:
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    return None
