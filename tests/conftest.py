"""Fixtures: a running Discord double and the real bot connected to it, on a fresh database
of each backend (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.app import AnagenBot
from bot.settings import Settings
from bot.storage import Database
from bot.storage.location import DatabaseLocation, SQLiteLocation
from tests import pg_cluster
from tests.databases import POSTGRES_ENV, drop_schema, fresh_schema
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


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _postgres_source() -> str:
    """Where the PostgreSQL half runs: a server CI started, one this session will start,
    or nowhere."""
    if os.environ.get(POSTGRES_ENV):
        return f"the server in ${POSTGRES_ENV}"
    if (binaries := pg_cluster.find_binaries()) is not None:
        return f"a throw-away cluster started with {binaries}"
    return ""


def pytest_report_header() -> str:
    source = _postgres_source()
    if source:
        return f"anagen: every database test runs on SQLite and on PostgreSQL ({source})"
    return (
        "anagen: !!! PostgreSQL IS NOT INSTALLED: the PostgreSQL half of the suite is SKIPPED "
        "(install Debian's `postgresql` package, or set ANAGEN_TEST_POSTGRES) !!!"
    )


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str | None]:
    """The PostgreSQL server for the session's tests (started on first use), or None."""
    if url := os.environ.get(POSTGRES_ENV):
        yield url
        return
    if pg_cluster.find_binaries() is None:
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="anagen-pg-"))
    try:
        yield pg_cluster.start(folder)
    finally:
        pg_cluster.stop(folder)


@pytest.fixture
def postgres(postgres_server: str | None) -> str:
    """The test server's URL; without PostgreSQL the test is skipped (never in CI)."""
    if postgres_server is None:
        if _in_ci():
            pytest.fail("CI must run the PostgreSQL half: PostgreSQL is not installed")
        pytest.skip("PostgreSQL is not installed")
    return postgres_server


@pytest.fixture(params=["sqlite", "postgresql"])
def db_location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DatabaseLocation]:
    """A fresh, empty database: an SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield SQLiteLocation(tmp_path / "anagen.db")
        return
    server: str = request.getfixturevalue("postgres")
    location = fresh_schema(server)
    yield location
    drop_schema(server, location)


@pytest.fixture
async def db(db_location: DatabaseLocation) -> AsyncIterator[Database]:
    """The store itself, opened (and migrated) on a fresh database of each backend."""
    async with await Database.open(db_location) as database:
        yield database


@pytest.fixture
def settings(double: DiscordDouble, db_location: DatabaseLocation) -> Settings:
    return Settings(
        token=double.token,
        database=db_location,
        owner_ids=frozenset({double.owner.id}),
    )


@pytest.fixture
def start_bot(double: DiscordDouble) -> BotStarter:
    """Start the real bot against the double; leaves it running until the block ends."""

    @contextlib.asynccontextmanager
    async def starter(settings: Settings, **kwargs: Any) -> AsyncIterator[AnagenBot]:
        # The double sends every server right after READY: no need for discord.py's 2 s
        # wait for more (half of the suite's time went there).
        kwargs.setdefault("guild_ready_timeout", 0.2)
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


# -- tiers ------------------------------------------------------------------------------------
# Test files live in a folder by the highest tier of their tests (tests/unit, storage, bot,
# processes, audits, and the Discord double's own tests beside it in tests/double), and every
# test gets one tier marker (CONTRIBUTING.md, "Tests"):
#   unit      pure code, no database and no Discord
#   storage   a real database of each backend (the `db`/`db_location` fixtures)
#   bot       the real discord.py client against the Discord double (the `double` fixture)
#   processes separate processes, killed, sharded or on a terminal (tests/processes)
#   audits    the privacy attack on releases (tests/audits)
#   double    the Discord double's own tests (tests/double)
# A test's marker follows what it uses, so the unit tests of a file in tests/bot stay in the
# fast lane. Bot-level tests run on SQLite; `--bot-backend=postgresql` runs their PostgreSQL
# half (a step of its own in the README's test command and in CI).
FOLDER_TIERS = ("processes", "audits", "double")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--bot-backend",
        choices=("sqlite", "postgresql"),
        default="sqlite",
        help="the database bot-level tests (through the Discord double) run on",
    )


def _tier(item: pytest.Item) -> str:
    folder = item.path.parent.name
    fixtures = set(getattr(item, "fixturenames", ()))
    if folder in FOLDER_TIERS:
        return folder
    if "double" in fixtures:
        return "bot"
    if fixtures & {"db", "db_location", "postgres", "postgres_server"}:
        return "storage"
    return "unit"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    backend = config.getoption("--bot-backend")
    kept, dropped = [], []
    for item in items:
        tier = _tier(item)
        item.add_marker(getattr(pytest.mark, tier))
        callspec = getattr(item, "callspec", None)
        on = callspec.params.get("db_location") if callspec is not None else None
        if tier == "bot" and on is not None and on != backend:
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
