"""Answer commits per second through Anagen's store, against the raw driver on the same schema,
on SQLite and on PostgreSQL.

Run from the repository root:

    .venv/bin/python bench/storage.py [--answers 20000] [--backend sqlite|postgresql|both]
                                      [--postgres URL]

`--backend` defaults to both when PostgreSQL is installed (Debian's `postgresql` package:
`initdb` and `pg_ctl`) or `--postgres` is given, else to SQLite alone (and says so).

For each backend, a throw-away database is created by Anagen's real migrations and filled
(one unit of work of plain SQL) with N surveys in progress, ids 1..N, each with its age
answered and waiting on the single-choice question "sex". Three copies of it are then given
one answer per survey, in order, each answer its own committed transaction:

  (a) anagen: ``SurveyService.choose(response, member, "sex", [choice])``, the exact call a
      button click makes: one ``Database.run`` unit of work that re-reads the response and
      its answers, checks the member owns it and is on that question, saves the answer and
      its choice row, moves the position on and builds the next screen;
  (b) store only: ``ResponseRepository.save_answer`` + ``.update`` inside
      ``Database.run``, the store's writes without the service's checks and screen (shows
      how much of (a) is the store and how much is the survey rules);
  (c) raw driver: the same writes as (b) on one autocommit connection with explicit
      transactions: BEGIN (IMMEDIATE on SQLite), INSERT ... ON CONFLICT DO UPDATE into
      answers, DELETE + INSERT of the choice row, UPDATE of the position, COMMIT. The
      standard library's blocking ``sqlite3`` on SQLite, blocking ``psycopg`` on PostgreSQL.

Durability is what Anagen runs with, the same for the three rows of a backend:

  - SQLite: a file in a temporary folder with ``Database.open``'s settings (WAL,
    ``synchronous=NORMAL``, ``foreign_keys=ON``). In WAL mode with NORMAL, a COMMIT is not
    fsynced (the WAL is, at checkpoints): safe against a crash of the bot, not of the machine.
  - PostgreSQL: a throw-away cluster the bench starts itself (``tests/pg_cluster.start`` in a
    temporary folder, Unix socket only, stopped and removed at the end) with PostgreSQL's
    DEFAULT durability: ``fsync=on``, ``synchronous_commit=on``, ``full_page_writes=on``
    (unlike the test suite's cluster, which turns fsync off), so every COMMIT waits for its
    WAL to reach the disk. The bench measures real commits. ``--postgres URL`` uses an
    existing server instead (its own settings, printed); each copy gets a fresh schema,
    dropped at the end. Copies are schemas of one database in both cases.

So the line comparing backends compares them as Anagen configures them, not at equal
durability. The choices alternate between answers, so every call writes. Per backend it
prints the answers per second of each row and the ratios store / raw (target at least 0.5)
and anagen / raw, and checks every answer was stored; then one line comparing PostgreSQL
with SQLite. A benchmark, not a test: it asserts nothing about time; ratios are taken
against the raw driver measured in the same run.
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
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.storage import Database
from bot.storage.clock import utc_now
from bot.storage.dialect import to_pyformat
from bot.storage.location import DatabaseLocation, SQLiteLocation
from bot.storage.responses import SURVEY
from bot.storage.tx import Tx
from bot.survey.flow import Answer
from bot.survey.questionnaire import load_questionnaire
from bot.survey.service import SurveyService
from tests import pg_cluster
from tests.databases import drop_schema, fresh_schema

GUILD = 1
QUESTION = "sex"
NEXT = "pattern"
STAMP = "2026-01-01T00:00:00+00:00"
ROWS = ("anagen", "store", "raw")
BACKENDS = ("sqlite", "postgresql")
# PostgreSQL's defaults for everything that touches durability; only fewer connections.
CLUSTER_OPTIONS = "-c max_connections=50"

# The raw rows' writes, in the repositories' `?` placeholders (psycopg's are derived once).
SAVE_ANSWER = (
    "INSERT INTO answers (response_id, question_id, item, number, text, skipped, answered_at)"
    " VALUES (?, ?, '', NULL, NULL, 0, ?) ON CONFLICT (response_id, question_id, item)"
    " DO UPDATE SET number = excluded.number, text = excluded.text,"
    " skipped = excluded.skipped, answered_at = excluded.answered_at"
)
CLEAR_CHOICE = "DELETE FROM answer_choices WHERE response_id = ? AND question_id = ? AND item = ''"
ADD_CHOICE = (
    "INSERT INTO answer_choices (response_id, question_id, item, choice_id) VALUES (?, ?, '', ?)"
)
MOVE_ON = "UPDATE responses SET position = ?, updated_at = ? WHERE id = ?"

Work = Callable[[int], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Outcome:
    """One backend's run: answers per second and (stored, moved on) per row."""

    backend: str
    conditions: str  # the durability the rows ran with, for the table's title
    rates: dict[str, float]
    checks: dict[str, tuple[int, int]]


# -- the database, on either backend -----------------------------------------------------------


def fill(surveys: int) -> Callable[[Tx], None]:
    """Surveys 1..N (member i owns survey i), age answered, each waiting on QUESTION."""

    def unit(tx: Tx) -> None:
        tx.run(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)"
            " INSERT INTO responses (id, guild_id, user_id, questionnaire_version, status,"
            " position, surface, started_at, updated_at)"
            " SELECT i, ?, i, 1, 'in_progress', ?, 'dm', ?, ? FROM n",
            (surveys, GUILD, QUESTION, STAMP, STAMP),
        )
        tx.run(
            "INSERT INTO answers (response_id, question_id, item, number, skipped, answered_at)"
            " SELECT id, 'age', '', 30 + id % 40, 0, ? FROM responses",
            (STAMP,),
        )
        if tx.dialect.name == "postgresql":
            # Ids were given explicitly: move the identity on past them, as the bot's inserts
            # would have, and give the planner statistics for the filled tables.
            tx.value("SELECT setval(pg_get_serial_sequence('responses', 'id'), ?)", (surveys,))
            tx.script("ANALYZE responses; ANALYZE answers; ANALYZE answer_choices")

    return unit


async def build(target: DatabaseLocation, surveys: int) -> None:
    async with await Database.open(target) as db:  # the real migrations create the schema
        await db.run(fill(surveys))


async def stored(target: DatabaseLocation) -> tuple[int, int]:
    """(answers to QUESTION with a choice row, surveys moved on to NEXT)."""

    def count(tx: Tx) -> tuple[int, int]:
        answered = tx.value(
            "SELECT count(*) FROM answers a JOIN answer_choices c ON c.response_id ="
            " a.response_id AND c.question_id = a.question_id AND c.item = a.item"
            " WHERE a.question_id = ?",
            (QUESTION,),
        )
        moved = tx.value("SELECT count(*) FROM responses WHERE position = ?", (NEXT,))
        return int(answered), int(moved)

    async with await Database.open(target, migrate=False) as db:
        return await db.read(count)


async def timed(
    target: DatabaseLocation, work_on: Callable[[Database], Work], surveys: int
) -> float:
    async with await Database.open(target) as db:
        work = work_on(db)
        started = time.perf_counter()
        for rid in range(1, surveys + 1):
            await work(rid)
        return time.perf_counter() - started


# -- the raw drivers -----------------------------------------------------------------------------


def raw_sqlite(path: Path, choices: list[str], surveys: int) -> float:
    """Standard-library sqlite3 with Database.open's settings."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 5000")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    started = time.perf_counter()
    for rid in range(1, surveys + 1):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(SAVE_ANSWER, (rid, QUESTION, utc_now()))
        conn.execute(CLEAR_CHOICE, (rid, QUESTION))
        conn.execute(ADD_CHOICE, (rid, QUESTION, choices[rid % len(choices)]))
        conn.execute(MOVE_ON, (NEXT, utc_now(), rid))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def raw_postgres(url: str, choices: list[str], surveys: int) -> float:
    """Blocking psycopg 3, autocommit with explicit transactions (as Anagen's backend)."""
    import psycopg

    save, clear, add, move = (
        to_pyformat(sql) for sql in (SAVE_ANSWER, CLEAR_CHOICE, ADD_CHOICE, MOVE_ON)
    )
    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.cursor()
        started = time.perf_counter()
        for rid in range(1, surveys + 1):
            cursor.execute("BEGIN")
            cursor.execute(save, (rid, QUESTION, utc_now()))
            cursor.execute(clear, (rid, QUESTION))
            cursor.execute(add, (rid, QUESTION, choices[rid % len(choices)]))
            cursor.execute(move, (NEXT, utc_now(), rid))
            cursor.execute("COMMIT")
        return time.perf_counter() - started


# -- PostgreSQL schemas --------------------------------------------------------------------------


def server_conditions(server_url: str) -> str:
    import psycopg

    with psycopg.connect(server_url, autocommit=True) as conn:
        found = {
            name: conn.execute(f"SHOW {name}").fetchone()
            for name in ("server_version", "fsync", "synchronous_commit", "full_page_writes")
        }
    shown = {name: row[0] if row else "?" for name, row in found.items()}
    version = shown.pop("server_version").split()[0]
    return f"PostgreSQL {version}, " + ", ".join(f"{k}={v}" for k, v in shown.items())


# -- the runs ------------------------------------------------------------------------------------


def works(choices: list[str]) -> dict[str, Callable[[Database], Work]]:
    """For (a) and (b): given the open database, the call that answers survey `rid`."""
    questionnaire = load_questionnaire()

    def through_service(db: Database) -> Work:
        service = SurveyService(db, questionnaire)

        async def answer(rid: int) -> object:
            return await service.choose(rid, rid, QUESTION, [choices[rid % len(choices)]])

        return answer

    def through_store(db: Database) -> Work:
        async def answer(rid: int) -> None:
            chosen = Answer(choices=(choices[rid % len(choices)],))

            def unit(tx: Tx) -> None:
                store = SURVEY.on(tx)
                store.save_answer(rid, (QUESTION, ""), chosen)
                store.update(rid, position=NEXT)

            await db.run(unit)

        return answer

    return {"anagen": through_service, "store": through_store}


async def on_sqlite(surveys: int, choices: list[str]) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="anagen-storage-") as folder:
        template = Path(folder) / "template.db"
        await build(SQLiteLocation(template), surveys)  # closing it checkpoints the WAL
        paths = {name: Path(folder) / f"{name}.db" for name in ROWS}
        for path in paths.values():
            shutil.copyfile(template, path)
        through = works(choices)
        elapsed = {
            "raw": raw_sqlite(paths["raw"], choices, surveys),
            "store": await timed(SQLiteLocation(paths["store"]), through["store"], surveys),
            "anagen": await timed(SQLiteLocation(paths["anagen"]), through["anagen"], surveys),
        }
        checks = {name: await stored(SQLiteLocation(path)) for name, path in paths.items()}
    conditions = f"SQLite {sqlite3.sqlite_version}, WAL, synchronous=NORMAL"
    return Outcome("sqlite", conditions, rates(surveys, elapsed), checks)


async def on_postgres(surveys: int, choices: list[str], server_url: str) -> Outcome:
    copies = {name: fresh_schema(server_url, f"bench_{name}") for name in ROWS}
    try:
        for location in copies.values():
            await build(location, surveys)
        through = works(choices)
        elapsed = {
            "raw": raw_postgres(copies["raw"].url, choices, surveys),
            "store": await timed(copies["store"], through["store"], surveys),
            "anagen": await timed(copies["anagen"], through["anagen"], surveys),
        }
        checks = {name: await stored(location) for name, location in copies.items()}
    finally:
        for location in copies.values():
            drop_schema(server_url, location)
    return Outcome("postgresql", server_conditions(server_url), rates(surveys, elapsed), checks)


def rates(surveys: int, elapsed: dict[str, float]) -> dict[str, float]:
    return {name: surveys / seconds for name, seconds in elapsed.items()}


def report(outcome: Outcome, surveys: int) -> None:
    driver = "sqlite3" if outcome.backend == "sqlite" else "psycopg"
    labels = {
        "anagen": "anagen (SurveyService.choose)",
        "store": "store (repository in db.run)",
        "raw": f"raw {driver} (same writes)",
    }
    rate = outcome.rates
    print(f"answers: {surveys:,}, one committed transaction each ({outcome.conditions})")
    print(f"{'':34} {'answers/s':>10} {'us/answer':>10}   stored / moved on")
    for name in ROWS:
        answered, moved = outcome.checks[name]
        print(
            f"{labels[name]:34} {rate[name]:>10,.0f} {1e6 / rate[name]:>10.0f}"
            f"   {answered:,} / {moved:,}"
        )
    print(f"ratio store / raw:  {rate['store'] / rate['raw']:.2f} (target >= 0.5)")
    print(f"ratio anagen / raw: {rate['anagen'] / rate['raw']:.2f} (with the survey's rules)")


async def run(surveys: int, backends: list[str], server_url: str | None) -> None:
    choices = [c.id for c in load_questionnaire()[QUESTION].choices]
    outcomes: dict[str, Outcome] = {}
    for backend in backends:
        if backend == "sqlite":
            outcomes[backend] = await on_sqlite(surveys, choices)
        else:
            assert server_url is not None
            outcomes[backend] = await on_postgres(surveys, choices, server_url)
        if len(outcomes) > 1:
            print()
        report(outcomes[backend], surveys)
    if len(outcomes) == len(BACKENDS):
        pg, lite = outcomes["postgresql"].rates, outcomes["sqlite"].rates
        print()
        print(
            f"postgresql / sqlite: store {pg['store']:,.0f} / {lite['store']:,.0f} answers/s"
            f" = {pg['store'] / lite['store']:.2f} (anagen {pg['anagen'] / lite['anagen']:.2f},"
            f" raw {pg['raw'] / lite['raw']:.2f})"
        )


# -- the backends a run uses (shared with bench/survey_load.py and bench/scale_out.py) ---------


def add_backend_options(parser: argparse.ArgumentParser, *, choice: bool = True) -> None:
    """`--backend` (unless the bench runs on PostgreSQL only) and `--postgres URL`."""
    if choice:
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


def chosen_backends(parser: argparse.ArgumentParser, args: argparse.Namespace) -> list[str]:
    """The backends asked for; both by default when PostgreSQL is there (said when it is not)."""
    installed = args.postgres is not None or pg_cluster.find_binaries() is not None
    asked = getattr(args, "backend", "postgresql")
    choice = asked or ("both" if installed else "sqlite")
    if asked is None and not installed:
        print("PostgreSQL was not found (no initdb/pg_ctl, no --postgres): SQLite only.")
    if choice != "sqlite" and not installed:
        parser.error("PostgreSQL was not found (no initdb/pg_ctl): install it or give --postgres")
    return list(BACKENDS) if choice == "both" else [choice]


@contextlib.contextmanager
def postgres_server(given: str | None, backends: list[str]) -> Iterator[str | None]:
    """The server to use: the one given, a throw-away cluster at PostgreSQL's default
    durability (stopped and removed afterwards), or none (SQLite only)."""
    if given is not None or "postgresql" not in backends:
        yield given
        return
    folder = Path(tempfile.mkdtemp(prefix="anagen-bench-pg-"))
    try:
        yield pg_cluster.start(folder, options=CLUSTER_OPTIONS)
    finally:
        pg_cluster.stop(folder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=20_000, help="answers (and surveys)")
    add_backend_options(parser)
    args = parser.parse_args()
    backends = chosen_backends(parser, args)
    with postgres_server(args.postgres, backends) as url:
        asyncio.run(run(max(1, args.answers), backends, url))


if __name__ == "__main__":
    main()
