"""Issue 13: one bot over several processes, each holding a range of Discord's shards.

The settings (ANAGEN_SHARDS, ANAGEN_SHARD_COUNT) read directly; the bot through the real
discord.py client against the double, which routes each guild's events to its shard.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import AnagenBot
from bot.settings import Settings, SettingsError, read_settings
from bot.shards import format_shard_ids
from bot.storage.location import PostgresLocation
from tests.conftest import BotStarter
from tests.databases import drop_schema, fresh_schema
from tests.double import DiscordDouble
from tests.double.model import Guild, User

POSTGRES_URL = "postgresql://anagen@db.example/anagen"  # parsed only, never connected to
COMMANDS_PATH = r"/applications/\d+/commands"


def shard_settings(
    shards: str = "", count: str = "", database: str = POSTGRES_URL
) -> tuple[Settings, list[str]]:
    environ = {"ANAGEN_SHARDS": shards, "ANAGEN_SHARD_COUNT": count, "ANAGEN_DATABASE": database}
    return read_settings(environ, env_file=None, require_token=False)


# -- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shards", "count", "expected_ids", "expected_count"),
    [
        ("", "", None, None),  # one process, as many shards as Discord recommends
        ("", "8", None, 8),  # a count alone: this process holds all 8
        ("0-3", "8", (0, 1, 2, 3), 8),
        ("0,2,5", "8", (0, 2, 5), 8),
        ("4", "8", (4,), 8),
        (" 0 - 1 , 6 ", "8", (0, 1, 6), 8),
        ("3,1-2,2", "4", (1, 2, 3), 4),  # sorted, each once
    ],
)
def test_shard_settings_are_read(
    shards: str, count: str, expected_ids: tuple[int, ...] | None, expected_count: int | None
) -> None:
    settings, problems = shard_settings(shards, count)
    assert problems == []
    assert (settings.shard_ids, settings.shard_count) == (expected_ids, expected_count)


@pytest.mark.parametrize(
    ("shards", "count", "expected"),
    [
        ("0-3", "", ["ANAGEN_SHARDS='0-3' needs ANAGEN_SHARD_COUNT"]),
        ("0-8", "8", ["ANAGEN_SHARDS='0-8'", "shard 8 does not exist", "0 to 7"]),
        ("-1", "8", ["ANAGEN_SHARDS='-1'", "start at 0", "negative"]),
        ("0,-2", "8", ["ANAGEN_SHARDS='0,-2'", "negative"]),
        ("3-0", "8", ["the range 3-0 runs backwards", "write 0-3"]),
        ("first", "8", ["ANAGEN_SHARDS='first' is not a set of shard ids", "such as 0-3"]),
        ("0,,1", "8", ["ANAGEN_SHARDS='0,,1' is not a set of shard ids"]),
        ("", "0", ["ANAGEN_SHARD_COUNT='0' is not a number of shards", "1 or more"]),
        ("0", "two", ["ANAGEN_SHARD_COUNT='two' is not a number of shards"]),
        ("", "-4", ["ANAGEN_SHARD_COUNT='-4'"]),
    ],
)
def test_each_shard_problem_is_one_readable_line(
    shards: str, count: str, expected: list[str]
) -> None:
    settings, problems = shard_settings(shards, count)
    assert len(problems) == 1, problems
    assert "\n" not in problems[0]
    for fragment in expected:
        assert fragment in problems[0]
    assert (settings.shard_ids, settings.shard_count) == (None, None)  # the defaults


def test_shard_problems_are_listed_with_the_others() -> None:
    _, problems = read_settings(
        {"ANAGEN_SHARDS": "x", "ANAGEN_SHARD_COUNT": "2", "ANAGEN_LOG_LEVEL": "loud"},
        env_file=None,
        require_token=False,
    )
    assert len(problems) == 2
    assert any(p.startswith("ANAGEN_SHARDS='x'") for p in problems)
    assert any(p.startswith("ANAGEN_LOG_LEVEL") for p in problems)


def test_sqlite_refuses_shards_left_to_other_processes(tmp_path: Path) -> None:
    database = str(tmp_path / "anagen.db")
    settings, problems = shard_settings("0-3", "8", database)
    assert settings.shard_ids is None
    [problem] = problems
    assert problem.startswith("ANAGEN_SHARDS=0-3 of ANAGEN_SHARD_COUNT=8")
    assert f"ANAGEN_DATABASE={database!r} is an SQLite file, which serves one process" in problem
    assert "ANAGEN_DATABASE=postgresql://" in problem
    assert "Running at scale" in problem


@pytest.mark.parametrize(("shards", "count"), [("", "8"), ("0-7", "8"), ("0,1", "2"), ("0", "1")])
def test_sqlite_serves_one_process_holding_every_shard(
    tmp_path: Path, shards: str, count: str
) -> None:
    settings, problems = shard_settings(shards, count, str(tmp_path / "anagen.db"))
    assert problems == []
    assert settings.shard_count == int(count)


def test_command_line_values_win_and_are_named_in_problems() -> None:
    environ = {"ANAGEN_SHARDS": "0", "ANAGEN_SHARD_COUNT": "4", "ANAGEN_DATABASE": POSTGRES_URL}
    settings, problems = read_settings(
        environ, env_file=None, require_token=False, shards="1-3", shard_count="8"
    )
    assert problems == []
    assert (settings.shard_ids, settings.shard_count) == ((1, 2, 3), 8)

    _, problems = read_settings(environ, env_file=None, require_token=False, shards="5")
    assert problems == [
        "--shards='5': shard 5 does not exist with ANAGEN_SHARD_COUNT=4 (ids run from 0 to 3)."
    ]


def test_shard_ids_are_written_back_compactly() -> None:
    assert format_shard_ids((0, 1, 2, 3)) == "0-3"
    assert format_shard_ids((5, 0, 2, 1)) == "0-2,5"
    assert format_shard_ids((7,)) == "7"


def test_the_bot_refuses_a_partial_shard_range_on_sqlite(tmp_path: Path) -> None:
    """Settings built in code get the same check as those read from the environment."""
    settings = Settings(token=None, database=tmp_path / "anagen.db", shard_ids=(1,), shard_count=2)
    with pytest.raises(SettingsError) as refused:
        AnagenBot(settings)
    assert "serves one process only" in str(refused.value)


# -- the bot against the double ---------------------------------------------------------------


def guild_on_shard(double: DiscordDouble, shard: int, count: int, member: User) -> Guild:
    guild = double.add_guild(f"Shard {shard} server", shard=(shard, count))
    double.join(member, guild)
    return guild


async def test_one_process_holding_two_shards_answers_on_both(
    double: DiscordDouble,
    start_bot: BotStarter,
    settings: Settings,
    member: User,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = guild_on_shard(double, 0, 2, member)
    second = guild_on_shard(double, 1, 2, member)
    caplog.set_level(logging.INFO, logger="bot.app")

    async with start_bot(replace(settings, shard_ids=(0, 1), shard_count=2)) as bot:
        on_first = await double.slash(member, "about", guild=first)
        on_second = await double.slash(member, "about", guild=second)

        assert sorted(bot.shards) == [0, 1]
        assert bot.get_guild(first.id).shard_id == 0  # type: ignore[union-attr]
        assert bot.get_guild(second.id).shard_id == 1  # type: ignore[union-attr]

    assert sorted(double.identified_shards) == [(0, 2), (1, 2)]
    assert (on_first.shard, on_second.shard) == (0, 1)
    for reply in (on_first, on_second):
        assert reply.callback_type == 4
        assert "/survey delete" in reply.message.text
    assert double.count("PUT", COMMANDS_PATH) == 1
    assert "This process holds shards 0-1 of 2" in caplog.text
    assert "holding shards 0-1 of 2" in caplog.text  # on_ready


async def test_without_shard_settings_the_bot_takes_discords_recommended_count(
    double: DiscordDouble, start_bot: BotStarter, settings: Settings, member: User
) -> None:
    double.recommended_shards = 2
    second = guild_on_shard(double, 1, 2, member)

    async with start_bot(settings) as bot:
        reply = await double.slash(member, "about", guild=second)
        assert bot.shard_count == 2
        assert bot.shard_ids is None  # all of them

    assert sorted(double.identified_shards) == [(0, 2), (1, 2)]
    assert reply.shard == 1
    assert reply.callback_type == 4


async def test_dms_reach_the_process_holding_shard_zero(
    double: DiscordDouble, start_bot: BotStarter, settings: Settings, member: User
) -> None:
    async with start_bot(replace(settings, shard_ids=(0, 1), shard_count=2)):
        reply = await double.slash(member, "about", dm=True)
    assert reply.shard == 0
    assert reply.callback_type == 4


# -- several processes over one PostgreSQL database -------------------------------------------


@pytest.fixture
def shared(postgres: str) -> Iterator[PostgresLocation]:
    """A fresh PostgreSQL schema: several bot processes need a database made for several."""
    location = fresh_schema(postgres)
    yield location
    drop_schema(postgres, location)


async def test_two_processes_split_the_shards_and_only_shard_zero_syncs(
    double: DiscordDouble,
    start_bot: BotStarter,
    shared: PostgresLocation,
    member: User,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = guild_on_shard(double, 0, 2, member)
    second = guild_on_shard(double, 1, 2, member)
    base = Settings(
        token=double.token,
        database=shared,
        owner_ids=frozenset({double.owner.id}),
        shard_count=2,
    )
    caplog.set_level(logging.INFO, logger="bot.app")

    async with (
        start_bot(replace(base, shard_ids=(0,))) as zero,
        start_bot(replace(base, shard_ids=(1,))) as one,
    ):
        on_first = await double.slash(member, "about", guild=first)
        on_second = await double.slash(member, "about", guild=second)
        assert zero.get_guild(second.id) is None  # the other process's server
        assert one.get_guild(first.id) is None

    assert sorted(double.identified_shards) == [(0, 2), (1, 2)]
    assert (on_first.shard, on_second.shard) == (0, 1)
    assert on_first.callback_type == on_second.callback_type == 4
    assert double.count("PUT", COMMANDS_PATH) == 1  # by shard 0's process only
    assert "left to the process holding shard 0" in caplog.text


async def test_a_process_without_shard_zero_syncs_when_told_to(
    double: DiscordDouble, start_bot: BotStarter, shared: PostgresLocation
) -> None:
    """`anagen sync` forces a sync from wherever it runs, shard 0 or not."""
    settings = Settings(token=double.token, database=shared, shard_ids=(1,), shard_count=2)
    async with start_bot(settings):
        pass
    assert double.count("PUT", COMMANDS_PATH) == 0
    async with start_bot(settings, force_sync=True):
        pass
    assert double.count("PUT", COMMANDS_PATH) == 1
