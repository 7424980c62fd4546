"""Survey responses and their answers.

The async functions take the connection of the caller's transaction
(`Database.transaction()` for writes, `Database.reading()` for reads). `AnswerUnit` offers
the same operations synchronously, sharing the SQL, for the answer hot path that runs as
one unit of work in the database thread (`Database.run`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
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


_SAVE_ANSWER = (
    "INSERT INTO answers (response_id, question_id, item, number, text, skipped, answered_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (response_id, question_id, item) DO UPDATE SET"
    " number = excluded.number, text = excluded.text, skipped = excluded.skipped,"
    " answered_at = excluded.answered_at"
)
_CLEAR_CHOICES = "DELETE FROM answer_choices WHERE response_id = ? AND question_id = ? AND item = ?"
_ADD_CHOICE = (
    "INSERT INTO answer_choices (response_id, question_id, item, choice_id) VALUES (?, ?, ?, ?)"
)
_DELETE_ANSWER = "DELETE FROM answers WHERE response_id = ? AND question_id = ? AND item = ?"
_UPDATE = (
    "UPDATE responses SET position = ?, updated_at = ?,"
    " status = CASE WHEN ? THEN 'completed' ELSE status END,"
    " completed_at = CASE WHEN ? THEN ? ELSE completed_at END WHERE id = ?"
)
_ANSWERS = (
    "SELECT a.question_id, a.item, a.number, a.text, a.skipped, c.choice_id"
    " FROM answers a LEFT JOIN answer_choices c ON c.response_id = a.response_id"
    " AND c.question_id = a.question_id AND c.item = a.item"
    " WHERE a.response_id = ? ORDER BY a.question_id, a.item, c.choice_id"
)


def answers_from(rows: Iterable[Sequence[Any]]) -> dict[AnswerKey, Answer]:
    found: dict[AnswerKey, Answer] = {}
    for qid, item, number, text, skipped, choice in rows:
        previous = found.get((qid, item))
        chosen = (*previous.choices, choice) if previous else ((choice,) if choice else ())
        found[(qid, item)] = Answer(chosen, number, text, bool(skipped))
    return found


def _answer_rows(
    response_id: int, key: AnswerKey, answer: Answer
) -> tuple[tuple[Any, ...], tuple[Any, ...], list[tuple[Any, ...]]]:
    question_id, item = key
    return (
        (response_id, question_id, item, answer.number, answer.text, int(answer.skipped), now()),
        (response_id, question_id, item),
        [(response_id, question_id, item, choice) for choice in answer.choices],
    )


def _update_row(response_id: int, position: str | None, completed: bool) -> tuple[Any, ...]:
    stamp = now()
    return (position, stamp, completed, completed, stamp, response_id)


async def _one(
    conn: aiosqlite.Connection, where: str, params: tuple[object, ...]
) -> Response | None:
    # execute_fetchall is one hop to the database thread; execute + fetch + close are three.
    found = await conn.execute_fetchall(f"SELECT {_COLUMNS} FROM responses WHERE {where}", params)
    return Response.from_row(next(iter(found))) if found else None


async def get(conn: aiosqlite.Connection, response_id: int) -> Response | None:
    if not 0 < response_id < 2**63:  # a forged id SQLite could not even bind
        return None
    return await _one(conn, "id = ?", (response_id,))


async def open_response(conn: aiosqlite.Connection, guild_id: int, user_id: int) -> Response | None:
    return await _one(
        conn, "guild_id = ? AND user_id = ? AND status = 'in_progress'", (guild_id, user_id)
    )


async def latest(conn: aiosqlite.Connection, guild_id: int, user_id: int) -> Response | None:
    return await _one(
        conn, "guild_id = ? AND user_id = ? ORDER BY id DESC LIMIT 1", (guild_id, user_id)
    )


async def active_in_dms(conn: aiosqlite.Connection, user_id: int) -> Response | None:
    """The DM survey a typed reply belongs to: the member's most recently touched one."""
    return await _one(
        conn,
        "user_id = ? AND status = 'in_progress' AND surface = 'dm' "
        "ORDER BY updated_at DESC, id DESC LIMIT 1",
        (user_id,),
    )


async def history(conn: aiosqlite.Connection, guild_id: int, user_id: int) -> list[Response]:
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM responses WHERE guild_id = ? AND user_id = ? ORDER BY id",
        (guild_id, user_id),
    ) as cursor:
        return [Response.from_row(row) for row in await cursor.fetchall()]


async def create(
    conn: aiosqlite.Connection, guild_id: int, user_id: int, version: int, surface: str
) -> Response:
    stamp = now()
    cursor = await conn.execute(
        "INSERT INTO responses (guild_id, user_id, questionnaire_version, surface, started_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        (guild_id, user_id, version, surface, stamp, stamp),
    )
    response = await get(conn, cursor.lastrowid or 0)
    assert response is not None
    return response


async def answers(conn: aiosqlite.Connection, response_id: int) -> dict[AnswerKey, Answer]:
    return answers_from(await conn.execute_fetchall(_ANSWERS, (response_id,)))


async def save_answer(
    conn: aiosqlite.Connection, response_id: int, key: AnswerKey, answer: Answer
) -> None:
    answer_row, choice_key, choice_rows = _answer_rows(response_id, key, answer)
    await conn.execute(_SAVE_ANSWER, answer_row)
    await conn.execute(_CLEAR_CHOICES, choice_key)
    await conn.executemany(_ADD_CHOICE, choice_rows)


async def delete_answers(
    conn: aiosqlite.Connection, response_id: int, keys: list[AnswerKey]
) -> None:
    await conn.executemany(_DELETE_ANSWER, [(response_id, qid, item) for qid, item in keys])


async def update(
    conn: aiosqlite.Connection, response_id: int, *, position: str | None, completed: bool = False
) -> None:
    await conn.execute(_UPDATE, _update_row(response_id, position, completed))


async def set_prompt(
    conn: aiosqlite.Connection,
    response_id: int,
    channel_id: int | None,
    message_id: int | None,
    surface: str,
) -> None:
    await conn.execute(
        "UPDATE responses SET prompt_channel_id = ?, prompt_message_id = ?, surface = ?"
        " WHERE id = ?",
        (channel_id, message_id, surface, response_id),
    )


async def delete_response(conn: aiosqlite.Connection, response_id: int) -> None:
    await conn.execute("DELETE FROM responses WHERE id = ?", (response_id,))


async def erase_member(conn: aiosqlite.Connection, guild_id: int, user_id: int) -> tuple[int, int]:
    """Delete every response of the member in the server; returns (responses, answers)."""
    async with conn.execute(
        "SELECT count(*) FROM answers WHERE response_id IN"
        " (SELECT id FROM responses WHERE guild_id = ? AND user_id = ?)",
        (guild_id, user_id),
    ) as cursor:
        row = await cursor.fetchone()
    answer_count = row[0] if row else 0
    cursor = await conn.execute(
        "DELETE FROM responses WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
    )
    return cursor.rowcount, answer_count


class AnswerUnit:
    """The same operations, synchronous, for the answer hot path run by `Database.run`."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def get(self, response_id: int) -> Response | None:
        if not 0 < response_id < 2**63:
            return None
        row = self.conn.execute(
            f"SELECT {_COLUMNS} FROM responses WHERE id = ?", (response_id,)
        ).fetchone()
        return None if row is None else Response.from_row(row)

    def answers(self, response_id: int) -> dict[AnswerKey, Answer]:
        return answers_from(self.conn.execute(_ANSWERS, (response_id,)))

    def save_answer(self, response_id: int, key: AnswerKey, answer: Answer) -> None:
        answer_row, choice_key, choice_rows = _answer_rows(response_id, key, answer)
        self.conn.execute(_SAVE_ANSWER, answer_row)
        self.conn.execute(_CLEAR_CHOICES, choice_key)
        self.conn.executemany(_ADD_CHOICE, choice_rows)

    def delete_answers(self, response_id: int, keys: list[AnswerKey]) -> None:
        self.conn.executemany(_DELETE_ANSWER, [(response_id, q, item) for q, item in keys])

    def update(self, response_id: int, position: str | None) -> None:
        self.conn.execute(_UPDATE, _update_row(response_id, position, False))

    def delete_response(self, response_id: int) -> None:
        self.conn.execute("DELETE FROM responses WHERE id = ?", (response_id,))
