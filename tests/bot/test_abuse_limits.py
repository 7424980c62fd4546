"""Security review F5: one member cannot flood the moderators' suggestion queue.

`/treatment suggest` has a per-member cooldown (a few per hour) and a cap on the member's
open suggestions in a server; both answer politely and store nothing."""

from __future__ import annotations

import asyncio

from bot.app import AnagenBot
from bot.storage.suggestions import SuggestionRepository
from bot.storage.tx import Tx
from bot.treatments.service import MAX_OPEN_SUGGESTIONS
from cogs.treatments import SUGGEST_PER_HOUR
from tests.double import DiscordDouble, User
from tests.double.model import iter_components


async def _open(bot: AnagenBot, guild_id: int, user_id: int) -> int:
    return await bot.db.read(lambda tx: SuggestionRepository(tx).open_count(guild_id, user_id))


async def _queue_directly(bot: AnagenBot, guild_id: int, user_id: int, n: int) -> None:
    """Open suggestions stored as if sent over the past hours (the cooldown long over)."""

    def add(tx: Tx) -> None:
        for i in range(n):
            SuggestionRepository(tx).add(guild_id, user_id, "minoxidil", f"older idea {i}")

    await bot.db.run(add)


async def test_suggest_has_a_per_member_cooldown(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    guild = double.guild.id
    texts = [
        (
            await double.slash(member, "treatment suggest", name="fin", text=f"Add trial {i}")
        ).message.text
        for i in range(SUGGEST_PER_HOUR + 1)
    ]
    assert all("Thank you!" in text for text in texts[:SUGGEST_PER_HOUR])
    assert "Slow down" in texts[-1]
    assert "Thank you" not in texts[-1]
    assert await _open(bot, guild, member.id) == SUGGEST_PER_HOUR
    # another member is not held back by this one
    other = double.add_member("other")
    sent = await double.slash(other, "treatment suggest", name="fin", text="Add the 2024 trial")
    assert "Thank you!" in sent.message.text


async def test_a_member_has_at_most_a_few_open_suggestions_per_server(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    guild = double.guild.id
    await _queue_directly(bot, guild, member.id, MAX_OPEN_SUGGESTIONS)
    refused = await double.slash(member, "treatment suggest", name="fin", text="One more idea")
    assert refused.message.ephemeral
    assert f"{MAX_OPEN_SUGGESTIONS} suggestions waiting for review" in refused.message.text
    assert await _open(bot, guild, member.id) == MAX_OPEN_SUGGESTIONS

    # once a moderator has resolved one, there is room again
    moderator = double.add_member("mod", admin=True)
    queue = await double.slash(moderator, "treatment-suggestions")
    first = next(
        c["label"]
        for c in iter_components(queue.message.components)
        if c.get("label", "").startswith("Dismiss")
    )
    await double.click(moderator, queue.message, first)
    sent = await double.slash(member, "treatment suggest", name="fin", text="One more idea")
    assert "Thank you!" in sent.message.text
    assert await _open(bot, guild, member.id) == MAX_OPEN_SUGGESTIONS


async def test_the_cap_holds_for_suggestions_sent_at_the_same_moment(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    guild = double.guild.id
    await _queue_directly(bot, guild, member.id, MAX_OPEN_SUGGESTIONS - 1)
    replies = await asyncio.gather(
        *(
            double.slash(member, "treatment suggest", name="fin", text=f"Concurrent idea {i}")
            for i in range(SUGGEST_PER_HOUR)
        )
    )
    accepted = [r for r in replies if "Thank you!" in r.message.text]
    assert len(accepted) == 1
    assert await _open(bot, guild, member.id) == MAX_OPEN_SUGGESTIONS


async def test_the_open_count_is_per_member_and_per_server(bot: AnagenBot) -> None:
    await _queue_directly(bot, 1, 10, 2)
    await _queue_directly(bot, 1, 11, 1)
    await _queue_directly(bot, 2, 10, 1)
    assert await _open(bot, 1, 10) == 2
    assert await _open(bot, 1, 11) == 1
    assert await _open(bot, 2, 10) == 1
    assert await _open(bot, 3, 10) == 0
    resolved = await bot.db.run(lambda tx: SuggestionRepository(tx).resolve(1, 1, "dismissed", 99))
    assert resolved
    assert await _open(bot, 1, 10) == 1
