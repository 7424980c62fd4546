"""Every request the bot makes that counts towards Discord's global limit waits its turn,
so a burst (reminders, survey DMs, lookups at once) never earns a 429."""

from __future__ import annotations

import asyncio
import time

from bot.app import GLOBAL_REQUESTS_PER_SECOND, AnagenBot
from tests.double import DiscordDouble


async def test_a_burst_of_messages_stays_under_the_global_limit(
    double: DiscordDouble, bot: AnagenBot
) -> None:
    double.global_rate_limit = 50
    started = time.monotonic()
    channel = bot.get_partial_messageable(double.general.id)
    await asyncio.gather(*(channel.send(f"message {i}") for i in range(120)))
    assert double.rate_limited == 0
    assert double.max_requests_per_window(1.0, since=started) <= GLOBAL_REQUESTS_PER_SECOND
    assert len(double.channel_messages(double.general)) >= 120
