"""Installation facts kept in the `meta` table."""

from __future__ import annotations

from bot.storage.tx import Tx


class MetaRepository:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    def value(self, key: str) -> str | None:
        found = self.tx.value("SELECT value FROM meta WHERE key = ?", (key,))
        return None if found is None else str(found)

    def remember(self, key: str, value: str) -> None:
        self.tx.run(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )
