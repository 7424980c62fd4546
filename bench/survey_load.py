"""The survey under load: N members answering by clicks at once, against a bare bot (the floor).

On SQLite and on PostgreSQL; and, on PostgreSQL, over one bot process or two (``--scale-out``).

Run from the repository root:

    .venv/bin/python bench/survey_load.py [--members 1000] [--concurrency 200]
                                          [--backend sqlite|postgresql|both] [--postgres URL]
    .venv/bin/python bench/survey_load.py --scale-out [--members 200] [--concurrency 100]
                                          [--postgres URL]

`--backend` defaults to both when PostgreSQL is installed (Debian's `postgresql` package:
`initdb` and `pg_ctl`) or `--postgres` is given, else to SQLite alone (and says so).
`--scale-out` needs PostgreSQL (an SQLite file serves one process only).

Backends (the default mode). Everything runs in this one process, on one event loop, over
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

Scale-out (``--scale-out``, PostgreSQL only). Anagen runs as separate OS processes, the
real ``anagen run`` command line (``python -m tests.double.launch run --shards ...
--shard-count 2``, logging at WARNING into a temporary folder) against the double, which
lives in this process with the simulated members. Two set-ups, in this order, each with a
fresh double and a fresh schema on the same server (PostgreSQL's default durability, as
above): (a) one process holding both shards (``--shards 0,1``); (b) two processes, one
holding shard 0 and one shard 1. The members are split evenly over two servers, one on
each shard (``add_guild(..., shard=(i, 2))``). Discord sends a server's events to its
shard's process and every DM event to shard 0's, and the double does the same, so:

  - start phase (not in the table; its wall time is noted): ``/survey start`` in the
    member's server (either process), the consent DM (sent by that process, paced by
    Anagen's share of Discord's global rate limit) and **Start the survey** in DMs (shard 0);
  - click phase, DOES NOT SPREAD: the survey's clicks as above, all in DMs, so all handled by
    shard 0's process; the second process sits idle. Shows that scale-out leaves DM work
    where it was (and what the split costs, if anything);
  - lookup phase, SPREADS: each member runs ``/treatment lookup`` for finasteride,
    ketoconazole and minoxidil in their own server, after every survey is done, so each
    answer reads the server's settings and its community report and check-in outcomes from
    the database; half go to each shard. A member goes on to the next lookup once the bot
    has answered, in time or not (a late answer is counted, not retried). Shows what a
    second process can take.

Per phase and set-up: interactions (by the shard they were routed to), p50 and p99 handling
time (same definition as above), interactions later than 3 s, interactions per second over
the phase's wall time, CPU seconds of each bot process (from /proc) and how busy the whole
machine was; then the ratio two / one (below 1 is better for times, above 1 for
interactions/s). Then per set-up: answers stored (every finished member's answers in the
database), members who got stuck, the double's rejections, requests for shards that never
connected, and warnings logged by the bot processes (besides discord.py's start-up note
that voice is not supported). The bench process itself (double and members) shares the
machine's cores with the bots and PostgreSQL: on a machine with fewer cores than busy
processes, a second bot process can only help as far as a core is free.

A benchmark, not a test: it asserts nothing about time; ratios are taken against runs
measured in the same invocation. ``--members 50`` is a quick smoke run of either mode.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import re
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

from bench.storage import CLUSTER_OPTIONS, server_conditions
from bot.app import AnagenBot, minimal_intents
from bot.settings import Settings
from bot.storage import Database
from bot.storage.location import DatabaseLocation, PostgresLocation, SQLiteLocation
from bot.storage.tx import Tx
from tests import pg_cluster
from tests.databases import drop_schema, fresh_schema
from tests.double import DiscordDouble, Interaction, Message, User
from tests.double.model import Guild, snowflake
from tests.double.validation import RequestValidator, get_validator
from tests.survey_driver import CLICKS, click_through, start_survey

REPO = Path(__file__).resolve().parent.parent
DEADLINE_S = 3.0
VALIDATE_AT_MOST = 1500
BACKENDS = ("sqlite", "postgresql")
# Scale-out: the lookups each member makes in their server once every survey is done.
LOOKUPS = ("finasteride", "ketoconazole", "minoxidil")
SHARD_COUNT = 2
# A log line of WARNING or worse in discord.utils.setup_logging's formats (plain or coloured:
# its level comes after the date and time), or a traceback.
LOGGED_PROBLEM = re.compile(r"^\[?[\d-]+ [\d:]+\]? \[?(WARNING|ERROR|CRITICAL)\b|^Traceback")
ANSI_COLOUR = re.compile(r"\x1b\[[\d;]*m")
# discord.py's warning at start-up when its optional voice libraries are not installed.
VOICE_NOTE = "voice will NOT be supported"


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


# -- scale-out: Anagen as one or two OS processes over one PostgreSQL -----------------------


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far, from /proc (NaN where there is none)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> tuple[int, int]:
    """(busy, total) CPU time of the whole machine so far, every core, from /proc/stat."""
    try:
        line = Path("/proc/stat").read_text().splitlines()[0]
    except OSError:
        return 0, 0
    ticks = [int(v) for v in line.split()[1:9]]  # user nice system idle iowait irq softirq steal
    return sum(ticks) - ticks[3] - ticks[4], sum(ticks)


@dataclass
class Phase:
    """One phase of one set-up: the interactions it sent and what the bots spent on them."""

    latencies_ms: list[float] = field(default_factory=list)
    interactions: int = 0
    late: int = 0
    by_shard: dict[int | None, int] = field(default_factory=dict)
    wall_s: float = 0.0
    cpu_s: list[float] = field(default_factory=list)  # per bot process, in shard order
    busy: float = float("nan")  # share of all the machine's cores in use over the phase

    @property
    def rate(self) -> float:
        return ratio(self.interactions, self.wall_s)


@dataclass
class SetUp:
    name: str
    shards: list[str]  # the --shards of each process
    phases: dict[str, Phase] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    rejections: list[str] = field(default_factory=list)
    logged: list[str] = field(default_factory=list)


@contextlib.asynccontextmanager
async def measured(
    double: DiscordDouble, processes: list[asyncio.subprocess.Process]
) -> AsyncIterator[Phase]:
    """Time the block; afterwards, every interaction sent during it and each bot's CPU."""
    phase = Phase()
    known = set(double.interactions)
    cpu = [process_cpu(p.pid) for p in processes]
    busy, total = machine_cpu()
    started = time.perf_counter()
    yield phase
    phase.wall_s = time.perf_counter() - started
    phase.cpu_s = [process_cpu(p.pid) - before for p, before in zip(processes, cpu, strict=True)]
    busy_after, total_after = machine_cpu()
    phase.busy = ratio(busy_after - busy, total_after - total)
    await asyncio.sleep(0.5)  # anything still in flight belongs to the phase
    for record in (r for i, r in double.interactions.items() if i not in known):
        phase.interactions += 1
        phase.by_shard[record.shard] = phase.by_shard.get(record.shard, 0) + 1
        phase.late += timed(record, phase.latencies_ms)


def bot_environment(double: DiscordDouble, database: PostgresLocation) -> dict[str, str]:
    """This environment without Anagen's own settings, and the double's and the schema's."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("ANAGEN_")},
        "DISCORD_TOKEN": double.token,
        "ANAGEN_DATABASE": database.url,
        "ANAGEN_TEST_API": double.api_url,
        "ANAGEN_TEST_GATEWAY": double.gateway_url,
        "ANAGEN_LOG_LEVEL": "WARNING",
    }


async def spawn(
    double: DiscordDouble, database: PostgresLocation, log: Path, shards: str
) -> asyncio.subprocess.Process:
    """`anagen run --shards … --shard-count 2` in its own process (as tests/test_crash_safety
    does); returns once it has identified, so its migrations are done before the next starts."""
    identified = double.identify_count
    with log.open("ab") as sink:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.double.launch",
            "--env-file",
            os.devnull,
            "run",
            "--shards",
            shards,
            "--shard-count",
            str(SHARD_COUNT),
            cwd=REPO,
            env=bot_environment(double, database),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=sink,
            stderr=sink,
        )
    await double.wait_until(lambda: double.identify_count > identified, timeout=60)
    return process


async def scale_out_run(
    setup: SetUp, members: int, concurrency: int, server_url: str, folder: Path
) -> SetUp:
    database = fresh_schema(server_url, "bench_scale")
    asked: dict[int, list[str]] = {}
    try:
        async with running_double() as double:
            servers = [
                double.add_guild(f"Shard {i}", shard=(i, SHARD_COUNT)) for i in range(SHARD_COUNT)
            ]
            users: list[tuple[User, Guild]] = []
            for i in range(members):
                server = servers[i % SHARD_COUNT]
                users.append((double.add_member(f"member{i}", guild=server), server))
            logs = [folder / f"{setup.name.replace(' ', '-')}-{n}.log" for n in setup.shards]
            processes: list[asyncio.subprocess.Process] = []
            try:
                for shards, log in zip(setup.shards, logs, strict=True):
                    processes.append(await spawn(double, database, log, shards))
                await double.wait_shards_ready(range(SHARD_COUNT), timeout=60)
                await double.wait_until(lambda: double.global_commands, timeout=30)
                await asyncio.sleep(1)  # let the bots take in their servers' GUILD_CREATEs
                await phases(setup, double, processes, users, concurrency, asked)
                setup.notes.append(
                    f"interactions for a shard with no session: {len(double.undeliverable)}"
                )
                setup.rejections = rejections(double, setup.notes)
            finally:
                for process in processes:
                    if process.returncode is None:
                        process.terminate()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(30):
                        for process in processes:
                            await process.wait()
                for process in processes:
                    if process.returncode is None:
                        process.kill()
                        await process.wait()
        setup.notes.append(await stored_note(database, members, expected_answers(asked)))
    finally:
        drop_schema(server_url, database)
    setup.logged = [
        f"{log.name}: {line}"[:300]
        for log in logs
        for line in ANSI_COLOUR.sub("", log.read_text(errors="replace")).splitlines()
        if LOGGED_PROBLEM.search(line) and VOICE_NOTE not in line
    ]
    return setup


async def phases(
    setup: SetUp,
    double: DiscordDouble,
    processes: list[asyncio.subprocess.Process],
    users: list[tuple[User, Guild]],
    concurrency: int,
    asked: dict[int, list[str]],
) -> None:
    """Start (noted), clicks in DMs (shard 0 only), lookups in each member's server (spread)."""
    semaphore = asyncio.Semaphore(concurrency)

    async def begin(user: User, server: Guild) -> Message:
        await double.slash(user, "survey start", guild=server)
        consent = await double.wait_for_dm(user, 1, timeout=60)
        return (await double.click(user, consent, "Start the survey")).message

    async with measured(double, processes) as start:
        firsts: list[Message | None] = await asyncio.gather(
            *(bounded(semaphore, lambda u=u, s=s: begin(u, s), setup.failures) for u, s in users)
        )
    server_ms = [
        (r.answered_at - r.sent_at) * 1000
        for r in double.interactions.values()
        if r.guild_id is not None and r.answered_at is not None
    ]
    setup.notes.append(
        f"start phase: {start.wall_s:.1f} s ({len(server_ms)} /survey start in the servers:"
        f" p50 {percentile(server_ms, 50):.1f} ms, p99 {percentile(server_ms, 99):.1f} ms;"
        " consent DMs paced by the global rate limit)"
    )

    async def answer_all(user: User, first: Message) -> None:
        summary, steps = await click_through(double, user, first, CLICKS)
        asked[user.id] = steps
        done = await double.click(user, summary, "Done")
        if "Thank you" not in done.message.text:
            raise AssertionError(f"Done did not finish: {done.message.text[:100]!r}")

    async with measured(double, processes) as setup.phases["clicks"]:
        await asyncio.gather(
            *(
                bounded(semaphore, lambda u=u, f=f: answer_all(u, f), setup.failures)
                for (u, _), f in zip(users, firsts, strict=True)
                if f is not None
            )
        )

    async def look_up(user: User, server: Guild) -> None:
        for name in LOOKUPS:
            # Not `wait`: an answer too late for Discord is counted as late, and the member
            # goes on with the next lookup once the bot has answered, in time or not.
            reply = await double.slash(
                user, "treatment lookup", guild=server, name=name, wait=False
            )
            await double.wait_until(lambda r=reply: r.answered_at is not None, timeout=60)
            if reply.error is None and (reply.original is None or not reply.original.embeds):
                raise AssertionError(f"/treatment lookup {name}: {reply.callback_data!r}"[:200])

    async with measured(double, processes) as setup.phases["lookups"]:
        await asyncio.gather(
            *(bounded(semaphore, lambda u=u, s=s: look_up(u, s), setup.failures) for u, s in users)
        )


PHASE_TITLES = {
    "clicks": "clicks: survey answers in DMs (every DM goes to shard 0: does NOT spread)",
    "lookups": "lookups: /treatment lookup in each member's server (by shard: SPREADS)",
}


def report_scale_out(
    members: int, concurrency: int, one: SetUp, two: SetUp, conditions: str
) -> None:
    per_server = ", ".join(
        f"{len(range(i, members, SHARD_COUNT))} in a server on shard {i}"
        for i in range(SHARD_COUNT)
    )
    print(
        f"scale-out: {members} members ({per_server} of {SHARD_COUNT}), concurrency {concurrency}"
    )
    print(f"  {conditions}")
    print(
        f"  one process: --shards {one.shards[0]}; two processes: "
        + " and ".join(f"--shards {s}" for s in two.shards)
        + "; run in that order"
    )
    print(f"{'':40} {'one process':>13} {'two processes':>15} {'two / one':>10}")

    def row(label: str, first: str, second: str, quotient: float | None = None) -> None:
        shown = "" if quotient is None else f"{quotient:.2f}"
        print(f"  {label:38} {first:>13} {second:>15} {shown:>10}")

    for key, title in PHASE_TITLES.items():
        a, b = one.phases.get(key), two.phases.get(key)
        if a is None or b is None:
            continue
        print(title)

        def routed(p: Phase) -> str:
            return " / ".join(str(p.by_shard.get(i, 0)) for i in range(SHARD_COUNT))

        row("interactions (to shard 0 / shard 1)", routed(a), routed(b))
        for p in (50, 99):
            first, second = percentile(a.latencies_ms, p), percentile(b.latencies_ms, p)
            row(f"p{p} ms (lower is better)", f"{first:.1f}", f"{second:.1f}", ratio(second, first))
        row(f">{DEADLINE_S:.0f} s or unanswered", str(a.late), str(b.late))
        row(
            "interactions/s (higher is better)",
            f"{a.rate:.1f}",
            f"{b.rate:.1f}",
            ratio(b.rate, a.rate),
        )
        row("wall s", f"{a.wall_s:.1f}", f"{b.wall_s:.1f}", ratio(b.wall_s, a.wall_s))
        row(
            "bot CPU s (per process)",
            " + ".join(f"{c:.1f}" for c in a.cpu_s),
            " + ".join(f"{c:.1f}" for c in b.cpu_s),
            ratio(sum(b.cpu_s), sum(a.cpu_s)),
        )
        cores = os.cpu_count() or 0
        row(f"machine CPU busy (all {cores} cores)", f"{a.busy:.0%}", f"{b.busy:.0%}")
    for setup in (one, two):
        print(f"\n[{setup.name}]")
        for note in setup.notes:
            print(f"  {note}")
        print_problems(setup.failures, setup.rejections, setup.logged)


async def scale_out_async(members: int, concurrency: int, server_url: str) -> None:
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="anagen-scale-") as folder:
        one = await scale_out_run(
            SetUp("one process", ["0,1"]), members, concurrency, server_url, Path(folder)
        )
        two = await scale_out_run(
            SetUp("two processes", ["0", "1"]), members, concurrency, server_url, Path(folder)
        )
    report_scale_out(members, concurrency, one, two, server_conditions(server_url))
    print(f"\ntotal wall time: {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000, help="simulated members")
    parser.add_argument(
        "--concurrency", type=int, default=200, help="members acting at the same time"
    )
    parser.add_argument(
        "--backend",
        choices=(*BACKENDS, "both"),
        help="default: both when PostgreSQL is installed or --postgres is given, else sqlite",
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="an existing PostgreSQL server (fresh schemas, dropped after) instead of a "
        "throw-away cluster",
    )
    parser.add_argument(
        "--scale-out",
        action="store_true",
        help="PostgreSQL only: Anagen as one process holding both shards, then as two "
        "processes holding one each, instead of the backends against the floor",
    )
    args = parser.parse_args()
    installed = args.postgres is not None or pg_cluster.find_binaries() is not None
    if args.scale_out:
        if args.backend not in (None, "postgresql"):
            parser.error("--scale-out runs on PostgreSQL only (an SQLite file serves one process)")
        if not installed:
            parser.error(
                "--scale-out needs PostgreSQL (no initdb/pg_ctl): install it or give --postgres"
            )
        backends = ["postgresql"]
    else:
        choice = args.backend or ("both" if installed else "sqlite")
        if args.backend is None and not installed:
            print("PostgreSQL was not found (no initdb/pg_ctl, no --postgres): SQLite only.")
        if choice != "sqlite" and not installed:
            parser.error(
                "PostgreSQL was not found (no initdb/pg_ctl): install it or give --postgres"
            )
        backends = list(BACKENDS) if choice == "both" else [choice]
    members, concurrency = max(1, args.members), max(1, args.concurrency)

    folder: Path | None = None
    server_url = args.postgres
    try:
        if "postgresql" in backends and server_url is None:
            folder = Path(tempfile.mkdtemp(prefix="anagen-bench-pg-"))
            server_url = pg_cluster.start(folder, options=CLUSTER_OPTIONS)
        if args.scale_out:
            assert server_url is not None
            asyncio.run(scale_out_async(members, concurrency, server_url))
        else:
            asyncio.run(backends_async(members, concurrency, backends, server_url))
    finally:
        if folder is not None:
            pg_cluster.stop(folder)


if __name__ == "__main__":
    main()
