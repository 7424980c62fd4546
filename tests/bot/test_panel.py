"""The survey panel (issue 21): a moderator posts a "Take the survey" message with a
persistent button; its text is theirs within limits; it shows how many members had taken
part as of the latest release; the button survives restarts and starts the survey exactly
as `/survey start` does. Through the real client, the double and a real database."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.app import AnagenBot
from bot.settings import Settings
from bot.survey.panel import TEXT_MAX, PanelTextRefused, check_text
from bot.survey.service_texts import CLOSED
from cogs._components import discord_markup
from cogs.survey import ids as survey_ids
from cogs.survey import panel
from tests.bot.test_components import sent_components
from tests.bot.test_releases_e2e import seed
from tests.conftest import BotStarter
from tests.databases import rows
from tests.double import DiscordDouble, Interaction, Message, User
from tests.double.model import iter_components
from tests.releases_driver import publish
from tests.survey_driver import step_of

TITLE = "Take our scalp survey"
TEXT = "Five minutes, private, in your DMs. It helps us all see what works. Thanks!"


def form_values(opened: Interaction) -> dict[str, str]:
    """The fields of the form an interaction was answered with, as filled in for the user."""
    assert opened.callback_type == 9, "not answered with a form"
    return {
        c["custom_id"]: c.get("value", "")
        for c in iter_components((opened.callback_data or {}).get("components", []))
        if c.get("type") == 4
    }


async def refusal(submitted: Interaction) -> Message:
    """The refusal a submitted form was answered with (deferred, then edited in)."""
    return await submitted.wait_original(lambda m: "not changed" in m.text)


def panels_in(double: DiscordDouble) -> list[Message]:
    return [
        m
        for m in double.channel_messages(double.general)
        if panel.START.build() in m.custom_ids() and not m.ephemeral
    ]


async def post_panel(
    double: DiscordDouble, moderator: User, title: str = TITLE, text: str = TEXT
) -> tuple[Interaction, Message]:
    """`/survey-admin post` in #general, then submit the form; returns the reply and panel."""
    opened = await double.slash(moderator, "survey-admin post")
    submitted = await double.submit_modal(moderator, opened, {"title": title, "text": text})
    await submitted.wait_followup()
    [posted] = panels_in(double)
    return submitted, posted


def stored_panel(bot: AnagenBot, guild_id: int) -> tuple[Any, ...]:
    [row] = rows(
        bot.settings.database,
        "SELECT panel_channel_id, panel_message_id, panel_title, panel_text FROM guild_settings"
        " WHERE guild_id = ?",
        (guild_id,),
    )
    return tuple(row)


# -- the rules ------------------------------------------------------------------------------


def test_the_text_rules_name_every_problem_at_once() -> None:
    assert check_text(f"  {TITLE} ", f"\n{TEXT}\n").text == TEXT
    with pytest.raises(PanelTextRefused) as refused:
        check_text(" ", "x" * (TEXT_MAX + 1) + " @everyone")
    problems = " ".join(refused.value.problems)
    assert "title is empty" in problems
    assert f"at most {TEXT_MAX}" in problems
    assert "@everyone" in problems
    for pinging in ("@here now", "hi <@&1234>", "@Everyone"):
        with pytest.raises(PanelTextRefused):
            check_text(TITLE, pinging)
    with pytest.raises(PanelTextRefused, match="lines"):
        check_text(TITLE, "\n".join("line" for _ in range(40)))
    # a member or channel mention is fine: nothing is ever pinged, and #rules is useful
    assert check_text(TITLE, "Read <#123> first, questions to <@456>.")


# -- posting and clicking -------------------------------------------------------------------


async def test_a_moderator_posts_a_panel_whose_button_starts_the_survey_in_dms(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    moderator = double.add_member("mod", admin=True)
    opened = await double.slash(moderator, "survey-admin post")
    # the form is filled in with the default words, to edit rather than write from nothing
    defaults = form_values(opened)
    assert defaults["title"] == bot.questionnaire.title
    assert "privately in your DMs" in defaults["text"]

    submitted = await double.submit_modal(moderator, opened, {"title": TITLE, "text": TEXT})
    confirmation = await submitted.wait_followup()
    assert confirmation.ephemeral
    assert "Posted the survey panel" in confirmation.text
    [posted] = panels_in(double)
    assert posted.embeds[0]["title"] == TITLE
    assert posted.embeds[0]["description"] == TEXT
    assert "No results published yet" in posted.embeds[0]["footer"]["text"]
    assert posted.allowed_mentions == {"parse": []}
    assert str(posted.id) in confirmation.text  # a link to it
    assert stored_panel(bot, double.guild.id) == (double.general.id, posted.id, TITLE, TEXT)

    pressed = await double.click(member, posted, "Take the survey")
    assert pressed.message.ephemeral
    assert "Check your DMs" in pressed.message.text
    consent = await double.wait_for_dm(member, 1)
    first = (await double.click(member, consent, "Start the survey")).message
    assert step_of(first) is not None  # the first question, in DMs
    [(count,)] = rows(
        bot.settings.database, "SELECT count(*) FROM responses WHERE user_id = ?", (member.id,)
    )
    assert count == 1

    # pressed again, as /survey start: the survey continues where they are
    again = await double.click(member, posted, "Take the survey")
    assert "continues there" in again.message.text
    assert step_of(await double.wait_for_dm(member, 2)) == step_of(first)


async def test_the_button_answers_as_survey_start_does(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    moderator = double.add_member("mod", admin=True)
    _, posted = await post_panel(double, moderator)
    # closed DMs: the member is offered the survey privately in the server
    double.close_dms(member)
    closed = await double.click(member, posted, "Take the survey")
    offered = await closed.wait_original(lambda m: "Continue here privately" in str(m.components))
    assert "DMs are closed" in offered.text
    # a closed survey: refused kindly, nothing stored
    await double.slash(moderator, "survey-admin settings", survey_open=False)
    refused = await double.click(double.add_member("sam"), posted, "Take the survey")
    assert refused.message.ephemeral
    assert discord_markup(CLOSED) in refused.message.text
    # the same cooldown as /survey start (2 in 30 s), shared with the command
    kim = double.add_member("kim")
    await double.slash(moderator, "survey-admin settings", survey_open=True)
    await double.slash(kim, "survey start")
    await double.click(kim, posted, "Take the survey")
    slowed = await double.click(kim, posted, "Take the survey")
    assert "Slow down" in slowed.message.text


async def test_the_button_survives_a_restart(
    double: DiscordDouble, start_bot: BotStarter, settings: Settings
) -> None:
    moderator = double.add_member("mod", admin=True)
    async with start_bot(settings):
        _, posted = await post_panel(double, moderator)
    member = double.add_member("riley")
    async with start_bot(settings):
        pressed = await double.click(member, posted, "Take the survey")
        assert "Check your DMs" in pressed.message.text
        consent = await double.wait_for_dm(member, 1)
        first = (await double.click(member, consent, "Start the survey")).message
        assert step_of(first) is not None


# -- editing the text -----------------------------------------------------------------------


async def test_bad_text_is_refused_kindly_and_nothing_typed_is_lost(
    double: DiscordDouble, bot: AnagenBot
) -> None:
    moderator = double.add_member("mod", admin=True)
    opened = await double.slash(moderator, "survey-admin post")
    bad_title, bad_text = "   ", "Everyone take it!! @everyone\n" + "More words. " * 100
    refused = await double.submit_modal(moderator, opened, {"title": bad_title, "text": bad_text})
    reply = await refusal(refused)
    assert reply.ephemeral
    assert "The panel was not changed" in reply.text
    assert "title is empty" in reply.text
    assert f"at most {TEXT_MAX}" in reply.text
    assert "@everyone" in reply.text
    assert "not allowed" in reply.text
    assert reply.allowed_mentions == {"parse": []}
    assert "More words." in reply.text  # a copy of what was typed
    assert not panels_in(double)  # nothing posted
    assert rows(bot.settings.database, "SELECT count(*) FROM guild_settings")[0][0] == 0

    # "Edit again" opens the form with what was typed, not the default
    again = await double.click(moderator, reply, "Edit again")
    assert form_values(again)["text"].startswith("Everyone take it!!")
    fixed = await double.submit_modal(moderator, again, {"title": TITLE, "text": "Take it!"})
    await fixed.wait_followup()
    [posted] = panels_in(double)
    assert posted.embeds[0]["description"] == "Take it!"

    # posted again: the form holds the stored words, and the same message is edited
    opened = await double.slash(moderator, "survey-admin post")
    assert form_values(opened) == {"title": TITLE, "text": "Take it!"}
    edited = await double.submit_modal(moderator, opened, {"title": TITLE, "text": TEXT})
    assert "Updated the survey panel" in (await edited.wait_followup()).text
    assert panels_in(double) == [posted]
    assert posted.edited
    assert posted.embeds[0]["description"] == TEXT


async def test_members_cannot_post_or_change_the_panel(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    refused = await double.slash(member, "survey-admin post")
    assert refused.callback_type == 4  # no form
    assert "Manage Server" in refused.message.text
    # a form or button a moderator was given, used by a member (forged): refused as well
    moderator = double.add_member("mod", admin=True)
    opened = await double.slash(moderator, "survey-admin post")
    forged = await double.submit_modal(member, opened, {"title": TITLE, "text": TEXT})
    assert "Manage Server" in forged.message.text
    not_ok = await double.submit_modal(moderator, opened, {"title": "", "text": TEXT})
    pressed = await double.click(member, await refusal(not_ok), "Edit again")
    assert pressed.callback_type == 4
    assert "Manage Server" in pressed.message.text
    assert not panels_in(double)
    assert rows(bot.settings.database, "SELECT count(*) FROM guild_settings")[0][0] == 0


# -- the count and the message's life -------------------------------------------------------


async def test_a_release_refreshes_the_count_on_the_panel(
    double: DiscordDouble, bot: AnagenBot
) -> None:
    moderator = double.add_member("mod", admin=True)
    _, posted = await post_panel(double, moderator)
    await seed(bot.db, double.guild.id, 12)
    assert "No results published yet" in posted.embeds[0]["footer"]["text"]  # not live

    record = await publish(bot.services.results.releases, double.guild.id)
    footer = posted.embeds[0]["footer"]["text"]
    assert record.respondents == 12
    assert re.fullmatch(
        r"12 members had taken part as of \d+ \w+ \d{4} \(latest results\)\.", footer
    )
    assert posted.embeds[0]["description"] == TEXT  # the moderator's words stay

    # results for moderators only: the public panel keeps its button, not the number
    await double.slash(moderator, "survey-admin settings", visibility="managers")
    await double.wait_until(lambda: "footer" not in posted.embeds[0])
    assert panels_in(double) == [posted]


async def test_a_deleted_panel_is_forgotten_and_posted_anew(
    double: DiscordDouble, bot: AnagenBot
) -> None:
    moderator = double.add_member("mod", admin=True)
    _, posted = await post_panel(double, moderator)
    posted.deleted = True  # a moderator deleted it in Discord
    await seed(bot.db, double.guild.id, 10)
    await publish(bot.services.results.releases, double.guild.id)  # its refresh finds it gone
    assert stored_panel(bot, double.guild.id) == (None, None, TITLE, TEXT)

    opened = await double.slash(moderator, "survey-admin post")
    assert form_values(opened)["title"] == TITLE  # the words were kept
    await (await double.submit_modal(moderator, opened, form_values(opened))).wait_followup()
    [anew] = panels_in(double)
    assert anew.id != posted.id
    assert "10 members had taken part" in anew.embeds[0]["footer"]["text"]

    # deleted again, then edited: posted anew instead of failing
    anew.deleted = True
    opened = await double.slash(moderator, "survey-admin post")
    await (await double.submit_modal(moderator, opened, form_values(opened))).wait_followup()
    [third] = panels_in(double)

    removed = await double.slash(moderator, "survey-admin post", remove=True)
    assert "Took the survey panel down" in removed.message.text
    assert third.deleted
    assert not panels_in(double)
    assert stored_panel(bot, double.guild.id) == (None, None, TITLE, TEXT)
    again = await double.slash(moderator, "survey-admin post", remove=True)
    assert "no survey panel" in again.message.text


async def test_every_panel_custom_id_is_parsed_back_and_owned_by_the_panel_only(
    double: DiscordDouble, bot: AnagenBot
) -> None:
    moderator = double.add_member("mod", admin=True)
    opened = await double.slash(moderator, "survey-admin post")
    refused = await double.submit_modal(moderator, opened, {"title": "", "text": TEXT})
    again = await double.click(moderator, await refusal(refused), "Edit again")
    await (
        await double.submit_modal(moderator, again, {"title": TITLE, "text": TEXT})
    ).wait_followup()
    sent = {
        c["custom_id"]
        for request in double.requests
        for c in sent_components(request.body)
        if c["custom_id"].startswith("sv:panel")
    }
    assert len(sent) == 3, sent  # the button, "Edit again" and the form
    for custom_id in sent:
        assert len(custom_id) <= 100
        owners = [f for f in panel.ALL if f.pattern.fullmatch(custom_id)]
        assert len(owners) == 1, custom_id
        assert not [f for f in survey_ids.ALL if f.pattern.fullmatch(custom_id)], custom_id


async def test_a_channel_the_bot_cannot_post_in_is_named_and_the_text_kept(
    double: DiscordDouble, bot: AnagenBot
) -> None:
    moderator = double.add_member("mod", admin=True)
    opened = await double.slash(moderator, "survey-admin post")
    double.fail("POST", rf"/channels/{double.general.id}/messages", status=403)
    submitted = await double.submit_modal(moderator, opened, {"title": TITLE, "text": TEXT})
    told = await submitted.wait_followup()
    assert told.ephemeral
    assert f"I cannot post in <#{double.general.id}>" in told.text
    assert "Send Messages" in told.text
    assert not panels_in(double)
    # the permission fixed, the form comes back with what was typed
    opened = await double.slash(moderator, "survey-admin post")
    assert form_values(opened) == {"title": TITLE, "text": TEXT}
