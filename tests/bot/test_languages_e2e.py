"""Members in their own language, through the real client and the double: the survey taken
by typing in Spanish, Brazilian Portuguese, German, French and Turkish stores exactly what
the English run stores, and the member never sees an English sentence on the way."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from babel.messages.pofile import read_po

from bot.app import AnagenBot
from bot.clock import ManualClock
from bot.i18n import TRANSLATED, _, from_discord, pgettext, speaking
from bot.i18n.catalogue import TEMPLATE
from bot.i18n.words import words_for
from bot.settings import Settings
from bot.storage.location import DatabaseLocation
from bot.survey.questionnaire import Questionnaire
from tests.checkin_driver import enable_checkins, run_until
from tests.conftest import BotStarter
from tests.databases import rows
from tests.double import DiscordDouble, Message, User
from tests.survey_driver import response_id_of, step_of, stored_answers

LOCALES = ("es-ES", "pt-BR", "de", "fr", "tr")
_EN = words_for("en")
ENGLISH = frozenset([*_EN.commands, *_EN.numbers, *_EN.done])

# What the member answers, by choice id: the same whatever the language.
PLAN: dict[str, Any] = {
    "age": 34,
    "sex": ["male"],
    "pattern": ["pattern"],
    "norwood": ["nw3v"],
    "areas": ["hairline", "crown"],
    "speed": ["moderate"],
    "onset_age": "skip",
    "sensations": ["itch", "burning"],
    "sensation_areas": ["crown"],
    "intensity": 7,
    "sensation_shedding": ["clearly"],
    "shedding": ["more"],
    "dandruff": ["oily_film"],
    "oiliness": ["much_oilier"],
    "conditions": ["acne"],
    "treatments": ["finasteride", "ketoconazole"],
    "effects": {"shedding": "better", "sensations": "no_change", "started": "m6_12"},
    "notes": "Itches most in summer",
}


def _choice_ids(questionnaire: Questionnaire) -> None:
    """The plan names real ids (a renamed id fails here, not in the middle of a run)."""
    for qid, planned in PLAN.items():
        question = questionnaire[qid]
        if isinstance(planned, list):
            assert all(question.choice(c) for c in planned), (qid, planned)


def _typed(
    questionnaire: Questionnaire, language: str, step: str, plan: dict[str, Any] = PLAN
) -> str:
    """What a member writing in `language` types to answer `step` as `plan` says."""
    qid, _slash, item = step.partition("/")
    planned = plan[qid]
    question = questionnaire[qid]
    words = words_for(language)
    own = words_for("en") if language == "en" else None
    if planned == "skip":  # the language's own word for it
        return next(
            w for w, c in words.commands.items() if c == "skip" and (own or w not in ENGLISH)
        )
    if qid in ("intensity", "itch"):  # a number written as a word in the member's language
        return next(
            w for w, n in words.numbers.items() if n == planned and (own or w not in ENGLISH)
        )
    if isinstance(planned, int | str):
        return str(planned)
    if isinstance(planned, dict):
        parts = []
        for field in question.fields:
            if field.id in planned and field.applies(
                item, None if field.when is None else frozenset(plan[field.when.question])
            ):
                choice = field.choice(planned[field.id])
                assert choice is not None
                parts.append(choice.label)
            elif field.applies(
                item, None if field.when is None else frozenset(plan[field.when.question])
            ):
                parts.append(field.choices[-1].label)
        return ", ".join(parts)
    return ", ".join(question.choice(c).label for c in planned)  # type: ignore[union-attr]


async def _take_by_typing(
    double: DiscordDouble, bot: AnagenBot, member: User, language: str
) -> tuple[int, list[Message]]:
    reply = await double.slash(member, "survey start")
    seen = [reply.message]
    consent = await double.wait_for_dm(member, 1)
    with speaking(language):
        start_label = _("Start the survey")
        done_word = next(
            w for w in sorted(words_for(language).done) if language == "en" or w not in ENGLISH
        )
        questionnaire = bot.services.survey.questionnaire
    first = (await double.click(member, consent, start_label)).message
    seen.append(first)
    for _turn in range(40):
        question = double.dms(member)[-1]
        step = step_of(question)
        if step is None:
            break
        count = len(double.dms(member))
        await double.dm(member, _typed(questionnaire, language, step))
        await double.wait_for_dm(member, count + 1)
    summary = double.dms(member)[-1]
    rid = response_id_of(summary)
    count = len(double.dms(member))
    await double.dm(member, done_word)
    await double.wait_for_dm(member, count + 1)
    seen += double.dms(member)
    return rid, seen


def _english_sentences() -> list[str]:
    """Every catalogue message, cut at its placeholders into runs of four or more words: a
    member writing in another language should meet none of them."""
    with TEMPLATE.open("rb") as file:
        template = read_po(file)
    runs: set[str] = set()
    for message in template:
        if not message.id:
            continue
        text = message.id if isinstance(message.id, str) else message.id[0]
        for run in re.split(r"\{\w*\}|\*\*|`[^`]*`|/[a-z-]+(?: [a-z-]+)?|\n", text):
            if len(run.split()) >= 4:
                runs.add(run.strip(" .,:;()“”"))
    return sorted(runs)


def _everything_shown(messages: list[Message]) -> str:
    parts = []
    for message in messages:
        parts.append(message.text)
        parts += [str(c.get("label", "")) for c in _components(message.components)]
        parts += [str(c.get("placeholder", "")) for c in _components(message.components)]
    return "\n".join(parts)


def _components(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for row in rows:
        found.append(row)
        found += _components(row.get("components", []))
    return found


@pytest.fixture
def polyglot(double: DiscordDouble) -> dict[str, User]:
    members = {}
    for locale in LOCALES:
        user = double.add_member(f"member-{locale.lower()}")
        user.locale = locale
        members[locale] = user
    english = double.add_member("member-en")
    members["en-US"] = english
    return members


async def test_the_survey_typed_in_five_languages_stores_what_english_stores(
    double: DiscordDouble, bot: AnagenBot, settings: Settings, polyglot: dict[str, User]
) -> None:
    _choice_ids(bot.services.survey.questionnaires.original)
    english_rid, _shown = await _take_by_typing(double, bot, polyglot["en-US"], "en")
    english = stored_answers(settings.database, english_rid)
    assert english[("effects.shedding", "finasteride")] == ("better",)
    sentences = _english_sentences()
    prompts = [q.prompt for q in bot.services.survey.questionnaires.original.questions]

    for locale in LOCALES:
        language = from_discord(locale)
        rid, shown = await _take_by_typing(double, bot, polyglot[locale], language)
        assert stored_answers(settings.database, rid) == english, (
            locale,
            [m.text[-300:] for m in double.dms(polyglot[locale])[-3:]],
        )
        text = _everything_shown(shown)
        leaked = [s for s in sentences if s in text]
        assert not leaked, f"{locale}: English shown: {leaked[:3]}"
        assert not [p for p in prompts if p in text], f"{locale}: an English question"
        with speaking(language):
            assert _("Thank you! Your answers are saved") not in text
            assert pgettext("button", "Done") in text  # its own words for the buttons


async def test_synced_commands_carry_descriptions_in_every_language(
    double: DiscordDouble, bot: AnagenBot
) -> None:
    survey = next(c for c in double.global_commands if c["name"] == "survey")
    for locale in ("es-ES", "es-419", "pt-BR", "de", "fr", "tr"):
        assert survey["description_localizations"][locale] != survey["description"]
        for option in survey["options"]:
            assert locale in option.get("description_localizations", {}), option["name"]
    # Names stay the English ones members are told to type.
    assert "name_localizations" not in survey or not survey["name_localizations"]
    assert set(TRANSLATED) == {"es", "pt_BR", "de", "fr", "tr"}


async def test_a_chosen_language_wins_and_survives_a_restart(
    double: DiscordDouble, bot: AnagenBot, member: User
) -> None:
    member.locale = "en-US"
    reply = await double.slash(member, "survey language", language="de")
    assert "Deutsch" in reply.message.text
    with speaking("de"):
        expected = _("Check your DMs: I have sent you the survey.")
    assert expected != "Check your DMs: I have sent you the survey."
    started = await double.slash(member, "survey start")
    assert started.message.text == expected
    consent = await double.wait_for_dm(member, 1)
    with speaking("de"):
        assert _("Start the survey") in _everything_shown([consent])
    # Back to the client's language.
    await double.slash(member, "survey language", language="auto")
    status = await double.slash(member, "survey status")
    assert "In progress" in status.message.text or "not started" in status.message.text


# -- a check-in, from the reminder to the stored answers ---------------------------------------

CHECKIN_PLAN: dict[str, Any] = {
    "current": ["finasteride"],
    "regimen": {"status": "still_using", "side_effects": "none"},
    "started": ["none"],
    "shedding": ["less"],
    "itch": 3,
    "burning": 1,
    "satisfaction": ["satisfied"],
    "note": "skip",
}
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)  # a Monday morning in Berlin


@pytest.fixture
async def clocked(
    settings: Settings, start_bot: BotStarter
) -> AsyncIterator[tuple[AnagenBot, ManualClock]]:
    """The bot, running on a clock only the test moves."""
    manual = ManualClock(START)
    async with start_bot(settings, clock=manual) as started:
        yield started, manual


def _checkin_answers(database: DatabaseLocation, user: User) -> dict[tuple[str, str], Any]:
    found: dict[tuple[str, str], Any] = {}
    for rid, qid, item, number, skipped in rows(
        database,
        "SELECT a.response_id, a.question_id, a.item, a.number, a.skipped FROM checkin_answers a"
        " JOIN checkin_responses r ON r.id = a.response_id WHERE r.user_id = ?",
        (user.id,),
    ):
        choices = rows(
            database,
            "SELECT choice_id FROM checkin_answer_choices WHERE response_id = ?"
            " AND question_id = ? AND item = ? ORDER BY choice_id",
            (rid, qid, item),
        )
        found[(qid, item)] = (
            "skipped" if skipped else tuple(c for (c,) in choices) if choices else number
        )
    return found


async def _checkin_by_typing(
    double: DiscordDouble, clock: ManualClock, bot: AnagenBot, member: User, language: str
) -> list[Message]:
    reply = await double.slash(
        member, "checkin start", weekday=0, hour=9, time_zone="Europe/Berlin"
    )
    seen = [reply.message]
    [(due,)] = rows(
        bot.settings.database,
        "SELECT next_due_utc FROM checkin_enrolments WHERE user_id = ?",
        (member.id,),
    )
    before = len(double.dms(member))
    clock.set(datetime.fromisoformat(due) + timedelta(seconds=30))
    reminder = await run_until(
        clock, lambda: len(double.dms(member)) > before and double.dms(member)[-1]
    )
    start_now = reminder.components[0]["components"][0]["custom_id"]
    await double.click(member, reminder, start_now)
    with speaking(language):
        questionnaire = bot.services.checkins.engine.questionnaire
        done = next(
            w for w in sorted(words_for(language).done) if language == "en" or w not in ENGLISH
        )
    for _turn in range(20):
        question = double.dms(member)[-1]
        step = step_of(question)
        if step is None:
            break
        count = len(double.dms(member))
        await double.dm(member, _typed(questionnaire, language, step, CHECKIN_PLAN))
        await double.wait_for_dm(member, count + 1)
    count = len(double.dms(member))
    await double.dm(member, done)
    await double.wait_for_dm(member, count + 1)
    return seen + double.dms(member)


async def test_a_check_in_typed_in_five_languages_stores_what_english_stores(
    double: DiscordDouble, clocked: tuple[AnagenBot, ManualClock], settings: Settings
) -> None:
    bot, clock = clocked
    await enable_checkins(double)
    english_member = double.add_member("checkin-en")
    await _checkin_by_typing(double, clock, bot, english_member, "en")
    english = _checkin_answers(settings.database, english_member)
    assert english[("regimen.status", "finasteride")] == ("still_using",)
    assert english[("itch", "")] == 3
    sentences = _english_sentences()
    prompts = [q.prompt for q in bot.services.checkins.engine.questionnaires.original.questions]

    for locale in LOCALES:
        member = double.add_member(f"checkin-{locale.lower()}")
        member.locale = locale
        shown = await _checkin_by_typing(double, clock, bot, member, from_discord(locale))
        assert _checkin_answers(settings.database, member) == english, (
            locale,
            [m.text[-300:] for m in double.dms(member)[-2:]],
        )
        text = _everything_shown(shown)
        assert not [s for s in sentences if s in text], f"{locale}: English shown"
        assert not [p for p in prompts if p in text], f"{locale}: an English question"


# -- a lookup: the interface in the member's language, the facts in English, said so ---------

LOCAL_NAMES = {"es-ES": "finasterida", "pt-BR": "finasterida", "de": "Finasterid",
               "fr": "finastéride", "tr": "finasterid"}  # fmt: skip


async def test_a_lookup_in_five_languages_finds_local_names_and_says_facts_are_english(
    double: DiscordDouble, bot: AnagenBot, polyglot: dict[str, User]
) -> None:
    sentences = _english_sentences()
    for locale, name in LOCAL_NAMES.items():
        reply = await double.slash(polyglot[locale], "treatment lookup", name=name)
        embed = (await reply.wait_followup()).embeds[0]
        assert embed["title"] == "Finasteride", locale  # names and facts stay English
        with speaking(from_discord(locale)):
            note = _("Treatment facts are shown in English, the language of their sources.")
        assert note != "Treatment facts are shown in English, the language of their sources."
        assert embed["footer"]["text"].split("\n")[0] == note
        interface = "\n".join(
            [embed["footer"]["text"], *(f["name"] for f in embed.get("fields", []))]
            + [str(c.get("label", "")) for c in _components(reply.followups[0].components)]
        )
        assert not [s for s in sentences if s in interface], locale


async def test_dms_typed_after_a_restart_keep_the_members_language(
    double: DiscordDouble, start_bot: BotStarter, settings: Settings, member: User
) -> None:
    """A typed DM carries no locale: the language the survey was started in is kept with
    the member, so the bot that restarted meanwhile still answers in Portuguese."""
    member.locale = "pt-BR"
    async with start_bot(settings) as bot:
        await double.slash(member, "survey start")
        consent = await double.wait_for_dm(member, 1)
        with speaking("pt_BR"):
            start_label = _("Start the survey")
        await double.click(member, consent, start_label)
    async with start_bot(settings) as bot:
        count = len(double.dms(member))
        await double.dm(member, "trinta e quatro")  # the age, written out
        reply = await double.wait_for_dm(member, count + 1)
        with speaking("pt_BR"):
            questionnaire = bot.services.survey.questionnaire
            understood = _("Understood: {question} → {answer}").format(
                question=questionnaire["age"].prompt, answer="34"
            )
        assert understood in reply.text
        assert questionnaire["sex"].prompt in reply.text
        assert "How old are you?" not in reply.text
