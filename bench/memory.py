"""Resident memory of the bot with many surveys in progress.

Run from the repository root:

    .venv/bin/python bench/memory.py [--surveys 10000] [--clicked 200]

Method. The bot runs in its own process, so its resident memory (``VmRSS`` in
``/proc/<pid>/status``) is the bot's alone: this script starts the Discord double
(``tests.double``) in its own process and then a child Python process (this same file with
``--child``) that points discord.py at the double exactly as the tests do (``Route.BASE`` and
``DiscordWebSocket.DEFAULT_GATEWAY`` patched) and runs the real, unmodified ``AnagenBot`` on a
fresh database. The double, the simulated members and their recorded traffic therefore cost
the measured process nothing.

It reads the bot's RSS (after a ``gc.collect()`` in the bot and a second's pause):

  1. started: connected and ready, zero surveys (imports, questionnaire, knowledge base);
  2. stored: after N surveys in progress were stored through the bot's own database
     connection (``bot.db``) with the store's repository (``create``, ``save_answer``,
     ``update``: age, sex and pattern answered, waiting on the next question), in batches of
     500 per transaction for speed;
  3. and 4. clicked: after S more members (default 200, in two halves) each ran
     ``/survey start``, pressed **Start the survey** in DMs and answered the first three
     questions by clicks through the double, so discord.py's caches (users, DM channels,
     messages, dynamic items) and the survey service's code paths are exercised too; those
     surveys stay in progress. The first half pays one-time costs (first use of code paths,
     bounded caches filling up), so the cost of one more clicked survey is taken from the
     second half only.

It prints the four figures, the growth per 1,000 stored surveys ((2 - 1) / N) and per 1,000
clicked surveys ((4 - 3) / (S / 2)), the measured RSS against the target of 120 MB, and an
estimate for all N surveys started by clicks (4 plus the per-survey growth for the rest).
Anagen keeps no per-survey state in memory (the buttons are persistent dynamic items and
every click re-reads the database), so both growths should be small; what remains is the
fixed cost of the process. A benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gc
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

from bot.storage.responses import SURVEY
from bot.storage.tx import Tx

TARGET_MB = 120
BATCH = 500


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc status")


# -- the child: the real bot -------------------------------------------------------------------


def _seed(
    tx: Tx, *, guild: int, users: range, version: int, seeded: tuple[dict[Any, Any], ...]
) -> None:
    """Surveys in progress at the third question, one unit for a batch of members."""
    store = SURVEY.on(tx)
    for user_id in users:
        response = store.create(guild, user_id, version, "dm")
        for answers in seeded:
            for key, answer in answers.items():
                store.save_answer(response.id, key, answer)
        store.update(response.id, position="norwood")


async def child(api_url: str, gateway_url: str, database: Path, token: str) -> None:
    """Run the bot against the double; seed surveys when told to on stdin."""
    from bot.app import AnagenBot
    from bot.settings import Settings
    from bot.survey.flow import Answer

    Route.BASE = api_url  # type: ignore[misc]
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    bot = AnagenBot(Settings(token=token, database=database))
    task = asyncio.create_task(bot.start(token))
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        while not bot.is_ready():
            if task.done():
                task.result()
            await asyncio.sleep(0.05)
        print("READY", flush=True)
        while line := (await reader.readline()).decode().split():
            if line[0] == "SEED":
                guild, surveys = int(line[1]), int(line[2])
                seeded = (
                    {("age", ""): Answer(number=34)},
                    {("sex", ""): Answer(choices=("male",))},
                    {("pattern", ""): Answer(choices=("pattern",))},
                )
                for first in range(0, surveys, BATCH):
                    users = range(first + 1, min(first + BATCH, surveys) + 1)
                    await bot.db.run(
                        functools.partial(
                            _seed, guild=guild, users=users, version=bot.questionnaire.version,
                            seeded=seeded,
                        )
                    )  # fmt: skip
                gc.collect()
                print("SEEDED", flush=True)
            elif line[0] == "GC":
                gc.collect()
                print("COLLECTED", flush=True)
            elif line[0] == "STOP":
                break
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError, discord.ConnectionClosed):
            await task


# -- the parent: the double and the members ----------------------------------------------------


async def parent(surveys: int, clicked: int) -> None:
    from tests.double import DiscordDouble, User
    from tests.survey_driver import CLICKS, answer_step, start_survey, step_of

    double = DiscordDouble()
    await double.start()
    with tempfile.TemporaryDirectory(prefix="anagen-memory-") as folder:
        database = Path(folder) / "anagen.db"
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--child",
            double.api_url,
            double.gateway_url,
            str(database),
            double.token,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        assert proc.stdin is not None
        assert proc.stdout is not None
        stdin, stdout = proc.stdin, proc.stdout

        async def ask(command: str, expect: str) -> None:
            stdin.write(f"{command}\n".encode())
            await stdin.drain()
            async with asyncio.timeout(600):
                await wait_for(expect)

        async def wait_for(expect: str) -> None:
            while (line := (await stdout.readline()).decode().strip()) != expect:
                if not line:
                    raise RuntimeError(f"the bot exited early ({proc.returncode})")

        async def settled() -> float:
            await asyncio.sleep(1.0)
            await ask("GC", "COLLECTED")
            return rss_mb(proc.pid)

        try:
            async with asyncio.timeout(120):
                await wait_for("READY")
            started = await settled()

            seeding = time.perf_counter()
            await ask(f"SEED {double.guild.id} {surveys}", "SEEDED")
            seed_s = time.perf_counter() - seeding
            seeded = await settled()

            semaphore = asyncio.Semaphore(50)
            stuck: list[str] = []

            async def take(member: User) -> None:
                async with semaphore:
                    try:
                        message = await start_survey(double, member)
                        for _ in range(3):
                            step = step_of(message)
                            assert step is not None, "no question on the message"
                            how = CLICKS[step]
                            message = await answer_step(double, member, message, how)
                    except Exception as exc:  # counted and shown, not fatal
                        stuck.append(f"{type(exc).__name__}: {exc}"[:200])

            # Two halves: the first pays one-time costs (code paths, bounded caches filling);
            # the second shows what one more clicked survey costs.
            clicking = time.perf_counter()
            halves = [clicked // 2, clicked - clicked // 2]
            after: list[float] = []
            for number, size in enumerate(halves):
                members = [double.add_member(f"member{number}-{i}") for i in range(size)]
                await asyncio.gather(*(take(m) for m in members))
                after.append(await settled())
            interactions = len(double.interactions)
            click_s = time.perf_counter() - clicking
            await ask("STOP", "")
        finally:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    stdin.close()
                try:
                    async with asyncio.timeout(20):
                        await proc.wait()
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
            await double.close()

    per_seeded = (seeded - started) / surveys * 1000
    per_clicked = (after[1] - after[0]) / halves[1] * 1000 if halves[1] else 0.0
    estimate = after[1] + (surveys - clicked) * max(per_seeded, per_clicked, 0.0) / 1000
    print(f"surveys in progress: {surveys:,} stored (in {seed_s:.1f} s)")
    print(f"  + {clicked} started by clicks ({interactions} interactions in {click_s:.1f} s)")
    print(f"  members stuck: {len(stuck)}")
    for reason in sorted(set(stuck))[:5]:
        print(f"    {reason}")
    print(f"{'bot process RSS':44} {'MB':>8}")
    print(f"{'1. started, zero surveys':44} {started:>8.1f}")
    print(f"{f'2. + {surveys:,} surveys stored':44} {seeded:>8.1f}")
    print(f"{f'3. + {halves[0]} surveys started by clicks':44} {after[0]:>8.1f}")
    print(f"{f'4. + {halves[1]} more surveys started by clicks':44} {after[1]:>8.1f}")
    print(f"growth per 1,000 stored surveys (2 - 1):      {per_seeded:6.2f} MB")
    print(f"growth per 1,000 clicked surveys (4 - 3):     {per_clicked:6.2f} MB")
    print(f"one-time cost of the first clicks (3 - 2):    {after[0] - seeded:6.2f} MB")
    print(
        f"bot RSS with {surveys + clicked:,} surveys in progress: {after[1]:.1f} MB;"
        f" if all {surveys:,} had been started by clicks: {estimate:.1f} MB"
    )
    print(f"target <= {TARGET_MB} MB: ratio {after[1] / TARGET_MB:.2f} (measured)")
    print(f"double's process RSS (not counted): {rss_mb():.1f} MB")


def main() -> None:
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        _, _, api, gateway, database, token = sys.argv
        asyncio.run(child(api, gateway, Path(database), token))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--surveys", type=int, default=10_000, help="surveys stored in progress")
    parser.add_argument("--clicked", type=int, default=200, help="members who also start by clicks")
    args = parser.parse_args()
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    asyncio.run(parent(max(1, args.surveys), max(0, args.clicked)))


if __name__ == "__main__":
    main()
