"""Issue 21: the command line never fools a moderator about which database and which server
it read. `anagen guilds` lists the servers a database holds; a mistyped --guild is named,
the servers listed, and nothing written; a missing database file is refused by its absolute
path instead of created empty. Real SQLite files in temporary folders, the CLI as an
operator runs it."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.storage import Database
from bot.storage.responses import SURVEY, Answer
from bot.storage.tx import Tx
from tests.checkin_driver import store_checkin
from tests.unit.test_cli import VARIABLES

SERVER, OTHER, WRONG = 428_000_000_000_000_001, 428_000_000_000_000_002, 123
WHEN = datetime(2026, 3, 2, 8, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (*VARIABLES, "ANAGEN_QUESTIONNAIRE", "ANAGEN_KNOWLEDGE_BASE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


async def seed(path: Path) -> None:
    """SERVER: three members finished (one twice), one still answering, two replies
    imported, one check-in. OTHER: one member finished."""

    def unit(tx: Tx) -> None:
        store = SURVEY.on(tx)
        for guild, user, done in (
            (SERVER, 1, True),
            (SERVER, 1, True),  # a retake: still one member
            (SERVER, 2, True),
            (SERVER, 3, True),
            (SERVER, 4, False),
            (OTHER, 5, True),
        ):
            response = store.create(guild, user, 1, "dm")
            store.save_answer(response.id, ("age", ""), Answer(number=30))
            store.update(response.id, position="summary", completed=done)
        for fake_user in (-1, -2):
            response = store.create(SERVER, fake_user, 1, "dm")
            store.update(response.id, position="summary", completed=True)
            tx.run("UPDATE responses SET imported = 1 WHERE id = ?", (response.id,))

    async with await Database.open(path) as db:
        await db.run(unit)
        await store_checkin(db, SERVER, 1, {("itch", ""): Answer(number=2)}, at=WHEN)


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "bot" / "anagen.db"
    path.parent.mkdir()
    asyncio.run(seed(path))
    monkeypatch.setenv("ANAGEN_DATABASE", str(path))
    return path


def dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, to prove a command wrote nothing."""
    with sqlite3.connect(path) as conn:
        tables = [
            name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]
        found = {
            table: sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
            for table in tables
        }
    conn.close()
    return found


def files_in(folder: Path) -> list[str]:
    """What a command may have written, the database's own folder (SQLite's -wal and -shm
    beside it) apart: `dump` compares the database."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.parent.name != "bot")


# -- anagen guilds --------------------------------------------------------------------------


def test_guilds_lists_the_servers_with_their_counts(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["guilds"]) == 0
    out = capsys.readouterr().out
    assert str(database) in out  # which file was read, from the root
    rows = {
        line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()[:1].isdigit()
    }
    # members who finished, in progress, imported, check-ins, day of the last answer
    assert rows[str(SERVER)][:4] == ["3", "1", "2", "1"]
    assert rows[str(OTHER)][:4] == ["1", "0", "0", "0"]
    assert "Copy Server ID" in out  # where Discord shows the id

    assert main(["guilds", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["database"] == str(database)
    server = next(s for s in data["servers"] if s["guild_id"] == str(SERVER))  # a string: jq
    assert (server["members"], server["in_progress"], server["imported"], server["checkins"]) == (
        3,
        1,
        2,
        1,
    )
    assert len(server["last_answer"]) == len("2026-03-02")


def test_guilds_on_an_empty_database_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.db"
    asyncio.run(_create(empty))
    monkeypatch.setenv("ANAGEN_DATABASE", str(empty))
    assert main(["guilds"]) == 0
    assert "holds no server yet" in capsys.readouterr().out
    assert main(["guilds", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["servers"] == []


async def _create(path: Path) -> None:
    async with await Database.open(path):
        pass


# -- a wrong --guild ------------------------------------------------------------------------


def _wrong_guild_commands(tmp_path: Path) -> Iterator[list[str]]:
    replies = tmp_path / "replies.txt"
    replies.write_text("Age: 30\nItch: yes\nShedding: a lot\n")
    yield ["export", "--guild", str(WRONG), "-o", str(tmp_path / "out.csv")]
    yield ["export", "--guild", str(WRONG), "--format", "json", "-o", str(tmp_path / "o.json")]
    yield ["report", "--guild", str(WRONG), "-o", str(tmp_path / "report.html")]
    yield ["checkins", "log", "--guild", str(WRONG)]
    yield ["checkins", "log", "--guild", str(WRONG), "--json"]
    yield ["erase", "--guild", str(WRONG), "--user", "1", "--yes"]
    yield ["import-replies", str(replies), "--guild", str(WRONG)]


def test_a_wrong_guild_is_named_with_the_servers_and_writes_nothing(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = dump(database)
    for argv in _wrong_guild_commands(tmp_path):
        written = files_in(tmp_path)
        assert main(argv) == 1, argv
        captured = capsys.readouterr()
        assert f"server {WRONG} is not in the database {database}" in captured.err, argv
        assert str(SERVER) in captured.err, argv  # the list of servers
        assert str(OTHER) in captured.err, argv
        assert "Copy Server ID" in captured.err, argv
        assert "Traceback" not in captured.err
        assert not captured.out.strip() or argv[0] == "import-replies", argv
        assert files_in(tmp_path) == written, argv  # no export, no report
        # an export used to create the server's secret: a read command wrote a row
        assert dump(database) == before, argv


def test_import_into_a_new_server_needs_new_server(
    database: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replies = tmp_path / "replies.txt"
    replies.write_text("Age: 30\nItch: yes\n")
    assert main(["import-replies", str(replies), "--guild", str(WRONG)]) == 1
    assert "add --new-server" in capsys.readouterr().err
    assert main(["import-replies", str(replies), "--guild", str(WRONG), "--new-server"]) == 0
    assert f"Stored 1 imported responses for server {WRONG}" in capsys.readouterr().out
    assert main(["guilds"]) == 0
    assert str(WRONG) in capsys.readouterr().out


def test_checkins_log_names_the_member_it_found_nothing_for(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["checkins", "log", "--guild", str(SERVER), "--user", "42"]) == 0
    assert f"No check-in reminders logged for member 42 in server {SERVER}." in (
        capsys.readouterr().out
    )
    assert main(["checkins", "log", "--guild", str(SERVER), "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


# -- a database that is not there ------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["guilds"],
        ["guilds", "--json"],
        ["report", "--guild", "1", "-o", "report.html"],
        ["export", "--guild", "1", "-o", "out.csv"],
        ["checkins", "log", "--guild", "1"],
        ["erase", "--guild", "1", "--user", "2", "--yes"],
        ["import-replies", "replies.txt", "--guild", "1"],
        ["db", "backup", "copy.db"],
    ],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_a_missing_database_is_refused_by_its_absolute_path(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "replies.txt").write_text("Age: 30\nItch: yes\n")
    before = files_in(tmp_path)

    assert main(argv) == 2  # run from the wrong folder: the default anagen.db is not here

    err = capsys.readouterr().err
    assert f"no database at {tmp_path / 'anagen.db'}" in err
    assert "folder the bot runs in" in err
    assert "Traceback" not in err
    assert files_in(tmp_path) == before  # no empty anagen.db, no -wal, no output


def test_a_missing_database_folder_is_named_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ANAGEN_DATABASE", "/nonexistent/dir/x.db")
    assert main(["export", "--guild", "1", "-o", "out.csv"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "no database at /nonexistent/dir/x.db: the folder /nonexistent/dir does not exist" in err


# -- anagen check ---------------------------------------------------------------------------


GOOD_TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAw.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"


def test_check_names_the_database_by_its_absolute_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", GOOD_TOKEN)
    assert main(["check"]) == 0
    database_lines = [line for line in capsys.readouterr().out.splitlines() if "database" in line]
    assert any(str(tmp_path / "anagen.db") in line for line in database_lines)
    assert not (tmp_path / "anagen.db").exists()  # check creates nothing either

    assert main(["check", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert report["database"] == str(tmp_path / "anagen.db")
    assert report["problems"] == []


def test_check_never_says_ok_and_problem_for_the_same_database(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("ANAGEN_DATABASE", "/nonexistent/dir/x.db")
    assert main(["check"]) == 1
    lines = [line for line in capsys.readouterr().out.splitlines() if "/nonexistent/dir" in line]
    assert lines
    assert all(line.startswith("PROBLEM") for line in lines), lines

    assert main(["check", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert not any("/nonexistent/dir" in line for line in report["passed"])
    assert any("/nonexistent/dir" in line for line in report["problems"])
