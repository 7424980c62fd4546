"""What differs between SQLite and PostgreSQL in the SQL Anagen writes, in one place.

Repositories write SQLite's placeholders (`?` and `:name`); PostgreSQL's driver (psycopg)
wants `%s` and `%(name)s`. `to_pyformat` rewrites a statement once (it is cached), outside
string literals and quoted names, and doubles a literal `%` so the driver leaves it alone.
"""

from __future__ import annotations

import functools
import re

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
