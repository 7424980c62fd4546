"""Acting as a member with check-ins through the double, with time on a ManualClock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bot.clock import ManualClock
from bot.storage import Database
from bot.storage.clock import stamp
from bot.storage.responses import Answer, AnswerKey, checkin_tables
from bot.storage.tx import Tx
from tests.double import DiscordDouble, Message, User

T = TypeVar("T")
# Sleeps shorter than this (send jitter, the rate limiter) pass on their own while a test
# waits; longer ones (the scheduler's poll, the next due time) only when the test says.
SHORT_SLEEP = timedelta(seconds=5)


async def run_until(clock: ManualClock, check: Callable[[], T | None], timeout: float = 10) -> T:
    """Let the bot work, passing short clock sleeps, until `check` returns something."""
    async with asyncio.timeout(timeout):
        while True:
            found = check()
            if found:
                return found
            deadline = clock.next_deadline
            if deadline is not None and deadline - clock.now() <= SHORT_SLEEP:
                clock.advance_to_next()
            await asyncio.sleep(0.005)


async def enable_checkins(double: DiscordDouble, **settings: Any) -> None:
    moderator = double.add_member("moderator", admin=True)
    reply = await double.slash(moderator, "survey-admin settings", checkins=True, **settings)
    assert "Check-ins:** on" in reply.message.text


async def opt_in(double: DiscordDouble, member: User, thanks: Message, **schedule: str) -> Message:
    """Press "Set up check-ins" on the survey's thank-you and fill in the form."""
    opened = await double.click(member, thanks, "Set up check-ins")
    values = {"zone": "Berlin", "weekday": "Monday", "hour": "9", "every": "4", **schedule}
    return (await double.submit_modal(member, opened, values)).message


def field_select(message: Message, field: str) -> str:
    return next(
        c for c in message.custom_ids() if c.startswith("sv:m:") and c.endswith(f":{field}")
    )


async def store_checkin(
    db: Database,
    guild_id: int,
    user_id: int,
    answers: Mapping[AnswerKey, Answer],
    *,
    at: datetime,
    period: str | None = None,
    completed: bool = True,
) -> int:
    """A check-in stored as if the member had answered it at `at` (for results tests)."""

    def unit(tx: Tx) -> int:
        checkins = checkin_tables(lambda: stamp(at)).on(tx)
        response = checkins.create(guild_id, user_id, 1, "dm", period=period)
        for key, answer in answers.items():
            checkins.save_answer(response.id, key, answer)
        if completed:
            checkins.update(response.id, position=None, completed=True)
        return response.id

    return await db.run(unit)
