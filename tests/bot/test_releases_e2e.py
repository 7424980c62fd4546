"""Results as releases, end to end: the real client, the double, a real database.

What the public reads only moves when a release is made; a release follows a batch of
changes, is made in the background (time moved on a ManualClock, never slept) and by one
process however many share the database; charts mark what they hold back.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import AnagenBot
from bot.clock import ManualClock
from bot.erasure import erase_member
from bot.results.charts import read_drawn
from bot.results.service import ResultsService
from bot.settings import Settings
from bot.storage import Database
from bot.storage.location import DatabaseLocation
from bot.survey.questionnaire import load_questionnaire
from tests.bot.test_results_e2e import member_answers
from tests.checkin_driver import run_until
from tests.conftest import BotStarter
from tests.databases import rows
from tests.double import DiscordDouble, User
from tests.releases_driver import publish
from tests.survey_driver import seed_response, treatment_answers


async def seed(db: Database, guild_id: int, count: int, start: int = 0, seed: int = 7) -> None:
    rng = random.Random(seed)
    for index in range(start, start + count):
        answers = member_answers(rng, index, receding=index % 3 != 0)
        if index % 2:
            answers.update(treatment_answers("finasteride", "better", "no_change"))
        await seed_response(db, guild_id, 50_000 + index, answers)


async def public_view(double: DiscordDouble, member: User) -> tuple[str, bytes, str, str]:
    """Everything a member reads: /survey results (text and chart), a comparison, and the
    member reports of a lookup."""
    results = (await double.slash(member, "survey results")).message
    compared = await (
        await double.slash(member, "survey compare", question="sensations:any", by="loss_pattern")
    ).wait_followup(timeout=30)
    looked_up = await (await double.slash(member, "treatment lookup", name="fin")).wait_followup()
    reports = {f["name"]: f["value"] for f in looked_up.embeds[0]["fields"]}
    return results.text, results.attachments[0].data, compared.text, reports["Community reports"]


async def test_nothing_public_moves_between_releases(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    releases = bot.services.results.releases
    guild = double.guild.id
    await seed(bot.db, guild, 30)
    first = await publish(releases, guild)
    seen = await public_view(double, member)
    assert "30 members, as of" in seen[0]

    # fewer changes than a batch (2k = 10): 6 completions and 2 erasures
    await seed(bot.db, guild, 6, start=30, seed=8)
    for user_id in (50_000, 50_001):
        await erase_member(bot.db, guild, user_id)
    releases.clock = ManualClock(datetime.now(UTC) + timedelta(days=2))  # time is no excuse
    assert await releases.make_due() == []
    assert await public_view(double, member) == seen

    # two more complete: the batch is full, and the next release moves everything at once
    await seed(bot.db, guild, 2, start=36, seed=9)
    second = await publish(releases, guild)
    assert second.number == first.number + 1
    assert second.respondents == 36
    moved = await public_view(double, member)
    assert "36 members, as of" in moved[0]
    # the erased members are out of it
    stored = rows(bot.settings.database, "SELECT count(*) FROM responses WHERE user_id = 50000")
    assert stored[0][0] == 0
    # what a release keeps for its own audit (who it counted) is never read out
    with pytest.raises(KeyError):
        await releases.part(guild, "private:members")


async def test_a_release_follows_a_batch_in_the_background_and_is_announced(
    double: DiscordDouble, start_bot: BotStarter, settings: Settings
) -> None:
    clock = ManualClock(datetime.now(UTC))
    async with start_bot(settings, clock=clock) as bot:
        member = double.add_member("reader")
        channel = double.guild.general
        moderator = double.add_member("mod", admin=True)
        await bot.services.results.update_settings(double.guild.id, announce_channel_id=channel.id)
        await seed(bot.db, double.guild.id, 9)
        # the maker looks every 30 s; 9 changes are not a batch
        clock.advance(timedelta(minutes=5))
        await asyncio.sleep(0.2)
        assert await bot.services.results.releases.latest(double.guild.id) is None
        status = await double.slash(moderator, "survey-admin release")
        assert "9 of the 10 a release waits for" in status.message.text
        assert "after 1 more changes" in status.message.text

        await seed(bot.db, double.guild.id, 1, start=9)
        # within the quiet minute after the last answer nothing is made
        clock.advance(timedelta(seconds=31))
        await asyncio.sleep(0.2)
        assert await bot.services.results.releases.latest(double.guild.id) is None

        clock.advance(timedelta(minutes=2))
        announced = await run_until(
            clock,
            lambda: [m for m in double.channel_messages(channel) if "New community" in m.text],
        )
        assert "10 members, as of" in announced[0].text
        assert announced[0].attachments[0].filename == "survey-results.png"
        reply = await double.slash(member, "survey results")
        assert "10 members, as of" in reply.message.text


async def test_two_processes_make_one_release(db_location: DatabaseLocation) -> None:
    """Two bot processes share a PostgreSQL database (or, here too, one SQLite file): each
    sees the release is due, one makes it, the other skips it, and nothing is built twice."""
    questionnaire = load_questionnaire()
    async with await Database.open(db_location) as first_db:
        await seed(first_db, 1, 12)
        async with await Database.open(db_location) as second_db:
            services = [ResultsService(db, questionnaire) for db in (first_db, second_db)]
            later = ManualClock(datetime.now(UTC) + timedelta(minutes=2))
            built = []
            for service in services:
                service.releases.clock = later
                charts = service.releases.charts
                assert charts is not None

                def counting(parts, charts=charts):  # type: ignore[no-untyped-def]
                    built.append(1)
                    return charts(parts)

                service.releases.charts = counting
            made = await asyncio.gather(*(s.releases.make(1) for s in services))
    assert len([record for record in made if record is not None]) == 1
    assert len(built) == 1
    stored = [tuple(row) for row in rows(db_location, "SELECT number, status FROM releases")]
    assert stored == [(1, "ready")]


async def test_itch_by_burning_is_comparable_again(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    rng = random.Random(4)
    for index in range(60):
        answers = member_answers(rng, index, receding=True)
        felt = [s for s in ("itch", "burning") if rng.random() < 0.5]
        answers[("sensations", "")] = member_answers(rng, 0, receding=True)[("sensations", "")]
        if felt:
            from bot.survey.flow import Answer

            answers[("sensations", "")] = Answer(choices=tuple(felt))
        await seed_response(bot.db, double.guild.id, 80_000 + index, answers)
    await publish(bot.services.results.releases, double.guild.id)
    reply = await double.slash(
        member, "survey compare", question="sensations:itch", by="sensations:burning"
    )
    message = await reply.wait_followup(timeout=30)
    assert "Itch — by" in message.embeds[0]["title"]
    assert "Fisher's exact test" in message.text


async def test_a_hidden_group_is_marked_on_the_chart(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    from tests.bot.test_results_e2e import seed as seed_patterns

    await seed_patterns(bot, double.guild.id, 30, 3)  # 3 diffuse thinners: few in Norwood 5-7
    await publish(bot.services.results.releases, double.guild.id)
    reply = await double.slash(member, "survey compare", question="dandruff", by="stage_group")
    message = await reply.wait_followup(timeout=30)
    drawn = read_drawn(message.attachments[0].data)
    hidden = [group["label"] for group in drawn["hidden_groups"]]
    assert hidden == ["Norwood 5-7"]
    assert "Held back, fewer than 5 members each: the group “Norwood 5-7”" in message.text


async def test_lookups_answer_in_time_while_members_compare(
    double: DiscordDouble, bot: AnagenBot
) -> None:
    """Eight members compare at once (each drawing a chart no one asked for before) while
    three look treatments up: the double fails any interaction answered after 3 s."""
    await seed(bot.db, double.guild.id, 60)
    await publish(bot.services.results.releases, double.guild.id)
    pairs = [
        ("shedding", "age"),
        ("dandruff", "age"),
        ("oiliness", "age"),
        ("shedding", "sex"),
        ("dandruff", "norwood"),
        ("oiliness", "stage_group"),
        ("sensations:itch", "shedding"),
        ("speed", "age"),
    ]
    comparers = [double.add_member(f"c{i}") for i in range(len(pairs))]
    readers = [double.add_member(f"r{i}") for i in range(3)]
    compares = [
        double.slash(user, "survey compare", question=question, by=by)
        for user, (question, by) in zip(comparers, pairs, strict=True)
    ]
    lookups = [double.slash(user, "treatment lookup", name="fin") for user in readers]
    replies = await asyncio.gather(*compares, *lookups)
    for reply in replies:
        assert reply.callback_type == 5  # acknowledged in time (the double checks the 3 s)
    for reply in replies[len(pairs) :]:
        looked_up = await reply.wait_followup(timeout=30)
        assert looked_up.embeds[0]["title"].startswith("Finasteride")


async def test_results_commands_have_a_per_member_cooldown(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    await seed(bot.db, double.guild.id, 12)
    await publish(bot.services.results.releases, double.guild.id)
    texts = [(await double.slash(member, "survey results")).message.text for _ in range(4)]
    assert all("12 members" in text for text in texts[:3])
    assert "again in" in texts[3]
    other = double.add_member("other")
    assert "12 members" in (await double.slash(other, "survey results")).message.text


async def test_a_moderator_can_ask_for_a_release_before_the_day_is_out(
    double: DiscordDouble, bot: AnagenBot
) -> None:
    releases = bot.services.results.releases
    moderator = double.add_member("mod", admin=True)
    await seed(bot.db, double.guild.id, 12)
    await publish(releases, double.guild.id)
    await seed(bot.db, double.guild.id, 10, start=12, seed=3)
    # an hour later (and a quiet minute after the last answer): the day is not over
    releases.clock = ManualClock(datetime.now(UTC) + timedelta(hours=1))
    status = await double.slash(moderator, "survey-admin release")
    assert "once a day" in status.message.text
    asked = await double.slash(moderator, "survey-admin release", publish_soon=True)
    assert "#2" in asked.message.text
    assert (await releases.latest(double.guild.id)).respondents == 22  # type: ignore[union-attr]


async def test_a_server_can_count_only_established_members(
    double: DiscordDouble, bot: AnagenBot
) -> None:
    """Against a crowd of fresh accounts (k - 1 of them could otherwise reduce a batch to
    the one member they want to watch): only members of 30+ days, or with a role, count."""
    moderator = double.add_member("mod", admin=True)
    saved = await double.slash(moderator, "survey-admin settings", count_min_days=30)
    assert "members of the server for 30+ days" in saved.message.text
    recent = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    regulars = [double.add_member(f"regular{i}") for i in range(12)]
    newcomers = [double.add_member(f"new{i}") for i in range(4)]
    for user in newcomers:
        user.joined_at = recent
    leaver = double.add_member("leaver")
    rng = random.Random(2)
    for index, user in enumerate([*regulars, *newcomers, leaver]):
        await seed_response(
            bot.db, double.guild.id, user.id, member_answers(rng, index, receding=True)
        )
    double.remove_member(leaver)
    record = await publish(bot.services.results.releases, double.guild.id)
    assert record.respondents == 12  # not the newcomers, not the member who left

    regulars[0].roles.append("4242")
    regulars[1].roles.append("4242")
    await bot.services.results.update_settings(double.guild.id, count_role_id=4242)
    await seed(bot.db, double.guild.id, 10, start=100)  # ids of no member: not counted
    second = await publish(bot.services.results.releases, double.guild.id)
    assert second.respondents == 2
