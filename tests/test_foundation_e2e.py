"""The real discord.py client against the double: login, sync, /about, reconnects, rate limits."""

from __future__ import annotations

import asyncio

import discord

from bot.app import AnagenBot
from bot.settings import Settings
from tests.conftest import BotStarter
from tests.double import DiscordDouble, User

COMMANDS_PATH = r"/applications/\d+/commands"


async def test_start_syncs_commands_and_answers_about(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    assert double.identify_count == 1
    assert double.count("PUT", COMMANDS_PATH) == 1
    synced = {c["name"]: c["description"] for c in double.global_commands}
    assert synced["about"] == "What Anagen is, what it stores about you and how to delete it"
    assert synced["sync-commands"].startswith("Operators only")

    reply = await double.slash(member, "about")

    assert reply.callback_type == 4
    assert reply.message.ephemeral
    assert bot.version in reply.message.text
    assert "/survey delete" in reply.message.text


async def test_second_start_with_same_tree_does_not_sync(
    double: DiscordDouble, start_bot: BotStarter, settings: Settings
) -> None:
    async with start_bot(settings):
        pass
    async with start_bot(settings):
        pass
    assert double.identify_count == 2
    assert double.count("PUT", COMMANDS_PATH) == 1


async def test_forced_sync_syncs_even_when_unchanged(
    double: DiscordDouble, start_bot: BotStarter, settings: Settings
) -> None:
    async with start_bot(settings):
        pass
    async with start_bot(settings, force_sync=True):
        pass
    assert double.count("PUT", COMMANDS_PATH) == 2


async def test_dev_guild_gets_its_own_sync(
    double: DiscordDouble, start_bot: BotStarter, settings: Settings, member: User
) -> None:
    from dataclasses import replace

    async with start_bot(replace(settings, dev_guild_id=double.guild.id)):
        reply = await double.slash(member, "about")
    assert double.count("PUT", rf"/applications/\d+/guilds/{double.guild.id}/commands") == 1
    assert double.count("PUT", COMMANDS_PATH) == 0
    assert reply.callback_type == 4


async def test_survives_forced_gateway_disconnect(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    await double.drop_gateway(code=4000)
    await double.wait_until(lambda: double.resume_count == 1, timeout=15)

    reply = await double.slash(member, "about")
    assert reply.callback_type == 4
    assert double.identify_count == 1  # resumed, not re-identified


async def test_events_sent_while_disconnected_are_replayed_on_resume(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    await double.drop_gateway(code=4000)
    reply = await double.slash(member, "about")  # waits in the backlog until RESUME
    assert reply.callback_type == 4
    assert double.resume_count == 1


async def test_reconnect_request_is_honoured(double: DiscordDouble, bot: AnagenBot, member: User) -> None:
    await double.send_reconnect()
    await double.wait_until(lambda: double.resume_count == 1, timeout=15)
    assert (await double.slash(member, "about")).callback_type == 4


async def test_rate_limited_request_is_retried(double: DiscordDouble, bot: AnagenBot) -> None:
    user = double.add_member("sam")
    double.fail("POST", r"/channels/\d+/messages", status=429, times=2, retry_after=0.05)

    dm = await bot.create_dm(discord.Object(id=user.id))
    await dm.send("hello")

    assert double.count("POST", r"/channels/\d+/messages") == 3
    assert [m.content for m in double.dms(user)] == ["hello"]


async def test_closed_dms_are_reported_as_50007(double: DiscordDouble, bot: AnagenBot) -> None:
    user = double.add_member("closed")
    user.dms_open = False
    dm = await bot.create_dm(discord.Object(id=user.id))
    try:
        await dm.send("hello")
    except discord.Forbidden as exc:
        assert exc.code == 50007
    else:
        raise AssertionError("sending to closed DMs must fail")


async def test_unexpected_error_gives_incident_id_and_logs_traceback(
    double: DiscordDouble, bot: AnagenBot, member: User, caplog
) -> None:
    async def broken(interaction: discord.Interaction) -> None:
        raise RuntimeError("secret internals")

    bot.tree.get_command("about").callback = lambda cog, interaction: broken(interaction)  # type: ignore[union-attr]

    reply = await double.slash(member, "about")
    await asyncio.sleep(0)

    assert reply.message.ephemeral
    assert "incident" in reply.message.content
    assert "secret internals" not in reply.message.content
    incident = reply.message.content.split("`")[1]
    assert any(incident in r.getMessage() and r.exc_info for r in caplog.records)
