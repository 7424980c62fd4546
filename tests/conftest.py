"""Fixtures: a running Discord double and the real bot connected to it, on a fresh database."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.app import AnagenBot
from bot.settings import Settings
from tests.double import DiscordDouble, User

BotStarter = Callable[..., contextlib.AbstractAsyncContextManager[AnagenBot]]


@pytest.fixture
async def double(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[DiscordDouble]:
    """A fresh double; the test fails if the bot sent anything Discord would have rejected."""
    server = DiscordDouble()
    await server.start()
    monkeypatch.setattr(Route, "BASE", server.api_url)
    monkeypatch.setattr(DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(server.gateway_url))
    yield server
    await server.close()
    assert not server.rejections, "the double rejected requests:\n" + "\n".join(server.rejections)


@pytest.fixture
def settings(double: DiscordDouble, tmp_path: Path) -> Settings:
    return Settings(
        token=double.token,
        database_path=tmp_path / "anagen.db",
        owner_ids=frozenset({double.owner.id}),
    )


@pytest.fixture
def start_bot(double: DiscordDouble) -> BotStarter:
    """Start the real bot against the double; leaves it running until the block ends."""

    @contextlib.asynccontextmanager
    async def starter(settings: Settings, **kwargs: Any) -> AsyncIterator[AnagenBot]:
        bot = AnagenBot(settings, **kwargs)
        task = asyncio.create_task(bot.start(settings.token or ""))
        try:
            async with asyncio.timeout(15):
                while not bot.is_ready():
                    if task.done():
                        task.result()  # surfaces a start-up failure
                    await asyncio.sleep(0.01)
            yield bot
        finally:
            await bot.close()
            with contextlib.suppress(asyncio.CancelledError, discord.ConnectionClosed):
                await task

    return starter


@pytest.fixture
async def bot(start_bot: BotStarter, settings: Settings) -> AsyncIterator[AnagenBot]:
    async with start_bot(settings) as running:
        yield running


@pytest.fixture
def member(double: DiscordDouble) -> User:
    return double.add_member("alex")
