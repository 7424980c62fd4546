"""`anagen db copy`: every table from SQLite into PostgreSQL and back, from one snapshot."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from bot.checkins.scheduler import claim_due
from bot.cli import main
from bot.schedule import Schedule
from bot.storage import Database, StorageError, load_migrations
from bot.storage.checkins import CheckinRepository, PauseReason, ReminderState
from bot.storage.clock import stamp
from bot.storage.copy import TABLES, copy_database
from bot.storage.guilds import GuildSettings, GuildSettingsRepository
from bot.storage.imports import ImportedReplyRepository
from bot.storage.languages import LanguageRepository
from bot.storage.location import DatabaseLocation, PostgresLocation, SQLiteLocation
from bot.storage.meta import MetaRepository
from bot.storage.releases import ReleaseRecord, ReleaseRepository
from bot.storage.responses import SURVEY, Answer, checkin_tables
from bot.storage.results import guild_secret
from bot.storage.suggestions import SuggestionRepository
from bot.storage.tx import Tx
from tests.databases import columns, drop_schema, env_value, fresh_schema, rows, table_names

GUILD, OTHER_GUILD = 111_000_000_000_000_001, 222_000_000_000_000_002
ALEX, SAM, KIM = 900_000_000_000_000_001, 900_000_000_000_000_002, 900_000_000_000_000_003
NOW = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)


# -- PostgreSQL: a fresh schema per database ---------------------------------------------


@pytest.fixture
def new_schema(postgres: str) -> Iterator[Callable[[], PostgresLocation]]:
    """Makes fresh PostgreSQL schemas on the test server (conftest's `postgres`: skipped
    without PostgreSQL, failed in CI) and drops them after the test."""
    made: list[PostgresLocation] = []

    def make() -> PostgresLocation:
        made.append(fresh_schema(postgres))
        return made[-1]

    yield make
    for location in made:
        drop_schema(postgres, location)


# -- every table populated, through the repositories --------------------------------------


def _populate(tx: Tx) -> None:
    meta = MetaRepository(tx)
    meta.remember("command_tree_hash", "5f2a9c")
    meta.remember("note", 'it\'s 100% "quoted" text, with ? and :colons')
    settings = GuildSettingsRepository(tx)
    settings.save(GuildSettings(GUILD, min_group_size=7, checkins_enabled=True))
    settings.save(GuildSettings(OTHER_GUILD, results_visibility="managers", survey_open=False))
    guild_secret(tx, GUILD)
    guild_secret(tx, OTHER_GUILD)

    # a published release with two parts, and an erasure counted towards the next one
    releases = ReleaseRepository(tx)
    assert releases.claim(GUILD, 1, "2026-01-02T00:00:00.000000+00:00", "")
    releases.publish(
        ReleaseRecord(
            GUILD,
            1,
            "ready",
            "2026-01-02T00:00:00.000000+00:00",
            "2026-01-01T23:00:00.000000+00:00",
            12,
            12,
            0,
            7,
        ),
        [("overview", '{"respondents": 12}'), ("png:overview", "iVBORw0KGgo=")],
    )
    releases.record_erasure(GUILD, "2026-01-03T00:00:00.000000+00:00")

    suggestions = SuggestionRepository(tx)
    first = suggestions.add(GUILD, ALEX, "minoxidil", "The dose note is outdated.")
    suggestions.add(GUILD, SAM, "finasteride", "Add the 2024 study. Ünïcödé ✓")
    suggestions.resolve(GUILD, first, "accepted", KIM)

    survey = SURVEY.on(tx)
    for user in (ALEX, SAM, KIM):
        response = survey.create(GUILD, user, 1, "dm")
        survey.save_answer(response.id, ("age", ""), Answer(number=31))
        survey.save_answer(response.id, ("treatments", ""), Answer(("minoxidil", "finasteride")))
        survey.save_answer(response.id, ("effects.shedding", "minoxidil"), Answer(("less",)))
        survey.save_answer(response.id, ("notes", ""), Answer(text="line one\nline two"))
        survey.save_answer(response.id, ("pain", ""), Answer(skipped=True))
        survey.set_prompt(response.id, 555, 666, "guild")
        survey.update(response.id, position="summary", completed=True)
    retake = survey.create(GUILD, ALEX, 1, "dm")  # in progress, beside the completed one
    survey.save_answer(retake.id, ("age", ""), Answer(number=32))
    survey.update(retake.id, position="treatments")

    imports = ImportedReplyRepository(tx)
    synthetic = imports.next_synthetic_user()
    imported = survey.create(GUILD, synthetic, 1, "dm")
    survey.save_answer(imported.id, ("age", ""), Answer(number=40))
    survey.update(imported.id, position="summary", completed=True)
    imports.record(imported.id, "Age: 40\nBalding: yes", "Balding: yes")

    checkins = CheckinRepository(tx)
    schedule = Schedule(interval_weeks=4, weekday=0, hour=9, zone="Europe/Berlin")
    checkins.enrol(GUILD, ALEX, schedule, NOW)
    checkins.enrol(GUILD, SAM, Schedule(2, 3, 18, "America/New_York"), NOW)
    checkins.enrol(GUILD, KIM, schedule, NOW)
    checkins.pause(GUILD, KIM, NOW, PauseReason.DM_CLOSED)
    later = NOW + timedelta(weeks=9)
    reminders = claim_due(checkins, later, "run-1", limit=10)
    assert reminders, "the enrolments should be due nine weeks on"
    checkins.finish(reminders[0], ReminderState.SENT, later)
    checkins.snooze(GUILD, ALEX, reminders[0].period, later + timedelta(days=1))
    checkins.start_treatments(GUILD, ALEX, [("minoxidil", "2024-01"), ("finasteride", None)], NOW)
    checkins.stop_treatment(GUILD, ALEX, "finasteride", "2025-02", NOW)
    checkins.change_dose(GUILD, ALEX, "minoxidil", "2025-01", NOW)

    answers = checkin_tables(lambda: stamp(later)).on(tx)
    checkin = answers.create(GUILD, ALEX, 1, "dm", period=reminders[0].period)
    answers.save_answer(checkin.id, ("shedding", ""), Answer(("less",)))
    answers.save_answer(checkin.id, ("regimen.changes", "minoxidil"), Answer(("dose_up", "x")))
    answers.save_answer(checkin.id, ("notes", ""), Answer(text="fine"))
    answers.update(checkin.id, position=None, completed=True)
    unfinished = answers.create(GUILD, SAM, 1, "guild")
    answers.save_answer(unfinished.id, ("shedding", ""), Answer(skipped=True))

    languages = LanguageRepository(tx)
    languages.choose(ALEX, "pt_BR")
    languages.seen(SAM, "de")


async def populate(location: DatabaseLocation) -> None:
    """Realistic rows in every table of Anagen's schema (asserted, so a new table that is
    left empty here fails the round trip)."""
    async with await Database.open(location) as db:
        await db.run(_populate)
    empty = [t for t in table_names(location) if not rows(location, f"SELECT 1 FROM {t}")]
    assert not empty, f"populate() left these tables empty: {empty}"


def dump(location: DatabaseLocation) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every Anagen table, in SQLite's column order, sorted."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    for table in table_names(location):
        names = ", ".join(columns(location, table))
        found[table] = sorted(
            (
                tuple(_plain(v) for v in row)
                for row in rows(location, f"SELECT {names} FROM {table}")
            ),
            key=repr,
        )
    return found


def _plain(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview) else value


# -- the table list ------------------------------------------------------------------------


async def test_the_copy_knows_every_table_the_migrations_create(
    db_location: DatabaseLocation,
) -> None:
    async with await Database.open(db_location):
        pass
    assert sorted(TABLES) == table_names(db_location), (
        "bot/storage/copy.py TABLES must list every table (add a new migration's tables there)"
    )
    assert len(set(TABLES)) == len(TABLES)


def test_tables_are_copied_parents_first(tmp_path: Path) -> None:
    path = tmp_path / "schema.db"
    conn = sqlite3.connect(path)
    try:
        for migration in load_migrations("sqlite"):
            conn.executescript(migration.sql)
        for position, table in enumerate(TABLES):
            for parent in {row[2] for row in conn.execute(f"PRAGMA foreign_key_list({table})")}:
                assert TABLES.index(parent) < position, f"{parent} must come before {table}"
    finally:
        conn.close()


# -- the round trip ------------------------------------------------------------------------


async def test_round_trip_sqlite_postgresql_sqlite_keeps_every_row(
    tmp_path: Path, new_schema: Callable[[], PostgresLocation]
) -> None:
    original = SQLiteLocation(tmp_path / "original.db")
    await populate(original)
    before = dump(original)
    assert set(before) == set(TABLES)

    middle: PostgresLocation = new_schema()
    there = await copy_database(original, middle)
    assert list(there.counts) == list(TABLES)
    assert there.counts == {table: len(found) for table, found in before.items()}
    assert dump(middle) == before
    secret = rows(middle, "SELECT secret FROM guild_secrets WHERE guild_id = ?", (GUILD,))[0][0]
    assert isinstance(secret, bytes)
    assert len(secret) == 32

    back = SQLiteLocation(tmp_path / "back.db")
    again = await copy_database(middle, back)
    assert again.counts == there.counts
    assert dump(back) == before
    async with await Database.open(back, readonly=True, migrate=False) as db:
        assert await db.integrity_problems() == []
        assert await db.schema_version() == len(load_migrations("sqlite"))
    foreign = sqlite3.connect(back.path)
    try:
        assert foreign.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        foreign.close()


async def test_a_postgresql_target_takes_new_rows_after_the_copy(
    tmp_path: Path, new_schema: Callable[[], PostgresLocation]
) -> None:
    source = SQLiteLocation(tmp_path / "source.db")
    await populate(source)
    target: PostgresLocation = new_schema()
    await copy_database(source, target)

    highest = rows(target, "SELECT max(id) FROM responses")[0][0]

    def more(tx: Tx) -> tuple[int, int, int]:
        response = SURVEY.on(tx).create(OTHER_GUILD, ALEX, 1, "dm")
        checkin = checkin_tables(lambda: stamp(NOW)).on(tx).create(OTHER_GUILD, ALEX, 1, "dm")
        suggestion = SuggestionRepository(tx).add(OTHER_GUILD, ALEX, "minoxidil", "more")
        CheckinRepository(tx).enrol(OTHER_GUILD, ALEX, Schedule(8, 1, 7, "UTC"), NOW)
        CheckinRepository(tx).start_treatments(OTHER_GUILD, ALEX, [("ketoconazole", None)], NOW)
        return response.id, checkin.id, suggestion

    async with await Database.open(target) as db:
        response_id, _, _ = await db.run(more)
    assert response_id > highest
    for table in ("responses", "checkin_responses", "treatment_suggestions",
                  "checkin_enrolments", "regimen_entries", "checkin_reminders"):  # fmt: skip
        last = rows(
            target,
            "SELECT pg_sequence_last_value(CAST(pg_get_serial_sequence(?, 'id') AS regclass))",
            (table,),
        )[0][0]
        assert last == rows(target, f"SELECT max(id) FROM {table}")[0][0], table


# -- refusals ------------------------------------------------------------------------------


async def test_a_target_with_data_is_refused_and_left_alone(tmp_path: Path) -> None:
    source, target = SQLiteLocation(tmp_path / "a.db"), SQLiteLocation(tmp_path / "b.db")
    await populate(source)
    async with await Database.open(target) as db:
        await db.run(lambda tx: MetaRepository(tx).remember("command_tree_hash", "abc"))
    with pytest.raises(StorageError, match="table meta has rows"):
        await copy_database(source, target)
    assert rows(target, "SELECT count(*) FROM responses") == [(0,)]
    assert rows(target, "SELECT key, value FROM meta") == [("command_tree_hash", "abc")]


async def test_the_same_database_as_source_and_target_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "anagen.db"
    await populate(SQLiteLocation(path))
    for target in (path, f"sqlite:///{path}", str(tmp_path / "." / "anagen.db")):
        with pytest.raises(StorageError, match="the same database"):
            await copy_database(path, target)


async def test_the_same_postgresql_database_is_refused(
    new_schema: Callable[[], PostgresLocation],
) -> None:
    location: PostgresLocation = new_schema()
    with pytest.raises(StorageError, match="the same database"):
        await copy_database(location.url, location.url)


async def test_a_source_at_an_older_schema_version_is_refused_untouched(
    tmp_path: Path,
) -> None:
    old = tmp_path / "old.db"
    async with await Database.open(old, migrations=load_migrations("sqlite")[:4]):
        pass
    with pytest.raises(
        StorageError, match=r"start the bot \(this version\) on it once so it migrates"
    ):
        await copy_database(old, tmp_path / "new.db")
    async with await Database.open(old, readonly=True, migrate=False) as db:
        assert await db.schema_version() == 4  # the copy never migrates its source


async def test_a_postgresql_source_at_an_older_schema_version_is_refused(
    tmp_path: Path, new_schema: Callable[[], PostgresLocation]
) -> None:
    old: PostgresLocation = new_schema()
    async with await Database.open(old, migrations=load_migrations("postgresql")[:2]):
        pass
    with pytest.raises(StorageError, match="older than this Anagen"):
        await copy_database(old, tmp_path / "new.db")


async def test_a_missing_source_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="does not exist"):
        await copy_database(tmp_path / "nowhere.db", tmp_path / "new.db")


# -- a snapshot while the bot writes -------------------------------------------------------

ANSWERS_PER_RESPONSE = 5


def _responses(tx: Tx, users: range) -> None:
    """What members' surveys write: each response with all its answers, in one unit."""
    survey = SURVEY.on(tx)
    for user in users:
        response = survey.create(GUILD, user, 1, "dm")
        for n in range(ANSWERS_PER_RESPONSE):
            survey.save_answer(response.id, (f"q{n}", ""), Answer(("a", "b")))
        survey.update(response.id, position="summary", completed=True)


async def test_the_copy_is_one_snapshot_while_the_source_is_written(
    db_location: DatabaseLocation, tmp_path: Path
) -> None:
    async with await Database.open(db_location) as bot:
        await bot.run(functools.partial(_responses, users=range(1, 1501)))
        written = 1500
        copying = asyncio.create_task(copy_database(db_location, tmp_path / "copy.db"))
        during = 0
        while not copying.done():  # the bot keeps answering surveys throughout the copy
            await bot.run(functools.partial(_responses, users=range(written + 1, written + 2)))
            written += 1
            during += 1
            await asyncio.sleep(0)
        report = copying.result()
    assert during > 0, "the bot wrote nothing while the copy ran"
    copied = SQLiteLocation(tmp_path / "copy.db")
    responses = report.counts["responses"]
    assert 1500 <= responses <= written
    assert report.counts["answers"] == ANSWERS_PER_RESPONSE * responses
    assert report.counts["answer_choices"] == 2 * ANSWERS_PER_RESPONSE * responses
    for table, count in report.counts.items():
        assert rows(copied, f"SELECT count(*) FROM {table}") == [(count,)], table
    assert rows(
        copied,
        "SELECT count(*) FROM responses r WHERE (SELECT count(*) FROM answers a"
        " WHERE a.response_id = r.id) != ?",
        (ANSWERS_PER_RESPONSE,),
    ) == [(0,)]
    assert rows(db_location, "SELECT count(*) FROM responses") == [(written,)]


# -- the command line ----------------------------------------------------------------------


@pytest.fixture
def operator_shell(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The copy needs no settings: SOURCE and TARGET are all it reads."""
    monkeypatch.delenv("ANAGEN_DATABASE", raising=False)
    monkeypatch.chdir(tmp_path)


def test_cli_copies_both_ways_and_prints_the_counts(
    capsys: pytest.CaptureFixture[str],
    operator_shell: None,
    tmp_path: Path,
    new_schema: Callable[[], PostgresLocation],
) -> None:
    source = SQLiteLocation(tmp_path / "anagen.db")
    asyncio.run(populate(source))
    target: PostgresLocation = new_schema()
    assert main(["db", "copy", str(source.path), env_value(target)]) == 0
    out = capsys.readouterr().out
    assert "(one snapshot of the source)" in out
    for table in TABLES:
        expected = rows(source, f"SELECT count(*) FROM {table}")[0][0]
        assert any(line.split() == [table, str(expected)] for line in out.splitlines())
    total = sum(rows(source, f"SELECT count(*) FROM {table}")[0][0] for table in TABLES)
    last = out.splitlines()[-1]
    assert last.startswith(f"Done: {total} rows in {len(TABLES)} tables")
    assert "matches the source's snapshot" in last
    password = urlsplit(target.url).password
    assert str(target) in out
    assert password is None or password not in out

    assert main(["db", "copy", env_value(target), f"sqlite:///{tmp_path / 'back.db'}"]) == 0
    capsys.readouterr()
    assert dump(SQLiteLocation(tmp_path / "back.db")) == dump(source)


def test_cli_refusal_is_one_error_line(
    capsys: pytest.CaptureFixture[str], operator_shell: None, tmp_path: Path
) -> None:
    source = SQLiteLocation(tmp_path / "anagen.db")
    asyncio.run(populate(source))
    assert main(["db", "copy", str(source.path), str(source.path)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("anagen: error: copy failed: the source and the target")

    assert main(["db", "copy", str(source.path), str(tmp_path / "copy.db")]) == 0
    capsys.readouterr()
    assert main(["db", "copy", str(source.path), str(tmp_path / "copy.db")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "already holds data" in err
    assert "Traceback" not in err


def test_cli_help_explains_the_copy(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["db", "copy", "--help"])
    assert exited.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    for phrase in ("snapshot", "safe while the bot runs", "must hold no Anagen data", "row count"):
        assert phrase in text
