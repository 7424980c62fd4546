"""Outcomes over time in `/treatment lookup`, through the real client and the double: a
line while too few members have checked in long enough, protected counts from k on, and
nothing for members who may not see the server's results."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.app import AnagenBot
from bot.storage import Database
from bot.storage.checkins import CheckinRepository
from bot.storage.clock import stamp
from bot.storage.guilds import GuildSettingsRepository
from bot.storage.responses import checkin_tables
from bot.storage.tx import Tx
from bot.survey.answers import Answer
from tests.double import DiscordDouble, User

START = "2025-01"
THREE_MONTHS = datetime(2025, 4, 15, 18, tzinfo=UTC)
SIX_MONTHS = datetime(2025, 7, 15, 18, tzinfo=UTC)


async def checked_in(
    db: Database, guild_id: int, user_id: int, shedding: str, sexual: bool
) -> None:
    """A member who started finasteride in January and checked in twice, at three and at
    six months, saying the same about shedding both times."""
    await db.run(
        lambda tx: CheckinRepository(tx).start_treatments(
            guild_id, user_id, [("finasteride", START)], THREE_MONTHS
        )
    )
    for when, effects in ((THREE_MONTHS, ("none",)), (SIX_MONTHS, ("sexual",) if sexual else ())):

        def unit(tx: Tx, when: datetime = when, effects: tuple[str, ...] = effects) -> None:
            responses = checkin_tables(lambda: stamp(when)).on(tx)
            response = responses.create(guild_id, user_id, 1, "dm")
            responses.save_answer(response.id, ("current", ""), Answer(("finasteride",)))
            responses.save_answer(response.id, ("shedding", ""), Answer((shedding,)))
            responses.save_answer(
                response.id,
                ("regimen.side_effects", "finasteride"),
                Answer(effects or ("none",)),
            )
            responses.update(response.id, position=None, completed=True)

        await db.run(unit)


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

    def managers_only(tx: Tx) -> None:
        settings = GuildSettingsRepository(tx)
        settings.save(replace(settings.of(guild), results_visibility="managers"))

    await bot.db.run(managers_only)
    assert await outcomes_field(double, member, "finasteride") is None
    moderator = double.add_member("mod", admin=True)
    assert "· 9 members" in (await outcomes_field(double, moderator, "finasteride") or "")
