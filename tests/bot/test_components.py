"""Every persistent control the bot sends, through the real client: its custom_id is parsed
back by the item that owns it, and a failure inside any of them reaches the member with an
incident id (discord.py alone would only log it, leaving "This interaction failed")."""

from __future__ import annotations

import logging
import random
import re
import sys
from collections.abc import Iterator
from typing import Any

import discord
import pytest

from bot.app import AnagenBot
from bot.checkins.service import CheckinService
from bot.survey.service import SurveyService
from cogs.checkins import ids as checkin_ids
from cogs.survey import ids as survey_ids
from cogs.survey.results import IDS as results_ids
from cogs.treatments import ids as treatment_ids
from tests.bot.test_results_e2e import member_answers
from tests.double import DiscordDouble, Message, User
from tests.double.model import iter_components
from tests.releases_driver import publish
from tests.survey_driver import CLICKS, answer_step, seed_response, start_survey, step_of

FORMATS = (*survey_ids.ALL, *results_ids, *treatment_ids.ALL, *checkin_ids.ALL)
FORMS = (survey_ids.FORM, checkin_ids.SCHEDULE_FORM)
SELECTS = (3, 5, 6, 7, 8)
TYPED = "my scalp burns since March, 4 mg"


def owners(bot: AnagenBot) -> dict[re.Pattern[str], type[discord.ui.DynamicItem[Any]]]:
    """The persistent items the bot dispatches to, by the pattern they answer: through
    discord.py's view store, or directly from the survey cog's listener."""
    # The running bot's module: each bot loads its cogs afresh (discord.py drops an
    # extension's modules when it is unloaded), so an import made by this file goes stale.
    routes = sys.modules["cogs.survey.items"].DIRECT
    direct = {re.compile(f.template): cls for f, cls in routes.items()}
    return dict(bot._connection._view_store._dynamic_items) | direct


def owner_of(bot: AnagenBot, custom_id: str) -> type[discord.ui.DynamicItem[Any]]:
    found = [cls for pattern, cls in owners(bot).items() if pattern.fullmatch(custom_id)]
    assert len(found) == 1, f"{custom_id!r} is owned by {found}"
    return found[0]


def sent_components(body: Any) -> Iterator[dict[str, Any]]:
    """Every component and form in a request body, wherever it is nested."""
    if isinstance(body, dict):
        if "custom_id" in body and (body.get("type") in (2, *SELECTS) or "title" in body):
            yield body
        for value in body.values():
            yield from sent_components(value)
    elif isinstance(body, list):
        for value in body:
            yield from sent_components(value)


async def a_reminder(double: DiscordDouble, bot: AnagenBot, member: User) -> Message:
    """Make the member's check-in due now and let the scheduler send its reminder."""
    before = len(double.dms(member))
    await bot.db.run(
        lambda tx: tx.run(
            "UPDATE checkin_enrolments SET next_due_utc = '2000-01-03T08:00:00.000000+00:00',"
            " anchor_date = '2000-01-03' WHERE user_id = ?",
            (member.id,),
        )
    )
    await bot.get_cog("CheckIns").scheduler.run_once()  # type: ignore[union-attr]
    return await double.wait_for_dm(member, before + 1)


async def use_every_control(double: DiscordDouble, bot: AnagenBot, member: User) -> None:
    """Members and a moderator use the survey, check-ins and the treatment commands."""
    moderator = double.add_member("mod", admin=True)
    await double.slash(moderator, "survey-admin settings", checkins=True)
    question = await start_survey(double, member)
    while step_of(question) is not None:
        question = await answer_step(double, member, question, CLICKS[question_step(question)])
    thanks = (await double.click(member, question, "Done")).message
    opened = await double.click(member, thanks, "Set up check-ins")
    values = {"zone": "Berlin", "weekday": "Mon", "hour": "9", "every": "4"}
    await double.submit_modal(member, opened, values)
    reminder = await a_reminder(double, bot, member)
    await double.click(member, reminder, "Start now")
    await double.slash(member, "survey delete")
    await double.slash(member, "treatment lookup", name="propecia")
    await double.slash(member, "treatments")
    await double.slash(member, "treatment suggest", name="nizoral", text="Add the 2% strength")
    await double.slash(moderator, "treatment-suggestions")
    await double.slash(double.add_member("sam"), "survey start")
    # the published results: the overview's "one question at a time" menu
    for index in range(12):
        await seed_response(
            bot.db,
            double.guild.id,
            70_000 + index,
            member_answers(random.Random(index), index, receding=index < 6),
        )
    await publish(bot.services.results.releases, double.guild.id)
    overview = (await double.slash(member, "survey results")).message
    menu = (await double.click(member, overview, "One question at a time")).message
    await double.select(member, menu, "sv:r:pick", ["q:norwood"])


def question_step(message: Message) -> str:
    step = step_of(message)
    assert step is not None
    return step.split("/")[0]


async def test_every_custom_id_sent_is_parsed_back_by_its_owner(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    await use_every_control(double, bot, member)
    templates = {f.template for f in FORMATS}
    for cls in owners(bot).values():
        assert cls.__discord_ui_compiled_template__.pattern in templates, cls

    seen: set[str] = set()
    for request in double.requests:
        for component in sent_components(request.body):
            custom_id = component["custom_id"]
            assert len(custom_id) <= 100
            if "title" in component:  # a form: answered by a cog's listener
                assert [f for f in FORMS if f.parse(custom_id)], custom_id
                seen.add("form")
                continue
            cls = owner_of(bot, custom_id)
            if component["type"] == 2:
                base: Any = discord.ui.Button(label=component.get("label"), custom_id=custom_id)
            else:
                base = discord.ui.Select(custom_id=custom_id)
            match = cls.__discord_ui_compiled_template__.fullmatch(custom_id)
            assert match is not None
            rebuilt = await cls.from_custom_id(None, base, match)  # type: ignore[arg-type]
            assert rebuilt.custom_id == custom_id
            seen.add(cls.__name__)
    # the tour above used every kind of control the bot can dispatch
    assert seen == {cls.__name__ for cls in owners(bot).values()} | {"form"}


class Injected(RuntimeError):
    pass


async def _fail(*_: Any, **__: Any) -> None:
    raise Injected("injected failure")


async def press(
    double: DiscordDouble, user: User, message: Message, component: dict[str, Any]
) -> Message:
    if component["type"] == 2:
        used = await double.click(user, message, component["custom_id"])
    else:
        first = [component["options"][0]["value"]]
        used = await double.select(user, message, component["custom_id"], first)
    return used.message


async def test_a_failure_in_any_control_reaches_the_member_with_an_incident_id(
    double: DiscordDouble,
    bot: AnagenBot,
    member: User,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    failed: set[str] = set()

    async def break_each_control_on(message: Message, user: User = member) -> None:
        for component in list(iter_components(message.components)):
            if "custom_id" not in component or component.get("disabled"):
                continue
            cls = owner_of(bot, component["custom_id"])
            if cls.__name__ in failed:
                continue
            with monkeypatch.context() as patch:
                patch.setattr(cls, "handle", _fail)
                reply = await press(double, user, message, component)
            assert reply.ephemeral, cls
            assert "incident `" in reply.text, (cls, reply.text)
            failed.add(cls.__name__)

    moderator = double.add_member("mod", admin=True)
    await double.slash(moderator, "survey-admin settings", checkins=True)
    consent_reply = await double.slash(member, "survey start")
    assert consent_reply.message.ephemeral
    await break_each_control_on(await double.wait_for_dm(member, 1))
    question = await start_survey(double, member)
    while step_of(question) is not None:
        await break_each_control_on(question)
        question = await answer_step(double, member, question, CLICKS[question_step(question)])
    await break_each_control_on(question)  # the summary

    # the typed-answer form: the failure is reported, and the log keeps what was typed out
    change = next(c for c in question.custom_ids() if c.startswith("sv:c:"))
    question = (await double.select(member, question, change, ["notes"])).message
    assert step_of(question) == "notes"
    opened = await double.click(member, question, "Answer")
    caplog.clear()
    with caplog.at_level(logging.ERROR), monkeypatch.context() as patch:
        patch.setattr(SurveyService, "submit_text", _fail)
        submitted = await double.submit_modal(member, opened, {"answer": TYPED})
    assert "incident `" in submitted.message.text
    logged = caplog.text  # messages and tracebacks, as an operator's log would hold them
    assert "sv:form:" in logged
    assert TYPED not in logged
    assert "March" not in logged
    failed.add("form")

    # finish the survey: its thank-you offers check-ins
    opened = await double.click(member, question, "Answer")
    summary = (await double.submit_modal(member, opened, {"answer": "fine"})).message
    thanks = (await double.click(member, summary, "Done")).message
    await break_each_control_on(thanks)  # the opt-in to check-ins

    # the schedule form: a failure after it is submitted is reported too
    opened = await double.click(member, thanks, "Set up check-ins")
    with monkeypatch.context() as patch:
        patch.setattr(CheckinService, "enrol", _fail)
        values = {"zone": "Berlin", "weekday": "Mon", "hour": "9", "every": "4"}
        refused = await double.submit_modal(member, opened, values)
    assert "incident `" in refused.message.text
    await double.submit_modal(
        member, await double.click(member, thanks, "Set up check-ins"), values
    )
    await break_each_control_on(await a_reminder(double, bot, member))

    await break_each_control_on((await double.slash(member, "survey delete")).message)
    lookup = await double.slash(member, "treatment lookup", name="fin")
    await break_each_control_on(await lookup.wait_followup())  # deferred, then sent
    await break_each_control_on((await double.slash(member, "treatments")).message)
    await double.slash(member, "treatment suggest", name="nizoral", text="Add the 2% strength")
    queue = (await double.slash(moderator, "treatment-suggestions")).message
    await break_each_control_on(queue, moderator)

    for index in range(12):
        answers = member_answers(random.Random(index), index, receding=index < 6)
        await seed_response(bot.db, double.guild.id, 70_000 + index, answers)
    await publish(bot.services.results.releases, double.guild.id)
    overview = (await double.slash(member, "survey results")).message
    await break_each_control_on(overview)
    menu = (await double.click(member, overview, "One question at a time")).message
    await break_each_control_on(menu)

    assert failed == {cls.__name__ for cls in owners(bot).values()} | {"form"}
