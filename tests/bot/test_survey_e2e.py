"""The survey end to end: the real bot, the double, and the database underneath."""

from __future__ import annotations

import copy

from bot.app import AnagenBot
from bot.settings import Settings
from tests.conftest import BotStarter
from tests.double import DiscordDouble, User
from tests.survey_driver import (
    answer_step,
    click_through,
    custom_id,
    response_id_of,
    rows,
    start_survey,
    step_of,
    stored_answers,
)


async def test_full_survey_by_clicks(
    double: DiscordDouble, bot: AnagenBot, member: User, settings: Settings
) -> None:
    first = await start_survey(double, member)
    calls_before = len(double.requests)

    summary, asked = await click_through(double, member, first)

    assert asked == [
        "age",
        "sex",
        "pattern",
        "norwood",
        "areas",
        "speed",
        "onset_age",
        "sensations",
        "sensation_areas",
        "intensity",
        "sensation_shedding",
        "shedding",
        "dandruff",
        "oiliness",
        "conditions",
        "treatments",
        "effects/finasteride",
        "effects/ketoconazole",
        "notes",
    ]
    assert "ludwig" not in asked
    assert "Almost done" in summary.text
    rid = response_id_of(summary)
    echoed = summary.text
    done = await double.click(member, summary, "Done")
    assert "Thank you" in done.message.text

    answers = stored_answers(settings.database, rid)
    assert answers[("age", "")] == 34
    assert answers[("areas", "")] == ("crown", "hairline")
    assert answers[("onset_age", "")] == "skipped"
    assert answers[("intensity", "")] == 7
    assert answers[("effects.shedding", "finasteride")] == ("better",)
    assert answers[("effects.sensations", "ketoconazole")] == ("no_change",)
    assert answers[("notes", "")] == "Itches most in summer, @everyone <@&123>"
    # the echo of the free text never pings
    assert "Itches most in summer" in echoed
    assert "@everyone" not in echoed
    # clicks cost one API call each (the callback that edits the message in place)
    made = double.requests[calls_before:]
    others = [r for r in made if not r.path.endswith("/callback")]
    # one callback per click; besides them only Done asks whether they still belong to the
    # server (answers are never stored for a server a member has left), having acknowledged
    # the click first, and then shows the thank-you by editing its deferred response
    assert [(r.method, "/members/" in r.path) for r in others] == [
        ("GET", True),
        ("PATCH", False),
    ]


TYPED = {
    "age": "I'm 29",
    "sex": "1",
    "pattern": "diffuse thinning",
    "norwood": "norwod 2",  # a typo still matches
    "areas": "mid-scalp, crown",
    "speed": "slowly",
    "onset_age": "24",
    "sensations": "None of these",
    "shedding": "normal",
    "dandruff": "light",
    "oiliness": "no change",
    "conditions": "none",
    "treatments": "fin, dutasteride",
    # No scalp sensations: what each treatment did to them is not asked.
    "effects/finasteride": "better, 1 to 2 years ago, usual dose",
    "effects/dutasteride": "no change, not sure, not sure",
    "notes": "skip",
}


async def type_through(double: DiscordDouble, user: User, replies: dict[str, str]) -> list[str]:
    asked = []
    for _ in range(40):
        question = double.dms(user)[-1]
        step = step_of(question)
        if step is None:
            return asked
        asked.append(step)
        count = len(double.dms(user))
        await double.dm(user, replies[step])
        await double.wait_for_dm(user, count + 1)
    raise AssertionError(f"the survey never ended: {asked}, {double.dms(user)[-1].text!r}")


async def test_full_survey_by_typed_replies_with_skip_logic(
    double: DiscordDouble, bot: AnagenBot, member: User, settings: Settings
) -> None:
    first = await start_survey(double, member)

    asked = await type_through(double, member, TYPED)

    # no sensations: where / how strong / with shedding are never asked
    assert not {"sensation_areas", "intensity", "sensation_shedding"} & set(asked)
    assert asked[-1] == "notes"
    summary = double.dms(member)[-1]
    assert "Almost done" in summary.text
    echoes = [m.content for m in double.dms(member)]
    assert any("Understood: How old are you? → 29" in e for e in echoes)
    assert any("Norwood 2" in e for e in echoes)
    # the previous question message no longer has live buttons
    assert first.components == []
    await double.dm(member, "done")
    assert "Thank you" in (await double.wait_for_dm(member, len(double.dms(member)) + 1)).text

    answers = stored_answers(settings.database, response_id_of(summary))
    assert answers[("age", "")] == 29
    assert answers[("norwood", "")] == ("nw2",)
    assert answers[("sensations", "")] == ("none",)
    assert ("effects.sensations", "dutasteride") not in answers
    assert answers[("effects.started", "finasteride")] == ("y1_2",)
    assert answers[("effects.dose", "finasteride")] == ("usual",)
    assert answers[("effects.dose", "dutasteride")] == ("not_sure",)
    assert answers[("notes", "")] == "skipped"
    assert ("intensity", "") not in answers


async def test_invalid_answers_are_corrected_without_losing_anything(
    double: DiscordDouble, bot: AnagenBot, member: User, settings: Settings
) -> None:
    question = await start_survey(double, member)
    rid = response_id_of(question)

    for bad, expected in [
        ("abc", "whole number"),
        ("250", "from 13 to 100"),
        ("x" * 5000, "whole number"),
        ("skip", "needs an answer"),
    ]:
        count = len(double.dms(member))
        await double.dm(member, bad)
        reply = await double.wait_for_dm(member, count + 1)
        assert expected in reply.text
        assert step_of(reply) == "age"
    await double.dm(member, "40")
    sex = await double.wait_for_dm(member, len(double.dms(member)) + 1)
    assert step_of(sex) == "sex"

    count = len(double.dms(member))
    await double.dm(member, "@everyone banana <@123>")
    correction = await double.wait_for_dm(member, count + 1)
    assert "could not match" in correction.text
    assert "<@123>" not in correction.text
    assert step_of(correction) == "sex"

    # an exclusive choice cannot be combined
    message = await answer_step(double, member, correction, ("button", "Female"))
    message = await answer_step(double, member, message, ("button", "Not sure"))
    assert step_of(message) == "ludwig"  # female: the Ludwig scale instead of Norwood
    message = await answer_step(double, member, message, ("button", "Ludwig II"))
    message = await answer_step(double, member, message, ("select", ["none", "crown"]))
    assert "cannot be combined" in message.text
    assert step_of(message) == "areas"
    assert stored_answers(settings.database, rid) == {
        ("age", ""): 40,
        ("sex", ""): ("female",),
        ("pattern", ""): ("not_sure",),
        ("ludwig", ""): ("ludwig2",),
    }


async def test_pause_and_resume_across_a_restart_with_old_buttons(
    double: DiscordDouble, start_bot: BotStarter, settings: Settings, member: User
) -> None:
    async with start_bot(settings):
        question = await start_survey(double, member)
        question = await answer_step(double, member, question, ("form", "31"))
        question = await answer_step(double, member, question, ("button", "Male"))
        paused = (await double.click(member, question, "Pause")).message
        assert "Paused" in paused.text
    async with start_bot(settings):
        # the old Continue button still works after the restart
        resumed = (await double.click(member, paused, "Continue")).message
        assert step_of(resumed) == "pattern"
        back = (await double.click(member, resumed, "Back")).message
        assert step_of(back) == "sex"
        assert back.component(custom_id(back, "sv:a:").rsplit(":", 1)[0] + ":male")["style"] == 1
        following = await answer_step(double, member, back, ("button", "Male"))
        assert step_of(following) == "pattern"
        status = await double.slash(member, "survey status")
        assert "2 of" in status.message.text


async def test_other_members_stale_and_double_clicks_are_harmless(
    double: DiscordDouble, bot: AnagenBot, member: User, settings: Settings
) -> None:
    question = await start_survey(double, member)
    question = await answer_step(double, member, question, ("form", "31"))
    snapshot = copy.deepcopy(question)
    rid = response_id_of(question)

    intruder = double.add_member("mallory")
    forged = await double.forge_component(intruder, question, f"sv:a:{rid}:sex:female")
    assert forged.message.ephemeral
    assert "belongs to someone else" in forged.message.text

    first = await double.click(member, question, "Male")
    assert step_of(first.message) == "pattern"
    again = await double.click(member, snapshot, "Female")  # a stale copy of the question
    assert "already answered" in again.message.text
    assert step_of(again.message) == "pattern"
    areas = await answer_step(double, member, again.message, ("button", "Not sure"))
    areas = await answer_step(double, member, areas, ("button", "Not sure"))
    assert step_of(areas) == "areas"
    select = custom_id(areas, "sv:m:")
    forged_value = await double.forge_component(member, areas, select, ["zzz", "crown"])
    assert "not one of the options" in forged_value.message.text
    assert stored_answers(settings.database, rid) == {
        ("age", ""): 31,
        ("sex", ""): ("male",),
        ("pattern", ""): ("not_sure",),
        ("norwood", ""): ("not_sure",),
    }


async def test_closed_dms_continue_privately_in_the_server(
    double: DiscordDouble, bot: AnagenBot, settings: Settings
) -> None:
    member = double.add_member("private")
    member.dms_open = False
    reply = await double.slash(member, "survey start")
    offer = await reply.wait_original(lambda m: "DMs are closed" in m.text)
    message = (await double.click(member, offer, "Continue here privately")).message
    assert message.ephemeral
    summary, asked = await click_through(double, member, message)
    assert asked[0] == "age"
    rid = response_id_of(summary)
    assert "Thank you" in (await double.click(member, summary, "Done")).message.text
    # 17 questions; finasteride's effects in 4 parts, ketoconazole's in 3 (no dose)
    assert len(stored_answers(settings.database, rid)) == 24


async def test_mine_retake_and_delete(
    double: DiscordDouble, bot: AnagenBot, member: User, settings: Settings
) -> None:
    summary, _ = await click_through(double, member, await start_survey(double, member))
    await double.click(member, summary, "Done")
    again = await double.slash(member, "survey start")
    assert "already completed" in again.message.text

    await double.slash(member, "survey retake")
    consent = await double.wait_for_dm(member, len(double.dms(member)) + 1)
    retake = (await double.click(member, consent, "Start the survey")).message
    await answer_step(double, member, retake, ("form", "35"))

    mine = await double.slash(member, "survey mine")
    assert mine.message.ephemeral
    assert "Earlier responses" in mine.message.text
    assert "35" in mine.message.text
    assert len(rows(settings.database, "SELECT id FROM responses")) == 2

    other = double.add_member("other")
    await start_survey(double, other)

    confirm = await double.slash(member, "survey delete")
    erased = await double.click(member, confirm.message, "Erase my answers")
    assert "erased 2 survey responses" in erased.message.text
    for table in ("responses", "answers", "answer_choices"):
        leftover = rows(
            settings.database,
            f"SELECT count(*) FROM {table} WHERE "
            + (
                "user_id = ?"
                if table == "responses"
                else "response_id NOT IN (SELECT id FROM responses)"
            ),
            (member.id,) if table == "responses" else (),
        )
        assert leftover == [(0,)], table
    assert len(rows(settings.database, "SELECT id FROM responses")) == 1  # other's kept
    assert (await double.slash(member, "survey mine")).message.text.startswith("You have no")


async def test_change_an_answer_from_the_summary(
    double: DiscordDouble, bot: AnagenBot, member: User, settings: Settings
) -> None:
    summary, _ = await click_through(double, member, await start_survey(double, member))
    rid = response_id_of(summary)
    reopened = (
        await double.select(member, summary, custom_id(summary, "sv:c:"), ["speed"])
    ).message
    assert step_of(reopened) == "speed"
    back_to_summary = await answer_step(double, member, reopened, ("button", "Aggressively"))
    assert "Almost done" in back_to_summary.text
    assert "Aggressively" in back_to_summary.text
    # choosing no treatments drops the now-orphaned effect answers
    reopened = (
        await double.select(
            member, back_to_summary, custom_id(back_to_summary, "sv:c:"), ["treatments"]
        )
    ).message
    final = await answer_step(double, member, reopened, ("select", ["none"]))
    assert "Almost done" in final.text
    answers = stored_answers(settings.database, rid)
    assert answers[("speed", "")] == ("aggressive",)
    assert not [key for key in answers if key[0].startswith("effects.")]


async def test_under_13_is_refused_kindly_and_nothing_is_kept(
    double: DiscordDouble, bot: AnagenBot, member: User, settings: Settings
) -> None:
    await start_survey(double, member)
    await double.dm(member, "12")
    refusal = await double.wait_for_dm(member, len(double.dms(member)) + 1)
    assert "13 or older" in refusal.text
    assert rows(settings.database, "SELECT count(*) FROM responses") == [(0,)]


async def test_a_form_opened_before_a_restart_can_be_submitted_after_it(
    double: DiscordDouble, start_bot: BotStarter, settings: Settings, member: User
) -> None:
    async with start_bot(settings):
        question = await start_survey(double, member)
        opened = await double.click(member, question, "Answer")
        assert opened.callback_type == 9
    async with start_bot(settings):
        submitted = await double.submit_modal(member, opened, {"answer": "37"})
        assert step_of(submitted.message) == "sex"
    answers = stored_answers(settings.database, response_id_of(submitted.message))
    assert answers[("age", "")] == 37
