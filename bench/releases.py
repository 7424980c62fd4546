"""What a release costs to make, and what reading one costs, at 50, 200 and 1,000 members.

Run from the repository root:

    .venv/bin/python bench/releases.py [--sizes 50 200 1000] [--reads 500]

For each size it stores that many generated members (tests/privacy_attack.py's plausible
servers, through the survey's own storage) in a throw-away SQLite file, then

  (a) makes a release (`Releases.make`: the snapshot read, every table of every pair
      `/survey compare` offers, the treatment reports, the statistics and the charts drawn
      with it) and prints its time and its peak Python memory (tracemalloc), against the
      baseline of reading the snapshot alone;
  (b) reads it as the commands do, `--reads` times each: `/survey results` (overview with
      its chart), a ready-made `/survey compare` (its chart drawn with the release), an
      on-demand comparison (its chart drawn on first request, then kept), and a lookup's
      member reports; p50 and p99 of each, against the baseline of reading one row (the
      server's settings) through the same database. Issue 19's target: p99 ≤ 200 ms at
      1,000 members.

A benchmark, not a test: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.clock import ManualClock
from bot.results.members import read_snapshot
from bot.results.service import ResultsService
from bot.storage import Database
from bot.storage.responses import SURVEY
from bot.storage.tx import Tx
from bot.survey.questionnaire import load_questionnaire
from bot.treatments.knowledge import load_knowledge_base
from bot.treatments.service import TreatmentService
from tests.privacy_attack import World, stored_answers

GUILD = 1


async def fill(db: Database, results: ResultsService, size: int) -> None:
    world = World(random.Random(size), results)
    members = [world.member(checked_in=False) for _ in range(size)]

    def unit(tx: Tx) -> None:
        store = SURVEY.on(tx)
        for member in members:
            response = store.create(GUILD, member.user_id, 1, "dm")
            for key, answer in stored_answers(member).items():
                store.save_answer(response.id, key, answer)
            store.update(response.id, position="summary", completed=True)

    await db.run(unit)


async def timed(work: Callable[[], Awaitable[object]], times: int) -> list[float]:
    found = []
    for _ in range(times):
        start = time.perf_counter()
        await work()
        found.append((time.perf_counter() - start) * 1000)
    return found


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


async def run(size: int, reads: int) -> None:
    questionnaire = load_questionnaire()
    with tempfile.TemporaryDirectory() as folder:
        async with await Database.open(Path(folder) / "bench.db") as db:
            results = ResultsService(db, questionnaire)
            treatments = TreatmentService(
                db, load_knowledge_base(), questionnaire, results.releases
            )
            await fill(db, results, size)
            spec = results.spec
            effects = spec.treatments.effects if spec.treatments else None
            snapshot_ms = await timed(
                lambda: db.read(
                    lambda tx: read_snapshot(tx, GUILD, dict(spec.sources), effects, False)
                ),
                3,
            )
            results.releases.clock = ManualClock(datetime.now(UTC) + timedelta(minutes=2))
            tracemalloc.start()
            start = time.perf_counter()
            record = await results.releases.make(GUILD)
            make_ms = (time.perf_counter() - start) * 1000
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            assert record is not None
            size_kb = (
                sum(
                    len(body)
                    for (body,) in await db.read(
                        lambda tx: tx.rows("SELECT body FROM release_parts WHERE guild_id = 1")
                    )
                )
                / 1024
            )
            base = statistics.median(snapshot_ms)
            print(
                f"{size:>5} members: release {make_ms:8.0f} ms (traced, see note), "
                f"peak {peak / 2**20:6.1f} MiB, stored {size_kb:7.0f} KiB; "
                f"snapshot read {base:6.1f} ms; ratio {make_ms / base:6.1f}x"
            )
            # time without tracemalloc's overhead: a second release over the same members
            results.releases.clock = ManualClock(datetime.now(UTC) + timedelta(days=2))
            await db.run(
                lambda tx: tx.run(
                    "UPDATE responses SET completed_at = ? WHERE id <= 10",
                    (datetime.now(UTC).isoformat(timespec="microseconds"),),
                )
            )
            start = time.perf_counter()
            assert await results.releases.make(GUILD) is not None
            untraced = 1000 * (time.perf_counter() - start)
            print(f"{'':>5}          release without tracing {untraced:8.0f} ms")

            finasteride = treatments.kb.by_id["finasteride"]
            await results.compare(GUILD, "shedding", "age")  # draw its chart once
            reads_of = {
                "settings (baseline)": lambda: results.settings(GUILD),
                "/survey results": lambda: results.overview(GUILD),
                "ready-made compare": lambda: results.compare(
                    GUILD, "sensations:any", "loss_pattern"
                ),
                "on-demand compare": lambda: results.compare(GUILD, "shedding", "age"),
                "lookup reports": lambda: treatments.community_report(GUILD, finasteride),
            }
            baseline = None
            for name, work in reads_of.items():
                found = await timed(work, reads)
                p50, p99 = p(found, 50), p(found, 99)
                baseline = baseline or p99
                print(
                    f"{'':>5}  {name:<22} p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  "
                    f"p99 ratio {p99 / baseline:5.1f}x"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 1000])
    parser.add_argument("--reads", type=int, default=500)
    args = parser.parse_args()
    for size in args.sizes:
        asyncio.run(run(size, args.reads))
    print(
        "note: the first release is timed under tracemalloc (which slows Python code about "
        "2-3x) to find its peak memory; the second line times a release without it."
    )


if __name__ == "__main__":
    main()
