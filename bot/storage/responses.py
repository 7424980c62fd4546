"""Responses and their answers, for the survey and for check-ins alike.

The two live in tables of the same shape (kept apart so survey results never mistake a
check-in for a survey): `ResponseTables` writes the SQL for one family once (`SURVEY`,
`checkin_tables()`), and `ResponseRepository` runs it inside a unit of work's `Tx`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.storage.clock import utc_now
from bot.storage.tx import Row, Tx

# (question id, item): a group question's fields are "<group>.<field>", item the chosen
# choice it repeats for ("" for plain questions).
AnswerKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Answer:
    """What a member answered to one question, as stored; the survey's rules, results and
    check-ins read the same value."""

    choices: tuple[str, ...] = ()
    number: int | None = None
    text: str | None = None
    skipped: bool = False


Answers = Mapping[AnswerKey, Answer]


@dataclass(frozen=True, slots=True)
class Response:
    id: int
    guild_id: int
    user_id: int
    questionnaire_version: int
    status: str
    position: str | None
    surface: str
    prompt_channel_id: int | None
    prompt_message_id: int | None
    started_at: str
    updated_at: str
    completed_at: str | None

    @property
    def completed(self) -> bool:
        return self.status == "completed"

    @classmethod
    def from_row(cls, row: Row) -> Response:
        return cls(*row)  # rows are selected in field order (_COLUMNS)


_COLUMNS = (
    "id, guild_id, user_id, questionnaire_version, status, position, surface, "
    "prompt_channel_id, prompt_message_id, started_at, updated_at, completed_at"
)


def answers_from(rows: Iterable[Sequence[Any]]) -> dict[AnswerKey, Answer]:
    found: dict[AnswerKey, Answer] = {}
    for qid, item, number, text, skipped, choice in rows:
        previous = found.get((qid, item))
        chosen = (*previous.choices, choice) if previous else ((choice,) if choice else ())
        found[(qid, item)] = Answer(chosen, number, text, bool(skipped))
    return found


class ResponseTables:
    """The SQL for one family of response tables, written once for both families."""

    def __init__(
        self,
        responses: str,
        answers: str,
        choices: str,
        *,
        clock: Callable[[], str] = utc_now,
        has_period: bool = False,
    ) -> None:
        self.table = responses
        self.clock = clock  # check-ins take the injected clock, so tests can move time
        self.has_period = has_period  # check-ins remember which reminder they answer
        self.save_answer_sql = (
            f"INSERT INTO {answers} (response_id, question_id, item, number, text, skipped,"
            " answered_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (response_id, question_id,"
            " item) DO UPDATE SET number = excluded.number, text = excluded.text,"
            " skipped = excluded.skipped, answered_at = excluded.answered_at"
        )
        self.clear_choices_sql = (
            f"DELETE FROM {choices} WHERE response_id = ? AND question_id = ? AND item = ?"
        )
        self.add_choice_sql = (
            f"INSERT INTO {choices} (response_id, question_id, item, choice_id) VALUES (?, ?, ?, ?)"
        )
        self.delete_answer_sql = (
            f"DELETE FROM {answers} WHERE response_id = ? AND question_id = ? AND item = ?"
        )
        self.update_sql = (
            f"UPDATE {responses} SET position = ?, updated_at = ?,"
            " status = CASE WHEN ? = 1 THEN 'completed' ELSE status END,"
            " completed_at = CASE WHEN ? = 1 THEN ? ELSE completed_at END WHERE id = ?"
        )
        self.answers_sql = (
            "SELECT a.question_id, a.item, a.number, a.text, a.skipped, c.choice_id"
            f" FROM {answers} a LEFT JOIN {choices} c ON c.response_id = a.response_id"
            " AND c.question_id = a.question_id AND c.item = a.item"
            " WHERE a.response_id = ? ORDER BY a.question_id, a.item, c.choice_id"
        )
        self.count_answers_sql = (
            f"SELECT count(*) FROM {answers} WHERE response_id IN"
            f" (SELECT id FROM {responses} WHERE guild_id = ? AND user_id = ?)"
        )

    def on(self, tx: Tx) -> ResponseRepository:
        return ResponseRepository(tx, self)


class ResponseRepository:
    """Responses of one family, inside one unit of work."""

    __slots__ = ("tables", "tx")

    def __init__(self, tx: Tx, tables: ResponseTables) -> None:
        self.tx = tx
        self.tables = tables

    def _one(self, where: str, params: tuple[object, ...]) -> Response | None:
        row = self.tx.row(f"SELECT {_COLUMNS} FROM {self.tables.table} WHERE {where}", params)
        return None if row is None else Response.from_row(row)

    def get(self, response_id: int) -> Response | None:
        if not 0 < response_id < 2**63:  # a forged id the database could not even bind
            return None
        return self._one("id = ?", (response_id,))

    def open_response(self, guild_id: int, user_id: int) -> Response | None:
        return self._one(
            "guild_id = ? AND user_id = ? AND status = 'in_progress'", (guild_id, user_id)
        )

    def latest(self, guild_id: int, user_id: int) -> Response | None:
        return self._one(
            "guild_id = ? AND user_id = ? ORDER BY id DESC LIMIT 1", (guild_id, user_id)
        )

    def active_in_dms(self, user_id: int) -> Response | None:
        """The DM response a typed reply belongs to: the member's most recently touched one."""
        return self._one(
            "user_id = ? AND status = 'in_progress' AND surface = 'dm' "
            "ORDER BY updated_at DESC, id DESC LIMIT 1",
            (user_id,),
        )

    def history(self, guild_id: int, user_id: int) -> list[Response]:
        rows = self.tx.rows(
            f"SELECT {_COLUMNS} FROM {self.tables.table} WHERE guild_id = ? AND user_id = ?"
            " ORDER BY id",
            (guild_id, user_id),
        )
        return [Response.from_row(row) for row in rows]

    def create(
        self,
        guild_id: int,
        user_id: int,
        version: int,
        surface: str,
        *,
        period: str | None = None,
    ) -> Response:
        stamp = self.tables.clock()
        columns = "guild_id, user_id, questionnaire_version, surface, started_at, updated_at"
        values: tuple[object, ...] = (guild_id, user_id, version, surface, stamp, stamp)
        if self.tables.has_period:
            columns, values = columns + ", period", (*values, period)
        marks = ", ".join("?" * len(values))
        row = self.tx.row(
            f"INSERT INTO {self.tables.table} ({columns}) VALUES ({marks}) RETURNING {_COLUMNS}",
            values,
        )
        assert row is not None
        return Response.from_row(row)

    def answers(self, response_id: int) -> dict[AnswerKey, Answer]:
        return answers_from(self.tx.rows(self.tables.answers_sql, (response_id,)))

    def save_answer(self, response_id: int, key: AnswerKey, answer: Answer) -> None:
        question_id, item = key
        self.tx.run(
            self.tables.save_answer_sql,
            (
                response_id,
                question_id,
                item,
                answer.number,
                answer.text,
                int(answer.skipped),
                self.tables.clock(),
            ),
        )
        self.tx.run(self.tables.clear_choices_sql, (response_id, question_id, item))
        self.tx.run_many(
            self.tables.add_choice_sql,
            [(response_id, question_id, item, choice) for choice in answer.choices],
        )

    def delete_answers(self, response_id: int, keys: list[AnswerKey]) -> None:
        self.tx.run_many(
            self.tables.delete_answer_sql, [(response_id, qid, item) for qid, item in keys]
        )

    def update(self, response_id: int, *, position: str | None, completed: bool = False) -> None:
        stamp = self.tables.clock()
        self.tx.run(
            self.tables.update_sql, (position, stamp, completed, completed, stamp, response_id)
        )

    def set_prompt(
        self, response_id: int, channel_id: int | None, message_id: int | None, surface: str
    ) -> None:
        self.tx.run(
            f"UPDATE {self.tables.table} SET prompt_channel_id = ?, prompt_message_id = ?,"
            " surface = ? WHERE id = ?",
            (channel_id, message_id, surface, response_id),
        )

    def delete_response(self, response_id: int) -> None:
        self.tx.run(f"DELETE FROM {self.tables.table} WHERE id = ?", (response_id,))

    def erase_member(self, guild_id: int, user_id: int) -> tuple[int, int]:
        """Delete every response of the member in the server; returns (responses, answers)."""
        answers = int(self.tx.value(self.tables.count_answers_sql, (guild_id, user_id)) or 0)
        deleted = self.tx.run(
            f"DELETE FROM {self.tables.table} WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        return deleted, answers


SURVEY = ResponseTables("responses", "answers", "answer_choices")


def checkin_tables(clock: Callable[[], str]) -> ResponseTables:
    """The check-ins' tables (migration 0005), stamped by the injected clock."""
    return ResponseTables(
        "checkin_responses",
        "checkin_answers",
        "checkin_answer_choices",
        clock=clock,
        has_period=True,
    )
