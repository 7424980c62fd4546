"""/survey compare with check-in answers: each member's latest completed check-in in the
server (at the time of the release) adds its shedding trend, itch, burning and satisfaction,
compared by any survey grouping and the other way round, rounded and held back like every
other count. Real database files in temporary folders and the public service, reading
releases; the command and its autocomplete through the double."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import AnagenBot
from bot.results.published import Comparison, ComparisonRefused
from bot.results.service import ResultsService
from bot.storage import Database
from bot.survey.flow import Answer
from bot.survey.questionnaire import load_questionnaire
from tests.checkin_driver import store_checkin
from tests.double import DiscordDouble, User
from tests.releases_driver import publish
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
    at: datetime | None = None,
    completed: bool = True,
) -> None:
    """A check-in as the member would leave it (every question the check-in asks), on `day`
    (counted from DAY), or `at` an instant (`now()` for one the next release is to count:
    a release counts the changes dated after those the one before it held)."""
    when = at if at is not None else DAY + timedelta(days=day)
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


def now() -> datetime:
    return datetime.now(UTC)


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


def cells(comparison: Comparison) -> dict[tuple[str, str], int | None]:
    """(group, answer) -> the published count (None: fewer than k), by level ids."""
    group_ids = {label: level for level, label in comparison.by.levels}
    return {
        (group_ids[group.label], level): count
        for group in comparison.groups
        for (level, _), count in zip(comparison.levels, group.cells, strict=True)
    }


def assert_rounded(published: dict[tuple[str, str], int | None], true: Counter) -> None:
    """Every cell of the table is shown, as a neighbouring multiple of 5 of the true count."""
    assert set(published) == set(true), (published, true)
    for key, count in true.items():
        shown = published[key]
        assert shown is not None, (key, published)
        assert shown % 5 == 0, (key, shown)
        assert abs(shown - count) <= 4, (key, shown, count)


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
    # Noise that must not count. Each would empty a cell if it did (a count of 0 is never
    # shown as a number), so rounding cannot hide it:
    for user_id in range(100, 120, 3):  # every taker whose latest trend is "less"
        await check_in(db, user_id, "more", 10, day=7, completed=False)  # unfinished
    for user_id in range(101, 120, 3):  # every taker whose latest trend is "same"
        await check_in(db, user_id, "more", 10, day=7, guild_id=GUILD + 1)  # another server
    await check_in(db, 999, "more", 10)  # by a member who never completed the survey
    for user_id in range(500, 505):  # takers who never checked in: in no group
        await survey(db, user_id, ("finasteride",))
    await publish(service.releases, GUILD)

    (comparison,) = await service.compare(
        GUILD, "checkin_shedding", "treatments:finasteride", chart=False
    )

    assert comparison.question.id == "checkin_shedding"
    assert [group.label for group in comparison.groups] == ["Yes", "No"]
    assert comparison.hidden_groups == comparison.hidden_levels == []
    assert_rounded(cells(comparison), expected)
    # 20 takers and 10 others have checked in; with the 9 takers and 3 others who have not,
    # the groups would be 29 and 13 (never published as 20 and 10)
    assert [group.total for group in comparison.groups] == [20, 10]
    assert comparison.test is not None

    # and the other way round: the survey grouping by the check-in's trend, the same cells
    (turned,) = await service.compare(
        GUILD, "treatments:finasteride", "checkin_shedding", chart=False
    )
    assert turned.by.id == "checkin_shedding"
    assert {(took, trend): n for (trend, took), n in cells(turned).items()} == cells(comparison)


async def test_a_new_checkin_changes_the_comparison(db: Database) -> None:
    service = ResultsService(db, SURVEY)
    await service.update_settings(GUILD, min_group_size=3)
    expected = await seed_server(db)
    await publish(service.releases, GUILD)
    (before,) = await service.compare(
        GUILD, "checkin_shedding", "treatments:finasteride", chart=False
    )
    assert_rounded(cells(before), expected)

    # every taker who has checked in does so again, now with more shedding: their newer
    # check-in replaces the one counted (20 check-ins, a batch for k = 3)
    for user_id in range(100, 120):
        await check_in(db, user_id, "more", 1, at=now())
    unchanged = await service.compare(
        GUILD, "checkin_shedding", "treatments:finasteride", chart=False
    )
    assert unchanged == [before]  # nothing moves until the next release
    await publish(service.releases, GUILD)
    (after,) = await service.compare(
        GUILD, "checkin_shedding", "treatments:finasteride", chart=False
    )
    assert after.release.number == before.release.number + 1
    moved = cells(after)
    assert moved[("yes", "more")] == 20  # a multiple of 5: shown as it is
    assert moved[("yes", "less")] is None  # nobody left there: fewer than k
    assert moved[("yes", "same")] is None
    others = {key: n for key, n in expected.items() if key[0] == "no"}
    assert_rounded({key: n for key, n in moved.items() if key[0] == "no"}, Counter(others))
    assert [group.total for group in after.groups] == [20, 10]  # still each member once


async def test_each_treatment_by_shedding_trend(db: Database) -> None:
    service = ResultsService(db, SURVEY)
    await service.update_settings(GUILD, min_group_size=3)
    expected = await seed_server(db)
    await publish(service.releases, GUILD)
    comparisons = await service.compare(GUILD, "treatments", "checkin_shedding", chart=False)
    finasteride = comparisons[0]
    assert finasteride.question.id == "treatments:finasteride"
    assert_rounded({(took, trend): n for (trend, took), n in cells(finasteride).items()}, expected)
    assert "Latest check-in" in finasteride.by.label
    # only finasteride has takers and others; every other option is refused, not shown:
    # nobody here tried it, so its table would have one answer ("No") and compare nothing
    # (asked the other way round, by "tried dutasteride", the same table is refused)
    with pytest.raises(ComparisonRefused):
        await service.compare(GUILD, "checkin_shedding", "treatments:dutasteride", chart=False)
    single = [c.question.id for c in comparisons if [level for level, _ in c.levels] == ["no"]]
    assert [c.question.id for c in comparisons] == ["treatments:finasteride"], (
        f"shown with the one answer “No”: {single}"
    )


async def test_a_comparison_waits_for_enough_members_who_checked_in(db: Database) -> None:
    """Members without a check-in are in no group of a check-in comparison: while too few
    have checked in, the comparison is refused, naming the groups held back and giving no
    count away (the same words for 4 members as for 8); it is shown once they are enough."""
    service = ResultsService(db, SURVEY)
    for index in range(20):  # every second one took finasteride
        await survey(db, 300 + index, ("finasteride",) if index % 2 else ("none",))

    def trend(index: int) -> str:
        return "less" if index < 10 else "same"

    for index in range(4):  # 4 of 20 have checked in: 2 takers and 2 others
        await check_in(db, 300 + index, trend(index), 1)
    await publish(service.releases, GUILD)
    with pytest.raises(ComparisonRefused) as four:
        await service.compare(GUILD, "checkin_shedding", "treatments:finasteride", chart=False)

    # 8 of 20 (4 and 4), and 6 check in again: 10 changes, a batch
    for index in range(4, 8):
        await check_in(db, 300 + index, trend(index), 1, at=now())
    for index in range(6):
        await check_in(db, 300 + index, trend(index), 2, at=now())
    await publish(service.releases, GUILD)
    with pytest.raises(ComparisonRefused) as eight:
        await service.compare(GUILD, "checkin_shedding", "treatments:finasteride", chart=False)
    refusal = str(four.value)
    assert str(eight.value) == refusal
    assert "Latest check-in" in refusal
    assert "“Yes”, “No” each have fewer than 5" in refusal
    assert re.findall(r"\d+", refusal) == ["5"]  # k, and no count

    for index in range(8, 18):  # 18 of 20: the two who have not are in no group
        await check_in(db, 300 + index, trend(index), 1, at=now())
    await publish(service.releases, GUILD)
    (shown,) = await service.compare(
        GUILD, "checkin_shedding", "treatments:finasteride", chart=False
    )
    assert [group.label for group in shown.groups] == ["Yes", "No"]
    assert all(group.total in (5, 10) for group in shown.groups)  # 9 each, rounded
    assert shown.hidden_levels == ["More"]  # nobody said more
    # takers: 5 less, 4 the same; the others: 5 less, 4 the same
    assert cells(shown) == {
        ("yes", "less"): 5,
        ("yes", "same"): None,
        ("no", "less"): 5,
        ("no", "same"): None,
    }


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
    await publish(bot.services.results.releases, double.guild.id)
    reply = await double.slash(
        member, "survey compare", question="checkin_shedding", by="treatments:finasteride"
    )
    text = (await reply.wait_followup(timeout=60)).text
    assert "Latest check-in: Compared with last time" in text
    assert "by which treatments have you tried" in text
    assert "About the same" in text
