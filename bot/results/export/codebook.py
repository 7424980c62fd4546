"""The codebook: what every column of the survey file and of the check-ins file holds,
laid out from the questionnaires. The columns are named here once; the rows (`rows.py`)
fill them and the codebook describes them, so the two cannot drift apart."""

from __future__ import annotations

from collections.abc import Sequence

from bot.survey.questionnaire import Choice, Kind, Question, Questionnaire

# why every time in the exports is a date: said in the codebook beside each
_DAY_ONLY = (
    "to the day, so a row cannot be matched to when someone said they finished (the time "
    "of day is left out on purpose)."
)

# what the survey file's `skipped` column holds, and why number columns can be empty
SKIPPED_COLUMN = (
    "What the member chose to skip, separated by spaces, in the questionnaire's order: a "
    "question's id (a multi-choice question's columns start with it) or, for a question "
    "asked about each treatment, its column. Empty when nothing was skipped. A skipped "
    "number leaves its own column empty, so number columns hold numbers only."
)
EMPTY_NUMBER = (
    "Empty (null in JSON): not asked, or skipped (the skipped column says which); the "
    "column holds numbers only."
)


def survey_columns(questionnaire: Questionnaire, labels: bool = False) -> list[dict[str, str]]:
    """The survey file's columns, laid out from the questionnaire: one codebook entry each."""
    cols = [
        {
            "column": "respondent",
            "type": "id",
            "question": "",
            "description": "Pseudonymous id: HMAC-SHA256 of the member's Discord id with this "
            "server's secret. Stable within the server, meaningless outside; the check-ins "
            "file uses the same id. A pseudonym is not anonymity: someone who knows a "
            "member's answers can find their row. Rows are in the order of this id.",
        },
        {
            "column": "questionnaire_version",
            "type": "number",
            "question": "",
            "description": "Version of the questionnaire the answers were given to.",
        },
        {
            "column": "started_at",
            "type": "date",
            "question": "",
            "description": "The day the response was started, as a UTC date (YYYY-MM-DD): "
            f"{_DAY_ONLY}",
        },
        {
            "column": "completed_at",
            "type": "date",
            "question": "",
            "description": "The day the member pressed Done, as a UTC date (YYYY-MM-DD): "
            f"{_DAY_ONLY}",
        },
        {
            "column": "imported",
            "type": "0/1",
            "question": "",
            "description": "1 when imported from a thread reply by `anagen import-replies`.",
        },
    ]
    cols.append(
        {
            "column": "skipped",
            "type": "text",
            "question": "",
            "description": SKIPPED_COLUMN,
        }
    )
    for question in questionnaire.questions:
        prompt = question.prompt
        if question.kind is Kind.SINGLE:
            cols.append(
                _choice_entry(
                    question.id,
                    prompt,
                    _legend(question.choices, labels),
                    "Empty: not asked; '(skipped)': skipped.",
                    labels,
                )
            )
        elif question.kind is Kind.MULTI:
            for choice in question.choices:
                cols.append(
                    {
                        "column": f"{question.id}.{choice.id}",
                        "type": "0/1",
                        "question": prompt,
                        "description": f"1 if “{choice.label}” was chosen, 0 if not; "
                        "empty when the question was not answered"
                        + (
                            f" or the response answered a questionnaire version before "
                            f"{choice.since}, which did not offer it."
                            if choice.since > 1
                            else "."
                        ),
                    }
                )
        elif question.kind in (Kind.NUMBER, Kind.SCALE):
            cols.append(
                {
                    "column": question.id,
                    "type": "number",
                    "question": prompt,
                    "description": f"Whole number {question.min}-{question.max}. {EMPTY_NUMBER}",
                }
            )
        elif question.kind is Kind.TEXT:
            cols.append(
                {
                    "column": question.id,
                    "type": "text",
                    "question": prompt,
                    "description": "Free text as typed (admin exports only); '(skipped)': skipped.",
                }
            )
        elif question.kind is Kind.GROUP:
            source = questionnaire[question.repeat_for or ""]
            for item in source.choices:
                if item.exclusive:
                    continue
                for group_field in question.fields:
                    asked = (
                        f"{question.prompt.replace('{item}', item.label)} ({group_field.prompt})"
                    )
                    column = f"{question.id}.{group_field.id}.{item.id}"
                    if not group_field.choices:
                        cols.append(
                            {
                                "column": column,
                                "type": "text",
                                "question": asked,
                                "description": "As given. Empty: not tried, not asked "
                                "or skipped (see the skipped column).",
                            }
                        )
                        continue
                    cols.append(
                        _choice_entry(
                            column,
                            asked,
                            _legend(group_field.choices, labels),
                            "Empty: not tried, not asked or skipped (see the skipped column).",
                            labels,
                        )
                    )
    cols.append(
        {
            "column": "imported_original",
            "type": "text",
            "question": "",
            "description": "For imported replies, the original text as posted.",
        }
    )
    return cols


def checkin_columns(checkin: Questionnaire, labels: bool = False) -> list[dict[str, str]]:
    """Long format: one row per check-in and treatment. The treatments are the options of
    the questions the check-in asks about item by item; every column but `respondent`
    starts with "checkin_", so a join with the survey file keeps every name apart."""
    items, groups = item_questions(checkin)
    treatments = list({c.id: c for q in items for c in q.choices if not c.exclusive}.values())
    cols = [
        {
            "column": "respondent",
            "type": "id",
            "question": "",
            "description": "The survey file's pseudonymous id: a member's check-ins join their "
            "survey response on it. A pseudonym is not anonymity: someone who knows a member's "
            "answers can find their rows. Rows are in the order of this id, then "
            "checkin_number.",
        },
        {
            "column": "checkin_number",
            "type": "number",
            "question": "",
            "description": "1 for the member's first completed check-in in this server, 2 for "
            "the next, and so on: with respondent, it names the check-in a row belongs to.",
        },
        {
            "column": "checkin_version",
            "type": "number",
            "question": "",
            "description": "Version of the check-in questionnaire answered.",
        },
        {
            "column": "checkin_completed_at",
            "type": "date",
            "question": "",
            "description": "The day the member pressed Done, as a UTC date (YYYY-MM-DD): "
            f"{_DAY_ONLY}",
        },
        {
            "column": "checkin_period",
            "type": "date",
            "question": "",
            "description": "The scheduled check-in this one answered, as the member's local "
            "date (YYYY-MM-DD); empty when they started it themselves.",
        },
        {
            "column": "checkin_skipped",
            "type": "text",
            "question": "",
            "description": "The columns of the check-in's own questions the member skipped, "
            "separated by spaces; empty when none. A skipped number leaves its column empty, "
            "so number columns hold numbers only. Repeated on every row.",
        },
        _choice_entry(
            "checkin_treatment",
            "",
            _legend(treatments, labels),
            "The treatment this row is about. Empty: the check-in named no treatment (its "
            "only row).",
            labels,
        ),
    ]
    for question in items:
        cols.append(
            {
                "column": f"checkin_{question.id}",
                "type": "0/1",
                "question": question.prompt,
                "description": "1 if the row's treatment was chosen, 0 if not; empty on a row "
                "without a treatment.",
            }
        )
    for group in groups:
        for group_field in group.fields:
            prompt = f"{group.prompt.replace('{item}', 'the treatment')} ({group_field.prompt})"
            base = f"checkin_{group.id}.{group_field.id}"
            if not group_field.multi:
                cols.append(
                    _choice_entry(
                        base,
                        prompt,
                        _legend(group_field.choices, labels),
                        "Empty: not asked about this treatment; '(skipped)': skipped.",
                        labels,
                    )
                )
                continue
            for choice in group_field.choices:
                cols.append(
                    {
                        "column": f"{base}.{choice.id}",
                        "type": "0/1",
                        "question": prompt,
                        "description": f"1 if “{choice.label}” was chosen for the row's "
                        "treatment, 0 if not; empty when not asked about it.",
                    }
                )
    grouped = {q.id for q in (*items, *groups)}
    for question in checkin.questions:
        if question.id not in grouped:
            cols += _checkin_question_columns(question, labels)
    return cols


def _checkin_question_columns(question: Question, labels: bool) -> list[dict[str, str]]:
    """A question asked once per check-in: its answer is repeated on each of its rows."""
    column, prompt, same = f"checkin_{question.id}", question.prompt, "Repeated on every row."
    if question.kind is Kind.SINGLE:
        return [
            _choice_entry(
                column,
                prompt,
                _legend(question.choices, labels),
                f"'(skipped)': skipped. {same}",
                labels,
            )
        ]
    if question.kind is Kind.MULTI:
        return [
            {
                "column": f"{column}.{choice.id}",
                "type": "0/1",
                "question": prompt,
                "description": f"1 if “{choice.label}” was chosen, 0 if not. {same}",
            }
            for choice in question.choices
        ]
    if question.kind in (Kind.NUMBER, Kind.SCALE):
        return [
            {
                "column": column,
                "type": "number",
                "question": prompt,
                "description": f"Whole number {question.min}-{question.max}. Empty (null in "
                f"JSON): not asked, or skipped (see checkin_skipped). {same}",
            }
        ]
    if question.kind is Kind.TEXT:
        return [
            {
                "column": column,
                "type": "text",
                "question": prompt,
                "description": f"Free text as typed (admin exports only); '(skipped)': "
                f"skipped. {same}",
            }
        ]
    return []


def item_questions(checkin: Questionnaire) -> tuple[list[Question], list[Question]]:
    """The multi questions naming treatments (those a group question asks about item by
    item) and those group questions."""
    groups = [q for q in checkin.questions if q.kind is Kind.GROUP and q.repeat_for]
    named = {g.repeat_for for g in groups}
    return [q for q in checkin.questions if q.id in named], groups


def _legend(choices: Sequence[Choice], labels: bool) -> str:
    if labels:
        return "; ".join(c.label for c in choices)
    return "; ".join(f"{c.id} = {c.label}" for c in choices)


def _choice_entry(
    column: str, question: str, legend: str, after: str, labels: bool = False
) -> dict[str, str]:
    what = "One choice, by its label" if labels else "One choice id"
    return {
        "column": column,
        "type": "choice",
        "question": question,
        "description": f"{what}: {legend}. {after}",
    }
