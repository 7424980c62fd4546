"""Safety text through the real client and the double: no caution is ever cut, symptom
questions reach the conditions to tell apart before any product, and a member's own answers
(burning in the survey, a side effect in a check-in) bring the caution that speaks to them."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import AnagenBot
from bot.survey.flow import Answer
from bot.treatments.advice import AdviceBook
from bot.treatments.knowledge import Fact, Treatment
from cogs.survey.render import URGENT_HELP
from tests.bot.test_checkin_export import answer_checkin
from tests.checkin_driver import enable_checkins, opt_in
from tests.double import DiscordDouble, Message, User
from tests.survey_driver import click_through, start_survey

LOOKUPS_PER_MEMBER = 5  # under /treatment lookup's cooldown (6 in 30 s)


def texts(messages: list[Message]) -> str:
    """Everything a member can read in these messages: contents and every embed's text."""
    out = []
    for message in messages:
        out.append(message.content or "")
        for embed in message.embeds:
            out += [embed.get("title", ""), embed.get("description", "")]
            out += [f"{f['name']}\n{f['value']}" for f in embed.get("fields", [])]
    return "\n".join(out)


def whole(fact: Fact) -> str:
    return fact.text


async def safety_page(double: DiscordDouble, member: User, message: Message) -> list[Message]:
    press = await double.click(
        member, message, next(c for c in message.custom_ids() if c.startswith("tr:s:"))
    )
    return [press.message, *press.followups]


@pytest.mark.slow
async def test_every_caution_of_every_entry_can_be_read_whole(
    double: DiscordDouble, bot: AnagenBot
) -> None:
    entries: list[Treatment] = list(bot.knowledge.treatments)
    assert len(entries) > 60
    member = double.add_member("reader-0")
    for number, entry in enumerate(entries):
        if number % LOOKUPS_PER_MEMBER == 0:
            member = double.add_member(f"reader-{number}")
        reply = await double.slash(member, "treatment lookup", name=entry.id)
        message = await reply.wait_followup()
        assert message.embeds[0]["title"] == entry.name
        safety = [*entry.safety_facts, *entry.facts_about("side_effects")]
        if not safety:
            continue
        page = await safety_page(double, member, message)
        assert all(m.ephemeral for m in page)
        readable = texts([message]) + "\n" + texts(page)
        for fact in safety:
            assert whole(fact) in readable, (entry.id, fact.topic, fact.text[:60])
        # The Safety page alone has every caution and side effect, in order, whole.
        on_page = texts(page)
        positions = [on_page.index(whole(fact)) for fact in safety]
        assert positions == sorted(positions), entry.id
        # In the entry itself, safety comes first among the facts and is never clipped.
        fields = message.embeds[0]["fields"]
        names = [f["name"] for f in fields]
        first_fact_section = next(
            i
            for i, n in enumerate(names)
            if n not in ("Category", "Pattern hair loss", "Alopecia areata")
        )
        if entry.safety_facts:
            assert names[first_fact_section] in ("⚠️ Caution", "🩺 When to see a doctor")
        for field in fields:
            if field["name"] in ("⚠️ Caution", "🩺 When to see a doctor", "\u200b"):
                assert "…" not in field["value"], entry.id


@pytest.mark.parametrize(
    "question", ["burning scalp", "scalp pain hair loss", "itchy scalp shedding"]
)
async def test_symptom_questions_reach_the_conditions_first(
    double: DiscordDouble, bot: AnagenBot, member: User, question: str
) -> None:
    reply = await double.slash(member, "treatment lookup", name=question)
    message = reply.message
    embed = message.embeds[0]
    assert "conditions to tell apart" in embed["title"]
    buttons = [c["label"] for c in message.components[0]["components"]]
    kb = bot.knowledge
    conditions = [t for t in kb.treatments if t.is_condition]
    first = kb.get(next(c.id for c in conditions if c.name == buttons[0]))
    assert first is not None
    assert first.is_condition
    readable = texts([message])
    # Every condition shown in the embed carries its "see a doctor" line whole.
    for condition in conditions:
        if condition.name in readable:
            for fact in condition.facts_about("see_doctor"):
                if f"When to see a doctor: {condition.name}" in readable:
                    assert fact.text in readable
    if "burning" in question or "pain" in question:
        scarring = kb.by_id["lichen_planopilaris"]
        assert scarring.facts_about("see_doctor")[0].text in readable
    # Products come after every condition.
    labels = [kb.lookup(label) for label in buttons]
    kinds = [t.is_condition for t in labels if t is not None]
    assert kinds == sorted(kinds, reverse=True)


async def test_compare_names_every_caution_and_opens_them_whole(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    reply = await double.slash(member, "treatment compare", a="finasteride", b="dutasteride")
    message = reply.message
    fields = {f["name"]: f["value"] for f in message.embeds[0]["fields"]}
    assert "Mood changes" in fields["Cautions: Finasteride"]
    assert "Mood changes" in fields["Cautions: Dutasteride"]
    press = await double.click(member, message, "Safety: Dutasteride")
    readable = texts([press.message, *press.followups])
    for fact in bot.knowledge.by_id["dutasteride"].safety_facts:
        assert fact.text in readable


async def test_searching_minoxidil_reaches_the_oral_entry_too(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    choices = await double.autocomplete(member, "treatment lookup", "name", name="minoxidil")
    values = [c["value"] for c in choices]
    assert {"minoxidil", "minoxidil_oral"} <= set(values)
    reply = await double.slash(member, "treatment lookup", name="minoxidil")
    message = await reply.wait_followup()
    assert message.button(bot.knowledge.by_id["minoxidil_oral"].name)


async def test_burning_in_the_survey_and_mood_in_a_check_in_bring_their_cautions(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    await enable_checkins(double)
    question = await start_survey(double, member)
    summary, _ = await click_through(double, member, question)  # itch and burning
    thanks = (await double.click(member, summary, "Done")).message
    [advice] = thanks.embeds
    assert "burning" in advice["fields"][0]["name"]
    for condition_id in ("lichen_planopilaris", "frontal_fibrosing_alopecia"):
        for fact in bot.knowledge.by_id[condition_id].facts_about("see_doctor"):
            assert fact.text in texts([thanks])

    await opt_in(double, member, thanks)
    sent = len(double.dms(member))
    await double.slash(member, "checkin now")
    summary = await answer_checkin(double, member, await double.wait_for_dm(member, sent + 1))
    done = (await double.click(member, summary, "Done")).message  # finasteride: sexual, mood
    assert "check-in is saved" in done.content
    readable = texts([done])
    mood = [
        f for f in bot.knowledge.by_id["finasteride"].facts_about("caution") if "mood" in f.covers
    ]
    assert mood
    for fact in mood:
        assert fact.text in readable
    assert URGENT_HELP in readable
    assert "talk to a doctor" in readable


def _regimen(**effects: tuple[str, ...]) -> dict[Any, Answer]:
    return {
        ("regimen.side_effects", treatment): Answer(choices=chosen)
        for treatment, chosen in effects.items()
    }


def test_a_side_effect_is_answered_once_per_treatment(bot_knowledge_book: AdviceBook) -> None:
    book = bot_knowledge_book
    first = book.after_checkin(_regimen(finasteride=("mood",)), None)
    assert [a.title for a in first] == ["Finasteride and mood changes"]
    assert first[0].urgent_help
    again = book.after_checkin(_regimen(finasteride=("mood",)), _regimen(finasteride=("mood",)))
    assert again == ()
    other = book.after_checkin(
        _regimen(finasteride=("mood",), minoxidil_oral=("heart",)),
        _regimen(finasteride=("mood",)),
    )
    assert [a.title for a in other] == ["Low-dose oral minoxidil and heart symptoms"]
    assert book.after_checkin(_regimen(finasteride=("none",)), None) == ()


def test_the_survey_line_needs_burning_or_pain(bot_knowledge_book: AdviceBook) -> None:
    book = bot_knowledge_book
    itch_only = {("sensations", ""): Answer(choices=("itch",))}
    assert book.after_survey(itch_only, None) == ()
    pain = {("sensations", ""): Answer(choices=("itch", "pain"))}
    [advice] = book.after_survey(pain, None)
    assert "pain" in advice.title
    assert advice.lines[-1].startswith("This is not a diagnosis")


@pytest.fixture
def bot_knowledge_book() -> AdviceBook:
    from bot.survey.questionnaire import load_questionnaire
    from bot.treatments.knowledge import load_knowledge_base

    return AdviceBook(load_knowledge_base(), load_questionnaire().results.treatments)
