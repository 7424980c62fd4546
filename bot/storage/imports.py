"""Replies imported from a community thread: stored as completed survey responses of
synthetic members (negative user ids; no Discord member wrote them), flagged as imported,
with the original text kept beside them."""

from __future__ import annotations

from bot.storage.tx import Tx


class ImportedReplyRepository:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    def next_synthetic_user(self) -> int:
        """A user id below every one in use, so imports never collide with a member."""
        lowest = int(self.tx.value("SELECT coalesce(min(user_id), 0) FROM responses") or 0)
        return min(-1, lowest - 1)

    def record(self, response_id: int, original: str, unmapped: str) -> None:
        self.tx.run("UPDATE responses SET imported = 1 WHERE id = ?", (response_id,))
        self.tx.run(
            "INSERT INTO imported_replies (response_id, original, unmapped) VALUES (?, ?, ?)",
            (response_id, original, unmapped),
        )

    def originals(self) -> dict[int, str]:
        return {
            int(rid): str(original)
            for rid, original in self.tx.rows("SELECT response_id, original FROM imported_replies")
        }
