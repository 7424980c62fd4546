"""The groupings a questionnaire file declares for results and treatment reports.

A questionnaire's optional `[results]` table names the number bins, derived groups
(e.g. receding vs diffuse), the questions the overview shows, the ready-made comparisons
and which survey choice each knowledge-base entry reports under. They live with the
questions they name, so a server that brings its own questionnaire brings its own
groupings, and a wrong id is a load-time problem line instead of a feature that silently
disappears. Parsed here into frozen dataclasses; every reference is checked against the
questions. A leaf module: the questionnaire holds what is parsed here, so what is read of
its questions is named here (`QuestionLike`) rather than imported from it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bot.i18n import N_, _


class ChoiceLike(Protocol):
    """What the `[results]` table reads of a choice (`questionnaire.Choice` is one)."""

    @property
    def id(self) -> str: ...
    @property
    def exclusive(self) -> bool: ...


class FieldLike(Protocol):
    """What it reads of a group question's field (`questionnaire.Field` is one)."""

    @property
    def id(self) -> str: ...
    @property
    def multi(self) -> bool: ...
    @property
    def choices(self) -> Sequence[ChoiceLike]: ...


class QuestionLike(Protocol):
    """What it reads of a question (`questionnaire.Question` is one): its id and kind, its
    choices or number range, and a group's fields."""

    @property
    def id(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def choices(self) -> Sequence[ChoiceLike]: ...
    @property
    def min(self) -> int | None: ...
    @property
    def max(self) -> int | None: ...
    @property
    def repeat_for(self) -> str | None: ...
    @property
    def fields(self) -> Sequence[FieldLike]: ...
    def choice(self, choice_id: str) -> ChoiceLike | None: ...
    def field(self, field_id: str) -> FieldLike | None: ...


ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,23}$")
MAX_LABEL = 80
# "★ " and the title make one Discord autocomplete choice name of at most 100 characters.
MAX_TITLE = 98
MAX_LEVELS = 25
# A multi-choice question with more options than this gets no "any of these" grouping: with
# so many options "any" is nearly everyone, and it would only add tables to every release.
MAX_PROFILE_OPTIONS = 10
# A scale's default bins, low to high; {numbers} is the bin's span ("0-3", or "5").
SCALE_WORDS = (
    # Translators: a default group of a 0-10 scale's answers, e.g. "0-3 (mild)".
    N_("{numbers} (mild)"),
    # Translators: a default group of a 0-10 scale's answers, e.g. "4-6 (moderate)".
    N_("{numbers} (moderate)"),
    # Translators: a default group of a 0-10 scale's answers, e.g. "7-10 (strong)".
    N_("{numbers} (strong)"),
)

_CHOICE_KINDS = ("single", "multi")
_NUMBER_KINDS = ("number", "scale")
_RESULTS_KEYS = frozenset({"bins", "groups", "overview", "ready_made", "treatments"})
_TREATMENTS_KEYS = frozenset({"question", "effects", "effect_fields", "choices"})


@dataclass(frozen=True, slots=True)
class Bin:
    """Numbers low..high (both included) are one level of a number or scale grouping."""

    low: int
    high: int
    label: str


@dataclass(frozen=True, slots=True)
class Level:
    """One level of a derived group: answers with any of `any_of` and none of `none_of`."""

    id: str
    label: str
    any_of: frozenset[str] = frozenset()
    none_of: frozenset[str] = frozenset()

    def holds(self, chosen: Iterable[str]) -> bool:
        chosen = frozenset(chosen)
        if self.any_of and not chosen & self.any_of:
            return False
        return not chosen & self.none_of


@dataclass(frozen=True, slots=True)
class DerivedGroup:
    """A grouping made from one choice question's answers; a member falls in the first
    level that holds, or in none."""

    id: str
    label: str
    question: str
    levels: tuple[Level, ...]

    def level_of(self, chosen: Sequence[str]) -> str | None:
        return next((level.id for level in self.levels if level.holds(chosen)), None)


@dataclass(frozen=True, slots=True)
class ReadyMade:
    """A comparison offered first in /survey compare: `question` by `by` (grouping ids)."""

    question: str
    by: str
    title: str


@dataclass(frozen=True, slots=True)
class EffectField:
    """A field of the effects group that the community report counts, with its answers."""

    id: str
    answers: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class TreatmentsSpec:
    """Where /treatment lookup finds the survey's reports on a knowledge-base entry."""

    question: str  # the choice question of treatments tried
    effects: str | None = None  # the group question asking what each one did
    fields: tuple[EffectField, ...] = ()
    entries: tuple[tuple[str, str], ...] = ()  # (knowledge-base entry id, survey choice id)

    def choice_for(self, entry_id: str) -> str | None:
        return dict(self.entries).get(entry_id)


@dataclass(frozen=True, slots=True)
class ResultsSpec:
    """Everything a questionnaire's `[results]` table declares; each part has a default."""

    bins: tuple[tuple[str, tuple[Bin, ...]], ...] = ()  # (question id, its bins)
    groups: tuple[DerivedGroup, ...] = ()
    overview: tuple[str, ...] | None = None  # None: every choice question, in file order
    ready_made: tuple[ReadyMade, ...] = ()
    treatments: TreatmentsSpec | None = None  # None: no entry has survey reports

    def bins_for(self, question: QuestionLike) -> tuple[Bin, ...]:
        """The declared bins of a number or scale question, or its default ones."""
        return dict(self.bins).get(question.id) or default_bins(question)

    def overview_for(self, questions: Iterable[QuestionLike]) -> tuple[str, ...]:
        if self.overview is not None:
            return self.overview
        return tuple(q.id for q in questions if q.kind in _CHOICE_KINDS)


def default_bins(question: QuestionLike) -> tuple[Bin, ...]:
    """A scale in three (mild, moderate, strong; 0-3, 4-6, 7-10 for 0-10), any other
    number in two halves. Labelled in the current language, when they are asked for."""
    low, high = question.min or 0, question.max or 0
    if question.kind == "scale":
        points = high - low + 1
        cuts = [low, *(low + round(points * i / 3) for i in (1, 2)), high + 1]
        return tuple(
            Bin(start, end - 1, _(word).format(numbers=_span(start, end - 1)))
            for start, end, word in zip(cuts[:-1], cuts[1:], SCALE_WORDS, strict=True)
            if start < end
        )
    middle = (low + high) // 2
    return (Bin(low, middle, f"{low}-{middle}"), Bin(middle + 1, high, f"{middle + 1}-{high}"))


def _span(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}-{high}"


def has_any_grouping(question: QuestionLike) -> bool:
    """A multi question with a "none" option gets an "any of these" yes/no grouping, when
    it has few enough other options to model."""
    others = [c for c in question.choices if not c.exclusive]
    return len(others) < len(question.choices) and len(others) <= MAX_PROFILE_OPTIONS


def grouping_ids(
    questions: Iterable[QuestionLike], groups: Iterable[DerivedGroup]
) -> dict[str, str]:
    """Every grouping id results can compare, with the question it comes from: a single,
    number or scale question's id; "question:choice" and "question:any" for a multi
    question; and each derived group's id."""
    found: dict[str, str] = {}
    for question in questions:
        if question.kind in ("single", *_NUMBER_KINDS):
            found[question.id] = question.id
        elif question.kind == "multi":
            if has_any_grouping(question):
                found[f"{question.id}:any"] = question.id
            for choice in question.choices:
                if not choice.exclusive:
                    found[f"{question.id}:{choice.id}"] = question.id
    for group in groups:
        found[group.id] = group.question
    return found


# -- parsing --------------------------------------------------------------------------------


def parse_results(raw: Any, questions: Sequence[QuestionLike], problems: list[str]) -> ResultsSpec:
    """The `[results]` table (None when the file has none); each problem is one line."""
    if raw is None:
        return ResultsSpec()
    if not isinstance(raw, dict):
        problems.append("results: must be a table ([results])")
        return ResultsSpec()
    _unknown_keys(raw, _RESULTS_KEYS, "results", problems)
    by_id = {q.id: q for q in questions}
    groups = _groups(raw.get("groups"), by_id, problems)
    return ResultsSpec(
        bins=_all_bins(raw.get("bins"), by_id, problems),
        groups=groups,
        overview=_overview(raw.get("overview"), by_id, problems),
        ready_made=_ready_made(raw.get("ready_made"), questions, groups, problems),
        treatments=_treatments(raw.get("treatments"), by_id, problems),
    )


def _unknown_keys(raw: dict[str, Any], known: frozenset[str], where: str, out: list[str]) -> None:
    for key in sorted(set(raw) - known):
        out.append(f"{where}: unknown key {key!r} (expected {', '.join(sorted(known))})")


def _table_list(raw: Any, where: str, problems: list[str]) -> list[dict[str, Any]]:
    """An array of tables, or [] with a problem when it is something else."""
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(entry, dict) for entry in raw):
        problems.append(f"{where}: must be an array of tables")
        return []
    return raw


def _string_list(raw: Any, where: str, problems: list[str]) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        problems.append(f"{where}: must be a list of ids in quotes")
        return []
    return raw


def _label(raw: Any, where: str, problems: list[str], limit: int = MAX_LABEL) -> str:
    if not isinstance(raw, str) or not 1 <= len(raw) <= limit:
        problems.append(f"{where}: needs a label of 1-{limit} characters")
        return str(raw or "")
    return raw


def _question(
    ref: Any, kinds: tuple[str, ...], by_id: dict[str, QuestionLike], where: str, out: list[str]
) -> QuestionLike | None:
    """The question `ref` names, if it exists and is of one of `kinds`."""
    if ref is None:
        out.append(f"{where}: needs a question id")
        return None
    question = by_id.get(ref) if isinstance(ref, str) else None
    if question is None:
        out.append(f"{where}: {ref!r} is not a question of this questionnaire")
        return None
    if question.kind not in kinds:
        out.append(
            f"{where}: {ref!r} is a {question.kind} question; it must be {' or '.join(kinds)}"
        )
        return None
    return question


def _all_bins(
    raw: Any, by_id: dict[str, QuestionLike], problems: list[str]
) -> tuple[tuple[str, tuple[Bin, ...]], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        problems.append("results bins: must be a table ([results.bins]) of question id = [bins]")
        return ()
    found = []
    for question_id, entries in raw.items():
        where = f"results bins of {question_id!r}"
        question = _question(question_id, _NUMBER_KINDS, by_id, where, problems)
        if question is not None:
            bins = _bins(question, _table_list(entries, where, problems), where, problems)
            if bins:
                found.append((question_id, bins))
    return tuple(found)


def _bins(
    question: QuestionLike, entries: list[dict[str, Any]], where: str, problems: list[str]
) -> tuple[Bin, ...]:
    """Bins in order that cover the question's whole range, each number in exactly one."""
    bins = []
    for entry in entries:
        low, high = entry.get("from"), entry.get("to")
        if not isinstance(low, int) or not isinstance(high, int) or low > high:
            problems.append(f"{where}: each bin needs whole numbers from <= to")
            return ()
        label = entry.get("label", _span(low, high))
        bins.append(Bin(low, high, _label(label, f"{where} bin {_span(low, high)}", problems)))
    if not 2 <= len(bins) <= MAX_LEVELS:
        problems.append(f"{where}: needs 2-{MAX_LEVELS} bins")
        return ()
    starts = [question.min, *(b.high + 1 for b in bins)]
    if [b.low for b in bins] != starts[:-1] or bins[-1].high != question.max:
        spans = ", ".join(_span(b.low, b.high) for b in bins)
        problems.append(
            f"{where}: bins must cover {question.min}-{question.max} in order, without gaps "
            f"or overlaps (they are {spans})"
        )
        return ()
    return tuple(bins)


def _groups(
    raw: Any, by_id: dict[str, QuestionLike], problems: list[str]
) -> tuple[DerivedGroup, ...]:
    found: list[DerivedGroup] = []
    for index, entry in enumerate(_table_list(raw, "results groups", problems)):
        gid = entry.get("id")
        where = f"results group {gid or f'#{index + 1}'}"
        if not isinstance(gid, str) or not ID_RE.match(gid):
            problems.append(f"{where}: id must be 1-24 lowercase letters, digits or _")
        elif gid in by_id:
            problems.append(f"{where}: id is also a question id; choose another")
        elif any(g.id == gid for g in found):
            problems.append(f"{where}: duplicate group id")
        label = _label(entry.get("label"), where, problems)
        question = _question(entry.get("question"), _CHOICE_KINDS, by_id, where, problems)
        levels = _levels(entry.get("levels"), question, where, problems)
        if question is not None and levels:
            found.append(DerivedGroup(str(gid), label, question.id, levels))
    return tuple(found)


def _levels(
    raw: Any, question: QuestionLike | None, where: str, problems: list[str]
) -> tuple[Level, ...]:
    entries = _table_list(raw, f"{where} levels", problems)
    if not 2 <= len(entries) <= MAX_LEVELS:
        problems.append(f"{where}: needs 2-{MAX_LEVELS} levels")
    choices = {c.id for c in question.choices} if question is not None else None
    levels: list[Level] = []
    for entry in entries:
        lid = entry.get("id")
        at = f"{where} level {lid!r}"
        if not isinstance(lid, str) or not ID_RE.match(lid):
            problems.append(f"{at}: id must be 1-24 lowercase letters, digits or _")
        elif any(level.id == lid for level in levels):
            problems.append(f"{at}: duplicate level id")
        any_of = _string_list(entry.get("any_of", []), f"{at} any_of", problems)
        none_of = _string_list(entry.get("none_of", []), f"{at} none_of", problems)
        if not any_of and not none_of:
            problems.append(f"{at}: needs any_of or none_of")
        unknown = sorted(set(any_of + none_of) - choices) if choices is not None else []
        if unknown and question is not None:
            names = ", ".join(repr(choice) for choice in unknown)
            problems.append(f"{at}: {question.id!r} has no choice {names}")
        label = _label(entry.get("label"), at, problems)
        levels.append(Level(str(lid), label, frozenset(any_of), frozenset(none_of)))
    return tuple(levels)


def _overview(
    raw: Any, by_id: dict[str, QuestionLike], problems: list[str]
) -> tuple[str, ...] | None:
    if raw is None:
        return None
    ids = _string_list(raw, "results overview", problems)
    for duplicate in sorted({i for i in ids if ids.count(i) > 1}):
        problems.append(f"results overview: {duplicate!r} is listed twice")
    for question_id in ids:
        _question(question_id, _CHOICE_KINDS, by_id, "results overview", problems)
    return tuple(dict.fromkeys(ids))


def _ready_made(
    raw: Any,
    questions: Sequence[QuestionLike],
    groups: tuple[DerivedGroup, ...],
    problems: list[str],
) -> tuple[ReadyMade, ...]:
    known = grouping_ids(questions, groups)
    found = []
    for index, entry in enumerate(_table_list(raw, "results ready_made", problems)):
        where = f"results ready_made #{index + 1}"
        refs = [str(entry.get(key)) for key in ("question", "by")]
        bad = [ref for ref in refs if ref not in known]
        for ref in bad:
            problems.append(
                f"{where}: {ref!r} is not a grouping (a single, number or scale question id, "
                "'question:choice' or 'question:any' of a multi question, or a group id)"
            )
        if not bad and known[refs[0]] == known[refs[1]]:
            problems.append(f"{where}: {refs[0]!r} and {refs[1]!r} come from the same question")
        title = _label(entry.get("title"), f"{where} title", problems, MAX_TITLE)
        if not bad:
            found.append(ReadyMade(refs[0], refs[1], title))
    return tuple(found)


def _treatments(
    raw: Any, by_id: dict[str, QuestionLike], problems: list[str]
) -> TreatmentsSpec | None:
    if raw is None:
        return None
    where = "results treatments"
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a table ([results.treatments])")
        return None
    _unknown_keys(raw, _TREATMENTS_KEYS, where, problems)
    tried = _question(raw.get("question"), _CHOICE_KINDS, by_id, f"{where} question", problems)
    effects: str | None = None
    fields: tuple[EffectField, ...] = ()
    if raw.get("effects") is not None:
        group = _question(raw["effects"], ("group",), by_id, f"{where} effects", problems)
        if group is not None and tried is not None and group.repeat_for != tried.id:
            problems.append(f"{where} effects: {group.id!r} does not repeat for {tried.id!r}")
        elif group is not None:
            effects = group.id
            fields = _effect_fields(raw.get("effect_fields"), group, problems)
    elif raw.get("effect_fields") is not None:
        problems.append(f"{where}: effect_fields needs effects naming the group question")
    entries = _entries(raw.get("choices"), tried, problems)
    if tried is None:
        return None
    return TreatmentsSpec(tried.id, effects, fields, entries)


def _effect_fields(raw: Any, group: QuestionLike, problems: list[str]) -> tuple[EffectField, ...]:
    """The single-choice fields of the effects group to count (default: all of them)."""
    where = "results treatments effect_fields"
    ids = (
        [f.id for f in group.fields if not f.multi]
        if raw is None
        else _string_list(raw, where, problems)
    )
    found = []
    for field_id in dict.fromkeys(ids):
        group_field = group.field(field_id)
        if group_field is None:
            problems.append(f"{where}: {field_id!r} is not a field of {group.id!r}")
        elif group_field.multi:
            problems.append(f"{where}: {field_id!r} is multi-choice; only single fields count")
        else:
            found.append(EffectField(field_id, tuple(c.id for c in group_field.choices)))
    return tuple(found)


def _entries(
    raw: Any, tried: QuestionLike | None, problems: list[str]
) -> tuple[tuple[str, str], ...]:
    """(knowledge-base entry, survey choice) from `choice id = [entry ids]`."""
    where = "results treatments choices"
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        problems.append(f"{where}: must be a table of choice id = [knowledge-base entry ids]")
        return ()
    found: dict[str, str] = {}
    for choice_id, entry_ids in raw.items():
        if tried is not None and tried.choice(choice_id) is None:
            problems.append(f"{where}: {choice_id!r} is not a choice of {tried.id!r}")
            continue
        for entry_id in _string_list(entry_ids, f"{where} {choice_id!r}", problems):
            if entry_id in found:
                problems.append(
                    f"{where}: entry {entry_id!r} is listed under both "
                    f"{found[entry_id]!r} and {choice_id!r}"
                )
            else:
                found[entry_id] = choice_id
    return tuple(found.items())
