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
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from bot.privacy import HIDDEN, Disclosure
from bot.results.importer import ImportedReply
from bot.results.protection import (
    Axis,
    Joint,
    PanelView,
    Table,
    answer_profiles,
    kept_levels,
    protect_family,
)
from bot.results.variables import (
    Profile,
    Variable,
    build_variables,
    first_choice,
    number_bin,
    short,
)
from bot.storage import Database, guilds, responses
from bot.storage import results as store
from bot.storage.guilds import MIN_GROUP_SIZE_FLOOR, GuildSettings
from bot.survey.groupings import MAX_PROFILE_OPTIONS
from bot.survey.questionnaire import Kind, Question, Questionnaire

if TYPE_CHECKING:
    from bot.results.stats import Test

# scipy (~60 MB) and matplotlib (~40 MB) are imported on first use, not at start-up: most of
# the bot's life is spent on survey answers, and they keep its resident memory small.


class ComparisonRefused(Exception):
    """Too few answers to compare without exposing anyone; the message says why."""


class ResultsChanged(Exception):
    """Answers arrived between two reads of one comparison: it is worked out again."""


MISSING = object()


@dataclass(frozen=True, slots=True)
class Panel:
    question_id: str
    title: str
    answered: int
    bars: list[tuple[str, int]]  # (choice label, members), in questionnaire order
    shown: list[str]  # what the public may see of each bar ("12", "<5", "–")
    answered_shown: str = ""  # the panel's n as the public may see it
    choice_ids: list[str] = field(default_factory=list)  # beside `bars`

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
            # "most often" also says something of a hidden bar: only when none is hidden
            if top[1] >= self.k and HIDDEN not in panel.shown:
                # a share of a hidden n would reveal the n
                share = f", {round(100 * top[1] / panel.answered)}%" if panel.n_is_exact else ""
                lines.append(f"• {panel.title}: most often “{top[0]}” ({top[1]}{share})")
        lines.append(
            f"-# Counts under {self.k} (zero included) are shown as <{self.k}, and {HIDDEN} "
            "marks a number hidden so that a small count cannot be worked out. Members chose "
            "to answer and describe themselves; this is not a representative or clinical sample."
        )
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Comparison:
    """A cross-table as the public may see it. Rows and columns with fewer than k members
    are left out, the same way whichever way round the two questions are asked, and `shown`
    holds every cell after the small-group rule (which also knows the respondent total and
    what /survey results shows). Group sizes are not printed: they would give cells away."""

    question: Variable
    by: Variable
    groups: list[str]  # shown row levels (ids)
    levels: list[str]  # shown column levels (ids)
    table: list[list[int]]  # shown rows × levels (for the statistic, when it may be shown)
    shown: list[list[str]]  # each cell as the public may see it
    test: Test | None  # None unless every cell is shown exactly
    k: int
    png: bytes | None = field(default=None, compare=False)

    @property
    def total(self) -> int:
        return sum(map(sum, self.table))

    @property
    def is_two_by_two(self) -> bool:
        return len(self.groups) == 2 and len(self.levels) == 2

    @property
    def title(self) -> str:
        return f"{self.question.label} — by {self.by.label.lower()}"

    @property
    def fully_shown(self) -> bool:
        """Nothing is masked: only then may a statistic be shown (it would let a reader
        solve for a masked cell)."""
        return all(text.isdigit() for row in self.shown for text in row)

    def row_is_exact(self, index: int) -> bool:
        return all(text.isdigit() for text in self.shown[index])

    def statement(self) -> str:
        if not self.fully_shown or self.test is None:
            return (
                f"Some answers here were given by fewer than {self.k} members, so the exact "
                "statistic is not shown: with the counts it could reveal them. More answers "
                "will unlock it. Members chose to answer and describe themselves; any pattern "
                "is an association, not a cause."
            )
        from bot.results.stats import describe

        return describe(self.test, self.total)

    def table_text(self) -> str:
        """A fixed-width table of counts as shown, with row percentages where a row is exact."""
        heads = [self.question.level_label(level)[:14] for level in self.levels]
        labels = [self.by.level_label(g)[:24] for g in self.groups]
        width = max(12, *(len(label) for label in labels))
        lines = [" " * width + " | " + " | ".join(f"{h:>14}" for h in heads)]
        for index, (label, row, texts) in enumerate(
            zip(labels, self.table, self.shown, strict=True)
        ):
            exact, total = self.row_is_exact(index), sum(row)
            cells = [
                f"{text + (f' ({round(100 * count / total)}%)' if exact and total else ''):>14}"
                for count, text in zip(row, texts, strict=True)
            ]
            lines.append(f"{label:<{width}} | " + " | ".join(cells))
        lines.append(
            f"Answers and groups of fewer than {self.k} members are left out; <{self.k} is "
            f"0 to {self.k - 1}, {HIDDEN} is hidden so that a small count cannot be worked out."
        )
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class ExportFile:
    filename: str
    content: bytes


def panel_disclosure(
    question: Question,
    counts: dict[str, int],
    answered: int,
    respondents: int,
    k: int,
    everyone: bool = False,
) -> tuple[list[str], str] | None:
    """The bars and n of one overview panel as the public may see them, or None when no
    suppression keeps every small count safe. The respondent total is public, so the
    members not asked (the women left out of the Norwood question) are protected too."""
    disclosure = Disclosure(k)
    outside = [] if everyone else [disclosure.cell()]
    if question.kind is Kind.SINGLE:
        by_choice = {c.id: [disclosure.cell()] for c in question.choices}
    else:
        # A member may pick any set of the options, or one exclusive option alone: one
        # cell per possible set, so "n minus the others" bounds are what a reader could do.
        exclusive = [c.id for c in question.choices if c.exclusive]
        others = [c.id for c in question.choices if not c.exclusive]
        if len(others) > MAX_PROFILE_OPTIONS:
            return None  # too many combinations to model: the panel is not shown
        by_choice = {c.id: [] for c in question.choices}
        for mask in range(1, 2 ** len(others)):
            cell = disclosure.cell()
            for bit, choice in enumerate(others):
                if mask >> bit & 1:
                    by_choice[choice].append(cell)
        for choice in exclusive:
            by_choice[choice].append(disclosure.cell())
    answered_cells = {c for cells in by_choice.values() for c in cells}
    disclosure.publish([*answered_cells, *outside], respondents, fixed=True)
    n_index = disclosure.publish(answered_cells, answered)
    bar_index = [disclosure.publish(by_choice[c.id], counts.get(c.id, 0)) for c in question.choices]
    disclosure.guard(outside, respondents - answered)
    disclosure.protect()
    if disclosure.refused:
        return None
    return [disclosure.shown(i) for i in bar_index], disclosure.shown(n_index)


class ResultsService:
    def __init__(self, db: Database, questionnaire: Questionnaire) -> None:
        self.db = db
        self.questionnaire = questionnaire
        self.variables = build_variables(questionnaire)
        self._families: dict[object, dict[tuple[str, str], Table] | None] = {}

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

    def overview_questions(self) -> list[Question]:
        """The choice questions /survey results shows, as the questionnaire file lists them."""
        results = self.questionnaire.results
        found = (
            self.questionnaire.question(i)
            for i in results.overview_for(self.questionnaire.questions)
        )
        return [q for q in found if q is not None and q.is_choice]

    async def overview(self, guild_id: int, *, chart: bool = True) -> Overview:
        settings = await self.settings(guild_id)
        imported = settings.include_imported
        panels = []
        questions = self.overview_questions()
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
            protected = await asyncio.to_thread(
                panel_disclosure,
                question,
                counts[question.id],
                answered[question.id],
                respondents,
                k,
                question.required and question.when is None and not imported,
            )
            if protected is None:
                continue
            shown, n_text = protected
            panels.append(
                Panel(
                    question.id,
                    short(question.prompt, 70),
                    answered[question.id],
                    bars,
                    shown,
                    n_text,
                    [c.id for c in question.choices],
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
        """(question, grouping, title) of the questionnaire's ready-made comparisons."""
        return [
            (r.question, r.by, r.title)
            for r in self.questionnaire.results.ready_made
            if r.question in self.variables and r.by in self.variables
        ]

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
        # What /survey results shows is public too: comparisons are protected knowing it.
        overview = await self.overview(guild_id, chart=False)
        found, refusals = [], []
        for question in self._expand(question_id):
            if question.question_id == by.question_id:
                raise ComparisonRefused("Pick two different questions to compare.")
            try:
                for _ in range(3):
                    try:
                        found.append(
                            await self._comparison(guild_id, question, by, settings, overview)
                        )
                        break
                    except ResultsChanged:
                        overview = await self.overview(guild_id, chart=False)
                else:
                    raise ComparisonRefused("Answers are arriving fast: try again in a moment.")
            except ComparisonRefused as exc:
                refusals.append(str(exc))
        if not found:
            raise ComparisonRefused(refusals[0] if refusals else "Nothing to compare yet.")
        if chart:
            found = [replace(c, png=await asyncio.to_thread(self._chart, c)) for c in found]
        return found

    def _axis(
        self, variable: Variable, overview: Overview, include_imported: bool
    ) -> tuple[Axis, Callable[[str], Profile | None]]:
        """The question behind a grouping as a side of the privacy model, and how to read a
        stored answer as one of its profiles."""
        question = self.questionnaire.question(variable.question_id)
        assert question is not None
        bins = tuple(level for level, _ in variable.levels)
        profiles = answer_profiles(question, bins)
        number_bins = self.questionnaire.results.bins_for(question)
        everyone = question.required and question.when is None and not include_imported
        panel = next((p for p in overview.panels if p.question_id == question.id), None)
        view = (
            PanelView(panel.answered_shown, dict(zip(panel.choice_ids, panel.shown, strict=True)))
            if panel is not None
            else None
        )

        def read(raw: str) -> Profile | None:
            if question.kind in (Kind.NUMBER, Kind.SCALE):
                level = number_bin(number_bins, int(raw)) if raw.lstrip("-").isdigit() else None
                return (level,) if level is not None else None
            return tuple(sorted(raw.split(",")))

        if profiles is None:
            # Too many answer combinations: this grouping stands alone, its levels as answers.
            alone = replace(variable, level_of=first_choice)
            axis = Axis(question, (alone,), tuple((lvl,) for lvl in bins), everyone, None)

            def read_alone(raw: str) -> Profile | None:
                choices = read(raw)
                level = variable.level_of(choices) if choices is not None else None
                return (level,) if level is not None else None

            return axis, read_alone
        siblings = tuple(v for v in self.variables.values() if v.question_id == question.id)
        return Axis(question, siblings, profiles, everyone, view), read

    async def _comparison(
        self,
        guild_id: int,
        question: Variable,
        by: Variable,
        settings: GuildSettings,
        overview: Overview,
    ) -> Comparison:
        k = settings.min_group_size
        sides = sorted(
            [
                (question, *self._axis(question, overview, settings.include_imported)),
                (by, *self._axis(by, overview, settings.include_imported)),
            ],
            key=lambda side: side[1].question.id,
        )
        (first_var, first, read_first), (second_var, second, read_second) = sides
        async with self.db.reading() as conn:
            raw = await store.answer_pairs(
                conn, guild_id, first.question.id, second.question.id, settings.include_imported
            )
        joint: dict[tuple[Profile | None, Profile | None], int] = {}
        for (a, b), n in raw.items():
            key = (read_first(a) if a else None, read_second(b) if b else None)
            joint[key] = joint.get(key, 0) + n
        if sum(joint.values()) != overview.respondents:
            # a member completed the survey between the two reads: ask again
            raise ResultsChanged
        tables = await asyncio.to_thread(
            self._family, first, second, joint, overview.respondents, k
        )
        if tables is None:
            raise ComparisonRefused(
                f"Not enough answers yet to compare “{question.label}” by "
                f"“{by.label.lower()}” without exposing anyone."
            )
        table = tables.get((first_var.id, second_var.id))
        if table is None:
            raise ComparisonRefused(
                f"Not enough answers yet to compare “{question.label}” by "
                f"“{by.label.lower()}” without exposing anyone: at least two groups and two "
                f"answers need {k} or more members each."
            )
        if first_var is question:  # the family's rows are the question: turn it round
            table = Table(
                table.columns,
                table.rows,
                tuple(zip(*table.counts, strict=True)),
                tuple(zip(*table.shown, strict=True)),
            )
        counts = [list(row) for row in table.counts]
        shown = [list(row) for row in table.shown]
        exact = all(text.isdigit() for row in shown for text in row)
        from bot.results.stats import analyse

        return Comparison(
            question,
            by,
            list(table.rows),
            list(table.columns),
            counts,
            shown,
            analyse(counts) if exact else None,
            k,
        )

    def _family(
        self, first: Axis, second: Axis, joint: Joint, respondents: int, k: int
    ) -> dict[tuple[str, str], Table] | None:
        """`protect_family`, remembered: every comparison between the same two questions
        shares one result until an answer or setting changes it."""
        key = (
            first.question.id,
            tuple(v.id for v in first.variables),
            second.question.id,
            tuple(v.id for v in second.variables),
            *(
                (side.panel.answered, tuple(side.panel.bars.items())) if side.panel else None
                for side in (first, second)
            ),
            first.everyone,
            second.everyone,
            first.profiles,
            second.profiles,
            tuple(sorted(joint.items(), key=repr)),
            respondents,
            k,
        )
        found = self._families.get(key, MISSING)
        if found is MISSING:
            if len(self._families) >= 64:
                self._families.clear()
            sides = []
            for axis, side in enumerate((first, second)):
                counts: dict[Profile, int] = {}
                for pair, n in joint.items():
                    if (profile := pair[axis]) is not None:
                        counts[profile] = counts.get(profile, 0) + n
                kept = kept_levels(
                    side.question,
                    list(side.variables),
                    side.profiles,
                    counts,
                    respondents,
                    side.panel,
                    k,
                    side.everyone,
                )
                sides.append(replace(side, kept=kept))
            found = protect_family(sides[0], sides[1], joint, respondents, k)
            self._families[key] = found
        return found  # type: ignore[return-value]

    def _chart(self, comparison: Comparison) -> bytes:
        from bot.results import charts

        return charts.grouped_percentages(
            [comparison.by.level_label(g) for g in comparison.groups],
            [comparison.question.level_label(level) for level in comparison.levels],
            comparison.table,
            comparison.shown,
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
