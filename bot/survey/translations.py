"""A questionnaire in another language: the same questions and ids, other words.

A translation is a TOML file beside the questionnaire, `locales/<language>/<file name>`,
holding only text, keyed by the ids of the original:

    title = "..."
    intro = "..."
    [questions.itch]
    prompt = "..."
    help = "..."
    choices = { never = "...", sometimes = "..." }
    aliases = { never = ["...", "..."] }          # optional: more words a typed reply may use
    [questions.effects.fields.effect]
    prompt = "..."
    choices = { better = "..." }
    [results.bins]
    age = ["...", "..."]                          # the bins' labels, in order
    [results.groups.hair_loss_pattern]
    label = "..."
    levels = { male = "..." }
    [results.ready_made]
    "itch|norwood" = "..."                        # question|by

Answers, results and exports are stored and computed by id, so they never depend on the
language a member used. A text the translation lacks stays English; `anagen check` names
every missing and every extra key, and the test suite fails on either for a shipped
language.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bot.survey.groupings import Bin, DerivedGroup, Level, ReadyMade, ResultsSpec
from bot.survey.questionnaire import Choice, Field, Question, Questionnaire

LOCALES_FOLDER = "locales"


def translation_path(questionnaire: Questionnaire, language: str) -> Path | None:
    """Where `questionnaire`'s translation into `language` lives (None for one not read
    from a file)."""
    if not questionnaire.source or questionnaire.source.startswith("<"):
        return None
    source = Path(questionnaire.source)
    return source.parent / LOCALES_FOLDER / language / source.name


def texts(questionnaire: Questionnaire) -> dict[str, str]:
    """Every text of `questionnaire` a translation gives, by its key."""
    return dict(_texts(questionnaire))


def _texts(q: Questionnaire) -> Iterator[tuple[str, str]]:
    yield "title", q.title
    if q.intro:
        yield "intro", q.intro
    for question in q.questions:
        at = f"questions.{question.id}"
        yield f"{at}.prompt", question.prompt
        if question.help:
            yield f"{at}.help", question.help
        if question.refusal:
            yield f"{at}.refusal", question.refusal
        for choice in question.choices:
            yield f"{at}.choices.{choice.id}", choice.label
        for field in question.fields:
            yield f"{at}.fields.{field.id}.prompt", field.prompt
            for choice in field.choices:
                yield f"{at}.fields.{field.id}.choices.{choice.id}", choice.label
    spec = q.results
    for question_id, bins in spec.bins:
        for index, bin_ in enumerate(bins):
            yield f"results.bins.{question_id}.{index}", bin_.label
    for group in spec.groups:
        yield f"results.groups.{group.id}.label", group.label
        for level in group.levels:
            yield f"results.groups.{group.id}.levels.{level.id}", level.label
    for made in spec.ready_made:
        yield f"results.ready_made.{made.question}|{made.by}", made.title


def skeleton(questionnaire: Questionnaire) -> str:
    """A translation file holding the English texts, for a translator to start from."""
    tables: dict[str, list[str]] = {}
    bins: dict[str, list[str]] = {}
    for key, english in texts(questionnaire).items():
        if key.startswith("results.bins."):
            bins.setdefault(key.split(".")[2], []).append(_toml_string(english))
            continue
        table, _, name = key.rpartition(".")
        tables.setdefault(table, []).append(f"{_toml_key(name)} = {_toml_string(english)}")
    lines = [f"# {Path(questionnaire.source).name}, translated. Ids are the original's.", ""]
    for table, entries in tables.items():
        lines += ([f"[{table}]"] if table else []) + [*entries, ""]
    if bins:
        lines.append("[results.bins]")
        lines += [f"{qid} = [{', '.join(labels)}]" for qid, labels in bins.items()]
    return "\n".join(lines) + "\n"


def _toml_key(name: str) -> str:
    return name if name.replace("_", "").replace("-", "").isalnum() else _toml_string(name)


def _toml_string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Translation:
    language: str
    texts: dict[str, str]
    aliases: dict[str, tuple[str, ...]]  # "question.choice" -> more words for a reply
    source: str = ""


class TranslationError(ValueError):
    pass


def read_translation(path: Path, language: str) -> Translation:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TranslationError(f"{path}: cannot read the file ({exc.strerror})") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TranslationError(f"{path}: not valid TOML ({exc})") from exc
    aliases: dict[str, tuple[str, ...]] = {}
    for question_id, table in (raw.get("questions") or {}).items():
        if not isinstance(table, dict):
            continue
        for choice_id, words in (table.pop("aliases", None) or {}).items():
            if isinstance(words, list):
                aliases[f"{question_id}.{choice_id}"] = tuple(str(w) for w in words)
    return Translation(language, dict(_flatten(raw)), aliases, str(path))


def _flatten(raw: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(raw, dict):
        for key, value in raw.items():
            yield from _flatten(value, f"{prefix}{key}.")
    elif isinstance(raw, list):
        for index, value in enumerate(raw):
            yield from _flatten(value, f"{prefix}{index}.")
    else:
        yield prefix.rstrip("."), str(raw)


@dataclass(frozen=True, slots=True)
class Coverage:
    missing: tuple[str, ...]  # keys of the original the translation lacks
    extra: tuple[str, ...]  # keys that name nothing in the original (a typo, a removed id)
    empty: tuple[str, ...]  # keys given but blank


def coverage(questionnaire: Questionnaire, translation: Translation) -> Coverage:
    wanted = texts(questionnaire)
    given = translation.texts
    extra = [key for key in given if key not in wanted]
    extra += [
        f"questions.{key.split('.')[0]}.aliases.{key.split('.')[1]}"
        for key in translation.aliases
        if f"questions.{key.split('.')[0]}.choices.{key.split('.')[1]}" not in wanted
    ]
    return Coverage(
        missing=tuple(key for key in wanted if key not in given),
        extra=tuple(sorted(extra)),
        empty=tuple(key for key, text in given.items() if key in wanted and not text.strip()),
    )


def translated(questionnaire: Questionnaire, translation: Translation) -> Questionnaire:
    """`questionnaire` with the translation's words; ids, order and rules untouched. The
    English labels stay usable in typed replies, as aliases."""
    words = {k: v for k, v in translation.texts.items() if v.strip()}

    def text(key: str, english: str) -> str:
        return words.get(key, english)

    def choices(at: str, question_id: str, originals: tuple[Choice, ...]) -> tuple[Choice, ...]:
        return tuple(
            replace(
                choice,
                label=text(f"{at}.choices.{choice.id}", choice.label),
                aliases=(
                    *translation.aliases.get(f"{question_id}.{choice.id}", ()),
                    *choice.aliases,
                    choice.label,
                ),
            )
            for choice in originals
        )

    def field(at: str, question_id: str, original: Field) -> Field:
        here = f"{at}.fields.{original.id}"
        return replace(
            original,
            prompt=text(f"{here}.prompt", original.prompt),
            choices=choices(here, question_id, original.choices),
        )

    def question(original: Question) -> Question:
        at = f"questions.{original.id}"
        return replace(
            original,
            prompt=text(f"{at}.prompt", original.prompt),
            help=text(f"{at}.help", original.help),
            refusal=text(f"{at}.refusal", original.refusal),
            choices=choices(at, original.id, original.choices),
            fields=tuple(field(at, original.id, f) for f in original.fields),
        )

    spec = questionnaire.results
    results = ResultsSpec(
        bins=tuple(
            (
                qid,
                tuple(
                    Bin(b.low, b.high, text(f"results.bins.{qid}.{i}", b.label))
                    for i, b in enumerate(bins)
                ),
            )
            for qid, bins in spec.bins
        ),
        groups=tuple(
            DerivedGroup(
                g.id,
                text(f"results.groups.{g.id}.label", g.label),
                g.question,
                tuple(
                    Level(
                        lv.id,
                        text(f"results.groups.{g.id}.levels.{lv.id}", lv.label),
                        lv.any_of,
                        lv.none_of,
                    )
                    for lv in g.levels
                ),
            )
            for g in spec.groups
        ),
        overview=spec.overview,
        ready_made=tuple(
            ReadyMade(m.question, m.by, text(f"results.ready_made.{m.question}|{m.by}", m.title))
            for m in spec.ready_made
        ),
        treatments=spec.treatments,
    )
    return replace(
        questionnaire,
        title=text("title", questionnaire.title),
        intro=text("intro", questionnaire.intro),
        questions=tuple(question(q) for q in questionnaire.questions),
        results=results,
    )


class Translated:
    """One questionnaire in every language that has a translation file, made once.

    `in_language(code)` is the questionnaire a member of that language is shown; a language
    without a file gets the original."""

    def __init__(self, original: Questionnaire, languages: tuple[str, ...]) -> None:
        self.original = original
        self._by_language: dict[str, Questionnaire] = {}
        for language in languages:
            path = translation_path(original, language)
            if path is not None and path.is_file():
                self._by_language[language] = translated(original, read_translation(path, language))

    def in_language(self, language: str) -> Questionnaire:
        return self._by_language.get(language, self.original)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._by_language)
