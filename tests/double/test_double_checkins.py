"""What check-in reminders need from the Discord double, exercised through discord.py:
fetching a member (and one who left), closed DMs, and a global rate limit with a
sliding-window request counter."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import discord
import pytest

from bot.app import AnagenBot
from tests.double import DiscordDouble, User
from tests.double.server import Recorded
from tests.double.validation import get_validator

MEMBER_PATH = r"/guilds/\d+/members/\d+"


def guild_of(bot: AnagenBot, double: DiscordDouble) -> discord.Guild:
    guild = bot.get_guild(double.guild.id)
    assert guild is not None
    return guild


async def raw(
    double: DiscordDouble, method: str, path: str, *, auth: bool = True
) -> tuple[int, Any, dict[str, str]]:
    """One request as any HTTP client would send it: status, JSON body, headers."""
    headers = {"Authorization": f"Bot {double.token}"} if auth else {}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, double.api_url + path, headers=headers) as response,
    ):
        return response.status, await response.json(), dict(response.headers)


# -- members ----------------------------------------------------------------------------------


async def test_fetch_member_finds_a_member_until_they_leave(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    guild = guild_of(bot, double)
    fetched = await guild.fetch_member(member.id)
    assert (fetched.id, fetched.name, fetched.guild.id) == (member.id, member.name, guild.id)

    double.remove_member(member)
    with pytest.raises(discord.NotFound) as gone:
        await guild.fetch_member(member.id)
    assert gone.value.code == 10007
    assert gone.value.text == "Unknown Member"
    assert [r.status for r in double.requests if r.path.startswith("/guilds/")] == [200, 404]


async def test_member_route_and_payloads_follow_discords_openapi_description(
    double: DiscordDouble, member: User
) -> None:
    validator = get_validator()
    path = f"/guilds/{double.guild.id}/members/{member.id}"
    assert validator.operation_id("GET", path) == "get_guild_member"

    status, body, _ = await raw(double, "GET", path)
    assert status == 200
    assert body["user"]["id"] == str(member.id)
    assert validator.validate_response("GET", path, status, body) == []

    double.remove_member(member)
    status, body, _ = await raw(double, "GET", path)
    assert (status, body) == (404, {"message": "Unknown Member", "code": 10007})
    assert validator.validate_response("GET", path, status, body) == []

    other_guild = f"/guilds/{double.guild.id + 1}/members/{member.id}"
    status, body, _ = await raw(double, "GET", other_guild)
    assert (status, body["code"]) == (404, 10004)


# -- DMs --------------------------------------------------------------------------------------


async def test_closed_dms_refuse_with_50007_until_reopened(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    channel = await bot.create_dm(discord.Object(member.id))
    await channel.send("first")

    double.close_dms(member)
    with pytest.raises(discord.Forbidden) as closed:
        await channel.send("while closed")
    assert closed.value.code == 50007

    double.open_dms(member)
    await channel.send("reopened")
    assert [m.content for m in double.dms(member)] == ["first", "reopened"]


async def test_a_member_who_left_every_shared_server_cannot_be_messaged(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    channel = await bot.create_dm(discord.Object(member.id))
    double.remove_member(member)
    with pytest.raises(discord.Forbidden) as refused:
        await channel.send("are you still there?")
    assert refused.value.code == 50007
    assert double.dms(member) == []


# -- global rate limit ------------------------------------------------------------------------


def test_the_window_counter_slides() -> None:
    double = DiscordDouble()
    for at, bound, status in [
        (10.0, True, 200),
        (10.1, True, 200),
        (10.5, True, 429),
        (10.95, True, 200),
        (11.0, False, 200),  # an interaction callback: not under the global limit
        (11.2, True, 200),
        (11.3, False, 200),
        (13.0, True, 200),
    ]:
        double.requests.append(Recorded("GET", "/x", None, status, at=at, global_bound=bound))
    assert double.max_requests_per_window(1.0) == 4  # 10.0 to 10.95
    assert double.max_requests_per_window(1.0, admitted_only=True) == 3
    assert double.max_requests_per_window(1.0, interactions=True) == 5  # 10.5 to 11.3
    assert double.max_requests_per_window(1.0, since=11.1) == 1
    assert double.max_requests_per_window(0.05) == 1
    assert DiscordDouble().max_requests_per_window() == 0


async def test_the_global_limit_answers_429_like_discord(double: DiscordDouble) -> None:
    validator = get_validator()
    assert double.global_rate_limit is None  # off unless a test asks
    double.global_rate_limit = 2
    statuses = []
    for _ in range(3):
        status, body, headers = await raw(double, "GET", "/users/@me")
        statuses.append(status)
    assert statuses == [200, 200, 429]
    assert body["message"] == "You are being rate limited."
    assert body["global"] is True
    assert 0 < body["retry_after"] <= 1.0
    assert headers["X-RateLimit-Global"] == "true"
    assert headers["X-RateLimit-Scope"] == "global"
    assert int(headers["Retry-After"]) >= body["retry_after"]
    assert validator.validate_response("GET", "/users/@me", 429, body) == []
    assert double.rate_limited == 1

    # Interaction endpoints are not bound to the global limit: this one gets its own error.
    webhook = f"/webhooks/{double.application_id}/no-such-token/messages/@original"
    status, body, _ = await raw(double, "GET", webhook, auth=False)
    assert (status, body["code"]) == (404, 10015)
    assert double.rate_limited == 1
    assert double.max_requests_per_window(1.0) == 3
    assert double.max_requests_per_window(1.0, interactions=True) == 4


async def test_discordpy_waits_out_a_global_429_and_the_double_counts_it(
    double: DiscordDouble, bot: AnagenBot, member: User, caplog: pytest.LogCaptureFixture
) -> None:
    guild = guild_of(bot, double)
    await asyncio.sleep(double.global_rate_window)  # start-up requests leave the window
    start = time.monotonic()
    double.global_rate_limit = 3

    fetched = [await guild.fetch_member(member.id) for _ in range(5)]

    assert all(m.id == member.id for m in fetched)
    assert double.rate_limited >= 1  # discord.py slept on retry_after and tried again
    assert "Global rate limit has been hit" in caplog.text  # it read `global: true`
    fetches = [r for r in double.requests if r.at >= start and r.path.startswith("/guilds/")]
    statuses = [r.status for r in fetches]
    assert statuses.count(200) == 5
    assert statuses.count(429) == double.rate_limited
    assert double.max_requests_per_window(1.0, since=start, admitted_only=True) <= 3
    assert double.max_requests_per_window(1.0, since=start) > 3  # the 429s were counted
    retried = fetches[statuses.index(429) + 1]
    first = fetches[0]
    assert retried.at - first.at >= double.global_rate_window  # it waited for a free slot


# -- nonces (enforce_nonce) -------------------------------------------------------------------

MESSAGES_PATH = r"/channels/\d+/messages"


async def test_the_same_nonce_sent_twice_posts_one_message(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    channel = await bot.create_dm(discord.Object(member.id))
    first = await channel.send("Time for your check-in", nonce="anagen-r7")
    again = await channel.send("Time for your check-in", nonce="anagen-r7")

    assert again.id == first.id  # Discord answered the retry with the message it had
    [stored] = double.dms(member)
    assert (stored.id, stored.nonce) == (first.id, "anagen-r7")
    posts = [r for r in double.requests if r.method == "POST" and r.path.endswith("/messages")]
    assert [r.status for r in posts] == [200, 200]
    assert all(r.body["enforce_nonce"] is True for r in posts)  # discord.py asks for it

    other = await channel.send("Time for your check-in", nonce="anagen-r8")
    assert other.id != first.id
    assert len(double.dms(member)) == 2


async def test_a_nonce_only_deduplicates_when_enforced_in_the_window_and_channel(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    channel = await bot.create_dm(discord.Object(member.id))
    await channel.send("one", nonce="n-1")
    body = {"content": "two", "nonce": "n-1"}  # no enforce_nonce: a nonce is only echoed
    await bot.http.request(
        discord.http.Route("POST", "/channels/{c}/messages", c=channel.id), json=body
    )
    assert [m.content for m in double.dms(member)] == ["one", "two"]

    elsewhere = guild_of(bot, double).text_channels[0]
    await elsewhere.send("three", nonce="n-1")  # the same nonce in another channel
    assert [m.content for m in double.channel_messages(double.general)] == ["three"]

    double.nonce_window = 0.0  # as if the first send were more than a few minutes ago
    await channel.send("four", nonce="n-1")
    assert [m.content for m in double.dms(member)] == ["one", "two", "four"]


async def test_a_held_answer_means_the_message_exists_before_the_sender_knows(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    channel = await bot.create_dm(discord.Object(member.id))
    double.delay("POST", MESSAGES_PATH, after=1.0)
    sending = asyncio.create_task(channel.send("held", nonce="h-1"))
    await double.wait_until(lambda: double.holding == 1)
    assert [m.content for m in double.dms(member)] == ["held"]
    assert not sending.done()
    sent = await sending
    assert double.holding == 0
    assert sent.id == double.dms(member)[0].id


async def test_a_slow_request_changes_nothing_until_it_is_acted_on(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    channel = await bot.create_dm(discord.Object(member.id))
    double.delay("POST", MESSAGES_PATH, before=1.0)
    sending = asyncio.create_task(channel.send("slow"))
    await double.wait_until(lambda: any(r.path.endswith("/messages") for r in double.requests))
    assert double.dms(member) == []
    await sending
    assert [m.content for m in double.dms(member)] == ["slow"]
    double.delays.clear()
    await channel.send("fast")
    assert double.holding == 0


# -- scale ------------------------------------------------------------------------------------


async def test_members_and_dms_are_found_by_id_among_thousands(
    double: DiscordDouble, bot: AnagenBot
) -> None:
    crowd = [double.add_member(f"m{i}") for i in range(2000)]
    guild = guild_of(bot, double)
    last, middle = crowd[-1], crowd[1000]
    assert (await guild.fetch_member(last.id)).id == last.id
    for user in (middle, last):
        await (await bot.create_dm(discord.Object(user.id))).send(f"hello {user.name}")
    assert [m.content for m in double.dms(middle)] == ["hello m1000"]
    assert double.dms(crowd[0]) == []

    double.remove_member(middle)
    assert not double.shares_guild(middle)
    assert double.shares_guild(last)
    with pytest.raises(discord.NotFound):
        await guild.fetch_member(middle.id)

    # A test that changes the member list directly is still seen.
    double.guild.members.append(middle)
    assert double.shares_guild(middle)
    double.guild.members = [m for m in double.guild.members if m.id != last.id]
    assert not double.shares_guild(last)
