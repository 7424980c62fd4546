"""Members' proposed corrections to the knowledge base, queued for the server's moderators."""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.storage.responses import now


@dataclass(frozen=True, slots=True)
class Suggestion:
    id: int
    guild_id: int
    user_id: int
    treatment_id: str
    text: str
    status: str
    created_at: str


_COLUMNS = "id, guild_id, user_id, treatment_id, text, status, created_at"


async def add(
    conn: aiosqlite.Connection, guild_id: int, user_id: int, treatment_id: str, text: str
) -> int:
    cursor = await conn.execute(
        "INSERT INTO treatment_suggestions (guild_id, user_id, treatment_id, text, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (guild_id, user_id, treatment_id, text, now()),
    )
    return cursor.lastrowid or 0


async def open_queue(
    conn: aiosqlite.Connection, guild_id: int, limit: int, offset: int = 0
) -> tuple[list[Suggestion], int]:
    """A page of open suggestions, oldest first, and how many are open in total."""
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM treatment_suggestions WHERE guild_id = ? AND status = 'open'"
        " ORDER BY id LIMIT ? OFFSET ?",
        (guild_id, limit, offset),
    ) as cursor:
        page = [Suggestion(*row) for row in await cursor.fetchall()]
    async with conn.execute(
        "SELECT count(*) FROM treatment_suggestions WHERE guild_id = ? AND status = 'open'",
        (guild_id,),
    ) as cursor:
        row = await cursor.fetchone()
    return page, row[0] if row else 0


async def resolve(
    conn: aiosqlite.Connection, guild_id: int, suggestion_id: int, status: str, moderator_id: int
) -> bool:
    """Mark an open suggestion of this server handled; False if it was not open here."""
    cursor = await conn.execute(
        "UPDATE treatment_suggestions SET status = ?, resolved_by = ?, resolved_at = ?"
        " WHERE id = ? AND guild_id = ? AND status = 'open'",
        (status, moderator_id, now(), suggestion_id, guild_id),
    )
    return cursor.rowcount == 1


async def erase_member(conn: aiosqlite.Connection, guild_id: int, user_id: int) -> int:
    """Delete the member's suggestions and forget them as the moderator who resolved others."""
    cursor = await conn.execute(
        "DELETE FROM treatment_suggestions WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
    )
    await conn.execute(
        "UPDATE treatment_suggestions SET resolved_by = NULL"
        " WHERE guild_id = ? AND resolved_by = ?",
        (guild_id, user_id),
    )
    return cursor.rowcount
