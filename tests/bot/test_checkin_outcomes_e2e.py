"""Outcomes over time in `/treatment lookup`, through the real client and the double: a
line while too few members have checked in long enough, rounded counts from k on (read from
the server's latest release), and nothing for members who may not see the server's results."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.app import AnagenBot
from bot.storage import Database
from bot.storage.checkins import CheckinRepository
from bot.storage.clock import stamp
from bot.storage.guilds import GuildSettingsRepository
from bot.storage.responses import Answer, checkin_tables
from bot.storage.tx import Tx
from tests.double import DiscordDouble, User
from tests.releases_driver import publish

START = "2025-01"
TWO_MONTHS = datetime(2025, 3, 10, 18, tzinfo=UTC)
THREE_MONTHS = datetime(2025, 4, 15, 18, tzinfo=UTC)
SIX_MONTHS = datetime(2025, 7, 15, 18, tzinfo=UTC)
# A release counts the changes dated after the newest one the release before it held, so
# members checking in for the next release do so a few days after the first ones.
LATER = timedelta(days=5)


async def checked_in(
    db: Database,
    guild_id: int,
    user_id: int,
    shedding: str,
    sexual: bool,
    at: Sequence[datetime] = (THREE_MONTHS, SIX_MONTHS),
) -> None:
    """A member who started finasteride in January and checked in at each of `at` (at three
    and at six months unless told), saying the same about shedding every time and, at the
    last check-in, reporting a sexual side effect when `sexual`."""
    await db.run(
        lambda tx: CheckinRepository(tx).start_treatments(
            guild_id, user_id, [("finasteride", START)], THREE_MONTHS
        )
    )
    for index, when in enumerate(at):
        effects = ("sexual",) if sexual and index == len(at) - 1 else ("none",)

        def unit(tx: Tx, when: datetime = when, effects: tuple[str, ...] = effects) -> None:
            responses = checkin_tables(lambda: stamp(when)).on(tx)
            response = responses.create(guild_id, user_id, 1, "dm")
            responses.save_answer(response.id, ("current", ""), Answer(("finasteride",)))
            responses.save_answer(response.id, ("shedding", ""), Answer((shedding,)))
            responses.save_answer(
                response.id, ("regimen.side_effects", "finasteride"), Answer(effects)
            )
            responses.update(response.id, position=None, completed=True)

        await db.run(unit)


async def outcomes_field(double: DiscordDouble, member: User, name: str) -> str | None:
    reply = await double.slash(member, "treatment lookup", name=name)
    message = await reply.wait_followup()  # the lookup is deferred, then sent
    fields = {f["name"]: f["value"] for f in message.embeds[0]["fields"]}
    return fields.get("Outcomes over time")


BELOW = (
    "Outcomes over time appear once at least 5 members who started it have checked in "
    "3 months or more after starting."
)


async def test_outcomes_over_time_appear_only_from_the_group_size(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    guild = double.guild.id
    releases = bot.services.results.releases
    answers = ["less", "same", "more"] * 5  # five each; k is 5 by default
    for index, shedding in enumerate(answers[:4]):
        await checked_in(bot.db, guild, 7000 + index, shedding, sexual=shedding == "less")
    for index in range(2):  # started it too, but checked in only two months on: not counted
        await checked_in(bot.db, guild, 7100 + index, "less", sexual=True, at=(TWO_MONTHS,))
    for index in range(6):  # another server's members never count here
        await checked_in(bot.db, guild + 1, 7500 + index, "less", sexual=True)
    assert await outcomes_field(double, member, "finasteride") == BELOW  # no release yet

    first = await publish(releases, guild)  # 10 check-ins: a batch
    assert first.respondents == 0  # nobody completed the survey: outcomes come from check-ins
    # four members reached three months: the release has them, and shows no number
    (_, part) = await releases.part(guild, "outcomes:finasteride") or (None, None)
    assert part is not None
    assert [horizon["cohort"] for horizon in part["horizons"]] == [None, None]
    assert await outcomes_field(double, member, "finasteride") == BELOW

    for index, shedding in enumerate(answers[4:], start=4):
        await checked_in(
            bot.db,
            guild,
            7000 + index,
            shedding,
            sexual=shedding == "less",
            at=(THREE_MONTHS + LATER, SIX_MONTHS + LATER),
        )
    assert await outcomes_field(double, member, "finasteride") == BELOW  # until the release
    await publish(releases, guild)
    shown = await outcomes_field(double, member, "propecia")
    assert shown is not None
    lines = shown.splitlines()
    # every count here is a multiple of 5, which rounding leaves as it is
    assert lines[:6] == [
        "**3+ months after starting** · 15 members",
        "Shedding since their previous check-in: less 5 · same 5 · more 5",
        "Side effects reported: sexual <5 · mood <5 · heart symptoms <5 · skin irritation <5 "
        "· unwanted hair <5 · other <5",
        "**6+ months after starting** · 15 members",
        "Shedding since their previous check-in: less 5 · same 5 · more 5",
        "Side effects reported: sexual 5 · mood <5 · heart symptoms <5 · skin irritation <5 "
        "· unwanted hair <5 · other <5",
    ]
    assert lines[6].startswith("-# Members who gave their start month")
    assert "rounded to a multiple of 5" in lines[6]
    assert "<5 is 0 to 4" in lines[6]

    # an entry the survey does not ask about has neither report
    assert await outcomes_field(double, member, "nutrafol") is None


async def test_outcomes_follow_the_results_visibility(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    guild = double.guild.id
    for index, shedding in enumerate(["less", "same", "more"] * 3):
        await checked_in(bot.db, guild, 8000 + index, shedding, sexual=False)
    await publish(bot.services.results.releases, guild)
    nine = re.compile(r"· (5|10) members")  # 9, rounded to a neighbouring multiple of 5
    assert nine.search(await outcomes_field(double, member, "finasteride") or "")

    def managers_only(tx: Tx) -> None:
        settings = GuildSettingsRepository(tx)
        settings.save(replace(settings.of(guild), results_visibility="managers"))

    await bot.db.run(managers_only)
    assert await outcomes_field(double, member, "finasteride") is None
    moderator = double.add_member("mod", admin=True)
    assert nine.search(await outcomes_field(double, moderator, "finasteride") or "")
