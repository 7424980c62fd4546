"""Issue 21: `anagen export` writes columns of one type each (a skipped number is an empty
cell, null in JSON, and the codebook says so), choice labels on request, and never
overwrites earlier exports without --force. A small questionnaire of its own and answers
stored in a real SQLite file, exported through the command line."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.storage import Database
from bot.storage.responses import SURVEY, Answer
from bot.storage.tx import Tx
from tests.unit.test_cli import VARIABLES

GUILD = 428_000_000_000_000_007
QUESTIONNAIRE = """\
version = 1
title = "Export test"
intro = "A few questions."

[[questions]]
id = "age"
type = "number"
prompt = "How old are you?"
min = 13
max = 100

[[questions]]
id = "onset_age"
type = "number"
prompt = "How old were you when it started?"
min = 5
max = 100
required = false

[[questions]]
id = "stage"
type = "single"
prompt = "Which stage?"
required = false
choices = [
  { id = "nw2", label = "Norwood 2" },
  { id = "nw3v", label = "Norwood 3 vertex" },
]

[[questions]]
id = "areas"
type = "multi"
prompt = "Where?"
choices = [
  { id = "crown", label = "Crown" },
  { id = "temples", label = "Temples" },
]
"""
# (user, answers): one member answered everything, one skipped the onset and the stage
MEMBERS = {
    11: {
        ("age", ""): Answer(number=30),
        ("onset_age", ""): Answer(number=22),
        ("stage", ""): Answer(choices=("nw3v",)),
        ("areas", ""): Answer(choices=("crown",)),
    },
    12: {
        ("age", ""): Answer(number=41),
        ("onset_age", ""): Answer(skipped=True),
        ("stage", ""): Answer(skipped=True),
        ("areas", ""): Answer(choices=("crown", "temples")),
    },
}


@pytest.fixture(autouse=True)
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    questionnaire = tmp_path / "questionnaire.toml"
    questionnaire.write_text(QUESTIONNAIRE)
    monkeypatch.setenv("ANAGEN_QUESTIONNAIRE", str(questionnaire))
    database = tmp_path / "anagen.db"
    asyncio.run(seed(database))
    monkeypatch.setenv("ANAGEN_DATABASE", str(database))
    return database


async def seed(path: Path) -> None:
    def unit(tx: Tx) -> None:
        store = SURVEY.on(tx)
        for user, answers in MEMBERS.items():
            response = store.create(GUILD, user, 1, "dm")
            for key, answer in answers.items():
                store.save_answer(response.id, key, answer)
            store.update(response.id, position="summary", completed=True)

    async with await Database.open(path) as db:
        await db.run(unit)


def export(tmp_path: Path, *flags: str, fmt: str = "csv") -> tuple[Path, Path]:
    output = tmp_path / f"out.{fmt}"
    argv = ["export", "--guild", str(GUILD), "--format", fmt, "-o", str(output), *flags]
    assert main(argv) == 0
    return output, tmp_path / f"out.codebook.{fmt}"


def by_age(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {str(row["age"]): row for row in rows}


def test_a_number_column_holds_numbers_only(tmp_path: Path) -> None:
    data, codebook = export(tmp_path)
    rows = by_age(list(csv.DictReader(io.StringIO(data.read_text()))))
    assert rows["30"]["onset_age"] == "22"
    assert rows["41"]["onset_age"] == ""  # skipped: empty, never "(skipped)"
    assert all(row["onset_age"] == "" or row["onset_age"].isdecimal() for row in rows.values())
    # what was skipped is not lost: its own column, in the questionnaire's order
    assert rows["41"]["skipped"] == "onset_age stage"
    assert rows["30"]["skipped"] == ""
    assert rows["41"]["stage"] == "(skipped)"  # a choice column holds text anyway

    book = {row["column"]: row for row in csv.DictReader(io.StringIO(codebook.read_text()))}
    assert book["onset_age"]["type"] == "number"
    assert "Empty" in book["onset_age"]["description"]
    assert "skipped" in book["onset_age"]["description"]
    assert "numbers only" in book["onset_age"]["description"]
    assert "skip" in book["skipped"]["description"]

    data, codebook = export(tmp_path, "--force", fmt="json")
    rows_json = {row["age"]: row for row in json.loads(data.read_text())["rows"]}
    assert rows_json[41]["onset_age"] is None  # JSON's nothing, not ""
    assert rows_json[30]["onset_age"] == 22
    assert "null in JSON" in next(
        c["description"] for c in json.loads(codebook.read_text())["columns"]
        if c["column"] == "onset_age"
    )  # fmt: skip


def test_labels_instead_of_ids(tmp_path: Path) -> None:
    data, codebook = export(tmp_path)
    assert by_age(list(csv.DictReader(io.StringIO(data.read_text()))))["30"]["stage"] == "nw3v"

    data, codebook = export(tmp_path, "--labels", "--force")
    rows = by_age(list(csv.DictReader(io.StringIO(data.read_text()))))
    assert rows["30"]["stage"] == "Norwood 3 vertex"
    assert rows["30"]["areas.crown"] == "1"  # 0/1 columns stay 0/1
    book = {row["column"]: row for row in csv.DictReader(io.StringIO(codebook.read_text()))}
    assert "Norwood 2; Norwood 3 vertex" in book["stage"]["description"]


def test_export_refuses_to_overwrite_without_force(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    codebook = tmp_path / "out.codebook.csv"
    codebook.write_text("a researcher's notes")
    argv = ["export", "--guild", str(GUILD), "-o", str(tmp_path / "out.csv")]

    assert main(argv) == 1
    err = capsys.readouterr().err
    assert str(codebook) in err
    assert "--force" in err
    assert codebook.read_text() == "a researcher's notes"
    assert not (tmp_path / "out.csv").exists()  # nothing half-written either

    assert main([*argv, "--force"]) == 0
    assert codebook.read_text().startswith("column,")


def test_export_into_a_missing_folder_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["export", "--guild", str(GUILD), "-o", str(tmp_path / "nope" / "out.csv")]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"the folder {tmp_path / 'nope'} does not exist" in err
