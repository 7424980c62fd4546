"""Results use cases: the overview, comparisons, server settings and exports.

Counting happens in SQL; statistics and charts run in a worker thread (`asyncio.to_thread`)
so a slow chart never blocks the bot. Every public number passes through the server's
minimum group size k.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import hmac
import io
import json
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from bot.privacy import masked, suppressed
from bot.results.importer import ImportedReply
from bot.results.variables import READY_MADE, Variable, build_variables, short
from bot.storage import Database, guilds, responses
from bot.storage import results as store
from bot.storage.guilds import MIN_GROUP_SIZE_FLOOR, GuildSettings
from bot.survey.questionnaire import Kind, Questionnaire

if TYPE_CHECKING:
    from bot.results.stats import Test

# scipy (~60 MB) and matplotlib (~40 MB) are imported on first use, not at start-up: most of
# the bot's life is spent on survey answers, and they keep its resident memory small.

OVERVIEW_QUESTIONS = (
    "norwood",
    "ludwig",
    "areas",
    "sensations",
    "shedding",
    "dandruff",
    "oiliness",
)


class ComparisonRefused(Exception):
    """Too few answers to compare without exposing anyone; the message says why."""


@dataclass(frozen=True, slots=True)
class Panel:
    question_id: str
    title: str
    answered: int
    bars: list[tuple[str, int]]  # (choice label, members), in questionnaire order
    shown: list[str]  # what the public may see of each bar ("12", "<5", "≥5")
    answered_shown: str = ""  # the panel's n as the public may see it

    @property
    def n_is_exact(self) -> bool:
        return self.answered_shown.isdigit()


@dataclass(frozen=True, slots=True)
class Overview:
    respondents: int
    k: int
    panels: list[Panel]
    png: bytes | None = None

    def summary(self) -> str:
        if self.respondents < self.k:
            return (
                f"Fewer than {self.k} members have completed the survey here, so there are no "
                "results to show yet."
            )
        lines = [f"**{self.respondents}** members have completed the survey here."]
        for panel in self.panels:
            if panel.answered < self.k:
                continue
            exact = [
                bar for bar, text in zip(panel.bars, panel.shown, strict=True) if text.isdigit()
            ]
            top = max(exact, key=lambda bar: bar[1], default=("", 0))
            if top[1] >= self.k:
                # a share of a hidden n would reveal the n
                share = f", {round(100 * top[1] / panel.answered)}%" if panel.n_is_exact else ""
                lines.append(f"• {panel.title}: most often “{top[0]}” ({top[1]}{share})")
        lines.append(
            f"-# Counts under {self.k} are shown as <{self.k}. Members chose to answer and "
            "describe themselves; this is not a representative or clinical sample."
        )
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Comparison:
    question: Variable
    by: Variable
    groups: list[str]  # kept row levels (ids), each with at least k members
    levels: list[str]  # column levels (ids) with any answers
    table: list[list[int]]  # kept rows × levels
    hidden_groups: list[str]  # row levels with fewer than k members
    test: Test
    k: int
    png: bytes | None = field(default=None, compare=False)

    @property
    def total(self) -> int:
        return sum(map(sum, self.table))

    def shown_row(self, row: list[int]) -> list[str]:
        """A row's cells as the public may see them (its total, the group size, is public)."""
        return suppressed(row, self.k)

    @property
    def is_two_by_two(self) -> bool:
        return len(self.groups) == 2 and len(self.levels) == 2

    @property
    def title(self) -> str:
        return f"{self.question.label} — by {self.by.label.lower()}"

    @property
    def has_small_cells(self) -> bool:
        return any(0 < count < self.k for row in self.table for count in row)

    def statement(self) -> str:
        if self.has_small_cells:
            # With the total, an odds ratio or χ² would let a reader solve for a masked cell.
            return (
                f"Some answers here were given by fewer than {self.k} members, so the exact "
                "statistic is not shown: with the total it could reveal them. More answers will "
                "unlock it. Members chose to answer and describe themselves; any pattern is an "
                "association, not a cause."
            )
        from bot.results.stats import describe

        return describe(self.test, self.total)

    def table_text(self) -> str:
        """A fixed-width table of counts (under k as "<k") and row percentages."""
        heads = [self.question.level_label(level)[:14] for level in self.levels]
        width = max(12, *(len(self.by.level_label(g)[:24]) for g in self.groups))
        lines = [" " * width + " | " + " | ".join(f"{h:>14}" for h in heads)]
        for group, row in zip(self.groups, self.table, strict=True):
            total = sum(row)
            cells = []
            for count, text in zip(row, self.shown_row(row), strict=True):
                percent = f" ({round(100 * count / total)}%)" if text.isdigit() and count else ""
                cells.append(f"{text + percent:>14}")
            lines.append(f"{self.by.level_label(group)[:24]:<{width}} | " + " | ".join(cells))
        for group in self.hidden_groups:
            lines.append(
                f"{self.by.level_label(group)[:24]:<{width}} | fewer than {self.k} "
                "members: not shown"
            )
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class ExportFile:
    filename: str
    content: bytes


class ResultsService:
    def __init__(self, db: Database, questionnaire: Questionnaire) -> None:
        self.db = db
        self.questionnaire = questionnaire
        self.variables = build_variables(questionnaire)

    # -- settings ---------------------------------------------------------------------------

    async def settings(self, guild_id: int) -> GuildSettings:
        async with self.db.reading() as conn:
            return await guilds.get(conn, guild_id)

    async def update_settings(self, guild_id: int, **changes: object) -> GuildSettings:
        if "min_group_size" in changes:
            size = int(changes["min_group_size"])  # type: ignore[call-overload]
            if size < MIN_GROUP_SIZE_FLOOR:
                raise ValueError(f"The minimum group size cannot be below {MIN_GROUP_SIZE_FLOOR}.")
        async with self.db.transaction() as conn:
            current = await guilds.get(conn, guild_id)
            updated = replace(current, **changes)  # type: ignore[arg-type]
            await guilds.put(conn, updated)
        return updated

    # -- overview ---------------------------------------------------------------------------

    async def overview(self, guild_id: int, *, chart: bool = True) -> Overview:
        settings = await self.settings(guild_id)
        imported = settings.include_imported
        panels = []
        questions = [
            q
            for q in (self.questionnaire.question(i) for i in OVERVIEW_QUESTIONS)
            if q is not None and q.is_choice
        ]
        async with self.db.reading() as conn:
            respondents = await store.respondents(conn, guild_id, imported)
            counts, answered = await store.choice_counts(
                conn, guild_id, [q.id for q in questions], imported
            )
        k = settings.min_group_size
        for question in questions:
            if answered[question.id] < k:
                continue  # e.g. the Ludwig scale when fewer than k women answered
            bars = [(c.label, counts[question.id].get(c.id, 0)) for c in question.choices]
            not_asked = respondents - answered[question.id]
            # The respondent total is public, so n (and with it the members not asked, e.g.
            # the women left out of the Norwood question) is only shown when that is safe.
            hide_n = 0 < not_asked < k
            if question.kind is Kind.SINGLE:
                # Single-choice bars add up to n: a lone small bar must not be derivable.
                cells = [n for _, n in bars] + ([not_asked] if hide_n else [])
                shown = suppressed(cells, k)[: len(bars)]
            else:
                shown = [masked(n, k) for _, n in bars]
            n_text = f"≥{k}" if hide_n else str(answered[question.id])
            panels.append(
                Panel(
                    question.id,
                    short(question.prompt, 70),
                    answered[question.id],
                    bars,
                    shown,
                    n_text,
                )
            )
        overview = Overview(respondents, settings.min_group_size, panels)
        if chart and respondents >= overview.k:
            from bot.results import charts

            png = await asyncio.to_thread(
                charts.bar_panels,
                [
                    (
                        f"{p.title} (n={p.answered_shown})",
                        [
                            (label, n, text)
                            for (label, n), text in zip(p.bars, p.shown, strict=True)
                        ],
                    )
                    for p in panels
                ],
                f"Scalp survey results ({respondents} members)",
            )
            overview = replace(overview, png=png)
        return overview

    # -- comparisons ------------------------------------------------------------------------

    def comparable(self, query: str = "") -> list[tuple[str, str]]:
        """(id, label) of what can be compared, ready-made questions first, for autocomplete."""
        options = []
        for variable in self.variables.values():
            options.append((variable.id, variable.label))
        for question in self.questionnaire.questions:
            if question.kind is Kind.MULTI:
                options.append((question.id, f"{short(question.prompt, 50)} (each option)"))
        words = query.casefold().split()
        return [
            (i, label)
            for i, label in options
            if all(w in label.casefold() or w in i for w in words)
        ]

    def ready_made(self) -> list[tuple[str, str, str]]:
        return [(q, b, t) for q, b, t in READY_MADE if q in self.variables and b in self.variables]

    def _expand(self, variable_id: str) -> list[Variable]:
        if variable_id in self.variables:
            return [self.variables[variable_id]]
        question = self.questionnaire.question(variable_id)
        if question is not None and question.kind is Kind.MULTI:
            return [
                v
                for v in self.variables.values()
                if v.question_id == variable_id and not v.id.endswith(":any")
            ]
        raise KeyError(variable_id)

    async def compare(
        self, guild_id: int, question_id: str, by_id: str, *, chart: bool = True
    ) -> list[Comparison]:
        """One comparison, or one per option when `question_id` is a multi-choice question.

        Raises KeyError for an unknown id and ComparisonRefused when no option has two
        groups of at least k members."""
        by_list = self._expand(by_id)
        if len(by_list) != 1:
            raise KeyError(by_id)  # grouping by "each option" is not a grouping
        by = by_list[0]
        settings = await self.settings(guild_id)
        found, refusals = [], []
        for question in self._expand(question_id):
            if question.question_id == by.question_id and question.id == by.id:
                raise ComparisonRefused("Pick two different questions to compare.")
            async with self.db.reading() as conn:
                counts = await store.crosstab(
                    conn, guild_id, question.sql, by.sql, settings.include_imported
                )
            try:
                found.append(self._comparison(question, by, counts, settings.min_group_size))
            except ComparisonRefused as exc:
                refusals.append(str(exc))
        if not found:
            raise ComparisonRefused(refusals[0] if refusals else "Nothing to compare yet.")
        if chart:
            found = [replace(c, png=await asyncio.to_thread(self._chart, c)) for c in found]
        return found

    def _comparison(
        self, question: Variable, by: Variable, counts: dict[tuple[str, str], int], k: int
    ) -> Comparison:
        group_totals = {
            g: sum(n for (_, row), n in counts.items() if row == g) for g, _ in by.levels
        }
        groups = [g for g, _ in by.levels if group_totals[g] >= k]
        hidden = [g for g, _ in by.levels if 0 < group_totals[g] < k]
        if len(groups) < 2:
            raise ComparisonRefused(
                f"Not enough answers yet to compare “{question.label}” by "
                f"“{by.label.lower()}” without exposing anyone: at least two groups need "
                f"{k} or more members each."
            )
        levels = [
            level for level, _ in question.levels if any(counts.get((level, g), 0) for g in groups)
        ]
        if len(levels) < 2:
            raise ComparisonRefused(
                f"Everyone in these groups gave the same answer to “{question.label}”, so "
                "there is nothing to compare."
            )
        table = [[counts.get((level, g), 0) for level in levels] for g in groups]
        from bot.results.stats import analyse

        return Comparison(question, by, groups, levels, table, hidden, analyse(table), k)

    def _chart(self, comparison: Comparison) -> bytes:
        from bot.results import charts

        return charts.grouped_percentages(
            [comparison.by.level_label(g) for g in comparison.groups],
            [comparison.question.level_label(level) for level in comparison.levels],
            comparison.table,
            [comparison.shown_row(row) for row in comparison.table],
            comparison.title,
            comparison.k,
        )

    # -- imports ----------------------------------------------------------------------------

    async def import_replies(self, guild_id: int, replies: list[ImportedReply]) -> list[int]:
        """Store parsed thread replies as completed, imported responses (no Discord member)."""
        ids = []
        async with self.db.transaction() as conn:
            async with conn.execute("SELECT coalesce(min(user_id), 0) FROM responses") as cur:
                row = await cur.fetchone()
            next_user = min(-1, (row[0] if row else 0) - 1)
            for reply in replies:
                response = await responses.create(
                    conn, guild_id, next_user, self.questionnaire.version, "dm"
                )
                next_user -= 1
                for key, answer in reply.answers.items():
                    await responses.save_answer(conn, response.id, key, answer)
                await responses.update(conn, response.id, position="summary", completed=True)
                await conn.execute("UPDATE responses SET imported = 1 WHERE id = ?", (response.id,))
                await conn.execute(
                    "INSERT INTO imported_replies (response_id, original, unmapped)"
                    " VALUES (?, ?, ?)",
                    (response.id, reply.original, "\n".join(reply.unmapped)),
                )
                ids.append(response.id)
        return ids

    # -- exports ----------------------------------------------------------------------------

    def columns(self) -> list[dict[str, str]]:
        """The codebook: one entry per export column."""
        cols = [
            {
                "column": "respondent",
                "type": "id",
                "question": "",
                "description": "Pseudonymous id: HMAC-SHA256 of the member's Discord id with this "
                "server's secret. Stable within the server, meaningless outside.",
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
                "description": "When the response was started (UTC, ISO 8601).",
            },
            {
                "column": "completed_at",
                "type": "date",
                "question": "",
                "description": "When the member pressed Done (UTC, ISO 8601).",
            },
            {
                "column": "imported",
                "type": "0/1",
                "question": "",
                "description": "1 when imported from a thread reply by `anagen import-replies`.",
            },
        ]
        for question in self.questionnaire.questions:
            prompt = question.prompt
            if question.kind is Kind.SINGLE:
                legend = "; ".join(f"{c.id} = {c.label}" for c in question.choices)
                cols.append(
                    {
                        "column": question.id,
                        "type": "choice",
                        "question": prompt,
                        "description": f"One choice id: {legend}. Empty: not asked; "
                        "'(skipped)': skipped.",
                    }
                )
            elif question.kind is Kind.MULTI:
                for choice in question.choices:
                    cols.append(
                        {
                            "column": f"{question.id}.{choice.id}",
                            "type": "0/1",
                            "question": prompt,
                            "description": f"1 if “{choice.label}” was chosen, 0 if not; "
                            "empty when the question was not answered.",
                        }
                    )
            elif question.kind in (Kind.NUMBER, Kind.SCALE):
                cols.append(
                    {
                        "column": question.id,
                        "type": "number",
                        "question": prompt,
                        "description": f"Whole number {question.min}-{question.max}. "
                        "Empty: not asked; '(skipped)': skipped.",
                    }
                )
            elif question.kind is Kind.TEXT:
                cols.append(
                    {
                        "column": question.id,
                        "type": "text",
                        "question": prompt,
                        "description": "Free text as typed (admin exports only).",
                    }
                )
            elif question.kind is Kind.GROUP:
                source = self.questionnaire[question.repeat_for or ""]
                for item in source.choices:
                    if item.exclusive:
                        continue
                    for group_field in question.fields:
                        legend = "; ".join(f"{c.id} = {c.label}" for c in group_field.choices)
                        cols.append(
                            {
                                "column": f"{question.id}.{group_field.id}.{item.id}",
                                "type": "choice",
                                "question": f"{question.prompt.replace('{item}', item.label)} "
                                f"({group_field.prompt})",
                                "description": f"One choice id: {legend}. Empty: not tried.",
                            }
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
        settings = await self.settings(guild_id)
        async with self.db.transaction() as conn:
            secret = await store.guild_secret(conn, guild_id)
            base = [
                row async for row in store.completed_rows(conn, guild_id, settings.include_imported)
            ]
            answers = await store.answers_for(conn, [row[0] for row in base])
            originals = {}
            async with conn.execute("SELECT response_id, original FROM imported_replies") as cur:
                for rid, original in await cur.fetchall():
                    originals[rid] = original
        names = [c["column"] for c in self.columns()]
        rows = []
        for rid, user_id, version, started, completed, imported in base:
            row: dict[str, object] = dict.fromkeys(names, "")
            row.update(
                respondent=pseudonym(secret, user_id),
                questionnaire_version=version,
                started_at=started,
                completed_at=completed or "",
                imported=imported,
                imported_original=originals.get(rid, ""),
            )
            self._fill(row, answers.get(rid, []))
            rows.append(row)
        return rows

    def _fill(self, row: dict[str, object], answers: list[tuple]) -> None:
        for question_id, item, number, text, skipped, choice in answers:
            question = self.questionnaire.question(question_id.split(".", 1)[0])
            if question is None:
                continue
            if question.kind is Kind.GROUP:
                row[f"{question_id}.{item}"] = choice or ""
            elif skipped:
                if question.kind is not Kind.MULTI:
                    row[question_id] = "(skipped)"
            elif question.kind is Kind.MULTI:
                for option in question.choices:
                    key = f"{question_id}.{option.id}"
                    row[key] = 1 if row.get(key) == 1 or option.id == choice else 0
            elif question.kind is Kind.SINGLE:
                row[question_id] = choice or ""
            else:
                row[question_id] = number if number is not None else (text or "")

    async def export(self, guild_id: int, fmt: str) -> list[ExportFile]:
        """The data file and its codebook, as the admin command and the CLI deliver them."""
        rows = await self.export_rows(guild_id)
        columns = self.columns()
        stem = f"anagen-survey-{guild_id}-v{self.questionnaire.version}"
        if fmt == "json":
            data = {
                "questionnaire_version": self.questionnaire.version,
                "respondents": len(rows),
                "rows": rows,
            }
            codebook = {
                "questionnaire": self.questionnaire.title,
                "version": self.questionnaire.version,
                "columns": columns,
            }
            return [
                ExportFile(f"{stem}.json", json.dumps(data, indent=2, ensure_ascii=False).encode()),
                ExportFile(
                    f"{stem}.codebook.json",
                    json.dumps(codebook, indent=2, ensure_ascii=False).encode(),
                ),
            ]
        if fmt != "csv":
            raise ValueError(f"unknown format {fmt!r}: use csv or json")
        data_buffer, book_buffer = io.StringIO(), io.StringIO()
        # Answers to choices a later questionnaire dropped have no column: left out here,
        # still in the JSON export.
        writer = csv.DictWriter(
            data_buffer, fieldnames=[c["column"] for c in columns], extrasaction="ignore"
        )
        writer.writeheader()
        writer.writerows(
            {key: spreadsheet_safe(value) for key, value in row.items()} for row in rows
        )
        book = csv.DictWriter(book_buffer, fieldnames=["column", "type", "question", "description"])
        book.writeheader()
        book.writerows(columns)
        return [
            ExportFile(f"{stem}.csv", data_buffer.getvalue().encode()),
            ExportFile(f"{stem}.codebook.csv", book_buffer.getvalue().encode()),
        ]


def spreadsheet_safe(value: object) -> object:
    """Members' text cannot run as a spreadsheet formula (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def pseudonym(secret: bytes, user_id: int) -> str:
    return hmac.new(secret, str(user_id).encode(), hashlib.sha256).hexdigest()[:20]
