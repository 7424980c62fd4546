"""Counting answers in SQL, one server at a time, each member once (latest completed)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator

import aiosqlite

LATEST = """
    SELECT max(id) AS id FROM responses
    WHERE guild_id = :guild AND status = 'completed' AND (imported = 0 OR :imported)
    GROUP BY user_id
"""


def _params(guild_id: int, include_imported: bool) -> dict[str, int]:
    return {"guild": guild_id, "imported": int(include_imported)}


async def respondents(conn: aiosqlite.Connection, guild_id: int, include_imported: bool) -> int:
    async with conn.execute(
        f"SELECT count(*) FROM ({LATEST})", _params(guild_id, include_imported)
    ) as cursor:
        row = await cursor.fetchone()
    return row[0] if row else 0


async def choice_counts(
    conn: aiosqlite.Connection, guild_id: int, question_id: str, include_imported: bool
) -> tuple[dict[str, int], int]:
    """Members choosing each choice of a question, and how many answered it at all."""
    params = {**_params(guild_id, include_imported), "question": question_id}
    async with conn.execute(
        f"WITH latest AS ({LATEST}) SELECT choice_id, count(*) FROM answer_choices"
        " JOIN latest ON answer_choices.response_id = latest.id"
        " WHERE question_id = :question AND item = '' GROUP BY choice_id",
        params,
    ) as cursor:
        counts = dict(await cursor.fetchall())
    async with conn.execute(
        f"WITH latest AS ({LATEST}) SELECT count(*) FROM answers"
        " JOIN latest ON answers.response_id = latest.id"
        " WHERE question_id = :question AND item = '' AND skipped = 0",
        params,
    ) as cursor:
        row = await cursor.fetchone()
    return counts, row[0] if row else 0


async def distribution(
    conn: aiosqlite.Connection, guild_id: int, variable_sql: str, include_imported: bool
) -> dict[str, int]:
    async with conn.execute(
        f"WITH latest AS ({LATEST}), v AS ({variable_sql})"
        " SELECT v.level, count(*) FROM v JOIN latest ON v.response_id = latest.id"
        " WHERE v.level IS NOT NULL GROUP BY v.level",
        _params(guild_id, include_imported),
    ) as cursor:
        return dict(await cursor.fetchall())


async def crosstab(
    conn: aiosqlite.Connection, guild_id: int, row_sql: str, column_sql: str, include_imported: bool
) -> dict[tuple[str, str], int]:
    """Counts of members by (row level, column level), among those in both groupings."""
    async with conn.execute(
        f"WITH latest AS ({LATEST}), r AS ({row_sql}), c AS ({column_sql})"
        " SELECT r.level, c.level, count(*) FROM latest"
        " JOIN r ON r.response_id = latest.id JOIN c ON c.response_id = latest.id"
        " WHERE r.level IS NOT NULL AND c.level IS NOT NULL GROUP BY r.level, c.level",
        _params(guild_id, include_imported),
    ) as cursor:
        return {(row, column): count for row, column, count in await cursor.fetchall()}


async def guild_secret(conn: aiosqlite.Connection, guild_id: int) -> bytes:
    """The server's key for pseudonymous ids, created on first use (in a write transaction)."""
    async with conn.execute(
        "SELECT secret FROM guild_secrets WHERE guild_id = ?", (guild_id,)
    ) as cursor:
        row = await cursor.fetchone()
    if row is not None:
        return bytes(row[0])
    secret = secrets.token_bytes(32)
    await conn.execute(
        "INSERT INTO guild_secrets (guild_id, secret) VALUES (?, ?)", (guild_id, secret)
    )
    return secret


async def completed_rows(
    conn: aiosqlite.Connection, guild_id: int, include_imported: bool
) -> AsyncIterator[tuple[int, int, int, str, str | None, int]]:
    """(response id, user id, version, started, completed, imported) for every export row."""
    async with conn.execute(
        f"WITH latest AS ({LATEST}) SELECT r.id, r.user_id, r.questionnaire_version,"
        " r.started_at, r.completed_at, r.imported FROM responses r"
        " JOIN latest ON r.id = latest.id ORDER BY r.id",
        _params(guild_id, include_imported),
    ) as cursor:
        async for row in cursor:
            yield tuple(row)  # type: ignore[misc]


async def answers_for(
    conn: aiosqlite.Connection, response_ids: list[int]
) -> dict[int, list[tuple[str, str, int | None, str | None, int, str | None]]]:
    """Every answer row (question, item, number, text, skipped, choice) of these responses."""
    found: dict[int, list[tuple[str, str, int | None, str | None, int, str | None]]] = {}
    for start in range(0, len(response_ids), 500):
        chunk = response_ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        async with conn.execute(
            "SELECT a.response_id, a.question_id, a.item, a.number, a.text, a.skipped,"
            " c.choice_id FROM answers a LEFT JOIN answer_choices c"
            " ON c.response_id = a.response_id AND c.question_id = a.question_id"
            " AND c.item = a.item"
            f" WHERE a.response_id IN ({marks})",
            chunk,
        ) as cursor:
            for rid, *rest in await cursor.fetchall():
                found.setdefault(rid, []).append(tuple(rest))  # type: ignore[arg-type]
    return found
