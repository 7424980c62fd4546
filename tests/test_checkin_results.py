"""/survey compare with check-in answers: each member's latest completed check-in in the
server adds its shedding trend, itch, burning and satisfaction, compared by any survey
grouping and the other way round, under the same protection. Real SQLite files in
temporary folders and the public service; the command and its autocomplete through the
double."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import AnagenBot
from bot.results.service import Comparison, ComparisonRefused, ResultsService
from bot.storage import Database
from bot.survey.flow import Answer
from bot.survey.questionnaire import load_questionnaire
from tests.checkin_driver import store_checkin
from tests.double import DiscordDouble, User
from tests.survey_driver import seed_response

GUILD = 1
SURVEY = load_questionnaire()
DAY = datetime(2026, 2, 2, 9, tzinfo=UTC)


async def check_in(
    db: Database,
    user_id: int,
    shedding: str,
    itch: int,
    *,
    guild_id: int = GUILD,
    day: int = 0,
    completed: bool = True,
) -> None:
    """A check-in as the member would leave it (every question the check-in asks)."""
    when = DAY + timedelta(days=day)
    answers = {
        ("current", ""): Answer(choices=("none",)),
        ("started", ""): Answer(choices=("none",)),
        ("shedding", ""): Answer(choices=(shedding,)),
        ("itch", ""): Answer(number=itch),
        ("burning", ""): Answer(number=0),
        ("satisfaction", ""): Answer(choices=("neutral",)),
        ("note", ""): Answer(skipped=True),
    }
    await store_checkin(db, guild_id, user_id, answers, at=when, completed=completed)


async def survey(
    db: Database, user_id: int, tried: tuple[str, ...] = ("none",), *, guild_id: int = GUILD
) -> None:
    await seed_response(
        db,
        guild_id,
        user_id,
        {
            ("sex", ""): Answer(choices=("male",)),
            ("shedding", ""): Answer(choices=("normal",)),
            ("treatments", ""): Answer(choices=tried),
        },
    )


def cells(comparison: Comparison) -> dict[tuple[str, str], int]:
    """(group, answer) -> members, every cell shown exactly (asserted)."""
    assert comparison.fully_shown, comparison.table_text()
    return {
        (group, level): count
        for group, row in zip(comparison.groups, comparison.table, strict=True)
        for level, count in zip(comparison.levels, row, strict=True)
    }


# -- the groupings --------------------------------------------------------------------------


async def test_checkin_groupings_come_from_the_checkin_questionnaire(db: Database) -> None:
    service = ResultsService(db, SURVEY)
    found = {i: v for i, v in service.variables.items() if service.is_checkin(i)}
    assert set(found) == {
        "checkin_shedding",
        "checkin_itch",
        "checkin_burning",
        "checkin_satisfaction",
    }
    assert [level for level, _ in found["checkin_shedding"].levels] == ["less", "same", "more"]
    assert [label for _, label in found["checkin_itch"].levels] == [
        "0-3 (mild)",
        "4-6 (moderate)",
        "7-10 (strong)",
    ]
    # the survey's own shedding question keeps its id and meaning
    assert service.variables["shedding"].levels[0] == ("none", "None noticeable")
    labels = dict(service.comparable("check-in"))
    assert labels["checkin_shedding"].startswith("Latest check-in: Compared with last time")
    assert all(len(label) <= 100 for _, label in service.comparable())


CHECKIN_FILE = """\
version = 3
title = "Pulse"
intro = "A check-in of a server's own."

[[questions]]
id = "hairfall"
type = "single"
prompt = "Hair fall since last time?"
choices = [{ id = "down", label = "Down" }, { id = "up", label = "Up" }]

[[questions]]
id = "mood"
type = "single"
prompt = "How is your mood?"
choices = [{ id = "good", label = "Good" }, { id = "bad", label = "Bad" }]

[[questions]]
id = "sleep"
type = "scale"
prompt = "Sleep quality?"
required = false
min = 0
max = 4
"""


async def test_another_checkin_file_brings_its_own_groupings(db: Database, tmp_path: Path) -> None:
    (tmp_path / "pulse.toml").write_text(CHECKIN_FILE)
    service = ResultsService(db, SURVEY, load_questionnaire(tmp_path / "pulse.toml"))
    checkin_ids = {i for i in service.variables if service.is_checkin(i)}
    # every check-in asks it: comparable; optional ("sleep"): not, its answerers unknown
    assert checkin_ids == {"checkin_hairfall", "checkin_mood"}


# -- comparing --------------------------------------------------------------------------------


TRENDS = ("less", "same", "more")


async def seed_server(db: Database, guild_id: int = GUILD) -> Counter[tuple[str, str]]:
    """24 finasteride takers and 13 others; 20 and 10 of them have checked in, their
    latest trends spread over less, same and more. Returns the expected (took it, latest
    trend) counts."""
    expected: Counter[tuple[str, str]] = Counter()
    for index in range(37):
        user_id, took = 100 + index, index < 24
        await survey(db, user_id, ("finasteride",) if took else ("none",), guild_id=guild_id)
        if index in range(20, 24) or index >= 34:
            continue  # no check-in
        if index % 4 == 0:  # an earlier check-in that no longer counts
            await check_in(db, user_id, "more", 9, guild_id=guild_id, day=-28)
        trend = TRENDS[index % 3]
        await check_in(db, user_id, trend, 2 + index % 7, guild_id=guild_id)
        expected[("yes" if took else "no", trend)] += 1
    return expected


async def test_shedding_trend_by_treatment_counts_each_members_latest_checkin(
    db: Database,
) -> None:
    service = ResultsService(db, SURVEY)
    await service.update_settings(GUILD, min_group_size=3)
    expected = await seed_server(db)
    # Noise that must not count: an unfinished check-in (on top of a completed one), a
    # check-in in another server, one by a member who never completed the survey.
    await check_in(db, 100, "more", 10, day=7, completed=False)
    await check_in(db, 101, "more", 10, guild_id=GUILD + 1)
    await check_in(db, 999, "more", 10)

    (comparison,) = await service.compare(
        GUILD, "checkin_shedding", "treatments:finasteride", chart=False
    )

    assert comparison.question.id == "checkin_shedding"
    assert comparison.groups == ["yes", "no"]
    assert cells(comparison) == dict(expected)
    assert comparison.total == 30  # members without a check-in are in no group
    assert comparison.test is not None

    # and the other way round: the survey grouping by the check-in's trend
    (turned,) = await service.compare(
        GUILD, "treatments:finasteride", "checkin_shedding", chart=False
    )
    assert turned.by.id == "checkin_shedding"
    assert {(took, trend): n for (trend, took), n in cells(turned).items()} == dict(expected)


async def test_a_new_checkin_changes_the_comparison(db: Database) -> None:
    service = ResultsService(db, SURVEY)
    await service.update_settings(GUILD, min_group_size=3)
    await seed_server(db)
    (before,) = await service.compare(
        GUILD, "checkin_shedding", "treatments:finasteride", chart=False
    )
    await check_in(db, 120, "more", 1)  # a taker who had not checked in
    (after,) = await service.compare(
        GUILD, "checkin_shedding", "treatments:finasteride", chart=False
    )
    assert after.total == before.total + 1
    assert cells(after)[("yes", "more")] == cells(before)[("yes", "more")] + 1


async def test_each_treatment_by_shedding_trend(db: Database) -> None:
    service = ResultsService(db, SURVEY)
    await service.update_settings(GUILD, min_group_size=3)
    expected = await seed_server(db)
    comparisons = await service.compare(GUILD, "treatments", "checkin_shedding", chart=False)
    # only finasteride has takers and others; every other option is refused, not shown
    (finasteride,) = comparisons
    assert finasteride.question.id == "treatments:finasteride"
    assert {(took, trend): n for (trend, took), n in cells(finasteride).items()} == dict(expected)
    assert "Latest check-in" in finasteride.by.label


async def test_few_with_a_checkin_or_few_without_are_refused_alike(db: Database) -> None:
    service = ResultsService(db, SURVEY)
    for index in range(12):
        await survey(db, 300 + index, ("finasteride",) if index % 2 else ("none",))
    for index in range(4):  # 4 of 12 have checked in: under k = 5
        await check_in(db, 300 + index, "less", 1)
    with pytest.raises(ComparisonRefused) as few_with:
        await service.compare(GUILD, "checkin_shedding", "treatments:finasteride", chart=False)
    for index in range(4, 10):  # now 10 of 12: only 2 have not
        await check_in(db, 300 + index, "same", 5)
    with pytest.raises(ComparisonRefused) as few_without:
        await service.compare(GUILD, "checkin_shedding", "treatments:finasteride", chart=False)
    # the same words either way: the refusal does not say which group is small
    assert str(few_with.value) == str(few_without.value)
    assert "checked in" in str(few_with.value)


async def test_two_checkin_answers_are_not_compared_with_each_other(db: Database) -> None:
    service = ResultsService(db, SURVEY)
    with pytest.raises(ComparisonRefused, match="by a survey answer"):
        await service.compare(GUILD, "checkin_itch", "checkin_shedding", chart=False)


async def test_an_unknown_checkin_grouping_is_unknown(db: Database) -> None:
    service = ResultsService(db, SURVEY)
    with pytest.raises(KeyError):
        await service.compare(GUILD, "checkin_note", "sex", chart=False)
    with pytest.raises(KeyError):
        await service.compare(GUILD, "checkin_current", "sex", chart=False)


# -- through Discord --------------------------------------------------------------------------


async def test_compare_by_checkin_through_the_double(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    untyped = await double.autocomplete(member, "survey compare", "question", question="")
    assert len(untyped) == 25
    assert untyped[0]["name"].startswith("★")  # the ready-made ones first
    assert "checkin_shedding" in [c["value"] for c in untyped]  # not crowded out
    suggested = await double.autocomplete(member, "survey compare", "question", question="check-in")
    names = {c["value"]: c["name"] for c in suggested}
    assert names["checkin_shedding"].startswith("Latest check-in:")
    assert {"checkin_itch", "checkin_burning", "checkin_satisfaction"} <= set(names)
    by = await double.autocomplete(
        member, "survey compare", "by", question="treatments", by="latest check-in shedding"
    )
    assert [c["value"] for c in by] == ["checkin_shedding"]

    await seed_server(bot.db, double.guild.id)
    reply = await double.slash(
        member, "survey compare", question="checkin_shedding", by="treatments:finasteride"
    )
    text = (await reply.wait_followup(timeout=60)).text
    assert "Latest check-in: Compared with last time" in text
    assert "by which treatments have you tried" in text
    assert "About the same" in text
