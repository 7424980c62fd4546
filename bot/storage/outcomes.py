"""Counts over survey answers for one server: each member's latest completed response only."""

from __future__ import annotations

import aiosqlite

from bot.storage.results import latest_completed


async def treatment_outcomes(
    conn: aiosqlite.Connection, guild_id: int, choice_id: str, include_imported: bool
) -> tuple[int, dict[str, dict[str, int]]]:
    """How many members reported trying `choice_id`, and their effect answers by field."""
    params = {"guild": guild_id, "choice": choice_id}
    latest = latest_completed(include_imported)
    async with conn.execute(
        f"WITH latest AS ({latest}) SELECT count(*) FROM answer_choices"
        " JOIN latest ON answer_choices.response_id = latest.id"
        " WHERE question_id = 'treatments' AND item = '' AND choice_id = :choice",
        params,
    ) as cursor:
        row = await cursor.fetchone()
    tried = row[0] if row else 0
    effects: dict[str, dict[str, int]] = {}
    async with conn.execute(
        f"WITH latest AS ({latest}) SELECT question_id, choice_id, count(*)"
        " FROM answer_choices JOIN latest ON answer_choices.response_id = latest.id"
        " WHERE question_id LIKE 'effects.%' AND item = :choice GROUP BY question_id, choice_id",
        params,
    ) as cursor:
        for question_id, effect, count in await cursor.fetchall():
            effects.setdefault(question_id.split(".", 1)[1], {})[effect] = count
    return tried, effects
