"""Exports give every time to the day (a UTC date), and order their rows by pseudonymous id:
a pseudonym is not anonymity, and a time to the microsecond, or rows in the order members
finished, would let whoever holds the file match a row to "X said they just finished".
Responses and check-ins seeded at known instants in a real database, exported in both
formats."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from bot.results.export import Exporter, ExportFile
from bot.storage import Database
from bot.storage.clock import stamp
from bot.storage.responses import Answer, AnswerKey, ResponseTables
from bot.storage.tx import Tx
from bot.survey.questionnaire import CHECKIN_BUNDLED, load_questionnaire
from tests.checkin_driver import store_checkin

GUILD = 7
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
A_TIME = re.compile(r"\d{2}:\d{2}:\d{2}|T\d{2}")  # any time of day, in any form a stamp has
# one minute before midnight UTC: started on one day, finished on the next
EVENING = datetime(2026, 3, 1, 23, 59, 30, 123456, tzinfo=UTC)

CHECKIN = {
    ("current", ""): Answer(choices=("ketoconazole", "finasteride")),
    ("regimen.status", "finasteride"): Answer(choices=("still_using",)),
    ("regimen.side_effects", "finasteride"): Answer(choices=("none",)),
    ("regimen.status", "ketoconazole"): Answer(choices=("stopped",)),
    ("regimen.side_effects", "ketoconazole"): Answer(choices=("none",)),
    ("started", ""): Answer(choices=("none",)),
    ("shedding", ""): Answer(choices=("same",)),
    ("itch", ""): Answer(number=2),
}
NOTHING_ON = {
    ("current", ""): Answer(choices=("none",)),
    ("started", ""): Answer(choices=("none",)),
    ("itch", ""): Answer(number=0),
}


async def seed_survey(
    db: Database,
    user_id: int,
    answers: Mapping[AnswerKey, Answer],
    *,
    started: datetime,
    completed: datetime,
) -> None:
    """A completed survey response, started and finished at the instants given."""
    now = [started]
    tables = ResponseTables("responses", "answers", "answer_choices", clock=lambda: stamp(now[0]))

    def unit(tx: Tx) -> None:
        store = tables.on(tx)
        response = store.create(GUILD, user_id, 1, "dm")
        for key, answer in answers.items():
            store.save_answer(response.id, key, answer)
        now[0] = completed
        store.update(response.id, position="summary", completed=True)

    await db.run(unit)


def exporter(db: Database) -> Exporter:
    return Exporter(db, load_questionnaire(), load_questionnaire(CHECKIN_BUNDLED))


def read_csv(file: ExportFile) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(file.content.decode())))


async def seed_server(db: Database) -> list[int]:
    """Eight members finishing the survey one after another, the first across midnight
    UTC; each checks in twice, the check-ins of all of them interleaved. Returns the user
    ids in the order they finished."""
    users = [900 + 37 * (index % 3) + index for index in range(8)]
    for index, user_id in enumerate(users):
        await seed_survey(
            db,
            user_id,
            {("sex", ""): Answer(choices=("male",)), ("age", ""): Answer(number=30 + index)},
            started=EVENING + timedelta(minutes=index),
            completed=EVENING + timedelta(minutes=index + 1, seconds=index),
        )
    for week in range(2):
        for index, user_id in enumerate(users):
            await store_checkin(
                db,
                GUILD,
                user_id,
                CHECKIN if (index + week) % 2 else NOTHING_ON,
                at=EVENING + timedelta(days=7 * week, minutes=index),
                period="2026-03-02" if week else None,
            )
    return users


async def test_every_time_in_both_files_is_a_utc_date(db: Database) -> None:
    await seed_server(db)
    export = exporter(db)
    dated = {
        file: [c["column"] for c in export.codebook() if c["file"] == file and c["type"] == "date"]
        for file in ("survey", "checkins")
    }
    assert dated == {
        "survey": ["started_at", "completed_at"],
        "checkins": ["checkin_completed_at", "checkin_period"],
    }

    survey_csv, _, checkins_csv = await export.export(GUILD, "csv")
    survey_json, _, checkins_json = await export.export(GUILD, "json")
    files = {
        "survey": (read_csv(survey_csv), json.loads(survey_json.content)["rows"]),
        "checkins": (read_csv(checkins_csv), json.loads(checkins_json.content)["rows"]),
    }
    for name, (from_csv, from_json) in files.items():
        assert len(from_csv) == len(from_json) > 0
        for row in [*from_csv, *from_json]:
            for column in dated[name]:
                if column == "checkin_period" and row[column] == "":
                    continue  # a check-in the member started themselves
                assert DAY.match(str(row[column])), (name, column, row[column])
    for file in (survey_csv, checkins_csv, survey_json, checkins_json):
        assert not A_TIME.search(file.content.decode()), file.filename

    # the day in UTC: the first member started before midnight and finished after it
    started = {r["started_at"] for r in files["survey"][0]}
    assert started == {"2026-03-01", "2026-03-02"}
    assert {r["completed_at"] for r in files["survey"][0]} == {"2026-03-02"}
    assert {r["checkin_completed_at"] for r in files["checkins"][0]} == {
        "2026-03-01",
        "2026-03-02",
        "2026-03-08",
        "2026-03-09",
    }
    assert {r["checkin_period"] for r in files["checkins"][0]} == {"", "2026-03-02"}


async def test_the_codebook_says_times_are_days_and_a_pseudonym_is_not_anonymity(
    db: Database,
) -> None:
    book = {(c["file"], c["column"]): c for c in exporter(db).codebook()}
    for key in (("survey", "started_at"), ("survey", "completed_at"),
                ("checkins", "checkin_completed_at")):  # fmt: skip
        description = book[key]["description"]
        assert "UTC date" in description, key
        assert "YYYY-MM-DD" in description, key
        assert "cannot be matched to when someone said they finished" in description, key
        assert "ISO 8601" not in description  # no longer an instant
    assert "YYYY-MM-DD" in book[("checkins", "checkin_period")]["description"]
    respondent = book[("survey", "respondent")]["description"]
    assert "not anonymity" in respondent
    assert "knows a member's answers can find their row" in respondent


async def test_rows_are_in_pseudonym_order_not_in_the_order_members_finished(
    db: Database,
) -> None:
    users = await seed_server(db)
    export = exporter(db)
    for fmt in ("csv", "json"):
        survey, _, checkins = await export.export(GUILD, fmt)
        if fmt == "csv":
            survey_rows, checkin_rows = read_csv(survey), read_csv(checkins)
        else:
            survey_rows = json.loads(survey.content)["rows"]
            checkin_rows = json.loads(checkins.content)["rows"]

        ids = [r["respondent"] for r in survey_rows]
        assert len(set(ids)) == len(users)
        assert ids == sorted(ids)  # by pseudonym, which says nothing of who finished when

        # each member's check-ins together, in the pseudonyms' order, numbered 1, 2 in
        # the order they were made, each check-in's treatments in the questionnaire's order
        keys = [(r["respondent"], int(r["checkin_number"])) for r in checkin_rows]
        assert keys == sorted(keys)
        assert {r["respondent"] for r in checkin_rows} == set(ids)
        by_checkin: dict[tuple[str, int], list[str]] = {}
        for row, key in zip(checkin_rows, keys, strict=True):
            by_checkin.setdefault(key, []).append(str(row["checkin_treatment"]))
        assert sorted(by_checkin.values()) == sorted(
            [["finasteride", "ketoconazole"]] * len(users) + [[""]] * len(users)
        )
        for respondent in ids:  # who checked in on what, whatever the order of the rows
            first, second = by_checkin[(respondent, 1)], by_checkin[(respondent, 2)]
            assert {tuple(first), tuple(second)} == {("",), ("finasteride", "ketoconazole")}
        periods = {(r["respondent"], int(r["checkin_number"])): r["checkin_period"]
                   for r in checkin_rows}  # fmt: skip
        assert all(periods[(r, 1)] == "" and periods[(r, 2)] == "2026-03-02" for r in ids)

        # every member's row still carries their own answers
        ages = [int(r["age"]) for r in survey_rows]
        assert sorted(ages) == list(range(30, 30 + len(users)))
