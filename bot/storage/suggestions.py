"""Members' proposed corrections to the knowledge base, queued for the server's moderators."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.clock import utc_now
from bot.storage.tx import Tx


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


class SuggestionRepository:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    def add(self, guild_id: int, user_id: int, treatment_id: str, text: str) -> int:
        return int(
            self.tx.value(
                "INSERT INTO treatment_suggestions (guild_id, user_id, treatment_id, text,"
                " created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                (guild_id, user_id, treatment_id, text, utc_now()),
            )
        )

    def open_queue(
        self, guild_id: int, limit: int, offset: int = 0
    ) -> tuple[list[Suggestion], int]:
        """A page of open suggestions, oldest first, and how many are open in total."""
        page = [
            Suggestion(*row)
            for row in self.tx.rows(
                f"SELECT {_COLUMNS} FROM treatment_suggestions WHERE guild_id = ?"
                " AND status = 'open' ORDER BY id LIMIT ? OFFSET ?",
                (guild_id, limit, offset),
            )
        ]
        total = self.tx.value(
            "SELECT count(*) FROM treatment_suggestions WHERE guild_id = ? AND status = 'open'",
            (guild_id,),
        )
        return page, int(total or 0)

    def open_count(self, guild_id: int, user_id: int) -> int:
        """How many of the member's suggestions in this server wait for review."""
        return int(
            self.tx.value(
                "SELECT count(*) FROM treatment_suggestions WHERE guild_id = ? AND user_id = ?"
                " AND status = 'open'",
                (guild_id, user_id),
            )
            or 0
        )

    def resolve(self, guild_id: int, suggestion_id: int, status: str, moderator_id: int) -> bool:
        """Mark an open suggestion of this server handled; False if it was not open here."""
        return (
            self.tx.run(
                "UPDATE treatment_suggestions SET status = ?, resolved_by = ?, resolved_at = ?"
                " WHERE id = ? AND guild_id = ? AND status = 'open'",
                (status, moderator_id, utc_now(), suggestion_id, guild_id),
            )
            == 1
        )

    def erase_member(self, guild_id: int, user_id: int) -> int:
        """Delete the member's suggestions and forget them as the moderator of others."""
        deleted = self.tx.run(
            "DELETE FROM treatment_suggestions WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        self.tx.run(
            "UPDATE treatment_suggestions SET resolved_by = NULL"
            " WHERE guild_id = ? AND resolved_by = ?",
            (guild_id, user_id),
        )
        return deleted
