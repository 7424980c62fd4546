"""Responses and their answers, for the survey and for check-ins alike.

The two live in tables of the same shape (kept apart so survey results never mistake a
check-in for a survey), so one `ResponseStore` serves both: `SURVEY` and `CHECKINS`.
Its async methods take the connection of the caller's transaction
(`Database.transaction()` for writes, `Database.reading()` for reads). `AnswerUnit` offers
the same operations synchronously, sharing the SQL, for the answer hot path that runs as
one unit of work in the database thread (`Database.run`). The module-level functions are
the survey's store, for callers that only ever mean the survey."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from bot.survey.flow import Answer, AnswerKey


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


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
    def from_row(cls, row: sqlite3.Row) -> Response:
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


class ResponseStore:
    """The SQL for one family of response tables, written once for both families."""

    def __init__(
        self,
        responses: str,
        answers: str,
        choices: str,
        *,
        clock: Callable[[], str] = now,
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
            " status = CASE WHEN ? THEN 'completed' ELSE status END,"
            " completed_at = CASE WHEN ? THEN ? ELSE completed_at END WHERE id = ?"
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

    def answer_rows(
        self, response_id: int, key: AnswerKey, answer: Answer
    ) -> tuple[tuple[Any, ...], tuple[Any, ...], list[tuple[Any, ...]]]:
        question_id, item = key
        return (
            (
                response_id,
                question_id,
                item,
                answer.number,
                answer.text,
                int(answer.skipped),
                self.clock(),
            ),
            (response_id, question_id, item),
            [(response_id, question_id, item, choice) for choice in answer.choices],
        )

    def update_row(
        self, response_id: int, position: str | None, completed: bool
    ) -> tuple[Any, ...]:
        stamp = self.clock()
        return (position, stamp, completed, completed, stamp, response_id)

    async def _one(
        self, conn: aiosqlite.Connection, where: str, params: tuple[object, ...]
    ) -> Response | None:
        # execute_fetchall is one hop to the database thread; execute + fetch + close are three.
        found = await conn.execute_fetchall(
            f"SELECT {_COLUMNS} FROM {self.table} WHERE {where}", params
        )
        return Response.from_row(next(iter(found))) if found else None

    async def get(self, conn: aiosqlite.Connection, response_id: int) -> Response | None:
        if not 0 < response_id < 2**63:  # a forged id SQLite could not even bind
            return None
        return await self._one(conn, "id = ?", (response_id,))

    async def open_response(
        self, conn: aiosqlite.Connection, guild_id: int, user_id: int
    ) -> Response | None:
        return await self._one(
            conn, "guild_id = ? AND user_id = ? AND status = 'in_progress'", (guild_id, user_id)
        )

    async def latest(
        self, conn: aiosqlite.Connection, guild_id: int, user_id: int
    ) -> Response | None:
        return await self._one(
            conn, "guild_id = ? AND user_id = ? ORDER BY id DESC LIMIT 1", (guild_id, user_id)
        )

    async def active_in_dms(self, conn: aiosqlite.Connection, user_id: int) -> Response | None:
        """The DM response a typed reply belongs to: the member's most recently touched one."""
        return await self._one(
            conn,
            "user_id = ? AND status = 'in_progress' AND surface = 'dm' "
            "ORDER BY updated_at DESC, id DESC LIMIT 1",
            (user_id,),
        )

    async def history(
        self, conn: aiosqlite.Connection, guild_id: int, user_id: int
    ) -> list[Response]:
        rows = await conn.execute_fetchall(
            f"SELECT {_COLUMNS} FROM {self.table} WHERE guild_id = ? AND user_id = ? ORDER BY id",
            (guild_id, user_id),
        )
        return [Response.from_row(row) for row in rows]

    async def create(
        self,
        conn: aiosqlite.Connection,
        guild_id: int,
        user_id: int,
        version: int,
        surface: str,
        *,
        period: str | None = None,
    ) -> Response:
        stamp = self.clock()
        columns = "guild_id, user_id, questionnaire_version, surface, started_at, updated_at"
        values: tuple[object, ...] = (guild_id, user_id, version, surface, stamp, stamp)
        if self.has_period:
            columns, values = columns + ", period", (*values, period)
        marks = ", ".join("?" * len(values))
        cursor = await conn.execute(
            f"INSERT INTO {self.table} ({columns}) VALUES ({marks})", values
        )
        response = await self.get(conn, cursor.lastrowid or 0)
        assert response is not None
        return response

    async def answers(
        self, conn: aiosqlite.Connection, response_id: int
    ) -> dict[AnswerKey, Answer]:
        return answers_from(await conn.execute_fetchall(self.answers_sql, (response_id,)))

    async def save_answer(
        self, conn: aiosqlite.Connection, response_id: int, key: AnswerKey, answer: Answer
    ) -> None:
        answer_row, choice_key, choice_rows = self.answer_rows(response_id, key, answer)
        await conn.execute(self.save_answer_sql, answer_row)
        await conn.execute(self.clear_choices_sql, choice_key)
        await conn.executemany(self.add_choice_sql, choice_rows)

    async def delete_answers(
        self, conn: aiosqlite.Connection, response_id: int, keys: list[AnswerKey]
    ) -> None:
        await conn.executemany(
            self.delete_answer_sql, [(response_id, qid, item) for qid, item in keys]
        )

    async def update(
        self,
        conn: aiosqlite.Connection,
        response_id: int,
        *,
        position: str | None,
        completed: bool = False,
    ) -> None:
        await conn.execute(self.update_sql, self.update_row(response_id, position, completed))

    async def set_prompt(
        self,
        conn: aiosqlite.Connection,
        response_id: int,
        channel_id: int | None,
        message_id: int | None,
        surface: str,
    ) -> None:
        await conn.execute(
            f"UPDATE {self.table} SET prompt_channel_id = ?, prompt_message_id = ?, surface = ?"
            " WHERE id = ?",
            (channel_id, message_id, surface, response_id),
        )

    async def delete_response(self, conn: aiosqlite.Connection, response_id: int) -> None:
        await conn.execute(f"DELETE FROM {self.table} WHERE id = ?", (response_id,))

    async def erase_member(
        self, conn: aiosqlite.Connection, guild_id: int, user_id: int
    ) -> tuple[int, int]:
        """Delete every response of the member in the server; returns (responses, answers)."""
        found = await conn.execute_fetchall(self.count_answers_sql, (guild_id, user_id))
        answer_count = next(iter(found))[0] if found else 0
        cursor = await conn.execute(
            f"DELETE FROM {self.table} WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
        return cursor.rowcount, answer_count

    def unit(self, conn: sqlite3.Connection) -> AnswerUnit:
        return AnswerUnit(conn, self)


class AnswerUnit:
    """The same operations, synchronous, for the answer hot path run by `Database.run`."""

    def __init__(self, conn: sqlite3.Connection, store: ResponseStore | None = None) -> None:
        self.conn = conn
        self.store = store or SURVEY

    def get(self, response_id: int) -> Response | None:
        if not 0 < response_id < 2**63:
            return None
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM {self.store.table} WHERE id = ?", (response_id,)
        ).fetchone()
        return None if row is None else Response.from_row(row)

    def answers(self, response_id: int) -> dict[AnswerKey, Answer]:
        return answers_from(self.conn.execute(self.store.answers_sql, (response_id,)))

    def save_answer(self, response_id: int, key: AnswerKey, answer: Answer) -> None:
        answer_row, choice_key, choice_rows = self.store.answer_rows(response_id, key, answer)
        self.conn.execute(self.store.save_answer_sql, answer_row)
        self.conn.execute(self.store.clear_choices_sql, choice_key)
        self.conn.executemany(self.store.add_choice_sql, choice_rows)

    def delete_answers(self, response_id: int, keys: list[AnswerKey]) -> None:
        self.conn.executemany(
            self.store.delete_answer_sql, [(response_id, q, item) for q, item in keys]
        )

    def update(self, response_id: int, position: str | None) -> None:
        self.conn.execute(
            self.store.update_sql, self.store.update_row(response_id, position, False)
        )

    def delete_response(self, response_id: int) -> None:
        self.conn.execute(f"DELETE FROM {self.store.table} WHERE id = ?", (response_id,))


SURVEY = ResponseStore("responses", "answers", "answer_choices")

# The survey's store as plain functions, for callers that only ever mean the survey.
get = SURVEY.get
open_response = SURVEY.open_response
latest = SURVEY.latest
active_in_dms = SURVEY.active_in_dms
history = SURVEY.history
create = SURVEY.create
answers = SURVEY.answers
save_answer = SURVEY.save_answer
delete_answers = SURVEY.delete_answers
update = SURVEY.update
set_prompt = SURVEY.set_prompt
delete_response = SURVEY.delete_response
erase_member = SURVEY.erase_member


def checkin_store(clock: Callable[[], str]) -> ResponseStore:
    """The check-ins' tables (migration 0005), stamped by the injected clock."""
    return ResponseStore(
        "checkin_responses",
        "checkin_answers",
        "checkin_answer_choices",
        clock=clock,
        has_period=True,
    )
