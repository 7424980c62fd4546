"""SQL written once with SQLite's placeholders, rewritten for PostgreSQL's driver."""

from __future__ import annotations

import pytest

from bot.storage.dialect import to_pyformat


@pytest.mark.parametrize(
    ("sqlite", "postgres"),
    [
        ("SELECT a FROM t WHERE id = ? AND b = ?", "SELECT a FROM t WHERE id = %s AND b = %s"),
        ("WHERE guild_id = :guild AND x = :x1", "WHERE guild_id = %(guild)s AND x = %(x1)s"),
        ("SELECT 'a?b:c' || ? FROM t", "SELECT 'a?b:c' || %s FROM t"),
        ("SELECT 'it''s ?', \"we?ird\" FROM t", "SELECT 'it''s ?', \"we?ird\" FROM t"),
        (
            "SELECT x::text, 100 % 7 FROM t WHERE y = :y",
            "SELECT x::text, 100 %% 7 FROM t WHERE y = %(y)s",
        ),
        ("LIKE 'a%' AND ? ", "LIKE 'a%' AND %s "),
    ],
)
def test_placeholders_outside_quotes_are_rewritten(sqlite: str, postgres: str) -> None:
    assert to_pyformat(sqlite) == postgres
