"""The message catalogues and translated questionnaires: complete for every shipped
language, current with the code, and never showing a message id."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import LANGUAGES, TRANSLATED, _, from_discord, known, speaking
from bot.i18n.catalogue import TEMPLATE, po_path
from bot.i18n.formats import all_of, number, one_of, percent
from bot.i18n.words import words_for
from bot.survey.questionnaire import CHECKIN_BUNDLED, load_questionnaire
from bot.survey.translations import (
    coverage,
    read_translation,
    skeleton,
    translated,
    translation_path,
)

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\{(\w*)\}")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}


def _catalogue(language: str):  # type: ignore[no-untyped-def]
    with po_path(language).open("rb") as file:
        return read_po(file, locale=language)


def _in_code() -> set[tuple[str | None, str]]:
    found: set[tuple[str | None, str]] = set()
    for folder in ("bot", "cogs"):
        for _file, _line, message, _comments, context in extract_from_dir(
            ROOT / folder, keywords=KEYWORDS, comment_tags=("Translators:",)
        ):
            singular = message[0] if isinstance(message, tuple) else message
            found.add((context, singular))
    return found


def test_the_template_holds_every_message_of_the_code() -> None:
    with TEMPLATE.open("rb") as file:
        template = read_po(file)
    held = {(m.context, m.id if isinstance(m.id, str) else m.id[0]) for m in template if m.id}
    behind = sorted(str(m) for m in _in_code() - held)
    assert not behind, f"run scripts/update_catalogue.py; not in anagen.pot: {behind[:5]}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_with_the_same_placeholders(language: str) -> None:
    catalogue = _catalogue(language)
    with TEMPLATE.open("rb") as file:
        wanted = {m.id for m in read_po(file) if m.id}
    problems = []
    for message in catalogue:
        if not message.id or message.id not in wanted:
            continue
        wanted.discard(message.id)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(texts):
            problems.append(f"untranslated or fuzzy: {ids[0]!r}")
            continue
        expected = set(PLACEHOLDER.findall(ids[-1]))
        for text in texts:
            if set(PLACEHOLDER.findall(text)) != expected:
                problems.append(f"placeholders differ: {ids[0]!r} -> {text!r}")
    problems += [f"missing: {m!r}" for m in sorted(map(str, wanted))]
    assert not problems, f"{language}: {len(problems)} problems, first: {problems[:5]}"


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize("path", [None, CHECKIN_BUNDLED], ids=["survey", "checkin"])
def test_questionnaires_are_translated_key_for_key(language: str, path: Path | None) -> None:
    questionnaire = load_questionnaire(path)
    file = translation_path(questionnaire, language)
    assert file is not None
    assert file.is_file(), f"{file} is missing"
    result = coverage(questionnaire, read_translation(file, language))
    assert result.missing == ()
    assert result.extra == ()
    assert result.empty == ()


def test_a_missing_key_is_reported_and_shown_in_english(tmp_path: Path) -> None:
    questionnaire = load_questionnaire()
    text = skeleton(questionnaire)
    text = text.replace('prompt = "How old are you?"', 'prompt = "Wie alt bist du?"')
    text = text.replace('help = "Type your age in years, for example 27."\n', "")
    text += '\n[questions.no_such_question]\nprompt = "?"\n'
    file = tmp_path / "de.toml"
    file.write_text(text, encoding="utf-8")
    translation = read_translation(file, "de")
    result = coverage(questionnaire, translation)
    assert result.missing == ("questions.age.help",)
    assert result.extra == ("questions.no_such_question.prompt",)
    german = translated(questionnaire, translation)
    assert german["age"].prompt == "Wie alt bist du?"
    assert german["age"].help == questionnaire["age"].help  # English, never a key
    assert [q.id for q in german.questions] == [q.id for q in questionnaire.questions]


def test_discord_locales_map_onto_the_shipped_languages() -> None:
    assert from_discord("es-ES") == from_discord("es-419") == "es"
    assert from_discord("pt-BR") == "pt_BR"
    assert from_discord("de") == "de"
    assert from_discord("en-GB") == from_discord("ja") == from_discord(None) == "en"
    assert known("pt-BR") == known("pt_br") == "pt_BR"
    assert known("xx") is None
    assert {lang.code for lang in LANGUAGES} == {"en", *TRANSLATED}


def test_an_unknown_message_falls_back_to_english_text() -> None:
    with speaking("de"):
        assert _("A sentence no catalogue has.") == "A sentence no catalogue has."


def test_numbers_lists_and_shares_follow_the_language() -> None:
    with speaking("de"):
        assert number(1234.5, 1) == "1.234,5"
        assert all_of(["a", "b", "c"]) == "a, b und c"
        assert percent(0.25) == "25\xa0%"
    with speaking("tr"):
        assert one_of(["a", "b"]) == "a veya b"
        assert percent(0.25) == "%25"
    with speaking("en"):
        assert all_of(["a", "b", "c"]) == "a, b and c"
        assert number(1234) == "1,234"


@pytest.mark.parametrize("language", TRANSLATED)
def test_each_language_has_navigation_words_and_numbers(language: str) -> None:
    words = words_for(language)
    english = words_for("en")
    assert set(words.commands.values()) == {"back", "skip", "pause"}
    assert len(words.commands) > len(english.commands), "no words of its own"
    assert len(words.numbers) > len(english.numbers)
    assert words.number("twenty seven") == 27  # English always works too


@pytest.mark.parametrize("language", ["en", *TRANSLATED])
def test_a_group_answer_can_be_typed_in_one_line(language: str) -> None:
    """A group question is answered by typing its parts in one line, split at commas and
    the language's "and"; a part that takes one choice gets exactly one piece, so none of
    its labels may hold a separator ("Ja, weiterhin" was read as two answers)."""
    separators = re.compile(
        r"[,;/+&]|\b(?:" + "|".join(map(re.escape, words_for(language).conjunctions)) + r")\b",
        re.IGNORECASE,
    )
    problems = []
    for path in (None, CHECKIN_BUNDLED):
        original = load_questionnaire(path)
        file = translation_path(original, language)
        assert file is not None
        shown = (
            original if language == "en" else translated(original, read_translation(file, language))
        )
        for question in shown.questions:
            for field in question.fields:
                if not field.multi:
                    problems += [
                        f"{question.id}.{field.id}: {c.label!r}"
                        for c in field.choices
                        if separators.search(c.label)
                    ]
    assert not problems, f"{language}: {problems}"
