"""Understanding typed replies: "2", "crown", "front, crown", "skip", "27 years".

Matching is forgiving (case, accents, punctuation, small typos) but never guesses
between two options: an ambiguous or unknown reply gets a correction instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from bot.i18n import _, current_language, formats
from bot.i18n.words import plain, words_for
from bot.survey.flow import (
    Answer,
    InvalidAnswer,
    Step,
    choice_answer,
    number_answer,
    skip_answer,
    text_answer,
)
from bot.survey.questionnaire import Choice, Kind
from bot.text import clean_text, similarity

_NUMBER = re.compile(r"-?\d+")
_TYPO_SCORE = 85  # bot.text.similarity: "burnin" ~ "burning", "mael" ~ "male", "itch" !~ "pain"
_TYPO_MARGIN = 4  # "norwod 2" is nearer "norwood 2" than "norwood 2a" by more than this


__all__ = ["Command", "Reply", "clean_text", "interpret", "normalise"]


class Command(StrEnum):
    BACK = "back"
    SKIP = "skip"
    PAUSE = "pause"


@dataclass(frozen=True, slots=True)
class Reply:
    """What a typed reply meant: an answer (per answer key) or a navigation command."""

    answers: dict[str, Answer] | None = None  # field id ("" for plain questions) -> answer
    command: Command | None = None


@cache
def _separators(language: str) -> re.Pattern[str]:
    """Commas and the like, and the language's "and" ("front and crown", "vorne und oben")."""
    words = "|".join(sorted(map(re.escape, words_for(language).conjunctions)))
    return re.compile(rf"\s*(?:[,;/+&\n]|\b(?:{words})\b)\s*", re.IGNORECASE)


def _split(raw: str) -> list[str]:
    return _separators(current_language()).split(raw)


normalise = plain


def interpret(step: Step, raw: str) -> Reply:
    """Turn a typed reply into an answer for `step`, or raise `InvalidAnswer`/`Refused`."""
    vocabulary = words_for(current_language())
    if (said := vocabulary.commands.get(normalise(raw))) is not None:
        command = Command(said)
        if command is Command.SKIP:
            skip_answer(step)  # raises for required questions
        return Reply(command=command)
    question = step.question
    if question.kind is Kind.TEXT:
        return Reply(answers={"": text_answer(step, clean_text(raw))})
    if question.kind in (Kind.NUMBER, Kind.SCALE):
        return Reply(answers={"": number_answer(step, _single_number(raw, step))})
    if question.kind is Kind.GROUP:
        return Reply(answers=_group(step, raw))
    return Reply(
        answers={
            "": choice_answer(
                step, _match_choices(raw, question.choices, question.kind is Kind.MULTI)
            )
        }
    )


def _single_number(raw: str, step: Step) -> str:
    """The one number in replies like "27", "27 years" or "I'm 27"; anything else is refused,
    so "Norwood 3" typed at the age question is never read as the age 3."""
    vocabulary = words_for(current_language())
    numbers = _NUMBER.findall(raw[:200])
    if not numbers and (written := vocabulary.number(raw[:200])) is not None:
        return str(written)
    words = set(re.sub(r"-?\d+", " ", normalise(raw[:200])).split())
    if len(numbers) != 1 or re.search(r"\d[.,]\d", raw) or not words <= vocabulary.filler:
        low, high = step.question.min, step.question.max
        raise InvalidAnswer(
            _("Please answer with one whole number from {low} to {high}, like 27.").format(
                low=low, high=high
            )
        )
    return numbers[0]


def _group(step: Step, raw: str) -> dict[str, Answer]:
    fields = step.fields
    parts = [p for p in _split(raw) if normalise(p)]
    spare = len(parts) - len(fields)
    multi = next((i for i, f in enumerate(fields) if f.multi), None)
    if spare < 0 or (spare > 0 and multi is None):
        example = ", ".join(f.choices[0].label.lower() for f in fields)
        prompts = [f.prompt.lower().rstrip("?") for f in fields]
        raise InvalidAnswer(
            _(
                "Please give {count} answers separated by commas ({names}), for example "
                "“{example}”."
            ).format(count=len(fields), names=formats.all_of(prompts), example=example)
        )
    answers = {}
    start = 0
    for index, group_field in enumerate(fields):
        # A multi field takes every part the other fields leave over.
        width = 1 + spare if index == multi else 1
        said = ", ".join(parts[start : start + width])
        start += width
        picked = _match_choices(said, group_field.choices, multiple=group_field.multi)
        answers[group_field.id] = choice_answer(step, picked, group_field.id)
    return answers


def _match_choices(raw: str, choices: tuple[Choice, ...], multiple: bool) -> list[str]:
    """Choice ids named by the reply, by number, label, id, another name (a brand) or a
    near-miss spelling. Every part that cannot be matched is named in one correction."""
    parts = [p for p in (normalise(p) for p in _split(raw[:2000])) if p]
    if multiple and len(parts) > 1:
        found = [(part, _match_one(part, choices)) for part in parts]
        if all(isinstance(hit, str) for _, hit in found):
            return [hit for _, hit in found if isinstance(hit, str)]
        # A label with a separator in it ("Prickling or tingling", "front and crown")
        # counts only when the whole reply is exactly that name.
        whole = _match_one(normalise(raw[:2000]), choices, exact=True)
        if isinstance(whole, str):
            return [whole]
        problems = [_problem(part, hit, choices) for part, hit in found if not isinstance(hit, str)]
        raise InvalidAnswer(_corrections(problems, choices, multiple))
    whole = _match_one(normalise(raw[:2000]), choices)
    if isinstance(whole, str):
        return [whole]
    raise InvalidAnswer(_corrections([_problem(raw, whole, choices)], choices, multiple))


Match = str | tuple[str, ...] | None  # a choice id, the candidates it could be, or nothing


def _match_one(words: str, choices: tuple[Choice, ...], *, exact: bool = False) -> Match:
    if not words:
        return None
    if words.isdecimal():
        index = int(words) - 1 if len(words) < 4 else -1
        return choices[index].id if 0 <= index < len(choices) else None
    candidates: dict[str, list[str]] = {}
    for choice in choices:
        label = normalise(choice.label)
        names = {label, normalise(choice.id.replace("_", " "))}
        names.update(normalise(part) for part in re.split(r"\bor\b|,", choice.label))
        names.update(normalise(alias) for alias in choice.aliases)
        candidates[choice.id] = [n for n in names if n]
    squashed = words.replace(" ", "")
    tests: list[Callable[[str], bool]] = [
        lambda name: words == name or squashed == name.replace(" ", ""),
        lambda name: len(words) >= 3 and (name.startswith(words) or words.startswith(name)),
        lambda name: set(words.split()) <= set(name.split()),
    ]
    for test in tests[:1] if exact else tests:
        hits = [cid for cid, names in candidates.items() if any(test(n) for n in names)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            return tuple(hits)  # ambiguous: never guess between options, name them
    if exact:
        return None
    # A typo: take the closest option only when it is clearly closer than the runner-up.
    scores = sorted(
        ((max(similarity(words, n) for n in names), cid) for cid, names in candidates.items()),
        reverse=True,
    )
    best_score, best = scores[0]
    runner_up = scores[1][0] if len(scores) > 1 else 0
    return best if best_score >= _TYPO_SCORE and best_score - runner_up >= _TYPO_MARGIN else None


def _problem(raw: str, hit: Match, choices: tuple[Choice, ...]) -> str:
    shown = normalise(raw)[:40] or _("that")
    if isinstance(hit, tuple):
        labels = {c.id: c.label for c in choices}
        options = formats.one_of([labels[c] for c in hit])
        return _("“{reply}” could be {options}: which one?").format(reply=shown, options=options)
    return _("I could not match “{reply}” to an option.").format(reply=shown)


def _corrections(problems: list[str], choices: tuple[Choice, ...], multiple: bool) -> str:
    numbered = ", ".join(f"{i}. {c.label}" for i, c in enumerate(choices, 1))
    how = (
        _("one or more numbers or names separated by commas")
        if multiple
        else _("a number or a name")
    )
    listed = (
        problems[0]
        if len(problems) == 1
        else " ".join(f"({i}) {p}" for i, p in enumerate(problems, 1))
    )
    # Translators: {problems} are the sentences above; {how} is "a number or a name" or
    # "one or more numbers or names separated by commas"; {options} is the numbered list.
    return _("{problems} Reply with {how}: {options}.").format(
        problems=listed, how=how, options=numbered
    )
