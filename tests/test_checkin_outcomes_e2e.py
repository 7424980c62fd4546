"""Outcomes over time in `/treatment lookup`, through the real client and the double: a
line while too few members have checked in long enough, protected counts from k on, and
nothing for members who may not see the server's results."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.app import AnagenBot
from bot.storage import Database, guilds
from bot.storage.checkins import CheckinRepository
from bot.survey.flow import Answer
from tests.double import DiscordDouble, User

START = "2025-01"
THREE_MONTHS = datetime(2025, 4, 15, 18, tzinfo=UTC)
SIX_MONTHS = datetime(2025, 7, 15, 18, tzinfo=UTC)


async def checked_in(
    db: Database, guild_id: int, user_id: int, shedding: str, sexual: bool
) -> None:
    """A member who started finasteride in January and checked in twice, at three and at
    six months, saying the same about shedding both times."""
    repo = CheckinRepository(db)
    await repo.start_treatments(guild_id, user_id, [("finasteride", START)], THREE_MONTHS)
    for when, effects in ((THREE_MONTHS, ("none",)), (SIX_MONTHS, ("sexual",) if sexual else ())):
        response = await repo.create_response(guild_id, user_id, 1, when, period=None)
        await repo.save_answer(response.id, ("current", ""), Answer(("finasteride",)), when)
        await repo.save_answer(response.id, ("shedding", ""), Answer((shedding,)), when)
        await repo.save_answer(
            response.id,
            ("regimen.side_effects", "finasteride"),
            Answer(effects or ("none",)),
            when,
        )
        await repo.complete_response(response.id, when)


async def outcomes_field(double: DiscordDouble, member: User, name: str) -> str | None:
    reply = await double.slash(member, "treatment lookup", name=name)
    fields = {f["name"]: f["value"] for f in reply.message.embeds[0]["fields"]}
    return fields.get("Outcomes over time")


async def test_outcomes_over_time_appear_only_from_the_group_size(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    guild = double.guild.id
    answers = ["less", "same", "more"] * 5  # five each; k is 5 by default
    for index, shedding in enumerate(answers[:4]):
        await checked_in(bot.db, guild, 7000 + index, shedding, sexual=shedding == "less")
    for index in range(6):  # another server's members never count here
        await checked_in(bot.db, guild + 1, 7500 + index, "less", sexual=True)

    below = await outcomes_field(double, member, "finasteride")
    assert below == (
        "Outcomes over time appear once at least 5 members who started it have checked in "
        "3 months or more after starting."
    )

    for index, shedding in enumerate(answers[4:], start=4):
        await checked_in(bot.db, guild, 7000 + index, shedding, sexual=shedding == "less")
    shown = await outcomes_field(double, member, "propecia")
    assert shown is not None
    lines = shown.splitlines()
    assert lines[:6] == [
        "**3+ months after starting** · 15 members",
        "Shedding since their previous check-in: less 5 · same 5 · more 5",
        "Side effects reported: sexual <5 · mood <5 · skin irritation <5 · unwanted hair <5 "
        "· other <5",
        "**6+ months after starting** · 15 members",
        "Shedding since their previous check-in: less 5 · same 5 · more 5",
        "Side effects reported: sexual 5 · mood <5 · skin irritation <5 · unwanted hair <5 "
        "· other <5",
    ]
    assert lines[6].startswith("-# Members who gave their start month")
    assert "<5 is 0 to 4" in lines[6]

    # an entry the survey does not ask about has neither report
    assert await outcomes_field(double, member, "saw palmetto") is None


async def test_outcomes_follow_the_results_visibility(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    guild = double.guild.id
    for index, shedding in enumerate(["less", "same", "more"] * 3):
        await checked_in(bot.db, guild, 8000 + index, shedding, sexual=False)
    assert "· 9 members" in (await outcomes_field(double, member, "finasteride") or "")
    async with bot.db.transaction() as conn:
        current = await guilds.get(conn, guild)
        await guilds.put(conn, replace(current, results_visibility="managers"))
    assert await outcomes_field(double, member, "finasteride") is None
    moderator = double.add_member("mod", admin=True)
    assert "· 9 members" in (await outcomes_field(double, moderator, "finasteride") or "")
