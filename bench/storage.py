"""Answer commits per second through Anagen's store, against raw ``sqlite3`` on the same schema.

Run from the repository root:

    .venv/bin/python bench/storage.py [--answers 20000]

A throw-away database is created by Anagen's real migrations and filled (with plain SQL) with
N surveys in progress, each with its age answered and waiting on the single-choice question
"sex". Three copies of it are then given one answer per survey, in order, each answer its
own committed transaction, with the same durability settings everywhere (WAL,
``synchronous=NORMAL``, ``foreign_keys=ON``: what ``Database.open`` sets):

  (a) anagen: ``SurveyService.choose(response, member, "sex", [choice])``, the exact call a
      button click makes: one ``Database.run`` unit of work that re-reads the response and
      its answers, checks the member owns it and is on that question, saves the answer and
      its choice row, moves the position on and builds the next screen;
  (b) store only: ``ResponseRepository.save_answer`` + ``.update`` inside
      ``Database.run``, the store's writes without the service's checks and screen (shows
      how much of (a) is the store and how much is the survey rules);
  (c) raw sqlite3: the same writes as (b) with the standard library's blocking ``sqlite3``:
      BEGIN IMMEDIATE, INSERT ... ON CONFLICT DO UPDATE into answers, DELETE + INSERT of the
      choice row, UPDATE of the position, COMMIT.

The choices alternate between answers, so every call writes. It prints the answers per second
of each and the ratio anagen / raw (target at least 0.5), and checks every answer was stored.
A benchmark, not a test: it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.storage import Database
from bot.storage.clock import utc_now
from bot.storage.responses import SURVEY
from bot.storage.tx import Tx
from bot.survey.flow import Answer
from bot.survey.questionnaire import load_questionnaire
from bot.survey.service import SurveyService

GUILD = 1
QUESTION = "sex"
NEXT = "pattern"
STAMP = "2026-01-01T00:00:00+00:00"


def build(path: Path, surveys: int) -> None:
    """Surveys 1..N (member i owns survey i), age answered, each waiting on QUESTION."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
        " INSERT INTO responses (id, guild_id, user_id, questionnaire_version, status, position,"
        " surface, started_at, updated_at) SELECT i, ?, i, 1, 'in_progress', ?, 'dm', ?, ? FROM n",
        (surveys, GUILD, QUESTION, STAMP, STAMP),
    )
    conn.execute(
        "INSERT INTO answers (response_id, question_id, item, number, skipped, answered_at)"
        " SELECT id, 'age', '', 30 + id % 40, 0, ? FROM responses",
        (STAMP,),
    )
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def durable(path: Path) -> sqlite3.Connection:
    """A raw connection with Database.open's settings."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def raw_answers(path: Path, choices: list[str], surveys: int) -> float:
    conn = durable(path)
    started = time.perf_counter()
    for rid in range(1, surveys + 1):
        choice = choices[rid % len(choices)]
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO answers (response_id, question_id, item, number, text, skipped,"
            " answered_at) VALUES (?, ?, '', NULL, NULL, 0, ?) ON CONFLICT (response_id,"
            " question_id, item) DO UPDATE SET number = excluded.number, text = excluded.text,"
            " skipped = excluded.skipped, answered_at = excluded.answered_at",
            (rid, QUESTION, utc_now()),
        )
        conn.execute(
            "DELETE FROM answer_choices WHERE response_id = ? AND question_id = ? AND item = ''",
            (rid, QUESTION),
        )
        conn.execute(
            "INSERT INTO answer_choices (response_id, question_id, item, choice_id)"
            " VALUES (?, ?, '', ?)",
            (rid, QUESTION, choice),
        )
        conn.execute(
            "UPDATE responses SET position = ?, updated_at = ? WHERE id = ?",
            (NEXT, utc_now(), rid),
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


async def timed(path: Path, work: Callable[[Database, int], Awaitable[object]], n: int) -> float:
    async with await Database.open(path) as db:
        started = time.perf_counter()
        for rid in range(1, n + 1):
            await work(db, rid)
        return time.perf_counter() - started


def stored(path: Path) -> tuple[int, int]:
    """(answers to QUESTION with a choice row, surveys moved on to NEXT)."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        answered = conn.execute(
            "SELECT count(*) FROM answers a JOIN answer_choices c USING (response_id,"
            " question_id, item) WHERE a.question_id = ?",
            (QUESTION,),
        ).fetchone()[0]
        moved = conn.execute(
            "SELECT count(*) FROM responses WHERE position = ?", (NEXT,)
        ).fetchone()[0]
    return answered, moved


async def run(surveys: int) -> None:
    questionnaire = load_questionnaire()
    choices = [c.id for c in questionnaire[QUESTION].choices]
    services: dict[int, SurveyService] = {}

    async def through_service(db: Database, rid: int) -> object:
        service = services.setdefault(id(db), SurveyService(db, questionnaire))
        return await service.choose(rid, rid, QUESTION, [choices[rid % len(choices)]])

    async def through_store(db: Database, rid: int) -> None:
        answer = Answer(choices=(choices[rid % len(choices)],))

        def unit(tx: Tx) -> None:
            store = SURVEY.on(tx)
            store.save_answer(rid, (QUESTION, ""), answer)
            store.update(rid, position=NEXT)

        await db.run(unit)

    with tempfile.TemporaryDirectory(prefix="anagen-storage-") as folder:
        template = Path(folder) / "template.db"
        async with await Database.open(template):
            pass  # the real migrations create the schema
        build(template, surveys)
        paths = {name: Path(folder) / f"{name}.db" for name in ("anagen", "store", "raw")}
        for path in paths.values():
            shutil.copyfile(template, path)
        elapsed = {
            "raw": raw_answers(paths["raw"], choices, surveys),
            "store": await timed(paths["store"], through_store, surveys),
            "anagen": await timed(paths["anagen"], through_service, surveys),
        }
        checks = {name: stored(path) for name, path in paths.items()}

    rates = {name: surveys / seconds for name, seconds in elapsed.items()}
    print(f"answers: {surveys:,}, one committed transaction each (WAL, synchronous=NORMAL)")
    print(f"{'':34} {'answers/s':>10} {'us/answer':>10}   stored / moved on")
    labels = {
        "anagen": "anagen (SurveyService.choose)",
        "store": "store (repository in db.run)",
        "raw": "raw sqlite3 (same writes)",
    }
    for name in ("anagen", "store", "raw"):
        answered, moved = checks[name]
        print(
            f"{labels[name]:34} {rates[name]:>10,.0f} {1e6 / rates[name]:>10.0f}"
            f"   {answered:,} / {moved:,}"
        )
    print(f"ratio store / raw:  {rates['store'] / rates['raw']:.2f} (target >= 0.5)")
    print(f"ratio anagen / raw: {rates['anagen'] / rates['raw']:.2f} (with the survey's rules)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=20_000, help="answers (and surveys)")
    args = parser.parse_args()
    asyncio.run(run(max(1, args.answers)))


if __name__ == "__main__":
    main()
