"""The real discord.py client against the double: login, sync, /about, reconnects, rate limits."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import sys
from pathlib import Path

import discord
import pytest

from bot.app import AnagenBot, extension_names
from bot.settings import Settings
from bot.storage.meta import MetaRepository
from tests.conftest import BotStarter
from tests.databases import env_value, sqlite_path
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
    assert "not affiliated with any company" in reply.message.text


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


async def test_reconnect_request_is_honoured(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
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
    with pytest.raises(discord.Forbidden) as caught:
        await dm.send("hello")
    assert caught.value.code == 50007


async def test_unexpected_error_gives_incident_id_and_logs_traceback(
    double: DiscordDouble, bot: AnagenBot, member: User, caplog
) -> None:
    @bot.tree.command(name="explode", description="Fails on purpose")
    async def explode(interaction: discord.Interaction) -> None:
        raise RuntimeError("secret internals")

    await bot.tree.sync()
    reply = await double.slash(member, "explode")
    await asyncio.sleep(0)

    assert reply.message.ephemeral
    assert "incident" in reply.message.content
    assert "secret internals" not in reply.message.content
    incident = reply.message.content.split("`")[1]
    assert any(incident in r.getMessage() and r.exc_info for r in caplog.records)


async def test_double_rejects_what_discord_would_reject(
    double: DiscordDouble, bot: AnagenBot
) -> None:
    user = double.add_member("sam")
    view = discord.ui.View()
    view.add_item(
        discord.ui.Select(options=[discord.SelectOption(label=f"o{i}") for i in range(26)])
    )
    dm = await bot.create_dm(discord.Object(id=user.id))

    with pytest.raises(discord.HTTPException) as caught:
        await dm.send("pick one", view=view)

    assert (caught.value.status, caught.value.code) == (400, 50035)
    assert double.dms(user) == []
    assert any("options" in r for r in double.rejections)
    double.rejections.clear()  # expected here; any other rejection fails the test


async def test_every_cog_is_loaded(bot: AnagenBot) -> None:
    assert sorted(bot.extensions) == extension_names()
    assert bot.get_cog("About") is not None


async def test_backup_while_the_bot_holds_the_database(
    bot: AnagenBot, settings: Settings, tmp_path: Path
) -> None:
    for i in range(50):
        await bot.db.run(lambda tx, i=i: MetaRepository(tx).remember(f"row{i}", str(i)))
    sqlite_path(settings.database)
    copy = tmp_path / "backup.db"
    env = {**os.environ, "ANAGEN_DATABASE": env_value(settings.database)}
    env.pop("DISCORD_TOKEN", None)

    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "db",
        "backup",
        str(copy),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await process.communicate()

    assert process.returncode == 0, err.decode()
    original = await bot.db.read(lambda tx: tx.rows("SELECT key, value FROM meta ORDER BY key"))
    with contextlib.closing(sqlite3.connect(copy)) as conn:
        assert conn.execute("SELECT key, value FROM meta ORDER BY key").fetchall() == [
            tuple(row) for row in original
        ]
    await bot.db.run(lambda tx: MetaRepository(tx).remember("after", "backup"))  # still writes
