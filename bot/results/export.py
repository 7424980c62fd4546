"""Exports for moderators: the survey's rows, every check-in in long format, and a codebook.

Members appear under pseudonymous ids (an HMAC of their Discord id with the server's secret).
A pseudonym is not anonymity: whoever knows a member's answers can find their row, and a
time to the second would let anyone holding the file match a row to "X said they just
finished". So every time is cut to the day (a UTC date, `YYYY-MM-DD`), and rows are in
the order of their pseudonymous ids (a member's check-ins by `checkin_number`), never in
the order members started or finished.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.storage import Database
from bot.storage.guilds import GuildSettingsRepository
from bot.storage.imports import ImportedReplyRepository
from bot.storage.results import ResultsRepository, guild_secret
from bot.storage.tx import Tx
from bot.survey.questionnaire import Choice, Field, Kind, Question, Questionnaire

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


@dataclass(frozen=True, slots=True)
class ExportFile:
    filename: str
    content: bytes


class Exporter:
    """A server's data files and their codebook, as `/survey-admin export` and `anagen
    export` deliver them."""

    def __init__(
        self,
        db: Database,
        questionnaire: Questionnaire,
        checkin: Questionnaire,
        *,
        labels: bool = False,
    ) -> None:
        """`labels`: choice columns hold each choice's label ("Norwood 3 vertex") instead
        of its id ("nw3v"), for a spreadsheet read by people rather than scripts."""
        self.db = db
        self.questionnaire = questionnaire
        self.checkin = checkin
        self.labels = labels

    def labelled(self, labels: bool) -> Exporter:
        """The same exporter, writing choice labels (True) or ids (False)."""
        return Exporter(self.db, self.questionnaire, self.checkin, labels=labels)

    def columns(self) -> list[dict[str, str]]:
        """The codebook: one entry per export column."""
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
        for question in self.questionnaire.questions:
            prompt = question.prompt
            if question.kind is Kind.SINGLE:
                cols.append(
                    _choice_entry(
                        question.id,
                        prompt,
                        _legend(question.choices, self.labels),
                        "Empty: not asked; '(skipped)': skipped.",
                        self.labels,
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
                        "description": f"Whole number {question.min}-{question.max}. "
                        f"{EMPTY_NUMBER}",
                    }
                )
            elif question.kind is Kind.TEXT:
                cols.append(
                    {
                        "column": question.id,
                        "type": "text",
                        "question": prompt,
                        "description": "Free text as typed (admin exports only); "
                        "'(skipped)': skipped.",
                    }
                )
            elif question.kind is Kind.GROUP:
                source = self.questionnaire[question.repeat_for or ""]
                for item in source.choices:
                    if item.exclusive:
                        continue
                    for group_field in question.fields:
                        asked = (
                            f"{question.prompt.replace('{item}', item.label)} "
                            f"({group_field.prompt})"
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
                                _legend(group_field.choices, self.labels),
                                "Empty: not tried, not asked or skipped (see the skipped column).",
                                self.labels,
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

    async def export_rows(self, guild_id: int) -> list[dict[str, object]]:
        settings = await self.db.read(lambda tx: GuildSettingsRepository(tx).of(guild_id))

        def unit(
            tx: Tx,
        ) -> tuple[bytes, list[tuple[int, int, int, str, str | None, int]], Any, dict[int, str]]:
            counting = ResultsRepository(tx, settings.include_imported)
            base = counting.completed_rows(guild_id)
            return (
                # a server with nothing to export gets no secret: no row is written for it
                guild_secret(tx, guild_id) if base else b"",
                base,
                counting.answers_for([row[0] for row in base]),
                ImportedReplyRepository(tx).originals(),
            )

        secret, base, answers, originals = await self.db.run(unit)
        names = [c["column"] for c in self.columns()]
        rows = []
        for rid, user_id, version, started, completed, imported in base:
            row: dict[str, object] = dict.fromkeys(names, "")
            row.update(
                respondent=pseudonym(secret, user_id),
                questionnaire_version=version,
                started_at=utc_day(started),
                completed_at=utc_day(completed),
                imported=imported,
                imported_original=originals.get(rid, ""),
            )
            self._fill(row, answers.get(rid, []))
            self._not_offered(row, version)
            rows.append(row)
        # by pseudonym, not by response id: the ids follow the order members started in
        rows.sort(key=lambda r: str(r["respondent"]))
        return rows

    def _not_offered(self, row: dict[str, object], version: int) -> None:
        """A choice the response's questionnaire version never offered is unknown, not 0."""
        for question in self.questionnaire.questions:
            if question.kind is Kind.MULTI:
                for choice in question.choices:
                    if choice.since > version:
                        row[f"{question.id}.{choice.id}"] = ""

    def _fill(self, row: dict[str, object], answers: list[tuple]) -> None:
        skipped_keys: list[str] = []
        for question_id, item, number, text, skipped, choice in answers:
            question = self.questionnaire.question(question_id.split(".", 1)[0])
            if question is None:
                continue
            if question.kind is Kind.GROUP:
                column = f"{question_id}.{item}"
                if skipped:
                    skipped_keys.append(column)
                    continue
                group_field = question.field(question_id.split(".", 1)[1])
                row[column] = _group_cell(group_field, number, text, choice, self.labels)
                continue
            if skipped:
                skipped_keys.append(question_id)
            _answer_value(row, question_id, question, number, text, skipped, choice, self.labels)
        row["skipped"] = " ".join(self._in_order(skipped_keys))

    def _in_order(self, keys: list[str]) -> list[str]:
        """Skipped questions in the questionnaire's order (answers arrive in any order)."""
        order = {q.id: index for index, q in enumerate(self.questionnaire.questions)}
        unique = list(dict.fromkeys(keys))
        return sorted(unique, key=lambda key: (order.get(key.split(".", 1)[0], len(order)), key))

    # -- check-ins in long format ------------------------------------------------------------

    def checkin_columns(self) -> list[dict[str, str]]:
        """The check-ins file's columns, laid out from the check-in questionnaire."""
        return checkin_columns(self.checkin, self.labels)

    def codebook(self) -> list[dict[str, str]]:
        """Every column of both data files, each entry naming its file."""
        return [{**c, "file": "survey"} for c in self.columns()] + [
            {**c, "file": "checkins"} for c in self.checkin_columns()
        ]

    async def checkin_export_rows(self, guild_id: int) -> list[dict[str, object]]:
        """Every completed check-in in the server, one row per treatment it names (one row
        with no treatment when it names none), under the survey export's pseudonymous ids."""

        def unit(tx: Tx) -> tuple[bytes, list[tuple[int, int, int, str | None, str]], Any]:
            counting = ResultsRepository(tx, include_imported=False)
            base = counting.completed_checkins(guild_id)
            answers = counting.answers_for([row[0] for row in base], checkins=True)
            return guild_secret(tx, guild_id) if base else b"", base, answers

        secret, base, answers = await self.db.run(unit)
        names = [c["column"] for c in self.checkin_columns()]
        made: dict[int, int] = {}  # check-ins seen so far per member
        # (respondent, checkin_number) -> that check-in's rows, in the treatments' order
        found: dict[tuple[str, int], list[dict[str, object]]] = {}
        for checkin_id, user_id, version, period, completed in base:  # in the order started
            made[user_id] = made.get(user_id, 0) + 1
            respondent = pseudonym(secret, user_id)
            shared: dict[str, object] = dict.fromkeys(names, "")
            shared.update(
                respondent=respondent,
                checkin_number=made[user_id],
                checkin_version=version,
                checkin_completed_at=utc_day(completed),
                checkin_period=period or "",
            )
            found[(respondent, made[user_id])] = checkin_rows(
                self.checkin, shared, answers.get(checkin_id, []), self.labels
            )
        # by pseudonym, then check-in number: never in the order members checked in
        return [row for key in sorted(found) for row in found[key]]

    # -- files --------------------------------------------------------------------------------

    async def export(self, guild_id: int, fmt: str) -> list[ExportFile]:
        """The survey's data file, the codebook of every column, and the check-ins in long
        format, as the admin command and the CLI deliver them (in that order)."""
        if fmt not in ("csv", "json"):
            raise ValueError(f"unknown format {fmt!r}: use csv or json")
        rows = await self.export_rows(guild_id)
        checkins = await self.checkin_export_rows(guild_id)
        stem = f"anagen-survey-{guild_id}-v{self.questionnaire.version}"
        checkin_stem = f"anagen-checkins-{guild_id}-v{self.checkin.version}"
        book = self.codebook()
        if fmt == "json":
            # JSON has a value for "nothing": an empty number is null, not "" (one type per
            # column, as in the CSV, where the cell is empty)
            numbers = {c["column"] for c in book if c["type"] == "number"}
            rows, checkins = _nulls(rows, numbers), _nulls(checkins, numbers)
            data = {
                "questionnaire_version": self.questionnaire.version,
                "respondents": len(rows),
                "rows": rows,
            }
            codebook = {
                "questionnaire": self.questionnaire.title,
                "version": self.questionnaire.version,
                "checkins": {"questionnaire": self.checkin.title, "version": self.checkin.version},
                "columns": book,
            }
            checkin_data = {
                "questionnaire_version": self.checkin.version,
                "checkins": len({(r["respondent"], r["checkin_number"]) for r in checkins}),
                "rows": checkins,
            }
            return [
                ExportFile(f"{stem}.json", _json(data)),
                ExportFile(f"{stem}.codebook.json", _json(codebook)),
                ExportFile(f"{checkin_stem}.json", _json(checkin_data)),
            ]
        return [
            ExportFile(f"{stem}.csv", _csv([c["column"] for c in self.columns()], rows)),
            ExportFile(f"{stem}.codebook.csv", _csv([*book[0]], book, safe=False)),
            ExportFile(
                f"{checkin_stem}.csv", _csv([c["column"] for c in self.checkin_columns()], checkins)
            ),
        ]


def _nulls(rows: list[dict[str, object]], numbers: set[str]) -> list[dict[str, object]]:
    return [{k: None if k in numbers and v == "" else v for k, v in r.items()} for r in rows]


def _json(data: object) -> bytes:
    return json.dumps(data, indent=2, ensure_ascii=False).encode()


def _csv(names: list[str], rows: Sequence[Mapping[str, object]], *, safe: bool = True) -> bytes:
    """Answers to choices a later questionnaire dropped have no column: left out here,
    still in the JSON export. Members' text is made `spreadsheet_safe`."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=names, extrasaction="ignore")
    writer.writeheader()
    if safe:
        writer.writerows({key: spreadsheet_safe(value) for key, value in r.items()} for r in rows)
    else:
        writer.writerows(rows)
    return buffer.getvalue().encode()


def _item_questions(checkin: Questionnaire) -> tuple[list[Question], list[Question]]:
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


def checkin_columns(checkin: Questionnaire, labels: bool = False) -> list[dict[str, str]]:
    """Long format: one row per check-in and treatment. The treatments are the options of
    the questions the check-in asks about item by item; every column but `respondent`
    starts with "checkin_", so a join with the survey file keeps every name apart."""
    items, groups = _item_questions(checkin)
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


def checkin_rows(
    checkin: Questionnaire,
    shared: dict[str, object],
    answers: list[tuple],
    labels: bool = False,
) -> list[dict[str, object]]:
    """One check-in's rows: `shared` (its own columns) plus what it says of each treatment."""
    items, _ = _item_questions(checkin)
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


def utc_day(instant: str | None) -> str:
    """A stored instant (`bot.storage.clock.stamp` text) as its UTC date, `YYYY-MM-DD`;
    empty for none."""
    if not instant:
        return ""
    parsed = datetime.fromisoformat(instant)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC)
    return parsed.date().isoformat()


def spreadsheet_safe(value: object) -> object:
    """Members' text cannot run as a spreadsheet formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def pseudonym(secret: bytes, user_id: int) -> str:
    return hmac.new(secret, str(user_id).encode(), hashlib.sha256).hexdigest()[:20]
