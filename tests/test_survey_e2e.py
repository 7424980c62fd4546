"""The survey end to end: the real bot, the double, and the database underneath."""

from __future__ import annotations

from pathlib import Path

from bot.app import AnagenBot
from bot.settings import Settings
from tests.double import DiscordDouble, User
from tests.survey_driver import (
    click_through,
    response_id_of,
    start_survey,
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

    answers = stored_answers(settings.database_path, rid)
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
    clicks = [r for r in double.requests[calls_before:] if r.path.endswith("/callback")]
    assert len(double.requests[calls_before:]) == len(clicks)
