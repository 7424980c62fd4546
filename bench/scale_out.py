"""Scale-out: Anagen as one bot process holding two shards, against two processes holding one
each, over one PostgreSQL database.

Run from the repository root:

    .venv/bin/python bench/scale_out.py [--members 200] [--concurrency 100] [--postgres URL]

Needs PostgreSQL (an SQLite file serves one process only): a throw-away cluster the bench
starts itself at PostgreSQL's default durability (as ``bench/storage.py``), or the server
``--postgres URL`` names. The double, the simulated members and the measuring are
``bench/survey_load.py``'s.

Anagen runs as separate OS processes, the real ``anagen run`` command line (``python -m
tests.double.launch run --shards ... --shard-count 2``, logging at WARNING into a temporary
folder) against the double, which lives in this process with the simulated members. Two
set-ups, in this order, each with a fresh double and a fresh schema on the same server:
(a) one process holding both shards (``--shards 0,1``); (b) two processes, one holding
shard 0 and one shard 1. The members are split evenly over two servers, one on each shard
(``add_guild(..., shard=(i, 2))``). Discord sends a server's events to its
shard's process and every DM event to shard 0's, and the double does the same, so:

  - start phase (not in the table; its wall time is noted): ``/survey start`` in the
    member's server (either process), the consent DM (sent by that process, paced by
    Anagen's share of Discord's global rate limit) and **Start the survey** in DMs (shard 0);
  - click phase, DOES NOT SPREAD: the survey's clicks (as in ``bench/survey_load.py``), all
    in DMs, so all handled by shard 0's process; the second process sits idle. Shows that
    scale-out leaves DM work where it was (and what the split costs, if anything);
  - lookup phase, SPREADS: each member runs ``/treatment lookup`` for finasteride,
    ketoconazole and minoxidil in their own server, after every survey is done, so each
    answer reads the server's settings and its community report and check-in outcomes from
    the database; half go to each shard. A member goes on to the next lookup once the bot
    has answered, in time or not (a late answer is counted, not retried). Shows what a
    second process can take.

Per phase and set-up: interactions (by the shard they were routed to), p50 and p99 handling
time (as ``bench/survey_load.py`` defines it), interactions later than 3 s, interactions per
second over the phase's wall time, CPU seconds of each bot process (from /proc) and how busy
the whole machine was; then the ratio two / one (below 1 is better for times, above 1 for
interactions/s). Then per set-up: answers stored (every finished member's answers in the
database), members who got stuck, the double's rejections, requests for shards that never
connected, and warnings logged by the bot processes (besides discord.py's start-up note that
voice is not supported). The bench process itself (double and members) shares the machine's
cores with the bots and PostgreSQL: on a machine with fewer cores than busy processes, a
second bot process can only help as far as a core is free.

A benchmark, not a test: it asserts nothing about time; ratios are taken against runs
measured in the same invocation. ``--members 50`` is a quick smoke run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.storage import (
    add_backend_options,
    chosen_backends,
    postgres_server,
    server_conditions,
)
from bench.survey_load import (
    DEADLINE_S,
    bounded,
    expected_answers,
    percentile,
    print_problems,
    ratio,
    rejections,
    running_double,
    stored_note,
    timed,
)
from bot.storage.location import PostgresLocation
from tests.databases import drop_schema, fresh_schema
from tests.double import DiscordDouble, Message, User
from tests.double.model import Guild
from tests.survey_driver import CLICKS, click_through

REPO = Path(__file__).resolve().parent.parent
# The lookups each member makes in their server once every survey is done.
LOOKUPS = ("finasteride", "ketoconazole", "minoxidil")
SHARD_COUNT = 2
# A log line of WARNING or worse in discord.utils.setup_logging's formats (plain or coloured:
# its level comes after the date and time), or a traceback.
LOGGED_PROBLEM = re.compile(r"^\[?[\d-]+ [\d:]+\]? \[?(WARNING|ERROR|CRITICAL)\b|^Traceback")
ANSI_COLOUR = re.compile(r"\x1b\[[\d;]*m")
# discord.py's warning at start-up when its optional voice libraries are not installed.
VOICE_NOTE = "voice will NOT be supported"

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
    """`anagen run --shards … --shard-count 2` in its own process (as
    tests/processes/test_crash_safety.py does); returns once it has identified, so its
    migrations are done before the next starts."""
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
            if reply.error is not None:
                continue
            # the lookup is acknowledged first, then answered in a follow-up
            answer = await reply.wait_followup(timeout=60)
            if not answer.embeds:
                raise AssertionError(f"/treatment lookup {name}: {answer.text!r}"[:200])

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
    parser.add_argument("--members", type=int, default=200, help="simulated members")
    parser.add_argument(
        "--concurrency", type=int, default=100, help="members acting at the same time"
    )
    add_backend_options(parser, choice=False)  # PostgreSQL only: SQLite serves one process
    args = parser.parse_args()
    backends = chosen_backends(parser, args)
    members, concurrency = max(1, args.members), max(1, args.concurrency)
    with postgres_server(args.postgres, backends) as url:
        assert url is not None
        asyncio.run(scale_out_async(members, concurrency, url))


if __name__ == "__main__":
    main()
