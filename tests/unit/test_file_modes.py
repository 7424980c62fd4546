"""Files holding members' data are readable by their owner only, whatever the umask
(security review F6): the SQLite database and its -wal/-shm, `anagen db backup` copies,
`anagen export` files and `anagen report` pages. `anagen check` warns of a database or a
.env file that others can read."""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from bot.storage import Database
from bot.storage.meta import MetaRepository
from bot.survey.flow import Answer
from tests.survey_driver import seed_response

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")

GOOD_TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAw.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"
GUILD = 123456789012345678


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Debian's and Ubuntu's default: files 0644 unless the code says otherwise."""
    for name in ("DISCORD_TOKEN", "ANAGEN_DATABASE", "ANAGEN_LOG_LEVEL", "ANAGEN_DEV_GUILD_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


async def _database_with_a_row(path: Path) -> None:
    async with await Database.open(path) as db:
        await db.run(lambda tx: MetaRepository(tx).remember("k", "v"))


async def _database_with_a_response(path: Path) -> None:
    """A server the read commands know: one completed response for GUILD."""
    async with await Database.open(path) as db:
        await seed_response(db, GUILD, 1, {("age", ""): Answer(number=30)})


async def test_the_database_and_its_wal_and_shm_are_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "anagen.db"
    async with await Database.open(path) as db:
        await db.run(lambda tx: MetaRepository(tx).remember("k", "v"))
        sidecars = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]
        assert all(p.exists() for p in sidecars)
        for file in (path, *sidecars):
            assert mode(file) == 0o600, file
    assert mode(path) == 0o600
    # the lock file the bot takes (exclusive) holds nothing, but is the owner's too
    async with await Database.open(path, exclusive=True):
        assert mode(path.with_name(path.name + ".lock")) == 0o600


async def test_an_existing_database_keeps_its_mode(tmp_path: Path) -> None:
    """Anagen does not change an operator's own choice; `anagen check` warns instead."""
    path = tmp_path / "anagen.db"
    await _database_with_a_row(path)
    path.chmod(0o640)
    async with await Database.open(path):
        pass
    assert mode(path) == 0o640


def test_backup_is_owner_only_and_leaves_nothing_beside_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "anagen.db"
    asyncio.run(_database_with_a_row(database))
    monkeypatch.setenv("ANAGEN_DATABASE", str(database))
    out = tmp_path / "backups"
    out.mkdir()
    copy = out / "bk.db"

    assert main(["--env-file", "/dev/null", "db", "backup", str(copy)]) == 0

    assert sorted(p.name for p in out.iterdir()) == ["bk.db"]
    assert mode(copy) == 0o600
    # overwriting a copy an older Anagen wrote 0644 leaves an owner-only file too
    copy.chmod(0o644)
    assert main(["--env-file", "/dev/null", "db", "backup", "--force", str(copy)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["bk.db"]
    assert mode(copy) == 0o600
    import sqlite3

    with sqlite3.connect(copy) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'k'").fetchone() == ("v",)
    conn.close()
    assert "Backed up" in capsys.readouterr().out


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_files_are_owner_only(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asyncio.run(_database_with_a_response(tmp_path / "anagen.db"))
    monkeypatch.setenv("ANAGEN_DATABASE", str(tmp_path / "anagen.db"))
    output = tmp_path / "out" / f"server.{fmt}"
    output.parent.mkdir()
    stale = output.parent / f"server.codebook.{fmt}"
    stale.write_text("an older export, written 0644")

    argv = ["--env-file", "/dev/null", "export", "--guild", str(GUILD), "--format", fmt]
    assert main([*argv, "-o", str(output), "--force"]) == 0  # over the stale codebook

    written = sorted(output.parent.iterdir())
    assert [p.name for p in written] == [
        f"server.checkins.{fmt}",
        f"server.codebook.{fmt}",
        f"server.{fmt}",
    ]
    for file in written:
        assert mode(file) == 0o600, file
    assert "an older export" not in stale.read_text()


def test_report_is_owner_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    asyncio.run(_database_with_a_response(tmp_path / "anagen.db"))
    monkeypatch.setenv("ANAGEN_DATABASE", str(tmp_path / "anagen.db"))
    output = tmp_path / "report.html"
    argv = ["--env-file", "/dev/null", "report", "--guild", str(GUILD), "-o", str(output)]
    assert main(argv) == 0
    assert mode(output) == 0o600
    assert "<html" in output.read_text(encoding="utf-8").lower()


def _warnings(capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [line for line in capsys.readouterr().out.splitlines() if line.startswith("WARNING")]


def test_check_warns_of_a_database_others_can_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "anagen.db"
    asyncio.run(_database_with_a_row(database))
    monkeypatch.setenv("DISCORD_TOKEN", GOOD_TOKEN)
    monkeypatch.setenv("ANAGEN_DATABASE", str(database))

    assert main(["--env-file", "/dev/null", "check"]) == 0
    assert _warnings(capsys) == []

    database.chmod(0o644)
    assert main(["--env-file", "/dev/null", "check"]) == 0  # a warning, not a failure
    [warning] = _warnings(capsys)
    assert str(database) in warning
    assert "0644" in warning
    assert "chmod 600" in warning


def test_check_warns_of_an_env_file_others_can_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"DISCORD_TOKEN={GOOD_TOKEN}\n")
    env_file.chmod(0o600)
    assert main(["--env-file", str(env_file), "check"]) == 0
    assert _warnings(capsys) == []

    env_file.chmod(0o604)
    assert main(["--env-file", str(env_file), "check"]) == 0
    [warning] = _warnings(capsys)
    assert str(env_file) in warning
    assert "0604" in warning
    assert "DISCORD_TOKEN" in warning
