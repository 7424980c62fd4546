"""What differs between SQLite and PostgreSQL in the SQL Anagen writes, in one place.

Placeholders: repositories write SQLite's (`?` and `:name`); PostgreSQL's driver (psycopg)
wants `%s` and `%(name)s`. `to_pyformat` rewrites a statement once (it is cached), outside
string literals and quoted names, and doubles a literal `%` so the driver leaves it alone.
"""

from __future__ import annotations

import functools
import re

from bot.storage.location import Dialect

# Quoted text ('…', "…"), a named placeholder, a positional one, a cast (`::`) or a percent.
_TOKEN = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|::|:([A-Za-z_]\w*)|\?|%")


@functools.lru_cache(maxsize=1024)
def to_pyformat(sql: str) -> str:
    def replace(match: re.Match[str]) -> str:
        token = match[0]
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        if match[1] is not None:
            return f"%({match[1]})s"
        return token  # quoted text and casts stay as they are

    return _TOKEN.sub(replace, sql)


class SQLDialect:
    """The few SQL fragments that are spelled differently, by the dialect a `Tx` speaks.

    Repositories ask their `tx.dialect` for these instead of branching on a name."""

    name: Dialect = "sqlite"
    # Appended to a SELECT that claims rows for this process: other processes' claims in
    # flight are skipped, not waited for. SQLite has one writer (one process) and no need.
    skip_locked = ""

    def list_agg(self, expression: str, *, distinct: bool = False) -> str:
        """The values of `expression` in a group, joined by commas, in no set order."""
        return f"group_concat({'DISTINCT ' if distinct else ''}{expression})"

    def add_months(self, day: str, months: str) -> str:
        """The 'YYYY-MM-DD' text `months` months after the 'YYYY-MM-DD' text `day`."""
        return f"date({day}, '+' || {months} || ' months')"


class PostgresDialect(SQLDialect):
    name: Dialect = "postgresql"
    skip_locked = " FOR UPDATE SKIP LOCKED"

    def list_agg(self, expression: str, *, distinct: bool = False) -> str:
        return f"string_agg({'DISTINCT ' if distinct else ''}{expression}, ',')"

    def add_months(self, day: str, months: str) -> str:
        return (
            f"to_char(CAST({day} AS date) + make_interval(months => CAST({months} AS integer)),"
            " 'YYYY-MM-DD')"
        )


SQLITE = SQLDialect()
POSTGRESQL = PostgresDialect()
