"""`/survey delete`: everything Anagen stores about a member in one server, erased in one
transaction, so a failure half-way leaves everything rather than a part."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.storage import Database, suggestions
from bot.storage import checkins as checkin_rows
from bot.storage import responses as survey_rows

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


async def erase_member(db: Database, guild_id: int, user_id: int) -> Erased:
    async with db.transaction() as conn:
        responses, answers = await survey_rows.erase_member(conn, guild_id, user_id)
        suggested = await suggestions.erase_member(conn, guild_id, user_id)
        checkins = await checkin_rows.erase_member(conn, guild_id, user_id)
    erased = Erased(
        responses,
        answers,
        suggested,
        checkins.responses,
        checkins.regimen_entries,
        bool(checkins.enrolments),
    )
    log.info("Erased a member's data at their request: %s", erased)
    return erased
