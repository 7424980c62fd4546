"""Treatment lookups end to end: autocomplete, entries with community reports, compare,
browse, and the suggestion queue, through the real client and the double."""

from __future__ import annotations

import re

import pytest

from bot import i18n
from bot.app import AnagenBot
from tests.double import DiscordDouble, User
from tests.releases_driver import publish
from tests.survey_driver import seed_response, treatment_answers


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "f",
        "fin",
        "rogain",
        "does accutane cause hair loss",
        "x" * 100,
        "@everyone",
        "'; DROP TABLE answers; --",
        "🙂",
        "\u200b",
    ],
)
async def test_autocomplete_stays_within_discords_limits(
    double: DiscordDouble, bot: AnagenBot, member: User, typed: str
) -> None:
    choices = await double.autocomplete(member, "treatment lookup", "name", name=typed)
    assert len(choices) <= 25
    assert all(1 <= len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in choices)
    if typed in ("", "f"):
        assert choices
    if typed == "rogain":
        assert choices[0]["value"] == "minoxidil"
    if typed in ("@everyone", "'; DROP TABLE answers; --", "🙂", "\u200b", "x" * 100):
        assert choices == []


async def test_lookup_shows_sourced_entry_and_related_buttons(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    reply = await double.slash(member, "treatment lookup", name="propecia")
    assert reply.callback_type == 5  # acknowledged first, then the entry as a follow-up
    message = await reply.wait_followup()
    embed = message.embeds[0]
    assert embed["title"] == "Finasteride"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Pattern hair loss"] == "Approved"
    assert "[1]" in fields["What it is"]
    assert "Sources" in fields
    assert "Not medical advice" in embed["footer"]["text"]
    assert (
        "No survey results have been published in this server yet" in (fields["Community reports"])
    )
    related = message.button("Dutasteride")
    opened = await double.click(member, message, related["custom_id"])
    assert opened.message.ephemeral
    assert opened.message.embeds[0]["title"] == "Dutasteride"


async def test_facts_are_said_to_be_english_in_another_language(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    english_facts = "Treatment facts are shown in English, the language of their sources."
    with i18n.speaking("de"):  # (the `bot` fixture hides the package's name here)
        note = i18n._(english_facts)
    lena = double.add_member("lena")
    lena.locale = "de"  # her Discord client is in German

    reply = await double.slash(lena, "treatment lookup", name="propecia")
    looked_up = (await reply.wait_followup()).embeds[0]
    assert looked_up["title"] == "Finasteride"  # the knowledge base's own names stay English
    assert looked_up["footer"]["text"].split("\n")[0] == note
    compared = await double.slash(lena, "treatment compare", a="fin", b="dut")
    assert compared.message.embeds[0]["footer"]["text"].split("\n")[0] == note

    # In English nothing is added: the footer is as it always was.
    reply = await double.slash(member, "treatment lookup", name="propecia")
    footer = (await reply.wait_followup()).embeds[0]["footer"]["text"]
    assert footer.startswith("Facts as of ")
    assert "\n" not in footer
    compared = await double.slash(member, "treatment compare", a="fin", b="dut")
    assert english_facts not in compared.message.embeds[0]["footer"]["text"]


async def test_nothing_found_is_friendly(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    reply = await double.slash(member, "treatment lookup", name="<@123> asdfgh @everyone")
    assert reply.message.ephemeral
    assert "found nothing" in reply.message.text
    assert "<@123>" not in reply.message.text
    assert "Finasteride" in reply.message.text  # suggestions


async def community_reports(double: DiscordDouble, member: User, name: str) -> str:
    reply = await double.slash(member, "treatment lookup", name=name)
    message = await reply.wait_followup()
    return {f["name"]: f["value"] for f in message.embeds[0]["fields"]}["Community reports"]


async def test_community_reports_appear_only_from_the_group_size(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    guild = double.guild.id
    releases = bot.services.results.releases
    outcomes = [("better", "better")] * 4 + [("worse", "no_change")] * 2
    for index, (shedding, sensations) in enumerate(outcomes[:4]):
        await seed_response(
            bot.db, guild, 9000 + index, treatment_answers("finasteride", shedding, sensations)
        )
    for index in range(6):  # members who tried something else: a batch of ten in all
        await seed_response(
            bot.db, guild, 9300 + index, treatment_answers("ketoconazole", "better", "better")
        )
    for index in range(9):  # another server's members never count here
        await seed_response(
            bot.db, guild + 1, 9100 + index, treatment_answers("finasteride", "worse", "worse")
        )
    await publish(releases, guild)

    hidden = await community_reports(double, member, "finasteride")
    assert hidden == (
        "Fewer than 5 members of this server reported trying it in the current release of "
        "survey results, so their answers are not shown."
    )

    for index, (shedding, sensations) in enumerate(outcomes[4:]):
        await seed_response(
            bot.db, guild, 9200 + index, treatment_answers("finasteride", shedding, sensations)
        )
    for index in range(6, 14):  # the next batch
        await seed_response(
            bot.db, guild, 9300 + index, treatment_answers("ketoconazole", "better", "better")
        )
    assert await community_reports(double, member, "fin") == hidden  # until the next release
    await publish(releases, guild)
    text = await community_reports(double, member, "fin")
    # six tried it here (with the other server's nine it would be 15): 5 or 10, rounded
    assert re.search(r"About \*\*(5|10)\*\* members here reported trying it", text)
    # zeros are hidden too: "<5" is any of 0-4, so the others cannot be told from it
    assert "Effect on shedding: better <5 · no change <5 · worse <5 · not sure <5" in text
    assert "Effect on scalp sensations: better <5 · no change <5 · worse <5 · not sure <5" in text
    assert "Self-reported" in text
    assert "Counts are rounded to a multiple of 5; <5 is 0 to 4." in text
    assert "(20 members)" in text  # the release: 6 on finasteride and 14 on ketoconazole


async def test_compare_and_browse(double: DiscordDouble, bot: AnagenBot, member: User) -> None:
    compared = await double.slash(member, "treatment compare", a="fin", b="dut")
    assert compared.message.embeds[0]["title"] == "Finasteride vs Dutasteride"
    same = await double.slash(member, "treatment compare", a="fin", b="propecia")
    assert "two different" in same.message.text

    browse = await double.slash(member, "treatments")
    first_page = browse.message.embeds[0]["footer"]["text"]
    assert first_page.startswith("Page 1 of")
    assert browse.message.button("Previous").get("disabled")
    second = await double.click(member, browse.message, "Next")
    assert second.message.embeds[0]["footer"]["text"].startswith("Page 2 of")
    back = await double.click(member, second.message, "Previous")
    assert back.message.embeds[0]["footer"]["text"].startswith("Page 1 of")
    scalp = await double.slash(member, "treatments", category="scalp_care")
    assert scalp.message.embeds[0]["title"] == "Anti-inflammatory and antifungal scalp care"


async def test_suggestions_are_queued_and_resolved_by_moderators_only(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    sent = await double.slash(
        member, "treatment suggest", name="nizoral", text="Add the 2% strength <@&1> @everyone"
    )
    assert "Suggestion #1" in sent.message.text

    synced = double.find_command("treatment-suggestions")
    assert int(synced["default_member_permissions"]) == 1 << 5  # Discord hides it from members
    refused = await double.slash(member, "treatment-suggestions")  # …and refused if forged
    assert "Manage Server" in refused.message.text

    moderator = double.add_member("mod", admin=True)
    queue = await double.slash(moderator, "treatment-suggestions")
    assert queue.message.ephemeral
    assert "Ketoconazole" in queue.message.text
    # a member replaying the moderator's button is refused
    forged = await double.forge_component(member, queue.message, "tr:r:1:accept")
    assert "Only members with Manage Server" in forged.message.text
    done = await double.click(moderator, queue.message, "Accept #1")
    assert "marked accepted" in done.message.text
    assert "No open suggestions" in done.message.text
