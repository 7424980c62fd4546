"""Counting answers in SQL, one server at a time, each member once (latest completed)."""

from __future__ import annotations

import secrets

from bot.storage.tx import Tx

LATEST_ALL = """
    SELECT max(id) AS id FROM responses
    WHERE guild_id = :guild AND status = 'completed'
    GROUP BY user_id
"""
# The same without imported replies; a literal condition lets SQLite use responses_latest.
LATEST = LATEST_ALL.replace("'completed'", "'completed' AND imported = 0")


def latest_completed(include_imported: bool) -> str:
    """SQL selecting the id of each member's latest completed response (:guild)."""
    return LATEST_ALL if include_imported else LATEST


class ResultsRepository:
    """Counts for one server, over each member's latest completed response (imported
    replies only when the server includes them)."""

    def __init__(self, tx: Tx, include_imported: bool) -> None:
        self.tx = tx
        self.latest = latest_completed(include_imported)

    def respondents(self, guild_id: int) -> int:
        return int(
            self.tx.value(f"SELECT count(*) FROM ({self.latest}) AS latest", {"guild": guild_id})
            or 0
        )

    def choice_counts(
        self, guild_id: int, question_ids: list[str]
    ) -> tuple[dict[str, dict[str, int]], dict[str, int]]:
        """Members choosing each choice of these questions, and how many answered each.

        Two index scans for all the questions together, rather than two per question."""
        params: dict[str, object] = {"guild": guild_id}
        marks = []
        for index, question_id in enumerate(question_ids):
            params[f"q{index}"] = question_id
            marks.append(f":q{index}")
        wanted = ", ".join(marks)
        counts: dict[str, dict[str, int]] = {q: {} for q in question_ids}
        # "+response_id" keeps SQLite on the (question, choice) index, which yields the
        # groups in order, checking each row against the set of latest responses built once.
        for question_id, choice_id, count in self.tx.rows(
            "SELECT question_id, choice_id, count(*) FROM answer_choices"
            f" WHERE question_id IN ({wanted}) AND item = '' AND +response_id IN ({self.latest})"
            " GROUP BY question_id, choice_id",
            params,
        ):
            counts[question_id][choice_id] = count
        answered = dict.fromkeys(question_ids, 0)
        answered.update(
            {
                str(qid): int(n)
                for qid, n in self.tx.rows(
                    "SELECT question_id, count(*) FROM answers"
                    f" WHERE question_id IN ({wanted}) AND item = '' AND skipped = 0"
                    f" AND +response_id IN ({self.latest}) GROUP BY question_id",
                    params,
                )
            }
        )
        return counts, answered

    def answer_pairs(
        self,
        guild_id: int,
        first: str,
        second: str,
        *,
        checkins: tuple[bool, bool] = (False, False),
    ) -> dict[tuple[str | None, str | None, bool], int]:
        """Members by their answers to two questions (None: not answered) and whether they
        have a completed check-in here, in one query so the three always agree. `checkins`
        says which of the two is a check-in question, answered by the latest check-in."""
        with_checkins = any(checkins)
        checked = "checkin_of.checkin_id IS NOT NULL" if with_checkins else "0"
        join = " LEFT JOIN checkin_of ON checkin_of.id = latest.id" if with_checkins else ""
        rows = self.tx.rows(
            f"WITH latest AS ({self.latest}),"
            f" checkin_of AS ({_CHECKIN_OF}),"
            f" a AS ({_side(self.tx, 'first', checkins[0])}),"
            f" b AS ({_side(self.tx, 'second', checkins[1])})"
            f" SELECT a.v, b.v, {checked} AS checked, count(*) FROM latest{join}"
            " LEFT JOIN a ON a.response_id = latest.id LEFT JOIN b ON b.response_id = latest.id"
            " GROUP BY a.v, b.v, checked",
            {"guild": guild_id, "first": first, "second": second},
        )
        return {(a, b, bool(c)): int(n) for a, b, c, n in rows}

    def completed_rows(self, guild_id: int) -> list[tuple[int, int, int, str, str | None, int]]:
        """(response id, user id, version, started, completed, imported) per export row."""
        rows = self.tx.rows(
            f"WITH latest AS ({self.latest}) SELECT r.id, r.user_id,"
            " r.questionnaire_version, r.started_at, r.completed_at, r.imported FROM responses r"
            " JOIN latest ON r.id = latest.id ORDER BY r.id",
            {"guild": guild_id},
        )
        return [tuple(row) for row in rows]

    def completed_checkins(self, guild_id: int) -> list[tuple[int, int, int, str | None, str]]:
        """(check-in id, user id, version, period, completed) of every completed check-in in
        the server, in the order they were started (never by user id: that would rank
        accounts)."""
        rows = self.tx.rows(
            "SELECT id, user_id, questionnaire_version, period, completed_at"
            " FROM checkin_responses WHERE guild_id = ? AND status = 'completed' ORDER BY id",
            (guild_id,),
        )
        return [tuple(row) for row in rows]

    def latest_checkins(self, guild_id: int) -> dict[int, int]:
        """Each member's latest completed check-in in the server: user id -> check-in id."""
        rows = self.tx.rows(
            "SELECT user_id, max(id) FROM checkin_responses WHERE guild_id = ?"
            " AND status = 'completed' GROUP BY user_id",
            (guild_id,),
        )
        return {int(user): int(checkin) for user, checkin in rows}

    def answers_for(
        self, response_ids: list[int], *, checkins: bool = False
    ) -> dict[int, list[tuple[str, str, int | None, str | None, int, str | None]]]:
        """Every answer row (question, item, number, text, skipped, choice) of these survey
        responses, or of these check-ins."""
        tables = "checkin_" if checkins else ""
        found: dict[int, list[tuple[str, str, int | None, str | None, int, str | None]]] = {}
        for start in range(0, len(response_ids), 500):
            chunk = response_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for rid, *rest in self.tx.rows(
                "SELECT a.response_id, a.question_id, a.item, a.number, a.text, a.skipped,"
                f" c.choice_id FROM {tables}answers a LEFT JOIN {tables}answer_choices c"
                " ON c.response_id = a.response_id AND c.question_id = a.question_id"
                " AND c.item = a.item"
                f" WHERE a.response_id IN ({marks})",
                chunk,
            ):
                found.setdefault(rid, []).append(tuple(rest))
        return found

    def treatment_reports(
        self, guild_id: int, tried_question: str, choice_id: str, effect_keys: list[str]
    ) -> tuple[int, dict[str, dict[str, int]]]:
        """How many members chose `choice_id` of the treatments-tried question, and their
        answers to each effects field ("effects.shedding": the part after the dot) for it.

        The questionnaire file names the questions (its [results.treatments] table)."""
        params: dict[str, object] = {
            "guild": guild_id,
            "question": tried_question,
            "choice": choice_id,
        }
        tried = int(
            self.tx.value(
                f"WITH latest AS ({self.latest}) SELECT count(*) FROM answer_choices"
                " JOIN latest ON answer_choices.response_id = latest.id"
                " WHERE question_id = :question AND item = '' AND choice_id = :choice",
                params,
            )
            or 0
        )
        effects: dict[str, dict[str, int]] = {}
        if not effect_keys:
            return tried, effects
        marks = []
        for index, key in enumerate(effect_keys):
            params[f"e{index}"] = key
            marks.append(f":e{index}")
        for question_id, effect, count in self.tx.rows(
            f"WITH latest AS ({self.latest}) SELECT question_id, choice_id, count(*)"
            " FROM answer_choices JOIN latest ON answer_choices.response_id = latest.id"
            f" WHERE question_id IN ({', '.join(marks)}) AND item = :choice"
            " GROUP BY question_id, choice_id",
            params,
        ):
            effects.setdefault(question_id.split(".", 1)[1], {})[effect] = count
        return tried, effects


def _answer_values(tx: Tx, parameter: str, tables: str = "") -> str:
    """(response_id, v): a choice answer as its choice ids joined by commas (in no set
    order), a number answer as its number; skipped answers have no row. `tables` is ""
    for the survey's answer tables, "checkin_" for the check-ins'."""
    return (
        f"SELECT response_id, {tx.dialect.list_agg('choice_id')} AS v FROM {tables}answer_choices"
        f" WHERE question_id = :{parameter} AND item = '' GROUP BY response_id"
        f" UNION ALL SELECT response_id, CAST(number AS TEXT) FROM {tables}answers"
        f" WHERE question_id = :{parameter} AND item = '' AND skipped = 0"
        " AND number IS NOT NULL"
    )


# Each counted member's latest completed check-in in the server, beside their survey response.
_CHECKIN_OF = """
    SELECT r.id AS id, max(c.id) AS checkin_id FROM latest
    JOIN responses r ON r.id = latest.id
    JOIN checkin_responses c ON c.guild_id = :guild AND c.user_id = r.user_id
        AND c.status = 'completed'
    GROUP BY r.id
"""


def _side(tx: Tx, parameter: str, checkin: bool) -> str:
    """(response_id, v) keyed by the survey response, from the survey or the check-in."""
    if not checkin:
        return _answer_values(tx, parameter)
    return (
        "SELECT checkin_of.id AS response_id, x.v FROM checkin_of"
        f" JOIN ({_answer_values(tx, parameter, 'checkin_')}) x"
        " ON x.response_id = checkin_of.checkin_id"
    )


def guild_secret(tx: Tx, guild_id: int) -> bytes:
    """The server's key for pseudonymous ids, created on first use (in a write unit)."""
    found = tx.value("SELECT secret FROM guild_secrets WHERE guild_id = ?", (guild_id,))
    if found is not None:
        return bytes(found)
    secret = secrets.token_bytes(32)
    tx.run("INSERT INTO guild_secrets (guild_id, secret) VALUES (?, ?)", (guild_id, secret))
    return secret
