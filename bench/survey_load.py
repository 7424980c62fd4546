"""The survey under load: N members answering by clicks at once, against a bare bot (the floor).

Run from the repository root:

    .venv/bin/python bench/survey_load.py [--members 1000] [--concurrency 200]

Everything runs in this one process, on one event loop, over loopback: the Discord double
(``tests.double``) and the real, unmodified ``AnagenBot`` connected to it exactly as the
end-to-end tests do (``Route.BASE`` and ``DiscordWebSocket.DEFAULT_GATEWAY`` patched), with a
fresh database in a temporary folder.

Anagen run. N members are added to the double's server. Start phase: each runs
``/survey start`` and presses **Start the survey** in DMs (not measured). Click phase: each
answers every question by clicks (``tests.survey_driver.click_through`` with ``CLICKS``; the
age and notes questions open a form and submit it) and presses **Done**. At most C members
act at the same time (``asyncio.Semaphore``); each member clicks as soon as the previous
click was answered, so this is a saturation test, not a model of human think time.

Floor run. A fresh double and a bare ``commands.Bot`` with Anagen's intents whose only job is
to answer every component interaction with ``interaction.response.edit_message(content=
"ok")``. Each member gets a message with one button and clicks it as many times as members
clicked in the Anagen run, under the same semaphore.

For every interaction of the click phase, the handling time is from the moment the double
sent INTERACTION_CREATE (``Interaction.sent_at``) to the moment the bot's callback request
reached the double (``Interaction.answered_at``), both ``time.monotonic()``. Because the bot,
the double and the simulated members share one loop, queueing behind other members' work
(and the double's own JSON and schema validation) is part of every figure, for Anagen and
for the floor alike; the ratio Anagen / floor is therefore the price of Anagen's work per
click (database transaction, rendering) over the least any discord.py bot must do. The one
exception is the double's jsonschema validation of request bodies (1-6 ms each, more for
Anagen's embeds than for the floor's "ok"): it is switched off during the runs and applied
afterwards to the recorded bodies (all of them, or an even sample above 1,500), so an invalid
body is still reported as a rejection without its cost being charged to the bot.

Printed: p50 and p99 in ms for both, their ratio (target: p99 within 1.3x the floor), the
interactions slower than Discord's 3 s deadline (answered late, rejected with 10062, or
never answered), Discord API calls per clicked answer during the click phase (target: 1,
the callback that edits the message in place), whether every answer is in the database,
the double's rejections and the errors logged, and wall times. A benchmark, not a test: it
asserts nothing about time. ``--members 50`` is a quick smoke run.
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

from bot.app import AnagenBot, minimal_intents
from bot.settings import Settings
from tests.double import DiscordDouble, Interaction, Message, User
from tests.double.model import snowflake
from tests.double.validation import RequestValidator, get_validator
from tests.survey_driver import CLICKS, click_through, start_survey

DEADLINE_S = 3.0
VALIDATE_AT_MOST = 1500


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
        if len(self.latencies_ms) < 2:
            return self.latencies_ms[0] if self.latencies_ms else float("nan")
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[p - 1]


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


def measure(run: Run, double: DiscordDouble, new: list[Interaction], first_request: int) -> None:
    """Fill in the latency, deadline and API-call figures for the click phase."""
    run.clicks = len(new)
    for record in new:
        if record.answered_at is None or record.error is not None:
            run.late += 1
            continue
        elapsed = record.answered_at - record.sent_at
        run.latencies_ms.append(elapsed * 1000)
        run.late += elapsed > DEADLINE_S
    phase = double.requests[first_request:]
    run.api_calls = len(phase)
    for request in phase:
        if not request.path.endswith("/callback"):
            key = f"{request.method} {request.path.split('/')[1]}/…"
            run.non_callback_calls[key] = run.non_callback_calls.get(key, 0) + 1
    checked, sent, problems = ValidateLater.check(double)
    run.rejections = list(double.rejections) + problems
    run.notes.append(f"request bodies validated after the run: {checked} of {sent}")


async def anagen_run(members: int, concurrency: int, folder: Path, logs: LogCounter) -> Run:
    run = Run("anagen")
    database = folder / "anagen.db"
    async with running_double() as double:
        users = [double.add_member(f"member{i}") for i in range(members)]
        bot = AnagenBot(Settings(token=double.token, database=database))
        async with running(bot, double.token):
            semaphore = asyncio.Semaphore(concurrency)
            started = time.perf_counter()
            firsts: list[Message | None] = await asyncio.gather(
                *(
                    bounded(semaphore, lambda u=u: start_survey(double, u), run.failures)
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
    expected = sum(
        sum(len(CLICKS[s.split("/")[0]][1]) if "/" in s else 1 for s in steps)
        for steps in asked.values()
    )
    with contextlib.closing(sqlite3.connect(database)) as conn:
        stored = conn.execute(
            "SELECT count(*) FROM answers JOIN responses r ON r.id = response_id"
            " WHERE r.status = 'completed'"
        ).fetchone()[0]
        completed = conn.execute(
            "SELECT count(*) FROM responses WHERE status = 'completed'"
        ).fetchone()[0]
    run.notes.append(
        f"database: {completed}/{members} responses completed, "
        f"{stored}/{expected} answers of the finished members stored"
        + (" (all there)" if stored == expected and completed == members else " (MISSING)")
    )
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


def report(members: int, concurrency: int, anagen: Run, floor: Run) -> None:
    print(f"members: {members}, concurrency: {concurrency}")
    header = f"{'':8} {'clicks':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'>3 s':>5}"
    print(header + f" {'API calls/click':>16} {'wall s':>7} {'clicks/s':>9}")
    for run in (anagen, floor):
        peak = max(run.latencies_ms, default=float("nan"))
        per_click = run.api_calls / run.clicks if run.clicks else float("nan")
        rate = run.clicks / run.wall_s if run.wall_s else float("nan")
        print(
            f"{run.name:8} {run.clicks:>7} {run.pct(50):>8.1f} {run.pct(99):>8.1f} {peak:>8.1f}"
            f" {run.late:>5} {per_click:>16.3f} {run.wall_s:>7.1f} {rate:>9.0f}"
        )
    print(
        f"{'ratio':8} {'':>7} {anagen.pct(50) / floor.pct(50):>8.2f}"
        f" {anagen.pct(99) / floor.pct(99):>8.2f}   (anagen / floor; target p99 <= 1.3)"
    )
    for run in (anagen, floor):
        print(f"\n[{run.name}]")
        for note in run.notes:
            print(f"  {note}")
        if run.non_callback_calls:
            print(f"  API calls besides callbacks: {run.non_callback_calls}")
        else:
            print("  API calls besides callbacks: none")
        print(f"  members who got stuck: {len(run.failures)}")
        for failure in sorted(set(run.failures))[:5]:
            print(f"    {failure}")
        print(f"  requests the double rejected: {len(run.rejections)}")
        for rejection in run.rejections[:5]:
            print(f"    {rejection}")
        print(f"  warnings and errors logged: {len(run.logged)}")
        for line in sorted(set(run.logged))[:5]:
            print(f"    {line}")


async def main_async(members: int, concurrency: int) -> None:
    logs = LogCounter()
    logging.getLogger().addHandler(logs)
    logging.getLogger().setLevel(logging.WARNING)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="anagen-load-") as folder:
        anagen = await anagen_run(members, concurrency, Path(folder), logs)
    clicks = anagen.clicks_per_member
    if not any(clicks):
        clicks = [len(CLICKS) + 4] * members
    floor = await floor_run(clicks, concurrency, logs)
    report(members, concurrency, anagen, floor)
    print(f"\ntotal wall time: {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000, help="simulated members")
    parser.add_argument(
        "--concurrency", type=int, default=200, help="members acting at the same time"
    )
    args = parser.parse_args()
    asyncio.run(main_async(max(1, args.members), max(1, args.concurrency)))


if __name__ == "__main__":
    main()
