"""Erasure: everything Anagen stores about a member in one server, erased in one
transaction, so a failure half-way leaves everything rather than a part. Reached by
`/survey delete` in the server, `/forget-me` in DMs (after leaving it), and `anagen erase`
for a moderator acting on a request."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.storage import Database
from bot.storage.checkins import CheckinRepository
from bot.storage.clock import utc_now
from bot.storage.languages import LanguageRepository
from bot.storage.releases import ReleaseRepository
from bot.storage.responses import SURVEY
from bot.storage.suggestions import SuggestionRepository
from bot.storage.tx import Tx

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Erased:
    responses: int
    answers: int
    suggestions: int
    checkins: int  # completed or started check-ins
    regimen_entries: int
    enrolled: bool

    @property
    def anything(self) -> bool:
        return bool(
            self.responses
            or self.suggestions
            or self.checkins
            or self.regimen_entries
            or self.enrolled
        )


_HOLDING = (
    "SELECT guild_id FROM responses WHERE user_id = :user"
    " UNION SELECT guild_id FROM checkin_responses WHERE user_id = :user"
    " UNION SELECT guild_id FROM checkin_enrolments WHERE user_id = :user"
    " UNION SELECT guild_id FROM regimen_entries WHERE user_id = :user"
    " UNION SELECT guild_id FROM treatment_suggestions WHERE user_id = :user"
)


async def servers_holding(db: Database, user_id: int) -> list[int]:
    """Every server Anagen holds something about this member for: what `/forget-me` offers
    to erase, whether or not the member is still in the server."""
    rows = await db.read(lambda tx: tx.rows(_HOLDING, {"user": user_id}))
    return sorted(int(row[0]) for row in rows)


async def erase_member(db: Database, guild_id: int, user_id: int) -> Erased:
    def unit(tx: Tx) -> Erased:
        responses, answers = SURVEY.on(tx).erase_member(guild_id, user_id)
        suggested = SuggestionRepository(tx).erase_member(guild_id, user_id)
        checkins = CheckinRepository(tx).erase_member(guild_id, user_id)
        # The language is the person's, not the server's: kept by user id alone, and
        # erased with any server's data (it is used again once they use Anagen again).
        LanguageRepository(tx).erase(user_id)
        if responses or checkins.responses:
            # the next release must leave them out: it counts as a change (no id kept)
            ReleaseRepository(tx).record_erasure(guild_id, utc_now())
        return Erased(
            responses,
            answers,
            suggested,
            checkins.responses,
            checkins.regimen_entries,
            bool(checkins.enrolments),
        )

    erased = await db.run(unit)
    await db.forget_erased()
    log.info("Erased a member's data in server %s: %s", guild_id, erased)
    return erased
