"""Issue 21: `anagen db backup` into a folder writes a dated file, and a folder that does not
exist is one clear line with nothing left behind. Real SQLite files in a temporary folder."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from bot.storage import Database
from tests.unit.test_cli import VARIABLES

DATED = re.compile(r"^anagen-\d{4}-\d{2}-\d{2}\.db$")


@pytest.fixture(autouse=True)
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "anagen.db"

    async def create() -> None:
        async with await Database.open(path) as db:
            await db.run(lambda tx: tx.run("INSERT INTO meta (key, value) VALUES ('k', 'v')"))

    asyncio.run(create())
    monkeypatch.setenv("ANAGEN_DATABASE", str(path))
    return path


def backup(*args: str) -> int:
    return main(["--env-file", os.devnull, "db", "backup", *args])


def test_a_folder_gets_a_dated_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()

    assert backup(str(folder)) == 0

    [written] = list(folder.iterdir())  # one self-contained file, nothing beside it
    assert DATED.match(written.name)
    assert f"to {written}" in capsys.readouterr().out
    with sqlite3.connect(written) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'k'").fetchone() == ("v",)
    conn.close()

    assert backup(str(folder)) == 1  # the same day again: like a file, only with --force
    assert "--force" in capsys.readouterr().err
    assert backup(str(folder) + "/", "--force") == 0
    assert [p.name for p in folder.iterdir()] == [written.name]


def test_a_missing_folder_is_one_line_and_leaves_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sorted(tmp_path.iterdir())
    assert backup(str(tmp_path / "missing" / "folder" / "b.db")) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("\n") == 1
    assert f"the folder {tmp_path / 'missing' / 'folder'} does not exist" in err
    assert sorted(tmp_path.iterdir()) == before
