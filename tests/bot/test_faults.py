"""Faults on the survey's paths: rate-limit storms, 5xx bursts, a dropped gateway, a locked
database and DMs closed midway. The member's survey completes or says what to do, and
nothing is lost or stored twice."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import psycopg

from bot.app import AnagenBot
from bot.settings import Settings
from bot.storage.location import DatabaseLocation, PostgresLocation
from tests.double import DiscordDouble, User
from tests.survey_driver import (
    CLICKS,
    answer_step,
    click_through,
    response_id_of,
    rows,
    start_survey,
    step_of,
    stored_answers,
)

CALLBACK = r"/interactions/\d+/[^/]+/callback"
MESSAGES = r"/channels/\d+/messages"


def assert_one_response_per_member(settings: Settings) -> None:
    assert (
        rows(
            settings.database,
            "SELECT user_id, count(*) FROM responses GROUP BY user_id HAVING count(*) > 1",
        )
        == []
    )


async def test_rate_limit_storm_on_callbacks(
    double: DiscordDouble, bot: AnagenBot, member: User, settings: Settings
) -> None:
    message = await start_survey(double, member)
    while (step := step_of(message)) is not None:
        # two 429s before every answer: discord.py waits retry_after and sends again
        double.fail("POST", CALLBACK, status=429, times=2, retry_after=0.05)
        message = await answer_step(double, member, message, CLICKS[step.split("/")[0]])
    summary = message
    assert "Almost done" in summary.text
    assert double.count("POST", CALLBACK) >= 3 * 19
    assert len(stored_answers(settings.database, response_id_of(summary))) == 24
    assert_one_response_per_member(settings)


async def test_server_errors_on_dm_sends_are_retried(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    await start_survey(double, member)
    double.fail("POST", MESSAGES, status=502, times=1)
    count = len(double.dms(member))
    await double.dm(member, "33")
    reply = await double.wait_for_dm(member, count + 1, timeout=10)
    assert step_of(reply) == "sex"


async def test_a_callback_lost_to_a_5xx_burst_is_recovered_by_clicking_again(
    double: DiscordDouble, bot: AnagenBot, member: User, settings: Settings
) -> None:
    question = await answer_step(double, member, await start_survey(double, member), ("form", "30"))
    # Discord fails the callback twice: discord.py's retries (1 s, then 3 s) outlive the 3 s
    # interaction window, so the click looks failed to the member.
    double.fail("POST", CALLBACK, status=500, times=3)
    lost = await double.click(member, question, "Male", wait=False)
    await double.wait_until(lambda: double.count("POST", CALLBACK) >= 4, timeout=10)
    assert lost.callback_type is None or lost.error is not None
    double.rejections.clear()  # the late callback, as Discord would refuse it
    # the answer was committed before the bot tried to confirm it; clicking again is harmless
    again = await double.click(member, question, "Male")
    assert step_of(again.message) == "pattern"
    assert stored_answers(settings.database, response_id_of(again.message))[("sex", "")] == (
        "male",
    )


async def test_gateway_drop_mid_survey(
    double: DiscordDouble, bot: AnagenBot, member: User, settings: Settings
) -> None:
    message = await start_survey(double, member)
    for _ in range(4):
        message = await answer_step(double, member, message, CLICKS[step_of(message) or ""])
    await double.drop_gateway(code=4000)
    summary, _ = await click_through(double, member, message)  # waits in the backlog to resume
    assert double.resume_count == 1
    assert len(stored_answers(settings.database, response_id_of(summary))) == 24


def hold_write_lock(database: DatabaseLocation) -> Any:
    """Another process's connection holding what the bot's next answer must write; returns
    it so the test can `rollback` and `close` it."""
    if isinstance(database, PostgresLocation):
        other = psycopg.connect(database.url)
        other.execute("LOCK TABLE responses, answers, answer_choices IN EXCLUSIVE MODE")
        return other
    other = sqlite3.connect(database.path, isolation_level=None, timeout=0)
    other.execute("BEGIN EXCLUSIVE")
    return other


async def test_database_briefly_locked_by_another_process(
    double: DiscordDouble, bot: AnagenBot, member: User, settings: Settings
) -> None:
    question = await answer_step(double, member, await start_survey(double, member), ("form", "30"))
    other = hold_write_lock(settings.database)
    asyncio.get_running_loop().call_later(1.0, other.rollback)
    try:
        answered = await double.click(member, question, "Female")
    finally:
        await asyncio.sleep(1.1)
        other.close()
    assert step_of(answered.message) == "pattern"
    assert stored_answers(settings.database, response_id_of(answered.message))[("sex", "")] == (
        "female",
    )


async def test_dms_closed_midway_continues_privately_in_the_server(
    double: DiscordDouble, bot: AnagenBot, member: User, settings: Settings
) -> None:
    message = await start_survey(double, member)
    message = await answer_step(double, member, message, ("form", "41"))
    message = await answer_step(double, member, message, ("button", "Male"))
    member.dms_open = False
    await double.dm(member, "diffuse")  # the bot cannot reply any more
    await double.wait_until(lambda: double.count("POST", MESSAGES) >= 2, timeout=5)

    reply = await double.slash(member, "survey start")
    offer = await reply.wait_original(lambda m: "DMs are closed" in m.text)
    resumed = (await double.click(member, offer, "Continue here privately")).message
    assert resumed.ephemeral
    # the typed answer was stored before the reply failed: the survey carries on after it
    assert step_of(resumed) == "norwood"
    summary, _ = await click_through(double, member, resumed)
    rid = response_id_of(summary)
    assert "Thank you" in (await double.click(member, summary, "Done")).message.text
    answers = stored_answers(settings.database, rid)
    assert answers[("pattern", "")] == ("diffuse",)
    assert_one_response_per_member(settings)
