"""Where the data lives: an SQLite file (the embedded default) or a PostgreSQL database.

`ANAGEN_DATABASE` holds either; this module tells them apart once, so the rest of the code
asks `location.dialect` rather than parsing strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

Dialect = Literal["sqlite", "postgresql"]


@dataclass(frozen=True, slots=True)
class SQLiteLocation:
    path: Path
    dialect: Dialect = "sqlite"

    def __str__(self) -> str:
        return str(self.path)


@dataclass(frozen=True, slots=True)
class PostgresLocation:
    """A libpq connection URL. Its password never appears in `str` or `repr`, so a location
    can be named in logs and error messages."""

    url: str
    dialect: Dialect = "postgresql"

    def __str__(self) -> str:
        return redact(self.url)

    def __repr__(self) -> str:
        return f"PostgresLocation({redact(self.url)!r})"


DatabaseLocation = SQLiteLocation | PostgresLocation

_POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def parse_location(raw: str) -> DatabaseLocation:
    """`postgresql://…` (or `postgres://…`) is PostgreSQL; `sqlite:///path` or a bare path
    is an SQLite file."""
    text = raw.strip()
    if text.lower().startswith(_POSTGRES_SCHEMES):
        return PostgresLocation(text)
    if text.lower().startswith("sqlite:///"):  # sqlite:///rel/path, sqlite:////abs/path
        text = text[len("sqlite:///") :]
    elif text.lower().startswith("sqlite:"):
        text = text[len("sqlite:") :]
    return SQLiteLocation(Path(text).expanduser())


def as_location(target: DatabaseLocation | Path | str) -> DatabaseLocation:
    if isinstance(target, SQLiteLocation | PostgresLocation):
        return target
    if isinstance(target, Path):
        return SQLiteLocation(target)
    return parse_location(target)


def redact(url: str) -> str:
    """The URL with its password replaced by `***`."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))
