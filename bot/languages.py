"""Which language to write to a member in.

A member's own choice (`/survey language`) wins; otherwise the language of the Discord
client they are using now, or, for messages no interaction prompted (a DM typed after a
restart, a check-in reminder), the one their latest survey or check-in start was made in.
"""

from __future__ import annotations

from datetime import timedelta

from bot.clock import Clock
from bot.i18n import SOURCE, from_discord
from bot.storage import Database
from bot.storage.languages import LanguageRepository, MemberLanguage

# A choice made in one bot process reaches the others within this time (every process
# reads it again); in one process it is seen at once.
FRESH_FOR = timedelta(seconds=60)
_CACHE_LIMIT = 50_000


class Languages:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._known: dict[int, tuple[MemberLanguage | None, float]] = {}

    async def for_interaction(self, user_id: int, client_locale: str | None) -> str:
        """For a reply to something the member just did."""
        stored = await self._stored(user_id)
        if stored is not None and stored.chosen:
            return stored.language
        return from_discord(client_locale)

    async def for_message(self, user_id: int) -> str:
        """For a message the member did not prompt with an interaction."""
        stored = await self._stored(user_id)
        return SOURCE if stored is None else stored.language

    async def chosen(self, user_id: int) -> str | None:
        stored = await self._stored(user_id)
        return stored.language if stored is not None and stored.chosen else None

    async def seen(self, user_id: int, client_locale: str | None) -> None:
        """Remember the client's language for later messages, unless the member chose one."""
        language = from_discord(client_locale)
        stored = await self._stored(user_id)
        if stored is not None and (stored.chosen or stored.language == language):
            return
        await self.db.run(lambda tx: LanguageRepository(tx).seen(user_id, language))
        self._remember(user_id, MemberLanguage(language, chosen=False))

    async def choose(self, user_id: int, language: str | None) -> None:
        """`None` goes back to following the Discord client."""
        if language is None:
            await self.db.run(lambda tx: LanguageRepository(tx).forget_choice(user_id))
            self._remember(user_id, None)
        else:
            await self.db.run(lambda tx: LanguageRepository(tx).choose(user_id, language))
            self._remember(user_id, MemberLanguage(language, chosen=True))

    def forget(self, user_id: int) -> None:
        """After an erasure, which deletes the row in the same transaction as the rest."""
        self._known.pop(user_id, None)

    async def _stored(self, user_id: int) -> MemberLanguage | None:
        now = self.clock.now().timestamp()
        known = self._known.get(user_id)
        if known is not None and known[1] > now:
            return known[0]
        stored = await self.db.read(lambda tx: LanguageRepository(tx).get(user_id))
        self._remember(user_id, stored)
        return stored

    def _remember(self, user_id: int, stored: MemberLanguage | None) -> None:
        if len(self._known) >= _CACHE_LIMIT:
            self._known.clear()
        self._known[user_id] = (stored, self.clock.now().timestamp() + FRESH_FOR.total_seconds())
