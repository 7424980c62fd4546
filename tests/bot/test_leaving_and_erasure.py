"""Members who leave a server: their old DM buttons no longer add answers to it, and they can
still erase what Anagen holds about them there, from DMs; junk DMs are not answered each time
(security review F4, F14, F15)."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from bot.app import AnagenBot
from bot.cli import main
from bot.erasure import erase_member
from bot.settings import Settings
from bot.storage import Database
from bot.storage.location import DatabaseLocation
from bot.survey.flow import Answer
from tests.bot.test_results_e2e import member_answers
from tests.databases import env_value, rows
from tests.double import DiscordDouble, User
from tests.survey_driver import click_through, seed_response, start_survey


async def test_a_member_who_left_cannot_start_from_an_old_consent_dm(
    double: DiscordDouble, bot: AnagenBot, member: User, settings: Settings
) -> None:
    await double.slash(member, "survey start")
    consent = await double.wait_for_dm(member, 1)
    double.remove_member(member)
    clicked = await double.click(member, consent, "Start the survey")
    assert "no longer a member of that server" in clicked.message.text
    assert rows(settings.database, "SELECT count(*) FROM responses") == [(0,)]


async def test_a_member_who_left_mid_survey_cannot_complete_it(
    double: DiscordDouble, bot: AnagenBot, member: User, settings: Settings
) -> None:
    first = await start_survey(double, member)
    summary, _ = await click_through(double, member, first)
    double.remove_member(member)
    done = await double.click(member, summary, "Done")
    assert "no longer a member of that server" in done.message.text
    assert rows(settings.database, "SELECT status FROM responses") == [("in_progress",)]


async def test_a_member_who_left_erases_their_data_from_dms(
    double: DiscordDouble, bot: AnagenBot, member: User, settings: Settings
) -> None:
    other = double.add_guild("another community")
    double.join(member, other)
    answers = member_answers(random.Random(1), 0, receding=True)
    await seed_response(bot.db, double.guild.id, member.id, answers)
    await seed_response(bot.db, other.id, member.id, answers)
    double.remove_member(member)  # left the first server

    listing = await double.slash(member, "forget-me", dm=True)
    assert "in 2 servers" in listing.message.text
    await double.click(member, listing.message, f"Erase all in {double.guild.name}")
    left = rows(settings.database, "SELECT guild_id FROM responses WHERE user_id = ?", (member.id,))
    assert left == [(other.id,)]  # only the server asked for
    # the erasure counts towards that server's next release
    assert rows(
        settings.database,
        "SELECT count(*) FROM release_changes WHERE guild_id = ?",
        (double.guild.id,),
    ) == [(1,)]

    nothing = await double.slash(double.add_member("stranger"), "forget-me", dm=True)
    assert "holds nothing about you" in nothing.message.text


async def test_junk_dms_are_answered_once_every_few_minutes(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    for index in range(20):
        await double.dm(member, f"hello {index}")
    await double.wait_for_dm(member, 1)
    await asyncio.sleep(0.3)  # give any further (wrong) replies time to arrive
    assert len(double.dms(member)) == 1


async def test_a_moderator_erases_a_member_on_request_from_the_command_line(
    db_location: DatabaseLocation,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with await Database.open(db_location) as db:
        answers = member_answers(random.Random(2), 0, receding=True)
        await seed_response(db, 7, 42, answers)
        await seed_response(db, 7, 43, answers)
    monkeypatch.setenv("ANAGEN_DATABASE", env_value(db_location))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("builtins.input", lambda _: "no")
    assert await asyncio.to_thread(main, ["erase", "--guild", "7", "--user", "42"]) == 1
    assert "Nothing was erased" in capsys.readouterr().out
    assert rows(db_location, "SELECT count(*) FROM responses WHERE user_id = 42") == [(1,)]

    monkeypatch.setattr("builtins.input", lambda _: "erase")
    assert await asyncio.to_thread(main, ["erase", "--guild", "7", "--user", "42"]) == 0
    assert "Erased user 42 in server 7: 1 survey responses" in capsys.readouterr().out
    assert rows(db_location, "SELECT user_id FROM responses") == [(43,)]
    assert await asyncio.to_thread(main, ["erase", "--guild", "7", "--user", "42", "--yes"]) == 0
    assert "Nothing was stored about user 42" in capsys.readouterr().out


async def test_erased_text_leaves_the_sqlite_files(tmp_path: Path) -> None:
    """secure_delete overwrites the erased rows in the file, and the WAL holding them is
    checkpointed and emptied at once (security review F8)."""
    path = tmp_path / "anagen.db"
    note = "a note only this member wrote about their scalp"
    async with await Database.open(path) as db:
        answers = member_answers(random.Random(3), 0, receding=True)
        answers[("notes", "")] = Answer(text=note)
        await seed_response(db, 7, 42, answers)
        await erase_member(db, 7, 42)
        for file in tmp_path.iterdir():  # while the bot still runs
            assert note.encode() not in file.read_bytes(), file.name
    for file in tmp_path.iterdir():
        assert note.encode() not in file.read_bytes(), file.name


async def test_a_question_added_later_is_refused_kindly_until_enough_answer_it(
    db: Database, tmp_path: Path
) -> None:
    """Security review F9: a required question added in a new questionnaire version, which
    earlier responses never answered, crashed every comparison with an incident id."""
    from bot.results.published import ComparisonRefused
    from bot.results.service import ResultsService
    from bot.survey.questionnaire import BUNDLED, load_questionnaire
    from tests.releases_driver import publish

    text = BUNDLED.read_text(encoding="utf-8").replace("version = 1", "version = 2", 1)
    text = text.replace(
        '[[questions]]\nid = "notes"',
        '[[questions]]\nid = "washing"\ntype = "single"\nprompt = "How often do you wash?"\n'
        'choices = [\n  { id = "daily", label = "Daily" },\n  { id = "weekly", label = "Weekly" },'
        '\n]\n\n[[questions]]\nid = "notes"',
        1,
    )
    path = tmp_path / "scalp-v2.toml"
    path.write_text(text, encoding="utf-8")
    service = ResultsService(db, load_questionnaire(path))
    rng = random.Random(4)
    for user in range(20):  # answered version 1: no washing question
        await seed_response(db, 1, user, member_answers(rng, user, receding=user % 2 == 0))
    for user in range(20, 23):
        answers = member_answers(rng, user, receding=True)
        answers[("washing", "")] = Answer(choices=("daily",))
        await seed_response(db, 1, user, answers)
    await publish(service.releases, 1)
    with pytest.raises(ComparisonRefused, match="Not enough members yet"):
        await service.compare(1, "washing", "sex", chart=False)
    with pytest.raises(ComparisonRefused, match="Not enough members yet"):
        await service.compare(1, "shedding", "washing", chart=False)
