"""The language each member is written to when no interaction carries it."""

from __future__ import annotations

from dataclasses import dataclass

from bot.storage.clock import utc_now
from bot.storage.tx import Tx


@dataclass(frozen=True, slots=True)
class MemberLanguage:
    language: str
    chosen: bool  # picked with /survey language, rather than seen on their Discord client


class LanguageRepository:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    def get(self, user_id: int) -> MemberLanguage | None:
        row = self.tx.row(
            "SELECT language, chosen FROM member_languages WHERE user_id = ?", (user_id,)
        )
        return None if row is None else MemberLanguage(str(row[0]), bool(row[1]))

    def choose(self, user_id: int, language: str) -> None:
        self._put(user_id, language, chosen=True)

    def seen(self, user_id: int, language: str) -> None:
        """The client's language, kept unless the member chose one themselves."""
        self.tx.run(
            "INSERT INTO member_languages (user_id, language, chosen, updated_at)"
            " VALUES (?, ?, 0, ?) ON CONFLICT (user_id) DO UPDATE SET"
            " language = excluded.language, updated_at = excluded.updated_at"
            " WHERE member_languages.chosen = 0"
            " AND member_languages.language <> excluded.language",
            (user_id, language, utc_now()),
        )

    def forget_choice(self, user_id: int) -> None:
        """Back to following the Discord client's language."""
        self.tx.run("DELETE FROM member_languages WHERE user_id = ?", (user_id,))

    def erase(self, user_id: int) -> int:
        return self.tx.run("DELETE FROM member_languages WHERE user_id = ?", (user_id,))

    def _put(self, user_id: int, language: str, *, chosen: bool) -> None:
        self.tx.run(
            "INSERT INTO member_languages (user_id, language, chosen, updated_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET"
            " language = excluded.language, chosen = excluded.chosen,"
            " updated_at = excluded.updated_at",
            (user_id, language, int(chosen), utc_now()),
        )
