"""The survey under load: N members answering by clicks at once, against a bare bot (the floor).

On SQLite and on PostgreSQL (``bench/scale_out.py`` compares one bot process with two).

Run from the repository root:

    .venv/bin/python bench/survey_load.py [--members 1000] [--concurrency 200]
                                          [--backend sqlite|postgresql|both] [--postgres URL]

`--backend` defaults to both when PostgreSQL is installed (Debian's `postgresql` package:
`initdb` and `pg_ctl`) or `--postgres` is given, else to SQLite alone (and says so).

Everything runs in this one process, on one event loop, over
loopback: the Discord double (``tests.double``) and the real, unmodified ``AnagenBot``
connected to it exactly as the end-to-end tests do (``Route.BASE`` and
``DiscordWebSocket.DEFAULT_GATEWAY`` patched), once per backend, each time over a fresh
database:

  - SQLite: a file in a temporary folder, with ``Database.open``'s settings (WAL,
    ``synchronous=NORMAL``: a COMMIT is not fsynced, safe against a crash of the bot, not of
    the machine).
  - PostgreSQL: a fresh schema on a throw-away cluster the bench starts itself
    (``tests/pg_cluster.start`` in a temporary folder, Unix socket only, stopped and removed at
    the end) with PostgreSQL's DEFAULT durability: ``fsync=on``, ``synchronous_commit=on``,
    ``full_page_writes=on`` (unlike the test suite's cluster, which turns fsync off), so every
    COMMIT waits for its WAL to reach the disk. ``--postgres URL`` uses an existing server
    instead (its own settings, printed); the schema is dropped at the end either way.

So the backends are compared as Anagen configures them, not at equal durability.

Anagen run. N members are added to the double's server. Start phase: each runs
``/survey start`` and presses **Start the survey** in DMs (not measured). Click phase: each
answers every question by clicks (``tests.survey_driver.click_through`` with ``CLICKS``; the
age and notes questions open a form and submit it) and presses **Done**. At most C members
act at the same time (``asyncio.Semaphore``); each member clicks as soon as the previous
click was answered, so this is a saturation test, not a model of human think time.

Floor run (once, after the Anagen runs). A fresh double and a bare ``commands.Bot`` with
Anagen's intents whose only job is to answer every component interaction with
``interaction.response.edit_message(content="ok")``. Each member gets a message with one
button and clicks it as many times as members clicked in the first Anagen run, under the
same semaphore.

For every interaction of the click phase, the handling time is from the moment the double
sent INTERACTION_CREATE (``Interaction.sent_at``) to the moment the bot's callback request
reached the double (``Interaction.answered_at``), both ``time.monotonic()``; an answer that
came after Discord's 3 s deadline (rejected with 10062) still counts its time. Because the bot,
the double and the simulated members share one loop, queueing behind other members' work
(and the double's own JSON and schema validation) is part of every figure, for Anagen and
for the floor alike; the ratio Anagen / floor is therefore the price of Anagen's work per
click (database transaction, rendering) over the least any discord.py bot must do. The one
exception is the double's jsonschema validation of request bodies (1-6 ms each, more for
Anagen's embeds than for the floor's "ok"): it is switched off during the runs and applied
afterwards to the recorded bodies (all of them, or an even sample above 1,500), so an invalid
body is still reported as a rejection without its cost being charged to the bot.

Printed, one row per backend and one for the floor: p50 and p99 in ms, each backend's ratio
to the same floor run (target: p99 within 1.3x the floor), the interactions slower than
Discord's 3 s deadline (answered late, rejected with 10062, or never answered), Discord API
calls per clicked answer during the click phase (target: 1, the callback that edits the
message in place), clicks per second; then a line comparing PostgreSQL with SQLite; then per
run whether every answer is in the database, the double's rejections, the errors logged,
and wall and CPU times.

A benchmark, not a test: it asserts nothing about time; ratios are taken against runs
measured in the same invocation. ``--members 50`` is a quick smoke run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import discord
import yarl
from discord.ext import commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bench.storage import (
    add_backend_options,
    chosen_backends,
    postgres_server,
    server_conditions,
)
from bot.app import AnagenBot, minimal_intents
from bot.settings import Settings
from bot.storage import Database
from bot.storage.location import DatabaseLocation, SQLiteLocation
from bot.storage.tx import Tx
from tests.databases import drop_schema, fresh_schema
from tests.double import DiscordDouble, Interaction, Message, User
from tests.double.model import snowflake
from tests.double.validation import RequestValidator, get_validator
from tests.survey_driver import CLICKS, click_through, start_survey

DEADLINE_S = 3.0
VALIDATE_AT_MOST = 1500
BACKENDS = ("sqlite", "postgresql")


class ValidateLater(RequestValidator):
    """Accepts every body during the run; `check` validates what the double recorded afterwards.

    Validating a body with jsonschema costs the double 1-6 ms on the shared loop, more for
    Anagen's embeds and components than for the floor's ``{"content": "ok"}``; measured live,
    it would be charged to the bot. The bodies are still all checked, off the clock.
    """

    def __init__(self) -> None:  # the real validator is loaded only when checking
        pass

    def validate(self, method: str, path: str, body: Any) -> list[str]:
        return []

    @staticmethod
    def check(double: DiscordDouble) -> tuple[int, int, list[str]]:
        """(bodies checked, bodies sent, problems); samples evenly above VALIDATE_AT_MOST."""
        sent = [r for r in double.requests if r.method in ("POST", "PUT", "PATCH")]
        step = max(1, -(-len(sent) // VALIDATE_AT_MOST))
        checked = sent[::step]
        validator = get_validator()
        problems = [
            f"{r.method} {r.path}: " + "; ".join(found)
            for r in checked
            if (found := validator.validate(r.method, r.path, r.body if r.body is not None else {}))
        ]
        return len(checked), len(sent), problems


class LogCounter(logging.Handler):
    """Keeps every WARNING-or-worse record the bot (or discord.py) logs during a run."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


@dataclass
class Run:
    name: str
    latencies_ms: list[float] = field(default_factory=list)
    clicks: int = 0
    late: int = 0  # answered after the deadline, rejected 10062, or never answered
    api_calls: int = 0
    non_callback_calls: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0
    failures: list[str] = field(default_factory=list)
    rejections: list[str] = field(default_factory=list)
    logged: list[str] = field(default_factory=list)
    clicks_per_member: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def pct(self, p: int) -> float:
        return percentile(self.latencies_ms, p)


@contextlib.asynccontextmanager
async def running_double() -> AsyncIterator[DiscordDouble]:
    """A started double with discord.py pointed at it (as tests/conftest.py does)."""
    double = DiscordDouble(validator=ValidateLater())
    await double.start()
    saved = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = double.api_url  # type: ignore[misc]
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(double.gateway_url)
    try:
        yield double
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved  # type: ignore[misc]
        await double.close()


@contextlib.asynccontextmanager
async def running(client: commands.Bot, token: str) -> AsyncIterator[None]:
    task = asyncio.create_task(client.start(token))
    try:
        async with asyncio.timeout(60):
            while not client.is_ready():
                if task.done():
                    task.result()
                await asyncio.sleep(0.01)
        yield
    finally:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError, discord.ConnectionClosed):
            await task


async def bounded(
    semaphore: asyncio.Semaphore, work: Callable[[], Awaitable[Any]], failures: list[str]
) -> Any:
    async with semaphore:
        try:
            return await work()
        except Exception as exc:  # a member who got stuck; counted, not fatal
            failures.append(f"{type(exc).__name__}: {exc}"[:300])
            return None


def cpu_note(cpu_s: float, wall_s: float) -> str:
    share = cpu_s / wall_s if wall_s else 0.0
    return f"click phase: CPU {cpu_s:.1f} s in {wall_s:.1f} s wall ({share:.0%} of one core)"


def timed(record: Interaction, latencies_ms: list[float]) -> bool:
    """Add the interaction's handling time (if the bot answered at all, even too late) to
    `latencies_ms`; whether it missed the deadline: late, rejected, or never answered."""
    if record.answered_at is None:
        return True
    elapsed = record.answered_at - record.sent_at
    latencies_ms.append(elapsed * 1000)
    return elapsed > DEADLINE_S or record.error is not None


def measure(run: Run, double: DiscordDouble, new: list[Interaction], first_request: int) -> None:
    """Fill in the latency, deadline and API-call figures for the click phase."""
    run.clicks = len(new)
    for record in new:
        run.late += timed(record, run.latencies_ms)
    phase = double.requests[first_request:]
    run.api_calls = len(phase)
    for request in phase:
        if not request.path.endswith("/callback"):
            key = f"{request.method} {request.path.split('/')[1]}/…"
            run.non_callback_calls[key] = run.non_callback_calls.get(key, 0) + 1
    run.rejections = rejections(double, run.notes)


def rejections(double: DiscordDouble, notes: list[str]) -> list[str]:
    """The double's rejections and the bodies found invalid after the run (noted in `notes`)."""
    checked, sent, problems = ValidateLater.check(double)
    notes.append(f"request bodies validated after the run: {checked} of {sent}")
    return list(double.rejections) + problems


# -- what the bot stored ---------------------------------------------------------------------


def expected_answers(asked: dict[int, list[str]]) -> int:
    """Answer rows the finished members' steps make (a group question: one per item)."""
    return sum(
        sum(len(CLICKS[s.split("/")[0]][1]) if "/" in s else 1 for s in steps)
        for steps in asked.values()
    )


async def stored_note(location: DatabaseLocation, members: int, expected: int) -> str:
    """Completed responses and their answers, read back through Anagen's own store."""

    def count(tx: Tx) -> tuple[int, int]:
        completed = tx.value("SELECT count(*) FROM responses WHERE status = 'completed'")
        stored = tx.value(
            "SELECT count(*) FROM answers JOIN responses r ON r.id = response_id"
            " WHERE r.status = 'completed'"
        )
        return int(completed), int(stored)

    async with await Database.open(location, migrate=False) as db:
        completed, stored = await db.read(count)
    return (
        f"database: {completed}/{members} responses completed, "
        f"{stored}/{expected} answers of the finished members stored"
        + (" (all there)" if stored == expected and completed == members else " (MISSING)")
    )


# -- backends: Anagen in this process, against the floor ------------------------------------


async def anagen_run(
    name: str, members: int, concurrency: int, database: DatabaseLocation, logs: LogCounter
) -> Run:
    run = Run(name)
    async with running_double() as double:
        users = [double.add_member(f"member{i}") for i in range(members)]
        bot = AnagenBot(Settings(token=double.token, database=database))
        async with running(bot, double.token):
            semaphore = asyncio.Semaphore(concurrency)
            started = time.perf_counter()
            firsts: list[Message | None] = await asyncio.gather(
                *(
                    bounded(semaphore, lambda u=u: start_survey(double, u, 120), run.failures)
                    for u in users
                )
            )
            run.notes.append(f"start phase: {time.perf_counter() - started:.1f} s")
            await asyncio.sleep(0.5)  # let the start phase's last requests land
            logs.records.clear()
            known = set(double.interactions)
            first_request = len(double.requests)
            asked: dict[int, list[str]] = {}

            async def answer_all(user: User, first: Message) -> None:
                summary, steps = await click_through(double, user, first, CLICKS)
                asked[user.id] = steps
                done = await double.click(user, summary, "Done")
                if "Thank you" not in done.message.text:
                    raise AssertionError(f"Done did not finish: {done.message.text[:100]!r}")

            started, cpu = time.perf_counter(), time.process_time()
            await asyncio.gather(
                *(
                    bounded(semaphore, lambda u=u, f=f: answer_all(u, f), run.failures)
                    for u, f in zip(users, firsts, strict=True)
                    if f is not None
                )
            )
            run.wall_s = time.perf_counter() - started
            run.notes.append(cpu_note(time.process_time() - cpu, run.wall_s))
            await asyncio.sleep(0.5)  # anything the bot still sends belongs to the phase
            new = [r for i, r in double.interactions.items() if i not in known]
            measure(run, double, new, first_request)
            per_member: dict[int, int] = {}
            for record in new:
                per_member[record.user.id] = per_member.get(record.user.id, 0) + 1
            run.clicks_per_member = [per_member.get(u.id, 0) for u in users]
        run.logged = [f"{r.name}: {r.getMessage()}"[:300] for r in logs.records]
    run.notes.append(await stored_note(database, members, expected_answers(asked)))
    return run


class FloorBot(commands.Bot):
    """The least a discord.py bot can do for a click: acknowledge it by editing in place."""

    def __init__(self) -> None:
        super().__init__(command_prefix=commands.when_mentioned, intents=minimal_intents())

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type is discord.InteractionType.component:
            await interaction.response.edit_message(content="ok")


async def floor_run(clicks_per_member: list[int], concurrency: int, logs: LogCounter) -> Run:
    run = Run("floor")
    async with running_double() as double:
        users = [double.add_member(f"member{i}") for i in range(len(clicks_per_member))]
        buttons: dict[int, Message] = {}
        for user in users:
            channel = double.dm_channel(user)
            message = Message(
                id=snowflake(),
                channel_id=channel.id,
                author=double.bot,
                content="ok",
                components=[
                    {
                        "type": 1,
                        "components": [{"type": 2, "style": 1, "label": "ok", "custom_id": "ok"}],
                    }
                ],
                base_url=double.base_url,
            )
            double.messages[message.id] = message
            buttons[user.id] = message
        client = FloorBot()
        async with running(client, double.token):
            logs.records.clear()
            semaphore = asyncio.Semaphore(concurrency)
            first_request = len(double.requests)

            async def click(user: User, times: int) -> None:
                for _ in range(times):
                    await double.click(user, buttons[user.id], "ok")

            started, cpu = time.perf_counter(), time.process_time()
            await asyncio.gather(
                *(
                    bounded(semaphore, lambda u=u, n=n: click(u, n), run.failures)
                    for u, n in zip(users, clicks_per_member, strict=True)
                )
            )
            run.wall_s = time.perf_counter() - started
            run.notes.append(cpu_note(time.process_time() - cpu, run.wall_s))
            await asyncio.sleep(0.5)
            measure(run, double, list(double.interactions.values()), first_request)
        run.logged = [f"{r.name}: {r.getMessage()}"[:300] for r in logs.records]
    return run


def print_problems(failures: list[str], found: list[str], logged: list[str]) -> None:
    print(f"  members who got stuck: {len(failures)}")
    for failure in sorted(set(failures))[:5]:
        print(f"    {failure}")
    print(f"  requests the double rejected: {len(found)}")
    for rejection in found[:5]:
        print(f"    {rejection}")
    print(f"  warnings and errors logged: {len(logged)}")
    for line in sorted(set(logged))[:5]:
        print(f"    {line}")


def report(
    members: int, concurrency: int, runs: list[Run], floor: Run, conditions: dict[str, str]
) -> None:
    print(f"members: {members}, concurrency: {concurrency}")
    for run in runs:
        print(f"  {run.name}: {conditions[run.name]}")
    header = f"{'':11} {'clicks':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'>3 s':>5}"
    print(header + f" {'API calls/click':>16} {'wall s':>7} {'clicks/s':>9}")
    for run in (*runs, floor):
        peak = max(run.latencies_ms, default=float("nan"))
        per_click = ratio(run.api_calls, run.clicks)
        rate = ratio(run.clicks, run.wall_s)
        print(
            f"{run.name:11} {run.clicks:>7} {run.pct(50):>8.1f} {run.pct(99):>8.1f} {peak:>8.1f}"
            f" {run.late:>5} {per_click:>16.3f} {run.wall_s:>7.1f} {rate:>9.0f}"
        )
    for run in runs:
        print(
            f"{'ratio':11} {'':>7} {ratio(run.pct(50), floor.pct(50)):>8.2f}"
            f" {ratio(run.pct(99), floor.pct(99)):>8.2f}"
            f"   ({run.name} / floor; target p99 <= 1.3)"
        )
    named = {run.name: run for run in runs}
    if set(named) == set(BACKENDS):
        pg, lite = named["postgresql"], named["sqlite"]
        print(
            f"postgresql / sqlite: p50 {ratio(pg.pct(50), lite.pct(50)):.2f},"
            f" p99 {ratio(pg.pct(99), lite.pct(99)):.2f},"
            f" clicks/s {ratio(pg.clicks / pg.wall_s, lite.clicks / lite.wall_s):.2f}"
        )
    for run in (*runs, floor):
        print(f"\n[{run.name}]")
        for note in run.notes:
            print(f"  {note}")
        if run.non_callback_calls:
            print(f"  API calls besides callbacks: {run.non_callback_calls}")
        else:
            print("  API calls besides callbacks: none")
        print_problems(run.failures, run.rejections, run.logged)


async def backends_async(
    members: int, concurrency: int, backends: list[str], server_url: str | None
) -> None:
    logs = LogCounter()
    logging.getLogger().addHandler(logs)
    logging.getLogger().setLevel(logging.WARNING)
    started = time.perf_counter()
    runs: list[Run] = []
    conditions: dict[str, str] = {}
    for backend in backends:
        if backend == "sqlite":
            with tempfile.TemporaryDirectory(prefix="anagen-load-") as folder:
                location = SQLiteLocation(Path(folder) / "anagen.db")
                runs.append(await anagen_run(backend, members, concurrency, location, logs))
            conditions[backend] = f"SQLite {sqlite3.sqlite_version}, WAL, synchronous=NORMAL"
        else:
            assert server_url is not None
            schema = fresh_schema(server_url, "bench_load")
            try:
                runs.append(await anagen_run(backend, members, concurrency, schema, logs))
            finally:
                drop_schema(server_url, schema)
            conditions[backend] = server_conditions(server_url)
    clicks = runs[0].clicks_per_member
    if not any(clicks):
        clicks = [len(CLICKS) + 4] * members
    floor = await floor_run(clicks, concurrency, logs)
    report(members, concurrency, runs, floor, conditions)
    print(f"\ntotal wall time: {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000, help="simulated members")
    parser.add_argument(
        "--concurrency", type=int, default=200, help="members acting at the same time"
    )
    add_backend_options(parser)
    args = parser.parse_args()
    backends = chosen_backends(parser, args)
    members, concurrency = max(1, args.members), max(1, args.concurrency)
    with postgres_server(args.postgres, backends) as url:
        asyncio.run(backends_async(members, concurrency, backends, url))


if __name__ == "__main__":
    main()
