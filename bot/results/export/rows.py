"""Rows: a member's stored answers written into the columns the codebook (`codebook.py`)
lays out, one row per survey response, and one per check-in and treatment it names. A
skipped number leaves its cell empty, so a number column holds numbers only."""

from __future__ import annotations

from collections.abc import Sequence

from bot.results.export.codebook import item_questions
from bot.survey.questionnaire import Choice, Field, Kind, Question, Questionnaire


def fill_survey_row(
    row: dict[str, object],
    questionnaire: Questionnaire,
    answers: list[tuple],
    version: int,
    labels: bool = False,
) -> None:
    """One response's stored answers into its `row` (every survey column, empty): what
    was skipped in the skipped column, and a choice the response's questionnaire `version`
    never offered left empty."""
    _fill(row, questionnaire, answers, labels)
    _not_offered(row, questionnaire, version)


def _fill(
    row: dict[str, object], questionnaire: Questionnaire, answers: list[tuple], labels: bool
) -> None:
    skipped_keys: list[str] = []
    for question_id, item, number, text, skipped, choice in answers:
        question = questionnaire.question(question_id.split(".", 1)[0])
        if question is None:
            continue
        if question.kind is Kind.GROUP:
            column = f"{question_id}.{item}"
            if skipped:
                skipped_keys.append(column)
                continue
            group_field = question.field(question_id.split(".", 1)[1])
            row[column] = _group_cell(group_field, number, text, choice, labels)
            continue
        if skipped:
            skipped_keys.append(question_id)
        _answer_value(row, question_id, question, number, text, skipped, choice, labels)
    row["skipped"] = " ".join(_in_order(questionnaire, skipped_keys))


def _in_order(questionnaire: Questionnaire, keys: list[str]) -> list[str]:
    """Skipped questions in the questionnaire's order (answers arrive in any order)."""
    order = {q.id: index for index, q in enumerate(questionnaire.questions)}
    unique = list(dict.fromkeys(keys))
    return sorted(unique, key=lambda key: (order.get(key.split(".", 1)[0], len(order)), key))


def _not_offered(row: dict[str, object], questionnaire: Questionnaire, version: int) -> None:
    """A choice the response's questionnaire version never offered is unknown, not 0."""
    for question in questionnaire.questions:
        if question.kind is Kind.MULTI:
            for choice in question.choices:
                if choice.since > version:
                    row[f"{question.id}.{choice.id}"] = ""


def checkin_rows(
    checkin: Questionnaire,
    shared: dict[str, object],
    answers: list[tuple],
    labels: bool = False,
) -> list[dict[str, object]]:
    """One check-in's rows: `shared` (its own columns) plus what it says of each treatment."""
    items, _ = item_questions(checkin)
    item_ids = {q.id for q in items}
    named: dict[str, dict[str, object]] = {}  # treatment -> its columns
    asked: set[str] = set()  # the item questions answered
    skipped_columns: list[str] = []
    for question_id, item, number, text, skipped, choice in answers:
        top = checkin.question(question_id.split(".", 1)[0])
        if top is None:
            continue
        if top.kind is Kind.GROUP:
            _group_value(named.setdefault(item, {}), top, question_id, skipped, choice, labels)
        elif top.id in item_ids:
            if not skipped:
                asked.add(top.id)
            chosen = top.choice(choice or "")
            if chosen is not None and not chosen.exclusive:
                named.setdefault(choice or "", {})[f"checkin_{top.id}"] = 1
        else:
            if skipped:
                skipped_columns.append(f"checkin_{top.id}")
            _answer_value(shared, f"checkin_{top.id}", top, number, text, skipped, choice, labels)
    order = list(dict.fromkeys(c.id for q in items for c in q.choices))
    columns = [f"checkin_{q.id}" for q in checkin.questions]
    shared["checkin_skipped"] = " ".join(
        sorted(dict.fromkeys(skipped_columns), key=lambda c: columns.index(c))
    )
    if not named:
        return [shared]
    treatments = {c.id: c for q in items for c in q.choices}
    rows = []
    # in the questionnaire's order; a treatment it no longer offers last
    for treatment in sorted(
        named, key=lambda t: (t not in order, order.index(t) if t in order else 0, t)
    ):
        row = {
            **shared,
            "checkin_treatment": _shown(list(treatments.values()), treatment, labels),
        }
        row.update({f"checkin_{q}": 0 for q in asked})
        row.update(named[treatment])
        rows.append(row)
    return rows


def _group_value(
    values: dict[str, object],
    group: Question,
    key: str,
    skipped: int,
    choice: str | None,
    labels: bool = False,
) -> None:
    group_field = group.field(key.split(".", 1)[1]) if "." in key else None
    if group_field is None:
        return
    column = f"checkin_{key}"
    if skipped:
        if not group_field.multi:
            values[column] = "(skipped)"
    elif group_field.multi:
        for option in group_field.choices:
            name = f"{column}.{option.id}"
            values[name] = 1 if values.get(name) == 1 or option.id == choice else 0
    else:
        values[column] = _shown(group_field.choices, choice, labels)


def _answer_value(
    row: dict[str, object],
    column: str,
    question: Question,
    number: int | None,
    text: str | None,
    skipped: int,
    choice: str | None,
    labels: bool = False,
) -> None:
    """One stored answer row into an export row: a multi-choice question as one 0/1
    column per option (its rows arrive one choice at a time), anything else in `column`.
    A skipped number leaves its cell empty, so a number column holds numbers only (the
    skipped column says it was skipped); a skipped choice or text reads '(skipped)'."""
    if skipped:
        if question.kind not in (Kind.MULTI, Kind.NUMBER, Kind.SCALE):
            row[column] = "(skipped)"
    elif question.kind is Kind.MULTI:
        for option in question.choices:
            name = f"{column}.{option.id}"
            row[name] = 1 if row.get(name) == 1 or option.id == choice else 0
    elif question.kind is Kind.SINGLE:
        row[column] = _shown(question.choices, choice, labels)
    else:
        row[column] = number if number is not None else (text or "")


def _shown(choices: Sequence[Choice], choice_id: str | None, labels: bool) -> str:
    """A stored choice as the export writes it: its id, or its label with `labels` (the id
    still, for a choice the questionnaire no longer offers)."""
    if not choice_id:
        return ""
    if labels:
        found = next((c for c in choices if c.id == choice_id), None)
        if found is not None:
            return found.label
    return choice_id


def _group_cell(
    group_field: Field | None,
    number: int | None,
    text: str | None,
    choice: str | None,
    labels: bool,
) -> object:
    """One per-item answer of a group question: its choice, else its number or text."""
    if choice:
        return _shown(group_field.choices if group_field else (), choice, labels)
    if number is not None:
        return number
    return text or ""
