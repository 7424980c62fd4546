"""Results aggregation over many stored responses, against loading the rows into Python.

Run from the repository root:

    .venv/bin/python bench/results.py [--responses 1000000] [--rounds 3]

It builds a throw-away database with Anagen's real schema and N completed responses (six
answered choice questions each, random answers), then times, per round,

  (a) Anagen: ``ResultsService.overview(guild, chart=False)``, the counts behind
      ``/survey results``, computed by SQL GROUP BYs over each member's latest response;
  (b) baseline: the same counts by fetching every (response, question, choice) row of those
      responses into Python and counting them with ``collections.Counter``.

It prints the median time of each and the ratio Anagen / baseline (below 1: Anagen is
faster), and checks both give the same counts. A benchmark, not a test: it asserts nothing
about time. Building a million responses takes a minute or so.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.results.service import ResultsService
from bot.storage import Database
from bot.storage.results import LATEST
from bot.survey.questionnaire import Questionnaire, load_questionnaire

GUILD = 1


def build(path: Path, questionnaire: Questionnaire, responses: int) -> None:
    """Fill the database quickly with SQL (the store's own API is measured elsewhere)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
        " INSERT INTO responses (id, guild_id, user_id, questionnaire_version, status, position,"
        " surface, started_at, updated_at, completed_at)"
        " SELECT i, ?, i, 1, 'completed', 'summary', 'dm', '2026-01-01', '2026-01-01',"
        " '2026-01-01' FROM n",
        (responses, GUILD),
    )
    for question_id in questionnaire.results.overview_for(questionnaire.questions):
        question = questionnaire[question_id]
        if question.id == "ludwig":
            continue
        ids = [c.id for c in question.choices if not c.exclusive] or [question.choices[0].id]
        literal = "json_array(" + ",".join(f"'{i}'" for i in ids) + ")"
        conn.execute(
            "INSERT INTO answers (response_id, question_id, item, skipped, answered_at)"
            " SELECT id, ?, '', 0, '2026-01-01' FROM responses",
            (question.id,),
        )
        conn.execute(
            "INSERT INTO answer_choices (response_id, question_id, item, choice_id)"
            f" SELECT id, ?, '', json_extract({literal}, '$[' || (abs(random()) % ?) || ']')"
            " FROM responses",
            (question.id, len(ids)),
        )
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()


async def in_sql(service: ResultsService) -> dict[str, dict[str, int]]:
    overview = await service.overview(GUILD, chart=False)
    labels = {q.id: {c.label: c.id for c in q.choices} for q in service.questionnaire.questions}
    return {
        panel.question_id: {labels[panel.question_id][label]: n for label, n in panel.bars if n}
        for panel in overview.panels
    }


async def in_python(db: Database, questionnaire: Questionnaire) -> dict[str, dict[str, int]]:
    rows = await db.read(
        lambda tx: tx.rows(
            f"WITH latest AS ({LATEST}) SELECT c.question_id, c.choice_id FROM answer_choices c"
            " JOIN latest ON c.response_id = latest.id WHERE c.item = ''",
            {"guild": GUILD},
        )
    )
    counts: dict[str, Counter[str]] = {}
    for question_id, choice_id in rows:
        counts.setdefault(question_id, Counter())[choice_id] += 1
    shown = set(questionnaire.results.overview_for(questionnaire.questions))
    return {q: dict(c) for q, c in counts.items() if q in shown}


async def run(responses: int, rounds: int) -> None:
    questionnaire = load_questionnaire()
    with tempfile.TemporaryDirectory(prefix="anagen-bench-") as folder:
        path = Path(folder) / "bench.db"
        async with await Database.open(path):
            pass  # create the schema with the real migrations
        started = time.perf_counter()
        build(path, questionnaire, responses)
        print(f"built {responses:,} responses in {time.perf_counter() - started:.1f} s")
        async with await Database.open(path) as db:
            service = ResultsService(db, questionnaire)
            timings: dict[str, list[float]] = {"anagen (SQL)": [], "baseline (Python)": []}
            results = {}
            for _ in range(rounds):
                for name, work in (
                    ("anagen (SQL)", lambda: in_sql(service)),
                    ("baseline (Python)", lambda: in_python(db, questionnaire)),
                ):
                    started = time.perf_counter()
                    results[name] = await work()
                    timings[name].append(time.perf_counter() - started)
    same = results["anagen (SQL)"] == results["baseline (Python)"]
    medians = {name: statistics.median(values) for name, values in timings.items()}
    print(f"{'':20} median of {rounds} (s)")
    for name, value in medians.items():
        print(f"{name:20} {value:10.3f}")
    ratio = medians["anagen (SQL)"] / medians["baseline (Python)"]
    print(f"ratio {ratio:.2f} (anagen / baseline; below 1 is faster); same counts: {same}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.responses, args.rounds))


if __name__ == "__main__":
    main()
