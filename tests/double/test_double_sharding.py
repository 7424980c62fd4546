"""The double shards like Discord, checked with discord.py's real sharded clients.

Guilds are placed on shards with `add_guild(shard=(i, n))`; each client (one holding both
shards, or one per shard as separate processes would) must see exactly its shards' guilds
and get exactly their events, DMs going to shard 0.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from typing import Any, TypeVar

import discord
import pytest
from discord import app_commands

from bot.app import minimal_intents
from tests.double import DiscordDouble, User
from tests.double.model import Guild, shard_of

C = TypeVar("C", bound=discord.Client)


class Again(discord.ui.View):
    """A button answering with the client's name: component routing follows the message."""

    def __init__(self, name: str) -> None:
        super().__init__(timeout=None)
        self.name = name

    @discord.ui.button(label="Again")
    async def again(self, interaction: discord.Interaction, _: discord.ui.Button[Again]) -> None:
        await interaction.response.send_message(self.name)


class Probe(discord.AutoShardedClient):
    """A minimal sharded bot: /where answers with the client's name (so a test sees which
    client, hence which shard, got the interaction) and it keeps the DMs it receives."""

    def __init__(self, name: str, **options: Any) -> None:
        super().__init__(intents=minimal_intents(), guild_ready_timeout=0.2, **options)
        self.name = name
        self.dms: list[discord.Message] = []
        self.tree = app_commands.CommandTree(self)

        async def where(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(self.name, view=Again(self.name))

        self.tree.command(name="where", description="Which client answers")(where)

    async def setup_hook(self) -> None:
        await self.tree.sync()

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """The double does not enforce the one-IDENTIFY-per-5-s limit; skip the library's wait."""

    async def on_message(self, message: discord.Message) -> None:
        if self.user is not None and message.author.id != self.user.id:
            self.dms.append(message)


@contextlib.asynccontextmanager
async def running(client: C, token: str) -> AsyncIterator[C]:
    """Start `client` against the double and wait until every shard it holds is ready."""
    task = asyncio.create_task(client.start(token))
    try:
        async with asyncio.timeout(15):
            while not client.is_ready():
                if task.done():
                    task.result()  # surfaces a start-up failure
                await asyncio.sleep(0.01)
        yield client
    finally:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError, discord.ConnectionClosed):
            await task


async def refused_code(double: DiscordDouble, shard_id: int, shard_count: int) -> int:
    """The close code a plain client identifying with these shard settings gets."""
    client = discord.Client(intents=minimal_intents(), shard_id=shard_id, shard_count=shard_count)
    with pytest.raises(discord.ConnectionClosed) as refused:
        async with asyncio.timeout(10), client:
            await client.start(double.token)
    return refused.value.code


@pytest.fixture
def world(double: DiscordDouble) -> tuple[Guild, Guild, User]:
    """A guild on each of two shards and a member of both."""
    zero = double.add_guild("Zero", shard=(0, 2))
    one = double.add_guild("One", shard=(1, 2))
    member = double.add_member("alex", guild=zero)
    double.join(member, one)
    return zero, one, member


def ids(guilds: Iterable[Guild | discord.Guild]) -> set[int]:
    return {g.id for g in guilds}


def names(double: DiscordDouble, shard: int) -> list[str]:
    return [event["t"] for event in double.events(shard)]


def test_guilds_land_on_the_shard_asked_for(double: DiscordDouble) -> None:
    for count in range(1, 8):
        for shard in range(count):
            guild = double.add_guild(f"g{shard}/{count}", shard=(shard, count))
            assert shard_of(guild.id, count) == (guild.id >> 22) % count == shard
            assert guild.general.guild_id == guild.id
            assert ids(double.guilds_on(shard, count)) >= {guild.id}
    with pytest.raises(ValueError, match="does not exist"):
        double.add_guild("nowhere", shard=(2, 2))


def test_members_belong_to_guilds(double: DiscordDouble, world: tuple[Guild, Guild, User]) -> None:
    zero, one, member = world
    loner = double.add_member("sam", guild=one)
    assert zero.member(loner.id) is None
    assert double.guild.member(loner.id) is None
    assert double.shares_guild(loner)
    double.remove_member(loner, one)
    assert not double.shares_guild(loner)
    double.remove_member(member, zero)
    assert double.shares_guild(member)  # still in `one`
    assert double.guild.member(double.add_member("kim").id) is not None  # the default guild


async def test_one_client_holding_both_shards(
    double: DiscordDouble, world: tuple[Guild, Guild, User]
) -> None:
    zero, one, member = world
    async with running(Probe("both", shard_ids=[0, 1], shard_count=2), double.token) as client:
        assert sorted(double.identified_shards) == [(0, 2), (1, 2)]
        assert ids(client.guilds) == set(double.guilds)
        for shard in (0, 1):
            events = double.events(shard)
            assert [e["s"] for e in events] == list(range(1, len(events) + 1))  # own sequence
            ready, *created = events
            expected = ids(double.guilds_on(shard, 2))
            assert ready["t"] == "READY"
            assert ready["d"]["shard"] == [shard, 2]
            assert {int(g["id"]) for g in ready["d"]["guilds"]} == expected
            assert {int(e["d"]["id"]) for e in created if e["t"] == "GUILD_CREATE"} == expected
        for guild, shard in ((zero, 0), (one, 1)):
            reply = await double.slash(member, "where", guild=guild)
            assert (reply.shard, reply.guild_id, reply.message.content) == (shard, guild.id, "both")
            assert double.shard_of(guild.id) == shard
        assert not double.undeliverable


async def test_clients_holding_one_shard_each(
    double: DiscordDouble, world: tuple[Guild, Guild, User]
) -> None:
    zero, one, member = world
    async with (
        running(Probe("zero", shard_ids=[0], shard_count=2), double.token) as first,
        running(Probe("one", shard_ids=[1], shard_count=2), double.token) as second,
    ):
        assert ids(first.guilds) == ids(double.guilds_on(0, 2))
        assert zero.id in ids(first.guilds)
        assert ids(second.guilds) == ids(double.guilds_on(1, 2))
        assert one.id in ids(second.guilds)
        for guild, client in ((zero, first), (one, second)):
            reply = await double.slash(member, "where", guild=guild)
            assert reply.message.content == client.name
            again = await double.click(member, reply.message, "Again")
            assert (again.shard, again.guild_id) == (reply.shard, guild.id)
            assert again.message.content == client.name

        in_dm = await double.slash(member, "where", dm=True)
        assert (in_dm.shard, in_dm.guild_id, in_dm.message.content) == (0, None, "zero")
        await double.dm(member, "hello")
        await double.wait_until(lambda: first.dms)
        assert [m.content for m in first.dms] == ["hello"]
        assert "MESSAGE_CREATE" not in names(double, 1)
        assert not second.dms

        only_zero = double.add_member("sam", guild=zero)
        shard_one_guild = second.get_guild(one.id)
        assert shard_one_guild is not None
        assert (await shard_one_guild.fetch_member(member.id)).id == member.id
        with pytest.raises(discord.NotFound):
            await shard_one_guild.fetch_member(only_zero.id)


async def test_client_without_shard_settings_uses_the_recommended_count(
    double: DiscordDouble, world: tuple[Guild, Guild, User]
) -> None:
    double.recommended_shards = 2
    async with running(Probe("auto"), double.token) as client:
        assert client.shard_count == 2
        assert sorted(client.shards) == [0, 1]
        assert sorted(double.identified_shards) == [(0, 2), (1, 2)]
        assert ids(client.guilds) == set(double.guilds)
        limits = await client.fetch_session_start_limits()
        assert (limits.total, limits.remaining, limits.max_concurrency) == (1000, 998, 1)


async def test_one_shard_resumes_while_the_other_stays_connected(
    double: DiscordDouble, world: tuple[Guild, Guild, User]
) -> None:
    zero, one, member = world
    async with running(Probe("both", shard_ids=[0, 1], shard_count=2), double.token):
        await double.drop_gateway(code=4000, shard=1)
        queued = await double.slash(member, "where", guild=one, wait=False)  # in the backlog
        untouched = await double.slash(member, "where", guild=zero)
        assert (untouched.shard, untouched.message.content) == (0, "both")

        async with asyncio.timeout(10):  # replayed once shard 1 resumes
            await queued.answered.wait()
        assert (queued.shard, queued.message.content) == (1, "both")
        await double.wait_shards_ready([0, 1])
        assert double.resumed_shards == [(1, 2)]
        assert double.identify_count == 2
        shard_one = names(double, 1)
        assert shard_one.index("INTERACTION_CREATE") < shard_one.index("RESUMED")  # replayed
        assert "RESUMED" not in names(double, 0)

        await double.send_reconnect(shard=0)
        await double.wait_until(lambda: len(double.resumed_shards) == 2, timeout=15)
        assert double.resumed_shards[-1] == (0, 2)
        await double.wait_ready()
        assert (await double.slash(member, "where", guild=zero)).message.content == "both"


async def test_events_for_a_shard_that_never_identified_are_undeliverable(
    double: DiscordDouble, world: tuple[Guild, Guild, User]
) -> None:
    _, one, member = world
    async with running(Probe("zero", shard_ids=[0], shard_count=2), double.token):
        lost = await double.slash(member, "where", guild=one, wait=False)
        assert lost.shard is None
        assert lost.callback_type is None
        assert [(u.shard_id, u.shard_count, u.name) for u in double.undeliverable] == [
            (1, 2, "INTERACTION_CREATE")
        ]
        with pytest.raises(AssertionError, match="never identified"):
            await double.slash(member, "where", guild=one)


async def test_invalid_shard_is_closed_with_4010(double: DiscordDouble) -> None:
    assert await refused_code(double, shard_id=2, shard_count=2) == 4010
    assert double.identify_count == 0


async def test_a_second_shard_count_at_the_same_time_is_closed_with_4010(
    double: DiscordDouble,
) -> None:
    async with running(Probe("zero", shard_ids=[0], shard_count=2), double.token):
        assert await refused_code(double, shard_id=1, shard_count=3) == 4010
        assert double.identified_shards == [(0, 2)]
