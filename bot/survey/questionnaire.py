"""The questionnaire as data: a TOML file, loaded into frozen dataclasses and validated.

Validation collects every problem as one line naming the question, so an operator
editing a questionnaire file sees all mistakes at once (`anagen check`).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from bot.survey.groupings import ID_RE, ResultsSpec, parse_results

BUNDLED = Path(__file__).parent / "questionnaires" / "scalp-v2.toml"
CHECKIN_BUNDLED = Path(__file__).parent / "questionnaires" / "checkin-v1.toml"

# Discord's limits, checked here so a questionnaire can never produce a rejected message.
MAX_SELECT_OPTIONS = 25
MAX_SCALE_POINTS = 20  # one button each, four rows of five; the fifth row holds navigation
MAX_LABEL = 80
MAX_PROMPT = 300
MAX_HELP = 600
MAX_TEXT_LENGTH = 1800
# What a `prefill` may name: answers the bot already holds about the member.
PREFILL_SOURCES = ("regimen",)


class QuestionnaireError(ValueError):
    """The file is not a usable questionnaire; `problems` has one line per mistake."""

    def __init__(self, source: str, problems: list[str]) -> None:
        super().__init__(f"{source}: " + "; ".join(problems))
        self.source = source
        self.problems = problems


class Kind(StrEnum):
    SINGLE = "single"
    MULTI = "multi"
    NUMBER = "number"
    SCALE = "scale"
    TEXT = "text"
    GROUP = "group"


@dataclass(frozen=True, slots=True)
class Choice:
    id: str
    label: str
    exclusive: bool = False
    # Other names a typed reply may use ("propecia" for finasteride); added at start-up from
    # the knowledge base for treatment choices (bot/treatments/survey_names.py).
    aliases: tuple[str, ...] = ()
    # The questionnaire version that first offered it: members who answered an earlier
    # version were never asked, so results count them as unknown for it, not as "no".
    since: int = 1
    # A text question that says what this choice is ("other": "which one?"); prompts that
    # repeat for the choice use that answer instead of the label.
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class Condition:
    """Ask only when an earlier choice question's answer matches."""

    question: str
    any_of: frozenset[str] = frozenset()
    none_of: frozenset[str] = frozenset()

    def holds(self, chosen: frozenset[str] | None) -> bool:
        if chosen is None:  # the earlier question was skipped or not asked
            return False
        if self.any_of and not (chosen & self.any_of):
            return False
        return not (chosen & self.none_of)


@dataclass(frozen=True, slots=True)
class Field:
    """One part of a group question: a single choice, or several when `multi`.

    `when` asks it only when an earlier answer matches (no "effect on sensations" for a
    member who has none); `only_for` asks it only for those repeated items (a dose for
    drugs, not for a transplant)."""

    id: str
    prompt: str
    choices: tuple[Choice, ...]
    multi: bool = False
    when: Condition | None = None
    only_for: frozenset[str] = frozenset()

    def applies(self, item: str, chosen: frozenset[str] | None) -> bool:
        if self.only_for and item not in self.only_for:
            return False
        return self.when is None or self.when.holds(chosen)

    def choice(self, choice_id: str) -> Choice | None:
        return next((c for c in self.choices if c.id == choice_id), None)


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    kind: Kind
    prompt: str
    help: str = ""
    choices: tuple[Choice, ...] = ()
    required: bool = True
    min: int | None = None
    max: int | None = None
    max_length: int | None = None
    when: Condition | None = None
    below_min_refuses: bool = False
    refusal: str = ""
    repeat_for: str | None = None
    fields: tuple[Field, ...] = ()
    # Where the answer can come from before the member is asked (e.g. "regimen": the
    # treatments a check-in already knows); the member confirms or corrects it.
    prefill: str | None = None
    # A number question whose answer may not exceed an earlier number answer (the age hair
    # loss started cannot be above the member's age).
    at_most: str | None = None

    @property
    def is_choice(self) -> bool:
        return self.kind in (Kind.SINGLE, Kind.MULTI)

    def choice(self, choice_id: str) -> Choice | None:
        return next((c for c in self.choices if c.id == choice_id), None)

    def field(self, field_id: str) -> Field | None:
        return next((f for f in self.fields if f.id == field_id), None)


@dataclass(frozen=True, slots=True)
class Questionnaire:
    version: int
    title: str
    intro: str
    questions: tuple[Question, ...]
    source: str = field(default="", compare=False)
    # The groupings results and treatment reports use: the file's [results] table, whose
    # every part has a default (bot/survey/groupings.py).
    results: ResultsSpec = field(default_factory=ResultsSpec)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def __getitem__(self, question_id: str) -> Question:
        question = self.question(question_id)
        if question is None:
            raise KeyError(question_id)
        return question


# -- loading --------------------------------------------------------------------------------


def load_questionnaire(path: Path | None = None) -> Questionnaire:
    """Load and validate; raises `QuestionnaireError` listing every problem found."""
    path = path or BUNDLED
    source = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise QuestionnaireError(source, [f"cannot read the file ({exc.strerror})"]) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise QuestionnaireError(source, [f"not valid TOML ({exc})"]) from exc
    return parse_questionnaire(raw, source)


def parse_questionnaire(raw: dict[str, Any], source: str = "<questionnaire>") -> Questionnaire:
    problems: list[str] = []
    version = raw.get("version")
    if not isinstance(version, int) or version < 1:
        problems.append("'version' must be a whole number of 1 or more")
        version = 0
    questions: list[Question] = []
    for index, entry in enumerate(raw.get("questions") or []):
        question = _parse_question(entry, index, problems)
        if question is not None:
            questions.append(question)
    if not questions and not problems:
        problems.append("there are no [[questions]]")
    _check_references(questions, problems)
    results = parse_results(raw.get("results"), questions, problems)
    if problems:
        raise QuestionnaireError(source, problems)
    return Questionnaire(
        version=version,
        title=str(raw.get("title", "Survey")),
        intro=str(raw.get("intro", "")),
        questions=tuple(questions),
        source=source,
        results=results,
    )


def _choices(raw: Any, where: str, problems: list[str]) -> tuple[Choice, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append(f"{where}: needs a non-empty 'choices' list")
        return ()
    choices: list[Choice] = []
    for entry in raw:
        cid, label = str(entry.get("id", "")), str(entry.get("label", ""))
        if not ID_RE.match(cid):
            problems.append(f"{where}: choice id {cid!r} must be lowercase letters, digits, _")
        if not label or len(label) > MAX_LABEL:
            problems.append(f"{where}: choice {cid!r} needs a label of 1-{MAX_LABEL} characters")
        aliases = entry.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            problems.append(f"{where}: choice {cid!r}: aliases must be a list of names")
            aliases = []
        since = entry.get("since", 1)
        if not isinstance(since, int) or since < 1:
            problems.append(f"{where}: choice {cid!r}: since must be a version number")
            since = 1
        detail = entry.get("detail")
        choices.append(
            Choice(
                cid,
                label,
                bool(entry.get("exclusive", False)),
                aliases=tuple(aliases),
                since=since,
                detail=str(detail) if detail else None,
            )
        )
    ids = [c.id for c in choices]
    for duplicate in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"{where}: duplicate choice id {duplicate!r}")
    if len(choices) > MAX_SELECT_OPTIONS:
        problems.append(
            f"{where}: {len(choices)} choices, but a Discord select menu holds at most "
            f"{MAX_SELECT_OPTIONS}"
        )
    return tuple(choices)


def _parse_question(entry: dict[str, Any], index: int, problems: list[str]) -> Question | None:
    qid = str(entry.get("id", ""))
    where = f"question {qid or f'#{index + 1}'}"
    if not ID_RE.match(qid):
        problems.append(f"{where}: id must be 1-24 lowercase letters, digits or _")
    try:
        kind = Kind(str(entry.get("type")))
    except ValueError:
        problems.append(f"{where}: type {entry.get('type')!r} is not one of {', '.join(Kind)}")
        return None
    prompt = str(entry.get("prompt", ""))
    if not prompt or len(prompt) > MAX_PROMPT:
        problems.append(f"{where}: needs a prompt of 1-{MAX_PROMPT} characters")
    help_text = str(entry.get("help", ""))
    if len(help_text) > MAX_HELP:
        problems.append(f"{where}: help is longer than {MAX_HELP} characters")

    choices: tuple[Choice, ...] = ()
    fields: tuple[Field, ...] = ()
    low, high, max_length = entry.get("min"), entry.get("max"), entry.get("max_length")
    if kind in (Kind.SINGLE, Kind.MULTI):
        choices = _choices(entry.get("choices"), where, problems)
    elif kind is Kind.SCALE:
        low, high = (0 if low is None else low), (10 if high is None else high)
    elif kind is Kind.TEXT:
        if not isinstance(max_length, int) or not 1 <= max_length <= MAX_TEXT_LENGTH:
            problems.append(f"{where}: text needs max_length between 1 and {MAX_TEXT_LENGTH}")
            max_length = MAX_TEXT_LENGTH
    elif kind is Kind.GROUP:
        fields = tuple(_field(f, where, problems) for f in entry.get("fields") or [])
        if not 1 <= len(fields) <= 4:  # one select per row, one row left for controls
            problems.append(f"{where}: a group needs 1-4 fields")
        if sum(f.multi for f in fields) > 1:  # typed replies give the extra parts to it
            problems.append(f"{where}: at most one field of a group may be multi")
        field_ids = [f.id for f in fields]
        for field_id in field_ids:
            if not ID_RE.match(field_id):
                problems.append(
                    f"{where}: field id {field_id!r} must be lowercase letters, digits, _"
                )
        for duplicate in sorted({i for i in field_ids if field_ids.count(i) > 1}):
            problems.append(f"{where}: duplicate field id {duplicate!r}")
        if not entry.get("repeat_for"):
            problems.append(f"{where}: a group needs 'repeat_for' naming a multi question")
    if kind in (Kind.NUMBER, Kind.SCALE):
        if not isinstance(low, int) or not isinstance(high, int) or low >= high:
            problems.append(f"{where}: needs whole numbers min < max")
            low, high = 0, 1
        if kind is Kind.SCALE and high - low + 1 > MAX_SCALE_POINTS:
            problems.append(f"{where}: a scale may have at most {MAX_SCALE_POINTS} points")

    prefill = entry.get("prefill")
    if prefill is not None and (prefill not in PREFILL_SOURCES or kind is not Kind.MULTI):
        problems.append(
            f"{where}: prefill {prefill!r} must be one of {', '.join(PREFILL_SOURCES)}, "
            "on a multi question"
        )
    when = _condition(entry.get("when"), where, problems)
    at_most = entry.get("at_most")
    if at_most is not None and kind is not Kind.NUMBER:
        problems.append(f"{where}: at_most is only for number questions")
    return Question(
        id=qid,
        kind=kind,
        prompt=prompt,
        help=help_text,
        choices=choices,
        required=bool(entry.get("required", True)),
        min=low,
        max=high,
        max_length=max_length,
        when=when,
        below_min_refuses=bool(entry.get("below_min_refuses", False)),
        refusal=str(entry.get("refusal", "")),
        repeat_for=entry.get("repeat_for"),
        fields=fields,
        prefill=prefill,
        at_most=str(at_most) if at_most else None,
    )


def _field(raw: dict[str, Any], where: str, problems: list[str]) -> Field:
    kind = raw.get("type", "single")
    if kind not in ("single", "multi"):
        problems.append(f"{where} field {raw.get('id')!r}: type must be single or multi")
    only_for = raw.get("only_for", [])
    if not isinstance(only_for, list):
        problems.append(f"{where} field {raw.get('id')!r}: only_for must be a list of items")
        only_for = []
    return Field(
        str(raw.get("id", "")),
        str(raw.get("prompt", "")),
        _choices(raw.get("choices"), f"{where} field {raw.get('id')!r}", problems),
        multi=kind == "multi",
        when=_condition(raw.get("when"), f"{where} field {raw.get('id')!r}", problems),
        only_for=frozenset(str(i) for i in only_for),
    )


def _condition(raw: Any, where: str, problems: list[str]) -> Condition | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.append(f"{where}: 'when' must be a table")
        return None
    condition = Condition(
        str(raw.get("question", "")),
        frozenset(raw.get("any_of", ())),
        frozenset(raw.get("none_of", ())),
    )
    if not condition.any_of and not condition.none_of:
        problems.append(f"{where}: 'when' needs any_of or none_of")
    return condition


def _check_references(questions: list[Question], problems: list[str]) -> None:
    """Conditions and repeats may only point back to earlier choice questions."""
    seen: dict[str, Question] = {}
    for question in questions:
        if question.id in seen:
            problems.append(f"question {question.id}: duplicate question id")
        for ref, what in (
            (question.when.question if question.when else None, "condition"),
            (question.repeat_for, "repeat_for"),
        ):
            if ref is None:
                continue
            target = seen.get(ref)
            if target is None:
                problems.append(
                    f"question {question.id}: {what} names {ref!r}, "
                    "which is not an earlier question"
                )
            elif not target.is_choice or (what == "repeat_for" and target.kind is not Kind.MULTI):
                problems.append(f"question {question.id}: {what} {ref!r} is not a choice question")
            elif question.when is not None and what == "condition":
                unknown = (question.when.any_of | question.when.none_of) - {
                    c.id for c in target.choices
                }
                if unknown:
                    problems.append(
                        f"question {question.id}: condition names unknown choices "
                        f"{', '.join(sorted(unknown))} of {ref!r}"
                    )
        _check_parts(question, seen, problems)
        seen.setdefault(question.id, question)
    for question in questions:
        for choice in question.choices:
            target = seen.get(choice.detail or "")
            if choice.detail is not None and (target is None or target.kind is not Kind.TEXT):
                problems.append(
                    f"question {question.id}: choice {choice.id!r} detail names "
                    f"{choice.detail!r}, which is not a text question"
                )


def _check_parts(question: Question, seen: dict[str, Question], problems: list[str]) -> None:
    """Field conditions, `only_for` items and `at_most` point back to earlier answers."""
    where = f"question {question.id}"
    if question.at_most is not None:
        target = seen.get(question.at_most)
        if target is None or target.kind is not Kind.NUMBER:
            problems.append(f"{where}: at_most {question.at_most!r} is not an earlier number")
    source = seen.get(question.repeat_for or "")
    items = {c.id for c in source.choices} if source is not None else set()
    for part in question.fields:
        if part.only_for - items:
            problems.append(
                f"{where} field {part.id!r}: only_for names unknown items "
                f"{', '.join(sorted(part.only_for - items))}"
            )
        if part.when is not None:
            target = seen.get(part.when.question)
            if target is None or not target.is_choice:
                problems.append(
                    f"{where} field {part.id!r}: condition names {part.when.question!r}, "
                    "which is not an earlier choice question"
                )
