"""Numbered SQL migrations (`0001_name.sql`), one folder per dialect, applied in order.

Each dialect has the same numbered files: the schema is one design written twice where
the SQL differs (SQLite's STRICT tables and GLOB checks, PostgreSQL's BIGINT identities).
The version reached is kept in SQLite's `user_version`, PostgreSQL's `anagen_schema`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

MIGRATIONS_DIR = Path(__file__).parent
DIALECTS = ("sqlite", "postgresql")
_NAME_RE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations(dialect: str = "sqlite", directory: Path | None = None) -> list[Migration]:
    """Read the migration files, insisting on 1, 2, 3 … with no gap or duplicate.

    A gap would mean a database could skip a schema step, so it is an error
    rather than something to paper over.
    """
    if directory is None:
        directory = MIGRATIONS_DIR / dialect
    migrations: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME_RE.match(path.name)
        if match is None:
            raise ValueError(f"migration file {path.name} is not named NNNN_name.sql")
        migrations.append(Migration(int(match[1]), match[2], path.read_text(encoding="utf-8")))
    for expected, migration in enumerate(migrations, start=1):
        if migration.version != expected:
            raise ValueError(
                f"migration {migration.version:04d}_{migration.name}.sql found where "
                f"{expected:04d} was expected: migrations must be numbered without gaps"
            )
    return migrations
