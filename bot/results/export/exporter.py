"""The exporter: reads a server's completed responses and check-ins from the database and
delivers the three files `/survey-admin export` and `anagen export` hand out: the survey,
the check-ins in long format, and the codebook of both."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.results.export.codebook import checkin_columns, survey_columns
from bot.results.export.formats import csv_bytes, json_bytes, json_nulls
from bot.results.export.privacy import pseudonym, utc_day
from bot.results.export.rows import checkin_rows, fill_survey_row
from bot.storage import Database
from bot.storage.guilds import GuildSettingsRepository
from bot.storage.imports import ImportedReplyRepository
from bot.storage.results import ResultsRepository, guild_secret
from bot.storage.tx import Tx
from bot.survey.questionnaire import Questionnaire


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
        """The codebook: one entry per survey column."""
        return survey_columns(self.questionnaire, self.labels)

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
            fill_survey_row(row, self.questionnaire, answers.get(rid, []), version, self.labels)
            rows.append(row)
        # by pseudonym, not by response id: the ids follow the order members started in
        rows.sort(key=lambda r: str(r["respondent"]))
        return rows

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
            numbers = {c["column"] for c in book if c["type"] == "number"}
            rows, checkins = json_nulls(rows, numbers), json_nulls(checkins, numbers)
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
                ExportFile(f"{stem}.json", json_bytes(data)),
                ExportFile(f"{stem}.codebook.json", json_bytes(codebook)),
                ExportFile(f"{checkin_stem}.json", json_bytes(checkin_data)),
            ]
        return [
            ExportFile(f"{stem}.csv", csv_bytes([c["column"] for c in self.columns()], rows)),
            ExportFile(f"{stem}.codebook.csv", csv_bytes([*book[0]], book, safe=False)),
            ExportFile(
                f"{checkin_stem}.csv",
                csv_bytes([c["column"] for c in self.checkin_columns()], checkins),
            ),
        ]
